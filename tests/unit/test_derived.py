"""Derived data refreshed by what a change touches equals a full rebuild: uploads of new months,
an upload replacing a month, an undo, a supplier who disappears and a sole trader, on ledgers in
the real shape."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from analytics import derived
from analytics.ingest import delete_batches, load_files
from tests.crafted import DERIVED_TABLES as TABLES
from tests.crafted import SOLE, csv_bytes
from tests.crafted import derived_state as state
from tests.ledgers import ledger_bytes


def assert_as_rebuilt(cur) -> None:
    """The incrementally kept tables are exactly what a full rebuild makes of the same lines."""
    kept = state(cur)
    cur.execute("BEGIN TRANSACTION")
    try:
        derived.rebuild(cur)
        rebuilt = state(cur)
    finally:
        cur.execute("ROLLBACK")
    for table in TABLES:
        assert kept[table] == rebuilt[table], table
    # and every aggregate adds up to the lines
    lines = cur.execute("SELECT sum(amount), count(*) FROM ledger_lines").fetchall()[0]
    for table in ("cube_facts", "cube_rollup", "cube_units", "cube_common", "cube_suppliers", "cube_supplier_accounts"):
        assert cur.execute(f"SELECT sum(spend), sum(lines) FROM {table}").fetchall()[0] == lines, table


ODD = ("Leverantör;Organisationsnummer;Konto;Kontotext;Belopp;Bokföringsdatum\n"
       f"Firma Anna Berg;{SOLE};64510;Förbrukningsmaterial;80,00;2025-01-03\n"
       "Engångs AB;;64410;Kontorsmaterial;12,00;2025-01-04\n")


def test_uploads_replacements_and_undo_keep_the_derived_data_of_a_full_rebuild(store):
    months = ["2025-01", "2025-02", "2025-03"]
    for n, m in enumerate(months):
        load_files(store, [(f"reskontra_{m}.csv", ledger_bytes(1500, month=m, seed=n))])
        assert_as_rebuilt(store)
    odd = load_files(store, [("udda.csv", csv_bytes(ODD, "cp1252"))]).batch_ids
    assert_as_rebuilt(store)
    # February again, with other lines: the old February goes, other months stay
    load_files(store, [("reskontra_2025-02_ny.csv", ledger_bytes(900, month="2025-02", seed=11))], replace_period=True)
    assert_as_rebuilt(store)
    # undo the odd file: its two suppliers leave the register, January's cube loses them
    n_before = store.execute("SELECT count(*) FROM suppliers").fetchall()[0][0]
    delete_batches(store, odd)
    assert store.execute("SELECT count(*) FROM suppliers").fetchall()[0][0] == n_before - 2
    assert_as_rebuilt(store)


def test_suppliers_keep_their_numbers(store):
    load_files(store, [("jan.csv", ledger_bytes(800, month="2025-01", seed=1))])
    before = dict(store.execute("SELECT supplier_key, supplier_no FROM suppliers").fetchall())
    load_files(store, [("udda.csv", csv_bytes(ODD, "cp1252"))])
    after = dict(store.execute("SELECT supplier_key, supplier_no FROM suppliers").fetchall())
    assert {k: after[k] for k in before} == before                       # the cube's references hold
    new = sorted(after[k] for k in after if k not in before)
    assert new == [max(before.values()) + 1, max(before.values()) + 2]


def test_an_upload_refreshes_only_what_it_touches(store, monkeypatch):
    """The months, suppliers and accounts of the new lines are what the refresh is given."""
    load_files(store, [("jan.csv", ledger_bytes(800, month="2025-01", seed=1))])
    seen = []
    real = derived._facts
    monkeypatch.setattr(derived, "_facts", lambda cur, months, changed: (seen.append((months, changed)),
                                                                          real(cur, months, changed)))
    load_files(store, [("mar.csv", ledger_bytes(300, month="2025-03", seed=2))])
    (months, changed), = seen
    assert [str(m) for m in months] == ["2025-03-01"] and changed == []
    jan = store.execute("SELECT count(*) FROM cube_rollup WHERE period_month = DATE '2025-01-01'").fetchall()[0][0]
    assert jan > 0


@pytest.mark.parametrize("where", ["batch_id = 1", "period_month = DATE '2025-01-01'"])
def test_touched_names_the_lines_months_suppliers_and_accounts(store, where):
    load_files(store, [("jan.csv", ledger_bytes(200, month="2025-01", seed=1))])
    t = derived.touched(store, where, [])
    assert [str(m) for m in t.months] == ["2025-01-01"]
    assert t.suppliers == {r[0] for r in store.execute("SELECT DISTINCT supplier_key FROM ledger_lines").fetchall()}
    assert t.accounts == {r[0] for r in store.execute("SELECT DISTINCT account FROM ledger_lines").fetchall()}
    assert (derived.Touched({1}) | derived.Touched(set(), {"k"})) == derived.Touched({1}, {"k"}, set())


# ------------------------------------------------------------ rule and tree changes

def _leaf(cur, *path):
    from analytics.categories import node_for_path
    return node_for_path(cur, path, {}, create=False)


@pytest.mark.parametrize("with_contracts", [False, True], ids=["no_register", "register"])
def test_rule_and_tree_changes_refresh_only_their_lines_and_equal_a_full_pass(store, monkeypatch, with_contracts):
    """Every kind of change the pages make, one after another on a real-shape ledger with a CPV
    code and a sole trader, with and without a contract register (whose contracts by category
    follow the lines' classification); after each, the derived tables are exactly what a full
    pass makes, and the full pass itself was not what ran."""
    from analytics import classify, contracts, tree
    from analytics.classify import Rule
    load_files(store, [("reskontra_2025-01.csv", ledger_bytes(1200, month="2025-01", seed=3)),
                       ("udda.csv", csv_bytes(ODD + "Cpv AB;;99998;Diverse;400,00;2025-01-05\n", "cp1252"))])
    full_passes = []
    real = derived.rules_changed
    monkeypatch.setattr(derived, "rules_changed", lambda cur: (full_passes.append(1), real(cur)))
    joined_by = []        # the key columns each reclassification joined its outcome by
    deciding = derived._deciding_keys
    monkeypatch.setattr(derived, "_deciding_keys", lambda cur: joined_by.append(deciding(cur)) or joined_by[-1])
    food = _leaf(store, "Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel")
    office = _leaf(store, "Organisation", "Kontor")
    big_org = store.execute("""SELECT org_no FROM suppliers WHERE org_no_status = 'valid' AND supplier_key IN
                                   (SELECT supplier_key FROM ledger_lines WHERE NOT excluded AND account LIKE '64%')
                               ORDER BY total DESC LIMIT 1""").fetchall()[0][0]
    if with_contracts:
        contracts.import_register(store, "avtal.csv", (
            "Avtalsnummer;Avtalsnamn;Leverantör;Organisationsnummer;Kategori;Startdatum;Slutdatum\n"
            f"L-1;Livsmedel;Stor AB;{big_org};Verksamhet & stöd / Måltider och livsmedel / Livsmedel;2024-01-01;2026-12-31\n"
            f"K-1;Kontor;Stor AB;{big_org};Organisation / Kontor;2024-01-01;2026-12-31\n"
            "E-1;Engångs;Engångs AB;;;2024-01-01;\n").encode("utf-8"))
        assert store.execute("SELECT count(*) FROM ledger_lines WHERE contract_id IS NOT NULL").fetchall()[0][0]
    steps = [
        lambda: classify.set_preset(store, "public", False),
        lambda: classify.set_preset(store, "public", True),
        lambda: classify.add_rules(store, [Rule("supplier", food, org_no=big_org)]),
        lambda: classify.add_rules(store, [Rule("supplier", office, org_no=big_org, account_from="64", account_to="64")]),
        lambda: classify.add_rules(store, [Rule("account", food, account_from="644", account_to="644")]),
        lambda: classify.add_rules(store, [Rule("keyword", office, keyword="diverse|^pap")]),
        lambda: classify.add_rules(store, [Rule("supplier", office, supplier="Engångs AB")]),
        lambda: classify.add_rules(store, [Rule("exclude", account_from="46")]),
        lambda: classify.add_rules(store, [Rule("exclude", batch_id=1, source_row=3)]),
        lambda: classify.toggle_rules(store, [r[0] for r in store.execute(
            "SELECT rule_id FROM class_rules WHERE preset IS NULL ORDER BY rule_id LIMIT 2").fetchall()]),
        lambda: classify.delete_rules(store, [r[0] for r in store.execute(
            "SELECT max(rule_id) FROM class_rules WHERE preset IS NULL").fetchall()]),
        lambda: tree.move_node(store, office, _leaf(store, "Utrustning & material")),
        lambda: tree.undo(store),
        lambda: tree.merge_nodes(store, _leaf(store, "Organisation", "Kontor", "Kontorsmaterial"), food),
        lambda: tree.delete_node(store, _leaf(store, "Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel"), None),
        lambda: tree.undo(store),
    ]
    for n, step in enumerate(steps, start=1):
        before, was = len(full_passes), state(store)
        step()
        assert len(full_passes) == before, f"step {n} took the full pass"
        now = state(store)
        assert now != was, f"step {n} changed nothing derived: not a test of the refresh"
        try:
            assert_as_rebuilt(store)
        except AssertionError as e:
            raise AssertionError(f"step {n}: {e}") from None
    # the narrower ways of joining the outcome were all taken: one outcome for all (the exclusion
    # of group 46), by account, by supplier and account (every key column: the next test)
    assert set(joined_by) >= {(), ("account",), ("supplier_key", "account")}, joined_by


def test_many_changed_rules_take_the_full_pass(store, monkeypatch):
    from analytics import classify
    from analytics.classify import Rule
    load_files(store, [("reskontra_2025-01.csv", ledger_bytes(400, month="2025-01", seed=4))])
    full_passes = []
    real = derived.rules_changed
    monkeypatch.setattr(derived, "rules_changed", lambda cur: (full_passes.append(1), real(cur)))
    office = _leaf(store, "Organisation", "Kontor")
    classify.add_rules(store, [Rule("keyword", office, keyword=f"ord{i}") for i in range(derived.MAX_INCREMENTAL_RULES + 1)])
    assert full_passes == [1]
    assert_as_rebuilt(store)


WORDS = ("städ", "Städning", "ÅTERVINNING", "mat", "matsal", "kaffe & te", "papper", "pennor", "öl", "é-post",
         "(diverse)", "50%", "a.b", "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=hst.lists(hst.lists(hst.sampled_from(WORDS), max_size=4).map(" ".join), min_size=1, max_size=12),
       keywords=hst.lists(hst.lists(hst.sampled_from([w for w in WORDS if w.strip()]), min_size=1, max_size=2)
                          .map("|".join).flatmap(lambda k: hst.sampled_from([k, "^" + k, k + "$", "^" + k + "$"])),
                          min_size=1, max_size=5))
def test_the_two_keyword_matchers_find_the_same_hits(store, monkeypatch, texts, keywords):
    """Few texts are matched in Python, many in DuckDB (RE2): both give each rule the same rows,
    on Swedish letters, capitals, word edges, punctuation and empty texts."""
    store.execute("CREATE OR REPLACE TEMP TABLE _src AS SELECT unnest(?::VARCHAR[]) AS txt, range AS k FROM range(?)",
                  [texts + [None], len(texts) + 1])
    rules = [(i + 1, "txt", kw) for i, kw in enumerate(keywords)]
    hits = {}
    for limit in (0, 10_000):
        monkeypatch.setattr(derived, "PY_MATCH_MAX", limit)
        derived._keyword_hits(store, "_hits", "_src", "txt, k", rules)
        hits[limit] = sorted(store.execute("SELECT k, rule_id FROM _hits").fetchall())
    assert hits[0] == hits[10_000]


def test_description_keywords_and_single_line_exclusions_equal_a_full_pass(store, monkeypatch):
    """Lines that share every column a rule looks at are decided once as a group; a single line
    of the group excluded keeps its own outcome, and a keyword on the description moves the rest."""
    from analytics import classify
    from analytics.classify import Rule
    head = "Leverantör;Organisationsnummer;Konto;Kontotext;Beskrivning;Belopp;Bokföringsdatum\n"
    body = "".join(f"Alfa AB;{SOLE};99998;Okänt konto;{d};{10 + n},00;2025-02-{n % 28 + 1:02d}\n"
                   for n, d in enumerate(["Pennor och papper"] * 6 + ["Kaffe till möte"] * 4 + [""] * 3))
    load_files(store, [("beskrivning.csv", csv_bytes(head + body, "cp1252"))])
    monkeypatch.setattr(derived, "rules_changed", lambda cur: pytest.fail("the full pass ran"))
    office = _leaf(store, "Organisation", "Kontor")
    food = _leaf(store, "Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel")
    classify.add_rules(store, [Rule("exclude", batch_id=1, source_row=3)])
    classify.add_rules(store, [Rule("keyword", food, keyword="^kaffe")])
    classify.add_rules(store, [Rule("keyword", office, keyword="pennor")])
    got = store.execute("""SELECT description, count(*) FILTER (WHERE excluded), count(*) FILTER (WHERE category_id = ?),
                                  count(*) FILTER (WHERE category_id = ?)
                           FROM ledger_lines GROUP BY ALL ORDER BY 1 NULLS FIRST""", [food, office]).fetchall()
    assert got == [(None, 0, 0, 0), ("Kaffe till möte", 0, 4, 0), ("Pennor och papper", 1, 0, 5)]
    assert_as_rebuilt(store)
    # a new month of the same supplier and account: its lines' outcomes differ by description
    # alone, so they are joined to their outcome by every key column
    joined_by = []
    deciding = derived._deciding_keys
    monkeypatch.setattr(derived, "_deciding_keys", lambda cur: joined_by.append(deciding(cur)) or joined_by[-1])
    load_files(store, [("beskrivning_mars.csv", csv_bytes(head + body.replace("2025-02-", "2025-03-"), "cp1252"))])
    got = store.execute("""SELECT description, count(*) FILTER (WHERE category_id = ?), count(*) FILTER (WHERE category_id = ?)
                           FROM ledger_lines WHERE batch_id = 2 GROUP BY ALL ORDER BY 1 NULLS FIRST""", [food, office]).fetchall()
    assert got == [(None, 0, 0), ("Kaffe till möte", 4, 0), ("Pennor och papper", 0, 6)]
    assert_as_rebuilt(store)
    assert joined_by == [tuple(derived._KEY_COLS.split(", "))]
