"""Spend-cube benchmark: prints JSON. python bench/cube.py [--lines N] [--repeat K] [--json]

Generates a region-sized supplier ledger (default 10,000,000 lines over 48 months, 25,000
suppliers with skewed spend, 150 organisation units, 400 accounts) as quarterly Parquet files in
bench/.cache (git-ignored), loads them through the normal import path into a DuckDB file (cached
too), then in a fresh process times 20 typical interactions of the cube page: for each the
median and p95 of the page's path (analytics call, table and chart building) and the raw DuckDB
time of the same SQL statements. Also the page's first render (Streamlit AppTest, server warm)
and the process's peak memory.

Targets (2 cores): p95 of every interaction < 300 ms at 10 M lines, first render < 2 s,
memory < 3 GB, page overhead at most 50 % over the raw queries.
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
    """The 20 interactions: each runs what the page runs for it (query, labels, table, chart)."""
    from analytics import cube
    from ui.charts import cube as charts
    lo, hi = cur.execute("SELECT min(period_month), max(period_month) FROM cube_facts").fetchall()[0]
    last_year = cube.View(period_from=hi.replace(month=1), period_to=hi)
    everything = cube.View(period_from=lo, period_to=hi)
    top_l1 = cube.pivot(cur, everything, "category_l1").body().r_key.dropna().iloc[0]
    top_l2 = cube.pivot(cur, everything.replace(drill=(("category_l1", top_l1),)), "category_l2").body().r_key.dropna().iloc[0]
    top_sup = cube.pivot(cur, everything, "supplier").body().r_key.iloc[0]
    unit = cur.execute("SELECT org_unit FROM cube_facts GROUP BY 1 ORDER BY sum(spend) DESC LIMIT 1").fetchall()[0][0]

    # as the page does: supplier counts per row for 1-D pivots unless the store is large; 2-D
    # pivots count suppliers only when that measure is chosen
    count_default = cube.counts_suppliers_by_default(cur)

    def piv(view, rows, cols=None, top=25, suppliers=None):
        with_sup = (count_default if cols is None else False) if suppliers is None else suppliers

        def run(c):
            p = cube.pivot(c, view, rows, cols, top=top, with_suppliers=with_sup)
            table = cube.wide(p)
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
        # on request (not the page's default at this size): exact distinct supplier counts per row/cell
        ("on_request_suppliers_per_unit", piv(everything, "org_unit", suppliers=True)),
        ("on_request_suppliers_per_category_l2", piv(everything, "category_l2", suppliers=True)),
        ("on_request_suppliers_measure_unit_by_quarter", piv(everything, "org_unit", "quarter", suppliers=True)),
    ]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1) + 0.4999)))
    return s[k]


def measure(db: Path, repeat: int) -> dict:
    from analytics import cube
    from analytics.store import connect
    con = connect(db)
    cur = con.cursor()
    typical, on_request = interactions(cur)
    out = {"typical": {}, "on_request": {}, "counts_suppliers_by_default": cube.counts_suppliers_by_default(cur)}
    for group, items in (("typical", typical), ("on_request", on_request)):
        for name, fn in items:
            out[group][name] = _time(cur, fn, repeat)
    con.close()
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
            "raw_median_ms": round(statistics.median(raw), 1), "raw_p95_ms": round(pct(raw, 95), 1),
            "overhead": round(statistics.median(page) / max(statistics.median(raw), 0.01) - 1, 2),
            "queries": len(rec.log)}


def first_render(db: Path) -> dict:
    """Run the cube page in Streamlit's AppTest: the first render after the server started
    (imports done), uncached, then a rerun with a changed dimension."""
    os.environ["SPENDKOLLEN_DB"] = str(db)
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest
    warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    warm.run()                                   # server start: imports, connection
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "sv"
    start = time.perf_counter()
    at.switch_page("pages/cube.py").run()
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
    ap.add_argument("--phase", choices=["all", "build", "measure"], default="all", help=argparse.SUPPRESS)
    args = ap.parse_args()
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
    summary = {
        "lines": info["lines"], "load": info, **{k: v for k, v in result.items() if k != "interactions"},
        "counts_suppliers_by_default": result["interactions"]["counts_suppliers_by_default"],
        "worst_p95_ms": max(v["p95_ms"] for v in inter.values()),
        "worst_overhead": max(v["overhead"] for v in inter.values()),
        "targets": {"p95_ms": 300, "first_render_s": 2, "peak_rss_mb": 3072, "overhead": 0.5},
        "interactions": inter,
        "on_request": result["interactions"]["on_request"],
    }
    print(json.dumps(summary, indent=1 if not args.json else None))


if __name__ == "__main__":
    main()
