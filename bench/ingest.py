"""Ingest benchmark: prints JSON. python bench/ingest.py [--lines N] [--xlsx-lines N]

A semicolon CSV in Windows-1252 with decimal commas (target: 1,000,000 lines < 10 s, peak < 2 GB)
and an XLSX (target: 200,000 lines < 8 s), each loaded, validated and committed into a fresh
DuckDB file. Generated files are cached in bench/.cache (git-ignored)."""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analytics.ingest import load_files
from analytics.store import connect

CACHE = Path(__file__).resolve().parent / ".cache"


def make_csv(n: int) -> Path:
    path = CACHE / f"ledger_{n}.csv"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(1)
    sup = rng.integers(0, 5000, n)
    amt = rng.lognormal(8, 1.2, n) * np.where(rng.random(n) < 0.02, -1, 1)
    day = rng.integers(0, 365, n)
    with open(path, "w", encoding="cp1252", newline="") as fh:
        fh.write("Leverantör;Organisationsnummer;Konto;Kontotext;Förvaltning;Belopp;Bokföringsdatum\r\n")
        dates = np.datetime64("2025-01-01") + day
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


def timed_load(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        data = path.read_bytes()
        start = time.perf_counter()
        plan = load_files(con.cursor(), [(path.name, data)])
        seconds = time.perf_counter() - start
        con.close()
    return {"file": path.name, "mb": round(len(data) / 1e6, 1), "lines": plan.lines, "seconds": round(seconds, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--xlsx-lines", type=int, default=200_000)
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    args = ap.parse_args()
    csv_path, xlsx_path = make_csv(args.lines), make_xlsx(args.xlsx_lines)
    out = {"csv": timed_load(csv_path)}
    out["peak_rss_mb_after_csv"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["xlsx"] = timed_load(xlsx_path)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["targets"] = {"csv_seconds": 10, "xlsx_seconds": 8, "peak_rss_mb": 2048}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
