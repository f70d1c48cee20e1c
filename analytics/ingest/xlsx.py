"""An XLSX package's sheet XML read directly, for what calamine does not give cheaply: the rows
a sheet hides and whether it merges cells (one streamed pass over the sheet), and the sheet's
first rows as text (a short read at the start of the sheet and of its shared strings), so the
header row is found before the whole sheet is parsed.

Nothing here interprets values beyond turning a cell into the text a person would read as the
header; readers.py does the reading of the data."""

from __future__ import annotations

import codecs
import html
import io
import re
import zipfile

_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_ROW_NO = re.compile(rb'\br="(\d+)"')
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b")
BLOCK = 1 << 22


def sheet_path(zf: zipfile.ZipFile, sheet_name: str, sheets: list[str]) -> str | None:
    """The zip member holding the named sheet's XML, from the workbook and its relationships."""
    try:
        book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return None
    from xml.sax.saxutils import escape
    m = re.search(r'<(?:\w+:)?sheet\b[^>]*name="' + re.escape(escape(sheet_name, {'"': "&quot;"})) + r'"[^>]*>', book)
    if not m:
        return None
    rid = re.search(r'r:id="([^"]+)"', m.group(0)) or re.search(r'\bid="([^"]+)"', m.group(0))
    if not rid:
        return None
    t = re.search(r'<Relationship\b[^>]*Id="' + re.escape(rid.group(1)) + r'"[^>]*>', rels)
    if not t:
        return None
    target = re.search(r'Target="([^"]+)"', t.group(0)).group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def sheet_marks(data: bytes, sheet_name: str, sheets: list[str]) -> tuple[list[int], bool]:
    """(row numbers the sheet marks hidden, whether it merges any cells), read from the sheet's
    XML in chunks; ([], False) for other formats."""
    if bytes(data[:4]) != b"PK\x03\x04":
        return [], False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            path = sheet_path(zf, sheet_name, sheets)
            if not path:
                return [], False
            hidden: list[int] = []
            merged = False
            tail = b""
            with zf.open(path) as fh:
                while True:
                    block = fh.read(BLOCK)
                    if not block:
                        break
                    text = tail + block
                    cut = text.rfind(b"<")
                    body, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
                    merged = merged or _MERGE.search(body) is not None
                    if b"hidden=" not in body:       # most sheets hide nothing: no tag to look at
                        continue
                    for m in _ROW_TAG.finditer(body):
                        if _HIDDEN.search(m.group(1)):
                            number = _ROW_NO.search(m.group(1))
                            if number:
                                hidden.append(int(number.group(1)))
            return hidden, merged
    except (zipfile.BadZipFile, KeyError, OSError):
        return [], False


# ---------------------------------------------------------------- the first rows

_ROW = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(r'\b([\w:]+)="([^"]*)"')
_V = re.compile(r"<(?:\w+:)?v\b[^>]*>(.*?)</(?:\w+:)?v>", re.S)
_T = re.compile(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_SI = re.compile(r"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_REF = re.compile(r"([A-Z]+)(\d+)$")


def _text(xml: str) -> str:
    """A string item's text: its runs joined, phonetic hints left out, entities and Excel's
    _xHHHH_ escapes read."""
    xml = _PHONETIC.sub("", xml)
    raw = "".join(_T.findall(xml))
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(raw))


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _number_text(v: str) -> str:
    try:
        f = float(v)
    except ValueError:
        return v
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def _read_until(fh, stop, limit: int) -> str:
    """The member's text from its start until ``stop(text)`` holds or ``limit`` bytes are read."""
    got = b""
    while len(got) < limit:
        block = fh.read(1 << 18)
        if not block:
            break
        got += block
        if stop(got):
            break
    return got.decode("utf-8", "replace")


def head_rows(data: bytes, sheet_name: str, sheets: list[str], n: int,
              limit: int = 16 << 20) -> tuple[list[list[str]], list[list[str]], int] | None:
    """The sheet's first ``n`` rows (sheet rows 1..n, empty ones included) as text cells from
    the first column any of them uses, the kind of each of those cells ("text", "number" (dates
    too), "bool", "error", "" when blank), and that column (0-based); None when the XML does not
    say where each row and cell is, or the start is larger than ``limit``. Numbers are written
    as numbers (a date as its serial number): these rows serve to find the header."""
    if bytes(data[:4]) != b"PK\x03\x04":
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            path = sheet_path(zf, sheet_name, sheets)
            if not path:
                return None
            with zf.open(path) as fh:
                xml = _read_until(fh, lambda b: b.count(b"</row>") + b.count(b":row>") > n
                                  or b"</sheetData>" in b or b"sheetData/>" in b, limit)
            cells: dict[int, dict[int, tuple[str, str]]] = {}
            for m in _ROW.finditer(xml):
                attrs = dict(_ATTR.findall(m.group(1)))
                if "r" not in attrs:
                    return None
                row = int(attrs["r"])
                if row > n:
                    break
                for c in _CELL.finditer(m.group(2) or ""):
                    ca = dict(_ATTR.findall(c.group(1)))
                    ref = _REF.match(ca.get("r", ""))
                    if not ref or int(ref.group(2)) != row:
                        return None
                    body = c.group(2) or ""
                    kind = ca.get("t", "n")
                    if kind == "inlineStr":
                        value = ("t", _text(body))
                    else:
                        v = _V.search(body)
                        value = (kind, html.unescape(v.group(1)) if v else "")
                    cells.setdefault(row, {})[_column(ref.group(1))] = value
            wanted = {int(v) for r in cells.values() for k, v in r.values() if k == "s" and v.isdigit()}
            strings = _shared_strings(zf, max(wanted)) if wanted else []
            if wanted and len(strings) <= max(wanted):
                return None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None

    def show(kind: str, v: str) -> str:
        if kind == "s":
            return strings[int(v)]
        if kind == "b":
            return "TRUE" if v == "1" else "FALSE"
        if kind == "e":
            return ""
        if kind == "n":
            return _number_text(v) if v else ""
        return v
    first = min((c for r in cells.values() for c in r), default=0)
    rows, kinds = [], []
    for row in range(1, n + 1):
        got = cells.get(row, {})
        width = max(got, default=first - 1) - first + 1
        rows.append([show(*got[first + k]).strip() if first + k in got else "" for k in range(width)])
        kinds.append([_KIND.get(got[first + k][0], "number") if first + k in got and got[first + k][1] != "" else ""
                      for k in range(width)])
    return rows, kinds, first


_KIND = {"s": "text", "str": "text", "t": "text", "inlineStr": "text", "b": "bool", "e": "error"}


def _shared_strings(zf: zipfile.ZipFile, last: int) -> list[str]:
    """The workbook's shared strings from the first through index ``last`` (or all there are)."""
    try:
        fh = zf.open("xl/sharedStrings.xml")
    except KeyError:
        return []
    out: list[str] = []
    tail = ""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")     # a character may span two blocks
    with fh:
        while len(out) <= last:
            block = fh.read(1 << 18)
            if not block:
                break
            text = tail + decoder.decode(block)
            end = 0
            for m in _SI.finditer(text):
                out.append(_text(m.group(1) or ""))
                end = m.end()
            tail = text[end:]
    return out
