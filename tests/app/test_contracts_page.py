"""AppTest of the Avtal page: a register file imported through its column mapping (a refused one
lists its rows and columns and writes nothing), avtalstrohet with its coverage, the off-contract
list with the category's contracts, the expiries, and a saved mapping profile."""

import pytest

from analytics import contracts
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page, open_tab
from tests.crafted import CONTRACT_ON as ON
from tests.crafted import CONTRACT_TOTAL as TOTAL
from tests.crafted import contract_ledger, contract_register


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "avtal.duckdb"
    con = connect(db)
    cur = con.cursor()
    load_files(cur, [("reskontra.csv", contract_ledger())])
    path = cur.execute("""SELECT n1.name, n2.name FROM ledger_lines l JOIN category_paths cp USING (category_id)
                          JOIN categories n1 ON n1.category_id = cp.l1_id JOIN categories n2 ON n2.category_id = cp.l2_id
                          LIMIT 1""").fetchall()[0]
    con.close()
    at = open_page(db, "pages/contracts.py", monkeypatch)
    return at, db, " / ".join(path)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _register(db):
    con = connect(db)
    try:
        return contracts.register(con.cursor())
    finally:
        con.close()


def test_import_a_register_and_read_avtalstrohet(page):
    at, db, category = page
    assert at.title[0].value == "Avtal och avtalstrohet"
    assert at.info and "Inga avtal inlästa än" in at.info[0].value
    # only the open tab runs: the import is drawn when its tab is opened
    assert not [u for u in at.get("file_uploader") if u.key == "ctr_file"]
    open_tab(at, "Importera")
    assert [u for u in at.get("file_uploader") if u.key == "ctr_file"]
    # a refused file: every problem by row and column, nothing written
    bad = contract_register(category).replace(b"2024-02-01;2025-01-31", b"1 feb;2025-01-31")
    at.file_uploader(key="ctr_file").set_value(("avtal.csv", bad, "text/csv")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ctr_map__contract_id").value == "Avtalsnummer"
    assert at.selectbox(key="ctr_map__options_used").value == "Förlängning nyttjad"
    _button(at, "Läs in avtalen").click().run()
    assert at.error and "1 problem i avtalskatalogen; inget lästes in" in at.error[0].value
    problems = at.dataframe[-1].value
    assert list(problems["row"]) == [4] and list(problems["column"]) == ["Startdatum"]
    assert list(problems["message"]) == ["'1 feb' är inget datum (skriv det som 2024-03-31)"]
    assert _register(db) == []
    # the right file, with its mapping saved as a profile
    at.file_uploader(key="ctr_file").set_value(("avtal.csv", contract_register(category), "text/csv")).run()
    at.text_input(key="ctr_new_profile").set_value("Avtalskatalog Realkommunen")
    _button(at, "Läs in avtalen").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == ("avtal.csv: 6 avtal med 8 leverantörer inlästa. "
                                   "Fakturaraderna är kopplade på nytt.")
    assert len(_register(db)) == 6
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Avtalstrohet"] == f"{ON / TOTAL * 100:.1f} %".replace(".", ",")
    assert metrics["Avtal i katalogen"] == "6"
    assert any("Täckning:" in c.value for c in at.caption)
    # by supplier: Alfa AB 1 500 of which 900 under AV-1, Fi AB 5 000 and none
    open_tab(at, "Avtalstrohet")
    at.segmented_control(key="ctr_by").set_value("supplier").run()
    table = at.dataframe[0].value.set_index("key")
    assert (table.loc["Alfa AB", "spend"], table.loc["Alfa AB", "on_contract"]) == (1500, 900)
    assert table.loc["Fi AB", "on_contract"] == 0
    open_tab(at, "Utanför avtal")
    off = next(d.value for d in at.dataframe if "contracts" in d.value.columns)
    fi = off.set_index("supplier").loc["Fi AB"]
    assert fi["spend"] == 5000 and "G-2" not in fi["contracts"]      # G-2 has ended: no hint today
    # the profile is offered the next time
    con = connect(db)
    assert contracts.profiles(con.cursor()) == ["Avtalskatalog Realkommunen"]
    con.close()


def test_an_id_already_in_the_register_is_refused_unless_replacing(page):
    at, db, category = page
    open_tab(at, "Importera")
    at.file_uploader(key="ctr_file").set_value(("avtal.csv", contract_register(category), "text/csv")).run()
    _button(at, "Läs in avtalen").click().run()
    at.file_uploader(key="ctr_file").set_value(("avtal.csv", contract_register(category), "text/csv")).run()
    _button(at, "Läs in avtalen").click().run()
    assert at.error and "6 avtalsnummer i filen finns redan i registret" in at.error[0].value
    at.toggle(key="ctr_replace").set_value(True)
    _button(at, "Läs in avtalen").click().run()
    assert not at.exception and at.success and len(_register(db)) == 6


def test_the_editor_saves_nothing_when_nothing_changed_and_english_reads(page, monkeypatch):
    at, db, category = page
    con = connect(db)
    contracts.import_register(con.cursor(), "avtal.csv", contract_register(category))
    con.close()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "Contracts and compliance"
    assert {m.label for m in at.metric} >= {"Contract compliance", "Under contract", "Outside contracts"}
    at.radio(key="lang").set_value("sv").run()
    open_tab(at, "Avtalsregister")
    [b for b in at.button if b.label == "Spara avtalsregistret"][0].click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Avtalsregistret sparat: 0 nya, 0 ändrade, 0 borttagna")


def test_the_cube_shows_spend_under_and_outside_contracts_and_drills_into_them(page):
    at, db, category = page
    con = connect(db)
    contracts.import_register(con.cursor(), "avtal.csv", contract_register(category))
    con.close()
    at.switch_page("pages/cube.py").run()
    at.selectbox(key="cube_rows").set_value("contract_status").run()
    assert not at.exception, at.exception
    t = at.dataframe[0].value.set_index("Under/utanför avtal")
    assert t.loc["Under avtal", "Belopp (kr)"] == ON and t.loc["Utanför avtal", "Belopp (kr)"] == TOTAL - ON
    rows = list(at.dataframe[0].value["Under/utanför avtal"])
    at.selectbox(key="cube_pick_row").set_value(rows.index("Under avtal")).run()
    at.button(key="cube_drill_btn").click().run()              # into the contracts
    assert not at.exception, at.exception
    by_contract = at.dataframe[0].value.set_index("Avtal")["Belopp (kr)"]
    assert by_contract["RA-2 Ramavtal förbrukning"] == 6000 and by_contract["AV-1 Förbrukning Alfa"] == 900
    assert "Utanför avtal" not in by_contract.index
