"""Charts of the spend cube: pure functions from cube results to Plotly figures (no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .trend import PALETTE

_MARGIN = dict(l=10, r=10, t=40, b=10)


def _label(lab, other: bool, others: str, blank: str) -> str:
    if other:
        return others
    return blank if lab is None else str(lab)


def pivot_bars(p, y_title: str = "MSEK", *, title: str = "", others: str = "Övriga",
               blank: str = "Ej klassificerat", stacked_by_cols: bool = True) -> go.Figure:
    """Horizontal bars of spend (MSEK) per row of a cube.Pivot, largest on top ('others' at the
    bottom); with a column dimension the bars are stacked by it."""
    fig = go.Figure()
    body = p.body()
    order = [_label(lab, o, others, blank) for lab, o in zip(body.r_label, body.r_other)]
    if p.cols is None or not stacked_by_cols:
        fig.add_bar(y=order, x=body.spend / 1e6, orientation="h", marker_color=PALETTE[0],
                    customdata=body.share, hovertemplate="%{y}: %{x:,.1f} " + y_title + " (%{customdata:.1%})<extra></extra>")
    else:
        cells = p.data[p.data.kind == "cell"].copy()
        cells["rl"] = [_label(lab, o, others, blank) for lab, o in zip(cells.r_label, cells.r_other)]
        cells["cl"] = [_label(lab, o, others, "–") for lab, o in zip(cells.c_label, cells.c_other)]
        col_order = (cells.groupby(["cl", "c_other"]).spend.sum().reset_index()
                     .sort_values(["c_other", "spend"], ascending=[True, False]).cl.tolist())
        for i, cl in enumerate(col_order):
            part = cells[cells.cl == cl].set_index("rl").reindex(order)
            fig.add_bar(y=order, x=part.spend / 1e6, name=cl, orientation="h",
                        marker_color=PALETTE[i % len(PALETTE)],
                        hovertemplate=cl + " · %{y}: %{x:,.1f} " + y_title + "<extra></extra>")
        fig.update_layout(barmode="stack")
    fig.update_layout(title=title, xaxis_title=y_title, yaxis=dict(autorange="reversed", type="category"),
                      margin=_MARGIN, height=max(300, 26 * len(order) + 80), legend=dict(orientation="h", y=-0.15))
    return fig


def trend_stacked(p, y_title: str = "MSEK", *, title: str = "", others: str = "Övriga",
                  blank: str = "Ej klassificerat") -> go.Figure:
    """Stacked bars of spend (MSEK) per quarter from cube.trend (rows quarter, columns the
    chosen dimension); a single series when no dimension was chosen."""
    fig = go.Figure()
    if p.cols is None:
        body = p.data[p.data.kind == "row"].sort_values("r_key")
        fig.add_bar(x=body.r_label, y=body.spend / 1e6, marker_color=PALETTE[0], name=y_title,
                    hovertemplate="%{x}: %{y:,.1f} " + y_title + "<extra></extra>")
    else:
        cells = p.data[p.data.kind == "cell"].copy()
        cells["cl"] = [_label(lab, o, others, blank) for lab, o in zip(cells.c_label, cells.c_other)]
        quarters = sorted(cells.r_label.dropna().unique())
        col_order = (cells.groupby(["cl", "c_other"]).spend.sum().reset_index()
                     .sort_values(["c_other", "spend"], ascending=[True, False]).cl.tolist())
        for i, cl in enumerate(col_order):
            part = cells[cells.cl == cl].groupby("r_label").spend.sum().reindex(quarters, fill_value=0)
            fig.add_bar(x=quarters, y=part.values / 1e6, name=cl, marker_color=PALETTE[i % len(PALETTE)],
                        hovertemplate=cl + " · %{x}: %{y:,.1f} " + y_title + "<extra></extra>")
        fig.update_layout(barmode="stack")
    fig.update_layout(title=title, yaxis_title=y_title, xaxis_type="category", margin=_MARGIN, height=380,
                      legend=dict(orientation="h", y=-0.2))
    return fig


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


def pareto_curve(curve: pd.DataFrame, *, title: str = "", x_title: str = "Andel leverantörer",
                 y_title: str = "Andel av utgiften") -> go.Figure:
    """The cumulative share of spend (y, 0-1) against the share of suppliers ranked by spend
    (x, 0-1), with the 80 % and 95 % lines."""
    fig = go.Figure(go.Scatter(x=[0.0] + list(curve.rank_share), y=[0.0] + list(curve.cum_share), mode="lines",
                               line=dict(color=PALETTE[0], width=3), name=y_title,
                               hovertemplate="%{x:.1%} → %{y:.1%}<extra></extra>"))
    for level, color in ((0.8, PALETTE[2]), (0.95, PALETTE[3])):
        fig.add_hline(y=level, line=dict(color=color, dash="dash"), annotation_text=f"{level:.0%}",
                      annotation_position="bottom right")
    fig.update_layout(title=title, xaxis=dict(title=x_title, tickformat=".0%", range=[0, 1]),
                      yaxis=dict(title=y_title, tickformat=".0%", range=[0, 1.02]), margin=_MARGIN, height=340,
                      showlegend=False)
    return fig
