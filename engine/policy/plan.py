"""Which findings of an upload get sessions in this run, given everything earlier runs did.

Findings are scored (priority.py) and walked in score order (ties: finding_id ascending).
For each finding, in this order:

1. duplicate: a better-scored finding of this upload has the same fingerprint;
2. the ledger gates (gates.py): active session, open PR, merged awaiting verification,
   verified fixed, false positive, risk accepted, too many attempts, needs human review,
   cooldown. A finding the ledger does not know (or without a fingerprint) is new and passes;
3. `global_limit`: sessions started within the last `global_period_hours` by any run
   (ledger attempts, refused ones excluded; window `(now - period, now]` and anything
   later) plus the ones selected here may not exceed `global_session_limit`. Never exceeded;
4. `service_cap`: at most `max_sessions_per_run` (the service's profile) or else
   `policy.per_service_cap` selected per service in this run. Critical findings may go over
   the cap (they still count toward it, so they use up the non-critical slots first);
5. `acu_budget`: the selected findings' ACU caps (each one's from the policy's ACU cap table,
   else `max_acu_per_session`) may not add up to more than `policy.acu_budget_per_run`
   (no ACU check when either is None).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from engine.core.acu_caps import MAX_ACU_CAP, RUN_SETTING_RULE
from engine.core.models import Finding, PriorityScore, Severity
from engine.ledger.models import Ledger, LedgerEntry
from engine.ledger.retry import sessions_in_window
from engine.policy.gates import SkipReason, gate
from engine.policy.objectives import Objective, ObjectiveProgress, objective_progress
from engine.policy.policy import Policy
from engine.policy.priority import category_fix_rates, cross_run_score
from engine.policy.services import ServiceCatalog, service_key

ACU_TOLERANCE = 1e-9  # 0.1 + 0.2 ACU must still fit a 0.3 ACU budget


class PlannedFinding(BaseModel):
    finding: Finding
    score: PriorityScore


class SkippedFinding(BaseModel):
    finding_id: str
    fingerprint: str | None
    reason: SkipReason
    detail: str


class BudgetUse(BaseModel):
    global_limit: int
    global_period_hours: float
    global_used_before: int  # sessions other runs started within the period
    global_remaining_after: int  # what is left after this plan's selection
    acu_budget: float | None
    acu_planned: float  # the selected findings' ACU caps added up (0 when the cap is unknown)


class CrossRunPlan(BaseModel):
    selected: list[PlannedFinding] = Field(default_factory=list)
    skipped: list[SkippedFinding] = Field(default_factory=list)
    budget: BudgetUse
    objectives: list[ObjectiveProgress] = Field(default_factory=list)

    def skipped_by_reason(self) -> dict[SkipReason, int]:
        return dict(Counter(item.reason for item in self.skipped))


def _service_cap(finding: Finding, services: ServiceCatalog, policy: Policy) -> int | None:
    profile = services.profile(finding.service_name)
    if profile is not None and profile.max_sessions_per_run is not None:
        return profile.max_sessions_per_run
    return policy.per_service_cap


class _Budgets:
    """The run's remaining budgets while the plan is being filled, in check order."""

    def __init__(
        self, ledger: Ledger, services: ServiceCatalog, policy: Policy, now: datetime, acu: float | None
    ) -> None:
        self.services = services
        self.policy = policy
        self.used_before = sessions_in_window(ledger, now, policy.global_period_hours)
        self.remaining = max(policy.global_session_limit - self.used_before, 0)
        self.acu_per_session = acu if acu is not None and acu > 0 else None
        self.per_service: Counter[str] = Counter()
        self.selected = 0
        self.acu_planned = 0.0

    def acu_cap(self, finding: Finding) -> float | None:
        """The ACU cap the finding's session will get (None when the run's cap is unknown)."""
        if self.acu_per_session is None:
            return None
        chosen = self.policy.acu_cap(finding.category, finding.severity, MAX_ACU_CAP)
        return self.acu_per_session if chosen.rule == RUN_SETTING_RULE else float(chosen.max_acu)

    def refusal(self, finding: Finding) -> tuple[SkipReason, str] | None:
        policy = self.policy
        if self.remaining <= 0:
            return SkipReason.global_limit, (
                f"global limit of {policy.global_session_limit} sessions per "
                f"{policy.global_period_hours:g} h reached ({self.used_before} started by earlier runs "
                f"in the window, {self.selected} planned here)"
            )
        cap = _service_cap(finding, self.services, policy)
        key = service_key(finding.service_name)
        if cap is not None and self.per_service[key] >= cap and finding.severity != Severity.critical:
            return (
                SkipReason.service_cap,
                f"{finding.service_name} already has {cap} sessions in this run (cap {cap})",
            )
        budget = policy.acu_budget_per_run
        cap = self.acu_cap(finding)
        if budget is not None and cap is not None:
            needed = self.acu_planned + cap
            if needed > budget + ACU_TOLERANCE:
                return SkipReason.acu_budget, (
                    f"its {cap:g} ACU cap on top of the {self.acu_planned:g} ACU planned for "
                    f"{self.selected} session(s) would exceed the run's budget of {budget:g} ACU"
                )
        return None

    def take(self, finding: Finding) -> None:
        self.remaining -= 1
        self.selected += 1
        self.per_service[service_key(finding.service_name)] += 1
        self.acu_planned += self.acu_cap(finding) or 0.0

    def use(self) -> BudgetUse:
        return BudgetUse(
            global_limit=self.policy.global_session_limit,
            global_period_hours=self.policy.global_period_hours,
            global_used_before=self.used_before,
            global_remaining_after=self.remaining,
            acu_budget=self.policy.acu_budget_per_run,
            acu_planned=self.acu_planned,
        )


def plan_across_runs(
    findings: Sequence[Finding],
    ledger: Ledger,
    services: ServiceCatalog,
    policy: Policy,
    now: datetime,
    max_acu_per_session: float | None,
) -> CrossRunPlan:
    """The findings to dispatch in this run, best first, and why every other one waits."""
    progress = [objective_progress(objective, ledger, now) for objective in policy.objectives]
    unmet = [o for o, p in zip(policy.objectives, progress, strict=True) if o.active and not p.met]
    scored = _scored(findings, ledger, services, policy, now, unmet)
    budgets = _Budgets(ledger, services, policy, now, max_acu_per_session)
    kept: dict[str, str] = {}  # fingerprint -> the finding_id that represents it
    selected: list[PlannedFinding] = []
    skipped: list[SkippedFinding] = []
    for finding, entry, score in scored:
        fingerprint = finding.fingerprint
        reason: tuple[SkipReason, str] | None = None
        if fingerprint is not None and fingerprint in kept:
            reason = SkipReason.duplicate, f"same fingerprint as {kept[fingerprint]}, which ranks higher"
        else:
            if fingerprint is not None:
                kept[fingerprint] = finding.finding_id
            reason = (gate(entry, policy, now) if entry is not None else None) or budgets.refusal(finding)
        if reason is None:
            budgets.take(finding)
            selected.append(PlannedFinding(finding=finding, score=score))
        else:
            skipped.append(
                SkippedFinding(
                    finding_id=finding.finding_id, fingerprint=fingerprint, reason=reason[0], detail=reason[1]
                )
            )
    return CrossRunPlan(selected=selected, skipped=skipped, budget=budgets.use(), objectives=progress)


def rank_by_priority(
    findings: Sequence[Finding], services: ServiceCatalog, now: datetime, policy: Policy | None = None
) -> list[PlannedFinding]:
    """Every finding, best first, scored against an empty history: how a run without the
    findings ledger is ordered. Nothing is skipped and no budget applies."""
    empty = Ledger()
    return [
        PlannedFinding(finding=finding, score=score)
        for finding, _, score in _scored(findings, empty, services, policy or Policy(), now, [])
    ]


def _scored(
    findings: Sequence[Finding],
    ledger: Ledger,
    services: ServiceCatalog,
    policy: Policy,
    now: datetime,
    unmet: Sequence[Objective],
) -> list[tuple[Finding, LedgerEntry | None, PriorityScore]]:
    """Each finding with its ledger entry and score, best first (ties: finding_id)."""
    fix_rates = category_fix_rates(ledger)
    scored = []
    for finding in findings:
        entry = ledger.entries.get(finding.fingerprint) if finding.fingerprint else None
        scored.append(
            (finding, entry, cross_run_score(finding, entry, services, policy, fix_rates, now, unmet))
        )
    scored.sort(key=lambda item: (-item[2].total, item[0].finding_id))
    return scored
