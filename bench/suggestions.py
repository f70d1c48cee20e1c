"""Suggestion precision per confidence band: prints JSON. python bench/suggestions.py [--demo-lines N]

Not a speed benchmark: it measures whether the review queue's confidence can be trusted. On two
stores (the demo, and the real-style month of tests/ledgers.py, 68,021 lines) it hides the
classification of 30 % of the classified accounts, as if their rules were not there (the spend
the review loop meets in practice: accounts no rule knows). The queues then suggest, and every
suggestion is compared at level 2 with the category the hidden spend really had (per supplier
and per account, the largest by spend). Each store is rolled back afterwards."""

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from analytics import review
from analytics.categories import category_names
from analytics.demo import load_demo
from analytics.ingest import load_files
from analytics.store import connect

BANDS = [(0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.3, 0.5), (0.0, 0.3)]


def l2(names: dict, cid) -> str | None:
    if pd.isna(cid) or int(cid) not in names:
        return None
    path = names[int(cid)]["path"]
    return " / ".join(path[:2]) if len(path) >= 2 else path[0]


def measure(cur, share: float = 0.3, seed: int = 1) -> dict:
    """Hide the classification of a sample (``share``) of the classified accounts, as if their
    rules were not there, and score the supplier and account queues' suggestions (rolled back)."""
    rng = random.Random(seed)
    names = category_names(cur)
    accts = [r[0] for r in cur.execute("""SELECT DISTINCT account FROM ledger_lines WHERE NOT excluded
                                          AND category_id IS NOT NULL AND account IS NOT NULL ORDER BY 1""").fetchall()]
    held = [a for a in accts if rng.random() < share]
    out = {"accounts_hidden": len(held), "of_accounts": len(accts)}
    cur.execute("BEGIN TRANSACTION")
    try:
        scope = "NOT excluded AND category_id IS NOT NULL AND account IN (SELECT unnest(?::VARCHAR[]))"
        by_account = dict(cur.execute(f"""SELECT account, arg_max(category_id, s) FROM (
                SELECT account, category_id, sum(amount) AS s FROM ledger_lines WHERE {scope} GROUP BY ALL) GROUP BY 1""",
                                      [held]).fetchall())
        by_supplier = dict(cur.execute(f"""SELECT supplier_key, arg_max(category_id, s) FROM (
                SELECT supplier_key, category_id, sum(amount) AS s FROM ledger_lines WHERE {scope} GROUP BY ALL) GROUP BY 1""",
                                       [held]).fetchall())
        cur.execute(f"UPDATE ledger_lines SET category_id = NULL, rule_id = NULL WHERE {scope}", [held])
        for kind, q, truth, key in (("suppliers", review.queue(cur, limit=100_000), by_supplier, "supplier_key"),
                                    ("accounts", review.account_queue(cur, limit=100_000), by_account, "account")):
            rows = [r for r in q.itertuples() if getattr(r, key) in truth]
            scored = [(float(r.confidence), l2(names, r.category_id) == l2(names, truth[getattr(r, key)]))
                      for r in rows if pd.notna(r.confidence)]
            out[kind] = bands(scored)
            out[kind]["items"] = len(rows)
            out[kind]["without_suggestion"] = len(rows) - len(scored)
    finally:
        cur.execute("ROLLBACK")
    return out


def bands(pairs: list[tuple[float, bool]]) -> dict:
    res = {}
    for lo, hi in BANDS:
        hit = [ok for c, ok in pairs if lo <= c < hi]
        res[f"{lo:.1f}-{min(hi, 1.0):.1f}"] = {"suggestions": len(hit),
                                              "precision": round(sum(hit) / len(hit), 3) if hit else None}
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo-lines", type=int, default=300_000)
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    args = ap.parse_args()
    from ledgers import ledger_bytes
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "demo.duckdb")
        load_demo(con.cursor(), args.demo_lines)
        result["demo"] = measure(con.cursor())
        con.close()
        con = connect(Path(tmp) / "real.duckdb")
        load_files(con.cursor(), [("Realkommunen 2025-03.csv", ledger_bytes(68_021))])
        result["real_style"] = measure(con.cursor())
        con.close()
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
