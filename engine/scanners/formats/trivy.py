"""Trivy JSON: an object with "SchemaVersion", or "Results" with "ArtifactName", or a Kubernetes
report's "ClusterName"; legacy Trivy's list of {"Target", "Vulnerabilities"}, or a bare null
(legacy Trivy's report of nothing found)."""

from __future__ import annotations

from engine.scanners.format import ScanFormat
from engine.scanners.trivy import parse_trivy


def _is_report(doc: dict) -> bool:
    return "SchemaVersion" in doc or ("Results" in doc and "ArtifactName" in doc) or "ClusterName" in doc


def _is_legacy_target(first: dict) -> bool:
    return "Target" in first and ("Vulnerabilities" in first or "Type" in first)


FORMAT = ScanFormat(
    name="trivy",
    label="Trivy JSON",
    parse=parse_trivy,
    order=20,
    matches_object=_is_report,
    matches_list_item=_is_legacy_target,
    reads_null=True,
)
