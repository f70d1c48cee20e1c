"""Classification (klassificering): which purchase category each ledger line belongs to.

Every line gets its category from rules stored in ``class_rules``, in a fixed and visible
precedence (``STEPS``); the first step that matches decides:

1. exclude  - outside influenceable spend (ej påverkbar): accounts or account ranges (default
              Kommun-Bas classes 5 and 8 and VAT accounts), suppliers, payments to public bodies
              (a rule that is off until the user switches it on) and single lines.
2. cpv      - a CPV code on the line: the tree node carrying the longest matching CPV code.
3. supplier - organisation number or normalised name -> category, optionally only for an account
              range, so one supplier can land in several categories.
4. account  - account or account range -> category, optionally only where the account text (or,
              with match_on 'supplier_name', the supplier's name) contains a keyword: that is how
              the shipped Kommun-Bas defaults split the groups that mix categories (40, 61, 64, 74).
              An exclusion with a keyword and match_on is matched the same way (the default
              exclusion of taxes and public fees looks at the account text); without match_on
              its keyword is looked for in the description and account text, as in step 5.
5. keyword  - a word in the line's description or account text -> category.
   otherwise  "Ej klassificerat" (category NULL).

Within a step the most specific rule wins: your own rules before the shipped defaults (rules
with a ``preset``); then a supplier rule with an account range before one without, an
organisation number before a name, a longer account prefix before a shorter one, an account rule
with a keyword before one without (among account rules with keywords that both match, the
newer), a longer keyword rule before a shorter one; among equals the newest rule.

Keywords are matched case-insensitively inside the text. ``|`` separates alternatives
("städ|lokalvård"); ``^`` at the start of an alternative means it must begin a word and ``$`` at
the end that it must end one ("^el$" is the word "el", not "material"). Words are separated by
anything that is not a letter.

The shipped defaults (data/default_rules.csv) carry a ``preset``: the Kommun-Bas classification
rules are 'kommunbas'; each default exclusion has its own preset ('staff', 'class8', 'vat',
'depreciation', 'transfers', 'rent', 'taxes', 'public', 'internal'), which the page shows as a
switch with the spend it catches (``presets``/``set_preset``). Each line records the rule that
decided it (ledger_lines.rule_id; its kind is the step, and a line its CPV code placed has a
category and no rule), so every rule shows the spend and lines it catches. analytics.derived
applies the rules to the lines (``reclassify``) after every change. Excluded lines get
category_id -1 (``EXCLUDED``; ledger_lines.excluded is read from it), which the view
category_paths maps to -1 on every level, so the cube shows excluded spend as its own category.

Account ranges compare the first characters of the account: "5" is class 5, "641-643" the
accounts starting 641, 642 or 643, "64110" that account alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import access
from .categories import category_names, node_for_path
from .constants import EXCLUDED, STEP_NO
from .derived import keyword_pattern
from .errors import RuleError
from .ingest.parse import name_norm_sql
from .store import audit, current_user
from .tree import change

RULE_KINDS = ("exclude", "supplier", "account", "keyword")
# columns of a rules file (import/export), in order
RULE_FILE_COLUMNS = ("kind", "org_no", "supplier", "account_from", "account_to", "keyword", "legal_form",
                     "batch_id", "source_row", "L1", "L2", "L3", "active", "note", "match_on", "preset")
MATCH_ON = ("account_text", "supplier_name")
# Default exclusions shown as switches, in the order the page lists them; the first four are the
# standard definition of influenceable spend, the rest are usually shown apart (DOMAIN.md).
EXCLUSION_PRESETS = ("staff", "class8", "vat", "depreciation", "transfers", "rent", "taxes", "public", "internal")


@dataclass
class Rule:
    """One classification rule as a person states it (see the module docstring)."""
    kind: str
    category_id: int | None = None
    org_no: str | None = None            # ten digits
    supplier: str | None = None          # the name as entered; matched normalised
    account_from: str | None = None
    account_to: str | None = None
    keyword: str | None = None
    legal_form: str | None = None        # exclusions: e.g. 'public'
    batch_id: int | None = None          # exclusions of one line: batch and source row
    source_row: int | None = None
    active: bool = True
    note: str | None = None
    rule_id: int | None = field(default=None, compare=False)
    match_on: str | None = None          # a keyword on 'account_text' or 'supplier_name' (account step); see the docstring
    preset: str | None = None            # shipped default (see the module docstring); None for your own rules


# ------------------------------------------------------------------ parsing and validation

def parse_account_range(text: str | None) -> tuple[str | None, str | None]:
    """'64110' -> ('64110', '64110'); '641-643' (also with an en dash or spaces) -> ('641', '643');
    '' -> (None, None). Both ends must have the same length and from <= to."""
    if text is None or not str(text).strip():
        return None, None
    s = re.sub(r"\s+", "", str(text)).replace("–", "-").replace("—", "-")
    if s.endswith(".0") and s[:-2].isdigit():        # a number that went through Excel
        s = s[:-2]
    parts = s.split("-")
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise RuleError("rule_account_range", f"'{text}' is not an account or range such as 641-643", value=str(text))
    lo, hi = parts
    if len(lo) != len(hi):
        raise RuleError("rule_account_length", f"both ends of '{text}' must have as many characters", value=str(text))
    if lo > hi:
        lo, hi = hi, lo
    return lo, hi


def normalise_org_no(text: str | None) -> str | None:
    """Ten digits from '556036-0793', '5560360793', '165560360793' or 'SE556036079301'; None for
    empty; RuleError otherwise."""
    if text is None or not str(text).strip():
        return None
    s = str(text).strip().upper()
    if s.startswith("SE") and s.endswith("01"):
        s = s[2:-2]
    digits = re.sub(r"\D", "", s)
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    if len(digits) != 10:
        raise RuleError("rule_org_no", f"'{text}' is not an organisation number (ten digits, NNNNNN-NNNN)",
                        value=str(text))
    return digits


def normalise_name(cur: duckdb.DuckDBPyConnection, name: str | None) -> str | None:
    """A supplier name normalised exactly as the loader normalises ledger names."""
    if name is None or not str(name).strip():
        return None
    return cur.execute(f"SELECT {name_norm_sql('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", [str(name)]).fetchall()[0][0]


def parse_line_ref(text: str | None) -> tuple[int | None, int | None]:
    """A single ledger line as a person writes it, 'batch:row' ('3:1520', spaces allowed) ->
    (3, 1520); empty -> (None, None); RuleError otherwise."""
    if text is None or not str(text).strip():
        return None, None
    b, _, r = str(text).replace(" ", "").partition(":")
    if not (b.isdigit() and r.isdigit()):
        raise RuleError("rule_line", "write the line as batch:row, e.g. 3:1520", value=str(text))
    return int(b), int(r)


def rule_from_form(kind: str, category_id: int | None, *, org_no: str = "", supplier: str = "", account: str = "",
                   keyword: str = "", public: bool = False, line: str = "", note: str = "") -> Rule:
    """A rule from the page's form: empty fields left out, the account as '64110' or '641-643',
    the line as 'batch:row', ``public`` for the payments-to-public-bodies exclusion. Validated
    when stored."""
    batch, row = parse_line_ref(line)
    lo, hi = parse_account_range(account)
    return Rule(kind, category_id, org_no or None, supplier or None, lo, hi, keyword or None,
                "public" if public else None, batch, row, True, note or None)


def validate(cur: duckdb.DuckDBPyConnection, rule: Rule) -> Rule:
    """The rule cleaned (org number digits, account range, lower-case keyword), or RuleError."""
    if rule.kind not in RULE_KINDS:
        raise RuleError("rule_kind", f"unknown rule kind '{rule.kind}'; use one of {', '.join(RULE_KINDS)}",
                        value=str(rule.kind), kinds=", ".join(RULE_KINDS))
    org = normalise_org_no(rule.org_no)
    supplier = (str(rule.supplier).strip() or None) if rule.supplier is not None else None
    lo, hi = rule.account_from, rule.account_to
    if lo is not None and hi is None and "-" in str(lo):
        lo, hi = parse_account_range(lo)
    else:
        lo = parse_account_range(lo)[0] if lo not in (None, "") else None
        hi = parse_account_range(hi)[0] if hi not in (None, "") else lo
        if lo is None and hi is not None:
            lo = hi
        if lo is not None and len(lo) != len(hi):
            raise RuleError("rule_account_length", f"both ends of '{lo}-{hi}' must have as many characters",
                            value=f"{lo}-{hi}")
        if lo is not None and lo > hi:
            lo, hi = hi, lo
    keyword = (str(rule.keyword).strip().lower() or None) if rule.keyword is not None else None
    legal = (str(rule.legal_form).strip() or None) if rule.legal_form is not None else None
    line = rule.batch_id is not None or rule.source_row is not None
    if line and (rule.batch_id is None or rule.source_row is None):
        raise RuleError("rule_line", "a single-line exclusion needs both the batch and the row")
    if rule.kind == "exclude":
        if rule.category_id is not None:
            raise RuleError("rule_exclude_category", "an exclusion has no category")
        if not (org or supplier or lo or legal or line or keyword):
            raise RuleError("rule_empty", "say what the rule matches: an account, a supplier, a legal form or a line")
    else:
        if rule.category_id is None:
            raise RuleError("rule_no_category", "choose the category the rule sets")
        if not cur.execute("SELECT count(*) FROM categories WHERE category_id = ?", [int(rule.category_id)]).fetchall()[0][0]:
            raise RuleError("rule_unknown_category", f"category {rule.category_id} is not in the tree",
                            value=str(rule.category_id))
        if line or legal:
            raise RuleError("rule_only_exclude", "single lines and legal forms can only be excluded")
        if rule.kind == "supplier" and not (org or supplier):
            raise RuleError("rule_no_supplier", "a supplier rule needs an organisation number or a name")
        if rule.kind == "account" and not lo:
            raise RuleError("rule_no_account", "an account rule needs an account or an account range")
        if rule.kind == "account" and (org or supplier):
            raise RuleError("rule_account_extra", "an account rule matches the account (and its text); use a supplier rule")
        if rule.kind == "keyword" and not keyword:
            raise RuleError("rule_no_keyword", "a keyword rule needs a keyword")
        if rule.kind == "keyword" and (org or supplier):
            raise RuleError("rule_keyword_extra", "a keyword rule cannot name a supplier; use a supplier rule")
    if keyword is not None:
        keyword_pattern(keyword)
    match_on = (str(rule.match_on).strip().lower() or None) if rule.match_on is not None else None
    if match_on == "account_text" and rule.kind == "account":
        match_on = None                  # an account rule's keyword is on the account text anyway
    if match_on is not None and match_on not in MATCH_ON:
        raise RuleError("rule_match_on", f"'{rule.match_on}': match the keyword on account_text or supplier_name",
                        value=str(rule.match_on))
    if match_on and not (rule.kind in ("account", "exclude") and keyword):
        raise RuleError("rule_match_on_kind", "only an account rule or an exclusion with a keyword can say where the "
                                              "keyword is looked for")
    preset = (str(rule.preset).strip() or None) if rule.preset is not None else None
    return Rule(rule.kind, None if rule.category_id is None else int(rule.category_id), org, supplier, lo, hi,
                keyword, legal, None if rule.batch_id is None else int(rule.batch_id),
                None if rule.source_row is None else int(rule.source_row), bool(rule.active),
                (str(rule.note).strip() or None) if rule.note is not None else None, rule.rule_id, match_on, preset)


# ------------------------------------------------------------------ storing rules

_RULE_COLS = ("kind", "category_id", "org_no", "supplier", "supplier_norm", "account_from", "account_to", "keyword",
              "legal_form", "batch_id", "source_row", "active", "note", "match_on", "preset")


def _insert(cur, r: Rule, actor: str | None) -> int:
    values = [r.kind, r.category_id, r.org_no, r.supplier, normalise_name(cur, r.supplier), r.account_from,
              r.account_to, r.keyword, r.legal_form, r.batch_id, r.source_row, r.active, r.note, r.match_on, r.preset]
    return cur.execute(f"""INSERT INTO class_rules ({', '.join(_RULE_COLS)}, created_at, created_by, updated_at)
                           VALUES ({', '.join('?' * len(_RULE_COLS))}, now()::TIMESTAMP, ?, now()::TIMESTAMP)
                           RETURNING rule_id""", values + [actor or current_user()]).fetchall()[0][0]


def _describe(r: Rule) -> dict:
    return {k: v for k, v in r.__dict__.items() if v not in (None, "") and k != "rule_id"}


def add_rules(cur: duckdb.DuckDBPyConnection, rules: list[Rule], *, actor: str | None = None,
              action: str = "rule_add") -> list[int]:
    """Validate and store rules in one transaction (all or none), then reclassify the store and
    rebuild the cube. The previous rules and tree are kept as a version (undo)."""
    access.require(access.RULES)
    clean = [validate(cur, r) for r in rules]
    if not clean:
        return []
    def work() -> list[int]:
        ids = [_insert(cur, r, actor) for r in clean]
        for rid, r in zip(ids, clean):
            audit(cur, action, "class_rules", {"rule_id": rid, **_describe(r)}, actor)
        return ids
    return change(cur, action, {"rules": len(clean)}, actor, work)


def update_rule(cur: duckdb.DuckDBPyConnection, rule_id: int, rule: Rule, *, actor: str | None = None) -> None:
    """Replace a rule's content (same id), reclassify, rebuild the cube; audited and undoable."""
    access.require(access.RULES)
    clean = validate(cur, rule)
    old = get_rule(cur, rule_id)
    def work() -> None:
        sets = ", ".join(f"{c} = ?" for c in _RULE_COLS)
        cur.execute(f"UPDATE class_rules SET {sets}, updated_at = now()::TIMESTAMP WHERE rule_id = ?",
                    [clean.kind, clean.category_id, clean.org_no, clean.supplier, normalise_name(cur, clean.supplier),
                     clean.account_from, clean.account_to, clean.keyword, clean.legal_form, clean.batch_id,
                     clean.source_row, clean.active, clean.note, clean.match_on, clean.preset, rule_id])
        audit(cur, "rule_update", "class_rules", {"rule_id": rule_id, "before": _describe(old), "after": _describe(clean)}, actor)
    change(cur, "rule_update", {"rule_id": rule_id}, actor, work)


def toggle_rules(cur: duckdb.DuckDBPyConnection, rule_ids: list[int], *, actor: str | None = None) -> None:
    """Switch each rule on or off (the other way from now) in one versioned change: audited per
    rule, reclassified once, undoable."""
    access.require(access.RULES)
    if not rule_ids:
        return
    olds = [get_rule(cur, int(i)) for i in rule_ids]

    def work() -> None:
        for i, old in zip(rule_ids, olds):
            cur.execute("UPDATE class_rules SET active = ?, updated_at = now()::TIMESTAMP WHERE rule_id = ?",
                        [not old.active, int(i)])
            audit(cur, "rule_update", "class_rules", {"rule_id": int(i), "before": {"active": old.active},
                                                      "after": {"active": not old.active}}, actor)
    change(cur, "rule_update", {"rules": len(rule_ids)}, actor, work)


def delete_rules(cur: duckdb.DuckDBPyConnection, rule_ids: list[int], *, actor: str | None = None) -> None:
    """Delete rules, reclassify, rebuild the cube; audited and undoable."""
    access.require(access.RULES)
    if not rule_ids:
        return
    olds = [get_rule(cur, i) for i in rule_ids]
    def work() -> None:
        cur.execute("DELETE FROM class_rules WHERE rule_id IN (SELECT unnest(?::INTEGER[]))", [list(rule_ids)])
        for i, old in zip(rule_ids, olds):
            audit(cur, "rule_delete", "class_rules", {"rule_id": i, **_describe(old)}, actor)
    change(cur, "rule_delete", {"rules": len(rule_ids)}, actor, work)


def get_rule(cur: duckdb.DuckDBPyConnection, rule_id: int) -> Rule:
    rows = cur.execute("""SELECT kind, category_id, org_no, supplier, account_from, account_to, keyword, legal_form,
                                 batch_id, source_row, active, note, rule_id, match_on, preset
                          FROM class_rules WHERE rule_id = ?""",
                       [rule_id]).fetchall()
    if not rows:
        raise RuleError("rule_missing", f"rule {rule_id} does not exist (deleted by someone else?)", value=str(rule_id))
    return Rule(*rows[0])


# ------------------------------------------------------------------ the engine

# ------------------------------------------------------------------ reading

def rules_table(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every rule in precedence order with the spend (SEK) and lines it catches (the lines it
    decides after precedence): columns rule_id, step (1-5), kind, org_no, supplier, account_from,
    account_to, keyword, legal_form, batch_id, source_row, category_id, category (path 'L1 / L2'),
    active, note, spend, lines, created_by, updated_at, preset."""
    names = category_names(cur)
    df = cur.execute("""
        SELECT r.rule_id, r.kind, r.org_no, r.supplier, r.account_from, r.account_to, r.keyword, r.legal_form,
               r.batch_id, r.source_row, r.category_id, r.active, r.note, coalesce(s.spend, 0)::DOUBLE AS spend,
               coalesce(s.lines, 0)::BIGINT AS lines, r.created_by, r.updated_at, r.preset
        FROM class_rules r
        LEFT JOIN (SELECT rule_id, sum(amount) AS spend, count(*) AS lines FROM ledger_lines
                   WHERE rule_id IS NOT NULL GROUP BY rule_id) s USING (rule_id)""").df()
    for c in ("org_no", "supplier", "account_from", "account_to", "keyword", "legal_form", "note", "preset"):
        df[c] = pd.Series([v if isinstance(v, str) else None for v in df[c]], dtype=object, index=df.index)
    df.insert(1, "step", [STEP_NO[k] for k in df.kind])
    df.insert(11, "category", [" / ".join(names[c]["path"]) if c in names else None
                               for c in df.category_id.astype(object).where(df.category_id.notna(), None)])
    return df.sort_values(["step", "rule_id"]).reset_index(drop=True)


def summary(cur: duckdb.DuckDBPyConnection) -> dict:
    """Classified, unclassified and excluded spend (SEK) and lines; classified_share is of the
    influenceable spend (classified + unclassified; None when that is 0); the three spends add up
    to the store's total. rules: the number of active rules."""
    # from the cube's smallest aggregate: an excluded line's path is EXCLUDED, an unclassified one has none
    row = cur.execute(f"""
        SELECT coalesce(sum(spend) FILTER (WHERE cat_l1 <> {EXCLUDED}), 0)::DOUBLE,
               coalesce(sum(spend) FILTER (WHERE cat_l1 IS NULL), 0)::DOUBLE,
               coalesce(sum(spend) FILTER (WHERE cat_l1 = {EXCLUDED}), 0)::DOUBLE,
               coalesce(sum(lines) FILTER (WHERE cat_l1 <> {EXCLUDED}), 0)::BIGINT,
               coalesce(sum(lines) FILTER (WHERE cat_l1 IS NULL), 0)::BIGINT,
               coalesce(sum(lines) FILTER (WHERE cat_l1 = {EXCLUDED}), 0)::BIGINT
        FROM cube_common""").fetchall()[0]
    rules = cur.execute("SELECT count(*) FROM class_rules WHERE active").fetchall()[0][0]
    infl = row[0] + row[1]
    return {"classified_share": row[0] / infl if infl else None, "classified_spend": round(row[0], 2),
            "unclassified_spend": round(row[1], 2), "excluded_spend": round(row[2], 2),
            "classified_lines": row[3], "unclassified_lines": row[4], "excluded_lines": row[5], "rules": rules}


# ------------------------------------------------------------------ the default exclusions

def presets(cur: duckdb.DuckDBPyConnection, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """The default exclusions as switches, in EXCLUSION_PRESETS order: preset, active (all its
    rules on), rules (count), spend (SEK) and lines it catches now (the lines it decides), and
    org_nos (for 'internal': the group's own organisation numbers). From ``rules`` (a
    rules_table already read) when given, so a page reads the store's lines once."""
    table = rules_table(cur) if rules is None else rules
    excl = table[(table.kind == "exclude") & table.preset.notna()]
    out = []
    for p in EXCLUSION_PRESETS:
        mine = excl[excl.preset == p]
        out.append({"preset": p, "active": bool(mine.active.all()) if len(mine) else p == "internal",
                    "rules": len(mine), "spend": float(mine.spend.sum()), "lines": int(mine.lines.sum()),
                    "org_nos": sorted(o for o in mine.org_no if isinstance(o, str))})
    return pd.DataFrame(out)


def set_preset(cur: duckdb.DuckDBPyConnection, preset: str, active: bool, *, actor: str | None = None) -> int:
    """Switch every rule of a default exclusion on or off (one audited, undoable change);
    returns the number of rules switched."""
    access.require(access.RULES)
    if preset not in EXCLUSION_PRESETS:
        raise RuleError("rule_preset", f"unknown default exclusion '{preset}'", value=str(preset))
    ids = [r[0] for r in cur.execute("SELECT rule_id FROM class_rules WHERE preset = ? AND kind = 'exclude' AND active <> ?",
                                     [preset, bool(active)]).fetchall()]
    if not ids:
        return 0
    def work() -> None:
        cur.execute("UPDATE class_rules SET active = ?, updated_at = now()::TIMESTAMP WHERE rule_id IN (SELECT unnest(?::INTEGER[]))",
                    [bool(active), ids])
        audit(cur, "preset_switch", "class_rules", {"preset": preset, "active": bool(active), "rules": len(ids)}, actor)
    change(cur, "preset_switch", {"preset": preset, "active": bool(active)}, actor, work)
    return len(ids)


def set_internal(cur: duckdb.DuckDBPyConnection, org_nos: list[str], *, actor: str | None = None) -> int:
    """The municipal group's own organisation numbers (koncerninterna): their payments are
    excluded as internal transactions (preset 'internal', switched like the others). Replaces
    the list; one audited, undoable change. Returns the number of organisations."""
    access.require(access.RULES)
    clean = sorted({n for n in (normalise_org_no(o) for o in org_nos) if n})
    now = presets(cur).set_index("preset").loc["internal"]
    old, active = now["org_nos"], bool(now["active"])
    if sorted(old) == clean:
        return len(clean)
    def work() -> None:
        cur.execute("DELETE FROM class_rules WHERE preset = 'internal' AND kind = 'exclude'")
        for org in clean:
            _insert(cur, Rule("exclude", None, org_no=org, active=active, note="Koncernintern", preset="internal"),
                    actor)
        audit(cur, "internal_orgs", "class_rules", {"before": list(old), "after": clean}, actor)
    change(cur, "internal_orgs", {"org_nos": len(clean)}, actor, work)
    return len(clean)


# ------------------------------------------------------------------ rules files

def export_rules(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The rules as a table with RULE_FILE_COLUMNS (categories as L1/L2/L3 names)."""
    names = category_names(cur)
    rows = []
    for r in cur.execute("""SELECT kind, org_no, supplier, account_from, account_to, keyword, legal_form, batch_id,
                                   source_row, category_id, active, note, match_on, preset
                            FROM class_rules ORDER BY rule_id""").fetchall():
        path = names[r[9]]["path"] if r[9] in names else []
        rows.append({"kind": r[0], "org_no": f"{r[1][:6]}-{r[1][6:]}" if r[1] else None, "supplier": r[2],
                     "account_from": r[3], "account_to": r[4], "keyword": r[5], "legal_form": r[6],
                     "batch_id": r[7], "source_row": r[8],
                     "L1": path[0] if len(path) > 0 else None, "L2": path[1] if len(path) > 1 else None,
                     "L3": path[2] if len(path) > 2 else None, "active": "yes" if r[10] else "no", "note": r[11],
                     "match_on": r[12], "preset": r[13]})
    return pd.DataFrame(rows, columns=list(RULE_FILE_COLUMNS))


def write_rules_file(cur: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Write the rules to an .xlsx or .csv file; returns the number of rules."""
    from .export import Sheet, xlsx_bytes
    table = export_rules(cur)
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(xlsx_bytes([Sheet("Regler", table)]))
    elif path.suffix.lower() == ".csv":
        path.write_text(table.to_csv(index=False), encoding="utf-8")
    else:
        raise RuleError("rules_file_type", f"'{path.name}': write rules to a .xlsx or .csv file", file=path.name)
    return len(table)


def read_rules_file(cur: duckdb.DuckDBPyConnection, name: str, data: bytes) -> list[Rule]:
    """Rules from an .xlsx or .csv file with RULE_FILE_COLUMNS (kind and a category path at
    least; other columns may be missing). Every bad cell is reported with file, row and column;
    nothing is stored here."""
    from .ingest.readers import read_rows
    header, body = read_rows(name, data, "kind")
    lower = {h.strip().lower(): i for i, h in enumerate(header)}
    rules: list[Rule] = []
    for n, cells in body:
        def cell(col: str, cells: list = cells) -> str | None:
            i = lower.get(col.lower())
            v = cells[i] if i is not None and i < len(cells) else None
            v = None if v is None else str(v).strip()
            return v or None
        if not any(str(c or "").strip() for c in cells):
            continue
        column = "kind"
        try:
            path = tuple(p for p in (cell("L1"), cell("L2"), cell("L3")) if p)
            category_id = None
            if path:
                column = "L" + str(len(path))
                category_id = node_for_path(cur, path, {}, create=False)
                if category_id is None:
                    raise RuleError("rule_unknown_path", f"category '{' / '.join(path)}' is not in the tree; add it "
                                    "to the tree or correct the name", path=" / ".join(path))
            column = "kind"
            rule = Rule((cell("kind") or "").lower(), category_id, cell("org_no"), cell("supplier"),
                        cell("account_from"), cell("account_to"), cell("keyword"), cell("legal_form"),
                        _int(cell("batch_id")), _int(cell("source_row")),
                        (cell("active") or "yes").lower() not in ("no", "nej", "0", "false"), cell("note"),
                        match_on=cell("match_on"), preset=cell("preset"))
            column = "org_no" if rule.org_no else "account_from"
            rules.append(validate(cur, rule))
        except RuleError as e:
            raise RuleError(e.code, str(e).split(": ", 1)[-1], file=name, row=n, column=_column_of(e.code, column),
                            **e.params) from None
        except ValueError as e:
            raise RuleError("rules_file_value", str(e), file=name, row=n, column=column, value=str(e)) from None
    return rules


def _column_of(code: str, fallback: str) -> str:
    return {"rule_kind": "kind", "rule_org_no": "org_no", "rule_account_range": "account_from",
            "rule_account_length": "account_from", "rule_no_category": "L1", "rule_line": "source_row",
            "rule_no_keyword": "keyword", "rule_no_supplier": "supplier", "rule_no_account": "account_from",
            "rule_keyword_empty": "keyword", "rule_match_on": "match_on", "rule_match_on_kind": "match_on"}.get(code, fallback)


def _int(v: str | None) -> int | None:
    if v is None:
        return None
    try:
        return int(float(v))
    except ValueError:
        raise ValueError(f"'{v}' is not a whole number") from None


def import_rules(cur: duckdb.DuckDBPyConnection, name: str, data: bytes, *, replace: bool = False,
                 actor: str | None = None) -> int:
    """Read a rules file and store its rules in one transaction (added to the existing rules, or
    replacing them all with ``replace``); reclassifies. Returns the number of rules read."""
    access.require(access.RULES)
    rules = read_rules_file(cur, name, data)
    def work() -> None:
        if replace:
            cur.execute("DELETE FROM class_rules")
        for r in rules:
            _insert(cur, r, actor)
        audit(cur, "rules_import", "class_rules", {"file": name, "rules": len(rules), "replace": replace}, actor)
    change(cur, "rules_import", {"file": name, "rules": len(rules), "replace": replace}, actor, work)
    return len(rules)

