"""AppTest of the report page: preview of every slide, both downloads offered, English titles,
presentation mode without the controls."""

import pytest

from analytics import savings as sv
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page
from tests.crafted import cube_ledger as ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "rep.duckdb"
    con = connect(db)
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    sv.load_demo_initiatives(con.cursor())
    con.close()
    at = open_page(db, "pages/report.py", monkeypatch)
    return at


def test_preview_downloads_and_presentation(page):
    at = page
    assert at.title[0].value == "Styrgruppsrapport"
    previews = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value]
    assert previews[1].startswith("**2. Påverkbar spend ") and len(previews) == 9
    assert previews[7].startswith("**8. Sex initiativ i beslutsgången")  # the demo's initiatives await KR
    assert previews[5] == "**6. Sex initiativ kan spara 7,4 MSEK, 6,4 % av deras spend**"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Ladda ned PowerPoint (.pptx)", "Ladda ned Excel (.xlsx)", "Ladda ned PDF"]
    at.segmented_control(key="rep_lang").set_value("en").run()
    previews = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value]
    assert previews[5] == "**6. Six initiatives could save SEK 7.4m, 6.4% of their spend**"
    at.button(key="rep_present_btn").click().run()
    assert not at.exception, at.exception
    first = at.header[0].value
    assert first.startswith("Influenceable spend ")
    assert not at.get("download_button") and "rep_sections" not in [m.key for m in at.multiselect]  # no controls
    at.button(key="rep_next").click().run()
    assert at.header[0].value != first
    at.button(key="rep_exit").click().run()
    assert at.title[0].value == "Styrgruppsrapport"


def test_the_stored_template_is_shown_and_can_be_removed(page, tmp_path):
    from analytics.report import save_template, stored_template
    from tests.crafted import make_template
    at = page
    assert any("Ingen mall uppladdad" in c.value for c in at.caption)
    # AppTest cannot drive a file uploader: the template is stored with the call the page makes
    con = connect(tmp_path / "rep.duckdb")
    save_template(con.cursor(), "profil.potx", make_template(tmp_path))
    at.run()
    assert any("Mall i bruk: profil.potx" in i.value for i in at.info)
    at.button(key="rep_template_remove").click().run()
    assert not at.exception, at.exception
    assert any("Mallen borttagen" in s.value for s in at.success)
    assert stored_template(con.cursor()) is None
    con.close()
