"""The ACU cap of each session: chosen per finding category and severity from the policy's
ACU cap table, so that a dependency upgrade may use more than a one-line fix, and a critical
finding more than a low one, instead of one fixed number for every finding.

The table is a list of rules, each naming a category, a severity, both or neither, with the
cap (`max_acu`, sent as the session's `max_acu_limit`). The most specific matching rule wins:

    category and severity  >  category alone  >  severity alone  >  neither (any finding)

and a finding no rule matches gets the run setting `max_acu_per_session`. The category wins
over the severity because it decides how much work a fix takes; the severity only decides how
much the fix is worth. Two rules for the same category and severity are refused.

The rules are kept in the policy file (engine/policy/policy.py, `[[acu_caps]]`) and copied
into the run's configuration at launch, so a resumed run caps its sessions as it did before."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.core.finding_kinds import FindingCategory, Severity

MAX_ACU_CAP = 1000  # a cap above this is a typo, not a budget


def _categories() -> tuple[str, ...]:
    return tuple(FindingCategory)


def _severities() -> tuple[str, ...]:
    return tuple(Severity)


class AcuCapRule(BaseModel):
    """One row of the ACU cap table; None in `category` or `severity` matches every value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str | None = None
    severity: str | None = None
    max_acu: int = Field(ge=1, le=MAX_ACU_CAP)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in _categories():
            raise ValueError(f"unknown category {value!r}")
        return value

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str | None) -> str | None:
        if value is not None and value not in _severities():
            raise ValueError(f"unknown severity {value!r} (expected one of {'/'.join(_severities())})")
        return value

    @property
    def specificity(self) -> int:
        return (2 if self.category is not None else 0) + (1 if self.severity is not None else 0)

    def matches(self, category: str, severity: str) -> bool:
        return self.category in (None, category) and self.severity in (None, severity)

    def describe(self) -> str:
        """e.g. "policy: sql_injection, critical", "policy: any category, low"."""
        return f"policy: {self.category or 'any category'}, {self.severity or 'any severity'}"


class AcuCap(BaseModel):
    """The cap a session is created with, and where it comes from (shown per session)."""

    max_acu: int = Field(ge=1)
    rule: str


RUN_SETTING_RULE = "run setting max_acu_per_session"


def duplicate_rule(rules: Sequence[AcuCapRule]) -> int | None:
    """The index of the first rule that repeats an earlier one's category and severity."""
    seen: set[tuple[str | None, str | None]] = set()
    for index, rule in enumerate(rules):
        key = (rule.category, rule.severity)
        if key in seen:
            return index
        seen.add(key)
    return None


def acu_cap_for(rules: Sequence[AcuCapRule], category: str, severity: str, default: int) -> AcuCap:
    """The cap for a finding of `category` and `severity`: the most specific matching rule's,
    else `default` (the run setting)."""
    matching = [rule for rule in rules if rule.matches(str(category), str(severity))]
    if not matching:
        return AcuCap(max_acu=default, rule=RUN_SETTING_RULE)
    best = max(matching, key=lambda rule: rule.specificity)
    return AcuCap(max_acu=best.max_acu, rule=best.describe())
