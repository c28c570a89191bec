"""GitHub Dependabot alerts: a list of alerts with "security_advisory" / "dependency" (REST
export), or data.repository.vulnerabilityAlerts (GraphQL)."""

from __future__ import annotations

from engine.scanners.dependabot import parse_dependabot
from engine.scanners.detect import graphql_alerts
from engine.scanners.format import ScanFormat


def _is_graphql_export(doc: dict) -> bool:
    return isinstance(graphql_alerts(doc), dict)


def _is_rest_alert(first: dict) -> bool:
    return "security_advisory" in first or ("dependency" in first and "security_vulnerability" in first)


FORMAT = ScanFormat(
    name="dependabot",
    label="GitHub Dependabot alerts (REST or GraphQL export)",
    parse=parse_dependabot,
    order=50,
    matches_object=_is_graphql_export,
    matches_list_item=_is_rest_alert,
)
