"""The policy file's ACU cap table (`[[acu_caps]]`), read and written with errors that name
the file and the row. What the rules mean and how one is chosen: engine/core/acu_caps.py.

    [[acu_caps]]
    category = "dependency_vulnerability"   # optional: any category when missing
    max_acu = 12

    [[acu_caps]]
    severity = "critical"                   # optional: any severity when missing
    max_acu = 10

    [[acu_caps]]
    category = "sql_injection"
    severity = "low"
    max_acu = 3
"""

from __future__ import annotations

from typing import Any

from engine.core.acu_caps import MAX_ACU_CAP, AcuCapRule
from engine.core.models import FindingCategory, Severity
from engine.policy.tomlio import Where, choice, reject_unknown, table, whole

SECTION = "acu_caps"
ACU_CAP_KEYS = ("category", "severity", "max_acu")


def _rule(raw: Any, where: Where) -> AcuCapRule:
    data = table(raw, where)
    reject_unknown(data, ACU_CAP_KEYS, where)
    if "max_acu" not in data:
        raise (where / "max_acu").error("missing: every ACU cap needs max_acu, a whole number of ACUs")
    values: dict[str, Any] = {
        "max_acu": whole(data["max_acu"], where / "max_acu", 1, MAX_ACU_CAP, what="a whole number of ACUs")
    }
    if "category" in data:
        values["category"] = choice(data["category"], where / "category", tuple(FindingCategory))
    if "severity" in data:
        values["severity"] = choice(data["severity"], where / "severity", tuple(Severity))
    return AcuCapRule(**values)


def parse_acu_caps(raw: Any, where: Where) -> list[AcuCapRule]:
    """The rules of `[[acu_caps]]`; BadInputError names the row of a bad or repeated rule."""
    if not isinstance(raw, list):
        raise where.error("expected [[acu_caps]] tables, each with max_acu and a category, severity or both")
    rules: list[AcuCapRule] = []
    seen: dict[tuple[str | None, str | None], int] = {}
    for index, item in enumerate(raw):
        rule = _rule(item, where / index)
        key = (rule.category, rule.severity)
        if key in seen:
            raise (where / index).error(
                f"repeats the ACU cap of row {seen[key]} ({rule.describe().removeprefix('policy: ')}); "
                "keep one row per category and severity"
            )
        seen[key] = index
        rules.append(rule)
    return rules


def acu_caps_document(rules: list[AcuCapRule]) -> list[dict[str, Any]]:
    return [rule.model_dump(exclude_none=True) for rule in rules]
