"""Exports of tables as XLSX (formatted) and CSV, safe to open in Excel.

Text cells that start with = + - @ (or a tab or carriage return) would be run as formulas by
Excel and other spreadsheet programs (CSV/formula injection); they are written with a leading
apostrophe so they stay text. Numbers are written as numbers with number formats that Excel
shows in the reader's locale (a Swedish Excel shows 1 234 567 and 6,4 %).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field

import pandas as pd

from .constants import PALETTE

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("text", "money", "int", "share", "date", "decimal", "decimal1")


def neutralise(value):
    """A text value safe for a spreadsheet cell: a leading apostrophe when it starts with a
    formula character; other values unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


@dataclass
class Sheet:
    """One sheet: a title, lines of context (filters, coverage) above the table, the table and
    the kind of each column (text, money, int, share, date, decimal)."""
    name: str
    table: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    title: str = ""
    notes: list[str] = field(default_factory=list)
    total_last_row: bool = False


def infer_kind(values: pd.Series) -> str:
    """The kind of a column nobody named: whole numbers 'int', other numbers 'decimal', dates
    'date', anything else 'text' (so a number is never written as text)."""
    if pd.api.types.is_bool_dtype(values):
        return "text"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        return "int" if len(present) and (present == present.round()).all() and present.abs().max() < 1e15 else "decimal"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "int" if all(float(v).is_integer() for v in present) else "decimal"
    if present and all(isinstance(v, (dt.date, dt.datetime, pd.Timestamp)) for v in present):
        return "date"
    return "text"


def _kinds(table: pd.DataFrame, kinds: dict[str, str] | None) -> dict[str, str]:
    """The given kinds, and for every other column the kind its values have."""
    out = dict(kinds or {})
    for col in table.columns:
        if col not in out:
            out[col] = infer_kind(table[col])
    return out


def _safe_sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")[:31] or "Blad"
    base, i = clean, 2
    while clean.lower() in used:
        suffix = f" ({i})"
        clean = base[:31 - len(suffix)] + suffix
        i += 1
    used.add(clean.lower())
    return clean


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """An .xlsx workbook with one formatted sheet per Sheet: bold header row with a filter,
    frozen panes, number formats per column kind, widths fitted to the content."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "nan_inf_to_errors": False})
    fmt = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "note": wb.add_format({"italic": True, "font_color": "#555555"}),
        "head": wb.add_format({"bold": True, "bg_color": "#" + PALETTE[0], "font_color": "#FFFFFF", "border": 1,
                               "text_wrap": True, "valign": "top"}),
        "text": wb.add_format({}),
        "money": wb.add_format({"num_format": "#,##0"}),
        "decimal": wb.add_format({"num_format": "#,##0.00"}),
        "decimal1": wb.add_format({"num_format": "#,##0.0"}),
        "int": wb.add_format({"num_format": "#,##0"}),
        "share": wb.add_format({"num_format": "0.0%"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
    }
    bold = {k: wb.add_format({**({"num_format": v.num_format} if v.num_format else {}), "bold": True, "top": 1})
            for k, v in ((k, fmt[k]) for k in KINDS)}
    used: set[str] = set()
    for sheet in sheets:
        ws = wb.add_worksheet(_safe_sheet_name(sheet.name, used))
        row = 0
        if sheet.title:
            ws.write_string(row, 0, str(neutralise(sheet.title)), fmt["title"])
            row += 1
        for note in sheet.notes:
            ws.write_string(row, 0, str(neutralise(note)), fmt["note"])
            row += 1
        if sheet.title or sheet.notes:
            row += 1
        header_row = row
        columns = list(sheet.table.columns)
        kinds = _kinds(sheet.table, sheet.kinds)
        widths = [min(60, max(8, len(str(c)) + 2)) for c in columns]
        for j, col in enumerate(columns):
            ws.write_string(row, j, str(neutralise(str(col))), fmt["head"])
        n = len(sheet.table)
        for i, values in enumerate(sheet.table.itertuples(index=False, name=None)):
            r = row + 1 + i
            last = sheet.total_last_row and i == n - 1
            for j, (col, v) in enumerate(zip(columns, values)):
                kind = kinds.get(col, "text")
                f = bold[kind] if last else fmt[kind]
                if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
                    ws.write_blank(r, j, None, f)
                elif kind == "date" and isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
                    ws.write_datetime(r, j, pd.Timestamp(v).to_pydatetime(), f)
                elif kind in ("money", "int", "share", "decimal", "decimal1") and isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, j, float(v), f)
                else:
                    text = str(neutralise(str(v) if not isinstance(v, str) else v))
                    ws.write_string(r, j, text, f)
                    widths[j] = min(60, max(widths[j], len(text) + 2))
                if kind in ("money", "int"):
                    widths[j] = max(widths[j], 14)
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.freeze_panes(header_row + 1, 1 if columns else 0)
        if columns:
            ws.autofilter(header_row, 0, header_row + max(n, 1), len(columns) - 1)
    wb.close()
    return buf.getvalue()


def csv_bytes(table: pd.DataFrame, lang: str = "sv", kinds: dict[str, str] | None = None) -> bytes:
    """CSV for Excel in the user's locale: Swedish uses ';' and decimal comma, English ',' and a
    point; UTF-8 with BOM so Excel reads å, ä, ö; text neutralised against formula injection."""
    kinds = _kinds(table, kinds)
    sep, dec = (";", ",") if lang == "sv" else (",", ".")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([neutralise(str(c)) for c in table.columns])
    for values in table.itertuples(index=False, name=None):
        out = []
        for col, v in zip(table.columns, values):
            kind = kinds.get(col, "text")
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                out.append("")
            elif kind in ("money", "decimal", "decimal1") and isinstance(v, (int, float)):
                out.append(f"{v:.2f}".replace(".", dec))
            elif kind == "share" and isinstance(v, (int, float)):
                out.append(f"{v:.4f}".replace(".", dec))
            elif kind == "int" and isinstance(v, (int, float)):
                out.append(str(int(v)))
            elif isinstance(v, (dt.date, dt.datetime)):
                out.append(v.isoformat())
            else:
                out.append(neutralise(str(v)))
        w.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
