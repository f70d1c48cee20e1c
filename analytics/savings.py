"""Savings tracker (besparingsuppföljning): from promised to measured savings per initiative and
quarter.

- Planned: the initiative's estimated saving spread evenly over its planned quarters, unless a
  quarter's plan is edited.
- Reported: entered per quarter by the category leader, with a comment.
- Measured: from the ledger. The baseline is the spend of the initiative's linked categories
  (optionally only some suppliers) over the 12 months before its start quarter, frozen when the
  initiative is approved (who, when, figure and scope stored; a later upload that changes those
  months does not move it, the difference is shown). Each later complete quarter: saving =
  baseline quarterly run-rate (baseline / 4) x adjustment - the quarter's actual spend in the same
  scope (not measured while fewer than 12 baseline months were loaded at the freeze). The
  adjustment is 1, or an index series the user entered (a price index such as KPI,
  or a volume index): the quarter's index / the mean index of the baseline quarters.
- Cost reduction (kostnadsreduktion) and cost avoidance (kostnadsundvikande) are kept apart in
  every total.
- Status by a visible rule on the cumulative figures to the last loaded quarter: on track when
  measured (else reported) reaches 90 % of planned, at risk from 60 %, else behind.
- Finance signs a quarter off (who, when).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from . import access, prioritise
from .categories import category_names
from .errors import SavingsError
from .format import parse_number
from .periods import q_index, q_label, quarter_end, quarter_of, quarter_start
from .prioritise import Initiative, category_figures, default_window_end, parse_quarter
from .prioritise import load as load_initiatives
from .prioritise import table as init_table
from .store import audit, current_user, transaction

TYPES = ("cost_reduction", "cost_avoidance")
ON_TRACK, AT_RISK = 0.9, 0.6
FROZEN_STATUSES = ("approved", "running", "done")


# ------------------------------------------------------------------ quarters

def q_months(label: str) -> tuple[dt.date, dt.date]:
    """A quarter's first and last month."""
    return quarter_start(label), quarter_end(label)


def last_complete_quarter(cur) -> str | None:
    """The last quarter whose three months are all loaded."""
    months = {r[0] for r in cur.execute("SELECT DISTINCT period_month FROM cube_rollup").fetchall()}
    if not months:
        return None
    k = q_index(quarter_of(max(months)))
    while k >= q_index(f"{min(months).year} Q1"):
        lo, hi = q_months(q_label(k))
        if all(dt.date(lo.year, m, 1) in months for m in range(lo.month, hi.month + 1)):
            return q_label(k)
        k -= 1
    return None


# ------------------------------------------------------------------ settings, scope, baseline

def settings(cur, initiative_id: int) -> dict:
    """{saving_type, index_series (or None), supplier_keys (list)} with defaults."""
    rows = cur.execute("SELECT saving_type, index_series, supplier_keys FROM savings_settings WHERE initiative_id = ?",
                       [initiative_id]).fetchall()
    if not rows:
        return {"saving_type": "cost_reduction", "index_series": None, "supplier_keys": []}
    return {"saving_type": rows[0][0], "index_series": rows[0][1], "supplier_keys": list(rows[0][2] or [])}


def set_settings(cur, initiative_id: int, saving_type: str, index_series: str | None, supplier_keys: list[str], *,
                 actor: str | None = None) -> None:
    """Set an initiative's saving type, index series and supplier set (audited)."""
    access.require(access.INITIATIVES)
    if saving_type not in TYPES:
        raise SavingsError("sav_type", f"'{saving_type}' is not a saving type; use {', '.join(TYPES)}", value=saving_type)
    if index_series and not cur.execute("SELECT count(*) FROM index_values WHERE series = ?", [index_series]).fetchall()[0][0]:
        raise SavingsError("sav_index_missing", f"there is no index series '{index_series}'; enter it first",
                           value=index_series)
    before = settings(cur, initiative_id)
    with transaction(cur):
        cur.execute("DELETE FROM savings_settings WHERE initiative_id = ?", [initiative_id])
        cur.execute("INSERT INTO savings_settings VALUES (?, ?, ?, ?)",
                    [initiative_id, saving_type, index_series or None, list(supplier_keys)])
        audit(cur, "savings_settings", "savings_settings",
              {"initiative_id": initiative_id, "before": before,
               "after": {"saving_type": saving_type, "index_series": index_series, "supplier_keys": list(supplier_keys)}},
              actor)


def _scope_by_month(cur, category_ids: list[int], supplier_keys: list[str], lo: dt.date, hi: dt.date) -> dict:
    """Influenceable spend (SEK) of the scope per month in lo..hi, from the cube's aggregate (one
    query; excluded lines carry category -1 there, so a category filter leaves them out)."""
    if not category_ids:
        return {}
    ids = [int(c) for c in category_ids]
    sup = ("AND f.supplier_no IN (SELECT supplier_no FROM suppliers WHERE supplier_key IN (SELECT unnest(?::VARCHAR[])))"
           if supplier_keys else "")
    params = [lo, hi, ids, ids, ids] + ([list(supplier_keys)] if supplier_keys else [])
    return dict(cur.execute(f"""
        SELECT f.period_month, sum(f.spend)::DOUBLE FROM cube_suppliers f
        WHERE f.period_month BETWEEN ? AND ?
          AND (f.cat_l1 IN (SELECT unnest(?::INTEGER[])) OR f.cat_l2 IN (SELECT unnest(?::INTEGER[]))
               OR f.cat_l3 IN (SELECT unnest(?::INTEGER[]))) {sup}
        GROUP BY 1""", params).fetchall())


def scope_spend(cur, category_ids: list[int], supplier_keys: list[str], lo: dt.date, hi: dt.date) -> tuple[float, int]:
    """Influenceable spend (SEK) of the scope in months lo..hi and the number of months loaded."""
    if not category_ids:
        return 0.0, 0
    spend = sum(_scope_by_month(cur, category_ids, supplier_keys, lo, hi).values())
    months = cur.execute("SELECT count(DISTINCT period_month) FROM cube_rollup WHERE period_month BETWEEN ? AND ?",
                         [lo, hi]).fetchall()[0][0]
    return float(spend), int(months)


def baseline_window(start: str) -> tuple[dt.date, dt.date]:
    """The 12 months before the start quarter."""
    k = q_index(start)
    return q_months(q_label(k - 4))[0], q_months(q_label(k - 1))[1]


def freeze(cur, initiative_id: int, *, actor: str | None = None) -> dict:
    """Freeze the initiative's baseline now: spend of its scope over the 12 months before its
    start quarter, with who, when, the months loaded and the scope. Refused without a start
    quarter or linked categories."""
    access.require(access.INITIATIVES)
    it = {i.initiative_id: i for i in load_initiatives(cur)}.get(initiative_id)
    if it is None:
        raise SavingsError("sav_missing", f"initiative {initiative_id} does not exist", value=str(initiative_id))
    if not it.start or not it.category_ids:
        raise SavingsError("sav_no_scope", "the initiative needs a start quarter and linked categories for a baseline",
                           name=it.name)
    s = settings(cur, initiative_id)
    lo, hi = baseline_window(it.start)
    spend, months = scope_spend(cur, it.category_ids, s["supplier_keys"], lo, hi)
    who = actor or current_user()
    with transaction(cur):          # joins the initiatives' save when it freezes on approval
        cur.execute("DELETE FROM savings_baselines WHERE initiative_id = ?", [initiative_id])
        cur.execute("""INSERT INTO savings_baselines VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)""",
                    [initiative_id, lo, hi, spend, months,
                     json.dumps({"categories": it.category_ids, "suppliers": s["supplier_keys"]}), who])
        audit(cur, "baseline_freeze", "savings_baselines",
              {"initiative_id": initiative_id, "name": it.name, "from": lo, "to": hi, "spend": spend, "months": months},
              actor)
    return {"spend": spend, "months": months, "from": lo, "to": hi}


def freeze_approved(cur, *, actor: str | None = None) -> int:
    """Freeze the baseline of every approved/running/done initiative that has none yet (and has
    a start quarter and categories); inside the caller's transaction. Returns how many."""
    access.require(access.INITIATIVES)
    have = {r[0] for r in cur.execute("SELECT initiative_id FROM savings_baselines").fetchall()}
    n = 0
    for it in load_initiatives(cur):
        if it.status in FROZEN_STATUSES and it.initiative_id not in have and it.start and it.category_ids:
            freeze(cur, it.initiative_id, actor=actor)
            n += 1
    return n


def save_initiatives(cur, items: list[Initiative], *, actor: str | None = None, **options) -> dict:
    """prioritise.save, and in the same transaction the baseline of every initiative the save
    approved is frozen: the one way initiatives are saved (pages, CLI, demo). Returns
    {added, changed, deleted}."""
    with transaction(cur):
        res = prioritise.save(cur, items, actor=actor, **options)
        freeze_approved(cur, actor=actor)
    return res


def import_initiatives(cur, name: str, data: bytes, *, replace: bool = False, actor: str | None = None) -> dict:
    """prioritise.import_file, with the baselines of approved initiatives frozen in the same transaction."""
    with transaction(cur):
        res = prioritise.import_file(cur, name, data, replace=replace, actor=actor)
        freeze_approved(cur, actor=actor)
    return res


def load_demo_initiatives(cur) -> int:
    """Add the six demo initiatives (prioritise.DEMO) unless demo initiatives exist; returns how many."""
    access.require(access.INITIATIVES)
    items = prioritise.demo_initiatives(cur)
    if items:
        save_initiatives(cur, load_initiatives(cur) + items, actor="demo")
    return len(items)


def baseline(cur, initiative_id: int) -> dict | None:
    rows = cur.execute("""SELECT period_from, period_to, spend, months, scope, frozen_at, frozen_by
                          FROM savings_baselines WHERE initiative_id = ?""", [initiative_id]).fetchall()
    if not rows:
        return None
    r = rows[0]
    return {"from": r[0], "to": r[1], "spend": float(r[2]), "months": r[3], "scope": json.loads(r[4]),
            "frozen_at": r[5], "frozen_by": r[6]}


# ------------------------------------------------------------------ index series

def set_index(cur, series: str, values: dict[str, float], *, actor: str | None = None) -> None:
    """Replace an index series: quarter label -> value (> 0)."""
    access.require(access.INDEX)
    series = (series or "").strip()
    if not series:
        raise SavingsError("sav_index_name", "give the index series a name")
    clean = {}
    for q, v in values.items():
        label = parse_quarter(q)
        try:
            v = parse_number(v)                        # '112,5' as typed, or a number
        except ValueError:
            v = None
        if v is None or not v > 0:
            raise SavingsError("sav_index_value", f"the index for {label} must be a positive number", quarter=label)
        clean[label] = float(v)
    with transaction(cur):
        cur.execute("DELETE FROM index_values WHERE series = ?", [series])
        for q, v in sorted(clean.items()):
            cur.execute("INSERT INTO index_values VALUES (?, ?, ?)", [series, q, v])
        audit(cur, "index_set", "index_values", {"series": series, "values": clean}, actor)


def index_series_names(cur) -> list[str]:
    """The index series entered, by name."""
    return [r[0] for r in cur.execute("SELECT DISTINCT series FROM index_values ORDER BY 1").fetchall()]


def index_series(cur, series: str) -> dict[str, float]:
    return dict(cur.execute("SELECT quarter, value FROM index_values WHERE series = ? ORDER BY quarter", [series]).fetchall())


# ------------------------------------------------------------------ per quarter

def _estimates(cur, items: list[Initiative]) -> dict[int, tuple[Initiative, float]]:
    """initiative_id -> (the initiative, its estimated saving in SEK; 0 when it has none), from
    one pass of the prioritisation table over ``items``."""
    if not items:
        return {}
    saving = {int(r.initiative_id): (float(r.saving) if r.saving is not None and r.saving == r.saving else 0.0)
              for r in init_table(cur, items).itertuples()}
    return {it.initiative_id: (it, saving[it.initiative_id]) for it in items}


def quarters(cur, initiative_id: int, until: str | None = None, *, known: tuple[Initiative, float] | None = None
             ) -> pd.DataFrame:
    """One row per quarter from the start quarter to the later of the plan's end and ``until``
    (default: the last complete loaded quarter): quarter, planned (SEK; edited or spread),
    planned_edited, reported, comment, actual (spend in scope; complete quarters only),
    run_rate (baseline / 4), adjustment, expected (run_rate x adjustment), measured (expected -
    actual), method (how measured was computed), signed_by, signed_at. ``known``: the initiative and its
    estimated saving (SEK), when the caller has them for every initiative (``_estimates``)."""
    it = known[0] if known else {i.initiative_id: i for i in load_initiatives(cur)}[initiative_id]
    cols = ["quarter", "planned", "planned_edited", "reported", "comment", "actual", "run_rate", "adjustment",
            "expected", "measured", "method", "signed_by", "signed_at"]
    if not it.start:
        return pd.DataFrame(columns=cols)
    estimate = known[1] if known else _estimates(cur, [it])[it.initiative_id][1]
    s = settings(cur, initiative_id)
    base = baseline(cur, initiative_id)
    last = until or last_complete_quarter(cur)
    k0 = q_index(it.start)
    k_end = max(k0 + it.duration - 1, q_index(last) if last else k0)
    entered = {r[0]: r[1:] for r in cur.execute(
        """SELECT quarter, planned, reported, comment, signed_by, signed_at FROM savings_quarters
           WHERE initiative_id = ?""", [initiative_id]).fetchall()}
    idx = index_series(cur, s["index_series"]) if s["index_series"] else {}
    base_idx = None
    if idx and base:
        vals = [idx.get(q_label(k)) for k in range(k0 - 4, k0)]
        base_idx = sum(vals) / 4 if all(v is not None for v in vals) else None
    monthly = _scope_by_month(cur, it.category_ids, s["supplier_keys"], q_months(it.start)[0],
                              q_months(q_label(k_end))[1]) if base else {}
    rows = []
    for k in range(k0, k_end + 1):
        q = q_label(k)
        e = entered.get(q, (None, None, None, None, None))
        spread = estimate / it.duration if k < k0 + it.duration else 0.0
        planned = float(e[0]) if e[0] is not None else spread
        actual = measured = expected = adj = rr = None
        method = None
        complete = last is not None and k <= q_index(last)
        if base and complete and base["months"] < 12:
            method = f"baseline incomplete: {base['months']} of 12 months loaded"
        elif base and complete:
            lo, hi = q_months(q)
            actual = float(sum(v for m, v in monthly.items() if lo <= m <= hi))
            rr = base["spend"] / 4
            adj = 1.0
            method = f"baseline {base['from']:%Y-%m}–{base['to']:%Y-%m} / 4 − actual"
            if s["index_series"]:
                if base_idx and idx.get(q):
                    adj = idx[q] / base_idx
                    method = (f"baseline {base['from']:%Y-%m}–{base['to']:%Y-%m} / 4 × {s['index_series']} "
                              f"{idx[q]:g} / {base_idx:g} − actual")
                else:
                    adj = None
                    method = f"index {s['index_series']} missing for {q} or the baseline quarters"
            if adj is not None:
                expected = rr * adj
                measured = expected - actual
        rows.append({"quarter": q, "planned": planned, "planned_edited": e[0] is not None,
                     "reported": None if e[1] is None else float(e[1]), "comment": e[2], "actual": actual,
                     "run_rate": rr, "adjustment": adj, "expected": expected, "measured": measured, "method": method,
                     "signed_by": e[3], "signed_at": e[4]})
    df = pd.DataFrame(rows, columns=cols)
    for c in ("planned", "reported", "actual", "run_rate", "adjustment", "expected", "measured"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")     # None -> NaN, never object
    return df


def enter(cur, initiative_id: int, quarter: str, *, planned: float | None = None, reported: float | None = None,
          comment: str | None = None, actor: str | None = None) -> None:
    """Set a quarter's planned and/or reported saving (SEK) with a comment; a signed-off
    quarter cannot change. Audited."""
    access.require(access.SAVINGS_REPORT)
    q = parse_quarter(quarter)
    row = cur.execute("SELECT planned, reported, comment, signed_by FROM savings_quarters WHERE initiative_id = ? AND quarter = ?",
                      [initiative_id, q]).fetchall()
    if row and row[0][3]:
        raise SavingsError("sav_signed", f"{q} is signed off by finance and cannot change", quarter=q)
    if reported is not None and not (comment or "").strip():
        raise SavingsError("sav_comment", f"say how the reported saving for {q} was arrived at (a comment)", quarter=q)
    for v in (planned, reported):
        if v is not None and v != v:
            raise SavingsError("sav_amount", "not an amount", value=str(v))
    old = row[0] if row else (None, None, None, None)
    new = (planned if planned is not None else old[0], reported if reported is not None else old[1],
           comment if comment is not None else old[2])
    with transaction(cur):
        cur.execute("DELETE FROM savings_quarters WHERE initiative_id = ? AND quarter = ?", [initiative_id, q])
        cur.execute("""INSERT INTO savings_quarters (initiative_id, quarter, planned, reported, comment, updated_at, updated_by)
                       VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP, ?)""", [initiative_id, q, *new, actor or current_user()])
        audit(cur, "saving_enter", "savings_quarters",
              {"initiative_id": initiative_id, "quarter": q,
               "before": {"planned": _f(old[0]), "reported": _f(old[1]), "comment": old[2]},
               "after": {"planned": _f(new[0]), "reported": _f(new[1]), "comment": new[2]}}, actor)


def _f(v):
    return None if v is None else float(v)


def save_quarters(cur, initiative_id: int, before: list[dict], after: list[dict], *, lang: str = "sv",
                  actor: str | None = None) -> int:
    """The quarters editor's change as one save: rows of {quarter, planned, reported, comment}
    as the table held them (``before``) and as the person left them (``after``), amounts as text
    in the UI language. Only what changed is entered. Every row is read first (SavingsError names
    the row, 1-based, and the column); then all changed rows are entered in one transaction, so a
    refused row leaves every quarter as it was. Returns how many quarters changed."""
    changes = []
    for n, (old, new) in enumerate(zip(before, after), start=1):
        values = {}
        for col in ("planned", "reported"):
            if new.get(col) != old.get(col):
                text = new.get(col)
                try:
                    values[col] = parse_number(text, lang)
                except ValueError:
                    raise SavingsError("sav_amount", f"'{text}' is not an amount", row=n, column=col,
                                       value=str(text)) from None
        comment = new.get("comment") if new.get("comment") != old.get("comment") else None
        if values or comment is not None:
            changes.append((n, new["quarter"], values, comment if comment is not None else (old.get("comment") or None)))
    with transaction(cur):
        for n, quarter, values, comment in changes:
            try:
                enter(cur, initiative_id, quarter, planned=values.get("planned"), reported=values.get("reported"),
                      comment=comment, actor=actor)
            except SavingsError as e:
                raise SavingsError(e.code, str(e), row=n, column=e.column, **e.params) from None
    return len(changes)


def signable(q: pd.DataFrame, until: str | None) -> list[str]:
    """Of an initiative's ``quarters`` table, the quarters finance can sign off: complete (up to
    ``until``, the last complete quarter) and not signed yet."""
    if not until:
        return []
    return [x for x, b in zip(q.quarter, q.signed_by) if not isinstance(b, str) and q_index(x) <= q_index(until)]


def sign_off(cur, initiative_id: int, quarter: str, *, actor: str | None = None) -> None:
    """Finance signs a quarter off (who, when); only complete quarters with a reported or
    measured saving. Audited."""
    access.require(access.SIGN_OFF)
    q = parse_quarter(quarter)
    last = last_complete_quarter(cur)
    if last is None or q_index(q) > q_index(last):
        raise SavingsError("sav_not_complete", f"{q} is not a complete loaded quarter yet", quarter=q)
    who = actor or current_user()
    exists = cur.execute("SELECT signed_by FROM savings_quarters WHERE initiative_id = ? AND quarter = ?",
                         [initiative_id, q]).fetchall()
    if exists and exists[0][0]:
        raise SavingsError("sav_signed", f"{q} is already signed off", quarter=q)
    with transaction(cur):
        if exists:
            cur.execute("""UPDATE savings_quarters SET signed_by = ?, signed_at = now()::TIMESTAMP
                           WHERE initiative_id = ? AND quarter = ?""", [who, initiative_id, q])
        else:
            cur.execute("""INSERT INTO savings_quarters (initiative_id, quarter, updated_at, updated_by, signed_by, signed_at)
                           VALUES (?, ?, now()::TIMESTAMP, ?, ?, now()::TIMESTAMP)""", [initiative_id, q, who, who])
        audit(cur, "saving_sign_off", "savings_quarters", {"initiative_id": initiative_id, "quarter": q}, actor)


# ------------------------------------------------------------------ summaries

def status_of(planned: float, reported: float | None, measured: float | None) -> str | None:
    """on_track / at_risk / behind: cumulative measured (else reported) against cumulative
    planned; None without a plan."""
    if not planned:
        return None
    got = measured if measured is not None else reported
    if got is None:
        return "behind"
    share = got / planned
    return "on_track" if share >= ON_TRACK else "at_risk" if share >= AT_RISK else "behind"


def _initiative_quarters(cur, last: str | None) -> list[tuple[Initiative, dict, dict | None, pd.DataFrame]]:
    """(initiative, settings, baseline, quarters to ``last``) for every initiative with a start quarter."""
    known = _estimates(cur, [it for it in load_initiatives(cur) if it.start])
    return [(it, settings(cur, it.initiative_id), baseline(cur, it.initiative_id),
             quarters(cur, it.initiative_id, last, known=known[it.initiative_id])) for it, _ in known.values()]


def follow_up(cur) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``overview`` and ``quarterly`` from one pass over the initiatives' quarters (the savings page shows both)."""
    last = last_complete_quarter(cur)
    per = _initiative_quarters(cur, last)
    return _overview(cur, last, per), _quarterly(last, per)


def overview(cur) -> pd.DataFrame:
    """One row per initiative with a start quarter, cumulative to the last complete loaded
    quarter: initiative_id, name, type, baseline (frozen SEK, None when not frozen),
    baseline_now (the same window and scope on today's data), baseline_diff, planned, reported,
    measured, status, categories (level-1 names), suppliers."""
    last = last_complete_quarter(cur)
    return _overview(cur, last, _initiative_quarters(cur, last))


def _overview(cur, last: str | None, per: list) -> pd.DataFrame:
    rows = []
    names = category_names(cur)
    for it, s, base, q in per:
        done = q[q.quarter.map(q_index) <= q_index(last)] if last else q.iloc[0:0]
        planned = float(done.planned.sum())
        reported = float(done.reported.dropna().sum()) if done.reported.notna().any() else None
        measured = float(done.measured.dropna().sum()) if done.measured.notna().any() else None
        now = None
        if base:
            now = scope_spend(cur, it.category_ids, s["supplier_keys"], base["from"], base["to"])[0]
        l1 = sorted({names[c]["path"][0] for c in it.category_ids if c in names})
        rows.append({"initiative_id": it.initiative_id, "name": it.name, "type": s["saving_type"],
                     "baseline": base["spend"] if base else None, "baseline_now": now,
                     "baseline_diff": (now - base["spend"]) if base else None,
                     "planned": planned, "reported": reported, "measured": measured,
                     "status": status_of(planned, reported, measured), "areas": ", ".join(l1)})
    return pd.DataFrame(rows, columns=["initiative_id", "name", "type", "baseline", "baseline_now", "baseline_diff",
                                       "planned", "reported", "measured", "status", "areas"])


def totals(df: pd.DataFrame) -> dict:
    """Planned, reported and measured (SEK) per saving type, never mixed."""
    out = {}
    for t in TYPES:
        part = df[df.type == t]
        out[t] = {k: round(float(part[k].fillna(0).sum()), 2) for k in ("planned", "reported", "measured")}
        out[t]["initiatives"] = len(part)
    return out


def as_json(cur) -> dict:
    df = overview(cur)
    items = [{"name": r.name, "type": r.type, "baseline": None if r.baseline is None or r.baseline != r.baseline
              else round(r.baseline, 2), "planned": round(r.planned, 2),
              "reported": None if r.reported is None or r.reported != r.reported else round(r.reported, 2),
              "measured": None if r.measured is None or r.measured != r.measured else round(r.measured, 2)}
             for r in df.itertuples()]
    t = totals(df)
    return {"initiatives": items, "totals": {"cost_reduction": t["cost_reduction"], "cost_avoidance": t["cost_avoidance"]},
            "until": last_complete_quarter(cur)}


def quarterly(cur) -> pd.DataFrame:
    """Planned, reported and measured (SEK) per quarter and saving type, summed over the
    initiatives, with their running totals (cum_planned, cum_reported, cum_measured); quarters up
    to the last complete loaded quarter."""
    last = last_complete_quarter(cur)
    return _quarterly(last, _initiative_quarters(cur, last))


def _quarterly(last: str | None, per: list) -> pd.DataFrame:
    parts = []
    for _it, s, _base, q in (per if last is not None else []):
        q = q[q.quarter.map(q_index) <= q_index(last)].copy()
        q["type"] = s["saving_type"]
        parts.append(q[["quarter", "type", "planned", "reported", "measured"]])
    if not parts:
        return pd.DataFrame(columns=["quarter", "type", "planned", "reported", "measured", "cum_planned", "cum_reported",
                                     "cum_measured"])
    d = pd.concat(parts).groupby(["type", "quarter"], as_index=False).agg(
        planned=("planned", "sum"), reported=("reported", lambda s: s.dropna().sum()),
        measured=("measured", lambda s: s.dropna().sum()))
    d = d.sort_values(["type", "quarter"]).reset_index(drop=True)
    for c in ("planned", "reported", "measured"):
        d[f"cum_{c}"] = d.groupby("type")[c].cumsum()
    return d


def area_kpis(cur, ov: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fixed KPIs per category area (level 1 of the linked categories): initiatives, baseline
    (SEK), measured saving (SEK, both types), saving share (measured / baseline), suppliers
    (distinct, last 12 loaded months, in the linked categories) and contract coverage
    (avtalstrohet over the same months and categories; None while the contract register is
    empty). ``ov``: the overview() already computed, if any."""
    names = category_names(cur)
    ov = (overview(cur) if ov is None else ov).set_index("initiative_id")
    end = default_window_end(cur)
    areas: dict[str, dict] = {}
    for it in load_initiatives(cur):
        if it.initiative_id not in ov.index:
            continue
        for area in sorted({names[c]["path"][0] for c in it.category_ids if c in names}) or ["–"]:
            a = areas.setdefault(area, {"area": area, "initiatives": 0, "baseline": 0.0, "measured": 0.0, "cats": set()})
            a["initiatives"] += 1
            r = ov.loc[it.initiative_id]
            a["baseline"] += float(r.baseline) if r.baseline is not None and r.baseline == r.baseline else 0.0
            a["measured"] += float(r.measured) if r.measured is not None and r.measured == r.measured else 0.0
            a["cats"].update(c for c in it.category_ids if c in names and names[c]["path"][0] == area)
    rows = []
    for a in areas.values():
        fig = category_figures(cur, sorted(a["cats"]), end) if a["cats"] else {}
        rows.append({"area": a["area"], "initiatives": a["initiatives"], "baseline": a["baseline"],
                     "measured": a["measured"], "saving_share": a["measured"] / a["baseline"] if a["baseline"] else None,
                     "suppliers": fig.get("suppliers"), "contract_coverage": fig.get("contract_share")})
    return pd.DataFrame(rows, columns=["area", "initiatives", "baseline", "measured", "saving_share", "suppliers",
                                       "contract_coverage"])
