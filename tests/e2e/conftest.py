"""pytest-playwright's fixtures (page, context, browser) set up for these tests: Debian's
Chromium, headless, nothing fetched in the background; every context 1400 x 1000 in Swedish,
with downloads allowed. An expectation without its own timeout waits 30 s, not Playwright's 5 s:
on a busy 2-core machine a Streamlit rerun can take longer than that."""

import os
import shutil

import pytest
from playwright.sync_api import expect

expect.set_options(timeout=30_000)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM and os.environ.get("SPENDKOLLEN_REQUIRE_BROWSER"):
    pytest.fail("chromium is required in CI (install Debian's chromium)", pytrace=False)


def pytest_collection_modifyitems(config, items):
    """Without Chromium (outside CI) the browser tests are skipped, saying why."""
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="no Chromium on PATH (apt-get install chromium)")
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "locale": "sv-SE",
            "accept_downloads": True}
