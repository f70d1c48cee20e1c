"""Spendkollen: the router. Page config, language, global sidebar filters, navigation."""

from __future__ import annotations

import streamlit as st

from ui.db import cursor
from ui.i18n import t
from ui.sidebar import global_filters, language_switch
from ui.urlstate import apply_global_filters_from_url
from ui.widgets import base_style, presentation_mode

st.set_page_config(page_title="Spendkollen", page_icon=":material/insights:", layout="wide")
base_style()

language_switch()
cur = cursor()

def _watch_title() -> str:
    """The watchlist's menu entry, with the number of overdue actions when there are any."""
    from analytics.watchlist import overdue_count
    n = overdue_count(cur)
    return t("nav.watchlist") + (f" · {t('nav.overdue', n=n)}" if n else "")


def _requested_path() -> str:
    """The page path of the URL this run was asked for ("" for the root)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return (ctx.pages_manager.intended_page_name or "") if ctx else ""


# key: (script, title, icon, url path)
PAGE_SPECS = {
    "upload": ("pages/upload.py", t("nav.upload"), ":material/upload:", "upload"),
    "cube": ("pages/cube.py", t("nav.cube"), ":material/view_in_ar:", "spendkub"),
    "tree": ("pages/category_tree.py", t("nav.tree"), ":material/account_tree:", "kategoritrad"),
    "classify": ("pages/classify.py", t("nav.classify"), ":material/rule:", "klassificering"),
    "overview": ("pages/overview.py", t("nav.overview"), ":material/insights:", "oversikt"),
    "prioritise": ("pages/prioritise.py", t("nav.prioritise"), ":material/bubble_chart:", "prioritering"),
    "savings": ("pages/savings.py", t("nav.savings"), ":material/savings:", "besparingar"),
    "watchlist": ("pages/watchlist.py", _watch_title(), ":material/report:", "bevakningslista"),
    "report": ("pages/report.py", t("nav.report"), ":material/slideshow:", "rapport"),
    "log": ("pages/log.py", t("nav.log"), ":material/history:", "logg"),
}
# The spend cube answers at the root. Streamlit serves the default page only there, so a link
# to /spendkub would be "Page not found": when that path is asked for, another page takes the
# root for the session and the cube keeps its own path.
DEFAULT = "cube" if _requested_path() != PAGE_SPECS["cube"][3] else "overview"
PAGES = {key: st.Page(script, title=title, icon=icon, url_path=path, default=key == DEFAULT)
         for key, (script, title, icon, path) in PAGE_SPECS.items()}
st.session_state["_pages"] = PAGES

nav = st.navigation({
    t("nav.section_data"): [PAGES["upload"], PAGES["classify"]],
    t("nav.section_analysis"): [PAGES["cube"], PAGES["tree"], PAGES["overview"]],
    t("nav.section_governance"): [PAGES["prioritise"], PAGES["savings"], PAGES["watchlist"], PAGES["report"],
                                   PAGES["log"]],
})
apply_global_filters_from_url()
st.session_state["_filters"] = global_filters(cur)
presentation_mode()
st.sidebar.caption(t("sidebar.footer"))
nav.run()
