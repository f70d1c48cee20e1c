"""Periods: from a file name ("2016-03", "apr-jun-2014", "2021Q2", "december-2018") or from the
user ("2016-03", "2016-Q1"). A period is (first month as a date, grain: month | quarter)."""

from __future__ import annotations

import datetime as dt
import re

from ..periods import quarter_of

MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "mar": 3, "mars": 3,
    "march": 3, "apr": 4, "april": 4, "maj": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7,
    "juli": 7, "july": 7, "aug": 8, "augusti": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))


class PeriodError(ValueError):
    pass


def parse_period(text: str) -> tuple[dt.date, str]:
    """Parse a user-given period: YYYY-MM or YYYY-Qn (also YYYYQn, YYYY Qn). Raises PeriodError."""
    t = (text or "").strip().upper()
    m = re.fullmatch(r"(\d{4})-?(0[1-9]|1[0-2])", t)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), 1), "month"
    m = re.fullmatch(r"(\d{4})\s*-?\s*[QK]([1-4])", t)
    if m:
        return dt.date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1), "quarter"
    raise PeriodError(f"'{text}' is not a period; write YYYY-MM (2016-03) or YYYY-Qn (2016-Q1)")


def period_from_filename(name: str) -> tuple[dt.date, str] | None:
    """The period a file name states, or None. Month ranges of three months are quarters."""
    base = re.sub(r"\.[A-Za-z0-9]+$", "", name.rsplit("/", 1)[-1]).lower()
    # month-name range with a year: apr-jun-2014, jan-mars 2016
    m = re.search(rf"(?<![a-z])({_MONTH_WORD})[\s_\-]+({_MONTH_WORD})[\s_\-]+((?:19|20)\d\d)(?!\d)", base)
    if m:
        first, last, year = MONTHS[m.group(1)], MONTHS[m.group(2)], int(m.group(3))
        if last - first == 2 and first % 3 == 1:
            return dt.date(year, first, 1), "quarter"
        if first == last:
            return dt.date(year, first, 1), "month"
    m = re.search(r"(?<!\d)((?:19|20)\d\d)[\s_\-]*[qk]([1-4])(?!\d)", base) or \
        re.search(r"(?<![a-z])[qk]([1-4])[\s_\-]*((?:19|20)\d\d)(?!\d)", base)
    if m:
        a, b = m.groups()
        year, q = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
        return dt.date(year, 3 * q - 2, 1), "quarter"
    m = re.search(r"(?<!\d)((?:19|20)\d\d)[\-_ .]?(0[1-9]|1[0-2])(?!\d)", base)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), 1), "month"
    m = re.search(rf"(?<![a-z])({_MONTH_WORD})[\s_\-]*((?:19|20)\d\d)(?!\d)", base)
    if m:
        return dt.date(int(m.group(2)), MONTHS[m.group(1)], 1), "month"
    return None


def format_period(start: dt.date, grain: str) -> str:
    """2016-03 for a month, 2016 Q1 for a quarter."""
    if grain == "quarter":
        return quarter_of(start)
    return f"{start.year}-{start.month:02d}"
