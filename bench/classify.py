"""Classification benchmark: prints JSON. python bench/classify.py [--lines N] [--repeat R]

Loads the Demokommun generator's ledger at N lines (default 1,000,000) into a fresh DuckDB file,
then times what a user does on the classification and tree pages: a rule change of each kind
(each reclassifies the whole store and rebuilds the cube, without reloading files), a tree edit,
undo, the review queues with suggestions, coverage and the treemap's data. Target: a rule change
reclassifies the whole store "in seconds" at 1 M lines."""

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analytics import categories, classify, cube, derived, review
from analytics import tree as catree
from analytics.demo import load_demo
from analytics.store import connect, transaction


def timed(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="(output is always JSON)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        cur = con.cursor()
        start = time.perf_counter()
        load_demo(cur, args.lines)
        load_s = time.perf_counter() - start
        out = {"lines": cur.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0],
               "load_s": round(load_s, 2), "before": classify.summary(cur)}
        food = categories.node_for_path(cur, ("Verksamhet & stöd", "Måltider och livsmedel", "Livsmedel"), {}, create=False)
        office = categories.node_for_path(cur, ("Organisation", "Kontor"), {}, create=False)
        top = review.queue(cur, 20)
        key = top.supplier_key.iloc[0]
        org = cur.execute("SELECT org_no FROM suppliers WHERE supplier_key = ?", [key]).fetchall()[0][0]

        def rule_cycle(rule):
            def run():
                ids = classify.add_rules(cur, [rule])
                classify.delete_rules(cur, ids)
            return run
        r = args.repeat
        out["rule_change_s"] = {  # one add + one delete per round: two full reclassifications
            "supplier": timed(rule_cycle(classify.Rule("supplier", food, org_no=org)), r),
            "supplier_split_by_account": timed(rule_cycle(classify.Rule("supplier", food, org_no=org, account_from="659")), r),
            "account_range": timed(rule_cycle(classify.Rule("account", food, account_from="659", account_to="659")), r),
            "keyword": timed(rule_cycle(classify.Rule("keyword", food, keyword="tjänster")), r),
            "exclusion": timed(rule_cycle(classify.Rule("exclude", account_from="46")), r),
        }
        for k in out["rule_change_s"]:
            out["rule_change_s"][k]["per_change_s"] = round(out["rule_change_s"][k]["median_s"] / 2, 3)
        start = time.perf_counter()
        with transaction(cur):
            derived.reclassify(cur)
            reclass = time.perf_counter() - start
            derived.refresh_cube(cur)
        out["reclassify_only_s"] = round(reclass, 3)
        out["reclassify_and_cube_s"] = round(time.perf_counter() - start, 3)

        def tree_cycle():
            catree.move_node(cur, office, categories.node_for_path(cur, ("Utrustning & material",), {}, create=False))
            catree.undo(cur)
        out["tree_move_and_undo_s"] = timed(tree_cycle, r)
        out["review_queue_s"] = timed(lambda: review.queue(cur, 200), r)
        out["account_queue_s"] = timed(lambda: review.account_queue(cur, 200), r)
        out["coverage_s"] = timed(lambda: review.coverage(cur), r)
        out["treemap_data_s"] = timed(lambda: catree.spend_tree(cur, cube.View(), 5), r)
        out["rules_table_s"] = timed(lambda: classify.rules_table(cur), r)
        out["after"] = classify.summary(cur)
        assert out["after"] == out["before"], "every change was undone"
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        con.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
