"""The sidebar shared by every page: language, global filters (period by quarter, organisation
units), the demo-data badge. Called from app.py, so widget values survive page switches."""

from __future__ import annotations

import streamlit as st

from analytics.filters import Filters
from analytics.ledger import has_demo, loaded_months, org_units
from analytics.periods import quarter_end, quarter_start

from . import format as fmt
from . import state
from .cache import query
from .i18n import LANGS, t


def language_switch() -> None:
    if state.LANG not in st.session_state:
        st.session_state[state.LANG] = "sv"
    st.sidebar.radio(t("sidebar.language"), LANGS, key=state.LANG, horizontal=True,
                     format_func=lambda code: {"sv": "Svenska", "en": "English"}[code])


def global_filters(cur) -> Filters:
    """Draw the filters and return them for the pages."""
    months = query(loaded_months)
    qs = sorted({fmt.quarter(m) for m in months})
    if query(has_demo):
        st.sidebar.info(t("sidebar.demo_badge"), icon=":material/science:")
    if not qs:
        return Filters()
    st.sidebar.markdown(f"**{t('sidebar.filters')}**")
    current = st.session_state.get(state.PERIOD)
    if not current or current[0] not in qs or current[1] not in qs:
        st.session_state[state.PERIOD] = (qs[0], qs[-1])

    def label(q: str) -> str:           # a quarter with one month loaded reads as that month
        return fmt.quarter_label(q, months)
    if len(qs) > 1:
        lo, hi = st.sidebar.select_slider(t("sidebar.period"), options=qs, key=state.PERIOD, format_func=label)
    else:
        lo = hi = qs[0]
        st.sidebar.caption(f"{t('sidebar.period')}: {label(qs[0])}")
    units = query(org_units)
    chosen = [u for u in st.session_state.get(state.UNITS, []) if u in units]
    st.session_state[state.UNITS] = chosen
    st.sidebar.multiselect(t("sidebar.units"), units, key=state.UNITS, placeholder=t("sidebar.units_all"))
    all_spend = st.sidebar.toggle(t("sidebar.all_spend"), key=state.ALL_SPEND, help=t("sidebar.all_spend_help"))
    return Filters(quarter_start(lo), quarter_end(hi), list(st.session_state[state.UNITS]),
                   "all" if all_spend else "influenceable")
