"""Category plans (kategoristyrningsplaner) and their governance: one plan per initiative with the
16 sections of the practice (DOMAIN.md), each the team's text, and three of them filled and kept
current from the data (the spend analysis from the cube, the contract analysis from the contract
register, the power balance as supplier concentration); people with their roles (staffing,
stakeholders), the price breakdown the team enters, and the proposed improvement projects (each
can become an initiative with one click).

Every save keeps the previous version (``plan_versions``, append-only) with the data figures as
they were then, so a plan shows which figures changed since the version that was approved.

Governance gates, in order: initiation (KR) and political direction (UU); overall plan (ST);
analysis (ST); category plan (KR and UU); restart (KR). Each decision is recorded with its date,
forum, decision (approved, returned, stopped), minute reference (protokoll and paragraph), an
attached document and who recorded it (``plan_decisions``). A gate passes when every forum it
needs approved it after any return; it can only be decided after the gates before it have passed;
a stop ends the round until a restart, which opens a new round (its cycle) from political
direction. The initiative's status follows: approved once initiation and direction passed
(which freezes the savings baseline, as an approval does everywhere), running once the category
plan passed, stopped when stopped.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from . import access, cube
from . import contracts as ct
from . import prioritise as pr
from . import savings as sv
from .errors import PlanError
from .format import money
from .periods import q_index, q_label
from .store import audit, current_user, transaction

SECTIONS = ("purpose", "staffing", "current_state", "opportunities", "stakeholders", "needs", "leverage",
            "power_balance", "spend_analysis", "price_breakdown", "contract_analysis", "pricing_strategy",
            "market_analysis", "substitutes", "strategy", "projects")
DATA_SECTIONS = ("power_balance", "spend_analysis", "contract_analysis")      # filled from the data as well
FORUMS = ("KR", "UU", "ST")
GATES = (("initiation", ("KR",)), ("direction", ("UU",)), ("overall_plan", ("ST",)), ("analysis", ("ST",)),
         ("category_plan", ("KR", "UU")), ("restart", ("KR",)))
GATE_FORUMS = dict(GATES)
ORDER = [g for g, _ in GATES if g != "restart"]
DECISIONS = ("approved", "returned", "stopped")
# the figures a plan keeps with each version (what "changed since the approved version" compares)
FIGURES = ("spend", "prev_spend", "trend", "suppliers", "classified_share", "n80", "top_share", "top5_share",
           "on_contract", "contract_share", "contracts", "ending_12")
FIGURE_KINDS = {"spend": "msek", "prev_spend": "msek", "on_contract": "msek", "trend": "share", "classified_share": "share",
                "top_share": "share", "top5_share": "share", "contract_share": "share", "suppliers": "count", "n80": "count",
                "contracts": "count", "ending_12": "count"}          # how each is shown (analytics.format kinds)


@dataclass
class Plan:
    """One version of a plan: texts by section, the people (name, role, in 'staffing' or
    'stakeholders'), the price breakdown rows (component, share 0-1, note), the proposed
    projects (name, saving SEK, start quarter, initiative_id once it became an initiative or
    savings_quarter once it became a savings line)."""
    initiative_id: int
    texts: dict[str, str] = field(default_factory=dict)
    people: list[dict] = field(default_factory=list)
    prices: list[dict] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)
    version: int = 0                   # 0: never saved
    saved_at: dt.datetime | None = None
    saved_by: str | None = None
    figures: dict = field(default_factory=dict)

    def filled(self) -> list[str]:
        """The sections with content: text, or (staffing, stakeholders, price breakdown,
        projects) their rows."""
        rows = {"staffing": any(p.get("section") == "staffing" for p in self.people),
                "stakeholders": any(p.get("section") == "stakeholders" for p in self.people),
                "price_breakdown": bool(self.prices), "projects": bool(self.projects)}
        return [s for s in SECTIONS if (self.texts.get(s) or "").strip() or rows.get(s)]

    def content(self) -> dict:
        return {"texts": {k: v for k, v in self.texts.items() if k in SECTIONS and (v or "").strip()},
                "people": self.people, "prices": self.prices,
                "projects": [{k: v for k, v in p.items() if v is not None} for p in self.projects]}


# ---------------------------------------------------------------- the data sections

def figures(cur: duckdb.DuckDBPyConnection, category_ids: list[int], end: dt.date | None = None,
            today: dt.date | None = None) -> dict:
    """The plan's figures for its categories over the 12 months to ``end`` (the initiative's
    window, default the last loaded month): spend, prev_spend, trend, suppliers and
    classified_share (prioritise.category_figures), n80 (suppliers carrying 80 % of the spend),
    top_share and top5_share (the largest and the five largest suppliers' share), on_contract and
    contract_share (avtalstrohet; None without a register), contracts (in the categories) and
    ending_12 (those ending within 12 months)."""
    end = end or pr.default_window_end(cur)
    base = pr.category_figures(cur, category_ids, end)
    out = {k: base.get(k) for k in ("spend", "prev_spend", "trend", "suppliers", "classified_share", "on_contract")}
    out["contract_share"] = base.get("contract_share")
    out.update(n80=None, top_share=None, top5_share=None, contracts=None, ending_12=None)
    if not category_ids or end is None:
        return out
    lo, hi = pr.window(end)
    view = cube.View(period_from=lo, period_to=hi, categories=tuple(int(c) for c in category_ids))
    par = cube.pareto(cur, view)
    spend = float(par["table"].spend.clip(lower=0).sum()) if par["suppliers"] else 0.0
    if spend > 0:
        top = par["table"].spend.clip(lower=0)
        out.update(n80=par["n80"], top_share=float(top.iloc[0]) / spend, top5_share=float(top.head(5).sum()) / spend)
    if ct.count(cur):
        listed = ct.in_categories(cur, category_ids, today)
        soon = pd.Timestamp(today or dt.date.today()) + pd.DateOffset(months=12)
        out.update(contracts=len(listed), ending_12=int(((pd.to_datetime(listed.last_day) <= soon)
                                                          & listed.valid.astype(bool)).sum()))
    return out


def spend_analysis(cur: duckdb.DuckDBPyConnection, category_ids: list[int], end: dt.date | None = None) -> dict:
    """The spend analysis section's tables over the window: quarters (spend per quarter), the
    top suppliers (supplier, spend, share, ABC class) and the units (org_unit, spend)."""
    end = end or pr.default_window_end(cur)
    empty = {"quarters": pd.DataFrame(columns=["quarter", "spend"]),
             "suppliers": pd.DataFrame(columns=["supplier", "spend", "share", "abc"]),
             "units": pd.DataFrame(columns=["org_unit", "spend"])}
    if not category_ids or end is None:
        return empty
    lo, hi = pr.window(end)
    view = cube.View(period_from=lo, period_to=hi, categories=tuple(int(c) for c in category_ids))
    q = cube.pivot(cur, view, "quarter", top=400, with_suppliers=False).body().sort_values("r_key")
    par = cube.pareto(cur, view)
    head = cube.label_suppliers(cur, par["table"].head(10))
    total = float(par["table"].spend.sum()) if par["suppliers"] else 0.0
    units = cube.pivot(cur, view, "org_unit", top=10, with_suppliers=False).body()
    return {"quarters": pd.DataFrame({"quarter": q.r_label, "spend": q.spend}),
            "suppliers": pd.DataFrame({"supplier": head.supplier, "spend": head.spend,
                                       "share": head.spend / total if total else None, "abc": head.abc}),
            "units": pd.DataFrame({"org_unit": [lab if not o else None for lab, o in zip(units.r_label, units.r_other)],
                                   "spend": units.spend})}


def contract_analysis(cur: duckdb.DuckDBPyConnection, category_ids: list[int], today: dt.date | None = None) -> dict:
    """The contract analysis section: contracts (those of the categories with their last day,
    validity and yearly spend) and off (the largest suppliers bought from outside contracts in
    the categories over the window); None when the register is empty (the page says so)."""
    if not ct.count(cur):
        return None
    end = pr.default_window_end(cur)
    out = {"contracts": ct.in_categories(cur, category_ids, today), "off": pd.DataFrame(columns=["supplier", "spend"])}
    if category_ids and end is not None:
        lo, hi = pr.window(end)
        view = cube.View(period_from=lo, period_to=hi, categories=tuple(int(c) for c in category_ids),
                         drill=(("contract_status", "off"),))
        body = cube.pivot(cur, view, "supplier", top=10, with_suppliers=False).body()
        body = body[~body.r_other]
        out["off"] = pd.DataFrame({"supplier": body.r_label, "spend": body.spend})
    return out


# ---------------------------------------------------------------- versions

def initiative(cur, initiative_id: int) -> pr.Initiative:
    it = {i.initiative_id: i for i in pr.load(cur)}.get(int(initiative_id))
    if it is None:
        raise PlanError("plan_initiative", f"there is no initiative {initiative_id}", value=str(initiative_id))
    return it


def load(cur: duckdb.DuckDBPyConnection, initiative_id: int, version: int | None = None) -> Plan:
    """The plan of an initiative (the newest version, or ``version``); an empty plan (version 0)
    when none was saved."""
    initiative(cur, initiative_id)
    cond, params = ("AND version = ?", [int(version)]) if version else ("", [])
    rows = cur.execute(f"""SELECT version, content, figures, saved_at, saved_by FROM plan_versions
                           WHERE initiative_id = ? {cond} ORDER BY version DESC LIMIT 1""",
                       [int(initiative_id), *params]).fetchall()
    if not rows:
        if version:
            raise PlanError("plan_version", f"the plan has no version {version}", value=str(version))
        return Plan(int(initiative_id))
    v, content, figs, at, by = rows[0]
    return _plan(int(initiative_id), json.loads(content), int(v), at, by, json.loads(figs))


def _plan(initiative_id: int, content: dict, *rest) -> Plan:
    """A Plan from a stored version's content (and its version, saved_at, saved_by, figures)."""
    return Plan(initiative_id, content.get("texts", {}), content.get("people", []), content.get("prices", []),
                content.get("projects", []), *rest)


def versions(cur: duckdb.DuckDBPyConnection, initiative_id: int) -> pd.DataFrame:
    """Every saved version: version, saved_at, saved_by, sections_filled, approved (the version a
    category-plan approval was recorded on)."""
    df = cur.execute("""SELECT version, saved_at, saved_by, content FROM plan_versions WHERE initiative_id = ?
                        ORDER BY version""", [int(initiative_id)]).df()
    approved = approved_version(cur, initiative_id)
    df["sections_filled"] = [len(_plan(0, json.loads(c)).filled()) for c in df.content]
    df["approved"] = df.version == approved
    return df.drop(columns=["content"])


def _check(plan: Plan) -> None:
    bad = set(plan.texts) - set(SECTIONS)
    if bad:
        raise PlanError("plan_section", f"not a section of the plan: {', '.join(sorted(bad))}", value=", ".join(sorted(bad)))
    for n, p in enumerate(plan.people, start=1):
        if not (p.get("name") or "").strip() or p.get("section") not in ("staffing", "stakeholders"):
            raise PlanError("plan_person", f"person {n}: give a name (and whether team or stakeholder)", row=n)
    for n, r in enumerate(plan.prices, start=1):
        share = r.get("share")
        if not (r.get("component") or "").strip() or (share is not None and not 0 <= float(share) <= 1):
            raise PlanError("plan_price", f"price row {n}: give the cost component and a share between 0 and 100 %", row=n)
    if sum(float(r.get("share") or 0) for r in plan.prices) > 1.0001:
        raise PlanError("plan_price_total", "the price breakdown's shares add up to more than 100 %")
    for n, p in enumerate(plan.projects, start=1):
        if not (p.get("name") or "").strip():
            raise PlanError("plan_project", f"project {n}: give it a name", row=n)
        if p.get("start"):
            p["start"] = pr.parse_quarter(p["start"])


def save(cur: duckdb.DuckDBPyConnection, plan: Plan, *, actor: str | None = None, today: dt.date | None = None) -> int:
    """Store the plan as its next version (the previous ones kept), with the data figures as they
    are now; audited. Returns the version. Refused when it is the same as the newest version, or
    when another session saved a version since this one was loaded (``plan.version``)."""
    access.require(access.PLANS)
    it = initiative(cur, plan.initiative_id)
    _check(plan)
    with transaction(cur):
        last = load(cur, plan.initiative_id)
        if last.version != plan.version:
            raise PlanError("plan_stale", f"the plan was saved by {last.saved_by} (version {last.version}) after you "
                            "opened it; open it again", version=last.version, by=last.saved_by or "")
        if last.version and last.content() == plan.content():
            return last.version
        figs = figures(cur, it.category_ids, today=today)
        version = last.version + 1
        cur.execute("INSERT INTO plan_versions VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?)",
                    [plan.initiative_id, version, json.dumps(plan.content(), ensure_ascii=False),
                     json.dumps(figs, default=float), actor or current_user()])
        changed = sorted(s for s in SECTIONS if (last.texts.get(s) or "") != (plan.texts.get(s) or ""))
        audit(cur, "plan_save", "plan_versions", {"initiative": it.name, "version": version, "sections": changed}, actor)
    return version


def diff(old: Plan, new: Plan, threshold: float = 0.005) -> dict:
    """What changed between two versions: sections (whose text differs), and figures (name ->
    (old, new) for each figure that moved by more than ``threshold`` relatively, or appeared)."""
    sections = [s for s in SECTIONS if (old.texts.get(s) or "").strip() != (new.texts.get(s) or "").strip()]
    figs = {}
    for k in FIGURES:
        a, b = old.figures.get(k), new.figures.get(k)
        if a is None and b is None:
            continue
        if a is None or b is None or (abs(b - a) > threshold * max(abs(a), 1e-9) if a else abs(b) > 1e-9):
            figs[k] = (a, b)
    return {"sections": sections, "figures": figs}


def compare(old: Plan, new: Plan) -> list[dict]:
    """Side by side, the sections whose text differs between two versions, in the plan's order:
    section, and pieces [(op, text)] word by word where op is '=' (in both), '-' (only in the old
    text) or '+' (only in the new); the old text is the '=' and '-' pieces, the new the '=' and '+'."""
    out = []
    for key in diff(old, new)["sections"]:
        out.append({"section": key, "pieces": word_diff(old.texts.get(key) or "", new.texts.get(key) or "")})
    return out


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The change from ``old`` to ``new`` word by word (white space and punctuation are tokens of
    their own): [(op, text)], op '=', '-' or '+', neighbouring pieces of one kind joined."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[tuple[str, str]] = []

    def put(op, tokens):
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1][0] == op:
            pieces[-1] = (op, pieces[-1][1] + text)
        else:
            pieces.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            put("=", a[i1:i2])
        else:
            put("-", a[i1:i2])
            put("+", b[j1:j2])
    return pieces


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def since_approved(cur: duckdb.DuckDBPyConnection, initiative_id: int, today: dt.date | None = None) -> dict | None:
    """The figures that changed since the approved version (the version the category plan was
    approved on): figures (name -> (then, now)) and sections changed in later versions; None
    when no version was approved."""
    version = approved_version(cur, initiative_id)
    if not version:
        return None
    then = load(cur, initiative_id, version)
    now = load(cur, initiative_id)
    now.figures = figures(cur, initiative(cur, initiative_id).category_ids, today=today)
    return {"version": version, **diff(then, now)}


def project_to_initiative(cur: duckdb.DuckDBPyConnection, initiative_id: int, project: int, *,
                          actor: str | None = None) -> int:
    """A proposed improvement project (by its position, 0-based) of the newest plan as a new
    initiative (idea) in the plan's categories, with its saving and start; the plan's next
    version records the link. Returns the new initiative's id."""
    access.require(access.PLANS)
    plan = load(cur, initiative_id)
    p = _open_project(plan, project)
    parent = initiative(cur, initiative_id)
    with transaction(cur):
        before = {i.initiative_id for i in pr.load(cur)}
        sv.save_initiatives(cur, [pr.Initiative(p["name"], list(parent.category_ids), saving_sek=p.get("saving_sek"),
                                                start=p.get("start"), owner=parent.owner)], replace=False, actor=actor)
        new = max({i.initiative_id for i in pr.load(cur)} - before)
        p["initiative_id"] = new
        save(cur, plan, actor=actor)
    return new


def project_to_saving(cur: duckdb.DuckDBPyConnection, initiative_id: int, project: int, *,
                      actor: str | None = None) -> str:
    """A proposed improvement project (by its position, 0-based) of the newest plan as a savings
    line of the plan's own initiative: its saving is added to the initiative's planned saving for
    the project's start quarter (the initiative's start when the project has none), which must lie
    within the initiative's planned quarters and not be signed off; the quarter's comment names
    the project, and the plan's next version records the quarter. One transaction. Returns the
    quarter."""
    access.require(access.PLANS)
    access.require(access.SAVINGS_REPORT)
    plan = load(cur, initiative_id)
    p = _open_project(plan, project)
    parent = initiative(cur, initiative_id)
    saving = p.get("saving_sek")
    if saving is None or saving != saving or float(saving) <= 0:
        raise PlanError("plan_project_saving", f"'{p['name']}' has no saving to plan; enter it in SEK first",
                        name=p["name"])
    if not parent.start:
        raise PlanError("plan_no_start", f"the initiative '{parent.name}' has no start quarter; give it one on the "
                        "Prioritering page first", name=parent.name)
    quarter = pr.parse_quarter(p.get("start") or parent.start)
    k0 = q_index(parent.start)
    if not k0 <= q_index(quarter) < k0 + parent.duration:
        last = q_label(k0 + parent.duration - 1)
        raise PlanError("plan_project_quarter", f"'{p['name']}' starts {quarter}, outside the initiative's quarters "
                        f"{parent.start} – {last}", name=p["name"], quarter=quarter, first=parent.start, last=last)
    rows = sv.quarters(cur, initiative_id)
    row = rows[rows.quarter == quarter].iloc[0]
    note = f"{p['name']} (+{money(float(saving))})"
    comment = "; ".join(c for c in (row.comment if isinstance(row.comment, str) else "", note) if c)
    with transaction(cur):
        sv.enter(cur, initiative_id, quarter, planned=float(row.planned) + float(saving), comment=comment, actor=actor)
        p["savings_quarter"] = quarter
        save(cur, plan, actor=actor)
    return quarter


def _open_project(plan: Plan, project: int) -> dict:
    """The plan's project at ``project`` (0-based) that has not yet become an initiative or a
    savings line."""
    if not 0 <= project < len(plan.projects):
        raise PlanError("plan_project_missing", f"the plan has no project {project + 1}", value=str(project + 1))
    p = plan.projects[project]
    if p.get("initiative_id"):
        raise PlanError("plan_project_done", f"'{p['name']}' is already initiative {p['initiative_id']}", name=p["name"])
    if p.get("savings_quarter"):
        raise PlanError("plan_project_planned", f"'{p['name']}' is already planned as a saving in "
                        f"{p['savings_quarter']}", name=p["name"], quarter=p["savings_quarter"])
    return p


# ---------------------------------------------------------------- governance

def decisions(cur: duckdb.DuckDBPyConnection, initiative_id: int | None = None) -> pd.DataFrame:
    """Recorded decisions, in order: decision_id, initiative_id, cycle, gate, forum, decision,
    decided_on, minute, document_name, plan_version, recorded_at, recorded_by."""
    cond, params = ("WHERE initiative_id = ?", [int(initiative_id)]) if initiative_id is not None else ("", [])
    return cur.execute(f"""SELECT decision_id, initiative_id, cycle, gate, forum, decision, decided_on, minute,
                                  document_name, plan_version, recorded_at, recorded_by
                           FROM plan_decisions {cond} ORDER BY initiative_id, decision_id""", params).df()


def state(rows: list[dict]) -> dict:
    """Where an initiative stands, from its decisions in order (dicts with cycle, gate, forum,
    decision): cycle (the round), passed (gates passed in it, in order), stopped, next (the next
    gate, None when all passed or stopped), waiting (its forums still to approve), returned (the
    last return in the round, if any) and status (idea, approved, running, stopped)."""
    cycle = max([r["cycle"] for r in rows] or [1])
    now = [r for r in rows if r["cycle"] == cycle]
    stopped = any(r["decision"] == "stopped" for r in now)
    approvals: dict[str, set] = {}
    returned = None
    for r in now:
        key = r["gate"]
        if r["decision"] == "approved":
            approvals.setdefault(key, set()).add(r["forum"])
        elif r["decision"] == "returned":
            approvals.get(key, set()).discard(r["forum"])
            returned = r
    passed = []
    restart = cycle > 1
    for g in ORDER:
        if g == "initiation" and restart:          # a restart is the council's new initiation
            passed.append(g)
            continue
        if set(GATE_FORUMS[g]) <= approvals.get(g, set()):
            passed.append(g)
        else:
            break
    nxt = None if stopped or len(passed) == len(ORDER) else ORDER[len(passed)]
    waiting = [f for f in GATE_FORUMS[nxt] if f not in approvals.get(nxt, set())] if nxt else []
    status = ("stopped" if stopped else "running" if "category_plan" in passed
              else "approved" if "direction" in passed else "idea")
    return {"cycle": cycle, "passed": passed, "stopped": stopped, "next": nxt, "waiting": waiting,
            "returned": returned, "status": status}


def check(rows: list[dict], gate: str, forum: str, decision: str) -> int:
    """The cycle a new decision belongs to, or PlanError saying why it cannot be recorded: an
    unknown gate, forum or decision, a forum the gate is not decided by, a gate before whose
    predecessors passed, a decided gate, anything but a restart after a stop, a restart before the
    round ended (its category plan approved, or a stop)."""
    if gate not in GATE_FORUMS:
        raise PlanError("plan_gate", f"'{gate}' is not a gate; the gates are {', '.join(GATE_FORUMS)}", value=gate)
    if forum not in FORUMS:
        raise PlanError("plan_forum", f"'{forum}' is not a forum (KR, UU or ST)", value=forum)
    if decision not in DECISIONS:
        raise PlanError("plan_decision", f"'{decision}' is not a decision (approved, returned, stopped)", value=decision)
    if forum not in GATE_FORUMS[gate]:
        raise PlanError("plan_wrong_forum", f"{gate} is decided by {' and '.join(GATE_FORUMS[gate])}, not {forum}",
                        gate=gate, forum=forum, forums=" + ".join(GATE_FORUMS[gate]))
    s = state(rows)
    if gate == "restart":
        if not s["stopped"] and "category_plan" not in s["passed"]:
            raise PlanError("plan_restart_early", "a restart is decided when the round has ended: its category plan "
                            "approved, or stopped")
        return s["cycle"] + 1 if decision == "approved" else s["cycle"]
    if s["stopped"]:
        raise PlanError("plan_stopped", "the initiative is stopped; only a restart (KR) can open it again")
    if gate in s["passed"]:
        raise PlanError("plan_passed", f"{gate} has already passed in this round", gate=gate)
    if gate != s["next"]:
        raise PlanError("plan_order", f"{gate} comes after {s['next']}, which has not passed", gate=gate, after=s["next"])
    if decision == "approved" and forum not in s["waiting"]:
        raise PlanError("plan_forum_done", f"{forum} has already approved {gate}", gate=gate, forum=forum)
    return s["cycle"]


def record(cur: duckdb.DuckDBPyConnection, initiative_id: int, gate: str, forum: str, decision: str,
           decided_on: dt.date, minute: str, *, document: tuple[str, bytes] | None = None,
           actor: str | None = None) -> int:
    """Record a governance decision (``document``: (file name, bytes) attached); the initiative's
    status follows the gates (approval freezes its savings baseline). One transaction, audited.
    Returns the decision's id."""
    access.require(access.PLANS)
    it = initiative(cur, initiative_id)
    if not (minute or "").strip():
        raise PlanError("plan_minute", "give the minute reference (protokoll and paragraph, such as KR 2025-03-12 § 4)")
    if decided_on is None or decided_on > dt.date.today():
        raise PlanError("plan_date", "give the date of the meeting (not a future date)")
    with transaction(cur):
        rows = decisions(cur, initiative_id).to_dict("records")
        cycle = check(rows, gate, forum, decision)
        version = load(cur, initiative_id).version or None
        did = cur.execute("""INSERT INTO plan_decisions (initiative_id, cycle, gate, forum, decision, decided_on, minute,
                                                          document_name, document, plan_version, recorded_at, recorded_by)
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?) RETURNING decision_id""",
                          [int(initiative_id), cycle, gate, forum, decision, decided_on, minute.strip(),
                           document[0] if document else None, document[1] if document else None, version,
                           actor or current_user()]).fetchall()[0][0]
        status = state(decisions(cur, initiative_id).to_dict("records"))["status"]
        if status != it.status and (status == "stopped" or it.status == "stopped"
                                    or _RANK.get(status, 0) > _RANK.get(it.status, 0)):
            it.status = status          # forward along the gates; a stop, or a restart after one, either way
            sv.save_initiatives(cur, [it], replace=False, actor=actor)
        audit(cur, "plan_decision", "plan_decisions", {"initiative": it.name, "gate": gate, "forum": forum,
                                                       "decision": decision, "minute": minute.strip()}, actor)
    return did


_RANK = {"idea": 0, "approved": 1, "running": 2, "done": 3}


def approved_version(cur: duckdb.DuckDBPyConnection, initiative_id: int) -> int | None:
    """The plan version the latest category-plan approval was recorded on."""
    rows = cur.execute("""SELECT plan_version FROM plan_decisions WHERE initiative_id = ? AND gate = 'category_plan'
                          AND decision = 'approved' ORDER BY decision_id DESC LIMIT 1""", [int(initiative_id)]).fetchall()
    return rows[0][0] if rows else None


def document(cur: duckdb.DuckDBPyConnection, decision_id: int) -> tuple[str, bytes] | None:
    rows = cur.execute("SELECT document_name, document FROM plan_decisions WHERE decision_id = ?", [int(decision_id)]).fetchall()
    return (rows[0][0], bytes(rows[0][1])) if rows and rows[0][1] is not None else None


def pipeline(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every initiative with its plan and gates (the CLI's ``plans`` and the board): initiative,
    initiative_id, gate (the last gate passed in the round, None before the first), next, waiting
    (the forums), status, cycle, sections (16), sections_filled, version and decisions (gate,
    forum, decision, date, minute)."""
    out = []
    dec = decisions(cur)
    for it in pr.load(cur):
        rows = dec[dec.initiative_id == it.initiative_id].to_dict("records")
        s = state(rows)
        plan = load(cur, it.initiative_id)
        out.append({"initiative": it.name, "initiative_id": it.initiative_id,
                    "gate": s["passed"][-1] if s["passed"] else None, "next": s["next"], "waiting": s["waiting"],
                    "status": it.status, "cycle": s["cycle"], "sections": len(SECTIONS),
                    "sections_filled": len(plan.filled()), "version": plan.version,
                    "decisions": [{"gate": r["gate"], "forum": r["forum"], "decision": r["decision"],
                                   "date": pd.Timestamp(r["decided_on"]).date().isoformat(), "minute": r["minute"]}
                                  for r in rows]})
    return out


def find(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    """The initiative a name (or id) names, ignoring case."""
    t = (name or "").strip()
    for it in pr.load(cur):
        if str(it.initiative_id) == t or it.name.lower() == t.lower():
            return it.initiative_id
    raise PlanError("plan_initiative", f"there is no initiative '{name}'", value=t)

