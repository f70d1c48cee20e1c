"""Turn a RawTable of text cells into ledger lines, in DuckDB over the whole file at once.

A statistics pass decides what holds for the whole file: the amount column's convention (decimal
comma or point, from the values that can only be read one way), day-month or month-day order,
whether supplier ids are organisation numbers. Then one SELECT sorts every row into a kind: a
ledger line, a blank row, a total row, or junk with a reason. Every amount is read by its own
shape under the column's convention; a value that contradicts the convention, or that reads two
ways (1.234 with nothing else in the column to say which), is refused by row and never read at
another magnitude.

Only a narrow table is kept per file (row number, kind, amount, dates, currency); the lines' text
columns are read again from the file's Arrow table when they are written (``lines_select``), so
a pending upload holds the file about once, not three times. Nothing is written to the store
here; the results are temporary tables on the cursor.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..orgno import classify_sql, mask_embedded, mask_embedded_sql
from .columns import FIELDS, REQUIRED_ANY_SUPPLIER, Mapping
from .errors import IngestError
from .periods import format_period, period_from_filename
from .readers import TYPED_NUMBER, RawTable

MAX_CELL_CHARS = 32_767            # Excel's own limit; a longer cell is a broken export
MAX_REJECTED_SHARE = 0.05          # more junk than this and the file is refused, not half-loaded
SAMPLES_PER_PROBLEM = 10
EARLIEST_DATE = dt.date(1990, 1, 1)   # dates before, or more than a year ahead, need a confirmation
_counter = itertools.count(1)

# A whole cell that labels a total row: "Summa", "Totalt:", "Grand total 2016", "Summa totalt".
TOTAL_WORDS = (r"^\s*(grand\s+)?(summa|total|totalt|totals|sum|slutsumma|totalsumma)"
               r"(\s+(totalt|total|summa))?\s*[:.]?\s*[0-9\s/q-]*$")
LEGAL_SUFFIXES = ("AB", "AKTIEBOLAG", "PUBL", "HB", "KB", "LTD", "LIMITED", "PLC", "INC", "LLC", "LLP",
                  "CO", "CORP", "GMBH", "OY", "AS", "APS", "BV")
# Currency words and signs in amount cells and currency columns -> ISO code.
CURRENCY_WORDS = {"KR": "SEK", "KR.": "SEK", "SEK": "SEK", "SKR": "SEK", "KRONOR": "SEK", ":-": "SEK",
                  "€": "EUR", "EUR": "EUR", "EURO": "EUR", "$": "USD", "US$": "USD", "USD": "USD",
                  "£": "GBP", "GBP": "GBP", "NOK": "NOK", "DKK": "DKK"}
_AMOUNT_CURRENCY = "(?i)(kr\\.?|sek|gbp|usd|eur|nok|dkk|:-|[£$€])"

# Amount shapes (the text without spaces, currency and sign); each is read one way, or votes for
# the column's convention, or is ambiguous. 'c' = decimal comma, 'p' = decimal point.
SHAPES = [
    ("int", "\\d+"),
    ("c_dec", "\\d+,\\d{1,2}|\\d+,\\d{4,}|\\d{4,},\\d{3}|0,\\d+|,\\d{1,2}"),
    ("p_dec", "\\d+\\.\\d{1,2}|\\d+\\.\\d{4,}|\\d{4,}\\.\\d{3}|0\\.\\d+|\\.\\d{1,2}"),
    ("c_dec_pt", "\\d{1,3}(\\.\\d{3})+,\\d+"),     # 1.234,50: comma decimal, point thousands
    ("p_dec_ct", "\\d{1,3}(,\\d{3})+\\.\\d+"),     # 1,234.50
    ("pt", "\\d{1,3}(\\.\\d{3}){2,}"),             # 1.234.567: point thousands
    ("ct", "\\d{1,3}(,\\d{3}){2,}"),               # 1,234,567
    ("p3", "[1-9]\\d{0,2}\\.\\d{3}"),              # 1.234: 1,234 or 1 234?
    ("c3", "[1-9]\\d{0,2},\\d{3}"),                # 1,234: 1,234 or 1 234?
    ("sci", "(\\d+(\\.\\d*)?|\\.\\d+)[eE][+-]?\\d+"),
]
COMMA_VOTES = ("c_dec", "c_dec_pt", "pt")
POINT_VOTES = ("p_dec", "p_dec_ct", "ct")


@dataclass
class ParsedFile:
    """The outcome of parsing one file: where its lines wait, what was excluded, what to tell."""
    file_name: str
    table: str                       # narrow temp table on the cursor: row, kind, amount, dates, currency
    lines: int
    total: float
    period_from: dt.date | None
    period_to: dt.date | None
    months: list[dt.date]
    report: dict = field(default_factory=dict)
    sql: dict = field(default_factory=dict)      # what lines_select needs: view name, expressions, lookups
    arrow: pa.Table | None = None                # the file's cells, registered again to write the lines
    currency: str = "SEK"                        # the currency of ``amount`` (the store's)


def _money(v) -> float:
    return round(float(v or 0), 2)


def _expr(mapping: Mapping, name: str, typed: frozenset[int] = frozenset(), clean: frozenset[int] = frozenset()) -> str:
    """SQL for a mapped field's trimmed text, '' when unmapped. Column names are c0..cN, ours.
    ``typed``: the columns holding typed numbers (of a workbook or Parquet file) whose mark is
    removed, except in the amount, where it says the value is exact. ``clean``: the columns
    no cell of which starts or ends with a space (``clean_columns``)."""
    i = mapping.columns.get(name)
    if i is None:
        return "''"
    cell = trimmed(f"c{int(i)}", int(i) in clean)
    if int(i) in typed and name != "amount":
        return f"replace({cell}, chr(31), '')"
    return cell


def trimmed(column: str, clean: bool = False) -> str:
    """SQL: ``column`` (a column's name) as trim() gives it; the column itself when it is
    ``clean`` (no cell starts or ends with a space: ``clean_columns``). A ledger's columns seldom
    have such cells, and trim() over every cell cost a sixth of the parse."""
    return column if clean else f"trim({column})"


# what DuckDB's trim() removes: the Unicode space separators (the space, the no-break, thin,
# en and em spaces ...); in UTF-8 each begins with one of a few bytes and ends with one of a few
SPACE_SEPARATORS = frozenset(chr(c) for c in (0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000))
_FIRST_BYTES = np.zeros(256, dtype=bool)
_LAST_BYTES = np.zeros(256, dtype=bool)
for _ch in SPACE_SEPARATORS:
    _FIRST_BYTES[_ch.encode()[0]] = _LAST_BYTES[_ch.encode()[-1]] = True
MAX_EDGE_CANDIDATES = 10_000    # more cells that might start or end with one: the column is trimmed


def clean_columns(table: pa.Table, indices) -> frozenset[int]:
    """Those of the text columns ``indices`` of ``table`` where no cell starts or ends with a
    space separator. Read from the Arrow buffers: each cell's first and last byte, and only the
    few cells whose bytes could begin or end one (not 'ö' or 'å', whose bytes are others) are
    looked at as text."""
    return frozenset(int(i) for i in indices if _clean(table.column(int(i))))


def _clean(column) -> bool:
    if column.type not in (pa.string(), pa.large_string()):
        return False
    for chunk in column.chunks:
        n = len(chunk)
        _, offsets, data = chunk.buffers()
        if n == 0 or data is None or len(data) == 0:
            continue
        width = np.int64 if chunk.type == pa.large_string() else np.int32
        o = np.frombuffer(offsets, dtype=width)[chunk.offset:chunk.offset + n + 1].astype(np.int64)
        b = np.frombuffer(data, dtype=np.uint8)
        start, end = o[:-1], o[1:]
        filled = end > start
        if chunk.null_count:
            filled &= chunk.is_valid().to_numpy(zero_copy_only=False)
        top = len(b) - 1
        maybe = filled & (_FIRST_BYTES[b[np.minimum(start, top)]] | _LAST_BYTES[b[np.clip(end - 1, 0, top)]])
        rows = np.flatnonzero(maybe)
        if len(rows) > MAX_EDGE_CANDIDATES:
            return False
        for r in rows.tolist():
            text = chunk[r].as_py()
            if text[0] in SPACE_SEPARATORS or text[-1] in SPACE_SEPARATORS:
                return False
    return True


def _typed_columns(raw: RawTable, mapping: Mapping) -> frozenset[int]:
    """The mapped columns where some cell holds the typed-number mark (workbooks, Parquet)."""
    if raw.meta.get("format") not in ("excel", "parquet"):
        return frozenset()
    return frozenset(int(i) for i in mapping.columns.values()
                     if pc.any(pc.match_substring(raw.table.column(int(i)), TYPED_NUMBER)).as_py())


def _amount_core(a: str) -> str:
    """SQL: the amount text without spaces, currency, sign and brackets (digits and separators)."""
    s = f"regexp_replace({a}, '[\\s\u00a0\u202f\u2009''\"]', '', 'g')"
    s = f"regexp_replace({s}, '{_AMOUNT_CURRENCY}', '', 'g')"
    return f"regexp_replace({s}, '^[(+\\-−–]+|[)\\-−–]+$', '', 'g')"


def _amount_negative(a: str) -> str:
    s = f"regexp_replace({a}, '[\\s\u00a0\u202f\u2009]|{_AMOUNT_CURRENCY}', '', 'g')"
    return f"(regexp_matches({s}, '^[-−–]') OR regexp_matches({s}, '[-−–]$') OR regexp_matches({s}, '^\\(.*\\)$'))"


def _shape_sql(core: str) -> str:
    """SQL: the shape name of an amount core (see SHAPES); 'typed', 'empty' or 'bad' otherwise."""
    whens = " ".join(f"WHEN regexp_full_match({core}, '{rx}') THEN '{name}'" for name, rx in SHAPES)
    return (f"CASE WHEN {core} = '' THEN 'empty' WHEN starts_with({core}, chr(31)) THEN 'typed' "
            f"{whens} ELSE 'bad' END")


def decide_decimal(votes: dict, decimal: str | None) -> str | None:
    """The column's decimal separator: the person's choice, else the convention most values that
    read one way show ('' when no value says)."""
    if decimal in (",", "."):
        return decimal
    comma = sum(votes.get(s, 0) for s in COMMA_VOTES)
    point = sum(votes.get(s, 0) for s in POINT_VOTES)
    if not comma and not point:
        return None
    return "," if comma >= point else "."


def _shape_reading(decimal: str | None, chosen: bool = False) -> dict[str, str | None]:
    """Per shape: how it reads under the column's convention ('num' text to cast, or a refusal
    kind). ``{c}`` stands for the core. ``chosen``: the person chose the separator, so 1,234 with a decimal
    comma is 1.234 (rounded, with a warning) rather than ambiguous."""
    if decimal == ",":
        ok = {"c_dec": "replace({c}, ',', '.')", "c_dec_pt": "replace(replace({c}, '.', ''), ',', '.')",
              "pt": "replace({c}, '.', '')", "p3": "replace({c}, '.', '')"}
        refuse = {"p_dec": "junk_amount_convention", "p_dec_ct": "junk_amount_convention",
                  "ct": "junk_amount_convention", "c3": "junk_amount_ambiguous"}
    elif decimal == ".":
        ok = {"p_dec": "{c}", "p_dec_ct": "replace({c}, ',', '')", "ct": "replace({c}, ',', '')",
              "c3": "replace({c}, ',', '')"}
        refuse = {"c_dec": "junk_amount_convention", "c_dec_pt": "junk_amount_convention",
                  "pt": "junk_amount_convention", "p3": "junk_amount_ambiguous"}
    else:   # nothing in the column says: only unambiguous shapes read (there are none of c/p)
        ok = {}
        refuse = {"p3": "junk_amount_ambiguous", "c3": "junk_amount_ambiguous"}
    ok["int"] = "{c}"
    if chosen and decimal == ",":
        ok["c3"] = "replace({c}, ',', '.')"
        refuse.pop("c3")
    if chosen and decimal == ".":
        ok["p3"] = "{c}"
        refuse.pop("p3")
    return {"ok": ok, "refuse": refuse}


def _amount_columns(a: str, decimal: str | None, chosen: bool = False) -> tuple[str, str, str]:
    """SQL for (amount DECIMAL(18,2) or NULL, refusal kind or NULL) of amount text ``a``; the core,
    shape and sign come from columns ``core``, ``shape`` and ``negative`` of the same row."""
    reading = _shape_reading(decimal, chosen)
    num_whens = " ".join(f"WHEN '{s}' THEN {expr.format(c='core')}" for s, expr in reading["ok"].items())
    exact = f"try_cast((CASE shape {num_whens} END) AS DECIMAL(38, 6))"
    typed = "try_cast(substr(core, 2) AS DOUBLE)"
    sci = "try_cast(core AS DOUBLE)"
    sign = "(CASE WHEN negative THEN -1 ELSE 1 END)"
    # a shape read as a whole number or with at most two decimals is its value without rounding
    short = f"try_cast((CASE shape {num_whens} END) AS DECIMAL(18, 2))"
    value = f"""CASE
        WHEN two_decimals THEN {short}
        WHEN shape = 'typed' THEN try_cast(round({typed}, 2) AS DECIMAL(18, 2))
        WHEN shape = 'sci' THEN try_cast(round({sci}, 2) AS DECIMAL(18, 2))
        ELSE try_cast(round({exact}, 2) AS DECIMAL(18, 2)) END"""
    rounded = f"""CASE
        WHEN two_decimals THEN false
        WHEN shape = 'typed' THEN abs({typed} - round({typed}, 2)) > 1e-6
        WHEN shape = 'sci' THEN abs({sci} - round({sci}, 2)) > 1e-6
        ELSE {exact} <> round({exact}, 2) END"""
    refuse_whens = " ".join(f"WHEN '{s}' THEN '{kind}'" for s, kind in reading["refuse"].items())
    refusal = f"CASE shape {refuse_whens} WHEN 'bad' THEN 'junk_amount' END" if refuse_whens else \
        "CASE shape WHEN 'bad' THEN 'junk_amount' END"
    return f"({sign} * ({value}))", f"({refusal})", f"coalesce({rounded}, false)"


# Date shapes, tested in this order.
_ISO = "'^\\d{4}-\\d{1,2}-\\d{1,2}([ T].*)?$'"
_DMY = "'^(\\d{1,2})([./-])(\\d{1,2})[./-](\\d{4}|\\d{2})([ T].*)?$'"
_YM6 = "'^(19|20)\\d{2}(0[1-9]|1[0-2])$'"
_YM = "'^(19|20)\\d{2}[-/](0?[1-9]|1[0-2])$'"
_YMD8 = "'^(19|20)\\d{6}$'"
_SERIAL = "'^[2-7]\\d{4}(\\.\\d+)?$'"
_TIME = "'^\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$'"


def _date_sql(d: str, order: str, pivot: int) -> str:
    """SQL: the booking date (DATE) of text ``d``; ``order`` is 'dmy' or 'mdy' for slash dates;
    two-digit years up to ``pivot`` are 20yy, later ones 19yy."""
    p1 = f"TRY_CAST(regexp_extract({d}, {_DMY}, 1) AS INTEGER)"
    p2 = f"TRY_CAST(regexp_extract({d}, {_DMY}, 3) AS INTEGER)"
    yr = f"TRY_CAST(regexp_extract({d}, {_DMY}, 4) AS INTEGER)"
    year = f"(CASE WHEN {yr} <= {pivot} THEN 2000 + {yr} WHEN {yr} < 100 THEN 1900 + {yr} ELSE {yr} END)"
    day, month = (p1, p2) if order == "dmy" else (p2, p1)
    return f"""CASE
        WHEN regexp_matches({d}, {_ISO}) THEN try_cast(try_strptime(regexp_extract({d}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}'), '%Y-%m-%d') AS DATE)
        WHEN regexp_matches({d}, {_DMY}) THEN try_cast(try_strptime({year} || '-' || {month} || '-' || {day}, '%Y-%m-%d') AS DATE)
        WHEN regexp_matches({d}, {_YMD8}) THEN try_cast(try_strptime({d}, '%Y%m%d') AS DATE)
        WHEN regexp_matches({d}, {_SERIAL}) THEN DATE '1899-12-30' + TRY_CAST(floor(TRY_CAST({d} AS DOUBLE)) AS INTEGER)
        END"""


def _month_sql(d: str) -> str:
    """SQL: the first day of the month for period-only text (YYYYMM, YYYY-MM)."""
    return f"""CASE
        WHEN regexp_matches({d}, {_YM6}) THEN make_date(TRY_CAST(substr({d}, 1, 4) AS INTEGER), TRY_CAST(substr({d}, 5, 2) AS INTEGER), 1)
        WHEN regexp_matches({d}, {_YM}) THEN make_date(TRY_CAST(substr({d}, 1, 4) AS INTEGER), TRY_CAST(regexp_extract({d}, '[-/](\\d+)$', 1) AS INTEGER), 1)
        END"""


def _currency_sql(x: str) -> str:
    """SQL: the ISO code of a currency word or sign ``x`` ('' for none, '?'+text when unknown)."""
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CURRENCY_WORDS.items())
    u = f"upper(trim({x}))"
    return (f"CASE {u} WHEN '' THEN '' {whens} ELSE CASE WHEN regexp_full_match({u}, '[A-Z]{{3}}') "
            f"THEN {u} ELSE '?' || {u} END END")


def name_norm_sql(n: str) -> str:
    """SQL: a supplier name normalised for matching: upper case, punctuation and legal-form words
    (AB, LTD ...) removed, spaces collapsed."""
    s = f"' ' || regexp_replace(upper({n}), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g') || ' '"
    words = "|".join(LEGAL_SUFFIXES)
    for _ in range(2):  # adjacent suffixes share a space ("LTD CO"), so run twice
        s = f"regexp_replace({s}, ' ({words}) ', ' ', 'g')"
    return f"nullif(trim(regexp_replace({s}, '\\s+', ' ', 'g')), '')"


# An amount's pattern: its text with the digits 2-9 written as 1. Every rule about an amount's
# shape, sign, currency and spacing tells only 0, other digits and the rest apart, so one pattern
# has one shape, one sign and one set of characters to strip, decided once per pattern (a ledger's
# million amounts have some hundred patterns) instead of by regular expressions on every line.
# The pattern is made in Arrow, one byte-table lookup over the column's text (digits are single
# bytes in UTF-8, so every other character stays as it is); DuckDB's translate() costs ten times more.
MAX_PATTERNS = 20_000          # more distinct patterns (not a ledger's amounts): every line by itself
PATTERN_COLUMN = "_amtpat"     # the amount column's pattern, beside the file's cells
_PATTERN_BYTES = np.arange(256, dtype=np.uint8)
_PATTERN_BYTES[ord("2"):ord("9") + 1] = ord("1")
MAX_STRIP_CASES = 12           # the commonest sets of characters to strip get a replace() chain each


def digit_pattern(column) -> pa.ChunkedArray:
    """The texts of ``column`` with the digits 2-9 written as 1 (nulls stay null)."""
    if not isinstance(column, pa.ChunkedArray):
        column = pa.chunked_array([column])
    if column.type not in (pa.string(), pa.large_string()):
        column = column.cast(pa.string())
    chunks = []
    for chunk in column.chunks:
        validity, offsets, data = chunk.buffers()
        mapped = None if data is None else pa.py_buffer(_PATTERN_BYTES[np.frombuffer(data, dtype=np.uint8)])
        chunks.append(pa.Array.from_buffers(chunk.type, len(chunk), [validity, offsets, mapped],
                                            null_count=chunk.null_count, offset=chunk.offset))
    return pa.chunked_array(chunks, type=column.type)


def _strip_sql(a: str, strips: list[str]) -> str:
    """SQL: ``a`` without its pattern's characters to strip (column ``strip``): a replace() chain
    for each of the commonest sets, translate() for the rest."""
    whens = []
    for chars in strips[:MAX_STRIP_CASES]:
        expr = a
        for ch in chars:
            expr = f"replace({expr}, chr({ord(ch)}), '')"
        whens.append(f"WHEN {_sql_text(chars)} THEN {expr}")
    rest = f"translate({a}, strip, '')"
    return f"CASE strip {' '.join(whens)} ELSE {rest} END" if whens else rest


def _sql_text(text: str) -> str:
    return " || ".join(f"chr({ord(ch)})" for ch in text) if text else "''"


def strip_chars(pattern: str, core: str) -> str | None:
    """The characters whose deletion turns an amount with ``pattern`` into its core (digits and
    separators), when deleting every occurrence of them does exactly that; else None (the same
    character is kept in one place and dropped in another, as the point of "1.234,50 kr.")."""
    if pattern is None or core is None:
        return None
    removed = set(pattern) - set(core) | {ch for ch in set(pattern) if pattern.count(ch) != core.count(ch)}
    chars = "".join(sorted(removed))
    if set(chars) & set(core) or pattern.translate({ord(ch): None for ch in chars}) != core:
        return None
    return chars


def _amount_patterns(cur, view: str, a: str, k: int, pat: str) -> tuple[dict, str | None, list[str], int]:
    """Temp table amt_{k}: each amount pattern of the file with its count, smallest text, shape,
    sign and the characters to strip (NULL: that pattern's lines are read by the full expressions);
    returns the lines per shape, the smallest amount of an ambiguous shape, the sets of
    characters to strip (commonest first) and the number of rows with an amount."""
    core = _amount_core("pat")
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE amtpat_{k} AS
        SELECT pat, n, example, shape, core, negative, currency_mark,
               shape IN ('int', 'pt', 'ct') OR shape IN ('c_dec', 'p_dec', 'c_dec_pt', 'p_dec_ct')
                   AND length(regexp_extract(core, '[.,](\\d*)$', 1)) <= 2 AS two_decimals FROM (
        SELECT pat, n, example, {_shape_sql('core')} AS shape, core, negative, currency_mark FROM (
            SELECT pat, n, example, {core} AS core, {_amount_negative('pat')} AS negative,
                   {_currency_sql(f"regexp_extract(pat, '{_AMOUNT_CURRENCY}', 1)")} AS currency_mark
            FROM (SELECT {pat} AS pat, count(*) AS n, min({a}) AS example FROM {view} GROUP BY 1)))""")
    rows = cur.execute(f"SELECT pat, core FROM amtpat_{k} WHERE pat IS NOT NULL").fetchall()
    many = len(rows) > MAX_PATTERNS            # then no pattern is known and every line reads its own text
    strips = [] if many else [strip_chars(p, c) for p, c in rows]
    cur.register(f"_strips_{k}", pa.table({"pat": pa.array([] if many else [r[0] for r in rows], pa.string()),
                                           "strip": pa.array(strips, pa.string())}))
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE amt_{k} AS
                    SELECT p.*, s.strip FROM amtpat_{k} p JOIN _strips_{k} s USING (pat)""")
    cur.unregister(f"_strips_{k}")
    shapes = dict(cur.execute(f"SELECT shape, sum(n)::BIGINT FROM amtpat_{k} GROUP BY 1").fetchall())
    filled = cur.execute(f"SELECT coalesce(sum(n), 0) FROM amtpat_{k} WHERE pat <> ''").fetchall()[0][0]
    example = cur.execute(f"SELECT min(example) FROM amtpat_{k} WHERE shape IN ('p3', 'c3')").fetchall()[0][0]
    cur.execute(f"DROP TABLE amtpat_{k}")
    common = [r[0] for r in cur.execute(f"SELECT strip FROM amt_{k} WHERE strip IS NOT NULL "
                                         "GROUP BY 1 ORDER BY sum(n) DESC, 1").fetchall()]
    return shapes, example, common, filled


def _file_stats(cur, view: str, mapping: Mapping, typed: frozenset[int], clean: frozenset[int], k: int) -> dict:
    a, d = _expr(mapping, "amount", clean=clean), _expr(mapping, "date", typed, clean)
    sid = _expr(mapping, "supplier_id", typed, clean)
    org_status = f"({classify_sql('sid')}).org_no_status"
    pat = trimmed(PATTERN_COLUMN, int(mapping.columns["amount"]) in clean)    # the pattern keeps the amount's spaces
    shapes, ambiguous, strips, filled = _amount_patterns(cur, view, a, k, pat)
    # the file's distinct date texts, read for the statistics here and parsed once each later
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE dtext_{k} AS
                    SELECT {d} AS date_text, count(*) AS n, min(_row) AS first_row FROM {view} GROUP BY 1""")
    row = cur.execute(f"""
        WITH dd AS (SELECT date_text AS d, n, first_row FROM dtext_{k})
        SELECT
          coalesce(sum(n) FILTER (WHERE regexp_matches(d, {_DMY})), 0) AS slash_dates,
          coalesce(sum(n) FILTER (WHERE regexp_matches(d, {_DMY}) AND regexp_extract(d, {_DMY}, 2) = '/'), 0) AS true_slash,
          max(TRY_CAST(regexp_extract(d, {_DMY}, 1) AS INTEGER)) FILTER (WHERE regexp_matches(d, {_DMY})) AS max_p1,
          max(TRY_CAST(regexp_extract(d, {_DMY}, 3) AS INTEGER)) FILTER (WHERE regexp_matches(d, {_DMY})) AS max_p2,
          arg_min(d, first_row) FILTER (WHERE regexp_matches(d, {_DMY})) AS slash_example,
          coalesce(sum(n) FILTER (WHERE d <> '' AND NOT regexp_matches(d, {_TIME})), 0) AS usable_dates,
          coalesce(sum(n) FILTER (WHERE regexp_matches(d, {_TIME})), 0) AS time_only
        FROM dd""").fetchall()[0]
    cols = [c[0] for c in cur.description]
    stats = dict(zip(cols, row))
    stats["shapes"], stats["ambiguous_example"], stats["strips"] = shapes, ambiguous, strips
    stats["amount_filled"] = filled
    # organisation-number shapes over the distinct supplier ids only
    stats["sid_filled"], stats["sid_orgno"] = cur.execute(f"""
        SELECT coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE {org_status} IN ('valid', 'personal')), 0)
        FROM (SELECT sid, count(*) AS n FROM (SELECT {sid} AS sid FROM {view}) WHERE sid <> '' GROUP BY sid)""").fetchall()[0]
    return stats


def decide_date_order(stats: dict, date_order: str | None, file_name: str, column: str | None) -> str:
    """'dmy' or 'mdy' for the file's slash dates, from its values; never a silent guess."""
    if date_order in ("dmy", "mdy"):
        return date_order
    if not stats["slash_dates"]:
        return "dmy"
    if not stats["true_slash"]:
        return "dmy"            # 23.11.2026 and 23-11-2026 are never month first
    p1, p2 = stats["max_p1"] or 0, stats["max_p2"] or 0
    if p1 > 12 and p2 <= 12:
        return "dmy"
    if p2 > 12 and p1 <= 12:
        return "mdy"
    if p1 > 12 and p2 > 12:
        return "dmy"            # mixed orders: rows that fail are reported as junk
    raise IngestError(
        "date_order_ambiguous",
        f"every date (such as '{stats['slash_example']}') reads both as day/month and as month/day. "
        "Choose the order: day first (31/12/2016) or month first (12/31/2016) "
        "(command line: --date-order dmy|mdy).",
        file=file_name, column=column, example=stats["slash_example"])


# Parquet types each field can be read from (checked before parsing, so the message names them).
_PARQUET_OK = {
    "amount": ("int", "uint", "float", "double", "decimal", "string", "large_string", "halffloat"),
    "date": ("date", "timestamp", "string", "large_string", "int", "uint"),
}


def _check_parquet_types(raw: RawTable, mapping: Mapping) -> None:
    types = raw.meta.get("types")
    if not types:
        return
    wrong = []
    for f, i in mapping.columns.items():
        header = raw.headers[i]
        typ = types.get(header, "")
        allowed = _PARQUET_OK.get(f)
        unusable = typ.startswith(("binary", "large_binary", "list", "large_list", "struct", "map",
                                   "fixed_size", "dictionary<values=binary"))
        if allowed and not typ.startswith(allowed) or unusable or (f == "amount" and typ == "bool"):
            wrong.append(f"'{header}' ({typ})")
    if wrong:
        raise IngestError("parquet_types", "these columns have a Parquet type the import cannot read for what "
                          "they hold: " + ", ".join(wrong) + ". Amounts must be numbers or text, dates must be "
                          "dates, timestamps or text. Write the file again with those types, or choose other "
                          "columns.", file=raw.file_name, columns=", ".join(wrong))


def parse_file(cur: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, *,
               period: tuple[dt.date, str] | None = None, date_order: str | None = None,
               decimal: str | None = None, currency: str = "SEK", target_currency: str | None = None,
               rates: dict | None = None, allow_dates_outside: bool = False,
               today: dt.date | None = None) -> ParsedFile:
    """Parse one read file into temp tables on ``cur`` and a validation report.

    ``currency`` is the currency of amounts that state none; ``target_currency`` the store's
    (lines in another currency need a rate in ``rates``: {code: rate} or {(code, month): rate}).
    Raises IngestError when the file as a whole cannot be loaded (no amount column, no supplier
    column, no period for undated rows, a currency without a rate, too many junk rows)."""
    name = raw.file_name
    for code in (currency, target_currency or currency):
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
            raise IngestError("bad_currency", f"'{code}' is not a currency code; write three letters such as SEK "
                              "or EUR.", value=str(code)[:40])
    headers = ", ".join(h for h in raw.headers if h)
    if not raw.header_recognised and ("amount" not in mapping.columns
                                      or not any(f in mapping.columns for f in REQUIRED_ANY_SUPPLIER)):
        first = raw.meta.get("first_line") or " | ".join(h for h in raw.headers if h)[:120]
        if raw.meta.get("format") == "excel":
            sheets = ", ".join(raw.meta.get("sheets", []))
            raise IngestError("no_sheet_with_header", "no sheet has a header row with recognisable column names "
                              f"(for example Leverantör, Belopp, Datum). Sheets: {sheets}; sheet "
                              f"'{raw.meta.get('sheet')}' was read, its first row reads '{mask_embedded(first)}'. "
                              "Choose the sheet with the ledger, choose the columns by hand in the column mapping, "
                              "or add a header row.", file=name, sheets=sheets, sheet=raw.meta.get("sheet"),
                              first=mask_embedded(first))
        raise IngestError("no_header", "no header row with recognisable column names (for example "
                          f"Leverantör, Belopp, Datum) among the first rows. The first row reads: '{first}'. "
                          "Choose the columns by hand (at least the amount and the supplier) in the column "
                          "mapping (command line: --map amount=<column> --map supplier_name=<column>), or add "
                          "a header row.", file=name, first=mask_embedded(first))
    if "amount" not in mapping.columns:
        raise IngestError("no_amount_column", "no column holds the amounts (such as Belopp, Nettobelopp, "
                          "Amount). Columns found: " + headers + ". Choose the amount column by hand.",
                          file=name, columns=headers)
    if not any(f in mapping.columns for f in REQUIRED_ANY_SUPPLIER):
        raise IngestError("no_supplier_column", "no column names the supplier (such as Leverantör, "
                          "Organisationsnummer, Supplier Name). Columns found: " + headers +
                          ". Choose the supplier column by hand.", file=name, columns=headers)
    mapped_headers = [raw.headers[i] for i in mapping.columns.values()]
    dupes = sorted({h for h in mapped_headers if h and [x.strip().lower() for x in raw.headers].count(h.strip().lower()) > 1})
    if dupes:
        raise IngestError("duplicate_headers", f"the column name '{dupes[0]}' appears more than once, so "
                          "it is unclear which one to use. Rename one of them and upload again.",
                          file=name, column=dupes[0])
    _check_parquet_types(raw, mapping)
    if raw.num_rows == 0 and not raw.bad_rows:
        raise IngestError("no_data_rows", "the file has a header row but no data rows. Export the ledger "
                          "again with its rows.", file=name)
    if raw.num_rows == 0:
        detail = "; ".join(f"row {n}: wrong number of cells ('{mask_embedded(txt)[:40]}')" for n, txt in raw.bad_rows[:3])
        raise IngestError("no_valid_rows", f"no row could be read as a ledger line ({detail}). Check the "
                          "delimiter and quoting of the export.", file=name, detail=detail)
    k = next(_counter)
    view = f"raw_in_{k}"
    arrow = raw.table.append_column("_row", pa.array(raw.source_rows, type=pa.int64()))
    amount = mapping.columns["amount"]
    arrow = arrow.append_column(PATTERN_COLUMN, digit_pattern(arrow.column(f"c{int(amount)}")))
    cur.register(view, arrow)
    options = dict(period=period, date_order=date_order, decimal=decimal, currency=currency,
                   target_currency=target_currency or currency, rates=rates or {},
                   allow_dates_outside=allow_dates_outside, today=today or dt.date.today())
    try:
        parsed = _parse_registered(cur, raw, mapping, view, k, **options)
    except BaseException:
        drop_parsed_tables(cur, k)
        raise
    finally:
        cur.unregister(view)
    parsed.arrow = arrow
    return parsed


def drop_parsed_tables(cur, k: int | str) -> None:
    for prefix in ("stage", "sup", "org", "dates", "dtext", "rates", "amt"):
        cur.execute(f"DROP TABLE IF EXISTS {prefix}_{k}")


def latest_date(today: dt.date | None = None) -> dt.date:
    """The last date loaded without a confirmation: a year from today."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=366 if today.month == 2 and today.day == 29 else 365)


def _rates_rows(rates: dict) -> list[tuple[str, dt.date | None, float]]:
    rows = []
    for key, rate in rates.items():
        code, month = (key if isinstance(key, tuple) else (key, None))
        rows.append((str(code).upper(), month, float(rate)))
    return rows


def _parse_registered(cur, raw: RawTable, mapping: Mapping, view: str, k: int, *, period, date_order,
                      decimal, currency, target_currency, rates, allow_dates_outside, today) -> ParsedFile:
    name = raw.file_name
    typed = _typed_columns(raw, mapping)
    clean = clean_columns(raw.table, mapping.columns.values())
    stats = _file_stats(cur, view, mapping, typed, clean, k)
    warnings: list[dict] = list(raw.warnings)
    amount_header = mapping.header_of("amount", raw.headers)
    if stats["amount_filled"] == 0:
        raise IngestError("amount_column_empty", "the amount column is empty in every row. If the amounts are "
                          "Excel formulas, the workbook was saved without their results: open it in Excel, "
                          "save it again (or paste the amounts as values) and upload again.",
                          file=name, column=amount_header)
    shapes = stats["shapes"]
    dec = decide_decimal(shapes, decimal)
    has_date = "date" in mapping.columns
    order = decide_date_order(stats, date_order, name, mapping.header_of("date", raw.headers))
    fallback = period or period_from_filename(name)
    latest = latest_date(today)
    pivot = (today.year + 1) % 100
    if has_date and stats["usable_dates"] == 0 and stats["time_only"]:
        warnings.append({"code": "dates_time_only", "column": mapping.header_of("date", raw.headers),
                         "period": format_period(*fallback) if fallback else None})
    if not has_date or stats["usable_dates"] == 0:
        if not fallback:
            raise IngestError("no_period", "the file has no usable dates and its name states no period. "
                              "Give the period (such as 2016-03 or 2016-Q1) in the upload form "
                              "(command line: --period).", file=name)
        if not has_date:
            warnings.append({"code": "period_from_name" if not period else "period_from_user",
                             "period": format_period(*fallback)})
    use_sid_as_org = ("org_no" not in mapping.columns and stats["sid_filled"]
                      and stats["sid_orgno"] >= 0.5 * stats["sid_filled"])

    e = {f: _expr(mapping, f, typed, clean) for f in FIELDS}
    org_src = e["org_no"] if "org_no" in mapping.columns else (e["supplier_id"] if use_sid_as_org else "''")
    fb_month = f"DATE '{fallback[0].isoformat()}'" if fallback else "NULL::DATE"
    fb_grain = f"'{fallback[1]}'" if fallback else "NULL"
    n = len(raw.headers)
    cells = [f"c{i}" for i in range(n)]
    is_blank = (f"concat({', '.join(cells)})" if n > 1 else (cells[0] if cells else "''"))
    # a row whose first cell begins with something other than a space is not blank: the rest is
    # read only for the others
    blank = (f"CASE WHEN strlen(c0) > 0 AND NOT starts_with(c0, ' ') THEN false ELSE ltrim({is_blank}) = '' END"
             if cells else "true")
    longest = f"greatest({', '.join(f'length({c})' for c in cells)})" if n > 1 else (f"length({cells[0]})" if cells else "0")
    # no cell has more characters than bytes: characters are counted only where the bytes could be too many
    most_bytes = f"greatest({', '.join(f'strlen({c})' for c in cells)})" if n > 1 else (f"strlen({cells[0]})" if cells else "0")
    too_long = f"CASE WHEN {most_bytes} > {MAX_CELL_CHARS} THEN {longest} > {MAX_CELL_CHARS} ELSE false END"
    supplier_clean = mask_embedded_sql("regexp_replace(supplier_text, '\\s+', ' ', 'g')")
    amount_value, amount_refusal, amount_rounded = _amount_columns("amount_text", dec, decimal in (",", "."))
    lo, hi = EARLIEST_DATE.isoformat(), latest.isoformat()

    # Supplier names, organisation numbers and dates repeat across a ledger (thousands of distinct
    # values in a million lines), so their regex-heavy parsing runs once per distinct value in a
    # lookup table; amounts are nearly all distinct and are parsed in line.
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE sup_{k} AS
      SELECT supplier_text, nullif(supplier_clean, '') AS supplier_name, {name_norm_sql('supplier_clean')} AS name_norm,
        regexp_matches(lower(supplier_text), '{TOTAL_WORDS}') AS supplier_total_label
      FROM (SELECT supplier_text, {supplier_clean} AS supplier_clean
            FROM (SELECT DISTINCT {e['supplier_name']} AS supplier_text FROM {view}))""")
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE org_{k} AS
      SELECT org_text, {classify_sql('org_text')} AS org FROM (SELECT DISTINCT {org_src} AS org_text FROM {view})""")
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE dates_{k} AS
      SELECT date_text, booking_date, text_month, has_date_text, date_total_label,
        coalesce(date_trunc('month', booking_date)::DATE, text_month) AS own_month,
        coalesce(coalesce(booking_date, text_month) NOT BETWEEN DATE '{lo}' AND DATE '{hi}', false) AS outside
      FROM (SELECT date_text,
          CASE WHEN date_text = '' OR regexp_matches(date_text, {_TIME}) THEN NULL ELSE {_date_sql('date_text', order, pivot)} END AS booking_date,
          {_month_sql('date_text')} AS text_month,
          date_text <> '' AND NOT regexp_matches(date_text, {_TIME}) AS has_date_text,
          regexp_matches(lower(date_text), '{TOTAL_WORDS}') AS date_total_label
        FROM dtext_{k})""")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE rates_{k} (currency VARCHAR, month DATE, rate DOUBLE)")
    if rates:
        cur.executemany(f"INSERT INTO rates_{k} VALUES (?, ?, ?)", _rates_rows(rates))
    fallback_outside = bool(fallback and not (EARLIEST_DATE <= fallback[0] <= latest))
    outside_kind = "'line'" if allow_dates_outside else "'junk_date_range'"
    label_fields = [f for f in ("org_unit", "account_text", "account", "description", "buyer") if f in mapping.columns]
    # read only on the rare rows without a supplier or labelled as a total, so their cells pass
    # through untrimmed and are trimmed there
    text_total = " OR ".join(f"regexp_matches(lower({e[f]}), '{TOTAL_WORDS}')" for f in label_fields) or "false"
    label_cols = "".join(f"c{int(mapping.columns[f])}, " for f in label_fields)
    cur.execute(f"""
    CREATE OR REPLACE TEMP TABLE stage_{k} AS
    WITH src AS (
      SELECT _row, {e['amount']} AS amount_text, {trimmed(PATTERN_COLUMN, int(mapping.columns['amount']) in clean)} AS amount_pat, {e['date']} AS date_text,
        {e['supplier_name']} AS supplier_text, {e['supplier_id']} AS supplier_id, {org_src} AS org_text,
        {label_cols}{_currency_sql(e['currency'])} AS currency_cell,

        {blank} AS is_blank, {too_long} AS too_long
      FROM {view}
    ), cored AS (
      SELECT src.*, p.pat IS NOT NULL AS known, p.shape AS pattern_shape, coalesce(p.two_decimals, false) AS two_decimals, coalesce(p.negative, {_amount_negative('amount_text')}) AS negative,
        coalesce(p.currency_mark, {_currency_sql(f"regexp_extract(amount_text, '{_AMOUNT_CURRENCY}', 1)")}) AS currency_mark,
        CASE WHEN strip IS NOT NULL THEN {_strip_sql('amount_text', stats['strips'])} ELSE {_amount_core('amount_text')} END AS core
      FROM src LEFT JOIN amt_{k} p ON p.pat = src.amount_pat
    ), shaped AS (
      SELECT *, CASE WHEN known THEN pattern_shape ELSE {_shape_sql('core')} END AS shape FROM cored
    ), parsed AS (
      SELECT shaped.*, s.supplier_total_label, o.org.org_no_status AS org_status, d.booking_date, d.text_month, d.has_date_text, d.own_month,
        (d.outside OR (d.own_month IS NULL AND {str(fallback_outside).lower()})) AS outside,
        {amount_value} AS amount0, {amount_refusal} AS amount_refusal, {amount_rounded} AS rounded,
        coalesce(nullif(currency_cell, ''), nullif(currency_mark, ''), '{currency}') AS line_currency,
        (supplier_text = '' AND supplier_id = '' AND org_text = '') AS no_supplier,
        (s.supplier_total_label OR d.date_total_label) AS label_total
      FROM shaped
      JOIN sup_{k} s USING (supplier_text)
      JOIN dates_{k} d USING (date_text)
      JOIN org_{k} o USING (org_text)
    ), priced AS (
      SELECT parsed.*,
        CASE WHEN line_currency = '{target_currency}' THEN 1.0 ELSE coalesce(rm.rate, ra.rate) END AS fx,
        CASE WHEN no_supplier OR supplier_total_label THEN label_total OR {text_total} ELSE label_total END AS total_label
      FROM parsed
      LEFT JOIN rates_{k} rm ON rm.currency = parsed.line_currency AND rm.month = coalesce(parsed.own_month, {fb_month})
      LEFT JOIN rates_{k} ra ON ra.currency = parsed.line_currency AND ra.month IS NULL
    )
    SELECT _row AS source_row,
      CASE
        WHEN is_blank THEN 'blank'
        WHEN too_long THEN 'junk_too_long'
        WHEN amount_text <> '' AND amount_refusal IS NOT NULL THEN amount_refusal
        WHEN amount_text <> '' AND amount0 IS NULL THEN 'junk_amount'
        WHEN amount0 IS NOT NULL AND total_label AND (no_supplier OR supplier_total_label) THEN 'total'
        WHEN no_supplier AND amount_text = '' THEN 'junk_empty'
        WHEN has_date_text AND booking_date IS NULL AND text_month IS NULL THEN 'junk_date'
        WHEN coalesce(own_month, {fb_month}) IS NULL THEN 'junk_no_period'
        WHEN starts_with(line_currency, '?') THEN 'junk_currency'
        WHEN outside THEN {outside_kind}
        ELSE 'line'
      END AS kind,
      no_supplier AND NOT has_date_text AND amount0 IS NOT NULL AS total_candidate,
      NOT no_supplier AND NOT total_label AS counts_in_sum,
      no_supplier, outside, rounded, line_currency, org_status,
      CASE WHEN line_currency <> '{target_currency}' THEN fx END AS fx_rate,
      CASE WHEN line_currency <> '{target_currency}' THEN coalesce(amount0, 0)::DECIMAL(18, 2) END AS amount_orig,
      booking_date,
      CAST(coalesce(own_month, {fb_month}) AS DATE) AS period_month,
      booking_date IS NULL AND text_month IS NOT NULL AS month_grain,
      CASE WHEN line_currency = '{target_currency}' THEN coalesce(amount0, 0)::DECIMAL(18, 2)
           ELSE try_cast(round(coalesce(amount0, 0) * coalesce(fx, 1), 2) AS DECIMAL(18, 2)) END AS amount,
      amount_text = '' AS empty_amount
    FROM priced
    """)
    # A trailing row without supplier and date whose amount is the lines' sum is a total row.
    cur.execute(f"""
        UPDATE stage_{k} SET kind = 'total'
        FROM (SELECT max(source_row) FILTER (WHERE NOT no_supplier) AS last_line_row,
                     coalesce(sum(amount) FILTER (WHERE counts_in_sum), 0) AS lines_sum FROM stage_{k}) f
        WHERE total_candidate AND kind IN ('line', 'junk_no_period', 'junk_date_range')
          AND source_row > coalesce(f.last_line_row, 0)
          AND abs(amount - f.lines_sum) <= 0.02 * abs(f.lines_sum) + 0.01""")
    table = f"stage_{k}"

    counts = dict(cur.execute(f"SELECT kind, count(*) FROM {table} GROUP BY kind").fetchall())
    lines = counts.get("line", 0)
    junk_kinds = sorted(kk for kk in counts if kk.startswith("junk_"))
    junk = sum(counts[kk] for kk in junk_kinds) + len(raw.bad_rows)
    samples = []
    for kind in junk_kinds:
        for r in cur.execute(f"""SELECT t.source_row, {e['amount']}, {e['date']}, {e['supplier_name']}, {longest}, t.line_currency
                                 FROM (SELECT source_row, line_currency FROM {table} WHERE kind = ?
                                       ORDER BY source_row LIMIT {SAMPLES_PER_PROBLEM}) t
                                 JOIN {view} v ON v._row = t.source_row ORDER BY t.source_row""", [kind]).fetchall():
            samples.append({"kind": kind, "row": r[0], "amount": mask_embedded((r[1] or "")[:60]).replace(TYPED_NUMBER, ""),
                            "date": mask_embedded((r[2] or "")[:40]), "supplier": mask_embedded((r[3] or "")[:60]),
                            "chars": r[4], "currency": r[5].lstrip("?")[:20]})
    for number, text in raw.bad_rows[:SAMPLES_PER_PROBLEM]:
        samples.append({"kind": "junk_cells", "row": number, "text": mask_embedded(text[:120])})
    if raw.bad_rows:
        counts["junk_cells"] = len(raw.bad_rows)

    totals = cur.execute(f"SELECT source_row, amount FROM {table} WHERE kind = 'total' ORDER BY source_row").fetchall()
    agg = cur.execute(f"""SELECT sum(amount), min(period_month), max(period_month),
                                 count(*) FILTER (WHERE empty_amount), count(*) FILTER (WHERE amount < 0),
                                 count(*) FILTER (WHERE rounded), (list(source_row ORDER BY source_row) FILTER (WHERE rounded))[1:{SAMPLES_PER_PROBLEM}],
                                 count(*) FILTER (WHERE outside), (list(source_row ORDER BY source_row) FILTER (WHERE outside))[1:{SAMPLES_PER_PROBLEM}],
                                 min(coalesce(booking_date, period_month)) FILTER (WHERE outside),
                                 max(coalesce(booking_date, period_month)) FILTER (WHERE outside)
                          FROM {table} WHERE kind = 'line'""").fetchall()[0]
    line_sum = agg[0] or 0
    if counts.get("blank"):
        warnings.append({"code": "blank_rows", "count": counts["blank"]})
    for row_no, value in totals:
        diff = _money(value) - _money(line_sum)
        warnings.append({"code": "total_row" if abs(diff) < 0.005 else "total_row_mismatch", "row": row_no,
                         "file_total": _money(value), "line_sum": _money(line_sum), "difference": round(diff, 2)})
    if agg[3]:
        warnings.append({"code": "empty_amounts", "count": agg[3], "column": amount_header})
    if agg[5]:
        warnings.append({"code": "amounts_rounded", "count": agg[5], "rows": agg[6], "column": amount_header})
    if agg[7]:
        warnings.append({"code": "dates_outside_confirmed", "count": agg[7], "rows": agg[8],
                         "first": str(agg[9]), "last": str(agg[10]), "earliest": lo, "latest": hi})
    if counts.get("junk_date_range"):
        rows = [s["row"] for s in samples if s["kind"] == "junk_date_range"]
        warnings.append({"code": "dates_outside", "count": counts["junk_date_range"], "rows": rows,
                         "earliest": lo, "latest": hi})
    converted = cur.execute(f"""SELECT line_currency, count(*), sum(amount_orig), sum(amount), min(fx_rate), max(fx_rate)
                                FROM {table} WHERE kind = 'line' AND fx_rate IS NOT NULL GROUP BY 1 ORDER BY 1""").fetchall()
    for code, nlines, orig, conv, rmin, rmax in converted:
        warnings.append({"code": "converted", "currency": code, "count": nlines, "amount": _money(orig),
                         "converted": _money(conv), "target": target_currency,
                         "rate": rmin if rmin == rmax else f"{rmin}–{rmax}"})
    if junk:
        warnings.append({"code": "junk_rows", "count": junk,
                         "rows": sorted(s["row"] for s in samples)[:SAMPLES_PER_PROBLEM]})
    org_stats = dict(cur.execute(f"SELECT org_status, count(*) FROM {table} WHERE kind = 'line' GROUP BY 1").fetchall())

    if lines == 0:
        detail = "; ".join(sample_text(s) for s in samples[:3])
        raise IngestError("no_valid_rows", "no row could be read as a ledger line" +
                          (f" ({detail})" if detail else "") + ". Check the column mapping and the file.",
                          file=name, detail=detail, samples=samples[:3], kinds=junk_kinds)
    if junk > MAX_REJECTED_SHARE * (lines + junk):
        detail = "; ".join(sample_text(s) for s in samples[:3])
        numbers = sorted(s["row"] for s in samples)[:SAMPLES_PER_PROBLEM]
        raise IngestError("too_many_junk_rows", f"{junk:,} of {lines + junk:,} rows ({junk / (lines + junk):.0%}) could "
                          f"not be read; at most {MAX_REJECTED_SHARE:.0%} may be left out. Rows "
                          f"{', '.join(map(str, numbers))}: {detail}. The file is refused rather than loaded in part: "
                          "check the column mapping (is the amount column right?) and the export.", file=name,
                          junk=junk, rows=lines + junk, share=round(100 * junk / (lines + junk)),
                          numbers=", ".join(map(str, numbers)), detail=detail, samples=samples[:3],
                          kinds=junk_kinds + (["junk_cells"] if raw.bad_rows else []))

    missing = cur.execute(f"""
        SELECT line_currency, count(*), (list(source_row ORDER BY source_row))[1:{SAMPLES_PER_PROBLEM}]
        FROM {table} WHERE kind = 'line' AND fx_rate IS NULL AND line_currency <> '{target_currency}'
        GROUP BY 1 ORDER BY 2 DESC""").fetchall()
    if missing:
        what = "; ".join(f"{c}: {n:,} line{'s' if n != 1 else ''} (row{'s' if n != 1 else ''} "
                         f"{', '.join(map(str, rows))})" for c, n, rows in missing)
        codes = ", ".join(c for c, _n, _r in missing)
        raise IngestError("currency_rate_missing", f"lines are in another currency than {target_currency}, the "
                          f"currency of the store and of this upload ({what}). Give a rate to {target_currency} for "
                          f"{codes} (one rate, or one per month) in the upload form (command line: --rate "
                          f"{missing[0][0]}=<rate> or --rate {missing[0][0]}:YYYY-MM=<rate>), or export the ledger "
                          f"in {target_currency}.", file=name, column=mapping.header_of("currency", raw.headers),
                          currencies=codes, target=target_currency, detail=what,
                          missing=[{"currency": c, "count": n, "rows": rows} for c, n, rows in missing])

    months = [r[0] for r in cur.execute(
        f"SELECT DISTINCT period_month FROM {table} WHERE kind = 'line' ORDER BY 1").fetchall()]
    report = {
        "file": name, "meta": {kk: v for kk, v in raw.meta.items() if kk != "types"},
        "decimal": dec, "amount_shapes": shapes, "date_order": order if stats["slash_dates"] else None,
        "mapping": {f: raw.headers[i] for f, i in mapping.columns.items()},
        "mapping_scores": mapping.scores,
        "counts": {"lines": lines, **{kk: v for kk, v in counts.items() if kk != "line"}},
        "credit_notes": agg[4], "org_no": org_stats, "samples": samples, "warnings": warnings,
        "excluded_rows": sum(v for kk, v in counts.items() if kk != "line"),
        "org_from_supplier_id": bool(use_sid_as_org), "currency": target_currency,
        "converted": {c: {"lines": nl, "amount": _money(o), "converted": _money(cv)} for c, nl, o, cv, _a, _b in converted},
    }
    sql = {"view": view, "k": k, "e": e, "org_src": org_src, "fallback_grain": fb_grain}
    return ParsedFile(name, table, lines, _money(line_sum), agg[1], agg[2], months, report, sql,
                      currency=target_currency)


def supplier_key_sql(org: str, name_norm: str, supplier_id: str = "''") -> str:
    """SQL: a supplier's key from its classified organisation number (the struct ``org`` of
    classify_sql), its normalised name and its id in the file: 'org:' and the ten digits of a valid
    number, 'pnr:' and the keyed hash of a personnummer (store migration 11), else 'name:' and
    the name, 'id:' and the id, 'raw:' and the number as written, or 'unknown'."""
    return f"""CASE
            WHEN {org}.org_no_status = 'valid' THEN 'org:' || {org}.org_digits
            WHEN {org}.org_no_status = 'personal' THEN 'pnr:' || substr(spk_pnr_hash({org}.org_digits), 1, 16)
            WHEN {name_norm} IS NOT NULL THEN 'name:' || {name_norm}
            WHEN {supplier_id} <> '' THEN 'id:' || {mask_embedded_sql(supplier_id)}
            WHEN {org}.org_no IS NOT NULL THEN 'raw:' || {org}.org_no
            ELSE 'unknown' END"""


def lines_select(parsed: ParsedFile, columns: list[str]) -> str:
    """SQL selecting the file's lines (kind 'line') with ``columns`` of ledger_lines, from the
    narrow stage table joined back to the file's cells (the view must be registered)."""
    s = parsed.sql
    k, e, view = s["k"], s["e"], s["view"]
    acct_split = "'^(\\d{3,6})[\\s:–-]+(\\S.*)$'"
    exprs = {
        "source_row": "t.source_row", "booking_date": "t.booking_date", "period_month": "t.period_month",
        "period_grain": f"CASE WHEN t.booking_date IS NOT NULL THEN 'day' WHEN t.month_grain THEN 'month' "
                        f"ELSE {s['fallback_grain']} END",
        "amount": "t.amount", "amount_orig": "t.amount_orig",
        "currency_orig": "CASE WHEN t.fx_rate IS NOT NULL THEN t.line_currency END", "fx_rate": "t.fx_rate",
        "supplier_name": "sp.supplier_name", "supplier_name_norm": "sp.name_norm",
        "supplier_key": supplier_key_sql("o.org", "sp.name_norm", "v.supplier_id"),
        # a sole trader's number is shown as the short tag of its keyed hash (store migration 11)
        "org_no_raw": "o.org.org_no_raw",
        "org_no": "CASE WHEN o.org.org_no_status = 'personal' "
                  "THEN '#' || upper(substr(spk_pnr_hash(o.org.org_digits), 1, 6)) ELSE o.org.org_no END",
        "org_no_status": "o.org.org_no_status",
        "legal_form": "o.org.legal_form",
        "account": f"""nullif(CASE WHEN v.account_name_raw <> '' THEN v.account_text_raw
                  WHEN regexp_matches(v.account_text_raw, {acct_split})
                  THEN regexp_extract(v.account_text_raw, {acct_split}, 1) ELSE v.account_text_raw END, '')""",
        "account_text": f"""nullif(CASE WHEN v.account_name_raw <> '' THEN v.account_name_raw
                  WHEN regexp_matches(v.account_text_raw, {acct_split})
                  THEN trim(regexp_extract(v.account_text_raw, {acct_split}, 2)) ELSE v.account_name_raw END, '')""",
        "org_unit": "nullif(v.org_unit, '')", "buyer": "nullif(v.buyer, '')",
        "invoice_no": "nullif(v.invoice_no, '')", "voucher_no": "nullif(v.voucher_no, '')",
        "description": f"nullif({mask_embedded_sql('v.description')}, '')", "cpv": "nullif(v.cpv, '')",
    }
    return f"""
        SELECT {', '.join(exprs[c] + ' AS ' + c for c in columns)}
        FROM stage_{k} t
        JOIN (SELECT _row, {e['supplier_name']} AS supplier_text, {e['supplier_id']} AS supplier_id,
                     {s['org_src']} AS org_text, {e['account']} AS account_text_raw,
                     {e['account_text']} AS account_name_raw, {e['org_unit']} AS org_unit, {e['buyer']} AS buyer,
                     {e['invoice_no']} AS invoice_no, {e['voucher_no']} AS voucher_no,
                     {e['description']} AS description, {e['cpv']} AS cpv FROM {view}) v ON v._row = t.source_row
        JOIN sup_{k} sp ON sp.supplier_text = v.supplier_text
        JOIN org_{k} o ON o.org_text = v.org_text
        WHERE t.kind = 'line'"""


def sample_text(s: dict) -> str:
    """One refused row in English (the command line; the UI renders samples from its catalogs)."""
    row = s.get("row")
    kind = s["kind"]
    if kind == "junk_amount":
        return f"row {row}: amount '{s['amount']}' is not a number"
    if kind == "junk_amount_convention":
        return f"row {row}: amount '{s['amount']}' uses the other decimal separator than the rest of the column"
    if kind == "junk_amount_ambiguous":
        return (f"row {row}: amount '{s['amount']}' reads two ways (decimals or thousands); choose the decimal "
                "separator (command line: --decimal , or .)")
    if kind == "junk_date":
        return f"row {row}: date '{s['date']}' is not a date"
    if kind == "junk_date_range":
        return (f"row {row}: date '{s['date']}' is outside {EARLIEST_DATE.year} to a year ahead (confirm to load it; "
                "command line: --allow-dates-outside)")
    if kind == "junk_currency":
        return f"row {row}: currency '{s.get('currency', '')}' is not a currency code"
    if kind == "junk_too_long":
        return f"row {row}: a cell holds {s['chars']:,} characters (the limit is {MAX_CELL_CHARS:,})"
    if kind == "junk_empty":
        return f"row {row}: no amount and no supplier"
    if kind == "junk_no_period":
        return f"row {row}: no date, and no period for the file"
    if kind == "junk_cells":
        return f"row {row}: wrong number of cells ('{s.get('text', '')[:40]}')"
    return f"row {row}: {kind}"
