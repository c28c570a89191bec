"""Which scanner format a JSON document is, by its shape alone (never by file name: SARIF is
often saved as .json, and exports keep whatever name the user gave them).

Shapes:
- sarif: an object with "runs" and "version" or "$schema" (the schema URL is not checked:
  real logs use half a dozen spellings of it);
- semgrep: an object whose "results" hold "check_id"s, or the empty {"results": [], "errors": []};
- trivy: an object with "SchemaVersion", or "Results" with "ArtifactName", or a Kubernetes
  report's "ClusterName"; legacy Trivy's list of {"Target", "Vulnerabilities"}, or a bare null;
- snyk: an object with "vulnerabilities" and "packageManager" or "projectName", or a list of
  them (snyk test --all-projects);
- dependabot: a list of alerts with "security_advisory" / "dependency" (REST export), or
  data.repository.vulnerabilityAlerts (GraphQL);
- github_code_scanning: a list of alerts with "rule" and "most_recent_instance".
"""

from __future__ import annotations

SUPPORTED_FORMATS = (
    "SARIF 2.1.0 (CodeQL, Semgrep, Snyk Code, Trivy, ...), Semgrep JSON, Trivy JSON, Snyk JSON, "
    "GitHub Dependabot alerts (REST or GraphQL export) and GitHub code-scanning alerts (REST export)"
)


def _is_snyk_project(value: object) -> bool:
    return (
        isinstance(value, dict)
        and "vulnerabilities" in value
        and ("packageManager" in value or "projectName" in value)
    )


def graphql_alerts(doc: dict) -> object:
    data = doc.get("data")
    repository = data.get("repository") if isinstance(data, dict) else None
    return repository.get("vulnerabilityAlerts") if isinstance(repository, dict) else None


def shape_of(doc: object) -> str | None:
    """The format name of a parsed JSON document, or None when it is no format we read."""
    if doc is None:
        return "trivy"  # legacy Trivy writes a bare `null` when it finds nothing
    if isinstance(doc, dict):
        return _object_shape(doc)
    if isinstance(doc, list) and doc:
        return list_shape(doc[0])
    return None


def _object_shape(doc: dict) -> str | None:
    if "runs" in doc and ("version" in doc or "$schema" in doc):
        return "sarif"
    if "SchemaVersion" in doc or ("Results" in doc and "ArtifactName" in doc) or "ClusterName" in doc:
        return "trivy"
    if _is_snyk_project(doc):
        return "snyk"
    results = doc.get("results")
    if isinstance(results, list):
        if results and isinstance(results[0], dict) and "check_id" in results[0]:
            return "semgrep"
        if not results and "errors" in doc:
            return "semgrep"
    if isinstance(graphql_alerts(doc), dict):
        return "dependabot"
    return None


def list_shape(first: object) -> str | None:
    """The format of a JSON list, told by its first item (only its keys count)."""
    if not isinstance(first, dict):
        return None
    if "Target" in first and ("Vulnerabilities" in first or "Type" in first):
        return "trivy"
    if _is_snyk_project(first):
        return "snyk"
    if "security_advisory" in first or ("dependency" in first and "security_vulnerability" in first):
        return "dependabot"
    if "rule" in first and "most_recent_instance" in first:
        return "github_code_scanning"
    return None


def describe(doc: object) -> str:
    """What an unrecognised JSON document looks like, for the error message."""
    if isinstance(doc, dict):
        return f"a JSON object with {_keys(doc)}"
    if isinstance(doc, list):
        if not doc:
            return "an empty JSON list"
        first = doc[0]
        if isinstance(first, dict):
            return f"a JSON list of {len(doc):,} items, the first an object with {_keys(first)}"
        return f"a JSON list of {len(doc):,} items, the first a {json_type(first)}"
    return f"a single JSON {json_type(doc)}"


def _keys(value: dict) -> str:
    if not value:
        return "no keys"
    keys = [repr(k) for k in list(value)[:8]]
    more = f" and {len(value) - 8:,} more" if len(value) > 8 else ""
    return f"keys {', '.join(keys)}{more}"


def json_type(value: object) -> str:
    """A JSON value's kind in JSON's words, for error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"
