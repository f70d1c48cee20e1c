"""The spend cube: spend, lines and suppliers by any two dimensions, fast at 10 million lines.

After every change analytics.derived (``refresh_cube``) folds the ledger into ``cube_facts``, one
row per month, organisation unit, supplier, account, category path, legal form, sign (credit
note or not) and contract with the spend (SEK, 2 decimals) and the number of lines, and into
coarser aggregates of it, each without some of those columns (``source`` picks the smallest that
answers a question: spend by category reads a table of a few thousand rows, supplier counts by
account one without the unit). Only a filter on single-line amounts cannot be answered from an
aggregate; then the same SQL runs over the lines themselves (``LINE_SOURCE`` has the same
columns as ``cube_facts``).

Dimension keys are stable across reloads: category node ids, supplier keys, account codes,
unit names, 2024, '2024 Q1', '2024-01', legal-form codes, contract ids, 'on'/'off' (under a contract
or not, see analytics.contracts). Unclassified spend has the key None and excluded spend (outside
influenceable spend, see classify) the key -1 in the category dimensions; spend under no contract
has the key None in the contract dimension. Spend is net: credit notes (negative lines) are netted in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .categories import category_names
from .constants import EXCLUDED, in_scope, influenceable
from .orgno import shown_name_sql
from .periods import quarter_end, quarter_of, quarter_start, shift_year

DIMENSIONS = ("category_l1", "category_l2", "category_l3", "supplier", "org_unit", "account",
              "year", "quarter", "month", "legal_form", "contract_status", "contract")
CONTRACT_KEYS = ("on", "off")      # contract_status: bought under a contract (avtalstrohet) or not
MEASURES = ("spend", "lines", "suppliers", "share")
CREDIT_CHOICES = ("all", "without", "only")
# Drill-down: the dimension shown after choosing one value of a dimension; "lines" ends it.
DRILL_NEXT = {"category_l1": "category_l2", "category_l2": "category_l3", "category_l3": "supplier",
              "supplier": "lines", "org_unit": "supplier", "account": "supplier", "year": "quarter",
              "quarter": "month", "month": "supplier", "legal_form": "supplier", "contract_status": "contract",
              "contract": "supplier"}
EXCLUDED_LABEL = "Exkluderat (ej påverkbar)"
CONTRACT_LABELS = {"on": "Under avtal", "off": "Utanför avtal"}     # the page words them in the user's language

_GROUP = {
    "category_l1": "f.cat_l1", "category_l2": "f.cat_l2", "category_l3": "f.cat_l3",
    "supplier": "f.supplier_no", "org_unit": "f.org_unit", "account": "f.account",
    "year": "year(f.period_month)", "quarter": "date_trunc('quarter', f.period_month)::DATE",
    "month": "f.period_month", "legal_form": "f.legal_form",
    "contract_status": "CASE WHEN f.contract_id IS NULL THEN 'off' ELSE 'on' END", "contract": "f.contract_id",
}

# The ledger lines with the columns of cube_facts (plus line detail), for amount filters and
# the lines view.
LINE_SOURCE = f"""(
    SELECT l.period_month, l.booking_date, l.org_unit, l.supplier_no, l.supplier_key, l.account,
           l.account_text, cp.l1_id AS cat_l1, cp.l2_id AS cat_l2, cp.l3_id AS cat_l3, s.legal_form,
           s.org_no_status = 'valid' AS valid_org, l.amount < 0 AS credit, l.amount AS spend,
           1::BIGINT AS lines, {shown_name_sql("s", "l.supplier_name")} AS supplier_name,
           s.org_no, l.invoice_no, l.voucher_no, l.description, l.buyer, l.batch_id, l.source_row, l.amount,
           l.contract_id
    FROM ledger_lines l
    JOIN suppliers s USING (supplier_no)
    LEFT JOIN category_paths cp USING (category_id))"""


@dataclass(frozen=True)
class View:
    """What the cube looks at: the sidebar's period and units plus the page's own filters.

    categories: tree node ids at any level (0 = unclassified spend, -1 = excluded spend); suppliers: supplier keys;
    amount_min/amount_max: bounds on single lines (SEK); credit: 'all', 'without' (no credit
    notes) or 'only'; drill: (dimension, key) pairs chosen by drilling down; scope:
    'influenceable' (påverkbar spend: excluded lines left out, the default) or 'all'."""
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    units: tuple[str, ...] = ()
    categories: tuple[int, ...] = ()
    suppliers: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    amount_min: float | None = None
    amount_max: float | None = None
    credit: str = "all"
    drill: tuple[tuple[str, Any], ...] = ()
    scope: str = "influenceable"

    @property
    def needs_lines(self) -> bool:
        """True when a filter applies to single lines, so the aggregate cannot answer."""
        return self.amount_min is not None or self.amount_max is not None

    def replace(self, **changes) -> View:
        return dataclasses.replace(self, **changes)


def view_from_filters(filters, **changes) -> View:
    """A View from the sidebar's analytics.filters.Filters plus page filters."""
    base = (View(filters.period_from, filters.period_to, tuple(filters.units), scope=getattr(filters, "scope", "influenceable"))
            if filters else View())
    return base.replace(**changes) if changes else base


# ---------------------------------------------------------------- keys and conditions

def _key_condition(dim: str, key: Any) -> tuple[str, list]:
    """SQL over source alias f selecting the rows whose ``dim`` has the value ``key``."""
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}; choose one of {', '.join(DIMENSIONS)}")
    if dim == "supplier":
        return ("f.supplier_no IN (SELECT supplier_no FROM suppliers WHERE supplier_key = ?)", [str(key)])
    if dim == "year":
        y = int(key)
        return "f.period_month BETWEEN ? AND ?", [dt.date(y, 1, 1), dt.date(y, 12, 1)]
    if dim == "quarter":
        return "f.period_month BETWEEN ? AND ?", [quarter_start(str(key)), quarter_end(str(key))]
    if dim == "month":
        y, m = str(key).split("-")
        return "f.period_month = ?", [dt.date(int(y), int(m), 1)]
    if dim == "contract_status":
        if key not in CONTRACT_KEYS:
            raise ValueError(f"contract status {key!r} is not one of {CONTRACT_KEYS}")
        return f"f.contract_id IS {'NOT ' if key == 'on' else ''}NULL", []
    col = _GROUP[dim]
    if key is None:
        return f"{col} IS NULL", []
    if dim.startswith("category_"):
        return f"{col} = ?", [int(key)]
    return f"{col} = ?", [str(key)]


def where(view: View) -> tuple[str, list]:
    """SQL condition over a source aliased f (cube_facts or LINE_SOURCE) and its parameters."""
    parts, params = ["true"], []
    if view.period_from:
        parts.append("f.period_month >= ?")
        params.append(view.period_from)
    if view.period_to:
        parts.append("f.period_month <= ?")
        params.append(view.period_to)
    if view.units:
        parts.append("f.org_unit IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(view.units))
    if view.categories:
        ids = [int(c) for c in view.categories if int(c) != 0]
        alts = []
        if ids:
            alts.append("f.cat_l1 IN (SELECT unnest(?::INTEGER[])) OR f.cat_l2 IN (SELECT unnest(?::INTEGER[])) "
                        "OR f.cat_l3 IN (SELECT unnest(?::INTEGER[]))")
            params += [ids, ids, ids]
        if 0 in [int(c) for c in view.categories]:
            alts.append("f.cat_l1 IS NULL")
        parts.append("(" + " OR ".join(alts) + ")")
    if view.suppliers:
        parts.append("f.supplier_no IN (SELECT supplier_no FROM suppliers WHERE supplier_key IN (SELECT unnest(?::VARCHAR[])))")
        params.append(list(view.suppliers))
    if view.accounts:
        parts.append("f.account IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(view.accounts))
    if view.amount_min is not None:
        parts.append("f.spend >= ?")
        params.append(view.amount_min)
    if view.amount_max is not None:
        parts.append("f.spend <= ?")
        params.append(view.amount_max)
    if view.credit == "without":
        parts.append("NOT f.credit")
    elif view.credit == "only":
        parts.append("f.credit")
    elif view.credit != "all":
        raise ValueError(f"credit must be one of {CREDIT_CHOICES}")
    scope = in_scope(view.scope, "f.")
    if scope != "true":
        parts.append(scope)
    for dim, key in view.drill:
        sql, p = _key_condition(dim, key)
        parts.append(sql)
        params += p
    return " AND ".join(parts), params


def needs_supplier(view: View, *dims: str | None) -> bool:
    """True when the view or the dimensions involve single suppliers."""
    return "supplier" in dims or bool(view.suppliers) or any(d == "supplier" for d, _ in view.drill)


def source(view: View, suppliers: bool = True, dims: tuple = ()) -> str:
    """The smallest relation that answers the view grouped by ``dims`` (with distinct supplier
    counts when ``suppliers``): the lines for line-level filters; else of the aggregates
    cube_common (month, category path, legal form, sign), cube_units (+ unit), cube_suppliers
    (+ supplier), cube_supplier_accounts (+ supplier and account), cube_rollup (+ unit and
    account) and cube_facts (all of them) the first whose columns cover what the view filters
    on, drills into and groups by."""
    if view.needs_lines:
        return LINE_SOURCE
    used = set(dims) | {d for d, _ in view.drill}
    unit = bool(view.units) or "org_unit" in used
    account = bool(view.accounts) or "account" in used
    if suppliers or needs_supplier(view, *dims):
        return "cube_facts" if unit else "cube_supplier_accounts" if account else "cube_suppliers"
    if account:
        return "cube_rollup"
    return "cube_units" if unit else "cube_common"


EXACT_ROWS = 2_000_000   # distinct counts over a larger relation are approximate unless asked for


def drill_key(dim: str, text: str):
    """A drill step's key from its text in a shared link, checked for its dimension: category
    ids and years as whole numbers in range, quarters as 'YYYY Qn', months as 'YYYY-MM' (years
    1900-2200), other keys as text of at most 300 characters; '' is the empty key (None).
    ValueError for anything else, so a crafted link never reaches a query."""
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}")
    if text == "":
        return None
    if dim.startswith("category_"):
        value = int(text)
        if not -2 ** 31 <= value < 2 ** 31:
            raise ValueError(f"category id {text!r} out of range")
        return value
    if dim == "year":
        value = int(text)
        if not 1900 <= value <= 2200:
            raise ValueError(f"year {text!r} out of range")
        return value
    if dim == "quarter":
        m = re.fullmatch(r"(\d{4}) Q([1-4])", text)
        if not m or not 1900 <= int(m.group(1)) <= 2200:
            raise ValueError(f"quarter {text!r} is not YYYY Qn")
        return text
    if dim == "month":
        m = re.fullmatch(r"(\d{4})-(\d{2})", text)
        if not m or not 1900 <= int(m.group(1)) <= 2200 or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"month {text!r} is not YYYY-MM")
        return text
    if dim == "contract_status" and text not in CONTRACT_KEYS:
        raise ValueError(f"contract status {text!r} is not on or off")
    if len(text) > 300:
        raise ValueError("key too long")
    return text


def approximate(cur: duckdb.DuckDBPyConnection, relation: str, exact: bool = False) -> bool:
    """Whether distinct counts over ``relation`` are approximate (approx_count_distinct, a
    HyperLogLog sketch: on a region's ledger within 2 % on average, 8 % at worst): unless ``exact`` is asked for, when it holds more
    than EXACT_ROWS rows, where an exact count per row would slow every answer."""
    if exact:
        return False
    table = "ledger_lines" if relation == LINE_SOURCE else relation
    return cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > EXACT_ROWS


def data_version(cur: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever stored data changes (every change is audited): a cache key."""
    return cur.execute("SELECT coalesce(max(audit_id), 0) FROM audit_log").fetchall()[0][0]


# ---------------------------------------------------------------- labels

def labels(cur: duckdb.DuckDBPyConnection, dim: str, raw: list) -> dict:
    """Raw group values of ``dim`` -> (key, label). Category: node id -> name; supplier:
    supplier_no -> (supplier key, name; sole traders shown as 'Enskild firma #3FA91C', the tag of their keyed key);
    account: code -> 'code text'; quarter/month: dates -> '2024 Q1' / '2024-01'."""
    out: dict = {}
    values = [v for v in raw if not _missing(v)]
    if dim.startswith("category_"):
        names = dict(cur.execute("SELECT category_id, name FROM categories WHERE category_id IN (SELECT unnest(?::INTEGER[]))",
                                 [[int(v) for v in values]]).fetchall()) if values else {}
        out = {v: (int(v), EXCLUDED_LABEL if int(v) == EXCLUDED else names.get(v, str(v))) for v in values}
    elif dim == "supplier":
        rows = cur.execute(f"""SELECT supplier_no, supplier_key,
                                  {shown_name_sql()}
                               FROM suppliers WHERE supplier_no IN (SELECT unnest(?::INTEGER[]))""",
                           [[int(v) for v in values]]).fetchall() if values else []
        out = {r[0]: (r[1], r[2]) for r in rows}
    elif dim == "account":
        texts = dict(cur.execute("SELECT account, account_text FROM cube_accounts WHERE account IN (SELECT unnest(?::VARCHAR[]))",
                                 [[str(v) for v in values]]).fetchall()) if values else {}
        out = {v: (v, f"{v} {texts[v]}" if texts.get(v) else v) for v in values}
    elif dim == "quarter":
        out = {v: (quarter_of(v),) * 2 for v in values}
    elif dim == "month":
        out = {v: (f"{v.year}-{v.month:02d}",) * 2 for v in values}
    elif dim == "year":
        out = {v: (int(v), str(v)) for v in values}
    elif dim == "contract":
        names = dict(cur.execute("SELECT contract_id, name FROM contracts WHERE contract_id IN (SELECT unnest(?::VARCHAR[]))",
                                 [[str(v) for v in values]]).fetchall()) if values else {}
        out = {v: (v, f"{v} {names[v]}" if names.get(v) else v) for v in values}
    elif dim == "contract_status":
        out = {v: (v, CONTRACT_LABELS.get(v, v)) for v in values}
    else:
        out = {v: (v, str(v)) for v in values}
    return out


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _apply_labels(cur, df: pd.DataFrame, dim: str, raw_col: str, key_col: str, label_col: str) -> pd.DataFrame:
    lab = labels(cur, dim, list(df[raw_col].unique()))
    df[key_col] = pd.Series([None if _missing(v) else lab.get(v, (v, v))[0] for v in df[raw_col]],
                            index=df.index, dtype=object)
    df[label_col] = pd.Series([None if _missing(v) else lab.get(v, (v, v))[1] for v in df[raw_col]],
                              index=df.index, dtype=object)
    return df


# ---------------------------------------------------------------- queries

def kpis(cur: duckdb.DuckDBPyConnection, view: View, exact: bool = False) -> dict:
    """Key figures of the view. spend: the view's spend (SEK, net) in its scope: with scope
    'influenceable' (the default) the influenceable spend (påverkbar spend); total_spend (all
    spend, excluded included) and excluded_spend (SEK outside influenceable spend) beside it;
    lines, suppliers (suppliers_approx: True when approximate, see ``approximate``), org_units and
    credit_notes (lines) in the scope; classified_share (share 0-1
    of the influenceable spend) and valid_org_share (share 0-1 of spend in the scope); shares None
    when 0; prev_spend and change (share, against the same months a year earlier, in the same
    scope; None when those months are not all loaded), prev_complete."""
    cond, params = where(view.replace(scope="all"))
    inside = in_scope(view.scope)
    # sums from the smallest aggregate; the distinct counts each from the smallest that has its column
    sums = cur.execute(f"""
        SELECT coalesce(sum(spend) FILTER (WHERE {inside}), 0), coalesce(sum(lines) FILTER (WHERE {inside}), 0),
               coalesce(sum(lines) FILTER (WHERE credit AND {inside}), 0),
               sum(spend) FILTER (WHERE cat_l1 > 0), sum(spend) FILTER (WHERE valid_org AND {inside}),
               sum(spend) FILTER (WHERE cat_l1 = {EXCLUDED}), coalesce(sum(spend), 0)
        FROM {source(view, False)} f WHERE {cond}""", params).fetchall()[0]
    sup_src = source(view)
    approx = approximate(cur, sup_src, exact)
    count = "approx_count_distinct(supplier_no)" if approx else "count(DISTINCT supplier_no)"
    suppliers = cur.execute(f"SELECT {count} FILTER (WHERE {inside}) FROM {sup_src} f WHERE {cond}", params).fetchall()[0][0]
    units = cur.execute(f"""SELECT count(DISTINCT org_unit) FILTER (WHERE {inside})
                            FROM {source(view, False, ('org_unit',))} f WHERE {cond}""", params).fetchall()[0][0]
    row = (sums[0], sums[1], suppliers, units, *sums[2:])
    spend = float(row[0])
    excluded = float(row[7] or 0)
    total = float(row[8])
    influenceable = total - excluded
    out = {"spend": spend, "total_spend": total, "influenceable_spend": influenceable, "scope": view.scope,
           "lines": int(row[1]), "suppliers": int(row[2]), "suppliers_approx": approx, "org_units": int(row[3]),
           "credit_notes": int(row[4]), "excluded_spend": excluded,
           "classified_share": float(row[5] or 0) / influenceable if influenceable else None,
           "valid_org_share": float(row[6] or 0) / spend if spend else None,
           "prev_spend": None, "change": None, "prev_complete": False}
    lo, hi = view.period_from, view.period_to
    if lo is None or hi is None:
        first, last = cur.execute("SELECT min(period_month), max(period_month) FROM cube_rollup").fetchall()[0]
        lo, hi = lo or first, hi or last
    if lo is None or hi is None or lo > hi:
        return out
    prev = view.replace(period_from=shift_year(lo, -1), period_to=shift_year(hi, -1))
    months_wanted = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    loaded = cur.execute("SELECT count(DISTINCT period_month) FROM cube_rollup WHERE period_month BETWEEN ? AND ?",
                         [prev.period_from, prev.period_to]).fetchall()[0][0]
    out["prev_complete"] = loaded == months_wanted
    if out["prev_complete"]:
        pcond, pparams = where(prev)
        prev_spend = float(cur.execute(f"SELECT coalesce(sum(spend), 0) FROM {source(prev, False)} f WHERE {pcond}",
                                       pparams).fetchall()[0][0])
        out["prev_spend"] = prev_spend
        out["change"] = (spend - prev_spend) / abs(prev_spend) if prev_spend else None
    return out


def _supplier_side(rows: str, cols: str | None) -> str | None:
    """When the supplier is a side of a pivot, the column of its spend groups (g) that holds it:
    its counts then come from those groups, exactly, with no pass of their own."""
    return "g.r" if rows == "supplier" else "g.c" if cols == "supplier" else None


def pivot_sql(view: View, rows: str, cols: str | None = None, top: int = 25, top_cols: int = 12,
              with_suppliers: bool = True, approx: bool = False) -> tuple[str, list]:
    """SQL and parameters of a pivot: cells, row totals, column totals and the grand total in one
    GROUPING SETS query. Spend and lines come from the smallest aggregate without suppliers that
    answers (``source``); rows beyond the ``top`` largest by spend fold into one 'others' row
    (r_other), columns beyond ``top_cols`` into one 'others' column. With ``with_suppliers`` the
    distinct suppliers of each of those groups are counted in one pass over the smallest
    aggregate with suppliers (approximately when ``approx``) and joined on, or, when the
    supplier is a side, exactly from the spend's own groups; else the suppliers column is NULL."""
    for d in (rows, cols):
        if d is not None and d not in DIMENSIONS:
            raise ValueError(f"unknown dimension {d!r}; choose one of {', '.join(DIMENSIONS)}")
    if cols == rows:
        cols = None
    cond, params = where(view)
    c_expr = _GROUP[cols] if cols else "NULL::INTEGER"
    sets = "((r, r_other, c, c_other), (r, r_other), (c, c_other), ())" if cols else "((r, r_other), ())"
    head = ("r, r_other, c, c_other, grouping(r, r_other) AS g_r, grouping(c, c_other) AS g_c" if cols else
            "r, r_other, NULL AS c, NULL::BOOLEAN AS c_other, grouping(r, r_other) AS g_r, 1 AS g_c")
    tags = (f"CASE WHEN rr.rn <= {int(top)} THEN rr.r END AS r, rr.rn > {int(top)} AS r_other, "
            f"CASE WHEN cc.cn <= {int(top_cols)} THEN cc.c END AS c, cc.cn > {int(top_cols)} AS c_other")
    ranked = "JOIN rr ON g.r IS NOT DISTINCT FROM rr.r JOIN cc ON g.c IS NOT DISTINCT FROM cc.c"
    # without columns the counts' pass over the (large) supplier relation joins the row ranks only
    named_tags, named_ranked = (tags, ranked) if cols else (
        f"CASE WHEN rr.rn <= {int(top)} THEN rr.r END AS r, rr.rn > {int(top)} AS r_other, "
        "NULL::INTEGER AS c, NULL::BOOLEAN AS c_other", "JOIN rr ON g.r IS NOT DISTINCT FROM rr.r")
    # when the supplier is a side, each group of g is one supplier's: the distinct suppliers of a
    # row, column, cell or the total are the distinct keys behind it ('others' included), counted
    # exactly from g without a second pass over the supplier aggregate
    side = with_suppliers and _supplier_side(rows, cols)
    side_key, side_count = (f", {side} AS supplier_no", ", count(DISTINCT supplier_no) AS suppliers") if side else ("", "")
    spend_src, sup_src = source(view, False, (rows, cols)), source(view, True, (rows, cols))
    # the spend and the suppliers from one relation (the lines under an amount filter): one pass
    # over it, grouped with the supplier, feeds both
    shared = with_suppliers and not side and spend_src == sup_src
    first = (f"""WITH gs AS (SELECT {_GROUP[rows]} AS r, {c_expr} AS c, f.supplier_no, sum(f.spend) AS spend,
                        sum(f.lines) AS lines FROM {spend_src} f WHERE {cond} GROUP BY ALL),
    g AS (SELECT r, c, sum(spend) AS spend, sum(lines) AS lines FROM gs GROUP BY ALL),""" if shared else
             f"""WITH g AS (SELECT {_GROUP[rows]} AS r, {c_expr} AS c, sum(f.spend) AS spend, sum(f.lines) AS lines
               FROM {spend_src} f WHERE {cond} GROUP BY ALL),""")
    sql = f"""
    {first}
    rr AS (SELECT r, row_number() OVER (ORDER BY sum(spend) DESC, r NULLS LAST) AS rn FROM g GROUP BY r),
    cc AS (SELECT c, row_number() OVER (ORDER BY sum(spend) DESC, c NULLS LAST) AS cn FROM g GROUP BY c),
    tagged AS (SELECT {tags}, g.spend, g.lines{side_key} FROM g {ranked}),
    sums AS (SELECT {head}, sum(spend) AS spend, sum(lines) AS lines{side_count} FROM tagged GROUP BY GROUPING SETS {sets})"""
    if side:
        return sql + """
    SELECT * FROM sums""", params
    if not with_suppliers:
        return sql + """
    SELECT *, NULL::BIGINT AS suppliers FROM sums""", params
    count = "approx_count_distinct(supplier_no)" if approx else "count(DISTINCT supplier_no)"
    same = " AND ".join(f"s.{k} IS NOT DISTINCT FROM n.{k}" for k in ("r", "r_other", "c", "c_other", "g_r", "g_c"))
    keyed = "gs" if shared else f"""(SELECT {_GROUP[rows]} AS r, {c_expr} AS c, f.supplier_no
                    FROM {sup_src} f WHERE {cond})"""
    sql += f""",
    named AS (SELECT {named_tags}, g.supplier_no FROM {keyed} g {named_ranked}),
    counts AS (SELECT {head}, {count} AS suppliers FROM named GROUP BY GROUPING SETS {sets})
    SELECT s.*, n.suppliers FROM sums s LEFT JOIN counts n ON {same}"""
    return sql, params if shared else params + params


@dataclass
class Pivot:
    """A pivot in long form: one row per cell, row total (c_total), column total (r_total),
    with keys, labels, spend (SEK), lines, suppliers and share (of the grand total spend, 0-1);
    ``total`` holds the grand total. ``data`` is ordered: row totals first (by spend descending,
    'others' last), then column totals (the same way), then cells. ``approx``: the supplier
    counts are approximate (see ``approximate``)."""
    rows: str
    cols: str | None
    data: pd.DataFrame
    total: dict
    approx: bool = False
    _parts: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def part(self, kind: str) -> pd.DataFrame:
        """The rows of one kind ('row', 'col' or 'cell') in their order, indexed from 0."""
        if kind not in self._parts:
            d = self.data
            self._parts[kind] = d[d.kind.values == kind].reset_index(drop=True)
        return self._parts[kind]

    def body(self) -> pd.DataFrame:
        """Row totals (one row per row key, 'others' last), sorted by spend descending."""
        return self.part("row")

    def relabel(self, side: str, names: dict, none: str | None = None) -> Pivot:
        """A copy with the labels of one side ('r' or 'c') replaced by ``names[key]`` where the
        key is in ``names``, and the empty key's (not the 'others' row's) by ``none`` when given."""
        data = self.data.copy()
        data[f"{side}_label"] = pd.Series([names.get(k, lab) if k is not None else (none if none and not o else lab)
                                           for k, lab, o in zip(data[f"{side}_key"], data[f"{side}_label"],
                                                                data[f"{side}_other"])],
                                          dtype=object, index=data.index)
        return Pivot(self.rows, self.cols, data, self.total, self.approx)


_KIND_ORDER = {"row": 0, "col": 1, "cell": 2}
_PIVOT_COLUMNS = ("kind", "r_key", "r_label", "r_other", "c_key", "c_label", "c_other", "spend", "lines",
                  "suppliers", "share")


def pivot(cur: duckdb.DuckDBPyConnection, view: View, rows: str, cols: str | None = None,
          top: int = 25, top_cols: int = 12, with_suppliers: bool = True, exact: bool = False) -> Pivot:
    """Spend, lines, suppliers and share by ``rows`` (and ``cols``) for the view; see pivot_sql.
    Supplier counts are exact when ``exact`` or the aggregate read is small (``approximate``)."""
    approx = (with_suppliers and not _supplier_side(rows, cols)
              and approximate(cur, source(view, True, (rows, cols)), exact))
    sql, params = pivot_sql(view, rows, cols, top, top_cols, with_suppliers, approx)
    raw = cur.execute(sql, params).fetchall()
    cols = cols if cols != rows else None
    # (r, r_other, c, c_other, g_r, g_c, spend, lines, suppliers); g_r/g_c = 1 where rolled up
    total = {"spend": 0.0, "lines": 0, "suppliers": 0 if with_suppliers else None}
    kept = []
    for r, r_other, c, c_other, g_r, g_c, spend, lines, sups in raw:
        if g_r and g_c:
            total = {"spend": float(spend or 0), "lines": int(lines or 0), "suppliers": None if sups is None else int(sups)}
        else:
            kept.append(("cell" if not (g_r or g_c) else ("col" if g_r else "row"), r, bool(r_other),
                         c, bool(c_other), float(spend or 0), int(lines or 0), sups))
    rlab = labels(cur, rows, list({k[1] for k in kept}))
    clab = labels(cur, cols, list({k[3] for k in kept})) if cols else {}
    kept.sort(key=lambda k: (_KIND_ORDER[k[0]], k[2], k[4], -k[5]))
    grand = total["spend"]
    out: dict[str, list] = {name: [] for name in _PIVOT_COLUMNS}
    for kind, r, r_other, c, c_other, spend, lines, sups in kept:
        rk = None if _missing(r) else rlab.get(r, (r, r))
        ck = None if (_missing(c) or not cols) else clab.get(c, (c, c))
        out["kind"].append(kind)
        out["r_key"].append(rk and rk[0])
        out["r_label"].append(rk and rk[1])
        out["r_other"].append(r_other)
        out["c_key"].append(ck and ck[0])
        out["c_label"].append(ck and ck[1])
        out["c_other"].append(c_other)
        out["spend"].append(spend)
        out["lines"].append(lines)
        out["suppliers"].append(sups)
        out["share"].append(spend / grand if grand else None)
    n = len(kept)
    objects = np.empty((5, n), dtype=object)       # object arrays keep None (pandas would infer str)
    for i, k in enumerate(("kind", "r_key", "r_label", "c_key", "c_label")):
        objects[i, :] = out[k]
    columns = {"kind": objects[0], "r_key": objects[1], "r_label": objects[2], "r_other": np.array(out["r_other"], dtype=bool),
               "c_key": objects[3], "c_label": objects[4], "c_other": np.array(out["c_other"], dtype=bool),
               "spend": np.array(out["spend"], dtype="float64"), "lines": np.array(out["lines"], dtype="int64"),
               "suppliers": pd.array(out["suppliers"], dtype="Int64"),
               "share": np.array(out["share"], dtype="float64" if grand else object)}
    df = pd.DataFrame({k: pd.Series(v, dtype=v.dtype, copy=False) if isinstance(v, np.ndarray) and v.dtype == object
                       else v for k, v in columns.items()})
    return Pivot(rows, cols, df, total, approx)


def wide(p: Pivot, measure: str = "spend", sort_by: str = "spend", ascending: bool = False,
         unclassified: str = "Ej klassificerat", others: str = "Övriga", total: str = "Totalt",
         blank: str = "(tomt)") -> pd.DataFrame:
    """The pivot as a table for display and export: first column the row labels; with a column
    dimension one column per column value plus a total column, else the columns spend, lines,
    suppliers, share. Rows sorted by ``sort_by`` ('label' or a measure), the 'others' row and the
    total row last."""
    def label(key_is_cat: bool, lab, other: bool):
        if other:
            return others
        if lab is None:
            return unclassified if key_is_cat else blank
        return lab
    rcat = p.rows.startswith("category_")
    d = p.data
    kinds = d.kind.tolist()
    n_rows = kinds.count("row")
    r_lab, r_oth = d.r_label.tolist(), d.r_other.tolist()
    values = {m: d[m].tolist() for m in (("spend", "lines", "suppliers", "share") if p.cols is None else (measure,))}
    if sort_by not in values and sort_by != "label":
        sort_by = "spend" if "spend" in values else measure
    body = []   # (label, other, index into data)
    for i in range(n_rows):
        body.append((label(rcat, r_lab[i], r_oth[i]), r_oth[i], i))
    if sort_by == "label":
        body.sort(key=lambda b: b[0].lower() if isinstance(b[0], str) else str(b[0]), reverse=ascending)
    else:
        sort_vals = values[sort_by]
        body.sort(key=lambda b: _sortable(sort_vals[b[2]]), reverse=not ascending)
    body.sort(key=lambda b: b[1])       # stable: 'others' last
    first = p.rows
    if p.cols is None:
        table = {first: [b[0] for b in body] + [total]}
        for m in ("spend", "lines", "suppliers", "share"):
            table[m] = [values[m][b[2]] for b in body]
        table["spend"].append(p.total["spend"])
        table["lines"].append(p.total["lines"])
        table["suppliers"].append(p.total["suppliers"])
        table["share"].append(1.0 if p.total["spend"] else None)
        out = pd.DataFrame(table)
        out["suppliers"] = out["suppliers"].astype("Int64")
        return out
    ccat = p.cols.startswith("category_")
    c_lab, c_oth = d.c_label.tolist(), d.c_other.tolist()
    vals = values[measure]
    col_idx = [i for i in range(n_rows, len(kinds)) if kinds[i] == "col"]     # already by spend, others last
    order = [label(ccat, c_lab[i], c_oth[i]) for i in col_idx]
    grid: dict = {}
    for i in range(n_rows + len(col_idx), len(kinds)):
        key = (label(rcat, r_lab[i], r_oth[i]), label(ccat, c_lab[i], c_oth[i]))
        grid[key] = vals[i] if key not in grid else grid[key] + vals[i]
    nan = float("nan")
    table = {first: [b[0] for b in body] + [total]}
    for j, cl in enumerate(order):
        col_total = vals[col_idx[j]]
        table[cl] = [_num(grid.get((b[0], cl), nan)) for b in body] + [_num(col_total)]
    table[total] = [_num(vals[b[2]]) for b in body] + [_num(p.total.get(measure, 1.0))]
    return pd.DataFrame(table)


def _sortable(v) -> float:
    return float("-inf") if v is None or v is pd.NA or (isinstance(v, float) and v != v) else float(v)


def _num(v) -> float:
    return float("nan") if v is None or v is pd.NA else float(v)


def spend_by(cur: duckdb.DuckDBPyConnection, dims: list[str], view: View | None = None) -> list[dict]:
    """Spend (SEK), lines and suppliers per combination of ``dims`` for the view, sorted by spend
    descending: a list of dicts with the dimension values under their names (category names,
    supplier names, account codes, 2024, '2024 Q1', '2024-01', legal-form codes)."""
    view = view or View()
    if not dims:
        raise ValueError("give at least one dimension")
    for d in dims:
        if d not in DIMENSIONS:
            raise ValueError(f"unknown dimension {d!r}; choose one of {', '.join(DIMENSIONS)}")
    cond, params = where(view)
    groups = ", ".join(f"{_GROUP[d]} AS d{i}" for i, d in enumerate(dims))
    keys = ", ".join(f"d{i}" for i in range(len(dims)))
    rows = cur.execute(f"""
        SELECT {keys}, sum(spend) AS spend, sum(lines) AS lines, count(DISTINCT supplier_no) AS suppliers
        FROM (SELECT {groups}, f.spend, f.lines, f.supplier_no FROM {source(view, True, tuple(dims))} f WHERE {cond})
        GROUP BY ALL ORDER BY spend DESC, {keys}""", params).fetchall()
    maps = [labels(cur, d, list({r[i] for r in rows})) for i, d in enumerate(dims)]
    out = []
    for r in rows:
        item = {}
        for i, d in enumerate(dims):
            key, lab = maps[i].get(r[i], (r[i], r[i]))
            if d in ("category_l1", "category_l2", "category_l3", "supplier", "account"):
                item[d] = lab
            else:
                item[d] = key
        item.update({"spend": round(float(r[-3]), 2), "lines": int(r[-2]), "suppliers": int(r[-1])})
        out.append(item)
    return out


def trend(cur: duckdb.DuckDBPyConnection, view: View, by: str | None = None, top: int = 8) -> Pivot:
    """Spend per quarter, split by ``by`` (its ``top`` values and others), for a stacked chart."""
    return pivot(cur, view, "quarter", by, top=400, top_cols=top, with_suppliers=False)


def year_over_year(cur: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    """Spend per year and quarter number (1-4) over the view's period and the year before it:
    columns year, q, spend (SEK)."""
    lo = shift_year(view.period_from, -1) if view.period_from else None
    cond, params = where(view.replace(period_from=lo))
    rows = cur.execute(f"""SELECT year(f.period_month) AS year, quarter(f.period_month) AS q, sum(f.spend) AS spend
                           FROM {source(view, False)} f WHERE {cond} GROUP BY ALL ORDER BY 1, 2""", params).fetchall()
    return pd.DataFrame([(int(y), int(q), float(s)) for y, q, s in rows], columns=["year", "q", "spend"])


def pareto(cur: duckdb.DuckDBPyConnection, view: View, tail_threshold: float = 100_000.0) -> dict:
    """Concentration of spend over suppliers.

    Suppliers are ranked by net spend in the view. Class A: the suppliers needed to reach 80 %
    of the positive spend (the one crossing 80 % included); B: up to 95 %; C: the rest and every
    supplier with zero or negative net spend. Returns suppliers (count), n80/n95 (suppliers
    carrying 80/95 %), share80/share95 (those as shares 0-1 of all suppliers), abc (DataFrame:
    class, suppliers, spend), tail (suppliers with net spend below ``tail_threshold`` SEK:
    suppliers, spend, supplier_share, spend_share), curve (DataFrame rank_share, cum_share, at
    most 400 points) and table (DataFrame: rank, supplier_no, spend, lines, cum_share, abc; add
    names with label_suppliers)."""
    cond, params = where(view)
    rows = cur.execute(f"""
        WITH s AS (SELECT supplier_no, sum(spend) AS spend, sum(lines)::BIGINT AS lines
                   FROM {source(view)} f WHERE {cond} GROUP BY supplier_no),
        o AS (SELECT *, row_number() OVER w AS rank,
                     sum(greatest(spend, 0)) OVER w AS cum,
                     sum(greatest(spend, 0)) OVER () AS pos_total
              FROM s WINDOW w AS (ORDER BY spend DESC, supplier_no ROWS UNBOUNDED PRECEDING))
        SELECT rank, supplier_no, spend, lines, cum / nullif(pos_total, 0) AS cum_share,
               CASE WHEN spend <= 0 OR pos_total IS NULL OR pos_total = 0 THEN 'C'
                    WHEN (cum - spend) / pos_total < 0.8 THEN 'A'
                    WHEN (cum - spend) / pos_total < 0.95 THEN 'B' ELSE 'C' END AS abc
        FROM o ORDER BY rank""", params).fetchnumpy()

    def col(name: str, dtype, fill) -> np.ndarray:
        return np.ma.filled(np.ma.asarray(rows[name]), fill).astype(dtype)
    spend = col("spend", float, 0.0)
    n = len(spend)
    abc_col = np.asarray(rows["abc"], dtype=object)
    table = pd.DataFrame({"rank": col("rank", "int64", 0), "supplier_no": col("supplier_no", "int64", 0),
                          "spend": spend, "lines": col("lines", "int64", 0),
                          "cum_share": col("cum_share", float, np.nan),
                          "abc": pd.Series(abc_col, dtype=object)})
    total = float(spend.sum()) if n else 0.0
    classes = {c: abc_col == c for c in "ABC"}
    abc = pd.DataFrame({"abc": list("ABC"), "suppliers": [int(m.sum()) for m in classes.values()],
                        "spend": [float(spend[m].sum()) for m in classes.values()]})
    n80 = int(classes["A"].sum())
    n95 = n80 + int(classes["B"].sum())
    in_tail = spend < tail_threshold
    tail_spend = float(spend[in_tail].sum())
    step = max(1, n // 400)
    picks = list(range(0, n, step))
    if n and picks[-1] != n - 1:
        picks.append(n - 1)
    curve = pd.DataFrame({"rank": table["rank"].values[picks], "cum_share": table["cum_share"].values[picks]})
    curve["rank_share"] = curve["rank"] / n if n else []
    tail = {"suppliers": int(in_tail.sum()), "spend": tail_spend}
    return {
        "suppliers": n, "n80": n80, "n95": n95,
        "share80": n80 / n if n else None, "share95": n95 / n if n else None,
        "abc": abc,
        "tail": {"threshold": tail_threshold, **tail,
                 "supplier_share": tail["suppliers"] / n if n else None,
                 "spend_share": tail_spend / total if total else None},
        "curve": curve,
        "table": table,
    }


def label_suppliers(cur: duckdb.DuckDBPyConnection, table: pd.DataFrame) -> pd.DataFrame:
    """Add supplier_key and supplier (display name) to a frame with supplier_no (such as the
    head of pareto()['table'])."""
    return _apply_labels(cur, table.copy(), "supplier", "supplier_no", "supplier_key", "supplier")


def fragmentation(cur: duckdb.DuckDBPyConnection, view: View, level: int = 2,
                  tail_threshold: float = 100_000.0) -> pd.DataFrame:
    """Supplier fragmentation per category at ``level`` (1-3): columns key, category, spend (SEK),
    suppliers, spend_per_supplier (SEK), top_share (the largest supplier's share 0-1 of the
    category), tail_suppliers (suppliers under ``tail_threshold`` SEK there). Most suppliers first."""
    dim = f"category_l{int(level)}"
    cond, params = where(view)
    rows = cur.execute(f"""
        WITH cs AS (SELECT {_GROUP[dim]} AS k, f.supplier_no, sum(f.spend) AS spend
                    FROM {source(view, True, (dim,))} f WHERE {cond} GROUP BY ALL)
        SELECT k, sum(spend) AS spend, count(*) AS suppliers, sum(spend) / count(*) AS per_supplier,
               max(spend) / nullif(sum(spend), 0) AS top_share, count(*) FILTER (WHERE spend < ?) AS tail
        FROM cs GROUP BY k ORDER BY suppliers DESC, spend DESC""", params + [tail_threshold]).fetchall()
    df = pd.DataFrame(rows, columns=["k", "spend", "suppliers", "spend_per_supplier", "top_share", "tail_suppliers"])
    for c in ("spend", "spend_per_supplier", "top_share"):
        df[c] = df[c].astype(float)
    df = _apply_labels(cur, df, dim, "k", "key", "category")
    return df[["key", "category", "spend", "suppliers", "spend_per_supplier", "top_share", "tail_suppliers"]]


LINE_COLUMNS = ["booking_date", "period_month", "supplier_name", "org_no", "account", "account_text", "org_unit",
                "invoice_no", "voucher_no", "description", "buyer", "amount", "file_name", "source_row", "line_ref"]


def lines(cur: duckdb.DuckDBPyConnection, view: View, page: int = 0, page_size: int = 50,
          order: str = "amount_desc") -> tuple[pd.DataFrame, int, float]:
    """One page of the invoice lines behind the view (add cell keys to view.drill first), with
    the count and sum of all of them. Organisation numbers of sole traders are masked and their
    names replaced, as everywhere. ``order``: amount_desc, amount_asc, date_desc, date_asc.
    line_ref ('batch:row') names the line for a single-line exclusion rule."""
    orders = {"amount_desc": "f.amount DESC, f.batch_id, f.source_row", "amount_asc": "f.amount ASC, f.batch_id, f.source_row",
              "date_desc": "f.period_month DESC, f.booking_date DESC NULLS LAST, f.batch_id, f.source_row",
              "date_asc": "f.period_month, f.booking_date NULLS LAST, f.batch_id, f.source_row"}
    cond, params = where(view)
    n, total = cur.execute(f"SELECT count(*), coalesce(sum(f.amount), 0) FROM {LINE_SOURCE} f WHERE {cond}",
                           params).fetchall()[0]
    rows = cur.execute(f"""
        SELECT f.booking_date, f.period_month, f.supplier_name, f.org_no, f.account, f.account_text, f.org_unit,
               f.invoice_no, f.voucher_no, f.description, f.buyer, f.amount::DOUBLE, b.file_name, f.source_row,
               f.batch_id || ':' || f.source_row
        FROM {LINE_SOURCE} f JOIN batches b USING (batch_id)
        WHERE {cond} ORDER BY {orders[order]} LIMIT ? OFFSET ?""",
                       params + [int(page_size), int(page) * int(page_size)]).fetchall()
    return pd.DataFrame(rows, columns=LINE_COLUMNS), int(n), float(total)


def filter_options(cur: duckdb.DuckDBPyConnection) -> dict:
    """Choices for the page's filters: categories [(id, path label)], accounts [(code, label)],
    suppliers [(key, label)] (the 5,000 largest by spend)."""
    cats = category_names(cur)
    categories = sorted(((cid, " › ".join(n["path"])) for cid, n in cats.items()), key=lambda x: x[1])
    accounts = [(r[0], f"{r[0]} {r[1]}" if r[1] else r[0]) for r in cur.execute(
        "SELECT account, account_text FROM cube_accounts ORDER BY account").fetchall()]
    return {"categories": categories, "accounts": accounts, "suppliers": supplier_choices(cur)}


def supplier_choices(cur: duckdb.DuckDBPyConnection, limit: int = 5000) -> list[tuple[str, str]]:
    """(supplier key, shown name with the organisation number), the largest by influenceable
    spend first (a pension fund or the tax office, excluded, would otherwise head every picker;
    they follow, by their whole spend): what a supplier picker offers (sole traders as
    'Enskild firma #tag')."""
    return [(r[0], r[1]) for r in cur.execute(f"""
        WITH infl AS (SELECT supplier_no, sum(spend) AS spend FROM cube_suppliers
                      WHERE {influenceable()} GROUP BY 1)
        SELECT supplier_key, {shown_name_sql(with_org=True)}
        FROM suppliers LEFT JOIN infl USING (supplier_no)
        ORDER BY coalesce(infl.spend, 0) DESC, total DESC, supplier_key LIMIT ?""", [int(limit)]).fetchall()]
