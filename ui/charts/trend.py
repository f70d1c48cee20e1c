"""Spend per quarter as bars."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.constants import PALETTE as APP_PALETTE

PALETTE = ["#" + c for c in APP_PALETTE]     # the app's colours, as Plotly takes them


def quarterly_spend(df: pd.DataFrame, *, title: str = "", y_title: str = "MSEK") -> go.Figure:
    """Bars of spend (MSEK) per quarter from a frame with columns quarter, spend (SEK)."""
    fig = go.Figure(go.Bar(x=df["quarter"], y=df["spend"] / 1e6, marker_color=PALETTE[0],
                           hovertemplate="%{x}: %{y:,.1f}<extra></extra>"))
    fig.update_layout(title=title, yaxis_title=y_title, xaxis_type="category", margin=dict(l=10, r=10, t=40, b=10),
                      height=340)
    return fig
