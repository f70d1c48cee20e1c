"""The category tree as the other modules read it: each node's name, level and path, and the
node at a path (created when asked). Edits, versions and undo are in analytics.tree."""

from __future__ import annotations

import duckdb


def node_for_path(cur: duckdb.DuckDBPyConnection, path: tuple[str, ...], cache: dict, *,
                  create: bool, code: str | None = None) -> int | None:
    """The id of the node at ``path`` (names from level 1; matched ignoring case and outer
    spaces); created when missing and ``create``, else None."""
    path = tuple(p.strip() for p in path)
    key = tuple(p.lower() for p in path)
    if key in cache:
        return cache[key]
    parent = node_for_path(cur, path[:-1], cache, create=create) if len(path) > 1 else None
    if len(path) > 1 and parent is None:
        return None
    found = cur.execute("""SELECT category_id FROM categories WHERE lower(name) = lower(?) AND level = ?
                           AND parent_id IS NOT DISTINCT FROM ? ORDER BY category_id""",
                        [path[-1], len(path), parent]).fetchall()
    if found:
        cache[key] = found[0][0]
    elif create:
        cache[key] = cur.execute("INSERT INTO categories (parent_id, level, name, code) VALUES (?, ?, ?, ?) RETURNING category_id",
                                 [parent, len(path), path[-1], code]).fetchall()[0][0]
    else:
        return None
    return cache[key]


def category_names(cur: duckdb.DuckDBPyConnection) -> dict[int, dict]:
    """Every tree node: id -> {name, level, parent_id, code, path (names from level 1)}."""
    rows = cur.execute("SELECT category_id, parent_id, level, name, code FROM categories").fetchall()
    nodes = {r[0]: {"name": r[3], "level": r[2], "parent_id": r[1], "code": r[4]} for r in rows}
    for node in nodes.values():
        path, cur_node = [], node
        while cur_node is not None:
            path.insert(0, cur_node["name"])
            cur_node = nodes.get(cur_node["parent_id"]) if cur_node["parent_id"] is not None else None
        node["path"] = path
    return nodes
