"""The steering pack as it is shown: every shape inside its slide, tables fitted (font and widths
from the content, no word broken, long tables continued), bubble labels that do not collide,
chart numbers in the pack's language, no empty chart, the organisation's template (layouts,
colours, fonts, size) and the Excel pack with numbers as numbers. LibreOffice renders the
PowerPoint in the last tests, as a committee member's laptop would."""

import datetime as dt
import io
import os
import shutil
import subprocess

import openpyxl
import pytest
from lxml import etree
from pptx import Presentation
from pptx.util import Emu

from analytics import cube
from analytics import format as fmt
from analytics import report as rp
from analytics.export import Sheet, xlsx_bytes
from analytics.ingest import load_files
from analytics.report import layout as lo
from analytics.report.template import open_template
from tests.crafted import cube_ledger as ledger
from tests.crafted import make_template

LONG = ["Bygg- och fastighetsmaterial (bygg, el, VA och VVS, kemikalier, hantverk)", "Fordon",
        "Storköksutrustning och diskmaskiner för skolköken", "Teknik- och miljökonsulter inom samhällsbyggnad"]


def long_report(rows: int = 45, lang: str = "sv") -> rp.Report:
    """A pack with a long table of long names beside a chart, and a bubble chart with names."""
    table = rp.Table([rp.Column("#"), rp.Column("Initiativ"), rp.Column("Spend (MSEK)", "msek"),
                      rp.Column("Andel", "share"), rp.Column("Start", "period")],
                     [[str(i + 1), f"{LONG[i % 4]} {i + 1}", 1_234_567.0 * (i + 1), 0.01 * (i % 9), "2025 Q1"]
                      for i in range(rows)] + [["", "Summa", 9e9, 1.0, None]], total=True)
    chart = rp.Chart("bar", "De största, MSEK", [f"{LONG[i % 4]} {i}" for i in range(10)],
                     {"Spend (MSEK)": [float(100 - 7 * i) for i in range(10)]})
    pts = [(3.0, 4.0, 54.8), (3.0, 4.0, 6.8), (5.0, 5.0, 26.7), (5.0, 5.0, 2.8), (4.0, 4.0, 19.1), (4.0, 5.0, 4.7)]
    bubble = rp.Chart("bubble", "Genomförbarhet och potential", [], {"Initiativ": pts},
                      axes=("Genomförbarhet", "Potential"), names=LONG + ["Möbler", "Städ"],
                      numbers=[str(i) for i in range(1, 7)])
    slides = [rp.Slide("title", "Långa kommunen", bullets=["Styrgruppsrapport"]),
              rp.Slide("top", "Tio kategorier står för 90,0 % av påverkbar spend", "Största", chart, table,
                       note="Täckning: 95,0 %"),
              rp.Slide("matrix", "Sex initiativ kan spara 7,4 MSEK", "Prioritering", bubble, None)]
    return rp.Report("Långa kommunen", "", lang, slides)


def shapes_inside(prs):
    W, H = prs.slide_width, prs.slide_height
    for n, slide in enumerate(prs.slides, start=1):
        for sh in slide.shapes:
            assert sh.left >= 0 and sh.top >= 0, (n, sh.name)
            assert sh.left + sh.width <= W and sh.top + sh.height <= H, (n, sh.name, sh.left + sh.width, W)
            if sh.has_table:
                tbl = sh.table
                assert sum(c.width for c in tbl.columns) <= W - sh.left, (n, "columns")
                assert sh.top + sum(r.height for r in tbl.rows) <= H, (n, "rows")


def test_formatter_per_language():
    cases = [(1234567.4, "money", "1\xa0234\xa0567", "1,234,567"), (114_912_345.0, "msek", "114,9", "114.9"),
             (0.0643, "share", "6,4 %", "6.4%"), (1926, "count", "1\xa0926", "1,926"), (2.5, "score", "2,5", "2.5"),
             (None, "msek", "–", "–")]
    for v, kind, sv, en in cases:
        assert (fmt.value(v, kind, "sv"), fmt.value(v, kind, "en")) == (sv, en), kind
    assert fmt.msek(2_555_000_000, "sv") == "2\xa0555,0 MSEK" and fmt.msek(2_555_000_000, "en") == "SEK 2,555.0m"
    assert fmt.period("2016-03-01", "month") == "2016-03" and fmt.period(dt.date(2016, 3, 1)) == "2016 Q1"
    assert fmt.period(dt.date(2016, 3, 1), "year") == "2016"


def test_fit_table_keeps_words_whole_and_splits_long_tables():
    header = ["#", "Initiativ", "Spend (MSEK)"]
    rows = [[str(i), f"{LONG[i % 4]} {i}", "1\xa0234,5"] for i in range(60)] + [["", "Summa", "99\xa0999,0"]]
    fit = lo.fit_table(header, rows, 600, 330, nowrap=[True, False, True], keep_last=True)
    assert fit.fits and sum(fit.widths) <= 600.5
    assert len(fit.pages) >= 3 and sorted(i for p in fit.pages for i in p) == list(range(61))
    assert len(fit.pages[-1]) >= 2 and fit.pages[-1][-1] == 60                 # the total never stands alone
    for page in fit.pages:
        assert fit.header_height + sum(fit.row_heights[i] for i in page) <= 330
    for j, w in enumerate(fit.widths):                                         # every word fits its column
        longest = max(lo.text_width(word, fit.size) for r in rows for word in str(r[j]).split(" "))
        assert longest <= w - 2 * fit.pad_x + 0.01
    # a narrow box takes a smaller font rather than a second slide
    narrow = lo.fit_table(header, rows[:5], 260, 330, nowrap=[True, False, True])
    assert narrow.fits and len(narrow.pages) == 1 and narrow.size < 14


def test_bubble_labels_never_collide():
    pts = [(100.0, 100.0, 30.0), (100.0, 100.0, 8.0), (300.0, 60.0, 20.0), (300.0, 60.0, 5.0), (200.0, 100.0, 15.0),
           (210.0, 110.0, 10.0), (205.0, 105.0, 6.0)]
    names = LONG + ["Möbler", "Städ", "Papper"]
    labels = lo.place_labels(pts, names, [str(i) for i in range(1, 8)], plot=(0, 0, 400, 250), size=10, max_width=120)
    named = [lab for lab in labels if lab.position != "center"]
    assert len(named) >= 3
    for a in range(len(named)):
        b0 = named[a].box
        assert b0[0] >= 0 and b0[1] >= 0 and b0[0] + b0[2] <= 400 and b0[1] + b0[3] <= 250
        for b in range(a + 1, len(named)):
            b1 = named[b].box
            assert b0[0] + b0[2] <= b1[0] or b1[0] + b1[2] <= b0[0] or b0[1] + b0[3] <= b1[1] or b1[1] + b1[3] <= b0[1]
    # the small bubble hidden in the large one's place shows its number from the table
    assert labels[1].position == "center" and labels[1].text == "2"


def test_long_table_continues_on_the_next_slides_inside_the_slide():
    prs = Presentation(io.BytesIO(rp.to_pptx(long_report())))
    shapes_inside(prs)
    titles = [s.shapes.title.text for s in prs.slides]
    continued = [t for t in titles if t.startswith("Tio kategorier") and t.endswith(")")]
    assert len(continued) >= 2 and continued[0].endswith(f"(1/{len(continued)})")
    rows = []
    for s in prs.slides:
        for sh in s.shapes:
            if sh.has_table:
                tbl = sh.table
                assert tbl.cell(0, 1).text == "Initiativ"                        # the header repeats
                rows += [tbl.cell(i, 1).text for i in range(1, len(tbl.rows))]
    assert rows[0].startswith("Bygg- och fastighetsmaterial") and rows[-1] == "Summa" and len(rows) == 46
    # the chart has the whole slide's width when its table moved on
    chart_slide = prs.slides[1]
    chart = next(sh for sh in chart_slide.shapes if sh.has_chart)
    assert chart.width > prs.slide_width * 0.8


def test_bubble_labels_and_axis_formats_per_language():
    for lang, lcid, other in (("sv", "[$-41D]", "[$-809]"), ("en", "[$-809]", "[$-41D]")):
        prs = Presentation(io.BytesIO(rp.to_pptx(long_report(rows=4, lang=lang))))
        bar = next(sh.chart for sh in prs.slides[1].shapes if sh.has_chart)
        xml = etree.tostring(bar._chartSpace).decode()
        assert f'formatCode="{lcid}#,##0.0"' in xml and other not in xml
        assert bar.value_axis.minimum_scale == 0
        bubble = next(sh.chart for sh in prs.slides[2].shapes if sh.has_chart)
        labels = [p.data_label.text_frame.text for p in bubble.plots[0].series[0].points]
        assert "Möbler" in labels and "Städ" in labels and labels.count("Bygg- och\nfastighetsmaterial") == 1
        assert "2" in labels                     # Fordon, hidden in the large bubble's place, shows its number
        assert all(lab for lab in labels)                                         # every bubble says what it is
        assert bubble.category_axis.tick_labels.number_format == "0;;"          # scores, no decimals


def test_the_demo_pack_titles_state_the_message(full):
    report = rp.build(full, org="Demokommun")
    titles = [s.title for s in report.slides]
    top = next(s for s in report.slides if s.chart and s.chart.caption.startswith("De tio största kategorierna"))
    spend = cube.kpis(full, cube.View())["spend"]
    shares = [v * 1e6 / spend for v in next(iter(top.chart.series.values()))]
    n = next(i for i in range(1, len(shares) + 1) if sum(shares[:i]) >= 0.5)
    words = ["En", "Två", "Tre", "Fyra", "Fem", "Sex", "Sju", "Åtta", "Nio", "Tio"]
    assert top.title.startswith(f"{words[n - 1]} {'kategori står' if n == 1 else 'kategorier står'} för ")
    assert top.title.endswith(f"{fmt.percent(sum(shares[:n]))} av påverkbar spend")
    assert "Sex initiativ kan spara 7,4 MSEK, 6,4 % av deras spend" in titles
    assert "1 öppen avvikelse, 0 med försenad åtgärd" in titles
    en = [s.title for s in rp.build(full, lang="en").slides]
    assert "Six initiatives could save SEK 7.4m, 6.4% of their spend" in en
    assert "1 open deviation, 0 with an overdue action" in en


def test_no_empty_chart_without_deviations(store):
    load_files(store, [("reskontra.csv", ledger())])
    report = rp.build(store)
    watch = next(s for s in report.slides if s.section == "watchlist")
    assert watch.chart is None and watch.message == "Inga öppna avvikelser"
    assert "prioriteringen (inga initiativ inlagda)" in report.slides[0].bullets[-1]
    prs = Presentation(io.BytesIO(rp.to_pptx(report)))
    last = list(prs.slides)[-1]
    assert not any(sh.has_chart for sh in last.shapes)
    assert any(sh.has_text_frame and sh.text_frame.text == "Inga öppna avvikelser" for sh in last.shapes)
    shapes_inside(prs)


def test_excel_pack_has_numbers_with_formats(full):
    wb = openpyxl.load_workbook(io.BytesIO(rp.to_xlsx(rp.build(full))))
    matrix = wb[next(n for n in wb.sheetnames if n.startswith("Prioritering"))]
    rows = [[c for c in r] for r in matrix.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[1].value == "Initiativ")
    spend_col = [c.value for c in rows[header]].index("Spend (MSEK)")
    cells = [r[spend_col] for r in rows[header + 1:] if r[spend_col].value is not None]
    assert all(isinstance(c.value, float) for c in cells) and cells[0].number_format == "#,##0.0"
    assert cells[-1].value == pytest.approx(114.9, abs=0.05)                  # the total, in MSEK
    top = wb[next(n for n in wb.sheetnames if n.startswith("Största leverantörer") and "(2)" in n)]
    share = [r for r in top.iter_rows() if isinstance(r[2].value, float)]
    assert share and share[0][2].number_format == "0.0%" and 0 < share[0][2].value <= 1


def test_every_xlsx_export_writes_numbers_as_numbers():
    import pandas as pd
    frame = pd.DataFrame({"Leverantör": ["=HYPERLINK(1)", "Beta AB"], "Belopp": [1234.5, 99.0], "Rader": [3, 4],
                          "Blandat": [1, 2.5], "Datum": [dt.date(2024, 1, 2), dt.date(2024, 2, 3)]})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([Sheet("Blad", frame)]))).active
    row = [c for c in list(ws.iter_rows())[1]]
    assert row[0].value == "'=HYPERLINK(1)" or row[0].value == "=HYPERLINK(1)" and row[0].data_type == "s"
    assert row[1].value == 1234.5 and row[1].number_format == "#,##0.00"
    assert row[2].value == 3 and row[2].number_format == "#,##0"
    assert isinstance(row[3].value, (int, float)) and isinstance(row[4].value, dt.datetime)


def test_the_organisations_template_is_stored_and_used(full, tmp_path):
    data = make_template(tmp_path)
    saved = rp.save_template(full, "profil.potx", data)
    assert saved["name"] == "profil.potx" and rp.stored_template(full)["content"] == data
    assert full.execute("SELECT action, entity FROM audit_log ORDER BY audit_id DESC LIMIT 1").fetchall() == \
        [("report_template", "profil.potx")]
    prs = Presentation(io.BytesIO(rp.write(full, rp.build(full), "pptx")))
    assert (prs.slide_width, prs.slide_height) == (Emu(9144000), Emu(6858000))          # the template's 4:3
    titles = [s.shapes.title.text for s in prs.slides]
    assert "Exempelbild" not in titles                                                   # its example slide is gone
    assert prs.slides[0].slide_layout.name == "Rubrikbild"
    assert {s.slide_layout.name for s in list(prs.slides)[1:]} == {"Rubrik och innehåll"}
    bar = next(sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart and sh.chart.chart_type == 57)
    assert str(bar.plots[0].series[0].format.fill.fore_color.rgb) == "C00000"           # the theme's accent
    fonts = {r.font.name for s in prs.slides for sh in s.shapes if sh.has_table
             for row in sh.table.rows for c in row.cells for p in c.text_frame.paragraphs for r in p.runs}
    assert fonts == {"Georgia"}
    shapes_inside(prs)
    assert rp.remove_template(full) and rp.stored_template(full) is None
    assert Presentation(io.BytesIO(rp.write(full, rp.build(full), "pptx"))).slide_width == Emu(12192000)


def test_a_file_that_is_no_template_is_refused(full, tmp_path):
    with pytest.raises(rp.TemplateError) as exc:
        rp.save_template(full, "profil.pptx", b"%PDF-1.7 not a deck")
    assert exc.value.code == "template_not_pptx" and "profil.pptx" in str(exc.value)
    prs = Presentation()
    for lay in list(prs.slide_layouts):                 # a deck whose layouts have no title at all
        for ph in list(lay.placeholders):
            if ph.placeholder_format.type is not None and "TITLE" in str(ph.placeholder_format.type):
                ph._element.getparent().remove(ph._element)
    buf = io.BytesIO()
    prs.save(buf)
    with pytest.raises(rp.TemplateError) as exc:
        rp.save_template(full, "utan-rubrik.pptx", buf.getvalue())
    assert exc.value.code == "template_no_title_layout"
    assert rp.stored_template(full) is None
    open_template(None)                                  # the default still opens


def soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found and os.environ.get("SPENDKOLLEN_CI"):
        pytest.fail("LibreOffice (soffice) is missing; .ci/run installs libreoffice-impress")
    if not found:
        pytest.skip("LibreOffice is not installed")
    return found


def render(pptx: bytes, tmp_path) -> list:
    """The deck rendered by LibreOffice headless: one PDF page per slide."""
    import pypdfium2 as pdfium
    exe = soffice()
    src = tmp_path / "pack.pptx"
    src.write_bytes(pptx)
    profile = tmp_path / "lo-profile"
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=240)
    return pdfium.PdfDocument(str(tmp_path / "pack.pdf"))


def test_libreoffice_renders_every_slide_inside_the_page(full, tmp_path):
    report = rp.build(full, org="Demokommun")
    report.slides += long_report().slides[1:]
    data = rp.to_pptx(report)
    n = len(Presentation(io.BytesIO(data)).slides)
    pdf = render(data, tmp_path)
    assert len(pdf) == n
    for i in range(len(pdf)):
        page = pdf[i]
        w, h = page.get_size()
        tp = page.get_textpage()
        for k in range(tp.count_chars()):
            left, bottom, right, top = tp.get_charbox(k)
            assert left >= -0.5 and bottom >= -0.5 and right <= w + 0.5 and top <= h + 0.5, (i + 1, k)
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    chart_page = next(t for t in texts if t.startswith("Tio kategorier står för 90,0 %"))
    assert "100,0" in chart_page and "93,0" in chart_page and "100.0" not in chart_page    # Swedish labels
    joined = " ".join(texts)
    for word in ("fastighetsmaterial", "Storköksutrustning", "diskmaskiner", "samhällsbyggnad"):
        assert word in joined                                   # never broken inside a word
    assert "Summa" in texts[-2] or "Summa" in " ".join(texts[-4:])


def test_numbers_as_typed_and_quarters_at_their_grain():
    for text, lang, want in (("1 234 567,50", "sv", 1234567.5), ("1\xa0234,5", "sv", 1234.5), ("1234567.5", "sv", 1234567.5),
                             ("1.234.567", "sv", 1234567.0), ("1,234,567.50", "en", 1234567.5), ("1,234", "en", 1234.0),
                             ("0,5", "sv", 0.5), ("", "sv", None)):
        assert fmt.parse_number(text, lang) == want, text
    with pytest.raises(ValueError, match="'12 kronor' is not a number"):
        fmt.parse_number("12 kronor")
    assert fmt.flexible(1250000.5) == "1\xa0250\xa0000,5" and fmt.flexible(None) == ""
    months = [dt.date(2016, 3, 1), dt.date(2016, 4, 1), dt.date(2016, 5, 1), dt.date(2016, 6, 1)]
    assert fmt.quarter_label("2016 Q1", months) == "2016-03"
    assert fmt.quarter_label("2016 Q2", months) == "2016 Q2"
    assert fmt.quarter_label("2016 Q2", months[:3]) == "2016-04 – 2016-05"
    assert (fmt.separators("sv"), fmt.separators("en")) == (", ", ".,")


def test_a_chart_never_repeats_a_colour(full):
    from analytics.report.template import series_colours
    colours = series_colours(["1F4E79", "2E86AB"], 5)
    assert len(set(colours)) == 5 and colours[:2] == ["1F4E79", "2E86AB"]
    prs = Presentation(io.BytesIO(rp.to_pptx(rp.build(full))))
    stacked = next(sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart and sh.chart.chart_type == 58)
    fills = [str(s.format.fill.fore_color.rgb) for s in stacked.plots[0].series]
    assert len(fills) == len(set(fills))


def test_a_formula_as_supplier_name_stays_text_everywhere_in_the_pack(store):
    """A supplier named =HYPERLINK(...): a name in the slide, a text cell in the chart's embedded
    workbook (PowerPoint's "Edit data"), a neutralised text in the Excel pack."""
    from tests.crafted import CUBE_LINES as LINES
    evil = '=HYPERLINK("http://x","y")'
    rows = [(evil, "", "64210", "Livsmedel", "Skola", "9000,00", "2024-01-20")] + list(LINES)
    load_files(store, [("reskontra.csv", ledger(rows))])
    prs = Presentation(io.BytesIO(rp.to_pptx(rp.build(store))))
    chart = next(sh.chart for s in prs.slides for sh in s.shapes
                 if sh.has_chart and evil in list(sh.chart.plots[0].categories))
    wb = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    cells = [c for row in wb.active.iter_rows() for c in row if c.value == evil]
    assert cells and all(c.data_type == "s" for c in cells)            # text, not a formula
    assert not [c for row in wb.active.iter_rows() for c in row if c.data_type == "f"]
    pack = openpyxl.load_workbook(io.BytesIO(rp.to_xlsx(rp.build(store))))
    texts = [c.value for ws in pack.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'" + evil in texts and evil not in texts
    assert not [c for ws in pack.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
