"""Load semantics: plan an upload (read, map, parse; nothing written), then commit it in one
transaction, or not at all.

- The same file again (same sha256 as a loaded batch) is refused.
- Months already loaded: the caller chooses to replace those months or add to them.
- A failure anywhere inside commit rolls back: the store is exactly as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

import duckdb

from .. import access, derived
from ..store import audit, current_user, transaction
from .columns import FIELDS, Mapping, auto_map
from .errors import IngestError
from .parse import ParsedFile, drop_parsed_tables, lines_select, parse_file
from .periods import PeriodError, parse_period
from .readers import RawTable, read_file

LINE_COLUMNS = [
    "source_row", "booking_date", "period_month", "period_grain", "supplier_name", "supplier_name_norm",
    "supplier_key", "org_no_raw", "org_no", "org_no_status", "legal_form", "account", "account_text",
    "org_unit", "buyer", "invoice_no", "voucher_no", "description", "cpv", "amount",
    "amount_orig", "currency_orig", "fx_rate",
]


@dataclass
class PlannedFile:
    raw: RawTable
    mapping: Mapping
    parsed: ParsedFile
    sha256: str


@dataclass
class UploadPlan:
    """What an upload would do; nothing is written until commit_upload."""
    files: list[PlannedFile]
    currency: str
    profile: str | None
    overlap: list[dict] = field(default_factory=list)   # loaded batches sharing months with this upload
    batch_ids: list[int] = field(default_factory=list)  # filled in by load_files after the commit

    @property
    def lines(self) -> int:
        return sum(f.parsed.lines for f in self.files)

    @property
    def total(self) -> float:
        return round(sum(f.parsed.total for f in self.files), 2)

    @property
    def months(self) -> list[dt.date]:
        return sorted({m for f in self.files for m in f.parsed.months})


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mapping_from_headers(headers: list[str], chosen: dict[str, str | None]) -> Mapping:
    """A Mapping from field -> header name (as a person or a profile chose it)."""
    cols, scores = {}, {}
    lowered = [h.strip().lower() for h in headers]
    for f, h in chosen.items():
        if f not in FIELDS or not h:
            continue
        key = h.strip().lower()
        if key in lowered:
            cols[f] = lowered.index(key)
            scores[f] = 1.0
    return Mapping(cols, scores)


def map_columns(raw: RawTable, override: dict[str, str | None] | None = None,
                profile_mapping: dict[str, str] | None = None) -> Mapping:
    """Auto-detected mapping, then a profile's choices where its headers exist, then the
    person's explicit choices (None unmaps a field)."""
    mapping = auto_map(raw.headers, raw.sample(200))
    for chosen in (profile_mapping, override):
        if not chosen:
            continue
        explicit = mapping_from_headers(raw.headers, chosen)
        for f, h in chosen.items():
            if f in FIELDS and h is None and f in mapping.columns:
                del mapping.columns[f]
                mapping.scores.pop(f, None)
        for f, i in explicit.columns.items():
            for other, j in list(mapping.columns.items()):
                if j == i and other != f:
                    del mapping.columns[other]
            mapping.columns[f] = i
            mapping.scores[f] = 1.0
    return mapping


def store_currency(cur) -> str | None:
    """The currency the store's amounts are in (of the loaded batches), None for an empty store."""
    rows = cur.execute("""SELECT currency FROM batches WHERE status = 'loaded' AND rows > 0
                          GROUP BY 1 ORDER BY sum(rows) DESC""").fetchall()
    return rows[0][0] if rows else None


def parse_rates(specs) -> dict:
    """Exchange rates to the store's currency from the person or the command line: a dict as
    parse_file takes it ({code: rate} or {(code, month): rate}) from strings such as 'EUR=11,45'
    or 'EUR:2024-03=11.32', or rows {'currency', 'month', 'rate'}. Raises IngestError naming the
    bad entry."""
    rates: dict = {}
    for spec in specs or []:
        if isinstance(spec, dict):
            code, month, rate = spec.get("currency"), spec.get("month"), spec.get("rate")
            if not code and rate in (None, ""):
                continue
            text = f"{code or ''}{':' + str(month) if month else ''}={rate if rate is not None else ''}"
        else:
            text = str(spec)
            code, _, rate = text.partition("=")
            code, _, month = code.partition(":")
        code = (code or "").strip().upper()
        try:
            value = float(str(rate).strip().replace(" ", "").replace(",", "."))
        except ValueError:
            value = float("nan")
        if len(code) != 3 or not code.isalpha() or not value > 0:
            raise IngestError("bad_rate", f"'{text}' is not an exchange rate; write the currency code and the "
                              "rate to the store's currency, such as EUR=11,45 (or EUR:2024-03=11,32 for one month).",
                              value=text)
        if month and str(month).strip():
            try:
                start, _grain = parse_period(str(month).strip())
            except PeriodError:
                raise IngestError("bad_rate", f"'{text}': '{month}' is not a month (write YYYY-MM).", value=text) from None
            rates[(code, start)] = value
        else:
            rates[code] = value
    return rates


def plan_upload(cur: duckdb.DuckDBPyConnection, files: list[tuple[str, bytes]], *,
                period: str | None = None, currency: str = "SEK", profile: str | None = None,
                overrides: dict[str, dict[str, str | None]] | None = None,
                date_order: str | None = None, sheet: str | None = None, decimal: str | None = None,
                rates=None, allow_dates_outside: bool = False,
                progress=None, raws: dict[str, RawTable] | None = None) -> UploadPlan:
    """Read, map and parse every file; check duplicates and overlapping periods. Writes nothing
    to the store's tables (only temp tables on ``cur``). Raises IngestError for the first file
    that cannot be loaded, naming it. ``raws`` may hold files already read (by name).

    ``currency`` is what the files' amounts are in where no currency column or sign says; the
    lines are stored in the store's currency (the first upload sets it), so any other currency
    needs a rate in ``rates`` (see parse_rates). ``allow_dates_outside`` loads dates before 1990
    or more than a year ahead (otherwise refused by row)."""
    access.require(access.UPLOAD)
    if not files:
        raise IngestError("no_files", "no file was given.")
    currency = (currency or "SEK").strip().upper()
    target = store_currency(cur) or currency
    rates = rates if isinstance(rates, dict) else parse_rates(rates)
    user_period = None
    if period:
        try:
            user_period = parse_period(period)
        except PeriodError as exc:
            raise IngestError("bad_period", str(exc) + ".", period=period) from None
    profile_mapping = load_profile(cur, profile)["mapping"] if profile else None
    seen: dict[str, str] = {}
    planned: list[PlannedFile] = []
    for n, (name, data) in enumerate(files):
        if progress:
            progress(n / len(files), name)
        digest = file_sha256(data)
        if digest in seen:
            raise IngestError("duplicate_in_upload", f"the same content as '{seen[digest]}' in this upload.",
                              file=name, other=seen[digest])
        seen[digest] = name
        loaded = cur.execute(
            "SELECT file_name, uploaded_at FROM batches WHERE sha256 = ? AND status = 'loaded' LIMIT 1", [digest]
        ).fetchall()
        loaded = loaded[0] if loaded else None
        if loaded:
            raise IngestError("already_loaded", f"this file was already loaded on {loaded[1]:%Y-%m-%d %H:%M} "
                              f"as '{loaded[0]}'. Nothing was loaded again. To load it anew, delete that "
                              "upload first.", file=name, other=loaded[0], at=f"{loaded[1]:%Y-%m-%d %H:%M}")
        raw = (raws or {}).get(name) or read_file(name, data, sheet=sheet)
        mapping = map_columns(raw, (overrides or {}).get(name), profile_mapping)
        try:
            parsed = parse_file(cur, raw, mapping, period=user_period, date_order=date_order, decimal=decimal,
                                currency=currency, target_currency=target, rates=rates,
                                allow_dates_outside=allow_dates_outside)
        except BaseException:
            discard_plan(cur, UploadPlan(planned, target, profile))
            raise
        planned.append(PlannedFile(raw, mapping, parsed, digest))
    if progress:
        progress(1.0, "")
    plan = UploadPlan(planned, target, profile)
    plan.overlap = overlapping_batches(cur, plan.months)
    return plan


def overlapping_batches(cur, months: list[dt.date]) -> list[dict]:
    """Loaded batches with lines in any of ``months``: what a replace would touch."""
    if not months:
        return []
    rows = cur.execute("""
        SELECT b.batch_id, b.file_name, b.is_demo, count(*) AS lines, sum(l.amount) AS total,
               min(l.period_month), max(l.period_month)
        FROM ledger_lines l JOIN batches b USING (batch_id)
        WHERE b.status = 'loaded' AND l.period_month IN (SELECT unnest(?::DATE[]))
        GROUP BY ALL ORDER BY b.batch_id""", [months]).fetchall()
    return [{"batch_id": r[0], "file_name": r[1], "is_demo": r[2], "lines": r[3], "total": float(r[4] or 0),
             "from": r[5], "to": r[6]} for r in rows]


def commit_upload(cur: duckdb.DuckDBPyConnection, plan: UploadPlan, *, replace_period: bool = False,
                  user: str | None = None, is_demo: bool = False) -> list[int]:
    """Write the planned files as batches in one transaction; return the new batch ids.

    ``replace_period`` first removes the lines of loaded batches in the months this upload
    covers (an administrator's right, as deleting uploads is). Any failure rolls everything back."""
    access.require(access.UPLOAD_DELETE if replace_period else access.UPLOAD)
    user = user or current_user()
    upload_id = uuid.uuid4().hex[:12]
    batch_ids: list[int] = []
    try:
        with transaction(cur):
            replaced, gone = [], None
            held = store_currency(cur)
            if held and held != plan.currency:
                raise IngestError("currency_mismatch", f"the store holds amounts in {held} and this upload is in "
                                  f"{plan.currency}; the two are never added. Plan the upload again (it converts "
                                  f"to {held} with a rate).", held=held, currency=plan.currency)
            if replace_period and plan.months:
                gone = derived.touched(cur, _IN_LOADED_MONTHS, [plan.months])
                replaced = _remove_months(cur, plan.months, user)
            for f in plan.files:
                p = f.parsed
                # re-check inside the transaction: another session may have loaded the file meanwhile
                if cur.execute("SELECT count(*) FROM batches WHERE sha256 = ? AND status = 'loaded'",
                               [f.sha256]).fetchall()[0][0]:
                    raise IngestError("already_loaded", "this file was loaded by someone else a moment ago.",
                                      file=p.file_name, other=p.file_name, at="")
                batch_id = cur.execute("""
                    INSERT INTO batches (upload_id, file_name, sha256, uploaded_at, uploaded_by, period_from,
                        period_to, rows, total, currency, profile, status, is_demo, excluded_rows, report)
                    VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?)
                    RETURNING batch_id""",
                    [upload_id, p.file_name, f.sha256, user, p.period_from, p.period_to, p.lines, p.total,
                     plan.currency, plan.profile, is_demo, p.report["excluded_rows"],
                     json.dumps(p.report, ensure_ascii=False, default=str)]).fetchall()[0][0]
                cols = ", ".join(LINE_COLUMNS)
                with _registered(cur, p):
                    cur.execute(f"INSERT INTO ledger_lines (batch_id, {cols}) "
                                f"SELECT ?, * FROM ({lines_select(p, LINE_COLUMNS)})", [batch_id])
                batch_ids.append(batch_id)
            derived.lines_added(cur, batch_ids, also=gone)
            audit(cur, "upload", "batches", {"upload_id": upload_id, "batches": batch_ids,
                                             "files": [f.parsed.file_name for f in plan.files],
                                             "lines": plan.lines, "total": plan.total,
                                             "replaced": replaced, "demo": is_demo}, actor=user)
    finally:
        discard_plan(cur, plan)
    return batch_ids


class _registered:
    """The parsed file's cells registered as its view while its lines are read."""
    def __init__(self, cur, parsed: ParsedFile):
        self.cur, self.parsed = cur, parsed

    def __enter__(self):
        self.cur.register(self.parsed.sql["view"], self.parsed.arrow)

    def __exit__(self, *exc):
        self.cur.unregister(self.parsed.sql["view"])


_IN_LOADED_MONTHS = ("period_month IN (SELECT unnest(?::DATE[])) "
                     "AND batch_id IN (SELECT batch_id FROM batches WHERE status = 'loaded')")


def _remove_months(cur, months: list[dt.date], user: str) -> list[dict]:
    touched = overlapping_batches(cur, months)
    cur.execute(f"DELETE FROM ledger_lines WHERE {_IN_LOADED_MONTHS}", [months])
    _recount_batches(cur, [t["batch_id"] for t in touched], emptied_status="replaced")
    return [{"batch_id": t["batch_id"], "file_name": t["file_name"], "lines": t["lines"]} for t in touched]


def _recount_batches(cur, batch_ids: list[int], emptied_status: str) -> None:
    for bid in batch_ids:
        n, total, lo, hi = cur.execute(
            "SELECT count(*), coalesce(sum(amount), 0), min(period_month), max(period_month) "
            "FROM ledger_lines WHERE batch_id = ?", [bid]).fetchall()[0]
        cur.execute("UPDATE batches SET rows = ?, total = ?, period_from = ?, period_to = ?, "
                    "status = CASE WHEN ? = 0 THEN ? ELSE status END WHERE batch_id = ?",
                    [n, total, lo, hi, n, emptied_status, bid])


def delete_batches(cur: duckdb.DuckDBPyConnection, batch_ids: list[int], user: str | None = None) -> int:
    """Undo uploads: remove the batches' lines (one transaction); the batches stay listed as
    deleted in the history. Returns the number of lines removed."""
    access.require(access.UPLOAD_DELETE)
    return remove_batches(cur, batch_ids, user, "delete_upload")


def remove_batches(cur, batch_ids: list[int], user: str | None, action: str) -> int:
    """The removal itself, audited as ``action`` (which carries its own permission: deleting an
    upload is an administrator's, removing the demo an uploader's)."""
    user = user or current_user()
    with transaction(cur):
        removed = cur.execute("SELECT count(*) FROM ledger_lines WHERE batch_id IN (SELECT unnest(?::INTEGER[]))",
                              [batch_ids]).fetchall()[0][0]
        files = [r[0] for r in cur.execute("SELECT file_name FROM batches WHERE batch_id IN (SELECT unnest(?::INTEGER[]))",
                                           [batch_ids]).fetchall()]
        gone = derived.touched(cur, "batch_id IN (SELECT unnest(?::INTEGER[]))", [batch_ids])
        cur.execute("DELETE FROM ledger_lines WHERE batch_id IN (SELECT unnest(?::INTEGER[]))", [batch_ids])
        cur.execute("UPDATE batches SET status = 'deleted', rows = 0, total = 0 "
                    "WHERE batch_id IN (SELECT unnest(?::INTEGER[]))", [batch_ids])
        derived.lines_removed(cur, gone)
        audit(cur, action, "batches", {"batches": batch_ids, "files": files, "lines": removed}, actor=user)
    return removed


# ---------------------------------------------------------------- import profiles

def save_profile(cur, name: str, mapping: dict[str, str], options: dict | None = None, user: str | None = None) -> None:
    """Save (or overwrite) a named import profile: field -> header name, plus options."""
    access.require(access.UPLOAD)
    name = (name or "").strip()
    if not name:
        raise IngestError("profile_name", "give the import profile a name.")
    clean = {f: h for f, h in mapping.items() if f in FIELDS and h}
    cur.execute("""INSERT INTO import_profiles VALUES (?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)
                   ON CONFLICT (name) DO UPDATE SET mapping = excluded.mapping, options = excluded.options,
                   updated_at = excluded.updated_at""",
                [name, json.dumps(clean, ensure_ascii=False), json.dumps(options or {}, ensure_ascii=False)])
    audit(cur, "save_profile", "import_profiles", {"name": name, "mapping": clean}, actor=user)


def load_profile(cur, name: str) -> dict:
    rows = cur.execute("SELECT mapping, options FROM import_profiles WHERE name = ?", [name]).fetchall()
    row = rows[0] if rows else None
    if not row:
        raise IngestError("no_profile", f"there is no import profile called '{name}'.", profile=name)
    return {"name": name, "mapping": json.loads(row[0]), "options": json.loads(row[1])}


def list_profiles(cur) -> list[str]:
    return [r[0] for r in cur.execute("SELECT name FROM import_profiles ORDER BY updated_at DESC").fetchall()]


def preview_lines(cur, plan: UploadPlan, index: int, n: int = 15):
    """The first ``n`` parsed lines of file ``index`` of a pending plan, as a DataFrame."""
    parsed = plan.files[index].parsed
    cols = ["source_row", "booking_date", "period_month", "supplier_name", "org_no", "org_no_status", "account",
            "account_text", "org_unit", "amount"]
    with _registered(cur, parsed):
        return cur.execute(f"""
            SELECT source_row, booking_date, strftime(period_month, '%Y-%m') AS period, supplier_name, org_no,
                   org_no_status, account, account_text, org_unit, amount::DOUBLE AS amount
            FROM ({lines_select(parsed, cols)}) ORDER BY source_row LIMIT ?""", [n]).df()


def discard_plan(cur, plan: UploadPlan) -> None:
    """Drop a plan's temp tables without loading it."""
    for f in plan.files:
        drop_parsed_tables(cur, f.parsed.sql["k"])
