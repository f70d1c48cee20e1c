"""Ingest benchmark: prints JSON. python bench/ingest.py [--sizes 25,50,100,200] [--xlsx-lines N] [--repeat 3]

Semicolon CSVs in Windows-1252 with decimal commas (the Swedish Excel export) of several sizes in
MB, and an XLSX, each read and validated (plan_upload: the parse) and, separately, also committed
into a fresh DuckDB file (the whole load), each in its own process so its peak RSS is its own. In the same run, for the same files, the
references: DuckDB alone (read_csv into a table of the same file) and a pandas peer (read_csv with
the Swedish options and to_parquet). Reported per file: seconds, peak RSS, peak RSS per MB of
file above the process's baseline (imports and an empty store), and the slope of peak RSS over
file size between the sizes (what each extra MB of file costs); for the XLSX also a plain
calamine read of the same workbook (python-calamine's rows as Python objects) and a plain
fastexcel read (calamine's parse into Arrow, what the parse uses). duckdb_store: DuckDB alone
inserting the file's parsed lines (all the store's columns, from a temp table) into ledger_lines
and committing, the floor of the whole load's storing; the whole load beyond it is reported
against DuckDB's read too. The ratios: the whole load against DuckDB (time, and memory
above the baseline) and the workbook's parse against calamine. Targets (issue 18): at most 2.5 x
DuckDB's time and 3 x its memory, the XLSX parse at most 1.5 x calamine; the parse's slope at
most 4 (no more than four copies of the file held at once).
The parse and the whole load start timing after the imports every uploading process already has
(pandas, which pyarrow imports on its first array, and the workbook readers), as the store's
baseline memory does. Every measurement is run three times in turn (--repeat for the CSVs; the
workbook's at least three), the run of median time kept, so one slow moment of a busy machine does
not decide a ratio.
Generated files are cached in bench/.cache (git-ignored)."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
BYTES_PER_LINE = 84.2                     # the generated CSV's average line length


def make_csv(n: int) -> Path:
    path = CACHE / f"ledger_{n}.csv"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(1)
    sup = rng.integers(0, 5000, n)
    amt = rng.lognormal(8, 1.2, n) * np.where(rng.random(n) < 0.02, -1, 1)
    day = rng.integers(0, 365, n)
    dates = np.datetime64("2025-01-01") + day
    with open(path, "w", encoding="cp1252", newline="") as fh:
        fh.write("Leverantör;Organisationsnummer;Konto;Kontotext;Förvaltning;Belopp;Bokföringsdatum\r\n")
        for i in range(n):
            a = f"{amt[i]:,.2f}".replace(",", " ").replace(".", ",")
            fh.write(f"Leverantör {sup[i]} AB;55{sup[i]:04d}-0000;64{sup[i] % 90:03d};Förbrukning;"
                     f"Förvaltning {sup[i] % 25};{a};{dates[i]}\r\n")
    return path


def make_xlsx(n: int) -> Path:
    path = CACHE / f"ledger_{n}.xlsx"
    if path.exists():
        return path
    import xlsxwriter
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(2)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Reskontra")
    ws.write_row(0, 0, ["Leverantör", "Konto", "Förvaltning", "Belopp", "Bokföringsdatum"])
    amt = rng.lognormal(8, 1.2, n)
    for i in range(n):
        ws.write_row(i + 1, 0, [f"Leverantör {i % 4000} AB", f"64{i % 90:03d}", f"Enhet {i % 20}",
                                float(round(amt[i], 2)), f"2025-{i % 12 + 1:02d}-15"])
    wb.close()
    return path


# One measurement, run in a child process: prints {"seconds", "baseline_mb", "peak_mb", ...}.
CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
def rss_mb():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
kind, path = sys.argv[1], Path(sys.argv[2])
tmp = Path(tempfile.mkdtemp())
if kind in ('spendkollen', 'parse', 'store'):
    from analytics.ingest import commit_upload, plan_upload
    from analytics.store import connect
    con = connect(tmp / 'bench.duckdb')
    cur = con.cursor()
    # what every process that uploads (the dashboard, the command line) has imported before its
    # first file: pandas (pyarrow imports it on its first array) and the workbook readers
    import fastexcel, pandas, pyarrow, python_calamine  # noqa: E401,F401
    pyarrow.array(["x"])
    base = rss_mb()
    data = path.read_bytes()
    start = time.perf_counter()
    plan = plan_upload(cur, [(path.name, data)])
    extra = {'lines': plan.lines, 'total': plan.total}
    if kind == 'spendkollen':
        extra['parse_seconds'] = round(time.perf_counter() - start, 2)
        commit_upload(cur, plan)
    elif kind == 'store':
        # DuckDB alone storing the file's lines as the store holds them: the parsed lines copied
        # to a temp table first (not timed), then inserted into ledger_lines and committed
        from analytics.ingest.load import LINE_COLUMNS, _registered
        from analytics.ingest.parse import lines_select
        parsed = plan.files[0].parsed
        with _registered(cur, parsed):
            cur.execute(f"CREATE TEMP TABLE lines AS SELECT * FROM ({lines_select(parsed, LINE_COLUMNS)})")
        start = time.perf_counter()
        cur.execute("BEGIN")
        cur.execute(f"INSERT INTO ledger_lines (batch_id, {', '.join(LINE_COLUMNS)}) SELECT 1, * FROM lines")
        cur.execute("COMMIT")
elif kind == 'duckdb':
    import duckdb
    con = duckdb.connect(str(tmp / 'ref.duckdb'))
    con.execute("SET memory_limit = '1GB'")
    base = rss_mb()
    data = path.read_bytes()
    start = time.perf_counter()
    con.execute(f"CREATE TABLE lines AS SELECT * FROM read_csv('{path}', delim=';', header=true, encoding='latin-1', all_varchar=true)")
    extra = {'lines': con.execute('SELECT count(*) FROM lines').fetchall()[0][0]}
elif kind == 'calamine':
    import io
    import python_calamine as cal
    base = rss_mb()
    data = path.read_bytes()
    start = time.perf_counter()
    rows = cal.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    extra = {'lines': len(rows) - 1}
elif kind == 'fastexcel':
    import fastexcel
    base = rss_mb()
    data = path.read_bytes()
    start = time.perf_counter()
    table = fastexcel.read_excel(data).load_sheet(0).to_arrow()
    extra = {'lines': table.num_rows}
else:
    import pandas as pd
    base = rss_mb()
    data = path.read_bytes()
    start = time.perf_counter()
    df = pd.read_csv(path, sep=';', decimal=',', thousands=' ', encoding='cp1252', dtype={'Konto': str})
    df.to_parquet(tmp / 'ref.parquet')
    extra = {'lines': len(df)}
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({'seconds': round(seconds, 2), 'baseline_mb': round(base), 'peak_mb': round(peak), **extra}))
"""


def measure(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(ROOT)], capture_output=True, text=True,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    mb = path.stat().st_size / 1024 ** 2
    result["file_mb"] = round(mb, 1)
    result["peak_over_baseline_per_file_mb"] = round((result["peak_mb"] - result["baseline_mb"]) / mb, 2)
    return result


def median_run(runs: list[dict]) -> dict:
    """The run of median time, with every run's time beside it."""
    kept = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    kept["runs_s"] = [r["seconds"] for r in runs]
    return kept


def slope(points: list[dict]) -> float | None:
    if len(points) < 2:
        return None
    x = np.array([p["file_mb"] for p in points])
    y = np.array([p["peak_mb"] for p in points])
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="25,50,100,200", help="CSV sizes in MB")
    ap.add_argument("--xlsx-lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each CSV measurement (the median kept)")
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",") if s]
    out = {"csv_parse": [], "csv": [], "reference_duckdb": [], "reference_pandas": [], "duckdb_store": []}
    csv_kinds = {"csv_parse": "parse", "csv": "spendkollen", "reference_duckdb": "duckdb",
                 "reference_pandas": "pandas", "duckdb_store": "store"}
    for mb in sizes:
        path = make_csv(int(mb * 1024 ** 2 / BYTES_PER_LINE))
        # each measurement run --repeat times in turn, the run of median time kept, as for the workbook
        runs = {key: [] for key in csv_kinds}
        for _ in range(args.repeat):
            for key, kind in csv_kinds.items():
                runs[key].append(measure(kind, path))
        for key, rs in runs.items():
            out[key].append(median_run(rs))
    out["slope_mb_per_file_mb"] = {k: slope(out[k]) for k in ("csv_parse", "csv", "reference_duckdb", "reference_pandas")}
    out["duckdb_memory_limit"] = __import__("os").environ.get("SPENDKOLLEN_MEMORY_LIMIT") or "1GB"
    xlsx = make_xlsx(args.xlsx_lines)
    # the workbook's measurements take a few seconds each, so each is run three times in turn
    # and the run of median time kept (a busy machine's one slow run does not decide the ratio)
    kinds = {"xlsx_parse": "parse", "xlsx": "spendkollen", "reference_calamine": "calamine",
             "reference_fastexcel": "fastexcel"}                  # fastexcel: the reader the parse uses, alone
    runs = {key: [] for key in kinds}
    for _ in range(max(args.repeat, 3)):
        for key, kind in kinds.items():
            runs[key].append(measure(kind, xlsx))
    for key, rs in runs.items():
        out[key] = median_run(rs)

    def above(r):
        return max(r["peak_mb"] - r["baseline_mb"], 1)
    # the ratios issue 18 sets: the whole load against DuckDB reading the same file (time, and
    # memory above each process's baseline), the workbook's parse against calamine reading it
    out["ratios"] = {
        "csv": [{"file_mb": c["file_mb"], "seconds_vs_duckdb": round(c["seconds"] / d["seconds"], 2),
                 "parse_seconds_vs_duckdb": round(p["seconds"] / d["seconds"], 2),
                 "beyond_store_floor_vs_duckdb": round((c["seconds"] - f["seconds"]) / d["seconds"], 2),
                 "seconds_vs_pandas": round(c["seconds"] / pd_["seconds"], 2),
                 "memory_vs_duckdb": round(above(c) / above(d), 2)}
                for p, c, d, pd_, f in zip(out["csv_parse"], out["csv"], out["reference_duckdb"], out["reference_pandas"],
                                           out["duckdb_store"])],
        "xlsx_parse_vs_calamine": round(out["xlsx_parse"]["seconds"] / out["reference_calamine"]["seconds"], 2),
        "xlsx_parse_vs_fastexcel": round(out["xlsx_parse"]["seconds"] / out["reference_fastexcel"]["seconds"], 2),
    }
    out["targets"] = {"seconds_vs_duckdb": 2.5, "memory_vs_duckdb": 3, "xlsx_parse_vs_calamine": 1.5,
                      "slope_mb_per_file_mb": 4}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
