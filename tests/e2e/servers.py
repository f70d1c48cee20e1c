"""The browser tests' server helpers: `python -m ui.serve` on a store (started, waited for
on its health endpoint, stopped), a free port, the crafted store, and waits on the app's state."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crafted_store(path: Path) -> Path:
    """A store at ``path`` holding the small crafted ledger of the cube tests (no demo data)."""
    from analytics.classify import set_preset
    from analytics.ingest import load_files
    from analytics.store import connect
    from tests.crafted import cube_ledger as ledger
    con = connect(path)
    set_preset(con.cursor(), "public", False)      # Delta kommun (a public body) counted, as in test_cube
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    con.close()
    return path


def upload_in_browser(page, server: str, path: Path, height: int):
    """``page`` on the upload page with ``path`` chosen in the file uploader."""
    from playwright.sync_api import expect
    page.set_viewport_size({"width": 1400, "height": height})
    page.goto(server + "/upload", timeout=90_000)
    expect(page.get_by_role("heading", name="Ladda upp leverantörsreskontra")).to_be_visible(timeout=90_000)
    page.locator("input[type=file]").first.set_input_files(str(path))
    return page


def wait_idle(page) -> None:
    """Wait until the app's script run has finished: the app has had a run and is not running
    (its root says so in data-test-script-state, 'initial' before the first run after a page
    load) and Streamlit's running indicator is gone."""
    from playwright.sync_api import expect
    expect(page.locator("[data-testid=stApp][data-test-script-state=notRunning]")).to_be_attached(timeout=90_000)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=90_000)


def serve(db: Path, args: tuple = (), port: int | None = None, host: str = "127.0.0.1"):
    """Start `python -m ui.serve` on ``db`` (with more streamlit ``args``), yield its URL on
    ``host``, stop it afterwards."""
    port = port or free_port()
    env = dict(os.environ, SPENDKOLLEN_DB=str(db), SPENDKOLLEN_USER="e2e")
    proc = subprocess.Popen([sys.executable, "-m", "ui.serve", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true", *args],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300                  # a new store gets the demo first
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield url.replace("127.0.0.1", host)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:   # a browser still connected can hold up the graceful stop
        proc.kill()
        proc.wait(timeout=20)
