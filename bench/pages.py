"""Page benchmark: prints JSON. python bench/pages.py [--lines N] [--json]

Every page of the dashboard rendered through app.py (the router, its sidebar with the global
filters, the menu) in Streamlit's AppTest on the region-sized store of bench/cube.py (the same
generated ledger, loaded through the import path and cached in bench/.cache): for each page the
first render with every cache empty (the server already started: imports done, the store open)
and the rerun with unchanged data (what every click on a page costs when nothing was stored).
A page whose tabs run only when open (ui.widgets.lazy_tabs) also gets each other tab's first
opening, as a click on it costs. The reference, measured in the same run: app.py's router and
sidebar with the page's own run left out, what any page costs before its own content.

Targets (issue 18, 2 cores): first render of every page under 1.5 s at 10 M lines; any rerun
with unchanged data under 0.3 s at 1 M.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("cube", "category_tree", "classify", "overview", "prioritise", "savings", "watchlist", "report",
         "contracts", "plans", "kpis", "upload", "log", "admin")


def _render(at, page: str | None) -> float:
    start = time.perf_counter()
    if page:
        at.switch_page(f"pages/{page}.py")
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{page}: " + "\n".join(e.message + "\n" + "\n".join(e.stack_trace) for e in at.exception))
    return seconds


def _session(fresh):
    """A new session that has run app.py once (as a browser's first request does), then every
    cache emptied, the store's connection kept (the server is up): a page switched to from it
    runs through app.py with the router and the sidebar. (AppTest.switch_page before a first
    run executes the page file alone, without app.py.)"""
    import streamlit as st
    at = fresh()
    at.run()
    st.cache_data.clear()
    return at


def _open_tabs(at) -> dict:
    """A page with lazy tabs (ui.widgets.lazy_tabs) draws its first tab alone: each other tab's
    first opening (its own queries not cached yet), as a click on it costs."""
    from ui import state
    key = next((k for k in state.LAZY_TABS if k in at.session_state), None)
    if key is None:
        return {}
    out = {}
    for label in [tab.label for tab in at.tabs][1:]:
        at.session_state[key] = label
        out[label] = round(_render(at, None), 3)
    return out


def measure(db: Path, reruns: int) -> dict:
    os.environ["SPENDKOLLEN_DB"] = str(db)
    os.chdir(ROOT)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def fresh():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state["lang"] = "sv"
        return at

    fresh().run()                               # server start: imports, the store opened once
    out = {}
    for page in PAGES:
        at = _session(fresh)
        first = _render(at, page)
        again = [_render(at, None) for _ in range(reruns)]
        out[page] = {"first_render_s": round(first, 3), "rerun_median_s": round(statistics.median(again), 3),
                     "rerun_max_s": round(max(again), 3)}
        tabs = _open_tabs(at)
        if tabs:
            out[page]["tab_first_open_s"] = tabs
    # the reference: app.py's router and sidebar with the page's own run left out (the page
    # st.navigation picks is not run), uncached as the pages were
    real_navigation = st.navigation

    def navigation_without_the_page(*args, **kwargs):
        page = real_navigation(*args, **kwargs)
        page.run = lambda: None
        return page
    at = _session(fresh)
    st.navigation = navigation_without_the_page
    try:
        first = _render(at, None)
        again = [_render(at, None) for _ in range(reruns)]
    finally:
        st.navigation = real_navigation
    ref = {"first_render_s": round(first, 3), "rerun_median_s": round(statistics.median(again), 3)}
    return {"pages": out, "reference_router_and_sidebar": ref}


CONTRACTS = 300          # the copy's contract register: one per large supplier, as a region's catalogue


def _governance(db: Path) -> None:
    """Give the copy what the governance pages show: the demo's initiatives (linked to the
    store's own largest categories) with their savings settings, plans, gate decisions and area
    KPIs, deviations on the watchlist, and a contract register over the CONTRACTS largest
    suppliers (each on a contract for its main category, some ending within the year)."""
    import datetime as dt

    from analytics import demo, savings
    from analytics.contracts import Contract, Supplier, save_contracts
    from analytics.store import connect
    con = connect(db)
    cur = con.cursor()
    savings.load_demo_initiatives(cur)
    demo._demo_deviations(cur)
    demo._demo_plans(cur)
    demo._demo_kpis(cur)
    first, last = cur.execute("SELECT min(period_month), max(period_month) FROM cube_rollup").fetchall()[0]
    top = cur.execute("""SELECT s.name, s.org_no, arg_max(coalesce(f.cat_l2, f.cat_l1), f.spend)
                         FROM cube_suppliers f JOIN suppliers s USING (supplier_no)
                         WHERE f.cat_l1 > 0 AND s.org_no_status = 'valid' GROUP BY ALL
                         ORDER BY sum(f.spend) DESC LIMIT ?""", [CONTRACTS]).fetchall()
    save_contracts(cur, [Contract(f"B-{i:04d}", f"Avtal {name}", first, last + dt.timedelta(days=30 * (1 + i % 24)),
                                  "contract", None, "Upphandlingsenheten", "bench", [Supplier(name, org, None)],
                                  [], [cat])
                         for i, (name, org, cat) in enumerate(top)], actor="bench", source="bench")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--reruns", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.db:
        print(json.dumps(measure(Path(args.db), args.reruns)))
        return
    # the store of bench/cube.py, built in its own process; measured on a copy so the demo-free
    # cached store is never changed by a page (the pack's first render stores nothing, but a
    # migration might)
    built = subprocess.run([sys.executable, str(ROOT / "bench" / "cube.py"), "--lines", str(args.lines),
                            "--phase", "build"], capture_output=True, text=True, check=True)
    info = json.loads(built.stdout.strip().splitlines()[-1])
    src = ROOT / "bench" / ".cache" / f"cube_{args.lines}.duckdb"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "pages.duckdb"
        db.write_bytes(src.read_bytes())
        _governance(db)
        run = subprocess.run([sys.executable, __file__, "--db", str(db), "--reruns", str(args.reruns)],
                             capture_output=True, text=True)
        if run.returncode:
            sys.stderr.write(run.stderr)
            sys.exit(run.returncode)
        result = json.loads(run.stdout.strip().splitlines()[-1])
    pages = result["pages"]
    print(json.dumps({
        "benchmark": "pages", "lines": info["lines"], "cores": os.cpu_count(),
        "worst_first_render": max(((p, v["first_render_s"]) for p, v in pages.items()), key=lambda x: x[1]),
        "worst_rerun": max(((p, v["rerun_median_s"]) for p, v in pages.items()), key=lambda x: x[1]),
        "worst_tab_first_open": max(((f"{p}: {tab}", s) for p, v in pages.items()
                                     for tab, s in v.get("tab_first_open_s", {}).items()), key=lambda x: x[1],
                                    default=None),
        "targets": {"first_render_s_at_10M": 1.5, "rerun_s_at_1M": 0.3},
        **result}, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
