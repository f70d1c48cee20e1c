"""Charts of the category tree: a treemap or sunburst of spend from analytics.tree.spend_tree
(pure: no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# colour scales: change against the previous year (red = up, blue = down) and classified share
CHANGE_SCALE = [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]]
CLASSIFIED_SCALE = [[0.0, "#d73027"], [0.5, "#fee08b"], [1.0, "#1a9850"]]
NO_DATA = "#c8c8c8"


def spend_treemap(df: pd.DataFrame, *, color_by: str = "change", chart: str = "treemap",
                  labels: dict[str, str], texts: dict[str, str], title: str = "",
                  separators: str = ", ") -> go.Figure:
    """Treemap (or sunburst with chart='sunburst') of the nodes of spend_tree: area = spend
    (MSEK), each parent exactly the sum of its children (branchvalues 'total'); colour by
    'change' (against the same months a year earlier, -50 %..+50 %) or 'classified' (share 0-1 of
    the node classified down to the tree's deepest level); grey where there is no figure.
    ``labels`` names the pseudo nodes: unclassified, excluded, others, rest ('{name}' is the
    parent's name); ``texts`` holds hover words: msek, share, suppliers, change, classified;
    ``separators`` the decimal and thousands characters (', ' Swedish, '.,' English)."""
    names = []
    for kind, name in zip(df.kind, df.name):
        if kind in ("unclassified", "excluded", "others"):
            names.append(labels[kind])
        elif kind == "rest":
            names.append(labels["rest"].format(name=name))
        else:
            names.append(name)
    if color_by == "classified":
        raw = df.classified_share.tolist()
        scale, lo, hi = CLASSIFIED_SCALE, 0.0, 1.0
    else:
        raw = [None if v is None or v != v else max(-0.5, min(0.5, v)) for v in df.change.tolist()]
        scale, lo, hi = CHANGE_SCALE, -0.5, 0.5
    colours = [_colour(v, scale, lo, hi) for v in raw]

    def pct(v):
        return "–" if v is None or v != v else f"{v:+.1%}" if color_by == "change" else f"{v:.0%}"
    shown = df.change.tolist() if color_by == "change" else df.classified_share.tolist()
    custom = [[s / 1e6, sh if sh == sh else 0.0, int(n), pct(v)]
              for s, sh, n, v in zip(df.spend.tolist(), df.share.fillna(0).tolist(), df.suppliers.tolist(), shown)]
    word = texts["change"] if color_by == "change" else texts["classified"]
    hover = ("<b>%{label}</b><br>%{customdata[0]:,.1f} " + texts["msek"] + " · %{customdata[1]:.1%} "
             + texts["share"] + "<br>%{customdata[2]} " + texts["suppliers"] + "<br>" + word
             + ": %{customdata[3]}<extra></extra>")
    common = dict(ids=df.id.tolist(), parents=df.parent.tolist(), labels=names,
                  values=[v / 1e6 for v in df.spend.tolist()], branchvalues="total",
                  marker=dict(colors=colours), customdata=custom, hovertemplate=hover)
    trace = (go.Sunburst(**common, maxdepth=3, insidetextorientation="radial") if chart == "sunburst"
             else go.Treemap(**common, maxdepth=3, textinfo="label+value", texttemplate="%{label}<br>%{value:,.1f}",
                             pathbar=dict(visible=True)))
    return go.Figure([trace], layout=dict(title=title, margin=dict(l=5, r=5, t=40 if title else 10, b=5), height=620,
                                          separators=separators))


def _colour(v, scale, lo: float, hi: float) -> str:
    if v is None or v != v:
        return NO_DATA
    x = (v - lo) / (hi - lo) if hi > lo else 0.5
    x = max(0.0, min(1.0, x))
    for (x0, c0), (x1, c1) in zip(scale, scale[1:]):
        if x <= x1:
            t = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            a, b = _rgb(c0), _rgb(c1)
            return "#%02x%02x%02x" % tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))
    return scale[-1][1]


def _rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def coverage_bars(by_unit: pd.DataFrame, target: tuple[float, float], *, title: str = "",
                  x_title: str, band: str) -> go.Figure:
    """Horizontal bars: classified share (0-1) of influenceable spend per organisation unit (from
    review.coverage()['by_unit']), lowest first, with the target band shaded."""
    d = by_unit.sort_values("share", na_position="first")
    lo, hi = target
    colours = ["#1a9850" if (v or 0) >= lo else "#d73027" for v in d.share.fillna(0).tolist()]
    return go.Figure(
        [go.Bar(y=d.org_unit.tolist(), x=d.share.fillna(0).tolist(), orientation="h", marker_color=colours,
                customdata=[v / 1e6 for v in d.spend.tolist()],
                hovertemplate="%{y}: %{x:.1%} (%{customdata:,.1f} MSEK)<extra></extra>")],
        layout=dict(title=title, xaxis=dict(title=x_title, tickformat=".0%", range=[0, 1], autorangeoptions=dict(include=[0, 1])),
                    yaxis=dict(type="category"), height=max(300, 24 * len(d) + 100), margin=dict(l=10, r=10, t=40, b=10),
                    shapes=[dict(type="rect", xref="x", x0=lo, x1=hi, yref="paper", y0=0, y1=1,
                                 fillcolor="#1a9850", opacity=0.12, line=dict(width=0), layer="below")],
                    annotations=[dict(xref="x", x=(lo + hi) / 2, yref="paper", y=1.0, text=band, showarrow=False,
                                      yanchor="bottom")]))
