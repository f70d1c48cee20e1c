"""The spend cube against hand-computed figures on small crafted ledgers."""

import datetime as dt
import io
import json
import re

import openpyxl
import pytest

from analytics import cube
from analytics.__main__ import main as cli
from analytics.export import Sheet, csv_bytes, neutralise, xlsx_bytes
from analytics.ingest import load_files
from tests.crafted import ALFA, BETA
from tests.crafted import cube_ledger as ledger
from tests.ledgers import luhn_org as org


@pytest.fixture
def loaded(store):
    """The crafted ledger with Delta kommun (a public body) counted: that default exclusion is
    switched off, so the cube's arithmetic is checked on every line."""
    from analytics.classify import set_preset
    set_preset(store, "public", False)
    load_files(store, [("reskontra.csv", ledger())])
    return store


def cat_id(cur, name):
    return cur.execute("SELECT category_id FROM categories WHERE name = ?", [name]).fetchall()[0][0]


def test_lines_get_categories_from_the_account_mapping(loaded):
    rows = dict(loaded.execute("""SELECT l.account, c.name FROM ledger_lines l LEFT JOIN categories c USING (category_id)
                                  GROUP BY ALL""").fetchall())
    assert rows == {"64210": "Livsmedel", "64410": "Kontorsmaterial", "99999": None, "64510": "Förbrukningsmaterial"}


def test_kpis_net_credit_notes_and_show_coverage(loaded):
    k = cube.kpis(loaded, cube.View())
    assert k["spend"] == pytest.approx(1880.0)        # 1000 + 500 - 200 + 300 + 50 + 150 + 80
    assert (k["lines"], k["suppliers"], k["org_units"], k["credit_notes"]) == (7, 5, 2, 1)
    assert k["classified_share"] == pytest.approx(1830 / 1880)       # Gamma's 50 is unclassified
    assert k["valid_org_share"] == pytest.approx(1800 / 1880)        # not the sole trader's 80
    without = cube.kpis(loaded, cube.View(credit="without"))
    assert without["spend"] == pytest.approx(2080.0) and without["credit_notes"] == 0
    only = cube.kpis(loaded, cube.View(credit="only"))
    assert only["spend"] == pytest.approx(-200.0) and only["lines"] == 1


def test_change_against_the_same_months_a_year_earlier(loaded):
    jan = cube.View(period_from=dt.date(2024, 1, 1), period_to=dt.date(2024, 1, 1))
    k = cube.kpis(loaded, jan)
    assert k["prev_complete"] and k["prev_spend"] == pytest.approx(150.0)
    assert k["change"] == pytest.approx((1000 - 150) / 150)
    q1 = cube.kpis(loaded, cube.View(period_from=dt.date(2024, 1, 1), period_to=dt.date(2024, 3, 1)))
    assert not q1["prev_complete"] and q1["change"] is None          # 2023-02 and 2023-03 are not loaded


def test_totals_are_conserved_across_every_pivot(loaded):
    total = 1880.0
    for rows in cube.DIMENSIONS:
        for cols in (None, "org_unit", "category_l1", "quarter", "supplier"):
            p = cube.pivot(loaded, cube.View(), rows, cols, top=2, top_cols=2)
            assert p.total["spend"] == pytest.approx(total), (rows, cols)
            assert p.body().spend.sum() == pytest.approx(total), (rows, cols)
            if p.cols:
                cells = p.data[p.data.kind == "cell"]
                assert cells.spend.sum() == pytest.approx(total)
                assert p.data[p.data.kind == "col"].spend.sum() == pytest.approx(total)
                assert p.data[p.data.kind == "col"].lines.sum() == 7
            assert p.total["suppliers"] == 5


def test_pivot_cells_by_hand(loaded):
    p = cube.pivot(loaded, cube.View(), "category_l3", "org_unit")
    cells = {(r, c): (s, n, k) for r, c, s, n, k in
             p.data[p.data.kind == "cell"][["r_label", "c_label", "spend", "lines", "suppliers"]].itertuples(index=False)}
    assert cells[("Livsmedel", "Skola")] == (1150.0, 2, 2)
    assert cells[("Livsmedel", "Omsorg")] == (500.0, 1, 1)
    assert cells[("Kontorsmaterial", "Skola")] == (100.0, 2, 2)
    assert cells[(None, "Omsorg")] == (50.0, 1, 1)                   # unclassified
    rows = {r: (s, k) for r, s, k in p.data[p.data.kind == "row"][["r_label", "spend", "suppliers"]].itertuples(index=False)}
    assert rows["Livsmedel"] == (1650.0, 2)                          # Alfa and Delta, distinct across units
    cols = {c: (s, k) for c, s, k in p.data[p.data.kind == "col"][["c_label", "spend", "suppliers"]].itertuples(index=False)}
    assert cols == {"Skola": (1250.0, 3), "Omsorg": (630.0, 3)}


def test_top_n_folds_the_rest_into_others_with_exact_counts(loaded):
    p = cube.pivot(loaded, cube.View(), "supplier", top=2)
    body = p.body()
    assert list(body.r_label[:2]) == ["Alfa AB", "Beta AB"]
    others = body[body.r_other].iloc[0]
    assert (others.spend, others.lines, others.suppliers) == (280.0, 3, 3)   # Delta 150, Firma 80, Gamma 50
    table = cube.wide(p)
    assert list(table.supplier) == ["Alfa AB", "Beta AB", "Övriga", "Totalt"]
    assert table.share.iloc[0] == pytest.approx(1300 / 1880)
    assert table.spend.iloc[-1] == pytest.approx(1880.0)


def test_sorting_keeps_others_and_total_last(loaded):
    p = cube.pivot(loaded, cube.View(), "supplier", top=3)
    asc = cube.wide(p, sort_by="spend", ascending=True)
    assert list(asc.supplier) == ["Delta kommun", "Beta AB", "Alfa AB", "Övriga", "Totalt"]
    by_name = cube.wide(p, sort_by="label")
    assert list(by_name.supplier[:3]) == ["Alfa AB", "Beta AB", "Delta kommun"]
    wide2 = cube.wide(cube.pivot(loaded, cube.View(), "org_unit", "year"), measure="spend")
    assert list(wide2.columns) == ["org_unit", "2024", "2023", "Totalt"]
    assert wide2.iloc[-1]["Totalt"] == pytest.approx(1880.0)


def test_sole_traders_are_masked_everywhere(loaded):
    p = cube.pivot(loaded, cube.View(), "supplier")
    labels = set(p.data.r_label.dropna())
    tagged = [x for x in labels if re.fullmatch(r"Enskild firma #[0-9A-F]{6}", x)]
    assert len(tagged) == 1 and not any("Anna" in x or "800512" in x for x in labels)
    df, n, _ = cube.lines(loaded, cube.View(drill=(("legal_form", "sole_trader"),)))
    assert n == 1 and df.supplier_name[0] == tagged[0] and df.org_no[0] == tagged[0].removeprefix("Enskild firma ")
    rows = cube.spend_by(loaded, ["supplier"])
    assert tagged[0] in [r["supplier"] for r in rows]


def test_filters_apply_to_every_element(loaded):
    food = cat_id(loaded, "Måltider och livsmedel")
    v = cube.View(categories=(food,))
    assert cube.kpis(loaded, v)["spend"] == pytest.approx(1650.0)
    assert cube.pivot(loaded, v, "supplier").total["suppliers"] == 2
    assert cube.pareto(loaded, v)["suppliers"] == 2
    assert cube.lines(loaded, v)[1] == 3
    assert cube.year_over_year(loaded, v).spend.sum() == pytest.approx(1650.0)
    unclassified = cube.View(categories=(0,))
    assert cube.kpis(loaded, unclassified)["spend"] == pytest.approx(50.0)
    sup = cube.View(suppliers=(f"org:{ALFA.replace('-', '')}",), units=("Skola",))
    assert cube.kpis(loaded, sup)["spend"] == pytest.approx(800.0)
    acct = cube.View(accounts=("64410",))
    assert cube.kpis(loaded, acct)["spend"] == pytest.approx(100.0)


def test_amount_range_runs_on_the_lines_and_agrees_with_the_aggregate(loaded):
    everything = cube.View(amount_min=-1e12)
    assert everything.needs_lines and cube.source(everything) == cube.LINE_SOURCE
    for rows in ("category_l2", "supplier", "month", "legal_form"):
        a = cube.pivot(loaded, cube.View(), rows, "org_unit").data.sort_values(["kind", "r_label", "c_label"], key=lambda s: s.astype(str))
        b = cube.pivot(loaded, everything, rows, "org_unit").data.sort_values(["kind", "r_label", "c_label"], key=lambda s: s.astype(str))
        assert list(a.spend) == list(b.spend) and list(a.suppliers) == list(b.suppliers)
    ranged = cube.View(amount_min=100, amount_max=600)
    k = cube.kpis(loaded, ranged)
    assert (k["spend"], k["lines"]) == (pytest.approx(950.0), 3)     # 500 + 300 + 150


def test_drill_down_path_narrows_each_step(loaded):
    food = cat_id(loaded, "Verksamhet & stöd")
    v = cube.View(drill=(("category_l1", food),))
    l2 = cube.pivot(loaded, v, cube.DRILL_NEXT["category_l1"])
    assert list(l2.body().r_label) == ["Måltider och livsmedel"]
    l2_id = l2.body().r_key.iloc[0]
    v2 = v.replace(drill=v.drill + (("category_l2", l2_id),))
    sup = cube.pivot(loaded, v2.replace(drill=v2.drill + (("category_l3", cat_id(loaded, "Livsmedel")),)), "supplier")
    assert dict(zip(sup.body().r_label, sup.body().spend)) == {"Alfa AB": 1500.0, "Delta kommun": 150.0}
    key = sup.body().r_key.iloc[0]
    df, n, total = cube.lines(loaded, v2.replace(drill=v2.drill + (("supplier", key),)), order="date_asc")
    assert n == 2 and total == pytest.approx(1500.0) and list(df.amount) == [1000.0, 500.0]
    q = cube.pivot(loaded, cube.View(drill=(("quarter", "2024 Q1"),)), "month")
    assert list(q.body().sort_values("r_key").r_key) == ["2024-01", "2024-02", "2024-03"]


def test_lines_are_paged(loaded):
    first, n, _ = cube.lines(loaded, cube.View(), page=0, page_size=3)
    second, _, _ = cube.lines(loaded, cube.View(), page=1, page_size=3)
    last, _, _ = cube.lines(loaded, cube.View(), page=2, page_size=3)
    assert n == 7 and (len(first), len(second), len(last)) == (3, 3, 1)
    assert list(first.amount) == [1000.0, 500.0, 300.0] and list(last.amount) == [-200.0]


def test_pareto_abc_boundaries_and_tail(store):
    rows = [(f"Lev {i} AB", org(556100000 + i), "64210", "Livsmedel", "Skola", amount, "2024-05-05")
            for i, amount in enumerate(["50,00", "30,00", "15,00", "4,00", "1,00"])]
    load_files(store, [("pareto.csv", ledger(rows))])
    res = cube.pareto(store, cube.View(), tail_threshold=15)
    assert (res["suppliers"], res["n80"], res["n95"]) == (5, 2, 3)     # 50+30 = exactly 80 %; +15 = exactly 95 %
    assert res["share80"] == pytest.approx(0.4) and res["share95"] == pytest.approx(0.6)
    assert list(res["table"].abc) == ["A", "A", "B", "C", "C"]
    assert res["abc"].set_index("abc").loc["A", "spend"] == pytest.approx(80.0)
    assert res["tail"]["suppliers"] == 2 and res["tail"]["spend"] == pytest.approx(5.0)
    assert res["tail"]["spend_share"] == pytest.approx(0.05)
    assert res["curve"].cum_share.iloc[-1] == pytest.approx(1.0)
    named = cube.label_suppliers(store, res["table"])
    assert list(named.supplier[:2]) == ["Lev 0 AB", "Lev 1 AB"]


def test_pareto_puts_net_negative_suppliers_in_c(loaded):
    credit = [("Retur AB", org(556200001), "64210", "Livsmedel", "Skola", "-70,00", "2024-06-01")]
    load_files(loaded, [("retur.csv", ledger(credit))])
    table = cube.label_suppliers(loaded, cube.pareto(loaded, cube.View())["table"])
    assert table.set_index("supplier").loc["Retur AB", "abc"] == "C"


def test_fragmentation_per_category(loaded):
    fr = cube.fragmentation(loaded, cube.View(), level=3, tail_threshold=200)
    row = fr.set_index("category").loc["Livsmedel"]
    assert (row.spend, row.suppliers, row.spend_per_supplier) == (1650.0, 2, 825.0)
    assert row.top_share == pytest.approx(1500 / 1650) and row.tail_suppliers == 1


def test_trend_and_year_over_year(loaded):
    tr = cube.trend(loaded, cube.View(), "org_unit")
    cells = tr.data[tr.data.kind == "cell"]
    assert cells.spend.sum() == pytest.approx(1880.0)
    assert set(tr.data[tr.data.kind == "row"].r_label) == {"2023 Q1", "2024 Q1", "2024 Q2"}
    yoy = cube.year_over_year(loaded, cube.View(period_from=dt.date(2024, 1, 1), period_to=dt.date(2024, 12, 1)))
    assert yoy.to_dict("records") == [{"year": 2023, "q": 1, "spend": 150.0}, {"year": 2024, "q": 1, "spend": 1380.0},
                                      {"year": 2024, "q": 2, "spend": 350.0}]


def test_cube_follows_undo_and_new_uploads(loaded):
    from analytics.ingest.load import delete_batches
    more = [("Beta AB", BETA, "64410", "Kontorsmaterial", "Skola", "1000,00", "2024-07-01")]
    load_files(loaded, [("q3.csv", ledger(more))])
    assert cube.kpis(loaded, cube.View())["spend"] == pytest.approx(2880.0)
    last = loaded.execute("SELECT max(batch_id) FROM batches").fetchall()[0][0]
    delete_batches(loaded, [last])
    assert cube.kpis(loaded, cube.View())["spend"] == pytest.approx(1880.0)
    assert loaded.execute("SELECT sum(spend) FROM cube_facts").fetchall()[0][0] == 1880


def test_unknown_dimension_is_refused(loaded):
    with pytest.raises(ValueError, match="unknown dimension"):
        cube.pivot(loaded, cube.View(), "colour")
    with pytest.raises(ValueError, match="unknown dimension"):
        cube.pivot(loaded, cube.View(drill=(("colour; DROP TABLE x", 1),)), "year")


def test_cli_cube_json(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    f = tmp_path / "reskontra.csv"
    f.write_bytes(ledger())
    assert cli(["import", str(f), "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli(["cube", "--by", "category_l1,year", "--from", "2024-01", "--to", "2024-12", "--db", str(db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {"category_l1": "Verksamhet & stöd", "year": 2024, "spend": 1500.0, "lines": 2, "suppliers": 1}
    assert [r["spend"] for r in rows] == sorted((r["spend"] for r in rows), reverse=True)
    assert sum(r["spend"] for r in rows) == pytest.approx(1730.0)      # 2023 (Delta 150) left out
    assert {"category_l1": None, "year": 2024, "spend": 50.0, "lines": 1, "suppliers": 1} in rows
    assert cli(["cube", "--by", "quarter,legal_form", "--db", str(db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"quarter": "2024 Q2", "legal_form": "limited", "spend": 300.0, "lines": 1, "suppliers": 1} in rows
    assert cli(["cube", "--by", "colour", "--db", str(db), "--json"]) == 2
    assert "unknown dimension colour" in capsys.readouterr().err
    assert cli(["cube", "--by", "year", "--from", "2024-13", "--db", str(db)]) == 2
    assert "not a month" in capsys.readouterr().err


def test_neutralise_formula_starts():
    assert [neutralise(v) for v in ["=SUM(A1)", "+46", "-x", "@cmd", "\tx", "ok", 5, -3.5, None]] == \
        ["'=SUM(A1)", "'+46", "'-x", "'@cmd", "'\tx", "ok", 5, -3.5, None]


def test_xlsx_export_is_formatted_and_safe():
    import pandas as pd
    table = pd.DataFrame({"Leverantör": ["=HYPERLINK(\"http://x\")", "Alfa AB", "Totalt"],
                          "Belopp (kr)": [1234567.5, -200.0, 1234367.5], "Andel": [0.9, 0.1, 1.0], "Rader": [3, 1, 4]})
    data = xlsx_bytes([Sheet("Pivot", table, {"Belopp (kr)": "money", "Andel": "share", "Rader": "int"},
                             "Spendkub", ["Period: 2024"], total_last_row=True)])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "Spendkub" and ws["A2"].value == "Period: 2024"
    assert [c.value for c in ws[4]] == ["Leverantör", "Belopp (kr)", "Andel", "Rader"]
    assert ws["A5"].value == "'=HYPERLINK(\"http://x\")" and ws["A5"].data_type == "s"
    assert ws["B5"].value == 1234567.5 and ws["B5"].number_format == "#,##0"
    assert ws["C5"].number_format == "0.0%" and ws["B6"].value == -200
    assert ws["A7"].font.b and ws.freeze_panes == "B5"


def test_csv_export_follows_the_language():
    import pandas as pd
    table = pd.DataFrame({"Leverantör": ["-Rabatt", "Alfa; AB"], "Belopp (kr)": [1234.5, -2.0]})
    sv = csv_bytes(table, "sv", {"Belopp (kr)": "money"}).decode("utf-8")
    assert sv.startswith("\ufeff") and sv.splitlines()[1:] == ["'-Rabatt;1234,50", '"Alfa; AB";-2,00']
    en = csv_bytes(table, "en", {"Belopp (kr)": "money"}).decode("utf-8-sig")
    assert en.splitlines() == ["Leverantör,Belopp (kr)", "'-Rabatt,1234.50", "Alfa; AB,-2.00"]


def test_v2_store_with_lines_gets_categories_and_cube_on_upgrade(tmp_path):
    from analytics.store import SCHEMA_VERSION, connect, schema_version
    path = tmp_path / "old.duckdb"
    con = connect(path, upto=2)
    con.execute("""INSERT INTO batches (upload_id, file_name, sha256, uploaded_at, uploaded_by, rows, total, currency, status)
                   VALUES ('u', 'f.csv', 'x', now()::TIMESTAMP, 't', 1, 99, 'SEK', 'loaded')""")
    con.execute(f"""INSERT INTO ledger_lines (batch_id, source_row, period_month, period_grain, supplier_name, supplier_key,
                        org_no_status, account, org_unit, amount)
                    VALUES (1, 2, DATE '2024-01-01', 'day', 'Alfa AB', 'org:{ALFA.replace('-', '')}', 'valid', '64210', 'Skola', 99)""")
    con.execute(f"""INSERT INTO suppliers VALUES ('org:{ALFA.replace('-', '')}', 'Alfa AB', '{ALFA}', 'valid', 'limited',
                    ['Alfa AB'], 1, 99, DATE '2024-01-01', DATE '2024-01-01')""")
    con.close()
    con = connect(path)
    assert schema_version(con) == SCHEMA_VERSION
    cur = con.cursor()
    # classified by today's defaults: 64 without an account text is the group's consumables
    assert cube.spend_by(cur, ["category_l3"]) == [{"category_l3": "Förbrukningsmaterial", "spend": 99.0, "lines": 1,
                                                     "suppliers": 1}]


@pytest.mark.parametrize("filters", [
    dict(), dict(scope="all"), dict(units=["Omsorg"]),
    dict(period_from=dt.date(2024, 2, 1), period_to=dt.date(2024, 3, 1), units=["Skola", "Omsorg"]),
])
def test_overview_from_the_aggregates_equals_the_lines(store, filters):
    """Översikt reads the cube's aggregates, not the lines; its quarters and top suppliers are
    the lines' own sums in every filter and scope (the classification ledger has excluded spend)."""
    from analytics.filters import Filters
    from analytics.ledger import overview
    from tests.crafted import rules_ledger
    load_files(store, [("reskontra.csv", rules_ledger())])
    f = Filters(**filters)
    cond, params = f.where("l")
    data = overview(store, f, top=3)
    quarters = store.execute(f"""SELECT strftime(period_month, '%Y') || ' Q' || quarter(period_month), sum(amount)::DOUBLE
                                 FROM ledger_lines l WHERE {cond} GROUP BY 1 ORDER BY 1""", params).fetchall()
    assert [tuple(r) for r in data["by_quarter"].itertuples(index=False)] == quarters
    top = store.execute(f"""SELECT s.name, sum(l.amount)::DOUBLE AS spend, count(*) FROM ledger_lines l
                            JOIN suppliers s USING (supplier_key) WHERE {cond} GROUP BY ALL
                            ORDER BY spend DESC LIMIT 3""", params).fetchall()
    assert [(r.supplier, r.spend, r.lines) for r in data["top_suppliers"].itertuples()] == top
    assert data["kpis"]["spend"] == pytest.approx(sum(s for _, s in quarters))


def test_classification_figures_from_the_aggregates_equal_the_lines(real_shape):
    """The classified, unclassified and excluded spend and the coverage by level and unit are read
    from the cube's aggregates; they are the lines' own sums (the definition, in SQL here)."""
    from analytics import classify, review
    cur = real_shape
    lines = cur.execute("""
        SELECT coalesce(sum(amount) FILTER (WHERE NOT excluded AND category_id IS NOT NULL), 0)::DOUBLE,
               coalesce(sum(amount) FILTER (WHERE NOT excluded AND category_id IS NULL), 0)::DOUBLE,
               coalesce(sum(amount) FILTER (WHERE excluded), 0)::DOUBLE,
               count(*) FILTER (WHERE NOT excluded AND category_id IS NOT NULL),
               count(*) FILTER (WHERE NOT excluded AND category_id IS NULL), count(*) FILTER (WHERE excluded)
        FROM ledger_lines""").fetchall()[0]
    s = classify.summary(cur)
    got = (s["classified_spend"], s["unclassified_spend"], s["excluded_spend"], s["classified_lines"],
           s["unclassified_lines"], s["excluded_lines"])
    assert got == pytest.approx(lines) and min(lines) > 0
    cov = review.coverage(cur)
    for level in (1, 2, 3):
        spend, n = cur.execute(f"""SELECT coalesce(sum(l.amount), 0)::DOUBLE, count(*) FROM ledger_lines l
                                   JOIN category_paths cp USING (category_id)
                                   WHERE NOT l.excluded AND cp.level >= {level}""").fetchall()[0]
        assert (cov["levels"][level]["spend"], cov["levels"][level]["lines"]) == (pytest.approx(spend), n)
    assert cov["levels"][3]["lines"] < cov["levels"][1]["lines"]
    units = cur.execute("""SELECT coalesce(org_unit, ''), sum(amount)::DOUBLE,
                                  coalesce(sum(amount) FILTER (WHERE category_id IS NOT NULL), 0)::DOUBLE, count(*)
                           FROM ledger_lines WHERE NOT excluded GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
    assert [(r.org_unit, pytest.approx(r.spend), pytest.approx(r.classified_spend), r.lines)
            for r in cov["by_unit"].itertuples()] == units


@pytest.fixture(scope="module")
def real_shape(tmp_path_factory):
    """Two months of a real-shape ledger (Kommun-Bas accounts, units, sole traders, credit notes)."""
    from analytics.store import connect
    from tests.ledgers import ledger_bytes
    con = connect(tmp_path_factory.mktemp("agg") / "agg.duckdb")
    cur = con.cursor()
    load_files(cur, [("jan.csv", ledger_bytes(3000, month="2025-01", seed=3)),
                     ("feb.csv", ledger_bytes(3000, month="2025-02", seed=4))])
    yield cur
    con.close()


LINES_TOO = -1e15          # an amount floor no line is under: the same view, answered from the lines


@pytest.mark.parametrize("rows, cols, sup", [
    ("category_l1", None, False), ("category_l2", "month", False), ("category_l1", None, True),
    ("org_unit", "category_l1", False), ("org_unit", None, True), ("supplier", "quarter", False),
    ("supplier", "org_unit", True), ("account", "legal_form", False), ("legal_form", "category_l3", True),
    ("year", None, True), ("month", "account", True),
])
@pytest.mark.parametrize("scope", ["influenceable", "all"])
def test_every_aggregate_answers_as_the_lines_do(real_shape, rows, cols, sup, scope):
    """Whichever aggregate a pivot reads (common, units, suppliers, rollup, facts), its cells,
    totals and supplier counts are the lines' own, with and without filters that move it to
    another aggregate."""
    cur = real_shape
    top_unit = cur.execute("SELECT org_unit FROM ledger_lines GROUP BY 1 ORDER BY sum(amount) DESC LIMIT 1").fetchall()[0][0]
    top_acct = cur.execute("SELECT account FROM ledger_lines GROUP BY 1 ORDER BY sum(amount) DESC LIMIT 1").fetchall()[0][0]
    for view in (cube.View(scope=scope), cube.View(scope=scope, units=(top_unit,)), cube.View(scope=scope, credit="without"),
                 cube.View(scope=scope, accounts=(top_acct,)), cube.View(scope=scope, period_from=dt.date(2025, 2, 1))):
        got = cube.pivot(cur, view, rows, cols, top=8, top_cols=4, with_suppliers=sup)
        want = cube.pivot(cur, view.replace(amount_min=LINES_TOO), rows, cols, top=8, top_cols=4, with_suppliers=sup)
        assert cube.source(view, sup, (rows, cols)) != cube.LINE_SOURCE
        assert got.total["spend"] == pytest.approx(want.total["spend"]) and got.total["lines"] == want.total["lines"]
        assert got.total["suppliers"] == want.total["suppliers"]
        g, w = got.data.drop(columns=["spend", "share"]), want.data.drop(columns=["spend", "share"])
        assert g.equals(w), (view, rows, cols)
        assert got.data.spend.to_numpy() == pytest.approx(want.data.spend.to_numpy())
    k, k_lines = cube.kpis(cur, cube.View(scope=scope)), cube.kpis(cur, cube.View(scope=scope, amount_min=LINES_TOO))
    assert k == pytest.approx(k_lines)


def test_large_stores_sketch_supplier_counts_marked_and_exact_on_request(real_shape, monkeypatch):
    """Above EXACT_ROWS rows the counts are approx_count_distinct, and say so; spend and lines
    never change; exact=True counts exactly whatever the size."""
    cur = real_shape
    exact = cube.pivot(cur, cube.View(), "org_unit", "quarter", with_suppliers=True)
    assert not exact.approx and not cube.kpis(cur, cube.View())["suppliers_approx"]
    monkeypatch.setattr(cube, "EXACT_ROWS", 10)
    sketched = cube.pivot(cur, cube.View(), "org_unit", "quarter", with_suppliers=True)
    assert sketched.approx and sketched.relabel("r", {}).approx
    assert sketched.data.drop(columns=["suppliers"]).equals(exact.data.drop(columns=["suppliers"]))
    ratio = sketched.data.suppliers.astype(float) / exact.data.suppliers.astype(float)
    assert ratio.between(0.9, 1.1).all()
    k = cube.kpis(cur, cube.View())
    assert k["suppliers_approx"] and k["suppliers"] == pytest.approx(exact.total["suppliers"], rel=0.1)
    asked = cube.pivot(cur, cube.View(), "org_unit", "quarter", with_suppliers=True, exact=True)
    assert not asked.approx and asked.data.equals(exact.data)
    assert cube.kpis(cur, cube.View(), exact=True)["suppliers"] == exact.total["suppliers"]


def test_the_supplier_as_a_side_is_counted_exactly_from_its_own_groups(real_shape, monkeypatch):
    """With the supplier on a side, each group is one supplier's: a row counts 1, the 'others'
    row the suppliers folded into it, a column and the total the distinct suppliers behind them
    (what the counting pass over the supplier aggregate gives), exactly even above EXACT_ROWS."""
    cur = real_shape
    monkeypatch.setattr(cube, "EXACT_ROWS", 10)
    for view in (cube.View(), cube.View(credit="without"), cube.View(amount_min=1000)):
        p = cube.pivot(cur, view, "supplier", "org_unit", top=3, top_cols=2)
        assert not p.approx
        rows = p.data[p.data.kind == "row"]
        everyone = cube.pivot(cur, view, "org_unit", None, top=2, exact=True)        # the counting pass
        assert list(rows.suppliers[~rows.r_other]) == [1, 1, 1]
        assert int(rows.suppliers[rows.r_other].iloc[0]) == everyone.total["suppliers"] - 3
        assert p.total["suppliers"] == everyone.total["suppliers"]
        cols = p.data[p.data.kind == "col"].set_index(["c_key", "c_other"]).suppliers
        units = everyone.data[everyone.data.kind == "row"].set_index(["r_key", "r_other"]).suppliers
        assert cols.to_dict() == units.to_dict()
        cells = p.data[p.data.kind == "cell"]
        assert set(cells.suppliers[~cells.r_other]) == {1}
        flipped = cube.pivot(cur, view, "org_unit", "supplier", top=2, top_cols=3)
        assert flipped.total == p.total and not flipped.approx


def test_the_cube_charts_are_built_in_plotlys_own_form(loaded):
    """The pivot and trend charts skip Plotly's validation: each must equal the figure Plotly
    builds from the same content with validation (so plotly.js reads every property), and show
    the pivot's figures."""
    import plotly.graph_objects as go

    from ui.charts import cube as charts
    figures = []
    for rows, cols in (("category_l1", None), ("org_unit", "category_l1"), ("supplier", "quarter")):
        p = cube.pivot(loaded, cube.View(), rows, cols, top=2, top_cols=2)
        figures.append((p, charts.pivot_bars(p, "MSEK", title="Utgift", others="Övriga", blank="Ej klassificerat")))
    for by in (None, "org_unit"):
        tr = cube.trend(loaded, cube.View(), by)
        figures.append((tr, charts.trend_stacked(tr, "MSEK", title="Trend", others="Övriga", blank="Ej klassificerat")))
    for p, fig in figures:
        assert fig.to_plotly_json() == go.Figure(fig.to_dict()).to_plotly_json()
        assert fig.layout.title.text in ("Utgift", "Trend") and fig.layout.barmode == "stack"
        shown = sum(v for tr in fig.data for v in (tr.x if tr.orientation == "h" else tr.y) if v is not None)
        assert shown == pytest.approx(p.total["spend"] / 1e6)
    by_unit = figures[-1][1]
    assert [tr.name for tr in by_unit.data] == ["Skola", "Omsorg"]           # largest first
    assert figures[1][1].data[-1].name == "Övriga"                          # others stacked last


def test_supplier_pickers_offer_the_largest_influenceable_suppliers_first(real_shape):
    """A pension fund or the tax office (excluded spend) heads the ledger's totals; a picker
    lists the suppliers by influenceable spend, the excluded-only ones after them."""
    cur = real_shape
    infl = dict(cur.execute("""SELECT s.supplier_key, coalesce(sum(l.amount) FILTER (WHERE NOT l.excluded), 0)
                               FROM suppliers s JOIN ledger_lines l USING (supplier_key) GROUP BY 1""").fetchall())
    biggest = cur.execute("SELECT supplier_key FROM suppliers ORDER BY total DESC LIMIT 1").fetchall()[0][0]
    assert infl[biggest] == 0, "the ledger's largest supplier is excluded (pensions)"
    keys = [k for k, _ in cube.supplier_choices(cur)]
    assert sorted(keys) == sorted(infl)
    shares = [float(infl[k]) for k in keys]
    positive = [s for s in shares if s > 0]
    assert shares[:len(positive)] == sorted(positive, reverse=True)
    assert keys.index(biggest) >= len(positive)
