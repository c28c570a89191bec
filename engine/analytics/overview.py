"""The run overview: headline cards, per-wave progress, the merged timeline, recent sessions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Literal

import pandas as pd
from pydantic import BaseModel

from engine.analytics.held_back import HeldBackGroup, held_back_groups
from engine.analytics.outcomes import (
    AttemptSummary,
    FindingOutcome,
    OutcomeSummary,
    outcome_of,
    summarize_attempts,
    summarize_outcomes,
)
from engine.analytics.review_queue import pending_review_count
from engine.core.models import (
    BatchRun,
    RemediationSession,
    RunStatus,
    SessionStatus,
    Severity,
    TimelineEvent,
    Wave,
    WaveStatus,
)
from engine.execute.totals import latest_sessions
from engine.runs.reviews import ReviewDecision
from engine.runs.timing import session_seconds

ACTIVE_STATUSES = frozenset({SessionStatus.dispatched, SessionStatus.working, SessionStatus.blocked})
IN_FLIGHT_STATUSES = ACTIVE_STATUSES | {SessionStatus.pending}
CLOSED_WAVE_STATUSES = frozenset({WaveStatus.completed, WaveStatus.gated})
RECENT_COLUMNS = ["finding_id", "attempt", "status", "updated", "duration_s", "pull_request_url"]


class OverviewCards(BaseModel):
    """Finding outcomes (adding up to `findings`) and session attempts, kept apart (outcomes.py)."""

    findings: int  # every finding of the upload: planned and held back
    by_severity: dict[str, int]  # always critical, high, medium and low (of `findings`)
    outcomes: OutcomeSummary
    attempts: AttemptSummary
    pending_reviews: int
    held_back: list[HeldBackGroup]  # why findings are held back, and what to do

    @property
    def fix_rate(self) -> float | None:
        return self.outcomes.fix_rate


def overview_cards(
    run: BatchRun,
    decisions: Mapping[tuple[str, int], ReviewDecision],
    merged_pull_requests: Collection[str] = (),
) -> OverviewCards:
    """`merged_pull_requests`: the ledger's merged PRs (outcomes.merged_pull_requests): fixed too."""
    everything = [*run.findings, *(h.finding for h in run.held_back)]
    severities = Counter(f.severity.value for f in everything)
    outcomes = summarize_outcomes(run, decisions, merged_pull_requests)
    return OverviewCards(
        findings=outcomes.total,
        by_severity={s.value: severities.get(s.value, 0) for s in Severity},
        outcomes=outcomes,
        attempts=summarize_attempts(run),
        pending_reviews=pending_review_count(run, decisions),
        held_back=held_back_groups((h.reason for h in run.held_back), run.data_source),
    )


class WaveProgress(BaseModel):
    number: int
    status: str  # the wave's status; "stopped" for a wave the stopped run left running
    findings: int
    fixed: int  # PR approved or merged
    awaiting_review: int  # PR awaiting a decision
    failed: int
    in_flight: int  # latest attempt pending, dispatched, working or blocked
    done_fraction: float  # (fixed + awaiting review + failed) / findings, 0..1


RUN_WORKING_STATUSES = frozenset({RunStatus.running.value, RunStatus.pending.value, "starting", "queued"})


def wave_status(wave: Wave, run_status: str) -> str:
    """The wave's status as the run stands (`run_status` as the app shows it: "crashed" too). A
    wave left running by a run that no longer works is "paused" with a paused run and "stopped"
    otherwise (stopped, crashed, failed): never "running"."""
    if wave.status != WaveStatus.running or run_status in RUN_WORKING_STATUSES:
        return wave.status.value
    return "paused" if run_status == RunStatus.paused.value else "stopped"


def wave_progress(
    run: BatchRun,
    decisions: Mapping[tuple[str, int], ReviewDecision] | None = None,
    run_status: str | None = None,
    merged_pull_requests: Collection[str] = (),
) -> list[WaveProgress]:
    """Finding outcomes per wave (outcomes.py), from each finding's latest session, so a running
    wave moves before it closes. A closed wave (completed or gated) counts every finding still
    open as failed, as the engine does. `run_status`: the run's status as shown (default: the
    state's)."""
    shown_status = run_status or run.status.value
    latest = latest_sessions(run)
    decisions = decisions or {}
    rows = []
    for wave in sorted(run.waves, key=lambda w: w.number):
        sessions = [latest.get(f) for f in wave.finding_ids]
        outcomes = Counter(
            outcome_of(s, run.config.max_retries, decisions, merged_pull_requests) for s in sessions
        )
        fixed, awaiting = outcomes[FindingOutcome.fixed], outcomes[FindingOutcome.awaiting_review]
        failed = outcomes[FindingOutcome.failed]
        in_flight = sum(1 for s in sessions if s is not None and s.status in IN_FLIGHT_STATUSES)
        total = len(wave.finding_ids)
        if wave.status in CLOSED_WAVE_STATUSES:
            failed, in_flight = total - fixed - awaiting, 0
        rows.append(
            WaveProgress(
                number=wave.number,
                status=wave_status(wave, shown_status),
                findings=total,
                fixed=fixed,
                awaiting_review=awaiting,
                failed=failed,
                in_flight=in_flight,
                done_fraction=min(1.0, (fixed + awaiting + failed) / total) if total else 0.0,
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
