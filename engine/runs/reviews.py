"""Human review of agent pull requests: approve or reject, with an optional reason.

Decisions live in `runs/<run_id>/reviews.jsonl`, written only by `record_review`, under a file
lock (several app sessions may decide at once), one appended and fsynced line per decision.
A later decision on the same session replaces the earlier one; both stay in the file."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, Field, ValidationError

from engine.core.errors import BadInputError, writing
from engine.core.models import BatchRun, RemediationSession, SessionStatus, utcnow
from engine.runs.damage import read_run_file
from engine.runs.paths import RunPaths
from engine.storage.appendlog import open_for_append

Decision = Literal["approved", "rejected"]
LOCK_TIMEOUT_SECONDS = 10
MAX_REASON_CHARS = 2000


class ReviewDecision(BaseModel):
    run_id: str
    finding_id: str
    attempt: int
    session_id: str | None
    pull_request_url: str
    decision: Decision
    reviewer: str
    reason: str | None = None
    decided_at: datetime = Field(default_factory=utcnow)

    @property
    def key(self) -> tuple[str, int]:
        return (self.finding_id, self.attempt)


def reviews_path(paths: RunPaths) -> Path:
    return paths.root / "reviews.jsonl"


def reviewable(session: RemediationSession) -> bool:
    return session.status == SessionStatus.success and bool(session.pull_request_url)


def record_review(
    paths: RunPaths,
    run: BatchRun,
    finding_id: str,
    attempt: int,
    decision: Decision,
    reviewer: str,
    reason: str | None = None,
) -> ReviewDecision:
    """Records one decision; refuses unknown sessions, sessions without a PR and a missing
    reviewer, so nothing half-valid is ever stored."""
    if decision not in ("approved", "rejected"):
        raise BadInputError(f"decision must be 'approved' or 'rejected', not {decision!r}")
    if not reviewer or not reviewer.strip():
        raise BadInputError("a review needs the reviewer's identity")
    session = next((s for s in run.sessions if s.key == (finding_id, attempt)), None)
    if session is None:
        raise BadInputError(f"run {run.run_id} has no session for {finding_id} attempt {attempt}")
    if not reviewable(session):
        raise BadInputError(f"{finding_id} attempt {attempt} has no pull request to review")
    reason = (reason or "").strip()[:MAX_REASON_CHARS] or None
    record = ReviewDecision(
        run_id=run.run_id,
        finding_id=finding_id,
        attempt=attempt,
        session_id=session.session_id,
        pull_request_url=session.pull_request_url or "",
        decision=decision,
        reviewer=reviewer.strip(),
        reason=reason,
    )
    path = reviews_path(paths)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        handle = open_for_append(path)
        try:
            with writing(path):
                handle.write(record.model_dump_json().encode() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            with contextlib.suppress(OSError):  # a failed write above has said why already
                handle.close()
    return record


def read_reviews(paths: RunPaths) -> list[ReviewDecision]:
    """Every decision in the order made; a torn last line (killed writer) is skipped."""
    try:
        lines = read_run_file(reviews_path(paths)).splitlines()
    except FileNotFoundError:
        return []
    decisions = []
    for line in lines:
        try:
            decisions.append(ReviewDecision.model_validate(json.loads(line)))
        except (ValueError, ValidationError):
            continue
    return decisions


def latest_decisions(decisions: list[ReviewDecision]) -> dict[tuple[str, int], ReviewDecision]:
    """The decision in force for each reviewed session (the last one made)."""
    return {d.key: d for d in decisions}
