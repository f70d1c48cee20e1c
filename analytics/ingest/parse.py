"""Turn a RawTable of text cells into ledger lines, in DuckDB over the whole file at once.

Two passes: a statistics query decides what holds for the whole file (decimal comma or point,
day-month or month-day order, whether supplier ids are organisation numbers), then one SELECT
parses every row and sorts it into a kind: a ledger line, a blank row, a total row, or junk with a
reason. Nothing is written to the store here; the result is a temporary table on the cursor.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from ..orgno import classify_sql, mask_embedded_sql
from .columns import FIELDS, REQUIRED_ANY_SUPPLIER, Mapping
from .errors import IngestError
from .periods import format_period, period_from_filename
from .readers import RawTable

MAX_CELL_CHARS = 32_767            # Excel's own limit; a longer cell is a broken export
MAX_REJECTED_SHARE = 0.05          # more junk than this and the file is refused, not half-loaded
SAMPLES_PER_PROBLEM = 10
_counter = itertools.count(1)

# A whole cell that labels a total row: "Summa", "Totalt:", "Grand total 2016", "Summa totalt".
TOTAL_WORDS = (r"^\s*(grand\s+)?(summa|total|totalt|totals|sum|slutsumma|totalsumma)"
               r"(\s+(totalt|total|summa))?\s*[:.]?\s*[0-9\s/q-]*$")
LEGAL_SUFFIXES = ("AB", "AKTIEBOLAG", "PUBL", "HB", "KB", "LTD", "LIMITED", "PLC", "INC", "LLC", "LLP",
                  "CO", "CORP", "GMBH", "OY", "AS", "APS", "BV")


@dataclass
class ParsedFile:
    """The outcome of parsing one file: where its lines wait, what was excluded, what to tell."""
    file_name: str
    table: str                       # temp table on the cursor holding kind='line' rows
    lines: int
    total: float
    period_from: dt.date | None
    period_to: dt.date | None
    months: list[dt.date]
    report: dict = field(default_factory=dict)


def _money(v) -> float:
    return round(float(v or 0), 2)


def _expr(mapping: Mapping, name: str) -> str:
    """SQL for a mapped field's trimmed text, '' when unmapped. Column names are c0..cN, ours."""
    i = mapping.columns.get(name)
    return f"trim(c{int(i)})" if i is not None else "''"


def _amount_core(a: str) -> str:
    """SQL: the amount text without spaces, currency, sign and brackets (digits and separators)."""
    s = f"regexp_replace({a}, '[\\s\u00a0\u202f\u2009''\"]', '', 'g')"
    s = f"regexp_replace({s}, '(?i)(kr\\.?|sek|gbp|usd|eur|[£$€])', '', 'g')"
    return f"regexp_replace({s}, '^[(+\\-−–]+|[)\\-−–]+$', '', 'g')"


def _amount_negative(a: str) -> str:
    s = f"regexp_replace({a}, '[\\s\u00a0\u202f\u2009]|(?i)(kr\\.?|sek|gbp|usd|eur|[£$€])', '', 'g')"
    return f"(regexp_matches({s}, '^[-−–]') OR regexp_matches({s}, '[-−–]$') OR regexp_matches({s}, '^\\(.*\\)$'))"


def _amount_sql(a: str, decimal: str) -> str:
    """SQL: the amount as DECIMAL(18,2), NULL when the text is not a number."""
    core = _amount_core(a)
    if decimal == ",":
        num = f"replace(replace({core}, '.', ''), ',', '.')"
    else:
        num = f"replace({core}, ',', '')"
    value = f"""CASE
        WHEN regexp_full_match({num}, '\\d+(\\.\\d+)?|\\.\\d+') THEN try_cast({num} AS DECIMAL(18, 2))
        WHEN regexp_full_match({num}, '(\\d+(\\.\\d*)?|\\.\\d+)[eE][+-]?\\d+') THEN try_cast(try_cast({num} AS DOUBLE) AS DECIMAL(18, 2))
        END"""
    return f"(CASE WHEN {_amount_negative(a)} THEN -1 ELSE 1 END) * ({value})"


# Date shapes, tested in this order.
_ISO = "'^\\d{4}-\\d{1,2}-\\d{1,2}([ T].*)?$'"
_DMY = "'^(\\d{1,2})([./-])(\\d{1,2})[./-](\\d{4}|\\d{2})([ T].*)?$'"
_YM6 = "'^(19|20)\\d{2}(0[1-9]|1[0-2])$'"
_YM = "'^(19|20)\\d{2}[-/](0?[1-9]|1[0-2])$'"
_YMD8 = "'^(19|20)\\d{6}$'"
_SERIAL = "'^[2-7]\\d{4}(\\.\\d+)?$'"
_TIME = "'^\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$'"


def _date_sql(d: str, order: str) -> str:
    """SQL: the booking date (DATE) of text ``d``; ``order`` is 'dmy' or 'mdy' for slash dates."""
    p1 = f"TRY_CAST(regexp_extract({d}, {_DMY}, 1) AS INTEGER)"
    p2 = f"TRY_CAST(regexp_extract({d}, {_DMY}, 3) AS INTEGER)"
    yr = f"TRY_CAST(regexp_extract({d}, {_DMY}, 4) AS INTEGER)"
    year = f"(CASE WHEN {yr} < 100 THEN 2000 + {yr} ELSE {yr} END)"
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


def name_norm_sql(n: str) -> str:
    """SQL: a supplier name normalised for matching: upper case, punctuation and legal-form words
    (AB, LTD ...) removed, spaces collapsed."""
    s = f"' ' || regexp_replace(upper({n}), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g') || ' '"
    words = "|".join(LEGAL_SUFFIXES)
    for _ in range(2):  # adjacent suffixes share a space ("LTD CO"), so run twice
        s = f"regexp_replace({s}, ' ({words}) ', ' ', 'g')"
    return f"nullif(trim(regexp_replace({s}, '\\s+', ' ', 'g')), '')"


def _file_stats(cur, view: str, mapping: Mapping) -> dict:
    a, d, sid = _expr(mapping, "amount"), _expr(mapping, "date"), _expr(mapping, "supplier_id")
    core = _amount_core(a)
    org_status = f"({classify_sql(sid)}).org_no_status"
    row = cur.execute(f"""
        SELECT
          count(*) FILTER (WHERE regexp_matches({core}, ',(\\d{{1,2}}|\\d{{4,}})$')
                              OR regexp_matches({core}, '\\.\\d{{3}}.*,\\d+$')) AS comma_dec,
          count(*) FILTER (WHERE regexp_matches({core}, '\\.(\\d{{1,2}}|\\d{{4,}})$')
                              OR regexp_matches({core}, ',\\d{{3}}.*\\.\\d+$')) AS point_dec,
          count(*) FILTER (WHERE regexp_matches({d}, {_DMY})) AS slash_dates,
          count(*) FILTER (WHERE regexp_matches({d}, {_DMY}) AND regexp_extract({d}, {_DMY}, 2) = '/') AS true_slash,
          max(TRY_CAST(regexp_extract({d}, {_DMY}, 1) AS INTEGER)) FILTER (WHERE regexp_matches({d}, {_DMY})) AS max_p1,
          max(TRY_CAST(regexp_extract({d}, {_DMY}, 3) AS INTEGER)) FILTER (WHERE regexp_matches({d}, {_DMY})) AS max_p2,
          any_value({d}) FILTER (WHERE regexp_matches({d}, {_DMY})) AS slash_example,
          count(*) FILTER (WHERE {d} <> '' AND NOT regexp_matches({d}, {_TIME})) AS usable_dates,
          count(*) FILTER (WHERE regexp_matches({d}, {_TIME})) AS time_only,
          count(*) FILTER (WHERE {sid} <> '' AND {org_status} IN ('valid', 'personal')) AS sid_orgno,
          count(*) FILTER (WHERE {sid} <> '') AS sid_filled,
          count(*) FILTER (WHERE {a} <> '') AS amount_filled
        FROM {view}""").fetchall()[0]
    cols = [c[0] for c in cur.description]
    return dict(zip(cols, row))


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


def parse_file(cur: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, *,
               period: tuple[dt.date, str] | None = None, date_order: str | None = None) -> ParsedFile:
    """Parse one read file into a temp table of ledger lines on ``cur`` and a validation report.

    Raises IngestError when the file as a whole cannot be loaded (no amount column, no supplier
    column, no period for undated rows, too many junk rows)."""
    name = raw.file_name
    if "amount" not in mapping.columns:
        raise IngestError("no_amount_column", "no column holds the amounts (such as Belopp, Nettobelopp, "
                          "Amount). Columns found: " + ", ".join(h for h in raw.headers if h) +
                          ". Choose the amount column by hand.", file=name,
                          columns=", ".join(h for h in raw.headers if h))
    if not any(f in mapping.columns for f in REQUIRED_ANY_SUPPLIER):
        raise IngestError("no_supplier_column", "no column names the supplier (such as Leverantör, "
                          "Organisationsnummer, Supplier Name). Columns found: " +
                          ", ".join(h for h in raw.headers if h) + ". Choose the supplier column by hand.",
                          file=name, columns=", ".join(h for h in raw.headers if h))
    mapped_headers = [raw.headers[i] for i in mapping.columns.values()]
    dupes = sorted({h for h in mapped_headers if h and [x.strip().lower() for x in raw.headers].count(h.strip().lower()) > 1})
    if dupes:
        raise IngestError("duplicate_headers", f"the column name '{dupes[0]}' appears more than once, so "
                          "it is unclear which one to use. Rename one of them and upload again.",
                          file=name, column=dupes[0])

    if raw.num_rows == 0 and not raw.bad_rows:
        raise IngestError("no_data_rows", "the file has a header row but no data rows. Export the ledger "
                          "again with its rows.", file=name)
    if raw.num_rows == 0:
        detail = "; ".join(f"row {n}: wrong number of cells ('{txt[:40]}')" for n, txt in raw.bad_rows[:3])
        raise IngestError("no_valid_rows", f"no row could be read as a ledger line ({detail}). Check the "
                          "delimiter and quoting of the export.", file=name, detail=detail)
    k = next(_counter)
    view = f"raw_in_{k}"
    arrow = raw.table.append_column("_row", pa.array(raw.source_rows, type=pa.int64()))
    cur.register(view, arrow)
    try:
        return _parse_registered(cur, raw, mapping, view, k, period, date_order)
    finally:
        cur.unregister(view)


def _parse_registered(cur, raw: RawTable, mapping: Mapping, view: str, k: int,
                      period: tuple[dt.date, str] | None, date_order: str | None) -> ParsedFile:
    name = raw.file_name
    stats = _file_stats(cur, view, mapping)
    warnings: list[dict] = []
    if stats["amount_filled"] == 0:
        column = mapping.header_of("amount", raw.headers)
        raise IngestError("amount_column_empty", "the amount column is empty in every row. If the amounts are "
                          "Excel formulas, the workbook was saved without their results: open it in Excel, "
                          "save it again (or paste the amounts as values) and upload again.",
                          file=name, column=column)
    decimal = "," if stats["comma_dec"] > stats["point_dec"] else "."
    has_date = "date" in mapping.columns
    order = decide_date_order(stats, date_order, name, mapping.header_of("date", raw.headers))
    fallback = period or period_from_filename(name)
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

    e = {f: _expr(mapping, f) for f in FIELDS}
    org_src = e["org_no"] if "org_no" in mapping.columns else (e["supplier_id"] if use_sid_as_org else "NULL")
    fb_month = f"DATE '{fallback[0].isoformat()}'" if fallback else "NULL::DATE"
    fb_grain = f"'{fallback[1]}'" if fallback else "NULL"
    all_cells = " || ".join(f"c{i}" for i in range(len(raw.headers))) or "''"
    long_cell = " OR ".join(f"length(c{i}) > {MAX_CELL_CHARS}" for i in range(len(raw.headers))) or "false"
    longest = "greatest(" + ", ".join(f"length(c{i})" for i in range(len(raw.headers))) + ")" \
        if len(raw.headers) > 1 else ("length(c0)" if raw.headers else "0")
    acct_split = "'^(\\d{3,6})[\\s:–-]+(\\S.*)$'"
    table = f"stage_{k}"
    supplier_clean = mask_embedded_sql("regexp_replace(supplier_text, '\\s+', ' ', 'g')")

    # Supplier names, organisation numbers and dates repeat across a ledger (thousands of distinct
    # values in a million lines), so their regex-heavy parsing runs once per distinct value and is
    # joined back; amounts are nearly all distinct and are parsed in line.
    cur.execute(f"""
    CREATE OR REPLACE TEMP TABLE {table} AS
    WITH src AS (
      SELECT _row,
        {e['amount']} AS amount_text, {e['date']} AS date_text,
        {e['supplier_name']} AS supplier_text, {e['supplier_id']} AS supplier_id,
        {org_src} AS org_text,
        {e['account']} AS account_text_raw, {e['account_text']} AS account_name_raw,
        {e['org_unit']} AS org_unit, {e['buyer']} AS buyer,
        {e['invoice_no']} AS invoice_no, {e['voucher_no']} AS voucher_no,
        {e['description']} AS description, {e['cpv']} AS cpv,
        trim({all_cells}) = '' AS is_blank,
        {long_cell} AS too_long, {longest} AS longest
      FROM {view}
    ), supplier_lookup AS (
      SELECT supplier_text, nullif(supplier_clean, '') AS supplier_name, {name_norm_sql('supplier_clean')} AS name_norm,
        regexp_matches(lower(supplier_text), '{TOTAL_WORDS}') AS supplier_total_label
      FROM (SELECT supplier_text, {supplier_clean} AS supplier_clean FROM (SELECT DISTINCT supplier_text FROM src))
    ), org_lookup AS (
      SELECT org_text, {classify_sql('org_text')} AS org FROM (SELECT DISTINCT org_text FROM src)
    ), date_lookup AS (
      SELECT date_text,
        CASE WHEN date_text = '' OR regexp_matches(date_text, {_TIME}) THEN NULL ELSE {_date_sql('date_text', order)} END AS booking_date,
        {_month_sql('date_text')} AS text_month,
        date_text <> '' AND NOT regexp_matches(date_text, {_TIME}) AS has_date_text,
        regexp_matches(lower(date_text), '{TOTAL_WORDS}') AS date_total_label
      FROM (SELECT DISTINCT date_text FROM src)
    ), parsed AS (
      SELECT src.*, s.supplier_name, s.name_norm, d.booking_date, d.text_month, d.has_date_text, o.org,
        {_amount_sql('amount_text', decimal)} AS amount,
        (supplier_text = '' AND supplier_id = '' AND coalesce(src.org_text, '') = '') AS no_supplier,
        (s.supplier_total_label OR d.date_total_label OR regexp_matches(lower(org_unit), '{TOTAL_WORDS}')
          OR regexp_matches(lower(account_name_raw), '{TOTAL_WORDS}') OR regexp_matches(lower(account_text_raw), '{TOTAL_WORDS}')
          OR regexp_matches(lower(description), '{TOTAL_WORDS}')
          OR regexp_matches(lower(buyer), '{TOTAL_WORDS}')) AS total_label,
        s.supplier_total_label
      FROM src
      JOIN supplier_lookup s USING (supplier_text)
      JOIN date_lookup d USING (date_text)
      JOIN org_lookup o ON o.org_text IS NOT DISTINCT FROM src.org_text
    ), framed AS (
      SELECT *,
        max(CASE WHEN NOT no_supplier THEN _row END) OVER () AS last_line_row,
        sum(CASE WHEN NOT no_supplier AND NOT total_label THEN amount END) OVER () AS lines_sum
      FROM parsed
    ), kinds AS (
      SELECT *,
        CASE
          WHEN is_blank THEN 'blank'
          WHEN too_long THEN 'junk_too_long'
          WHEN amount_text <> '' AND amount IS NULL THEN 'junk_amount'
          WHEN amount IS NOT NULL AND (
                 (total_label AND (no_supplier OR supplier_total_label))
              OR (no_supplier AND NOT has_date_text AND _row > coalesce(last_line_row, 0)
                  AND abs(amount - coalesce(lines_sum, 0)) <= 0.02 * abs(coalesce(lines_sum, 0)) + 0.01))
            THEN 'total'
          WHEN no_supplier AND amount_text = '' THEN 'junk_empty'
          WHEN has_date_text AND booking_date IS NULL AND text_month IS NULL THEN 'junk_date'
          WHEN coalesce(date_trunc('month', booking_date), text_month, {fb_month}) IS NULL THEN 'junk_no_period'
          ELSE 'line'
        END AS kind
      FROM framed
    )
    SELECT _row AS source_row, kind, amount_text, date_text, supplier_text, longest,
      booking_date,
      CAST(coalesce(date_trunc('month', booking_date), text_month, {fb_month}) AS DATE) AS period_month,
      CASE WHEN booking_date IS NOT NULL THEN 'day' WHEN text_month IS NOT NULL THEN 'month' ELSE {fb_grain} END AS period_grain,
      supplier_name,
      name_norm AS supplier_name_norm,
      CASE
        WHEN org.org_no_status = 'valid' THEN 'org:' || org.org_digits
        WHEN org.org_no_status = 'personal' THEN 'pnr:' || substr(sha256(org.org_digits), 1, 16)
        WHEN name_norm IS NOT NULL THEN 'name:' || name_norm
        WHEN supplier_id <> '' THEN 'id:' || {mask_embedded_sql('supplier_id')}
        WHEN org.org_no IS NOT NULL THEN 'raw:' || org.org_no
        ELSE 'unknown'
      END AS supplier_key,
      org.org_no_raw, org.org_no, org.org_no_status, org.legal_form,
      nullif(CASE WHEN account_name_raw = '' AND regexp_matches(account_text_raw, {acct_split})
                  THEN regexp_extract(account_text_raw, {acct_split}, 1) ELSE account_text_raw END, '') AS account,
      nullif(CASE WHEN account_name_raw = '' AND regexp_matches(account_text_raw, {acct_split})
                  THEN trim(regexp_extract(account_text_raw, {acct_split}, 2)) ELSE account_name_raw END, '') AS account_text,
      nullif(org_unit, '') AS org_unit, nullif(buyer, '') AS buyer,
      nullif(invoice_no, '') AS invoice_no, nullif(voucher_no, '') AS voucher_no,
      nullif({mask_embedded_sql('description')}, '') AS description, nullif(cpv, '') AS cpv,
      coalesce(amount, 0)::DECIMAL(18, 2) AS amount
    FROM kinds
    """)

    counts = dict(cur.execute(f"SELECT kind, count(*) FROM {table} GROUP BY kind").fetchall())
    lines = counts.get("line", 0)
    junk_kinds = sorted(kk for kk in counts if kk.startswith("junk_"))
    junk = sum(counts[kk] for kk in junk_kinds) + len(raw.bad_rows)
    samples = []
    for kind in junk_kinds:
        for r in cur.execute(f"""SELECT source_row, amount_text, date_text, supplier_text, longest FROM {table}
                                 WHERE kind = ? ORDER BY source_row LIMIT {SAMPLES_PER_PROBLEM}""", [kind]).fetchall():
            samples.append({"kind": kind, "row": r[0], "amount": r[1][:60], "date": r[2][:40],
                            "supplier": (r[3] or "")[:60], "chars": r[4]})
    for number, text in raw.bad_rows[:SAMPLES_PER_PROBLEM]:
        samples.append({"kind": "junk_cells", "row": number, "text": text[:120]})
    if raw.bad_rows:
        counts["junk_cells"] = len(raw.bad_rows)

    totals = cur.execute(f"SELECT source_row, amount FROM {table} WHERE kind = 'total' ORDER BY source_row").fetchall()
    agg = cur.execute(f"""SELECT sum(amount), min(period_month), max(period_month),
                                 count(*) FILTER (WHERE amount_text = ''), count(*) FILTER (WHERE amount < 0)
                          FROM {table} WHERE kind = 'line'""").fetchall()[0]
    line_sum = agg[0] or 0
    if counts.get("blank"):
        warnings.append({"code": "blank_rows", "count": counts["blank"]})
    for row_no, value in totals:
        diff = _money(value) - _money(line_sum)
        warnings.append({"code": "total_row" if abs(diff) < 0.005 else "total_row_mismatch", "row": row_no,
                         "file_total": _money(value), "line_sum": _money(line_sum), "difference": round(diff, 2)})
    if agg[3]:
        warnings.append({"code": "empty_amounts", "count": agg[3],
                         "column": mapping.header_of("amount", raw.headers)})
    if junk:
        warnings.append({"code": "junk_rows", "count": junk,
                         "rows": sorted(s["row"] for s in samples)[:SAMPLES_PER_PROBLEM]})
    org_stats = dict(cur.execute(f"SELECT org_no_status, count(*) FROM {table} WHERE kind = 'line' GROUP BY 1").fetchall())

    if lines == 0:
        detail = "; ".join(_sample_text(s) for s in samples[:3])
        raise IngestError("no_valid_rows", "no row could be read as a ledger line" +
                          (f" ({detail})" if detail else "") + ". Check the column mapping and the file.",
                          file=name, detail=detail)
    if junk > max(MAX_REJECTED_SHARE * (lines + junk), 3):
        detail = "; ".join(_sample_text(s) for s in samples[:3])
        raise IngestError("too_many_junk_rows", f"{junk} of {lines + junk} rows could not be read ({detail}). "
                          "The file is refused rather than loaded in part: check the column mapping "
                          "(is the amount column right?) and the export.", file=name,
                          junk=junk, rows=lines + junk, detail=detail)

    months = [r[0] for r in cur.execute(
        f"SELECT DISTINCT period_month FROM {table} WHERE kind = 'line' ORDER BY 1").fetchall()]
    report = {
        "file": name, "meta": raw.meta, "decimal": decimal, "date_order": order if stats["slash_dates"] else None,
        "mapping": {f: raw.headers[i] for f, i in mapping.columns.items()},
        "mapping_scores": mapping.scores,
        "counts": {"lines": lines, **{kk: v for kk, v in counts.items() if kk != "line"}},
        "credit_notes": agg[4], "org_no": org_stats, "samples": samples, "warnings": warnings,
        "excluded_rows": sum(v for kk, v in counts.items() if kk != "line"),
        "org_from_supplier_id": bool(use_sid_as_org),
    }
    return ParsedFile(name, table, lines, _money(line_sum), agg[1], agg[2], months, report)


def _sample_text(s: dict) -> str:
    row = s.get("row")
    kind = s["kind"]
    if kind == "junk_amount":
        return f"row {row}: amount '{s['amount']}' is not a number"
    if kind == "junk_date":
        return f"row {row}: date '{s['date']}' is not a date"
    if kind == "junk_too_long":
        return f"row {row}: a cell holds {s['chars']:,} characters (the limit is {MAX_CELL_CHARS:,})"
    if kind == "junk_empty":
        return f"row {row}: no amount and no supplier"
    if kind == "junk_no_period":
        return f"row {row}: no date, and no period for the file"
    if kind == "junk_cells":
        return f"row {row}: wrong number of cells ('{s.get('text', '')[:40]}')"
    return f"row {row}: {kind}"
