"""Watchlist: ladder transitions and penalty rules (table-driven), the append-only history,
each ledger signal on crafted data, XLSX round trip with column mapping, the CLI."""

import datetime as dt
import json
import re

import pytest

from analytics import watchlist as wl
from analytics.__main__ import main as cli
from analytics.export import Sheet, xlsx_bytes
from analytics.ingest import load_files
from tests.crafted import WATCH_ROWS as ROWS
from tests.crafted import A, B
from tests.crafted import rules_ledger as ledger


@pytest.mark.parametrize("current,target,why,expected", [
    (1, 2, "upprepat", "up"), (2, 4, "allvarligt", "up"), (3, 1, "åtgärdsplan klar", "down"), (2, 2, "", "same"),
])
def test_ladder_moves(current, target, why, expected):
    assert wl.check_move(current, target, why, 5) == expected


@pytest.mark.parametrize("current,target,why,code", [
    (1, 6, "x", "watch_step"), (1, 0, "x", "watch_step"), (1, 2, "", "watch_why"), (3, 2, "  ", "watch_why"),
])
def test_ladder_refusals(current, target, why, code):
    with pytest.raises(wl.WatchError) as err:
        wl.check_move(current, target, why, 5)
    assert err.value.code == code


@pytest.mark.parametrize("step,action,allowed", [
    (1, "book", True), (1, "charge", False), (2, "book", True), (2, "charge", True), (5, "charge", True),
])
def test_penalty_rules(step, action, allowed):
    assert wl.penalty_allowed(step, action) is allowed


@pytest.mark.parametrize("booked,later,today,due", [
    (dt.date(2024, 1, 1), [], dt.date(2024, 3, 31), True),                       # 90 days, nothing new
    (dt.date(2024, 1, 1), [], dt.date(2024, 3, 30), False),                      # 89 days
    (dt.date(2024, 1, 1), [dt.date(2024, 2, 1)], dt.date(2024, 6, 1), False),    # a new deviation in between
    (dt.date(2024, 1, 1), [dt.date(2023, 12, 1)], dt.date(2024, 6, 1), True),    # an older one does not count
])
def test_earn_back_rule(booked, later, today, due):
    assert wl.earn_back_due(booked, later, today) is due




@pytest.fixture
def loaded(store):
    from analytics.classify import set_preset
    set_preset(store, "public", False)          # the public body in the crafted ledger is counted
    load_files(store, [("reskontra.csv", ledger(ROWS))])
    return store


def test_each_signal_on_crafted_data(loaded):
    sig = wl.signals(loaded)
    by = {}
    for s in sig:
        by.setdefault(s["kind"], []).append(s)
    assert [s["supplier"] for s in by["new_large"]] == ["Ny AB"]
    assert [s["supplier"] for s in by["jump"]] == ["Beta AB"] and by["jump"][0]["amount"] == 250000.0
    assert [s["supplier"] for s in by["direct_award"]] == ["Alfa AB"] and by["direct_award"][0]["amount"] == 750000.0
    assert "700,000" in by["direct_award"][0]["detail"]
    assert [s["supplier"] for s in by["public_body"]] == ["Delta kommun"]
    assert [s["supplier"] for s in by["invalid_org_no"]] == ["Saknar AB"]
    sole = by["sole_trader"][0]
    assert re.match(r"Enskild firma #[0-9A-F]{6}", sole["supplier"]) and re.fullmatch(r"#[0-9A-F]{6}", sole["org_no"])
    assert not loaded.execute("SELECT count(*) FROM deviations").fetchall()[0][0]   # never added automatically


@pytest.mark.parametrize("valid_from, month, limit", [
    (None, "2024-08", 700_000),             # the shipped thresholds: 700 000 from February 2022
    ("2024-09-01", "2024-08", 700_000),     # a higher one from September: August passed the one valid then
    ("2024-08-01", None, None),             # valid from August: 750 000 never passes it
    ("2024-08-02", "2024-08", 700_000),     # the month counts on its first day
])
def test_each_month_is_held_against_the_threshold_valid_on_it(loaded, valid_from, month, limit):
    """Alfa: 300 000 in April and 450 000 in August 2024 (750 000 over 12 months)."""
    if valid_from:
        loaded.execute("INSERT INTO thresholds VALUES ('direct_award', ?, 800000, 'test')", [valid_from])
    alfa = [s for s in wl.signals(loaded) if s["supplier"] == "Alfa AB" and s["kind"].startswith("direct_award")]
    assert [(s["params"]["month"], s["params"]["limit"], s["amount"]) for s in alfa] == (
        [(month, limit, 750_000)] if month else [])


def test_deviation_ladder_penalties_and_an_immutable_history(loaded):
    did = wl.add(loaded, A.replace("-", ""), "Sena leveranser till köken", occurred=dt.date(2024, 1, 1),
                 contract_owner="Eva", supplier_owner="Per", next_action="Ring leverantören", due=dt.date(2024, 1, 15),
                 actor="eva")
    assert wl.get(loaded, did)["supplier_name"] == "Alfa AB"
    pid = wl.penalty(loaded, did, "book", 10_000, on=dt.date(2024, 1, 2), actor="eva")
    with pytest.raises(wl.WatchError) as err:
        wl.penalty(loaded, did, "charge", penalty_id=pid)
    assert err.value.code == "watch_penalty_step"                       # charging needs step 2
    assert wl.move(loaded, did, 2, "Ingen förbättring", actor="eva") == "up"
    wl.penalty(loaded, did, "charge", penalty_id=pid, on=dt.date(2024, 2, 1), actor="eva")
    with pytest.raises(wl.WatchError) as err:
        wl.penalty(loaded, did, "earn_back", penalty_id=pid, on=dt.date(2024, 3, 1))
    assert err.value.code == "watch_earn_back_early"
    wl.penalty(loaded, did, "earn_back", penalty_id=pid, on=dt.date(2024, 4, 2), actor="eva")
    assert wl.move(loaded, did, 1, "Åtgärdsplanen följs", actor="eva") == "down"
    totals = wl.penalty_totals(loaded).iloc[0]
    assert (totals.supplier, totals.year, totals.booked, totals.charged, totals.earned_back) == ("Alfa AB", 2024, 10000.0,
                                                                                               10000.0, 10000.0)
    first = wl.history(loaded, did)
    wl.update(loaded, did, {"next_action": "Uppföljningsmöte"}, "nytt möte", actor="per")
    wl.close(loaded, did, "Levererar rätt sedan mars", actor="per")
    after = wl.history(loaded, did)
    assert after.iloc[: len(first)].drop(columns=["what"]).equals(first.drop(columns=["what"]))   # never rewritten
    assert list(after.what.iloc[: len(first)]) == list(first.what)
    assert [w.get("direction") for w in after.what if "direction" in w] == ["up", "down"]
    assert list(after.why.dropna()) == ["Ingen förbättring", "Åtgärdsplanen följs", "nytt möte", "Levererar rätt sedan mars"]
    with pytest.raises(wl.WatchError) as err:
        wl.move(loaded, did, 3, "för sent")
    assert err.value.code == "watch_closed"
    actions = [r[0] for r in loaded.execute("SELECT action FROM audit_log WHERE entity IN ('deviations', 'penalties') ORDER BY audit_id").fetchall()]
    assert actions[:3] == ["deviation_add", "penalty_book", "deviation_up"]


def test_overdue_and_cli(loaded, tmp_path, capsys):
    wl.add(loaded, "Beta AB", "Fel artiklar", due=dt.date(2020, 1, 1))
    wl.add(loaded, "Gamma HB", "Sen faktura", due=dt.date.today() + dt.timedelta(days=30))
    assert wl.overdue_count(loaded) == 1
    db = loaded.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    loaded.execute("CHECKPOINT")
    assert cli(["watchlist", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(d["supplier"], d["step"], d["overdue"]) for d in out] == [("Beta AB", 1, True), ("Gamma HB", 1, False)]
    assert set(out[0]) >= {"supplier", "step", "due", "booked", "charged"}
    assert cli(["signals", "--db", db, "--json"]) == 0
    sig = json.loads(capsys.readouterr().out)
    assert {s["kind"] for s in sig} >= {"new_large", "jump", "direct_award", "public_body", "invalid_org_no", "sole_trader"}
    assert set(sig[0]) == {"kind", "supplier", "org_no", "amount", "detail"}


def test_xlsx_round_trip_and_mapping(loaded):
    wl.add(loaded, "Alfa AB", "Sena leveranser", contract="Livsmedel 2023", severity="high", step=2,
           occurred=dt.date(2024, 5, 1), due=dt.date(2024, 6, 1))
    frame = wl.export_frame(loaded)
    data = xlsx_bytes([Sheet("Bevakningslista", frame)])
    header, rows = wl.read_file("lista.xlsx", data)
    assert "supplier" in header and rows[0][1]["description"] == "Sena leveranser"
    assert wl.import_rows(loaded, "lista.xlsx", rows) == 1
    again = wl.deviations(loaded, status=None)
    assert len(again) == 2 and list(again.step) == [2, 2] and list(again.severity) == ["high", "high"]
    # a file with its own headers, mapped to our fields
    theirs = ("Lev;Orgnr;Händelse;Datum;Allvar;Trappsteg\n"
              f"Beta AB;{B};Fel kvantitet;2024-07-01;hög;3\n").encode()
    header, rows = wl.read_file("egen.csv", theirs, {"supplier": "Lev", "org_no": "Orgnr", "description": "Händelse",
                                                    "occurred": "Datum", "severity": "Allvar", "step": "Trappsteg"})
    assert wl.import_rows(loaded, "egen.csv", rows) == 1
    beta = wl.deviations(loaded, status=None).set_index("supplier_name").loc["Beta AB"]
    assert (beta.step, beta.severity, str(beta.occurred)[:10]) == (3, "high", "2024-07-01")
    bad = ("Lev;Händelse;Trappsteg\nBeta AB;Fel;9\n").encode()
    _h, rows = wl.read_file("fel.csv", bad, {"supplier": "Lev", "description": "Händelse", "step": "Trappsteg"})
    with pytest.raises(wl.WatchError) as err:
        wl.import_rows(loaded, "fel.csv", rows)
    assert (err.value.code, err.value.row, err.value.column) == ("watch_step", 2, "step")
    assert len(wl.deviations(loaded, status=None)) == 3                 # nothing added from the bad file


def test_supplier_view(loaded):
    v = wl.supplier_view(loaded, "org:" + A.replace("-", ""))
    assert v["name"] == "Alfa AB" and v["total"] == 750000.0 and v["org_no_status"] == "valid"
    assert list(v["trend"].quarter) == ["2024 Q2", "2024 Q3"]
    cats = v["categories"].set_index("category")
    assert cats.loc["Måltider och livsmedel"].share == pytest.approx(750000 / (750000 + 800 + 900))
    assert list(v["units"].org_unit) == ["Skola"]


def test_an_import_that_fails_while_writing_adds_nothing(loaded, monkeypatch):
    """The rows are written in one transaction: when the second row fails while it is written
    (after every row was checked), the first row is not left behind."""
    data = ("Lev;Händelse;Status\nAlfa AB;Sen leverans;stängd\nBeta AB;Fel kvantitet;stängd\n").encode()
    _h, rows = wl.read_file("lista.csv", data, {"supplier": "Lev", "description": "Händelse", "status": "Status"})
    before = len(wl.deviations(loaded, status=None))
    real, calls = wl.close, []

    def close_fails_the_second_time(cur, did, note, **kw):
        calls.append(did)
        if len(calls) == 2:
            raise wl.WatchError("watch_closed", "the disk is full")
        return real(cur, did, note, **kw)

    monkeypatch.setattr(wl, "close", close_fails_the_second_time)
    with pytest.raises(wl.WatchError):
        wl.import_rows(loaded, "lista.csv", rows)
    assert len(wl.deviations(loaded, status=None)) == before
    assert loaded.execute("SELECT count(*) FROM audit_log WHERE action = 'watchlist_import'").fetchall()[0][0] == 0


def _alfa_contract(cur, start: str, end: str, owner: str = "Cecilia Ek") -> None:
    from analytics import contracts
    contracts.import_register(cur, "avtal.csv", (
        "Avtalsnummer;Avtalsnamn;Leverantör;Organisationsnummer;Startdatum;Slutdatum;Avtalsansvarig\n"
        f"AV-9;Livsmedel Alfa;Alfa AB;{A};{start};{end};{owner}\n").encode(), replace=True)


@pytest.mark.parametrize("start, end, kind, amount, off", [
    # Alfa: 300 000 in April and 450 000 in August 2024, the threshold 700 000
    ("2024-08-01", "2025-12-31", "direct_award_covered", 750_000, 300_000),    # August under contract
    ("2024-01-01", "2024-06-30", "direct_award_covered", 750_000, 450_000),    # April under contract
    ("2024-09-01", "2025-12-31", "direct_award", 750_000, None),               # a contract after both: still a signal
    ("2024-04-11", "2024-08-09", "direct_award", 750_000, None),               # ends the day before, starts the day after
])
def test_the_direct_award_signal_skips_spend_under_a_valid_contract(loaded, start, end, kind, amount, off):
    _alfa_contract(loaded, start, end)
    alfa = [s for s in wl.signals(loaded) if s["supplier"] == "Alfa AB" and s["kind"].startswith("direct_award")]
    assert [s["kind"] for s in alfa] == [kind] and alfa[0]["amount"] == amount
    if kind == "direct_award_covered":
        assert alfa[0]["params"]["contracts"] == "AV-9" and alfa[0]["params"]["off"] == off
        assert "not a direct award" in alfa[0]["detail"]
    else:
        assert alfa[0]["params"]["on_contract"] == 0


def test_the_direct_award_signal_counts_only_what_is_outside_the_contract(loaded):
    """300 000 + 450 000 + a third line under contract: the signal is the 750 000 outside it."""
    from analytics import contracts
    load_files(loaded, [("mer.csv", ledger([("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "90000,00", "2024-09-15")]))])
    contracts.import_register(loaded, "avtal.csv", (
        "Avtalsnummer;Avtalsnamn;Leverantör;Organisationsnummer;Startdatum;Slutdatum\n"
        f"AV-9;Livsmedel Alfa;Alfa AB;{A};2024-09-01;2024-09-30\n").encode())
    alfa = [s for s in wl.signals(loaded) if s["supplier"] == "Alfa AB" and s["kind"] == "direct_award"][0]
    assert alfa["amount"] == 750_000 and alfa["params"]["on_contract"] == 90_000


def test_a_deviation_links_to_its_contract_and_takes_its_owner(loaded):
    _alfa_contract(loaded, "2024-01-01", "2025-12-31")
    did = wl.add(loaded, "Alfa AB", "Sen leverans", contract="av-9")
    d = wl.get(loaded, did)
    assert (d["contract"], d["contract_owner"]) == ("AV-9", "Cecilia Ek")
    assert wl.deviations(loaded).set_index("deviation_id").at[did, "contract_name"] == "Livsmedel Alfa"
    own = wl.add(loaded, "Alfa AB", "Fel pris", contract="Livsmedel Alfa", contract_owner="Dan Berg")
    assert (wl.get(loaded, own)["contract"], wl.get(loaded, own)["contract_owner"]) == ("AV-9", "Dan Berg")
    free = wl.add(loaded, "Beta AB", "Saknad kvalitet", contract="Gammalt avtal 2019")
    assert (wl.get(loaded, free)["contract"], wl.get(loaded, free)["contract_owner"]) == ("Gammalt avtal 2019", None)
    wl.update(loaded, free, {"contract": "AV-9"}, "rätt avtal")
    assert (wl.get(loaded, free)["contract"], wl.get(loaded, free)["contract_owner"]) == ("AV-9", "Cecilia Ek")


def test_supplier_view_counts_influenceable_spend_unless_asked_for_all(store):
    """A supplier paid both for goods and for something excluded (a pension premium, account
    class 5): the view shows its influenceable spend, the total and the excluded part beside it;
    scope 'all' shows everything."""
    rows = [("Kåpan AB", A, "64210", "Livsmedel", "", "", "Skola", "1000,00", "2024-04-10"),
            ("Kåpan AB", A, "53110", "Pensionspremier", "", "", "Kansli", "9000,00", "2024-08-10")]
    load_files(store, [("r.csv", ledger(rows))])
    key = "org:" + A.replace("-", "")
    v = wl.supplier_view(store, key)
    assert (v["spend"], v["excluded"], v["total"]) == (1000.0, 9000.0, 10000.0)
    assert list(v["trend"].spend) == [1000.0] and list(v["units"].org_unit) == ["Skola"]
    every = wl.supplier_view(store, key, scope="all")
    assert every["spend"] == 10000.0 and list(every["trend"].spend) == [1000.0, 9000.0]
    assert sorted(every["units"].org_unit) == ["Kansli", "Skola"]
    with pytest.raises(ValueError):
        wl.supplier_view(store, key, scope="mine")
