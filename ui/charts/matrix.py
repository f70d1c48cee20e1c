"""Charts of the prioritisation: the potential/feasibility bubble matrix and the roadmap
(pure: DataFrame from analytics.prioritise.table -> plotly Figure, no streamlit)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from analytics.periods import q_index, q_label

from .trend import PALETTE

# label positions tried in turn for bubbles that share (or nearly share) a place
_POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right", "bottom left",
              "top left", "bottom right")


def label_positions(x: list[float], y: list[float], near: float = 0.6) -> list[str]:
    """A text position per bubble so labels of bubbles closer than ``near`` (in score units) do
    not sit on top of each other: the first of a group gets the first free position of a list
    that starts 'top center', 'bottom center' (towards the middle near the left and right
    edges, so long names stay inside the chart)."""
    out: list[str] = []
    for i in range(len(x)):
        if x[i] >= 4.5:
            order = ("top left", "bottom left", "middle left") + _POSITIONS
        elif x[i] <= 1.5:
            order = ("top right", "bottom right", "middle right") + _POSITIONS
        else:
            order = _POSITIONS
        taken = {out[j] for j in range(i) if math.hypot(x[i] - x[j], y[i] - y[j]) < near}
        out.append(next((p for p in order if p not in taken), order[i % len(order)]))
    return out


def bubble_matrix(df: pd.DataFrame, *, color_by: str = "status", status_labels: dict | None = None,
                  quadrants: dict[str, str], x_title: str, y_title: str,
                  money: str = "MSEK", title: str = "", separators: str = ", ") -> go.Figure:
    """Feasibility (x, 1-5; a range drawn as a horizontal bar through the bubble) against
    potential (y, 1-5); bubble area proportional to spend (MSEK); colour by 'status' or
    'start_year'; the four quadrants labelled (``quadrants``: keys hh, hl, lh, ll = feasibility
    high/low, potential high/low)."""
    status_labels = status_labels or {}
    x = df.feasibility_mid.astype(float).tolist()
    y = df.potential.astype(float).tolist()
    spend = [max(0.0, float(s or 0)) / 1e6 for s in df.spend.tolist()]
    biggest = max(spend) if spend and max(spend) > 0 else 1.0
    positions = label_positions(x, y)
    traces = []
    # ranges: a bar from low to high through the bubble
    for lo, hi, yy in zip(df.feasibility_low.tolist(), df.feasibility_high.tolist(), y):
        if hi > lo:
            traces.append(go.Scatter(x=[lo, hi], y=[yy, yy], mode="lines", line=dict(color="#888888", width=6),
                                     opacity=0.5, hoverinfo="skip", showlegend=False))
    key = "status" if color_by == "status" else "start_year"
    groups = [g for g in dict.fromkeys(df[key].tolist())]
    for gi, g in enumerate(groups):
        idx = [i for i, v in enumerate(df[key].tolist()) if v == g]
        name = status_labels.get(g, g) if key == "status" else ("–" if g is None or g != g else str(int(g)))
        traces.append(go.Scatter(
            x=[x[i] for i in idx], y=[y[i] for i in idx], mode="markers+text", name=str(name),
            text=[df.name.iloc[i] for i in idx], textposition=[positions[i] for i in idx],
            textfont=dict(size=11),
            marker=dict(size=[spend[i] for i in idx], sizemode="area", sizeref=2.0 * biggest / (60 ** 2), sizemin=6,
                        color=PALETTE[gi % len(PALETTE)], line=dict(color="white", width=1), opacity=0.85),
            customdata=[[spend[i], df.feasibility_low.iloc[i], df.feasibility_high.iloc[i]] for i in idx],
            hovertemplate="<b>%{text}</b><br>" + x_title + ": %{customdata[1]}–%{customdata[2]}<br>" + y_title
                          + ": %{y}<br>%{customdata[0]:,.1f} " + money + "<extra></extra>"))
    annotations = [dict(x=x0, y=y0, xref="x", yref="y", text=quadrants[k], showarrow=False,
                        font=dict(size=13, color="#999999"), xanchor=xa, yanchor=ya)
                   for k, x0, y0, xa, ya in (("hh", 5.7, 5.9, "right", "top"), ("lh", 0.3, 5.9, "left", "top"),
                                             ("hl", 5.7, 0.1, "right", "bottom"), ("ll", 0.3, 0.1, "left", "bottom"))]
    shapes = [dict(type="line", x0=3, x1=3, y0=0.1, y1=5.9, line=dict(color="#cccccc", dash="dot")),
              dict(type="line", x0=0.3, x1=5.7, y0=3, y1=3, line=dict(color="#cccccc", dash="dot"))]
    return go.Figure(traces, layout=dict(
        title=title, xaxis=dict(title=x_title, range=[0.3, 5.7], dtick=1),
        yaxis=dict(title=y_title, range=[0.1, 5.9], dtick=1),
        height=560, margin=dict(l=10, r=10, t=40 if title else 10, b=10), annotations=annotations, shapes=shapes,
        legend=dict(orientation="h", y=-0.15), separators=separators))


def roadmap(df: pd.DataFrame, *, status_labels: dict | None = None, title: str = "") -> go.Figure:
    """Initiatives on a quarter timeline: a bar from the start quarter over the planned number
    of quarters, coloured by status; initiatives without a start quarter are left out."""
    status_labels = status_labels or {}
    d = df[df.start.notna()].copy()
    if d.empty:
        return go.Figure(layout=dict(title=title, height=200))

    first = min(q_index(s) for s in d.start)
    last = max(q_index(s) + int(n) for s, n in zip(d.start, d.duration))
    ticks = [q_label(k) for k in range(first, last + 1)]
    traces = []
    statuses = list(dict.fromkeys(d.status))
    for si, st in enumerate(statuses):
        part = d[d.status == st]
        traces.append(go.Bar(
            # quarter k spans k - 0.5 .. k + 0.5 around its tick
            y=part.name.tolist(), x=[int(n) for n in part.duration], base=[q_index(s) - first - 0.5 for s in part.start],
            orientation="h", name=status_labels.get(st, st), marker_color=PALETTE[si % len(PALETTE)],
            customdata=[[s, e] for s, e in zip(part.start, part.end)],
            hovertemplate="<b>%{y}</b><br>%{customdata[0]} – %{customdata[1]}<extra></extra>"))
    return go.Figure(traces, layout=dict(
        title=title, barmode="overlay", height=max(260, 40 * len(d) + 120), margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        xaxis=dict(tickvals=list(range(len(ticks))), ticktext=ticks, range=[-0.5, len(ticks) - 0.5]),
        yaxis=dict(autorange="reversed", type="category"), legend=dict(orientation="h", y=-0.2)))
