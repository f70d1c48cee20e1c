"""The text catalogs (ui/locales/<lang>.json, data files) and ``translate`` with plural forms:
pure, shared by the pages (ui.i18n), the steering pack and the command line."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
_DIR = Path(__file__).resolve().parent.parent / "ui" / "locales"


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
