"""The one cache of the pages' queries: any analytics query ``fn(cur, *args)``, kept per store
file, data version (every stored change is audited, so the newest audit id is the version) and
day (overdue actions, the last complete quarter and the pack's date follow the calendar), so a
rerun with unchanged data and moving back and forth between views answer at once, and any
change anywhere (another session, the command line) is seen on the next run."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from analytics import cube
from analytics.store import db_path

from .db import cursor


def version() -> int:
    """The store's data version (analytics.cube.data_version)."""
    return cube.data_version(cursor())


@st.cache_data(max_entries=256, show_spinner=False)
def _call(db: str, ver: int, day: dt.date, target: str, args: tuple, kwargs: tuple) -> Any:
    module, _, name = target.partition(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(cursor(), *args, **dict(kwargs))


def query(fn: Callable, *args, **kwargs) -> Any:
    """``fn(cursor(), *args, **kwargs)`` from the cache when the store and its data version are
    the same as when it was last asked with these arguments. ``fn`` is a module-level function
    of analytics (its name is the key; the arguments must be hashable by Streamlit)."""
    target = f"{fn.__module__}:{fn.__qualname__}"
    if "." in fn.__qualname__ or fn.__module__ == "__main__":
        raise ValueError(f"{target}: cache only module-level functions")
    return _call(str(db_path()), version(), dt.date.today(), target, args, tuple(sorted(kwargs.items())))
