"""AppTest: every page renders without an exception; the upload page maps, previews, asks and loads."""


import pytest

from analytics.ledger import summary
from analytics.store import connect
from tests.conftest import open_page


@pytest.fixture
def app(tmp_path, monkeypatch):
    db = tmp_path / "app.duckdb"
    return open_page(db, None, monkeypatch, user="testare"), db


def store_summary(db):
    con = connect(db)
    try:
        return summary(con.cursor())
    finally:
        con.close()


def test_first_start_loads_demo_and_every_page_renders(app):
    at, _ = app
    assert any(m.label == "Inköpsvolym" for m in at.metric)
    assert any("Demodata" in i.value for i in at.sidebar.info)
    for page, title in [("pages/upload.py", "Ladda upp leverantörsreskontra"), ("pages/log.py", "Ändringslogg"),
                        ("pages/overview.py", "Översikt"), ("pages/cube.py", "Spendkub – vart pengarna går"),
                        ("pages/category_tree.py", "Kategoriträd"), ("pages/classify.py", "Klassificering"),
                        ("pages/prioritise.py", "Prioritering: potential och genomförbarhet"),
                        ("pages/savings.py", "Besparingsuppföljning"), ("pages/contracts.py", "Avtal och avtalstrohet"),
                        ("pages/plans.py", "Kategoriplaner och beslut"),
                        ("pages/watchlist.py", "Bevakningslista: avvikelser och eskalering"),
                        ("pages/report.py", "Styrgruppsrapport")]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.message for e in at.exception])
        assert at.title[0].value == title
    # the demo's six initiatives are on the prioritisation and savings pages
    at.switch_page("pages/prioritise.py").run()
    assert {m.label: m.value for m in at.metric}["Spend"] == "114,9 MSEK"
    at.switch_page("pages/savings.py").run()
    assert {m.label: m.value for m in at.metric}["Kostnadsreduktion: Planerad"] == "7\xa0400\xa0000 kr"


def test_language_switch_keeps_across_pages(app):
    at, _ = app
    assert at.radio(key="lang").value == "sv"
    at.session_state["lang"] = "en"          # as the sidebar switch stores it
    at.switch_page("pages/overview.py").run()
    assert at.title[0].value == "Overview"
    at.switch_page("pages/cube.py").run()
    assert at.title[0].value == "Spend cube – where the money goes"


def test_empty_state_points_to_upload(app):
    at, _ = app
    at.switch_page("pages/upload.py").run()
    at.button(key="drop_demo_now").click().run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert "Inga leverantörsfakturor är inlästa" in at.info[0].value


def _upload(at, name, data, mime="text/csv"):
    at.switch_page("pages/upload.py").run()
    nonce = at.session_state["upload_nonce"] if "upload_nonce" in at.session_state else 0
    at.file_uploader(key=f"uploader_{nonce}").set_value([(name, data, mime)]).run()
    assert not at.exception
    return at


def test_upload_with_mapping_edit_and_commit(app):
    at, db = app
    data = ("Motpart;Summa;Belopp kr;Datum;Förvaltning\n"
            "Bygg AB;9;1 000,00;2026-01-10;Skola\nKök AB;9;-200,00;2026-02-10;Vård\n").encode("cp1252")
    _upload(at, "jan.csv", data)
    by_label = {s.label: s for s in at.selectbox}
    assert by_label["Leverantörsnamn"].value == "Motpart"
    assert by_label["Belopp"].value == "Summa"               # a plausible guess, wrong for this file
    by_label["Belopp"].set_value("Belopp kr").run()           # the person corrects it
    assert not at.exception
    assert any(m.label == "Rader" and m.value == "2" for m in at.metric)
    assert len(at.dataframe) >= 1
    at.checkbox(key="up_drop_demo").set_value(True)
    at.text_input(key="up_save_profile").set_value("Ekonomisystemet")
    commit = [b for b in at.button if b.label == "Läs in"][0]
    commit.click().run()
    assert not at.exception
    assert "Inläst: 1 fil, 2 rader" in at.success[0].value
    s = store_summary(db)
    assert (s["lines"], s["total"], s["batches"]) == (2, 800.0, 1)


def test_upload_over_the_demos_months_with_the_demo_removed_asks_nothing(app):
    at, db = app
    _upload(at, "jan.csv", "Leverantör;Belopp;Datum\nA AB;100;2025-01-05\n".encode())
    assert at.checkbox(key="up_drop_demo").value                   # the demo goes with the upload
    assert not any("Perioden finns redan inläst" in w.value for w in at.warning)
    assert "up_overlap" not in [r.key for r in at.radio]
    commit = [b for b in at.button if b.label == "Läs in"][0]
    assert not commit.disabled
    commit.click().run()
    assert not at.exception
    assert store_summary(db)["lines"] == 1                         # the upload, the demo gone


def test_upload_asks_replace_or_add_for_a_loaded_period(app):
    at, db = app
    _upload(at, "jan.csv", "Leverantör;Belopp;Datum\nA AB;100;2025-01-05\n".encode())
    at.checkbox(key="up_drop_demo").set_value(False).run()         # the demo stays: its January is loaded
    assert any("Perioden finns redan inläst" in w.value for w in at.warning)
    commit = [b for b in at.button if b.label == "Läs in"][0]
    assert commit.disabled                          # must answer the question first
    at.radio(key="up_overlap").set_value("replace").run()
    [b for b in at.button if b.label == "Läs in"][0].click().run()
    assert not at.exception
    con = connect(db)
    jan = con.execute("SELECT count(*), sum(amount) FROM ledger_lines WHERE period_month = DATE '2025-01-01'").fetchall()[0]
    other = con.execute("SELECT count(*) FROM ledger_lines WHERE period_month = DATE '2025-02-01'").fetchall()[0][0]
    con.close()
    assert jan[0] == 1 and float(jan[1]) == 100.0 and other > 1000


def test_bad_upload_shows_message_and_keeps_store(app):
    at, db = app
    before = store_summary(db)
    _upload(at, "tom.csv", b"")
    assert "tom.csv" in at.error[0].value and "tom" in at.error[0].value
    assert store_summary(db) == before
