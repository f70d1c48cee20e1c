"""The store's schema as an ordered list of frozen migrations.

Each migration is a list of steps: SQL text, a frozen seed or backfill function, or ``REBUILD``
(the migration changes what derived data is computed from). A released migration is never
edited: a schema change is a new entry at the end. Nothing here imports domain code, so a later
change of the rules engine, the tree or the cube can never break the upgrade of an old file:

- seeds are read from files under data/seeds/ named after the migration that reads them
  (v3_category_tree.csv ...). Those files are frozen too: ``SEED_SHA256`` holds their digests
  and a test fails when one is edited. A new default is a new migration with a new file;
- backfills are SQL, or Python that only runs SQL and the standard library;
- derived data (suppliers, each line's classification, the cube's tables) is not computed here.
  A migration that needs it rebuilt says ``REBUILD``; analytics.store then runs the one rebuild
  step (analytics.derived.rebuild, wired in analytics/__init__.py) once, after the last
  migration, with today's engine on today's schema.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import duckdb

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"

# The frozen seed files and their digests (a test checks them).
SEED_SHA256 = {
    "v3_account_categories.csv": "40e5198048f5dc281300f4a9c67d8cc873f6e70de435cc2bb9bc683857bd830f",
    "v3_category_tree.csv": "6b063d9b89523896db409c5666c1549da1fda0c6751d8e971a20384cb6aed84b",
    "v4_exclusions.csv": "fe30036f731bc2cfdc599dc662eba136749bbfe1a3f6029cec88f8d50a061d5b",
    "v7_escalation_steps.csv": "370c06d2034613a3f5fa297b73d76c6011b323c829e7f9de6d1e383e627a1060",
    "v7_thresholds.csv": "1d66efae0e43ecb8f19eb375a94f157b2b37b3b0c231abf292d4ef69fd49bf1e",
    "v8_default_rules.csv": "628288ebc0df82ff10aea63cd926376f5b3dc514cc670d02a65db407e00ad362",
}

class _Rebuild:
    def __repr__(self) -> str:
        return "REBUILD"


REBUILD = _Rebuild()      # a step: derived data must be rebuilt after the upgrade
Step = str | Callable[[duckdb.DuckDBPyConnection], None] | _Rebuild
SHIPPED_BY = "Spendkollen"   # created_by of the shipped defaults, as released


def _yes(text: str | None) -> bool:
    return (text or "").strip().lower() in ("yes", "ja", "1", "true")


def _node(con: duckdb.DuckDBPyConnection, path: tuple[str, ...], ids: dict, *, ignore_case: bool = False) -> int:
    """The category at ``path`` (names from level 1), created when missing; as released."""
    key = tuple(p.lower() for p in path) if ignore_case else path
    if key not in ids:
        parent = _node(con, path[:-1], ids, ignore_case=ignore_case) if len(path) > 1 else None
        same = "lower(name) = lower(?)" if ignore_case else "name = ?"
        found = con.execute(f"""SELECT category_id FROM categories WHERE {same} AND level = ?
                                AND parent_id IS NOT DISTINCT FROM ? ORDER BY category_id""",
                            [path[-1], len(path), parent]).fetchall()
        ids[key] = found[0][0] if found else con.execute(
            "INSERT INTO categories (parent_id, level, name) VALUES (?, ?, ?) RETURNING category_id",
            [parent, len(path), path[-1]]).fetchall()[0][0]
    return ids[key]


def _seed_categories_v3(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 3 as released: the default tree and the account -> category map (migration 4
    turns the map into account rules)."""
    ids: dict[tuple[str, ...], int] = {}

    def node(path: tuple[str, ...]) -> int:
        return _node(con, path, ids)

    def path(row: dict) -> tuple[str, ...]:
        out = []
        for k in ("L1", "L2", "L3"):
            if not (row.get(k) or "").strip():
                break
            out.append(row[k].strip())
        return tuple(out)
    with open(SEEDS / "v3_category_tree.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if path(row):
                node(path(row))
    with open(SEEDS / "v3_account_categories.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if path(row) and row["account_prefix"].strip():
                con.execute("INSERT OR REPLACE INTO account_category_map VALUES (?, ?)",
                            [row["account_prefix"].strip(), node(path(row))])


def _rules_from_account_map(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 4: the account map becomes account rules; default exclusions are added (frozen:
    the columns and files as released)."""
    def insert(kind, cid, lo, hi, legal, active, note):
        con.execute("""INSERT INTO class_rules (kind, category_id, account_from, account_to, legal_form, active, note,
                                                created_at, created_by, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, 'Spendkollen', now()::TIMESTAMP)""",
                    [kind, cid, lo, hi, legal, active, note])
    for prefix, cid in con.execute("SELECT account_prefix, category_id FROM account_category_map ORDER BY 1").fetchall():
        insert("account", cid, prefix, prefix, None, True, None)
    with open(SEEDS / "v4_exclusions.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            acct = (row.get("account") or "").strip() or None
            insert("exclude", None, acct, acct, (row.get("legal_form") or "").strip() or None,
                   row.get("active", "yes").strip().lower() in ("yes", "ja", "1", "true"), row.get("note") or None)


def _seed_watchlist_v7(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 7: the escalation ladder and the procurement thresholds, from their seed files."""
    with open(SEEDS / "v7_escalation_steps.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            con.execute("INSERT INTO escalation_steps VALUES (?, ?, ?, ?, ?, ?)",
                        [int(r["step"]), r["name_sv"], r["name_en"], r["actions_sv"], r["actions_en"], r["penalty"]])
    with open(SEEDS / "v7_thresholds.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            con.execute("INSERT INTO thresholds VALUES (?, ?::DATE, ?, ?)",
                        [r["kind"], r["valid_from"], float(r["amount_sek"]), r["note"]])


def _account_range_v8(text: str) -> tuple[str, str]:
    """'5' -> ('5', '5'); '78-79' -> ('78', '79'): the seed file's account groups, as released."""
    lo, _, hi = text.partition("-")
    lo, hi = lo.strip(), (hi.strip() or lo.strip())
    return (lo, hi) if lo <= hi else (hi, lo)


def _kommunbas_defaults_v8(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 8: the shipped defaults written for the demo's own five-digit accounts (and the
    old exclusions) give way to the Kommun-Bas defaults of v8_default_rules.csv: account-group
    rules with keywords on the account text, and the default exclusions as presets (a row naming
    several groups, "61 74", gives one rule per group; missing level-3 nodes are created). Rules
    a person made are kept; so is the off state of the public-bodies exclusion in a store in use."""
    public_off = con.execute("""SELECT count(*) FROM class_rules WHERE created_by = ? AND kind = 'exclude'
                                AND legal_form = 'public' AND NOT active""", [SHIPPED_BY]).fetchall()[0][0]
    had_rules = con.execute("SELECT count(*) FROM class_rules WHERE created_by = ?", [SHIPPED_BY]).fetchall()[0][0]
    con.execute("DELETE FROM class_rules WHERE created_by = ? AND preset IS NULL", [SHIPPED_BY])
    ids: dict = {}

    def clean(v: str | None, lower: bool = False) -> str | None:
        v = (v or "").strip()
        return (v.lower() if lower else v) or None
    with open(SEEDS / "v8_default_rules.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            path = tuple(p.strip() for p in (row["L1"], row["L2"], row["L3"]) if (p or "").strip())
            cid = _node(con, path, ids, ignore_case=True) if path else None
            match_on = clean(row["match_on"], lower=True)
            if match_on == "account_text" and row["kind"] == "account":
                match_on = None
            for acct in (row["account"] or "").split() or [None]:
                lo, hi = _account_range_v8(acct) if acct else (None, None)
                con.execute("""INSERT INTO class_rules (kind, category_id, account_from, account_to, keyword, legal_form,
                                                        active, note, match_on, preset, created_at, created_by, updated_at)
                               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, now()::TIMESTAMP)""",
                            [row["kind"], cid, lo, hi, clean(row["keyword"], lower=True), clean(row["legal_form"]),
                             _yes(row["active"]), clean(row["note"]), match_on, clean(row["preset"]), SHIPPED_BY])
    if public_off and had_rules and con.execute("SELECT count(*) FROM batches").fetchall()[0][0]:
        # a store in use keeps what its users saw: the old default left public bodies in
        con.execute("UPDATE class_rules SET active = false WHERE preset = 'public'")


def _mask_report_samples(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 9: mask personnummer-shaped runs in the text of stored validation samples.
    Frozen: its own pattern, no domain code."""
    pattern = re.compile(r"(?:19|20)?(\d{2}[01]\d\d{2})[-+ ]?\d{4}")

    def mask(value):
        if isinstance(value, str):
            return pattern.sub(r"\1-****", value)
        if isinstance(value, list):
            return [mask(v) for v in value]
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        return value
    for batch_id, report in con.execute("SELECT batch_id, report FROM batches WHERE report IS NOT NULL").fetchall():
        data = json.loads(report)
        if not isinstance(data, dict) or not data.get("samples"):
            continue
        data["samples"] = mask(data["samples"])
        con.execute("UPDATE batches SET report = ? WHERE batch_id = ?",
                    [json.dumps(data, ensure_ascii=False, default=str), batch_id])


def _keyed_sole_trader_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 11: sole traders' keys and tags from a keyed hash with secrets of this store.

    Until now a sole trader's key was 'pnr:' + the first 16 hex digits of sha256(personnummer)
    and its birth date was shown (YYMMDD-****): the last four digits were found by trying the
    10,000 candidates. Two random secrets are drawn for the store and kept in two macros:
    spk_pnr_hash(digits) = sha256(k2 || sha256(k1 || h0)) with h0 = the old 16 hex digits (a
    nested keyed hash, the NMAC construction), so keys can be recomputed from the old ones here
    and from the digits at every upload, but not from what is shown without the store's
    secrets. The key is 'pnr:' + its first 16 hex digits; the tag shown ('Enskild firma #3FA91C')
    its first six. Masked runs in texts lose their birth date too. Frozen: SQL only."""
    k1, k2 = secrets.token_hex(32), secrets.token_hex(32)
    con.execute(f"""CREATE OR REPLACE MACRO spk_pnr_rehash(h) AS sha256('{k2}' || sha256('{k1}' || h))""")
    con.execute("CREATE OR REPLACE MACRO spk_pnr_hash(d) AS spk_pnr_rehash(substr(sha256(d), 1, 16))")
    new_key = "'pnr:' || substr(spk_pnr_rehash(substr(supplier_key, 5)), 1, 16)"
    tag = "'#' || upper(substr(spk_pnr_rehash(substr(supplier_key, 5)), 1, 6))"
    masked_run = r"'\d{6}-\*{4}'"

    def clean(col: str) -> str:
        return f"regexp_replace({col}, {masked_run}, '******-****', 'g')"
    key_case = f"CASE WHEN supplier_key LIKE 'pnr:%' THEN {new_key} ELSE supplier_key END"
    org_case = f"CASE WHEN supplier_key LIKE 'pnr:%' THEN {tag} ELSE {clean('org_no')} END"
    con.execute(f"""UPDATE ledger_lines SET supplier_key = {key_case}, org_no = {org_case},
                    org_no_raw = {clean('org_no_raw')}, supplier_name = {clean('supplier_name')},
                    description = {clean('description')}""")
    con.execute(f"""UPDATE suppliers SET supplier_key = {key_case}, org_no = {org_case}, name = {clean('name')},
                    name_variants = list_transform(name_variants, lambda v: {clean('v')})""")
    con.execute(f"""UPDATE deviations SET supplier_key = {key_case}, org_no = {org_case},
                    supplier_name = {clean('supplier_name')}""")
    con.execute("""UPDATE savings_settings SET supplier_keys = list_transform(supplier_keys,
                    lambda k: CASE WHEN k LIKE 'pnr:%' THEN 'pnr:' || substr(spk_pnr_rehash(substr(k, 5)), 1, 16) ELSE k END)
                    WHERE supplier_keys IS NOT NULL""")
    con.execute(f"UPDATE audit_log SET detail = regexp_replace(detail, {masked_run}, '******-****', 'g')")
    con.execute(f"UPDATE batches SET report = regexp_replace(report, {masked_run}, '******-****', 'g') "
                "WHERE report IS NOT NULL")


# the stored columns of ledger_lines from migration 19 on, in their order
_V19_LINE_COLUMNS = (
    "batch_id, source_row, booking_date, period_month, period_grain, supplier_name, supplier_name_norm, supplier_key, "
    "org_no_raw, org_no, org_no_status, legal_form, account, account_text, org_unit, buyer, invoice_no, voucher_no, "
    "description, cpv, amount, category_id, rule_id, amount_orig, currency_orig, fx_rate, supplier_no, contract_id")

MIGRATIONS: list[list[Step]] = [
    # 1: batches, ledger lines, suppliers, audit log.
    [
        "CREATE SEQUENCE batch_seq START 1",
        """CREATE TABLE batches (
            batch_id      INTEGER PRIMARY KEY DEFAULT nextval('batch_seq'),
            upload_id     VARCHAR NOT NULL,
            file_name     VARCHAR NOT NULL,
            sha256        VARCHAR NOT NULL,
            uploaded_at   TIMESTAMP NOT NULL,
            uploaded_by   VARCHAR NOT NULL,
            period_from   DATE,
            period_to     DATE,
            rows          BIGINT NOT NULL,
            total         DECIMAL(38, 2) NOT NULL,
            currency      VARCHAR NOT NULL,
            profile       VARCHAR,
            status        VARCHAR NOT NULL,
            is_demo       BOOLEAN NOT NULL DEFAULT false,
            excluded_rows BIGINT NOT NULL DEFAULT 0,
            report        JSON
        )""",
        """CREATE TABLE ledger_lines (
            batch_id           INTEGER NOT NULL,
            source_row         BIGINT NOT NULL,
            booking_date       DATE,
            period_month       DATE NOT NULL,
            period_grain       VARCHAR NOT NULL,
            supplier_name      VARCHAR,
            supplier_name_norm VARCHAR,
            supplier_key       VARCHAR NOT NULL,
            org_no_raw         VARCHAR,
            org_no             VARCHAR,
            org_no_status      VARCHAR NOT NULL,
            legal_form         VARCHAR,
            account            VARCHAR,
            account_text       VARCHAR,
            org_unit           VARCHAR,
            buyer              VARCHAR,
            invoice_no         VARCHAR,
            voucher_no         VARCHAR,
            description        VARCHAR,
            cpv                VARCHAR,
            amount             DECIMAL(18, 2) NOT NULL
        )""",
        """CREATE TABLE suppliers (
            supplier_key   VARCHAR PRIMARY KEY,
            name           VARCHAR NOT NULL,
            org_no         VARCHAR,
            org_no_status  VARCHAR NOT NULL,
            legal_form     VARCHAR,
            name_variants  VARCHAR[] NOT NULL,
            lines          BIGINT NOT NULL,
            total          DECIMAL(38, 2) NOT NULL,
            first_period   DATE,
            last_period    DATE
        )""",
        "CREATE SEQUENCE audit_seq START 1",
        """CREATE TABLE audit_log (
            audit_id  BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
            logged_at TIMESTAMP NOT NULL,
            actor     VARCHAR NOT NULL,
            action    VARCHAR NOT NULL,
            entity    VARCHAR NOT NULL,
            detail    JSON
        )""",
    ],
    # 2: named import profiles (column mapping and options kept for next quarter).
    [
        """CREATE TABLE import_profiles (
            name        VARCHAR PRIMARY KEY,
            mapping     JSON NOT NULL,
            options     JSON NOT NULL,
            created_at  TIMESTAMP NOT NULL,
            updated_at  TIMESTAMP NOT NULL
        )""",
    ],
    # 3: category tree, the default account -> category mapping, each line's category, and the
    #    spend cube's precomputed aggregate (rebuilt after every change of lines or categories).
    [
        "CREATE SEQUENCE category_seq START 1",
        """CREATE TABLE categories (
            category_id INTEGER PRIMARY KEY DEFAULT nextval('category_seq'),
            parent_id   INTEGER,
            level       SMALLINT NOT NULL,
            name        VARCHAR NOT NULL,
            created_at  TIMESTAMP NOT NULL DEFAULT now()::TIMESTAMP
        )""",
        """CREATE VIEW category_paths AS
            SELECT c.category_id, c.level,
                   CASE c.level WHEN 1 THEN c.category_id WHEN 2 THEN p.category_id ELSE gp.category_id END AS l1_id,
                   CASE c.level WHEN 2 THEN c.category_id WHEN 3 THEN p.category_id END AS l2_id,
                   CASE c.level WHEN 3 THEN c.category_id END AS l3_id
            FROM categories c
            LEFT JOIN categories p ON p.category_id = c.parent_id
            LEFT JOIN categories gp ON gp.category_id = p.parent_id""",
        """CREATE TABLE account_category_map (
            account_prefix VARCHAR PRIMARY KEY,
            category_id    INTEGER NOT NULL
        )""",
        "ALTER TABLE ledger_lines ADD COLUMN category_id INTEGER",
        "ALTER TABLE suppliers ADD COLUMN supplier_no INTEGER",
        """CREATE TABLE cube_facts (
            period_month DATE NOT NULL,
            org_unit     VARCHAR,
            supplier_no  INTEGER NOT NULL,
            account      VARCHAR,
            cat_l1       INTEGER,
            cat_l2       INTEGER,
            cat_l3       INTEGER,
            legal_form   VARCHAR,
            valid_org    BOOLEAN NOT NULL,
            credit       BOOLEAN NOT NULL,
            spend        DECIMAL(38, 2) NOT NULL,
            lines        BIGINT NOT NULL
        )""",
        """CREATE TABLE cube_rollup (
            period_month DATE NOT NULL,
            org_unit     VARCHAR,
            account      VARCHAR,
            cat_l1       INTEGER,
            cat_l2       INTEGER,
            cat_l3       INTEGER,
            legal_form   VARCHAR,
            valid_org    BOOLEAN NOT NULL,
            credit       BOOLEAN NOT NULL,
            spend        DECIMAL(38, 2) NOT NULL,
            lines        BIGINT NOT NULL
        )""",
        """CREATE TABLE cube_accounts (
            account      VARCHAR PRIMARY KEY,
            account_text VARCHAR
        )""",
        _seed_categories_v3,
        REBUILD,
    ],
    # 4: classification rules in a fixed precedence (replacing the account map), each line's
    #    deciding rule and step, CPV codes on tree nodes, and versions of tree + rules for undo.
    [
        "CREATE SEQUENCE rule_seq START 1",
        """CREATE TABLE class_rules (
            rule_id       INTEGER PRIMARY KEY DEFAULT nextval('rule_seq'),
            kind          VARCHAR NOT NULL,
            category_id   INTEGER,
            org_no        VARCHAR,
            supplier      VARCHAR,
            supplier_norm VARCHAR,
            account_from  VARCHAR,
            account_to    VARCHAR,
            keyword       VARCHAR,
            legal_form    VARCHAR,
            batch_id      INTEGER,
            source_row    BIGINT,
            active        BOOLEAN NOT NULL DEFAULT true,
            note          VARCHAR,
            created_at    TIMESTAMP NOT NULL,
            created_by    VARCHAR NOT NULL,
            updated_at    TIMESTAMP NOT NULL
        )""",
        "ALTER TABLE categories ADD COLUMN code VARCHAR",
        "ALTER TABLE ledger_lines ADD COLUMN rule_id INTEGER",
        "ALTER TABLE ledger_lines ADD COLUMN class_step TINYINT",
        "ALTER TABLE ledger_lines ADD COLUMN excluded BOOLEAN NOT NULL DEFAULT false",
        "CREATE SEQUENCE tree_version_seq START 1",
        """CREATE TABLE tree_versions (
            version_id INTEGER PRIMARY KEY DEFAULT nextval('tree_version_seq'),
            created_at TIMESTAMP NOT NULL,
            actor      VARCHAR NOT NULL,
            action     VARCHAR NOT NULL,
            detail     JSON,
            undone     BOOLEAN NOT NULL DEFAULT false
        )""",
        """CREATE TABLE tree_version_categories (
            version_id  INTEGER NOT NULL,
            category_id INTEGER NOT NULL,
            parent_id   INTEGER,
            level       SMALLINT NOT NULL,
            name        VARCHAR NOT NULL,
            code        VARCHAR,
            created_at  TIMESTAMP
        )""",
        """CREATE TABLE tree_version_rules (
            version_id    INTEGER NOT NULL,
            rule_id       INTEGER NOT NULL,
            kind          VARCHAR NOT NULL,
            category_id   INTEGER,
            org_no        VARCHAR,
            supplier      VARCHAR,
            supplier_norm VARCHAR,
            account_from  VARCHAR,
            account_to    VARCHAR,
            keyword       VARCHAR,
            legal_form    VARCHAR,
            batch_id      INTEGER,
            source_row    BIGINT,
            active        BOOLEAN NOT NULL,
            note          VARCHAR,
            created_at    TIMESTAMP NOT NULL,
            created_by    VARCHAR NOT NULL,
            updated_at    TIMESTAMP NOT NULL
        )""",
        # excluded lines carry category_id -1, which maps to -1 on every level (see classify)
        """CREATE OR REPLACE VIEW category_paths AS
            SELECT c.category_id, c.level,
                   CASE c.level WHEN 1 THEN c.category_id WHEN 2 THEN p.category_id ELSE gp.category_id END AS l1_id,
                   CASE c.level WHEN 2 THEN c.category_id WHEN 3 THEN p.category_id END AS l2_id,
                   CASE c.level WHEN 3 THEN c.category_id END AS l3_id
            FROM categories c
            LEFT JOIN categories p ON p.category_id = c.parent_id
            LEFT JOIN categories gp ON gp.category_id = p.parent_id
            UNION ALL SELECT -1, 0, -1, -1, -1""",
        _rules_from_account_map,
        "DROP TABLE account_category_map",
        REBUILD,
    ],
    # 5: category initiatives for prioritisation, linked to tree nodes.
    [
        "CREATE SEQUENCE initiative_seq START 1",
        """CREATE TABLE initiatives (
            initiative_id    INTEGER PRIMARY KEY DEFAULT nextval('initiative_seq'),
            name             VARCHAR NOT NULL,
            feasibility_low  SMALLINT NOT NULL,
            feasibility_high SMALLINT NOT NULL,
            potential        SMALLINT NOT NULL,
            spend_override   DECIMAL(18, 2),
            saving_sek       DECIMAL(18, 2),
            saving_pct       DOUBLE,
            start_quarter    VARCHAR,
            duration         SMALLINT NOT NULL DEFAULT 4,
            owner            VARCHAR,
            status           VARCHAR NOT NULL,
            is_demo          BOOLEAN NOT NULL DEFAULT false,
            created_at       TIMESTAMP NOT NULL,
            created_by       VARCHAR NOT NULL,
            updated_at       TIMESTAMP NOT NULL,
            updated_by       VARCHAR NOT NULL
        )""",
        """CREATE TABLE initiative_categories (
            initiative_id INTEGER NOT NULL,
            category_id   INTEGER NOT NULL
        )""",
    ],
    # 6: savings tracking: per-initiative settings, frozen baselines, quarters (planned, reported,
    #    finance sign-off) and user-entered index series.
    [
        """CREATE TABLE savings_settings (
            initiative_id INTEGER PRIMARY KEY,
            saving_type   VARCHAR NOT NULL,
            index_series  VARCHAR,
            supplier_keys VARCHAR[]
        )""",
        """CREATE TABLE savings_baselines (
            initiative_id INTEGER PRIMARY KEY,
            period_from   DATE NOT NULL,
            period_to     DATE NOT NULL,
            spend         DECIMAL(18, 2) NOT NULL,
            months        INTEGER NOT NULL,
            scope         JSON NOT NULL,
            frozen_at     TIMESTAMP NOT NULL,
            frozen_by     VARCHAR NOT NULL
        )""",
        """CREATE TABLE savings_quarters (
            initiative_id INTEGER NOT NULL,
            quarter       VARCHAR NOT NULL,
            planned       DECIMAL(18, 2),
            reported      DECIMAL(18, 2),
            comment       VARCHAR,
            updated_at    TIMESTAMP NOT NULL,
            updated_by    VARCHAR NOT NULL,
            signed_by     VARCHAR,
            signed_at     TIMESTAMP
        )""",
        """CREATE TABLE index_values (
            series  VARCHAR NOT NULL,
            quarter VARCHAR NOT NULL,
            value   DOUBLE NOT NULL
        )""",
    ],
    # 7: supplier watchlist: the escalation ladder, deviations with an append-only history,
    #    penalties, and the procurement thresholds as data.
    [
        """CREATE TABLE escalation_steps (
            step       INTEGER PRIMARY KEY,
            name_sv    VARCHAR NOT NULL,
            name_en    VARCHAR NOT NULL,
            actions_sv VARCHAR,
            actions_en VARCHAR,
            penalty    VARCHAR
        )""",
        "CREATE SEQUENCE deviation_seq START 1",
        """CREATE TABLE deviations (
            deviation_id   INTEGER PRIMARY KEY DEFAULT nextval('deviation_seq'),
            supplier_key   VARCHAR NOT NULL,
            supplier_name  VARCHAR NOT NULL,
            org_no         VARCHAR,
            contract       VARCHAR,
            occurred       DATE NOT NULL,
            description    VARCHAR NOT NULL,
            category       VARCHAR,
            severity       VARCHAR NOT NULL,
            reported_by    VARCHAR,
            contract_owner VARCHAR,
            supplier_owner VARCHAR,
            step           INTEGER NOT NULL,
            next_action    VARCHAR,
            due            DATE,
            status         VARCHAR NOT NULL,
            closing_note   VARCHAR,
            created_at     TIMESTAMP NOT NULL,
            created_by     VARCHAR NOT NULL,
            updated_at     TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE deviation_history_seq START 1",
        """CREATE TABLE deviation_history (
            history_id   BIGINT PRIMARY KEY DEFAULT nextval('deviation_history_seq'),
            deviation_id INTEGER NOT NULL,
            logged_at    TIMESTAMP NOT NULL,
            actor        VARCHAR NOT NULL,
            what         JSON NOT NULL,
            why          VARCHAR
        )""",
        "CREATE SEQUENCE penalty_seq START 1",
        """CREATE TABLE penalties (
            penalty_id     INTEGER PRIMARY KEY DEFAULT nextval('penalty_seq'),
            deviation_id   INTEGER NOT NULL,
            amount         DECIMAL(18, 2) NOT NULL,
            booked_on      DATE NOT NULL,
            booked_by      VARCHAR NOT NULL,
            charged_on     DATE,
            charged_by     VARCHAR,
            earned_back_on DATE,
            earned_back_by VARCHAR
        )""",
        """CREATE TABLE thresholds (
            kind       VARCHAR NOT NULL,
            valid_from DATE NOT NULL,
            amount_sek DOUBLE NOT NULL,
            note       VARCHAR
        )""",
        _seed_watchlist_v7,
    ],
    # 8: Kommun-Bas defaults: account rules may carry a keyword on the account text (or the
    #    supplier's name); shipped defaults are marked with a preset (the exclusion switches).
    [
        "ALTER TABLE class_rules ADD COLUMN match_on VARCHAR",
        "ALTER TABLE class_rules ADD COLUMN preset VARCHAR",
        "ALTER TABLE tree_version_rules ADD COLUMN match_on VARCHAR",
        "ALTER TABLE tree_version_rules ADD COLUMN preset VARCHAR",
        _kommunbas_defaults_v8,
        REBUILD,
    ],
    # 9: lines converted from another currency keep their original amount, currency and rate;
    #    validation reports already stored get their sample rows' personnummer masked.
    [
        "ALTER TABLE ledger_lines ADD COLUMN amount_orig DECIMAL(18, 2)",
        "ALTER TABLE ledger_lines ADD COLUMN currency_orig VARCHAR",
        "ALTER TABLE ledger_lines ADD COLUMN fx_rate DOUBLE",
        _mask_report_samples,
    ],
    # 10: the organisation's PowerPoint template for the steering pack (the newest active one is
    #     used; earlier ones stay as history).
    [
        """CREATE TABLE report_templates (
            template_id INTEGER PRIMARY KEY,
            file_name VARCHAR NOT NULL,
            content BLOB NOT NULL,
            sha256 VARCHAR NOT NULL,
            uploaded_at TIMESTAMP NOT NULL,
            uploaded_by VARCHAR NOT NULL,
            active BOOLEAN NOT NULL)""",
    ],
    # 11: sole traders keyed with this store's secrets; no birth date shown or kept in texts.
    [
        _keyed_sole_trader_keys,
    ],
    # 12: the people who sign in and their roles (access.ROLES); the e-mail is the key.
    [
        """CREATE TABLE users (
            email VARCHAR PRIMARY KEY,
            name VARCHAR,
            role VARCHAR NOT NULL CHECK (role IN ('admin', 'buyer', 'finance', 'reader')),
            added_at TIMESTAMP NOT NULL,
            added_by VARCHAR NOT NULL,
            last_seen TIMESTAMP)""",
    ],
    # 13: aggregates that aggregate: the cube's common views read a table without supplier and
    #     account (cube_common, cube_units with the unit), supplier views one without unit and
    #     account (cube_suppliers); cube_facts and cube_rollup answer the rest. Lines carry their
    #     supplier's number.
    [
        "ALTER TABLE ledger_lines ADD COLUMN supplier_no INTEGER",
        """CREATE TABLE cube_common (
            period_month DATE NOT NULL,
            cat_l1       INTEGER,
            cat_l2       INTEGER,
            cat_l3       INTEGER,
            legal_form   VARCHAR,
            valid_org    BOOLEAN NOT NULL,
            credit       BOOLEAN NOT NULL,
            spend        DECIMAL(38, 2) NOT NULL,
            lines        BIGINT NOT NULL
        )""",
        """CREATE TABLE cube_units (
            period_month DATE NOT NULL,
            org_unit     VARCHAR,
            cat_l1       INTEGER,
            cat_l2       INTEGER,
            cat_l3       INTEGER,
            legal_form   VARCHAR,
            valid_org    BOOLEAN NOT NULL,
            credit       BOOLEAN NOT NULL,
            spend        DECIMAL(38, 2) NOT NULL,
            lines        BIGINT NOT NULL
        )""",
        """CREATE TABLE cube_suppliers (
            period_month DATE NOT NULL,
            supplier_no  INTEGER NOT NULL,
            cat_l1       INTEGER,
            cat_l2       INTEGER,
            cat_l3       INTEGER,
            legal_form   VARCHAR,
            valid_org    BOOLEAN NOT NULL,
            credit       BOOLEAN NOT NULL,
            spend        DECIMAL(38, 2) NOT NULL,
            lines        BIGINT NOT NULL
        )""",
        REBUILD,
    ],
    # 14: each supplier's name as it is compared (legal-form words removed) and its first batch,
    #     kept with the register so the review queue reads them instead of every line and name.
    [
        "ALTER TABLE suppliers ADD COLUMN name_norm VARCHAR",
        "ALTER TABLE suppliers ADD COLUMN first_batch INTEGER",
        REBUILD,
    ],
    # 15: the contract register (avtalskatalog): contracts with their suppliers (a framework can
    #     have several, ranked), extension options and linked categories; each line carries the
    #     contract it was bought under (derived: supplier, date inside the period with used
    #     extensions, category).
    [
        """CREATE TABLE contracts (
            contract_id  VARCHAR PRIMARY KEY,
            name         VARCHAR NOT NULL,
            kind         VARCHAR CHECK (kind IN ('framework', 'contract', 'direct_award', 'call_off')),
            start_date   DATE NOT NULL,
            end_date     DATE,
            ceiling      DECIMAL(18, 2),
            owner        VARCHAR,
            notes        VARCHAR,
            source       VARCHAR,
            updated_at   TIMESTAMP NOT NULL,
            updated_by   VARCHAR NOT NULL,
            CHECK (end_date IS NULL OR end_date >= start_date)
        )""",
        """CREATE TABLE contract_suppliers (
            contract_id   VARCHAR NOT NULL,
            supplier_key  VARCHAR NOT NULL,
            supplier_name VARCHAR,
            name_norm     VARCHAR,
            org_no        VARCHAR,
            rank          INTEGER,
            PRIMARY KEY (contract_id, supplier_key)
        )""",
        """CREATE TABLE contract_options (
            contract_id VARCHAR NOT NULL,
            option_no   INTEGER NOT NULL,
            end_date    DATE NOT NULL,
            used        BOOLEAN NOT NULL,
            PRIMARY KEY (contract_id, option_no)
        )""",
        """CREATE TABLE contract_categories (
            contract_id VARCHAR NOT NULL,
            category_id INTEGER NOT NULL,
            PRIMARY KEY (contract_id, category_id)
        )""",
        "ALTER TABLE ledger_lines ADD COLUMN contract_id VARCHAR",
    ],
    # 16: the cube's contract dimension: every aggregate keeps the lines' contract (NULL: bought
    #     under none), so avtalstrohet is a cube figure like any other.
    [
        *[f"ALTER TABLE {t} ADD COLUMN contract_id VARCHAR"
          for t in ("cube_facts", "cube_rollup", "cube_units", "cube_common", "cube_suppliers")],
        REBUILD,
    ],
    # 17: category plans and governance: every saved version of an initiative's plan (its texts,
    #     people, price breakdown, projects and the data figures as they were), the decisions
    #     at its gates, and the fixed KPIs of the category areas with the values entered per quarter.
    [
        """CREATE TABLE plan_versions (
            initiative_id INTEGER NOT NULL,
            version       INTEGER NOT NULL,
            content       JSON NOT NULL,
            figures       JSON NOT NULL,
            saved_at      TIMESTAMP NOT NULL,
            saved_by      VARCHAR NOT NULL,
            PRIMARY KEY (initiative_id, version)
        )""",
        "CREATE SEQUENCE plan_decision_seq START 1",
        """CREATE TABLE plan_decisions (
            decision_id   INTEGER PRIMARY KEY DEFAULT nextval('plan_decision_seq'),
            initiative_id INTEGER NOT NULL,
            cycle         INTEGER NOT NULL,
            gate          VARCHAR NOT NULL CHECK (gate IN ('initiation', 'direction', 'overall_plan', 'analysis',
                                                           'category_plan', 'restart')),
            forum         VARCHAR NOT NULL CHECK (forum IN ('KR', 'UU', 'ST')),
            decision      VARCHAR NOT NULL CHECK (decision IN ('approved', 'returned', 'stopped')),
            decided_on    DATE NOT NULL,
            minute        VARCHAR NOT NULL,
            document_name VARCHAR,
            document      BLOB,
            plan_version  INTEGER,
            recorded_at   TIMESTAMP NOT NULL,
            recorded_by   VARCHAR NOT NULL
        )""",
        "CREATE SEQUENCE kpi_seq START 1",
        """CREATE TABLE kpi_definitions (
            kpi_id      INTEGER PRIMARY KEY DEFAULT nextval('kpi_seq'),
            category_id INTEGER NOT NULL,
            name        VARCHAR NOT NULL,
            measure     VARCHAR NOT NULL,
            target      DOUBLE,
            direction   VARCHAR NOT NULL CHECK (direction IN ('up', 'down')),
            unit        VARCHAR NOT NULL,
            active      BOOLEAN NOT NULL,
            updated_at  TIMESTAMP NOT NULL,
            updated_by  VARCHAR NOT NULL
        )""",
        """CREATE TABLE kpi_entries (
            kpi_id     INTEGER NOT NULL,
            quarter    VARCHAR NOT NULL,
            value      DOUBLE,
            comment    VARCHAR,
            entered_at TIMESTAMP NOT NULL,
            entered_by VARCHAR NOT NULL,
            PRIMARY KEY (kpi_id, quarter)
        )""",
    ],
    # 18: each batch's part of each supplier (per name, number and legal form as written): the
    #     register is summed from these, so an upload reads its own lines, not every line of the
    #     suppliers it names.
    [
        """CREATE TABLE supplier_parts (
            batch_id      INTEGER NOT NULL,
            supplier_key  VARCHAR NOT NULL,
            supplier_name VARCHAR,
            org_no        VARCHAR,
            org_no_status VARCHAR,
            legal_form    VARCHAR,
            spend         DECIMAL(38, 2) NOT NULL,
            lines         BIGINT NOT NULL,
            top_amount    DECIMAL(18, 2) NOT NULL,
            first_period  DATE,
            last_period   DATE
        )""",
        REBUILD,
    ],
    # 19: a line's classification is its category and rule alone. ``excluded`` is read from the
    #     category (-1 marks an excluded line) and the step from the rule's kind, so a rule change
    #     writes two columns per line instead of four. DuckDB cannot add a generated column to a
    #     table, so the lines move to a new table in their order.
    [
        """CREATE TABLE ledger_lines_v19 (
            batch_id           INTEGER NOT NULL,
            source_row         BIGINT NOT NULL,
            booking_date       DATE,
            period_month       DATE NOT NULL,
            period_grain       VARCHAR NOT NULL,
            supplier_name      VARCHAR,
            supplier_name_norm VARCHAR,
            supplier_key       VARCHAR NOT NULL,
            org_no_raw         VARCHAR,
            org_no             VARCHAR,
            org_no_status      VARCHAR NOT NULL,
            legal_form         VARCHAR,
            account            VARCHAR,
            account_text       VARCHAR,
            org_unit           VARCHAR,
            buyer              VARCHAR,
            invoice_no         VARCHAR,
            voucher_no         VARCHAR,
            description        VARCHAR,
            cpv                VARCHAR,
            amount             DECIMAL(18, 2) NOT NULL,
            category_id        INTEGER,
            rule_id            INTEGER,
            amount_orig        DECIMAL(18, 2),
            currency_orig      VARCHAR,
            fx_rate            DOUBLE,
            supplier_no        INTEGER,
            contract_id        VARCHAR,
            excluded           BOOLEAN GENERATED ALWAYS AS (category_id IS NOT DISTINCT FROM -1) VIRTUAL
        )""",
        f"INSERT INTO ledger_lines_v19 ({_V19_LINE_COLUMNS}) SELECT {_V19_LINE_COLUMNS} FROM ledger_lines",
        "DROP TABLE ledger_lines",
        "ALTER TABLE ledger_lines_v19 RENAME TO ledger_lines",
    ],
    # 20: the suppliers by account (cube_supplier_accounts: cube_facts without the unit, about a
    #     third of its rows), for supplier counts by account and supplier views of an account;
    #     filled from cube_facts, which holds the same sums.
    [
        """CREATE TABLE cube_supplier_accounts (
            period_month DATE NOT NULL,
            supplier_no  INTEGER NOT NULL,
            account      VARCHAR,
            cat_l1       INTEGER,
            cat_l2       INTEGER,
            cat_l3       INTEGER,
            legal_form   VARCHAR,
            valid_org    BOOLEAN NOT NULL,
            credit       BOOLEAN NOT NULL,
            contract_id  VARCHAR,
            spend        DECIMAL(38, 2) NOT NULL,
            lines        BIGINT NOT NULL
        )""",
        """INSERT INTO cube_supplier_accounts
           SELECT period_month, supplier_no, account, cat_l1, cat_l2, cat_l3, legal_form, valid_org, credit,
                  contract_id, sum(spend), sum(lines)
           FROM cube_facts GROUP BY ALL ORDER BY 1, 2""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
