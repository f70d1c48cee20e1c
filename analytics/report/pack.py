"""One call for every caller (page, command line): the pack written as pptx, xlsx or pdf on the
organisation's stored template (or a template file given for this run)."""

from __future__ import annotations

from .content import Report
from .pdf import to_pdf
from .slides import to_pptx
from .template import open_template, stored_template
from .workbook import to_xlsx

KINDS = ("pptx", "xlsx", "pdf")


def write(con, report: Report, kind: str, template: tuple[str, bytes] | None = None) -> bytes:
    """The pack as ``kind`` ('pptx', 'xlsx' or 'pdf'). ``template`` (name, bytes) overrides the
    stored one; the PDF takes the template's colours."""
    if kind not in KINDS:
        raise ValueError(f"unknown pack kind {kind!r}; choose one of {', '.join(KINDS)}")
    if template is None:
        current = stored_template(con)
        template = (current["name"], current["content"]) if current else None
    name, data = template if template else ("mall.pptx", None)
    if kind == "pptx":
        return to_pptx(report, data, name)
    if kind == "pdf":
        return to_pdf(report, open_template(data, name)[1].colours)
    return to_xlsx(report)
