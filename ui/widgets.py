"""Small reusable widgets: the empty state, KPI rows."""

from __future__ import annotations

import streamlit as st

from .i18n import t


def empty_state(upload_page) -> None:
    """Shown by every page when nothing is loaded: what to do next, with a link to the upload page."""
    st.info(t("empty.body"), icon=":material/upload_file:")
    st.page_link(upload_page, label=t("empty.link"), icon=":material/upload:")


def kpi_row(items: list[tuple[str, str, str | None]]) -> None:
    """A row of metrics: (label, value, help)."""
    cols = st.columns(len(items))
    for col, (label, value, help_text) in zip(cols, items):
        col.metric(label, value, help=help_text)
