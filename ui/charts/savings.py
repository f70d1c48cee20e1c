"""Charts of the savings tracker (pure: DataFrames from analytics.savings -> plotly Figure)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

COLOURS = {"planned": "#9e9e9e", "reported": "#3b7dd8", "measured": "#1a9850"}
DASH = {"cost_reduction": "solid", "cost_avoidance": "dot"}


def cumulative(df: pd.DataFrame, *, labels: dict, type_labels: dict, title: str = "",
               y_title: str = "kr", separators: str = ", ") -> go.Figure:
    """Running totals per quarter of planned, reported and measured savings (SEK); one line per
    measure and saving type (solid: cost reduction, dotted: cost avoidance), never summed
    together. ``df`` has quarter, type and cum_planned/cum_reported/cum_measured."""
    traces = []
    for t in df.type.drop_duplicates().tolist():
        part = df[df.type == t].sort_values("quarter")
        for m in ("planned", "reported", "measured"):
            traces.append(go.Scatter(x=part.quarter.tolist(), y=part[f"cum_{m}"].tolist(), mode="lines+markers",
                                     name=f"{labels[m]} · {type_labels.get(t, t)}",
                                     line=dict(color=COLOURS[m], dash=DASH.get(t, "solid"), width=3)))
    return go.Figure(traces, layout=dict(title=title, yaxis_title=y_title, xaxis_type="category", height=380,
                                         margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                                         legend=dict(orientation="h", y=-0.2), separators=separators))


def waterfall(run_rate: float, adjustment: float | None, actual: float, *, labels: dict, title: str = "",
              separators: str = ", ") -> go.Figure:
    """From the baseline's quarterly run-rate, through the index adjustment (when used) and the
    saving, to the current quarter's actual spend (SEK)."""
    expected = run_rate * (adjustment or 1.0)
    x = [labels["baseline"]]
    y = [run_rate]
    measure = ["absolute"]
    if adjustment not in (None, 1.0):
        x.append(labels["adjustment"])
        y.append(expected - run_rate)
        measure.append("relative")
    x += [labels["saving"], labels["current"]]
    y += [actual - expected, actual]
    measure += ["relative", "total"]
    return go.Figure([go.Waterfall(x=x, y=y, measure=measure, textposition="outside",
                                   text=[f"{v:,.0f}".replace(",", " ") for v in y],
                                   decreasing=dict(marker_color="#1a9850"), increasing=dict(marker_color="#d73027"),
                                   totals=dict(marker_color="#3b7dd8"))],
                     layout=dict(title=title, height=360, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                                 showlegend=False, separators=separators))
