"""The one vocabulary of results: what became of each finding, and what the sessions did.

Two separate figures, never mixed:

- **finding outcomes**, one per finding of the upload (planned or held back), so they add up to
  the findings total:
  - `fixed`: its pull request was approved by a reviewer or merged;
  - `awaiting_review`: the agent opened a pull request nobody has decided on yet;
  - `failed`: no attempts left, the agent finished without a pull request, or the pull request
    was rejected (a rejected PR is never a fix);
  - `held_back`: the run did not work on it (budget, open PR, cooldown...: see held_back.py);
  - `open`: queued, in flight, or waiting for a retry.
- **session attempts**: every session the run created (a finding may have several), by how it
  ended.

Every page, the executive report and the CLI count with these functions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel

from engine.core.models import BatchRun, RemediationSession, SessionStatus
from engine.execute.totals import finding_outcome, latest_sessions
from engine.ledger.models import Ledger, LifecycleState
from engine.runs.index import IndexEntry
from engine.runs.reviews import ReviewDecision, latest_decisions


class FindingOutcome(StrEnum):
    fixed = "fixed"
    awaiting_review = "awaiting_review"
    failed = "failed"
    held_back = "held_back"
    open = "open"


OUTCOME_LABELS: dict[FindingOutcome, str] = {
    FindingOutcome.fixed: "Fixed",
    FindingOutcome.awaiting_review: "PR awaiting review",
    FindingOutcome.failed: "Failed",
    FindingOutcome.held_back: "Held back",
    FindingOutcome.open: "Open",
}
OUTCOME_HELP: dict[FindingOutcome, str] = {
    FindingOutcome.fixed: "Findings whose pull request a reviewer approved, or that was merged.",
    FindingOutcome.awaiting_review: "Findings with a pull request nobody has approved or rejected yet.",
    FindingOutcome.failed: "Findings with no attempts left, no pull request, or a rejected pull request.",
    FindingOutcome.held_back: "Findings of the upload this run did not work on; see why below.",
    FindingOutcome.open: "Findings queued, in flight, or waiting for a retry.",
}
FAILED_SESSION_STATUSES = frozenset({SessionStatus.failed, SessionStatus.timeout})
ACTIVE_SESSION_STATUSES = frozenset({SessionStatus.dispatched, SessionStatus.working, SessionStatus.blocked})


MERGED_STATES = frozenset({LifecycleState.pr_merged, LifecycleState.verified_fixed})


def merged_pull_requests(ledger: Ledger) -> frozenset[str]:
    """The pull requests the findings ledger records as merged (or merged and verified by a
    later scan): their findings are fixed whether or not a reviewer approved them here."""
    return frozenset(e.pr_url for e in ledger.entries.values() if e.state in MERGED_STATES and e.pr_url)


def outcome_of(
    session: RemediationSession | None,
    max_retries: int,
    decisions: Mapping[tuple[str, int], ReviewDecision],
    merged_pull_requests: Collection[str] = (),
) -> FindingOutcome:
    """A planned finding's outcome from its latest session and the review decision in force."""
    engine_outcome = finding_outcome(session, max_retries)
    if engine_outcome == "failed":
        return FindingOutcome.failed
    if engine_outcome == "open" or session is None:
        return FindingOutcome.open
    url = session.pull_request_url
    if not url:
        return FindingOutcome.failed  # the agent finished without a pull request: nothing fixed
    if url in merged_pull_requests:
        return FindingOutcome.fixed
    decision = decisions.get(session.key)
    if decision is None:
        return FindingOutcome.awaiting_review
    return FindingOutcome.fixed if decision.decision == "approved" else FindingOutcome.failed


def finding_outcomes(
    run: BatchRun,
    decisions: Mapping[tuple[str, int], ReviewDecision],
    merged_pull_requests: Collection[str] = (),
) -> dict[str, FindingOutcome]:
    """Every finding of the upload (planned ones, then held-back ones) with its outcome."""
    latest = latest_sessions(run)
    outcomes = {
        f.finding_id: outcome_of(
            latest.get(f.finding_id), run.config.max_retries, decisions, merged_pull_requests
        )
        for f in run.findings
    }
    for held in run.held_back:
        outcomes.setdefault(held.finding.finding_id, FindingOutcome.held_back)
    return outcomes


class OutcomeSummary(BaseModel):
    """Finding outcomes; `fixed + awaiting_review + failed + held_back + open == total`."""

    total: int
    fixed: int
    awaiting_review: int
    failed: int
    held_back: int
    open: int
    rejected: int  # of `failed`: the pull request was rejected

    @property
    def fix_rate(self) -> float | None:
        """Fixed out of decided (fixed or failed); None when none is decided yet."""
        decided = self.fixed + self.failed
        return self.fixed / decided if decided else None

    def count(self, outcome: FindingOutcome) -> int:
        return int(getattr(self, outcome.value))

    def labelled(self) -> list[tuple[str, int]]:
        """('Fixed', 3), ('PR awaiting review', 2)...: in the one order every page shows."""
        return [(OUTCOME_LABELS[o], self.count(o)) for o in FindingOutcome]


def summarize_outcomes(
    run: BatchRun,
    decisions: Mapping[tuple[str, int], ReviewDecision],
    merged_pull_requests: Collection[str] = (),
) -> OutcomeSummary:
    outcomes = finding_outcomes(run, decisions, merged_pull_requests)
    counts = Counter(outcomes.values())
    latest = latest_sessions(run)
    rejected = sum(
        1
        for finding_id, outcome in outcomes.items()
        if outcome == FindingOutcome.failed
        and (s := latest.get(finding_id)) is not None
        and (d := decisions.get(s.key)) is not None
        and d.decision == "rejected"
    )
    return OutcomeSummary(
        total=len(outcomes),
        fixed=counts[FindingOutcome.fixed],
        awaiting_review=counts[FindingOutcome.awaiting_review],
        failed=counts[FindingOutcome.failed],
        held_back=counts[FindingOutcome.held_back],
        open=counts[FindingOutcome.open],
        rejected=rejected,
    )


class AttemptSummary(BaseModel):
    """Session attempts: every session the run created, by how it ended (or that it has not)."""

    sessions: int
    succeeded: int  # the agent finished (with or without a pull request)
    failed: int  # failed or timed out
    active: int  # dispatched, working or blocked
    other: int  # pending, or stopped before it ended


def summarize_attempts(run: BatchRun) -> AttemptSummary:
    statuses = Counter(s.status for s in run.sessions)
    succeeded = statuses[SessionStatus.success]
    failed = sum(statuses[s] for s in FAILED_SESSION_STATUSES)
    active = sum(statuses[s] for s in ACTIVE_SESSION_STATUSES)
    return AttemptSummary(
        sessions=len(run.sessions),
        succeeded=succeeded,
        failed=failed,
        active=active,
        other=len(run.sessions) - succeeded - failed - active,
    )


def outcome_sentence(summary: OutcomeSummary) -> str:
    """'24 findings: 3 fixed, 15 PR awaiting review, 2 failed (1 PR rejected), 4 held back, 0 open'."""
    parts = []
    for label, count in summary.labelled():
        text = f"{count} {label[0].lower()}{label[1:]}" if not label.startswith("PR") else f"{count} {label}"
        if label == OUTCOME_LABELS[FindingOutcome.failed] and summary.rejected:
            text += f" ({summary.rejected} PR rejected)"
        parts.append(text)
    return f"{summary.total} findings: " + ", ".join(parts)


def attempt_sentence(summary: AttemptSummary) -> str:
    return (
        f"{summary.sessions} session attempts: {summary.succeeded} finished, {summary.failed} failed "
        f"or timed out, {summary.active} active"
    )


def indexed_outcomes(entry: IndexEntry, decisions: Iterable[ReviewDecision]) -> OutcomeSummary:
    """A run's outcomes from its run-index line and review decisions (History, ROI): the same
    vocabulary as `summarize_outcomes`, without loading the run's whole state. The index's
    `succeeded` are findings whose latest attempt opened a pull request: approved ones are
    fixed, rejected ones failed, the rest await review."""
    in_force = latest_decisions([d for d in decisions if d.run_id == entry.run_id]).values()
    approved = {d.finding_id for d in in_force if d.decision == "approved"}
    rejected = {d.finding_id for d in in_force if d.decision == "rejected"} - approved
    held_back = sum(entry.held_back.values())
    fixed = min(len(approved), entry.succeeded)
    rejected_count = min(len(rejected), entry.succeeded - fixed)
    return OutcomeSummary(
        total=entry.findings + held_back,
        fixed=fixed,
        awaiting_review=entry.succeeded - fixed - rejected_count,
        failed=entry.failed + rejected_count,
        held_back=held_back,
        open=entry.open,
        rejected=rejected_count,
    )
