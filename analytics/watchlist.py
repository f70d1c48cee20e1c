"""Supplier watchlist (bevakningslista): deviations (avvikelser) handled through an escalation
ladder (eskaleringstrappa) with penalties (vite), next to the spend.

- Every change of a deviation is appended to ``deviation_history`` (who, when, what, why); the
  history is only ever inserted into.
- The ladder's steps are data (``escalation_steps``, default from data/escalation_steps.csv,
  DOMAIN.md). Moving up or down records why; moving down is the documented way back.
- Penalties: booked from step 1, charged from step 2 (the first time at step 2 or later), earned
  back when the supplier has had no new deviation for ``EARN_BACK_DAYS`` after the penalty.
- Signals from the ledger are listed for a person to review, never added automatically.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd

from . import access
from .constants import EXCLUDED, in_scope
from .errors import WatchError
from .orgno import shown_name_sql
from .store import audit, current_user, transaction

DATA = Path(__file__).resolve().parent.parent / "data"
SEVERITIES = ("low", "medium", "high", "critical")
EARN_BACK_DAYS = 90
FIELDS = ("supplier_key", "supplier_name", "org_no", "contract", "occurred", "description", "category", "severity",
          "reported_by", "contract_owner", "supplier_owner", "next_action", "due")
FILE_COLUMNS = ("supplier", "org_no", "contract", "occurred", "description", "category", "severity", "reported_by",
                "contract_owner", "supplier_owner", "step", "next_action", "due", "status", "closing_note")


# ------------------------------------------------------------------ ladder

def seed_steps(con) -> None:
    with open(DATA / "escalation_steps.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            con.execute("INSERT INTO escalation_steps VALUES (?, ?, ?, ?, ?, ?)",
                        [int(r["step"]), r["name_sv"], r["name_en"], r["actions_sv"], r["actions_en"], r["penalty"]])


def seed_thresholds(con) -> None:
    with open(DATA / "thresholds.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            con.execute("INSERT INTO thresholds VALUES (?, ?, ?, ?)",
                        [r["kind"], dt.date.fromisoformat(r["valid_from"]), float(r["amount_sek"]), r["note"]])


def thresholds(cur) -> pd.DataFrame:
    """The procurement thresholds as data: kind, valid_from, amount_sek, note."""
    return cur.execute("SELECT kind, valid_from, amount_sek, note FROM thresholds ORDER BY kind, valid_from").df()


def steps(cur) -> pd.DataFrame:
    """The ladder: step, name_sv, name_en, actions_sv, actions_en, penalty ('book' or 'charge')."""
    return cur.execute("SELECT * FROM escalation_steps ORDER BY step").df()


def check_move(current: int, target: int, why: str | None, max_step: int) -> str:
    """'up', 'down' (the way back) or 'same' for a step change; WatchError when the target is
    outside the ladder or no reason is given for a real move."""
    if not 1 <= int(target) <= max_step:
        raise WatchError("watch_step", f"step {target} is not on the ladder (1-{max_step})", value=str(target),
                         max=max_step)
    if int(target) == int(current):
        return "same"
    if not (why or "").strip():
        raise WatchError("watch_why", "say why the step changes")
    return "up" if target > current else "down"


def penalty_allowed(step: int, action: str) -> bool:
    """Booking is allowed from step 1, charging from step 2."""
    return step >= (1 if action == "book" else 2)


def earn_back_due(booked_on: dt.date, later_deviations: list[dt.date], today: dt.date,
                  days: int = EARN_BACK_DAYS) -> bool:
    """True when ``days`` have passed since the penalty and the supplier had no deviation in
    between (it delivered correctly for the period)."""
    if (today - booked_on).days < days:
        return False
    return not any(booked_on < d <= today for d in later_deviations)


# ------------------------------------------------------------------ deviations

def _history(cur, deviation_id: int, what: dict, why: str | None, actor: str | None) -> None:
    cur.execute("""INSERT INTO deviation_history (deviation_id, logged_at, actor, what, why)
                   VALUES (?, now()::TIMESTAMP, ?, ?, ?)""",
                [deviation_id, actor or current_user(), json.dumps(what, ensure_ascii=False, default=str), why])


def _supplier(cur, key_or_org: str) -> tuple[str, str, str | None]:
    """(supplier_key, display name, org number masked where personal) from a supplier key, an
    organisation number or a name in the store."""
    q = (key_or_org or "").strip()
    digits = "".join(ch for ch in q if ch.isdigit())
    rows = cur.execute(f"""
        SELECT supplier_key, {shown_name_sql()},
               org_no
        FROM suppliers
        WHERE supplier_key = ? OR (? <> '' AND replace(org_no, '-', '') = ?) OR lower(name) = lower(?)
        ORDER BY total DESC LIMIT 1""", [q, digits, digits, q]).fetchall()
    if not rows:
        raise WatchError("watch_supplier", f"no supplier '{q}' in the store; pick one by name or organisation number",
                         value=q)
    return rows[0]


def add(cur, supplier: str, description: str, *, occurred: dt.date | None = None, contract: str | None = None,
        category: str | None = None, severity: str = "medium", reported_by: str | None = None,
        contract_owner: str | None = None, supplier_owner: str | None = None, step: int = 1,
        next_action: str | None = None, due: dt.date | None = None, actor: str | None = None) -> int:
    """Log a deviation against a supplier in the store (by key, organisation number or name);
    returns its id. Audited and written to the history."""
    access.require(access.DEVIATIONS)
    key, name, org = _supplier(cur, supplier)
    if not (description or "").strip():
        raise WatchError("watch_description", "describe the deviation")
    if severity not in SEVERITIES:
        raise WatchError("watch_severity", f"'{severity}' is not a severity; use {', '.join(SEVERITIES)}",
                         value=str(severity), severities=", ".join(SEVERITIES))
    max_step = cur.execute("SELECT max(step) FROM escalation_steps").fetchall()[0][0]
    check_move(step, step, None, max_step)
    occurred = occurred or dt.date.today()
    contract, contract_owner = _contract(cur, contract, contract_owner)
    with transaction(cur):
        did = cur.execute("""
            INSERT INTO deviations (supplier_key, supplier_name, org_no, contract, occurred, description, category,
                                    severity, reported_by, contract_owner, supplier_owner, step, next_action, due,
                                    status, created_at, created_by, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', now()::TIMESTAMP, ?, now()::TIMESTAMP)
            RETURNING deviation_id""",
                          [key, name, org, contract, occurred, description.strip(), category, severity, reported_by,
                           contract_owner, supplier_owner, int(step), next_action, due, actor or current_user()]
                          ).fetchall()[0][0]
        _history(cur, did, {"created": {"supplier": name, "step": step, "severity": severity, "description": description}},
                 None, actor)
        audit(cur, "deviation_add", "deviations", {"deviation_id": did, "supplier": name, "step": step}, actor)
    return did


def _contract(cur, text: str | None, owner: str | None) -> tuple[str | None, str | None]:
    """A deviation's contract and contract owner (avtalsansvarig): a text naming a contract of
    the register (its id or name) links to it, stored as its id, and brings its owner unless one
    is given; other text stays as written (a contract outside the register)."""
    from .contracts import find
    found = find(cur, text)
    if found is None:
        return (text.strip() or None) if text else None, owner
    return found["contract_id"], owner or found["owner"]


def get(cur, deviation_id: int) -> dict:
    df = cur.execute("SELECT * FROM deviations WHERE deviation_id = ?", [deviation_id]).df()
    if df.empty:
        raise WatchError("watch_missing", f"deviation {deviation_id} does not exist", value=str(deviation_id))
    return {k: (None if (isinstance(v, float) and v != v) or v is pd.NaT else v) for k, v in df.iloc[0].to_dict().items()}


def move(cur, deviation_id: int, to_step: int, why: str, *, next_action: str | None = None,
         due: dt.date | None = None, actor: str | None = None) -> str:
    """Move a deviation up or down the ladder, recording why (required); returns 'up' or
    'down'."""
    access.require(access.DEVIATIONS)
    d = get(cur, deviation_id)
    if d["status"] != "open":
        raise WatchError("watch_closed", "the deviation is closed; reopen it first")
    max_step = cur.execute("SELECT max(step) FROM escalation_steps").fetchall()[0][0]
    direction = check_move(int(d["step"]), int(to_step), why, max_step)
    if direction == "same":
        raise WatchError("watch_same_step", f"the deviation is already at step {to_step}", value=str(to_step))
    with transaction(cur):
        cur.execute("""UPDATE deviations SET step = ?, next_action = coalesce(?, next_action), due = coalesce(?, due),
                              updated_at = now()::TIMESTAMP WHERE deviation_id = ?""",
                    [int(to_step), next_action, due, deviation_id])
        _history(cur, deviation_id, {"step": [int(d["step"]), int(to_step)], "direction": direction,
                                     "next_action": next_action, "due": due}, why.strip(), actor)
        audit(cur, f"deviation_{direction}", "deviations",
              {"deviation_id": deviation_id, "from": int(d["step"]), "to": int(to_step), "why": why}, actor)
    return direction


def update(cur, deviation_id: int, changes: dict, why: str | None = None, *, actor: str | None = None) -> None:
    """Change fields of an open deviation (next action, due date, owners, description ...);
    every change goes to the history with before and after."""
    access.require(access.DEVIATIONS)
    allowed = {"contract", "description", "category", "severity", "reported_by", "contract_owner", "supplier_owner",
               "next_action", "due"}
    bad = set(changes) - allowed
    if bad:
        raise WatchError("watch_field", f"these cannot be changed here: {', '.join(sorted(bad))}", value=", ".join(sorted(bad)))
    if "severity" in changes and changes["severity"] not in SEVERITIES:
        raise WatchError("watch_severity", f"'{changes['severity']}' is not a severity", value=str(changes["severity"]),
                         severities=", ".join(SEVERITIES))
    d = get(cur, deviation_id)
    if "contract" in changes:
        changes = dict(changes)
        linked, owner = _contract(cur, changes["contract"], changes.get("contract_owner") or d.get("contract_owner"))
        changes["contract"] = linked
        if owner != d.get("contract_owner"):
            changes["contract_owner"] = owner
    diff = {k: [d.get(k), v] for k, v in changes.items() if d.get(k) != v}
    if not diff:
        return
    sets = ", ".join(f"{k} = ?" for k in diff)
    with transaction(cur):
        cur.execute(f"UPDATE deviations SET {sets}, updated_at = now()::TIMESTAMP WHERE deviation_id = ?",
                    [changes[k] for k in diff] + [deviation_id])
        _history(cur, deviation_id, diff, why, actor)
        audit(cur, "deviation_change", "deviations", {"deviation_id": deviation_id, "changes": diff}, actor)


def close(cur, deviation_id: int, note: str, *, actor: str | None = None) -> None:
    """Close a deviation with a closing note (required)."""
    access.require(access.DEVIATIONS)
    if not (note or "").strip():
        raise WatchError("watch_closing_note", "write a closing note")
    d = get(cur, deviation_id)
    if d["status"] != "open":
        raise WatchError("watch_closed", "the deviation is already closed")
    with transaction(cur):
        cur.execute("""UPDATE deviations SET status = 'closed', closing_note = ?, updated_at = now()::TIMESTAMP
                       WHERE deviation_id = ?""", [note.strip(), deviation_id])
        _history(cur, deviation_id, {"status": ["open", "closed"]}, note.strip(), actor)
        audit(cur, "deviation_close", "deviations", {"deviation_id": deviation_id}, actor)


def history(cur, deviation_id: int) -> pd.DataFrame:
    """The deviation's history, oldest first: at, actor, what (dict), why."""
    df = cur.execute("SELECT history_id, logged_at AS at, actor, what, why FROM deviation_history WHERE deviation_id = ? ORDER BY history_id",
                     [deviation_id]).df()
    df["what"] = [json.loads(w) for w in df.what]
    return df


# ------------------------------------------------------------------ penalties

def penalty(cur, deviation_id: int, action: str, amount: float | None = None, penalty_id: int | None = None, *,
            on: dt.date | None = None, actor: str | None = None) -> int:
    """Book a penalty (from step 1; amount in SEK), charge a booked one (from step 2), or earn
    one back (when the supplier has delivered correctly for EARN_BACK_DAYS). Returns the
    penalty id."""
    access.require(access.DEVIATIONS)
    d = get(cur, deviation_id)
    on = on or dt.date.today()
    step = int(d["step"])
    if action not in ("book", "charge", "earn_back"):
        raise WatchError("watch_penalty_action", f"unknown penalty action '{action}'", value=action)
    if action in ("book", "charge") and not penalty_allowed(step, action):
        raise WatchError("watch_penalty_step", f"a penalty is {'booked' if action == 'book' else 'charged'} from step "
                         f"{1 if action == 'book' else 2}; the deviation is at step {step}", step=step,
                         needed=1 if action == "book" else 2)
    with transaction(cur):
        if action == "book":
            if amount is None or not float(amount) > 0:
                raise WatchError("watch_penalty_amount", "the penalty needs an amount above 0 SEK")
            penalty_id = cur.execute("""INSERT INTO penalties (deviation_id, amount, booked_on, booked_by)
                                        VALUES (?, ?, ?, ?) RETURNING penalty_id""",
                                     [deviation_id, float(amount), on, actor or current_user()]).fetchall()[0][0]
        else:
            row = cur.execute("SELECT booked_on, charged_on, earned_back_on FROM penalties WHERE penalty_id = ? AND deviation_id = ?",
                              [penalty_id, deviation_id]).fetchall()
            if not row:
                raise WatchError("watch_penalty_missing", f"penalty {penalty_id} does not belong to this deviation",
                                 value=str(penalty_id))
            booked_on, charged_on, earned = row[0]
            if earned:
                raise WatchError("watch_penalty_earned", "the penalty is already earned back")
            if action == "charge":
                if charged_on:
                    raise WatchError("watch_penalty_charged", "the penalty is already charged")
                cur.execute("UPDATE penalties SET charged_on = ?, charged_by = ? WHERE penalty_id = ?",
                            [on, actor or current_user(), penalty_id])
            else:
                later = [r[0] for r in cur.execute("SELECT occurred FROM deviations WHERE supplier_key = ? AND deviation_id <> ?",
                                                  [d["supplier_key"], deviation_id]).fetchall()]
                if not earn_back_due(booked_on, later, on):
                    raise WatchError("watch_earn_back_early", f"earn-back needs {EARN_BACK_DAYS} days without a new "
                                     "deviation after the penalty", days=EARN_BACK_DAYS)
                cur.execute("UPDATE penalties SET earned_back_on = ?, earned_back_by = ? WHERE penalty_id = ?",
                            [on, actor or current_user(), penalty_id])
        _history(cur, deviation_id, {"penalty": action, "penalty_id": penalty_id, "amount": amount, "on": on}, None, actor)
        audit(cur, f"penalty_{action}", "penalties", {"deviation_id": deviation_id, "penalty_id": penalty_id,
                                                     "amount": amount}, actor)
    return penalty_id


def penalties(cur, deviation_id: int | None = None) -> pd.DataFrame:
    where = "WHERE p.deviation_id = ?" if deviation_id is not None else ""
    return cur.execute(f"""SELECT p.*, d.supplier_name, d.supplier_key FROM penalties p JOIN deviations d USING (deviation_id)
                          {where} ORDER BY penalty_id""", [deviation_id] if deviation_id is not None else []).df()


def penalty_totals(cur) -> pd.DataFrame:
    """Per supplier and year (of booking): booked, charged and earned back (SEK)."""
    return cur.execute("""
        SELECT d.supplier_name AS supplier, year(p.booked_on) AS year, sum(p.amount)::DOUBLE AS booked,
               coalesce(sum(p.amount) FILTER (WHERE p.charged_on IS NOT NULL), 0)::DOUBLE AS charged,
               coalesce(sum(p.amount) FILTER (WHERE p.earned_back_on IS NOT NULL), 0)::DOUBLE AS earned_back
        FROM penalties p JOIN deviations d USING (deviation_id) GROUP BY ALL ORDER BY supplier, year""").df()


# ------------------------------------------------------------------ lists

def deviations(cur, status: str | None = "open", today: dt.date | None = None) -> pd.DataFrame:
    """Deviations (open ones by default) with their penalties booked and charged (SEK, not earned
    back), overdue (due date passed while open) and contract_name (the register's name of the
    contract when it links to one; None for free text)."""
    today = today or dt.date.today()
    cond = "WHERE d.status = ?" if status else ""
    df = cur.execute(f"""
        SELECT d.*, coalesce(sum(p.amount) FILTER (WHERE p.earned_back_on IS NULL), 0)::DOUBLE AS booked,
               coalesce(sum(p.amount) FILTER (WHERE p.charged_on IS NOT NULL AND p.earned_back_on IS NULL), 0)::DOUBLE AS charged,
               any_value(c.name) AS contract_name
        FROM deviations d LEFT JOIN penalties p USING (deviation_id) LEFT JOIN contracts c ON c.contract_id = d.contract
        {cond}
        GROUP BY ALL ORDER BY d.due NULLS LAST, d.deviation_id""", [status] if status else []).df()
    df["overdue"] = [bool(s == "open" and due is not None and due == due and pd.Timestamp(due).date() < today)
                     for s, due in zip(df.status, df.due)]
    return df


def overdue_count(cur, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    return cur.execute("SELECT count(*) FROM deviations WHERE status = 'open' AND due < ?", [today]).fetchall()[0][0]


def as_json(cur) -> list[dict]:
    df = deviations(cur)
    return [{"id": int(r.deviation_id), "supplier": r.supplier_name, "org_no": r.org_no, "step": int(r.step),
             "due": None if r.due is None or r.due != r.due else str(pd.Timestamp(r.due).date()),
             "next_action": r.next_action if isinstance(r.next_action, str) else None,
             "booked": round(float(r.booked), 2), "charged": round(float(r.charged), 2), "overdue": bool(r.overdue)}
            for r in df.itertuples()]


# ------------------------------------------------------------------ supplier view

def supplier_view(cur, supplier_key: str, scope: str = "influenceable") -> dict:
    """A supplier next to its spend, over its influenceable spend unless ``scope`` is 'all' (as
    the signals; a pension fund's is all excluded): info (name masked where personal, org
    number, status, legal form), total (its whole spend), spend (in scope) and excluded, trend
    (spend per quarter), categories (spend and the supplier's share of each category's spend),
    units (spend per organisation unit), open deviations and penalties."""
    inside = in_scope(scope)
    info = cur.execute(f"""SELECT supplier_no, {shown_name_sql()}, org_no, org_no_status, legal_form, total::DOUBLE
                           FROM suppliers WHERE supplier_key = ?""", [supplier_key]).fetchall()
    if not info:
        raise WatchError("watch_supplier", f"no supplier '{supplier_key}' in the store", value=supplier_key)
    no, name, org, status, legal, total = info[0]
    spend, excluded = cur.execute(f"""SELECT coalesce(sum(spend) FILTER (WHERE {inside}), 0)::DOUBLE,
                                             coalesce(sum(spend) FILTER (WHERE cat_l1 = {EXCLUDED}), 0)::DOUBLE
                                      FROM cube_suppliers WHERE supplier_no = ?""", [no]).fetchall()[0]
    trend = cur.execute(f"""SELECT strftime(period_month, '%Y') || ' Q' || quarter(period_month) AS quarter, sum(spend)::DOUBLE AS spend
                            FROM cube_suppliers WHERE supplier_no = ? AND {inside} GROUP BY 1 ORDER BY 1""", [no]).df()
    cats = cur.execute("""
        WITH s AS (SELECT cat_l2, sum(spend) AS spend FROM cube_suppliers WHERE supplier_no = ? AND cat_l2 > 0 GROUP BY 1),
        t AS (SELECT cat_l2, sum(spend) AS total FROM cube_common WHERE cat_l2 IN (SELECT cat_l2 FROM s) GROUP BY 1)
        SELECT c.name AS category, s.spend::DOUBLE AS spend, (s.spend / nullif(t.total, 0))::DOUBLE AS share
        FROM s JOIN t USING (cat_l2) JOIN categories c ON c.category_id = s.cat_l2 ORDER BY s.spend DESC""", [no]).df()
    units = cur.execute(f"""SELECT coalesce(org_unit, '') AS org_unit, sum(spend)::DOUBLE AS spend FROM cube_facts
                            WHERE supplier_no = ? AND {inside} GROUP BY 1 ORDER BY 2 DESC""", [no]).df()
    devs = deviations(cur, status=None)
    devs = devs[devs.supplier_key == supplier_key]
    return {"name": name, "org_no": org, "org_no_status": status, "legal_form": legal, "total": total, "spend": spend,
            "excluded": excluded, "scope": scope, "trend": trend, "categories": cats, "units": units, "deviations": devs}


# ------------------------------------------------------------------ signals

def signals(cur, *, large_new: float = 100_000.0, jump_share: float = 0.5, jump_min: float = 100_000.0,
            scope: str = "influenceable") -> list[dict]:
    """Things in the ledger worth a person's look (never added to the watchlist automatically),
    over the influenceable spend unless ``scope`` is 'all' (pensions and other excluded spend
    would otherwise top every list): kind 'new_large' (no spend in any loaded month before the
    latest quarter, spend >= large_new in it; only when earlier months are loaded, see
    ``new_supplier_basis``), 'jump' (spend up more than jump_share and jump_min on the previous
    quarter), 'direct_award' (rolling 12-month spend under no contract above the direct-award
    threshold valid at that month's end; the highest month, with how many of the 12 months are
    loaded; see ``_direct_award``) and 'direct_award_covered' (over it only with spend under a
    valid contract: not a signal, listed to say why),
    'public_body', 'invalid_org_no' (missing or invalid organisation number), and 'sole_trader'
    (masked). Each: kind, supplier, org_no (masked where personal), amount (SEK), detail
    (English, for the command line) and params (for the UI's own wording)."""
    label = shown_name_sql("s")
    inside = in_scope(scope, "f.")
    out: list[dict] = []
    basis = new_supplier_basis(cur)
    if basis is None:
        return out
    q_start, prev_start = basis["quarter_start"], basis["prev_start"]
    if basis["earlier_months"]:
        for name, org, amount in cur.execute(f"""
                WITH b AS (SELECT supplier_no, bool_or(period_month < ?) AS before, sum(spend) FILTER (WHERE period_month >= ?) AS now
                           FROM cube_suppliers f WHERE {inside} GROUP BY supplier_no)
                SELECT {label}, s.org_no, b.now::DOUBLE FROM b JOIN suppliers s USING (supplier_no)
                WHERE NOT b.before AND b.now >= ? ORDER BY 3 DESC""", [q_start, q_start, large_new]).fetchall():
            out.append({"kind": "new_large", "supplier": name, "org_no": org, "amount": round(amount, 2),
                        "detail": f"no spend in the {basis['earlier_months']} loaded months before {q_start:%Y-%m}; "
                                  f"{amount:,.0f} SEK this quarter",
                        "params": {"month": f"{q_start:%Y-%m}", "months": basis["earlier_months"]}})
    for name, org, now, before in cur.execute(f"""
            SELECT {label}, s.org_no, sum(f.spend) FILTER (WHERE f.period_month >= ?)::DOUBLE,
                   sum(f.spend) FILTER (WHERE f.period_month >= ? AND f.period_month < ?)::DOUBLE
            FROM cube_suppliers f JOIN suppliers s USING (supplier_no) WHERE f.period_month >= ? AND {inside}
            GROUP BY ALL ORDER BY 3 DESC, 1""", [q_start, prev_start, q_start, prev_start]).fetchall():
        if before and before > 0 and now and now - before >= jump_min and now / before - 1 > jump_share:
            out.append({"kind": "jump", "supplier": name, "org_no": org, "amount": round(now, 2),
                        "detail": f"{now / before - 1:+.0%} on the previous quarter ({before:,.0f} -> {now:,.0f} SEK)",
                        "params": {"change": now / before - 1, "before": before, "now": now}})
    out += _direct_award(cur, inside, label)
    for kind, cond in (("public_body", "s.legal_form = 'public'"),
                       ("invalid_org_no", "s.org_no_status NOT IN ('valid', 'personal')"),
                       ("sole_trader", "s.legal_form = 'sole_trader'")):
        for name, org, amount, status in cur.execute(f"""
                SELECT {label}, s.org_no, sum(f.spend)::DOUBLE, any_value(s.org_no_status)
                FROM cube_suppliers f JOIN suppliers s USING (supplier_no) WHERE {cond} AND {inside}
                GROUP BY ALL ORDER BY 3 DESC""").fetchall():
            out.append({"kind": kind, "supplier": name, "org_no": org, "amount": round(amount, 2),
                        "detail": {"public_body": "payment to a public body", "invalid_org_no": f"organisation number {status}",
                                   "sole_trader": "sole trader (personal data masked)"}[kind],
                        "params": {"status": status}})
    return out


def _direct_award(cur, inside: str, label: str) -> list[dict]:
    """The direct-award signal: a supplier whose spend bought under no contract, over 12 rolling
    months, passed the threshold valid at that month's end (the highest month is shown). Spend
    under a contract valid on the line's date (analytics.contracts) does not count: a supplier
    over the threshold only with it is listed as 'direct_award_covered', with its contracts, so
    the page can say why it is not a signal. All in one query: only the signals come back."""
    rows = cur.execute(f"""
        WITH m AS (SELECT supplier_no, period_month, sum(spend) AS spend,
                          coalesce(sum(spend) FILTER (WHERE contract_id IS NULL), 0) AS off
                   FROM cube_suppliers f WHERE {inside} GROUP BY ALL),
        r AS (SELECT supplier_no, period_month, (sum(spend) OVER w)::DOUBLE AS rolling,
                     (sum(off) OVER w)::DOUBLE AS off
              FROM m WINDOW w AS (PARTITION BY supplier_no ORDER BY period_month
                                  RANGE BETWEEN INTERVAL 11 MONTH PRECEDING AND CURRENT ROW)),
        t AS (SELECT valid_from, amount_sek AS lim FROM thresholds WHERE kind = 'direct_award'),
        -- each month over the threshold valid on it (the latest valid_from not after it)
        x AS (SELECT r.*, t.lim, r.off > t.lim AS outside FROM r ASOF JOIN t ON r.period_month >= t.valid_from
              WHERE r.rolling > t.lim),
        -- a signal's month: the most outside a contract (then the most in all, then the first);
        -- a covered supplier's: the most in all (then the first); a supplier with a signal is not covered
        pick AS (SELECT * FROM x
                 QUALIFY row_number() OVER (PARTITION BY supplier_no ORDER BY outside DESC,
                                            CASE WHEN outside THEN off END DESC, rolling DESC, period_month) = 1),
        loaded AS (SELECT DISTINCT period_month FROM cube_rollup)
        SELECT {label}, s.org_no, p.period_month, p.rolling, p.off, p.lim, p.outside,
               (SELECT count(*) FROM loaded l WHERE l.period_month > p.period_month - INTERVAL 12 MONTH
                                                AND l.period_month <= p.period_month) AS months,
               CASE WHEN NOT p.outside THEN
                   (SELECT list(DISTINCT c.contract_id ORDER BY c.contract_id) FROM cube_suppliers c
                    WHERE c.supplier_no = p.supplier_no AND c.contract_id IS NOT NULL
                      AND c.period_month > p.period_month - INTERVAL 12 MONTH AND c.period_month <= p.period_month) END
        FROM pick p JOIN suppliers s USING (supplier_no)
        ORDER BY p.outside DESC, CASE WHEN p.outside THEN -p.off END, p.supplier_no""").fetchall()
    out = []
    for name, org, month, rolling, off, limit, outside, months, ids in rows:
        if outside:
            under = rolling - off
            out.append({"kind": "direct_award", "supplier": name, "org_no": org, "amount": round(off, 2),
                        "detail": f"12 months to {month:%Y-%m} ({months} of 12 months loaded): {off:,.0f} SEK under no "
                                  f"contract, above the threshold {limit:,.0f} SEK"
                                  + (f" ({under:,.0f} SEK more under contract)" if under > 0.005 else ""),
                        "params": {"month": f"{month:%Y-%m}", "limit": limit, "months": months,
                                   "on_contract": round(under, 2)}})
        else:
            ids = ids or []            # (in order: list(DISTINCT ... ORDER BY))
            out.append({"kind": "direct_award_covered", "supplier": name, "org_no": org, "amount": round(rolling, 2),
                        "detail": f"12 months to {month:%Y-%m}: {rolling:,.0f} SEK, above the threshold {limit:,.0f} SEK, "
                                  f"but bought under contract {', '.join(ids)} ({off:,.0f} SEK outside it): not a direct award",
                        "params": {"month": f"{month:%Y-%m}", "limit": limit, "contracts": ", ".join(ids),
                                   "off": round(off, 2)}})
    return out


def new_supplier_basis(cur) -> dict | None:
    """What 'new supplier' is measured against: the latest loaded quarter (quarter_start, a
    date), the quarter before (prev_start) and earlier_months, the number of loaded months
    before the latest quarter (0 on a first upload: then no supplier is called new). None when
    nothing is loaded."""
    last = cur.execute("SELECT max(period_month) FROM cube_rollup").fetchall()[0][0]
    if last is None:
        return None
    q_start = dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
    prev_start = dt.date(q_start.year - (q_start.month == 1), (q_start.month - 4) % 12 + 1, 1)
    earlier = cur.execute("SELECT count(DISTINCT period_month) FROM cube_rollup WHERE period_month < ?",
                          [q_start]).fetchall()[0][0]
    return {"quarter_start": q_start, "prev_start": prev_start, "earlier_months": int(earlier)}


# ------------------------------------------------------------------ files

def export_frame(cur) -> pd.DataFrame:
    df = deviations(cur, status=None)
    return pd.DataFrame({"supplier": df.supplier_name, "org_no": df.org_no, "contract": df.contract,
                         "occurred": df.occurred, "description": df.description, "category": df.category,
                         "severity": df.severity, "reported_by": df.reported_by, "contract_owner": df.contract_owner,
                         "supplier_owner": df.supplier_owner, "step": df.step, "next_action": df.next_action,
                         "due": df.due, "status": df.status, "closing_note": df.closing_note},
                        columns=list(FILE_COLUMNS))


def read_file(name: str, data: bytes, mapping: dict[str, str] | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """An existing watchlist (XLSX/CSV): its headers and rows as {field: text} after the column
    ``mapping`` (our field -> their header; by default headers that equal our field names). The
    header row is the one holding the mapped supplier (or organisation number) column, else the
    first non-empty row."""
    from .ingest.readers import read_rows
    anchor = (mapping or {}).get("supplier") or (mapping or {}).get("org_no")
    try:
        header, body = read_rows(name, data, anchor or "supplier")
    except Exception:
        header, body = read_rows(name, data, None)
    idx = {h.strip().lower(): i for i, h in enumerate(header)}
    mapping = mapping or {f: f for f in FILE_COLUMNS if f in idx}
    rows = []
    for n, cells in body:
        if not any((c or "").strip() for c in cells):
            continue
        out = {}
        for f, h in mapping.items():
            i = idx.get((h or "").strip().lower())
            out[f] = cells[i].strip() if i is not None and i < len(cells) else ""
        rows.append((n, out))
    return header, rows


def import_rows(cur, name: str, rows: list[tuple[int, dict]], *, actor: str | None = None) -> int:
    """Add the rows as deviations (each validated; the first bad one is reported with file, row
    and column and nothing is added)."""
    access.require(access.DEVIATIONS)
    parsed = []
    max_step = cur.execute("SELECT max(step) FROM escalation_steps").fetchall()[0][0]
    for n, r in rows:
        column = "supplier"
        try:
            _supplier(cur, r.get("org_no") or r.get("supplier") or "")
            column = "occurred"
            occurred = _date(r.get("occurred"))
            column = "due"
            due = _date(r.get("due"))
            column = "step"
            step = int(float(r.get("step") or 1))
            check_move(step, step, None, max_step)
            column = "severity"
            sev = (r.get("severity") or "medium").lower()
            sev = {"låg": "low", "medel": "medium", "hög": "high", "kritisk": "critical"}.get(sev, sev)
            if sev not in SEVERITIES:
                raise WatchError("watch_severity", f"'{sev}' is not a severity", value=sev, severities=", ".join(SEVERITIES))
            column = "description"
            if not (r.get("description") or "").strip():
                raise WatchError("watch_description", "describe the deviation")
            parsed.append((r, occurred, due, step, sev))
        except WatchError as e:
            raise WatchError(e.code, str(e), file=name, row=n, column=column, **e.params) from None
        except ValueError:
            raise WatchError("watch_value", f"'{r.get(column)}' cannot be read", file=name, row=n, column=column,
                             value=str(r.get(column))) from None
    with transaction(cur):              # the whole file or nothing
        for r, occurred, due, step, sev in parsed:
            did = add(cur, r.get("org_no") or r.get("supplier"), r["description"], occurred=occurred,
                      contract=r.get("contract") or None, category=r.get("category") or None, severity=sev,
                      reported_by=r.get("reported_by") or None, contract_owner=r.get("contract_owner") or None,
                      supplier_owner=r.get("supplier_owner") or None, step=step, next_action=r.get("next_action") or None,
                      due=due, actor=actor)
            if (r.get("status") or "").lower() in ("closed", "stängd", "avslutad"):
                close(cur, did, r.get("closing_note") or "imported as closed", actor=actor)
        audit(cur, "watchlist_import", "deviations", {"file": name, "rows": len(parsed)}, actor)
    return len(parsed)


def _date(text: str | None) -> dt.date | None:
    if text is None or not str(text).strip():
        return None
    s = str(text).strip()[:10]
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise WatchError("watch_date", f"'{text}' is not a date (YYYY-MM-DD)", value=str(text)) from None
