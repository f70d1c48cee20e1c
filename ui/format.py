"""Locale formatting of numbers, money, shares and periods with babel (pure, no streamlit).

Swedish: 1 234 567 kr, 114,9 MSEK, 6,4 %, 2021 Q2. English: SEK 1,234,567, SEK 114.9m, 6.4%, 2021 Q2.
"""

from __future__ import annotations

import datetime as dt

from babel.numbers import format_decimal, format_percent

LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def _loc(lang: str) -> str:
    return LOCALES.get(lang, "sv_SE")


def number(value: float | None, lang: str = "sv", decimals: int = 0) -> str:
    """A plain number with the locale's grouping: 1 234 567 (sv), 1,234,567 (en)."""
    if value is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=fmt, locale=_loc(lang))


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
    n = format_decimal(value / 1e6, format="#,##0.0", locale=_loc(lang))
    if lang == "sv":
        return f"{n} M{currency}" if currency == "SEK" else f"{n} M {currency}"
    return f"{currency} {n}m"


def percent(share: float | None, lang: str = "sv", decimals: int = 1) -> str:
    """A share 0-1 as a percentage: '6,4 %' (sv), '6.4%' (en)."""
    if share is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    text = format_percent(share, format=fmt, locale=_loc(lang))
    return text.replace("\xa0", " ") if lang == "sv" else text.replace(" ", "").replace("\xa0", "")


def quarter(value: dt.date | str) -> str:
    """'2021 Q2' for a date or an ISO date string (the same in both languages)."""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def date(value: dt.date | dt.datetime | None, lang: str = "sv") -> str:
    """ISO dates in both languages (2021-04-30), the Swedish standard and unambiguous in English."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


# What Markdown, HTML, Streamlit's emoji/icon shortcodes, colour directives and LaTeX act on inside
# a line (line-start syntax such as "# " or "1. " cannot occur: line breaks become spaces).
_MARKDOWN_SPECIAL = set("\\`*_{}[]()!|<>~$:")


def md_escape(text) -> str:
    """User text (file names, cells, headers) made inert for Streamlit's Markdown: every character
    Markdown, HTML, emoji shortcodes, colour directives or LaTeX could act on is backslash-escaped,
    and line breaks become spaces, so a cell can never add a link, an image or formatting."""
    s = str(text if text is not None else "")
    s = s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    # a zero-width space keeps a URL in the text from becoming a link (GFM's autolinks)
    s = s.replace("://", "\u200b://").replace("www.", "www\u200b.").replace("WWW.", "WWW\u200b.")
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in s)
