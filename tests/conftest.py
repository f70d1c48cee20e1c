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


def csv_bytes(text: str, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return text.replace("\n", newline).encode(encoding)


def snapshot(cur) -> tuple:
    """Everything a refused upload must leave untouched."""
    return (cur.execute("SELECT count(*), coalesce(sum(amount), 0) FROM ledger_lines").fetchall()[0],
            cur.execute("SELECT count(*) FROM batches").fetchall()[0],
            cur.execute("SELECT count(*) FROM suppliers").fetchall()[0],
            cur.execute("SELECT count(*) FROM audit_log").fetchall()[0])


def open_page(db, page: str, monkeypatch, lang: str = "sv"):
    """An AppTest of app.py on the store file ``db``, in ``lang``, switched to ``page`` and run
    without an exception."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("SPENDKOLLEN_DB", str(db))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
