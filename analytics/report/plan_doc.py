"""A category plan as papers for the council: Word (.docx, python-docx) and PDF (reportlab), in
Swedish or English. ``content`` gathers the plan (its newest version), the data sections' figures,
tables and the spend chart, the decision history and the KPIs; ``to_docx`` and ``to_pdf`` lay
them out (the chart as a picture in Word, as vector graphics in the PDF)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from .. import format as fmt
from .. import kpis, plans
from .. import prioritise as pr
from ..categories import category_names
from ..texts import translate
from .content import Chart, Column, Slide, Table, kpi_table


@dataclass
class Part:
    """One section of the paper: its heading, paragraphs, tables, an optional chart."""
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None


@dataclass
class Paper:
    title: str
    lang: str
    facts: list[tuple[str, str]]
    parts: list[Part]


def content(cur, initiative_id: int, lang: str = "sv", today: dt.date | None = None) -> Paper:
    """What the paper says, in ``lang``."""
    def T(key: str, **p) -> str:
        return translate(lang, key, **p)
    it = plans.initiative(cur, initiative_id)
    plan = plans.load(cur, initiative_id)
    names = category_names(cur)
    rows = plans.decisions(cur, initiative_id).to_dict("records")
    st = plans.state(rows)
    figs = plans.figures(cur, it.category_ids, today=today)
    end = pr.default_window_end(cur)
    window = f"{pr.window(end)[0]:%Y-%m} – {pr.window(end)[1]:%Y-%m}" if end else "–"
    facts = [(T("plan.f_status"), T(f"pri.status_{it.status}")),
             (T("plan.f_gate"), T(f"plan.gate_{st['passed'][-1]}") if st["passed"] else "–"),
             (T("plan.f_next"), f"{T('plan.gate_' + st['next'])} ({' + '.join(st['waiting'])})" if st["next"] else "–"),
             (T("plan.f_categories"), "; ".join(" / ".join(names[c]["path"]) for c in it.category_ids if c in names) or "–"),
             (T("plan.f_owner"), it.owner or "–"),
             (T("plan.f_version"), T("plan.version_of", version=plan.version, who=plan.saved_by or "–",
                                      when=fmt.date(plan.saved_at, lang)) if plan.version else T("plan.not_saved")),
             (T("plan.f_window"), window), (T("plan.f_made"), fmt.date(today or dt.date.today(), lang))]
    parts = []
    for n, key in enumerate(plans.SECTIONS, start=1):
        part = Part(f"{n}. {T('plan.section_' + key)}", _paragraphs(plan.texts.get(key)))
        if key in ("staffing", "stakeholders"):
            people = [p for p in plan.people if p.get("section") == key]
            if people:
                part.tables.append(Table([Column(T("plan.col_person")), Column(T("plan.col_role"))],
                                         [[p.get("name"), p.get("role") or "–"] for p in people]))
        elif key == "power_balance":
            part.tables.append(Table([Column(T("plan.col_figure")), Column(T("plan.col_value"))], [
                [T("plan.fig_suppliers"), fmt.number(figs["suppliers"], lang)],
                [T("plan.fig_n80"), fmt.number(figs["n80"], lang) if figs["n80"] is not None else "–"],
                [T("plan.fig_top_share"), fmt.percent(figs["top_share"], lang)],
                [T("plan.fig_top5_share"), fmt.percent(figs["top5_share"], lang)]]))
            part.paragraphs.append(T("plan.power_hint"))
        elif key == "spend_analysis":
            sa = plans.spend_analysis(cur, it.category_ids, end)
            part.tables.append(Table([Column(T("plan.col_figure")), Column(T("plan.col_value"))], [
                [T("plan.fig_spend"), fmt.msek(figs["spend"], lang)],
                [T("plan.fig_prev"), fmt.msek(figs["prev_spend"], lang) if figs["prev_spend"] is not None else "–"],
                [T("plan.fig_trend"), fmt.percent(figs["trend"], lang)],
                [T("plan.fig_suppliers"), fmt.number(figs["suppliers"], lang)],
                [T("plan.fig_classified"), fmt.percent(figs["classified_share"], lang)]]))
            if len(sa["quarters"]):
                part.chart = Chart("column", T("plan.c_spend"), list(sa["quarters"].quarter),
                                   {T("rep.spend_msek"): [round(float(v) / 1e6, 6) for v in sa["quarters"].spend]})
            if len(sa["suppliers"]):
                part.tables.append(Table([Column(T("col.supplier_name")), Column(T("rep.spend_msek"), "msek"),
                                          Column(T("measure.share"), "share"), Column("ABC")],
                                         [[r.supplier, float(r.spend), r.share, r.abc] for r in sa["suppliers"].itertuples()]))
        elif key == "price_breakdown" and plan.prices:
            part.tables.append(Table([Column(T("plan.col_component")), Column(T("plan.col_share"), "share"),
                                      Column(T("plan.col_note"))],
                                     [[r.get("component"), r.get("share"), r.get("note") or ""] for r in plan.prices]))
        elif key == "contract_analysis":
            ca = plans.contract_analysis(cur, it.category_ids, today)
            if ca is None:
                part.paragraphs.append(T("plan.no_register"))
            else:
                part.paragraphs.append(T("plan.compliance_line", share=fmt.percent(figs["contract_share"], lang),
                                         on=fmt.msek(figs["on_contract"], lang), n=len(ca["contracts"]),
                                         ending=figs["ending_12"] or 0))
                if len(ca["contracts"]):
                    part.tables.append(Table([Column(T("ctr.col_contract")), Column(T("ctr.col_owner")),
                                              Column(T("ctr.col_last_day"), "date"), Column(T("rep.yearly_msek"), "msek")],
                                             [[f"{r.contract_id} {r.name}", r.owner or "–",
                                               None if r.last_day != r.last_day or r.last_day is None else r.last_day.date(),
                                               float(r.yearly_spend)] for r in ca["contracts"].itertuples()]))
                if len(ca["off"]):
                    part.tables.append(Table([Column(T("plan.col_off_supplier")), Column(T("rep.spend_msek"), "msek")],
                                             [[r.supplier, float(r.spend)] for r in ca["off"].itertuples()]))
        elif key == "projects" and plan.projects:
            part.tables.append(Table([Column(T("plan.col_project")), Column(T("plan.col_saving"), "money"),
                                      Column(T("pri.col_start"), "period"), Column(T("plan.col_initiative"))],
                                     [[p.get("name"), p.get("saving_sek"), p.get("start") or "–",
                                       str(p["initiative_id"]) if p.get("initiative_id") else "–"] for p in plan.projects]))
        if not part.paragraphs and not part.tables and part.chart is None:
            part.paragraphs.append(T("plan.empty_section"))
        parts.append(part)
    dec = Part(T("plan.decisions"))
    if rows:
        dec.tables.append(Table([Column(T("plan.col_date"), "date"), Column(T("plan.col_forum")), Column(T("plan.col_gate")),
                                 Column(T("plan.col_decision")), Column(T("plan.col_minute"))],
                                [[r["decided_on"].date() if hasattr(r["decided_on"], "date") else r["decided_on"], r["forum"],
                                  T("plan.gate_" + r["gate"]), T("plan.decision_" + r["decision"]), r["minute"]]
                                 for r in rows]))
    else:
        dec.paragraphs.append(T("plan.no_decisions"))
    parts.append(dec)
    kp = Part(T("plan.kpis"))
    table = kpis.table(cur, it.category_ids)
    if len(table):
        kp.tables.append(kpi_table(table, T, lang, area=False))
    else:
        kp.paragraphs.append(T("plan.no_kpis"))
    parts.append(kp)
    return Paper(T("plan.paper_title", name=it.name), lang, facts, parts)


def _paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]


def _chart_png(chart: Chart, lang: str, width: int = 1400, height: int = 620) -> bytes:
    """A column chart of the chart's first series as a PNG picture for Word (drawn with Pillow:
    bars from zero in the app's colour, the values above them in ``lang``, the categories under)."""
    from PIL import Image, ImageDraw, ImageFont

    from .template import PALETTE
    values = [float(v or 0) for v in next(iter(chart.series.values()), [])]
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=26)
    left, right, top, bottom = 40, 20, 60, 70
    top_value = max([v for v in values if v > 0] or [1.0])
    plot_h, n = height - top - bottom, max(len(values), 1)
    slot = (width - left - right) / n
    draw.line([(left, height - bottom), (width - right, height - bottom)], fill="#7f7f7f", width=2)
    for i, (label, v) in enumerate(zip(chart.categories, values)):
        x0 = left + i * slot + slot * 0.15
        x1 = left + (i + 1) * slot - slot * 0.15
        y = height - bottom - max(v, 0) / top_value * plot_h
        draw.rectangle([x0, y, x1, height - bottom], fill="#" + PALETTE[0])
        text = fmt.number(v, lang, 1)
        draw.text(((x0 + x1) / 2, y - 8), text, fill="#262626", font=font, anchor="ms")
        draw.text(((x0 + x1) / 2, height - bottom + 12), str(label), fill="#404040", font=font, anchor="mt")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def to_docx(paper: Paper) -> bytes:
    """The paper as a Word document: title, the facts, each section as a numbered heading with
    its text, tables and chart, the decisions and the KPIs."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    doc.core_properties.title = paper.title
    doc.add_heading(paper.title, level=0)
    facts = doc.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for k, v in paper.facts:
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = k, v
        cells[0].paragraphs[0].runs[0].bold = True
    for part in paper.parts:
        doc.add_heading(part.heading, level=1)
        for p in part.paragraphs:
            doc.add_paragraph(p)
        if part.chart is not None:
            doc.add_paragraph(part.chart.caption).runs[0].italic = True
            doc.add_picture(io.BytesIO(_chart_png(part.chart, paper.lang)), width=Cm(16))
        for table in part.tables:
            t = doc.add_table(rows=1, cols=len(table.columns))
            t.style = "Table Grid"
            for cell, col in zip(t.rows[0].cells, table.columns):
                cell.text = col.header
                cell.paragraphs[0].runs[0].bold = True
            numeric = table.numeric()
            for row in table.texts(paper.lang):
                cells = t.add_row().cells
                for j, text in enumerate(row):
                    cells[j].text = text
                    if numeric[j]:
                        cells[j].paragraphs[0].alignment = 2          # right
            doc.add_paragraph()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_pdf(paper: Paper) -> bytes:
    """The paper as an A4 PDF with the same content (the chart as vector graphics)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as RTable

    from .pdf import chart_drawing, palette
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=paper.title, leftMargin=50, rightMargin=50, topMargin=50,
                            bottomMargin=50)
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#BFBFBF")),
                       ("FONTSIZE", (0, 0), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    cell = styles["BodyText"].clone("cell", fontSize=9, leading=11)

    def table(header: list[str] | None, rows: list[list[str]], numeric: list[bool] | None = None):
        data = ([[Paragraph(f"<b>{escape(h)}</b>", cell) for h in header]] if header else []) + \
            [[Paragraph(escape(str(v)), cell.clone("r", alignment=2) if numeric and numeric[j] else cell)
              for j, v in enumerate(r)] for r in rows]
        t = RTable(data, repeatRows=1 if header else 0, hAlign="LEFT")
        t.setStyle(grid)
        return t
    flow = [Paragraph(escape(paper.title), styles["Title"]), table(None, [[k, v] for k, v in paper.facts]), Spacer(1, 12)]
    for part in paper.parts:
        flow.append(Paragraph(escape(part.heading), styles["Heading2"]))
        for p in part.paragraphs:
            flow.append(Paragraph(escape(p).replace("\n", "<br/>"), styles["BodyText"]))
        if part.chart is not None:
            flow.append(Paragraph(f"<i>{escape(part.chart.caption)}</i>", styles["BodyText"]))
            flow.append(chart_drawing(Slide("plan", "", chart=part.chart), 460, 220, paper.lang, palette()))
        for t in part.tables:
            flow += [table([c.header for c in t.columns], t.texts(paper.lang), t.numeric()), Spacer(1, 8)]
    doc.build(flow)
    return out.getvalue()


def write(cur, initiative_id: int, path, lang: str = "sv") -> str:
    """Write the plan's paper to ``path`` (.docx or .pdf); returns the format written."""
    from pathlib import Path

    from ..errors import PlanError
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("docx", "pdf"):
        raise PlanError("plan_file_type", f"'{path.name}': export a plan as .docx or .pdf", file=path.name)
    paper = content(cur, initiative_id, lang)
    path.write_bytes(to_docx(paper) if kind == "docx" else to_pdf(paper))
    return kind
