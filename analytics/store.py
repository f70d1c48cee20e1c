"""DuckDB store: where the database lives, the upgrade of its schema, transactions and the audit log.

The file is data/spendkollen.duckdb by default; the environment variable SPENDKOLLEN_DB names
another. The schema is the ordered, frozen list in analytics.migrations: an older file is
upgraded in place, in order, each migration in its own transaction, and schema_version records
what ran. A migration that changes what derived data is computed from marks it stale
(``derived_stale``, in the same transaction); the last migration's transaction then runs the one
rebuild step (``set_rebuild``, wired to analytics.derived.rebuild in analytics/__init__.py), so
a file is either at the latest version with its derived data rebuilt, or still older.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from . import access
from .migrations import MIGRATIONS, REBUILD, SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "spendkollen.duckdb"

DEFAULT_MEMORY_LIMIT = "1GB"


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file to use: ``path``, else $SPENDKOLLEN_DB, else data/spendkollen.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get("SPENDKOLLEN_DB")
    return Path(env) if env else DEFAULT_DB


class StoreInUse(RuntimeError):
    """Another process (the dashboard, another import) has the store file open."""


def _open(target: str, wait: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting up to ``wait`` seconds while another process holds the file."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return duckdb.connect(target)
        except duckdb.IOException as exc:
            if "Conflicting lock" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                m = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
                who = f"{Path(m.group(1)).name} (PID {m.group(2)})" if m else "another process"
                raise StoreInUse(
                    f"refused. The store {target} is in use by {who}: the dashboard or another import has it "
                    f"open{f' and it stayed so for {wait:.0f} s' if wait else ''}. Nothing was done. Run again when "
                    "it is free, or pass --wait SECONDS to wait for it.") from None
            time.sleep(0.25)


def connect(path: str | os.PathLike | None = None, *, upto: int | None = None,
            wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open (creating when missing) the store and bring its schema up to date.

    ``upto`` stops the migrations at that version; tests use it to build an old file.
    ``":memory:"`` gives a private in-memory store. ``wait`` is how many seconds to wait while
    another process has the file open (StoreInUse after that).
    """
    target = str(path) if path == ":memory:" else str(db_path(path))
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = _open(target, wait)
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    migrate(con, upto=upto)
    return con


def memory_limit() -> str:
    """DuckDB's memory limit: $SPENDKOLLEN_MEMORY_LIMIT (such as 2GB), else 1GB. Above it DuckDB
    evicts cached blocks and spills work to the store's .tmp folder instead of growing, so a
    large upload (or many sessions) cannot take the server's memory."""
    value = os.environ.get("SPENDKOLLEN_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise RuntimeError(f"SPENDKOLLEN_MEMORY_LIMIT='{value}' is not a size; write it like 1GB or 512MB.")
    return value


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database, 0 for a new file."""
    try:        # asked directly: information_schema costs ~20 ms, paid on every page run (ui.db)
        return con.execute("SELECT coalesce(max(version), 0) FROM main.schema_version").fetchall()[0][0]
    except (duckdb.CatalogException, duckdb.InvalidInputException):   # a new file (or a Python name found instead)
        return 0


_rebuild: Callable[[duckdb.DuckDBPyConnection], None] | None = None


def set_rebuild(fn: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """The step that rebuilds all derived data after an upgrade (analytics/__init__.py sets it)."""
    global _rebuild
    _rebuild = fn


def migrate(con: duckdb.DuckDBPyConnection, *, upto: int | None = None) -> int:
    """Apply the missing migrations in order, each in one transaction; return the new version.
    Derived data marked stale by a migration is rebuilt inside the last migration's transaction
    (only when the upgrade reaches the latest version: ``upto`` builds old files for tests)."""
    current = schema_version(con)
    last = SCHEMA_VERSION if upto is None else upto
    if current == SCHEMA_VERSION:       # the common case: nothing written (the server opens per run)
        return current
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"The database was written by a newer Spendkollen (schema {current}, this version knows "
            f"{SCHEMA_VERSION}). Upgrade Spendkollen or point SPENDKOLLEN_DB at another file."
        )
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    con.execute("CREATE TABLE IF NOT EXISTS derived_stale (since_version INTEGER NOT NULL)")
    with access.acting(access.SYSTEM):     # an upgrade is the program's, whoever opened the store
        for version in range(current + 1, last + 1):
            with transaction(con):
                for step in MIGRATIONS[version - 1]:
                    if step is REBUILD:
                        con.execute("INSERT INTO derived_stale VALUES (?)", [version])
                    elif callable(step):
                        step(con)
                    else:
                        con.execute(step)
                if version == SCHEMA_VERSION and con.execute("SELECT count(*) FROM derived_stale").fetchall()[0][0]:
                    if _rebuild is None:
                        raise RuntimeError("no rebuild step is set (analytics/__init__.py sets analytics.derived.rebuild)")
                    _rebuild(con)
                    con.execute("DELETE FROM derived_stale")
                con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
    return max(current, last)


# ---------------------------------------------------------------- transactions

_in_transaction: dict[int, int] = {}   # id of a cursor with a transaction open -> how deep the blocks are


@contextlib.contextmanager
def transaction(cur):
    """One transaction around the block: committed when it ends, rolled back (and the error
    raised) when it fails. Inside another ``transaction`` on the same cursor the block joins it,
    so writes that are each atomic combine into one atomic change (the upload that removes the
    demo: both or neither)."""
    key = id(cur)
    if _in_transaction.get(key):
        _in_transaction[key] += 1
        try:
            yield cur
        finally:
            _in_transaction[key] -= 1
        return
    cur.execute("BEGIN TRANSACTION")
    _in_transaction[key] = 1
    try:
        yield cur
    except BaseException:
        _in_transaction.pop(key, None)
        cur.execute("ROLLBACK")
        raise
    _in_transaction.pop(key, None)
    cur.execute("COMMIT")


# ---------------------------------------------------------------- one writer at a time

_WRITE_LOCK = threading.RLock()
WRITE_WAIT_SECONDS = 120.0


class _SerialisedCursor:
    """A DuckDB cursor whose write transactions take the process's write lock: BEGIN waits
    until no other session of this server is writing, COMMIT or ROLLBACK lets the next one in.
    Reads never wait (DuckDB gives each its snapshot). Everything else is the cursor's own."""

    def __init__(self, cur):
        self._cur = cur
        self._held = 0

    def execute(self, query, *args, **kwargs):
        word = query.lstrip()[:8].upper() if isinstance(query, str) else ""
        if word.startswith("BEGIN"):
            if not _WRITE_LOCK.acquire(timeout=WRITE_WAIT_SECONDS):
                from .errors import StoreBusy
                raise StoreBusy("store_busy", f"another change has held the store for {WRITE_WAIT_SECONDS:.0f} s; "
                                  "nothing was saved. Try again in a moment.", seconds=f"{WRITE_WAIT_SECONDS:.0f}")
            self._held += 1
            try:
                return self._cur.execute(query, *args, **kwargs)
            except BaseException:
                self._release()
                raise
        if word.startswith(("COMMIT", "ROLLBACK")):
            try:
                return self._cur.execute(query, *args, **kwargs)
            finally:
                self._release()
        return self._cur.execute(query, *args, **kwargs)

    def _release(self) -> None:
        if self._held:
            self._held -= 1
            _WRITE_LOCK.release()

    def cursor(self) -> _SerialisedCursor:
        return _SerialisedCursor(self._cur.cursor())

    def __getattr__(self, name):
        return getattr(self._cur, name)


class SerialisedConnection(_SerialisedCursor):
    """The server's one connection: every cursor it hands out writes one transaction at a time
    within the process, so sessions saving at the same moment never collide (DuckDB would roll
    one of them back with "Conflict on tuple deletion")."""


def serialised(con: duckdb.DuckDBPyConnection) -> SerialisedConnection:
    return SerialisedConnection(con)


def current_user() -> str:
    """Who is acting, as the audit log and the histories record it: the signed-in person
    ("Name <e-mail>") in the dashboard, else $SPENDKOLLEN_USER or the operating-system user."""
    return access.current().label


def audit(con: duckdb.DuckDBPyConnection, action: str, entity: str, detail: dict[str, Any] | None = None,
          actor: str | None = None) -> None:
    """Append one row to the audit log (never updated or deleted). Runs inside the caller's
    transaction when there is one. The action must be one the acting person's role allows
    (access.ACTIONS): the last guard of every write, which then rolls back."""
    access.require_action(action)
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, entity, detail) VALUES (now()::TIMESTAMP, ?, ?, ?, ?)",
        [actor or current_user(), action, entity, json.dumps(detail or {}, ensure_ascii=False, default=str)],
    )


def audit_entries(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit entries first, as dicts."""
    rows = con.execute(
        "SELECT audit_id, logged_at, actor, action, entity, detail FROM audit_log ORDER BY audit_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [
        {"id": r[0], "at": r[1], "actor": r[2], "action": r[3], "entity": r[4], "detail": json.loads(r[5] or "{}")}
        for r in rows
    ]


def backup(dest: str | os.PathLike, path: str | os.PathLike | None = None, *, wait: float = 0.0) -> dict[str, Any]:
    """Copy the store to ``dest`` while holding it (no one writes meanwhile), checkpointed first
    so the copy is the whole store in one file, including its sole-trader secrets. The copy is
    opened and checked before it takes ``dest``'s name. Returns {file, bytes, schema, lines}."""
    import shutil
    src = db_path(path)
    if not src.is_file():
        raise RuntimeError(f"there is no store at {src}; nothing was copied.")
    dest = Path(dest)
    if dest.resolve() == src.resolve():
        raise RuntimeError("the backup would overwrite the store itself; give another file name.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    con = connect(src, wait=wait)
    try:
        con.execute("CHECKPOINT")
        shutil.copyfile(src, part)
    finally:
        con.close()
    try:
        check = duckdb.connect(str(part), read_only=True)
        try:
            schema = schema_version(check)
            lines = check.execute("SELECT count(*) FROM ledger_lines").fetchall()[0][0]
        finally:
            check.close()
    except Exception:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    return {"file": str(dest), "bytes": dest.stat().st_size, "schema": schema, "lines": lines}
