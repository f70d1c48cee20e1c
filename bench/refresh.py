"""Refresh benchmark: prints JSON. python bench/refresh.py [--lines N] [--json]

What an upload, an undo and a rule change cost as the store grows, beside the full rebuild of
derived data (suppliers, classification, cube tables) measured in the same run on the same store:

- 16 equal uploads of N/16 lines in sequence (one month each, real-shape files from
  tests/ledgers.py: Kommun-Bas accounts, Swedish CSV), each timed whole (read, parse, commit) and
  its commit alone; the ratio of the 16th to the 1st (target at most 1.2); beside them DuckDB alone
  storing the same lines batch by batch in a table of its own (append and checkpoint), whose cost
  also steps up once row groups (122,880 rows) start to fill, and the ratio of what is left;
- a 10,000-line upload into the full store (target under 2 s at 10 M), and its undo;
- five kinds of rule change and a tree edit, each with the full rebuild of derived data beside it,
  and for the largest (an exclusion of account group 46) DuckDB alone updating the same lines'
  classification columns and committing.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analytics import categories, classify, derived
from analytics import tree as catree
from analytics.ingest import commit_upload, delete_batches, plan_upload
from analytics.store import connect
from tests.ledgers import ledger_bytes


def month(k: int) -> str:
    return f"{2022 + k // 12}-{k % 12 + 1:02d}"


def upload(cur, name: str, data: bytes) -> dict:
    start = time.perf_counter()
    plan = plan_upload(cur, [(name, data)])
    planned = time.perf_counter()
    ids = commit_upload(cur, plan)
    done = time.perf_counter()
    return {"s": round(done - start, 3), "commit_s": round(done - planned, 3), "batch_ids": ids}


def full_rebuild_s(cur) -> float:
    """The old way: every derived table from all lines (rolled back, so the store is unchanged)."""
    cur.execute("BEGIN TRANSACTION")
    start = time.perf_counter()
    derived.rebuild(cur)
    took = time.perf_counter() - start
    cur.execute("ROLLBACK")
    return round(took, 3)


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    args = ap.parse_args()
    per = args.lines // 16
    files = [(f"reskontra_{month(k)}.csv", ledger_bytes(per, month=month(k), seed=k)) for k in range(16)]
    small = ledger_bytes(10_000, month=month(17), seed=99)
    out: dict = {"benchmark": "refresh", "lines": args.lines, "uploads": 16, "lines_per_upload": per}
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        cur = con.cursor()
        # the floor: DuckDB alone storing the same lines (same columns and types) in a table of
        # its own file, appended batch by batch and checkpointed, as each upload's commit is
        ref = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        runs, floor = [], []
        for k, (name, data) in enumerate(files):
            r = upload(cur, name, data)
            runs.append(r)
            if k in (0, 7, 15):
                r["full_rebuild_s"] = full_rebuild_s(cur)
            ref.register("batch", cur.sql(f"SELECT * FROM ledger_lines WHERE batch_id = {int(r['batch_ids'][0])}").to_arrow_table())
            if k == 0:
                ref.execute("CREATE TABLE lines AS SELECT * FROM batch LIMIT 0")
            start = time.perf_counter()
            ref.execute("INSERT INTO lines SELECT * FROM batch")
            ref.execute("CHECKPOINT")
            floor.append(round(time.perf_counter() - start, 3))
            ref.unregister("batch")
        ref.close()
        out["upload_s"] = [r["s"] for r in runs]
        out["commit_s"] = [r["commit_s"] for r in runs]
        out["last_over_first"] = round(runs[-1]["s"] / runs[0]["s"], 2)
        # DuckDB compresses a row group (122,880 rows) when it is full: with uploads of N/16 lines
        # every other commit completes one and pays for it, so uploads alternate; pairs compare like with like
        out["last_pair_over_first_pair"] = round((runs[-1]["s"] + runs[-2]["s"]) / (runs[0]["s"] + runs[1]["s"]), 2)
        out["commit_last_over_first"] = round(runs[-1]["commit_s"] / runs[0]["commit_s"], 2)
        out["duckdb_store_s"] = floor
        out["duckdb_store_last_pair_over_first_pair"] = round((floor[-1] + floor[-2]) / (floor[0] + floor[1]), 2)
        # what the uploads cost beyond DuckDB's own storing of their lines, last pair over first
        out["beyond_floor_last_pair_over_first_pair"] = round(
            (runs[-1]["s"] + runs[-2]["s"] - floor[-1] - floor[-2]) / (runs[0]["s"] + runs[1]["s"] - floor[0] - floor[1]), 2)
        out["full_rebuild_s_after_upload"] = {str(k + 1): runs[k]["full_rebuild_s"] for k in (0, 7, 15)}
        stored = cur.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0]
        r = upload(cur, "liten.csv", small)
        start = time.perf_counter()
        delete_batches(cur, r["batch_ids"])
        undo_s = round(time.perf_counter() - start, 3)
        out["small_upload"] = {"lines": 10_000, "into_lines": stored, "s": r["s"], "commit_s": r["commit_s"],
                               "undo_s": undo_s, "full_rebuild_s": full_rebuild_s(cur), "target_s": 2.0}
        food = categories.node_for_path(cur, ("Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel"), {}, create=False)
        org = cur.execute("SELECT org_no FROM suppliers WHERE org_no_status = 'valid' ORDER BY total DESC LIMIT 1"
                          ).fetchall()[0][0]

        def cycle(rule):
            def run():
                ids = classify.add_rules(cur, [rule])
                classify.delete_rules(cur, ids)
            return run
        changes = {"supplier": classify.Rule("supplier", food, org_no=org),
                   "supplier_split_by_account": classify.Rule("supplier", food, org_no=org, account_from="64"),
                   "account_range": classify.Rule("account", food, account_from="644", account_to="644"),
                   "keyword": classify.Rule("keyword", food, keyword="livsmedel"),
                   "exclusion": classify.Rule("exclude", account_from="46")}
        out["rule_change_s"] = {k: round(timed(cycle(rule)) / 2, 3) for k, rule in changes.items()}
        # the floor of the exclusion: DuckDB alone changing the same lines' classification (their
        # category and rule) and committing (there and back, as the rule is added and removed)
        group46 = "left(account, 2) = '46'"

        def flip():
            for _ in range(2):
                cur.execute("BEGIN TRANSACTION")
                cur.execute(f"UPDATE ledger_lines SET category_id = -category_id, rule_id = -rule_id WHERE {group46}")
                cur.execute("COMMIT")
        out["exclusion_lines"] = cur.execute(f"SELECT count(*) FROM ledger_lines WHERE {group46}").fetchall()[0][0]
        out["exclusion_duckdb_update_s"] = round(timed(flip) / 2, 3)
        office = categories.node_for_path(cur, ("Organisation", "Kontor"), {}, create=False)
        parent = categories.node_for_path(cur, ("Utrustning & material",), {}, create=False)

        def tree_cycle():
            catree.move_node(cur, office, parent)
            catree.undo(cur)
        out["tree_edit_and_undo_s"] = timed(tree_cycle)
        out["full_rebuild_s"] = full_rebuild_s(cur)
        out["targets"] = {"last_over_first": 1.2, "small_upload_at_10M_s": 2.0, "rule_change_at_1M_s": 0.5,
                          "rule_change_at_10M_s": 2.0}
        con.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
