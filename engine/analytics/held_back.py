"""Findings a run planned but holds back: how many for each reason, in words, and what to do.

One source for every place that shows them (Launch, Overview, History, the CLI), so the
reason and the flag or setting that changes it read the same everywhere."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel

LEDGER_HINT = "`python -m engine ledger reopen FINGERPRINT --reason ...`"

# Why a finding is held back, in words, and what changes it (`{budget}` is the policy table
# the run's budget comes from: simulated runs have their own).
_REASONS: dict[str, tuple[str, str]] = {
    "global_limit": (
        "the session budget is used up",
        "raise global_session_limit in the policy file's [{budget}] table (POLICY_FILE, or the Policy "
        "page), wait until earlier sessions leave its window, or run with --no-ledger",
    ),
    "service_cap": (
        "the service's session cap for one run is reached",
        "raise per_service_cap in [{budget}] or the service's max_sessions_per_run (services.toml); "
        "the rest go in the next run",
    ),
    "acu_budget": (
        "the run's ACU budget is used up",
        "raise acu_budget_per_run in [{budget}] or lower MAX_ACU_PER_SESSION (--max-acu-per-session)",
    ),
    "cooldown": (
        "a failed attempt is cooling down before a retry",
        "wait for the cooldown ([retry] cooldown_hours in the policy file), or retry now with " + LEDGER_HINT,
    ),
    "open_pr": (
        "a pull request for it is awaiting review",
        "review the pull request (Review page, or `python -m engine ledger pr FINGERPRINT --state ...`)",
    ),
    "active_session": (
        "another run is working on it",
        "wait for that run to finish, or stop it (`python -m engine stop RUN`)",
    ),
    "merged_awaiting_verification": (
        "its fix is merged, awaiting verification",
        "upload the next scan: a scan without the finding verifies the fix",
    ),
    "verified_fixed": (
        "already fixed and verified",
        "nothing to do; " + LEDGER_HINT + " to work on it again",
    ),
    "false_positive": ("marked a false positive", "nothing to do; " + LEDGER_HINT + " to work on it again"),
    "risk_accepted": (
        "its risk is accepted",
        "nothing to do until the acceptance expires; or " + LEDGER_HINT,
    ),
    "too_many_attempts": (
        "too many failed attempts: it needs a person",
        "look at the failed sessions, then " + LEDGER_HINT,
    ),
    "needs_human_review": ("flagged for human review", "look at it, then " + LEDGER_HINT),
    "duplicate": ("a duplicate of a higher-ranked finding in this upload", "nothing to do"),
}


class HeldBackGroup(BaseModel):
    reason: str  # the SkipReason value
    label: str  # the reason in words
    count: int
    advice: str  # what to do, naming the flag or setting that changes it


def budget_table(data_source: str) -> str:
    """The policy table a run of `data_source` takes its budget from."""
    return "budget.simulated" if data_source == "simulated" else "budget"


def held_back_groups(reasons: Iterable[str], data_source: str) -> list[HeldBackGroup]:
    """How many findings are held back for each reason, most first (ties: by reason)."""
    counts = Counter(str(reason) for reason in reasons)
    table = budget_table(data_source)
    groups = []
    for reason, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        label, advice = _REASONS.get(reason, (reason.replace("_", " "), "see the run's timeline"))
        groups.append(
            HeldBackGroup(reason=reason, label=label, count=count, advice=advice.format(budget=table))
        )
    return groups


def held_back_lines(reasons: Iterable[str], data_source: str) -> list[str]:
    """One line per reason: '4 held back: the session budget is used up. To change: ...'."""
    return [
        f"{g.count} held back: {g.label}. To change: {g.advice}."
        for g in held_back_groups(reasons, data_source)
    ]
