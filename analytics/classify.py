"""Which purchase category each ledger line belongs to.

For now a line's category comes from its account through a default mapping shipped in
data/account_categories.csv (the longest matching account prefix wins); lines whose account
matches nothing stay unclassified (category_id NULL, shown as "Ej klassificerat"). The spend cube
only reads ledger_lines.category_id and the tree in ``categories``, so how a line got its category
can change without touching the cube.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_TREE = DATA / "category_tree.csv"
DEFAULT_ACCOUNT_MAP = DATA / "account_categories.csv"


def _node(con: duckdb.DuckDBPyConnection, path: tuple[str, ...], cache: dict) -> int:
    """The id of the tree node at ``path`` (L1, L2, L3 names), created when missing."""
    if path in cache:
        return cache[path]
    parent = _node(con, path[:-1], cache) if len(path) > 1 else None
    found = con.execute("SELECT category_id FROM categories WHERE name = ? AND level = ? AND parent_id IS NOT DISTINCT FROM ?",
                        [path[-1], len(path), parent]).fetchall()
    if found:
        cache[path] = found[0][0]
    else:
        cache[path] = con.execute("INSERT INTO categories (parent_id, level, name) VALUES (?, ?, ?) RETURNING category_id",
                                  [parent, len(path), path[-1]]).fetchall()[0][0]
    return cache[path]


def _path(row: dict) -> tuple[str, ...]:
    parts = [(row.get(k) or "").strip() for k in ("L1", "L2", "L3")]
    out = []
    for p in parts:
        if not p:
            break
        out.append(p)
    return tuple(out)


def seed_default_categories(con: duckdb.DuckDBPyConnection) -> None:
    """Load the default tree (DOMAIN.md levels 1-2 with level-3 examples) and the default
    account -> category mapping into an empty store."""
    cache: dict = {}
    with open(DEFAULT_TREE, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if _path(row):
                _node(con, _path(row), cache)
    with open(DEFAULT_ACCOUNT_MAP, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            path = _path(row)
            if path and row["account_prefix"].strip():
                con.execute("INSERT OR REPLACE INTO account_category_map VALUES (?, ?)",
                            [row["account_prefix"].strip(), _node(con, path, cache)])


def assign_categories(cur: duckdb.DuckDBPyConnection, batch_ids: list[int] | None = None) -> None:
    """Set ledger_lines.category_id from the account mapping: for the given upload batches, or
    for every line when ``batch_ids`` is None (after a mapping change)."""
    scope = "batch_id IN (SELECT unnest(?::INTEGER[]))" if batch_ids is not None else "true"
    params = [batch_ids] if batch_ids is not None else []
    cur.execute(f"UPDATE ledger_lines SET category_id = NULL WHERE {scope} AND category_id IS NOT NULL", params)
    cur.execute(f"""
        UPDATE ledger_lines l SET category_id = m.category_id
        FROM (
            SELECT a.account, arg_max(m.category_id, length(m.account_prefix)) AS category_id
            FROM (SELECT DISTINCT account FROM ledger_lines WHERE {scope} AND account IS NOT NULL) a
            JOIN account_category_map m ON starts_with(a.account, m.account_prefix)
            GROUP BY a.account
        ) m
        WHERE l.account = m.account AND {scope.replace('batch_id', 'l.batch_id')}""", params + params)


def category_names(cur: duckdb.DuckDBPyConnection) -> dict[int, dict]:
    """Every tree node: id -> {name, level, parent_id, path (names from level 1)}."""
    rows = cur.execute("SELECT category_id, parent_id, level, name FROM categories").fetchall()
    nodes = {r[0]: {"name": r[3], "level": r[2], "parent_id": r[1]} for r in rows}
    for node in nodes.values():
        path, cur_node = [], node
        while cur_node is not None:
            path.insert(0, cur_node["name"])
            cur_node = nodes.get(cur_node["parent_id"]) if cur_node["parent_id"] is not None else None
        node["path"] = path
    return nodes

