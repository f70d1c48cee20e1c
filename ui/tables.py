"""Tables in the UI language, whatever the browser's locale.

st.dataframe formats numbers in the browser (a Swedish user with an English browser saw
"260,618,432" and "57.89%"). ``table`` shows the same frame with every number formatted by
ui/format (babel) in the user's language, as the display text of a pandas Styler, so sorting
still works on the numbers; empty cells show "–", never "None". Column configs keep their
label, width and help; a number format in them says which formatter a column gets:

    "localized" (and unconfigured)   -> 1 234 567       (decimals from ``decimals``, else 0)
    NumberColumn without a format    -> 1234            (ids, ranks, steps)
    "percent" / ProgressColumn       -> 43,4 %          (shares 0-1)
    printf "%.2f"                    -> 1,23            (its decimals)

Date-time columns show as dates when every value is a midnight (a DATE read through DuckDB),
else to the minute.
"""

from __future__ import annotations

import re

import pandas as pd
from pandas.io.formats.style import Styler

from . import format as fmt

_KEEP = ("label", "width", "help", "pinned", "alignment", "disabled")


def _formatter(kind: str, decimals: int, lang: str):
    if kind == "plain":
        return lambda v: str(int(v)) if _present(v) and float(v).is_integer() else ("–" if not _present(v) else str(v))
    if kind == "percent":
        return lambda v: fmt.percent(float(v), lang, decimals) if _present(v) else "–"
    return lambda v: fmt.number(float(v), lang, decimals) if _present(v) else "–"


def _moment_formatter(col: pd.Series):
    """Date-times as ui/format writes them: a column of midnights (DuckDB's DATE values arrive as
    timestamps) as dates, 2024-03-01, never 2024-03-01 00:00:00; else to the minute."""
    values = col.dropna()
    whole_days = bool((values == values.dt.normalize()).all()) if len(values) else True
    if whole_days:
        return lambda v: pd.Timestamp(v).date().isoformat() if _present(v) else "–"
    return lambda v: pd.Timestamp(v).strftime("%Y-%m-%d %H:%M") if _present(v) else "–"


def _present(v) -> bool:
    try:
        return v is not None and not pd.isna(v)
    except (TypeError, ValueError):
        return True


def _kind(config) -> tuple[str, int | None] | None:
    """(formatter kind, decimals) a column config asks for, None for a non-number column."""
    if not isinstance(config, dict):
        return None
    type_config = config.get("type_config") or {}
    kind = type_config.get("type")
    form = type_config.get("format")
    if kind == "progress":
        return "percent", 1
    if kind != "number":
        return None
    if form == "percent":
        return "percent", 1
    if isinstance(form, str) and "%" in form:
        m = re.search(r"\.(\d+)f", form)
        return "number", int(m.group(1)) if m else 0
    if form is None:
        return "plain", 0                  # ids, ranks, steps: as they are, without grouping
    return "number", None


def localize(data, column_config: dict | None, lang: str, decimals: dict | None = None):
    """(Styler, column config) for st.dataframe: numbers as text in ``lang``."""
    styler = data if isinstance(data, Styler) else None
    frame = styler.data if styler is not None else data
    config = dict(column_config or {})
    formats = {}
    for col in frame.columns:
        spec = _kind(config.get(col))
        if spec is None and col not in config and pd.api.types.is_numeric_dtype(frame[col]) \
                and not pd.api.types.is_bool_dtype(frame[col]):
            spec = ("number", None)                       # an unconfigured number column
        if spec is None:
            continue
        kind, places = spec
        places = (decimals or {}).get(col, places)
        if places is None:
            places = 0 if kind == "number" else 1
        formats[col] = _formatter(kind, places, lang)
        if isinstance(config.get(col), dict):
            config[col] = {k: v for k, v in config[col].items() if k in _KEEP and v is not None}
    for col in frame.columns:
        if col not in formats and pd.api.types.is_datetime64_any_dtype(frame[col]):
            formats[col] = _moment_formatter(frame[col])
    styler = styler if styler is not None else frame.style
    styler = styler.format(formats, na_rep="–")
    text_cols = [c for c in frame.columns if c not in formats]
    if text_cols:
        styler = styler.format(lambda v: "–" if not _present(v) else v, subset=text_cols)
    return styler, config


def show_table(data, *, column_config: dict | None = None, decimals: dict | None = None, **kwargs):
    """st.dataframe with the numbers in the UI language (see the module doc); an empty cell
    shows "–" (Streamlit draws the browser's own "None" for a missing value, whatever the
    Styler's text)."""
    import streamlit as st

    from .i18n import current_lang
    styler, config = localize(data, column_config, current_lang(), decimals)
    kwargs.setdefault("placeholder", "–")
    return st.dataframe(styler, column_config=config, **kwargs)


def texts(values, kind: str, lang: str, decimals: int | None = None) -> list[str]:
    """Numbers as display texts in ``lang`` for the read-only columns of a data editor (which
    formats in the browser's locale): kind 'number' or 'percent'."""
    places = decimals if decimals is not None else (0 if kind == "number" else 1)
    f = _formatter(kind, places, lang)
    return [f(v) for v in values]


def edit_texts(values, lang: str, max_decimals: int = 2) -> list[str]:
    """Numbers a person edits in a data editor, as texts in ``lang`` (1 234 567,5; empty cells
    empty), so the editor never shows the browser's locale; read them back with
    ui.format.parse_number (or the field's own parser)."""
    return [fmt.flexible(None if not _present(v) else float(v), lang, max_decimals) for v in values]


def dates(col) -> list:
    """A date column as dates: DuckDB's frames hold DATE values as timestamps, which a table
    would show with a time of day."""
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in col]
