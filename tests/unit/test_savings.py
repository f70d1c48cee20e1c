"""Savings: baseline, run-rate and measured savings on hand-computed data, the two saving types
kept apart, the frozen baseline after a re-upload that changes history, index adjustment,
reported savings and finance sign-off, the CLI."""

import json

import pandas as pd
import pytest

from analytics import prioritise as pr
from analytics import savings as sv
from analytics.__main__ import main as cli
from analytics.ingest import load_files
from tests.crafted import SAVINGS_ROWS as ROWS
from tests.crafted import A
from tests.crafted import rules_ledger as ledger


@pytest.fixture
def tracked(store):
    load_files(store, [("reskontra.csv", ledger(ROWS))])
    food = pr.category_ids_from_paths(store, "Verksamhet & stöd / Måltider och livsmedel / Livsmedel")
    office = pr.category_ids_from_paths(store, "Organisation / Kontor / Kontorsmaterial")
    sv.save_initiatives(store, [pr.Initiative("Livsmedel", food, 4, 4, 5, saving_sek=200.0, start="2024 Q1", status="approved"),
                    pr.Initiative("Kontor", office, 3, 3, 3, saving_sek=40.0, start="2024 Q1", status="idea")],
            actor="test")
    ids = {i.name: i.initiative_id for i in pr.load(store)}
    return store, ids


def test_baseline_frozen_on_approval_and_measured_savings(tracked):
    cur, ids = tracked
    base = sv.baseline(cur, ids["Livsmedel"])
    assert (base["spend"], base["months"], base["frozen_by"]) == (1200.0, 12, "test")
    assert (str(base["from"]), str(base["to"])) == ("2023-01-01", "2023-12-01")
    assert sv.baseline(cur, ids["Kontor"]) is None                      # an idea has no baseline yet
    assert sv.last_complete_quarter(cur) == "2024 Q4"
    q = sv.quarters(cur, ids["Livsmedel"])
    assert list(q.quarter) == ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]
    assert list(q.run_rate) == [300.0] * 4 and list(q.actual) == [240.0, 270.0, 300.0, 210.0]
    assert list(q.measured) == [60.0, 30.0, 0.0, 90.0]
    assert list(q.planned) == [50.0] * 4                                # 200 spread over four quarters
    assert q.method.iloc[0] == "baseline 2023-01–2023-12 / 4 − actual"
    row = sv.overview(cur).set_index("name").loc["Livsmedel"]
    assert (row.planned, row.measured, row.status) == (200.0, 180.0, "on_track")   # 180 / 200 = 90 %


def test_status_rule():
    assert sv.status_of(100, None, 90) == "on_track"
    assert sv.status_of(100, 95, 60) == "at_risk"                       # measured wins over reported
    assert sv.status_of(100, 70, None) == "at_risk"
    assert sv.status_of(100, None, 59) == "behind" and sv.status_of(100, None, None) == "behind"
    assert sv.status_of(0, None, None) is None


def test_types_are_kept_apart(tracked):
    cur, ids = tracked
    items = pr.load(cur)
    for it in items:
        it.status = "approved"
    sv.save_initiatives(cur, items)                                                 # freezes the office baseline (600)
    sv.set_settings(cur, ids["Kontor"], "cost_avoidance", None, [])
    t = sv.totals(sv.overview(cur))
    assert t["cost_reduction"] == {"planned": 200.0, "reported": 0.0, "measured": 180.0, "initiatives": 1}
    assert t["cost_avoidance"] == {"planned": 40.0, "reported": 0.0, "measured": 0.0, "initiatives": 1}
    with pytest.raises(sv.SavingsError):
        sv.set_settings(cur, ids["Kontor"], "both", None, [])


def test_frozen_baseline_does_not_move_when_history_changes(tracked):
    cur, ids = tracked
    # a late invoice for June 2023 arrives with the next upload
    load_files(cur, [("rättelse.csv", ledger([("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "120,00", "2023-06-20")]))])
    row = sv.overview(cur).set_index("name").loc["Livsmedel"]
    assert (row.baseline, row.baseline_now, row.baseline_diff) == (1200.0, 1320.0, 120.0)
    assert list(sv.quarters(cur, ids["Livsmedel"]).measured) == [60.0, 30.0, 0.0, 90.0]


def test_index_adjustment(tracked):
    cur, ids = tracked
    sv.set_index(cur, "KPI", {"2023 Q1": 100, "2023 Q2": 100, "2023Q3": 102, "2023 Q4": 98, "2024 Q1": 110, "2024 Q2": 105})
    sv.set_settings(cur, ids["Livsmedel"], "cost_avoidance", "KPI", [])
    q = sv.quarters(cur, ids["Livsmedel"])
    assert q.adjustment.iloc[0] == pytest.approx(1.10) and q.measured.iloc[0] == pytest.approx(300 * 1.10 - 240)
    assert q.measured.iloc[1] == pytest.approx(300 * 1.05 - 270)
    assert pd.isna(q.adjustment.iloc[2]) and pd.isna(q.measured.iloc[2])   # no index for 2024 Q3
    assert "KPI 110 / 100" in q.method.iloc[0] and "missing" in q.method.iloc[2]
    with pytest.raises(sv.SavingsError) as err:
        sv.set_index(cur, "KPI", {"2024 Q1": 0})
    assert err.value.code == "sav_index_value"


def test_reported_saving_and_sign_off(tracked):
    cur, ids = tracked
    with pytest.raises(sv.SavingsError) as err:
        sv.enter(cur, ids["Livsmedel"], "2024 Q1", reported=70.0)
    assert err.value.code == "sav_comment"
    sv.enter(cur, ids["Livsmedel"], "2024 Q1", reported=70.0, comment="Nytt avtal från februari", actor="kategoriledare")
    sv.enter(cur, ids["Livsmedel"], "2024 Q2", planned=80.0)
    sv.sign_off(cur, ids["Livsmedel"], "2024 Q1", actor="ekonomi")
    q = sv.quarters(cur, ids["Livsmedel"]).set_index("quarter")
    assert (q.at["2024 Q1", "reported"], q.at["2024 Q1", "comment"], q.at["2024 Q1", "signed_by"]) == (
        70.0, "Nytt avtal från februari", "ekonomi")
    assert q.at["2024 Q2", "planned"] == 80.0 and bool(q.at["2024 Q2", "planned_edited"])
    with pytest.raises(sv.SavingsError) as err:
        sv.enter(cur, ids["Livsmedel"], "2024 Q1", reported=75.0, comment="ändrat")
    assert err.value.code == "sav_signed"
    with pytest.raises(sv.SavingsError) as err:
        sv.sign_off(cur, ids["Livsmedel"], "2025 Q1")
    assert err.value.code == "sav_not_complete"
    actions = [r[0] for r in cur.execute("SELECT action FROM audit_log WHERE entity LIKE 'savings%' ORDER BY audit_id").fetchall()]
    assert actions[-3:] == ["saving_enter", "saving_enter", "saving_sign_off"]
    assert sv.overview(cur).set_index("name").loc["Livsmedel"].reported == 70.0


def test_cli_savings(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    (tmp_path / "r.csv").write_bytes(ledger(ROWS))
    assert cli(["import", str(tmp_path / "r.csv"), "--db", db]) == 0
    from analytics.store import connect
    con = connect(db)
    cur = con.cursor()
    food = pr.category_ids_from_paths(cur, "Verksamhet & stöd / Måltider och livsmedel / Livsmedel")
    sv.save_initiatives(cur, [pr.Initiative("Livsmedel", food, 4, 4, 5, saving_sek=200.0, start="2024 Q1", status="approved")])
    con.close()
    capsys.readouterr()
    assert cli(["savings", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["initiatives"] == [{"name": "Livsmedel", "type": "cost_reduction", "baseline": 1200.0, "planned": 200.0,
                                   "reported": None, "measured": 180.0}]
    assert out["totals"]["cost_reduction"]["measured"] == 180.0 and out["totals"]["cost_avoidance"]["measured"] == 0.0


def test_no_measured_saving_on_an_incomplete_baseline(tracked):
    cur, ids = tracked
    items = pr.load(cur)
    items[0].start = "2023 Q3"                          # only 6 baseline months (2023-01..06) are loaded
    sv.save_initiatives(cur, items)
    sv.freeze(cur, ids["Livsmedel"])
    assert sv.baseline(cur, ids["Livsmedel"])["months"] == 6
    q = sv.quarters(cur, ids["Livsmedel"])
    assert q.measured.isna().all() and q.method.iloc[0] == "baseline incomplete: 6 of 12 months loaded"


def test_the_quarters_editor_saves_all_rows_or_none(tracked):
    """The page's table as one save: amounts as typed in Swedish, only changed rows entered, and a
    bad row (or a reported saving without a comment) leaves every quarter as it was."""
    cur, ids = tracked
    iid = ids["Livsmedel"]
    before = [{"quarter": f"2024 Q{n}", "planned": "", "reported": "", "comment": ""} for n in (1, 2, 3)]
    bad = [dict(before[0], planned="1 200,50"), dict(before[1], reported="mycket"), before[2]]
    with pytest.raises(sv.SavingsError) as err:
        sv.save_quarters(cur, iid, before, bad, lang="sv")
    assert (err.value.code, err.value.row, err.value.column) == ("sav_amount", 2, "reported")
    no_comment = [dict(before[0], planned="1 200,50"), dict(before[1], reported="70")]
    with pytest.raises(sv.SavingsError) as err:
        sv.save_quarters(cur, iid, before[:2], no_comment, lang="sv")
    assert (err.value.code, err.value.row) == ("sav_comment", 2)
    assert cur.execute("SELECT count(*) FROM savings_quarters").fetchall()[0][0] == 0      # row 1 was not kept
    good = [dict(before[0], planned="1 200,50"), dict(before[1], reported="70", comment="Nytt avtal"), before[2]]
    assert sv.save_quarters(cur, iid, before, good, lang="sv") == 2
    q = sv.quarters(cur, iid).set_index("quarter")
    assert (q.at["2024 Q1", "planned"], q.at["2024 Q2", "reported"], q.at["2024 Q2", "comment"]) == (1200.5, 70.0, "Nytt avtal")
    assert sv.signable(sv.quarters(cur, iid, "2024 Q4"), "2024 Q4") == ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]
    assert sv.signable(sv.quarters(cur, iid), None) == []
