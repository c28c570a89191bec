"""The cross-run policy (`policy.toml`): SLAs, session budgets, retry rules and objectives.

    [sla]                      # days per severity; an open finding is at risk from 75 %
    critical = 7
    high = 30
    medium = 90
    low = 180
    at_risk_fraction = 0.75

    [budget]
    global_session_limit = 20  # sessions across all runs within the period
    global_period_hours = 24
    per_service_cap = 5        # optional, per run; a service's max_sessions_per_run wins
    acu_budget_per_run = 100   # optional

    [budget.simulated]         # simulated runs: their own budget, the live one is untouched
    global_session_limit = 10000
    global_period_hours = 24
    per_service_cap = 5        # optional (none by default)
    acu_budget_per_run = 100   # optional (none by default)

    [retry]
    max_attempts = 4           # failed attempts before a finding needs a human
    cooldown_hours = [24, 72, 168]   # wait after the 1st, 2nd, 3rd... failure (last repeats)

    [[objectives]]
    id = "halve-high"
    title = "Halve high findings"
    kind = "reduce"            # or "eliminate"
    severity = "high"          # optional; so is category
    fraction = 0.5
    baseline = 40              # optional, see objectives.py

    [[acu_caps]]               # the ACU cap of each session, see engine/core/acu_caps.py
    category = "dependency_vulnerability"   # and/or severity; the most specific row wins
    max_acu = 12

A missing file means the defaults (and no objectives). Every key is optional; unknown keys
are errors, so a typo never silently falls back to a default. Saving rewrites the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from engine.core.acu_caps import AcuCap, AcuCapRule, acu_cap_for, duplicate_rule
from engine.core.models import FindingCategory, Severity
from engine.ledger.retry import DEFAULT_COOLDOWN_HOURS, DEFAULT_MAX_ATTEMPTS, cooldown_after
from engine.policy.acu_caps import SECTION as ACU_CAPS_SECTION
from engine.policy.acu_caps import acu_caps_document, parse_acu_caps
from engine.policy.objectives import Objective
from engine.policy.sla import SlaPolicy
from engine.policy.tomlio import (
    Where,
    choice,
    number,
    read_toml,
    reject_unknown,
    table,
    text,
    whole,
    write_toml,
)

SECTIONS = ("sla", "budget", "retry", "objectives", ACU_CAPS_SECTION)
SLA_KEYS = (*(s.value for s in Severity), "at_risk_fraction")
BUDGET_KEYS = ("global_session_limit", "global_period_hours", "per_service_cap", "acu_budget_per_run")
RETRY_KEYS = ("max_attempts", "cooldown_hours")
OBJECTIVE_KEYS = ("id", "title", "kind", "severity", "category", "fraction", "baseline", "active")
SIMULATED = "simulated"  # the [budget.simulated] table
HEADER = "# Patchwave cross-run policy: SLAs, session budgets, retries, objectives and ACU caps.\n"


class SimulatedBudget(BaseModel):
    """The budget simulated runs plan and claim with. A simulated session costs nothing, so the
    default is generous, and simulated runs never use up (or wait for) the live budget: the
    README's commands and the demo succeed however often they are run."""

    global_session_limit: int = Field(default=10_000, ge=0)
    global_period_hours: float = Field(default=24, gt=0)
    per_service_cap: int | None = Field(default=None, ge=0)
    acu_budget_per_run: float | None = Field(default=None, gt=0)


class Policy(BaseModel):
    sla: SlaPolicy = Field(default_factory=SlaPolicy)
    objectives: list[Objective] = Field(default_factory=list)
    global_session_limit: int = Field(default=20, ge=0)
    global_period_hours: float = Field(default=24, gt=0)
    per_service_cap: int | None = Field(default=None, ge=0)
    acu_budget_per_run: float | None = Field(default=None, gt=0)
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1)
    cooldown_hours: list[float] = Field(default_factory=lambda: list(DEFAULT_COOLDOWN_HOURS), min_length=1)
    simulated: SimulatedBudget = Field(default_factory=SimulatedBudget)
    # The ACU cap of each session by category and severity (engine/core/acu_caps.py); findings no
    # rule matches get the run setting max_acu_per_session.
    acu_caps: list[AcuCapRule] = Field(default_factory=list)

    @field_validator("cooldown_hours")
    @classmethod
    def _cooldowns(cls, value: list[float]) -> list[float]:
        if any(hours <= 0 for hours in value):
            raise ValueError("cooldowns must be positive numbers of hours")
        return value

    @field_validator("objectives")
    @classmethod
    def _unique_ids(cls, value: list[Objective]) -> list[Objective]:
        ids = [objective.id for objective in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"objective id {duplicates[0]!r} is used twice")
        return value

    def for_data_source(self, data_source: str) -> Policy:
        """The policy a run of `data_source` plans and claims with: a simulated run has the
        `[budget.simulated]` limits in place of the live ones (SLAs, retries and objectives are
        the same)."""
        if data_source != "simulated":
            return self
        return self.model_copy(update=self.simulated.model_dump())

    @field_validator("acu_caps")
    @classmethod
    def _one_cap_per_key(cls, value: list[AcuCapRule]) -> list[AcuCapRule]:
        index = duplicate_rule(value)
        if index is not None:
            raise ValueError(f"ACU cap row {index} repeats an earlier row's category and severity")
        return value

    def acu_cap(self, category: str, severity: str, default: int) -> AcuCap:
        """The ACU cap of a session for a finding of `category` and `severity`."""
        return acu_cap_for(self.acu_caps, category, severity, default)

    def cooldown_after(self, failures: int) -> float:
        """Hours to wait after the `failures`-th failed attempt (the last value repeats)."""
        return cooldown_after(self.cooldown_hours, failures)


# --- reading -------------------------------------------------------------------------------


def _sla(raw: Any, where: Where) -> SlaPolicy:
    data = table(raw, where)
    reject_unknown(data, SLA_KEYS, where)
    days = {
        Severity(key): whole(data[key], where / key, 1, what="a whole number of days")
        for key in Severity
        if key in data
    }
    fraction = number(data.get("at_risk_fraction", 0.75), where / "at_risk_fraction", above=0, at_most=1)
    return SlaPolicy(days=days, at_risk_fraction=fraction)


def _budget(raw: Any, where: Where) -> dict[str, Any]:
    data = table(raw, where)
    reject_unknown(data, (*BUDGET_KEYS, SIMULATED), where)
    out = _budget_limits(data, where)
    if SIMULATED in data:
        sub = table(data[SIMULATED], where / SIMULATED)
        reject_unknown(sub, BUDGET_KEYS, where / SIMULATED)
        out[SIMULATED] = SimulatedBudget(**_budget_limits(sub, where / SIMULATED))
    return out


def _budget_limits(data: dict[str, Any], where: Where) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "global_session_limit" in data:
        out["global_session_limit"] = whole(data["global_session_limit"], where / "global_session_limit", 0)
    if "global_period_hours" in data:
        out["global_period_hours"] = number(
            data["global_period_hours"], where / "global_period_hours", above=0
        )
    if "per_service_cap" in data:
        out["per_service_cap"] = whole(data["per_service_cap"], where / "per_service_cap", 0)
    if "acu_budget_per_run" in data:
        out["acu_budget_per_run"] = number(data["acu_budget_per_run"], where / "acu_budget_per_run", above=0)
    return out


def _retry(raw: Any, where: Where) -> dict[str, Any]:
    data = table(raw, where)
    reject_unknown(data, RETRY_KEYS, where)
    out: dict[str, Any] = {}
    if "max_attempts" in data:
        out["max_attempts"] = whole(data["max_attempts"], where / "max_attempts", 1)
    if "cooldown_hours" in data:
        hours = data["cooldown_hours"]
        if not isinstance(hours, list) or not hours:
            raise (where / "cooldown_hours").error("expected a non-empty list of hours, e.g. [24, 72, 168]")
        out["cooldown_hours"] = [
            number(h, where / "cooldown_hours" / i, above=0) for i, h in enumerate(hours)
        ]
    return out


def _objective(raw: Any, where: Where) -> Objective:
    data = table(raw, where)
    reject_unknown(data, OBJECTIVE_KEYS, where)
    if "id" not in data:
        raise (where / "id").error("missing: every objective needs an id")
    values: dict[str, Any] = {"id": text(data["id"], where / "id")}
    if "title" in data:
        values["title"] = text(data["title"], where / "title")
    if "kind" in data:
        values["kind"] = choice(data["kind"], where / "kind", ("eliminate", "reduce"))
    if "severity" in data:
        values["severity"] = choice(data["severity"], where / "severity", tuple(Severity))
    if "category" in data:
        values["category"] = choice(data["category"], where / "category", tuple(FindingCategory))
    if "fraction" in data:
        values["fraction"] = number(data["fraction"], where / "fraction", above=0, at_most=1)
    if "baseline" in data:
        values["baseline"] = whole(data["baseline"], where / "baseline", 0)
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise (where / "active").error(f"expected true or false, got {data['active']!r}")
        values["active"] = data["active"]
    return Objective(**values)


def parse_policy(document: dict[str, Any], path: Path) -> Policy:
    """The policy in a parsed policy file; BadInputError names the file and key."""
    root = Where(path)
    reject_unknown(document, SECTIONS, root)
    values: dict[str, Any] = {}
    if "sla" in document:
        values["sla"] = _sla(document["sla"], root / "sla")
    values.update(_budget(document.get("budget", {}), root / "budget"))
    values.update(_retry(document.get("retry", {}), root / "retry"))
    raw_objectives = document.get("objectives", [])
    if not isinstance(raw_objectives, list):
        raise (root / "objectives").error("expected [[objectives]] tables")
    objectives = [_objective(raw, root / "objectives" / i) for i, raw in enumerate(raw_objectives)]
    seen: set[str] = set()
    for i, objective in enumerate(objectives):
        if objective.id in seen:
            raise (root / "objectives" / i / "id").error(f"objective id {objective.id!r} is used twice")
        seen.add(objective.id)
    if ACU_CAPS_SECTION in document:
        values["acu_caps"] = parse_acu_caps(document[ACU_CAPS_SECTION], root / ACU_CAPS_SECTION)
    return Policy(objectives=objectives, **values)


def load_policy(path: Path) -> Policy:
    """The policy in `path`; the defaults when the file does not exist."""
    path = Path(path)
    document = read_toml(path)
    return Policy() if document is None else parse_policy(document, path)


# --- writing -------------------------------------------------------------------------------


def _whole_if_integral(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _objective_table(objective: Objective) -> dict[str, Any]:
    data = objective.model_dump(mode="json", exclude_none=True)
    if not data.get("title"):
        data.pop("title", None)  # an empty title reads back as "use the id"
    return data


def policy_document(policy: Policy) -> dict[str, Any]:
    sla: dict[str, Any] = {severity.value: days for severity, days in policy.sla.days.items()}
    sla["at_risk_fraction"] = policy.sla.at_risk_fraction
    budget: dict[str, Any] = {
        "global_session_limit": policy.global_session_limit,
        "global_period_hours": _whole_if_integral(policy.global_period_hours),
    }
    if policy.per_service_cap is not None:
        budget["per_service_cap"] = policy.per_service_cap
    if policy.acu_budget_per_run is not None:
        budget["acu_budget_per_run"] = _whole_if_integral(policy.acu_budget_per_run)
    if policy.simulated != SimulatedBudget():  # the default needs no table
        simulated = policy.simulated.model_dump(exclude_none=True)
        simulated["global_period_hours"] = _whole_if_integral(simulated["global_period_hours"])
        if "acu_budget_per_run" in simulated:
            simulated["acu_budget_per_run"] = _whole_if_integral(simulated["acu_budget_per_run"])
        budget[SIMULATED] = simulated
    retry = {
        "max_attempts": policy.max_attempts,
        "cooldown_hours": [_whole_if_integral(hours) for hours in policy.cooldown_hours],
    }
    document: dict[str, Any] = {"sla": sla, "budget": budget, "retry": retry}
    if policy.objectives:
        document["objectives"] = [_objective_table(objective) for objective in policy.objectives]
    if policy.acu_caps:
        document[ACU_CAPS_SECTION] = acu_caps_document(policy.acu_caps)
    return document


def save_policy(path: Path, policy: Policy) -> None:
    """Writes the policy atomically under `<path>.lock`."""
    write_toml(Path(path), policy_document(policy), HEADER)
