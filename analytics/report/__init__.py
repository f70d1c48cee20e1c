"""The steering-group pack (styrgruppsrapport): the dashboard's key figures as PowerPoint with
native, editable charts on the organisation's template, the same content as an Excel workbook
with numbers as numbers, and a PDF drawn with reportlab (no browser or office suite at run time).

``content.build`` says what each slide says (action titles from the figures, raw values);
``layout`` is the shared geometry (text measure, fitted and split tables, bubble labels);
``slides.to_pptx``, ``workbook.to_xlsx`` and ``pdf.to_pdf`` write it; ``template`` stores and
opens the organisation's .pptx/.potx.
"""

from .content import SECTIONS, Chart, Column, Report, Slide, Table, build
from .pack import write
from .pdf import to_pdf
from .slides import to_pptx
from .template import (
           TemplateError,
           default_template,
           remove_template,
           save_template,
           stored_template,
)
from .workbook import to_xlsx

__all__ = ["SECTIONS", "Chart", "Column", "Report", "Slide", "Table", "TemplateError", "build",
           "default_template", "remove_template", "save_template", "stored_template", "to_pdf",
           "to_pptx", "to_xlsx", "write"]
