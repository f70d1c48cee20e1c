"""The shipped defaults on ledgers in the real shape (tests/ledgers.py), not the demo's: Kommun-Bas
account groups with a municipality's own sub-accounts and abbreviated texts; influenceable spend
as the basis of the figures; signals on a first upload; the demo's whole story."""

import csv
import datetime as dt

import pytest

from analytics import classify, cube, review
from analytics import watchlist as wl
from analytics.errors import RuleError
from analytics.filters import Filters
from analytics.ingest import load_files
from analytics.ledger import overview
from tests.conftest import ROOT
from tests.ledgers import account_table_bytes, accounts, landing, ledger_bytes, luhn_org


def test_every_real_style_account_lands_in_its_level_2_category(store):
    load_files(store, [("konton.csv", account_table_bytes())])
    land = {x["account"]: x for x in landing(store)}
    claims = [a for a in accounts() if a.expected]
    assert len(claims) >= 40
    wrong = [(a.code, a.text, a.expected, land[a.code]["got"]) for a in claims if land[a.code]["got"] != a.expected]
    assert wrong == []


def test_accounts_written_another_way_land_right_too(store):
    """Four-digit accounts and other abbreviations than the rules were written from."""
    with open(ROOT / "tests" / "data" / "holdout_accounts.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    body = "Leverantör;Organisationsnummer;Konto;Kontotext;Belopp;Bokföringsdatum\n" + "".join(
        f"Test AB;{luhn_org(556700001)};{r['konto']};{r['kontotext']};100,00;2025-03-15\n" for r in rows)
    load_files(store, [("andra-konton.csv", body.encode("utf-8"))])
    got = {x["account"]: x["got"] for x in landing(store)}
    wrong = [(r["konto"], r["kontotext"], r["vantat_l2"], got[r["konto"]]) for r in rows if got[r["konto"]] != r["vantat_l2"]]
    assert len(rows) >= 50 and wrong == []


def test_a_real_style_month_is_classified_and_pensions_stay_out_of_the_headline(store):
    load_files(store, [("Realkommunen 2025-03.csv", ledger_bytes(8_000))])
    cov = review.coverage(store)
    assert cov["levels"][2]["spend_share"] >= 0.8
    k = cube.kpis(store, cube.View())
    s = classify.summary(store)
    assert k["total_spend"] == pytest.approx(s["classified_spend"] + s["unclassified_spend"] + s["excluded_spend"])
    assert k["spend"] == pytest.approx(k["total_spend"] - k["excluded_spend"]) and k["excluded_spend"] > 0.4 * k["total_spend"]
    top = cube.pivot(store, cube.View(), "supplier", top=10, with_suppliers=False).body()
    assert "KPA Pensionsservice AB" not in set(top.r_label) and "Skatteverket" not in set(top.r_label)
    everything = cube.pivot(store, cube.View(scope="all"), "supplier", top=1, with_suppliers=False).body()
    assert everything.r_label.iloc[0] == "KPA Pensionsservice AB"          # one switch shows everything
    assert all(s["supplier"] != "KPA Pensionsservice AB" for s in wl.signals(store))
    pareto = cube.pareto(store, cube.View())
    assert cube.label_suppliers(store, pareto["table"].head(3)).supplier.iloc[0] != "KPA Pensionsservice AB"


HEADER = "Leverantör;Organisationsnummer;Konto;Belopp;Bokföringsdatum\n"
GROUP_CO, FIRM, TOWN = luhn_org(556880001), luhn_org(556300001), "212000-0142"


def crafted() -> bytes:
    rows = [("KPA Pensionsservice AB", luhn_org(556527559), "57500 Penskostn avgbest", "4000,00"),
            ("Skatteverket", "202100-5448", "26410 Ingående moms", "250,00"),
            ("Idrottsföreningen", luhn_org(802000001), "45100 Föreningsbidrag", "300,00"),
            ("Kommunens Fastighets AB", GROUP_CO, "60120 Internhyra", "1200,00"),
            ("Kommunens Fastighets AB", GROUP_CO, "61510 Rep o underh fastigh", "500,00"),
            ("Grannkommunen", TOWN, "46410 Köp gymnasieplatser", "700,00"),
            ("Bilhallen AB", FIRM, "69410 Fordonsskatt", "40,00"),
            ("Bilhallen AB", FIRM, "69210 Fordonsrep o serv", "160,00"),
            ("Grossisten AB", luhn_org(556300002), "64400 Livsmedel", "900,00"),
            ("Avskrivning", luhn_org(556300003), "79110 Avskr maskiner", "100,00")]
    return (HEADER + "".join(f"{n};{o};{a};{b};2025-02-10\n" for n, o, a, b in rows)).encode("utf-8")


def test_influenceable_and_excluded_spend_on_crafted_data(store):
    load_files(store, [("crafted.csv", crafted())])
    caught = classify.presets(store).set_index("preset")
    assert caught.spend.to_dict() == {"staff": 4000.0, "class8": 0.0, "vat": 250.0, "depreciation": 100.0,
                                      "transfers": 300.0, "rent": 1200.0, "taxes": 40.0, "public": 700.0, "internal": 0.0}
    k = cube.kpis(store, cube.View())
    assert (k["total_spend"], k["excluded_spend"], k["spend"]) == (8150.0, 6590.0, 1560.0)   # 500 + 160 + 900
    assert overview(store, Filters())["kpis"]["spend"] == 1560.0
    assert overview(store, Filters(scope="all"))["kpis"]["spend"] == 8150.0
    # the municipal group's own company: its repair invoice is internal once its number is listed
    # (a line two switches catch counts under the account group's: the rent stays with 60)
    classify.set_internal(store, [GROUP_CO])
    assert cube.kpis(store, cube.View())["spend"] == 1060.0
    caught = classify.presets(store).set_index("preset")
    assert (caught.at["internal", "spend"], caught.at["rent", "spend"]) == (500.0, 1200.0)
    # a switch puts a kind of spend back, with its category
    classify.set_preset(store, "public", False)
    k = cube.kpis(store, cube.View())
    assert k["spend"] == 1760.0
    l2 = {r["category_l2"]: r["spend"] for r in cube.spend_by(store, ["category_l2"])}
    assert l2["Köp av huvudverksamhet"] == 700.0 and l2["Fordon"] == 160.0 and l2["Måltider och livsmedel"] == 900.0
    assert store.execute("SELECT count(*) FROM audit_log WHERE action IN ('preset_switch', 'internal_orgs')").fetchall()[0][0] == 2
    with pytest.raises(RuleError):
        classify.set_preset(store, "lunch", True)


def months(first: str, n: int, supplier: str, org: str, amount: str) -> str:
    y, m = (int(x) for x in first.split("-"))
    out = []
    for i in range(n):
        yy, mm = y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1
        out.append(f"{supplier};{org};64400 Livsmedel;{amount};{yy}-{mm:02d}-15\n")
    return "".join(out)


def test_no_supplier_is_new_on_the_first_upload(store):
    big = luhn_org(556400001)
    load_files(store, [("mars.csv", (HEADER + months("2025-01", 3, "Storkök AB", big, "300000,00")).encode())])
    basis = wl.new_supplier_basis(store)
    assert (basis["quarter_start"], basis["earlier_months"]) == (dt.date(2025, 1, 1), 0)
    sig = wl.signals(store)
    assert not [s for s in sig if s["kind"] == "new_large"]
    award = next(s for s in sig if s["kind"] == "direct_award")
    assert award["params"]["months"] == 3 and "3 of 12 months loaded" in award["detail"]
    # a year earlier loaded: now a supplier seen only in the latest quarter is new
    newcomer = luhn_org(556400002)
    load_files(store, [("2024.csv", (HEADER + months("2024-01", 12, "Storkök AB", big, "250000,00")).encode()),
                       ("ny.csv", (HEADER + months("2025-02", 1, "Nykomlingen AB", newcomer, "150000,00")).encode())])
    assert wl.new_supplier_basis(store)["earlier_months"] == 12
    new = [s["supplier"] for s in wl.signals(store) if s["kind"] == "new_large"]
    assert new == ["Nykomlingen AB"]


def test_the_demo_tells_the_whole_story(store):
    from analytics import demo, report
    from analytics import prioritise as pr
    from analytics import savings as sv
    demo.load_demo(store, lines=60_000)
    s = classify.summary(store)
    assert 0.8 <= s["classified_share"] < 0.97 and s["excluded_spend"] > 0       # the review loop has work
    assert classify.presets(store).set_index("preset").at["internal", "spend"] > 0
    t = pr.totals(pr.table(store))
    assert (round(t["spend"] / 1e6, 1), round(t["saving"] / 1e6, 1), round(t["saving_share"] * 100, 1)) == (114.9, 7.4, 6.4)
    ov = sv.overview(store)
    frozen = ov[ov.baseline.notna()]
    assert len(frozen) == 5 and (frozen.measured.fillna(0) != 0).all() and frozen.measured.sum() > 0
    devs = wl.deviations(store)
    assert set(devs.step) >= {1, 2, 3} and wl.penalty_totals(store).charged.sum() > 0
    pack = report.build(store)
    for slide in pack.slides[1:]:
        values = [v for vals in slide.chart.series.values() for v in vals] if slide.chart else []
        assert (values and any(v if not isinstance(v, tuple) else v[2] for v in values)) or \
            (slide.table is not None and len(slide.table.rows) > 1), slide.title
    # the contract register covers part of the spend, so every contract view has content
    from analytics import contracts
    total = contracts.compliance(store)[0]
    assert 0.1 < total["share"] < 0.6 and total["coverage"] > 0.9
    reg = {c.contract_id: c for c in contracts.register(store)}
    assert len(reg) == len(demo.DEMO_CONTRACTS) and [s.rank for s in reg["RA-2023-01"].suppliers] == [1, 2, 3]
    assert {*contracts.renewals(store).horizon} == {6, 12, 18}
    assert contracts.ceilings(store).over_ceiling.any() and len(contracts.off_contract(store)) > 10
    ended = store.execute("""SELECT count(*) FILTER (WHERE contract_id = 'ADDA-IT-21'), count(*) FROM ledger_lines
                             WHERE supplier_name = ? AND period_month > DATE '2024-06-01'""",
                          [reg["ADDA-IT-21"].suppliers[0].name]).fetchall()[0]
    assert ended[0] == 0 and ended[1] > 0                       # bought after its end: outside the contract
    assert devs.contract.notna().sum() >= 3 and "Avtalsansvarig (demo)" not in set(devs[devs.contract.notna()].contract_owner)
    assert pr.table(store).contract_coverage.notna().any()
    assert any(s["kind"] == "direct_award_covered" for s in wl.signals(store))
    # the demo's initiatives carry plans at different gates, their statuses as the gates say
    from analytics import plans
    board = {r["initiative"].split(" (")[0]: r for r in plans.pipeline(store)}
    assert [board[n]["gate"] for n in ("Bygg- och fastighetsmaterial", "Fordon", "Teknik- och miljökonsulter", "Möbler",
                                       "Storköksutrustning", "Bygg- och fastighetstjänster")] == \
        ["category_plan", "category_plan", "analysis", "overall_plan", "direction", "initiation"]
    assert board["Möbler"]["next"] == "analysis" and board["Bygg- och fastighetstjänster"]["waiting"] == ["UU"]
    assert all(r["sections_filled"] >= 6 for r in board.values())
    assert [board[n]["status"] for n in ("Fordon", "Möbler", "Bygg- och fastighetstjänster")] == ["running", "approved", "idea"]
    demo.remove_demo(store)
    assert contracts.count(store) == 0 and plans.pipeline(store) == []
