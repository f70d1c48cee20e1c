"""Formatting for the pages: the numbers come from analytics.format (the one formatter, shared
with the pack and the exports); ``md_escape`` makes user text inert for Streamlit's Markdown.
"""

from __future__ import annotations

from analytics.format import (  # noqa: F401  (the pages' formatter is the core's)
    KINDS,
    LOCALES,
    change,
    date,
    flexible,
    money,
    msek,
    number,
    parse_number,
    percent,
    period,
    quarter,
    quarter_label,
    separators,
    value,
)

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
