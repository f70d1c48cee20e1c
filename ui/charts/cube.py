"""Charts of the spend cube: pure functions from cube results to Plotly figures (no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .trend import PALETTE

_MARGIN = dict(l=10, r=10, t=40, b=10)


def _figure(traces: list[dict], layout: dict) -> go.Figure:
    """A figure from traces and layout written in Plotly's full form (title=dict(text=...),
    marker=dict(color=...)), without Plotly's property validation: for the cube's charts, which
    are redrawn on every click, validation took most of their build time. Tested to equal the
    validated figure."""
    return go.Figure(data=traces, layout=layout, _validate=False)


def _title(text: str) -> dict:
    return dict(text=text)


def _label(lab, other: bool, others: str, blank: str) -> str:
    if other:
        return others
    return blank if lab is None else str(lab)


def _stack_order(labels: list, others: list, spend: list) -> list:
    """Series labels by total spend descending, 'others' last."""
    tot: dict = {}
    oth: dict = {}
    for lab, o, v in zip(labels, others, spend):
        tot[lab] = tot.get(lab, 0.0) + v
        oth[lab] = oth.get(lab, False) or o
    return sorted(tot, key=lambda lab: (oth[lab], -tot[lab]))


def pivot_bars(p, y_title: str = "MSEK", *, others: str, blank: str, title: str = "",
               stacked_by_cols: bool = True) -> go.Figure:
    """Horizontal bars of spend (MSEK) per row of a cube.Pivot, largest on top ('others' at the
    bottom); with a column dimension the bars are stacked by it."""
    body = p.body()
    order = [_label(lab, o, others, blank) for lab, o in zip(body.r_label.tolist(), body.r_other.tolist())]
    traces = []
    if p.cols is None or not stacked_by_cols:
        traces.append(dict(type="bar", y=order, x=[v / 1e6 for v in body.spend.tolist()], orientation="h",
                           marker=dict(color=PALETTE[0]), customdata=body.share.tolist(),
                           hovertemplate="%{y}: %{x:,.1f} " + y_title + " (%{customdata:.1%})<extra></extra>"))
    else:
        cells = p.part("cell")
        rl = [_label(lab, o, others, blank) for lab, o in zip(cells.r_label.tolist(), cells.r_other.tolist())]
        cl = [_label(lab, o, others, "–") for lab, o in zip(cells.c_label.tolist(), cells.c_other.tolist())]
        spend = cells.spend.tolist()
        grid: dict = {}
        for r, c, v in zip(rl, cl, spend):
            grid[(r, c)] = grid.get((r, c), 0.0) + v
        for i, c in enumerate(_stack_order(cl, cells.c_other.tolist(), spend)):
            traces.append(dict(type="bar", y=order, x=[grid[(r, c)] / 1e6 if (r, c) in grid else None for r in order],
                               name=c, orientation="h", marker=dict(color=PALETTE[i % len(PALETTE)]),
                               hovertemplate=c + " · %{y}: %{x:,.1f} " + y_title + "<extra></extra>"))
    return _figure(traces, dict(
        title=_title(title), xaxis=dict(title=_title(y_title)), yaxis=dict(autorange="reversed", type="category"),
        barmode="stack", margin=_MARGIN, height=max(300, 26 * len(order) + 80), legend=dict(orientation="h", y=-0.15)))


def trend_stacked(p, y_title: str = "MSEK", *, others: str, blank: str, title: str = "") -> go.Figure:
    """Stacked bars of spend (MSEK) per quarter from cube.trend (rows quarter, columns the
    chosen dimension); a single series when no dimension was chosen."""
    traces = []
    if p.cols is None:
        body = sorted(zip(p.body().r_key.tolist(), p.body().r_label.tolist(), p.body().spend.tolist()))
        traces.append(dict(type="bar", x=[b[1] for b in body], y=[b[2] / 1e6 for b in body],
                           marker=dict(color=PALETTE[0]), name=y_title,
                           hovertemplate="%{x}: %{y:,.1f} " + y_title + "<extra></extra>"))
    else:
        cells = p.part("cell")
        ql = cells.r_label.tolist()
        cl = [_label(lab, o, others, blank) for lab, o in zip(cells.c_label.tolist(), cells.c_other.tolist())]
        spend = cells.spend.tolist()
        quarters = sorted({q for q in ql if q is not None})
        grid: dict = {}
        for q, c, v in zip(ql, cl, spend):
            grid[(q, c)] = grid.get((q, c), 0.0) + v
        for i, c in enumerate(_stack_order(cl, cells.c_other.tolist(), spend)):
            traces.append(dict(type="bar", x=quarters, y=[grid.get((q, c), 0.0) / 1e6 for q in quarters], name=c,
                               marker=dict(color=PALETTE[i % len(PALETTE)]),
                               hovertemplate=c + " · %{x}: %{y:,.1f} " + y_title + "<extra></extra>"))
    return _figure(traces, dict(
        title=_title(title), yaxis=dict(title=_title(y_title)), xaxis=dict(type="category"), barmode="stack",
        margin=_MARGIN, height=380, legend=dict(orientation="h", y=-0.2)))


def yoy_bars(df: pd.DataFrame, y_title: str = "MSEK", *, title: str = "", quarter_label: str = "Q") -> go.Figure:
    """Grouped bars: spend (MSEK) per quarter number (Q1-Q4), one series per year, from
    cube.year_over_year (columns year, q, spend)."""
    fig = go.Figure()
    for i, (year, part) in enumerate(df.groupby("year")):
        fig.add_bar(x=[f"{quarter_label}{q}" for q in part.q], y=part.spend / 1e6, name=str(year),
                    marker_color=PALETTE[i % len(PALETTE)],
                    hovertemplate=str(year) + " %{x}: %{y:,.1f} " + y_title + "<extra></extra>")
    fig.update_layout(title=title, barmode="group", yaxis_title=y_title, margin=_MARGIN, height=340,
                      legend=dict(orientation="h", y=-0.2))
    return fig


def pareto_curve(curve: pd.DataFrame, *, x_title: str, y_title: str, title: str = "") -> go.Figure:
    """The cumulative share of spend (y, 0-1) against the share of suppliers ranked by spend
    (x, 0-1), with the 80 % and 95 % lines."""
    levels = ((0.8, PALETTE[2]), (0.95, PALETTE[3]))
    return go.Figure(
        [go.Scatter(x=[0.0] + curve.rank_share.tolist(), y=[0.0] + curve.cum_share.tolist(), mode="lines",
                    line=dict(color=PALETTE[0], width=3), name=y_title,
                    hovertemplate="%{x:.1%} → %{y:.1%}<extra></extra>")],
        layout=dict(
            title=title, xaxis=dict(title=x_title, tickformat=".0%", range=[0, 1]),
            yaxis=dict(title=y_title, tickformat=".0%", range=[0, 1.02]), margin=_MARGIN, height=340,
            showlegend=False,
            # the 80 % and 95 % lines across the whole width, labelled at the right
            shapes=[dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=lv, y1=lv,
                         line=dict(color=color, dash="dash")) for lv, color in levels],
            annotations=[dict(xref="paper", x=1, yref="y", y=lv, text=f"{lv:.0%}", showarrow=False,
                              xanchor="right", yanchor="top") for lv, _ in levels]))
