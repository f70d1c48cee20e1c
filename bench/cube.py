"""Spend-cube benchmark: prints JSON. python bench/cube.py [--lines N] [--repeat K] [--json]

Generates a region-sized supplier ledger (default 10,000,000 lines over 48 months, 25,000
suppliers with skewed spend, 150 organisation units, 400 accounts) as quarterly Parquet files in
bench/.cache (git-ignored), loads them through the normal import path into a DuckDB file (cached
too), then in a fresh process times 22 typical interactions of the cube page: for each the
median and p95 of the page's path (analytics call, table and chart building), the floor (the
raw DuckDB time of the same SQL statements on the aggregate they read) and the peer (the same
question answered by pandas from the ledger lines held in memory as a DataFrame, the way a
pandas dashboard would: a mask, a groupby, a sort), with the ratios page/floor and page/peer.
Also the page's first render (Streamlit AppTest, server warm) and the process's peak memory.

Targets (issue 18, 2 cores): every typical interaction faster than the pandas peer and at most
1.5 x the floor; p95 under 150 ms at 10 M lines; first render < 1.5 s; memory < 3 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
MONTHS = 48
SUPPLIERS = 25_000
UNITS = 150
ACCOUNTS = 400


def generate(lines: int) -> list[Path]:
    """Quarterly Parquet files of the synthetic ledger (cached)."""
    import duckdb
    import numpy as np

    from analytics.demo import ACCOUNTS as DEMO_ACCOUNTS
    from analytics.orgno import luhn_check_digit
    folder = CACHE / f"cube_{lines}"
    files = sorted(folder.glob("*.parquet"))
    if len(files) == MONTHS // 3:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    base = np.unique(5 * 10 ** 8 + rng.integers(20, 100, SUPPLIERS * 2) * 10 ** 5 + rng.integers(0, 10 ** 5, SUPPLIERS * 2))
    base = base[:SUPPLIERS]
    org = base * 10 + luhn_check_digit(base)
    con = duckdb.connect()
    sup = {"sid": np.arange(len(org)), "name": [f"Leverantör {i} AB" for i in range(len(org))],
           "org": [f"{o // 10000:06d}-{o % 10000:04d}" for o in org]}
    import pyarrow as pa
    con.register("sup_df", pa.table(sup))
    con.execute("CREATE TABLE sup AS SELECT * FROM sup_df")
    acc = [(i, DEMO_ACCOUNTS[i][0], DEMO_ACCOUNTS[i][1]) if i < len(DEMO_ACCOUNTS) else (i, f"{60000 + i * 7}", f"Konto {i}")
           for i in range(ACCOUNTS)]
    con.execute("CREATE TABLE acc (aid INTEGER, code VARCHAR, text VARCHAR)")
    con.executemany("INSERT INTO acc VALUES (?, ?, ?)", acc)
    n_sup = len(org)
    per_quarter = lines // (MONTHS // 3)
    for q in range(MONTHS // 3):
        year, qn = 2022 + q // 4, q % 4 + 1
        path = folder / f"reskontra_{year}_Q{qn}.parquet"
        con.execute("SELECT setseed(?)", [0.01 + q / 100])
        # supplier rank skewed like real ledgers (a few carry most spend); each supplier books on
        # a few accounts and mostly to a few units.
        con.execute(f"""
            COPY (
              WITH g AS (
                SELECT i, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5, random() AS u6
                FROM range({per_quarter}) t(i)),
              h AS (
                SELECT i, least({n_sup - 1}, floor({n_sup} * pow(u1, 2.2)))::INTEGER AS sid,
                       exp(7.5 + 1.3 * sqrt(-2 * ln(greatest(u2, 1e-12))) * cos(2 * pi() * u3)) AS amt,
                       u4 < 0.02 AS credit, floor(u5 * 3)::INTEGER AS m, u6 FROM g)
              SELECT strftime(make_date({year}, {(qn - 1) * 3 + 1} + h.m, 1 + (h.i % 28)), '%Y-%m-%d') AS "Bokföringsdatum",
                     sup.name AS "Leverantör", sup.org AS "Organisationsnummer",
                     acc.code AS "Konto", acc.text AS "Kontotext",
                     'Enhet ' || ((h.sid * 13 + floor(pow(h.u6, 3) * {UNITS})::INTEGER) % {UNITS}) AS "Förvaltning",
                     replace(printf('%.2f', CASE WHEN h.credit THEN -h.amt * 0.5 ELSE h.amt END), '.', ',') AS "Belopp",
                     'F' || ({q} * 10000000 + h.i) AS "Fakturanummer"
              FROM h JOIN sup ON sup.sid = h.sid
              JOIN acc ON acc.aid = (h.sid * 7 + (h.i % 3)) % {ACCOUNTS}
            ) TO '{path}' (FORMAT parquet, COMPRESSION zstd)""")
    con.close()
    return sorted(folder.glob("*.parquet"))


def build_db(lines: int) -> tuple[Path, dict]:
    """Load the files through the import path into a cached DuckDB file (once)."""
    db = CACHE / f"cube_{lines}.duckdb"
    info_path = CACHE / f"cube_{lines}.json"
    if db.exists() and info_path.exists():
        return db, json.loads(info_path.read_text())
    files = generate(lines)
    from analytics.ingest import load_files
    from analytics.store import connect
    db.unlink(missing_ok=True)
    con = connect(db)
    cur = con.cursor()
    times = []
    for f in files:
        start = time.perf_counter()
        load_files(cur, [(f.name, f.read_bytes())])
        times.append(round(time.perf_counter() - start, 2))
    facts = cur.execute("SELECT count(*) FROM cube_facts").fetchall()[0][0]
    n = cur.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0]
    con.close()
    info = {"files": len(files), "lines": n, "cube_facts_rows": facts, "load_seconds_per_file": times,
            "load_seconds_total": round(sum(times), 1), "db_mb": round(db.stat().st_size / 1e6)}
    info_path.write_text(json.dumps(info))
    return db, info


class Recorder:
    """A cursor stand-in that records the SQL it runs, to time the same statements raw."""

    def __init__(self, cur):
        self.cur, self.log = cur, []

    def execute(self, sql, params=None):
        self.log.append((sql, params))
        return self.cur.execute(sql, params) if params is not None else self.cur.execute(sql)

    def __getattr__(self, name):
        return getattr(self.cur, name)


def interactions(cur) -> list[tuple[str, callable]]:
    """The typical interactions and those on request: each runs what the page runs for it
    (query, labels, table, chart); and the keys they pick (largest category, supplier, unit)."""
    from analytics import cube
    from ui.charts import cube as charts
    lo, hi = cur.execute("SELECT min(period_month), max(period_month) FROM cube_facts").fetchall()[0]
    last_year = cube.View(period_from=hi.replace(month=1), period_to=hi)
    everything = cube.View(period_from=lo, period_to=hi)
    top_l1 = cube.pivot(cur, everything, "category_l1").body().r_key.dropna().iloc[0]
    top_l2 = cube.pivot(cur, everything.replace(drill=(("category_l1", top_l1),)), "category_l2").body().r_key.dropna().iloc[0]
    top_sup = cube.pivot(cur, everything, "supplier").body().r_key.iloc[0]
    unit = cur.execute("SELECT org_unit FROM cube_facts GROUP BY 1 ORDER BY sum(spend) DESC LIMIT 1").fetchall()[0][0]

    # as the page does: supplier counts per row for 1-D pivots (approximate on a large store
    # unless exact is asked for); 2-D pivots count suppliers only when that measure is chosen
    # the pivot's chart is drawn only when its panel is opened (closed by default): on request
    def piv(view, rows, cols=None, top=25, suppliers=None, exact=False, chart=False):
        with_sup = (cols is None) if suppliers is None else suppliers

        def run(c):
            p = cube.pivot(c, view, rows, cols, top=top, with_suppliers=with_sup, exact=exact)
            table = cube.wide(p)
            if chart:
                charts.pivot_bars(p, "MSEK", others="Övriga", blank="Ej klassificerat")
            return table
        return run

    def pareto(view):
        def run(c):
            res = cube.pareto(c, view)
            charts.pareto_curve(res["curve"], x_title="Andel leverantörer", y_title="Andel av utgiften")
            return res
        return run

    def trend(view, by):
        def run(c):
            charts.trend_stacked(cube.trend(c, view, by), "MSEK", others="Övriga", blank="Ej klassificerat")
        return run

    drill_l1 = everything.replace(drill=(("category_l1", top_l1),))
    drill_l2 = everything.replace(drill=(("category_l1", top_l1), ("category_l2", top_l2)))
    return [
        ("kpis_all", lambda c: cube.kpis(c, everything)),
        ("kpis_last_year_one_unit", lambda c: cube.kpis(c, last_year.replace(units=(unit,)))),
        ("pivot_category_l1", piv(everything, "category_l1")),
        ("pivot_category_l2_by_year", piv(everything, "category_l2", "year")),
        ("pivot_supplier_top25", piv(everything, "supplier")),
        ("pivot_org_unit_by_quarter", piv(everything, "org_unit", "quarter")),
        ("pivot_account_top25", piv(everything, "account")),
        ("pivot_legal_form_by_category_l1", piv(everything, "legal_form", "category_l1")),
        ("change_dimension_month", piv(last_year, "month")),
        ("filter_category_supplier", piv(everything.replace(categories=(int(top_l1),)), "supplier")),
        ("drill_l1_to_l2", piv(drill_l1, "category_l2")),
        ("drill_l2_to_l3", piv(drill_l2, "category_l3")),
        ("drill_l2_to_suppliers", piv(drill_l2, "supplier")),
        ("lines_view_drilled", lambda c: cube.lines(c, drill_l2.replace(drill=drill_l2.drill + (("supplier", top_sup),)))),
        ("lines_view_page5_by_date", lambda c: cube.lines(c, last_year.replace(units=(unit,)), page=5, order="date_desc")),
        ("pareto_all", pareto(everything)),
        ("pareto_category", pareto(drill_l1)),
        ("fragmentation_l2", lambda c: cube.fragmentation(c, last_year, 2)),
        ("trend_by_category_l1", trend(everything, "category_l1")),
        ("year_over_year", lambda c: cube.year_over_year(c, last_year)),
        ("amount_range_filter_pivot", piv(everything.replace(amount_min=10_000, amount_max=1_000_000), "category_l2")),
        ("without_credit_notes_pivot", piv(everything.replace(credit="without"), "org_unit")),
    ], [
        # on request: exact distinct supplier counts per row and the supplier measure by quarter
        ("on_request_exact_suppliers_per_unit", piv(everything, "org_unit", suppliers=True, exact=True)),
        ("on_request_exact_suppliers_per_account", piv(everything, "account", suppliers=True, exact=True)),
        ("on_request_suppliers_measure_unit_by_quarter", piv(everything, "org_unit", "quarter", suppliers=True)),
        ("on_request_exact_kpis", lambda c: cube.kpis(c, everything, exact=True)),
        ("on_request_pivot_chart_unit_by_quarter", piv(everything, "org_unit", "quarter", chart=True)),
    ], {"top_l1": top_l1, "top_l2": top_l2, "top_sup": top_sup, "unit": unit, "lo": lo, "hi": hi}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1) + 0.4999)))
    return s[k]


def peer_frame(cur):
    """The ledger lines as a pandas dashboard holds them: one row per line with its category
    path, supplier number, legal form, unit and account (categoricals), year and quarter."""
    import pandas as pd
    df = cur.execute("""
        SELECT l.period_month, l.booking_date, l.org_unit, s.supplier_no, l.account, cp.l1_id AS cat_l1,
               cp.l2_id AS cat_l2, cp.l3_id AS cat_l3, s.legal_form, l.amount::DOUBLE AS amount
        FROM ledger_lines l JOIN suppliers s USING (supplier_key) LEFT JOIN category_paths cp USING (category_id)""").df()
    for c in ("org_unit", "account", "legal_form"):
        df[c] = df[c].astype("category")
    for c in ("cat_l1", "cat_l2", "cat_l3"):
        df[c] = df[c].fillna(0).astype("int32")
    df["period_month"] = pd.to_datetime(df["period_month"])
    df["year"] = df.period_month.dt.year.astype("int16")
    df["quarter"] = df.period_month.dt.to_period("Q").astype(str).astype("category")
    return df


def peer_interactions(df, keys: dict) -> dict:
    """The typical interactions answered by pandas from the lines (same names)."""
    import pandas as pd
    lo, hi = pd.Timestamp(keys["lo"]), pd.Timestamp(keys["hi"])
    last_year = pd.Timestamp(keys["hi"].replace(month=1))
    top_l1, top_l2, unit, sup = int(keys["top_l1"]), int(keys["top_l2"]), keys["unit"], int(keys["top_sup_no"])

    def infl(d):
        return d[(d.cat_l1.values != -1) & (d.period_month.values >= lo.to_datetime64())
                 & (d.period_month.values <= hi.to_datetime64())]

    def agg(d, by, suppliers=True, top=25):
        g = d.groupby(by, observed=True, sort=False)
        out = g.amount.agg(["sum", "count"])
        if suppliers:
            out["suppliers"] = g.supplier_no.nunique()
        return out.sort_values("sum", ascending=False).head(top)

    def cross(d, rows, cols):
        return d.groupby([rows, cols], observed=True, sort=False).amount.sum().unstack(fill_value=0)

    def kpis(d):
        return (d.amount.sum(), len(d), d.supplier_no.nunique(), d.org_unit.nunique(), int((d.amount.values < 0).sum()),
                d.amount[d.cat_l1.values > 0].sum())

    def pareto(d):
        s = d.groupby("supplier_no", sort=False).amount.sum().sort_values(ascending=False)
        return (s.clip(lower=0).cumsum() / s.clip(lower=0).sum()).searchsorted(0.8)

    def lines(d, key, ascending, page):
        d = d.sort_values(key, ascending=ascending)
        return d.iloc[page * 50:(page + 1) * 50], len(d), d.amount.sum()

    def ly(d):
        return d[d.period_month.values >= last_year.to_datetime64()]

    def yoy(d):
        a = ly(d).groupby("period_month").amount.sum()
        prev = d[(d.period_month >= last_year - pd.DateOffset(years=1)) & (d.period_month < last_year)]
        return a, prev.groupby("period_month").amount.sum()

    def fragmentation(d):
        cs = ly(d).groupby(["cat_l2", "supplier_no"], sort=False).amount.sum()
        return cs.groupby(level=0).agg(["count", "sum", "max"])
    return {
        "kpis_all": lambda: kpis(infl(df)),
        "kpis_last_year_one_unit": lambda: kpis((lambda d: d[d.org_unit == unit])(ly(infl(df)))),
        "pivot_category_l1": lambda: agg(infl(df), "cat_l1"),
        "pivot_category_l2_by_year": lambda: cross(infl(df), "cat_l2", "year"),
        "pivot_supplier_top25": lambda: agg(infl(df), "supplier_no", suppliers=False),
        "pivot_org_unit_by_quarter": lambda: cross(infl(df), "org_unit", "quarter"),
        "pivot_account_top25": lambda: agg(infl(df), "account"),
        "pivot_legal_form_by_category_l1": lambda: cross(infl(df), "legal_form", "cat_l1"),
        "change_dimension_month": lambda: agg(ly(infl(df)), "period_month"),
        "filter_category_supplier": lambda: agg((lambda d: d[d.cat_l1.values == top_l1])(infl(df)), "supplier_no"),
        "drill_l1_to_l2": lambda: agg((lambda d: d[d.cat_l1.values == top_l1])(infl(df)), "cat_l2"),
        "drill_l2_to_l3": lambda: agg((lambda d: d[d.cat_l2.values == top_l2])(infl(df)), "cat_l3"),
        "drill_l2_to_suppliers": lambda: agg((lambda d: d[d.cat_l2.values == top_l2])(infl(df)), "supplier_no"),
        "lines_view_drilled": lambda: lines((lambda d: d[(d.cat_l2.values == top_l2) & (d.supplier_no.values == sup)])(infl(df)),
                                            "amount", False, 0),
        "lines_view_page5_by_date": lambda: lines((lambda d: d[d.org_unit == unit])(ly(infl(df))), "booking_date", False, 5),
        "pareto_all": lambda: pareto(infl(df)),
        "pareto_category": lambda: pareto((lambda d: d[d.cat_l1.values == top_l1])(infl(df))),
        "fragmentation_l2": lambda: fragmentation(infl(df)),
        "trend_by_category_l1": lambda: cross(infl(df), "quarter", "cat_l1"),
        "year_over_year": lambda: yoy(infl(df)),
        "amount_range_filter_pivot": lambda: agg((lambda d: d[(d.amount.values >= 10_000) & (d.amount.values <= 1_000_000)])(infl(df)),
                                                 "cat_l2"),
        "without_credit_notes_pivot": lambda: agg((lambda d: d[d.amount.values >= 0])(infl(df)), "org_unit"),
    }


def measure(db: Path, repeat: int) -> dict:
    from analytics import cube
    from analytics.store import connect
    con = connect(db)
    cur = con.cursor()
    typical, on_request, keys = interactions(cur)
    out = {"typical": {}, "on_request": {}}
    for group, items in (("typical", typical), ("on_request", on_request)):
        for name, fn in items:
            out[group][name] = _time(cur, fn, repeat)
    keys["top_sup_no"] = cur.execute("SELECT supplier_no FROM suppliers WHERE supplier_key = ?", [keys["top_sup"]]).fetchall()[0][0]
    out["keys"] = {k: (v.isoformat() if hasattr(v, "isoformat") else int(v) if k != "unit" and k != "top_sup" else v)
                   for k, v in keys.items()}
    out["approx_supplier_counts"] = cube.approximate(cur, "cube_facts")
    con.close()
    return out


def measure_peer(db: Path, keys: dict, repeat: int) -> dict:
    """The pandas peer in its own process (its memory is its own): the lines loaded into a
    DataFrame, then each interaction timed."""
    import datetime as dt

    import duckdb
    keys = {k: dt.date.fromisoformat(v) if k in ("lo", "hi") else v for k, v in keys.items()}
    con = duckdb.connect(str(db), read_only=True)
    start = time.perf_counter()
    df = peer_frame(con.cursor())
    out = {"load_s": round(time.perf_counter() - start, 1), "frame_mb": round(df.memory_usage(deep=True).sum() / 1e6),
           "median_ms": {}}
    con.close()
    for name, fn in peer_interactions(df, keys).items():
        times = []
        fn()
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        out["median_ms"][name] = round(statistics.median(times), 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def _time(cur, fn, repeat: int) -> dict:
    rec = Recorder(cur)
    fn(rec)                       # warm-up, and the record of its SQL
    page, raw = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(cur)
        page.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for sql, params in rec.log:
            (cur.execute(sql, params) if params is not None else cur.execute(sql)).fetchall()
        raw.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(page), 1), "p95_ms": round(pct(page, 95), 1),
            "floor_median_ms": round(statistics.median(raw), 1), "floor_p95_ms": round(pct(raw, 95), 1),
            "vs_floor": round(statistics.median(page) / max(statistics.median(raw), 0.01), 2),
            "queries": len(rec.log)}


def first_render(db: Path) -> dict:
    """Run the cube page in Streamlit's AppTest through app.py (the router and the sidebar; the
    cube is the start page): the first render after the server started (imports done, the
    store open), every query uncached, then a rerun."""
    os.environ["SPENDKOLLEN_DB"] = str(db)
    os.chdir(ROOT)
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    warm.run()                                   # server start: imports, connection
    st.cache_data.clear()                        # what the warm-up computed is not reused
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "sv"
    start = time.perf_counter()
    at.run()                                     # a new session on the start page: app.py, sidebar, cube
    first = time.perf_counter() - start
    assert not at.exception, "\n".join(e.message + "\n" + "\n".join(e.stack_trace) for e in at.exception)
    start = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - start
    return {"first_render_s": round(first, 2), "rerun_cached_s": round(rerun, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    ap.add_argument("--phase", choices=["all", "build", "measure", "peer"], default="all", help=argparse.SUPPRESS)
    ap.add_argument("--keys", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "peer":
        print(json.dumps(measure_peer(CACHE / f"cube_{args.lines}.duckdb", json.loads(args.keys), args.repeat)))
        return
    if args.phase == "build":
        db, info = build_db(args.lines)
        print(json.dumps(info))
        return
    if args.phase == "measure":
        db = CACHE / f"cube_{args.lines}.duckdb"
        result = {"interactions": measure(db, args.repeat)}
        sys.stderr.write(json.dumps(result) + "\n")        # kept even if the render below fails
        result.update(first_render(db))
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result))
        return
    # the load runs in its own process so the measured process's memory is the page's alone
    built = subprocess.run([sys.executable, __file__, "--lines", str(args.lines), "--phase", "build"],
                           capture_output=True, text=True, check=True)
    info = json.loads(built.stdout.strip().splitlines()[-1])
    measured = subprocess.run([sys.executable, __file__, "--lines", str(args.lines), "--repeat", str(args.repeat),
                               "--phase", "measure"], capture_output=True, text=True)
    if measured.returncode:
        sys.stderr.write(measured.stderr)
        sys.exit(measured.returncode)
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    inter = result["interactions"]["typical"]
    peer = json.loads(subprocess.run([sys.executable, __file__, "--lines", str(args.lines), "--repeat", str(args.repeat),
                                      "--phase", "peer", "--keys", json.dumps(result["interactions"]["keys"])],
                                     capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    for name, row in inter.items():
        row["peer_median_ms"] = peer["median_ms"][name]
        row["vs_peer"] = round(row["median_ms"] / max(row["peer_median_ms"], 0.01), 2)
    summary = {
        "lines": info["lines"], "load": info, **{k: v for k, v in result.items() if k != "interactions"},
        "approx_supplier_counts": result["interactions"]["approx_supplier_counts"],
        "peer": {k: v for k, v in peer.items() if k != "median_ms"},
        "worst_p95_ms": max(v["p95_ms"] for v in inter.values()),
        "worst_vs_floor": max(((k, v["vs_floor"]) for k, v in inter.items()), key=lambda x: x[1]),
        "worst_vs_peer": max(((k, v["vs_peer"]) for k, v in inter.items()), key=lambda x: x[1]),
        "slower_than_peer": [k for k, v in inter.items() if v["vs_peer"] >= 1],
        "targets": {"p95_ms": 150, "first_render_s": 1.5, "peak_rss_mb": 3072, "vs_floor": 1.5, "vs_peer": 1.0},
        "interactions": inter,
        "on_request": result["interactions"]["on_request"],
    }
    print(json.dumps(summary, indent=1 if not args.json else None))


if __name__ == "__main__":
    main()
