"""The pull requests awaiting (or having had) a human decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from engine.analytics.ordering import SEVERITY_ORDER, ranks
from engine.core.models import BatchRun
from engine.execute.totals import latest_sessions
from engine.runs.reviews import ReviewDecision, reviewable

ReviewState = Literal["pending", "approved", "rejected"]


class ReviewItem(BaseModel):
    finding_id: str
    attempt: int
    title: str
    severity: str
    service: str
    pull_request_url: str
    session_id: str | None
    state: ReviewState
    reviewer: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None


def review_queue(run: BatchRun, decisions: Mapping[tuple[str, int], ReviewDecision]) -> list[ReviewItem]:
    """Each finding's latest attempt if it succeeded with a PR; pending first, then by severity
    (critical first) and priority rank."""
    findings = {f.finding_id: f for f in run.findings}
    rank = ranks(run.findings)
    items: list[tuple[tuple[bool, int, int, str], ReviewItem]] = []
    for finding_id, session in latest_sessions(run).items():
        finding = findings.get(finding_id)
        if finding is None or not reviewable(session):
            continue
        decision = decisions.get(session.key)
        item = ReviewItem(
            finding_id=finding_id,
            attempt=session.attempt,
            title=finding.title,
            severity=finding.severity.value,
            service=finding.service_name,
            pull_request_url=session.pull_request_url or "",
            session_id=session.session_id,
            state=decision.decision if decision else "pending",
            reviewer=decision.reviewer if decision else None,
            reason=decision.reason if decision else None,
            decided_at=decision.decided_at if decision else None,
        )
        key = (item.state != "pending", SEVERITY_ORDER[item.severity], rank[finding_id], finding_id)
        items.append((key, item))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def pending_review_count(run: BatchRun, decisions: Mapping[tuple[str, int], ReviewDecision]) -> int:
    return sum(1 for item in review_queue(run, decisions) if item.state == "pending")
