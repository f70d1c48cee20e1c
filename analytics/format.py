"""The one number formatter: numbers, money, MSEK, shares, scores and periods in the UI or
report language with babel (pure; used by the pages through ui.format, by the pack and by every
export that writes text).

Swedish: 1 234 567 kr, 114,9 MSEK, 6,4 %, 2021 Q2, 2016-03. English: SEK 1,234,567, SEK 114.9m,
6.4%, 2021 Q2, 2016-03. One precision per measure: money in whole kronor, MSEK with one decimal,
shares with one decimal, counts whole.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_decimal, format_percent

from .periods import quarter_of

LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def _loc(lang: str) -> str:
    return LOCALES.get(lang, "sv_SE")


# grouping and decimal sign of the two languages: what babel's sv_SE and en_GB patterns write
_SIGNS = {"sv": ("\xa0", ","), "en": (",", ".")}
_EXP = {d: Decimal(1).scaleb(-d) for d in range(10)}


def number(value: float | None, lang: str = "sv", decimals: int = 0) -> str:
    """A plain number with the locale's grouping: 1 234 567 (sv), 1,234,567 (en). The same text
    as babel's '#,##0.00' pattern (the value read as its decimal text, halves to even), written
    without babel's pattern machinery: a table of thousands of figures formats at once."""
    if value is None:
        return "–"
    group, point = _SIGNS.get(lang, _SIGNS["sv"])
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        if not d.is_finite() or decimals not in _EXP:
            raise InvalidOperation
        text = format(d.quantize(_EXP[decimals], rounding=ROUND_HALF_EVEN), f",.{decimals}f")
    except InvalidOperation:
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=fmt, locale=_loc(lang))
    return text.replace(",", "\0").replace(".", point).replace("\0", group)


def money(value: float | None, lang: str = "sv", currency: str = "SEK", decimals: int = 0) -> str:
    """Whole kronor by default: '1 234 567 kr' (sv, SEK), 'SEK 1,234,567' (en)."""
    if value is None:
        return "–"
    n = number(value, lang, decimals)
    if lang == "sv":
        return f"{n} kr" if currency == "SEK" else f"{n} {currency}"
    return f"{currency} {n}"


def msek(value: float | None, lang: str = "sv", currency: str = "SEK") -> str:
    """Millions with one decimal: '114,9 MSEK' (sv), 'SEK 114.9m' (en)."""
    if value is None:
        return "–"
    n = number(value / 1e6, lang, 1)
    if lang == "sv":
        return f"{n} M{currency}" if currency == "SEK" else f"{n} M {currency}"
    return f"{currency} {n}m"


def flexible(value: float | None, lang: str = "sv", max_decimals: int = 3) -> str:
    """A number with as many decimals as it has (at most ``max_decimals``): 6,5 or 112,25; for
    cells a person edits. Empty for None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format_decimal(value, format="#,##0." + "#" * max_decimals, locale=_loc(lang))


def parse_number(text, lang: str = "sv") -> float | None:
    """A number as a person types it in ``lang``: '1 234 567,50' or '1234567.5' (Swedish: a
    comma is the decimal sign, a point too when it is the only one and not a grouping of
    threes), '1,234,567.50' (English: commas group). None for an empty cell; ValueError with
    the text otherwise."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    s = str(text).strip().replace("\xa0", "").replace("\u202f", "").replace(" ", "")
    if not s:
        return None
    if "," in s and "." in s:                  # both: the last one is the decimal sign
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", "") if lang == "en" else s.replace(",", ".")
    elif s.count(".") > 1:                     # 1.234.567: points group
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


def amount(value: float | None, lang: str = "sv", currency: str = "SEK") -> str:
    """A sum as a title says it: millions from one million up (114,9 MSEK), kronor below."""
    if value is None:
        return "–"
    return msek(value, lang, currency) if abs(value) >= 1e6 else money(value, lang, currency)


def percent(share: float | None, lang: str = "sv", decimals: int = 1) -> str:
    """A share 0-1 as a percentage: '6,4 %' (sv), '6.4%' (en)."""
    if share is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    text = format_percent(share, format=fmt, locale=_loc(lang))
    return text.replace("\xa0", " ") if lang == "sv" else text.replace(" ", "").replace("\xa0", "")


def quarter(value: dt.date | str) -> str:
    """'2021 Q2' for a date or an ISO date string (the same in both languages)."""
    return quarter_of(dt.date.fromisoformat(value) if isinstance(value, str) else value)


def date(value: dt.date | dt.datetime | None, lang: str = "sv") -> str:
    """ISO dates in both languages (2021-04-30), the Swedish standard and unambiguous in English."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def period(value: dt.date | str | None, grain: str = "quarter") -> str:
    """A period at its grain: '2016-03' for a month, '2021 Q2' for a quarter, '2021' for a year."""
    if value is None:
        return "–"
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    if grain == "month":
        return f"{d:%Y-%m}"
    if grain == "year":
        return str(d.year)
    return quarter(d)


def quarter_label(q: str, months: list[dt.date]) -> str:
    """A quarter ('2016 Q1') named at the grain of what is loaded in it: the quarter when all
    three months are, '2016-03' for one month, '2016-02 – 2016-03' for two."""
    inside = sorted(m for m in months if quarter_of(m) == q)
    if len(inside) == 1:
        return f"{inside[0]:%Y-%m}"
    if len(inside) == 2:
        return f"{inside[0]:%Y-%m} – {inside[1]:%Y-%m}"
    return q


def separators(lang: str) -> str:
    """Plotly's decimal and thousands characters for ``lang``: ', ' (1 234,5) or '.,' (1,234.5)."""
    return ".," if lang == "en" else ", "


# Kinds of value a table column or chart holds, and the one precision each is shown with.
KINDS = ("text", "money", "msek", "share", "count", "score", "period", "date")


def value(v, kind: str, lang: str = "sv") -> str:
    """``v`` as the text a table cell shows for its kind: money 1 234 567 (whole kronor, the
    unit in the header), msek 114,9 (millions, one decimal), share 6,4 %, count 1 926, score 3
    (or 2,5), text as it is; empty as "–"."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, str) and kind != "text" and not v:
        return ""                      # a cell left empty on purpose (a total row's text columns)
    if kind == "money":
        return number(float(v), lang, 0)
    if kind == "msek":
        return format_decimal(float(v) / 1e6, format="#,##0.0", locale=_loc(lang))
    if kind == "share":
        return percent(float(v), lang)
    if kind == "count":
        return number(float(v), lang, 0)
    if kind == "score":
        return number(float(v), lang, 0 if float(v).is_integer() else 1)
    if kind == "date" and isinstance(v, (dt.date, dt.datetime)):
        return date(v, lang)
    return str(v)


POINTS = {"sv": "p.e.", "en": "pp"}        # procentenheter / percentage points


def change(d, kind: str, lang: str = "sv") -> str:
    """A signed difference of two values of ``kind``: between shares in percentage points
    (+0,7 p.e.), otherwise as the kind shows a value (−15); empty as "–"."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return "–"
    sign = "+" if d > 0 else "−" if d < 0 else "±"
    if kind == "share":
        return f"{sign}{number(abs(float(d)) * 100, lang, 1)} {POINTS.get(lang, POINTS['sv'])}"
    return sign + value(abs(float(d)), kind, lang)
