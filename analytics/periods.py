"""Periods and quarters: the one arithmetic for '2021 Q2' labels, quarter months and year shifts.

A quarter label is 'YYYY Qn'. Its index (``q_index``) counts quarters from year 0, so adding
and comparing quarters is integer arithmetic. Months are dates on the first of the month, as
``ledger_lines.period_month`` stores them.
"""

from __future__ import annotations

import datetime as dt
import re


def quarter_of(d: dt.date) -> str:
    """2021-05-17 -> '2021 Q2'."""
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def q_index(label: str) -> int:
    """'2021 Q2' -> 2021 * 4 + 1."""
    return int(label[:4]) * 4 + int(label[-1]) - 1


def q_label(k: int) -> str:
    """The inverse of ``q_index``."""
    return f"{k // 4} Q{k % 4 + 1}"


def quarter_add(label: str, n: int) -> str:
    """'2021 Q4' + 1 -> '2022 Q1'."""
    return q_label(q_index(label) + n)


def quarter_start(label: str) -> dt.date:
    """'2021 Q2' -> 2021-04-01."""
    k = q_index(label)
    return dt.date(k // 4, 3 * (k % 4) + 1, 1)


def quarter_end(label: str) -> dt.date:
    """'2021 Q2' -> 2021-06-01 (the first day of the quarter's last month)."""
    start = quarter_start(label)
    return dt.date(start.year, start.month + 2, 1)


def quarter_start_of(d: dt.date) -> dt.date:
    """The first day of the quarter ``d`` lies in."""
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def quarter_months(label: str) -> list[dt.date]:
    """The three months of a quarter."""
    start = quarter_start(label)
    return [dt.date(start.year, start.month + i, 1) for i in range(3)]


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier when negative), or the month's last day when it is
    shorter: 2024-01-31 + 1 month is 2024-02-29."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def month_after(d: dt.date) -> dt.date:
    """The first day of the month after ``d``'s."""
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def shift_year(d: dt.date | None, years: int) -> dt.date | None:
    """The same day ``years`` later (None stays None)."""
    return d.replace(year=d.year + years) if d else None


_QUARTER_URL = re.compile(r"(\d{4})Q([1-4])")


def quarter_from_url(text: str | None) -> str | None:
    """'2024Q1' (a link's form, also with spaces or lower case) -> '2024 Q1'; None when malformed."""
    m = _QUARTER_URL.fullmatch((text or "").replace(" ", "").upper())
    return f"{m.group(1)} Q{m.group(2)}" if m else None


def quarter_to_url(label: str) -> str:
    """'2024 Q1' -> '2024Q1'."""
    return label.replace(" ", "")
