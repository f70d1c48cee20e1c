"""Derived data: everything computed from the ledger lines, the rules and the tree.

One module owns it, so there is one way to bring it up to date after a change:

- the supplier register (``suppliers``: one supplier per organisation number, personnummer or
  normalised name, numbered for the cube, with its shown name as compared and its first batch),
  summed from each batch's part of each supplier (``supplier_parts``);
- each line's classification (``ledger_lines.category_id`` and ``rule_id``; ``excluded`` is read
  from the category) from the rules in ``class_rules`` and the tree's CPV codes;
- each line's contract (``ledger_lines.contract_id``) from the contract register;
- the spend cube's tables (``cube_facts``; the aggregates over it, ``cube_rollup`` without the
  supplier, ``cube_units`` without supplier and account, ``cube_common`` without the unit too,
  ``cube_suppliers`` without unit and account, ``cube_supplier_accounts`` without the unit;
  ``cube_accounts``).

The entry points say what changed, not what to rebuild: ``lines_added`` (an upload),
``lines_removed`` (an undo or a replaced period), ``rules_changed`` (a rule, preset, tree edit
or undo) and ``rebuild`` (everything, after a schema upgrade). Each runs inside the caller's
transaction, so the change and its derived data commit together. Lines that come or go touch
some months, suppliers, accounts and batches (``Touched``): only those batches' supplier parts,
those suppliers' rows, those months of the cube (and every month of a supplier whose legal form
or number status changed) and those accounts' texts are recomputed, so an upload costs what its
file holds, not what the store holds.
The result is the same as a full rebuild (tested); suppliers keep their numbers, a new one gets
the next. A change of the rules or the tree runs inside ``rules_change``: it compares the rules
and the tree's paths before and after, reclassifies only the lines a changed rule decided or can
match and the lines in a moved or re-coded category, and rebuilds the cube for their (supplier,
account) pairs only; more than MAX_INCREMENTAL_RULES changed rules take the full pass.

Classification rules are applied here (the engine); analytics.classify stores and validates
them. Steps are applied from the lowest precedence to the highest, each overwriting the lines it
matches, so the highest matching step decides (``STEPS``, see analytics.classify for what each
step means).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

import duckdb

from .constants import EXCLUDED
from .errors import RuleError
from .ingest.parse import name_norm_sql

# ---------------------------------------------------------------- what changed

@dataclass
class Touched:
    """What a change of lines touches: the months, supplier keys and accounts of the lines that
    came or went. Derived rows outside them cannot have changed."""
    months: set = field(default_factory=set)
    suppliers: set = field(default_factory=set)
    accounts: set = field(default_factory=set)
    batches: set = field(default_factory=set)

    def __or__(self, other: Touched | None) -> Touched:
        if other is None:
            return self
        return Touched(self.months | other.months, self.suppliers | other.suppliers, self.accounts | other.accounts,
                       self.batches | other.batches)


def touched(cur: duckdb.DuckDBPyConnection, where: str, params: list) -> Touched:
    """The months, suppliers and accounts of the lines matching ``where`` (SQL over ledger_lines
    written by the caller, values as ``params``); ask before deleting them."""
    months, sups, accts, batches = cur.execute(f"""
        SELECT list(DISTINCT period_month), list(DISTINCT supplier_key),
               list(DISTINCT account) FILTER (WHERE account IS NOT NULL), list(DISTINCT batch_id)
        FROM ledger_lines WHERE {where}""", params).fetchall()[0]
    return Touched(set(months or []), set(sups or []), set(accts or []), set(batches or []))


def lines_added(cur: duckdb.DuckDBPyConnection, batch_ids: list[int], also: Touched | None = None) -> None:
    """After an upload: the new batches' lines classified, then the suppliers, months and accounts
    they touch (and ``also``: what the same change removed) refreshed. The cost follows the upload,
    not the store."""
    t = Touched()
    if batch_ids:
        reclassify(cur, list(batch_ids))
        link_contracts(cur, "batch_id IN (SELECT unnest(?::INTEGER[]))", [list(batch_ids)])
        t = touched(cur, "batch_id IN (SELECT unnest(?::INTEGER[]))", [list(batch_ids)])
    _refresh(cur, t | also)


def lines_removed(cur: duckdb.DuckDBPyConnection, gone: Touched) -> None:
    """After lines were deleted (undo, a replaced period, the demo removed): ``gone`` is what
    ``touched`` said about them before they went."""
    _refresh(cur, gone)


def rules_changed(cur: duckdb.DuckDBPyConnection) -> None:
    """After the rules or the tree changed: every line reclassified (and linked to its contract
    again, which can follow the category), the cube rebuilt."""
    reclassify(cur)
    link_contracts(cur)
    refresh_cube(cur)


def contracts_changed(cur: duckdb.DuckDBPyConnection, supplier_keys: list[str], names: list[str]) -> None:
    """After the contract register changed: the lines of ``supplier_keys`` and of the normalised
    supplier ``names`` (the suppliers of every contract that was added, changed or removed)
    linked again."""
    if supplier_keys or names:
        link_contracts(cur, "supplier_key IN (SELECT unnest(?::VARCHAR[])) OR supplier_name_norm IN (SELECT unnest(?::VARCHAR[]))",
                       [sorted(set(supplier_keys)), sorted(set(names))], changed="_scope")
        if cur.execute("SELECT count(*) FROM _scope").fetchall()[0][0]:
            _pair_facts(cur)            # the cube's contract dimension for the lines whose contract changed
        cur.execute("DROP TABLE IF EXISTS _scope")


@contextlib.contextmanager
def rules_change(cur: duckdb.DuckDBPyConnection):
    """Around a change of the rules or the tree (inside the caller's transaction): the rules and
    the tree's paths are kept as they were, and when the block ends only the lines the change can
    have moved are reclassified and only their part of the cube rebuilt (see ``_rules_refresh``)."""
    cur.execute("CREATE OR REPLACE TEMP TABLE _rules_before AS SELECT * FROM class_rules")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _paths_before AS {_PATHS}")
    yield
    _rules_refresh(cur)
    cur.execute("DROP TABLE IF EXISTS _rules_before")
    cur.execute("DROP TABLE IF EXISTS _paths_before")


# each node's level-1/2/3 ancestors and its CPV code: what a line's place in the cube depends on
_PATHS = """SELECT p.category_id, p.l1_id, p.l2_id, p.l3_id, c.code
            FROM category_paths p LEFT JOIN categories c USING (category_id)"""
MAX_INCREMENTAL_RULES = 40      # more changed rules than this (an import, an undo of one): a full pass


def _match(r: dict) -> tuple[str, list]:
    """A condition over ledger_lines holding every line the rule ``r`` can match (a superset:
    its most selective part). ('true', []) when nothing narrower is known."""
    if r["batch_id"] is not None:
        return "(batch_id = ? AND source_row = ?)", [r["batch_id"], r["source_row"]]
    if r["org_no"]:
        return "supplier_key = ?", [f"org:{r['org_no']}"]
    if r["supplier_norm"]:
        return "supplier_name_norm = ?", [r["supplier_norm"]]
    if r["account_from"]:
        return "left(account, ?) BETWEEN ? AND ?", [len(r["account_from"]), r["account_from"], r["account_to"]]
    if r["legal_form"]:
        return "legal_form = ?", [r["legal_form"]]
    if r["keyword"]:
        return ("regexp_matches(lower(coalesce(description, '') || ' ' || coalesce(account_text, '') || ' ' "
                "|| coalesce(supplier_name_norm, '')), ?)"), [keyword_pattern(r["keyword"])]
    return "true", []


def _rules_refresh(cur) -> None:
    """After a change of rules or tree: the lines decided by a rule that changed or went, the
    lines a new or changed rule can match, and the lines in a category whose place or CPV code
    changed are reclassified; the cube is rebuilt for their (supplier, account) pairs and the
    rollup for their accounts. Equal to a full pass (tested); many changed rules take the full pass."""
    old = [r[0] for r in cur.execute("""SELECT rule_id FROM (SELECT * FROM _rules_before EXCEPT SELECT * FROM class_rules)"""
                                     ).fetchall()]
    new = cur.execute("""SELECT * FROM (SELECT * FROM class_rules EXCEPT SELECT * FROM _rules_before) WHERE active""")
    cols = [d[0] for d in new.description]
    new = [dict(zip(cols, row)) for row in new.fetchall()]
    cats = cur.execute(f"""SELECT category_id, code FROM (({_PATHS} EXCEPT SELECT * FROM _paths_before)
                                                          UNION ALL (SELECT * FROM _paths_before EXCEPT {_PATHS}))"""
                       ).fetchall()
    if not old and not new and not cats:
        return
    conds, params = [], []
    if old:
        conds.append("rule_id IN (SELECT unnest(?::INTEGER[]))")
        params.append(old)
    if cats:
        conds.append("category_id IN (SELECT unnest(?::INTEGER[]))")
        params.append(sorted({c for c, _ in cats}))
        codes: dict[int, list] = {}
        for c, code in cats:                                 # a node on one side only, or on both
            codes.setdefault(c, []).append(code)
        if any(len(set(v)) > 1 or (len(v) == 1 and v[0] is not None) for v in codes.values()):
            conds.append("cpv IS NOT NULL")                  # a CPV code on the tree changed
    matches = [_match(r) for r in new]
    if len(new) > MAX_INCREMENTAL_RULES or any(sql == "true" for sql, _ in matches):
        rules_changed(cur)
        return
    for sql, p in matches:
        conds.append(sql)
        params += p
    where = " OR ".join(conds)
    # the lines are found once by reclassify, which leaves their (supplier, account) pairs in
    # _pairs; their rowids are kept only when there are contracts to link them to again after
    # they are reclassified (``where`` can read their classification, which changes)
    relink = cur.execute("SELECT count(*) FROM contracts").fetchall()[0][0] > 0
    if relink:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _scope AS SELECT rowid AS r FROM ledger_lines WHERE {where}", params)
    reclassify(cur, where=(where, params), pairs="_pairs")
    if cur.execute("SELECT count(*) FROM _pairs").fetchall()[0][0]:
        if relink:
            link_contracts(cur, "rowid IN (SELECT r FROM _scope)")
        else:
            link_contracts(cur, "contract_id IS NOT NULL")    # no contracts: no line keeps one
        _pair_facts(cur, pairs_ready=True)
    cur.execute("DROP TABLE IF EXISTS _scope")
    cur.execute("DROP TABLE IF EXISTS _pairs")


def _pair_facts(cur, pairs_ready: bool = False) -> None:
    """cube_facts for the (supplier, account) pairs of the lines in _scope (or, ``pairs_ready``,
    the pairs already in _pairs: supplier_no, supplier_key, account); cube_rollup for their
    accounts, cube_suppliers for their suppliers, cube_supplier_accounts for the pairs, cube_units
    and cube_common for the category paths their rows had before or have now."""
    if not pairs_ready:
        cur.execute("""CREATE OR REPLACE TEMP TABLE _pairs AS
                       SELECT DISTINCT supplier_no, supplier_key, account FROM ledger_lines
                       WHERE rowid IN (SELECT r FROM _scope)""")
    pair_rows = "cube_facts f JOIN _pairs p ON f.supplier_no = p.supplier_no AND f.account IS NOT DISTINCT FROM p.account"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _ppaths AS SELECT DISTINCT f.cat_l1, f.cat_l2, f.cat_l3 FROM {pair_rows}")
    cur.execute("""DELETE FROM cube_facts f USING _pairs p
                   WHERE f.supplier_no = p.supplier_no AND f.account IS NOT DISTINCT FROM p.account""")
    # joined by the supplier's key (one per number): the lines are narrowed before the suppliers are joined
    _insert_facts(cur, join="JOIN _pairs p ON p.supplier_key = l.supplier_key AND p.account IS NOT DISTINCT FROM l.account")
    cur.execute(f"INSERT INTO _ppaths SELECT DISTINCT f.cat_l1, f.cat_l2, f.cat_l3 FROM {pair_rows}")
    cur.execute("CREATE OR REPLACE TEMP TABLE _paccts AS SELECT DISTINCT account FROM _pairs")
    cur.execute("DELETE FROM cube_rollup r USING _paccts a WHERE r.account IS NOT DISTINCT FROM a.account")
    _insert_rollup(cur, join="JOIN _paccts a ON f.account IS NOT DISTINCT FROM a.account")
    same_path = ("EXISTS (SELECT 1 FROM _ppaths p WHERE p.cat_l1 IS NOT DISTINCT FROM f.cat_l1 "
                 "AND p.cat_l2 IS NOT DISTINCT FROM f.cat_l2 AND p.cat_l3 IS NOT DISTINCT FROM f.cat_l3)")
    for table in ("cube_units", "cube_common"):
        cur.execute(f"DELETE FROM {table} f WHERE {same_path}")
        _insert_coarse(cur, table, same_path)
    cur.execute("DELETE FROM cube_suppliers WHERE supplier_no IN (SELECT supplier_no FROM _pairs)")
    _insert_coarse(cur, "cube_suppliers", "f.supplier_no IN (SELECT supplier_no FROM _pairs)")
    cur.execute("""DELETE FROM cube_supplier_accounts f USING _pairs p
                   WHERE f.supplier_no = p.supplier_no AND f.account IS NOT DISTINCT FROM p.account""")
    _insert_coarse(cur, "cube_supplier_accounts", "EXISTS (SELECT 1 FROM _pairs p WHERE p.supplier_no = f.supplier_no "
                                                  "AND p.account IS NOT DISTINCT FROM f.account)")
    for t in ("_pairs", "_paccts", "_ppaths"):
        cur.execute(f"DROP TABLE {t}")


def rebuild(cur: duckdb.DuckDBPyConnection) -> None:
    """Everything from the lines, rules, tree and contract register: the one step after a schema upgrade."""
    refresh_suppliers(cur)
    reclassify(cur)
    link_contracts(cur)
    refresh_cube(cur)


# ---------------------------------------------------------------- contracts

# each contract's last day: its end, or the end of its last used extension option (NULL: open-ended)
CONTRACT_PERIODS = """
    SELECT c.contract_id, c.start_date,
           CASE WHEN c.end_date IS NOT NULL THEN greatest(c.end_date, coalesce(o.last_used, c.end_date)) END AS last_day,
           EXISTS (SELECT 1 FROM contract_categories x WHERE x.contract_id = c.contract_id) AS has_categories
    FROM contracts c
    LEFT JOIN (SELECT contract_id, max(end_date) AS last_used FROM contract_options WHERE used GROUP BY 1) o
           USING (contract_id)"""
LINE_DAY = "coalesce(l.booking_date, l.period_month)"     # a month-only line counts on its month's first day


def link_contracts(cur: duckdb.DuckDBPyConnection, where: str = "true", params: list | None = None,
                   changed: str | None = None) -> None:
    """Set ``contract_id`` on the lines matching ``where``: the contract whose supplier is the
    line's (by organisation number, else by name), whose period (with used extensions) holds the
    line's booking date, and whose categories, when it has any, include the line's category at
    some level. A line several contracts match takes the most specific (the deepest matching
    category; a contract without categories is the least specific), then the latest start, then
    the smallest contract id. Lines nothing matches have none. With ``changed``, the rowids of the
    lines whose contract changed are kept in that temp table (column r). Runs inside the caller's
    transaction."""
    params = params or []
    if not cur.execute("SELECT count(*) FROM contracts").fetchall()[0][0]:
        if changed:
            cur.execute(f"""CREATE OR REPLACE TEMP TABLE {changed} AS SELECT rowid AS r FROM ledger_lines
                            WHERE ({where}) AND contract_id IS NOT NULL""", params)
        cur.execute(f"UPDATE ledger_lines SET contract_id = NULL WHERE ({where}) AND contract_id IS NOT NULL", params)
        return
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _cscope AS
                    SELECT rowid AS r, supplier_key, supplier_name_norm, category_id, booking_date, period_month, contract_id
                    FROM ledger_lines WHERE {where}""", params)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _clink AS
        WITH k AS ({CONTRACT_PERIODS}),
        sup AS (   -- by the supplier's key; a contract supplier without a valid number also by its name
            SELECT l.r, s.contract_id FROM _cscope l JOIN contract_suppliers s ON s.supplier_key = l.supplier_key
            UNION
            SELECT l.r, s.contract_id FROM _cscope l JOIN contract_suppliers s
                ON s.org_no IS NULL AND s.name_norm = l.supplier_name_norm),
        cand AS (
            SELECT l.r, k.contract_id, k.start_date, k.has_categories, lp.l1_id, lp.l2_id, lp.l3_id
            FROM _cscope l
            JOIN sup s ON s.r = l.r
            JOIN k ON k.contract_id = s.contract_id
            LEFT JOIN category_paths lp ON lp.category_id = l.category_id
            WHERE {LINE_DAY} >= k.start_date AND (k.last_day IS NULL OR {LINE_DAY} <= k.last_day)),
        scored AS (
            SELECT c.r, c.contract_id, c.start_date, CASE WHEN c.has_categories THEN max(cp.level) ELSE 0 END AS depth
            FROM cand c
            LEFT JOIN contract_categories x ON c.has_categories AND x.contract_id = c.contract_id
                 AND x.category_id IN (c.l1_id, c.l2_id, c.l3_id)
            LEFT JOIN category_paths cp ON cp.category_id = x.category_id
            GROUP BY c.r, c.contract_id, c.start_date, c.has_categories
            HAVING NOT c.has_categories OR count(x.category_id) > 0)
        SELECT r, contract_id FROM scored
        QUALIFY row_number() OVER (PARTITION BY r ORDER BY depth DESC, start_date DESC, contract_id) = 1""")
    cur.execute("""CREATE OR REPLACE TEMP TABLE _cdiff AS
                   SELECT l.r, k.contract_id FROM _cscope l LEFT JOIN _clink k USING (r)
                   WHERE l.contract_id IS DISTINCT FROM k.contract_id""")
    cur.execute("UPDATE ledger_lines SET contract_id = x.contract_id FROM _cdiff x WHERE ledger_lines.rowid = x.r")
    if changed:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {changed} AS SELECT r FROM _cdiff")
    cur.execute("DROP TABLE _cdiff")
    cur.execute("DROP TABLE _clink")
    cur.execute("DROP TABLE _cscope")


def _refresh(cur, t: Touched) -> None:
    if t.batches:
        _parts(cur, sorted(t.batches))
    changed = _suppliers(cur, sorted(t.suppliers)) if t.suppliers else []
    _facts(cur, sorted(t.months), changed)
    if t.accounts:
        _accounts(cur, sorted(t.accounts))


# ---------------------------------------------------------------- suppliers

def refresh_suppliers(cur: duckdb.DuckDBPyConnection) -> None:
    """The whole supplier register from the ledger (see ``_suppliers``)."""
    _parts(cur, None)
    _suppliers(cur, None)


def _parts(cur, batch_ids: list[int] | None) -> None:
    """supplier_parts of ``batch_ids`` (all when None) from their lines as they are now: per batch,
    supplier and the name, number and legal form as written, the spend, lines, largest amount and
    first and last month. A batch whose lines went has none left."""
    scope = "batch_id IN (SELECT unnest(?::INTEGER[]))" if batch_ids is not None else "true"
    sp = [batch_ids] if batch_ids is not None else []
    cur.execute(f"DELETE FROM supplier_parts WHERE {scope}", sp)
    cur.execute(f"""INSERT INTO supplier_parts
                    SELECT batch_id, supplier_key, supplier_name, org_no, org_no_status, legal_form, sum(amount),
                           count(*), max(amount), min(period_month), max(period_month)
                    FROM ledger_lines WHERE {scope} GROUP BY ALL""", sp)


def _suppliers(cur, keys: list[str] | None) -> list[str]:
    """Recompute the register's rows of ``keys`` (all when None) from their parts (supplier_parts,
    kept by ``_parts``): one supplier per valid organisation number (or personnummer, masked),
    else per normalised name; every spelling kept in name_variants and the name with the most
    spend shown; the number, its status and the legal form of the largest line. A supplier keeps
    its number (the cube refers to it); a new one gets the next; one without lines left goes.
    Returns the keys whose cube attributes (legal form, valid number) changed or that went."""
    scope = "supplier_key IN (SELECT unnest(?::VARCHAR[]))" if keys is not None else "true"
    sp = [keys] if keys is not None else []
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _sup_new AS
        WITH l AS (SELECT * FROM supplier_parts WHERE {scope}),
        names AS (
            SELECT supplier_key, supplier_name, sum(spend) AS spend
            FROM l WHERE supplier_name IS NOT NULL GROUP BY ALL
        ), variants AS (
            SELECT supplier_key, arg_max(supplier_name, spend) AS top_name,
                   list(supplier_name ORDER BY spend DESC) AS variants
            FROM names GROUP BY supplier_key
        ), per AS (
            SELECT supplier_key,
                   arg_max(org_no, top_amount) AS org_no, arg_max(org_no_status, top_amount) AS org_no_status,
                   arg_max(legal_form, top_amount) AS legal_form, sum(lines) AS lines, sum(spend) AS total,
                   min(first_period) AS first_period, max(last_period) AS last_period, min(batch_id) AS first_batch
            FROM l GROUP BY supplier_key
        ), shown AS (
            SELECT p.*, coalesce(v.top_name, p.org_no, p.supplier_key) AS name, v.variants
            FROM per p LEFT JOIN variants v USING (supplier_key)
        )
        SELECT supplier_key, name, org_no, org_no_status, legal_form, coalesce(variants, []::VARCHAR[]) AS name_variants,
               lines, total, first_period, last_period, {name_norm_sql('name')} AS name_norm, first_batch
        FROM shown""", sp)
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _sup_old AS
                    SELECT supplier_key, supplier_no, legal_form, org_no_status FROM suppliers WHERE {scope}""", sp)
    # a full pass (keys None) rebuilds the whole cube afterwards: no need to know what changed
    changed = [] if keys is None else [r[0] for r in cur.execute("""
        SELECT o.supplier_key FROM _sup_old o LEFT JOIN _sup_new n USING (supplier_key)
        WHERE n.supplier_key IS NULL OR n.legal_form IS DISTINCT FROM o.legal_form
           OR (n.org_no_status = 'valid') IS DISTINCT FROM (o.org_no_status = 'valid')""").fetchall()]
    top = cur.execute("SELECT coalesce(max(supplier_no), 0) FROM suppliers").fetchall()[0][0]
    cur.execute(f"DELETE FROM suppliers WHERE {scope}", sp)
    cols = ("supplier_key, name, org_no, org_no_status, legal_form, name_variants, lines, total, first_period, "
            "last_period, name_norm, first_batch")
    cur.execute(f"""INSERT INTO suppliers ({cols}, supplier_no)
                    SELECT n.*, coalesce(o.supplier_no, ? + row_number() OVER (PARTITION BY o.supplier_no IS NULL
                                                                               ORDER BY n.supplier_key))
                    FROM _sup_new n LEFT JOIN _sup_old o USING (supplier_key)""", [top])
    # each line carries its supplier's number (numbers never change, so new lines are the ones
    # without; a full pass checks every line), so line-level questions join and filter on it
    cur.execute(f"""UPDATE ledger_lines SET supplier_no = s.supplier_no FROM suppliers s
                    WHERE ledger_lines.supplier_key = s.supplier_key AND
                          {"ledger_lines.supplier_no IS NULL" if keys is not None else
                           "ledger_lines.supplier_no IS DISTINCT FROM s.supplier_no"}""")
    cur.execute("DROP TABLE _sup_new")
    cur.execute("DROP TABLE _sup_old")
    return changed


# ---------------------------------------------------------------- classification

# a word edge: the start or end of the text, or a character that is not a (Latin) letter; an
# explicit class, because RE2 compiles the Unicode class \PL about ten times slower
_NOT_LETTER = "[^a-zà-öø-ÿ]"
_WORD_EDGE_START = f"(?:^|{_NOT_LETTER})"
_WORD_EDGE_END = f"(?:{_NOT_LETTER}|$)"


def keyword_pattern(keyword: str) -> str:
    """The regular expression (RE2, as DuckDB runs it) of a rule keyword: alternatives separated
    by '|', each matched inside the text, '^' in front meaning at the start of a word and '$' at
    the end meaning at its end. Lower case; RuleError for an empty alternative."""
    alts = []
    for raw in str(keyword).lower().split("|"):
        alt = raw.strip(" ")
        start, end = alt.startswith("^"), alt.endswith("$") and len(alt) > 1
        core = alt[1 if start else 0: len(alt) - 1 if end else len(alt)]
        if not core.strip():
            raise RuleError("rule_keyword_empty", f"'{keyword}' has an empty alternative between the | signs",
                            value=str(keyword))
        alts.append((_WORD_EDGE_START if start else "") + re.escape(core) + (_WORD_EDGE_END if end else ""))
    return "(?:" + "|".join(alts) + ")" if len(alts) > 1 else alts[0]


# the columns of a line that every rule except a single-line exclusion looks at
_KEY_COLS = "account, account_text, description, supplier_key, supplier_name_norm, cpv, legal_form"


def reclassify(cur: duckdb.DuckDBPyConnection, batch_ids: list[int] | None = None, *,
               where: tuple[str, list] | None = None, pairs: str | None = None) -> None:
    """Set category_id and rule_id (EXCLUDED and the exclusion, for an excluded line; no rule, for
    a line its CPV code placed) on the lines of ``batch_ids``, or the
    lines matching ``where`` (SQL over ledger_lines and its parameters, read before any line
    changes), or every line, from the rules. Steps are applied from the lowest precedence to the
    highest, each overwriting the lines it matches, so the highest matching step decides. With
    ``pairs`` (and some lines), the distinct (supplier_no, supplier_key, account) of those lines
    are left in that temp table. Runs inside the caller's transaction; the cube is not touched."""
    work = "ledger_lines"
    assert pairs is None or where is not None or batch_ids is not None
    if where is not None or batch_ids is not None:
        # some lines: each distinct combination of their rule-relevant columns (_KEY_COLS: every
        # rule but a single-line exclusion looks at these alone) copied to a small working table,
        # every step applied there, then the lines joined to their combination's outcome and
        # the single-line exclusions put on top (a step's join over the whole ledger would scan
        # it once per step; over the lines, repeat the same work for every line of a combination).
        # The lines are read twice, here and at the end, rather than copied: a copy of a large
        # scope costs more than the second read
        where, lines_params = where or ("batch_id IN (SELECT unnest(?::INTEGER[]))", [list(batch_ids)])
        # for ``pairs`` the supplier's number rides along (one per supplier key once the suppliers
        # are numbered, so no more combinations; a new upload's lines are numbered after this)
        cur.execute(f"""CREATE OR REPLACE TEMP TABLE _clk AS
                        SELECT DISTINCT {_KEY_COLS}, {'supplier_no, ' if pairs else ''}NULL::INTEGER AS category_id,
                               NULL::INTEGER AS rule_id FROM ledger_lines WHERE {where}""",
                    lines_params)
        if pairs:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {pairs} AS SELECT DISTINCT supplier_no, supplier_key, account FROM _clk")
        work = "_clk"
    scope, lscope, sp = "true", "true", []
    cur.execute(f"""UPDATE {work} SET category_id = NULL, rule_id = NULL
                    WHERE {scope} AND (category_id IS NOT NULL OR rule_id IS NOT NULL)""", sp)
    # rank within a step: bigger is more specific, then newer (rule_id); your own rules rank
    # above the shipped defaults (preset) of the same step
    acct_prefix = "left(x.account, length(r.account_from)) BETWEEN r.account_from AND r.account_to"
    own = "(r.preset IS NULL)::BIGINT * 1000000000000000"
    kw_rules = cur.execute("""SELECT rule_id, kind, keyword, match_on FROM class_rules
                              WHERE active AND keyword IS NOT NULL ORDER BY rule_id""").fetchall()

    # 5 keyword: per distinct (text, account)
    text = "lower(coalesce({p}description, '') || ' ' || coalesce({p}account_text, ''))"
    step5 = [(rid, kw) for rid, kind, kw, on in kw_rules if kind == "keyword" or (kind == "exclude" and on is None)]
    n_kw = len(step5)
    if n_kw:
        # one pass over the distinct texts serves both the keyword rules and keyword exclusions
        cur.execute(f"""CREATE OR REPLACE TEMP TABLE _txt AS
                        SELECT DISTINCT {text.format(p='')} AS txt, account FROM {work} WHERE {scope}""", sp)
        _keyword_hits(cur, "_kwhit", "_txt", "txt, account", [(rid, "txt", kw) for rid, kw in step5])
        rank = f"{own} + length(r.keyword) * 1000000000 + r.rule_id"
        cur.execute(f"""
            CREATE OR REPLACE TEMP TABLE _kw AS
            SELECT x.txt, x.account,
                   arg_max(r.rule_id, {rank}) FILTER (WHERE r.kind = 'keyword') AS kw_rule,
                   arg_max(r.rule_id, {rank}) FILTER (WHERE r.kind = 'exclude') AS excl_rule
            FROM _kwhit x
            JOIN class_rules r ON r.rule_id = x.rule_id AND r.org_no IS NULL AND r.supplier_norm IS NULL
                 AND (r.account_from IS NULL OR {acct_prefix})
            GROUP BY ALL""")
        _apply(cur, work, f"""FROM _kw k JOIN class_rules r ON r.rule_id = k.kw_rule
            WHERE {text.format(p='l.')} = k.txt AND l.account IS NOT DISTINCT FROM k.account AND {lscope}""", sp)

    # 4 account (and account exclusions): per distinct (account, account text), and the supplier's
    # name only when an account rule looks at it
    step4 = [(rid, "sname" if match_on == "supplier_name" else "account_text", kw)
             for rid, kind, kw, match_on in kw_rules if kind == "account" or (kind == "exclude" and match_on)]
    by_name = any(col == "sname" for _, col, _ in step4)
    sname = "supplier_name_norm" if by_name else "NULL::VARCHAR"
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _atx AS
                    SELECT DISTINCT account, account_text, {sname} AS sname FROM {work}
                    WHERE {scope} AND account IS NOT NULL""", sp)
    # keywords on the account text scan the distinct (account, text) pairs, keywords on the name
    # the distinct (account, name) pairs; both are then joined to the keys
    cur.execute("CREATE OR REPLACE TEMP TABLE _att AS SELECT DISTINCT account, account_text FROM _atx")
    _keyword_hits(cur, "_akt", "_att", "account, account_text", [r for r in step4 if r[1] == "account_text"])
    cur.execute("CREATE OR REPLACE TEMP TABLE _atn AS SELECT DISTINCT account, sname FROM _atx WHERE sname IS NOT NULL")
    _keyword_hits(cur, "_akn", "_atn", "account, sname", [r for r in step4 if r[1] == "sname"])
    cur.execute("""CREATE OR REPLACE TEMP TABLE _akhit AS
                   SELECT x.account, x.account_text, x.sname, h.rule_id FROM _atx x
                   JOIN _akt h ON h.account = x.account AND h.account_text IS NOT DISTINCT FROM x.account_text
                   UNION ALL
                   SELECT x.account, x.account_text, x.sname, h.rule_id FROM _atx x
                   JOIN _akn h ON h.account = x.account AND h.sname = x.sname""")
    arank = f"{own} + coalesce(length(r.account_from), 0) * 1000000000000 + (r.keyword IS NOT NULL)::BIGINT * 100000000000 + r.rule_id"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _acct AS
        WITH cand AS (
            SELECT x.account, x.account_text, x.sname, r.rule_id FROM _atx x
            JOIN class_rules r ON r.active AND r.kind IN ('account', 'exclude') AND r.keyword IS NULL
                 AND r.account_from IS NOT NULL AND r.org_no IS NULL AND r.supplier_norm IS NULL
                 AND r.legal_form IS NULL AND r.batch_id IS NULL AND {acct_prefix}
            UNION ALL
            SELECT account, account_text, sname, rule_id FROM _akhit)
        SELECT x.account, x.account_text, x.sname,
               arg_max(r.rule_id, {arank}) FILTER (WHERE r.kind = 'account') AS acct_rule,
               arg_max(r.rule_id, {arank}) FILTER (WHERE r.kind = 'exclude') AS excl_rule
        FROM cand x JOIN class_rules r ON r.rule_id = x.rule_id AND (r.account_from IS NULL OR {acct_prefix})
        GROUP BY ALL""")
    acct_join = f"""l.account = a.account AND l.account_text IS NOT DISTINCT FROM a.account_text
                    AND {'l.supplier_name_norm IS NOT DISTINCT FROM a.sname' if by_name else 'true'}"""
    _apply(cur, work, f"""FROM _acct a JOIN class_rules r ON r.rule_id = a.acct_rule
        WHERE {acct_join} AND {lscope}""", sp)

    # 3 supplier (and supplier exclusions): per distinct (supplier, account), org number or name
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _sup AS
        WITH x AS (SELECT DISTINCT supplier_key, supplier_name_norm, account FROM {work} WHERE {scope}),
        m AS (
            SELECT x.*, r.rule_id, r.kind, r.account_from, r.account_to, 1 AS by_org FROM x
            JOIN class_rules r ON r.active AND r.kind IN ('supplier', 'exclude') AND x.supplier_key = 'org:' || r.org_no
            WHERE r.supplier_norm IS NULL OR r.supplier_norm = x.supplier_name_norm
            UNION ALL
            SELECT x.*, r.rule_id, r.kind, r.account_from, r.account_to, 0 AS by_org FROM x
            JOIN class_rules r ON r.active AND r.kind IN ('supplier', 'exclude') AND r.org_no IS NULL
                 AND x.supplier_name_norm = r.supplier_norm)
        SELECT supplier_key, supplier_name_norm, account,
               arg_max(rule_id, (account_from IS NOT NULL)::BIGINT * 1000000000000 + by_org * 100000000000
                                + coalesce(length(account_from), 0) * 1000000000 + rule_id) FILTER (WHERE kind = 'supplier') AS sup_rule,
               arg_max(rule_id, (account_from IS NOT NULL)::BIGINT * 1000000000000 + by_org * 100000000000
                                + coalesce(length(account_from), 0) * 1000000000 + rule_id) FILTER (WHERE kind = 'exclude') AS excl_rule
        FROM m WHERE account_from IS NULL OR left(account, length(account_from)) BETWEEN account_from AND account_to
        GROUP BY ALL""", sp)
    sup_join = """l.supplier_key = s.supplier_key AND l.supplier_name_norm IS NOT DISTINCT FROM s.supplier_name_norm
                  AND l.account IS NOT DISTINCT FROM s.account"""
    _apply(cur, work, f"FROM _sup s JOIN class_rules r ON r.rule_id = s.sup_rule WHERE {sup_join} AND {lscope}", sp)

    # 2 CPV code on the line -> the node with the longest matching code prefix
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _cpv AS
        SELECT x.cpv, arg_max(c.category_id, length(c.code_prefix)) AS category_id
        FROM (SELECT DISTINCT cpv FROM {work} WHERE {scope} AND cpv IS NOT NULL) x
        JOIN (SELECT category_id, rtrim(code, '0') AS code_prefix FROM categories WHERE code IS NOT NULL) c
          ON length(c.code_prefix) >= 2 AND starts_with(regexp_replace(x.cpv, '[^0-9]', '', 'g'), c.code_prefix)
        GROUP BY x.cpv""", sp)
    cur.execute(f"""UPDATE {work} l SET category_id = c.category_id, rule_id = NULL
                    FROM _cpv c WHERE l.cpv = c.cpv AND {lscope}""", sp)

    # 1 exclusions. A line several exclusions catch is credited to the last one applied: legal
    # form, supplier, keyword, account, single line. So the account groups that define
    # influenceable spend (class 5, VAT, 45, 60 ...) show what they take out, and the public-body
    # and internal switches the rest.
    _exclude(cur, work, """FROM (SELECT legal_form, max(rule_id) AS rule_id FROM class_rules
                           WHERE active AND kind = 'exclude' AND legal_form IS NOT NULL AND org_no IS NULL
                             AND supplier_norm IS NULL AND account_from IS NULL AND batch_id IS NULL GROUP BY legal_form) f
                     WHERE l.legal_form = f.legal_form""", "f.rule_id", lscope, sp)
    _exclude(cur, work, f"FROM _sup s WHERE {sup_join} AND s.excl_rule IS NOT NULL", "s.excl_rule", lscope, sp)
    if n_kw:
        _exclude(cur, work, f"""FROM _kw k WHERE {text.format(p='l.')} = k.txt AND l.account IS NOT DISTINCT FROM k.account
                          AND k.excl_rule IS NOT NULL""", "k.excl_rule", lscope, sp)
    _exclude(cur, work, f"FROM _acct a WHERE {acct_join} AND a.excl_rule IS NOT NULL", "a.excl_rule", lscope, sp)
    # single-line exclusions, under names of their own (``where`` below reads the line's columns)
    one_line = """SELECT batch_id AS x_batch, source_row AS x_row, max(rule_id) AS x_rule FROM class_rules
                  WHERE active AND kind = 'exclude' AND batch_id IS NOT NULL GROUP BY ALL"""
    if work == "ledger_lines":
        _exclude(cur, work, f"FROM ({one_line}) x WHERE l.batch_id = x.x_batch AND l.source_row = x.x_row",
                 "x.x_rule", lscope, sp)
    else:
        # each line takes its combination's outcome (only lines whose outcome changes are
        # written), then its own single-line exclusion, applied last. The outcome is joined by
        # the fewest key columns that decide it in this scope (``_deciding_keys``: none when
        # every line gets the same, as under a new account exclusion), so the update reads no
        # more of the lines than it must. The combinations go under names of their own, so
        # ``where`` reads the line's columns alone. The second update's ``where`` reads the lines
        # after the first: a line with a single-line exclusion is in scope by its batch and row,
        # which do not change, or by the exclusion having changed, which puts them in ``where`` too
        keys = _deciding_keys(cur)
        if keys:
            differs = " OR ".join(f"ledger_lines.{c} IS DISTINCT FROM k_{c}" for c in _OUTCOME)
            cur.execute(f"""CREATE OR REPLACE TEMP TABLE _clo AS
                            SELECT DISTINCT {', '.join(f'{c} AS k_{c}' for c in keys + _OUTCOME)} FROM _clk""")
            same = " AND ".join(f"k_{c} IS NOT DISTINCT FROM ledger_lines.{c}" for c in keys)
            cur.execute(f"""UPDATE ledger_lines SET {', '.join(f'{c} = k_{c}' for c in _OUTCOME)}
                            FROM _clo WHERE ({where}) AND {same} AND ({differs})""", lines_params)
        else:
            one = cur.execute(f"SELECT {', '.join(_OUTCOME)} FROM _clk LIMIT 1").fetchall()
            if one:       # (bound values: faster than a join with a one-row table)
                cur.execute(f"""UPDATE ledger_lines SET {', '.join(f'{c} = ?' for c in _OUTCOME)}
                                WHERE ({where}) AND ({' OR '.join(f'{c} IS DISTINCT FROM ?' for c in _OUTCOME)})""",
                            [*one[0], *lines_params, *one[0]])
        cur.execute(f"""
            UPDATE ledger_lines SET category_id = {EXCLUDED}, rule_id = x_rule
            FROM ({one_line})
            WHERE ledger_lines.batch_id = x_batch AND ledger_lines.source_row = x_row AND ({where})""",
                    lines_params)
    for t in ("_kw", "_acct", "_sup", "_cpv", "_txt", "_kwhit", "_atx", "_akhit", "_att", "_akt", "_atn", "_akn", "_clk",
              "_clo"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")


# what a line's classification is: the columns reclassify writes
_OUTCOME = ("category_id", "rule_id")
# narrower sets of key columns that may decide the outcome of a scope's combinations, narrowest first
_NARROW_KEYS = ((), ("account",), ("supplier_key", "account"))


def _deciding_keys(cur) -> tuple[str, ...]:
    """The narrowest of ``_NARROW_KEYS`` on which the outcome in _clk depends alone (each value
    of those columns has one outcome among the scope's combinations, so joining by them gives
    every line what joining by all key columns gives it), else all of ``_KEY_COLS``."""
    def distinct(cols) -> str:
        return f"(SELECT count(*) FROM (SELECT DISTINCT {', '.join(cols) or 'NULL'} FROM _clk))"
    checks = [f"{distinct(k)} = {distinct(k + _OUTCOME)}" for k in _NARROW_KEYS]
    decided = cur.execute(f"SELECT {', '.join(checks)}").fetchall()[0]
    return next((k for k, ok in zip(_NARROW_KEYS, decided) if ok), tuple(_KEY_COLS.split(", ")))


def _keyword_hits(cur, table: str, source: str, keys: str, rules: list[tuple[int, str, str]]) -> None:
    """Temp table ``table`` (``keys``, rule_id): the rows of ``source`` whose column matches a
    rule's keyword, for rules given as (rule_id, column, keyword). One branch per rule with its
    pattern as a parameter, so DuckDB compiles each regular expression once."""
    if not rules:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {keys}, NULL::INTEGER AS rule_id FROM {source} LIMIT 0")
        return
    if cur.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0] <= PY_MATCH_MAX:
        _keyword_hits_here(cur, table, source, keys, rules)
        return
    branches = [f"SELECT {keys}, {int(rid)} AS rule_id FROM {source} WHERE regexp_matches(lower(coalesce({col}, '')), ?)"
                for rid, col, _ in rules]
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS " + " UNION ALL ".join(branches),
                [keyword_pattern(kw) for _, _, kw in rules])


# a source of at most this many rows (an upload's or a rule change's distinct texts) is matched
# here: compiling one SQL branch per rule costs more than the matching then
PY_MATCH_MAX = 20_000


def _keyword_hits_here(cur, table: str, source: str, keys: str, rules: list[tuple[int, str, str]]) -> None:
    """``_keyword_hits`` with the matching done by Python's re on the texts lowered by DuckDB: the
    same patterns (literal alternatives and one Latin-letter class, which RE2 and re read alike),
    each compiled once, and the hits joined back to ``source`` by rowid."""
    cols = sorted({col for _, col, _ in rules})
    lowered = ", ".join(f"lower(coalesce({c}, ''))" for c in cols)
    texts = cur.execute(f"SELECT rowid, {lowered} FROM {source}").fetchall()
    by_pattern: dict[tuple[int, str], list[int]] = {}
    for rid, col, kw in rules:
        by_pattern.setdefault((cols.index(col), keyword_pattern(kw)), []).append(int(rid))
    compiled = [(i, re.compile(pat), rids) for (i, pat), rids in by_pattern.items()]
    rows, rule_ids = [], []
    for row in texts:
        for i, rx, rids in compiled:
            if rx.search(row[1 + i]):
                rows.extend([row[0]] * len(rids))
                rule_ids.extend(rids)
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
                    SELECT {', '.join('s.' + k.strip() for k in keys.split(','))}, h.rule_id
                    FROM (SELECT unnest(?::BIGINT[]) AS r, unnest(?::INTEGER[]) AS rule_id) h
                    JOIN {source} s ON s.rowid = h.r""", [rows, rule_ids])


def _apply(cur, work: str, from_where: str, sp: list) -> None:
    cur.execute(f"UPDATE {work} l SET category_id = r.category_id, rule_id = r.rule_id {from_where}", sp)


def _exclude(cur, work: str, from_where: str, rule_expr: str, lscope: str, sp: list) -> None:
    cur.execute(f"UPDATE {work} l SET category_id = {EXCLUDED}, rule_id = {rule_expr} {from_where} AND {lscope}", sp)


# ---------------------------------------------------------------- the cube's tables

# the group columns of cube_facts and cube_rollup (the contract last: a column added later)
FACT_KEYS = "period_month, org_unit, supplier_no, account, cat_l1, cat_l2, cat_l3, legal_form, valid_org, credit, contract_id"
ROLLUP_KEYS = "period_month, org_unit, account, cat_l1, cat_l2, cat_l3, legal_form, valid_org, credit, contract_id"


def _insert_facts(cur, *, join: str = "", where: str = "true", params: list | None = None) -> None:
    """cube_facts rows from the lines (``join`` and ``where`` narrow them; aliases l, s, cp)."""
    cur.execute(f"""
        INSERT INTO cube_facts ({FACT_KEYS}, spend, lines)
        SELECT l.period_month, l.org_unit, s.supplier_no, l.account,
               cp.l1_id, cp.l2_id, cp.l3_id, s.legal_form, s.org_no_status = 'valid', l.amount < 0, l.contract_id,
               sum(l.amount), count(*)
        FROM ledger_lines l
        JOIN suppliers s USING (supplier_key) {join}
        LEFT JOIN category_paths cp USING (category_id)
        WHERE {where}
        GROUP BY ALL
        ORDER BY 1, 2, 3""", params or [])


def _insert_rollup(cur, *, join: str = "", where: str = "true") -> None:
    """cube_rollup rows from cube_facts (alias f), narrowed by ``join`` and ``where``."""
    cur.execute(f"""
        INSERT INTO cube_rollup ({ROLLUP_KEYS}, spend, lines)
        SELECT {', '.join('f.' + k for k in ROLLUP_KEYS.split(', '))}, sum(f.spend), sum(f.lines)
        FROM cube_facts f {join} WHERE {where} GROUP BY ALL ORDER BY 1, 2""")


# the aggregates over cube_facts, each from the next finer one: (source, its group columns)
_COARSE = {
    "cube_units": ("cube_rollup", "period_month, org_unit, cat_l1, cat_l2, cat_l3, legal_form, valid_org, credit, contract_id"),
    "cube_common": ("cube_units", "period_month, cat_l1, cat_l2, cat_l3, legal_form, valid_org, credit, contract_id"),
    "cube_suppliers": ("cube_facts", "period_month, supplier_no, cat_l1, cat_l2, cat_l3, legal_form, valid_org, credit, "
                                     "contract_id"),
    "cube_supplier_accounts": ("cube_facts", "period_month, supplier_no, account, cat_l1, cat_l2, cat_l3, legal_form, "
                                             "valid_org, credit, contract_id"),
}


def _insert_coarse(cur, table: str, where: str = "true") -> None:
    """Rows of one of the coarser aggregates (``_COARSE``) from its source (alias f), narrowed by ``where``."""
    src, keys = _COARSE[table]
    cur.execute(f"""INSERT INTO {table} ({keys}, spend, lines) SELECT {keys}, sum(f.spend), sum(f.lines) FROM {src} f
                    WHERE {where} GROUP BY ALL ORDER BY 1, 2""")


def refresh_cube(cur: duckdb.DuckDBPyConnection) -> None:
    """Rebuild cube_facts and cube_accounts from ledger_lines, suppliers and the category tree
    (inside the caller's transaction). Sorted by month so period filters skip whole blocks."""
    cur.execute("DELETE FROM cube_facts")
    _insert_facts(cur)
    cur.execute("DELETE FROM cube_rollup")
    _insert_rollup(cur)
    for table in _COARSE:
        cur.execute(f"DELETE FROM {table}")
        _insert_coarse(cur, table)
    cur.execute("DELETE FROM cube_accounts")
    cur.execute("""
        INSERT INTO cube_accounts
        SELECT account, mode(account_text) FROM ledger_lines WHERE account IS NOT NULL GROUP BY account""")


def _facts(cur, months: list, changed_keys: list[str]) -> None:
    """cube_facts and its aggregates for the touched ``months``, and for every month of the suppliers
    whose cube attributes changed; the rest of the cube stays as it is."""
    if not months and not changed_keys:
        return
    cur.execute("""CREATE OR REPLACE TEMP TABLE _nos AS SELECT supplier_no FROM suppliers
                   WHERE supplier_key IN (SELECT unnest(?::VARCHAR[]))""", [changed_keys])
    cur.execute("""CREATE OR REPLACE TEMP TABLE _months AS
                   SELECT unnest(?::DATE[]) AS period_month
                   UNION SELECT DISTINCT period_month FROM cube_facts WHERE supplier_no IN (SELECT supplier_no FROM _nos)""",
                [months])
    # each part of the condition only when it can hold: an OR with an empty part still reads
    # every line, the months alone skip the row groups of other months
    gone, new, params = [], [], []
    if months:
        gone.append("period_month IN (SELECT unnest(?::DATE[]))")
        new.append("l.period_month IN (SELECT unnest(?::DATE[]))")
        params.append(months)
    if changed_keys:
        gone.append("supplier_no IN (SELECT supplier_no FROM _nos)")
        new.append("l.supplier_key IN (SELECT unnest(?::VARCHAR[]))")
    cur.execute(f"DELETE FROM cube_facts WHERE {' OR '.join(gone)}", params)
    _insert_facts(cur, where=" OR ".join(new), params=params + ([changed_keys] if changed_keys else []))
    cur.execute("DELETE FROM cube_rollup WHERE period_month IN (SELECT period_month FROM _months)")
    _insert_rollup(cur, where="f.period_month IN (SELECT period_month FROM _months)")
    for table in _COARSE:
        cur.execute(f"DELETE FROM {table} WHERE period_month IN (SELECT period_month FROM _months)")
        _insert_coarse(cur, table, "f.period_month IN (SELECT period_month FROM _months)")
    cur.execute("DROP TABLE _nos")
    cur.execute("DROP TABLE _months")


def _accounts(cur, accounts: list[str]) -> None:
    """cube_accounts (account -> its most used text) for the touched accounts."""
    cur.execute("DELETE FROM cube_accounts WHERE account IN (SELECT unnest(?::VARCHAR[]))", [accounts])
    cur.execute("""INSERT INTO cube_accounts
                   SELECT account, mode(account_text) FROM ledger_lines
                   WHERE account IN (SELECT unnest(?::VARCHAR[])) GROUP BY account""", [accounts])
