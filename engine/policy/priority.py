"""Priority: the one score every run is ordered by, with the reasons as points.

A run planned against the findings ledger scores each finding against the ledger's history;
a run without the ledger (`--no-ledger`, the demo) against an empty history, where the SLA,
fix-rate, recurrence and objective parts are the same for every finding, so service
importance and severity decide. Service importance comes from the services file only.

Every part is already in points, so the parts add up to `total` (each rounded to 0.1):

- `service_importance` (max 35): 35 x the service's catalog importance / 100
  (unknown services 50 -> 17.5). Work on the services that matter most comes first.
- `severity` (max 30): 30 x {critical 100, high 75, medium 40, low 10} / 100.
- `sla_urgency` (max 15): 15 x the share of the SLA window already used (capped at 1), from
  the ledger entry's first_seen; 0 for a finding the ledger has never seen.
- `fix_rate` (max 10): 10 x the share of finished attempts on this finding's category that
  succeeded (0.5 when the category has no finished attempts yet). A category the agent fixes
  reliably ranks higher: those sessions are cheap wins, while categories it keeps failing on
  should not crowd them out.
- `recurrence` (max 10): 10 x min(appearances - 1, 4) / 4, or the full 10 when a fix of this
  finding already failed (a merged or verified fix regressed): findings that keep coming back.
- `objective_boost`: +10 for every active objective that is not yet met and that the finding
  serves (see objectives.py), so work that moves a stated goal wins ties and near-ties.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from engine.core.models import Finding, FindingCategory, PriorityScore, Severity
from engine.ledger.models import Ledger, LedgerEntry
from engine.policy.objectives import Objective, serves
from engine.policy.policy import Policy
from engine.policy.services import ServiceCatalog
from engine.policy.sla import sla_status

SERVICE_POINTS = 35.0
SEVERITY_POINTS = 30.0
SLA_POINTS = 15.0
FIX_RATE_POINTS = 10.0
RECURRENCE_POINTS = 10.0
OBJECTIVE_POINTS = 10.0
SEVERITY_SCALE: dict[Severity, int] = {
    Severity.critical: 100,
    Severity.high: 75,
    Severity.medium: 40,
    Severity.low: 10,
}
UNKNOWN_FIX_RATE = 0.5
RECURRENCE_STEPS = 4
# Attempt outcomes that say something about the agent: interrupted/refused/active do not.
FINISHED_OUTCOMES = frozenset({"success", "failed", "timeout"})


def category_fix_rates(ledger: Ledger) -> dict[FindingCategory, float]:
    """Per category: successful / finished attempts (success, failed, timeout). Categories
    without a finished attempt are absent; callers use `UNKNOWN_FIX_RATE` for them."""
    finished: Counter[FindingCategory] = Counter()
    succeeded: Counter[FindingCategory] = Counter()
    for entry in ledger.entries.values():
        for attempt in entry.attempts:
            if attempt.outcome in FINISHED_OUTCOMES:
                finished[entry.category] += 1
                succeeded[entry.category] += attempt.outcome == "success"
    return {category: succeeded[category] / count for category, count in finished.items()}


def recurrence_share(entry: LedgerEntry | None) -> float:
    if entry is None:
        return 0.0
    if entry.failed_fixes:
        return 1.0
    return min(max(entry.appearances - 1, 0), RECURRENCE_STEPS) / RECURRENCE_STEPS


def cross_run_score(
    finding: Finding,
    entry: LedgerEntry | None,
    services: ServiceCatalog,
    policy: Policy,
    fix_rates: Mapping[FindingCategory, float],
    now: datetime,
    unmet_objectives: Sequence[Objective] | None = None,
) -> PriorityScore:
    """The finding's score at `now` (see the module docstring for the parts).

    `unmet_objectives` are the objectives that boost (compute them once per plan with
    `objectives.unmet_objectives`); when None, every active objective in the policy is
    assumed unmet."""
    if unmet_objectives is None:
        unmet_objectives = [objective for objective in policy.objectives if objective.active]
    urgency = 0.0
    if entry is not None:
        status = sla_status(entry.first_seen, finding.severity, now, policy=policy.sla)
        urgency = min(status.elapsed_fraction, 1.0)
    boosts = sum(1 for objective in unmet_objectives if objective.active and serves(objective, finding))
    return PriorityScore.of(
        service_importance=SERVICE_POINTS * services.importance(finding.service_name) / 100,
        severity=SEVERITY_POINTS * SEVERITY_SCALE[finding.severity] / 100,
        sla_urgency=SLA_POINTS * urgency,
        fix_rate=FIX_RATE_POINTS * fix_rates.get(finding.category, UNKNOWN_FIX_RATE),
        recurrence=RECURRENCE_POINTS * recurrence_share(entry),
        objective_boost=OBJECTIVE_POINTS * boosts,
    )
