"""The steering pack's slide charts on screen (the report page's preview and presentation mode)."""

from __future__ import annotations

import plotly.graph_objects as go

from .trend import PALETTE


def slide_chart(ch, height: int, lang: str) -> go.Figure:
    """A pack slide's chart (analytics.report's Chart: bubble, bar, stacked or column) on
    screen, numbers in the pack's language ``lang``."""
    sep = ", " if lang == "sv" else ".,"
    if ch.kind == "bubble":
        pts = next(iter(ch.series.values()))
        return go.Figure([go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="markers+text",
                                     text=[n.split(" (")[0] for n in ch.names], textposition="top center",
                                     marker=dict(size=[p[2] for p in pts], sizemode="area",
                                                 sizeref=2.0 * max(p[2] for p in pts) / 60 ** 2, color=PALETTE[0]))],
                         layout=dict(height=height, xaxis=dict(range=[0, 5.6], dtick=1, title=ch.axes[0]),
                                     yaxis=dict(range=[0, 5.6], dtick=1, title=ch.axes[1]), separators=sep,
                                     margin=dict(l=10, r=10, t=10, b=10)))
    horizontal = ch.kind in ("bar", "stacked")
    number = ",.1f" if ch.unit == "msek" else ",.0f"
    traces = []
    for i, (name, values) in enumerate(ch.series.items()):
        kw = dict(y=[str(c) for c in ch.categories], x=values, orientation="h") if horizontal else \
            dict(x=[str(c) for c in ch.categories], y=values)
        traces.append(go.Bar(name=str(name), marker_color=PALETTE[i % len(PALETTE)],
                             texttemplate=None if ch.kind == "stacked" else f"%{{value:{number}}}",
                             textposition="outside", textangle=0, cliponaxis=False, **kw))
    value_axis = dict(rangemode="tozero", tickformat=",.0f")
    return go.Figure(traces, layout=dict(
        height=height, barmode="stack" if ch.kind == "stacked" else "group", margin=dict(l=10, r=10, t=10, b=10),
        yaxis=dict(autorange="reversed", type="category") if horizontal else value_axis,
        xaxis=value_axis if horizontal else dict(type="category"), showlegend=len(ch.series) > 1,
        legend=dict(orientation="h", y=-0.15), separators=sep))
