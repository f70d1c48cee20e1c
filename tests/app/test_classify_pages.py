"""AppTest of the classification page (review queue, rules, tree edits with undo) and the
category-tree page (treemap, opening a node in the spend cube), on a small crafted ledger."""


import pytest

from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page, open_tab
from tests.crafted import RULE_LINES as LINES
from tests.crafted import A
from tests.crafted import rules_ledger as ledger

# Alfa AB: 200 000 kr of food classified, 60 000 kr on an account no rule knows
ROWS = LINES + [("Alfa AB", A, "99990", "Övriga tjänster", "", "", "Skola", "60000,00", "2024-03-01"),
                ("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "200000,00", "2024-03-05")]


@pytest.fixture
def app(tmp_path, monkeypatch):
    db = tmp_path / "cls.duckdb"
    con = connect(db)
    from analytics.classify import set_preset
    set_preset(con.cursor(), "public", False)      # Delta kommun (a public body) counted
    load_files(con.cursor(), [("reskontra.csv", ledger(ROWS))])
    con.close()
    return lambda page: open_page(db, page, monkeypatch)


def metric(at, label: str) -> str:
    return {m.label: m.value for m in at.metric}[label]


def test_review_accept_suggestions_raises_coverage(app):
    at = app("pages/classify.py")
    assert at.title[0].value == "Klassificering"
    assert metric(at, "Klassificerad spend") == "76,9 %"          # 201 650 of 262 100 influenceable
    assert metric(at, "Exkluderat") == "0,0 MSEK"
    at.slider(key="cls_threshold").set_value(0.5).run()
    button = at.button(key="cls_accept_all")
    assert "(1)" in button.label                                     # Alfa AB's 60 000, confidence 0.53
    button.click().run()
    assert not at.exception, at.exception
    # nothing is made before the user has seen what will happen and said yes
    assert metric(at, "Klassificerad spend") == "76,9 %"
    assert any("1 regel skapas för 0,1 MSEK" in w.value for w in at.warning)      # the plural form of 1
    at.button(key="cls_confirm_all").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("1 regel skapad. Klassificerad spend: 76,9 % → 99,8 %")
    assert metric(at, "Klassificerad spend") == "99,8 %"             # (201 650 + 60 000) / 262 100


def test_only_the_open_tab_runs(app):
    at = app("pages/classify.py")
    assert [tab.label for tab in at.tabs] == ["Granskning", "Exkluderingar", "Regler", "Kategoriträd", "Täckning"]
    keys = {w.key for w in at.selectbox} | {w.key for w in at.text_input}
    assert "cls_rule_kind" not in keys and "cls_t_name" not in at.session_state    # neither rules nor tree ran
    assert at.data_editor(key="cls_queue_supplier")                                 # the review queue did
    open_tab(at, "Regler")
    assert at.selectbox(key="cls_rule_kind").value == "exclude"          # the rule form is drawn
    assert not [e for e in at.data_editor if e.key == "cls_queue_supplier"]


def test_add_a_rule_and_see_a_clear_error(app):
    at = open_tab(app("pages/classify.py"), "Regler")
    at.selectbox(key="cls_rule_kind").set_value("exclude")
    at.text_input(key="cls_rule_org").set_value("12-34")
    at.button[[b.label for b in at.button].index("Lägg till regel")].click().run()
    assert at.error and "är inte ett organisationsnummer" in at.error[0].value
    at.text_input(key="cls_rule_org").set_value("")
    at.text_input(key="cls_rule_acct").set_value("99999")
    at.button[[b.label for b in at.button].index("Lägg till regel")].click().run()
    assert not at.exception, at.exception
    assert metric(at, "Exkluderat") == "0,0 MSEK" and at.success       # Gamma's 50 kr excluded
    assert metric(at, "Klassificerad spend") == "77,0 %"             # 201 650 of 262 050
    # the same rule switched off again: Gamma's 50 kr count as unclassified spend once more
    new_rule = max(at.multiselect(key="cls_pick_rules").options, key=lambda o: int(o.split()[0].lstrip("#")))
    at.multiselect(key="cls_pick_rules").set_value([new_rule]).run()
    at.button(key="cls_toggle").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Klassificerad spend") == "76,9 %"             # 201 650 of 262 100


def test_tree_edit_and_undo(app):
    at = open_tab(app("pages/classify.py"), "Kategoriträd")
    at.text_input(key="cls_t_name").set_value("Ny kategori")
    at.button[[b.label for b in at.button].index("Lägg till")].click().run()
    assert not at.exception, at.exception
    assert "Ny kategori" in tree_paths(at)
    at.button(key="cls_undo").click().run()
    assert at.success[0].value == "Senaste ändringen av träd/regler är ångrad."
    assert "Ny kategori" not in tree_paths(at)


def tree_paths(at) -> list[str]:
    frames = [d.value for d in at.dataframe if "path" in d.value.columns]
    return list(frames[0]["path"])


def test_tree_page_opens_a_node_in_the_cube(app):
    at = app("pages/category_tree.py")
    assert at.title[0].value == "Kategoriträd"
    chart = at.get("plotly_chart")
    assert chart, "the treemap is drawn"
    pick = at.selectbox(key="tree_pick")
    index = [i for i, o in enumerate(pick.options) if o.strip("· ").startswith("Måltider och livsmedel")][0]
    pick.select_index(index).run()
    at.button(key="tree_open").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Spendkub – vart pengarna går"
    assert at.session_state["cube_rows"] == "category_l3"
    assert [d for d, _ in at.session_state["cube_drill"]] == ["category_l1", "category_l2"]
    assert {m.label: m.value for m in at.metric}["Rader"] == "3"       # Alfa's milk 1 000 and 200 000, Delta's 150
