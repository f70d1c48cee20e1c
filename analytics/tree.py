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

from .classify import RuleError, refresh
from .store import audit, current_user

MAX_LEVEL = 3
TREE_FILE_COLUMNS = ("L1", "L2", "L3", "CPV")


# ------------------------------------------------------------------ lookups

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


def nodes(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every node with category_id, parent_id, level, name, code (CPV, may be None), path
    ('L1 / L2 / L3'), sorted by path."""
    from .classify import category_names
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
    if len(name) > 120:
        raise RuleError("tree_name_long", "a category name has at most 120 characters")
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
    rows = cur.execute("""SELECT version_id, action, actor, created_at FROM tree_versions WHERE NOT undone
                          ORDER BY version_id DESC LIMIT 1""").fetchall()
    if not rows:
        return None
    vid, action, who, when = rows[0]
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute("DELETE FROM class_rules")
        cur.execute("DELETE FROM categories")
        cur.execute("""INSERT INTO categories (category_id, parent_id, level, name, code, created_at)
                       SELECT category_id, parent_id, level, name, code, created_at FROM tree_version_categories
                       WHERE version_id = ?""", [vid])
        cur.execute("INSERT INTO class_rules SELECT * EXCLUDE (version_id) FROM tree_version_rules WHERE version_id = ?", [vid])
        cur.execute("UPDATE tree_versions SET undone = true WHERE version_id = ?", [vid])
        audit(cur, "tree_undo", "tree_versions", {"version_id": vid, "undid": action, "by": who}, actor)
        refresh(cur)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return {"version_id": vid, "action": action, "actor": who, "created_at": when}


def _edit(cur, action: str, detail: dict, actor: str | None, work, reclassify: bool = True):
    """Run ``work(cur)`` as one audited, versioned, all-or-nothing edit."""
    cur.execute("BEGIN TRANSACTION")
    try:
        save_version(cur, action, detail, actor)
        out = work(cur)
        audit(cur, action, "categories", detail, actor)
        if reclassify:
            refresh(cur)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return out


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
    from .classify import category_names
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
    from .ingest.readers import read_file
    raw = read_file(name, data)
    lower = {str(h).strip().lower(): i for i, h in enumerate(raw.headers)}
    if "l1" not in lower:
        raise RuleError("tree_file_columns", "the file needs the columns L1, L2, L3 (and optionally CPV)", file=name)
    cols = [raw.table.column(i).to_pylist() for i in range(raw.table.num_columns)]
    out = []
    for k, n in enumerate(raw.source_rows.tolist()):
        cells = {key: (str(cols[i][k]).strip() if cols[i][k] is not None else "") for key, i in lower.items()}
        parts = [cells.get(c, "") for c in ("l1", "l2", "l3")]
        if not any(parts):
            continue
        for level, part in enumerate(parts):
            if not part and any(parts[level + 1:]):
                raise RuleError("tree_file_gap", f"L{level + 1} is empty but a deeper level is filled", file=name, row=n,
                                column=f"L{level + 1}")
            if len(part) > 120:
                raise RuleError("tree_name_long", "a category name has at most 120 characters", file=name, row=n,
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
        before = set(r[0] for r in c.execute("SELECT category_id FROM categories").fetchall())
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
        by_code[code] = label.strip()[:120]
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
