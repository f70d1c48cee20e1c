"""AppTest of the Kategoriplaner page: the pipeline board, writing a section and saving it as a
version, recording a decision (a refused one says why and writes nothing), the area's KPIs."""

import datetime as dt

import pytest

from analytics import kpis, plans
from analytics import prioritise as pr
from analytics import savings as sv
from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page, open_tab
from tests.crafted import contract_ledger


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = tmp_path / "plans.duckdb"
    con = connect(db)
    cur = con.cursor()
    load_files(cur, [("reskontra.csv", contract_ledger())])
    cat = cur.execute("SELECT DISTINCT cp.l1_id FROM ledger_lines JOIN category_paths cp USING (category_id)").fetchall()[0][0]
    sv.save_initiatives(cur, [pr.Initiative("Förbrukning", [cat], start="2025 Q1", owner="Kim Ek")])
    kpis.define(cur, cat, "Antal leverantörer", "suppliers", 5, "down")
    iid = pr.load(cur)[0].initiative_id
    con.close()
    return open_page(db, "pages/plans.py", monkeypatch), db, iid


def _stored(db, iid):
    con = connect(db)
    try:
        return plans.load(con.cursor(), iid), plans.decisions(con.cursor(), iid)
    finally:
        con.close()


def test_write_a_section_and_record_decisions(page):
    at, db, iid = page
    assert at.title[0].value == "Kategoriplaner och beslut"
    board = at.dataframe[0].value
    assert list(board["initiative"]) == ["Förbrukning"] and list(board["next"]) == ["Initiering (KR)"]
    at.text_area(key=f"plan_{iid}_0_purpose").set_value("Sänka kostnaden för förbrukningsmaterial.")
    next(b for b in at.button if b.label == "Spara planen").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Planen är sparad som version 1."
    plan, _ = _stored(db, iid)
    assert plan.version == 1 and plan.texts == {"purpose": "Sänka kostnaden för förbrukningsmaterial."}
    # only the open tab runs: the decision form is drawn when its tab is opened
    assert not [b for b in at.button if b.label == "Registrera beslutet"]
    open_tab(at, "Beslut")
    assert not [b for b in at.button if b.label == "Spara planen"]
    # a decision out of order is refused with the reason, nothing written
    at.selectbox(key=f"dec_gate_{iid}").set_value("analysis")
    at.selectbox(key=f"dec_forum_{iid}").set_value("ST")
    at.text_input(key=f"dec_minute_{iid}").set_value("ST 2025-01-20 § 2")
    next(b for b in at.button if b.label == "Registrera beslutet").click().run()
    assert at.error and "kommer efter en som inte är passerad än (Initiering)" in at.error[0].value
    assert _stored(db, iid)[1].empty
    at.selectbox(key=f"dec_gate_{iid}").set_value("initiation")
    at.selectbox(key=f"dec_forum_{iid}").set_value("KR")
    at.date_input(key=f"dec_day_{iid}").set_value(dt.date(2025, 1, 10))
    at.text_input(key=f"dec_minute_{iid}").set_value("KR 2025-01-10 § 3")
    next(b for b in at.button if b.label == "Registrera beslutet").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Beslutet är registrerat: Initiering godkänd."
    _, dec = _stored(db, iid)
    assert list(dec.gate) == ["initiation"] and list(dec.minute) == ["KR 2025-01-10 § 3"]
    assert list(at.dataframe[0].value["next"]) == ["Politisk inriktning (UU)"]
    open_tab(at, "Nyckeltal")
    kpi = next(d.value for d in at.dataframe if "status" in d.value.columns and "target" in d.value.columns)
    assert list(kpi["name"]) == ["Antal leverantörer"] and list(kpi["status"]) == ["✓ Uppfyllt"]


def test_a_project_becomes_a_savings_line_and_versions_compare_side_by_side(page):
    at, db, iid = page
    con = connect(db)
    plan = plans.load(con.cursor(), iid)
    plan.texts["strategy"] = "Ett ramavtal för hela kommunen."
    plan.projects = [{"name": "Samordnad beställning", "saving_sek": 80000.0, "start": "2025 Q2"}]
    plans.save(con.cursor(), plan)
    con.close()
    at.run()
    at.selectbox(key=f"plan_proj_{iid}").set_value(0)
    at.button(key=f"plan_to_saving_{iid}").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == ("Projektets besparing är nu planerad i besparingsuppföljningen: Förbrukning, "
                                   "kvartal 2025 Q2.")
    con = connect(db)
    q = sv.quarters(con.cursor(), iid).set_index("quarter")
    con.close()
    assert q.loc["2025 Q2", "planned"] == 80000.0 and q.loc["2025 Q2", "comment"] == "Samordnad beställning (+80\u00a0000 kr)"
    assert not [b for b in at.button if b.key == f"plan_to_saving_{iid}"]           # no open project is left
    at.text_area(key=f"plan_{iid}_2_strategy").set_value("Två ramavtal för hela kommunen.")
    next(b for b in at.button if b.label == "Spara planen").click().run()
    assert at.success[0].value == "Planen är sparad som version 3."
    # a new version is compared with the one before it
    open_tab(at, "Versioner")
    assert at.selectbox(key=f"plan_cmp_a_{iid}_3").value == 2 and at.selectbox(key=f"plan_cmp_b_{iid}_3").value == 3
    sides = [m.value for m in at.markdown if "<del" in m.value or "<ins" in m.value]
    assert sides == ['<div class="sk-diff"><del style="background:rgba(214,39,40,.16);text-decoration:line-through;">'
                     'Ett</del> ramavtal för hela kommunen.</div>',
                     '<div class="sk-diff"><ins style="background:rgba(44,160,44,.18);text-decoration:none;">Två</ins>'
                     ' ramavtal för hela kommunen.</div>']
    assert "**15. Strategi**" in [m.value for m in at.markdown]
    at.selectbox(key=f"plan_cmp_a_{iid}_3").set_value(1).run()
    assert [m.value for m in at.markdown if m.value.startswith("**")].count("**15. Strategi**") == 1
