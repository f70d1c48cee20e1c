"""The pack as PowerPoint: the template's (or the default's) layouts, fonts and colours; native,
editable charts with data labels and axes in the pack's language; tables that fit their slide
and continue on the next; a slide that has nothing to chart says so in words.

Numbers on charts carry a number format with the language's locale ([$-41D] Swedish, [$-809]
English), so PowerPoint and LibreOffice show 1 234,5 or 1,234.5 whatever the viewer's settings;
table cells and titles are texts from analytics.format.
"""

from __future__ import annotations

import io
from dataclasses import replace
from functools import cache

from lxml import etree

from . import layout as lo
from .content import Report, Slide, Table
from .template import Look, open_template, series_colours

EMU_PER_PT = 12700
LCID = {"sv": "[$-41D]", "en": "[$-809]"}
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
MAX_LABELLED = 24            # columns/bars with a value label each; more get a value axis


@cache
def _chart_data_class():
    """python-pptx's CategoryChartData whose embedded workbook (the chart's "Edit data") writes
    every text as text: a supplier named =HYPERLINK(...) stays a name, never a live formula."""
    from contextlib import contextmanager

    from pptx.chart.data import CategoryChartData
    from pptx.chart.xlsx import CategoryWorkbookWriter
    from pptx.util import lazyproperty
    from xlsxwriter import Workbook

    class TextOnlyWriter(CategoryWorkbookWriter):
        @contextmanager
        def _open_worksheet(self, xlsx_file):
            workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
            worksheet = workbook.add_worksheet()
            yield workbook, worksheet
            workbook.close()

    class SafeCategoryChartData(CategoryChartData):
        @lazyproperty
        def _workbook_writer(self):
            return TextOnlyWriter(self)

    return SafeCategoryChartData


def pt(emu: int) -> float:
    return emu / EMU_PER_PT


def emu(points: float) -> int:
    return int(points * EMU_PER_PT)


def number_format(unit: str, lang: str, decimals: bool = True) -> str:
    """The chart number format: MSEK with one decimal (whole on an axis), counts whole, in the
    language's locale."""
    return LCID.get(lang, LCID["sv"]) + ("#,##0.0" if unit == "msek" and decimals else "#,##0")


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor
    return RGBColor.from_string(hex_colour)


def _set_title(slide, text: str, box: tuple[int, int, int, int], start: float) -> None:
    from pptx.util import Pt
    title = slide.shapes.title
    title.text = text
    size = lo.title_size(text, pt(box[2]) - 14, pt(box[3]) - 8, start)
    for p in title.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(size)
    title.text_frame.word_wrap = True


def _drop_empty_placeholders(slide) -> None:
    for ph in list(slide.placeholders):
        if ph.placeholder_format.type is not None and ph != slide.shapes.title and not ph.has_text_frame or ph != slide.shapes.title and ph.has_text_frame and not ph.text_frame.text.strip():
            ph._element.getparent().remove(ph._element)


def _textbox(slide, box, lines: list[str], size: float, *, colour: str | None = None, bold: bool = False,
             align=None, font: str | None = None):
    from pptx.util import Pt
    tb = slide.shapes.add_textbox(*box)
    tf = tb.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = line
        if align is not None:
            p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
            if font:
                r.font.name = font
            if colour:
                r.font.color.rgb = _rgb(colour)
    return tb


def _plot_layout(chart, x: float, y: float, w: float, h: float) -> None:
    """Fix the plot area inside the chart frame (fractions), so label placement knows where
    the bubbles are."""
    plot_area = chart._chartSpace.find(f".//{{{_C}}}plotArea")
    old = plot_area.find(f"{{{_C}}}layout")
    if old is not None:
        plot_area.remove(old)
    lay = etree.SubElement(plot_area, f"{{{_C}}}layout")
    plot_area.remove(lay)
    plot_area.insert(0, lay)
    ml = etree.SubElement(lay, f"{{{_C}}}manualLayout")
    for tag, val in (("layoutTarget", "inner"), ("xMode", "edge"), ("yMode", "edge"),
                     ("x", x), ("y", y), ("w", w), ("h", h)):
        etree.SubElement(ml, f"{{{_C}}}{tag}", val=str(val))


def _axis_font(axis, size: float, font: str) -> None:
    from pptx.util import Pt
    axis.tick_labels.font.size = Pt(size)
    axis.tick_labels.font.name = font


def _add_chart(slide, sl: Slide, box, look_: Look, lang: str) -> None:
    from pptx.chart.data import BubbleChartData
    from pptx.enum.chart import (
        XL_CHART_TYPE,
        XL_LABEL_POSITION,
        XL_LEGEND_POSITION,
        XL_TICK_LABEL_POSITION,
    )
    from pptx.util import Pt

    ch = sl.chart
    fmt_code = number_format(ch.unit, lang)
    left, top, width, height = box
    # the chart's caption (what it shows, with the unit) above it
    cap_h = emu(20)
    _textbox(slide, (left, top, width, cap_h), [ch.caption], 12, colour="595959", font=look_.font)
    top, height = top + cap_h, height - cap_h
    if ch.kind == "bubble":
        data = BubbleChartData(number_format="0")
        points = next(iter(ch.series.values()))
        draw = sorted(range(len(points)), key=lambda i: -points[i][2])     # small bubbles over large ones
        ser = data.add_series(next(iter(ch.series)))
        for i in draw:
            ser.add_data_point(*points[i])
        chart = slide.shapes.add_chart(XL_CHART_TYPE.BUBBLE, left, top, width, height, data).chart
        chart.has_legend = False
        chart.has_title = False
        chart.font.size, chart.font.name = Pt(11), look_.font
        px, py, pw, ph = 0.07, 0.03, 0.9, 0.85
        _plot_layout(chart, px, py, pw, ph)
        for axis, title in ((chart.category_axis, ch.axes[0]), (chart.value_axis, ch.axes[1])):
            axis.minimum_scale, axis.maximum_scale, axis.major_unit = 0, 5.6, 1
            axis.tick_labels.number_format, axis.tick_labels.number_format_is_linked = "0;;", False
            axis.has_major_gridlines = True
            axis.major_gridlines.format.line.color.rgb = _rgb("D9D9D9")
            axis.has_title = True
            axis.axis_title.text_frame.text = title
            axis.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
            _axis_font(axis, 11, look_.font)
        plot = chart.plots[0]
        plot.bubble_scale = 80
        ser = plot.series[0]
        ser.format.fill.solid()
        ser.format.fill.fore_color.rgb = _rgb(look_.colours[0])
        ser.format.line.color.rgb = _rgb("FFFFFF")          # a bubble inside a larger one stays visible
        # where the bubbles are in points on the slide: the plot area, the axes 0-5.6
        pl, ptp, pwd, pht = pt(left) + px * pt(width), pt(top) + py * pt(height), pw * pt(width), ph * pt(height)
        radii = lo.bubble_radii([s for _, _, s in points], 0.1 * min(pwd, pht))   # bubble_scale 80: 20 % wide
        centres = [(pl + x / 5.6 * pwd, ptp + pht - y / 5.6 * pht, r) for (x, y, _), r in zip(points, radii)]
        labels = lo.place_labels(centres, ch.names, ch.numbers, plot=(pl, ptp, pwd, pht), size=10, max_width=105)
        positions = {"above": XL_LABEL_POSITION.ABOVE, "below": XL_LABEL_POSITION.BELOW,
                     "right": XL_LABEL_POSITION.RIGHT, "left": XL_LABEL_POSITION.LEFT,
                     "center": XL_LABEL_POSITION.CENTER}
        for i, lab in enumerate(labels):
            dl = ser.points[draw.index(i)].data_label
            dl.text_frame.text = lab.text                 # a line break makes a paragraph: two lines exactly
            for p in dl.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(10)
                    if lab.position == "center":
                        run.font.color.rgb = _rgb("FFFFFF")
                        run.font.bold = True
            dl.position = positions[lab.position]
        return
    kinds = {"bar": XL_CHART_TYPE.BAR_CLUSTERED, "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
             "clustered": XL_CHART_TYPE.COLUMN_CLUSTERED, "stacked": XL_CHART_TYPE.BAR_STACKED}
    data = _chart_data_class()(number_format=fmt_code)
    data.categories = [str(c) for c in ch.categories]
    for name, values in ch.series.items():
        data.add_series(str(name), values)
    chart = slide.shapes.add_chart(kinds[ch.kind], left, top, width, height, data).chart
    chart.has_title = False
    chart.font.size, chart.font.name = Pt(11), look_.font
    chart.has_legend = len(ch.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(10)
    plot = chart.plots[0]
    plot.gap_width = 60
    if ch.kind == "stacked":
        plot.overlap = 100
    colours = series_colours(look_.colours, len(plot.series))
    for i, ser in enumerate(plot.series):
        ser.format.fill.solid()
        ser.format.fill.fore_color.rgb = _rgb(colours[i % len(colours)])
        ser.invert_if_negative = False
    values = [v for vs in ch.series.values() for v in vs if v is not None]
    va = chart.value_axis
    if not values or min(values) >= 0:
        va.minimum_scale = 0                          # bars and columns start at zero
    va.tick_labels.number_format, va.tick_labels.number_format_is_linked = number_format(ch.unit, lang, False), False
    _axis_font(va, 10, look_.font)
    _axis_font(chart.category_axis, 10 if len(ch.categories) <= 12 else 9, look_.font)
    va.has_major_gridlines = False
    labelled = ch.kind != "stacked" and len(ch.categories) * len(ch.series) <= MAX_LABELLED
    if labelled:                                       # each bar says its value; the axis is not needed
        plot.has_data_labels = True
        dl = plot.data_labels
        dl.number_format, dl.number_format_is_linked = fmt_code, False
        dl.show_value = True
        dl.position = XL_LABEL_POSITION.OUTSIDE_END
        dl.font.size = Pt(10)
        va.tick_label_position = XL_TICK_LABEL_POSITION.NONE
        va.visible = False
    else:
        va.has_major_gridlines = True
        va.major_gridlines.format.line.color.rgb = _rgb("D9D9D9")
    if ch.kind in ("bar", "stacked"):
        chart.category_axis.reverse_order = True      # the largest at the top, as on screen
    chart.category_axis.format.line.color.rgb = _rgb("A6A6A6")


def _add_table(slide, table: Table, rows: list[int], texts: list[list[str]], fit: lo.TableFit, box, look_: Look) -> None:
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Pt
    left, top, _, _ = box
    header = [c.header for c in table.columns]
    numeric = table.numeric()
    height = fit.header_height + sum(fit.row_heights[i] for i in rows)
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, emu(sum(fit.widths)), emu(height))
    tbl = shape.table
    for j, w in enumerate(fit.widths):
        tbl.columns[j].width = emu(w)
    tbl.rows[0].height = emu(fit.header_height)
    last = len(table.rows) - 1
    for r, i in enumerate(rows, start=1):
        tbl.rows[r].height = emu(fit.row_heights[i])
    for r, cells in enumerate([header] + [texts[i] for i in rows]):
        for j, text in enumerate(cells):
            cell = tbl.cell(r, j)
            inner = fit.widths[j] - 2 * fit.pad_x
            words = [w if lo.text_width(w, fit.size, r == 0) <= inner else lo.shorten(w, inner, fit.size, r == 0)
                     for w in str(text).split(" ")]
            cell.text = " ".join(words)
            cell.margin_left = cell.margin_right = emu(fit.pad_x)
            cell.margin_top = cell.margin_bottom = emu(fit.pad_y)
            for p in cell.text_frame.paragraphs:
                p.alignment = PP_ALIGN.RIGHT if numeric[j] and r > 0 else PP_ALIGN.LEFT
                for run in p.runs:
                    run.font.size = Pt(fit.size)
                    run.font.name = look_.font
                    if r > 0 and table.total and rows[r - 1] == last:
                        run.font.bold = True


def to_pptx(report: Report, template: bytes | None = None, template_name: str = "mall.pptx") -> bytes:
    """The pack as .pptx on the template (or the default look)."""
    from pptx.enum.text import PP_ALIGN

    prs, lk = open_template(template, template_name)
    W, H = prs.slide_width, prs.slide_height
    L = report.lang
    cleft, ctop, cwidth, cheight = lk.content
    note_h = emu(22)
    pages: list = []

    def new_slide(title: str):
        slide = prs.slides.add_slide(lk.content_layout)
        _set_title(slide, title, lk.title_box, min(lk.title_size, 30))
        _drop_empty_placeholders(slide)
        pages.append(slide)
        return slide

    first = report.slides[0]
    s = prs.slides.add_slide(lk.title_layout)
    s.shapes.title.text = first.title
    body = [ph for ph in s.placeholders if ph != s.shapes.title and ph.has_text_frame]
    if body:
        body[0].text_frame.text = "\n".join(first.bullets)
    else:
        _textbox(s, (cleft, ctop + cheight // 2, cwidth, cheight // 3), first.bullets, 16, font=lk.font)
    _drop_empty_placeholders(s)

    for sl in report.slides[1:]:
        has_side = bool(sl.table) or (bool(sl.bullets) and sl.chart is not None and sl.chart.kind != "bubble")
        area_h = cheight - (note_h if sl.note else 0)
        texts = sl.table.texts(L) if sl.table else []
        nowrap = sl.table.nowrap() if sl.table else []
        header = [c.header for c in sl.table.columns] if sl.table else []
        slide = new_slide(sl.title)
        gap = int(cwidth * 0.03)
        chart_w = int(cwidth * 0.6) if has_side else cwidth
        side = (cleft + chart_w + gap, ctop, cwidth - chart_w - gap, area_h)
        table_pages: list = []
        if sl.chart is not None:
            side_fit = lo.fit_table(header, texts, pt(side[2]), pt(side[3]), nowrap=nowrap, largest=12,
                                    smallest=10, keep_last=sl.table.total) if sl.table else None
            if sl.table and (len(side_fit.pages) > 1 or not side_fit.fits):
                chart_w, has_side = cwidth, False       # the table gets slides of its own
                table_pages = lo.fit_table(header, texts, pt(cwidth), pt(area_h) - 4, nowrap=nowrap,
                                           keep_last=sl.table.total, largest=13)
            _add_chart(slide, sl, (cleft, ctop, chart_w, area_h), lk, L)
            if has_side and sl.table:
                _add_table(slide, sl.table, side_fit.pages[0], texts, side_fit, side, lk)
            elif has_side and sl.bullets:
                size = 16
                while size > 10 and sum(len(lo.wrap(b, pt(side[2]) - 14, size)) for b in sl.bullets) * size * 1.5 > pt(side[3]):
                    size -= 1
                _textbox(slide, side, sl.bullets, size, font=lk.font)
        else:
            msg_h = emu(70) if sl.message else 0
            if sl.message:
                _textbox(slide, (cleft, ctop + (0 if sl.table else int(area_h * 0.3)), cwidth, msg_h), [sl.message], 36,
                         colour=lk.colours[0], bold=True, align=PP_ALIGN.CENTER, font=lk.font)
            if sl.table:
                fit = lo.fit_table(header, texts, pt(cwidth), pt(area_h - msg_h) - 4, nowrap=nowrap,
                                   keep_last=sl.table.total, largest=13)
                _add_table(slide, sl.table, fit.pages[0], texts, fit, (cleft, ctop + msg_h, cwidth, area_h - msg_h), lk)
                table_pages = replace(fit, pages=fit.pages[1:]) if len(fit.pages) > 1 else []
        if sl.note:
            _textbox(slide, (cleft, ctop + cheight - note_h, cwidth, note_h), [sl.note], 10, colour="595959", font=lk.font)
        if table_pages and table_pages.pages:
            total = len(table_pages.pages)
            for n, rows in enumerate(table_pages.pages, start=1):
                cont = f"{sl.title} ({n}/{total})" if total > 1 else sl.title
                ts = new_slide(cont)
                _add_table(ts, sl.table, rows, texts, table_pages, (cleft, ctop, cwidth, area_h), lk)
                if sl.note:
                    _textbox(ts, (cleft, ctop + cheight - note_h, cwidth, note_h), [sl.note], 10, colour="595959",
                             font=lk.font)
    total = len(pages) + 1
    for n, slide in enumerate(pages, start=2):          # page numbers, bottom right
        _textbox(slide, (W - emu(90), H - emu(30), emu(70), emu(20)), [f"{n} / {total}"], 9, colour="7F7F7F",
                 align=PP_ALIGN.RIGHT, font=lk.font)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
