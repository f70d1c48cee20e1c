"""Read one uploaded file into a table of strings, whatever its format, encoding or line endings.

Every reader returns a RawTable: the header cells, an Arrow table of string columns c0..cN, the
source row number of each data row (as a spreadsheet would number it, the header being its own
row), and the rows that could not be read at all (wrong number of cells), with their numbers.
Nothing here interprets values; that is parse.py's work in DuckDB.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .columns import find_header_row
from .errors import IngestError

MAX_UPLOAD_BYTES = 500 * 1024 * 1024          # matches .streamlit/config.toml maxUploadSize
MAX_XLSX_EXPANDED_BYTES = 2 * 1024 ** 3       # a workbook that unpacks to more is refused
MAX_XLSX_RATIO = 200                          # ... and so is one compressed more than this
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".dat", ".skv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DELIMITERS = [";", ",", "\t", "|"]
csv.field_size_limit(1 << 30)   # header sniffing must not choke on a (broken) huge cell


@dataclass
class RawTable:
    """One file read as text cells. ``table`` has string columns c0..c{n-1}."""
    file_name: str
    headers: list[str]
    table: pa.Table
    source_rows: np.ndarray
    bad_rows: list[tuple[int, str]] = field(default_factory=list)   # (row, text) with the wrong cell count
    meta: dict = field(default_factory=dict)                        # encoding, delimiter, sheet, format

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def sample(self, n: int = 200) -> list[list[str]]:
        """The first ``n`` data rows as lists of strings (for mapping and preview)."""
        part = self.table.slice(0, n).to_pydict()
        cols = [part[f"c{i}"] for i in range(len(self.headers))]
        return [list(r) for r in zip(*cols)] if cols else []


def read_file(name: str, data: bytes, *, sheet: str | None = None) -> RawTable:
    """Read one file's bytes. The format comes from the content first (zip, OLE, Parquet magic),
    then the file name; ``sheet`` picks a workbook sheet by name."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise IngestError("too_large", f"the file is {len(data) / 1024 ** 2:.0f} MB; the limit is "
                          f"{MAX_UPLOAD_BYTES // 1024 ** 2} MB. Split it, for example one file a month.",
                          file=name, size_mb=round(len(data) / 1024 ** 2), limit_mb=MAX_UPLOAD_BYTES // 1024 ** 2)
    if not data or not data.strip(b"\x00\t\r\n \xef\xbb\xbf\xff\xfe"):
        raise IngestError("empty_file", "the file is empty. Export the ledger again and check that it "
                          "holds rows.", file=name)
    suffix = Path(name).suffix.lower()
    if data[:4] == b"PAR1":
        return read_parquet(name, data)
    if data[:4] == b"PK\x03\x04":            # XLSX, XLSM and ODS are all zip packages
        return read_excel(name, data, sheet=sheet, check_zip=True)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise _password_error(name)
        return read_excel(name, data, sheet=sheet)
    if suffix in EXCEL_SUFFIXES or suffix in PARQUET_SUFFIXES:
        raise IngestError("bad_format", f"the file is called {suffix} but is not a valid {suffix} file "
                          "(damaged, or another format renamed). Open it in Excel and save it again.",
                          file=name, suffix=suffix)
    return read_text(name, data)


def _password_error(name: str) -> IngestError:
    return IngestError("password", "the workbook is password-protected. Remove the password in Excel "
                       "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, and upload again.",
                       file=name)


# ---------------------------------------------------------------- text

def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text and the encoding used: BOMs first (UTF-8, UTF-16), then strict UTF-8, then
    Windows-1252 (Swedish Excel's "CSV (semikolonavgränsad)")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace"), "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace"), "utf-16-be"
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: every other byte is NUL for Latin text.
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return data.decode(enc, errors="replace"), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _looks_binary(text: str) -> bool:
    head = text[:65536]
    if not head:
        return False
    if "\x00" in head:
        return True
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls / len(head) > 0.01 or head.count("\ufffd") / len(head) > 0.1


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most, and most consistent, cells."""
    best, best_score = ";", -1.0
    for delim in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=delim) if any(c.strip() for c in r)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = counts.count(mode) / len(counts) * (1 + math.log(mode))
        if score > best_score + 1e-9:
            best, best_score = delim, score
    return best


def read_text(name: str, data: bytes) -> RawTable:
    """Read CSV/TXT/TSV bytes: any of the supported encodings, delimiters and line endings."""
    text, encoding = decode(data)
    if _looks_binary(text):
        raise IngestError("binary", "the file is not text, nor a workbook or Parquet file the import "
                          "knows. Export the ledger as CSV or Excel (.xlsx).", file=name)
    # CRLF, CR-only (classic Mac) and mixed endings all become LF.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head_lines = text[:200_000].split("\n")[:60]
    delim = sniff_delimiter(head_lines)
    head_rows = list(csv.reader(head_lines[:40], delimiter=delim))
    header_idx = find_header_row(head_rows)
    if header_idx is None:
        first = next((ln for ln in head_lines if ln.strip()), "")
        raise IngestError("no_header", "no header row with recognisable column names (for example "
                          "Leverantör, Belopp, Datum) among the first rows. The first line reads: "
                          f"'{first[:120]}'. Add a header row, or choose the columns by hand.",
                          file=name, first=first[:120])
    headers = [h.strip() for h in head_rows[header_idx]]
    # csv.reader counts records; with a quoted line break in the preamble, find the header's line.
    header_line = _line_of_record(head_lines, delim, header_idx)
    n = len(headers)
    names = [f"c{i}" for i in range(n)]
    bad: list[tuple[int, str]] = []

    def on_bad(row):
        bad.append((row.number if row.number is not None else -1, row.text))
        return "skip"

    payload = text.encode("utf-8")
    del text
    try:
        table = pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_line + 1,
                                           use_threads=False, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                              newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=on_bad),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise IngestError("unreadable_csv", f"the file could not be read as {_delim_name(delim)}-separated "
                          f"text ({str(exc).splitlines()[0][:160]}). Check for an unclosed quote.",
                          file=name) from None
    del payload
    first_data_line = header_line + 2             # 1-based line after the header
    total_lines = header_line + 1 + table.num_rows + len(bad)
    bad_numbers = np.array(sorted(b[0] for b in bad if b[0] > 0), dtype=np.int64)
    candidates = np.arange(first_data_line, total_lines + 1, dtype=np.int64)
    rows = np.setdiff1d(candidates, bad_numbers, assume_unique=True)
    if len(rows) != table.num_rows:                # quoted line breaks: number records instead
        rows = np.arange(first_data_line, first_data_line + table.num_rows, dtype=np.int64)
    return RawTable(name, headers, table, rows, bad,
                    {"format": "csv", "encoding": encoding, "delimiter": delim, "header_row": header_line + 1})


def _line_of_record(lines: list[str], delim: str, record_idx: int) -> int:
    """0-based physical line where record ``record_idx`` of csv.reader starts."""
    reader = csv.reader(lines, delimiter=delim)
    start = 0
    for i, _ in enumerate(reader):
        if i == record_idx:
            return start
        start = reader.line_num
    return record_idx


def _delim_name(d: str) -> str:
    return {";": "semicolon", ",": "comma", "\t": "tab", "|": "pipe"}.get(d, repr(d))


# ---------------------------------------------------------------- Excel

def _check_zip(name: str, data: bytes) -> None:
    """Refuse a workbook that would unpack to an absurd size (a zip bomb) before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expanded = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile:
        raise IngestError("bad_format", "the workbook is damaged (not a valid .xlsx zip). Open it in "
                          "Excel and save it again.", file=name) from None
    if expanded > MAX_XLSX_EXPANDED_BYTES or (expanded > 50 * 1024 ** 2 and expanded > MAX_XLSX_RATIO * len(data)):
        raise IngestError("zip_bomb", f"the workbook unpacks to {expanded / 1024 ** 3:.1f} GB from "
                          f"{len(data) / 1024 ** 2:.1f} MB, which no ledger does; it is refused as unsafe. "
                          "Export the data again from the source system.",
                          file=name, expanded_gb=round(expanded / 1024 ** 3, 1))


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return ""
    return str(v)


def read_excel(name: str, data: bytes, *, sheet: str | None = None, check_zip: bool = False) -> RawTable:
    """Read XLSX/XLSM/XLS/ODS with python-calamine: the named sheet, else the first sheet with a
    recognisable header row. Formulas give their saved results."""
    import python_calamine as cal

    if check_zip:
        _check_zip(name, data)
    try:
        wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except cal.PasswordError:
        raise _password_error(name) from None
    except Exception as exc:  # calamine raises several error types for damaged files
        raise IngestError("bad_format", f"the workbook could not be opened ({str(exc)[:120]}). Open it in "
                          "Excel and save it again as .xlsx.", file=name) from None
    names = wb.sheet_names
    order = [sheet] if sheet else names
    if sheet and sheet not in names:
        raise IngestError("no_sheet", f"the workbook has no sheet '{sheet}'; its sheets are: "
                          + ", ".join(names) + ".", file=name, sheet=sheet, sheets=", ".join(names))
    for sheet_name in order:
        try:
            rows = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except Exception:
            continue
        head = [[_cell_text(v).strip() for v in r] for r in rows[:40]]
        header_idx = find_header_row(head)
        if header_idx is None:
            continue
        headers = head[header_idx]
        while headers and not headers[-1]:
            headers.pop()
        n = len(headers)
        body = rows[header_idx + 1:]
        cols = [[] for _ in range(n)]
        for r in body:
            width = min(len(r), n)
            for i in range(width):
                cols[i].append(_cell_text(r[i]))
            for i in range(width, n):
                cols[i].append("")
        table = pa.table({f"c{i}": pa.array(cols[i], type=pa.string()) for i in range(n)})
        source_rows = np.arange(header_idx + 2, header_idx + 2 + len(body), dtype=np.int64)
        return RawTable(name, headers, table, source_rows, [],
                        {"format": "excel", "sheet": sheet_name, "sheets": names, "header_row": header_idx + 1})
    raise IngestError("no_sheet_with_header", "no sheet has a header row with recognisable column names "
                      "(for example Leverantör, Belopp, Datum). Sheets: " + ", ".join(names) +
                      ". Choose the sheet with the ledger, or add a header row.",
                      file=name, sheets=", ".join(names))


# ---------------------------------------------------------------- Parquet

def read_parquet(name: str, data: bytes) -> RawTable:
    """Read a Parquet file; every column is cast to text for the same parsing path."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:
        raise IngestError("bad_format", f"the Parquet file could not be read ({str(exc)[:120]}).", file=name) from None
    headers = list(table.column_names)
    columns = {}
    for i, col in enumerate(table.columns):
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            arr = col.cast(pa.string())
        elif pa.types.is_nested(col.type) or pa.types.is_binary(col.type):
            arr = pa.chunked_array([pa.nulls(len(col), pa.string())])
        else:
            arr = pc.cast(col, pa.string())
        columns[f"c{i}"] = pc.fill_null(arr, "")
    out = pa.table(columns) if columns else pa.table({})
    source_rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawTable(name, headers, out, source_rows, [], {"format": "parquet"})


def read_rows(name: str, data: bytes, required: str | None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A small table file (rules, category tree) as its header and (file row number, cells) rows:
    .xlsx/.xls/.ods (the first sheet) or delimited text. The header is the first row that has a
    cell equal to ``required`` (ignoring case), or the first non-empty row when ``required`` is
    None; rows above it (titles, notes) are skipped."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("xlsx", "xlsm", "xls", "ods"):
        import python_calamine as cal
        try:
            wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
            grid = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises several error types for damaged files
            raise IngestError("bad_format", f"the workbook could not be opened ({str(exc)[:120]}). Open it in "
                              "Excel and save it again as .xlsx.", file=name) from None
        rows = [[_cell_text(v).strip() for v in r] for r in grid]
    else:
        text, _enc = decode(data)
        lines = text.splitlines()
        delim = sniff_delimiter(lines[:50])
        rows = [[c.strip() for c in r] for r in csv.reader(lines, delimiter=delim)]
    for i, r in enumerate(rows):
        if (required is None and any(r)) or (required is not None and any(c.lower() == required.lower() for c in r)):
            return r, [(i + 1 + k + 1, cells) for k, cells in enumerate(rows[i + 1:])]
    raise IngestError("no_header_named", f"no header row with a column '{required}' was found", file=name, column=required)
