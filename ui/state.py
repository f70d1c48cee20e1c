"""Every session-state key in one place: view state only (filters, language, pending upload).
Durable facts live in DuckDB."""

LANG = "lang"
PERIOD = "filter_period"          # (from_quarter, to_quarter) as 'YYYY Qn'
UNITS = "filter_units"            # list of organisation units, empty = all
ALL_SPEND = "filter_all_spend"    # True: show all spend, excluded included (default: influenceable only)
PENDING_UPLOAD = "pending_upload"  # {"key", "cursor", "plan"} while an upload awaits commit
UPLOAD_NONCE = "upload_nonce"     # bumped to clear the file uploader after a commit
LAST_RESULT = "upload_result"     # message shown after a commit or delete
ACTOR = "_actor"                  # the acting person of this session (analytics.access.Actor), set every run
SIGNED_IN_AS = "_signed_in_as"    # the e-mail this session's sign-in was recorded for
