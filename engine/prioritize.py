"""Priority = severity weight + category weight + service weight, kept as parts for the UI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from engine.coded import Coded
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
    FindingCategory.command_injection: 25,
    FindingCategory.code_injection: 25,
    FindingCategory.insecure_deserialization: 25,
    FindingCategory.injection: 20,
    FindingCategory.ssrf: 20,
    FindingCategory.xxe: 20,
    FindingCategory.broken_authentication: 20,
    FindingCategory.missing_authorization: 20,
    FindingCategory.memory_safety: 20,
    FindingCategory.file_upload: 20,
    FindingCategory.weak_cryptography: 15,
    FindingCategory.open_redirect: 15,
    FindingCategory.csrf: 15,
    FindingCategory.input_validation: 15,
    FindingCategory.race_condition: 15,
    FindingCategory.resource_exhaustion: 15,
    FindingCategory.integer_overflow: 15,
    FindingCategory.information_exposure: 15,
    FindingCategory.missing_integrity_check: 15,
    FindingCategory.null_dereference: 10,
    FindingCategory.csv_injection: 10,
    FindingCategory.error_handling: 5,
    FindingCategory.code_quality: 5,
    FindingCategory.other: 10,
}


class ServiceWeights:
    """Service name -> weight; names compare case-insensitively, as exports vary in case."""

    def __init__(self, weights: Mapping[str, int], default: int) -> None:
        self._weights = {name.strip().lower(): weight for name, weight in weights.items()}
        self.default = default

    def __call__(self, service_name: str) -> int:
        return self._weights.get(service_name.strip().lower(), self.default)


def priority_of(
    severity: Severity, category: FindingCategory, service_name: str, services: ServiceWeights
) -> PriorityScore:
    return PriorityScore(
        severity=SEVERITY_WEIGHTS[severity],
        category=CATEGORY_WEIGHTS[category],
        service=services(service_name),
    )


@dataclass
class PriorityOrder:
    """Positions in priority order, with the score's parts in that order."""

    positions: np.ndarray
    severity: np.ndarray
    category: np.ndarray
    service: np.ndarray


def priority_order(
    severity_weight: np.ndarray,
    category_weight: np.ndarray,
    service_names: Coded,
    id_order: np.ndarray,
    positions: np.ndarray,
    services: ServiceWeights,
) -> PriorityOrder:
    """Most urgent first. Ties break on severity, then finding_id (`id_order`: each row's
    rank among the ids), so the same file always plans the same way."""
    sev = severity_weight[positions]
    cat = category_weight[positions]
    svc = service_names.ints(services)[positions]
    # One integer sort key: score descending, then severity descending, then id ascending.
    score = sev + cat + svc
    span = int(id_order.max(initial=0)) + 1
    key = ((int(score.max(initial=0)) - score) * 256 + (255 - sev)) * span + id_order[positions]
    order = np.argsort(key, kind="stable")
    return PriorityOrder(positions[order], sev[order], cat[order], svc[order])
