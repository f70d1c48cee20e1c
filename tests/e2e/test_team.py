"""Many people, one store, in a real Chromium: sign-in through a real OpenID Connect flow
(oidc-provider-mock's provider on a local port, Streamlit's st.login and its callback), the roles
seen in the browser and recorded in the store, a command-line import while the dashboard runs,
and ten sessions saving at the same moment. Every wait is on the app's own state."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.servers import crafted_store, free_port, serve, wait_idle

ROOT = Path(__file__).resolve().parents[2]

PEOPLE = {"anna": {"email": "anna.berg@kommun.se", "name": "Anna Berg"},
          "olle": {"email": "olle.lind@kommun.se", "name": "Olle Lind"}}


@pytest.fixture(scope="module")
def provider():
    """A local OpenID provider that knows Anna and Olle (their e-mail and name claims)."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"       # the test provider speaks plain http on localhost
    from oidc_provider_mock import User, run_server_in_thread
    users = [User(sub=sub, claims=claims) for sub, claims in PEOPLE.items()]
    with run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def team_server(provider, tmp_path_factory):
    """The dashboard in team mode: a secrets file with [auth] pointing at the provider."""
    folder = tmp_path_factory.mktemp("team")
    db = crafted_store(folder / "team.duckdb")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "spendkollen"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    for url in serve(db, ("--secrets.files", str(secrets_file)), port=port, host="localhost"):
        yield url, db


def _sign_in(browser, browser_context_args, url: str, who: str, shots: Path | None = None):
    """A new browser session signed in as ``who`` through the provider's form."""
    from playwright.sync_api import expect
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.goto(url, timeout=90_000)
    expect(page.get_by_role("heading", name="Spendkollen")).to_be_visible(timeout=90_000)
    assert page.get_by_test_id("stSidebarNav").count() == 0          # nothing shown before signing in
    if shots:
        page.screenshot(path=str(shots / f"sign-in-{who}.png"))
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("button", name=who, exact=True).click(timeout=60_000)   # the provider's sign-in form
    name = PEOPLE[who]["name"]
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Inloggad: {name}", exact=False)).to_be_visible(timeout=90_000)
    return context, page


def test_sign_in_through_the_provider_roles_and_who_did_it(team_server, browser, browser_context_args, tmp_path):
    from playwright.sync_api import expect

    from analytics.store import connect
    url, db = team_server
    # the store's first person is its administrator
    anna_ctx, anna = _sign_in(browser, browser_context_args, url, "anna", tmp_path)
    sidebar = anna.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Inloggad: Anna Berg · Administratör")).to_be_visible()
    expect(anna.get_by_test_id("stSidebarNav").get_by_role("link", name="Användare och roller")).to_be_visible()
    # the next one is a reader: no upload or admin page in the menu, the writes disabled
    olle_ctx, olle = _sign_in(browser, browser_context_args, url, "olle")
    expect(olle.get_by_test_id("stSidebar").get_by_text("Inloggad: Olle Lind · Läsare")).to_be_visible()
    nav = olle.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Spendkub")).to_be_visible()
    assert nav.get_by_role("link", name="Ladda upp").count() == 0
    assert nav.get_by_role("link", name="Användare och roller").count() == 0
    nav.get_by_role("link", name="Bevakningslista").click()
    expect(olle.get_by_text("Din roll (Läsare) får inte ändra bevakningslistan", exact=False)).to_be_visible(timeout=60_000)
    wait_idle(olle)
    form = olle.get_by_test_id("stExpander").filter(has_text="Ny avvikelse").locator("details")
    expect(form).to_be_visible()
    if form.get_attribute("open") is None:  # open while the list is empty; open it otherwise
        form.locator("summary").click()
        expect(form).to_have_attribute("open", "")
    expect(olle.get_by_role("button", name="Lägg till avvikelse")).to_be_disabled()
    olle.screenshot(path=str(tmp_path / "reader.png"), full_page=True)
    # the administrator gives Eva the finance role before her first sign-in
    anna.get_by_test_id("stSidebarNav").get_by_role("link", name="Användare och roller").click()
    expect(anna.get_by_role("heading", name="Användare och roller")).to_be_visible(timeout=60_000)
    form = anna.get_by_test_id("stForm").filter(has_text="Lägg till en person")
    form.get_by_label("E-post").fill("Eva.Ek@kommun.se")
    form.get_by_label("Namn").fill("Eva Ek")
    form.get_by_label("Roll").click()
    anna.get_by_role("option", name="Ekonomi").click()
    form.get_by_role("button", name="Lägg till").click()
    expect(anna.get_by_text("eva.ek@kommun.se är tillagd som Ekonomi.")).to_be_visible(timeout=60_000)
    anna.screenshot(path=str(tmp_path / "admin.png"), full_page=True)
    wait_idle(anna)
    wait_idle(olle)
    # signing out ends the sign-in here and at the provider (its end-session page), then back
    olle.get_by_test_id("stSidebar").get_by_role("button", name="Logga ut").click()
    olle.get_by_role("button", name="End session").click(timeout=60_000)
    expect(olle.get_by_role("button", name="Logga in")).to_be_visible(timeout=60_000)
    anna_ctx.close()
    olle_ctx.close()
    # what the store says (the server has the file open only while a page is built)
    con = connect(db, wait=60)
    try:
        people = con.execute("SELECT email, name, role, added_by FROM users ORDER BY email").fetchall()
        log = con.execute("SELECT actor, action FROM audit_log WHERE action LIKE 'user_%' ORDER BY audit_id").fetchall()
    finally:
        con.close()
    assert people == [("anna.berg@kommun.se", "Anna Berg", "admin", "sign-in"),
                      ("eva.ek@kommun.se", "Eva Ek", "finance", "Anna Berg <anna.berg@kommun.se>"),
                      ("olle.lind@kommun.se", "Olle Lind", "reader", "sign-in")]
    assert log == [("Anna Berg <anna.berg@kommun.se>", "user_first_sign_in"),
                   ("Olle Lind <olle.lind@kommun.se>", "user_first_sign_in"),
                   ("Anna Berg <anna.berg@kommun.se>", "user_add")]


def test_a_command_line_import_while_the_dashboard_runs(page, tmp_path_factory):
    """The server does not keep the store: `python -m analytics import` loads while a page is
    open, and the open session shows the new month on its next run."""
    from playwright.sync_api import expect

    from tests.ledgers import ledger_bytes
    folder = tmp_path_factory.mktemp("cli")
    db = crafted_store(folder / "cli.duckdb")
    for url in serve(db):
        page.goto(url + "/oversikt", timeout=90_000)
        expect(page.get_by_role("heading", name="Översikt")).to_be_visible(timeout=90_000)
        wait_idle(page)
        period = page.get_by_test_id("stSidebar").get_by_role("group", name="Period (kvartal)")
        expect(period).to_contain_text("2024-04", timeout=90_000)
        assert "2025-03" not in period.inner_text()
        csv = folder / "reskontra-2025-03.csv"
        csv.write_bytes(ledger_bytes(3_000, month="2025-03"))
        done = subprocess.run([sys.executable, "-m", "analytics", "import", str(csv), "--db", str(db)], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        # the same session, its next run
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Spendkub").click()
        expect(page.get_by_role("heading", name="Spendkub")).to_be_visible(timeout=90_000)
        expect(period).to_contain_text("2025-03", timeout=90_000)
        page.goto("about:blank")            # leave the server before it stops


def _initiative_files(folder: Path, n: int) -> list[Path]:
    """n initiative workbooks as the prioritisation page exports them, one initiative each."""
    from analytics import prioritise as pr
    from analytics.store import connect
    files = []
    for i in range(n):
        con = connect(folder / f"scratch{i}.duckdb")
        cur = con.cursor()
        pr.save(cur, [pr.Initiative(f"Samordnad upphandling {i}", [], 3, 4, 4, saving_sek=10_000.0 * (i + 1))])
        path = folder / f"initiativ{i}.xlsx"
        pr.write_file(cur, path)
        con.close()
        files.append(path)
    return files


def test_ten_sessions_save_at_the_same_moment(browser, browser_context_args, tmp_path_factory):
    """Ten browser sessions (four adding a rule, three a deviation, three importing an
    initiative) press save within the same instant while two readers keep opening pages: every
    change is in the store afterwards, every writer is told it was saved, no reader sees an error."""
    from playwright.sync_api import expect

    from analytics.store import connect
    folder = tmp_path_factory.mktemp("ten")
    db = crafted_store(folder / "ten.duckdb")
    workbooks = _initiative_files(folder, 3)
    for url in serve(db):
        contexts, writers = [], []

        def new_page(path: str, heading: str):
            context = browser.new_context(**browser_context_args)
            contexts.append(context)
            page = context.new_page()
            page.goto(f"{url}/{path}", timeout=90_000)
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=90_000)
            wait_idle(page)
            return page

        for i in range(4):
            page = new_page("klassificering", "Klassificering")
            page.get_by_role("tab", name="Regler").click()        # (only the open tab runs: the click reruns)
            form = page.get_by_test_id("stForm").filter(has_text="Lägg till regel")
            expect(form).to_be_visible(timeout=90_000)
            wait_idle(page)
            form.get_by_role("textbox", name="Nyckelord").fill(f"samtidigt{i}")
            writers.append((page, form.get_by_role("button", name="Lägg till regel"),
                            "Regeln är sparad och databasen omklassificerad."))
        for i in range(3):
            page = new_page("bevakningslista", "Bevakningslista: avvikelser och eskalering")
            form = page.get_by_test_id("stForm").filter(has_text="Lägg till avvikelse")
            form.get_by_role("textbox", name="Beskrivning").fill(f"Samtidig avvikelse {i}")
            writers.append((page, form.get_by_role("button", name="Lägg till avvikelse"), "Avvikelsen är registrerad."))
        for i in range(3):
            page = new_page("prioritering", "Prioritering: potential och genomförbarhet")
            page.get_by_role("tab", name="Initiativ").click()
            page.locator("input[type=file]").first.set_input_files(str(workbooks[i]))
            button = page.get_by_role("button", name="Importera", exact=True)
            expect(button).to_be_visible(timeout=90_000)
            wait_idle(page)
            writers.append((page, button, "Sparat: 1 nya, 0 ändrade, 0 borttagna."))
        readers = [new_page("spendkub", "Spendkub"), new_page("oversikt", "Översikt")]

        for _, button, _ in writers:           # every save pressed within the same instant
            button.click(no_wait_after=True)
        for n in range(3):                      # the readers keep working meanwhile
            for reader, path in zip(readers, ("oversikt", "spendkub") if n % 2 == 0 else ("spendkub", "oversikt")):
                reader.get_by_test_id("stSidebarNav").get_by_role("link", name={"oversikt": "Översikt",
                                                                                "spendkub": "Spendkub"}[path]).click()
        for page, _, done in writers:
            expect(page.get_by_text(done)).to_be_visible(timeout=180_000)
        for page in [w[0] for w in writers] + readers:
            wait_idle(page)
            assert page.get_by_test_id("stException").count() == 0
            assert page.get_by_test_id("stAlertContentError").count() == 0
        for context in contexts:
            context.close()
        con = connect(db, wait=60)
        try:
            keywords = {r[0] for r in con.execute("SELECT keyword FROM class_rules WHERE keyword LIKE 'samtidigt%'").fetchall()}
            deviations = {r[0] for r in con.execute(
                "SELECT description FROM deviations WHERE description LIKE 'Samtidig avvikelse%'").fetchall()}
            initiatives = {r[0] for r in con.execute(
                "SELECT name FROM initiatives WHERE name LIKE 'Samordnad upphandling%'").fetchall()}
        finally:
            con.close()
        assert keywords == {f"samtidigt{i}" for i in range(4)}
        assert deviations == {f"Samtidig avvikelse {i}" for i in range(3)}
        assert initiatives == {f"Samordnad upphandling {i}" for i in range(3)}
