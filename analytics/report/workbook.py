"""The pack as an Excel workbook: one sheet per slide with its action title and notes above,
the chart's data and the slide's table with numbers as numbers and number formats (MSEK with
one decimal, kronor whole, shares as percentages)."""

from __future__ import annotations

import pandas as pd

from ..export import Sheet, xlsx_bytes
from .content import Report

# a table column's kind -> (the workbook's kind, the factor its values are written with)
_XLSX = {"money": ("money", 1.0), "msek": ("decimal1", 1e-6), "share": ("share", 1.0), "count": ("int", 1.0),
         "score": ("decimal1", 1.0), "text": ("text", 1.0), "period": ("text", 1.0), "date": ("date", 1.0)}


def _table_frame(table) -> tuple[pd.DataFrame, dict[str, str]]:
    headers = [c.header for c in table.columns]
    kinds = {c.header: _XLSX[c.kind][0] for c in table.columns}
    rows = [[(v * _XLSX[c.kind][1] if isinstance(v, (int, float)) and not isinstance(v, bool)
              and _XLSX[c.kind][0] != "text" else v) for v, c in zip(row, table.columns)] for row in table.rows]
    return pd.DataFrame(rows, columns=headers), kinds


def to_xlsx(report: Report) -> bytes:
    sheets = []
    for sl in report.slides[1:]:
        notes = [sl.title] + ([sl.note] if sl.note else []) + (sl.bullets if sl.chart and sl.chart.kind != "bubble" else [])
        name = sl.topic or sl.title
        if sl.chart is not None and sl.chart.kind == "bubble" and sl.table is not None:
            frame, kinds = _table_frame(sl.table)
            sheets.append(Sheet(name, frame, kinds, title=name, notes=notes, total_last_row=sl.table.total))
            continue
        if sl.chart is not None:
            value_kind = "decimal1" if sl.chart.unit == "msek" else "int"
            frame = pd.DataFrame({sl.chart.caption: [str(c) for c in sl.chart.categories],
                                  **{str(k): v for k, v in sl.chart.series.items()}})
            sheets.append(Sheet(name, frame, {str(k): value_kind for k in sl.chart.series}, title=name, notes=notes))
        elif sl.message:
            sheets.append(Sheet(name, pd.DataFrame({sl.message: []}), title=name, notes=notes))
        if sl.table is not None:
            frame, kinds = _table_frame(sl.table)
            sheets.append(Sheet(name + " (2)" if sl.chart is not None or sl.message else name, frame, kinds,
                                title=name, notes=[sl.title], total_last_row=sl.table.total))
    return xlsx_bytes(sheets)
