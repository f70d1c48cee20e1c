"""Store migrations, load semantics (replace/add, undo), command line, formatting, catalogs, purity."""

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from analytics.ingest import commit_upload, delete_batches, load_files, plan_upload
from analytics.ledger import summary
from analytics.sql import quote_literal
from analytics.store import SCHEMA_VERSION, connect, schema_version
from ui import format as fmt
from ui.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
Q1 = "Leverantör;Belopp;Datum\nA AB;100,00;2024-01-10\nB AB;50,00;2024-02-10\n".encode()
Q1_AGAIN = "Leverantör;Belopp;Datum\nC AB;7,00;2024-02-11\n".encode()


def test_old_database_upgrades_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path, upto=1)
    cur = con.cursor()
    assert schema_version(cur) == 1
    assert not cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'import_profiles'").fetchall()[0][0]
    # what a version-1 program wrote (today's loader needs the newer schema, so write the rows as v1 did)
    cur.execute("""INSERT INTO batches (upload_id, file_name, sha256, uploaded_at, uploaded_by, rows, total, currency, status)
                   VALUES ('u', 'q1.csv', 'x', now()::TIMESTAMP, 't', 2, 150, 'SEK', 'loaded')""")
    cur.execute("""INSERT INTO ledger_lines (batch_id, source_row, period_month, period_grain, supplier_name, supplier_key,
                       org_no_status, account, amount)
                   VALUES (1, 2, DATE '2024-01-01', 'day', 'A AB', 'name:A', 'missing', '64410', 100),
                          (1, 3, DATE '2024-02-01', 'day', 'B AB', 'name:B', 'missing', NULL, 50)""")
    con.close()
    con = connect(path)
    cur = con.cursor()
    assert schema_version(cur) == SCHEMA_VERSION == 20
    assert summary(cur)["lines"] == 2 and summary(cur)["total"] == 150.0
    assert cur.execute("SELECT count(*) FROM import_profiles").fetchall()[0][0] == 0
    assert [r[0] for r in cur.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()] == list(range(1, 21))
    assert cur.execute("SELECT count(*) FROM users").fetchall()[0][0] == 0      # v12: nobody has signed in yet
    # v3's account map became account rules in v4; v8 replaced those demo-only defaults by the
    # Kommun-Bas defaults (the 64 group rule), classified the old lines and built the cube
    assert cur.execute("SELECT count(*) FROM class_rules WHERE kind = 'account' AND account_from = '64410'").fetchall()[0][0] == 0
    assert cur.execute("""SELECT r.kind, l.excluded, r.account_from, r.preset FROM ledger_lines l
                          JOIN class_rules r USING (rule_id) WHERE l.account = '64410'""").fetchall() == [
        ("account", False, "64", "kommunbas")]
    assert cur.execute("SELECT sum(spend), count(*) FILTER (WHERE cat_l1 > 0) FROM cube_facts").fetchall()[0] == (150, 1)
    # v13: the aggregates built, each line numbered with its supplier
    for table in ("cube_common", "cube_units", "cube_suppliers", "cube_supplier_accounts"):     # v20: + by account
        assert cur.execute(f"SELECT sum(spend), sum(lines) FROM {table}").fetchall()[0] == (150, 2), table
    assert cur.execute("""SELECT count(*) FROM ledger_lines l JOIN suppliers s USING (supplier_key)
                          WHERE l.supplier_no = s.supplier_no""").fetchall()[0][0] == 2
    load_files(cur, [("q1.csv", Q1_AGAIN)])
    assert summary(cur)["lines"] == 3


def test_migration_11_keys_sole_traders_with_the_stores_secrets(tmp_path):
    """A store written before migration 11 (unsalted sha256 keys, birth dates shown): after the
    upgrade the keys are keyed hashes with this store's secrets, the tag replaces the birth
    date, an upload of the same person gets the same key and tag, and another store gets other
    keys for the same person."""
    import hashlib

    from tests.crafted import SOLE
    from tests.crafted import cube_ledger as ledger
    digits = SOLE.replace("-", "")[2:]
    old_key = "pnr:" + hashlib.sha256(digits.encode()).hexdigest()[:16]
    path = tmp_path / "v10.duckdb"
    con = connect(path, upto=10)
    con.execute("""INSERT INTO batches (upload_id, file_name, sha256, uploaded_at, uploaded_by, rows, total, currency, status)
                   VALUES ('u', 'q1.csv', 'x', now()::TIMESTAMP, 't', 1, 80, 'SEK', 'loaded')""")
    con.execute("""INSERT INTO ledger_lines (batch_id, source_row, period_month, period_grain, supplier_name, supplier_key,
                       org_no, org_no_raw, org_no_status, legal_form, account, amount, description)
                   VALUES (1, 2, DATE '2024-03-01', 'day', 'Firma Anna Berg', ?, '800512-****', '800512-****',
                           'personal', 'sole_trader', '64510', 80, 'Faktura till 800512-****')""", [old_key])
    con.execute("""INSERT INTO suppliers VALUES (?, 'Firma Anna Berg', '800512-****', 'personal', 'sole_trader',
                   ['Firma Anna Berg'], 1, 80, DATE '2024-03-01', DATE '2024-03-01'
                   {extra})""".replace("{extra}", ", 1" if "supplier_no" in {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'suppliers'").fetchall()} else ""),
                [old_key])
    con.close()
    con = connect(path)
    rows = con.execute("SELECT supplier_key, org_no, org_no_raw, description FROM ledger_lines").fetchall()
    (key, tag, raw, text), = rows
    assert key.startswith("pnr:") and len(key) == 20 and key != old_key
    assert re.fullmatch(r"#[0-9A-F]{6}", tag) and tag[1:] == key[4:10].upper()
    assert raw == "******-****" and text == "Faktura till ******-****"
    assert con.execute("SELECT supplier_key, org_no FROM suppliers").fetchall() == [(key, tag)]
    dump = " ".join(str(v) for r in con.execute("SELECT * FROM ledger_lines").fetchall() for v in r)
    assert "800512" not in dump and digits not in dump
    # a new upload of the same person: the same key and tag, no birth date
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    assert set(con.execute("SELECT DISTINCT supplier_key, org_no FROM ledger_lines WHERE legal_form = 'sole_trader'"
                           ).fetchall()) == {(key, tag)}
    con.close()
    # another store: its own secrets, another key for the same person
    other = connect(tmp_path / "other.duckdb")
    load_files(other.cursor(), [("reskontra.csv", ledger())])
    (other_key,), = other.execute("SELECT DISTINCT supplier_key FROM ledger_lines WHERE legal_form = 'sole_trader'"
                                  ).fetchall()
    assert other_key != key and other_key != old_key


def test_migration_9_masks_personnummer_in_stored_reports(tmp_path):
    path = tmp_path / "v8.duckdb"
    con = connect(path, upto=8)
    report = {"file": "a.csv", "samples": [
        {"kind": "junk_amount", "row": 4, "amount": "x", "supplier": "Anna Berg 19811228-9874"},
        {"kind": "junk_cells", "row": 9, "text": "Per Ek;8112289874;1;2;3"}], "warnings": []}
    con.execute("""INSERT INTO batches (upload_id, file_name, sha256, uploaded_at, uploaded_by, rows, total, currency,
                   status, report) VALUES ('u', 'a.csv', 'x', now()::TIMESTAMP, 't', 0, 0, 'SEK', 'loaded', ?)""",
                [json.dumps(report)])
    con.close()
    con = connect(path)
    stored = json.loads(con.execute("SELECT report FROM batches").fetchall()[0][0])
    assert [s.get("supplier", s.get("text")) for s in stored["samples"]] == ["Anna Berg ******-****",
                                                                            "Per Ek;******-****;1;2;3"]
    assert "9874" not in json.dumps(stored)
    assert con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'ledger_lines' "
                       "AND column_name IN ('amount_orig', 'currency_orig', 'fx_rate')").fetchall()[0][0] == 3


def test_newer_database_is_refused(tmp_path):
    con = connect(tmp_path / "new.duckdb")
    con.execute("INSERT INTO schema_version VALUES (99, now()::TIMESTAMP)")
    con.close()
    with pytest.raises(RuntimeError, match="newer Spendkollen"):
        connect(tmp_path / "new.duckdb")


def test_overlapping_period_add_or_replace(store):
    load_files(store, [("q1.csv", Q1)])
    plan = plan_upload(store, [("feb.csv", Q1_AGAIN)])
    assert [o["file_name"] for o in plan.overlap] == ["q1.csv"]
    commit_upload(store, plan)                      # add
    assert summary(store)["total"] == 157.0
    load_files(store, [("feb-fixed.csv", "Leverantör;Belopp;Datum\nD AB;1,00;2024-02-20\n".encode())], replace_period=True)
    s = summary(store)
    assert s["total"] == 101.0 and s["lines"] == 2   # January kept, February replaced
    statuses = dict(store.execute("SELECT file_name, status FROM batches").fetchall())
    assert statuses == {"q1.csv": "loaded", "feb.csv": "replaced", "feb-fixed.csv": "loaded"}


def test_undo_upload_and_audit_log(store):
    plan = load_files(store, [("q1.csv", Q1)], user="anna")
    removed = delete_batches(store, plan.batch_ids, user="erik")
    assert removed == 2 and summary(store)["lines"] == 0 and summary(store)["suppliers"] == 0
    log = store.execute("SELECT actor, action FROM audit_log ORDER BY audit_id").fetchall()
    assert log == [("anna", "upload"), ("erik", "delete_upload")]
    load_files(store, [("q1.csv", Q1)])             # loadable again after undo
    assert summary(store)["lines"] == 2


def test_import_profile_applies_next_quarter(store):
    from analytics.ingest import save_profile
    save_profile(store, "Raindance", {"supplier_name": "Motpart X", "amount": "Summa kr", "date": "Dag"})
    text = b"Motpart X;Summa kr;Dag;Belopp\nA AB;10;2024-01-01;999\n"
    load_files(store, [("q.csv", text)], profile="Raindance")
    assert summary(store)["total"] == 10.0


def run_cli(*args, db):
    return subprocess.run([sys.executable, "-m", "analytics", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_import_summary_and_refusal(tmp_path):
    db = tmp_path / "cli.duckdb"
    f = tmp_path / "lev-2024-01.csv"
    f.write_bytes("Leverantör;Organisationsnummer;Konto;Belopp;Förvaltning\nA AB;556036-0793;64110 Bygg;1 000,50;Skola\n"
                  "B AB;SAKNAS;64210;-0,50;Vård\n".encode("cp1252"))
    r = run_cli("import", str(f), db=db)
    assert r.returncode == 0, r.stderr
    assert "2 lines" in r.stdout and "1000.00" in r.stdout
    s = json.loads(run_cli("summary", "--json", db=db).stdout)
    assert s == {"lines": 2, "total": 1000.0, "suppliers": 2, "org_units": 2, "accounts": 2, "first_date": None,
                 "last_date": None, "periods": ["2024-01"], "batches": 1, "excluded_rows": 0}
    again = run_cli("import", str(f), db=db)
    assert again.returncode == 2 and "already loaded" in again.stderr
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    r = run_cli("import", str(bad), db=db)
    assert r.returncode == 2 and "bad.csv" in r.stderr and "Traceback" not in r.stderr
    assert json.loads(run_cli("summary", "--json", db=db).stdout) == s


def test_cli_period_and_replace(tmp_path):
    db = tmp_path / "cli.duckdb"
    f = tmp_path / "export.csv"
    f.write_text("Leverantör;Belopp\nA AB;5\n", encoding="utf-8")
    assert run_cli("import", str(f), db=db).returncode == 2
    assert run_cli("import", str(f), "--period", "2023-Q4", db=db).returncode == 0
    g = tmp_path / "export2.csv"
    g.write_text("Leverantör;Belopp\nB AB;7\n", encoding="utf-8")
    assert run_cli("import", str(g), "--period", "2023-Q4", "--replace-period", db=db).returncode == 0
    s = json.loads(run_cli("summary", "--json", db=db).stdout)
    assert (s["lines"], s["total"], s["periods"]) == (1, 7.0, ["2023-10"])


def test_cli_mapping_decimal_rates_and_dates(tmp_path):
    db = tmp_path / "cli.duckdb"
    f = tmp_path / "egen.csv"
    f.write_text("Vem;Hur mycket;Valuta;När\nA AB;1.234;SEK;2024-01-10\nB AB;10;EUR;2024-01-11\nC AB;3;SEK;1989-12-31\n",
                 encoding="utf-8")
    r = run_cli("import", str(f), db=db)
    assert r.returncode == 2 and "--map amount=" in r.stderr            # no dead end: says how to choose
    mapping = ["--map", "supplier_name=Vem", "--map", "amount=Hur mycket", "--map", "currency=Valuta", "--map", "date=När"]
    r = run_cli("import", str(f), *mapping, db=db)
    assert r.returncode == 2 and "--decimal" in r.stderr, r.stderr
    r = run_cli("import", str(f), *mapping, "--decimal", ",", db=db)
    assert r.returncode == 2 and "--allow-dates-outside" in r.stderr, r.stderr
    r = run_cli("import", str(f), *mapping, "--decimal", ",", "--allow-dates-outside", db=db)
    assert r.returncode == 2 and "--rate EUR=" in r.stderr, r.stderr
    r = run_cli("import", str(f), *mapping, "--decimal", ",", "--rate", "EUR=11,5", "--allow-dates-outside", db=db)
    assert r.returncode == 0, r.stderr
    assert "were converted to" in r.stderr and "were loaded after confirmation" in r.stderr   # the catalog's English
    assert json.loads(run_cli("summary", "--json", db=db).stdout)["total"] == 1234 + 115 + 3
    assert run_cli("import", str(f), "--map", "belopp", db=db).returncode == 2


def test_demo_data(tmp_path):
    from analytics.demo import demo_table, load_demo, remove_demo
    a, b = demo_table(2000), demo_table(2000)
    assert a.table.equals(b.table)                  # deterministic
    con = connect(tmp_path / "demo.duckdb")
    cur = con.cursor()
    n = load_demo(cur)
    s = summary(cur)
    assert n == s["lines"] == 300_000
    assert len(s["periods"]) == 36 and 15 <= s["org_units"] <= 30 and 2000 <= s["suppliers"] <= 5000
    forms = dict(cur.execute("SELECT legal_form, count(DISTINCT supplier_key) FROM ledger_lines GROUP BY 1").fetchall())
    assert forms["sole_trader"] >= 3 and forms["public"] >= 3
    assert cur.execute("SELECT count(*) FROM ledger_lines WHERE amount < 0").fetchall()[0][0] > 1000
    assert cur.execute("SELECT count(*) FROM ledger_lines WHERE org_no_status NOT IN ('valid', 'personal')").fetchall()[0][0] == 0
    assert remove_demo(cur) == 300_000 and summary(cur)["lines"] == 0


@pytest.mark.parametrize("value,expected", [("a", "'a'"), ("N/A", "'N/A'"), ("O'Brien; DROP", "'O''Brien; DROP'")])
def test_quote_literal(value, expected):
    assert quote_literal(value) == expected
    assert duckdb.connect().execute(f"SELECT {quote_literal(value)}").fetchall()[0][0] == value


def test_quote_literal_rejects_nul():
    with pytest.raises(ValueError):
        quote_literal("a\x00b")


def test_swedish_and_english_formats():
    nb = "\u00a0"
    assert fmt.money(1234567) == f"1{nb}234{nb}567 kr"
    assert fmt.msek(114.9e6) == "114,9 MSEK"
    assert fmt.percent(7.4 / 114.9) == "6,4 %"
    assert fmt.quarter("2021-04-01") == "2021 Q2"
    assert fmt.money(1234567, "en") == "SEK 1,234,567"
    assert fmt.percent(7.4 / 114.9, "en") == "6.4%"


def test_catalogs_have_the_same_keys_and_placeholders():
    sv, en = catalog("sv"), catalog("en")
    assert set(sv) == set(en)
    for key in sv:
        assert set(re.findall(r"{(\w+)}", sv[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_used_key_is_in_the_catalog():
    used = set()
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(catalog("sv"))


def test_core_never_imports_streamlit():
    for path in [*ROOT.glob("analytics/**/*.py"), *ROOT.glob("ui/charts/*.py"), ROOT / "ui" / "format.py"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import streamlit|from streamlit)", text, re.MULTILINE), path


def test_the_server_listens_on_this_machine_unless_told_otherwise(monkeypatch):
    from ui.serve import local_address
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    assert local_address(["--server.port", "8501"]) == ["--server.address", "127.0.0.1", "--server.port", "8501"]
    assert local_address(["--server.address", "0.0.0.0"]) == ["--server.address", "0.0.0.0"]
    assert local_address(["--server.address=10.0.0.5"]) == ["--server.address=10.0.0.5"]
    monkeypatch.setenv("STREAMLIT_SERVER_ADDRESS", "0.0.0.0")
    assert local_address([]) == []


def test_ten_sessions_saving_at_the_same_moment_lose_nothing(tmp_path):
    """Ten sessions of one server (threads on cursors of the server's one connection) add a
    rule and log a deviation at the same moment: every change is there afterwards, and readers
    in between never see an error. Without the write lock DuckDB rolls most of them back."""
    import threading

    from analytics import classify
    from analytics import watchlist as wl
    from analytics.store import serialised
    from tests.crafted import cube_ledger as ledger
    con = serialised(connect(tmp_path / "many.duckdb"))
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    food = con.execute("SELECT category_id FROM categories WHERE name = 'Livsmedel'").fetchall()[0][0]
    start = threading.Barrier(10)
    errors: list[BaseException] = []

    def session(n: int) -> None:
        cur = con.cursor()
        try:
            start.wait()
            classify.add_rules(cur, [classify.Rule("keyword", food, keyword=f"ord{n}")])
            summary(cur)                                  # a reader between the writes
            wl.add(cur, "Alfa AB", f"Avvikelse {n}")
        except BaseException as exc:  # noqa: BLE001  (every failure is reported below)
            errors.append(exc)
    threads = [threading.Thread(target=session, args=(n,)) for n in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert errors == []
    keywords = {r[0] for r in con.execute("SELECT keyword FROM class_rules WHERE kind = 'keyword'").fetchall()}
    assert {f"ord{n}" for n in range(10)} <= keywords
    assert con.execute("SELECT count(*) FROM deviations WHERE description LIKE 'Avvikelse %'").fetchall()[0][0] == 10


def test_cli_refuses_a_busy_store_or_waits_for_it(tmp_path, capsys):
    """While another process (the dashboard, another import) has the store open, every command
    exits 2 with who holds it, instead of DuckDB's traceback (--wait 0: at once); with --wait it
    waits and runs."""
    from analytics.__main__ import main as cli
    from tests.crafted import cube_ledger as ledger
    db = tmp_path / "busy.duckdb"
    (tmp_path / "r.csv").write_bytes(ledger())
    connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute('BEGIN TRANSACTION'); "
        "c.execute('UPDATE schema_version SET applied_at = applied_at'); print('holding', flush=True); "
        "time.sleep(float(sys.argv[2])); c.execute('COMMIT'); c.close()"), str(db), "4"],
        stdout=subprocess.PIPE, text=True)   # a long write in another process
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert cli(["import", str(tmp_path / "r.csv"), "--db", str(db), "--wait", "0"]) == 2
        err = capsys.readouterr().err
        assert "spendkollen: refused. The store" in err and "is in use by python" in err and "PID" in err
        assert "--wait SECONDS" in err and "Traceback" not in err
        # the holder lets go after a few seconds; --wait runs the import then
        assert cli(["import", str(tmp_path / "r.csv"), "--db", str(db), "--wait", "60"]) == 0
    finally:
        holder.wait(timeout=60)
    capsys.readouterr()
    assert cli(["summary", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lines"] == 7


def test_backup_copies_the_whole_store_checked(tmp_path, capsys):
    """`backup DEST` copies the store (lines, audit, the sole-trader secrets) into one checked
    file; the copy opens as a store and keys a person the same way; a missing store or the
    store itself as the target is refused without a traceback."""
    from analytics.__main__ import main as cli
    from tests.crafted import cube_ledger as ledger
    db = tmp_path / "live.duckdb"
    (tmp_path / "r.csv").write_bytes(ledger())
    assert cli(["import", str(tmp_path / "r.csv"), "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli(["backup", str(tmp_path / "kopia" / "spendkollen.duckdb"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "backed up the store to" in out and "7 lines" in out
    live, copy = connect(db), connect(tmp_path / "kopia" / "spendkollen.duckdb")
    try:
        for q in ("SELECT count(*), sum(amount) FROM ledger_lines", "SELECT count(*) FROM audit_log",
                  "SELECT spk_pnr_hash('198005121234')"):
            assert live.execute(q).fetchall() == copy.execute(q).fetchall()
    finally:
        live.close()
        copy.close()
    assert not list((tmp_path / "kopia").glob("*.part"))
    assert cli(["backup", str(db), "--db", str(db)]) == 2
    assert "overwrite the store itself" in capsys.readouterr().err
    assert cli(["backup", str(tmp_path / "x.duckdb"), "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "there is no store" in capsys.readouterr().err


def test_transactions_nest_into_one(store):
    """store.transaction: a block inside another on the same cursor joins it: nothing is kept
    when the outer one fails, everything when it ends."""
    from analytics.store import transaction
    store.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ValueError):
        with transaction(store):
            with transaction(store):
                store.execute("INSERT INTO t VALUES (1)")
            raise ValueError("the outer step fails")
    assert store.execute("SELECT count(*) FROM t").fetchall()[0][0] == 0
    with transaction(store):
        with transaction(store):
            store.execute("INSERT INTO t VALUES (2)")
        store.execute("INSERT INTO t VALUES (3)")
    assert store.execute("SELECT sum(x) FROM t").fetchall()[0][0] == 5


def test_an_upload_that_fails_leaves_the_demo(store):
    """The upload page removes the demo and commits the upload in one transaction: when the
    commit is refused (here: someone loaded the same file a moment before), the demo's lines,
    initiatives and deviations are all still there."""
    from analytics import prioritise as pr
    from analytics.demo import load_demo, remove_demo
    from analytics.ingest import IngestError, load_files
    from analytics.ingest.load import commit_upload, plan_upload
    from analytics.store import transaction
    from tests.crafted import cube_ledger as ledger
    from tests.crafted import snapshot
    load_demo(store, lines=3000)
    before = snapshot(store), len(pr.load(store)), store.execute(
        "SELECT count(*) FROM deviations WHERE status = 'open'").fetchall()[0][0]
    plan = plan_upload(store, [("reskontra.csv", ledger())])
    load_files(store, [("reskontra.csv", ledger())])           # another session, a moment before
    mid = snapshot(store)
    with pytest.raises(IngestError) as exc:
        with transaction(store):
            remove_demo(store)
            commit_upload(store, plan)
    assert exc.value.code == "already_loaded"
    assert snapshot(store) == mid
    assert len(pr.load(store)) == before[1] and before[1] == 6
    assert store.execute("SELECT count(*) FROM deviations WHERE status = 'open'").fetchall()[0][0] == before[2] > 0
    assert store.execute("SELECT count(*) FROM batches WHERE is_demo AND status = 'loaded'").fetchall()[0][0] == 1


@given(hst.one_of(hst.floats(allow_nan=False, allow_infinity=False, min_value=-1e16, max_value=1e16),
                  hst.integers(min_value=-10 ** 15, max_value=10 ** 15),
                  hst.sampled_from([0.5, 1.5, 2.5, -0.4, -0.0, 2.675, 1.005, 999.995, 1e-7, 123456789.125])),
       hst.sampled_from(["sv", "en", "de"]), hst.integers(min_value=0, max_value=3))
@settings(max_examples=600, deadline=None)
def test_the_fast_number_format_writes_what_babel_writes(value, lang, decimals):
    """number() writes the locale's figures without babel's pattern code; the text is babel's
    own for every value (halves to even on the decimal text, the minus sign, grouping)."""
    from babel.numbers import format_decimal

    from analytics import format as af
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    assert af.number(value, lang, decimals) == format_decimal(value, format=pattern, locale=af._loc(lang))
