"""The ledger: cross-run memory of every finding, one file per data source.

It remembers where a finding was seen, every session that worked on it, the pull requests,
fixes that did not hold and human decisions, so that later runs neither redo nor forget work.
"""

from engine.ledger.dispatch import claim, record_outcome
from engine.ledger.models import (
    AttemptOutcome,
    Claim,
    ClaimResult,
    DispatchAttempt,
    FailedFix,
    GlobalBudget,
    ImportSummary,
    Ledger,
    LedgerEntry,
    LedgerEvent,
    LifecycleState,
    PullRequestState,
    RiskAcceptance,
    ScanImport,
    active_attempt,
    scope_of,
)
from engine.ledger.observe import import_scan, scan_id_of
from engine.ledger.pulls import (
    GitPullRequests,
    PullRequestLookupError,
    PullRequestTracker,
    apply_pull_request_states,
    parse_pull_request_url,
    poll_pull_requests,
    set_pull_request_state,
    sync_pull_requests,
)
from engine.ledger.retry import (
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_MAX_ATTEMPTS,
    cooldown_after,
    sessions_in_window,
)
from engine.ledger.store import ledger_path, read_ledger, update_ledger
from engine.ledger.triage import accept_risk, expire_risks, mark_false_positive, reopen

__all__ = [
    "DEFAULT_COOLDOWN_HOURS",
    "DEFAULT_MAX_ATTEMPTS",
    "AttemptOutcome",
    "Claim",
    "ClaimResult",
    "DispatchAttempt",
    "FailedFix",
    "GitPullRequests",
    "GlobalBudget",
    "ImportSummary",
    "Ledger",
    "LedgerEntry",
    "LedgerEvent",
    "LifecycleState",
    "PullRequestLookupError",
    "PullRequestState",
    "PullRequestTracker",
    "RiskAcceptance",
    "ScanImport",
    "accept_risk",
    "active_attempt",
    "apply_pull_request_states",
    "claim",
    "cooldown_after",
    "expire_risks",
    "import_scan",
    "ledger_path",
    "mark_false_positive",
    "parse_pull_request_url",
    "poll_pull_requests",
    "read_ledger",
    "record_outcome",
    "reopen",
    "scan_id_of",
    "scope_of",
    "sessions_in_window",
    "set_pull_request_state",
    "sync_pull_requests",
    "update_ledger",
]
