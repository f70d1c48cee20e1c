"""What the store holds: the summary figures of the loaded ledger and the upload history."""

from __future__ import annotations

import json

import duckdb

from .cube import kpis, source, view_from_filters, where
from .filters import Filters
from .orgno import shown_name_sql


def summary(cur: duckdb.DuckDBPyConnection) -> dict:
    """Summary of all loaded lines: lines, total (SEK or the files' currency, 2 decimals),
    suppliers, org_units, accounts, first/last booking date (ISO or None), periods (YYYY-MM),
    batches (loaded uploads) and excluded_rows (blank, total and junk rows left out)."""
    lines, total, org_units, accounts, first, last = cur.execute("""
        SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT org_unit), count(DISTINCT account),
               min(booking_date), max(booking_date)
        FROM ledger_lines""").fetchall()[0]
    suppliers = cur.execute("SELECT count(*) FROM suppliers").fetchall()[0][0]
    periods = [r[0] for r in cur.execute(
        "SELECT DISTINCT strftime(period_month, '%Y-%m') FROM ledger_lines ORDER BY 1").fetchall()]
    batches, excluded = cur.execute(
        "SELECT count(*), coalesce(sum(excluded_rows), 0) FROM batches WHERE status = 'loaded'").fetchall()[0]
    return {
        "lines": int(lines), "total": round(float(total), 2), "suppliers": int(suppliers),
        "org_units": int(org_units), "accounts": int(accounts),
        "first_date": first.isoformat() if first else None, "last_date": last.isoformat() if last else None,
        "periods": periods, "batches": int(batches), "excluded_rows": int(excluded),
    }


def has_data(cur: duckdb.DuckDBPyConnection) -> bool:
    """True when any ledger line is loaded."""
    return cur.execute("SELECT EXISTS (SELECT 1 FROM ledger_lines)").fetchall()[0][0]


def has_demo(cur: duckdb.DuckDBPyConnection) -> bool:
    """True when the demo ledger is loaded."""
    return cur.execute("SELECT EXISTS (SELECT 1 FROM batches WHERE is_demo AND status = 'loaded')").fetchall()[0][0]


def upload_history(cur: duckdb.DuckDBPyConnection, limit: int = 500) -> list[dict]:
    """Every upload batch, newest first: file, when, who, period, rows, total, currency, status,
    demo flag, excluded rows and the warnings of its validation report."""
    rows = cur.execute("""
        SELECT batch_id, upload_id, file_name, uploaded_at, uploaded_by, period_from, period_to, rows, total,
               currency, profile, status, is_demo, excluded_rows, report
        FROM batches ORDER BY batch_id DESC LIMIT ?""", [limit]).fetchall()
    out = []
    for r in rows:
        report = json.loads(r[14]) if r[14] else {}
        out.append({"batch_id": r[0], "upload_id": r[1], "file_name": r[2], "uploaded_at": r[3],
                    "uploaded_by": r[4], "period_from": r[5], "period_to": r[6], "rows": r[7],
                    "total": float(r[8]), "currency": r[9], "profile": r[10], "status": r[11],
                    "is_demo": r[12], "excluded_rows": r[13], "warnings": report.get("warnings", [])})
    return out


def org_units(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Distinct organisation units, sorted."""
    return [r[0] for r in cur.execute(
        "SELECT DISTINCT org_unit FROM cube_rollup WHERE org_unit IS NOT NULL ORDER BY 1").fetchall()]


def loaded_months(cur: duckdb.DuckDBPyConnection) -> list:
    """The months that hold lines (first days, ascending)."""
    return [r[0] for r in cur.execute("SELECT DISTINCT period_month FROM cube_rollup ORDER BY 1").fetchall()]


def overview(cur: duckdb.DuckDBPyConnection, filters=None, top: int = 10) -> dict:
    """Key figures of the filtered lines, in the filters' scope (influenceable spend unless
    filters.scope is 'all'): kpis (cube.kpis: spend, total_spend, excluded_spend, lines,
    suppliers, org_units, credit_notes, valid_org_share ...), spend per quarter (DataFrame
    quarter, spend) and the top suppliers by spend (DataFrame)."""
    view = view_from_filters(filters or Filters())
    cond, params = where(view)
    by_quarter = cur.execute(f"""
        SELECT strftime(period_month, '%Y') || ' Q' || quarter(period_month) AS quarter, sum(spend)::DOUBLE AS spend
        FROM {source(view, False)} f WHERE {cond} GROUP BY 1 ORDER BY 1""", params).df()
    top_sup = cur.execute(f"""
        WITH t AS (SELECT supplier_no, sum(spend) AS spend, sum(lines) AS lines FROM {source(view)} f
                   WHERE {cond} GROUP BY 1 ORDER BY spend DESC, supplier_no LIMIT ?)
        SELECT {shown_name_sql("s")} AS supplier, s.org_no, t.spend::DOUBLE AS spend, t.lines::BIGINT AS lines
        FROM t JOIN suppliers s USING (supplier_no) ORDER BY t.spend DESC, t.supplier_no""", params + [top]).df()
    return {"kpis": kpis(cur, view), "by_quarter": by_quarter, "top_suppliers": top_sup}
