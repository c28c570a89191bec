"""The run overview: headline cards, per-wave progress, the merged timeline, recent sessions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import pandas as pd
from pydantic import BaseModel

from engine.analytics.review_queue import pending_review_count
from engine.execute.totals import finding_outcome, latest_sessions
from engine.models import (
    BatchRun,
    RemediationSession,
    SessionStatus,
    Severity,
    TimelineEvent,
    WaveStatus,
)
from engine.reviews import ReviewDecision
from engine.runs.timing import session_seconds

ACTIVE_STATUSES = frozenset({SessionStatus.dispatched, SessionStatus.working, SessionStatus.blocked})
FAILED_STATUSES = frozenset({SessionStatus.failed, SessionStatus.timeout})
IN_FLIGHT_STATUSES = ACTIVE_STATUSES | {SessionStatus.pending}
CLOSED_WAVE_STATUSES = frozenset({WaveStatus.completed, WaveStatus.gated})
RECENT_COLUMNS = ["finding_id", "attempt", "status", "updated", "duration_s", "pull_request_url"]


class OverviewCards(BaseModel):
    findings: int
    by_severity: dict[str, int]  # always critical, high, medium and low
    sessions_active: int  # dispatched, working or blocked
    sessions_succeeded: int
    sessions_failed: int  # failed or timed out
    pending_reviews: int
    success_rate: float | None  # findings fixed / findings decided; None when none decided


def overview_cards(run: BatchRun, decisions: Mapping[tuple[str, int], ReviewDecision]) -> OverviewCards:
    severities = Counter(f.severity.value for f in run.findings)
    statuses = Counter(s.status for s in run.sessions)
    latest = latest_sessions(run)
    outcomes = Counter(
        finding_outcome(latest.get(f.finding_id), run.config.max_retries) for f in run.findings
    )
    decided = outcomes["succeeded"] + outcomes["failed"]
    return OverviewCards(
        findings=len(run.findings),
        by_severity={s.value: severities.get(s.value, 0) for s in Severity},
        sessions_active=sum(statuses[s] for s in ACTIVE_STATUSES),
        sessions_succeeded=statuses[SessionStatus.success],
        sessions_failed=sum(statuses[s] for s in FAILED_STATUSES),
        pending_reviews=pending_review_count(run, decisions),
        success_rate=outcomes["succeeded"] / decided if decided else None,
    )


class WaveProgress(BaseModel):
    number: int
    status: str
    findings: int
    succeeded: int
    failed: int
    in_flight: int  # latest attempt pending, dispatched, working or blocked
    done_fraction: float  # (succeeded + failed) / findings, 0..1


def wave_progress(run: BatchRun) -> list[WaveProgress]:
    """Counts from each finding's latest session, so a running wave moves before it closes. A
    closed wave (completed or gated) counts every finding not fixed as failed, as the engine does."""
    latest = latest_sessions(run)
    rows = []
    for wave in sorted(run.waves, key=lambda w: w.number):
        sessions = [latest.get(f) for f in wave.finding_ids]
        outcomes = Counter(finding_outcome(s, run.config.max_retries) for s in sessions)
        succeeded, failed = outcomes["succeeded"], outcomes["failed"]
        in_flight = sum(1 for s in sessions if s is not None and s.status in IN_FLIGHT_STATUSES)
        total = len(wave.finding_ids)
        if wave.status in CLOSED_WAVE_STATUSES:
            failed, in_flight = total - succeeded, 0
        rows.append(
            WaveProgress(
                number=wave.number,
                status=wave.status.value,
                findings=total,
                succeeded=succeeded,
                failed=failed,
                in_flight=in_flight,
                done_fraction=min(1.0, (succeeded + failed) / total) if total else 0.0,
            )
        )
    return rows


class TimelineItem(BaseModel):
    ts: datetime
    kind: str
    message: str
    finding_id: str | None = None
    session_id: str | None = None
    source: Literal["engine", "review"]


def event_item(event: TimelineEvent) -> TimelineItem:
    return TimelineItem(
        ts=event.ts,
        kind=event.kind.value,
        message=event.message,
        finding_id=event.finding_id,
        session_id=event.session_id,
        source="engine",
    )


def review_item(decision: ReviewDecision) -> TimelineItem:
    message = f"{decision.reviewer} {decision.decision} {decision.finding_id} (attempt {decision.attempt})"
    if decision.reason:
        message += f": {decision.reason}"
    return TimelineItem(
        ts=decision.decided_at,
        kind=f"review_{decision.decision}",
        message=message,
        finding_id=decision.finding_id,
        session_id=decision.session_id,
        source="review",
    )


def timeline(
    events: list[TimelineEvent], reviews: list[ReviewDecision], limit: int | None = None
) -> list[TimelineItem]:
    """Engine events and every review decision, newest first. Items with the same timestamp
    come in reverse input order (reviews before events, later lines first)."""
    items = [event_item(e) for e in events] + [review_item(r) for r in reviews]
    order = sorted(range(len(items)), key=lambda i: (items[i].ts, i), reverse=True)
    newest_first = [items[i] for i in order]
    return newest_first if limit is None else newest_first[: max(0, limit)]


def last_update(session: RemediationSession) -> datetime:
    stamps = [session.intent_at, session.dispatched_at, session.updated_at, session.completed_at]
    return max(s for s in stamps if s is not None)


def recent_sessions(run: BatchRun, now: datetime, limit: int = 10) -> pd.DataFrame:
    """The most recently updated sessions (any attempt), newest first."""
    ordered = sorted(run.sessions, key=lambda s: (last_update(s), s.finding_id, s.attempt), reverse=True)[
        : max(0, limit)
    ]
    rows = [
        {
            "finding_id": s.finding_id,
            "attempt": s.attempt,
            "status": s.status.value,
            "updated": last_update(s),
            "duration_s": session_seconds(s, run.config.speed, now),
            "pull_request_url": s.pull_request_url,
        }
        for s in ordered
    ]
    table = pd.DataFrame(rows, columns=RECENT_COLUMNS)
    table["duration_s"] = table["duration_s"].astype(float)
    return table
