"""Category plans and governance: the gates' order and refusals (table-driven), the status that
follows them (with the savings baseline frozen on approval), versions and what changed since the
approved one, the data sections equal to the cube's and the compliance figures for the linked
categories, the KPI status rules and measured values, the Word and PDF papers, the CLI."""

import datetime as dt
import io
import json

import pytest

from analytics import contracts, cube, kpis, plans
from analytics import prioritise as pr
from analytics import savings as sv
from analytics.__main__ import main as cli
from analytics.errors import PlanError
from analytics.ingest import load_files
from analytics.report import plan_doc
from tests.crafted import CONTRACT_LINES, contract_ledger, contract_register

D = dt.date(2025, 1, 10)
OK = None


def rows(*steps):
    """Decisions as state() reads them, each checked and given its cycle the way record() does."""
    out = []
    for gate, forum, decision in steps:
        out.append({"gate": gate, "forum": forum, "decision": decision, "cycle": plans.check(out, gate, forum, decision)})
    return out


FULL = [("initiation", "KR", "approved"), ("direction", "UU", "approved"), ("overall_plan", "ST", "approved"),
        ("analysis", "ST", "approved"), ("category_plan", "KR", "approved"), ("category_plan", "UU", "approved")]


@pytest.mark.parametrize("before, step, code", [
    ([], ("initiation", "KR", "approved"), OK),
    ([], ("direction", "UU", "approved"), "plan_order"),              # initiation first
    ([], ("initiation", "UU", "approved"), "plan_wrong_forum"),       # initiation is the council's
    ([], ("initiation", "KS", "approved"), "plan_forum"),
    ([], ("budget", "KR", "approved"), "plan_gate"),
    ([], ("initiation", "KR", "maybe"), "plan_decision"),
    (FULL[:1], ("initiation", "KR", "approved"), "plan_passed"),
    (FULL[:2], ("analysis", "ST", "approved"), "plan_order"),         # the overall plan comes first
    (FULL[:4], ("category_plan", "KR", "approved"), OK),
    (FULL[:5], ("category_plan", "KR", "approved"), "plan_forum_done"),  # KR has; UU has not
    (FULL[:5], ("category_plan", "UU", "returned"), OK),
    (FULL[:3] + [("analysis", "ST", "returned")], ("analysis", "ST", "approved"), OK),   # returned, then approved
    (FULL[:3] + [("analysis", "ST", "stopped")], ("analysis", "ST", "approved"), "plan_stopped"),
    (FULL[:3], ("restart", "KR", "approved"), "plan_restart_early"),  # the round has not ended
    (FULL[:3] + [("analysis", "ST", "stopped")], ("restart", "KR", "approved"), OK),
    (FULL, ("restart", "UU", "approved"), "plan_wrong_forum"),
    (FULL, ("restart", "KR", "approved"), OK),
])
def test_gate_order_and_refusals(before, step, code):
    done = rows(*before)
    if code is None:
        plans.check(done, *step)
    else:
        with pytest.raises(PlanError) as err:
            plans.check(done, *step)
        assert err.value.code == code


@pytest.mark.parametrize("steps, passed, nxt, waiting, status", [
    ([], [], "initiation", ["KR"], "idea"),
    (FULL[:1], ["initiation"], "direction", ["UU"], "idea"),
    (FULL[:2], ["initiation", "direction"], "overall_plan", ["ST"], "approved"),
    (FULL[:5], ["initiation", "direction", "overall_plan", "analysis"], "category_plan", ["UU"], "approved"),
    (FULL[:5] + [("category_plan", "UU", "returned")], ["initiation", "direction", "overall_plan", "analysis"],
     "category_plan", ["UU"], "approved"),
    (FULL, [g for g in plans.ORDER], None, [], "running"),
    (FULL[:2] + [("overall_plan", "ST", "stopped")], ["initiation", "direction"], None, [], "stopped"),
    # a restart opens a new round from political direction: the restart is the council's initiation
    (FULL + [("restart", "KR", "approved")], ["initiation"], "direction", ["UU"], "idea"),
])
def test_the_state_and_status_follow_the_gates(steps, passed, nxt, waiting, status):
    s = plans.state(rows(*steps))
    assert (s["passed"], s["next"], s["waiting"], s["status"]) == (passed, nxt, waiting, status)


@pytest.fixture
def planned(store):
    load_files(store, [("reskontra.csv", contract_ledger())])
    cat = store.execute("SELECT DISTINCT cp.l1_id FROM ledger_lines JOIN category_paths cp USING (category_id)").fetchall()
    assert len(cat) == 1
    sv.save_initiatives(store, [pr.Initiative("Förbrukning", [cat[0][0]], 3, 4, 4, saving_sek=100.0, start="2025 Q1",
                                              owner="Kim Ek")])
    return store, pr.load(store)[0].initiative_id, cat[0][0]


def test_decisions_move_the_status_and_approval_freezes_the_baseline(planned):
    cur, iid, _ = planned
    plans.record(cur, iid, "initiation", "KR", "approved", D, "KR 2025-01-10 § 3")
    assert pr.load(cur)[0].status == "idea" and sv.baseline(cur, iid) is None
    plans.record(cur, iid, "direction", "UU", "approved", D, "UU 2025-01-10 § 7", document=("beslut.pdf", b"%PDF-1.4"))
    assert pr.load(cur)[0].status == "approved" and sv.baseline(cur, iid) is not None
    with pytest.raises(PlanError) as err:
        plans.record(cur, iid, "analysis", "ST", "approved", D, "ST § 1")
    assert err.value.code == "plan_order" and len(plans.decisions(cur, iid)) == 2          # nothing written
    with pytest.raises(PlanError) as err:
        plans.record(cur, iid, "overall_plan", "ST", "approved", D, " ")
    assert err.value.code == "plan_minute"
    for gate, forum in (("overall_plan", "ST"), ("analysis", "ST"), ("category_plan", "KR"), ("category_plan", "UU")):
        plans.record(cur, iid, gate, forum, "approved", D, f"{forum} § 9")
    assert pr.load(cur)[0].status == "running"
    did = int(plans.decisions(cur, iid).decision_id.iloc[1])
    assert plans.document(cur, did) == ("beslut.pdf", b"%PDF-1.4")
    assert cur.execute("SELECT count(*) FROM audit_log WHERE action = 'plan_decision'").fetchall()[0][0] == 6


def test_versions_keep_the_previous_and_show_what_changed_since_approval(planned):
    cur, iid, _ = planned
    plan = plans.load(cur, iid)
    assert plan.version == 0 and plan.filled() == []
    plan.texts["purpose"] = "Sänka kostnaden för förbrukningsmaterial."
    plan.people = [{"name": "Kim Ek", "role": "Kategoriledare", "section": "staffing"}]
    assert plans.save(cur, plan) == 1
    again = plans.load(cur, iid)
    assert plans.save(cur, again) == 1                       # nothing changed: no new version
    stale = plans.load(cur, iid)
    again.texts["strategy"] = "Samla volymerna på ett ramavtal."
    assert plans.save(cur, again) == 2
    stale.texts["needs"] = "x"
    with pytest.raises(PlanError) as err:
        plans.save(cur, stale)                               # opened at version 1, saved over 2
    assert err.value.code == "plan_stale"
    assert list(plans.versions(cur, iid).version) == [1, 2]
    assert plans.load(cur, iid, 1).texts == {"purpose": "Sänka kostnaden för förbrukningsmaterial."}
    assert plans.load(cur, iid).filled() == ["purpose", "staffing", "strategy"]
    for gate, forum in [s[:2] for s in FULL]:
        plans.record(cur, iid, gate, forum, "approved", D, f"{forum} § 1")
    assert plans.approved_version(cur, iid) == 2
    assert plans.since_approved(cur, iid)["figures"] == {}
    # a new quarter of spend arrives: the approved version's figures are what it was approved on
    load_files(cur, [("mer.csv", contract_ledger().split(b"\n")[0] + b"\n"
                      + "Fi AB;{};6410;Förbrukningsmaterial;800,00;2025-07-20\n".format(CONTRACT_LINES[9][1]).encode())])
    changed = plans.since_approved(cur, iid)
    assert changed["version"] == 2 and changed["figures"]["spend"] == (1200.0, 2000.0)


def test_the_data_sections_equal_the_cube_and_the_compliance_figures(planned):
    cur, iid, cat = planned
    path = " / ".join(r[0] for r in cur.execute("""SELECT name FROM categories WHERE category_id IN
        (SELECT unnest([l1_id, l2_id]) FROM category_paths WHERE category_id = (SELECT category_id FROM ledger_lines
         WHERE supplier_name = 'Gimle AB' LIMIT 1)) ORDER BY level""").fetchall())
    before = plans.figures(cur, [cat])
    assert before["contract_share"] is None and plans.contract_analysis(cur, [cat]) is None
    contracts.import_register(cur, "avtal.csv", contract_register(path))
    f = plans.figures(cur, [cat], today=dt.date(2025, 1, 1))
    lo, hi = pr.window(pr.default_window_end(cur))
    view = cube.View(period_from=lo, period_to=hi, categories=(cat,))
    k = cube.kpis(cur, view)
    comp = contracts.compliance(cur, "category_l1", lo, hi)[1]
    assert f["spend"] == k["spend"] == comp["spend"] == 1200                      # 2024-08 .. 2025-07
    assert f["on_contract"] == comp["on_contract"] == 700 and f["contract_share"] == pytest.approx(700 / 1200)
    assert f["suppliers"] == k["suppliers"] == 1 and f["top_share"] == 1.0 and f["n80"] == 1
    sa = plans.spend_analysis(cur, [cat])
    assert list(sa["quarters"].spend) == [700.0, 500.0]                         # 2025 Q1 and Q3 and list(sa["suppliers"].supplier) == ["Alfa AB"]
    ca = plans.contract_analysis(cur, [cat], dt.date(2025, 1, 1))
    assert set(ca["contracts"].contract_id) == set(contracts.in_categories(cur, [cat], dt.date(2025, 1, 1)).contract_id)
    assert list(ca["off"].supplier) == ["Alfa AB"] and list(ca["off"].spend) == [500.0]
    assert f["contracts"] == len(ca["contracts"]) and f["ending_12"] == 1           # AV-1 ends 2025-06-30


def test_a_proposed_project_becomes_an_initiative(planned):
    cur, iid, cat = planned
    plan = plans.load(cur, iid)
    plan.projects = [{"name": "Gemensamt förbrukningsavtal", "saving_sek": 50.0, "start": "2025q3"}]
    plans.save(cur, plan)
    new = plans.project_to_initiative(cur, iid, 0)
    made = {i.initiative_id: i for i in pr.load(cur)}[new]
    assert (made.name, made.category_ids, made.saving_sek, made.start, made.status) == \
        ("Gemensamt förbrukningsavtal", [cat], 50.0, "2025 Q3", "idea")
    assert plans.load(cur, iid).projects[0]["initiative_id"] == new and plans.load(cur, iid).version == 2
    with pytest.raises(PlanError) as err:
        plans.project_to_initiative(cur, iid, 0)
    assert err.value.code == "plan_project_done"


def test_a_proposed_project_becomes_a_savings_line(planned):
    cur, iid, _ = planned
    plan = plans.load(cur, iid)
    plan.projects = [{"name": "Ramavtal städ", "saving_sek": 60.0, "start": "2025 Q3"},
                     {"name": "Utan belopp", "start": "2025 Q2"}, {"name": "För sent", "saving_sek": 10.0, "start": "2026 Q1"},
                     {"name": "Från start", "saving_sek": 5.0}]
    plans.save(cur, plan)
    assert list(sv.quarters(cur, iid).planned) == [25.0, 25.0, 25.0, 25.0]           # 100 spread over four quarters
    assert plans.project_to_saving(cur, iid, 0) == "2025 Q3"
    q = sv.quarters(cur, iid).set_index("quarter")
    assert q.planned.to_dict() == {"2025 Q1": 25.0, "2025 Q2": 25.0, "2025 Q3": 85.0, "2025 Q4": 25.0}
    assert q.loc["2025 Q3", "comment"] == "Ramavtal städ (+60 kr)" and q.planned_edited.sum() == 1
    assert plans.load(cur, iid).projects[0]["savings_quarter"] == "2025 Q3" and plans.load(cur, iid).version == 2
    assert plans.project_to_saving(cur, iid, 3) == "2025 Q1"                           # no start: the initiative's
    assert sv.quarters(cur, iid).planned.iloc[0] == 30.0
    before = (cur.execute("SELECT count(*), sum(planned) FROM savings_quarters").fetchall(), plans.load(cur, iid).version)
    for project, code in ((0, "plan_project_planned"), (1, "plan_project_saving"), (2, "plan_project_quarter"),
                          (9, "plan_project_missing")):
        with pytest.raises(PlanError) as err:
            plans.project_to_saving(cur, iid, project)
        assert err.value.code == code, project
    assert err.value.params == {"value": "10"}
    with pytest.raises(PlanError) as err:
        plans.project_to_initiative(cur, iid, 0)                                       # a savings line already
    assert err.value.code == "plan_project_planned" and err.value.params["quarter"] == "2025 Q3"
    assert (cur.execute("SELECT count(*), sum(planned) FROM savings_quarters").fetchall(),
            plans.load(cur, iid).version) == before                                    # refusals wrote nothing
    cur.execute("UPDATE savings_quarters SET signed_by = 'ekonomi' WHERE quarter = '2025 Q3'")
    plan = plans.load(cur, iid)
    plan.projects.append({"name": "Sent i Q3", "saving_sek": 7.0, "start": "2025 Q3"})
    plans.save(cur, plan)
    with pytest.raises(sv.SavingsError) as err:
        plans.project_to_saving(cur, iid, 4)
    assert err.value.code == "sav_signed" and "savings_quarter" not in plans.load(cur, iid).projects[4]


def test_versions_compared_word_by_word():
    assert plans.word_diff("Vi köper städ av tre leverantörer.", "Vi köper städ och fönsterputs av två leverantörer.") == [
        ("=", "Vi köper städ "), ("+", "och fönsterputs "), ("=", "av "), ("-", "tre"), ("+", "två"), ("=", " leverantörer.")]
    assert plans.word_diff("", "Ny text") == [("+", "Ny text")] and plans.word_diff("Gammal", "") == [("-", "Gammal")]
    old = plans.Plan(1, {"purpose": "Sänka kostnaden.", "needs": "Samma behov.", "strategy": "Ett avtal."})
    new = plans.Plan(1, {"purpose": "Sänka kostnaden kraftigt.", "needs": "Samma behov.", "market_analysis": "Tre aktörer."})
    got = plans.compare(old, new)
    assert [c["section"] for c in got] == ["purpose", "market_analysis", "strategy"]           # in the plan's order
    for c in got:                                                    # each side rebuilds its own text exactly
        assert "".join(t for op, t in c["pieces"] if op != "+") == old.texts.get(c["section"], "")
        assert "".join(t for op, t in c["pieces"] if op != "-") == new.texts.get(c["section"], "")
    assert got[0]["pieces"] == [("=", "Sänka kostnaden"), ("+", " kraftigt"), ("=", ".")]


def test_the_pack_shows_the_pipeline_and_the_kpis_of_crafted_plans(planned):
    from analytics.report import content
    cur, iid, cat = planned
    empty = content.build(cur, sections=("pipeline", "kpis"))
    assert [s.section for s in empty.slides] == ["title", "pipeline"] and len(empty.left_out) == 1   # no KPIs yet
    sv.save_initiatives(cur, [pr.Initiative("Städ", [cat]), pr.Initiative("Kontor", [cat])], replace=False)
    ids = {i.name: i.initiative_id for i in pr.load(cur)}
    for who, gate, forum, decision in ((iid, "initiation", "KR", "approved"), (iid, "direction", "UU", "approved"),
                                       (ids["Städ"], "initiation", "KR", "returned"),
                                       (ids["Kontor"], "initiation", "KR", "approved"),
                                       (ids["Kontor"], "direction", "UU", "stopped")):
        plans.record(cur, who, gate, forum, decision, D, f"{forum} § 1")
    kpis.define(cur, cat, "Antal leverantörer", "suppliers", 5, "down")
    kpis.define(cur, cat, "Leveransprecision", "entered", 0.95, "up", "share")
    pipe, kp = content.build(cur, sections=("pipeline", "kpis")).slides[1:]
    assert pipe.title == "Tre initiativ i beslutsgången: 2 väntar på beslut, flest i KR (1)"
    assert (pipe.chart.categories, pipe.chart.series) == (["Initiering", "Övergripande plan", "Stoppad"],
                                                          {"Initiativ": [1, 1, 1]})
    assert pipe.table.rows == [["Förbrukning", "Godkänd", "Politisk inriktning", "Övergripande plan (ST)", ""],
                               ["Städ", "Idé", "–", "Initiering (KR)", "Återremitterad"],
                               ["Kontor", "Stoppad", "Initiering", "–", "Stoppad"]]
    area = cur.execute("SELECT name FROM categories WHERE category_id = ?", [cat]).fetchall()[0][0]
    assert kp.title == "1 av 1 nyckeltal når målet 2025 Q3"                  # the entered one has no value yet
    assert kp.table.rows == [[area, "Antal leverantörer", "2025 Q3", "1", "5", "Uppfyllt", "±0"],
                             [area, "Leveransprecision", "2025 Q3", "–", "95,0 %", "–", "–"]]
    en = content.build(cur, sections=("pipeline", "kpis"), lang="en").slides[1:]
    assert en[0].title == "Three initiatives in the decision pipeline: 2 waiting for a decision, most in KR (1)"
    assert en[1].title.startswith("1 of 1 KPI")


@pytest.mark.parametrize("value, target, direction, expected", [
    (0.80, 0.80, "up", "met"), (0.75, 0.80, "up", "near"), (0.71, 0.80, "up", "missed"),
    (10.5, 10, "down", "near"), (10, 10, "down", "met"), (11.5, 10, "down", "missed"),
    (None, 0.8, "up", None), (0.5, None, "up", None),
])
def test_kpi_status_rules(value, target, direction, expected):
    assert kpis.status(value, target, direction) == expected


def test_kpis_measured_per_quarter_and_entered(planned):
    cur, iid, cat = planned
    contracts.import_register(cur, "avtal.csv", contract_register(
        " / ".join(r[0] for r in cur.execute("SELECT name FROM categories WHERE category_id = ?", [cat]).fetchall())))
    kid = kpis.define(cur, cat, "Avtalstrohet", "compliance", 0.8, "up")
    sup = kpis.define(cur, cat, "Antal leverantörer", "suppliers", 5, "down")
    q = kpis.define(cur, cat, "Leveransprecision", "entered", 0.95, "up", "share")
    kpis.enter(cur, q, "2025 Q3", 0.9, "två sena leveranser")
    with pytest.raises(PlanError) as err:
        kpis.enter(cur, kid, "2025 Q3", 0.9)
    assert err.value.code == "kpi_measured"
    with pytest.raises(PlanError) as err:
        kpis.define(cur, cat, "Fel", "compliance", 80, "up")
    assert err.value.code == "kpi_target"
    qs = kpis.loaded_quarters(cur)
    assert qs == ["2024 Q1", "2024 Q2", "2025 Q1", "2025 Q3"]
    comp = kpis.series(cur, kpis.definitions(cur).set_index("kpi_id").loc[kid].to_dict() | {"kpi_id": kid}, qs)
    # Q1 2024: 200 of 300 on AV-1; Q2: every line but Fi's 5 000 (RA-2, AV-3, G-2, G-3: 6 810 of 11 810)
    assert comp == {"2024 Q1": pytest.approx(200 / 300), "2024 Q2": pytest.approx(6810 / 11810),
                    "2025 Q1": pytest.approx(1.0), "2025 Q3": pytest.approx(0.0)}
    t = kpis.table(cur, [cat]).set_index("kpi_id")
    assert t.loc[kid, "value"] == 0.0 and t.loc[kid, "previous"] == 1.0 and t.loc[kid, "status"] == "missed"
    assert t.loc[sup, "value"] == 1 and t.loc[sup, "status"] == "met"
    assert (t.loc[q, "value"], t.loc[q, "status"], t.loc[q, "comment"]) == (0.9, "near", "två sena leveranser")


def test_the_word_paper_has_the_sections_figures_and_decisions(planned, tmp_path):
    from docx import Document
    cur, iid, cat = planned
    plan = plans.load(cur, iid)
    plan.texts["purpose"] = "Sänka kostnaden.\n\nSamla köpen."
    plan.prices = [{"component": "Material", "share": 0.6, "note": "index"}, {"component": "Frakt", "share": 0.1}]
    plans.save(cur, plan)
    plans.record(cur, iid, "initiation", "KR", "approved", D, "KR 2025-01-10 § 3")
    kpis.define(cur, cat, "Antal leverantörer", "suppliers", 5, "down")
    doc = Document(io.BytesIO(plan_doc.to_docx(plan_doc.content(cur, iid, "sv"))))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[:16] == [f"{n}. {t}" for n, t in enumerate([
        "Syfte och mål", "Bemanning", "Nulägesanalys", "Möjlighetsanalys", "Intressentanalys", "Behovsidentifiering",
        "Hävstångsanalys", "Maktbalans köpare/säljare", "Spendanalys för kategorin", "Prisnedbrytning", "Avtalsanalys",
        "Prisstrategi", "Marknadsanalys", "Substitut", "Strategi", "Teamets förslag till förbättringsprojekt"], start=1)]
    assert heads[16:] == ["Beslutshistorik", "Nyckeltal för kategoriområdet"]
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "0,0 MSEK" in texts or "0,00 MSEK" in texts                     # 1 200 kr over the window
    assert "Material" in texts and "60,0 %" in texts
    assert "KR 2025-01-10 § 3" in texts and "Initiering" in texts and "Godkänd" in texts
    assert "Antal leverantörer" in texts and "Uppfyllt" in texts
    assert any(p.text == "Samla köpen." for p in doc.paragraphs)
    assert len(doc.inline_shapes) == 1                                  # the spend chart
    assert plan_doc.to_pdf(plan_doc.content(cur, iid, "en")).startswith(b"%PDF")
    en = Document(io.BytesIO(plan_doc.to_docx(plan_doc.content(cur, iid, "en"))))
    assert [p.text for p in en.paragraphs if p.style.name == "Heading 1"][0] == "1. Purpose and goals"


def test_command_line_lists_plans_and_exports_a_paper(tmp_path, capsys):
    from analytics.store import connect
    db = tmp_path / "cli.duckdb"
    con = connect(db)
    cur = con.cursor()
    load_files(cur, [("reskontra.csv", contract_ledger())])
    cat = cur.execute("SELECT DISTINCT cp.l1_id FROM ledger_lines JOIN category_paths cp USING (category_id)").fetchall()[0][0]
    sv.save_initiatives(cur, [pr.Initiative("Förbrukning", [cat], start="2025 Q1")])
    iid = pr.load(cur)[0].initiative_id
    plan = plans.load(cur, iid)
    plan.texts = {"purpose": "Syfte", "strategy": "Strategi"}
    plans.save(cur, plan)
    plans.record(cur, iid, "initiation", "KR", "approved", D, "KR § 3")
    con.close()
    assert cli(["plans", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == [{"initiative": "Förbrukning", "gate": "initiation", "status": "idea", "sections": 16,
                    "sections_filled": 2, "decisions": [{"gate": "initiation", "forum": "KR", "decision": "approved",
                                                         "date": "2025-01-10", "minute": "KR § 3"}]}]
    for name in ("plan.docx", "plan.pdf"):
        assert cli(["plan", "export", "Förbrukning", "--out", str(tmp_path / name), "--lang", "en", "--db", str(db)]) == 0
        assert (tmp_path / name).stat().st_size > 2000
    assert cli(["plan", "export", "Okänt", "--out", str(tmp_path / "x.docx"), "--db", str(db)]) == 2
    assert "there is no initiative 'Okänt'" in capsys.readouterr().err
    assert cli(["plan", "export", "Förbrukning", "--out", str(tmp_path / "x.txt"), "--db", str(db)]) == 2


def test_savings_against_plan_counts_each_initiative_in_its_planned_quarters(planned, monkeypatch):
    """An area with two initiatives: one whose plan ended in Q1 but goes on saving, one planned
    from Q2. Q2 sets the second's measured saving against its plan alone."""
    import pandas as pd
    cur, _, cat = planned
    ended = pr.Initiative("Slutförd", [cat], 3, 4, 4, saving_sek=400.0, start="2025 Q1", initiative_id=101)
    ongoing = pr.Initiative("Pågående", [cat], 3, 4, 4, saving_sek=200.0, start="2025 Q2", initiative_id=102)
    outside = pr.Initiative("Annat område", [cat + 10_000], 3, 4, 4, saving_sek=900.0, start="2025 Q1", initiative_id=103)
    rows = {101: [("2025 Q1", 100.0, 80.0), ("2025 Q2", 0.0, 500.0)],
            102: [("2025 Q2", 50.0, 40.0), ("2025 Q3", 50.0, None)],
            103: [("2025 Q1", 225.0, 900.0), ("2025 Q2", 225.0, 900.0)]}
    monkeypatch.setattr(pr, "load", lambda cur: [ended, ongoing, outside])
    monkeypatch.setattr(sv, "quarters", lambda cur, iid: pd.DataFrame(rows[iid], columns=["quarter", "planned", "measured"]))
    kpi = {"kpi_id": 0, "category_id": cat, "measure": "savings_vs_plan"}
    got = kpis.series(cur, kpi, ["2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3"])
    assert got == {"2024 Q4": None, "2025 Q1": pytest.approx(0.8), "2025 Q2": pytest.approx(0.8), "2025 Q3": 0.0}
