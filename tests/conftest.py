import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "real"

from analytics.store import connect


@pytest.fixture
def store(tmp_path):
    """A fresh store on disk (DuckDB file in a temp folder) and a cursor on it."""
    con = connect(tmp_path / "test.duckdb")
    yield con.cursor()
    con.close()


def open_page(db, page: str | None, monkeypatch, lang: str = "sv", *, query: dict | None = None,
              user: str | None = None):
    """The one AppTest factory: app.py on the store file ``db`` in ``lang`` (with the URL
    parameters ``query`` and the local user ``user``), run, switched to ``page`` when given, and
    checked to have raised nothing."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("SPENDKOLLEN_DB", str(db))
    if user:
        monkeypatch.setenv("SPENDKOLLEN_USER", user)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def open_tab(at, label: str):
    """Open the tab ``label`` of the page's lazy tabs (ui.widgets.lazy_tabs: only the open tab
    runs), as a click on it does, and check the rerun raised nothing."""
    from ui import state
    keys = [k for k in state.LAZY_TABS if k in at.session_state]
    assert len(keys) == 1, f"the page has no lazy tabs, or several: {keys}"
    assert label in [tab.label for tab in at.tabs], f"no tab {label!r}: {[tab.label for tab in at.tabs]}"
    at.session_state[keys[0]] = label
    at.run()
    assert not at.exception, at.exception
    return at
