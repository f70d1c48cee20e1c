"""Prioritisation: score and range parsing, validation messages, spend from linked categories,
totals of the six-initiative example, XLSX round trip, the CLI, and the matrix figure."""

import datetime as dt
import io
import json

import openpyxl
import pytest

from analytics import prioritise as pr
from analytics import savings as sv
from analytics.__main__ import main as cli
from analytics.categories import node_for_path
from analytics.ingest import load_files
from tests.crafted import RULE_LINES as LINES
from tests.crafted import rules_ledger as ledger


@pytest.mark.parametrize("text,expected", [("4", (4, 4)), ("2-4", (2, 4)), ("2–4", (2, 4)), (" 1 - 5 ", (1, 5)),
                                           ("3.0", (3, 3)), (3, (3, 3))])
def test_feasibility_parses(text, expected):
    assert pr.parse_feasibility(text) == expected


@pytest.mark.parametrize("text,code", [("0", "init_score_range"), ("6", "init_score_range"), ("2-7", "init_score_range"),
                                       ("4-2", "init_range_order"), ("hög", "init_feasibility"), ("2-", "init_feasibility"),
                                       ("", "init_feasibility")])
def test_feasibility_refused(text, code):
    with pytest.raises(pr.InitiativeError) as err:
        pr.parse_feasibility(text)
    assert err.value.code == code


def test_potential_quarter_amount_percent():
    assert pr.parse_potential("5") == 5 and pr.parse_potential(4.0) == 4
    for bad, code in (("6", "init_potential_range"), ("x", "init_potential"), ("2.5", "init_potential")):
        with pytest.raises(pr.InitiativeError) as err:
            pr.parse_potential(bad)
        assert err.value.code == code
    assert [pr.parse_quarter(q) for q in ("2021 Q2", "2021Q2", "2021-q2", "Q2 2021", "2021:2")] == ["2021 Q2"] * 5
    for bad in ("2021 Q5", "Q2", "21 Q2", "våren 2021"):
        with pytest.raises(pr.InitiativeError) as err:
            pr.parse_quarter(bad)
        assert err.value.code == "init_quarter"
    assert pr.parse_amount("1 234 567,50") == 1234567.5 and pr.parse_amount("26,7 MSEK") == pytest.approx(26.7e6)
    assert pr.parse_amount("2.8 mkr") == pytest.approx(2.8e6) and pr.parse_amount("") is None
    assert pr.parse_percent("6,5 %") == pytest.approx(0.065) and pr.parse_percent("0.065") == pytest.approx(0.065)
    with pytest.raises(pr.InitiativeError):
        pr.parse_percent("150 %")


def test_the_six_initiatives_total_to_the_figure(store):
    assert sv.load_demo_initiatives(store) == 6
    df = pr.table(store)
    t = pr.totals(df)
    assert round(t["spend"] / 1e6, 1) == 114.9 and round(t["saving"] / 1e6, 1) == 7.4
    assert round(t["saving_share"] * 100, 1) == 6.4                   # the slide's 6,5 % was a rounding slip
    row = df.set_index("name").loc["Bygg- och fastighetstjänster (byggtjänster, värme och sanitet, elektriker)"]
    assert (row.feasibility_low, row.feasibility_high, row.feasibility_mid, row.start, row.end) == (2, 4, 3.0, "2024 Q2", "2025 Q1")
    assert bool(row.spend_is_override) and row.spend == 54.8e6
    from ui import format as fmt
    assert (fmt.msek(t["spend"]), fmt.msek(t["saving"]), fmt.percent(t["saving_share"])) == ("114,9 MSEK", "7,4 MSEK", "6,4 %")
    out = pr.as_json(store)
    assert out["total_spend"] == 114_900_000.0 and out["total_saving"] == 7_400_000.0
    assert out["initiatives"][5]["feasibility_low"] == 2 and out["initiatives"][5]["start"] == "2024 Q2"


@pytest.fixture
def loaded(store):
    from analytics.classify import set_preset
    set_preset(store, "public", False)          # the public body in the crafted ledger is counted
    load_files(store, [("reskontra.csv", ledger(LINES))])
    return store


def cat(cur, *path):
    return node_for_path(cur, tuple(path), {}, create=False)


def test_spend_computed_from_linked_categories(loaded):
    food_l2 = cat(loaded, "Verksamhet & stöd", "Måltider och livsmedel")
    food_l3 = cat(loaded, "Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel")
    office = cat(loaded, "Organisation", "Kontor", "Kontorsmaterial")
    end = dt.date(2024, 12, 1)
    # linked at two levels of the same branch: each line counted once (1000 + 150)
    fig = pr.category_figures(loaded, [food_l2, food_l3], end)
    assert fig["spend"] == 1150.0 and fig["suppliers"] == 2 and fig["classified_share"] == 1.0
    assert fig["trend"] is None                                      # 2023 is not fully loaded
    both = pr.category_figures(loaded, [food_l3, office], end)
    assert both["spend"] == 1650.0 and both["suppliers"] == 3
    # several sets in one pass (the prioritisation table's): each as on its own
    many = pr.category_figures_many(loaded, [[food_l2, food_l3], [], [food_l3, office], [999999]], end)
    assert [(m["spend"], m["suppliers"]) for m in many] == [(1150.0, 2), (0.0, 0), (1650.0, 3), (0.0, 0)]
    assert many[0] == fig and many[2] == both
    # the window: twelve months ending 2024-01 hold only Alfa's January line (Delta's is from March)
    assert pr.category_figures(loaded, [food_l3], dt.date(2024, 1, 1))["spend"] == 1000.0
    assert pr.category_figures(loaded, [food_l3], dt.date(2023, 12, 1))["spend"] == 0.0
    pr.save(loaded, [pr.Initiative("Livsmedel", [food_l3], 4, 4, 5, saving_pct=0.1, start="2024 Q3")], window_end=end)
    df = pr.table(loaded, window_end=end)
    assert (df.spend.iloc[0], df.saving.iloc[0], bool(df.spend_is_override.iloc[0])) == (1150.0, 115.0, False)
    assert df.computed_spend.iloc[0] == 1150.0


@pytest.mark.parametrize("item,code,column", [
    (pr.Initiative("", []), "init_name", "name"),
    (pr.Initiative("X", [], 4, 2), "init_range_order", "feasibility"),
    (pr.Initiative("X", [], 3, 3, 7), "init_potential_range", "potential"),
    (pr.Initiative("X", [99999]), "init_category", "categories"),
    (pr.Initiative("X", [], start="2021 Q7"), "init_quarter", "start"),
    (pr.Initiative("X", [], spend_override=1000.0, saving_sek=2000.0), "init_saving_too_large", "saving"),
    (pr.Initiative("X", [], saving_sek=10.0, saving_pct=0.1), "init_saving_both", "saving"),
    (pr.Initiative("X", [], status="maybe"), "init_status", "status"),
])
def test_validation_messages_name_row_and_field(loaded, item, code, column):
    good = pr.Initiative("Bra", [], 3, 3, 3)
    with pytest.raises(pr.InitiativeError) as err:
        pr.save(loaded, [good, item])
    assert (err.value.code, err.value.row, err.value.column) == (code, 2, column)
    assert pr.load(loaded) == []                                      # nothing half-written


def test_saving_larger_than_the_computed_spend(loaded):
    food = cat(loaded, "Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel")
    with pytest.raises(pr.InitiativeError) as err:
        pr.save(loaded, [pr.Initiative("Mat", [food], saving_sek=5000.0)], window_end=dt.date(2024, 12, 1))
    assert err.value.code == "init_saving_too_large" and err.value.params["spend"] == "1 150"


def test_edits_are_audited_and_deleted_rows_go(loaded):
    pr.save(loaded, [pr.Initiative("A", [], 3, 3, 3), pr.Initiative("B", [], 2, 4, 5)])
    items = pr.load(loaded)
    items[0].potential = 4
    res = pr.save(loaded, [items[0]])
    assert res == {"added": 0, "changed": 1, "deleted": 1}
    actions = [r[0] for r in loaded.execute("SELECT action FROM audit_log WHERE entity = 'initiatives' ORDER BY audit_id").fetchall()]
    assert actions == ["initiative_add", "initiative_add", "initiative_change", "initiative_delete"]
    detail = json.loads(loaded.execute("SELECT detail FROM audit_log WHERE action = 'initiative_change'").fetchall()[0][0])
    assert detail["changes"]["potential"] == [3, 4]


def test_xlsx_round_trip_and_bad_file(store, tmp_path):
    sv.load_demo_initiatives(store)
    path = tmp_path / "initiativ.xlsx"
    assert pr.write_file(store, path) == 6
    ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = rows.index(list(pr.FILE_COLUMNS))
    assert rows[header + 6][2] == "2-4" and rows[header + 6][7] == "2024 Q2"
    before = pr.as_json(store)
    res = pr.import_file(store, "initiativ.xlsx", path.read_bytes(), replace=True)
    assert res["added"] == 6 and pr.as_json(store) == before
    bad = tmp_path / "fel.csv"
    bad.write_text("name;feasibility;potential;start\nFordon;4;4;2021 Q2\nMöbler;4-9;5;2021 Q4\n", encoding="utf-8")
    with pytest.raises(pr.InitiativeError) as err:
        pr.import_file(store, "fel.csv", bad.read_bytes())
    assert (err.value.code, err.value.row, err.value.column, err.value.file) == ("init_score_range", 3, "feasibility", "fel.csv")


def test_cli_initiatives(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    assert cli(["demo", "--db", db]) == 0
    capsys.readouterr()
    assert cli(["initiatives", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"initiatives", "total_spend", "total_saving", "saving_share"}
    assert set(out["initiatives"][0]) == {"name", "feasibility_low", "feasibility_high", "potential", "spend", "saving",
                                          "start", "status"}
    assert (out["total_spend"], out["total_saving"]) == (114_900_000.0, 7_400_000.0)
    assert cli(["initiatives", "export", str(tmp_path / "i.xlsx"), "--db", db]) == 0
    assert cli(["initiatives", "import", str(tmp_path / "i.xlsx"), "--replace", "--db", db]) == 0
    capsys.readouterr()
    assert cli(["initiatives", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_saving"] == 7_400_000.0
    assert cli(["initiatives", "import", str(tmp_path / "saknas.xlsx"), "--db", db]) == 2


def test_matrix_and_roadmap_figures(store):
    from ui.charts.matrix import bubble_matrix, label_positions, roadmap
    sv.load_demo_initiatives(store)
    df = pr.table(store)
    fig = bubble_matrix(df, quadrants={"hh": "Gör nu", "lh": "Planera", "hl": "Snabba vinster", "ll": "Avvakta"},
                        x_title="Genomförbarhet", y_title="Potential")
    bubbles = [tr for tr in fig.data if tr.mode == "markers+text"]
    ranges = [tr for tr in fig.data if tr.mode == "lines"]
    assert sum(len(tr.x) for tr in bubbles) == 6
    assert len(ranges) == 1 and list(ranges[0].x) == [2, 4] and list(ranges[0].y) == [4, 4]
    everything = {n: (x, y, s) for tr in bubbles for n, x, y, s in zip(tr.text, tr.x, tr.y, tr.marker.size)}
    assert everything["Möbler"][:2] == (4.0, 5.0)
    assert everything["Bygg- och fastighetstjänster (byggtjänster, värme och sanitet, elektriker)"][:2] == (3.0, 4.0)
    assert all(tr.marker.sizemode == "area" for tr in bubbles)
    sizes = {n: v[2] for n, v in everything.items()}
    assert sizes["Storköksutrustning"] == pytest.approx(2.8) and sizes["Möbler"] == pytest.approx(4.7)
    assert {a.text for a in fig.layout.annotations} == {"Gör nu", "Planera", "Snabba vinster", "Avvakta"}
    # the two 5/5 bubbles and the two 4/4-ish ones get different label positions
    pos = label_positions([5, 5, 3, 3.2], [5, 5, 4, 4])
    assert pos[0] != pos[1] and pos[2] != pos[3]
    assert pos[0].endswith("left")                                    # kept inside the chart at the right edge
    road = roadmap(df)
    assert sum(len(tr.y) for tr in road.data) == 6
    assert list(road.layout.xaxis.ticktext)[:2] == ["2024 Q1", "2024 Q2"]
    bars = {n: (b, w) for tr in road.data for n, b, w in zip(tr.y, tr.base, tr.x)}
    assert bars["Storköksutrustning"] == (3.5, 4)                     # 2025 Q1 is four quarters after 2024 Q1


def test_demo_initiatives_go_with_the_demo(store):
    sv.load_demo_initiatives(store)
    pr.save(store, pr.load(store) + [pr.Initiative("Egen", [], 3, 3, 3)])
    assert pr.remove_demo_initiatives(store) == 6
    assert [i.name for i in pr.load(store)] == ["Egen"]



def test_an_import_or_an_edit_never_deletes_what_another_session_added(store, tmp_path, monkeypatch):
    """Found by the ten-session browser test: an import (adding) read the stored list before its
    transaction and saved it back with replace, so an initiative another session saved in between
    was deleted. Adding now only adds, and an edit deletes only rows its table showed."""
    pr.save(store, [pr.Initiative("Befintligt", [], 3, 3, 3)])
    path = tmp_path / "ett.xlsx"
    pr.write_file(store, path)                    # one initiative, "Befintligt", as a file
    wb = openpyxl.load_workbook(path)
    wb.active["A2"] = "Importerat"
    wb.save(path)
    real, calls = pr.validate, []

    def validate_while_another_session_saves(cur, it, computed=None):
        calls.append(it.name)
        if len(calls) == 2:     # the file's row was read (call 1); save checks it again: another session saves now
            pr.save(cur, pr.load(cur) + [pr.Initiative("Från en annan session", [], 2, 2, 2)])
        return real(cur, it, computed)

    monkeypatch.setattr(pr, "validate", validate_while_another_session_saves)
    res = pr.import_file(store, "ett.xlsx", path.read_bytes())
    assert res == {"added": 1, "changed": 0, "deleted": 0}
    assert sorted(i.name for i in pr.load(store)) == ["Befintligt", "Från en annan session", "Importerat"]
    # an edit of the rows it showed (it deleted "Befintligt") leaves the one added meanwhile
    shown = {i.initiative_id for i in pr.load(store) if i.name != "Från en annan session"}
    kept = [i for i in pr.load(store) if i.name == "Importerat"]
    assert pr.save(store, kept, shown=shown)["deleted"] == 1
    assert sorted(i.name for i in pr.load(store)) == ["Från en annan session", "Importerat"]
