"""The ROI page's charts: cumulative net savings by day, and saved vs spent per run.

The time axis is by day (a category per day with runs): one run, or runs minutes apart, never
give sub-millisecond ticks. Legends sit above the plot, clear of the bars' axis labels."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from engine.analytics.roi_figures import RoiFigures, cumulative_roi

MONEY_SAVED_COLOR = "#2e7d32"
AGENT_COST_COLOR = "#c62828"
NET_COLOR = "#1565c0"


LEGEND_ABOVE = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}


def _layout(figure: go.Figure, title: str, empty: bool) -> go.Figure:
    figure.update_layout(
        title={"text": title, "y": 0.97, "yanchor": "top"},
        template="plotly_white",
        yaxis={"tickprefix": "$", "separatethousands": True, "zeroline": True},
        xaxis={"type": "category", "automargin": True},
        margin={"l": 60, "r": 20, "t": 90, "b": 40},
        legend=LEGEND_ABOVE,
        showlegend=True,
    )
    if empty:
        figure.add_annotation(text="No runs yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return figure


def by_day(figures: list[RoiFigures]) -> pd.DataFrame:
    """Per day with runs (UTC, oldest first): runs, net savings, and the running total."""
    table = cumulative_roi(figures)
    if table.empty:
        return pd.DataFrame(columns=["day", "runs", "net_savings", "cumulative_net_savings"])
    days = pd.to_datetime(table["started"], utc=True).dt.strftime("%d %b %Y")
    grouped = (
        table.assign(day=days)
        .groupby("day", sort=False)
        .agg(runs=("run_id", "count"), net_savings=("net_savings", "sum"))
        .reset_index()
    )
    grouped["cumulative_net_savings"] = grouped["net_savings"].cumsum()
    return grouped


def cumulative_chart(figures: list[RoiFigures]) -> go.Figure:
    table = by_day(figures)
    figure = go.Figure(
        go.Scatter(
            x=list(table["day"]),
            y=list(table["cumulative_net_savings"]),
            mode="lines+markers",
            name="Cumulative net savings (accepted fixes)",
            line={"color": NET_COLOR},
            customdata=list(table["runs"]),
            hovertemplate="%{x} (%{customdata} runs): $%{y:,.0f}<extra></extra>",
        )
    )
    figure.update_yaxes(rangemode="tozero")  # one run alone would otherwise fill the axis with $1 steps
    return _layout(figure, "Cumulative net savings by day", table.empty)


def per_run_chart(figures: list[RoiFigures]) -> go.Figure:
    table = cumulative_roi(figures)
    runs = list(table["run_id"])
    figure = go.Figure(
        [
            go.Bar(
                x=runs,
                y=list(table["money_saved"]),
                name="Money saved (accepted fixes)",
                marker_color=MONEY_SAVED_COLOR,
            ),
            go.Bar(x=runs, y=list(table["agent_cost"]), name="Agent cost", marker_color=AGENT_COST_COLOR),
        ]
    )
    figure.update_layout(barmode="group")
    return _layout(figure, "Money saved vs agent cost per run", table.empty)


def roi_charts(figures: list[RoiFigures]) -> dict[str, go.Figure]:
    return {"cumulative": cumulative_chart(figures), "per_run": per_run_chart(figures)}
