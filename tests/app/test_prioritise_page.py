"""AppTest of the prioritisation page: the six demo initiatives' totals, editing and saving an
initiative through the validated table, and a clear error for a bad score."""

import pytest

from analytics import prioritise as pr
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page
from tests.unit.test_classify import LINES, ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "pri.duckdb"
    con = connect(db)
    cur = con.cursor()
    load_files(cur, [("reskontra.csv", ledger(LINES))])
    pr.load_demo_initiatives(cur)
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


def test_edit_and_save_an_initiative(page):
    at, db = page
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
    at.session_state["pri_editor"] = {"edited_rows": {1: {"feasibility": "4-9"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    [b for b in at.button if b.label == "Kontrollera och spara"][0].click().run()
    assert at.error and at.error[0].value.startswith("rad 2, kolumn 'Genomförbarhet': '4-9': poängen går från 1 till 5")
    assert metrics(at)["Spend"] == "114,9 MSEK"                      # nothing saved
