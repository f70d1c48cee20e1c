"""Cached access to the spend cube for the pages: results are kept per data version (every stored
change is audited, so the newest audit id is the version) and view, so moving back and forth
between views answers at once."""

from __future__ import annotations

import streamlit as st

from analytics import cube
from analytics.store import db_path

from .db import cursor


def version() -> int:
    return cube.data_version(cursor())


@st.cache_data(max_entries=64, show_spinner=False)
def kpis(db: str, ver: int, view: cube.View) -> dict:
    return cube.kpis(cursor(), view)


@st.cache_data(max_entries=64, show_spinner=False)
def pivot(db: str, ver: int, view: cube.View, rows: str, cols: str | None, top: int, top_cols: int,
          with_suppliers: bool) -> cube.Pivot:
    return cube.pivot(cursor(), view, rows, cols, top, top_cols, with_suppliers)


@st.cache_data(max_entries=32, show_spinner=False)
def trend(db: str, ver: int, view: cube.View, by: str | None) -> cube.Pivot:
    return cube.trend(cursor(), view, by)


@st.cache_data(max_entries=32, show_spinner=False)
def year_over_year(db: str, ver: int, view: cube.View):
    return cube.year_over_year(cursor(), view)


@st.cache_data(max_entries=32, show_spinner=False)
def pareto(db: str, ver: int, view: cube.View, tail: float) -> dict:
    return cube.pareto(cursor(), view, tail)


@st.cache_data(max_entries=32, show_spinner=False)
def fragmentation(db: str, ver: int, view: cube.View, level: int, tail: float):
    return cube.fragmentation(cursor(), view, level, tail)


@st.cache_data(max_entries=32, show_spinner=False)
def lines(db: str, ver: int, view: cube.View, page: int, page_size: int, order: str):
    return cube.lines(cursor(), view, page, page_size, order)


@st.cache_data(max_entries=32, show_spinner=False)
def pareto_head(db: str, ver: int, view: cube.View, tail: float, n: int = 200):
    return cube.label_suppliers(cursor(), pareto(db, ver, view, tail)["table"].head(n))


@st.cache_data(max_entries=8, show_spinner=False)
def counts_suppliers_by_default(db: str, ver: int) -> bool:
    return cube.counts_suppliers_by_default(cursor())


@st.cache_data(max_entries=8, show_spinner=False)
def options(db: str, ver: int) -> dict:
    return cube.filter_options(cursor())


def args() -> tuple[str, int]:
    """The cache key of the current store: its file and data version."""
    return str(db_path()), version()


@st.cache_data(max_entries=16, show_spinner=False)
def spend_tree(db: str, ver: int, view: cube.View, top: int):
    from analytics.tree import spend_tree as build
    return build(cursor(), view, top)


@st.cache_data(max_entries=16, show_spinner=False)
def initiatives(db: str, ver: int, window_end, weights: tuple):
    """The prioritisation table (analytics.prioritise.table) per data version, window and weights."""
    from analytics.prioritise import table
    return table(cursor(), window_end=window_end, weights=dict(weights))
