"""Fixed KPIs per category area: each defined for a level-1 or level-2 node of the tree with a
target and a direction (up: higher is better; down: lower is better). Measured ones are computed
per quarter from the data (avtalstrohet, the five largest suppliers' share of the spend, the number
of suppliers, the share classified down to a category without children, measured savings against
plan for the area's initiatives); entered ones (a quality or delivery KPI) are entered per
quarter with a comment. ``status`` says met, near (within NEAR of the target) or missed, and the
table carries the trend on the quarter before.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from . import access
from . import prioritise as pr
from . import savings as sv
from .categories import category_names
from .constants import EXCLUDED
from .errors import PlanError
from .periods import quarter_end, quarter_of, quarter_start
from .store import audit, current_user, transaction

MEASURES = ("compliance", "top5_share", "suppliers", "classified_share", "savings_vs_plan", "entered")
UNITS = {"compliance": "share", "top5_share": "share", "suppliers": "count", "classified_share": "share",
         "savings_vs_plan": "share"}
ENTERED_UNITS = ("share", "count", "number", "money")
DIRECTIONS = ("up", "down")
NEAR = 0.10          # within 10 % of the target (relatively) is 'near'
KIND = {"share": "share", "count": "count", "money": "money", "number": "score"}   # unit -> analytics.format kind


def status(value: float | None, target: float | None, direction: str, near: float = NEAR) -> str | None:
    """'met', 'near' or 'missed' for a KPI value against its target in its direction; None
    without a value or a target."""
    if value is None or target is None or value != value:
        return None
    if direction == "up":
        if value >= target:
            return "met"
        return "near" if value >= target - abs(target) * near else "missed"
    if direction == "down":
        if value <= target:
            return "met"
        return "near" if value <= target + abs(target) * near else "missed"
    raise PlanError("kpi_direction", f"'{direction}' is not a direction (up or down)", value=str(direction))


def define(cur: duckdb.DuckDBPyConnection, category_id: int, name: str, measure: str, target: float | None,
           direction: str, unit: str | None = None, *, kpi_id: int | None = None, actor: str | None = None) -> int:
    """Add (or, with ``kpi_id``, change) a KPI of a level-1 or level-2 area; audited."""
    access.require(access.PLANS)
    names = category_names(cur)
    node = names.get(int(category_id)) if category_id is not None else None
    if not _is_area(int(category_id) if category_id is not None else -1, node):
        raise PlanError("kpi_area", "a KPI belongs to a category area of level 1 or 2", value=str(category_id))
    if not (name or "").strip():
        raise PlanError("kpi_name", "give the KPI a name")
    if measure not in MEASURES:
        raise PlanError("kpi_measure", f"'{measure}' is not a measure; choose one of {', '.join(MEASURES)}", value=measure)
    if direction not in DIRECTIONS:
        raise PlanError("kpi_direction", f"'{direction}' is not a direction (up or down)", value=str(direction))
    unit = UNITS.get(measure) or unit or "number"
    if unit not in ENTERED_UNITS:
        raise PlanError("kpi_unit", f"'{unit}' is not a unit ({', '.join(ENTERED_UNITS)})", value=unit)
    if target is not None and unit == "share" and not 0 <= float(target) <= 1:
        raise PlanError("kpi_target", "a share's target is between 0 and 100 %", value=str(target))
    with transaction(cur):
        if kpi_id is None:
            kpi_id = cur.execute("""INSERT INTO kpi_definitions (category_id, name, measure, target, direction, unit,
                                        active, updated_at, updated_by)
                                    VALUES (?, ?, ?, ?, ?, ?, true, now()::TIMESTAMP, ?) RETURNING kpi_id""",
                                 [int(category_id), name.strip(), measure, target, direction, unit,
                                  actor or current_user()]).fetchall()[0][0]
        else:
            cur.execute("""UPDATE kpi_definitions SET category_id = ?, name = ?, measure = ?, target = ?, direction = ?,
                           unit = ?, updated_at = now()::TIMESTAMP, updated_by = ? WHERE kpi_id = ?""",
                        [int(category_id), name.strip(), measure, target, direction, unit, actor or current_user(),
                         int(kpi_id)])
        audit(cur, "kpi_define", "kpi_definitions", {"kpi_id": kpi_id, "name": name.strip(), "measure": measure,
                                                     "target": target, "direction": direction}, actor)
    return kpi_id


def enter(cur: duckdb.DuckDBPyConnection, kpi_id: int, quarter: str, value: float | None, comment: str | None = None,
          *, actor: str | None = None) -> None:
    """An entered KPI's value for a quarter ('2025 Q3'), with a comment; replaces an earlier
    entry for the quarter; audited."""
    access.require(access.PLANS)
    rows = cur.execute("SELECT measure FROM kpi_definitions WHERE kpi_id = ? AND active", [int(kpi_id)]).fetchall()
    if not rows:
        raise PlanError("kpi_missing", f"there is no KPI {kpi_id}", value=str(kpi_id))
    if rows[0][0] != "entered":
        raise PlanError("kpi_measured", "this KPI is measured from the data; only entered KPIs take values")
    q = pr.parse_quarter(quarter)
    if q is None:
        raise PlanError("kpi_quarter", "give the quarter, such as 2025 Q3")
    with transaction(cur):
        cur.execute("DELETE FROM kpi_entries WHERE kpi_id = ? AND quarter = ?", [int(kpi_id), q])
        cur.execute("INSERT INTO kpi_entries VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?)",
                    [int(kpi_id), q, value, (comment or "").strip() or None, actor or current_user()])
        audit(cur, "kpi_enter", "kpi_entries", {"kpi_id": kpi_id, "quarter": q, "value": value}, actor)


def areas(cur: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """The areas a KPI can belong to: (category_id, path) of every level-1 and level-2 category
    (the exclusions not), in the tree's order."""
    names = category_names(cur)
    return sorted(((c, " / ".join(n["path"])) for c, n in names.items() if _is_area(c, n)),
                  key=lambda x: [p.lower() for p in names[x[0]]["path"]])


def _is_area(category_id: int, node: dict | None) -> bool:
    """A level-1 or level-2 category outside the exclusions."""
    return node is not None and node["level"] <= 2 and EXCLUDED not in (category_id, node["parent_id"])


def retire(cur: duckdb.DuckDBPyConnection, kpi_id: int, *, actor: str | None = None) -> None:
    """Take a KPI out of use (its definition and entered values are kept for the log); audited."""
    access.require(access.PLANS)
    rows = cur.execute("SELECT name FROM kpi_definitions WHERE kpi_id = ? AND active", [int(kpi_id)]).fetchall()
    if not rows:
        raise PlanError("kpi_missing", f"there is no KPI {kpi_id}", value=str(kpi_id))
    with transaction(cur):
        cur.execute("""UPDATE kpi_definitions SET active = false, updated_at = now()::TIMESTAMP, updated_by = ?
                       WHERE kpi_id = ?""", [actor or current_user(), int(kpi_id)])
        audit(cur, "kpi_retire", "kpi_definitions", {"kpi_id": int(kpi_id), "name": rows[0][0]}, actor)


def definitions(cur: duckdb.DuckDBPyConnection, category_ids: list[int] | None = None) -> pd.DataFrame:
    """The active KPIs (of the areas holding ``category_ids`` when given): kpi_id, category_id,
    area (its path), name, measure, target, direction, unit."""
    df = cur.execute("""SELECT kpi_id, category_id, name, measure, target, direction, unit FROM kpi_definitions
                        WHERE active ORDER BY category_id, kpi_id""").df()
    names = category_names(cur)
    df.insert(2, "area", [" / ".join(names[c]["path"]) if c in names else str(c) for c in df.category_id])
    if category_ids is not None:
        areas = set()
        for c in category_ids:
            path = cur.execute("SELECT l1_id, l2_id FROM category_paths WHERE category_id = ?", [int(c)]).fetchall()
            areas |= {x for x in (path[0] if path else ()) if x is not None}
        df = df[df.category_id.isin(areas)]
    return df.reset_index(drop=True)


def series(cur: duckdb.DuckDBPyConnection, kpi: dict, quarters: list[str],
           measured: dict | None = None) -> dict[str, float | None]:
    """A KPI's value per quarter (label -> value; None where it cannot be measured). ``measured``:
    a dict the caller keeps across the KPIs of one set of quarters, so an area's spend measures
    are read once for all its KPIs."""
    if kpi["measure"] == "entered":
        got = dict(cur.execute("SELECT quarter, value FROM kpi_entries WHERE kpi_id = ?", [int(kpi["kpi_id"])]).fetchall())
        return {q: got.get(q) for q in quarters}
    if kpi["measure"] == "savings_vs_plan":
        return _savings(cur, int(kpi["category_id"]), quarters)
    c = int(kpi["category_id"])
    measured = {} if measured is None else measured
    if c not in measured:
        measured[c] = _measures(cur, c, quarters)
    return {q: measured[c].get(q, {}).get(kpi["measure"]) for q in quarters}


def _measures(cur, c: int, quarters: list[str]) -> dict[str, dict]:
    """The spend measures of area ``c`` per quarter label: compliance, suppliers,
    classified_share, top5_share."""
    lo, hi = quarter_start(quarters[0]), quarter_end(quarters[-1])
    rows = cur.execute("""
        WITH f AS (SELECT date_trunc('quarter', period_month)::DATE AS q, supplier_no, contract_id, spend,
                          coalesce(cat_l3, cat_l2, cat_l1) AS node
                   FROM cube_suppliers
                   WHERE (cat_l1 = ? OR cat_l2 = ?) AND period_month BETWEEN ? AND ?),
        s AS (SELECT q, supplier_no, sum(spend) AS spend FROM f GROUP BY ALL),
        r AS (SELECT q, greatest(spend, 0) AS spend, row_number() OVER (PARTITION BY q ORDER BY spend DESC) AS k FROM s)
        SELECT f.q, sum(f.spend)::DOUBLE, (sum(f.spend) FILTER (WHERE f.contract_id IS NOT NULL))::DOUBLE,
               count(DISTINCT f.supplier_no) FILTER (WHERE f.spend <> 0),
               (sum(f.spend) FILTER (WHERE f.node NOT IN (SELECT parent_id FROM categories WHERE parent_id IS NOT NULL)))::DOUBLE,
               (SELECT sum(spend) FILTER (WHERE k <= 5) / nullif(sum(spend), 0) FROM r WHERE r.q = f.q)::DOUBLE
        FROM f GROUP BY f.q""", [c, c, lo, hi]).fetchall()
    register = cur.execute("SELECT count(*) FROM contracts").fetchall()[0][0] > 0
    by = {}
    for q, spend, on, n, leaf, top5 in rows:
        label = quarter_of(q)
        by[label] = {"compliance": (on or 0) / spend if spend and register else None, "suppliers": n,
                     "classified_share": (leaf or 0) / spend if spend else None, "top5_share": top5}
    return by


def _savings(cur, category_id: int, quarters: list[str]) -> dict[str, float | None]:
    """Measured savings against plan for the initiatives linked to the area, per quarter: each
    initiative counted in the quarters it plans savings for (a saving measured after its plan
    ends has no plan to be set against, and would make another initiative's quarter look met)."""
    planned = {q: 0.0 for q in quarters}
    measured = {q: 0.0 for q in quarters}
    under = {r[0] for r in cur.execute("SELECT category_id FROM category_paths WHERE l1_id = ? OR l2_id = ? OR l3_id = ?",
                                       [category_id] * 3).fetchall()}
    for it in pr.load(cur):
        if not it.start or not (set(it.category_ids) & under):
            continue
        for r in sv.quarters(cur, it.initiative_id).itertuples():
            if r.quarter in planned and r.planned == r.planned and r.planned:
                planned[r.quarter] += float(r.planned or 0)
                measured[r.quarter] += float(r.measured) if r.measured is not None and r.measured == r.measured else 0.0
    return {q: (measured[q] / planned[q]) if planned[q] else None for q in quarters}


def history(cur: duckdb.DuckDBPyConnection, kpi_id: int, last: int = 8) -> pd.DataFrame:
    """One KPI over the last ``last`` loaded quarters, oldest first: quarter, value, target,
    status, comment (an entered KPI's)."""
    defs = definitions(cur)
    k = defs[defs.kpi_id == int(kpi_id)]
    if k.empty:
        raise PlanError("kpi_missing", f"there is no KPI {kpi_id}", value=str(kpi_id))
    k = k.iloc[0].to_dict()
    qs = loaded_quarters(cur, last)
    values = series(cur, k, qs) if qs else {}
    comments = dict(cur.execute("SELECT quarter, comment FROM kpi_entries WHERE kpi_id = ?", [int(kpi_id)]).fetchall())
    target = None if k["target"] is None or k["target"] != k["target"] else float(k["target"])
    return pd.DataFrame({"quarter": qs, "value": [values.get(q) for q in qs], "target": [target] * len(qs),
                         "status": [status(values.get(q), target, k["direction"]) for q in qs],
                         "comment": [comments.get(q) for q in qs]}, columns=["quarter", "value", "target", "status", "comment"])


def loaded_quarters(cur: duckdb.DuckDBPyConnection, last: int = 8) -> list[str]:
    """The last ``last`` quarters with loaded months, oldest first."""
    rows = cur.execute("""SELECT DISTINCT date_trunc('quarter', period_month)::DATE FROM cube_rollup ORDER BY 1 DESC
                          LIMIT ?""", [int(last)]).fetchall()
    return [quarter_of(r[0]) for r in reversed(rows)]


def table(cur: duckdb.DuckDBPyConnection, category_ids: list[int] | None = None, quarter: str | None = None) -> pd.DataFrame:
    """One row per KPI (of the areas holding ``category_ids``): kpi_id, area, name, measure,
    unit, target, direction, quarter (the latest loaded, or ``quarter``), value, previous (the
    quarter before), trend (value - previous), status, comment (an entered KPI's)."""
    defs = definitions(cur, category_ids)
    qs = loaded_quarters(cur, 400)
    if quarter:
        qs = [q for q in qs if q <= quarter] or [quarter]
    qs = qs[-2:]                  # the quarter and the one before it
    cols = ["kpi_id", "area", "name", "measure", "unit", "target", "direction", "quarter", "value", "previous", "trend",
            "status", "comment"]
    if defs.empty or not qs:
        return pd.DataFrame(columns=cols)
    rows, measured, q = [], {}, qs[-1]
    comments = dict(cur.execute("SELECT kpi_id, comment FROM kpi_entries WHERE quarter = ?", [q]).fetchall())
    for k in defs.to_dict("records"):
        s = series(cur, k, qs, measured)
        value, prev = s.get(q), s.get(qs[-2]) if len(qs) > 1 else None
        comment = comments.get(int(k["kpi_id"])) if k["measure"] == "entered" else None
        target = None if k["target"] is None or k["target"] != k["target"] else float(k["target"])
        rows.append({"kpi_id": int(k["kpi_id"]), "area": k["area"], "name": k["name"], "measure": k["measure"],
                     "unit": k["unit"], "target": target, "direction": k["direction"], "quarter": q, "value": value,
                     "previous": prev, "trend": (value - prev) if value is not None and prev is not None else None,
                     "status": status(value, target, k["direction"]), "comment": comment})
    return pd.DataFrame(rows, columns=cols)

