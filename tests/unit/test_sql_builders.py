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


PIVOT_CASES = [
    # view, rows, cols, with_suppliers -> relation read, grouping sets, supplier count
    ("by category from the rollup", View(), "category_l1", None, False, "cube_rollup", "((r, r_other), ())", "NULL::BIGINT"),
    ("supplier counts need the facts", View(), "category_l1", None, True, "cube_facts", "((r, r_other), ())",
     "count(DISTINCT supplier_no)"),
    ("the supplier dimension needs the facts", View(), "supplier", "year", False, "cube_facts",
     "((r, r_other, c, c_other), (r, r_other), (c, c_other), ())", "NULL::BIGINT"),
    ("a supplier filter needs the facts", View(suppliers=("k",)), "org_unit", None, False, "cube_facts",
     "((r, r_other), ())", "NULL::BIGINT"),
    ("a line-amount filter reads the lines", View(amount_min=100.0), "account", "quarter", True, LINE_SOURCE,
     "((r, r_other, c, c_other), (r, r_other), (c, c_other), ())", "count(DISTINCT supplier_no)"),
    ("rows and columns the same: no columns", View(), "year", "year", False, "cube_rollup", "((r, r_other), ())",
     "NULL::BIGINT"),
]


@pytest.mark.parametrize("name, view, rows, cols, sup, relation, sets, count", PIVOT_CASES, ids=[c[0] for c in PIVOT_CASES])
def test_pivot_sql(name, view, rows, cols, sup, relation, sets, count, empty):
    sql, params = pivot_sql(view, rows, cols, top=10, top_cols=5, with_suppliers=sup)
    flat = _flat(sql)
    cond, cond_params = where(view)
    assert params == cond_params
    assert f"FROM {_flat(relation)} f WHERE {cond} GROUP BY ALL" in flat
    assert flat.endswith(f"FROM tagged GROUP BY GROUPING SETS {sets}")
    assert f"{count} AS suppliers" in flat
    assert "rr.rn <= 10" in flat and ("cc.cn <= 5" in flat)
    assert (", f.supplier_no," in flat) == sup                   # distinct counts only when asked for
    empty.execute(sql, params).fetchall()


def test_pivot_sql_exact_for_the_simplest_view():
    sql, params = pivot_sql(View(scope="all"), "category_l1", None, top=25, top_cols=12, with_suppliers=False)
    assert params == []
    assert _flat(sql) == _flat("""
    WITH g AS (SELECT f.cat_l1 AS r, NULL::INTEGER AS c, sum(f.spend) AS spend, sum(f.lines) AS lines
               FROM cube_rollup f WHERE true GROUP BY ALL),
    rr AS (SELECT r, row_number() OVER (ORDER BY sum(spend) DESC, r NULLS LAST) AS rn FROM g GROUP BY r),
    cc AS (SELECT c, row_number() OVER (ORDER BY sum(spend) DESC, c NULLS LAST) AS cn FROM g GROUP BY c),
    tagged AS (SELECT CASE WHEN rr.rn <= 25 THEN g.r END AS r, rr.rn > 25 AS r_other,
                      CASE WHEN cc.cn <= 12 THEN g.c END AS c, cc.cn > 12 AS c_other, g.spend, g.lines
               FROM g JOIN rr ON g.r IS NOT DISTINCT FROM rr.r JOIN cc ON g.c IS NOT DISTINCT FROM cc.c)
    SELECT r, r_other, NULL AS c, NULL::BOOLEAN AS c_other, grouping(r, r_other) AS g_r, 1 AS g_c,
           sum(spend) AS spend, sum(lines) AS lines, NULL::BIGINT AS suppliers
    FROM tagged GROUP BY GROUPING SETS ((r, r_other), ())""")


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
