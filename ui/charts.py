"""Plotly figures, drawn in the app's theme (light or dark, whichever the viewer uses)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st


def show(figure: go.Figure, key: str) -> None:
    """Draws with Streamlit's theme: an engine figure's own template (e.g. plotly_white, right
    for a printed report) would stay white in dark mode."""
    figure = go.Figure(figure)
    figure.update_layout(template="streamlit", title={"x": 0, "xanchor": "left"})
    st.plotly_chart(figure, theme="streamlit", width="stretch", key=key, config={"displaylogo": False})


def wave_timings(table: pd.DataFrame) -> go.Figure:
    """Agent time per wave, coloured by the wave's status."""
    figure = go.Figure()
    for status, rows in table.groupby("status", sort=False):
        figure.add_bar(
            x=[f"Wave {w}" for w in rows["wave"]],
            y=rows["duration_s"] / 60.0,
            name=str(status),
            customdata=rows["findings"],
            hovertemplate="%{x}: %{y:.1f} min for %{customdata} findings<extra></extra>",
        )
    figure.update_layout(
        title="Time per wave (agent time)",
        yaxis_title="minutes",
        barmode="stack",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
    )
    return figure
