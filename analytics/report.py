"""The steering-group pack (styrgruppsrapport): the dashboard's key figures as a PowerPoint with
native, editable charts, the same content as an XLSX workbook (one sheet per section), and a PDF
drawn with reportlab (no browser or office suite at run time).

``build`` gathers the content from the analytics functions into ``Slide`` objects (title,
chart data, table, coverage note); ``to_pptx`` and ``to_xlsx`` write them. Texts come from the
UI catalogs (Swedish by default, English on request); numbers are formatted per locale; sole
traders are masked as everywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from babel.numbers import format_decimal, format_percent

from . import cube
from . import prioritise as pr
from . import savings as sv
from . import watchlist as wl

SECTIONS = ("overview", "top", "tree", "matrix", "savings", "watchlist")
LOCALES = Path(__file__).resolve().parent.parent / "ui" / "locales"


def texts(lang: str) -> dict:
    """The UI catalog of ``lang`` (a data file; the core does not import the UI)."""
    return json.loads((LOCALES / f"{'en' if lang == 'en' else 'sv'}.json").read_text(encoding="utf-8"))


@dataclass
class Slide:
    section: str
    title: str
    chart: str | None = None                  # 'bar', 'column', 'clustered', 'bubble'
    categories: list = field(default_factory=list)
    series: dict = field(default_factory=dict)   # name -> values (bubble: list of (x, y, size))
    table: list[list] = field(default_factory=list)   # header row first
    bullets: list[str] = field(default_factory=list)
    note: str = ""                              # data coverage, on every slide that shows a rate
    unit: str = "MSEK"
    axes: tuple[str, str] = ("", "")            # bubble: x and y axis titles


@dataclass
class Report:
    title: str
    subtitle: str
    lang: str
    slides: list[Slide]


def _num(v: float | None, lang: str, decimals: int = 1) -> str:
    if v is None:
        return "–"
    return format_decimal(v, format="#,##0" + ("." + "0" * decimals if decimals else ""),
                          locale="sv_SE" if lang == "sv" else "en_GB").replace("\xa0", " ")


def _msek(v: float | None, lang: str) -> str:
    return "–" if v is None else (f"{_num(v / 1e6, lang)} MSEK" if lang == "sv" else f"SEK {_num(v / 1e6, lang)}m")


def _pct(v: float | None, lang: str) -> str:
    if v is None:
        return "–"
    text = format_percent(v, format="#,##0.0 %", locale="sv_SE" if lang == "sv" else "en_GB").replace("\xa0", " ")
    return text if lang == "sv" else text.replace(" ", "")


def build(cur, period_from: dt.date | None = None, period_to: dt.date | None = None, *, lang: str = "sv",
          sections: tuple[str, ...] = SECTIONS, org: str = "", scope: str = "influenceable") -> Report:
    """The pack's content for the period (whole months; default: everything loaded), over the
    influenceable spend unless ``scope`` is 'all'."""
    T = texts(lang)
    lo, hi = cur.execute("SELECT min(period_month), max(period_month) FROM cube_rollup").fetchall()[0]
    period_from, period_to = period_from or lo, period_to or hi
    view = cube.View(period_from=period_from, period_to=period_to, scope=scope)
    k = cube.kpis(cur, view)
    scope_line = T["rep.scope" if scope == "influenceable" else "rep.scope_all"].format(
        spend=_msek(k["influenceable_spend"], lang), total=_msek(k["total_spend"], lang),
        excluded=_msek(k["excluded_spend"], lang))
    coverage = T["rep.coverage"].format(classified=_pct(k["classified_share"], lang), valid=_pct(k["valid_org_share"], lang))
    period = f"{period_from:%Y-%m} – {period_to:%Y-%m}" if period_from else "–"
    slides = [Slide("title", org or T["rep.default_org"], bullets=[T["rep.subtitle"].format(period=period),
                                                                     T["rep.made"].format(date=dt.date.today().isoformat())])]
    if "overview" in sections:
        tr = cube.trend(cur, view, None).body().sort_values("r_key")
        slides.append(Slide("overview", T["rep.s_overview"], "column", list(tr.r_label),
                            {T["rep.spend_msek"]: [round(v / 1e6, 2) for v in tr.spend]},
                            bullets=[f"{T['kpi.spend']}: {_msek(k['spend'], lang)}",
                                     f"{T['kpi.lines']}: {_num(k['lines'], lang, 0)}",
                                     f"{T['kpi.suppliers']}: {_num(k['suppliers'], lang, 0)}",
                                     f"{T['cube.kpi_change']}: {_pct(k['change'], lang) if k['change'] is not None else '–'}",
                                     f"{T['cls.kpi_classified']}: {_pct(k['classified_share'], lang)}",
                                     scope_line],
                            note=coverage))
    if "top" in sections:
        cats = cube.pivot(cur, view, "category_l2", top=10, with_suppliers=False).body()
        cats = cats[~cats.r_other]
        labels = [T["cube.unclassified"] if lab is None else (T["cube.excluded"] if key == cube.EXCLUDED else lab)
                  for key, lab in zip(cats.r_key, cats.r_label)]
        slides.append(Slide("top", T["rep.s_top_categories"], "bar", labels,
                            {T["rep.spend_msek"]: [round(v / 1e6, 2) for v in cats.spend]}, note=coverage))
        sups = cube.pivot(cur, view, "supplier", top=10, with_suppliers=False).body()
        sups = sups[~sups.r_other]
        slides.append(Slide("top", T["rep.s_top_suppliers"], "bar", list(sups.r_label),
                            {T["rep.spend_msek"]: [round(v / 1e6, 2) for v in sups.spend]},
                            table=[[T["col.supplier_name"], T["rep.spend_msek"], T["measure.share"]]]
                            + [[lab, _num(s / 1e6, lang), _pct(sh, lang)] for lab, s, sh in zip(sups.r_label, sups.spend, sups.share)],
                            note=coverage))
    if "tree" in sections:
        l1 = cube.pivot(cur, view, "category_l1", "category_l2", top=8, top_cols=6, with_suppliers=False)
        body = l1.body()
        body = body[~body.r_other]
        cells = l1.part("cell")
        series = {}
        for cl, co in zip(l1.part("col").c_label, l1.part("col").c_other):
            name = T["cube.others"] if co else (T["cube.unclassified"] if cl is None else cl)
            series.setdefault(name, [0.0] * len(body))
        order = list(body.r_key)
        for rk, ro, cl, co, sp in zip(cells.r_key, cells.r_other, cells.c_label, cells.c_other, cells.spend):
            if ro or rk not in order:
                continue
            name = T["cube.others"] if co else (T["cube.unclassified"] if cl is None else cl)
            series[name][order.index(rk)] += round(sp / 1e6, 2)
        labels = [T["cube.unclassified"] if lab is None else (T["cube.excluded"] if key == cube.EXCLUDED else lab)
                  for key, lab in zip(body.r_key, body.r_label)]
        slides.append(Slide("tree", T["rep.s_tree"], "stacked", labels, series, note=coverage))
    if "matrix" in sections:
        df = pr.table(cur)
        if len(df):
            t = pr.totals(df)
            slides.append(Slide(
                "matrix", T["rep.s_matrix"], "bubble", [],
                {T["pri.col_name"]: [(float(x), float(y), max(0.01, float(s) / 1e6))
                                     for x, y, s in zip(df.feasibility_mid, df.potential, df.spend)]},
                table=[[T["pri.col_name"], T["pri.col_feasibility"], T["pri.col_potential"], T["rep.spend_msek"],
                        T["rep.saving_msek"], T["pri.col_start"]]]
                + [[r.name, f"{r.feasibility_low}" if r.feasibility_low == r.feasibility_high
                    else f"{r.feasibility_low}–{r.feasibility_high}", str(r.potential), _num(r.spend / 1e6, lang),
                    _num((r.saving or 0) / 1e6, lang), r.start or "–"] for r in df.itertuples()]
                + [[T["rep.total"], "", "", _num(t["spend"] / 1e6, lang), _num(t["saving"] / 1e6, lang),
                    _pct(t["saving_share"], lang)]],
                bullets=[r.name for r in df.itertuples()], axes=(T["pri.col_feasibility"], T["pri.col_potential"])))
    if "savings" in sections:
        ov = sv.overview(cur)
        if len(ov):
            tot = sv.totals(ov)
            kinds = [T[f"sav.type_{x}"] for x in sv.TYPES]
            slides.append(Slide("savings", T["rep.s_savings"], "clustered", kinds,
                                {T["sav.planned"]: [round(tot[x]["planned"] / 1e6, 3) for x in sv.TYPES],
                                 T["sav.reported"]: [round(tot[x]["reported"] / 1e6, 3) for x in sv.TYPES],
                                 T["sav.measured"]: [round(tot[x]["measured"] / 1e6, 3) for x in sv.TYPES]},
                                note=T["rep.savings_note"].format(quarter=sv.last_complete_quarter(cur) or "–")))
    if "watchlist" in sections:
        devs = wl.deviations(cur)
        steps = wl.steps(cur)
        counts = [int((devs.step == s).sum()) if len(devs) else 0 for s in steps.step]
        pt = wl.penalty_totals(cur)
        slides.append(Slide("watchlist", T["rep.s_watchlist"], "column",
                            [f"{s}. {n}" for s, n in zip(steps.step, steps.name_sv if lang == "sv" else steps.name_en)],
                            {T["rep.open_deviations"]: counts},
                            table=[[T["wl.col_supplier"], T["rep.year"], T["wl.col_booked"], T["wl.col_charged"]]]
                            + [[r.supplier, str(r.year), _num(r.booked, lang, 0), _num(r.charged, lang, 0)] for r in pt.itertuples()],
                            bullets=[T["rep.overdue"].format(n=int(devs.overdue.sum()) if len(devs) else 0)], unit=""))
    return Report(org or T["rep.default_org"], T["rep.subtitle"].format(period=period), lang, slides)


# ------------------------------------------------------------------ PowerPoint

def to_pptx(report: Report) -> bytes:
    """The pack as .pptx: a title slide, then one slide per Slide with a native chart (editable
    in PowerPoint), its table or bullets, and the coverage note."""
    from pptx import Presentation
    from pptx.chart.data import BubbleChartData, CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Emu, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)          # 16:9
    W, H = prs.slide_width, prs.slide_height
    first = report.slides[0]
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = first.title
    s.placeholders[1].text = "\n".join(first.bullets)
    kinds = {"bar": XL_CHART_TYPE.BAR_CLUSTERED, "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
             "clustered": XL_CHART_TYPE.COLUMN_CLUSTERED, "stacked": XL_CHART_TYPE.BAR_STACKED,
             "bubble": XL_CHART_TYPE.BUBBLE}
    for sl in report.slides[1:]:
        slide = prs.slides.add_slide(prs.slide_layouts[5])                      # title only
        slide.shapes.title.text = sl.title
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
        top = Emu(int(H * 0.2))
        chart_w = int(W * (0.58 if (sl.table or sl.bullets) else 0.92))
        if sl.chart:
            if sl.chart == "bubble":
                data = BubbleChartData()
                for name, points in sl.series.items():
                    ser = data.add_series(name)
                    for x, y, size in points:
                        ser.add_data_point(x, y, size)
            else:
                data = CategoryChartData(number_format="#,##0.0" if sl.unit else "0")
                data.categories = [str(c) for c in sl.categories]
                for name, values in sl.series.items():
                    data.add_series(str(name), values)
            chart = slide.shapes.add_chart(kinds[sl.chart], Emu(int(W * 0.04)), top, Emu(chart_w),
                                           Emu(int(H * 0.68)), data).chart
            chart.has_legend = len(sl.series) > 1
            if chart.has_legend:
                chart.legend.position = XL_LEGEND_POSITION.BOTTOM
                chart.legend.include_in_layout = False
            chart.font.size = Pt(10)
            if sl.chart in ("bar", "stacked"):
                chart.category_axis.reverse_order = True        # the largest at the top, as on screen
        left = Emu(int(W * 0.04 + chart_w + W * 0.02)) if sl.chart else Emu(int(W * 0.04))
        width = Emu(int(W * 0.96) - left)
        if sl.table:
            rows, cols = min(len(sl.table), 14), len(sl.table[0])
            table = slide.shapes.add_table(rows, cols, left, top, width, Emu(int(H * 0.05) * rows)).table
            for i, row in enumerate(sl.table[:rows]):
                for j, value in enumerate(row):
                    cell = table.cell(i, j)
                    cell.text = str(value)
                    cell.text_frame.paragraphs[0].font.size = Pt(9)
        elif sl.bullets:
            box = slide.shapes.add_textbox(left, top, width, Emu(int(H * 0.6))).text_frame
            box.word_wrap = True
            for i, b in enumerate(sl.bullets):
                p = box.paragraphs[0] if i == 0 else box.add_paragraph()
                p.text = b
                p.font.size = Pt(16)
        if sl.note:
            note = slide.shapes.add_textbox(Emu(int(W * 0.04)), Emu(int(H * 0.9)), Emu(int(W * 0.92)), Emu(int(H * 0.06)))
            note.text_frame.text = sl.note
            note.text_frame.paragraphs[0].font.size = Pt(10)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def to_xlsx(report: Report) -> bytes:
    """The same content as a workbook: one sheet per section (the chart's data and the table),
    the coverage note above each."""
    import pandas as pd

    from .export import Sheet, xlsx_bytes
    sheets = []
    for sl in report.slides[1:]:
        if sl.chart == "bubble":
            frame = pd.DataFrame([row for row in sl.table[1:]], columns=sl.table[0]) if sl.table else pd.DataFrame()
        elif sl.series:
            frame = pd.DataFrame({"": [str(c) for c in sl.categories], **{str(k): v for k, v in sl.series.items()}})
        else:
            frame = pd.DataFrame()
        notes = ([sl.note] if sl.note else []) + list(sl.bullets if sl.chart != "bubble" else [])
        kinds = {str(k): "decimal" for k in sl.series} if sl.chart != "bubble" else {}
        sheets.append(Sheet(sl.title[:31], frame, kinds=kinds, title=sl.title, notes=notes))
        if sl.table and sl.chart != "bubble":
            sheets.append(Sheet((sl.title[:27] + " (2)")[:31], pd.DataFrame(sl.table[1:], columns=sl.table[0]), title=sl.title))
    return xlsx_bytes(sheets)


def to_pdf(report: Report) -> bytes:
    """The pack as a PDF (drawn with reportlab: no browser or office suite needed): a title page,
    then a page per slide with its chart as vector graphics, its table or bullets and the
    coverage note."""
    from xml.sax.saxutils import escape

    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.lineplots import ScatterPlot
    from reportlab.graphics.shapes import Circle, Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    palette = [colors.HexColor(c) for c in ("#1f4e79", "#2e86ab", "#f18f01", "#c73e1d", "#3b1f2b", "#6a994e", "#a7c957")]
    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.2 * cm, bottomMargin=1.2 * cm, title=report.title)
    width = landscape(A4)[0] - 3 * cm
    story = [Spacer(1, 5 * cm), Paragraph(escape(report.slides[0].title), styles["Title"])]
    story += [Paragraph(escape(b), styles["Heading3"]) for b in report.slides[0].bullets]

    def chart(sl: Slide) -> Drawing | None:
        if not sl.chart or not sl.series:
            return None
        w, h = (width * 0.6 if (sl.table or sl.bullets) else width), 11 * cm
        d = Drawing(w, h)
        if sl.chart == "bubble":
            pts = next(iter(sl.series.values()))
            sp = ScatterPlot()
            sp.x, sp.y, sp.width, sp.height = 40, 30, w - 60, h - 50
            sp.data = [[(x, y) for x, y, _ in pts]]
            sp.xValueAxis.valueMin, sp.xValueAxis.valueMax = 0, 6
            sp.yValueAxis.valueMin, sp.yValueAxis.valueMax = 0, 6
            sp.lineLabelFormat = None
            sp.lines[0].strokeColor = None
            sp.lines[0].symbol.kind = "Circle"
            sp.lines[0].symbol.size = 0
            sp.xLabel, sp.yLabel = sl.axes
            sp.xValueAxis.valueStep = sp.yValueAxis.valueStep = 1
            d.add(sp)
            seen: dict = {}
            biggest = max(size for _, _, size in pts) or 1.0
            for (x, y, size), name in zip(pts, sl.bullets):
                px = sp.x + (x - sp.xValueAxis.valueMin) / (sp.xValueAxis.valueMax - sp.xValueAxis.valueMin) * sp.width
                py = sp.y + (y - sp.yValueAxis.valueMin) / (sp.yValueAxis.valueMax - sp.yValueAxis.valueMin) * sp.height
                r = 4 + 22 * (size / biggest) ** 0.5              # bubble area proportional to spend
                d.add(Circle(px, py, r, fillColor=palette[0], fillOpacity=0.6, strokeColor=colors.white))
                k = seen[(round(x), round(y))] = seen.get((round(x), round(y)), -1) + 1   # labels of shared spots stack
                d.add(String(px, py + 28 + 9 * k, name if len(name) <= 26 else name[:25] + "…", fontSize=7,
                             textAnchor="middle"))
            return d
        horizontal = sl.chart in ("bar", "stacked")
        bc = HorizontalBarChart() if horizontal else VerticalBarChart()
        left = 150 if horizontal else 40
        bc.x, bc.y, bc.width, bc.height = left, 40, w - left - 20, h - 60
        cats = [str(c)[:32] for c in sl.categories]
        data = [list(v) for v in sl.series.values()]
        if horizontal:                     # the largest at the top, as on screen
            cats, data = cats[::-1], [v[::-1] for v in data]
        bc.data = data
        bc.categoryAxis.categoryNames = cats
        bc.categoryAxis.labels.fontSize = 7
        if not horizontal:
            bc.categoryAxis.labels.angle = 30
            bc.categoryAxis.labels.boxAnchor = "ne"
        bc.valueAxis.labels.fontSize = 7
        bc.valueAxis.valueMin = 0
        if sl.chart == "stacked":
            bc.categoryAxis.style = "stacked"
        for i in range(len(data)):
            bc.bars[i].fillColor = palette[i % len(palette)]
        d.add(bc)
        if len(data) > 1:                                  # a colour key for the series
            bc.y, bc.height = 70, h - 90
            leg = Legend()
            leg.x, leg.y, leg.fontSize, leg.columnMaximum, leg.deltax = left, 40, 7, 2, 130
            leg.alignment = "right"
            leg.colorNamePairs = [(palette[i % len(palette)], str(n)[:28]) for i, n in enumerate(sl.series)]
            d.add(leg)
        return d

    for sl in report.slides[1:]:
        story += [PageBreak(), Paragraph(escape(sl.title), styles["Heading1"])]
        drawing = chart(sl)
        side = None
        if sl.table:
            rows = [[Paragraph(escape(str(c)), styles["BodyText"]) for c in r] for r in sl.table[:16]]
            n = len(sl.table[0])
            side = Table(rows, repeatRows=1, colWidths=[width * 0.4 * (0.34 if n > 2 else 0.6)]
                         + [width * 0.4 * ((0.66 if n > 2 else 0.4) / (n - 1))] * (n - 1))
            side.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 7), ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                      ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4"))]))
        elif sl.bullets and sl.chart != "bubble":
            side = [Paragraph("• " + escape(b), styles["BodyText"]) for b in sl.bullets]
        if drawing is not None and side is not None:
            story.append(Table([[drawing, side]], colWidths=[width * 0.6, width * 0.4],
                               style=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
        elif drawing is not None:
            story.append(drawing)
        elif side is not None:
            story += side if isinstance(side, list) else [side]
        if sl.note:
            story += [Spacer(1, 0.4 * cm), Paragraph(escape(sl.note), styles["Italic"])]
    doc.build(story)
    return buf.getvalue()
