"""The history of runs from the run index, and a side-by-side comparison of two runs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import pandas as pd

from engine.analytics import formatting as fmt
from engine.analytics.outcomes import indexed_outcomes
from engine.core.models import RunStatus
from engine.runs.index import IndexEntry
from engine.runs.reviews import ReviewDecision

HISTORY_COLUMNS = [
    "run_id",
    "started",
    "status",
    "findings",
    "fixed",
    "awaiting_review",
    "failed",
    "held_back",
    "fix_rate",
    "duration_s",
    "data_source",
]
COMPARE_METRICS = [
    "status",
    "findings",
    "fixed",
    "PR awaiting review",
    "failed",
    "held back",
    "open",
    "fix rate",
    "session attempts",
    "agent hours",
    "duration",
]


def success_rate(entry: IndexEntry, decisions: Iterable[ReviewDecision] = ()) -> float | None:
    """The fix rate (outcomes.py): fixed (PR approved) out of fixed + failed."""
    return indexed_outcomes(entry, decisions).fix_rate


def wall_seconds(entry: IndexEntry, now: datetime | None) -> float | None:
    """Wall-clock start to completion; for a run that stopped without completing (paused,
    interrupted, failed), to its last recorded activity; for a running one, to `now`.
    None if never started, or if the end is unknown and no `now` is given."""
    if entry.started_at is None:
        return None
    if entry.completed_at is not None:
        end: datetime | None = entry.completed_at
    elif entry.status in (RunStatus.running, RunStatus.pending):
        end = now
    else:
        end = entry.updated_at or now
    return None if end is None else max(0.0, (end - entry.started_at).total_seconds())


def display_status_of(entry: IndexEntry, display_status: Mapping[str, str]) -> str:
    return display_status.get(entry.run_id) or entry.status.value


def history_table(
    entries: list[IndexEntry],
    display_status: Mapping[str, str],
    now: datetime,
    decisions: Sequence[ReviewDecision] = (),
) -> pd.DataFrame:
    """One row per run, newest start first (runs never started count from their creation), with
    its finding outcomes (outcomes.py): `findings` counts held-back ones too."""
    ordered = sorted(entries, key=lambda e: (e.started_at or e.created_at, e.run_id), reverse=True)
    rows = []
    for e in ordered:
        o = indexed_outcomes(e, decisions)
        rows.append(
            {
                "run_id": e.run_id,
                "started": e.started_at or e.created_at,
                "status": display_status_of(e, display_status),
                "findings": o.total,
                "fixed": o.fixed,
                "awaiting_review": o.awaiting_review,
                "failed": o.failed,
                "held_back": o.held_back,
                "fix_rate": o.fix_rate,
                "duration_s": wall_seconds(e, now),
                "data_source": e.data_source,
            }
        )
    table = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    for column in ("fix_rate", "duration_s"):
        table[column] = table[column].astype(float)  # None -> NaN
    return table


def _compare_values(
    entry: IndexEntry, display_status: Mapping[str, str], decisions: Sequence[ReviewDecision]
) -> list[str]:
    o = indexed_outcomes(entry, decisions)
    return [
        display_status_of(entry, display_status),
        f"{o.total:,}",
        f"{o.fixed:,}",
        f"{o.awaiting_review:,}",
        f"{o.failed:,}",
        f"{o.held_back:,}",
        f"{o.open:,}",
        fmt.percent(o.fix_rate),
        f"{entry.sessions:,}",
        fmt.number(entry.agent_seconds / 3600 if math.isfinite(entry.agent_seconds) else None, 2),
        fmt.duration(wall_seconds(entry, None)),
    ]


def compare_runs(
    a: IndexEntry,
    b: IndexEntry,
    display_status: Mapping[str, str],
    decisions: Sequence[ReviewDecision] = (),
) -> pd.DataFrame:
    """Rows of metrics, one display-string column per run. A run still going has no duration
    ("—"). Comparing a run with itself names the second column "<run_id> (2)"."""
    b_column = b.run_id if b.run_id != a.run_id else f"{b.run_id} (2)"
    rows = zip(
        COMPARE_METRICS,
        _compare_values(a, display_status, decisions),
        _compare_values(b, display_status, decisions),
        strict=True,
    )
    return pd.DataFrame(list(rows), columns=["metric", a.run_id, b_column])
