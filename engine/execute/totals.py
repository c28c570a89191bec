"""Counts derived from a run's findings and sessions (stored in state for quick reading)."""

from __future__ import annotations

from collections import Counter

from engine.core.models import BatchRun, RemediationSession, RunTotals, SessionStatus


def latest_sessions(run: BatchRun) -> dict[str, RemediationSession]:
    """Each finding's most recent attempt."""
    latest: dict[str, RemediationSession] = {}
    for session in run.sessions:
        current = latest.get(session.finding_id)
        if current is None or session.attempt > current.attempt:
            latest[session.finding_id] = session
    return latest


def finding_outcome(session: RemediationSession | None, max_retries: int) -> str:
    """'succeeded', 'failed' (no attempts left) or 'open'."""
    if session is None:
        return "open"
    if session.status == SessionStatus.success:
        return "succeeded"
    if session.status.is_terminal and (session.attempt > max_retries or not session.retryable):
        return "failed"
    return "open"


def compute_totals(run: BatchRun) -> RunTotals:
    latest = latest_sessions(run)
    outcomes = Counter(
        finding_outcome(latest.get(f.finding_id), run.config.max_retries) for f in run.findings
    )
    return RunTotals(
        findings=len(run.findings),
        by_severity=dict(Counter(f.severity.value for f in run.findings)),
        sessions=len(run.sessions),
        sessions_by_status=dict(Counter(s.status.value for s in run.sessions)),
        findings_succeeded=outcomes["succeeded"],
        findings_failed=outcomes["failed"],
        findings_open=outcomes["open"],
        pull_requests=sum(1 for s in run.sessions if s.pull_request_url),
        acus_reported=sum(s.acus_consumed for s in run.sessions if s.acus_consumed is not None),
        sessions_without_usage=sum(1 for s in run.sessions if s.session_id and s.acus_consumed is None),
    )
