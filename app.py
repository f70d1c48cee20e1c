"""Spendkollen: the router. Page config, language, global sidebar filters, navigation."""

from __future__ import annotations

import streamlit as st

from ui.db import cursor
from ui.i18n import t
from ui.sidebar import global_filters, language_switch
from ui.urlstate import apply_global_filters_from_url
from ui.widgets import presentation_mode

st.set_page_config(page_title="Spendkollen", page_icon=":material/insights:", layout="wide")

language_switch()
cur = cursor()

def _watch_title() -> str:
    """The watchlist's menu entry, with the number of overdue actions when there are any."""
    from analytics.watchlist import overdue_count
    n = overdue_count(cur)
    return t("nav.watchlist") + (f" · {t('nav.overdue', n=n)}" if n else "")


PAGES = {
    "upload": st.Page("pages/upload.py", title=t("nav.upload"), icon=":material/upload:", url_path="upload"),
    "cube": st.Page("pages/cube.py", title=t("nav.cube"), icon=":material/view_in_ar:", url_path="spendkub",
                    default=True),
    "tree": st.Page("pages/category_tree.py", title=t("nav.tree"), icon=":material/account_tree:", url_path="kategoritrad"),
    "classify": st.Page("pages/classify.py", title=t("nav.classify"), icon=":material/rule:", url_path="klassificering"),
    "overview": st.Page("pages/overview.py", title=t("nav.overview"), icon=":material/insights:",
                        url_path="oversikt"),
    "prioritise": st.Page("pages/prioritise.py", title=t("nav.prioritise"), icon=":material/bubble_chart:",
                          url_path="prioritering"),
    "savings": st.Page("pages/savings.py", title=t("nav.savings"), icon=":material/savings:", url_path="besparingar"),
    "watchlist": st.Page("pages/watchlist.py", title=_watch_title(), icon=":material/report:", url_path="bevakningslista"),
    "report": st.Page("pages/report.py", title=t("nav.report"), icon=":material/slideshow:", url_path="rapport"),
    "log": st.Page("pages/log.py", title=t("nav.log"), icon=":material/history:", url_path="logg"),
}
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
