"""The contract register and avtalstrohet, hand-computed on a crafted ledger: period edges, a used
and an unused extension option, a framework with three ranked suppliers, a supplier without an
organisation number (linked by name), a line two contracts match; the register file's mapping and
its refusals (row and column, nothing written); the command line."""

import datetime as dt
import json

import pytest

from analytics import contracts, cube, derived
from analytics import format as fmt
from analytics.errors import ContractError
from analytics.ingest import load_files
from tests.crafted import CA as A
from tests.crafted import CF as F
from tests.crafted import CONTRACT_LINES as LINES
from tests.crafted import CONTRACT_ON as ON
from tests.crafted import CONTRACT_TOTAL as TOTAL
from tests.crafted import contract_ledger as ledger
from tests.crafted import contract_register as register
from tests.crafted import derived_state


@pytest.fixture
def linked(store):
    load_files(store, [("reskontra.csv", ledger())])
    path = store.execute("""SELECT cp.l1_id, cp.l2_id FROM ledger_lines l JOIN category_paths cp USING (category_id)
                            WHERE l.supplier_name = 'Gimle AB' LIMIT 1""").fetchall()[0]
    category = " / ".join(r[0] for r in store.execute(
        "SELECT name FROM categories WHERE category_id IN (?, ?) ORDER BY level", list(path)).fetchall())
    contracts.import_register(store, "avtal.csv", register(category))
    return store


def contract_of(cur, supplier, day):
    return cur.execute("SELECT contract_id FROM ledger_lines WHERE supplier_name = ? AND booking_date = ?",
                       [supplier, dt.date.fromisoformat(day)]).fetchall()[0][0]


def test_lines_link_by_supplier_period_extensions_and_category(linked):
    assert not linked.execute("SELECT count(*) FROM ledger_lines WHERE excluded").fetchall()[0][0]
    got = {(s, d): contract_of(linked, s, d) for s, _o, d, _a in LINES}
    assert got == {
        ("Alfa AB", "2024-01-31"): None, ("Alfa AB", "2024-02-01"): "AV-1", ("Alfa AB", "2025-01-31"): "AV-1",
        ("Alfa AB", "2025-02-01"): "AV-1", ("Alfa AB", "2025-07-01"): None,
        ("Beta AB", "2024-06-01"): "RA-2", ("Gamma AB", "2024-06-02"): "RA-2", ("Delta AB", "2024-06-03"): "RA-2",
        ("Epsilon Konsult", "2024-06-04"): "AV-3", ("Fi AB", "2024-06-05"): None,
        ("Gimle AB", "2024-05-01"): "G-2", ("Gimle AB", "2024-06-01"): "G-3"}


def test_avtalstrohet_total_and_by_supplier_with_coverage(linked):
    rows = contracts.compliance(linked, "supplier")
    total = rows[0]
    assert total["key"] is None and total["spend"] == TOTAL and total["on_contract"] == ON
    assert total["share"] == pytest.approx(ON / TOTAL)
    assert total["coverage"] == pytest.approx((TOTAL - 700) / TOTAL)          # Epsilon has no number
    by = {r["key"]: (r["spend"], r["on_contract"]) for r in rows[1:]}
    assert by["Alfa AB"] == (1500, 900) and by["Fi AB"] == (5000, 0) and by["Epsilon Konsult"] == (700, 700)
    quarters = {r["key"]: r["on_contract"] for r in contracts.compliance(linked, "quarter")[1:]}
    assert quarters == {"2024 Q1": 200, "2024 Q2": 6810, "2025 Q1": 700, "2025 Q3": 0}
    part = contracts.compliance(linked, None, dt.date(2025, 1, 1), dt.date(2025, 12, 1))[0]
    assert (part["spend"], part["on_contract"]) == (1200, 700)
    assert part["months_share"] == pytest.approx(3 / 12)                     # Jan, Feb and Jul of 2025


def test_register_reads_framework_ranks_options_and_ceilings(linked):
    reg = {c.contract_id: c for c in contracts.register(linked)}
    assert [(s.name, s.rank) for s in reg["RA-2"].suppliers] == [("Beta AB", 1), ("Gamma AB", 2), ("Delta AB", 3)]
    assert reg["RA-2"].options == [(dt.date(2025, 12, 31), False), (dt.date(2026, 12, 31), False)]
    assert reg["AV-1"].options == [(dt.date(2025, 6, 30), True), (dt.date(2025, 12, 31), False)]
    assert reg["AV-1"].last_day == dt.date(2025, 6, 30) and reg["AV-3"].last_day is None
    assert (reg["RA-2"].kind, reg["AV-3"].kind, reg["RA-2"].ceiling, reg["AV-1"].owner) == \
        ("framework", "direct_award", 10_000, "Anna Ek")
    ceil = contracts.ceilings(linked, today=dt.date(2025, 7, 15)).set_index("contract_id")
    assert ceil.loc["RA-2", "spend"] == 6000 and ceil.loc["RA-2", "used_share"] == pytest.approx(0.6)
    # 900 over five loaded months of its period, four months left to 2025-06: 900 + 4 x 180
    assert ceil.loc["AV-1", "spend"] == 900 and ceil.loc["AV-1", "forecast"] == pytest.approx(1620)
    assert bool(ceil.loc["AV-1", "over_ceiling"]) is True
    # 6,000 over four loaded months of 2024 (January, February, May, June), six months to its end
    assert ceil.loc["RA-2", "forecast"] == pytest.approx(15_000) and bool(ceil.loc["RA-2", "over_ceiling"]) is True
    assert ceil.loc["RA-2", "monthly_pace"] == pytest.approx(1500)
    ren = contracts.renewals(linked, today=dt.date(2024, 10, 1))
    assert list(ren.contract_id) == ["G-1", "G-3", "RA-2", "AV-1"]
    assert list(ren.horizon) == [6, 6, 6, 12]
    off = contracts.off_contract(linked).set_index("supplier")
    assert off.loc["Fi AB", "spend"] == 5000 and "Beta AB" not in off.index


def test_export_reads_back_as_the_same_register(linked, tmp_path):
    before = contracts.register(linked)
    path = tmp_path / "avtal.xlsx"
    assert contracts.write_register_file(linked, path) == 6
    contracts.import_register(linked, path.name, path.read_bytes(), replace=True)
    assert contracts.register(linked) == before
    assert contract_of(linked, "Gimle AB", "2024-05-01") == "G-2"


def test_a_changed_register_relinks_and_replace_removes(linked):
    contracts.import_register(linked, "ny.csv", (
        "Avtalsnummer;Avtalsnamn;Organisationsnummer;Startdatum;Slutdatum\n"
        f"F-1;Fi-avtalet;{F};2024-01-01;2024-12-31\n").encode(), replace=True)
    assert contract_of(linked, "Fi AB", "2024-06-05") == "F-1"
    assert contract_of(linked, "Beta AB", "2024-06-01") is None
    assert contracts.compliance(linked)[0]["on_contract"] == 5000
    assert linked.execute("SELECT count(*) FROM contracts").fetchall()[0][0] == 1


def test_the_cube_contract_dimension_equals_the_compliance_figures(linked):
    status = cube.pivot(linked, cube.View(), "contract_status").body().set_index("r_key")
    assert status.loc["on", "spend"] == ON and status.loc["off", "spend"] == TOTAL - ON
    by_contract = {r.r_key: r.spend for r in cube.pivot(linked, cube.View(), "contract").body().itertuples()}
    assert by_contract == {None: TOTAL - ON, "RA-2": 6000, "AV-1": 900, "AV-3": 700, "G-2": 50, "G-3": 60}
    labels = {r.r_key: r.r_label for r in cube.pivot(linked, cube.View(), "contract").body().itertuples()}
    assert labels["RA-2"] == "RA-2 Ramavtal förbrukning"
    # by quarter and by category: each row's 'on' cell is the compliance row's on_contract
    for by, dim in (("quarter", "quarter"), ("category_l1", "category_l1")):
        grid = cube.pivot(linked, cube.View(), dim, "contract_status").part("cell")
        on = {r.r_label: r.spend for r in grid.itertuples() if r.c_key == "on"}
        spend = {r.r_label: r.spend for r in cube.pivot(linked, cube.View(), dim).body().itertuples()}
        for row in contracts.compliance(linked, by)[1:]:
            assert on.get(row["key"], 0) == row["on_contract"] and spend[row["key"]] == row["spend"]
    drilled = cube.kpis(linked, cube.View(drill=(("contract_status", "off"),)))
    assert drilled["spend"] == TOTAL - ON
    assert cube.drill_key("contract_status", "on") == "on"
    with pytest.raises(ValueError):
        cube.drill_key("contract_status", "maybe")


def test_a_register_change_leaves_the_cube_as_a_full_rebuild(linked):
    reg = {c.contract_id: c for c in contracts.register(linked)}
    reg["AV-1"].end = dt.date(2024, 6, 30)
    reg["AV-1"].options = []
    fi = contracts.Contract("F-1", "Fi-avtalet", dt.date(2024, 6, 1), dt.date(2024, 6, 30),
                            suppliers=[contracts.Supplier("Fi AB", F, None)])
    contracts.save_contracts(linked, [reg["AV-1"], fi], removed=["RA-2"])
    after = derived_state(linked)
    assert contracts.compliance(linked)[0]["on_contract"] == 200 + 700 + 5000 + 50 + 60
    derived.rebuild(linked)
    assert derived_state(linked) == after
    status = {r.r_key: r.spend for r in cube.pivot(linked, cube.View(), "contract_status").body().itertuples()}
    assert status["on"] == 200 + 700 + 5000 + 50 + 60


def test_prioritisation_shows_avtalstrohet_and_the_contracts_ending(linked):
    from analytics import prioritise
    cat = linked.execute("SELECT DISTINCT cp.l1_id FROM ledger_lines JOIN category_paths cp USING (category_id)").fetchall()
    assert len(cat) == 1                       # every line on one account: one area
    # the window is the 12 months to 2025-07: Alfa's 300 and 400 under AV-1, its 500 off contract
    fig = prioritise.category_figures(linked, [cat[0][0]], dt.date(2025, 7, 1))
    assert (fig["spend"], fig["on_contract"]) == (1200, 700) and fig["contract_share"] == pytest.approx(700 / 1200)
    row = prioritise.table(linked, [prioritise.Initiative("Förbrukning", [cat[0][0]])], today=dt.date(2024, 10, 1)).iloc[0]
    assert row.contract_coverage == pytest.approx(700 / 1200)
    # AV-1 (lines in the window) ends 2025-06-30 with its used option; G-2 (linked to the category) has ended
    assert row.renewal == dt.date(2025, 6, 30) and row.renewal_contracts == ["AV-1"] and row.renewal_spend == 700
    later = prioritise.table(linked, [prioritise.Initiative("Förbrukning", [cat[0][0]])], today=dt.date(2025, 7, 1)).iloc[0]
    assert later.renewal is None and later.renewal_contracts == []
    listed = contracts.in_categories(linked, [cat[0][0]], dt.date(2024, 5, 1)).set_index("contract_id")
    assert sorted(listed.index) == ["AV-1", "G-2"] and bool(listed.loc["G-2", "valid"]) is True


def test_without_a_register_contract_coverage_is_unknown_not_zero(store):
    from analytics import prioritise
    load_files(store, [("reskontra.csv", ledger())])
    cat = store.execute("SELECT DISTINCT cp.l1_id FROM ledger_lines JOIN category_paths cp USING (category_id)").fetchall()
    fig = prioritise.category_figures(store, [cat[0][0]], dt.date(2025, 7, 1))
    assert fig["spend"] == 1200 and fig["contract_share"] is None and fig["on_contract"] is None
    row = prioritise.table(store, [prioritise.Initiative("Förbrukning", [cat[0][0]])]).iloc[0]
    assert row.contract_coverage is None and row.renewal is None


def test_the_editor_reads_back_the_register_and_saves_only_what_changed(linked):
    before = contracts.register(linked)
    rows = contracts.editor_table(linked).to_dict("records")
    assert contracts.from_editor(linked, rows) == before
    ra2 = next(r for r in rows if r["contract_id"] == "RA-2")
    assert (ra2["supplier_name"], ra2["rank"]) == ("Beta AB; Gamma AB; Delta AB", "1; 2; 3")
    audits = linked.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    assert contracts.save_editor(linked, rows) == {"changed": 0, "added": 0, "removed": 0}
    assert linked.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == audits        # nothing to save
    for r in rows:
        if r["contract_id"] == "AV-1":
            r["options"] = None                # the used extension is gone: Alfa's February 2025 line falls off
    rows = [r for r in rows if r["contract_id"] != "AV-3"] + [
        {"contract_id": "F-1", "name": "Fi-avtalet", "kind": "contract", "supplier_name": "Fi AB; Okänd AB",
         "org_no": f"{F}; ", "start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31), "ceiling": 5000.0}]
    assert contracts.save_editor(linked, rows) == {"changed": 1, "added": 1, "removed": 1}
    assert contract_of(linked, "Alfa AB", "2025-02-01") is None and contract_of(linked, "Fi AB", "2024-06-05") == "F-1"
    assert contract_of(linked, "Epsilon Konsult", "2024-06-04") is None
    fi = {c.contract_id: c for c in contracts.register(linked)}["F-1"]
    assert [(x.name, x.org_no) for x in fi.suppliers] == [("Fi AB", F), ("Okänd AB", None)] and fi.ceiling == 5000
    actions = [r[0] for r in linked.execute("SELECT action FROM audit_log ORDER BY audit_id DESC LIMIT 2").fetchall()]
    assert sorted(actions) == ["contract_delete", "contract_save"]


def test_a_wrong_editor_row_is_refused_by_row_and_column_and_nothing_is_written(linked):
    before = contracts.register(linked)
    rows = contracts.editor_table(linked).to_dict("records")
    rows[1]["start"] = None
    rows[2]["options"] = "snart"
    with pytest.raises(ContractError) as err:
        contracts.save_editor(linked, rows, labels={"start": "Start", "options": "Förlängningsoptioner"})
    problems = err.value.params["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "Start"), (3, "Förlängningsoptioner")]
    assert contracts.register(linked) == before
    rows = contracts.editor_table(linked).to_dict("records")
    rows.append(dict(rows[0]))
    with pytest.raises(ContractError) as err:
        contracts.save_editor(linked, rows)
    assert err.value.code == "contract_duplicate" and contracts.register(linked) == before


REFUSALS = [
    ("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum\nX-1;Ett;A AB;31 mars\n", 2, "Startdatum", "is not a date"),
    (f"Avtalsnummer;Avtalsnamn;Organisationsnummer;Startdatum\nX-1;Ett;{A[:-1]}{(int(A[-1]) + 1) % 10};2024-01-01\n", 2,
     "Organisationsnummer", "not a valid organisation number"),
    ("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum;Slutdatum\nX-1;Ett;A AB;2024-05-01;2024-01-01\n", 2,
     "Slutdatum", "before it starts"),
    ("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum;Kategori\nX-1;Ett;A AB;2024-01-01;Rymdfärder\n", 2,
     "Kategori", "is not a category"),
    ("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum\nX-1;Ett;A AB;2024-01-01\nX-1;Två;B AB;2024-01-01\n", 3,
     "Avtalsnamn", "disagrees"),
    ("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum;Slutdatum;Förlängning;Nyttjad förlängning\n"
     "X-1;Ett;A AB;2024-01-01;2024-12-31;1+1;ja\n", 2, "Nyttjad förlängning", "say how many"),
    ("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum;Avtalstyp\nX-1;Ett;A AB;2024-01-01;Handslag\n", 2,
     "Avtalstyp", "not a contract type"),
]


@pytest.mark.parametrize("text, row, column, words", REFUSALS)
def test_a_bad_register_is_refused_by_row_and_column_and_nothing_is_written(linked, text, row, column, words):
    before = contracts.register(linked)
    with pytest.raises(ContractError) as exc:
        contracts.import_register(linked, "fel.csv", text.encode(), replace=True)
    assert (exc.value.row, exc.value.column) == (row, column) and words in str(exc.value)
    assert contracts.register(linked) == before


def test_missing_columns_and_existing_ids_are_refused(linked):
    with pytest.raises(ContractError) as exc:
        contracts.import_register(linked, "x.csv", "Avtalsnamn;Leverantör\nEtt;A AB\n".encode())
    assert exc.value.code == "contracts_columns" and "contract_id" in str(exc.value)
    with pytest.raises(ContractError) as exc:
        contracts.import_register(linked, "igen.csv", register("Förbrukningsmaterial"))
    assert exc.value.code == "contracts_exist" and "AV-1" in str(exc.value)


def test_a_mapping_names_columns_the_vocabulary_does_not_know(store):
    text = f"Nr;Rubrik;Motpart org;Gäller;Slut\nK-9;Städ;{A};2024-01-01;2024-12-31\n".encode()
    with pytest.raises(ContractError):
        contracts.import_register(store, "egen.csv", text)
    mapping = {"contract_id": "Nr", "name": "Rubrik", "org_no": "Motpart org", "start": "Gäller", "end": "Slut"}
    contracts.save_profile(store, "egen", mapping)
    assert contracts.load_profile(store, "egen") == mapping
    contracts.import_register(store, "egen.csv", text, mapping=contracts.load_profile(store, "egen"))
    (c,) = contracts.register(store)
    assert (c.contract_id, c.name, c.suppliers[0].org_no, c.end) == ("K-9", "Städ", A, dt.date(2024, 12, 31))


@pytest.mark.parametrize("text, value", [("12 000 000", 12e6), ("12 000 000 kr", 12e6), ("12,5 mnkr", 12.5e6),
                                         ("1 200 tkr", 1.2e6), ("4.5 MSEK", 4.5e6), ("1.234.567,50", 1234567.5),
                                         ("1,500,000", 1.5e6), ("750,50", 750.5)])
def test_ceilings_as_registers_write_them(text, value):
    assert contracts.parse_money(text) == value


def test_options_as_registers_write_them():
    end = dt.date(2024, 12, 31)
    assert contracts.parse_options("2+1", end) == [(dt.date(2026, 12, 31), False), (dt.date(2027, 12, 31), False)]
    assert contracts.parse_options("2 x 6 mån", dt.date(2024, 6, 30)) == [(dt.date(2024, 12, 30), False),
                                                                          (dt.date(2025, 6, 30), False)]
    assert contracts.parse_options("nej", end) == []
    assert contracts.apply_used(contracts.parse_options("1+1+1", end), "2026-12-31") == [
        (dt.date(2025, 12, 31), True), (dt.date(2026, 12, 31), True), (dt.date(2027, 12, 31), False)]


def test_command_line_imports_exports_and_reports_compliance(tmp_path):
    import subprocess
    import sys

    from analytics.store import connect
    from tests.conftest import ROOT
    db = tmp_path / "cli.duckdb"
    con = connect(db)
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    con.close()
    reg = tmp_path / "avtal.csv"
    reg.write_bytes(register("Förbrukningsmaterial").replace(b"Kategori", b"Anteckning"))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "analytics", *args, "--db", str(db)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    bad = tmp_path / "fel.csv"
    bad.write_text("Avtalsnummer;Avtalsnamn;Leverantör;Startdatum\nX-1;Ett;A AB;igår\n", encoding="utf-8")
    r = cli("contracts", "import", str(bad))
    assert r.returncode == 2 and "fel.csv" in r.stderr and "row 2" in r.stderr and "Startdatum" in r.stderr
    assert "nothing was imported" in r.stderr and "Traceback" not in r.stderr
    assert cli("contracts", "import", str(reg)).returncode == 0
    r = cli("compliance", "--json")
    assert r.returncode == 0
    total = json.loads(r.stdout)[0]
    # without categories G-2 is as specific as G-1 and G-3 and covers Gimle's May line too
    assert (total["key"], total["spend"], total["on_contract"]) == (None, TOTAL, ON)
    assert total["share"] == pytest.approx(ON / TOTAL) and total["months_share"] == pytest.approx(7 / 19)
    con = connect(db)                           # a line no rule classifies, outside the quarter asked below
    load_files(con.cursor(), [("udda.csv", "Leverantör;Konto;Kontotext;Belopp;Bokföringsdatum\n"
                                           "Qwerty AB;12345;Xyzzy;500,00;2023-06-15\n".encode("utf-8"))])
    con.close()
    r = cli("compliance", "--by", "category_l1")
    names = [line.split("\t")[0] for line in r.stdout.splitlines()]
    assert r.returncode == 0 and names[0] == "Total" and "(unclassified)" in names and "" not in names
    r = cli("compliance", "--by", "quarter", "--from", "2025-01", "--to", "2025-03", "--json")
    assert [(x["key"], x["on_contract"]) for x in json.loads(r.stdout)] == [(None, 700), ("2025 Q1", 700)]
    out = tmp_path / "ut.xlsx"
    r = cli("contracts", "export", str(out))
    assert r.returncode == 0 and "6 contracts" in r.stdout
    assert cli("contracts", "import", str(out)).returncode == 2          # the ids are there already
    assert cli("contracts", "import", str(out), "--replace").returncode == 0
    assert cli("compliance", "--by", "region").returncode == 2


def test_the_pack_has_a_contracts_slide_with_compliance_by_category_and_expiries(linked):
    import io

    from pptx import Presentation

    from analytics import report as rp
    from analytics.periods import add_months
    soon = add_months(dt.date.today(), 3)
    contracts.save_contracts(linked, [contracts.Contract("F-1", "Fi-avtalet", dt.date(2024, 6, 1), soon, owner="Eva Ek",
                                                         suppliers=[contracts.Supplier("Fi AB", F, None)])])
    on = ON + 5000                                            # Fi's line of 2024-06-05 is now under F-1
    slide = next(s for s in rp.build(linked, sections=("contracts",)).slides if s.section == "contracts")
    assert slide.title == (f"Avtalstrohet {fmt.percent(on / TOTAL)}: {fmt.amount(TOTAL - on)} köps utanför avtal; "
                           "1 avtal löper ut inom 12 månader")
    assert slide.chart.series == {"Under avtal": [round(on / 1e6, 6)], "Utanför avtal": [round((TOTAL - on) / 1e6, 6)]}
    # its yearly spend is over the last 12 loaded months (2024-08 to 2025-07), after Fi's line
    assert slide.table.rows == [["F-1 Fi-avtalet", "Eva Ek", soon, 0.0]]
    assert "Täckning: " in slide.note
    prs = Presentation(io.BytesIO(rp.to_pptx(rp.build(linked, sections=("contracts",)))))
    texts = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
    assert slide.title in texts
    contracts.save_contracts(linked, [], removed=[c.contract_id for c in contracts.register(linked)])
    report = rp.build(linked, sections=("contracts",))
    assert not [s for s in report.slides if s.section == "contracts"] and "avtalen (ingen avtalskatalog inläst)" in \
        report.slides[0].bullets[-1]


def test_every_cell_problem_is_worded_in_both_languages():
    """A refused register lists each cell's problem in the UI's language: every code the reader
    raises has its catalog entry, with the same placeholders as the English message's params."""
    import re
    from pathlib import Path

    from analytics.texts import translate
    source = Path(contracts.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'CellProblem\("(cell_[a-z_]+)"', source)) | set(re.findall(r'"code": "(cell_[a-z_]+)"', source))
    assert len(codes) >= 25
    for code in codes:
        for lang in ("sv", "en"):
            assert translate(lang, f"cellp.{code}") != f"cellp.{code}", (code, lang)
    with pytest.raises(ContractError) as err:
        contracts.read_register(None, "a.csv", "Avtalsnummer;Avtalsnamn;Leverantör;Startdatum\nX;Y;Z AB;31 mars\n".encode())
    p = err.value.params["problems"][0]
    assert translate("sv", f"cellp.{p['code']}", **p["params"]) == "'31 mars' är inget datum (skriv det som 2024-03-31)"
