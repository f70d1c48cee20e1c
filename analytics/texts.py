"""The text catalogs (analytics/locales/<lang>.json, data files) and ``translate`` with plural forms:
pure, shared by the pages (ui.i18n), the steering pack and the command line."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
_DIR = Path(__file__).resolve().parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    with open(_DIR / f"{lang}.json", encoding="utf-8") as fh:
        return json.load(fh)


_PLURAL = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def _plural_forms(text: str, lang: str, params: dict) -> str:
    """``{n|rad|rader}`` -> the form babel's plural rule for ``lang`` gives the number in param n
    (which may already be formatted, such as '1 234')."""
    from babel import Locale

    def pick(m):
        raw = params.get(m.group(1))
        digits = re.sub(r"[^\d]", "", str(raw)) if raw is not None else ""
        n = int(digits) if digits else 0
        form = Locale.parse("sv_SE" if lang == "sv" else "en_GB").plural_form(n)
        return m.group(2) if form == "one" else m.group(3)
    return _PLURAL.sub(pick, text)


def translate(lang: str, key: str, **params) -> str:
    """The text for ``key`` in ``lang`` with ``params`` filled in; the key itself when missing
    (a test keeps the catalogs complete). ``{n|one|other}`` chooses the plural form."""
    text = catalog(lang if lang in LANGS else DEFAULT_LANG).get(key)
    if text is None:
        return key
    if "|" in text:
        text = _plural_forms(text, lang, params)
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def warning_text(w: dict, lang: str, *, escape=None, how: str = "warn") -> str:
    """A validation-report warning (a dict with its ``code``) as a sentence in ``lang``: amounts
    formatted in the language, lists joined, user text passed through ``escape`` (the pages make
    it inert for Markdown; the command line prints it as it is). Where the reader can act, the
    sentence says how: the pages' way (``how='warn'``) or the command line's (``how='cli'``)."""
    from . import format as fmt
    params = dict(w)
    for k in ("file_total", "line_sum", "difference", "amount", "converted"):
        if k in params:
            params[k] = fmt.number(params[k], lang, 2)
    if "rows" in params:
        params["rows"] = ", ".join(str(r) for r in params["rows"])
    if "ranges" in params:
        params["ranges"] = ", ".join(params["ranges"])
    if escape is not None:
        params = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}
    text = translate(lang, f"warn.{w['code']}", **params)
    hint = f"{how}.{w['code']}.how"
    return f"{text} {translate(lang, hint)}" if hint in catalog(lang if lang in LANGS else DEFAULT_LANG) else text
