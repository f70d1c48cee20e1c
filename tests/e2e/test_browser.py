"""A real Chromium (Debian's, through pytest-playwright's page and browser fixtures, see
conftest.py) against one server per module: uploads, shared links, downloads, deep links, the
UI language whatever the browser's. Every wait is on the app's own state (a heading, a text,
Streamlit's running indicator), never a fixed sleep."""

from pathlib import Path

import pytest

from tests.e2e.servers import crafted_store, serve, upload_in_browser, wait_idle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module on a new store (it gets the demo before it starts); the tests
    that upload each use their own file, so they do not disturb each other."""
    yield from serve(tmp_path_factory.mktemp("e2e") / "e2e.duckdb")


@pytest.fixture(scope="module")
def cube_server(tmp_path_factory):
    """One server for the module on a store holding the small crafted ledger of the cube tests
    (no demo data); its tests only read."""
    yield from serve(crafted_store(tmp_path_factory.mktemp("cube") / "cube.duckdb"))


def test_upload_csv_in_browser_and_see_summary(server, page, tmp_path):
    from playwright.sync_api import expect

    csv = tmp_path / "reskontra-2026-01.csv"
    csv.write_bytes("Leverantör;Organisationsnummer;Belopp;Bokföringsdatum\n"
                    "Bygg i Norr AB;556036-0793;12 500,00;2026-01-12\n"
                    "Kök & Co AB;SAKNAS;-500,00;2026-01-20\n".encode("cp1252"))
    page = upload_in_browser(page, server, csv, height=1000)
    expect(page.get_by_text("Validering")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("2 rader, 12 000 kr", exact=False)).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Läs in").click()
    expect(page.get_by_text("Inläst: 1 fil, 2 rader")).to_be_visible(timeout=60_000)
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    page.goto(server + "/oversikt")
    expect(page.get_by_text("Inköpsvolym", exact=True)).to_be_visible(timeout=60_000)
    # the headline says what it counts: the influenceable spend, with the total beside it
    expect(page.get_by_text("Inköpsvolym = påverkbar spend", exact=False)).to_be_visible(timeout=60_000)


def test_cube_page_from_a_shared_link_and_download_the_view(cube_server, page, tmp_path):
    import openpyxl
    from playwright.sync_api import expect

    # a bookmarked view: suppliers as rows, top 2, only the unit Skola
    page.goto(cube_server + "/?rows=supplier&top=2&unit=Skola", timeout=90_000)
    expect(page.get_by_role("heading", name="Spendkub – vart pengarna går")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("Täckning:", exact=False)).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Ladda ned Excel (.xlsx)").click()
    path = tmp_path / "view.xlsx"
    info.value.save_as(path)
    page.screenshot(path=str(tmp_path / "cube.png"), full_page=True)
    ws = openpyxl.load_workbook(path).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = rows.index(["Leverantör", "Belopp (kr)", "Rader", "Leverantörer", "Andel"])
    body = rows[header + 1:]
    assert body[0][:3] == ["Alfa AB", 800, 2] and body[1][:2] == ["Beta AB", 300]
    assert body[2][0] == "Övriga" and body[2][1] == 150
    assert body[-1][0] == "Totalt" and body[-1][1] == 1250
    assert any("Enheter: Skola" in str(r[0]) for r in rows[:header])


def test_treemap_click_opens_the_cube_drilled_to_the_node(cube_server, page, tmp_path):
    """Clicking a category box in the treemap (Plotly in the browser) lands on the spend cube
    drilled down to that category."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(cube_server, timeout=90_000)
    expect(page.get_by_role("heading", name="Spendkub – vart pengarna går")).to_be_visible(timeout=90_000)
    page.get_by_role("link", name="Kategoriträd").click()
    expect(page.get_by_role("heading", name="Kategoriträd")).to_be_visible(timeout=90_000)
    box = page.locator("g.slice").filter(has_text="Verksamhet & stöd").first
    expect(box).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.screenshot(path=str(tmp_path / "treemap.png"), full_page=True)
    # the category's own label (its children cover the rest of its box)
    box.locator("text").filter(has_text="Verksamhet & stöd").first.click(force=True)   # the label lies on the box's own surface
    expect(page.get_by_role("heading", name="Spendkub – vart pengarna går")).to_be_visible(timeout=60_000)
    # the breadcrumb names the clicked category
    expect(page.get_by_role("button", name="Kategori nivå 1: Verksamhet & stöd")).to_be_visible(timeout=60_000)


def test_download_the_steering_group_pack(cube_server, page, tmp_path):
    """The report page in a real browser: download the PowerPoint and open it with python-pptx."""
    from playwright.sync_api import expect
    from pptx import Presentation

    page.goto(cube_server, timeout=90_000)
    expect(page.get_by_role("heading", name="Spendkub – vart pengarna går")).to_be_visible(timeout=90_000)
    page.get_by_role("link", name="Styrgruppsrapport").click()
    expect(page.get_by_role("heading", name="Styrgruppsrapport")).to_be_visible(timeout=90_000)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Ladda ned PowerPoint (.pptx)").click()
    path = tmp_path / "pack.pptx"
    info.value.save_as(path)
    prs = Presentation(str(path))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[1].replace("\xa0", " ").startswith("Påverkbar spend 1 880 kr under ")   # the slide's message
    assert any(sh.has_chart for sh in list(prs.slides)[1].shapes)


def test_unrecognised_file_opens_the_mapping_and_markdown_stays_text(server, page, tmp_path):
    """A file whose first line is a Markdown image and whose name is Markdown: the browser fetches
    nothing, shows both as text, offers the column mapping, and the hand-chosen columns load."""
    import http.server
    import re
    import threading

    from playwright.sync_api import expect

    hits = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    trap = http.server.HTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    port = trap.server_address[1]
    name = "![namn](bild.png) **fet**.csv"
    csv = tmp_path / name
    csv.write_bytes((f"![bild](http://127.0.0.1:{port}/first.png)\n"
                     "Bygg i Norr AB;12 500,00;2026-02-12\n"
                     "Kök & Co AB;-500,00;2026-02-20\n").encode("cp1252"))   # a month no other test loads
    try:
        page = upload_in_browser(page, server, csv, height=1200)
        expect(page.get_by_text("Ingen rubrikrad känns igen", exact=False)).to_be_visible(timeout=60_000)
        error = page.get_by_text("Första raden lyder", exact=False)
        expect(error).to_be_visible(timeout=60_000)
        expect(error).to_contain_text(re.compile(rf"!\[bild\]\(http\W*://127\.0\.0\.1:{port}/first\.png\)"))
        assert error.locator("a").count() == 0              # not even a link to click
        expect(page.get_by_text(name, exact=False).first).to_be_visible()
        assert page.locator("img[src*='first.png'], img[src*='bild.png']").count() == 0
        page.screenshot(path=str(tmp_path / "unrecognised.png"), full_page=True)
        for label, column in (("Belopp", "Kolumn 2"), ("Leverantörsnamn", "Kolumn 1"), ("Datum / period", "Kolumn 3")):
            box = page.get_by_role("combobox", name=label, exact=True)
            box.click()
            page.get_by_role("option", name=column, exact=True).click()
            expect(box).to_have_value(column, timeout=60_000)
        expect(page.get_by_text("2 rader, 12 000 kr", exact=False)).to_be_visible(timeout=60_000)
        page.screenshot(path=str(tmp_path / "mapping.png"), full_page=True)
        page.get_by_role("button", name="Läs in").click()
        expect(page.get_by_text("Inläst: 1 fil, 2 rader")).to_be_visible(timeout=60_000)
    finally:
        trap.shutdown()
    assert hits == []


PAGE_TITLES = [
    ("spendkub", "Spendkub – vart pengarna går"), ("upload", "Ladda upp leverantörsreskontra"),
    ("klassificering", "Klassificering"), ("kategoritrad", "Kategoriträd"), ("oversikt", "Översikt"),
    ("prioritering", "Prioritering: potential och genomförbarhet"), ("besparingar", "Besparingsuppföljning"),
    ("bevakningslista", "Bevakningslista: avvikelser och eskalering"), ("rapport", "Styrgruppsrapport"),
    ("logg", "Ändringslogg"), ("avtal", "Avtal och avtalstrohet"),
    ("kategoriplaner", "Kategoriplaner och beslut"),
]


def test_every_page_opens_from_its_own_url_on_a_fresh_server(cube_server, browser, browser_context_args):
    """The first session on a just-started server opens a deep link: the page, inside the whole
    app (the Swedish menu in its sections, the language switch), and no "Page not found"."""
    from playwright.sync_api import expect

    for path, title in PAGE_TITLES:          # the first of these is the server's first session
        context = browser.new_context(**browser_context_args)
        page = context.new_page()
        page.goto(f"{cube_server}/{path}", timeout=90_000)
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=90_000)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text("Analys", exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name="Spendkub", exact=True)).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_text("Svenska", exact=True)).to_be_visible()
        assert page.get_by_text("Page not found").count() == 0
        assert nav.get_by_text("category tree").count() == 0      # not Streamlit's file-name menu
        context.close()


def _table_texts(frames: list[bytes]) -> list[list[str]]:
    """The display texts of every table the server sent the browser (the pandas Styler's display
    values inside Streamlit's ForwardMsg), as the grid draws them on its canvas."""
    import pyarrow as pa
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    tables = []
    for raw in frames:
        if not isinstance(raw, bytes):
            continue
        try:
            msg = ForwardMsg.FromString(raw)
        except Exception:  # noqa: BLE001, S112  (not every frame is a ForwardMsg)
            continue
        if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
            continue
        el = msg.delta.new_element
        if el.WhichOneof("type") != "dataframe" or not el.dataframe.arrow_data.styler.display_values:
            continue
        shown = pa.ipc.open_stream(el.dataframe.arrow_data.styler.display_values).read_all()
        tables.append([str(v) for col in shown.columns for v in col.to_pylist() if v is not None])
    return tables


def test_a_table_shows_swedish_numbers_in_an_english_browser(cube_server, browser, browser_context_args, tmp_path):
    """Chromium with an English locale (en-US, as many municipal laptops have): the cube's table
    is drawn with 1 880 and 87,8 % in Swedish mode, never 1,880 or 87.77%. The grid draws on a
    canvas, so the test reads the display texts the browser receives for it."""
    from playwright.sync_api import expect

    frames: list[bytes] = []
    context = browser.new_context(**{**browser_context_args, "locale": "en-US"})
    page = context.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    page.goto(cube_server, timeout=90_000)
    expect(page.get_by_role("heading", name="Spendkub – vart pengarna går")).to_be_visible(timeout=90_000)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert page.evaluate("navigator.language") == "en-US"
    page.screenshot(path=str(tmp_path / "english-browser.png"))
    context.close()
    tables = _table_texts(frames)
    pivot = next(t for t in tables if "Totalt" in t)
    assert "1\xa0880" in pivot or "1 880" in pivot                # the total in kronor
    assert "87,8 %" in pivot and "100,0 %" in pivot                # Verksamhet & stöd's share
    assert not any(v in ("1,880", "87.8%", "0.8776595744680851") for t in tables for v in t)


def test_the_file_uploader_speaks_swedish(cube_server, browser, browser_context_args):
    """Streamlit draws its uploader's own texts in English ("Upload", "500MB per file • CSV");
    in Swedish mode the page shows the catalog's texts in their place."""
    from playwright.sync_api import expect

    page = browser.new_context(**{**browser_context_args, "locale": "en-US"}).new_page()
    page.goto(cube_server + "/upload", timeout=90_000)
    expect(page.get_by_role("heading", name="Ladda upp leverantörsreskontra")).to_be_visible(timeout=90_000)
    expect(page.get_by_test_id("stFileUploaderDropzone").first).to_be_visible(timeout=60_000)
    wait_idle(page)
    shown = page.evaluate("""() => {
        const zone = document.querySelector('[data-testid=stFileUploaderDropzone]');
        const after = el => getComputedStyle(el, '::after').content;
        const size = el => getComputedStyle(el).fontSize;
        const p = zone.querySelector('button [data-testid=stMarkdownContainer] p');
        const span = zone.querySelector('[data-testid=stFileUploaderDropzoneInstructions] span');
        return {button: after(p), buttonSize: size(p), limit: after(span), limitSize: size(span)};
    }""")
    assert shown["button"] == '"Välj filer"' and shown["buttonSize"] == "0px"
    assert shown["limit"].startswith('"Högst 500 MB per fil • CSV, TXT') and shown["limitSize"] == "0px"


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory):
    """A server on the contract tests' crafted ledger, with no register yet: (its URL, its store,
    the path of the category Gimle's lines are in)."""
    from analytics.ingest import load_files
    from analytics.store import connect
    from tests.crafted import contract_ledger
    db = tmp_path_factory.mktemp("avtal") / "avtal.duckdb"
    con = connect(db)
    load_files(con.cursor(), [("reskontra.csv", contract_ledger())])
    path = con.execute("""SELECT n1.name || ' / ' || n2.name FROM ledger_lines l JOIN category_paths cp USING (category_id)
                          JOIN categories n1 ON n1.category_id = cp.l1_id JOIN categories n2 ON n2.category_id = cp.l2_id
                          WHERE l.supplier_name = 'Gimle AB' LIMIT 1""").fetchall()[0][0]
    con.close()
    run = serve(db)
    yield next(run), db, path
    next(run, None)


def test_import_a_register_and_edit_it_in_the_browser(contract_server, page, tmp_path):
    """The Avtal page in Chromium: a register CSV chosen in the file uploader, its columns
    recognised, imported; then a contract's name changed in the register's grid (typed into the
    cell) and saved; the store holds the new name and the lines stay linked."""
    from playwright.sync_api import expect

    from analytics import contracts
    from analytics.store import connect
    from tests.crafted import contract_register
    url, db, category = contract_server
    csv = tmp_path / "avtalskatalog.csv"
    csv.write_bytes(contract_register(category))
    page.set_viewport_size({"width": 1400, "height": 1200})
    page.goto(url + "/avtal", timeout=90_000)
    expect(page.get_by_role("heading", name="Avtal och avtalstrohet")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("Inga avtal inlästa än", exact=False)).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Importera").click()           # (only the open tab runs: the click reruns)
    page.locator("input[type=file]").first.set_input_files(str(csv))
    expect(page.get_by_text("rader under rubrikraden", exact=False)).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Läs in avtalen").click()
    expect(page.get_by_text("6 avtal med 8 leverantörer inlästa", exact=False)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stMetricLabel").get_by_text("Avtalstrohet", exact=True)).to_be_visible(
        timeout=60_000)                                           # the tab's figures draw after the message
    page.screenshot(path=str(tmp_path / "avtal.png"), full_page=True)
    # the register's grid: the first cell (AV-1's id), one to the right (its name), typed over
    page.get_by_role("tab", name="Avtalsregister").click()
    grid = page.get_by_role("tabpanel", name="Avtalsregister").get_by_test_id("stDataFrame")
    expect(grid).to_be_visible(timeout=60_000)
    wait_idle(page)                                               # the rerun the click started is done
    box = grid.bounding_box()
    page.mouse.dblclick(box["x"] + 200, box["y"] + 35 + 17)       # the first row's name, below the header
    editor = page.locator("textarea").first                       # the cell's editor opens over the grid
    expect(editor).to_be_visible(timeout=30_000)
    editor.fill("Förbrukning Alfa 2024")
    page.keyboard.press("Enter")
    page.screenshot(path=str(tmp_path / "avtal-redigerat.png"), full_page=True)
    page.get_by_role("button", name="Spara avtalsregistret").click()
    expect(page.get_by_text("Avtalsregistret sparat: 0 nya, 1 ändrade, 0 borttagna", exact=False)).to_be_visible(
        timeout=60_000)
    wait_idle(page)
    page.screenshot(path=str(tmp_path / "avtal-sparat.png"), full_page=True)
    con = connect(db)
    try:
        reg = {c.contract_id: c for c in contracts.register(con.cursor())}
        assert reg["AV-1"].name == "Förbrukning Alfa 2024" and len(reg) == 6
        assert con.execute("SELECT count(*) FROM ledger_lines WHERE contract_id = 'AV-1'").fetchall()[0][0] == 3
    finally:
        con.close()
