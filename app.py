"""Spendkollen: the router. Page config, language, sign-in, global sidebar filters, navigation.

The store is open only while a run uses it (ui.db): every run ends in ``end_run``, so between
runs the command line can load into the same file."""

from __future__ import annotations

import streamlit as st

from analytics import access
from ui import auth, state
from ui.cache import query
from ui.db import cursor, end_run, release_abandoned_upload
from ui.i18n import t
from ui.sidebar import global_filters, language_switch
from ui.urlstate import apply_global_filters_from_url
from ui.widgets import base_style, presentation_mode


def _watch_title() -> str:
    """The watchlist's menu entry, with the number of overdue actions when there are any."""
    from analytics.watchlist import overdue_count
    n = query(overdue_count)
    return t("nav.watchlist") + (f" · {t('nav.overdue', n=n)}" if n else "")


def _requested_path() -> str:
    """The page path of the URL this run was asked for ("" for the root)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return (ctx.pages_manager.intended_page_name or "") if ctx else ""


def run() -> None:
    st.set_page_config(page_title="Spendkollen", page_icon=":material/insights:", layout="wide")
    base_style()
    language_switch()
    cur = cursor()
    actor = auth.gate(cur)          # team mode: the sign-in page (and stop) until someone signs in

    # key: (script, title, icon, url path)
    specs = {
        "upload": ("pages/upload.py", t("nav.upload"), ":material/upload:", "upload"),
        "cube": ("pages/cube.py", t("nav.cube"), ":material/view_in_ar:", "spendkub"),
        "tree": ("pages/category_tree.py", t("nav.tree"), ":material/account_tree:", "kategoritrad"),
        "classify": ("pages/classify.py", t("nav.classify"), ":material/rule:", "klassificering"),
        "overview": ("pages/overview.py", t("nav.overview"), ":material/insights:", "oversikt"),
        "prioritise": ("pages/prioritise.py", t("nav.prioritise"), ":material/bubble_chart:", "prioritering"),
        "savings": ("pages/savings.py", t("nav.savings"), ":material/savings:", "besparingar"),
        "contracts": ("pages/contracts.py", t("nav.contracts"), ":material/handshake:", "avtal"),
        "plans": ("pages/plans.py", t("nav.plans"), ":material/account_balance:", "kategoriplaner"),
        "kpis": ("pages/kpis.py", t("nav.kpis"), ":material/speed:", "nyckeltal"),
        "watchlist": ("pages/watchlist.py", _watch_title(), ":material/report:", "bevakningslista"),
        "report": ("pages/report.py", t("nav.report"), ":material/slideshow:", "rapport"),
        "log": ("pages/log.py", t("nav.log"), ":material/history:", "logg"),
        "admin": ("pages/admin.py", t("nav.admin"), ":material/manage_accounts:", "anvandare"),
    }
    # The spend cube answers at the root. Streamlit serves the default page only there, so a link
    # to /spendkub would be "Page not found": when that path is asked for, another page takes the
    # root for the session and the cube keeps its own path.
    default = "cube" if _requested_path() != specs["cube"][3] else "overview"
    pages = {key: st.Page(script, title=title, icon=icon, url_path=path, default=key == default)
             for key, (script, title, icon, path) in specs.items()}
    st.session_state[state.PAGES] = pages

    data = [pages["upload"], pages["classify"]] if actor.can(access.UPLOAD) else [pages["classify"]]
    sections = {
        t("nav.section_data"): data,
        t("nav.section_analysis"): [pages["cube"], pages["tree"], pages["overview"]],
        t("nav.section_governance"): [pages["prioritise"], pages["plans"], pages["kpis"], pages["savings"], pages["contracts"],
                                       pages["watchlist"], pages["report"], pages["log"]],
    }
    if actor.can(access.USERS):
        sections[t("nav.section_admin")] = [pages["admin"]]
    nav = st.navigation(sections, expanded=True)      # every page in the menu, none behind "View more"
    if nav.url_path != specs["upload"][3]:
        release_abandoned_upload()      # an upload left unconfirmed on the upload page is dropped
    apply_global_filters_from_url()
    st.session_state[state.FILTERS] = global_filters(cur)
    presentation_mode()
    auth.sidebar(actor)
    st.sidebar.caption(t("sidebar.footer"))
    nav.run()


try:
    run()
finally:
    end_run()
