"""Start-up benchmark: how soon after `make run` the first page answers, on the demo store.

For each of ``--runs`` rounds a fresh server is started on a store that already holds the demo
(``make run`` builds it before the server starts) and a headless Chromium opens the start page
(the spend cube) and waits for its heading, its key figures and its table; the same is measured for
a one-line Streamlit app (``st.title``) as the reference: what Streamlit itself costs on this
machine. Prints JSON: seconds to the server's health check and to the first page, median and
worst, for both.

    python bench/start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _measure(cmd: list[str], env: dict, heading: str, figure: str | None) -> dict:
    from playwright.sync_api import expect, sync_playwright
    port = _port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + ["--server.port", str(port), "--server.address", "127.0.0.1",
                                   "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.perf_counter() - t0 > 300:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        health = time.perf_counter() - t0
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            t1 = time.perf_counter()
            page.goto(url, timeout=120_000)
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=120_000)
            if figure:                      # the page answers: its key figures and its table
                expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=120_000)
                expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=120_000)
            first = time.perf_counter() - t0
            browser_only = time.perf_counter() - t1
            browser.close()
        return {"health_s": round(health, 2), "first_page_s": round(first, 2),
                "first_page_after_health_s": round(first - health, 2), "browser_s": round(browser_only, 2)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from analytics import demo, store
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        con = store.connect(db)
        t = time.perf_counter()
        demo.load_demo(con.cursor())
        build = time.perf_counter() - t
        con.close()
        hello = Path(tmp) / "hello.py"
        hello.write_text("import streamlit as st\nst.title('Hej')\n", encoding="utf-8")
        env = dict(os.environ, SPENDKOLLEN_DB=str(db))
        app, ref = [], []
        for _ in range(args.runs):
            app.append(_measure([sys.executable, "-m", "ui.serve"], env, "Spendkub – vart pengarna går", "metric"))
            ref.append(_measure([sys.executable, "-m", "streamlit", "run", str(hello)], env, "Hej", None))

    def summary(rows):
        return {k: {"median": statistics.median(r[k] for r in rows), "max": max(r[k] for r in rows)} for k in rows[0]}
    print(json.dumps({"benchmark": "start", "runs": args.runs, "cores": os.cpu_count(),
                      "demo_build_s": round(build, 1), "spendkollen": summary(app),
                      "reference_streamlit_hello": summary(ref), "target_first_page_s": 5.0}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
