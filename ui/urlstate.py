"""The view in the URL: pages copy their view state into st.query_params on every run, and a
bookmarked or shared link restores it on the first run of a session."""

from __future__ import annotations

import streamlit as st

from analytics.periods import quarter_from_url, quarter_to_url

from . import state


def first_run() -> bool:
    """True on the session's first script run (when a shared link's parameters apply)."""
    return not st.session_state.get(state.URL_APPLIED, False)


def apply_global_filters_from_url() -> None:
    """On the first run of a session, take the sidebar filters (period 'from'/'to' as 2024Q1,
    'unit' repeated) from the URL; app.py calls it before drawing the sidebar."""
    if not first_run():
        return
    qp = st.query_params
    lo, hi = quarter_from_url(qp.get("from", "")), quarter_from_url(qp.get("to", ""))
    if lo and hi:
        st.session_state[state.PERIOD] = (lo, hi) if lo <= hi else (hi, lo)
    units = qp.get_all("unit")
    if units:
        st.session_state[state.UNITS] = list(units)


def page_params() -> dict[str, list[str]]:
    """The URL's parameters on the session's first run (each as a list), else {}; marks the
    URL as applied."""
    if not first_run():
        return {}
    st.session_state[state.URL_APPLIED] = True
    return {k: st.query_params.get_all(k) for k in st.query_params}


def write(params: dict) -> None:
    """Replace the URL's parameters with ``params`` (lists repeat the key; empty values are left
    out), together with the sidebar's period and units."""
    out: dict[str, str | list[str]] = {}
    period = st.session_state.get(state.PERIOD)
    if period:
        out["from"], out["to"] = quarter_to_url(period[0]), quarter_to_url(period[1])
    if st.session_state.get(state.UNITS):
        out["unit"] = list(st.session_state[state.UNITS])
    for k, v in params.items():
        if v is None or v == "" or v == [] or v == ():
            continue
        out[k] = [str(x) for x in v] if isinstance(v, (list, tuple)) else str(v)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    wanted = {k: v if isinstance(v, list) else [v] for k, v in out.items()}
    if current != wanted:
        st.query_params.from_dict(out)
