"""Avtalstrohet as bars: spend under a contract and outside one, per category, unit, supplier or quarter."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .trend import PALETTE


def compliance_bars(df: pd.DataFrame, *, on: str, off: str, horizontal: bool = True, title: str = "",
                    unit: str = "MSEK") -> go.Figure:
    """Stacked bars (MSEK) from a frame with key, spend and on_contract (SEK): the part bought
    under a contract and the part outside, with the share under contract in the hover."""
    keys = [str(k) for k in df["key"]]
    on_v = (df["on_contract"] / 1e6).tolist()
    off_v = ((df["spend"] - df["on_contract"]) / 1e6).tolist()
    share = [(o / s if s else 0.0) for o, s in zip(df["on_contract"], df["spend"])]
    fig = go.Figure()
    for name, values, colour in ((on, on_v, PALETTE[0]), (off, off_v, "#c8ccd2")):
        xy = dict(y=keys, x=values, orientation="h") if horizontal else dict(x=keys, y=values)
        fig.add_trace(go.Bar(name=name, marker_color=colour, customdata=share,
                             hovertemplate="%{" + ("y" if horizontal else "x") + "}: %{"
                             + ("x" if horizontal else "y") + ":,.1f} " + unit + " (%{customdata:.0%})<extra>"
                             + name + "</extra>", **xy))
    fig.update_layout(barmode="stack", title=title, margin=dict(l=10, r=10, t=40, b=10),
                      height=max(300, 28 * len(keys) + 120) if horizontal else 340,
                      legend=dict(orientation="h", y=-0.15))
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_xaxes(title=unit)
    else:
        fig.update_xaxes(type="category")
        fig.update_yaxes(title=unit)
    return fig
