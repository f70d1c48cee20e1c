"""The public files in ../shared/data/real with the figures in EXPECTED.json: lines and totals exact."""

import json
import os

import pytest

from analytics.ingest import load_files
from analytics.ledger import summary
from tests.conftest import REAL

if not (REAL / "EXPECTED.json").exists() and os.environ.get("SPENDKOLLEN_CI"):
    pytest.fail(f"the public spend files are required in CI: {REAL} is missing", pytrace=False)
pytestmark = pytest.mark.skipif(not (REAL / "EXPECTED.json").exists(), reason="../shared/data/real is not present")
EXPECTED = json.loads((REAL / "EXPECTED.json").read_text()) if (REAL / "EXPECTED.json").exists() else {}

CASES = [
    ("uk-oxford-city-expenditure-over-500/ALL_17_FILES", "uk-oxford-city-expenditure-over-500", "*.csv"),
    ("uk-exeter-devon-parquet-normalised/exeter_spending_*.parquet", "uk-exeter-devon-parquet-normalised", "*.parquet"),
    ("us-phoenix-vendor-payments/december-2018.csv", "us-phoenix-vendor-payments", "december-2018.csv"),
    ("us-phoenix-vendor-payments/june-2018.csv", "us-phoenix-vendor-payments", "june-2018.csv"),
    ("us-phoenix-vendor-payments/october-2017.csv", "us-phoenix-vendor-payments", "october-2017.csv"),
]


@pytest.mark.parametrize("key,folder,pattern", CASES, ids=[c[0].split("/")[-1] for c in CASES])
def test_real_upload_matches_expected(store, key, folder, pattern):
    files = [(p.name, p.read_bytes()) for p in sorted((REAL / folder).glob(pattern))]
    exp = EXPECTED[key]
    plan = load_files(store, files, currency=exp["currency"])
    s = summary(store)
    assert s["lines"] == exp["rows"]
    assert s["total"] == pytest.approx(exp["total"], abs=0.005)
    neg, lo, hi = store.execute("SELECT count(*) FILTER (WHERE amount < 0), min(amount), max(amount) FROM ledger_lines").fetchall()[0]
    assert (neg, float(lo), float(hi)) == (exp["negative_rows"], exp["min"], exp["max"])
    if "date_min" in exp:
        assert (s["first_date"], s["last_date"]) == (exp["date_min"], exp["date_max"])
    assert len(plan.files) == len(files)


def test_oxford_quirks_reported(store):
    folder = REAL / "uk-oxford-city-expenditure-over-500"
    plan = load_files(store, [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))])
    by_file = {f.parsed.file_name: f.parsed.report for f in plan.files}
    junk = by_file["expenditure-over-500-jan-mar-2014.csv"]
    assert junk["counts"]["junk_empty"] == 1 and [x["row"] for x in junk["samples"]] == [3861]   # the "xxx" row
    assert [w["code"] for w in by_file["expenditure-over-500-apr-jun-2014.csv"]["warnings"]] == ["dates_time_only"]
    q2 = store.execute("SELECT DISTINCT period_month, period_grain FROM ledger_lines l JOIN batches b USING (batch_id) "
                       "WHERE b.file_name = 'expenditure-over-500-apr-jun-2014.csv'").fetchall()
    assert [(d.isoformat(), g) for d, g in q2] == [("2014-04-01", "quarter")]


def test_phoenix_total_row_mismatch_is_warned(store):
    path = REAL / "us-phoenix-vendor-payments" / "june-2018.csv"
    plan = load_files(store, [(path.name, path.read_bytes())], currency="USD")
    w = [w for w in plan.files[0].parsed.report["warnings"] if w["code"] == "total_row_mismatch"]
    assert len(w) == 1 and w[0]["file_total"] == 639423536.77 and w[0]["difference"] == 5352.0


OXFORD = "uk-oxford-city-expenditure-over-500"


def test_oxford_top_five_suppliers_per_file_in_the_cube(store):
    """Each Oxford file is one quarter: the cube's top 5 suppliers of that quarter are the file's."""
    import datetime as dt

    from analytics.cube import View, spend_by
    from analytics.ingest.periods import period_from_filename
    files = sorted((REAL / OXFORD).glob("*.csv"))
    load_files(store, [(p.name, p.read_bytes()) for p in files], currency="GBP")
    checked = 0
    for p in files:
        exp = EXPECTED.get(f"{OXFORD}/{p.name}")
        if not exp or "top5_suppliers" not in exp:
            continue
        start, _grain = period_from_filename(p.name)
        end = dt.date(start.year, start.month + 2, 1)
        top = spend_by(store, ["supplier"], View(period_from=start, period_to=end))[:5]
        assert [(r["supplier"], round(r["spend"], 2)) for r in top] == [tuple(x) for x in exp["top5_suppliers"]], p.name
        checked += 1
    assert checked == 17
