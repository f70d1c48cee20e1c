"""One DuckDB connection per process (cached, writes serialised), a cursor per script run."""

from __future__ import annotations

import streamlit as st

from analytics.demo import ensure_demo_on_first_start
from analytics.store import connect, db_path, serialised


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    """The process's connection; its cursors write one transaction at a time (sessions that save
    at the same moment wait for each other instead of losing a write)."""
    con = serialised(connect(path))
    ensure_demo_on_first_start(con.cursor())
    return con


def cursor():
    """A fresh cursor on the process's connection (the store file: $SPENDKOLLEN_DB or data/)."""
    return _connection(str(db_path())).cursor()
