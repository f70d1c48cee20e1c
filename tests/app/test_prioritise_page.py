"""AppTest of the prioritisation page: the six demo initiatives' totals, editing and saving an
initiative through the validated table, and a clear error for a bad score."""

import pytest

from analytics import prioritise as pr
from analytics import savings as sv
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page, open_tab
from tests.crafted import RULE_LINES as LINES
from tests.crafted import rules_ledger as ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "pri.duckdb"
    con = connect(db)
    cur = con.cursor()
    load_files(cur, [("reskontra.csv", ledger(LINES))])
    sv.load_demo_initiatives(cur)
    con.close()
    at = open_page(db, "pages/prioritise.py", monkeypatch)
    return at, db


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_demo_totals_and_figures(page):
    at, _ = page
    assert at.title[0].value == "Prioritering: potential och genomförbarhet"
    assert metrics(at) == {"Initiativ": "6", "Spend": "114,9 MSEK", "Besparing": "7,4 MSEK", "Besparingsandel": "6,4 %"}
    assert len(at.get("plotly_chart")) >= 1
    # only the open tab runs: the editor is drawn when its tab is opened
    assert not [b for b in at.button if b.label == "Kontrollera och spara"]
    open_tab(at, "Initiativ")
    assert [b for b in at.button if b.label == "Kontrollera och spara"] and not at.get("plotly_chart")


def test_edit_and_save_an_initiative(page):
    at, db = page
    open_tab(at, "Initiativ")
    at.session_state["pri_editor"] = {
        "edited_rows": {3: {"potential": 3, "feasibility": "3-4"}},
        "added_rows": [{"name": "Städtjänster", "feasibility": "2-3", "potential": 2, "saving_pct": 5,
                        "start": "2025q1", "status": "Idé"}],
        "deleted_rows": [4]}
    at.run()
    [b for b in at.button if b.label == "Kontrollera och spara"][0].click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Sparat: 1 nya, 1 ändrade, 1 borttagna."
    assert metrics(at)["Initiativ"] == "6"
    con = connect(db)
    items = {i.name: i for i in pr.load(con.cursor())}
    con.close()
    assert (items["Möbler"].potential, items["Möbler"].feasibility_low, items["Möbler"].feasibility_high) == (3, 3, 4)
    assert "Storköksutrustning" not in items
    new = items["Städtjänster"]
    assert (new.start, new.saving_pct, new.status) == ("2025 Q1", 0.05, "idea")


def test_a_bad_score_is_refused_with_row_and_column(page):
    at, _ = page
    open_tab(at, "Initiativ")
    at.session_state["pri_editor"] = {"edited_rows": {1: {"feasibility": "4-9"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    [b for b in at.button if b.label == "Kontrollera och spara"][0].click().run()
    assert at.error and at.error[0].value.startswith("rad 2, kolumn 'Genomförbarhet': '4-9': poängen går från 1 till 5")
    assert metrics(at)["Spend"] == "114,9 MSEK"                      # nothing saved


def test_the_editor_shows_and_reads_swedish_numbers(page):
    """The initiatives editor holds its amounts as Swedish texts (never the browser's locale)
    and reads back what a Swedish user types: '1 250 000,50' and '0,5' (per cent)."""
    at, db = page
    open_tab(at, "Initiativ")
    shown = next(e for e in at.dataframe if "override" in e.value.columns).value
    assert shown["override"][0] == "26\xa0700\xa0000" and shown["saving_sek"][0] == "1\xa0500\xa0000"
    assert shown["computed"][0] == "0" and shown["saving_pct"][0] == ""
    at.session_state["pri_editor"] = {"edited_rows": {0: {"override": "1 250 000,50", "saving_sek": "", "saving_pct": "0,5"}},
                                      "added_rows": [], "deleted_rows": []}
    at.run()
    [b for b in at.button if b.label == "Kontrollera och spara"][0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    con = connect(db)
    first = pr.load(con.cursor())[0]
    con.close()
    assert first.spend_override == 1_250_000.5 and first.saving_pct == pytest.approx(0.005)


def test_a_store_without_initiatives_opens_the_editor(tmp_path, monkeypatch):
    """No initiatives yet (a municipality's first visit): the page and its empty editor open,
    where the empty table's columns used to be floats the text cells could not edit."""
    db = tmp_path / "empty.duckdb"
    con = connect(db)
    load_files(con.cursor(), [("reskontra.csv", ledger(LINES))])
    con.close()
    at = open_page(db, "pages/prioritise.py", monkeypatch)
    assert not at.exception
    assert metrics(at)["Initiativ"] == "0"
    open_tab(at, "Initiativ")
    assert len(at.get("arrow_data_editor")) == 1 or len(at.get("data_editor")) == 1
