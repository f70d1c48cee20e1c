"""DuckDB store: where the database lives, its schema and the ordered migrations.

The file is data/spendkollen.duckdb by default; the environment variable SPENDKOLLEN_DB names
another. Every schema change is a new entry at the end of MIGRATIONS: an older file is upgraded
in place, in order, each step in its own transaction, and schema_version records what ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from . import access

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "spendkollen.duckdb"

def _seed_categories_v3(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 3 as released: the default tree and the account -> category map (migration 4
    turns the map into account rules)."""
    import csv
    data = ROOT / "data"
    ids: dict[tuple[str, ...], int] = {}

    def node(path: tuple[str, ...]) -> int:
        if path not in ids:
            parent = node(path[:-1]) if len(path) > 1 else None
            found = con.execute("SELECT category_id FROM categories WHERE name = ? AND level = ? AND parent_id IS NOT DISTINCT FROM ?",
                                [path[-1], len(path), parent]).fetchall()
            ids[path] = found[0][0] if found else con.execute(
                "INSERT INTO categories (parent_id, level, name) VALUES (?, ?, ?) RETURNING category_id",
                [parent, len(path), path[-1]]).fetchall()[0][0]
        return ids[path]

    def path(row: dict) -> tuple[str, ...]:
        out = []
        for k in ("L1", "L2", "L3"):
            if not (row.get(k) or "").strip():
                break
            out.append(row[k].strip())
        return tuple(out)
    with open(data / "category_tree.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if path(row):
                node(path(row))
    with open(data / "legacy" / "account_categories_v3.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if path(row) and row["account_prefix"].strip():
                con.execute("INSERT OR REPLACE INTO account_category_map VALUES (?, ?)",
                            [row["account_prefix"].strip(), node(path(row))])


def _number_suppliers(con: duckdb.DuckDBPyConnection) -> None:
    from .ingest.load import refresh_suppliers
    if con.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0]:
        refresh_suppliers(con)      # numbers the suppliers for the cube (built in migration 4)


def _rules_from_account_map(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 4: the account map becomes account rules; default exclusions are added (frozen:
    the columns and files as released)."""
    import csv

    def insert(kind, cid, lo, hi, legal, active, note):
        con.execute("""INSERT INTO class_rules (kind, category_id, account_from, account_to, legal_form, active, note,
                                                created_at, created_by, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, 'Spendkollen', now()::TIMESTAMP)""",
                    [kind, cid, lo, hi, legal, active, note])
    for prefix, cid in con.execute("SELECT account_prefix, category_id FROM account_category_map ORDER BY 1").fetchall():
        insert("account", cid, prefix, prefix, None, True, None)
    with open(ROOT / "data" / "legacy" / "exclusions_v4.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            acct = (row.get("account") or "").strip() or None
            insert("exclude", None, acct, acct, (row.get("legal_form") or "").strip() or None,
                   row.get("active", "yes").strip().lower() in ("yes", "ja", "1", "true"), row.get("note") or None)


def _seed_watchlist(con: duckdb.DuckDBPyConnection) -> None:
    from .watchlist import seed_steps, seed_thresholds
    seed_steps(con)
    seed_thresholds(con)


def _kommunbas_defaults(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 8: the shipped defaults written for the demo's own five-digit accounts (and the
    old exclusions) give way to the Kommun-Bas defaults of data/default_rules.csv: account-group
    rules with keywords on the account text, and the default exclusions as presets. Rules a
    person made are kept; so is the on/off state of the public-bodies exclusion."""
    from .classify import DEFAULT_ACTOR, seed_default_rules
    public_off = con.execute("""SELECT count(*) FROM class_rules WHERE created_by = ? AND kind = 'exclude'
                                AND legal_form = 'public' AND NOT active""", [DEFAULT_ACTOR]).fetchall()[0][0]
    had_rules = con.execute("SELECT count(*) FROM class_rules WHERE created_by = ?", [DEFAULT_ACTOR]).fetchall()[0][0]
    con.execute("DELETE FROM class_rules WHERE created_by = ? AND preset IS NULL", [DEFAULT_ACTOR])
    seed_default_rules(con)
    if public_off and had_rules and con.execute("SELECT count(*) FROM batches").fetchall()[0][0]:
        # a store in use keeps what its users saw: the old default left public bodies in
        con.execute("UPDATE class_rules SET active = false WHERE preset = 'public'")


def _classify_and_build_cube(con: duckdb.DuckDBPyConnection) -> None:
    """Reclassify the stored lines and rebuild the cube with today's engine. The engine reads the
    newest rule columns, so an older step (migration 4) leaves it to the last migration that
    calls this."""
    from .classify import refresh
    has_newest = con.execute("""SELECT count(*) FROM information_schema.columns
                                WHERE table_name = 'class_rules' AND column_name = 'preset'""").fetchall()[0][0]
    if has_newest and con.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0]:
        refresh(con)


# Each migration is a list of statements (SQL text, or a function of the connection for seeding
# and backfilling). Never edit a released one: append a new step.
def _mask_report_samples(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 9: mask personnummer-shaped runs in the text of stored validation samples.
    Frozen: its own pattern, no domain code."""
    import re
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
    import secrets
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
    con.execute(f"""UPDATE savings_settings SET supplier_keys = list_transform(supplier_keys,
                    lambda k: CASE WHEN k LIKE 'pnr:%' THEN 'pnr:' || substr(spk_pnr_rehash(substr(k, 5)), 1, 16) ELSE k END)
                    WHERE supplier_keys IS NOT NULL""")
    con.execute(f"UPDATE audit_log SET detail = regexp_replace(detail, {masked_run}, '******-****', 'g')")
    con.execute(f"UPDATE batches SET report = regexp_replace(report, {masked_run}, '******-****', 'g') "
                "WHERE report IS NOT NULL")


MIGRATIONS: list[list[str | Callable[[duckdb.DuckDBPyConnection], None]]] = [
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
        _number_suppliers,
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
        _classify_and_build_cube,
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
        _seed_watchlist,
    ],
    # 8: Kommun-Bas defaults: account rules may carry a keyword on the account text (or the
    #    supplier's name); shipped defaults are marked with a preset (the exclusion switches).
    [
        "ALTER TABLE class_rules ADD COLUMN match_on VARCHAR",
        "ALTER TABLE class_rules ADD COLUMN preset VARCHAR",
        "ALTER TABLE tree_version_rules ADD COLUMN match_on VARCHAR",
        "ALTER TABLE tree_version_rules ADD COLUMN preset VARCHAR",
        _kommunbas_defaults,
        _classify_and_build_cube,
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
]

SCHEMA_VERSION = len(MIGRATIONS)
DEFAULT_MEMORY_LIMIT = "1GB"


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file to use: ``path``, else $SPENDKOLLEN_DB, else data/spendkollen.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get("SPENDKOLLEN_DB")
    return Path(env) if env else DEFAULT_DB


class StoreInUse(RuntimeError):
    """Another process (the dashboard, another import) has the store file open."""


def _open(target: str, wait: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting up to ``wait`` seconds while another process holds the file."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return duckdb.connect(target)
        except duckdb.IOException as exc:
            if "Conflicting lock" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                m = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
                who = f"{Path(m.group(1)).name} (PID {m.group(2)})" if m else "another process"
                raise StoreInUse(
                    f"refused. The store {target} is in use by {who}: the dashboard or another import has it "
                    f"open{f' and it stayed so for {wait:.0f} s' if wait else ''}. Nothing was done. Run again when "
                    "it is free, or pass --wait SECONDS to wait for it.") from None
            time.sleep(0.25)


def connect(path: str | os.PathLike | None = None, *, upto: int | None = None,
            wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open (creating when missing) the store and bring its schema up to date.

    ``upto`` stops the migrations at that version; tests use it to build an old file.
    ``":memory:"`` gives a private in-memory store. ``wait`` is how many seconds to wait while
    another process has the file open (StoreInUse after that).
    """
    target = str(path) if path == ":memory:" else str(db_path(path))
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = _open(target, wait)
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    migrate(con, upto=upto)
    return con


def memory_limit() -> str:
    """DuckDB's memory limit: $SPENDKOLLEN_MEMORY_LIMIT (such as 2GB), else 1GB. Above it DuckDB
    evicts cached blocks and spills work to the store's .tmp folder instead of growing, so a
    large upload (or many sessions) cannot take the server's memory."""
    value = os.environ.get("SPENDKOLLEN_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise RuntimeError(f"SPENDKOLLEN_MEMORY_LIMIT='{value}' is not a size; write it like 1GB or 512MB.")
    return value


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database, 0 for a new file."""
    try:        # asked directly: information_schema costs ~20 ms, paid on every page run (ui.db)
        return con.execute("SELECT coalesce(max(version), 0) FROM main.schema_version").fetchall()[0][0]
    except (duckdb.CatalogException, duckdb.InvalidInputException):   # a new file (or a Python name found instead)
        return 0


def migrate(con: duckdb.DuckDBPyConnection, *, upto: int | None = None) -> int:
    """Apply the missing migrations in order, each in one transaction; return the new version."""
    current = schema_version(con)
    last = SCHEMA_VERSION if upto is None else upto
    if current == SCHEMA_VERSION:       # the common case: nothing written (the server opens per run)
        return current
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"The database was written by a newer Spendkollen (schema {current}, this version knows "
            f"{SCHEMA_VERSION}). Upgrade Spendkollen or point SPENDKOLLEN_DB at another file."
        )
    with access.acting(access.SYSTEM):     # an upgrade is the program's, whoever opened the store
        for version in range(current + 1, last + 1):
            con.execute("BEGIN TRANSACTION")
            try:
                for statement in MIGRATIONS[version - 1]:
                    if callable(statement):
                        statement(con)
                    else:
                        con.execute(statement)
                con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
    return max(current, last)


# ---------------------------------------------------------------- transactions

_in_transaction: dict[int, int] = {}   # id of a cursor with a transaction open -> how deep the blocks are


@contextlib.contextmanager
def transaction(cur):
    """One transaction around the block: committed when it ends, rolled back (and the error
    raised) when it fails. Inside another ``transaction`` on the same cursor the block joins it,
    so writes that are each atomic combine into one atomic change (the upload that removes the
    demo: both or neither)."""
    key = id(cur)
    if _in_transaction.get(key):
        _in_transaction[key] += 1
        try:
            yield cur
        finally:
            _in_transaction[key] -= 1
        return
    cur.execute("BEGIN TRANSACTION")
    _in_transaction[key] = 1
    try:
        yield cur
    except BaseException:
        _in_transaction.pop(key, None)
        cur.execute("ROLLBACK")
        raise
    _in_transaction.pop(key, None)
    cur.execute("COMMIT")


# ---------------------------------------------------------------- one writer at a time

_WRITE_LOCK = threading.RLock()
WRITE_WAIT_SECONDS = 120.0


class _SerialisedCursor:
    """A DuckDB cursor whose write transactions take the process's write lock: BEGIN waits
    until no other session of this server is writing, COMMIT or ROLLBACK lets the next one in.
    Reads never wait (DuckDB gives each its snapshot). Everything else is the cursor's own."""

    def __init__(self, cur):
        self._cur = cur
        self._held = 0

    def execute(self, query, *args, **kwargs):
        word = query.lstrip()[:8].upper() if isinstance(query, str) else ""
        if word.startswith("BEGIN"):
            if not _WRITE_LOCK.acquire(timeout=WRITE_WAIT_SECONDS):
                from .errors import StoreBusy
                raise StoreBusy("store_busy", f"another change has held the store for {WRITE_WAIT_SECONDS:.0f} s; "
                                  "nothing was saved. Try again in a moment.", seconds=f"{WRITE_WAIT_SECONDS:.0f}")
            self._held += 1
            try:
                return self._cur.execute(query, *args, **kwargs)
            except BaseException:
                self._release()
                raise
        if word.startswith(("COMMIT", "ROLLBACK")):
            try:
                return self._cur.execute(query, *args, **kwargs)
            finally:
                self._release()
        return self._cur.execute(query, *args, **kwargs)

    def _release(self) -> None:
        if self._held:
            self._held -= 1
            _WRITE_LOCK.release()

    def cursor(self) -> _SerialisedCursor:
        return _SerialisedCursor(self._cur.cursor())

    def __getattr__(self, name):
        return getattr(self._cur, name)


class SerialisedConnection(_SerialisedCursor):
    """The server's one connection: every cursor it hands out writes one transaction at a time
    within the process, so sessions saving at the same moment never collide (DuckDB would roll
    one of them back with "Conflict on tuple deletion")."""


def serialised(con: duckdb.DuckDBPyConnection) -> SerialisedConnection:
    return SerialisedConnection(con)


def current_user() -> str:
    """Who is acting, as the audit log and the histories record it: the signed-in person
    ("Name <e-mail>") in the dashboard, else $SPENDKOLLEN_USER or the operating-system user."""
    return access.current().label


def audit(con: duckdb.DuckDBPyConnection, action: str, entity: str, detail: dict[str, Any] | None = None,
          actor: str | None = None) -> None:
    """Append one row to the audit log (never updated or deleted). Runs inside the caller's
    transaction when there is one. The action must be one the acting person's role allows
    (access.ACTIONS): the last guard of every write, which then rolls back."""
    access.require_action(action)
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, entity, detail) VALUES (now()::TIMESTAMP, ?, ?, ?, ?)",
        [actor or current_user(), action, entity, json.dumps(detail or {}, ensure_ascii=False, default=str)],
    )


def audit_entries(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit entries first, as dicts."""
    rows = con.execute(
        "SELECT audit_id, logged_at, actor, action, entity, detail FROM audit_log ORDER BY audit_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [
        {"id": r[0], "at": r[1], "actor": r[2], "action": r[3], "entity": r[4], "detail": json.loads(r[5] or "{}")}
        for r in rows
    ]


def backup(dest: str | os.PathLike, path: str | os.PathLike | None = None, *, wait: float = 0.0) -> dict[str, Any]:
    """Copy the store to ``dest`` while holding it (no one writes meanwhile), checkpointed first
    so the copy is the whole store in one file, including its sole-trader secrets. The copy is
    opened and checked before it takes ``dest``'s name. Returns {file, bytes, schema, lines}."""
    import shutil
    src = db_path(path)
    if not src.is_file():
        raise RuntimeError(f"there is no store at {src}; nothing was copied.")
    dest = Path(dest)
    if dest.resolve() == src.resolve():
        raise RuntimeError("the backup would overwrite the store itself; give another file name.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    con = connect(src, wait=wait)
    try:
        con.execute("CHECKPOINT")
        shutil.copyfile(src, part)
    finally:
        con.close()
    try:
        check = duckdb.connect(str(part), read_only=True)
        try:
            schema = schema_version(check)
            lines = check.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0]
        finally:
            check.close()
    except Exception:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    return {"file": str(dest), "bytes": dest.stat().st_size, "schema": schema, "lines": lines}
