"""The spend cube's view in a link: a typed state and its codec to and from URL parameters.

Pure (no streamlit), so the codec has its own tests; pages/cube.py keeps the state in
st.session_state and ui.urlstate writes what ``encode`` gives into st.query_params.

A link is something anyone can craft. ``decode`` takes only values of the right kind and range
(dimensions and measures from their lists, numbers finite and bounded, categories, suppliers and
accounts that exist, drill steps checked per dimension by ``analytics.cube.drill_key``) and
returns what it could not use, so the page can say so; nothing unchecked reaches a query.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from analytics import cube


@dataclass(frozen=True)
class CubeState:
    rows: str = "category_l1"                       # dimensions of the pivot
    cols: str = ""
    measure: str = "spend"                          # shown in the cells when there are columns
    top: int = 25                                   # rows before "others"
    sort: str = "spend"                             # a measure or "label"
    asc: bool = False
    sup_count: bool = True                          # distinct suppliers per row
    exact: bool = False                             # exact supplier counts where a large store sketches them
    cat: tuple[int, ...] = ()                       # page filters
    sup: tuple[str, ...] = ()
    acct: tuple[str, ...] = ()
    amin: float | None = None                       # single-line amount range
    amax: float | None = None
    credit: str = "all"
    by: str = "category_l1"                         # the tail and fragmentation tabs
    tail: float = 100_000.0
    frag: int = 2
    drill: tuple[tuple[str, Any], ...] = ()         # (dimension, key) steps

    def replace(self, **changes) -> CubeState:
        return dataclasses.replace(self, **changes)


FIELDS = tuple(f.name for f in dataclasses.fields(CubeState))
_LISTS = ("cat", "sup", "acct")
_BOUNDS = {"top": (1, 500), "frag": (1, 3)}


def _one_of(value: str, options) -> str:
    if value not in options:
        raise ValueError(value)
    return value


def _whole(value: str, name: str) -> int:
    number = int(value)
    lo, hi = _BOUNDS[name]
    if not lo <= number <= hi:
        raise ValueError(value)
    return number


def _amount(value: str, name: str) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > 1e15 or (name == "tail" and number < 0):
        raise ValueError(value)
    return number


def _decode_one(name: str, raw: list[str], categories: Collection[int], suppliers: Collection[str],
                accounts: Collection[str], ignored: list[str]):
    if name == "cat":
        return tuple(int(x) for x in raw if int(x) in categories)
    if name == "sup":
        return tuple(x for x in raw if x in suppliers)
    if name == "acct":
        return tuple(x for x in raw if x in accounts)
    if name == "drill":
        steps = []
        for item in raw:
            dim, _, key = item.partition("=")
            try:
                steps.append((dim, cube.drill_key(dim, key)))
            except ValueError:
                ignored.append(item)
        return tuple(steps)
    value = raw[-1]
    if name in ("rows", "by"):
        return _one_of(value, cube.DIMENSIONS)
    if name == "cols":
        return _one_of(value, (*cube.DIMENSIONS, ""))
    if name == "measure":
        return _one_of(value, cube.MEASURES)
    if name == "sort":
        return _one_of(value, (*cube.MEASURES, "label"))
    if name == "credit":
        return _one_of(value, cube.CREDIT_CHOICES)
    if name in ("asc", "sup_count", "exact"):
        return _one_of(value, ("0", "1")) == "1"
    if name in _BOUNDS:
        return _whole(value, name)
    return _amount(value, name)              # amin, amax, tail


def decode(params: dict[str, list[str]], *, categories: Collection[int] = (), suppliers: Collection[str] = (),
           accounts: Collection[str] = ()) -> tuple[dict[str, Any], list[str]]:
    """The fields a link sets, {name: value}, and the values that could not be used ('top=9999',
    a drill step's 'dim=key'). Unknown parameters are not the cube's and are left alone."""
    out: dict[str, Any] = {}
    ignored: list[str] = []
    for name in FIELDS:
        raw = params.get(name)
        if not raw:
            continue
        try:
            out[name] = _decode_one(name, list(raw), categories, suppliers, accounts, ignored)
        except (ValueError, OverflowError):
            ignored.append(f"{name}={raw[-1]}")
    return out, ignored


def from_values(values: dict[str, Any]) -> CubeState:
    """A state from the page's widget values (lists where the state keeps tuples)."""
    def typed(name: str, value):
        if name == "drill":
            return tuple(tuple(step) for step in value)
        return tuple(value) if name in _LISTS else value
    return CubeState(**{name: typed(name, value) for name, value in values.items()})


def encode(state: CubeState, defaults: CubeState) -> dict[str, str | list[str] | None]:
    """URL parameters for ``state``: the pivot's dimensions always, everything else only when it
    differs from ``defaults`` (None leaves a parameter out), lists repeated, drill steps as 'dim=key'."""
    def differs(name: str):
        value = getattr(state, name)
        return None if value == getattr(defaults, name) else value

    def flag(value: bool | None) -> str | None:
        return None if value is None else ("1" if value else "0")
    return {
        "rows": state.rows,
        "cols": state.cols or None,
        "measure": state.measure if state.cols else None,
        "top": None if differs("top") is None else str(state.top),
        "sort": differs("sort"),
        "asc": flag(differs("asc")),
        "sup_count": flag(differs("sup_count")),
        "exact": flag(differs("exact")),
        "cat": [str(c) for c in state.cat], "sup": list(state.sup), "acct": list(state.acct),
        "amin": None if state.amin is None else repr(float(state.amin)),
        "amax": None if state.amax is None else repr(float(state.amax)),
        "credit": differs("credit"),
        "by": differs("by"),
        "tail": None if differs("tail") is None else repr(float(state.tail)),
        "frag": None if differs("frag") is None else str(state.frag),
        "drill": [f"{d}={'' if key is None else key}" for d, key in state.drill],
    }
