"""Cross-run policy: service importance, SLAs, objectives, budgets and the cross-run plan.

Everything here is a pure function of the ledger (engine.ledger) plus two TOML files
(`services.toml`, `policy.toml`) and an explicit `now`, so tests control the clock:

- services.py: the service catalog (importance, tags, per-run session cap);
- policy.py: the policy file (SLA days, session budgets, retry cooldowns, objectives);
- sla.py / objectives.py: SLA states and objective progress over the ledger;
- priority.py: the cross-run score, kept as parts that add up to the total;
- gates.py / plan.py: which findings of an upload get sessions now, and why the rest wait.
"""

from engine.policy.gates import SkipReason
from engine.policy.objectives import (
    Objective,
    ObjectiveProgress,
    objective_progress,
    serves,
    unmet_objectives,
)
from engine.policy.plan import (
    BudgetUse,
    CrossRunPlan,
    PlannedFinding,
    SkippedFinding,
    plan_across_runs,
    rank_by_priority,
)
from engine.policy.policy import Policy, SimulatedBudget, load_policy, save_policy
from engine.policy.priority import category_fix_rates, cross_run_score
from engine.policy.services import (
    DEFAULT_IMPORTANCE,
    IMPORTANCE_WORDS,
    ServiceCatalog,
    ServiceProfile,
    load_services,
    save_services,
)
from engine.policy.sla import SlaPolicy, SlaStatus, SlaSummary, sla_status, sla_summary

__all__ = [
    "DEFAULT_IMPORTANCE",
    "IMPORTANCE_WORDS",
    "BudgetUse",
    "CrossRunPlan",
    "Objective",
    "ObjectiveProgress",
    "PlannedFinding",
    "Policy",
    "ServiceCatalog",
    "ServiceProfile",
    "SimulatedBudget",
    "SkipReason",
    "SkippedFinding",
    "SlaPolicy",
    "SlaStatus",
    "SlaSummary",
    "category_fix_rates",
    "cross_run_score",
    "load_policy",
    "load_services",
    "objective_progress",
    "plan_across_runs",
    "rank_by_priority",
    "save_policy",
    "save_services",
    "serves",
    "sla_status",
    "sla_summary",
    "unmet_objectives",
]
