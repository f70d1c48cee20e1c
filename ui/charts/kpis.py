"""A KPI over the quarters: its values as a line with markers coloured by status, the target
as a dashed line."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .trend import PALETTE

STATUS_COLOURS = {"met": "#2e7d32", "near": "#f0a202", "missed": "#c62828"}


def kpi_trend(df: pd.DataFrame, *, share: bool, labels: list[str], value_name: str, target_name: str,
              title: str = "") -> go.Figure:
    """From a frame with quarter, value, target and status (analytics.kpis.history), and the
    value's text per quarter (``labels``) for the hover; ``share``: values 0-1, shown as %."""
    fig = go.Figure()
    colours = [STATUS_COLOURS.get(s, "#9aa0a6") if isinstance(s, str) else "#9aa0a6" for s in df["status"]]
    fig.add_trace(go.Scatter(x=df["quarter"], y=df["value"], name=value_name, mode="lines+markers",
                             line=dict(color=PALETTE[0], width=2), marker=dict(size=11, color=colours),
                             customdata=labels, hovertemplate="%{x}: %{customdata}<extra></extra>",
                             connectgaps=False))
    if df["target"].notna().any():
        fig.add_trace(go.Scatter(x=df["quarter"], y=df["target"], name=target_name, mode="lines",
                                 line=dict(color="#595959", dash="dash"), hoverinfo="skip"))
    fig.update_layout(title=title, margin=dict(l=10, r=10, t=40, b=10), height=320, xaxis_type="category",
                      legend=dict(orientation="h", y=-0.2))
    if share:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    else:
        fig.update_yaxes(rangemode="tozero")
    return fig
