"""Upgrades: a store written at every earlier schema version, with the data that version could
hold, upgrades to the latest schema with nothing lost, the same schema and seeds as a new store,
and derived data equal to a full rebuild by today's engine. Migrations are frozen: their seed
files never change and the rebuild after them is one step that either completes or leaves the
file at its old version."""

import hashlib

import duckdb
import pytest

from analytics import derived, migrations, store
from analytics.store import SCHEMA_VERSION, connect, schema_version, transaction
from tests.crafted import derived_state

ALFA, BETA, KOMMUN = "5560000001", "5560000019", "2120000142"
SOLE_DIGITS = "8005121234"
OLD_SOLE_KEY = "pnr:" + hashlib.sha256(SOLE_DIGITS.encode()).hexdigest()[:16]   # the key before migration 11

# Kommun-Bas accounts (four digits, as municipalities book them) with their texts; one line in
# five is a credit note; class 5 (staff) and 26 (VAT) are excluded by the defaults.
ACCOUNTS = [("4010", "Inköp av material"), ("6110", "Kontorsmaterial"), ("6420", "Datakonsulter"),
            ("7010", "Konsulttjänster"), ("6130", "Livsmedel"), ("5010", "Löner"), ("2641", "Ingående moms")]
SUPPLIERS = [("Alfa AB", ALFA, f"org:{ALFA}", "valid", "limited"),
             ("Beta Bygg AB", BETA, f"org:{BETA}", "valid", "limited"),
             ("Exempel kommun", KOMMUN, f"org:{KOMMUN}", "valid", "public"),
             ("Firma Anna Berg", "800512-****", OLD_SOLE_KEY, "personal", "sole_trader"),
             ("Okänd leverantör", None, "name:okand leverantor", "missing", None)]


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                      [table]).fetchall()}


def _write_as_version(con, version: int) -> dict:
    """What a program at ``version`` wrote: rows in the tables that version had, through SQL
    alone (today's code needs today's schema). Returns the figures the upgrade must keep."""
    kept = {}
    sole_key = OLD_SOLE_KEY if version < 11 else con.execute(     # from 11 on keyed with the store's secrets
        "SELECT 'pnr:' || substr(spk_pnr_hash(?), 1, 16)", [SOLE_DIGITS]).fetchall()[0][0]
    if version >= 1:
        con.execute("""INSERT INTO batches (upload_id, file_name, sha256, uploaded_at, uploaded_by, period_from, period_to,
                                            rows, total, currency, status)
                       VALUES ('u1', 'reskontra_2024.csv', 'abc', TIMESTAMP '2025-01-05 10:00:00', 'Anna',
                               DATE '2024-01-01', DATE '2024-12-01', 350, 0, 'SEK', 'loaded')""")
        rows = []
        for i in range(350):
            name, org, key, status, legal = SUPPLIERS[i % len(SUPPLIERS)]
            key = sole_key if key == OLD_SOLE_KEY else key
            account, text = ACCOUNTS[(i // 3) % len(ACCOUNTS)]
            month = f"2024-{i % 12 + 1:02d}-01"
            amount = -(100 + i) if i % 5 == 4 else 1000 + 37 * i
            rows.append((i + 2, month, month, name, name.lower(), key, org, org, status, legal, account, text,
                         "Skola" if i % 2 else "Vård och omsorg", f"F{i}", f"V{i}", f"Faktura {i}", amount))
        con.executemany("""INSERT INTO ledger_lines (batch_id, source_row, booking_date, period_month, period_grain,
                               supplier_name, supplier_name_norm, supplier_key, org_no_raw, org_no, org_no_status,
                               legal_form, account, account_text, org_unit, invoice_no, voucher_no, description, amount)
                           VALUES (1, ?, ?::DATE, ?::DATE, 'day', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
        con.execute("UPDATE batches SET total = (SELECT sum(amount) FROM ledger_lines)")
        kept["lines"] = con.execute("SELECT count(*), sum(amount) FROM ledger_lines").fetchall()[0]
    if version >= 2:
        con.execute("""INSERT INTO import_profiles VALUES ('Ekonomisystemet', '{"supplier": "Leverantör"}', '{}',
                       now()::TIMESTAMP, now()::TIMESTAMP)""")
    if version >= 4:
        food = con.execute("SELECT category_id FROM categories WHERE name = 'Livsmedel'").fetchall()[0][0]
        cols = "kind, category_id, org_no, active, note, created_at, created_by, updated_at"
        con.execute(f"""INSERT INTO class_rules ({cols}) VALUES ('supplier', ?, '{ALFA}', true, 'egen regel',
                        now()::TIMESTAMP, 'Anna', now()::TIMESTAMP)""", [food])
        kept["own_rule"] = ("supplier", ALFA, "egen regel")
    if version >= 5:
        con.execute("""INSERT INTO initiatives (name, feasibility_low, feasibility_high, potential, saving_sek, start_quarter,
                           status, created_at, created_by, updated_at, updated_by)
                       VALUES ('Samordnad livsmedelsupphandling', 3, 4, 5, 200000, '2025 Q1', 'idea',
                               now()::TIMESTAMP, 'Anna', now()::TIMESTAMP, 'Anna')""")
    if version >= 6:
        con.execute("INSERT INTO index_values VALUES ('KPI', '2024 Q4', 412.5)")
    if version >= 7:
        con.execute("""INSERT INTO deviations (supplier_key, supplier_name, org_no, occurred, description, severity, step,
                           status, created_at, created_by, updated_at)
                       VALUES (?, 'Firma Anna Berg', '800512-****', DATE '2024-06-01', 'Sen leverans', 'medium', 1,
                               'open', now()::TIMESTAMP, 'Anna', now()::TIMESTAMP)""", [sole_key])
    if version >= 12:
        con.execute("""INSERT INTO users VALUES ('anna@kommun.se', 'Anna', 'admin', now()::TIMESTAMP, 'Spendkollen', NULL)""")
    return kept


def _schema(con) -> dict:
    return {t: con.execute("""SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
                              WHERE table_name = ? ORDER BY ordinal_position""", [t]).fetchall()
            for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()}


def _seeds(con) -> dict:
    return {
        "steps": con.execute("SELECT * FROM escalation_steps ORDER BY step").fetchall(),
        "thresholds": con.execute("SELECT * FROM thresholds ORDER BY ALL").fetchall(),
        "tree": con.execute("""SELECT c.level, c.name, p.name, c.code FROM categories c
                               LEFT JOIN categories p ON p.category_id = c.parent_id ORDER BY ALL""").fetchall(),
        "shipped": con.execute("""SELECT r.kind, c.name, r.account_from, r.account_to, r.keyword, r.legal_form, r.match_on,
                                         r.preset, r.note FROM class_rules r LEFT JOIN categories c USING (category_id)
                                  WHERE r.created_by = 'Spendkollen' ORDER BY ALL""").fetchall(),
    }


@pytest.fixture(scope="module")
def new_store(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("new") / "new.duckdb")
    yield con
    con.close()


@pytest.mark.parametrize("version", range(0, SCHEMA_VERSION))
def test_upgrade_from_every_version(tmp_path, new_store, version):
    path = tmp_path / f"v{version}.duckdb"
    con = connect(path, upto=version)
    assert schema_version(con) == version
    kept = _write_as_version(con, version)
    con.close()

    con = connect(path)
    assert schema_version(con) == SCHEMA_VERSION
    assert [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()] == \
        list(range(1, SCHEMA_VERSION + 1))
    assert _schema(con) == _schema(new_store)
    seeds, fresh = _seeds(con), _seeds(new_store)
    for part in ("steps", "thresholds", "tree", "shipped"):
        assert seeds[part] == fresh[part], part
    assert con.execute("SELECT count(*) FROM derived_stale").fetchall()[0][0] == 0
    # nothing the old program wrote is lost
    if "lines" in kept:
        assert con.execute("SELECT count(*), sum(amount) FROM ledger_lines").fetchall()[0] == kept["lines"]
        assert con.execute("SELECT sum(spend), sum(lines) FROM cube_facts").fetchall()[0] == (kept["lines"][1], kept["lines"][0])
    if "own_rule" in kept:
        assert con.execute("SELECT kind, org_no, note FROM class_rules WHERE created_by = 'Anna'").fetchall() == [kept["own_rule"]]
    # derived data is what today's engine computes from the upgraded lines, rules and tree
    before = derived_state(con)
    with transaction(con):
        derived.rebuild(con)
    assert derived_state(con) == before
    if version >= 1:
        assert before["suppliers"] and before["cube_facts"]
        # the sole trader is keyed with the store's secrets (migration 11), in lines, suppliers and deviations
        keyed = con.execute("SELECT 'pnr:' || substr(spk_pnr_hash(?), 1, 16)", [SOLE_DIGITS]).fetchall()[0][0]
        assert {r[0] for r in con.execute("SELECT supplier_key FROM ledger_lines WHERE legal_form = 'sole_trader'")
                .fetchall()} == {keyed} != {OLD_SOLE_KEY}
        assert con.execute("SELECT count(*) FROM suppliers WHERE supplier_key = ?", [keyed]).fetchall()[0][0] == 1
        steps = dict(con.execute("""SELECT r.kind, count(*) FROM ledger_lines l JOIN class_rules r USING (rule_id)
                                    GROUP BY 1""").fetchall())
        assert steps.get("exclude") and steps.get("account")   # the Kommun-Bas defaults exclude class 5 and VAT, classify the rest
    if version >= 7:
        assert con.execute("SELECT supplier_key FROM deviations").fetchall() == [(keyed,)]
    con.close()


def test_a_failed_rebuild_leaves_the_file_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "v7.duckdb"
    con = connect(path, upto=7)
    _write_as_version(con, 7)
    con.close()

    def broken(cur):
        cur.execute("DELETE FROM ledger_lines")          # written, then the step fails: must roll back
        raise RuntimeError("disk full")
    monkeypatch.setattr(store, "_rebuild", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        connect(path)
    monkeypatch.undo()
    con = duckdb.connect(str(path))
    assert schema_version(con) == SCHEMA_VERSION - 1          # migrations 8-11 committed, 12 rolled back with the rebuild
    assert con.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0] == 350
    assert con.execute("SELECT count(*) FROM derived_stale").fetchall()[0][0] >= 1    # still to do
    con.close()
    con = connect(path)                                      # the next start finishes the upgrade
    assert schema_version(con) == SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM derived_stale").fetchall()[0][0] == 0
    assert con.execute("SELECT sum(lines) FROM cube_facts").fetchall()[0][0] == 350
    con.close()


def test_seed_files_are_frozen():
    """A released migration's seed file never changes: a new default is a new migration with its
    own file."""
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in migrations.SEEDS.iterdir()}
    assert on_disk == migrations.SEED_SHA256


def test_migrations_are_sql_and_frozen_steps():
    """Every step is SQL text, REBUILD, or a function of this module (which imports no domain
    code; the import contract keeps it so)."""
    for version, steps in enumerate(migrations.MIGRATIONS, start=1):
        for step in steps:
            assert isinstance(step, str) or step is migrations.REBUILD or step.__module__ == "analytics.migrations", \
                (version, step)


def test_the_rebuild_runs_once_per_upgrade(tmp_path, monkeypatch):
    calls = []
    real = store._rebuild
    monkeypatch.setattr(store, "_rebuild", lambda cur: (calls.append(1), real(cur)))
    con = connect(tmp_path / "new.duckdb")     # migrations 3, 4 and 8 each ask for it: one rebuild
    assert calls == [1]
    con.close()
    con = connect(tmp_path / "new.duckdb")     # nothing to upgrade: none
    assert calls == [1]
    assert schema_version(con) == SCHEMA_VERSION
    con.close()
