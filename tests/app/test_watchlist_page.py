"""AppTest of the watchlist: add a deviation, escalate it with a reason, see the history and
the overdue count."""

import datetime as dt

import pytest

from analytics import watchlist as wl
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page, open_tab
from tests.crafted import WATCH_ROWS as ROWS
from tests.crafted import rules_ledger as ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "wl.duckdb"
    con = connect(db)
    load_files(con.cursor(), [("reskontra.csv", ledger(ROWS))])
    con.close()
    at = open_page(db, "pages/watchlist.py", monkeypatch)
    return at, db


def test_add_and_escalate_a_deviation(page):
    at, db = page
    assert at.title[0].value == "Bevakningslista: avvikelser och eskalering"
    at.selectbox(key="wl_add_sup").set_value("org:" + ROWS[0][1].replace("-", ""))
    at.text_area(key="wl_add_desc").set_value("Sena leveranser till köken")
    at.text_input(key="wl_add_co").set_value("Eva Ek")
    at.date_input(key="wl_add_due").set_value(dt.date(2020, 1, 31))
    [b for b in at.button if b.label == "Lägg till avvikelse"][0].click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Avvikelsen är registrerad."
    assert {m.label: m.value for m in at.metric}["Försenade åtgärder"] == "1"
    con = connect(db)
    did = wl.deviations(con.cursor()).deviation_id.iloc[0]
    con.close()
    # escalating without a reason is refused with a clear message
    at.selectbox(key=f"wl_to_{did}").set_value(2)
    [b for b in at.button if b.label == "Spara steg"][0].click().run()
    assert at.error and at.error[0].value == "Skriv varför steget ändras."
    at.text_input(key=f"wl_why_{did}").set_value("Ingen förbättring efter dialog")
    [b for b in at.button if b.label == "Spara steg"][0].click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Avvikelsen är nu på 2. Skriftlig reklamation."
    con = connect(db)
    hist = wl.history(con.cursor(), int(did))
    con.close()
    assert list(hist.why.dropna()) == ["Ingen förbättring efter dialog"]
    # the page's history table: the reason, and "–" (not "None") where a step has none
    shown = [d for d in at.dataframe if "why" in d.value.columns][0]
    assert list(shown.value.why.dropna()) == ["Ingen förbättring efter dialog"]
    assert shown.value.why.isna().sum() == 1 and shown.proto.placeholder == "–"


def test_the_signals_are_computed_when_their_tab_is_opened(page):
    at, db = page
    assert [tab.label for tab in at.tabs][2] == "Signaler"
    assert "wl_sig_kinds" not in at.session_state and not at.dataframe      # only the deviation log ran (empty)
    open_tab(at, "Signaler")
    con = connect(db)
    expected = [s for s in wl.signals(con.cursor()) if s["kind"] != "direct_award_covered"]
    con.close()
    assert expected, "the ledger gives signals"
    table = at.dataframe[0].value
    assert list(table.supplier) == [s["supplier"] for s in expected]
    assert list(table.amount) == [s["amount"] for s in expected]
    assert "wl_add_sup" not in [w.key for w in at.selectbox]                # the log's form is not drawn now


def test_the_supplier_view_says_it_counts_influenceable_spend(page):
    at, _db = page
    open_tab(at, "Leverantör")
    metrics = {m.label: m for m in at.metric}
    assert metrics["Påverkbar spend"].value == "0,8 MSEK"                   # Alfa AB, the largest: 750 000 kr
    assert "varav ej påverkbar 0,0 MSEK" in metrics["Påverkbar spend"].proto.help
