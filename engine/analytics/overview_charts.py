"""The Overview's charts: finding outcomes by severity, and the run's progress over time.

The data comes from outcomes.py (the one vocabulary); the figures are plotly, drawn by the app
in its own theme."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

import pandas as pd
import plotly.graph_objects as go

from engine.analytics.outcomes import OUTCOME_LABELS, FindingOutcome, finding_outcomes
from engine.core.models import BatchRun, Severity
from engine.execute.totals import latest_sessions
from engine.runs.reviews import ReviewDecision

OUTCOME_COLORS: dict[FindingOutcome, str] = {
    FindingOutcome.fixed: "#2e7d32",
    FindingOutcome.awaiting_review: "#1565c0",
    FindingOutcome.failed: "#c62828",
    FindingOutcome.held_back: "#f9a825",
    FindingOutcome.open: "#9e9e9e",
}
SEVERITY_COLUMNS = ["severity", *(o.value for o in FindingOutcome)]
PROGRESS_COLUMNS = ["at", "findings_done", "sessions_ended"]
LEGEND_BELOW = {"orientation": "h", "y": -0.25, "x": 0, "xanchor": "left"}  # never over the bars


def severity_outcomes(
    run: BatchRun,
    decisions: Mapping[tuple[str, int], ReviewDecision],
    merged_pull_requests: Collection[str] = (),
) -> pd.DataFrame:
    """One row per severity (critical first), one column of finding counts per outcome."""
    outcomes = finding_outcomes(run, decisions, merged_pull_requests)
    severity = {f.finding_id: f.severity for f in run.findings}
    severity.update({h.finding.finding_id: h.finding.severity for h in run.held_back})
    counts = Counter((severity[fid].value, outcome.value) for fid, outcome in outcomes.items())
    rows = [
        {"severity": s.value, **{o.value: counts[(s.value, o.value)] for o in FindingOutcome}}
        for s in Severity
    ]
    return pd.DataFrame(rows, columns=SEVERITY_COLUMNS)


def progress_over_time(run: BatchRun) -> pd.DataFrame:
    """Cumulative findings done (the latest session ended) and sessions ended, at each end."""
    latest = {s.key for s in latest_sessions(run).values()}
    ends = sorted((s.completed_at, s.key in latest) for s in run.sessions if s.completed_at is not None)
    rows = []
    done = 0
    for ended, (at, is_latest) in enumerate(ends, start=1):
        done += int(is_latest)
        rows.append({"at": at, "findings_done": done, "sessions_ended": ended})
    table = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    if not table.empty:
        table["at"] = pd.to_datetime(table["at"], utc=True)
    return table


def _layout(figure: go.Figure, title: str, empty: bool, empty_text: str) -> go.Figure:
    figure.update_layout(
        title=title,
        legend=LEGEND_BELOW,
        margin={"l": 50, "r": 20, "t": 50, "b": 80},
        height=320,
    )
    if empty:
        figure.add_annotation(text=empty_text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return figure


def severity_chart(table: pd.DataFrame) -> go.Figure:
    """Stacked bars: for each severity, its findings by outcome."""
    figure = go.Figure()
    for outcome in FindingOutcome:
        figure.add_bar(
            x=list(table["severity"]),
            y=list(table[outcome.value]),
            name=OUTCOME_LABELS[outcome],
            marker_color=OUTCOME_COLORS[outcome],
            hovertemplate="%{x}: %{y} " + OUTCOME_LABELS[outcome].lower() + "<extra></extra>",
        )
    figure.update_layout(barmode="stack", yaxis={"title": "findings", "rangemode": "tozero"})
    empty = int(table[[o.value for o in FindingOutcome]].to_numpy().sum()) == 0
    return _layout(figure, "Findings by severity", empty, "No findings")


def progress_chart(table: pd.DataFrame, total: int) -> go.Figure:
    """Findings done and sessions ended over the run's wall clock, against the findings total."""
    figure = go.Figure()
    figure.add_scatter(
        x=list(table["at"]),
        y=list(table["findings_done"]),
        name="Findings done",
        mode="lines",
        line={"shape": "hv", "color": OUTCOME_COLORS[FindingOutcome.fixed]},
    )
    figure.add_scatter(
        x=list(table["at"]),
        y=list(table["sessions_ended"]),
        name="Session attempts ended",
        mode="lines",
        line={"shape": "hv", "dash": "dot", "color": OUTCOME_COLORS[FindingOutcome.awaiting_review]},
    )
    if total:
        figure.add_hline(y=total, line_dash="dash", line_color="#9e9e9e", annotation_text=f"{total} findings")
    # Seconds, minutes or hours as the run's span needs: never sub-millisecond ticks.
    figure.update_xaxes(tickformatstops=_TIME_TICKS)
    figure.update_yaxes(rangemode="tozero", title="count")
    return _layout(figure, "Progress over time", table.empty, "No session has ended yet")


_TIME_TICKS = [
    {"dtickrange": [None, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, 86_400_000], "value": "%H:%M"},
    {"dtickrange": [86_400_000, None], "value": "%b %d"},
]
