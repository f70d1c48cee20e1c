"""The store for the dashboard: open while a script run needs it, closed between runs.

DuckDB lets one process at a time open a store file for writing. A server that kept it open
would lock out the quarterly ``python -m analytics import`` (and every other command) for as
long as it runs. So the server holds the file only while some session's script run (or a
download being built) uses it:

- ``cursor()`` gives the running script a cursor; the first one of a run takes a *lease* on the
  store, opening the file when no other run has it open (waiting, with a spinner, while a
  command-line import holds it).
- app.py calls ``end_run()`` when its run ends: the run's cursors are closed and its lease
  returned; when no lease is left the file is closed (DuckDB checkpoints it), and a command
  waiting for it gets in.
- ``held_cursor()`` is a cursor that outlives the run (an upload planned in one run and
  committed in a later one); ``release()`` returns it. One left longer than HELD_SECONDS (a
  closed browser tab) is released by the next run that ends.
- ``deferred(fn)`` wraps a download built after the run (Streamlit calls it when the button is
  clicked) so it takes its own lease.

Within the process the connection is store.serialised: sessions write one transaction at a time.
Sessions see a command-line import on their next run: the caches are keyed by the data version.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import streamlit as st

from analytics.demo import ensure_demo_on_first_start
from analytics.store import StoreInUse, connect, db_path, serialised

HELD_SECONDS = 900.0
WAIT_SECONDS = 120.0


class _Store:
    """One store file's shared connection and how many runs (and held cursors) use it."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.con = None
        self.leases = 0
        self.seen = False        # the demo check done once per process

    def acquire(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            with self.lock:
                if self.con is None:
                    try:
                        con = serialised(connect(self.path))
                    except StoreInUse:
                        if time.monotonic() >= deadline:
                            raise
                        con = None
                    if con is not None:
                        if not self.seen:
                            ensure_demo_on_first_start(con.cursor())
                            self.seen = True
                        self.con = con
                if self.con is not None:
                    self.leases += 1
                    return
            time.sleep(0.2)

    def release(self) -> None:
        with self.lock:
            self.leases -= 1
            if self.leases == 0:
                self.con.close()      # the file is free for the command line until the next run
                self.con = None

    def cursor(self):
        return self.con.cursor()


_stores: dict[str, _Store] = {}
_stores_lock = threading.Lock()
_run = threading.local()                    # this thread's run: path -> the cursors it was given
_held: dict[int, tuple[_Store, object, float]] = {}
_held_lock = threading.Lock()


def _store() -> _Store:
    path = str(db_path())
    with _stores_lock:
        return _stores.setdefault(path, _Store(path))


def _lease(store: _Store) -> None:
    """Take a lease for this run; while another process holds the file, wait with a spinner
    (within a script run) and, after WAIT_SECONDS, say so and stop the run."""
    try:
        store.acquire(0.0)
        return
    except StoreInUse:
        pass
    from .i18n import t
    try:
        with st.spinner(t("db.waiting")):
            store.acquire(WAIT_SECONDS)
    except StoreInUse:
        st.error(t("db.busy", seconds=f"{WAIT_SECONDS:.0f}"), icon=":material/hourglass_top:")
        st.stop()


def cursor():
    """A cursor on the store ($SPENDKOLLEN_DB or data/) for this script run."""
    store = _store()
    runs = _run.__dict__.setdefault("cursors", {})
    if store.path not in runs:
        _lease(store)
        runs[store.path] = []
    cur = store.cursor()
    runs[store.path].append(cur)
    return cur


def end_run() -> None:
    """The run is over: close its cursors and return its lease (app.py, in a finally); release
    held cursors forgotten for longer than HELD_SECONDS."""
    runs = _run.__dict__.pop("cursors", {})
    for path, cursors in runs.items():
        for cur in cursors:
            _close(cur)
        _stores[path].release()
    now = time.monotonic()
    with _held_lock:
        stale = [k for k, (_, _, since) in _held.items() if now - since > HELD_SECONDS]
    for key in stale:
        _release_key(key)


def _close(cur) -> None:
    with contextlib.suppress(Exception):   # already closed with its connection
        cur.close()


def held_cursor():
    """A cursor that stays open after this run (its temporary tables with it) until release()."""
    store = _store()
    _lease(store)
    cur = store.cursor()
    with _held_lock:
        _held[id(cur)] = (store, cur, time.monotonic())
    return cur


def is_held(cur) -> bool:
    with _held_lock:
        return id(cur) in _held


def _release_key(key: int) -> None:
    with _held_lock:
        entry = _held.pop(key, None)
    if entry:
        store, cur, _ = entry
        _close(cur)
        store.release()


def release(cur) -> None:
    """Return a held cursor (an upload committed or dropped)."""
    _release_key(id(cur))


def deferred(fn: Callable) -> Callable[[], bytes]:
    """A download built when its button is clicked, after the run: ``fn(cursor)`` with a lease
    of its own."""
    def build():
        store = _store()
        store.acquire(WAIT_SECONDS)
        cur = store.cursor()
        try:
            return fn(cur)
        finally:
            _close(cur)
            store.release()
    return build


def close_all() -> None:
    """Close every store this process has open (tests)."""
    for store in list(_stores.values()):
        with store.lock:
            if store.con is not None:
                store.con.close()
                store.con = None
            store.leases = 0


def release_abandoned_upload() -> None:
    """Drop this session's upload that was planned but not confirmed (its staged lines and its
    held cursor): app.py calls it when the session is on another page than the upload."""
    from analytics.ingest.load import discard_plan

    from .state import PENDING_UPLOAD
    pending = st.session_state.pop(PENDING_UPLOAD, None)
    if not pending:
        return
    if is_held(pending["cursor"]):
        try:
            discard_plan(pending["cursor"], pending["plan"])
        finally:
            release(pending["cursor"])
