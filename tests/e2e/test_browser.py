"""A real Chromium uploads a CSV through the browser and sees the summary (Playwright)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM and os.environ.get("SPENDKOLLEN_REQUIRE_BROWSER"):
    pytest.fail("chromium is required in CI (install Debian's chromium)", pytrace=False)
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no Chromium on PATH (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = dict(os.environ, SPENDKOLLEN_DB=str(tmp_path / "e2e.duckdb"), SPENDKOLLEN_USER="e2e")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_upload_csv_in_browser_and_see_summary(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    csv = tmp_path / "reskontra-2026-01.csv"
    csv.write_bytes("Leverantör;Organisationsnummer;Belopp;Bokföringsdatum\n"
                    "Bygg i Norr AB;556036-0793;12 500,00;2026-01-12\n"
                    "Kök & Co AB;SAKNAS;-500,00;2026-01-20\n".encode("cp1252"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/upload", timeout=90_000)
        expect(page.get_by_role("heading", name="Ladda upp leverantörsreskontra")).to_be_visible(timeout=90_000)
        page.locator("input[type=file]").first.set_input_files(str(csv))
        expect(page.get_by_text("Validering")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("2 rader, 12 000 kr", exact=False)).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Läs in").click()
        expect(page.get_by_text("Inläst: 1 fil(er), 2 rader")).to_be_visible(timeout=60_000)
        page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
        page.goto(server + "/oversikt")
        expect(page.get_by_text("Inköpsvolym")).to_be_visible(timeout=60_000)
        browser.close()
