"""AppTest of the savings page: totals kept apart by type, entering a reported saving with a
comment, and finance signing the quarter off."""

import pytest

from analytics import prioritise as pr
from analytics import savings as sv
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page, open_tab
from tests.crafted import SAVINGS_ROWS as ROWS
from tests.crafted import rules_ledger as ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "sav.duckdb"
    con = connect(db)
    cur = con.cursor()
    load_files(cur, [("reskontra.csv", ledger(ROWS))])
    food = pr.category_ids_from_paths(cur, "Verksamhet & stöd / Måltider och livsmedel / Livsmedel")
    sv.save_initiatives(cur, [pr.Initiative("Livsmedel", food, 4, 4, 5, saving_sek=200.0, start="2024 Q1", status="approved")])
    iid = pr.load(cur)[0].initiative_id
    con.close()
    at = open_page(db, "pages/savings.py", monkeypatch)
    return at, db, iid


def test_totals_by_type(page):
    at, _, _ = page
    m = {x.label: x.value for x in at.metric}
    assert m["Kostnadsreduktion: Uppmätt"] == "180 kr" and m["Kostnadsreduktion: Planerad"] == "200 kr"
    assert m["Kostnadsundvikande: Uppmätt"] == "0 kr"


def test_enter_a_reported_saving_and_sign_it_off(page):
    at, db, iid = page
    # only the open tab runs: the initiative's quarters are drawn when their tab is opened
    assert not [b for b in at.button if b.label == "Kontrollera och spara"]
    open_tab(at, "Per initiativ")
    at.session_state[f"sav_editor_{iid}"] = {"edited_rows": {0: {"reported": 70.0, "comment": "Nytt avtal från februari"}},
                                            "added_rows": [], "deleted_rows": []}
    at.run()
    [b for b in at.button if b.label == "Kontrollera och spara"][0].click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Kvartalen är sparade."
    at.button(key=f"sav_sign_{iid}").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "2024 Q1 är attesterat."
    con = connect(db)
    q = sv.quarters(con.cursor(), iid).set_index("quarter")
    con.close()
    assert q.at["2024 Q1", "reported"] == 70.0 and q.at["2024 Q1", "comment"] == "Nytt avtal från februari"
    assert q.at["2024 Q1", "signed_by"]
    m = {x.label: x.value for x in at.metric}
    assert m["Kostnadsreduktion: Rapporterad"] == "70 kr"


def test_a_bad_cell_in_the_quarters_editor_is_named_and_nothing_is_saved(page):
    at, db, iid = page
    open_tab(at, "Per initiativ")
    at.session_state[f"sav_editor_{iid}"] = {"edited_rows": {0: {"planned": "250"}, 1: {"reported": "mycket", "comment": "x"}},
                                            "added_rows": [], "deleted_rows": []}
    at.run()
    [b for b in at.button if b.label == "Kontrollera och spara"][0].click().run()
    assert not at.exception, at.exception
    message = at.error[0].value
    assert message.startswith("Rad 2") and "Rapporterad" in message and "mycket" in message, message
    con = connect(db)
    count = con.execute("SELECT count(*) FROM savings_quarters").fetchall()[0][0]
    con.close()
    assert count == 0                          # the good first row was not saved either
