"""Security objectives ("no critical findings", "halve the high ones") and their progress.

An objective selects ledger entries by severity and/or category (neither = every entry)
and counts the open ones (see states.py: pr_merged is open until a scan verifies the fix).
False positives and risk-accepted entries are left out of every count, baseline included,
so triaging a finding away is never reported as remediation progress.

- `eliminate`: target 0 open entries.
- `reduce`: target floor(baseline * (1 - fraction)) open entries, i.e. at least `fraction`
  of the baseline gone ("halve" = 0.5 with 7 at baseline -> at most 3 left).

Baseline: the objective's configured `baseline` when set. Otherwise it is derived from the
ledger, never stored: the number of selected entries that were already known at the
ledger's earliest import (`first_seen <= imports[0].imported_at`; all of them were open at
that moment since they had just been seen). This keeps the baseline stable as later scans
add or fix findings, and it needs no extra state. A ledger without imports uses the
earliest `first_seen` instead; an empty ledger has baseline 0.

`pct` is the share of the way from baseline to target, 0-100 (100 when met).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.core.models import FindingCategory, Severity
from engine.ledger.models import Ledger
from engine.policy.states import EXCLUDED_STATES, as_utc, effective_state, is_open

ObjectiveKind = Literal["eliminate", "reduce"]


class Classified(Protocol):
    """Anything with a severity and a category: a Finding or a LedgerEntry."""

    @property
    def severity(self) -> Severity: ...

    @property
    def category(self) -> FindingCategory: ...


class Objective(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str = ""
    kind: ObjectiveKind = "eliminate"
    severity: Severity | None = None
    category: FindingCategory | None = None
    fraction: float = Field(default=0.5, gt=0, le=1)
    baseline: int | None = Field(default=None, ge=0)
    active: bool = True  # inactive objectives are shown but give no priority boost

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("an objective needs an id")
        return value.strip()

    @property
    def label(self) -> str:
        return self.title or self.id


class ObjectiveProgress(BaseModel):
    objective_id: str
    current: int
    target: int
    baseline: int
    baseline_source: Literal["configured", "first_import"]
    met: bool
    pct: float


def serves(objective: Objective, item: Classified) -> bool:
    """True when fixing `item` (a Finding or LedgerEntry) counts toward the objective."""
    if objective.severity is not None and item.severity != objective.severity:
        return False
    return objective.category is None or item.category == objective.category


def derived_baseline(objective: Objective, ledger: Ledger, now: datetime) -> int:
    """Selected, non-excluded entries already known at the ledger's earliest import."""
    entries = list(ledger.entries.values())
    if ledger.imports:
        start = min(as_utc(item.imported_at) for item in ledger.imports)
    elif entries:
        start = min(as_utc(entry.first_seen) for entry in entries)
    else:
        return 0
    return sum(
        1
        for entry in entries
        if serves(objective, entry)
        and effective_state(entry, now) not in EXCLUDED_STATES
        and as_utc(entry.first_seen) <= start
    )


def target_of(objective: Objective, baseline: int) -> int:
    if objective.kind == "eliminate":
        return 0
    # The epsilon keeps 10 * (1 - 0.7) = 2.999... from becoming 2.
    return math.floor(baseline * (1 - objective.fraction) + 1e-9)


def objective_progress(objective: Objective, ledger: Ledger, now: datetime) -> ObjectiveProgress:
    current = sum(1 for entry in ledger.entries.values() if serves(objective, entry) and is_open(entry, now))
    if objective.baseline is not None:
        baseline, source = objective.baseline, "configured"
    else:
        baseline, source = derived_baseline(objective, ledger, now), "first_import"
    target = target_of(objective, baseline)
    met = current <= target
    if met:
        pct = 100.0
    elif baseline <= target:
        pct = 0.0  # more open now than the baseline allowed: no progress to show
    else:
        pct = min(max((baseline - current) / (baseline - target) * 100, 0.0), 100.0)
    return ObjectiveProgress(
        objective_id=objective.id,
        current=current,
        target=target,
        baseline=baseline,
        baseline_source=source,
        met=met,
        pct=round(pct, 1),
    )


def unmet_objectives(objectives: Iterable[Objective], ledger: Ledger, now: datetime) -> list[Objective]:
    """The active objectives not met at `now`: the ones that boost a finding's priority."""
    return [
        objective
        for objective in objectives
        if objective.active and not objective_progress(objective, ledger, now).met
    ]
