"""The category tree (kategoriträd): three levels (L1, L2, L3) of the organisation's own purchase
categories, editable, importable and exportable, and versioned so any edit can be undone.

Every edit of the tree or of the classification rules first saves the current tree and rules as
a version (``tree_versions`` with its snapshot tables); ``undo`` puts the newest version back.
Lines are never edited by hand: after an edit the store is reclassified from the rules, so
undoing a version restores the lines' categories too.

Deleting or merging a node reassigns its spend: the rules that pointed at the node (or a node
below it) are pointed at the node chosen instead, or deleted when none is chosen (their spend
becomes unclassified).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pandas as pd

from . import access, derived
from .categories import category_names, node_for_path
from .constants import EXCLUDED
from .cube import DRILL_NEXT, source, where
from .errors import RuleError
from .orgno import shown_name_sql
from .periods import month_after, shift_year
from .store import audit, current_user, transaction

MAX_LEVEL = 3
TREE_FILE_COLUMNS = ("L1", "L2", "L3", "CPV")


# ------------------------------------------------------------------ lookups

def nodes(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every node with category_id, parent_id, level, name, code (CPV, may be None), path
    ('L1 / L2 / L3'), sorted by path."""
    names = category_names(cur)
    rows = [{"category_id": cid, "parent_id": n["parent_id"], "level": n["level"], "name": n["name"],
             "code": n["code"], "path": " / ".join(n["path"])} for cid, n in names.items()]
    df = pd.DataFrame(rows, columns=["category_id", "parent_id", "level", "name", "code", "path"])
    return df.sort_values("path", key=lambda s: s.str.lower()).reset_index(drop=True)


def _node(cur, category_id: int) -> tuple:
    rows = cur.execute("SELECT category_id, parent_id, level, name, code FROM categories WHERE category_id = ?",
                       [int(category_id)]).fetchall()
    if not rows:
        raise RuleError("tree_missing", f"category {category_id} is not in the tree", value=str(category_id))
    return rows[0]


def _subtree(cur, category_id: int) -> list[int]:
    out, frontier = [int(category_id)], [int(category_id)]
    while frontier:
        frontier = [r[0] for r in cur.execute("SELECT category_id FROM categories WHERE parent_id IN (SELECT unnest(?::INTEGER[]))",
                                              [frontier]).fetchall()]
        out += frontier
    return out


def _depth_below(cur, category_id: int) -> int:
    level = _node(cur, category_id)[2]
    deepest = cur.execute("SELECT max(level) FROM categories WHERE category_id IN (SELECT unnest(?::INTEGER[]))",
                          [_subtree(cur, category_id)]).fetchall()[0][0]
    return deepest - level


def _check_name(cur, name: str, parent_id: int | None, level: int, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise RuleError("tree_name_empty", "give the category a name")
    if len(name) > 200:
        raise RuleError("tree_name_long", "a category name has at most 200 characters")
    clash = cur.execute("""SELECT count(*) FROM categories WHERE lower(name) = lower(?) AND level = ?
                           AND parent_id IS NOT DISTINCT FROM ? AND category_id IS DISTINCT FROM ?""",
                        [name, level, parent_id, exclude_id]).fetchall()[0][0]
    if clash:
        raise RuleError("tree_name_taken", f"'{name}' already exists at that place in the tree", name=name)
    return name


# ------------------------------------------------------------------ versions

def save_version(cur: duckdb.DuckDBPyConnection, action: str, detail: dict | None = None,
                 actor: str | None = None) -> int:
    """Save the current tree and rules as a version (inside the caller's transaction) before an
    edit; returns its id."""
    import json
    vid = cur.execute("""INSERT INTO tree_versions (created_at, actor, action, detail)
                         VALUES (now()::TIMESTAMP, ?, ?, ?) RETURNING version_id""",
                      [actor or current_user(), action, json.dumps(detail or {}, ensure_ascii=False, default=str)]
                      ).fetchall()[0][0]
    cur.execute("""INSERT INTO tree_version_categories SELECT ?, category_id, parent_id, level, name, code, created_at
                   FROM categories""", [vid])
    cur.execute("INSERT INTO tree_version_rules SELECT ?, * FROM class_rules", [vid])
    return vid


def versions(cur: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """Saved versions, newest first: version_id, created_at, actor, action, detail (JSON text),
    undone (bool)."""
    return cur.execute("""SELECT version_id, created_at, actor, action, detail, undone FROM tree_versions
                          ORDER BY version_id DESC LIMIT ?""", [limit]).df()


def undo(cur: duckdb.DuckDBPyConnection, *, actor: str | None = None) -> dict | None:
    """Put back the tree and rules as they were before the newest edit not yet undone, and
    reclassify. Returns that version's {version_id, action, actor, created_at}, or None when
    there is nothing to undo."""
    access.require(access.TREE)
    rows = cur.execute("""SELECT version_id, action, actor, created_at FROM tree_versions WHERE NOT undone
                          ORDER BY version_id DESC LIMIT 1""").fetchall()
    if not rows:
        return None
    vid, action, who, when = rows[0]
    with transaction(cur), derived.rules_change(cur):
        cur.execute("DELETE FROM class_rules")
        cur.execute("DELETE FROM categories")
        cur.execute("""INSERT INTO categories (category_id, parent_id, level, name, code, created_at)
                       SELECT category_id, parent_id, level, name, code, created_at FROM tree_version_categories
                       WHERE version_id = ?""", [vid])
        cur.execute("INSERT INTO class_rules SELECT * EXCLUDE (version_id) FROM tree_version_rules WHERE version_id = ?", [vid])
        cur.execute("UPDATE tree_versions SET undone = true WHERE version_id = ?", [vid])
        audit(cur, "tree_undo", "tree_versions", {"version_id": vid, "undid": action, "by": who}, actor)
    return {"version_id": vid, "action": action, "actor": who, "created_at": when}


def change(cur, action: str, detail: dict, actor: str | None, work, *, reclassify: bool = True):
    """Run ``work()`` (which stores and audits) as one versioned, all-or-nothing change of the
    rules or the tree: the current tree and rules saved as a version first (undo), then (unless
    ``reclassify`` is False) the derived data brought up to date, all in one transaction. The
    one way the tree and the rules change (analytics.classify uses it for every rule edit)."""
    with transaction(cur):
        save_version(cur, action, detail, actor)
        if not reclassify:                   # a new or renamed node: nothing derived changes
            return work()
        with derived.rules_change(cur):
            return work()


def _edit(cur, action: str, detail: dict, actor: str | None, work, reclassify: bool = True):
    """Run ``work(cur)`` as one audited, versioned, all-or-nothing edit of the tree."""
    access.require(access.TREE)

    def audited():
        out = work(cur)
        audit(cur, action, "categories", detail, actor)
        return out
    return change(cur, action, detail, actor, audited, reclassify=reclassify)


# ------------------------------------------------------------------ edits

def add_node(cur: duckdb.DuckDBPyConnection, parent_id: int | None, name: str, *, code: str | None = None,
             actor: str | None = None) -> int:
    """Add a category under ``parent_id`` (a new level-1 category when None); returns its id."""
    level = 1 if parent_id is None else _node(cur, parent_id)[2] + 1
    if level > MAX_LEVEL:
        raise RuleError("tree_too_deep", f"the tree has {MAX_LEVEL} levels; add the category one level up",
                        levels=MAX_LEVEL)
    name = _check_name(cur, name, parent_id, level)

    def work(c):
        return c.execute("INSERT INTO categories (parent_id, level, name, code) VALUES (?, ?, ?, ?) RETURNING category_id",
                         [parent_id, level, name, code or None]).fetchall()[0][0]
    return _edit(cur, "tree_add", {"parent_id": parent_id, "name": name, "level": level}, actor, work, reclassify=False)


def rename_node(cur: duckdb.DuckDBPyConnection, category_id: int, name: str, *, actor: str | None = None) -> None:
    """Rename a category (its spend and rules stay)."""
    _, parent, level, old, _code = _node(cur, category_id)
    name = _check_name(cur, name, parent, level, exclude_id=category_id)
    _edit(cur, "tree_rename", {"category_id": category_id, "from": old, "to": name}, actor,
          lambda c: c.execute("UPDATE categories SET name = ? WHERE category_id = ?", [name, category_id]),
          reclassify=False)


def move_node(cur: duckdb.DuckDBPyConnection, category_id: int, new_parent_id: int | None, *,
              actor: str | None = None) -> None:
    """Move a category (with everything below it) under another parent (to level 1 when None)."""
    _, parent, level, name, _code = _node(cur, category_id)
    if new_parent_id is not None and int(new_parent_id) in _subtree(cur, category_id):
        raise RuleError("tree_move_into_itself", "a category cannot move below itself")
    new_level = 1 if new_parent_id is None else _node(cur, new_parent_id)[2] + 1
    if new_level + _depth_below(cur, category_id) > MAX_LEVEL:
        raise RuleError("tree_too_deep", f"the tree has {MAX_LEVEL} levels; the category and those below it "
                        "do not fit there", levels=MAX_LEVEL)
    _check_name(cur, name, new_parent_id, new_level, exclude_id=category_id)
    shift = new_level - level

    def work(c):
        ids = _subtree(c, category_id)
        c.execute("UPDATE categories SET parent_id = ? WHERE category_id = ?", [new_parent_id, category_id])
        c.execute("UPDATE categories SET level = level + ? WHERE category_id IN (SELECT unnest(?::INTEGER[]))", [shift, ids])
    _edit(cur, "tree_move", {"category_id": category_id, "name": name, "from_parent": parent, "to_parent": new_parent_id},
          actor, work)


def merge_nodes(cur: duckdb.DuckDBPyConnection, source_id: int, target_id: int, *, actor: str | None = None) -> None:
    """Merge ``source_id`` into ``target_id``: its rules and spend go to the target, its children
    move under the target (a child with the same name as one of the target's merges into it too),
    and the source is deleted."""
    if int(source_id) == int(target_id):
        raise RuleError("tree_merge_same", "choose two different categories to merge")
    if int(target_id) in _subtree(cur, source_id):
        raise RuleError("tree_merge_into_child", "a category cannot merge into a category below it")
    src, tgt = _node(cur, source_id), _node(cur, target_id)

    def merge(c, s: int, t: int) -> None:
        t_level = c.execute("SELECT level FROM categories WHERE category_id = ?", [t]).fetchall()[0][0]
        for child_id, child_name in c.execute("SELECT category_id, name FROM categories WHERE parent_id = ?", [s]).fetchall():
            same = c.execute("SELECT category_id FROM categories WHERE parent_id = ? AND lower(name) = lower(?)",
                             [t, child_name]).fetchall()
            if same:
                merge(c, child_id, same[0][0])
            else:
                if t_level + 1 + _depth_below(c, child_id) > MAX_LEVEL:
                    raise RuleError("tree_too_deep", f"the tree has {MAX_LEVEL} levels; '{child_name}' does not fit "
                                    "below the target", levels=MAX_LEVEL)
                shift = t_level + 1 - c.execute("SELECT level FROM categories WHERE category_id = ?", [child_id]).fetchall()[0][0]
                ids = _subtree(c, child_id)
                c.execute("UPDATE categories SET parent_id = ? WHERE category_id = ?", [t, child_id])
                c.execute("UPDATE categories SET level = level + ? WHERE category_id IN (SELECT unnest(?::INTEGER[]))", [shift, ids])
        c.execute("UPDATE class_rules SET category_id = ?, updated_at = now()::TIMESTAMP WHERE category_id = ?", [t, s])
        c.execute("UPDATE categories SET code = coalesce(code, (SELECT code FROM categories WHERE category_id = ?)) WHERE category_id = ?", [s, t])
        c.execute("DELETE FROM categories WHERE category_id = ?", [s])
    _edit(cur, "tree_merge", {"source": source_id, "source_name": src[3], "target": target_id, "target_name": tgt[3]},
          actor, lambda c: merge(c, int(source_id), int(target_id)))


def delete_node(cur: duckdb.DuckDBPyConnection, category_id: int, reassign_to: int | None, *,
                actor: str | None = None) -> None:
    """Delete a category and everything below it. Their rules point at ``reassign_to`` instead
    (their spend moves there), or are deleted when it is None (the spend becomes unclassified)."""
    node = _node(cur, category_id)
    ids = _subtree(cur, category_id)
    if reassign_to is not None:
        if int(reassign_to) in ids:
            raise RuleError("tree_reassign_inside", "move the spend to a category outside the one being deleted")
        _node(cur, reassign_to)

    def work(c):
        if reassign_to is None:
            c.execute("DELETE FROM class_rules WHERE category_id IN (SELECT unnest(?::INTEGER[]))", [ids])
        else:
            c.execute("""UPDATE class_rules SET category_id = ?, updated_at = now()::TIMESTAMP
                         WHERE category_id IN (SELECT unnest(?::INTEGER[]))""", [int(reassign_to), ids])
        c.execute("DELETE FROM categories WHERE category_id IN (SELECT unnest(?::INTEGER[]))", [ids])
    _edit(cur, "tree_delete", {"category_id": category_id, "name": node[3], "nodes": len(ids), "reassign_to": reassign_to},
          actor, work)


# ------------------------------------------------------------------ files

def export_tree(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The tree as rows L1, L2, L3, CPV: one row per node (a node's ancestors repeated on its row),
    sorted by path."""
    names = category_names(cur)
    rows = []
    for n in names.values():
        p = n["path"] + [None] * (MAX_LEVEL - len(n["path"]))
        rows.append({"L1": p[0], "L2": p[1], "L3": p[2], "CPV": n["code"]})
    df = pd.DataFrame(rows, columns=list(TREE_FILE_COLUMNS))
    return df.sort_values(["L1", "L2", "L3"], key=lambda s: s.fillna("").str.lower(), na_position="first").reset_index(drop=True)


def read_tree_file(name: str, data: bytes) -> list[tuple[tuple[str, ...], str | None]]:
    """(path, CPV code) per row of an .xlsx/.csv file with columns L1, L2, L3 (and optionally CPV);
    a bad row is reported with file, row and column."""
    from .ingest.readers import read_rows
    header, body = read_rows(name, data, "L1")
    lower = {h.strip().lower(): i for i, h in enumerate(header)}
    out = []
    for n, row in body:
        cells = {key: (row[i] if i < len(row) else "") for key, i in lower.items()}
        parts = [cells.get(c, "") for c in ("l1", "l2", "l3")]
        if not any(parts):
            continue
        for level, part in enumerate(parts):
            if not part and any(parts[level + 1:]):
                raise RuleError("tree_file_gap", f"L{level + 1} is empty but a deeper level is filled", file=name, row=n,
                                column=f"L{level + 1}")
            if len(part) > 200:
                raise RuleError("tree_name_long", "a category name has at most 200 characters", file=name, row=n,
                                column=f"L{level + 1}")
        code = _cpv8(cells.get("cpv", "")) if cells.get("cpv") else None
        if cells.get("cpv") and code is None:
            raise RuleError("tree_file_cpv", f"'{cells['cpv']}' is not a CPV code (8 digits, e.g. 03111000-2)",
                            file=name, row=n, column="CPV", value=cells["cpv"])
        out.append((tuple(p for p in parts if p), code))
    if not out:
        raise RuleError("tree_file_empty", "the file has no categories", file=name)
    return out


def _cpv8(text: str) -> str | None:
    digits = "".join(ch for ch in text.split("-")[0] if ch.isdigit())
    return digits if len(digits) == 8 else None


def import_tree(cur: duckdb.DuckDBPyConnection, rows: list[tuple[tuple[str, ...], str | None]], *,
                replace: bool = False, source: str = "", actor: str | None = None) -> dict:
    """Add the rows' categories to the tree (existing ones are kept; CPV codes set), or with
    ``replace`` make the tree exactly the file's: categories not in the file are deleted with
    their rules (their spend becomes unclassified). One undoable edit; returns
    {added, removed, nodes}."""
    def work(c):
        before = {r[0] for r in c.execute("SELECT category_id FROM categories").fetchall()}
        cache: dict = {}
        kept = set()
        for path, code in rows:
            for depth in range(1, len(path) + 1):
                kept.add(node_for_path(c, path[:depth], cache, create=True))
            if code:
                c.execute("UPDATE categories SET code = ? WHERE category_id = ?", [code, cache[tuple(p.lower() for p in path)]])
        removed = []
        if replace:
            removed = sorted(before - kept)
            c.execute("DELETE FROM class_rules WHERE category_id IN (SELECT unnest(?::INTEGER[]))", [removed])
            c.execute("DELETE FROM categories WHERE category_id IN (SELECT unnest(?::INTEGER[]))", [removed])
        after = c.execute("SELECT count(*) FROM categories").fetchall()[0][0]
        added = len(set(cache.values()) - before)
        return {"added": added, "removed": len(removed), "nodes": after}
    return _edit(cur, "tree_import", {"source": source, "rows": len(rows), "replace": replace}, actor, work)


def read_cpv_file(name: str, data: bytes, *, lang: str = "sv") -> list[tuple[tuple[str, ...], str | None]]:
    """The CPV 2008 list (a CSV with code, parent, level and name_sv/name_en columns such as
    cpv_2008_en_sv.csv) as tree rows: divisions at level 1, groups at level 2, classes at level 3,
    each carrying its code; deeper codes classify lines into their class by code prefix. Names
    in ``lang`` ('sv' or 'en'; English where the Swedish name is missing or damaged)."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.lower(): f for f in (reader.fieldnames or [])}
    if "code" not in fields or not ({"name_sv", "name_en", "name"} & set(fields)):
        raise RuleError("cpv_file_columns", "the CPV file needs the columns code and name_sv or name_en", file=name)
    by_code: dict[str, str] = {}
    for n, row in enumerate(reader, start=2):
        code = _cpv8(row[fields["code"]] or "")
        if code is None:
            raise RuleError("tree_file_cpv", f"'{row[fields['code']]}' is not a CPV code", file=name, row=n,
                            column=fields["code"], value=row[fields["code"]])
        sv = row.get(fields.get("name_sv", ""), "") or ""
        en = row.get(fields.get("name_en", ""), "") or row.get(fields.get("name", ""), "") or ""
        label = sv if (lang == "sv" and sv and "??" not in sv) else (en or sv)
        by_code[code] = label.strip()[:180]
    rows = []
    for code, label in by_code.items():
        prefix = code.rstrip("0")
        depth = max(2, len(prefix)) - 1          # 2 digits: division (1), 3: group (2), 4: class (3)
        if depth > MAX_LEVEL:
            continue
        chain = [code[:d + 1] + "0" * (7 - d) for d in range(1, depth + 1)]
        if not all(c in by_code for c in chain):
            continue
        path = tuple(f"{by_code[c]} ({c[:2 + i]})" for i, c in enumerate(chain))
        rows.append((path, code))
    if not rows:
        raise RuleError("tree_file_empty", "the file has no CPV codes", file=name)
    return sorted(rows, key=lambda r: r[1])


def write_tree_file(cur: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Write the tree to .xlsx or .csv (columns L1, L2, L3, CPV); returns the number of rows."""
    from .export import Sheet, xlsx_bytes
    table = export_tree(cur)
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(xlsx_bytes([Sheet("Kategoriträd", table)]))
    else:
        path.write_text(table.to_csv(index=False), encoding="utf-8")
    return len(table)


# ------------------------------------------------------------------ spend over the tree (treemap)

def spend_tree(cur: duckdb.DuckDBPyConnection, view, top: int = 5) -> pd.DataFrame:
    """Spend of the view over the tree, for a treemap or sunburst: one row per node with id,
    parent ('' for the roots), kind ('category', 'rest' (spend booked on a category that has
    children, below none of them), 'unclassified', 'excluded', 'supplier', 'others' (the other
    suppliers of a node)), key (category id, -1 excluded, 0 unclassified, or supplier key), name,
    level (1-4), spend (SEK; a parent's spend is exactly the sum of its children's: suppliers
    with zero or negative net spend count as 0), share (of the total), suppliers (distinct, net
    spend > 0 or not), recent_spend (the last 12 months of the period, or all of it when
    shorter) and prev_spend (the same months a year earlier; both None when those months are not
    all loaded), change (recent_spend / prev_spend - 1) and classified_share (share
    of the node's spend classified down to a category without children: 0 for unclassified
    spend, None for excluded)."""

    def facts(v) -> list[tuple]:
        cond, params = where(v)
        return cur.execute(f"""
            WITH f AS (SELECT coalesce(f.cat_l1, 0) AS l1, coalesce(f.cat_l2, 0) AS l2, coalesce(f.cat_l3, 0) AS l3,
                              f.supplier_no, sum(f.spend)::DOUBLE AS spend
                       FROM {source(v)} f WHERE {cond} GROUP BY ALL),
            r AS (SELECT *, row_number() OVER (PARTITION BY l1, l2, l3 ORDER BY spend DESC, supplier_no) AS rk FROM f)
            SELECT l1, l2, l3, CASE WHEN rk <= ? AND spend > 0 THEN supplier_no END AS sup,
                   sum(greatest(spend, 0)), sum(spend), count(*)
            FROM r GROUP BY ALL""", params + [top]).fetchall()

    rows = facts(view)
    names = {r[0]: (r[1], r[2]) for r in cur.execute("SELECT category_id, name, level FROM categories").fetchall()}
    has_children = {r[0] for r in cur.execute("SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL").fetchall()}
    sup_ids = sorted({r[3] for r in rows if r[3] is not None})
    sup_names = {r[0]: (r[1], r[2]) for r in cur.execute(
        f"""SELECT supplier_no, supplier_key, {shown_name_sql()}
            FROM suppliers WHERE supplier_no IN (SELECT unnest(?::INTEGER[]))""", [sup_ids]).fetchall()} if sup_ids else {}
    # distinct suppliers per category node
    cond, params = where(view)
    counts = {}
    for l1, l2, l3, n in cur.execute(f"""
            SELECT coalesce(f.cat_l1, 0), coalesce(f.cat_l2, 0), coalesce(f.cat_l3, 0), count(DISTINCT f.supplier_no)
            FROM {source(view)} f WHERE {cond} GROUP BY GROUPING SETS ((1), (1, 2), (1, 2, 3))""", params).fetchall():
        counts[(l1, l2, l3)] = n

    nodes: dict[str, dict] = {}

    def node(nid: str, parent: str, kind: str, key, name: str, level: int, gkey: tuple) -> dict:
        # gkey: the node's key in the GROUPING SETS queries below (rolled-up levels are None)
        if nid not in nodes:
            nodes[nid] = {"id": nid, "parent": parent, "kind": kind, "key": key, "name": name, "level": level,
                          "spend": 0.0, "full": 0.0, "suppliers": 0, "gkey": gkey}
        return nodes[nid]

    for l1, l2, l3, sup, pos, net, n in rows:
        if l1 == EXCLUDED:
            chain = [node("x", "", "excluded", EXCLUDED, "", 1, (EXCLUDED, None, None))]
        elif l1 == 0:
            chain = [node("u", "", "unclassified", 0, "", 1, (0, None, None))]
        else:
            chain = [node(f"c{l1}", "", "category", l1, names.get(l1, ("?", 1))[0], 1, (l1, None, None))]
            if l2:
                chain.append(node(f"c{l2}", f"c{l1}", "category", l2, names.get(l2, ("?", 2))[0], 2, (l1, l2, None)))
                if l3:
                    chain.append(node(f"c{l3}", f"c{l2}", "category", l3, names.get(l3, ("?", 3))[0], 3, (l1, l2, l3)))
            parent = chain[-1]
            if parent["key"] in has_children and len(chain) < 3:
                chain.append(node(parent["id"] + "r", parent["id"], "rest", parent["key"], parent["name"],
                                  parent["level"] + 1, (l1, l2, l3)))
        leaf = chain[-1]
        if sup is not None:
            key, label = sup_names.get(sup, (str(sup), str(sup)))
            s = node(f"{leaf['id']}/s{sup}", leaf["id"], "supplier", key, label, leaf["level"] + 1, (l1, l2, l3, sup))
        else:
            s = node(f"{leaf['id']}/o", leaf["id"], "others", None, "", leaf["level"] + 1, ())
        s["spend"] += pos
        s["suppliers"] += n
        fully = leaf["kind"] == "category" and leaf["key"] not in has_children
        s["full"] += pos if fully else 0.0
        for c in chain:
            c["spend"] += pos
            c["full"] += pos if fully else 0.0
    for nd in nodes.values():
        if nd["kind"] in ("category", "unclassified", "excluded"):
            nd["suppliers"] = counts.get(nd["gkey"], nd["suppliers"])
        elif nd["kind"] == "rest":
            nd["suppliers"] = counts.get(nd["gkey"], 0)
    total = sum(nd["spend"] for nd in nodes.values() if nd["parent"] == "")
    # change: the last (up to) 12 months of the period against the same months a year earlier
    recent: dict = {}
    prev: dict = {}
    has_prev = False
    lo, hi = view.period_from, view.period_to
    if lo is None or hi is None:
        first, last = cur.execute("SELECT min(period_month), max(period_month) FROM cube_rollup").fetchall()[0]
        lo, hi = lo or first, hi or last
    if lo is not None and hi is not None:
        start = max(lo, shift_year(hi, -1).replace(day=1))
        if start == shift_year(hi, -1):
            start = month_after(start)
        months = (hi.year - start.year) * 12 + hi.month - start.month + 1
        pv = view.replace(period_from=shift_year(start, -1), period_to=shift_year(hi, -1))
        loaded = cur.execute("SELECT count(DISTINCT period_month) FROM cube_rollup WHERE period_month BETWEEN ? AND ?",
                             [pv.period_from, pv.period_to]).fetchall()[0][0]
        has_prev = loaded == months
        if has_prev:
            for target, v in ((recent, view.replace(period_from=start, period_to=hi)), (prev, pv)):
                cond, params = where(v)
                for l1, l2, l3, sup, spend in cur.execute(f"""
                        SELECT coalesce(f.cat_l1, 0), coalesce(f.cat_l2, 0), coalesce(f.cat_l3, 0), f.supplier_no,
                               sum(f.spend)::DOUBLE
                        FROM {source(v)} f WHERE {cond}
                        GROUP BY GROUPING SETS ((1), (1, 2), (1, 2, 3), (1, 2, 3, 4))""", params).fetchall():
                    target[(l1, l2, l3, sup)] = spend
    out = []
    for nd in nodes.values():
        p = r = None
        if has_prev and nd["kind"] != "others":
            g = nd["gkey"]
            k = g if len(g) == 4 else g + (None,)
            p, r = prev.get(k, 0.0), recent.get(k, 0.0)
        out.append({"id": nd["id"], "parent": nd["parent"], "kind": nd["kind"], "key": nd["key"], "name": nd["name"],
                    "level": nd["level"], "spend": round(nd["spend"], 2),
                    "share": nd["spend"] / total if total else None, "suppliers": nd["suppliers"],
                    "recent_spend": r, "prev_spend": p, "change": (r / p - 1) if p and p > 0 else None,
                    "classified_share": None if nd["id"].startswith("x")
                    else (nd["full"] / nd["spend"] if nd["spend"] else None)})
    return pd.DataFrame(out, columns=["id", "parent", "kind", "key", "name", "level", "spend", "share", "suppliers",
                                      "recent_spend", "prev_spend", "change", "classified_share"])


def cube_target(df: pd.DataFrame, node_id: str) -> tuple[list[tuple[str, object]], str]:
    """Where a node of spend_tree opens in the spend cube: the drill path (dimension, key) down to
    the node and the dimension to show next. A supplier opens its accounts within the category;
    'others' opens the suppliers of its category."""
    rows = df.set_index("id")
    if node_id not in rows.index:
        raise KeyError(node_id)
    chain = []
    nid = node_id
    while nid:
        chain.insert(0, nid)
        nid = rows.at[nid, "parent"]
    drill: list[tuple[str, object]] = []
    show = "category_l1"
    for nid in chain:
        kind, key, level = rows.at[nid, "kind"], rows.at[nid, "key"], int(rows.at[nid, "level"])
        if kind == "category":
            dim = f"category_l{level}"
            drill.append((dim, int(key)))
            show = DRILL_NEXT[dim]
        elif kind == "excluded":
            drill.append(("category_l1", int(key)))
            show = "account"
        elif kind == "unclassified":
            drill.append(("category_l1", None))
            show = "supplier"
        elif kind == "rest":
            show = f"category_l{level}"          # the parent's spend not below any child
        elif kind == "supplier":
            drill.append(("supplier", key))
            show = "account"
        elif kind == "others":
            show = "supplier"
    return drill, show
