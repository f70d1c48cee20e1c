"""Text catalogs: every user-visible string comes from analytics/locales/<lang>.json (read by analytics.texts).

``translate`` is pure; ``t`` reads the language from the session."""

from __future__ import annotations

from analytics import texts
from analytics.texts import DEFAULT_LANG, LANGS, catalog, translate  # noqa: F401  (one catalog reader)

from . import state


def current_lang() -> str:
    import streamlit as st
    return st.session_state.get(state.LANG, DEFAULT_LANG)


def t(key: str, **params) -> str:
    """Translate in the session's language."""
    return translate(current_lang(), key, **params)


def _inert(params: dict, safe: tuple = ()) -> dict:
    """Message parameters with the user's text escaped for Markdown (numbers, and the ``safe``
    keys built here from escaped parts, stay as they are)."""
    from .format import md_escape
    return {k: (md_escape(v) if isinstance(v, str) and k not in safe else v) for k, v in params.items()}


def sample_line(s: dict, lang: str) -> str:
    """One refused row of a validation report: its number, the problem and the value."""
    value = s.get("amount") if s["kind"].startswith("junk_amount") else \
        s.get("date") if s["kind"].startswith("junk_date") else \
        s.get("currency") if s["kind"] == "junk_currency" else s.get("text", s.get("supplier", ""))
    from .format import md_escape
    return translate(lang, "sample.row", row=s.get("row"), problem=translate(lang, f"kind.{s['kind']}").lower(),
                     value=md_escape((value or "")[:60]))


def error_text(exc, lang: str | None = None) -> str:
    """A refusal (any SpendkollenError) as a sentence in the user's language, naming file, row and column. User
    text in it (file names, cells) is escaped, so the sentence is safe to show as Markdown."""
    from .format import md_escape
    lang = lang or current_lang()
    where = []
    if exc.file:
        where.append(translate(lang, "where.file", file=md_escape(exc.file)))
    if exc.row is not None:
        where.append(translate(lang, "where.row", row=exc.row))
    if exc.column:
        where.append(translate(lang, "where.column", column=md_escape(exc.column)))
    params = dict(exc.params)
    if params.get("role") in ("admin", "buyer", "finance", "reader"):
        params["role"] = translate(lang, f"role.{params['role']}")
    if "permission" in params:
        params["permission"] = translate(lang, f"perm.{params['permission']}")
    for k in ("gate", "after"):                 # a plan's gates by their names in the language
        if exc.code.startswith("plan_") and isinstance(params.get(k), str):
            params[k] = translate(lang, f"plan.gate_{params[k]}")
    safe = ()
    if params.get("samples") or params.get("missing"):
        safe = ("detail",)
    if params.get("samples"):
        params["detail"] = "; ".join(sample_line(s, lang) for s in params["samples"])
    if params.get("missing"):
        params["detail"] = "; ".join(translate(lang, "err.currency_detail", currency=md_escape(m["currency"]), count=m["count"],
                                               rows=", ".join(map(str, m["rows"]))) for m in params["missing"])
    key = f"err.{exc.code}"
    body = translate(lang, key, **_inert({k: v for k, v in params.items() if k not in ("samples", "missing")}, safe))
    if body == key:
        body = md_escape(str(exc))
        where = []
    return (", ".join(where) + ": " if where else "") + body


def warning_text(w: dict, lang: str | None = None) -> str:
    """A validation-report warning as a sentence in the user's language (user text made inert)."""
    from .format import md_escape
    return texts.warning_text(w, lang or current_lang(), escape=md_escape)


def describe(detail, lang: str, limit: int = 400) -> str:
    """An audit entry's detail in words: 'filer: a.csv · rader: 2 · summa: 12 000', the keys in the
    user's language, lists joined, changes as before → after."""
    from . import format as fmt

    def value(v) -> str:
        if isinstance(v, bool):
            return translate(lang, "logkey.yes" if v else "logkey.no")
        if isinstance(v, (int, float)):
            return fmt.number(v, lang, 0 if float(v).is_integer() else 2)
        if v is None:
            return "–"
        if isinstance(v, list):
            return ", ".join(value(x) for x in v[:12]) + (" …" if len(v) > 12 else "")
        if isinstance(v, dict):
            if set(v) == {"before", "after"} or set(v) == {"old", "new"}:
                a, b = (v.get("before"), v.get("after")) if "before" in v else (v.get("old"), v.get("new"))
                return f"{value(a)} → {value(b)}"
            return "; ".join(f"{key(k)}: {value(x)}" for k, x in v.items() if x not in (None, "", [], {}))
        return str(v)

    def key(k: str) -> str:
        text = translate(lang, f"logkey.{k}")
        return k.replace("_", " ") if text == f"logkey.{k}" else text

    if not isinstance(detail, dict):
        return value(detail)[:limit]
    text = " · ".join(f"{key(k)}: {value(v)}" for k, v in detail.items() if v not in (None, "", [], {}))
    return text if len(text) <= limit else text[:limit - 1] + "…"
