"""Read one uploaded file into a table of strings, whatever its format, encoding or line endings.

Every reader returns a RawTable: the header cells, an Arrow table of string columns c0..cN, the
source row number of each data row (as a spreadsheet would number it, the header being its own
row), and the rows that could not be read at all (wrong number of cells), with their numbers.
Nothing here interprets values; that is parse.py's work in DuckDB.

The file's bytes are handed to the Arrow CSV reader as they are (it transcodes Windows-1252 and
UTF-16 itself), so no second copy of the file is held in Python. A file whose header row is not
recognised is still read (its first row as the header, or numbered columns when that row is
data): the person then chooses the columns by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import logging
import math
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..orgno import mask_embedded
from . import xlsx
from .columns import find_header_row
from .errors import IngestError

MAX_UPLOAD_BYTES = 500 * 1024 * 1024          # matches .streamlit/config.toml maxUploadSize
MAX_XLSX_EXPANDED_BYTES = 2 * 1024 ** 3       # a workbook that unpacks to more is refused
MAX_XLSX_RATIO = 200                          # ... and so is one compressed more than this
MAX_COLUMNS = 500                             # no ledger export has more; a wider file is refused
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".dat", ".skv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DELIMITERS = [";", ",", "\t", "|"]
HEAD_BYTES = 256 * 1024                       # what sniffing (encoding, delimiter, header) looks at
EXCEL_CHUNK_ROWS = 65_536                     # worksheet rows turned into Arrow arrays at a time
EXCEL_WHOLE_CELLS = 2_000_000                 # a sheet of at most this many cells is taken at once
EXCEL_HEAD_ROWS = 40                          # the sheet rows a workbook's header is looked for in
# A typed (binary) number with decimals from a workbook or Parquet file is written with this mark
# first, so parsing knows it is exact and not a text whose separators must be guessed.
TYPED_NUMBER = "\x1f"
csv.field_size_limit(1 << 30)   # header sniffing must not choke on a (broken) huge cell
# a workbook column with no cell under the header is read as blanks; fastexcel's note on it is noise here
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)


@dataclass
class RawTable:
    """One file read as text cells. ``table`` has string columns c0..c{n-1}."""
    file_name: str
    headers: list[str]
    table: pa.Table
    source_rows: np.ndarray
    bad_rows: list[tuple[int, str]] = field(default_factory=list)   # (row, text) with the wrong cell count
    meta: dict = field(default_factory=dict)                        # encoding, delimiter, sheet, format
    warnings: list[dict] = field(default_factory=list)              # merged cells, hidden rows

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    @property
    def header_recognised(self) -> bool:
        return self.meta.get("header_recognised", True)

    def sample(self, n: int = 200) -> list[list[str]]:
        """The first ``n`` data rows as lists of strings (for mapping and preview)."""
        part = self.table.slice(0, n).to_pydict()
        cols = [[v.replace(TYPED_NUMBER, "") for v in part[f"c{i}"]] for i in range(len(self.headers))]
        return [list(r) for r in zip(*cols)] if cols else []


def read_file(name: str, data: bytes, *, sheet: str | None = None) -> RawTable:
    """Read one file's bytes. The format comes from the content first (zip, OLE, Parquet magic),
    then the file name; ``sheet`` picks a workbook sheet by name."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise IngestError("too_large", f"the file is {len(data) / 1024 ** 2:.0f} MB; the limit is "
                          f"{MAX_UPLOAD_BYTES // 1024 ** 2} MB. Split it, for example one file a month.",
                          file=name, size_mb=round(len(data) / 1024 ** 2), limit_mb=MAX_UPLOAD_BYTES // 1024 ** 2)
    head = bytes(data[:HEAD_BYTES])
    blank = b"\x00\t\r\n \xef\xbb\xbf\xff\xfe"
    if not data or (not head.strip(blank) and not bytes(data).strip(blank)):
        raise IngestError("empty_file", "the file is empty. Export the ledger again and check that it "
                          "holds rows.", file=name)
    suffix = Path(name).suffix.lower()
    if head[:4] == b"PAR1":
        return read_parquet(name, data)
    if head[:4] == b"PK\x03\x04":            # XLSX, XLSM and ODS are all zip packages
        return read_excel(name, data, sheet=sheet, check_zip=True)
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise _password_error(name)
        return read_excel(name, data, sheet=sheet)
    other = _other_format(head)
    if other:
        raise IngestError("other_format", f"the file is {other}, not a ledger table. Export the ledger "
                          "as CSV or Excel (.xlsx) and upload that.", file=name, kind=other)
    if suffix in EXCEL_SUFFIXES or suffix in PARQUET_SUFFIXES:
        raise IngestError("bad_format", f"the file is called {suffix} but is not a valid {suffix} file "
                          "(damaged, or another format renamed). Open it in Excel and save it again.",
                          file=name, suffix=suffix)
    return read_text(name, data)


def _other_format(head: bytes) -> str | None:
    """A format people upload by mistake, named so the message says what it is."""
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head[:2] == b"\x1f\x8b":
        return "a gzip archive"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "a 7-Zip archive"
    if head[:4] == b"Rar!":
        return "a RAR archive"
    if head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n":
        return "an image"
    return None


def _password_error(name: str) -> IngestError:
    return IngestError("password", "the workbook is password-protected. Remove the password in Excel "
                       "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, and upload again.",
                       file=name)


def _too_wide(name: str, n: int) -> IngestError:
    return IngestError("too_many_columns", f"the file has {n:,} columns; a ledger has at most a few dozen "
                       f"and the limit is {MAX_COLUMNS}. Check the delimiter, or export only the ledger's "
                       "columns.", file=name, columns=n, limit=MAX_COLUMNS)


# ---------------------------------------------------------------- text

def detect_encoding(data) -> tuple[str, int]:
    """The encoding of the bytes and the length of their byte-order mark: BOMs first (UTF-8,
    UTF-16), then UTF-16 without a BOM, then strict UTF-8 on the head, else Windows-1252 (Swedish
    Excel's "CSV (semikolonavgränsad)")."""
    head = bytes(data[:HEAD_BYTES])
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    if len(head) >= 4 and head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: every other byte is NUL for Latin text.
        return ("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"), 0
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:         # not just a character cut at the end of the head
            return "cp1252", 0
    return "utf-8", 0


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text and the encoding used (for small files: rules, trees, lists)."""
    encoding, bom = detect_encoding(data)
    try:
        return bytes(data[bom:]).decode(encoding), encoding
    except UnicodeDecodeError:
        return bytes(data[bom:]).decode("cp1252", errors="replace"), "cp1252"


def _looks_binary(text: str) -> bool:
    head = text[:65536]
    if not head:
        return False
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f\v\x00")
    return controls / len(head) > 0.01 or head.count("\ufffd") / len(head) > 0.1 \
        or head.count("\x00") / len(head) > 0.05


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


def _head_text(data, encoding: str, bom: int) -> str:
    raw = bytes(data[bom:bom + HEAD_BYTES])
    text = raw.decode(encoding, errors="replace")
    if len(data) - bom > HEAD_BYTES:          # the last line may be cut: drop it
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut + 1] if cut > 0 else text
    return text


def read_text(name: str, data: bytes) -> RawTable:
    """Read CSV/TXT/TSV bytes: any of the supported encodings, delimiters and line endings."""
    encoding, bom = detect_encoding(data)
    head = _head_text(data, encoding, bom)
    if _looks_binary(head):
        raise IngestError("binary", "the file is not text, nor a workbook or Parquet file the import "
                          "knows. Export the ledger as CSV or Excel (.xlsx).", file=name)
    # CRLF, CR-only (classic Mac) and mixed endings all count as one line end.
    head_lines = head.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:60]
    delim = sniff_delimiter(head_lines)
    head_rows = list(csv.reader(head_lines[:40], delimiter=delim))
    widest = max((len(r) for r in head_rows), default=0)
    if widest > MAX_COLUMNS:
        raise _too_wide(name, widest)
    header_idx = find_header_row(head_rows)
    recognised = header_idx is not None
    if recognised:
        headers = [h.strip() for h in head_rows[header_idx]]
    else:
        header_idx, headers = _fallback_header(head_rows)
    # csv.reader counts records; with a quoted line break in the preamble, find the header's line.
    header_line = _line_of_record(head_lines, delim, header_idx) if header_idx >= 0 else -1
    n = len(headers)
    names = [f"c{i}" for i in range(n)]
    bad: list[tuple[int, str]] = []

    def on_bad(row):
        bad.append((row.number if row.number is not None else -1, row.text))
        return "skip"

    buf = pa.py_buffer(data)
    source = pa.BufferReader(buf.slice(bom) if bom else buf)

    def read(enc: str, threads: bool = True) -> pa.Table:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_line + 1, encoding=enc,
                                           use_threads=threads, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                              newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=on_bad),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    try:
        try:
            table = read(encoding)
        except pa.ArrowInvalid as exc:
            if encoding != "utf-8" or "UTF8" not in str(exc):
                raise
            encoding = "cp1252"              # UTF-8 in the head, Windows-1252 further down
            bad.clear()
            source.seek(0)
            table = read(encoding)
        if bad:
            # a threaded read does not know the rows' line numbers: read again in one thread
            bad.clear()
            source.seek(0)
            table = read(encoding, threads=False)
    except pa.ArrowInvalid as exc:
        raise IngestError("unreadable_csv", f"the file could not be read as {_delim_name(delim)}-separated "
                          f"text ({str(exc).splitlines()[0][:160]}). Check for an unclosed quote.",
                          file=name) from None
    first_data_line = header_line + 2             # 1-based line after the header
    total_lines = header_line + 1 + table.num_rows + len(bad)
    bad_numbers = np.array(sorted(b[0] for b in bad if b[0] > 0), dtype=np.int64)
    candidates = np.arange(first_data_line, total_lines + 1, dtype=np.int64)
    rows = np.setdiff1d(candidates, bad_numbers, assume_unique=True)
    if len(rows) != table.num_rows:                # quoted line breaks: number records instead
        rows = np.arange(first_data_line, first_data_line + table.num_rows, dtype=np.int64)
    _check_structure(name, table, headers, rows, bad, delim)
    pa.default_memory_pool().release_unused()      # the parser's blocks, so the rest can use the memory
    return RawTable(name, headers, table, rows, bad,
                    {"format": "csv", "encoding": encoding, "delimiter": delim, "header_row": header_line + 1,
                     "header_recognised": recognised, "first_line": _first_line(head_rows)})


def _check_structure(name: str, table: pa.Table, headers: list[str], rows: np.ndarray,
                     bad: list[tuple[int, str]], delim: str) -> None:
    """Refuse what a broken quote or a NUL byte does to a text file, naming the row: a record that
    swallowed the following lines (they hold the delimiter like rows do), a cell with NUL bytes."""
    n = len(headers)
    for number, text in bad:
        if "\n" in text or "\r" in text:
            swallowed = text.replace("\r\n", "\n").replace("\r", "\n").count("\n")
            raise IngestError("unclosed_quote", f"a double quote (\") opened in this row is never closed, so "
                              f"the next {swallowed:,} lines were read into one cell. Close the quote (or remove "
                              "it) in the file and upload again.", file=name, row=number, lines=swallowed)
    for i in range(n):
        col = table.column(i)
        if not _may_hold_line_breaks(col):
            continue
        hits = pc.match_substring_regex(col, "[\n\r\x00]")   # one pass per column for all three
        if not pc.any(hits).as_py():
            continue
        for j in pc.indices_nonzero(hits).to_pylist()[:1000]:
            cell = col[j].as_py()
            row = int(rows[j]) if j < len(rows) else j + 1
            if "\x00" in cell:
                raise IngestError("nul_bytes", "the row holds NUL bytes (character code 0), which no "
                                  "ledger text has; the export is damaged or was saved in another "
                                  "encoding. Export the ledger again (as UTF-8 or Windows-1252 CSV).",
                                  file=name, row=row, column=headers[i] or None)
            lines = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            rowlike = sum(1 for ln in lines[1:] if ln.count(delim) >= max(n - 1, 1) // 2 + 1)
            if rowlike:
                raise IngestError("unclosed_quote", f"a double quote (\") in this row swallows the next "
                                  f"{len(lines) - 1:,} lines into one cell ({rowlike:,} of them look like "
                                  "rows of their own). Close the quote (or remove it) and upload again.",
                                  file=name, row=row, column=headers[i] or None, lines=len(lines) - 1)


def _may_hold_line_breaks(col: pa.ChunkedArray) -> bool:
    """Whether any byte of the column's text is a line break or NUL (a quick look at its data
    buffers, which may also hold bytes outside the column: then the cells are searched)."""
    for chunk in col.chunks:
        data = chunk.buffers()[2] if chunk.type in (pa.string(), pa.large_string()) else None
        if data is None:
            if chunk.type not in (pa.string(), pa.large_string()):
                return True
            continue
        b = np.frombuffer(data, dtype=np.uint8)
        low = b[b <= 13]
        if len(low) and ((low == 0) | (low == 10) | (low == 13)).any():
            return True
    return False


def _fallback_header(rows: list[list[str]]) -> tuple[int, list[str]]:
    """No recognised header: the first row as wide as most rows (shorter ones above it are titles)
    is the header when it reads as names (no cell a number or a date, no name twice); otherwise
    the columns are numbered and that row is the first data row (the index returned is the row
    before it, -1 for the first)."""
    from .columns import looks_like_value
    filled = [r for r in rows if any(c.strip() for c in r)]
    if not filled:
        return -1, []
    widths = [len(r) for r in filled]
    width = max(set(widths), key=widths.count)
    for i, cells in enumerate(rows):
        if len(cells) != width or not any(c.strip() for c in cells):
            continue
        names = [c.strip() for c in cells if c.strip()]
        if not any(looks_like_value(c) for c in names) and len(set(names)) == len(names):
            return i, [c.strip() or f"Kolumn {k + 1}" for k, c in enumerate(cells)]
        return i - 1, [f"Kolumn {k + 1}" for k in range(width)]
    return -1, [f"Kolumn {k + 1}" for k in range(width)]


def _first_line(rows: list[list[str]]) -> str:
    """The file's first non-empty row as text (personnummer masked), for messages."""
    for cells in rows:
        if any(c.strip() for c in cells):
            return mask_embedded(" | ".join(c.strip() for c in cells if c.strip()))[:120]
    return ""


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
            infos = zf.infolist()
            expanded = sum(i.file_size for i in infos)
            encrypted = any(i.flag_bits & 0x1 for i in infos)
    except zipfile.BadZipFile:
        raise IngestError("bad_format", "the workbook is damaged (not a valid .xlsx zip). Open it in "
                          "Excel and save it again.", file=name) from None
    if encrypted:
        raise IngestError("encrypted_zip", "the file is an encrypted zip package; it cannot be read without "
                          "its password. Save the workbook again without encryption.", file=name)
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
        return TYPED_NUMBER + _float_texts(np.array([v]))[0] if math.isfinite(v) else ""
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return ""
    return str(v)


def _column_text(values) -> pa.Array:
    """One column of worksheet cells as text, exactly as ``_cell_text`` writes each, but by kind
    for the whole column at once: text and blanks in Arrow, numbers in numpy (whole numbers as
    integers, the rest marked typed with their shortest repr), dates as ISO text; cells of any
    other kind one by one."""
    cells = values.tolist() if isinstance(values, np.ndarray) else list(values)
    try:                              # most columns are text (and blanks): Arrow refuses anything else
        return pc.fill_null(pa.array(cells, type=pa.string()), "")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    types = list(map(type, cells))
    kinds = set(types)
    if kinds == {float}:
        return pa.array(_float_text(np.array(cells, dtype=np.float64)), type=pa.string())
    if kinds == {dt.datetime}:
        return pa.array([v.isoformat(sep=" ") for v in cells], type=pa.string())
    if kinds == {dt.date}:
        return pa.array([v.isoformat() for v in cells], type=pa.string())
    values = _object_array(cells)
    types = np.array(types, dtype=object)
    text, floats, blank = types == str, types == float, types == type(None)
    out = np.empty(len(values), dtype=object)
    out[text] = values[text]
    out[blank] = ""
    if floats.any():
        out[floats] = _float_text(values[floats].astype(np.float64))
    rest = ~(text | floats | blank)
    if rest.any():
        out[rest] = [_cell_text(v) for v in values[rest]]
    return pa.array(out, type=pa.string())


def _object_array(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _float_text(numbers: np.ndarray) -> np.ndarray:
    """Worksheet numbers as ``_cell_text`` writes them: whole ones as integers, others typed."""
    finite = np.isfinite(numbers)
    whole = finite & (numbers == np.trunc(numbers)) & (np.abs(numbers) < 1e15)
    out = np.full(len(numbers), "", dtype=object)
    if whole.any():
        out[whole] = pa.array(numbers[whole].astype(np.int64)).cast(pa.string()).to_numpy(zero_copy_only=False)
    typed = finite & ~whole
    if typed.any():
        marked = pc.binary_join_element_wise(TYPED_NUMBER, pa.array(_float_texts(numbers[typed])), "")
        out[typed] = marked.to_numpy(zero_copy_only=False)
    return out


def _float_texts(numbers: np.ndarray) -> list[str]:
    """Numbers as their shortest text that reads back as the same double (Arrow's; Python's repr
    writes the same digits, with 1e-07 for Arrow's 1e-7)."""
    return pa.array(numbers, type=pa.float64()).cast(pa.string()).to_pylist()


def _add_block(chunks: list[list[pa.Array]], rows: list, n: int, skip: int = 0) -> None:
    """A block of worksheet rows, column by column from column ``skip``, onto each column's Arrow
    chunks (rows are cut or padded to the header's ``n`` columns)."""
    if rows and len(set(map(len, rows))) == 1 and len(rows[0]) >= skip + n:   # calamine's rows are as wide
        cells = np.array(rows, dtype=object)
        if cells.ndim != 2:           # a cell numpy took for a sequence: fill the grid row by row
            cells = np.empty((len(rows), len(rows[0])), dtype=object)
            cells[:] = rows
        for i in range(n):
            chunks[i].append(_column_text(cells[:, skip + i]))
        return
    for i in range(skip, skip + n):
        chunks[i - skip].append(_column_text([r[i] if i < len(r) else "" for r in rows]))


def _a1(row: int, col: int) -> str:
    """0-based (row, column) as an A1 reference."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def read_excel(name: str, data: bytes, *, sheet: str | None = None, check_zip: bool = False) -> RawTable:
    """Read XLSX/XLSM/XLS/ODS with python-calamine: the named sheet, else the first sheet with a
    recognisable header row (else the first sheet with data, for choosing the columns by hand).
    Formulas give their saved results. Merged ranges are filled from their top-left cell and
    named in a warning; hidden rows (XLSX) are read and named in a warning."""
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
    hidden = _HiddenScan(data, order[0] if order else "", names)
    if sheet and sheet not in names:
        raise IngestError("no_sheet", f"the workbook has no sheet '{sheet}'; its sheets are: "
                          + ", ".join(names) + ".", file=name, sheet=sheet, sheets=", ".join(names))
    if order:
        fast = _excel_arrow(name, data, hidden, order[0], names)
        if fast is not None:
            return fast
    fallback = None
    for sheet_name in order:
        try:
            ws = wb.get_sheet_by_name(sheet_name)
            head_raw = []
            for r in ws.iter_rows():
                head_raw.append(r)
                if len(head_raw) >= EXCEL_HEAD_ROWS:
                    break
        except Exception:
            continue
        head = [[_cell_text(v).replace(TYPED_NUMBER, "").strip() for v in r] for r in head_raw]
        header_idx = _head_header(name, head)
        if header_idx is None:
            if fallback is None and head:
                fallback = (sheet_name, ws, head)
            if not sheet:
                continue
            return _excel_table(name, hidden, ws, sheet_name, names, head, None)
        return _excel_table(name, hidden, ws, sheet_name, names, head, header_idx)
    if fallback:
        sheet_name, ws, head = fallback
        return _excel_table(name, hidden, wb.get_sheet_by_name(sheet_name), sheet_name, names, head, None)
    raise IngestError("no_sheet_with_header", "no sheet has a header row with recognisable column names "
                      "(for example Leverantör, Belopp, Datum), nor any data. Sheets: " + ", ".join(names) +
                      ". Choose the sheet with the ledger, or add a header row.",
                      file=name, sheets=", ".join(names))


def _head_header(name: str, head: list[list[str]]) -> int | None:
    """The header row among a sheet's first rows (their empty tail dropped, in place); a sheet
    wider than MAX_COLUMNS is refused."""
    while head and not any(head[-1]):
        head.pop()
    width = max((_filled_width(r) for r in head), default=0)
    if width > MAX_COLUMNS:
        raise _too_wide(name, width)
    return find_header_row(head)


def _filled_width(cells: list[str]) -> int:
    n = len(cells)
    while n and not cells[n - 1]:
        n -= 1
    return n


def _excel_table(name: str, hidden_scan: _HiddenScan, ws, sheet_name: str, sheets: list[str],
                 head: list[list[str]], header_idx: int | None) -> RawTable:
    recognised = header_idx is not None
    if recognised:
        headers = head[header_idx]
    else:
        header_idx, headers = _fallback_header(head)
    headers = headers[:_filled_width(headers)] if recognised else headers
    headers = [h or f"Kolumn {k + 1}" for k, h in enumerate(headers)]
    n = len(headers)
    # calamine's rows are the sheet's rows from the first; its columns start at the first used one
    col0 = (ws.start or (0, 0))[1]
    merged = [((r0, c0 - col0), (r1, c1 - col0)) for (r0, c0), (r1, c1) in _merged_ranges(ws)
              if r1 > header_idx and c1 >= col0 and c0 - col0 < n]
    top_left: dict[tuple[int, int], object] = {}
    chunks: list[list[pa.Array]] = [[] for _ in range(n)]
    count = 0
    rows = ws.iter_rows()
    for _ in itertools.islice(rows, header_idx + 1):
        pass
    if not merged and (ws.height or 0) * max(ws.width or 0, 1) <= EXCEL_WHOLE_CELLS:
        # calamine's whole list is quicker than its rows; it starts at column A, its rows at the first used column
        block = ws.to_python(skip_empty_area=False)[header_idx + 1:]
        _add_block(chunks, block, n, skip=col0)
        count = len(block)
        del block
    elif not merged:                                 # blocks of rows taken without a Python step per row
        while True:
            block = list(itertools.islice(rows, EXCEL_CHUNK_ROWS))
            if not block and chunks[0]:
                break
            _add_block(chunks, block, n)
            count += len(block)
            if len(block) < EXCEL_CHUNK_ROWS:
                break
    else:
        block: list = []
        for k, r in enumerate(rows, start=header_idx + 1):
            r = list(r)
            for (r0, c0), (r1, c1) in merged:
                if k == r0 and 0 <= c0 < len(r):
                    top_left[(r0, c0)] = r[c0]
                if r0 < k <= r1 or (k == r0 and c1 > c0):
                    value = top_left.get((r0, c0))
                    for c in range(max(c0, 0), min(c1, n - 1) + 1):
                        if (k, c) != (r0, c0):
                            while len(r) <= c:
                                r.append("")
                            r[c] = value
            block.append(r)
            count += 1
            if len(block) >= EXCEL_CHUNK_ROWS:
                _add_block(chunks, block, n)
                block = []
        if block or not chunks[0]:
            _add_block(chunks, block, n)
    table = pa.table({f"c{i}": pa.chunked_array(chunks[i], type=pa.string()) for i in range(n)})
    warnings = []
    if merged:
        refs = [f"{_a1(r0, c0 + col0)}:{_a1(r1, c1 + col0)}" for (r0, c0), (r1, c1) in sorted(merged, key=lambda m: (m[0][1], m[0][0]))]
        warnings.append({"code": "merged_cells", "count": len(refs), "ranges": refs[:20]})
    return _sheet_table(name, headers, table, count, head, header_idx, recognised, sheet_name, sheets,
                        hidden_scan.rows(sheet_name), warnings)


def _sheet_table(name: str, headers: list[str], table: pa.Table, count: int, head: list[list[str]], header_idx: int,
                 recognised: bool, sheet_name: str, sheets: list[str], hidden: list[int],
                 warnings: list[dict]) -> RawTable:
    """A worksheet's RawTable: its ``count`` data rows numbered as the sheet numbers them, the
    hidden ones among them named in a warning (after ``warnings``)."""
    start = header_idx + 2                       # 1-based sheet row of the first data row
    hidden = [h for h in hidden if h >= start]
    if hidden:
        warnings = warnings + [{"code": "hidden_rows", "count": len(hidden), "rows": hidden[:20]}]
    return RawTable(name, headers, table, np.arange(start, start + count, dtype=np.int64), [],
                    {"format": "excel", "sheet": sheet_name, "sheets": sheets,
                     "header_row": header_idx + 1, "header_recognised": recognised,
                     "first_line": _first_line(head)}, warnings)


def _merged_ranges(ws) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    try:
        ranges = ws.merged_cell_ranges or []
    except Exception:   # not every format reports merged cells
        return []
    return [(tuple(a), tuple(b)) for a, b in ranges]


class _HiddenScan:
    """The hidden-row and merged-cell scan of the sheet most likely read, in a thread beside
    the parse of it (calamine and fastexcel do not hold the GIL); another sheet is scanned when
    asked for."""

    def __init__(self, data: bytes, sheet_name: str, sheets: list[str]):
        self.data, self.sheet_name, self.sheets, self.result = data, sheet_name, sheets, None
        self.thread = threading.Thread(target=self._scan, daemon=True, name="hidden-rows")
        self.thread.start()

    def _scan(self) -> None:
        try:
            self.result = xlsx.sheet_marks(self.data, self.sheet_name, self.sheets)
        except Exception:       # scanned again in the caller's thread, where an error is reported
            self.result = None

    def marks(self, sheet_name: str) -> tuple[list[int], bool]:
        if sheet_name == self.sheet_name:
            self.thread.join()
            if self.result is not None:
                return self.result
        return xlsx.sheet_marks(self.data, sheet_name, self.sheets)

    def rows(self, sheet_name: str) -> list[int]:
        return self.marks(sheet_name)[0]



def _excel_arrow(name: str, data: bytes, hidden_scan: _HiddenScan, sheet_name: str,
                 sheets: list[str]) -> RawTable | None:
    """An XLSX sheet read straight into Arrow: the header row found in the sheet's first rows
    (read from its XML), then the columns under it loaded by fastexcel (calamine's parse, typed
    Arrow columns without a Python object per cell) and written as text as ``_cell_text`` writes
    each cell. None, for the cell-by-cell reader to take over, whenever this cannot be sure to
    give the same table: no header row recognised, merged cells, a column holding cells of
    different types (text and numbers, say), a kind of cell it does not write, or any error."""
    try:
        import fastexcel
    except ImportError:
        return None
    got = xlsx.head_rows(data, sheet_name, sheets, EXCEL_HEAD_ROWS)
    if got is None:
        return None
    head, kinds, col0 = got
    header_idx = _head_header(name, head)
    if header_idx is None:
        return None
    headers = head[header_idx][:_filled_width(head[header_idx])]
    headers = [h or f"Kolumn {k + 1}" for k, h in enumerate(headers)]
    n = len(headers)
    # a column whose first rows under the header already mix kinds of cell (text amounts among
    # typed ones, say) is left to the cell-by-cell reader without a load that would fail
    below = kinds[header_idx + 1:]
    if any(len({r[k] for r in below if k < len(r)} - {""}) > 1 for k in range(n)):
        return None
    try:
        ws = fastexcel.read_excel(data).load_sheet(
            sheet_name, header_row=None, skip_rows=header_idx + 1, dtype_coercion="strict",
            schema_sample_rows=None, use_columns=lambda c: col0 <= c.absolute_index < col0 + n)
        first = min((c.absolute_index for c in ws.available_columns()), default=col0)
        batch = ws.to_arrow()
        by_index = {c.absolute_index: batch.column(k) for k, c in enumerate(ws.selected_columns)}
    except Exception:       # mixed types, an odd file: the cell-by-cell reader decides
        return None
    if first != col0:       # a column left of the header's first is in use further down
        return None
    count = batch.num_rows
    columns = []
    for i in range(n):
        col = by_index.get(col0 + i)
        text = _arrow_text(col) if col is not None else pa.array([""] * count, type=pa.string())
        if text is None:
            return None
        columns.append(text)
    hidden, merged = hidden_scan.marks(sheet_name)
    if merged:
        return None
    table = pa.table({f"c{i}": columns[i] for i in range(n)})
    return _sheet_table(name, headers, table, count, head, header_idx, True, sheet_name, sheets, hidden, [])


_EXCEL_EPOCH = dt.datetime(1900, 1, 1)        # a date-formatted value before it is a time of day


def _arrow_text(col: pa.Array) -> pa.Array | None:
    """A typed Arrow column of worksheet cells as ``_cell_text`` writes each cell (blanks as
    ""); None for a type it does not write the same way."""
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.fill_null(col.cast(pa.string()), "")
    if pa.types.is_null(t) or pa.types.is_duration(t):
        return pa.array([""] * len(col), type=pa.string())
    if pa.types.is_floating(t):
        numbers = pc.fill_null(col.cast(pa.float64()), float("nan")).to_numpy(zero_copy_only=False)
        return pa.array(_float_text(numbers), type=pa.string())
    if pa.types.is_integer(t):
        return pc.fill_null(col.cast(pa.string()), "")
    if pa.types.is_boolean(t):
        return pc.fill_null(pc.if_else(col, "TRUE", "FALSE"), "")
    if pa.types.is_date(t):
        return pc.fill_null(pc.strftime(col, "%Y-%m-%d"), "")
    if pa.types.is_timestamp(t):
        stamps = col.cast(pa.timestamp("ms"))
        ms = pc.cast(stamps, pa.int64())
        if pc.any(pc.not_equal(pc.multiply(pc.divide(ms, 1000), 1000), ms)).as_py():
            return None                  # fractions of a second: the cell-by-cell reader writes them
        stamps = stamps.cast(pa.timestamp("s"))           # so %S writes whole seconds
        midnight = pc.equal(pc.cast(pc.cast(stamps, pa.date32()), pa.timestamp("s")), stamps)
        before = pc.less(stamps, pa.scalar(_EXCEL_EPOCH, pa.timestamp("s")))
        text = pc.if_else(before, pc.strftime(stamps, "%H:%M:%S"),
                          pc.if_else(midnight, pc.strftime(stamps, "%Y-%m-%d"), pc.strftime(stamps, "%Y-%m-%d %H:%M:%S")))
        return pc.fill_null(text, "")
    return None


# ---------------------------------------------------------------- Parquet

def read_parquet(name: str, data: bytes) -> RawTable:
    """Read a Parquet file; every column is cast to text for the same parsing path (numbers with
    decimals carry the typed-number mark). ``meta['types']`` keeps each column's Parquet type."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:
        raise IngestError("bad_format", f"the Parquet file could not be read ({str(exc)[:120]}).", file=name) from None
    if table.num_columns > MAX_COLUMNS:
        raise _too_wide(name, table.num_columns)
    headers = list(table.column_names)
    columns, types = {}, {}
    for i, col in enumerate(table.columns):
        types[headers[i]] = str(col.type)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            arr = col.cast(pa.string())
        elif pa.types.is_nested(col.type) or pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type) \
                or pa.types.is_dictionary(col.type) and not pa.types.is_string(col.type.value_type):
            arr = pa.chunked_array([pa.nulls(len(col), pa.string())])
        elif pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
            text = pc.cast(col, pa.string())
            whole = pc.match_substring_regex(text, r"^-?\d+(\.0*)?$")
            marked = pc.binary_join_element_wise(TYPED_NUMBER, text, "")
            arr = pc.if_else(whole, pc.replace_substring_regex(text, r"\.0*$", ""), marked)
        else:
            arr = pc.cast(col, pa.string())
        columns[f"c{i}"] = pc.fill_null(arr, "")
    out = pa.table(columns) if columns else pa.table({})
    source_rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return RawTable(name, headers, out, source_rows, [], {"format": "parquet", "types": types})


def read_rows(name: str, data: bytes, required: str | None,
              vocabulary: str | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A small table file (rules, category tree, contract register) as its header and (file row
    number, cells) rows: .xlsx/.xls/.ods (the first sheet) or delimited text. The header is the
    first row that has a cell equal to ``required`` (ignoring case), the most header-like row of
    the first 30 by ``vocabulary``'s synonyms when given, or the first non-empty row when neither
    is; rows above it (titles, notes) are skipped."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("xlsx", "xlsm", "xls", "ods"):
        import python_calamine as cal
        try:
            wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
            grid = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises several error types for damaged files
            raise IngestError("bad_format", f"the workbook could not be opened ({str(exc)[:120]}). Open it in "
                              "Excel and save it again as .xlsx.", file=name) from None
        rows = [[_cell_text(v).replace(TYPED_NUMBER, "").strip() for v in r] for r in grid]
    else:
        text, _enc = decode(data)
        delim = sniff_delimiter(text.splitlines()[:50])
        # read from the text itself, so a quoted cell keeps its line breaks (several suppliers in one cell)
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim)]
    if vocabulary is not None and required is None:
        i = find_header_row(rows, vocabulary=vocabulary)
        if i is None:
            raise IngestError("no_header_found", "no header row with recognisable column names among the first rows; "
                              "the first row reads: '" + " | ".join(next((r for r in rows if any(r)), []))[:120] +
                              "'. Add a header row or rename the columns.", file=name)
        return rows[i], [(i + 1 + k + 1, cells) for k, cells in enumerate(rows[i + 1:])]
    for i, r in enumerate(rows):
        if (required is None and any(r)) or (required is not None and any(c.lower() == required.lower() for c in r)):
            return r, [(i + 1 + k + 1, cells) for k, cells in enumerate(rows[i + 1:])]
    raise IngestError("no_header_named", f"no header row with a column '{required}' was found", file=name, column=required)
