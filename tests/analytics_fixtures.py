"""Small hand-built runs for the analytics tests, with explicit timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.core.models import (
    AgentProgress,
    BatchRun,
    EventKind,
    Finding,
    FindingCategory,
    PriorityScore,
    RemediationSession,
    RunConfig,
    RunStatus,
    SessionStatus,
    Severity,
    TimelineEvent,
    Wave,
    WaveStatus,
)
from engine.runs.index import IndexEntry
from engine.runs.reviews import ReviewDecision

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
RUN_ID = "run-1"


def at(seconds: float) -> datetime:
    """T0 plus `seconds` of wall time."""
    return T0 + timedelta(seconds=seconds)


def finding(
    fid: str,
    severity: str = "high",
    category: str = "sql_injection",
    service: str = "api",
    rank: int | None = None,
    parts: tuple[float, float, float] | None = (30, 25, 10),  # service, severity, SLA points
    title: str | None = None,
) -> Finding:
    return Finding(
        finding_id=fid,
        category=FindingCategory(category),
        severity=Severity(severity),
        title=title or f"Issue {fid}",
        service_name=service,
        priority=(
            PriorityScore.of(
                service_importance=parts[0],
                severity=parts[1],
                sla_urgency=parts[2],
                fix_rate=0,
                recurrence=0,
                objective_boost=0,
            )
            if parts
            else None
        ),
        priority_rank=rank,
    )


def session(
    fid: str,
    attempt: int = 1,
    status: str = "success",
    start: float | None = 0,
    end: float | None = None,
    pr: str | None = None,
    wave: int = 1,
    updated: float | None = None,
    confidence: float | None = None,
    progress: AgentProgress | None = None,
    retryable: bool = True,
) -> RemediationSession:
    """`start`/`end`: seconds after T0 of dispatch and completion (None: not happened)."""
    dispatched = at(start) if start is not None else None
    return RemediationSession(
        finding_id=fid,
        attempt=attempt,
        wave_number=wave,
        tag=f"{RUN_ID}-{fid}-{attempt}",
        session_id=f"devin-{fid}-{attempt}" if dispatched else None,
        url=f"https://app.devin.ai/sessions/{fid}-{attempt}" if dispatched else None,
        status=SessionStatus(status),
        intent_at=dispatched or T0,
        dispatched_at=dispatched,
        updated_at=at(updated) if updated is not None else None,
        completed_at=at(end) if end is not None else None,
        pull_request_url=pr,
        progress=progress or (AgentProgress(confidence=confidence) if confidence is not None else None),
        retryable=retryable,
    )


def wave(
    number: int,
    finding_ids: list[str],
    status: str = "completed",
    start: float | None = None,
    end: float | None = None,
) -> Wave:
    return Wave(
        number=number,
        finding_ids=finding_ids,
        status=WaveStatus(status),
        started_at=at(start) if start is not None else None,
        completed_at=at(end) if end is not None else None,
    )


def run(
    findings: list[Finding] | None = None,
    sessions: list[RemediationSession] | None = None,
    waves: list[Wave] | None = None,
    speed: float = 1.0,
    max_retries: int = 1,
    max_acu_per_session: int = 10,
    started: float | None = 0,
    completed: float | None = None,
    status: str = "running",
) -> BatchRun:
    config = RunConfig(
        data_source="simulated",
        speed=speed,
        wave_size=10,
        max_parallel_sessions=5,
        max_acu_per_session=max_acu_per_session,
        poll_interval_seconds=5,
        session_timeout_minutes=60,
        min_success_rate=0.5,
        max_retries=max_retries,
    )
    return BatchRun(
        run_id=RUN_ID,
        status=RunStatus(status),
        data_source="simulated",
        config=config,
        created_at=T0,
        started_at=at(started) if started is not None else None,
        completed_at=at(completed) if completed is not None else None,
        findings=findings or [],
        sessions=sessions or [],
        waves=waves or [],
    )


def event(
    seconds: float,
    kind: str,
    message: str = "",
    fid: str | None = None,
    attempt: int | None = None,
    session_id: str | None = None,
) -> TimelineEvent:
    return TimelineEvent(
        ts=at(seconds),
        run_id=RUN_ID,
        kind=EventKind(kind),
        message=message or kind,
        finding_id=fid,
        attempt=attempt,
        session_id=session_id,
    )


def decision(
    fid: str,
    attempt: int = 1,
    verdict: str = "approved",
    seconds: float = 0,
    reviewer: str = "alice",
    reason: str | None = None,
    run_id: str = RUN_ID,
) -> ReviewDecision:
    return ReviewDecision(
        run_id=run_id,
        finding_id=fid,
        attempt=attempt,
        session_id=f"devin-{fid}-{attempt}",
        pull_request_url=f"https://github.com/acme/api/pull/{fid}",
        decision=verdict,  # type: ignore[arg-type]
        reviewer=reviewer,
        reason=reason,
        decided_at=at(seconds),
    )


def entry(
    run_id: str,
    started: float | None = 0,
    completed: float | None = None,
    created: float = 0,
    status: str = "completed",
    findings: int = 0,
    succeeded: int = 0,
    failed: int = 0,
    open_: int = 0,
    pull_requests: int = 0,
    sessions: int = 0,
    agent_seconds: float = 0.0,
    max_acu_per_session: int = 10,
) -> IndexEntry:
    return IndexEntry(
        run_id=run_id,
        created_at=at(created),
        started_at=at(started) if started is not None else None,
        completed_at=at(completed) if completed is not None else None,
        status=RunStatus(status),
        data_source="simulated",
        findings=findings,
        succeeded=succeeded,
        failed=failed,
        open=open_,
        pull_requests=pull_requests,
        sessions=sessions,
        agent_seconds=agent_seconds,
        max_acu_per_session=max_acu_per_session,
    )
