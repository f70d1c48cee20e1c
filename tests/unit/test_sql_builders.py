"""Table tests of the SQL builders: for each view, the exact condition and parameters the cube
puts in its WHERE, the relation a pivot reads and the grouping it asks for, and the sidebar
filters' condition. Every built statement also runs on an empty store."""

import datetime as dt
import re

import pytest

from analytics import cube
from analytics.cube import LINE_SOURCE, View, pivot_sql, where
from analytics.filters import Filters
from analytics.store import connect

D = dt.date
INFL = "f.cat_l1 IS DISTINCT FROM -1"
SUPPLIER_IN = "f.supplier_no IN (SELECT supplier_no FROM suppliers WHERE supplier_key IN (SELECT unnest(?::VARCHAR[])))"
CATS_IN = ("f.cat_l1 IN (SELECT unnest(?::INTEGER[])) OR f.cat_l2 IN (SELECT unnest(?::INTEGER[])) "
           "OR f.cat_l3 IN (SELECT unnest(?::INTEGER[]))")

WHERE_CASES = [
    ("everything influenceable", View(), f"true AND {INFL}", []),
    ("all spend", View(scope="all"), "true", []),
    ("period", View(D(2024, 1, 1), D(2024, 12, 1)),
     f"true AND f.period_month >= ? AND f.period_month <= ? AND {INFL}", [D(2024, 1, 1), D(2024, 12, 1)]),
    ("units", View(units=("Skola", "Vård")), f"true AND f.org_unit IN (SELECT unnest(?::VARCHAR[])) AND {INFL}",
     [["Skola", "Vård"]]),
    ("categories", View(categories=(7, 12)), f"true AND ({CATS_IN}) AND {INFL}", [[7, 12]] * 3),
    ("unclassified", View(categories=(0,)), f"true AND (f.cat_l1 IS NULL) AND {INFL}", []),
    ("a category or unclassified", View(categories=(7, 0)), f"true AND ({CATS_IN} OR f.cat_l1 IS NULL) AND {INFL}",
     [[7]] * 3),
    ("suppliers", View(suppliers=("org:5560000001",)), f"true AND {SUPPLIER_IN} AND {INFL}", [["org:5560000001"]]),
    ("accounts", View(accounts=("6110", "7010")), f"true AND f.account IN (SELECT unnest(?::VARCHAR[])) AND {INFL}",
     [["6110", "7010"]]),
    ("line amounts", View(amount_min=-500.0, amount_max=1e6), f"true AND f.spend >= ? AND f.spend <= ? AND {INFL}",
     [-500.0, 1e6]),
    ("without credit notes", View(credit="without"), f"true AND NOT f.credit AND {INFL}", []),
    ("credit notes only", View(credit="only", scope="all"), "true AND f.credit", []),
    ("drill: category, year, quarter, month", View(drill=(("category_l1", 7), ("year", 2024), ("quarter", "2024 Q2"),
                                                           ("month", "2024-05"))),
     f"true AND {INFL} AND f.cat_l1 = ? AND f.period_month BETWEEN ? AND ? AND f.period_month BETWEEN ? AND ? "
     "AND f.period_month = ?", [7, D(2024, 1, 1), D(2024, 12, 1), D(2024, 4, 1), D(2024, 6, 1), D(2024, 5, 1)]),
    ("drill: unclassified, supplier, unit, account, legal form",
     View(drill=(("category_l2", None), ("supplier", "name:alfa"), ("org_unit", "Skola"), ("account", "6110"),
                 ("legal_form", "limited"))),
     f"true AND {INFL} AND f.cat_l2 IS NULL AND f.supplier_no IN (SELECT supplier_no FROM suppliers WHERE supplier_key = ?) "
     "AND f.org_unit = ? AND f.account = ? AND f.legal_form = ?", ["name:alfa", "Skola", "6110", "limited"]),
    ("everything at once", View(D(2024, 1, 1), None, ("Skola",), (0,), ("k",), ("6110",), 1.0, None, "without",
                                (("year", 2024),), "all"),
     "true AND f.period_month >= ? AND f.org_unit IN (SELECT unnest(?::VARCHAR[])) AND (f.cat_l1 IS NULL) AND "
     f"{SUPPLIER_IN} AND f.account IN (SELECT unnest(?::VARCHAR[])) AND f.spend >= ? AND NOT f.credit AND "
     "f.period_month BETWEEN ? AND ?", [D(2024, 1, 1), ["Skola"], ["k"], ["6110"], 1.0, D(2024, 1, 1), D(2024, 12, 1)]),
]


@pytest.mark.parametrize("name, view, sql, params", WHERE_CASES, ids=[c[0] for c in WHERE_CASES])
def test_where(name, view, sql, params, empty):
    assert where(view) == (sql, params)
    empty.execute(f"SELECT count(*) FROM {cube.source(view)} f WHERE {sql}", params).fetchall()


@pytest.mark.parametrize("view, error", [
    (View(credit="some"), "credit must be one of"),
    (View(scope="mine"), "scope must be"),
    (View(drill=(("colour", "red"),)), "unknown dimension 'colour'"),
])
def test_where_refuses(view, error):
    with pytest.raises(ValueError, match=error):
        where(view)


def _flat(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


ALL_SETS = "((r, r_other, c, c_other), (r, r_other), (c, c_other), ())"
PIVOT_CASES = [
    # view, rows, cols, with_suppliers, approx -> relation of the sums, relation of the counts, grouping sets, count
    ("by category from the common aggregate", View(), "category_l1", None, False, False, "cube_common", None,
     "((r, r_other), ())", None),
    ("supplier counts from the supplier aggregate", View(), "category_l1", None, True, False, "cube_common",
     "cube_suppliers", "((r, r_other), ())", "count(DISTINCT supplier_no)"),
    ("the supplier dimension by year: the supplier aggregate", View(), "supplier", "year", False, False, "cube_suppliers",
     None, ALL_SETS, None),
    ("a supplier filter by unit needs the facts", View(suppliers=("k",)), "org_unit", None, False, False, "cube_facts",
     None, "((r, r_other), ())", None),
    ("units by quarter, suppliers sketched", View(), "org_unit", "quarter", True, True, "cube_units", "cube_facts",
     ALL_SETS, "approx_count_distinct(supplier_no)"),
    ("accounts: the rollup", View(), "account", None, False, False, "cube_rollup", None, "((r, r_other), ())", None),
    ("a line-amount filter reads the lines", View(amount_min=100.0), "account", "quarter", True, False, LINE_SOURCE,
     LINE_SOURCE, ALL_SETS, "count(DISTINCT supplier_no)"),
    ("rows and columns the same: no columns", View(), "year", "year", False, False, "cube_common", None,
     "((r, r_other), ())", None),
    ("the supplier as a side: counted from its own groups", View(), "category_l1", "supplier", True, True,
     "cube_suppliers", None, ALL_SETS, "count(DISTINCT supplier_no)"),
]


@pytest.mark.parametrize("name, view, rows, cols, sup, approx, sums, counts, sets, count", PIVOT_CASES,
                         ids=[c[0] for c in PIVOT_CASES])
def test_pivot_sql(name, view, rows, cols, sup, approx, sums, counts, sets, count, empty):
    sql, params = pivot_sql(view, rows, cols, top=10, top_cols=5, with_suppliers=sup, approx=approx)
    flat = _flat(sql)
    cond, cond_params = where(view)
    side = sup and "supplier" in (rows, cols)
    shared = sup and sums == counts                  # one relation: one pass feeds spend and counts
    # a counts' pass of its own has the view's filter too
    assert params == (cond_params * 2 if sup and not side and not shared else cond_params)
    if shared:
        assert f"f.supplier_no, sum(f.spend) AS spend, sum(f.lines) AS lines FROM {_flat(sums)} f WHERE {cond} GROUP BY ALL)" in flat
        assert "g AS (SELECT r, c, sum(spend) AS spend, sum(lines) AS lines FROM gs GROUP BY ALL)" in flat
        assert "g.supplier_no FROM gs g JOIN rr" in flat
    else:
        assert f"FROM {_flat(sums)} f WHERE {cond} GROUP BY ALL)" in flat
    assert "rr.rn <= 10" in flat and ("cc.cn <= 5" in flat)
    if side:
        key = "g.r" if rows == "supplier" else "g.c"
        assert f"g.spend, g.lines, {key} AS supplier_no FROM g JOIN rr" in flat
        assert f"sum(lines) AS lines, {count} AS suppliers FROM tagged GROUP BY GROUPING SETS {sets})" in flat
        assert "named AS" not in flat and "approx" not in flat and flat.endswith("SELECT * FROM sums")
    else:
        assert f"FROM tagged GROUP BY GROUPING SETS {sets})" in flat
    if sup and not side:
        if not shared:
            assert f"f.supplier_no FROM {_flat(counts)} f WHERE {cond})" in flat
        assert f"{count} AS suppliers FROM named GROUP BY GROUPING SETS {sets})" in flat
        assert flat.endswith("SELECT s.*, n.suppliers FROM sums s LEFT JOIN counts n ON s.r IS NOT DISTINCT FROM n.r "
                             "AND s.r_other IS NOT DISTINCT FROM n.r_other AND s.c IS NOT DISTINCT FROM n.c "
                             "AND s.c_other IS NOT DISTINCT FROM n.c_other AND s.g_r IS NOT DISTINCT FROM n.g_r "
                             "AND s.g_c IS NOT DISTINCT FROM n.g_c")
    elif not side:
        assert "named AS" not in flat and "count(" not in flat          # no count: no pass over the suppliers
        assert flat.endswith("SELECT *, NULL::BIGINT AS suppliers FROM sums")
    empty.execute(sql, params).fetchall()


def test_pivot_sql_exact_for_the_simplest_view():
    sql, params = pivot_sql(View(scope="all"), "category_l1", None, top=25, top_cols=12, with_suppliers=False)
    assert params == []
    assert _flat(sql) == _flat("""
    WITH g AS (SELECT f.cat_l1 AS r, NULL::INTEGER AS c, sum(f.spend) AS spend, sum(f.lines) AS lines
               FROM cube_common f WHERE true GROUP BY ALL),
    rr AS (SELECT r, row_number() OVER (ORDER BY sum(spend) DESC, r NULLS LAST) AS rn FROM g GROUP BY r),
    cc AS (SELECT c, row_number() OVER (ORDER BY sum(spend) DESC, c NULLS LAST) AS cn FROM g GROUP BY c),
    tagged AS (SELECT CASE WHEN rr.rn <= 25 THEN rr.r END AS r, rr.rn > 25 AS r_other,
                      CASE WHEN cc.cn <= 12 THEN cc.c END AS c, cc.cn > 12 AS c_other, g.spend, g.lines
               FROM g JOIN rr ON g.r IS NOT DISTINCT FROM rr.r JOIN cc ON g.c IS NOT DISTINCT FROM cc.c),
    sums AS (SELECT r, r_other, NULL AS c, NULL::BOOLEAN AS c_other, grouping(r, r_other) AS g_r, 1 AS g_c,
                    sum(spend) AS spend, sum(lines) AS lines
             FROM tagged GROUP BY GROUPING SETS ((r, r_other), ()))
    SELECT *, NULL::BIGINT AS suppliers FROM sums""")


# view, dims, with supplier counts -> the relation read: the smallest whose columns cover it
SOURCE_CASES = [
    (View(), (), False, "cube_common"),
    (View(), ("category_l2", "legal_form"), False, "cube_common"),
    (View(credit="only", scope="all", categories=(3,)), ("month",), False, "cube_common"),
    (View(units=("Skola",)), (), False, "cube_units"),
    (View(), ("org_unit",), False, "cube_units"),
    (View(drill=(("org_unit", "Skola"),)), ("category_l2",), False, "cube_units"),
    (View(), (), True, "cube_suppliers"),
    (View(drill=(("supplier", "k"),)), ("category_l3",), False, "cube_suppliers"),
    (View(), ("supplier",), False, "cube_suppliers"),
    (View(units=("Skola",)), (), True, "cube_facts"),
    (View(), ("supplier", "org_unit"), False, "cube_facts"),
    (View(accounts=("64110",)), (), True, "cube_supplier_accounts"),
    (View(), ("account",), True, "cube_supplier_accounts"),
    (View(), ("supplier", "account"), False, "cube_supplier_accounts"),
    (View(units=("Skola",), accounts=("64110",)), (), True, "cube_facts"),
    (View(), ("account",), False, "cube_rollup"),
    (View(units=("Skola",), accounts=("64110",)), (), False, "cube_rollup"),
    (View(drill=(("account", "64110"),)), ("org_unit",), False, "cube_rollup"),
    (View(amount_max=5.0), (), False, LINE_SOURCE),
]


@pytest.mark.parametrize("view, dims, sup, relation", SOURCE_CASES)
def test_source_is_the_smallest_aggregate_that_answers(view, dims, sup, relation, empty):
    src = cube.source(view, sup, dims)
    assert src == relation
    cond, params = where(view)
    group = ", ".join(cube._GROUP[d] for d in dims) or "1"
    empty.execute(f"SELECT {group}, sum(f.spend){', count(DISTINCT f.supplier_no)' if sup else ''} "
                  f"FROM {src} f WHERE {cond} GROUP BY ALL", params).fetchall()


@pytest.mark.parametrize("dims", [("nonsense", None), ("category_l1", "nonsense")])
def test_pivot_sql_refuses_unknown_dimensions(dims):
    with pytest.raises(ValueError, match="unknown dimension"):
        pivot_sql(View(), *dims)


FILTER_CASES = [
    (Filters(), "", "true AND NOT excluded", []),
    (Filters(scope="all"), "", "true", []),
    (Filters(D(2024, 1, 1), D(2024, 3, 1), ["Skola"]), "l",
     "true AND l.period_month >= ? AND l.period_month <= ? AND l.org_unit IN (SELECT unnest(?::VARCHAR[])) AND NOT l.excluded",
     [D(2024, 1, 1), D(2024, 3, 1), ["Skola"]]),
]


@pytest.mark.parametrize("filters, alias, sql, params", FILTER_CASES)
def test_sidebar_filters(filters, alias, sql, params, empty):
    assert filters.where(alias) == (sql, params)
    empty.execute(f"SELECT count(*) FROM ledger_lines {alias} WHERE {sql}", params).fetchall()


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("sql") / "empty.duckdb")
    yield con
    con.close()
