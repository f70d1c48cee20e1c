"""Prioritisation (prioritering): category initiatives scored on feasibility (genomförbarhet,
1-5 or a range such as "2-4") and potential (1-5), with their spend, estimated saving, start
quarter and status, connected to the spend data.

An initiative's spend is computed from its linked categories (tree nodes at any level; a line
counts once even when several linked nodes contain it) over a 12-month window of influenceable
spend, unless a manual override is set (then shown as such). The saving is given in SEK or as a
percentage of the spend. Totals: spend, saving and saving share (saving / spend).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

import pandas as pd

from . import access
from .categories import category_names
from .errors import InitiativeError
from .periods import add_months, quarter_add
from .store import audit, current_user, transaction

STATUSES = ("idea", "approved", "running", "done", "stopped")
FILE_COLUMNS = ("name", "categories", "feasibility", "potential", "spend_override", "saving_sek", "saving_pct",
                "start", "duration", "owner", "status")
DEFAULT_WEIGHTS = {"potential": 2.0, "feasibility": 1.0, "saving": 1.0}
RENEWAL_MONTHS = 18       # a contract ending within this many months is a window for an initiative


@dataclass
class Initiative:
    name: str
    category_ids: list[int] = field(default_factory=list)
    feasibility_low: int = 3
    feasibility_high: int = 3
    potential: int = 3
    spend_override: float | None = None      # SEK
    saving_sek: float | None = None
    saving_pct: float | None = None          # share 0-1 of the spend
    start: str | None = None                 # '2021 Q2'
    duration: int = 4                        # quarters
    owner: str | None = None
    status: str = "idea"
    initiative_id: int | None = None
    is_demo: bool = False


# ------------------------------------------------------------------ parsing

def parse_feasibility(text) -> tuple[int, int]:
    """'4' -> (4, 4); '2-4' (also '2–4', '2 - 4') -> (2, 4); InitiativeError when a score is
    outside 1-5, the text is not a score or range, or the range runs backwards."""
    s = re.sub(r"\s+", "", str(text if text is not None else "")).replace("–", "-").replace("—", "-")
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", s)
    if not m:
        raise InitiativeError("init_feasibility", f"'{text}' is not a feasibility score (1-5) or range such as 2-4",
                              value=str(text))
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if not (1 <= lo <= 5 and 1 <= hi <= 5):
        raise InitiativeError("init_score_range", f"'{text}': scores run from 1 to 5", value=str(text))
    if lo > hi:
        raise InitiativeError("init_range_order", f"'{text}': write the range low to high, such as {hi}-{lo}",
                              value=str(text))
    return lo, hi


def parse_potential(text) -> int:
    s = str(text if text is not None else "").strip()
    s = s.removesuffix(".0")
    if not s.isdigit():
        raise InitiativeError("init_potential", f"'{text}' is not a potential score (a whole number 1-5)", value=str(text))
    if not 1 <= int(s) <= 5:
        raise InitiativeError("init_potential_range", f"'{text}': the potential runs from 1 to 5", value=str(text))
    return int(s)


def parse_quarter(text) -> str | None:
    """'2021 Q2', '2021Q2', '2021-Q2', 'Q2 2021', '2021:2' -> '2021 Q2'; empty -> None."""
    s = str(text if text is not None else "").strip().upper()
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})\s*[-:/ ]?\s*Q?\s*([1-4])", s) or re.fullmatch(r"Q([1-4])\s*[-/ ]?\s*(\d{4})", s)
    if not m:
        raise InitiativeError("init_quarter", f"'{text}' is not a quarter; write it as 2021 Q2", value=str(text))
    year, q = (m.group(1), m.group(2)) if len(m.group(1)) == 4 else (m.group(2), m.group(1))
    if not 2000 <= int(year) <= 2100:
        raise InitiativeError("init_quarter", f"'{text}' is not a quarter; write it as 2021 Q2", value=str(text))
    return f"{year} Q{q}"


def parse_amount(text, lang: str = "sv") -> float | None:
    """'1 234 567,50', '1234567.5', '26,7 MSEK', '2.8 MSEK' (and '1,234,567' in English) -> SEK;
    empty -> None."""
    from .format import parse_number
    if text is None or (isinstance(text, float) and text != text):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip().replace("\xa0", " ")
    if not s:
        return None
    factor = 1.0
    low = s.lower()
    for suffix, f in (("msek", 1e6), ("mkr", 1e6), ("tkr", 1e3), ("kr", 1.0), ("sek", 1.0)):
        if low.endswith(suffix):
            factor, s = f, s[: -len(suffix)].strip()
            break
    try:
        value = parse_number(s, lang)
    except ValueError:
        raise InitiativeError("init_amount", f"'{text}' is not an amount in SEK", value=str(text)) from None
    return None if value is None else value * factor


def parse_percent(text) -> float | None:
    """'6,5 %', '6.5', '0.065' (a share when below 1 and written without %) -> share 0-1."""
    if text is None or (isinstance(text, float) and text != text) or str(text).strip() == "":
        return None
    s = str(text).strip().replace(" ", "").replace(",", ".")
    pct = s.endswith("%")
    try:
        v = float(s.rstrip("%"))
    except ValueError:
        raise InitiativeError("init_percent", f"'{text}' is not a percentage", value=str(text)) from None
    share = v / 100 if (pct or v > 1) else v
    if not 0 <= share <= 1:
        raise InitiativeError("init_percent", f"'{text}': a saving share lies between 0 and 100 %", value=str(text))
    return share


def category_ids_from_paths(cur, text) -> list[int]:
    """'Entreprenad / Fastighetsunderhåll; Utrustning & material / Fordon' -> node ids (each path
    with ' / ' or ' › ' between levels, paths separated by ';' or a line break)."""
    from .categories import node_for_path
    if text is None or not str(text).strip():
        return []
    ids = []
    for part in re.split(r"[;\n]", str(text)):
        if not part.strip():
            continue
        path = tuple(p.strip() for p in re.split(r"\s*[/›>]\s*", part.strip()) if p.strip())
        cid = node_for_path(cur, path, {}, create=False)
        if cid is None:
            raise InitiativeError("init_category", f"the category '{part.strip()}' is not in the tree",
                                  value=part.strip())
        ids.append(cid)
    return ids


# ------------------------------------------------------------------ spend from the ledger

def default_window_end(cur) -> dt.date | None:
    """The last loaded month (the default end of the 12-month window)."""
    return cur.execute("SELECT max(period_month) FROM cube_rollup").fetchall()[0][0]


def window_ends(cur, limit: int = 60) -> list[dt.date]:
    """The months a 12-month window can end with, the newest first: every loaded month from the
    last back to the first (at most ``limit``)."""
    lo, hi = cur.execute("SELECT min(period_month), max(period_month) FROM cube_rollup").fetchall()[0]
    out, m = [], hi
    while m is not None and m >= lo and len(out) < limit:
        out.append(m)
        m = (m.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return out


def window(end: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending with ``end``'s month: (first month, last month)."""
    end = end.replace(day=1)
    y, m = end.year, end.month - 11
    if m < 1:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1), end


def category_figures(cur, category_ids: list[int], end: dt.date | None) -> dict:
    """For linked categories over the 12 months ending at ``end``: spend (SEK, influenceable,
    each line once), suppliers (distinct), prev_spend (the 12 months before), trend (spend /
    prev_spend - 1, None when the earlier months are not all loaded), classified_share (share
    of that spend classified down to a category without children), on_contract (SEK of it bought
    under a contract) and contract_share (avtalstrohet: on_contract / spend; None while the
    contract register is empty)."""
    return category_figures_many(cur, [category_ids], end)[0]


def category_figures_many(cur, id_sets: list[list[int]], end: dt.date | None) -> list[dict]:
    """``category_figures`` for each set of linked categories in ``id_sets``, in one pass over the
    aggregate: a row counts once for a set when any level of its category path is in the set."""
    empty = {"spend": 0.0, "suppliers": 0, "prev_spend": None, "trend": None, "classified_share": None,
             "on_contract": None, "contract_share": None}
    out = [dict(empty) for _ in id_sets]
    asked = [(k, int(c)) for k, ids in enumerate(id_sets) if ids for c in ids]
    if not asked or end is None:
        return out
    lo, hi = window(end)
    plo, phi = window(dt.date(hi.year - 1, hi.month, 1))
    leaf = "coalesce(f.cat_l3, f.cat_l2, f.cat_l1) NOT IN (SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL)"
    # each category path of the two windows with the sets it belongs to (by any level), so each
    # row is joined once to each set that holds it
    rows = cur.execute(f"""
        WITH sets AS (SELECT unnest(?::INTEGER[]) AS k, unnest(?::INTEGER[]) AS category_id),
        paths AS (SELECT DISTINCT cat_l1, cat_l2, cat_l3 FROM cube_suppliers WHERE period_month BETWEEN ? AND ?),
        pk AS (SELECT DISTINCT s.k, p.* FROM paths p JOIN sets s ON s.category_id IN (p.cat_l1, p.cat_l2, p.cat_l3))
        SELECT pk.k,
               coalesce(sum(spend) FILTER (WHERE period_month BETWEEN ? AND ?), 0)::DOUBLE,
               count(DISTINCT supplier_no) FILTER (WHERE period_month BETWEEN ? AND ?),
               coalesce(sum(spend) FILTER (WHERE period_month BETWEEN ? AND ?), 0)::DOUBLE,
               coalesce(sum(spend) FILTER (WHERE period_month BETWEEN ? AND ? AND {leaf}), 0)::DOUBLE,
               coalesce(sum(spend) FILTER (WHERE period_month BETWEEN ? AND ? AND contract_id IS NOT NULL), 0)::DOUBLE
        FROM cube_suppliers f
        JOIN pk ON f.cat_l1 IS NOT DISTINCT FROM pk.cat_l1 AND f.cat_l2 IS NOT DISTINCT FROM pk.cat_l2
               AND f.cat_l3 IS NOT DISTINCT FROM pk.cat_l3
        WHERE f.period_month BETWEEN ? AND ? GROUP BY pk.k""",
                       [[k for k, _ in asked], [c for _, c in asked], plo, hi, lo, hi, lo, hi, plo, phi, lo, hi, lo, hi,
                        plo, hi]).fetchall()
    loaded_prev = cur.execute("SELECT count(DISTINCT period_month) FROM cube_rollup WHERE period_month BETWEEN ? AND ?",
                              [plo, phi]).fetchall()[0][0] == 12
    contracts = cur.execute("SELECT count(*) FROM contracts").fetchall()[0][0] > 0
    got = {r[0]: r[1:] for r in rows}
    for k, ids in enumerate(id_sets):
        if not ids:
            continue
        spend, suppliers, prev, leaf_spend, on_contract = got.get(k, (0.0, 0, 0.0, 0.0, 0.0))
        o = out[k]
        o.update(spend=spend, suppliers=int(suppliers), classified_share=(leaf_spend / spend) if spend else None)
        if contracts:
            o.update(on_contract=on_contract, contract_share=(on_contract / spend) if spend else None)
        if loaded_prev:
            o["prev_spend"] = prev
            o["trend"] = (spend / prev - 1) if prev > 0 else None
    return out


# ------------------------------------------------------------------ validation and storage

def validate(cur, it: Initiative, computed_spend: float | None = None) -> Initiative:
    """The initiative cleaned, or InitiativeError naming what is wrong."""
    name = (it.name or "").strip()
    if not name:
        raise InitiativeError("init_name", "give the initiative a name")
    lo, hi, pot = int(it.feasibility_low), int(it.feasibility_high), int(it.potential)
    for v in (lo, hi):
        if not 1 <= v <= 5:
            raise InitiativeError("init_score_range", f"'{v}': scores run from 1 to 5", value=str(v))
    if not 1 <= pot <= 5:
        raise InitiativeError("init_potential_range", f"'{pot}': the potential runs from 1 to 5", value=str(pot))
    if lo > hi:
        raise InitiativeError("init_range_order", f"'{lo}-{hi}': write the range low to high", value=f"{lo}-{hi}")
    known = {r[0] for r in cur.execute("SELECT category_id FROM categories").fetchall()}
    for c in it.category_ids:
        if int(c) not in known:
            raise InitiativeError("init_category", f"category {c} is not in the tree", value=str(c))
    if it.status not in STATUSES:
        raise InitiativeError("init_status", f"'{it.status}' is not a status; use one of {', '.join(STATUSES)}",
                              value=str(it.status), statuses=", ".join(STATUSES))
    start = parse_quarter(it.start) if it.start else None
    duration = int(it.duration or 4)
    if not 1 <= duration <= 40:
        raise InitiativeError("init_duration", "the duration is 1 to 40 quarters", value=str(duration))
    if it.spend_override is not None and it.spend_override < 0:
        raise InitiativeError("init_amount", "the spend cannot be negative", value=str(it.spend_override))
    if it.saving_sek is not None and it.saving_pct is not None:
        raise InitiativeError("init_saving_both", "give the saving in SEK or as a percentage, not both")
    if it.saving_sek is not None and it.saving_sek < 0:
        raise InitiativeError("init_amount", "the saving cannot be negative", value=str(it.saving_sek))
    spend = it.spend_override if it.spend_override is not None else computed_spend
    if it.saving_sek is not None and spend is not None and it.saving_sek > spend:
        raise InitiativeError("init_saving_too_large", f"the saving ({it.saving_sek:,.0f} SEK) is larger than the "
                              f"spend ({spend:,.0f} SEK)", saving=_whole(it.saving_sek), spend=_whole(spend))
    return Initiative(name, [int(c) for c in it.category_ids], lo, hi, pot, it.spend_override, it.saving_sek,
                      it.saving_pct, start, duration, (it.owner or "").strip() or None, it.status, it.initiative_id,
                      it.is_demo)


def load(cur) -> list[Initiative]:
    """Every stored initiative, in the order they were created."""
    links: dict[int, list[int]] = {}
    for iid, cid in cur.execute("SELECT initiative_id, category_id FROM initiative_categories ORDER BY 1, 2").fetchall():
        links.setdefault(iid, []).append(cid)
    out = []
    for r in cur.execute("""SELECT initiative_id, name, feasibility_low, feasibility_high, potential, spend_override,
                                   saving_sek, saving_pct, start_quarter, duration, owner, status, is_demo
                            FROM initiatives ORDER BY initiative_id""").fetchall():
        out.append(Initiative(r[1], links.get(r[0], []), r[2], r[3], r[4], None if r[5] is None else float(r[5]),
                              None if r[6] is None else float(r[6]), r[7], r[8], r[9], r[10], r[11], r[0], r[12]))
    return out


def save(cur, items: list[Initiative], *, window_end: dt.date | None = None, actor: str | None = None,
         replace: bool = True, shown: set[int] | None = None) -> dict:
    """Store the edited list in one transaction (the initiatives alone: pages, CLI and demo save
    through analytics.savings.save_initiatives, which also freezes the baselines approval asks for): new ones (no id) are added, changed ones
    updated, and with ``replace`` the stored ones missing from the list deleted; ``shown`` (the
    ids the person's table held) limits the deletions to those, so an initiative another session
    added meanwhile is never deleted by an edit that did not show it. What is stored is read inside
    the transaction. Every row is validated first (InitiativeError names the row, 1-based, and
    the field); each change is audited. Returns {added, changed, deleted}."""
    access.require(access.INITIATIVES)
    end = window_end or default_window_end(cur)
    clean = []
    for n, it in enumerate(items, start=1):
        try:
            computed = category_figures(cur, it.category_ids, end)["spend"] if it.category_ids else None
            clean.append(validate(cur, it, computed))
        except InitiativeError as e:
            raise InitiativeError(e.code, str(e), row=n, column=_field_of(e.code), **e.params) from None
    seen = {i.initiative_id for i in clean if i.initiative_id is not None}
    added = changed = deleted = 0
    who = actor or current_user()
    with transaction(cur):
        old = {i.initiative_id: i for i in load(cur)}       # as stored now, after any other session's save
        for it in clean:
            values = [it.name, it.feasibility_low, it.feasibility_high, it.potential, it.spend_override, it.saving_sek,
                      it.saving_pct, it.start, it.duration, it.owner, it.status]
            if it.initiative_id is None or it.initiative_id not in old:
                iid = cur.execute("""INSERT INTO initiatives (name, feasibility_low, feasibility_high, potential,
                                        spend_override, saving_sek, saving_pct, start_quarter, duration, owner, status,
                                        is_demo, created_at, created_by, updated_at, updated_by)
                                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, now()::TIMESTAMP, ?)
                                     RETURNING initiative_id""", values + [it.is_demo, who, who]).fetchall()[0][0]
                added += 1
                audit(cur, "initiative_add", "initiatives", {"initiative_id": iid, **_describe(it)}, actor)
            else:
                iid = it.initiative_id
                before = old[iid]
                if _describe(before) == _describe(it):
                    continue
                cur.execute("""UPDATE initiatives SET name = ?, feasibility_low = ?, feasibility_high = ?, potential = ?,
                                  spend_override = ?, saving_sek = ?, saving_pct = ?, start_quarter = ?, duration = ?,
                                  owner = ?, status = ?, updated_at = now()::TIMESTAMP, updated_by = ?
                               WHERE initiative_id = ?""", values + [who, iid])
                cur.execute("DELETE FROM initiative_categories WHERE initiative_id = ?", [iid])
                changed += 1
                diff = {k: [v, _describe(it).get(k)] for k, v in _describe(before).items() if _describe(it).get(k) != v}
                diff.update({k: [None, v] for k, v in _describe(it).items() if k not in _describe(before)})
                audit(cur, "initiative_change", "initiatives", {"initiative_id": iid, "name": it.name, "changes": diff}, actor)
            cur.execute("DELETE FROM initiative_categories WHERE initiative_id = ?", [iid])
            for c in dict.fromkeys(it.category_ids):
                cur.execute("INSERT INTO initiative_categories VALUES (?, ?)", [iid, c])
        if replace:
            for iid, it in old.items():
                if iid not in seen and (shown is None or iid in shown):
                    cur.execute("DELETE FROM initiative_categories WHERE initiative_id = ?", [iid])
                    cur.execute("DELETE FROM initiatives WHERE initiative_id = ?", [iid])
                    for t in ("savings_settings", "savings_baselines", "savings_quarters"):
                        cur.execute(f"DELETE FROM {t} WHERE initiative_id = ?", [iid])
                    deleted += 1
                    audit(cur, "initiative_delete", "initiatives", {"initiative_id": iid, **_describe(it)}, actor)
    return {"added": added, "changed": changed, "deleted": deleted}


def _blank(cell) -> bool:
    return cell is None or cell != cell or (isinstance(cell, str) and not cell.strip())


def from_rows(rows: list[dict], by_path: dict[str, int], *, lang: str = "sv") -> list[Initiative]:
    """Initiatives from table rows as a person typed them (the page's editor): the name; the
    categories as tree paths ('L1 / L2'); feasibility '3' or '2-4'; potential 1-5; the spend
    override and saving in kronor as text in the UI language; the saving percentage in percent
    ('0,5' is half a percent); start as a quarter; duration in quarters; owner; status (a code of
    STATUSES); initiative_id for a stored one. Empty cells take the defaults (3, 3, four
    quarters, 'idea'). InitiativeError names the row (1-based) and the field; nothing is stored."""
    out = []
    for n, row in enumerate(rows, start=1):
        try:
            cats = list(row.get("categories") or [])
            unknown = [p for p in cats if p not in by_path]
            if unknown:
                raise InitiativeError("init_category", f"the category '{unknown[0]}' is not in the tree", value=unknown[0])
            lo, hi = parse_feasibility("3" if _blank(row.get("feasibility")) else str(row["feasibility"]))
            pot = parse_potential(3 if _blank(row.get("potential")) else row["potential"])
            pct = row.get("saving_pct")
            pct_text = "" if _blank(pct) else str(pct).strip()
            iid, duration = row.get("initiative_id"), row.get("duration")
            out.append(Initiative(
                str(row.get("name") or ""), [by_path[p] for p in cats], lo, hi, pot,
                parse_amount(row.get("override"), lang), parse_amount(row.get("saving_sek"), lang),
                parse_percent(f"{pct_text}%" if pct_text and "%" not in pct_text else pct_text),
                parse_quarter(row.get("start")), 4 if _blank(duration) or not duration else int(duration),
                str(row.get("owner") or "") or None, row.get("status") or "idea",
                None if _blank(iid) else int(iid)))
        except InitiativeError as e:
            raise InitiativeError(e.code, str(e), row=n, column=_field_of(e.code) or "name", **e.params) from None
    return out


def _whole(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def _describe(it: Initiative) -> dict:
    d = asdict(it)
    d.pop("initiative_id", None)
    d.pop("is_demo", None)
    return {k: v for k, v in d.items() if v not in (None, [], "")}


def _field_of(code: str) -> str | None:
    return {"init_name": "name", "init_feasibility": "feasibility", "init_score_range": "feasibility",
            "init_range_order": "feasibility", "init_potential": "potential", "init_potential_range": "potential", "init_category": "categories",
            "init_status": "status", "init_quarter": "start", "init_duration": "duration",
            "init_saving_too_large": "saving", "init_saving_both": "saving", "init_amount": "saving",
            "init_percent": "saving"}.get(code)


# ------------------------------------------------------------------ the table, totals, ranking

def table(cur, items: list[Initiative] | None = None, *, window_end: dt.date | None = None,
          weights: dict | tuple | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """One row per initiative with its figures: initiative_id, name, categories (paths joined by
    '; '), feasibility_low/high/mid, potential, computed_spend, spend_override, spend (the
    override when set), spend_is_override, saving (SEK: saving_sek, or saving_pct x spend),
    saving_share, start, start_year, end (the last quarter of the planned duration), duration,
    owner, status, suppliers, trend, classified_share, contract_coverage (avtalstrohet in the
    window; None until the contract register has contracts), renewal (the soonest day within
    RENEWAL_MONTHS of ``today`` a contract in the categories ends on, with its extensions used:
    a window to act in, an input to feasibility), renewal_contracts (their ids, soonest first),
    renewal_spend (their yearly spend in the categories) and score / rank by ``priority_scores``."""
    from .contracts import in_categories
    today = today or dt.date.today()
    horizon = add_months(today, RENEWAL_MONTHS)
    items = load(cur) if items is None else items
    end = window_end or default_window_end(cur)
    names = category_names(cur)
    rows = []
    figures = category_figures_many(cur, [it.category_ids for it in items], end)
    for it, fig in zip(items, figures):
        computed = fig["spend"] if it.category_ids else None
        spend = it.spend_override if it.spend_override is not None else (computed or 0.0)
        saving = it.saving_sek if it.saving_sek is not None else (it.saving_pct * spend if it.saving_pct is not None else None)
        ending = in_categories(cur, it.category_ids, today) if fig["contract_share"] is not None else None
        if ending is not None:
            days = pd.to_datetime(ending.last_day).dt.date
            ending = ending[days.notna() & (days >= today) & (days <= horizon)]
        rows.append({
            "initiative_id": it.initiative_id, "name": it.name,
            "categories": "; ".join(" / ".join(names[c]["path"]) for c in it.category_ids if c in names),
            "feasibility_low": it.feasibility_low, "feasibility_high": it.feasibility_high,
            "feasibility_mid": (it.feasibility_low + it.feasibility_high) / 2, "potential": it.potential,
            "computed_spend": computed, "spend_override": it.spend_override, "spend": spend,
            "spend_is_override": it.spend_override is not None, "saving": saving,
            "saving_share": (saving / spend) if saving is not None and spend else None,
            "start": it.start, "start_year": int(it.start[:4]) if it.start else None,
            "end": quarter_add(it.start, it.duration - 1) if it.start else None, "duration": it.duration,
            "owner": it.owner, "status": it.status, "suppliers": fig["suppliers"] if it.category_ids else None,
            "trend": fig["trend"], "classified_share": fig["classified_share"],
            "contract_coverage": fig["contract_share"] if it.category_ids else None,
            "renewal": pd.Timestamp(ending.last_day.iloc[0]).date() if ending is not None and len(ending) else None,
            "renewal_contracts": list(ending.contract_id) if ending is not None else [],
            "renewal_spend": float(ending.yearly_spend.sum()) if ending is not None and len(ending) else None,
        })
    df = pd.DataFrame(rows, columns=["initiative_id", "name", "categories", "feasibility_low", "feasibility_high",
                                     "feasibility_mid", "potential", "computed_spend", "spend_override", "spend",
                                     "spend_is_override", "saving", "saving_share", "start", "start_year", "end",
                                     "duration", "owner", "status", "suppliers", "trend", "classified_share",
                                     "contract_coverage", "renewal", "renewal_contracts", "renewal_spend"])
    scores = priority_scores(df, weights)
    df["score"] = scores
    df["rank"] = df.score.rank(ascending=False, method="min").astype("Int64") if len(df) else pd.Series(dtype="Int64")
    return df


def priority_scores(df: pd.DataFrame, weights: dict | None = None) -> list[float]:
    """score = (w_p x potential + w_f x feasibility (mid of a range) + w_s x 5 x saving / largest
    saving) / (w_p + w_f + w_s), on the 1-5 scale (a missing saving counts 0)."""
    w = {**DEFAULT_WEIGHTS, **dict(weights or {})}       # a mapping, or (name, weight) pairs (a cache key)
    total_w = w["potential"] + w["feasibility"] + w["saving"]
    if not len(df) or total_w <= 0:
        return [0.0] * len(df)
    savings = [s if s is not None and s == s else 0.0 for s in df.saving.tolist()]
    top = max(savings) or 1.0
    return [round((w["potential"] * p + w["feasibility"] * f + w["saving"] * 5 * s / top) / total_w, 2)
            for p, f, s in zip(df.potential.tolist(), df.feasibility_mid.tolist(), savings)]


def totals(df: pd.DataFrame) -> dict:
    """Total spend and saving (SEK) and saving share (saving / spend; None when no spend)."""
    spend = float(df.spend.fillna(0).sum()) if len(df) else 0.0
    saving = float(df.saving.fillna(0).sum()) if len(df) else 0.0
    return {"spend": spend, "saving": saving, "saving_share": saving / spend if spend else None}


# ------------------------------------------------------------------ files and demo

def export_frame(cur, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """The initiatives as a file table with FILE_COLUMNS (feasibility as '2-4')."""
    items = load(cur)
    names = category_names(cur)
    rows = []
    for it in items:
        rows.append({"name": it.name,
                     "categories": "; ".join(" / ".join(names[c]["path"]) for c in it.category_ids if c in names),
                     "feasibility": str(it.feasibility_low) if it.feasibility_low == it.feasibility_high
                     else f"{it.feasibility_low}-{it.feasibility_high}",
                     "potential": it.potential, "spend_override": it.spend_override, "saving_sek": it.saving_sek,
                     "saving_pct": None if it.saving_pct is None else round(it.saving_pct * 100, 4),
                     "start": it.start, "duration": it.duration, "owner": it.owner, "status": it.status})
    return pd.DataFrame(rows, columns=list(FILE_COLUMNS))


def write_file(cur, path) -> int:
    from pathlib import Path

    from .export import Sheet, xlsx_bytes
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InitiativeError("init_file_type", f"'{path.name}': write initiatives to an .xlsx file", file=path.name)
    frame = export_frame(cur)
    path.write_bytes(xlsx_bytes([Sheet("Initiativ", frame)]))
    return len(frame)


def read_file(cur, name: str, data: bytes) -> list[Initiative]:
    """Initiatives from an .xlsx (or .csv) file with FILE_COLUMNS; every bad cell is reported
    with file, row and column; nothing is stored here."""
    from .ingest.readers import read_rows
    header, body = read_rows(name, data, "name")
    idx = {h.strip().lower(): i for i, h in enumerate(header)}
    out = []
    for n, cells in body:
        def cell(col: str, cells: list = cells):
            i = idx.get(col)
            v = cells[i].strip() if i is not None and i < len(cells) and cells[i] is not None else ""
            return v or None
        if not any((c or "").strip() for c in cells):
            continue
        column = "name"
        try:
            column = "categories"
            cats = category_ids_from_paths(cur, cell("categories"))
            column = "feasibility"
            lo, hi = parse_feasibility(cell("feasibility") or "3")
            column = "potential"
            pot = parse_potential(cell("potential") or "3")
            column = "spend_override"
            override = parse_amount(cell("spend_override"))
            column = "saving_sek"
            saving = parse_amount(cell("saving_sek"))
            column = "saving_pct"
            pct = parse_percent(cell("saving_pct") + "%" if cell("saving_pct") and "%" not in cell("saving_pct")
                                else cell("saving_pct"))
            column = "start"
            start = parse_quarter(cell("start"))
            column = "duration"
            duration = int(float(cell("duration"))) if cell("duration") else 4
            column = "status"
            status = (cell("status") or "idea").lower()
            it = Initiative(cell("name") or "", cats, lo, hi, pot, override, saving, pct, start, duration, cell("owner"),
                            status)
            computed = category_figures(cur, cats, default_window_end(cur))["spend"] if cats else None
            out.append(validate(cur, it, computed))
        except InitiativeError as e:
            raise InitiativeError(e.code, str(e), file=name, row=n, column=_field_of(e.code) or column, **e.params) from None
        except ValueError:
            raise InitiativeError("init_duration", "the duration is a whole number of quarters", file=name, row=n,
                                  column=column, value=cell(column) or "") from None
    return out


def import_file(cur, name: str, data: bytes, *, replace: bool = False, actor: str | None = None) -> dict:
    """Read a file and store its initiatives (added, or replacing all with ``replace``)."""
    access.require(access.INITIATIVES)
    items = read_file(cur, name, data)
    with transaction(cur):              # the initiatives and the import's own audit entry together
        res = save(cur, items, actor=actor, replace=replace)     # adding never touches what is stored
        audit(cur, "initiatives_import", "initiatives", {"file": name, "rows": len(items), **res}, actor)
    return res


# The six initiatives of DOMAIN.md's real prioritisation slide, with their spend and saving as
# manual overrides (MSEK), linked to the default tree. The slide's start quarters (2021 Q2 to
# 2022 Q2) are moved three years on, so that each baseline (the 12 months before the start) lies
# inside the demo ledger (2023-2025) and measured savings show.
DEMO = [
    ("Bygg- och fastighetsmaterial (bygg, el, VA och VVS, kemikalier, hantverk)",
     ["Entreprenad / Fastighetsunderhåll / Byggmaterial"], "5", 5, 26.7, 1.5, "2024 Q1", "running"),
    ("Fordon (köp, underhåll, omkostnader)", ["Utrustning & material / Fordon"], "4", 4, 19.1, 1.1, "2024 Q1", "running"),
    ("Teknik- och miljökonsulter", ["Organisation / Konsulttjänster"], "3", 4, 6.8, 0.5, "2024 Q3", "approved"),
    ("Möbler", ["Utrustning & material / Utrustning / Möbler"], "4", 5, 4.7, 0.5, "2024 Q4", "approved"),
    ("Storköksutrustning", ["Utrustning & material / Utrustning / Storköksutrustning"], "5", 5, 2.8, 0.3, "2025 Q1", "approved"),
    ("Bygg- och fastighetstjänster (byggtjänster, värme och sanitet, elektriker)",
     ["Entreprenad / Fastighetsunderhåll / Reparation och underhåll", "Entreprenad / Fastighetsrelaterade tjänster"],
     "2-4", 4, 54.8, 3.5, "2024 Q2", "idea"),
]


def demo_initiatives(cur) -> list[Initiative]:
    """The six demo initiatives (flagged as demo), to add; none when demo initiatives exist.
    analytics.savings.load_demo_initiatives stores them (their baselines frozen)."""
    if cur.execute("SELECT count(*) FROM initiatives WHERE is_demo").fetchall()[0][0]:
        return []
    out = []
    for name, paths, feas, pot, spend, saving, start, status in DEMO:
        lo, hi = parse_feasibility(feas)
        out.append(Initiative(name, category_ids_from_paths(cur, "; ".join(paths)), lo, hi, pot, spend * 1e6,
                              saving * 1e6, None, start, 4, "Kategoriledare (demo)", status, None, True))
    return out


def remove_demo_initiatives(cur) -> int:
    """Remove the demo initiatives (with the demo data)."""
    access.require(access.INITIATIVES)
    keep = [i for i in load(cur) if not i.is_demo]
    n = len(load(cur)) - len(keep)
    if n:
        save(cur, keep, actor="demo")
    return n


def as_json(cur) -> dict:
    """The CLI's view: initiatives with money in SEK and the totals."""
    df = table(cur)
    t = totals(df)
    items = [{"name": r.name, "feasibility_low": int(r.feasibility_low), "feasibility_high": int(r.feasibility_high),
              "potential": int(r.potential), "spend": round(float(r.spend), 2),
              "saving": None if r.saving is None or r.saving != r.saving else round(float(r.saving), 2),
              "start": r.start, "status": r.status} for r in df.itertuples()]
    return {"initiatives": items, "total_spend": round(t["spend"], 2), "total_saving": round(t["saving"], 2),
            "saving_share": t["saving_share"]}

