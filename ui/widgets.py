"""Small reusable widgets: the empty state, KPI rows."""

from __future__ import annotations

import streamlit as st

from analytics.export import Sheet, xlsx_bytes

from . import format as fmt
from . import state
from .i18n import t


def show_chart(fig, *, where=None, **kwargs):
    """st.plotly_chart with the figure's numbers (axes, hovers, labels) in the UI language:
    Plotly's decimal and thousands separators set from the language, never the browser's (a
    figure that sets its own, such as the pack's preview in the pack's language, keeps them).
    ``where`` is the container (a column) to draw in; returns what st.plotly_chart returns."""
    from .i18n import current_lang
    if fig.layout.separators is None:
        fig.update_layout(separators=fmt.separators(current_lang()))
    return (where or st).plotly_chart(fig, **kwargs)


def empty_state(upload_page) -> None:
    """Shown by every page when nothing is loaded: what to do next, with a link to the upload page."""
    st.info(t("empty.body"), icon=":material/upload_file:")
    st.page_link(upload_page, label=t("empty.link"), icon=":material/upload:")


def lazy_tabs(labels: list[str], key: str):
    """st.tabs where only the open tab runs (and is drawn): each container's ``.open`` says
    whether to build its content, so a page's first render pays for its first tab alone and a
    click on another tab reruns the page with that one. ``key`` (in ui.state) remembers the open
    tab; after a language change its old label is forgotten and the first tab opens."""
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    return st.tabs(labels, key=key, on_change="rerun")


def table_downloads(table, sheet: str, stem: str, key: str) -> None:
    """Two buttons side by side: ``table`` (a DataFrame) as an XLSX workbook (one sheet named
    ``sheet``, built when clicked) and as a UTF-8 CSV, saved as ``stem``.xlsx/.csv; widget keys
    ``key``_xlsx and ``key``_csv."""
    left, right = st.columns(2)
    left.download_button(t("cls.export_xlsx"), data=lambda: xlsx_bytes([Sheet(sheet, table)]),
                         file_name=f"{stem}.xlsx", key=f"{key}_xlsx", icon=":material/download:")
    right.download_button(t("cls.export_csv"), data=table.to_csv(index=False).encode("utf-8"),
                          file_name=f"{stem}.csv", mime="text/csv", key=f"{key}_csv")


def kpi_row(items: list[tuple[str, str, str | None]]) -> None:
    """A row of metrics: (label, value, help)."""
    cols = st.columns(len(items))
    for col, (label, value, help_text) in zip(cols, items):
        col.metric(label, value, help=help_text)


def spend_scope_caption(k: dict, lang: str) -> None:
    """The line under a page's key figures that says what 'Inköpsvolym' counts: the
    influenceable spend, with the total and the excluded spend beside it (from cube.kpis)."""
    key = "kpi.scope_influenceable" if k.get("scope", "influenceable") == "influenceable" else "kpi.scope_all"
    st.caption(t(key, spend=fmt.msek(k["influenceable_spend"], lang), total=fmt.msek(k["total_spend"], lang),
                 excluded=fmt.msek(k["excluded_spend"], lang)))


# Key figures are never cut ("2 555,0 M…"): the value's font follows the width, value and label may wrap.
_BASE_CSS = """<style>
[data-testid="stMetricValue"] { font-size: clamp(1.1rem, 0.7rem + 1.0vw, 2.1rem); }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { overflow: visible !important; text-overflow: clip !important;
  white-space: normal !important; line-height: 1.15; }
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div { white-space: normal; overflow: visible; text-overflow: clip; }
</style>"""


# Streamlit's file uploader has no parameters for its own texts ("Upload", "500MB per file • CSV");
# in Swedish they are replaced by the catalog's texts (the original text is kept for screen
# readers' layout but drawn at size 0; the replacement is the pseudo-element's content).
_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "%(button)s"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0 !important; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after { content: "%(limit)s"; font-size: 0.8rem; }
</style>"""


def _css_text(text: str) -> str:
    return text.replace("\\", "").replace('"', "'").replace("<", "").replace(">", "")


def base_style() -> None:
    """The app's own CSS on every page (app.py calls it once per run)."""
    from .i18n import current_lang
    st.markdown(_BASE_CSS, unsafe_allow_html=True)
    if current_lang() == "sv":
        st.markdown(_UPLOADER_CSS % {"button": _css_text(t("ui.uploader_button")),
                                     "limit": _css_text(t("ui.uploader_limit_any"))}, unsafe_allow_html=True)


def file_uploader(label: str, types: list[str], key: str, *, where=None, **kwargs):
    """st.file_uploader whose own texts are in the UI language: the size limit and this
    uploader's file types ("Högst 500 MB per fil • CSV, XLSX")."""
    from .i18n import current_lang
    if current_lang() == "sv":
        limit = _css_text(t("ui.uploader_limit", types=", ".join(x.upper() for x in types)))
        st.markdown(f"""<style>.st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] span::after
                    {{ content: "{limit}"; }}</style>""", unsafe_allow_html=True)
    return (where or st).file_uploader(label, type=types, key=key, **kwargs)



# In presentation mode the controls, tables and the sidebar are hidden (not removed, so every
# widget keeps its state) and the charts use the whole width; only the exit button shows.
_PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
.stSelectbox, .stMultiSelect, .stNumberInput, .stTextInput, .stTextArea, .stDateInput, .stSlider, .stToggle,
.stCheckbox, .stRadio, [data-testid="stButtonGroup"], .stButton, .stDownloadButton, .stFileUploader,
[data-testid="stForm"], [data-testid="stExpander"], [data-testid="stDataFrame"], [data-testid="stTable"],
[data-testid="stCaptionContainer"], [data-testid="stTabs"] [role="tablist"] { display: none !important; }
.st-key-present_exit .stButton { display: block !important; }
.block-container { max-width: 100% !important; padding-top: 1rem !important; }
</style>"""


def presentation_mode() -> bool:
    """The sidebar switch for presentation mode; when on, hide everything but the page's title,
    key figures and charts, and offer a button to leave. Returns whether it is on."""
    st.sidebar.toggle(t("present.toggle"), key=state.PRESENT, help=t("present.help"))
    if not st.session_state.get(state.PRESENT):
        return False
    st.markdown(_PRESENT_CSS, unsafe_allow_html=True)
    with st.container(key="present_exit"):
        st.button(t("present.exit"), icon=":material/close_fullscreen:",
                  on_click=lambda: st.session_state.__setitem__(state.PRESENT, False))
    return True




def run_edit(action, ok, spinner: str | None = None) -> None:
    """Run a stored edit: a refused one (any SpendkollenError) is shown as a clear error,
    never a stack trace; a done one reruns the page, which shows ``ok`` (text, or a function
    giving the text after the edit) through ``show_done``."""
    import duckdb

    from analytics.errors import SpendkollenError

    from .i18n import error_text
    for attempt in range(3):        # a conflict with another writer (outside this server) is retried
        try:
            if spinner:
                with st.spinner(spinner):
                    action()
            else:
                action()
            break
        except SpendkollenError as exc:
            text = error_text(exc)
            st.error(text[:1].upper() + text[1:], icon=":material/error:")      # shown alone: a sentence
            return
        except duckdb.TransactionException:
            if attempt == 2:
                st.error(t("err.write_conflict"), icon=":material/error:")
                return
    st.session_state[state.EDIT_DONE] = ok() if callable(ok) else ok
    st.rerun()


def show_done() -> None:
    """The message of the edit just done (see run_edit), once."""
    msg = st.session_state.pop(state.EDIT_DONE, None)
    if msg:
        st.success(msg, icon=":material/check_circle:")


KPI_STATUS = {"met": "✓", "near": "≈", "missed": "✗"}


def kpi_status(status) -> str:
    """A KPI's status (analytics.kpis.status) as the tables show it: a mark and the word."""
    return f"{KPI_STATUS[status]} {t('kpi.status_' + status)}" if isinstance(status, str) else "–"


def show_kpis(kt, lang: str) -> None:
    """The KPI table (analytics.kpis.table): area, KPI, value and target in the KPI's unit, its
    direction, status, the change on the quarter before and the entered value's comment."""
    import pandas as pd

    from analytics.kpis import KIND

    from .tables import show_table
    show_table(pd.DataFrame({
        "area": kt.area, "name": kt.name,
        "value": [fmt.value(v, KIND[u], lang) for v, u in zip(kt.value, kt.unit)],
        "target": [fmt.value(v, KIND[u], lang) for v, u in zip(kt.target, kt.unit)],
        "direction": [t(f"kpis.direction_{d}") for d in kt.direction],
        "status": [kpi_status(s) for s in kt.status],
        "trend": [fmt.change(d, KIND[u], lang) for d, u in zip(kt.trend, kt.unit)],
        "comment": [c if isinstance(c, str) else "" for c in kt.comment]}),
        hide_index=True, width="stretch", column_config={
            "area": t("sav.col_area"), "name": t("kpi.col_name"), "value": t("kpi.col_value"),
            "target": t("kpi.col_target"), "direction": t("kpis.col_direction"), "status": t("kpi.col_status"),
            "trend": t("plans.col_trend"), "comment": t("plan.col_note")})


_DEL = "background:rgba(214,39,40,.16);text-decoration:line-through;"
_INS = "background:rgba(44,160,44,.18);text-decoration:none;"


def text_diff(title: str, pieces: list[tuple[str, str]], old_label: str, new_label: str) -> None:
    """One section's two texts side by side (analytics.plans.word_diff's pieces): the old text
    with what went struck through in red, the new with what came in green. The texts are the
    team's own, so they are HTML-escaped before they are drawn."""
    import html

    def side(keep: str) -> str:
        out = []
        for op, text in pieces:
            if op not in ("=", keep):
                continue
            body = html.escape(text).replace("\n", "<br>")
            if op == "=":
                out.append(body)
            else:
                out.append(f'<{"del" if op == "-" else "ins"} style="{_DEL if op == "-" else _INS}">{body}</'
                           f'{"del" if op == "-" else "ins"}>')
        return "".join(out) or "–"

    box = st.container(border=True)
    box.markdown(f"**{fmt.md_escape(title)}**")
    left, right = box.columns(2)
    for col, label, keep in ((left, old_label, "-"), (right, new_label, "+")):
        col.caption(label)
        col.markdown(f'<div class="sk-diff">{side(keep)}</div>', unsafe_allow_html=True)
