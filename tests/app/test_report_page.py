"""AppTest of the report page: preview of every slide, both downloads offered, English titles,
presentation mode without the controls."""

import pytest

from analytics import prioritise as pr
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page
from tests.unit.test_cube import ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "rep.duckdb"
    con = connect(db)
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    pr.load_demo_initiatives(con.cursor())
    con.close()
    at = open_page(db, "pages/report.py", monkeypatch)
    return at


def test_preview_downloads_and_presentation(page):
    at = page
    assert at.title[0].value == "Styrgruppsrapport"
    previews = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value]
    assert previews[1] == "**2. Inköpsvolym och trend per kvartal**" and len(previews) == 8
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Ladda ned PowerPoint (.pptx)", "Ladda ned Excel (.xlsx)", "Ladda ned PDF"]
    at.segmented_control(key="rep_lang").set_value("en").run()
    previews = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value]
    assert previews[1] == "**2. Spend and quarterly trend**"
    at.button(key="rep_present_btn").click().run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Spend and quarterly trend"
    assert not at.get("download_button") and "rep_sections" not in [m.key for m in at.multiselect]  # no controls
    at.button(key="rep_next").click().run()
    assert at.header[0].value != "Spend and quarterly trend"
    at.button(key="rep_exit").click().run()
    assert at.title[0].value == "Styrgruppsrapport"
