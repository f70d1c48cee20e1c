"""No page shows a sole trader as a person: on a store whose ledger has a sole trader (a
personnummer and the person's name), every page, sidebar included, is searched element by
element (texts, tables, charts, choices) for the name and the birth date. The Översikt page used
to list the person's name among the largest suppliers."""

from pathlib import Path

import pytest

from analytics import savings as sv
from analytics import watchlist as wl
from analytics.classify import set_preset
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import ROOT, open_page, open_tab
from tests.crafted import cube_ledger as ledger
from ui import state

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pnr") / "pnr.duckdb"
    con = connect(path)
    cur = con.cursor()
    set_preset(cur, "public", False)
    load_files(cur, [("reskontra.csv", ledger())])
    sv.load_demo_initiatives(cur)
    key = cur.execute("SELECT supplier_key FROM suppliers WHERE legal_form = 'sole_trader'").fetchall()[0][0]
    wl.add(cur, key, "Sen leverans")              # the sole trader on the watchlist too
    con.close()
    return path


def _texts(node):
    """Every element's protobuf as text (labels, values, options, table data, chart specs)."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield str(proto)
    for child in getattr(node, "children", {}).values():
        yield from _texts(child)


def test_the_ledger_really_has_a_sole_trader(db):
    con = connect(db)
    try:
        assert con.execute("SELECT count(*) FROM ledger_lines WHERE supplier_name LIKE '%Anna Berg%'").fetchall()[0][0]
        assert con.execute("SELECT count(*) FROM suppliers WHERE legal_form = 'sole_trader'").fetchall()[0][0] == 1
    finally:
        con.close()


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_the_person(db, page, monkeypatch):
    at = open_page(db, page, monkeypatch)
    text = "\n".join(_texts(at._tree))
    if any(k in at.session_state for k in state.LAZY_TABS):     # only the open tab is drawn: open each
        for label in [tab.label for tab in at.tabs][1:]:
            text += "\n".join(_texts(open_tab(at, label)._tree))
    if page in ("pages/overview.py", "pages/watchlist.py"):     # where the sole trader is listed: as the tag
        assert "Enskild firma #" in text, page
    assert "Anna Berg" not in text, page
    assert "800512" not in text and "19800512" not in text, page
