"""The steering-group pack: open the PPTX with python-pptx and the XLSX with openpyxl and check
titles, chart types and the figures against the analytics functions; English; the CLI."""

import io
import re

import openpyxl
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from analytics import cube
from analytics import prioritise as pr
from analytics import report as rp
from analytics.__main__ import main as cli
from analytics.ingest import load_files
from tests.crafted import cube_ledger as ledger

TOPICS_SV = ["Inköpsvolym och trend per kvartal", "Största kategorier (nivå 2)", "Största leverantörer",
             "Kategoriträdet: nivå 1 uppdelad på nivå 2", "Prioritering: genomförbarhet och potential",
             "Prioritering: genomförbarhet och potential",
             "Besparingar: planerat, rapporterat och uppmätt", "Beslutsgången: initiativen per beslutspunkt",
             "Beslutsgången: initiativen per beslutspunkt", "Bevakningslista: öppna avvikelser per steg och vite"]
CONTINUED = (5, 8)       # the matrix's and the pipeline's tables on slides of their own


def charts(slide):
    return [sh.chart for sh in slide.shapes if sh.has_chart]


def test_pptx_titles_chart_types_and_figures(full):
    report = rp.build(full, org="Demokommun")
    assert [sl.topic for sl in report.slides[1:]] == [t for i, t in enumerate(TOPICS_SV) if i not in CONTINUED]
    prs = Presentation(io.BytesIO(rp.to_pptx(report)))
    slides = list(prs.slides)
    assert slides[0].shapes.title.text == "Demokommun"
    # the matrix's and the pipeline's tables went to slides of their own after their charts
    titles = [s.shapes.title.text for s in slides[1:]]
    assert titles == [sl.title for sl in report.slides[1:5]] + [report.slides[5].title] * 2 + \
        [report.slides[6].title] + [report.slides[7].title] * 2 + [sl.title for sl in report.slides[8:]]
    types = [charts(s)[0].chart_type if charts(s) else None for s in slides[1:]]
    assert types == [XL_CHART_TYPE.COLUMN_CLUSTERED, XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.BAR_CLUSTERED,
                     XL_CHART_TYPE.BAR_STACKED, XL_CHART_TYPE.BUBBLE, None, XL_CHART_TYPE.COLUMN_CLUSTERED,
                     XL_CHART_TYPE.COLUMN_CLUSTERED, None, XL_CHART_TYPE.COLUMN_CLUSTERED]
    # the pipeline: the demo's six initiatives, none decided yet, all waiting for their initiation
    assert report.slides[7].title == "Sex initiativ i beslutsgången: 6 väntar på beslut, flest i KR (6)"
    assert list(charts(slides[8])[0].series[0].values) == [6]
    # the overview chart holds the quarterly spend (MSEK)
    tr = cube.trend(full, cube.View(), None).body().sort_values("r_key")
    overview = charts(slides[1])[0]
    assert list(overview.plots[0].categories) == list(tr.r_label)
    assert list(overview.series[0].values) == pytest.approx([v / 1e6 for v in tr.spend], abs=1e-6)
    assert overview.value_axis.minimum_scale == 0
    # top suppliers: the pivot's order and values
    sups = cube.pivot(full, cube.View(), "supplier", top=10, with_suppliers=False).body()
    sups = sups[~sups.r_other]
    top = charts(slides[3])[0]
    assert list(top.plots[0].categories) == list(sups.r_label)
    assert any(re.fullmatch(r"Enskild firma #[0-9A-F]{6}", c) for c in top.plots[0].categories)   # masked, no birth date
    # the matrix: one bubble per initiative at (feasibility, potential), small ones drawn last
    df = pr.table(full)
    bubble = charts(slides[5])[0].series[0]
    assert sorted(bubble.values) == sorted(df.potential.astype(float))
    # every slide with a rate carries the coverage note
    for s in slides[1:5]:
        assert any("Täckning:" in sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
    # the matrix table ends with the totals
    table = [sh.table for sh in slides[6].shapes if sh.has_table][0]
    last = [table.cell(len(table.rows) - 1, j).text for j in range(len(table.columns))]
    assert last[1] == "Summa" and last[4] == "114,9" and last[5] == "7,4"
    # watchlist: one open deviation at step 2
    wchart = charts(slides[10])[0]
    assert list(wchart.series[0].values) == [0, 1, 0, 0, 0]


def test_english_and_sections(full):
    report = rp.build(full, lang="en", sections=("overview", "matrix"))
    assert [sl.topic for sl in report.slides[1:]] == ["Spend and quarterly trend", "Prioritisation: feasibility and potential"]
    prs = Presentation(io.BytesIO(rp.to_pptx(report)))
    assert list(prs.slides)[2].shapes.title.text == "Six initiatives could save SEK 7.4m, 6.4% of their spend"
    table = [sh.table for sh in list(prs.slides)[3].shapes if sh.has_table][0]
    assert table.cell(len(table.rows) - 1, 4).text == "114.9"


def test_xlsx_has_a_sheet_per_section_with_the_figures(full):
    report = rp.build(full)
    wb = openpyxl.load_workbook(io.BytesIO(rp.to_xlsx(report)))
    names = wb.sheetnames
    assert names[0].startswith("Inköpsvolym") and any(n.startswith("Prioritering") for n in names)
    ws = wb[names[0]]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert any(isinstance(v, str) and v.startswith("Täckning:") for row in values for v in row)
    tr = cube.trend(full, cube.View(), None).body().sort_values("r_key")
    header = next(i for i, r in enumerate(values) if r[1] == "Spend (MSEK)")
    assert [r[1] for r in values[header + 1: header + 1 + len(tr)]] == pytest.approx([v / 1e6 for v in tr.spend], abs=1e-6)
    assert all(isinstance(r[1], float) for r in values[header + 1: header + 1 + len(tr)])


def test_a_month_is_shown_as_a_month(store):
    load_files(store, [("reskontra.csv", ledger())])
    lo_ = store.execute("SELECT period_month FROM cube_rollup GROUP BY 1 ORDER BY sum(spend) DESC LIMIT 1").fetchall()[0][0]
    report = rp.build(store, lo_, lo_)
    overview = report.slides[1]
    assert overview.topic == "Inköpsvolym och trend per månad" and overview.chart.categories == [f"{lo_:%Y-%m}"]
    assert overview.title.endswith(f"under {lo_:%Y-%m}")              # one month, not "2024-01 – 2024-01"


def test_cli_report(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    (tmp_path / "r.csv").write_bytes(ledger())
    assert cli(["import", str(tmp_path / "r.csv"), "--db", db]) == 0
    assert cli(["report", "--out", str(tmp_path / "pack.pptx"), "--from", "2024-01", "--to", "2024-12", "--db", db]) == 0
    prs = Presentation(str(tmp_path / "pack.pptx"))
    assert "2024-01 – 2024-12" in list(prs.slides)[0].placeholders[1].text
    assert cli(["report", "--out", str(tmp_path / "pack.xlsx"), "--lang", "en", "--db", db]) == 0
    assert openpyxl.load_workbook(tmp_path / "pack.xlsx").sheetnames[0].startswith("Spend and")
    capsys.readouterr()
    assert cli(["report", "--out", str(tmp_path / "pack.pdf"), "--db", db]) == 0
    assert (tmp_path / "pack.pdf").read_bytes()[:5] == b"%PDF-"
    capsys.readouterr()
    assert cli(["report", "--out", str(tmp_path / "pack.docx"), "--db", db]) == 2
    assert ".pptx, .xlsx or .pdf" in capsys.readouterr().err


def test_pdf_has_a_page_per_slide_with_titles_and_figures(full):
    import pypdfium2 as pdfium
    report = rp.build(full, org="Demokommun")
    pdf = pdfium.PdfDocument(rp.to_pdf(report))
    assert len(pdf) == len(report.slides) + 2                     # the matrix's and pipeline's tables on pages of their own
    texts = [pdf[i].get_textpage().get_text_range().replace("\r\n", " ") for i in range(len(pdf))]
    assert "Demokommun" in texts[0]
    for sl, text in zip(report.slides[1:6], texts[1:6]):
        assert sl.title.replace("\xa0", " ") in text.replace("\xa0", " ")
    assert "Täckning:" in texts[1] and "114,9" in texts[6] and "Summa" in texts[6]
    assert re.search(r"Enskild firma #[0-9A-F]{6}", texts[3]) and "800512" not in " ".join(texts)   # masked in the PDF too
    for i in range(len(pdf)):                                         # nothing outside the page
        w, h = pdf[i].get_size()
        tp = pdf[i].get_textpage()
        for k in range(tp.count_chars()):
            left, bottom, right, top = tp.get_charbox(k)
            assert left >= 0 and bottom >= 0 and right <= w and top <= h
