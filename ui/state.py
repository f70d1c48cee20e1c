"""Every session-state key the app reads or writes itself, in one place: view state only
(filters, language, pending upload, what a page remembers between reruns). Durable facts live
in DuckDB. Widgets' own keys (key="...") are Streamlit's; those listed here are the ones code
reads back. A test keeps pages and helpers from using a literal key instead of these names."""

# the whole app
LANG = "lang"
PERIOD = "filter_period"          # (from_quarter, to_quarter) as 'YYYY Qn'
UNITS = "filter_units"            # list of organisation units, empty = all
ALL_SPEND = "filter_all_spend"    # True: show all spend, excluded included (default: influenceable only)
FILTERS = "_filters"              # this run's analytics.filters.Filters from the sidebar (app.py)
PAGES = "_pages"                  # page name -> st.Page, for links between pages (app.py)
ACTOR = "_actor"                  # the acting person of this session (analytics.access.Actor), set every run
SIGNED_IN_AS = "_signed_in_as"    # the e-mail this session's sign-in was recorded for
URL_APPLIED = "_url_applied"      # a shared link's parameters were applied (the session's first run)
PRESENT = "present_mode"          # presentation mode: controls, tables and sidebar hidden
EDIT_DONE = "edit_done"           # the message of the last edit, shown once after the rerun

# upload
PENDING_UPLOAD = "pending_upload"  # {"key", "cursor", "plan"} while an upload awaits commit
UPLOAD_NONCE = "upload_nonce"     # bumped to clear the file uploader after a commit
LAST_RESULT = "upload_result"     # message shown after a commit or delete
RAW_CACHE = "_raw_cache"          # files read this session, by content hash (re-mapping reads no file twice)
RATES_OPEN = "up_rates_open"      # the currency-rates expander stays open after a refusal
ALLOW_DATES = "up_allow_dates"    # the checkbox: load rows with dates outside the plausible range
UNDO_SURE = "undo_sure"           # the checkbox confirming an undo of an upload

# the spend cube's view (ui.cubelink.CubeState field -> the widget's key)
CUBE = {"rows": "cube_rows", "cols": "cube_cols", "measure": "cube_measure", "top": "cube_top", "sort": "cube_sort",
        "asc": "cube_asc", "sup_count": "cube_sup_count", "exact": "cube_exact", "cat": "cube_cat", "sup": "cube_sup", "acct": "cube_acct",
        "amin": "cube_amin", "amax": "cube_amax", "credit": "cube_credit", "by": "cube_by", "tail": "cube_tail",
        "frag": "cube_frag", "drill": "cube_drill"}
CUBE_TAB = "cube_tab"                         # the open analysis tab
CUBE_PICK_ROW = "cube_pick_row"               # the pivot row and column picked for drilling
CUBE_PICK_COL = "cube_pick_col"
CUBE_PICK_FROM_TABLE = "cube_pick_from_table"
CUBE_LINES_PAGE = "cube_lines_page"           # the invoice lines' page number
CUBE_LINES_CELL = "cube_lines_cell"           # the pivot cell whose lines are shown

# other pages
CLS_PENDING_ALL = "cls_pending_all"   # "accept all above X" waiting for its confirmation
CLS_TREE_RESULT = "cls_tree_result"   # the message of the last tree import
CLS_TAB = "cls_tab"                   # the classification page's open tab
TREE_NONCE = "tree_nonce"             # bumped to reset the treemap's selection
PRI_DONE = "pri_done"                 # the message of the last initiatives save
WL_IMPORTED = "wl_imported"           # the message of the last watchlist import
WL_TAB = "wl_tab"                     # the watchlist's open tab
KPI_TAB = "kpi_tab"                   # the KPI page's open tab
SAV_TAB = "sav_tab"                   # the savings page's open tab
PRI_TAB = "pri_tab"                   # the prioritisation page's open tab
PLANS_TAB = "plans_tab"               # the category plans page's open tab
CTR_TAB = "ctr_tab"                   # the contracts page's open tab
PLAN_SAVED = "plan_saved"             # the version the last plan save wrote, for its message
CTR_SAVED = "ctr_saved"               # the counts of the last register save or import, for its message
REP_PRESENT = "rep_present"           # the report page's presentation mode
REP_SLIDE = "rep_slide"               # the slide shown in presentation mode
REP_REPORT = "rep_report"             # the pack last built, for presentation mode

# the pages' tabs where only the open one runs (ui.widgets.lazy_tabs)
LAZY_TABS = (CUBE_TAB, CLS_TAB, WL_TAB, KPI_TAB, SAV_TAB, PRI_TAB, PLANS_TAB, CTR_TAB)
