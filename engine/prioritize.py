"""Priority = severity weight + category weight + service weight, kept as parts for the UI."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from engine.models import FindingCategory, PriorityScore, Severity

SEVERITY_WEIGHTS: dict[Severity, int] = {
    Severity.critical: 40,
    Severity.high: 30,
    Severity.medium: 15,
    Severity.low: 5,
}
CATEGORY_WEIGHTS: dict[FindingCategory, int] = {
    FindingCategory.sql_injection: 25,
    FindingCategory.hardcoded_secret: 25,
    FindingCategory.dependency_vulnerability: 20,
    FindingCategory.xss: 20,
    FindingCategory.path_traversal: 20,
    FindingCategory.pii_logging: 15,
    FindingCategory.missing_encryption: 15,
    FindingCategory.access_logging: 10,
    FindingCategory.other: 10,
}


class ServiceWeights:
    def __init__(self, weights: Mapping[str, int], default: int) -> None:
        self._weights = dict(weights)
        self.default = default

    def __call__(self, service_name: str) -> int:
        return self._weights.get(service_name, self.default)


def priority_of(
    severity: Severity, category: FindingCategory, service_name: str, services: ServiceWeights
) -> PriorityScore:
    return PriorityScore(
        severity=SEVERITY_WEIGHTS[severity],
        category=CATEGORY_WEIGHTS[category],
        service=services(service_name),
    )


def prioritize_frame(frame: pd.DataFrame, services: ServiceWeights) -> pd.DataFrame:
    """Adds the score's parts and rank, sorted most urgent first.

    Ties break on severity, then finding_id, so the same file always plans the same way."""
    out = frame.copy()
    out["priority_severity"] = out["severity"].map({s.value: w for s, w in SEVERITY_WEIGHTS.items()})
    out["priority_category"] = out["category"].map({c.value: w for c, w in CATEGORY_WEIGHTS.items()})
    names = out["service_name"].unique()
    out["priority_service"] = out["service_name"].map({n: services(n) for n in names})
    out["score"] = out["priority_severity"] + out["priority_category"] + out["priority_service"]
    out = out.sort_values(
        ["score", "priority_severity", "finding_id"],
        ascending=[False, False, True],
        kind="stable",
    )
    out["priority_rank"] = range(1, len(out) + 1)
    return out
