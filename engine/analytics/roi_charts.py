"""The ROI page's charts: cumulative net savings over time, and saved vs spent per run."""

from __future__ import annotations

import plotly.graph_objects as go

from engine.analytics.roi_figures import RoiFigures, cumulative_roi

MONEY_SAVED_COLOR = "#2e7d32"
AGENT_COST_COLOR = "#c62828"
NET_COLOR = "#1565c0"


def _layout(figure: go.Figure, title: str, empty: bool) -> go.Figure:
    figure.update_layout(
        title=title,
        template="plotly_white",
        yaxis={"tickprefix": "$", "separatethousands": True, "zeroline": True},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": -0.2},
    )
    if empty:
        figure.add_annotation(text="No runs yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return figure


def cumulative_chart(figures: list[RoiFigures]) -> go.Figure:
    table = cumulative_roi(figures)
    figure = go.Figure(
        go.Scatter(
            x=list(table["started"]),
            y=list(table["cumulative_net_savings"]),
            mode="lines+markers",
            name="Cumulative net savings",
            line={"color": NET_COLOR},
            customdata=list(table["run_id"]),
            hovertemplate="%{x}<br>after %{customdata}: $%{y:,.0f}<extra></extra>",
        )
    )
    figure.update_yaxes(rangemode="tozero")  # one run alone would otherwise fill the axis with $1 steps
    return _layout(figure, "Cumulative net savings", table.empty)


def per_run_chart(figures: list[RoiFigures]) -> go.Figure:
    table = cumulative_roi(figures)
    runs = list(table["run_id"])
    figure = go.Figure(
        [
            go.Bar(x=runs, y=list(table["money_saved"]), name="Money saved", marker_color=MONEY_SAVED_COLOR),
            go.Bar(
                x=runs,
                y=list(table["agent_cost"]),
                name="Agent cost (estimated)",
                marker_color=AGENT_COST_COLOR,
            ),
        ]
    )
    figure.update_layout(barmode="group")
    return _layout(figure, "Money saved vs agent cost per run", table.empty)


def roi_charts(figures: list[RoiFigures]) -> dict[str, go.Figure]:
    return {"cumulative": cumulative_chart(figures), "per_run": per_run_chart(figures)}
