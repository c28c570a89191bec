"""GitHub Dependabot alert exports -> scan records.

Two shapes:
- REST (`GET /repos/{o}/{r}/dependabot/alerts`): a list of alerts with `dependency`,
  `security_advisory`, `security_vulnerability`, `state`;
- GraphQL: data.repository.vulnerabilityAlerts.nodes[] (or edges[].node) with camelCase keys
  (vulnerableManifestPath, securityVulnerability.advisory.identifiers[]).

- State: `dismissed` -> suppressed ("dismissed: <reason>"), `auto_dismissed` and `fixed` ->
  suppressed ("state: ..."), as code-scanning alerts (github.py). GraphQL alerts without a
  `state` are judged by `dismissedAt` / `fixedAt`.
- The vulnerability id is the CVE when the advisory has one, else the GHSA id, so the same
  vulnerable package reported by Trivy or Snyk (which use CVE ids) gets the same fingerprint.
- GitHub keeps separate alerts for separately installed copies of one package (picomatch 2.x
  and 4.x in one yarn.lock); they share a dependency fingerprint and are told apart by alert
  number (identity.py), oldest alert first.
"""

from __future__ import annotations

from engine.core.errors import BadInputError
from engine.core.models import FindingCategory, Severity
from engine.scanners.budget import ScanBudget
from engine.scanners.categories import cwes_in, primary_cwe
from engine.scanners.detect import graphql_alerts
from engine.scanners.github import alert_numbers, alert_state, repo_url_of, text_of
from engine.scanners.identity import dependency_fingerprint, make_unique
from engine.scanners.paths import plain_path
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.severity import from_word
from engine.scanners.text import UNTITLED, join_texts, title_from

SCANNER = "Dependabot"
_ECOSYSTEMS = {
    "npm": "javascript",
    "pip": "python",
    "maven": "java",
    "gradle": "java",
    "go": "go",
    "rubygems": "ruby",
    "nuget": "csharp",
    "composer": "php",
    "rust": "rust",
    "cargo": "rust",
    "pub": "dart",
    "swift": "swift",
}


def _dict(item: object, key: str) -> dict:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, dict) else {}


def _record(
    *,
    ref: str,
    package: str | None,
    ecosystem: str | None,
    manifest: str | None,
    advisory: dict,
    cve: str | None,
    ghsa: str | None,
    severity: object,
    cwes: list,
    fixed: str | None,
    version_range: str | None,
    current: str | None,
    repo_url: str | None,
    suppression: str | None,
) -> ScanRecord:
    vuln_id = cve or ghsa
    summary = text_of(advisory, "summary")
    head = f"{summary or vuln_id or 'vulnerability'} in {package}" if package else summary or vuln_id
    if vuln_id and vuln_id != summary:
        head = f"{head} ({vuln_id})"
    file_path = plain_path(manifest)
    return ScanRecord(
        scanner=SCANNER,
        rule_id=vuln_id,
        title=title_from(head) or UNTITLED,
        description=join_texts(
            text_of(advisory, "description"),
            f"Vulnerable versions: {version_range}" if version_range else None,
        ),
        severity=from_word(severity) or from_word(advisory.get("severity")) or Severity.low,
        category=FindingCategory.dependency_vulnerability,
        cwe_id=primary_cwe(cwes_in(cwes)),
        file_path=file_path,
        line_number=None,
        dependency_name=package,
        current_version=current,
        fixed_version=fixed,
        language=_ECOSYSTEMS.get((ecosystem or "").lower()),
        service_name=None,
        repo_url=repo_url,
        fingerprint=dependency_fingerprint(file_path, package, vuln_id),
        source_ref=ref,
        suppressed=suppression is not None,
        suppression=suppression,
    )


def _rest_alert(alert: dict, index: int) -> ScanRecord:
    dependency = _dict(alert, "dependency")
    package = _dict(dependency, "package")
    advisory = _dict(alert, "security_advisory")
    vulnerability = _dict(alert, "security_vulnerability")
    cwes = advisory.get("cwes") if isinstance(advisory.get("cwes"), list) else []
    _, suppression = alert_state(alert)
    return _record(
        ref=f"[{index}]",
        package=text_of(package, "name") or text_of(_dict(vulnerability, "package"), "name"),
        ecosystem=text_of(package, "ecosystem"),
        manifest=text_of(dependency, "manifest_path"),
        advisory=advisory,
        cve=text_of(advisory, "cve_id"),
        ghsa=text_of(advisory, "ghsa_id"),
        severity=vulnerability.get("severity"),
        cwes=[c.get("cwe_id") for c in cwes if isinstance(c, dict)],
        fixed=text_of(_dict(vulnerability, "first_patched_version"), "identifier"),
        version_range=text_of(vulnerability, "vulnerable_version_range"),
        current=None,
        repo_url=repo_url_of(alert),
        suppression=suppression,
    )


def _graphql_state(node: dict) -> str | None:
    state = (text_of(node, "state") or "").lower()
    if state == "dismissed" or (not state and node.get("dismissedAt")):
        reason = text_of(node, "dismissReason") or "no reason given"
        return f"dismissed: {reason.lower()}"
    if state in ("fixed", "auto_dismissed"):
        return f"state: {state}"
    if not state and node.get("fixedAt"):
        return "state: fixed"
    return None


def _pinned(requirement: str | None) -> str | None:
    """GraphQL `vulnerableRequirements` "= 1.4.200" -> "1.4.200"; a range pins no version."""
    if not requirement or not requirement.startswith("="):
        return None
    version = requirement.lstrip("= ").strip()
    return version if version and " " not in version and "," not in version else None


def _graphql_alert(node: dict, ref: str, repo_url: str | None) -> ScanRecord:
    vulnerability = _dict(node, "securityVulnerability")
    advisory = _dict(vulnerability, "advisory") or _dict(node, "securityAdvisory")
    identifiers = advisory.get("identifiers") if isinstance(advisory.get("identifiers"), list) else []
    ids = {text_of(i, "type"): text_of(i, "value") for i in identifiers if isinstance(i, dict)}
    cwes = _dict(advisory, "cwes").get("nodes")
    return _record(
        ref=ref,
        package=text_of(_dict(vulnerability, "package"), "name"),
        ecosystem=text_of(_dict(vulnerability, "package"), "ecosystem"),
        manifest=text_of(node, "vulnerableManifestPath"),
        advisory=advisory,
        cve=ids.get("CVE"),
        ghsa=ids.get("GHSA") or text_of(advisory, "ghsaId"),
        severity=vulnerability.get("severity"),
        cwes=[c.get("cweId") for c in cwes if isinstance(c, dict)] if isinstance(cwes, list) else [],
        fixed=text_of(_dict(vulnerability, "firstPatchedVersion"), "identifier"),
        version_range=text_of(vulnerability, "vulnerableVersionRange"),
        current=_pinned(text_of(node, "vulnerableRequirements")),
        repo_url=repo_url,
        suppression=_graphql_state(node),
    )


def _counted(record: ScanRecord, budget: ScanBudget) -> ScanRecord:
    if not record.suppressed:
        budget.finding()
    return record


def parse_dependabot(doc: object, name: str, budget: ScanBudget) -> ScanParse:
    records: list[ScanRecord] = []
    if isinstance(doc, list):
        for index, alert in enumerate(doc):
            budget.entry("", index)
            if not isinstance(alert, dict) or not ("security_advisory" in alert or "dependency" in alert):
                raise BadInputError(f"{name}: [{index}] is not a Dependabot alert (no security_advisory)")
            records.append(_counted(_rest_alert(alert, index), budget))
        make_unique(records, alert_numbers(doc))
        label = "GitHub Dependabot alerts (REST export)"
    elif isinstance(doc, dict):
        alerts = graphql_alerts(doc)
        repository = _dict(_dict(doc, "data"), "repository")
        repo_url = text_of(repository, "url")
        nodes = alerts.get("nodes") if isinstance(alerts, dict) else None
        key = "nodes"
        if nodes is None and isinstance(alerts, dict) and isinstance(alerts.get("edges"), list):
            nodes, key = [_dict(e, "node") for e in alerts["edges"]], "edges"
        if not isinstance(nodes, list):
            raise BadInputError(f"{name}: data.repository.vulnerabilityAlerts has no nodes list")
        prefix = f"data.repository.vulnerabilityAlerts.{key}"
        for index, node in enumerate(nodes):
            budget.entry(prefix, index)
            if not isinstance(node, dict):
                raise BadInputError(f"{name}: {prefix}[{index}] is not an alert object")
            records.append(_counted(_graphql_alert(node, f"{prefix}[{index}]", repo_url), budget))
        make_unique(records, alert_numbers(nodes))
        label = "GitHub Dependabot alerts (GraphQL export)"
    else:
        raise BadInputError(f"{name}: not a Dependabot alert export")
    return ScanParse(
        format="dependabot",
        format_label=label,
        tools=[SCANNER],
        records=records,
        empty_reason=None if records else "the export lists no Dependabot alerts",
    )
