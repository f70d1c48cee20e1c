"""The pack as a PDF drawn with reportlab (no browser or office suite at run time): a page per
slide with the action title, the chart as vector graphics (axes and labels in the pack's
language, values from zero, the legend under the plot), the table fitted to its box and
continued on the next page, the coverage note."""

from __future__ import annotations

import io
from dataclasses import replace
from xml.sax.saxutils import escape

from .. import format as fmt
from . import layout as lo
from .content import Report, Slide
from .template import PALETTE, series_colours

PAGE_W, PAGE_H = 842.0, 595.0          # A4 landscape, points
MARGIN = 36.0


def palette(colours_hex: list[str] | None = None) -> dict:
    """The colours a drawing uses: the series (the template's accents, else the app's), grid,
    white and text."""
    from reportlab.lib import colors
    hexes = colours_hex or list(PALETTE)
    return {"hex": hexes, "series": [colors.HexColor("#" + c) for c in hexes], "grid": colors.HexColor("#D9D9D9"),
            "white": colors.white, "text": colors.HexColor("#262626")}


def chart_drawing(sl: Slide, w: float, h: float, lang: str, colours):
    """A slide's chart as a reportlab Drawing of ``w`` x ``h`` points (the pack's PDF, the plan's papers)."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.lineplots import ScatterPlot
    from reportlab.graphics.shapes import Circle, Drawing, Group, String
    from reportlab.lib import colors

    ch = sl.chart
    d = Drawing(w, h)
    decimals = 1 if ch.unit == "msek" else 0

    def number(v):
        return fmt.number(v, lang, decimals)
    if ch.kind == "bubble":
        pts = next(iter(ch.series.values()))
        sp = ScatterPlot()
        sp.x, sp.y, sp.width, sp.height = 40, 34, w - 55, h - 44
        sp.data = [[(x, y) for x, y, _ in pts]]
        for axis in (sp.xValueAxis, sp.yValueAxis):
            axis.valueMin, axis.valueMax, axis.valueStep = 0, 5.6, 1
            axis.valueSteps = [1, 2, 3, 4, 5]
            axis.labelTextFormat = lambda v: f"{v:.0f}"
            axis.labels.fontSize = 9
        sp.xValueAxis.visibleGrid = sp.yValueAxis.visibleGrid = True
        sp.xValueAxis.gridStrokeColor = sp.yValueAxis.gridStrokeColor = colours["grid"]
        sp.lineLabelFormat = None
        sp.xLabel = sp.yLabel = ""
        sp.lines[0].strokeColor = None
        sp.lines[0].symbol = None
        d.add(sp)
        d.add(String(sp.x + sp.width / 2, 4, ch.axes[0], fontSize=9, textAnchor="middle"))
        g = Group(String(0, 0, ch.axes[1], fontSize=9, textAnchor="middle"))
        g.translate(12, sp.y + sp.height / 2)
        g.rotate(90)
        d.add(g)
        radii = lo.bubble_radii([s for _, _, s in pts], 0.12 * min(sp.width, sp.height))
        # placement works with y growing downwards
        centres = [(sp.x + x / 5.6 * sp.width, h - (sp.y + y / 5.6 * sp.height), r) for (x, y, _), r in zip(pts, radii)]
        labels = lo.place_labels(centres, ch.names, ch.numbers, plot=(sp.x, h - sp.y - sp.height, sp.width, sp.height),
                                 size=8, max_width=100)
        for cx, cy, r in sorted(centres, key=lambda c: -c[2]):      # small bubbles over large ones
            d.add(Circle(cx, h - cy, r, fillColor=colours["series"][0], fillOpacity=0.65, strokeColor=colours["white"]))
        for lab in labels:
            bx, by, bw, _ = lab.box
            for k, line in enumerate(lab.text.split("\n")):
                d.add(String(bx + bw / 2, h - by - (k + 1) * 8 * lo.LINE + 2, line, fontSize=8, textAnchor="middle",
                             fillColor=colours["white"] if lab.position == "center" else colours["text"]))
        return d
    horizontal = ch.kind in ("bar", "stacked")
    bc = HorizontalBarChart() if horizontal else VerticalBarChart()
    cats = [lo.shorten(str(c), 130 if horizontal else 90, 8) for c in ch.categories]
    data = [[v or 0 for v in vs] for vs in ch.series.values()]
    if horizontal:
        cats, data = cats[::-1], [v[::-1] for v in data]
    legend_h = 16 * ((len(data) + 2) // 3) if len(data) > 1 else 0
    left = 140 if horizontal else 36
    bottom = (20 if horizontal else 46) + legend_h
    bc.x, bc.y, bc.width, bc.height = left, bottom, w - left - 30, h - bottom - 8
    bc.data = data
    bc.categoryAxis.categoryNames = cats
    bc.categoryAxis.labels.fontSize = 8
    if not horizontal:
        bc.categoryAxis.labels.angle = 30 if len(cats) > 6 else 0
        bc.categoryAxis.labels.boxAnchor = "ne" if len(cats) > 6 else "n"
    bc.valueAxis.labels.fontSize = 8
    bc.valueAxis.labelTextFormat = lambda v: fmt.number(v, lang, 0)      # whole numbers on the axis
    values = [v for vs in data for v in vs]
    bc.valueAxis.valueMin = 0 if not values or min(values) >= 0 else None
    if ch.kind == "stacked":
        bc.categoryAxis.style = "stacked"
    else:
        bc.barLabelFormat = number
        bc.barLabels.fontSize = 7
        bc.barLabels.nudge = 8
    series = [colors.HexColor("#" + c) for c in series_colours(colours["hex"], len(data))]
    for i in range(len(data)):
        bc.bars[i].fillColor = series[i % len(series)]
        bc.bars[i].strokeColor = None
    d.add(bc)
    if len(data) > 1:                        # the colour key under the plot and its labels
        leg = Legend()
        leg.x, leg.y = left, legend_h - 2
        leg.fontSize, leg.columnMaximum, leg.deltax, leg.dx, leg.dy = 8, (len(data) + 2) // 3, 150, 8, 8
        leg.alignment = "right"
        leg.colorNamePairs = [(series[i % len(series)], lo.shorten(str(n), 130, 8))
                              for i, n in enumerate(ch.series)]
        d.add(leg)
    return d


def _table(table, rows, texts, fit):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle
    header = [c.header for c in table.columns]
    numeric = table.numeric()
    data = [header] + [texts[i] for i in rows]
    t = Table(data, colWidths=fit.widths, rowHeights=[fit.header_height] + [fit.row_heights[i] for i in rows])
    style = [("FONTSIZE", (0, 0), (-1, -1), fit.size), ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BFBFBF")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (-1, -1), fit.pad_x), ("RIGHTPADDING", (0, 0), (-1, -1), fit.pad_x),
             ("TOPPADDING", (0, 0), (-1, -1), fit.pad_y), ("BOTTOMPADDING", (0, 0), (-1, -1), fit.pad_y)]
    style += [("ALIGN", (j, 1), (j, -1), "RIGHT") for j, n in enumerate(numeric) if n]
    if table.total and rows and rows[-1] == len(table.rows) - 1:
        style.append(("FONTNAME", (0, len(rows)), (-1, len(rows)), "Helvetica-Bold"))
    t.setStyle(TableStyle(style))
    # wrapped cells: reportlab draws one line per '\n'
    for r, row in enumerate(data):
        for j, text in enumerate(row):
            t._cellvalues[r][j] = "\n".join(lo.wrap(str(text), fit.widths[j] - 2 * fit.pad_x, fit.size, r == 0))
    return t


def to_pdf(report: Report, colours_hex: list[str] | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    colours = palette(colours_hex)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_W, PAGE_H))
    c.setTitle(report.title)
    L = report.lang
    cw = PAGE_W - 2 * MARGIN
    first = report.slides[0]
    c.setFont("Helvetica-Bold", 30)
    c.setFillColor(colours["series"][0])
    c.drawString(MARGIN, PAGE_H * 0.55, first.title)
    c.setFillColor(colours["text"])
    c.setFont("Helvetica", 14)
    for i, b in enumerate(first.bullets):
        c.drawString(MARGIN, PAGE_H * 0.55 - 34 - 20 * i, lo.shorten(b, cw, 14))
    c.showPage()

    def page(title: str) -> float:
        """A new page with its title; returns the y (from the top) where the content starts."""
        size = lo.title_size(title, cw, 60, 22, 14)
        lines = lo.wrap(title, cw, size, bold=True)
        c.setFont("Helvetica-Bold", size)
        c.setFillColor(colours["series"][0])
        for i, line in enumerate(lines):
            c.drawString(MARGIN, PAGE_H - MARGIN - size - i * size * lo.LINE, line)
        c.setFillColor(colours["text"])
        return MARGIN + len(lines) * size * lo.LINE + 12

    def note(text: str) -> None:
        c.setFont("Helvetica-Oblique", 8)
        c.setFillColor(colors.HexColor("#595959"))
        for i, line in enumerate(lo.wrap(text, cw, 8)[:2]):
            c.drawString(MARGIN, MARGIN - 10 - i * 10 + 10, line)
        c.setFillColor(colours["text"])

    def draw_at(flowable, x: float, top: float, w: float, h: float) -> None:
        _, fh = flowable.wrap(w, h)
        flowable.drawOn(c, x, PAGE_H - top - fh)

    body_style = ParagraphStyle("b", fontName="Helvetica", fontSize=12, leading=16)
    for sl in report.slides[1:]:
        top = page(sl.title)
        bottom = MARGIN + 22
        area_h = PAGE_H - top - bottom
        texts = sl.table.texts(L) if sl.table else []
        nowrap = sl.table.nowrap() if sl.table else []
        header = [col.header for col in sl.table.columns] if sl.table else []
        has_side = bool(sl.table) or (bool(sl.bullets) and sl.chart is not None and sl.chart.kind != "bubble")
        chart_w = cw * 0.6 if has_side else cw
        rest = None
        if sl.chart is not None:
            side_w = cw - chart_w - 18
            side_fit = lo.fit_table(header, texts, side_w, area_h, nowrap=nowrap, largest=10, smallest=8,
                                    keep_last=sl.table.total) if sl.table else None
            if sl.table and (len(side_fit.pages) > 1 or not side_fit.fits):
                chart_w, has_side = cw, False
                rest = lo.fit_table(header, texts, cw, area_h - 14, nowrap=nowrap, largest=11, smallest=8,
                                    keep_last=sl.table.total)
            c.setFont("Helvetica", 10)
            c.setFillColor(colors.HexColor("#595959"))
            c.drawString(MARGIN, PAGE_H - top - 10, lo.shorten(sl.chart.caption, chart_w, 10))
            c.setFillColor(colours["text"])
            d = chart_drawing(sl, chart_w, area_h - 18, L, colours)
            d.drawOn(c, MARGIN, bottom)
            sx = MARGIN + chart_w + 18
            if has_side and sl.table:
                draw_at(_table(sl.table, side_fit.pages[0], texts, side_fit), sx, top, side_w, area_h)
            elif has_side and sl.bullets:
                y = top
                for b in sl.bullets:
                    p = Paragraph("• " + escape(b), body_style)
                    _, ph = p.wrap(side_w, area_h)
                    p.drawOn(c, sx, PAGE_H - y - ph)
                    y += ph + 6
        else:
            y = top
            if sl.message:
                c.setFont("Helvetica-Bold", 28)
                c.setFillColor(colours["series"][0])
                c.drawCentredString(PAGE_W / 2, PAGE_H - top - (40 if sl.table else area_h * 0.45), sl.message)
                c.setFillColor(colours["text"])
                y += 64
            if sl.table:
                fit = lo.fit_table(header, texts, cw, PAGE_H - y - bottom, nowrap=nowrap, largest=11, smallest=8,
                                   keep_last=sl.table.total)
                draw_at(_table(sl.table, fit.pages[0], texts, fit), MARGIN, y, cw, PAGE_H - y - bottom)
                if len(fit.pages) > 1:
                    rest = replace(fit, pages=fit.pages[1:])
        if sl.note:
            note(sl.note)
        c.showPage()
        if rest is not None:
            for n, rows in enumerate(rest.pages, start=1):
                t2 = page(f"{sl.title} ({n}/{len(rest.pages)})" if len(rest.pages) > 1 else sl.title)
                draw_at(_table(sl.table, rows, texts, rest), MARGIN, t2, cw, PAGE_H - t2 - bottom)
                if sl.note:
                    note(sl.note)
                c.showPage()
    c.save()
    return buf.getvalue()
