"""Classification rules, precedence, the tree and its versions, the review loop and the treemap,
on small crafted ledgers with hand-computed figures."""

import io
import json

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from analytics import categories, classify, cube, review
from analytics import tree as catree
from analytics.__main__ import main as cli
from analytics.classify import Rule
from analytics.constants import STEP_NO
from analytics.errors import RuleError
from analytics.ingest import load_files
from tests.conftest import REAL
from tests.crafted import RULE_LINES as LINES
from tests.crafted import RULE_TOTAL as TOTAL
from tests.crafted import A, B, C, org
from tests.crafted import rules_ledger as ledger


@pytest.fixture
def loaded(store):
    """The crafted ledger with payments to public bodies counted (that default switched off), so
    Delta kommun's 150 kr is classified like any other line."""
    classify.set_preset(store, "public", False)
    load_files(store, [("reskontra.csv", ledger())])
    return store


def cat(cur, *path) -> int:
    cid = categories.node_for_path(cur, tuple(path), {}, create=False)
    assert cid is not None, path
    return cid


def decided(cur) -> dict:
    """supplier/account -> (category name or 'EXCLUDED' or None, step): the step of the rule that
    decided the line, or the CPV step when its code placed it without a rule."""
    rows = cur.execute("""SELECT l.supplier_name || '/' || l.account, CASE WHEN l.excluded THEN 'EXCLUDED' ELSE c.name END,
                                 CASE WHEN l.rule_id IS NOT NULL THEN r.kind WHEN l.category_id IS NOT NULL THEN 'cpv' END
                          FROM ledger_lines l LEFT JOIN categories c USING (category_id)
                          LEFT JOIN class_rules r USING (rule_id)""").fetchall()
    return {r[0]: (r[1], STEP_NO[r[2]] if r[2] else None) for r in rows}


def test_default_rules_classify_by_account_and_exclude_class_5(loaded):
    d = decided(loaded)
    assert d["Alfa AB/64210"] == ("Livsmedel", 4)
    assert d["Beta AB/64410"] == ("Kontorsmaterial", 4)
    assert d["Gamma HB/99999"] == (None, None)
    assert d["Gamma HB/51110"] == ("EXCLUDED", 1)
    s = classify.summary(loaded)
    assert s["excluded_spend"] == 70.0 and s["unclassified_spend"] == 450.0     # Gamma 50 + Epsilon 400
    assert s["classified_spend"] + s["unclassified_spend"] + s["excluded_spend"] == pytest.approx(TOTAL)
    assert s["classified_share"] == pytest.approx(1650 / 2100)


# one table: the rules in force -> what Alfa's office line (64410, 200) and Gamma's 99999 line get
PRECEDENCE = [
    ("account rule only", [], ("Kontorsmaterial", 4), (None, None)),
    ("keyword beats nothing", [("keyword", "Städ", dict(keyword="städning"))], ("Kontorsmaterial", 4),
     ("Fastighetsskötsel och städ", 5)),
    ("account beats keyword", [("keyword", "Livsmedel", dict(keyword="pennor"))], ("Kontorsmaterial", 4), (None, None)),
    ("supplier beats account", [("supplier", "Livsmedel", dict(org_no=A))], ("Livsmedel", 3), (None, None)),
    ("supplier split by account", [("supplier", "Livsmedel", dict(org_no=A)),
                                   ("supplier", "Förbrukningsmaterial", dict(org_no=A, account_from="644"))],
     ("Förbrukningsmaterial", 3), (None, None)),
    ("supplier by name", [("supplier", "Städ", dict(supplier="gamma hb"))], ("Kontorsmaterial", 4),
     ("Fastighetsskötsel och städ", 3)),
    ("org number before name", [("supplier", "Livsmedel", dict(supplier="Alfa")),
                                ("supplier", "Möbler", dict(org_no=A))], ("Möbler", 3), (None, None)),
    ("exclusion beats supplier", [("supplier", "Livsmedel", dict(org_no=A)), ("exclude", None, dict(account_from="644"))],
     ("EXCLUDED", 1), (None, None)),
    ("longer account prefix wins", [("account", "Möbler", dict(account_from="64")),
                                    ("account", "Kontorsmaterial", dict(account_from="64410"))],
     ("Kontorsmaterial", 4), (None, None)),
    ("your rule beats the defaults", [("account", "Möbler", dict(account_from="64"))], ("Möbler", 4), (None, None)),
    ("an account rule with a keyword beats the same account without", [
        ("account", "Möbler", dict(account_from="64")),
        ("account", "Förbrukningsmaterial", dict(account_from="64", keyword="^kontors"))], ("Förbrukningsmaterial", 4),
     (None, None)),
    ("a keyword on the supplier's name", [("account", "Möbler", dict(account_from="64", keyword="alfa",
                                                                      match_on="supplier_name"))], ("Möbler", 4),
     (None, None)),
    ("a whole-word keyword does not match inside a word", [("account", "Möbler", dict(account_from="64",
                                                                                       keyword="^material$"))],
     ("Kontorsmaterial", 4), (None, None)),
    ("account range", [("account", "Möbler", dict(account_from="99990", account_to="99999"))], ("Kontorsmaterial", 4),
     ("Möbler", 4)),
    ("supplier exclusion", [("exclude", None, dict(org_no=C))], ("Kontorsmaterial", 4), ("EXCLUDED", 1)),
    ("keyword exclusion beats a keyword rule", [("keyword", "Städ", dict(keyword="städning")),
                                                ("exclude", None, dict(keyword="trappor"))],
     ("Kontorsmaterial", 4), ("EXCLUDED", 1)),
    ("inactive rule does nothing", [("exclude", None, dict(org_no=C, active=False))], ("Kontorsmaterial", 4), (None, None)),
]
LEAF = {"Städ": ("Entreprenad", "Fastighetsrelaterade tjänster", "Fastighetsskötsel och städ"),
        "Livsmedel": ("Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel"),
        "Förbrukningsmaterial": ("Utrustning & material", "Material", "Förbrukningsmaterial"),
        "Möbler": ("Utrustning & material", "Utrustning", "Möbler"),
        "Kontorsmaterial": ("Organisation", "Kontor", "Kontorsmaterial")}


@pytest.mark.parametrize("name,rules,alfa_office,gamma", PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence(loaded, name, rules, alfa_office, gamma):
    classify.add_rules(loaded, [Rule(kind, cat(loaded, *LEAF[c]) if c else None, **kw) for kind, c, kw in rules])
    d = decided(loaded)
    assert d["Alfa AB/64410"] == alfa_office
    assert d["Gamma HB/99999"] == gamma
    s = classify.summary(loaded)
    assert s["classified_spend"] + s["unclassified_spend"] + s["excluded_spend"] == pytest.approx(TOTAL)


def test_public_bodies_excluded_only_when_switched_on(loaded):
    assert decided(loaded)["Delta kommun/64210"] == ("Livsmedel", 4)
    rid = loaded.execute("SELECT rule_id FROM class_rules WHERE legal_form = 'public'").fetchall()[0][0]
    r = classify.get_rule(loaded, rid)
    r.active = True
    classify.update_rule(loaded, rid, r)
    assert decided(loaded)["Delta kommun/64210"] == ("EXCLUDED", 1)
    assert classify.summary(loaded)["excluded_spend"] == 220.0


def test_single_line_exclusion(loaded):
    batch, row = loaded.execute("SELECT batch_id, source_row FROM ledger_lines WHERE supplier_name = 'Beta AB'").fetchall()[0]
    classify.add_rules(loaded, [Rule("exclude", batch_id=batch, source_row=row, note="felbokning")])
    assert decided(loaded)["Beta AB/64410"] == ("EXCLUDED", 1)
    table = classify.rules_table(loaded)
    mine = table[table.batch_id.fillna(-1) == batch]
    assert (mine.spend.iloc[0], mine.lines.iloc[0]) == (300.0, 1)


def test_cpv_code_on_a_line_classifies_it(loaded):
    assert decided(loaded)["Epsilon AB/99998"] == (None, None)
    rows = [(("Livsmedel (15)",), "15000000"), (("Livsmedel (15)", "Mejeriprodukter (155)"), "15500000"),
            (("Livsmedel (15)", "Mejeriprodukter (155)", "Mjölk (1551)"), "15510000")]
    catree.import_tree(loaded, rows)
    assert decided(loaded)["Epsilon AB/99998"] == ("Mjölk (1551)", 2)
    # a supplier rule does not override the line's own CPV code
    classify.add_rules(loaded, [Rule("supplier", cat(loaded, *LEAF["Möbler"]), org_no=org(559123456))])
    assert decided(loaded)["Epsilon AB/99998"] == ("Mjölk (1551)", 2)


def test_rules_show_what_they_catch_and_changes_are_audited(loaded):
    before = loaded.execute("SELECT count(*) FROM audit_log WHERE action LIKE 'rule_%'").fetchall()[0][0]
    ids = classify.add_rules(loaded, [Rule("supplier", cat(loaded, *LEAF["Livsmedel"]), org_no=A)])
    table = classify.rules_table(loaded).set_index("rule_id")
    assert (table.at[ids[0], "spend"], table.at[ids[0], "lines"], table.at[ids[0], "step"]) == (1200.0, 2, 3)
    office = table[(table.kind == "account") & (table.account_from == "64") & (table.keyword.str.contains("kontorsm"))]
    assert (office.spend.iloc[0], office.lines.iloc[0]) == (300.0, 1)            # only Beta's line is left to it
    classify.delete_rules(loaded, ids)
    assert decided(loaded)["Alfa AB/64410"] == ("Kontorsmaterial", 4)
    actions = [r[0] for r in loaded.execute("SELECT action FROM audit_log WHERE action LIKE 'rule_%' ORDER BY audit_id").fetchall()]
    assert actions[before:] == ["rule_add", "rule_delete"]


@pytest.mark.parametrize("rule,code", [
    (Rule("supplier", None, org_no=A), "rule_no_category"),
    (Rule("supplier", 1), "rule_no_supplier"),
    (Rule("account", 1, account_from="641-6430"), "rule_account_length"),
    (Rule("account", 1), "rule_no_account"),
    (Rule("keyword", 1), "rule_no_keyword"),
    (Rule("exclude"), "rule_empty"),
    (Rule("supplier", 1, org_no="12345"), "rule_org_no"),
    (Rule("account", 99999, account_from="64"), "rule_unknown_category"),
    (Rule("magic", 1), "rule_kind"),
    (Rule("account", 1, account_from="64", legal_form="public"), "rule_only_exclude"),
])
def test_bad_rules_are_refused_with_a_reason(loaded, rule, code):
    before = loaded.execute("SELECT count(*) FROM class_rules").fetchall()[0][0]
    with pytest.raises(RuleError) as err:
        classify.add_rules(loaded, [rule])
    assert err.value.code == code
    assert loaded.execute("SELECT count(*) FROM class_rules").fetchall()[0][0] == before


def test_account_ranges_parse():
    assert classify.parse_account_range("641 – 643") == ("641", "643")
    assert classify.parse_account_range("5") == ("5", "5")
    assert classify.parse_account_range("64110.0") == ("64110", "64110")
    assert classify.normalise_org_no("SE556016068001")[:9] == "556016068"
    assert classify.normalise_org_no("16" + A.replace("-", "")) == A.replace("-", "")


# ------------------------------------------------------------------ tree edits and versions

def spend_of(cur, name) -> float:
    return cur.execute("""SELECT coalesce(sum(l.amount), 0) FROM ledger_lines l JOIN categories c USING (category_id)
                          WHERE c.name = ?""", [name]).fetchall()[0][0]


def test_delete_with_reassignment_moves_spend_and_undo_restores(loaded):
    office = cat(loaded, "Organisation", "Kontor", "Kontorsmaterial")
    food = cat(loaded, *LEAF["Livsmedel"])
    assert spend_of(loaded, "Kontorsmaterial") == 500
    catree.delete_node(loaded, office, food)
    assert spend_of(loaded, "Livsmedel") == 1650 and categories.node_for_path(
        loaded, ("Organisation", "Kontor", "Kontorsmaterial"), {}, create=False) is None
    catree.delete_node(loaded, cat(loaded, "Organisation", "Kontor"), None)      # nothing left below: fine
    info = catree.undo(loaded)
    assert info["action"] == "tree_delete"
    catree.undo(loaded)
    assert spend_of(loaded, "Kontorsmaterial") == 500 and spend_of(loaded, "Livsmedel") == 1150
    assert cube.kpis(loaded, cube.View())["classified_share"] == pytest.approx(1650 / 2100)


def test_delete_without_reassignment_leaves_spend_unclassified(loaded):
    catree.delete_node(loaded, cat(loaded, "Organisation", "Kontor"), None)
    # the rules that set Kontor are dropped; the office lines fall to the next default rule of
    # their account group (64: Material), so nothing is left pointing at the deleted node
    assert not loaded.execute("""SELECT count(*) FROM class_rules r LEFT JOIN categories c USING (category_id)
                                 WHERE r.category_id IS NOT NULL AND c.category_id IS NULL""").fetchall()[0][0]
    assert decided(loaded)["Beta AB/64410"] == ("Förbrukningsmaterial", 4)


def test_rename_move_merge(loaded):
    office = cat(loaded, "Organisation", "Kontor", "Kontorsmaterial")
    catree.rename_node(loaded, office, "Kontorsvaror")
    assert spend_of(loaded, "Kontorsvaror") == 500
    with pytest.raises(RuleError) as err:
        catree.rename_node(loaded, office, "  ")
    assert err.value.code == "tree_name_empty"
    # move Kontor (with its child) under Utrustning & material: level 2 stays level 2
    kontor = cat(loaded, "Organisation", "Kontor")
    catree.move_node(loaded, kontor, cat(loaded, "Utrustning & material"))
    assert cat(loaded, "Utrustning & material", "Kontor", "Kontorsvaror") == office
    l1 = cube.pivot(loaded, cube.View(), "category_l1").body()
    assert dict(zip(l1.r_label, l1.spend))["Utrustning & material"] == 500
    with pytest.raises(RuleError) as err:
        catree.move_node(loaded, kontor, office)
    assert err.value.code == "tree_move_into_itself"
    with pytest.raises(RuleError) as err:
        catree.move_node(loaded, cat(loaded, "Utrustning & material"), cat(loaded, "Organisation", "Resor"))
    assert err.value.code == "tree_too_deep"
    # merge Kontor into Material: children move, rules follow, spend follows
    material = cat(loaded, "Utrustning & material", "Material")
    catree.merge_nodes(loaded, kontor, material)
    assert cat(loaded, "Utrustning & material", "Material", "Kontorsvaror") == office
    assert categories.node_for_path(loaded, ("Utrustning & material", "Kontor"), {}, create=False) is None
    assert spend_of(loaded, "Kontorsvaror") == 500
    assert list(catree.versions(loaded).action[:3]) == ["tree_merge", "tree_move", "tree_rename"]


def test_tree_file_round_trip_and_bad_rows(loaded, tmp_path):
    path = tmp_path / "tree.xlsx"
    n = catree.write_tree_file(loaded, path)
    rows = catree.read_tree_file("tree.xlsx", path.read_bytes())
    assert len(rows) == n == loaded.execute("SELECT count(*) FROM categories").fetchall()[0][0]
    bad = "L1;L2;L3\nEntreprenad;;Fel\n".encode()
    with pytest.raises(RuleError) as err:
        catree.read_tree_file("mitt träd.csv", bad)
    assert (err.value.code, err.value.row, err.value.column) == ("tree_file_gap", 2, "L2")
    res = catree.import_tree(loaded, [(("Ny kategori", "Underkategori"), None)])
    assert res["added"] == 2
    res = catree.import_tree(loaded, catree.read_tree_file("tree.xlsx", path.read_bytes()), replace=True)
    assert res["removed"] == 2 and res["nodes"] == n


@pytest.mark.skipif(not (REAL / "taxonomy-cpv-2008" / "cpv_2008_en_sv.csv").exists(), reason="CPV list not present")
def test_cpv_list_imports_as_three_levels(store):
    data = (REAL / "taxonomy-cpv-2008" / "cpv_2008_en_sv.csv").read_bytes()
    rows = catree.read_cpv_file("cpv_2008_en_sv.csv", data)
    levels = {}
    for path, code in rows:
        levels[len(path)] = levels.get(len(path), 0) + 1
    assert set(levels) == {1, 2, 3} and levels[1] == 45        # CPV 2008 has 45 divisions
    milk = [r for r in rows if r[1] == "15510000"][0]
    assert milk[0][0].endswith("(15)") and milk[0][1].endswith("(155)") and milk[0][2].endswith("(1551)")
    catree.import_tree(store, rows, replace=True)
    assert store.execute("SELECT count(*) FROM categories WHERE code IS NOT NULL").fetchall()[0][0] == len(rows)


# ------------------------------------------------------------------ rules files and CLI

def test_rules_export_import_round_trip_and_errors(loaded, tmp_path):
    classify.add_rules(loaded, [Rule("supplier", cat(loaded, *LEAF["Livsmedel"]), org_no=A, account_from="642"),
                                Rule("keyword", cat(loaded, *LEAF["Städ"]), keyword="städning")])
    before = decided(loaded)
    path = tmp_path / "regler.xlsx"
    n = classify.write_rules_file(loaded, path)
    ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert A in values and "städning" in values
    assert classify.import_rules(loaded, "regler.xlsx", path.read_bytes(), replace=True) == n
    assert decided(loaded) == before
    bad = ("kind;org_no;account_from;L1;L2;L3\naccount;;64410;Organisation;Kontor;Kontorsmaterial\n"
           "supplier;12-34;;Organisation;Kontor;\n").encode()
    with pytest.raises(RuleError) as err:
        classify.import_rules(loaded, "regler.csv", bad)
    assert (err.value.code, err.value.row, err.value.column, err.value.file) == ("rule_org_no", 3, "org_no", "regler.csv")
    unknown = "kind;account_from;L1;L2\naccount;64410;Organisation;Finns inte\n".encode()
    with pytest.raises(RuleError) as err:
        classify.import_rules(loaded, "regler.csv", unknown)
    assert (err.value.code, err.value.row, err.value.column) == ("rule_unknown_path", 2, "L2")
    assert decided(loaded) == before                                     # nothing half-written


def test_cli_classify_adds_up_and_rules_round_trip(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    (tmp_path / "reskontra.csv").write_bytes(ledger())
    assert cli(["import", str(tmp_path / "reskontra.csv"), "--db", db]) == 0
    capsys.readouterr()
    assert cli(["classify", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"classified_share", "classified_spend", "unclassified_spend", "excluded_spend", "rules"}
    assert out["classified_spend"] + out["unclassified_spend"] + out["excluded_spend"] == pytest.approx(TOTAL)
    assert out["classified_share"] == pytest.approx(1500 / 1950)     # Delta kommun's 150 kr: a public body, excluded
    assert cli(["rules", "export", str(tmp_path / "r.csv"), "--db", db]) == 0
    capsys.readouterr()
    assert cli(["rules", "import", str(tmp_path / "r.csv"), "--replace", "--db", db]) == 0
    assert cli(["classify", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == out
    (tmp_path / "bad.csv").write_text("kind;L1\nmagic;Entreprenad\n")
    assert cli(["rules", "import", str(tmp_path / "bad.csv"), "--db", db]) == 2
    assert "row 2" in capsys.readouterr().err


# ------------------------------------------------------------------ review loop

def test_queue_and_suggestions_on_crafted_data(loaded):
    rows = [
        ("Alfa AB", A, "99990", "Övriga tjänster", "", "", "Skola", "600,00", "2024-03-01"),      # Alfa sells food
        ("Alfa Livs AB", org(556016070), "99990", "Övriga tjänster", "", "", "Skola", "90,00", "2024-03-02"),
        ("Zeta AB", org(556999991), "99219", "Livsmedel, frukt", "", "", "Skola", "80,00", "2024-03-03"),
    ]
    load_files(loaded, [("r.csv", ledger(rows))])
    q = review.queue(loaded).set_index("supplier")
    assert list(q.index[:2]) == ["Alfa AB", "Epsilon AB"]                 # largest first: 600, 400
    alfa = q.loc["Alfa AB"]
    assert (alfa.spend, alfa.category, alfa.source) == (600.0, "Verksamhet & stöd / Måltider och livsmedel / Livsmedel",
                                                        "supplier")
    # 1000 of its 1200 classified kr are food, 1200 of its 1800 kr are classified, 1000 kr is little;
    # and one supplier of one with two accounts has another category on its second: reliability 4/6
    rel = review.reliability(loaded)
    assert (rel["supplier"], rel["cases"]["supplier"]) == (pytest.approx(4 / 6), 1)
    assert alfa.confidence == pytest.approx(review.supplier_confidence(1000 / 1200, 1000, 1200 / 1800) * 4 / 6, abs=1e-3)
    assert alfa.confidence < 0.05
    assert q.loc["Alfa Livs AB"].source == "supplier_name"               # similar to Alfa AB
    assert q.loc["Zeta AB"].source == "account_text" and q.loc["Zeta AB"].category.endswith("Livsmedel")
    aq = review.account_queue(loaded).set_index("account")
    assert aq.loc["99990"].spend == 690.0 and aq.loc["99990"].suppliers == 2


def test_a_sliver_of_a_suppliers_spend_never_gives_high_confidence(store):
    big, small = org(556200001), org(556200002)
    rows = [  # Storgrossisten: 9 929 kr on a classified food account, a million unclassified
        ("Storgrossisten AB", big, "64400", "Livsmedel", "", "", "Skola", "9929,00", "2024-03-01"),
        ("Storgrossisten AB", big, "99100", "Diverse", "", "", "Skola", "1000000,00", "2024-03-02"),
        # Mattjänst: 2 MSEK of food, and 50 000 kr on an account without a rule
        ("Mattjänst AB", small, "64400", "Livsmedel", "", "", "Skola", "2000000,00", "2024-03-03"),
        ("Mattjänst AB", small, "99100", "Diverse", "", "", "Skola", "50000,00", "2024-03-04"),
    ]
    load_files(store, [("r.csv", ledger(rows))])
    q = review.queue(store).set_index("supplier")
    assert q.loc["Storgrossisten AB"].confidence < 0.1
    # 2 MSEK behind it, 98 % of its spend: as high as this store's (unmeasured, 0.8) reliability allows
    assert q.loc["Mattjänst AB"].confidence >= 0.75
    assert q.loc["Mattjänst AB"].category.endswith("Livsmedel")
    plan = review.confident(review.queue(store), 0.75)
    assert (plan["count"], plan["spend"]) == (1, 50000.0) and list(plan["sample"].name) == ["Mattjänst AB"]


def test_agreeing_sources_add_up_and_disagreeing_ones_count_less():
    S = review.Suggestion
    both = review.combine([S(1, 0.6, "supplier", "x"), S(1, 0.5, "account_text", "y")])
    assert (both.category_id, both.confidence, both.source) == (1, 0.8, "supplier+account_text")
    torn = review.combine([S(1, 0.6, "supplier", "x"), S(2, 0.5, "account_text", "y")])
    assert (torn.category_id, torn.confidence) == (1, 0.45)
    assert review.combine([S(1, 0.99, "supplier", "x"), S(1, 0.99, "account_text", "y")]).confidence == 0.97
    assert review.combine([]) is None


def test_accepting_suggestions_creates_rules_and_raises_coverage(loaded):
    load_files(loaded, [("r.csv", ledger([("Alfa AB", A, "99990", "Övriga tjänster", "", "", "Skola", "600,00",
                                            "2024-03-01")]))])
    store = loaded
    before = review.coverage(store)["levels"][1]["spend_share"]
    q = review.queue(store)
    top = q.iloc[0]
    review.accept(store, [{"supplier_key": top.supplier_key, "category_id": int(top.category_id)}])
    after = review.coverage(store)
    assert after["levels"][1]["spend_share"] == pytest.approx(before + 600 / 2700)
    assert "Alfa AB" not in set(review.queue(store).supplier)
    rule = store.execute("SELECT kind, org_no FROM class_rules WHERE rule_id = (SELECT max(rule_id) FROM class_rules)").fetchall()
    assert rule == [("supplier", A.replace("-", ""))]
    assert store.execute("SELECT count(*) FROM audit_log WHERE action = 'review_accept'").fetchall()[0][0] == 1
    units = after["by_unit"].set_index("org_unit")
    assert units.loc["Skola"].spend == 2350.0


def test_review_cli_lists_the_queue_largest_first(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    (tmp_path / "reskontra.csv").write_bytes(ledger())
    assert cli(["import", str(tmp_path / "reskontra.csv"), "--db", db]) == 0
    capsys.readouterr()
    assert cli(["review", "--db", db, "--limit", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(o["kind"], o["key"], o["spend"]) for o in out] == [
        ("supplier", "org:" + org(559123456).replace("-", ""), 400.0), ("account", "99998", 400.0),
        ("supplier", "org:" + C.replace("-", ""), 50.0), ("account", "99999", 50.0)]
    assert out[0]["name"] == "Epsilon AB" and set(out[0]) == {"kind", "key", "name", "spend", "suggestion", "confidence",
                                                              "sources"}
    assert cli(["review", "--db", db, "--limit", "0", "--json"]) == 2


def test_new_suppliers_flagged_after_a_second_upload(store):
    load_files(store, [("q1.csv", ledger(LINES[:4]))])
    assert not review.queue(store).new.any()                            # nothing to compare with yet
    load_files(store, [("q2.csv", ledger([("Ny AB", org(556555555), "99999", "Okänt konto", "", "", "Skola", "10,00",
                                           "2024-05-01")]))])
    q = review.queue(store).set_index("supplier")
    assert bool(q.loc["Ny AB"].new) and not bool(q.loc["Gamma HB"].new)


# ------------------------------------------------------------------ treemap

def test_treemap_parents_equal_children_and_figure(loaded):
    from ui.charts.tree import spend_treemap
    df = catree.spend_tree(loaded, cube.View(scope="all"), top=1)
    by_id = df.set_index("id")
    for parent, children in df[df.parent != ""].groupby("parent"):
        assert children.spend.sum() == pytest.approx(by_id.at[parent, "spend"]), parent
    roots = df[df.parent == ""]
    assert roots.spend.sum() == pytest.approx(TOTAL)
    assert by_id.at["u", "spend"] == 450 and by_id.at["x", "spend"] == 70
    food = cat(loaded, *LEAF["Livsmedel"])
    assert by_id.at[f"c{food}", "suppliers"] == 2 and by_id.at[f"c{food}", "classified_share"] == 1.0
    assert by_id.at["u", "classified_share"] == 0.0
    words = dict(labels={"unclassified": "Ej klassificerat", "excluded": "Exkluderat", "others": "Övriga leverantörer",
                         "rest": "{name} (ej uppdelat)"},
                 texts={"msek": "MSEK", "share": "andel", "suppliers": "leverantörer", "change": "förändring",
                        "classified": "klassificerat"})
    fig = spend_treemap(df, color_by="classified", **words)
    tr = fig.data[0]
    assert tr.type == "treemap" and tr.branchvalues == "total"
    assert list(tr.ids) == list(df.id) and list(tr.parents) == list(df.parent)
    assert sum(v for v, p in zip(tr.values, tr.parents) if p == "") == pytest.approx(TOTAL / 1e6)
    assert "Ej klassificerat" in tr.labels and "Övriga leverantörer" in tr.labels
    sun = spend_treemap(df, chart="sunburst", **words)
    assert sun.data[0].type == "sunburst"
    drill, show = catree.cube_target(df, f"c{food}")
    assert show == "supplier" and [d for d, _ in drill] == ["category_l1", "category_l2", "category_l3"]
    p = cube.pivot(loaded, cube.View(drill=tuple(drill)), show)
    assert p.total["spend"] == by_id.at[f"c{food}", "spend"]
    assert catree.cube_target(df, "x") == ([("category_l1", -1)], "account")


def test_excluded_spend_in_the_cube(loaded):
    p = cube.pivot(loaded, cube.View(scope="all"), "category_l1")
    body = p.body()
    labels = dict(zip(body.r_key, body.r_label))
    assert labels[-1] == cube.EXCLUDED_LABEL and labels[None] is None
    assert dict(zip(body.r_key, body.spend))[-1] == 70.0
    relabelled = p.relabel("r", {-1: "Excluded"}).body()
    assert dict(zip(relabelled.r_key, relabelled.r_label)) == {**labels, -1: "Excluded"}
    only = cube.kpis(loaded, cube.View(categories=(-1,), scope="all"))
    assert (only["spend"], only["lines"]) == (70.0, 1)
    k = cube.kpis(loaded, cube.View())
    assert k["excluded_spend"] == 70.0 and k["classified_share"] == pytest.approx(1650 / 2100)
    # the headline counts influenceable spend, with the total and the excluded beside it
    assert (k["spend"], k["total_spend"], k["influenceable_spend"]) == (2100.0, 2170.0, 2100.0)
    assert cube.kpis(loaded, cube.View(scope="all"))["spend"] == 2170.0
    assert -1 not in set(cube.pivot(loaded, cube.View(), "category_l1").body().r_key)


def test_treemap_change_compares_the_last_twelve_months(store):
    rows = [("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "100,00", "2023-06-15"),
            ("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "150,00", "2024-06-15"),
            ("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "10,00", "2023-01-15")]
    months = [("Beta AB", B, "64410", "Kontorsmaterial", "", "", "Skola", "1,00", f"{y}-{m:02d}-01")
              for y in (2023, 2024) for m in range(1, 13)]
    load_files(store, [("r.csv", ledger(rows + months))])
    import datetime as dt
    df = catree.spend_tree(store, cube.View(period_from=dt.date(2023, 1, 1), period_to=dt.date(2024, 12, 1)), top=3)
    food = df.set_index("id").loc[f"c{cat(store, *LEAF['Livsmedel'])}"]
    assert food.spend == 260.0                                        # the whole period
    assert (food.recent_spend, food.prev_spend) == (150.0, 110.0)     # 2024 against 2023
    assert food.change == pytest.approx(150 / 110 - 1)
    short = catree.spend_tree(store, cube.View(period_from=dt.date(2023, 1, 1), period_to=dt.date(2023, 12, 1)))
    assert short.change.isna().all()                                  # 2022 is not loaded


def test_the_pages_rule_form_and_switching_rules_on_and_off(loaded):
    assert classify.parse_line_ref(" 3 : 1520 ") == (3, 1520) and classify.parse_line_ref("") == (None, None)
    with pytest.raises(RuleError) as err:
        classify.parse_line_ref("3-1520")
    assert err.value.code == "rule_line"
    rule = classify.rule_from_form("exclude", None, account="641-643", public=False, line="1:2", note=" ")
    assert (rule.account_from, rule.account_to, rule.batch_id, rule.source_row, rule.legal_form) == ("641", "643", 1, 2, None)
    assert classify.rule_from_form("exclude", None, public=True).legal_form == "public"
    # two rules switched off in one change: one version to undo, an audit entry each, one reclassification
    ids = classify.add_rules(loaded, [Rule("keyword", cat(loaded, *LEAF["Städ"]), keyword="städning"),
                                      Rule("supplier", cat(loaded, *LEAF["Livsmedel"]), org_no=A)])
    versions = len(catree.versions(loaded))
    classify.toggle_rules(loaded, ids)
    assert [classify.get_rule(loaded, i).active for i in ids] == [False, False]
    assert len(catree.versions(loaded)) == versions + 1
    assert loaded.execute("SELECT count(*) FROM ledger_lines WHERE rule_id IN (SELECT unnest(?::INTEGER[]))",
                          [ids]).fetchall()[0][0] == 0
    assert loaded.execute("SELECT count(*) FROM audit_log WHERE action = 'rule_update'").fetchall()[0][0] == 2
    catree.undo(loaded)
    assert [classify.get_rule(loaded, i).active for i in ids] == [True, True]


# names as ledgers spell them: a shared first word, legal forms, "Sverige", misspellings, empty ones
_NAME_WORDS = ["STOCKHOLMS", "STOCKHOLM", "STOKHOLMS", "AHLSELL", "AHLSEL", "NORRBERG", "NORRBY", "BYGG", "BYG",
               "AB", "SVERIGE", "EL", "ELSERVICE", "I", "KB", "VVS", "KVARNEN", "3", "4", "1", "10", "2B"]


@given(hst.lists(hst.lists(hst.sampled_from(_NAME_WORDS), max_size=4).map(" ".join), min_size=1, max_size=40),
       hst.lists(hst.sampled_from(_NAME_WORDS), max_size=4).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_similar_name_finds_what_name_similarity_says_over_the_bucket(names, query):
    """The indexed lookup gives the scores and order of comparing the name with every name of
    its bucket one by one (the definition), however the names share words and letters."""
    index = review.name_index(names)
    for skip in (None, query):
        words = [w for w in query.split() if w not in review._NAME_NOISE]
        bucket = [n for n in names if words and
                  ([w for w in n.split() if w not in review._NAME_NOISE] or [""])[0][:5] == words[0][:5]]
        expected = [(n, s) for n, s in ((n, review.name_similarity(query, n)) for n in bucket if n != skip)
                    if s >= review.MIN_NAME_SCORE]
        expected.sort(key=lambda x: -x[1])
        assert review.similar_name(query, index, limit=5, skip=skip) == expected[:5]


def test_a_misspelt_name_keeps_its_numbers():
    """Property companies named after their property, and numbered suppliers, are not one company
    misspelt; a misspelling with the same numbers still is."""
    assert review.name_similarity("FASTIGHETS KVARNEN 3", "FASTIGHETS KVARNEN 4") == 0
    assert review.name_similarity("LEVERANTÖR 1", "LEVERANTÖR 10") == 0
    assert review.name_similarity("AHLSEL 2", "AHLSELL 2") >= review.LETTERS_SAME
    assert review.name_similarity("BYGG 3", "BYGG 3 SVERIGE") == 100      # SVERIGE says nothing
    index = review.name_index(["FASTIGHETS KVARNEN 4", "FASTIGHETS KVARNEN 3 AB", "FASTIGHET KVARNEN 3"])
    found = review.similar_name("FASTIGHETS KVARNEN 3", index, limit=5)
    assert [n for n, _ in found] == ["FASTIGHETS KVARNEN 3 AB", "FASTIGHET KVARNEN 3"]
    assert found[0][1] == 100 and 97 < found[1][1] < 98


def test_reliability_is_measured_on_the_largest_suppliers(store):
    big, small = org(556300001), org(556300002)
    rows = [  # Stor AB keeps to food on its second account; Liten AB's second account is office supplies
        ("Stor AB", big, "64210", "Livsmedel", "", "", "Skola", "5000,00", "2024-03-01"),
        ("Stor AB", big, "64211", "Livsmedel, frukt", "", "", "Skola", "1000,00", "2024-03-02"),
        ("Liten AB", small, "64210", "Livsmedel", "", "", "Skola", "300,00", "2024-03-03"),
        ("Liten AB", small, "64410", "Kontorsmaterial", "", "", "Skola", "100,00", "2024-03-04"),
    ]
    load_files(store, [("r.csv", ledger(rows))])
    both = review.reliability(store)
    assert both["cases"]["supplier"] == 2
    assert both["supplier"] == pytest.approx((1 + 0 + 0.8 * 5) / (2 + 5))            # Stor agrees, Liten not
    top = review.reliability(store, limit=1)
    assert (top["cases"]["supplier"], top["supplier"]) == (1, pytest.approx((1 + 0.8 * 5) / (1 + 5)))
