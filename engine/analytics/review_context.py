"""What a reviewer needs to judge one pull request: the finding, the agent's account of its fix
(approach, files, tests, confidence), and the pull request's own evidence (files changed, the
unified diff, checks) from the simulator's saved pull request or from the Git host.

The evidence (engine.core.pull_evidence) is gathered by whoever can reach it
(engine.simulator.pull_archive for simulated runs, engine.ledger.pulls for a Git host) and
passed in, so this module only combines."""

from __future__ import annotations

from pydantic import BaseModel

from engine.analytics.formatting import category_label
from engine.analytics.review_queue import ReviewItem
from engine.core.models import BatchRun
from engine.core.pull_evidence import ChangedFile, CheckResult, PullEvidence

MAX_DIFF_CHARS = 200_000  # a diff longer than this is cut, with a note: the PR page has it all


class ReviewContext(BaseModel):
    finding_id: str
    location: str | None  # file:line, or the dependency and its versions
    category: str  # human label
    cwe_id: str | None
    scanner: str | None
    description: str | None
    fix_approach: str | None
    files: list[ChangedFile]
    diff: str | None
    diff_note: str  # where the diff comes from, or why there is none
    tests_run: list[str]
    tests_passed: bool | None
    tests_added: int | None
    checks: list[CheckResult]
    confidence: float | None
    session_url: str | None
    pull_request_url: str


def _location(run: BatchRun, finding_id: str) -> str | None:
    finding = next((f for f in run.findings if f.finding_id == finding_id), None)
    if finding is None:
        return None
    if finding.dependency_name:
        versions = " → ".join(v for v in (finding.current_version, finding.fixed_version) if v)
        return f"{finding.dependency_name} {versions}".strip()
    if finding.file_path:
        return f"{finding.file_path}:{finding.line_number}" if finding.line_number else finding.file_path
    return None


def _diff_note(evidence: PullEvidence | None, diff: str | None, cut: bool, missing: str | None) -> str:
    if evidence is None:
        why = f" ({missing})" if missing else ""
        return f"The diff could not be read here{why}: open the pull request to read it."
    where = "the simulator's pull request" if evidence.source == "simulated" else "the Git host"
    if not diff:
        return f"The pull request has no diff on {where}."
    return f"From {where}" + (f", cut at {MAX_DIFF_CHARS:,} characters." if cut else ".")


def review_context(
    run: BatchRun, item: ReviewItem, evidence: PullEvidence | None, missing: str | None = None
) -> ReviewContext:
    """One card's context; `evidence` is None when the pull request could not be read, and
    `missing` then says why."""
    finding = next((f for f in run.findings if f.finding_id == item.finding_id), None)
    session = next((s for s in run.sessions if s.key == (item.finding_id, item.attempt)), None)
    progress = session.progress if session else None
    if evidence is not None and evidence.files:
        files = evidence.files
    else:
        files = [ChangedFile(path=p) for p in (progress.files_modified if progress else [])]
    diff = evidence.diff if evidence is not None else None
    cut = diff is not None and len(diff) > MAX_DIFF_CHARS
    if cut and diff is not None:
        diff = diff[:MAX_DIFF_CHARS]
    return ReviewContext(
        finding_id=item.finding_id,
        location=_location(run, item.finding_id),
        category=category_label(finding.category.value) if finding else "",
        cwe_id=finding.cwe_id if finding else None,
        scanner=finding.scanner if finding else None,
        description=finding.description if finding else None,
        fix_approach=progress.fix_approach if progress else None,
        files=files,
        diff=diff or None,
        diff_note=_diff_note(evidence, diff, cut, missing),
        tests_run=progress.tests_run if progress else [],
        tests_passed=progress.tests_passed if progress else None,
        tests_added=progress.tests_added if progress else None,
        checks=evidence.checks if evidence is not None else [],
        confidence=progress.confidence if progress else None,
        session_url=session.url if session else None,
        pull_request_url=item.pull_request_url,
    )
