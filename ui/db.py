"""One DuckDB connection per process (cached), a cursor per script run."""

from __future__ import annotations

import streamlit as st

from analytics.demo import ensure_demo_on_first_start
from analytics.store import connect, db_path


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    con = connect(path)
    ensure_demo_on_first_start(con.cursor())
    return con


def cursor():
    """A fresh cursor on the process's connection (the store file: $SPENDKOLLEN_DB or data/)."""
    return _connection(str(db_path())).cursor()
