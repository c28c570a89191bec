"""What every scanner parser returns: one flat record per result, and the parse as a whole.

Plain slotted dataclasses rather than pydantic models: a 50,000-result SARIF file makes
50,000 records, and validation per record would cost more than reading the JSON."""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.models import FindingCategory, Severity


@dataclass(slots=True)
class ScanRecord:
    scanner: str  # tool name as the file says: "CodeQL", "Semgrep OSS", "Trivy", "Snyk", ...
    rule_id: str | None  # rule / advisory id (CVE, GHSA, snyk id, query id)
    title: str  # one line, <= 200 chars, never empty
    description: str | None  # full message / advisory text, at most 4,000 characters
    severity: Severity
    category: FindingCategory
    cwe_id: str | None  # "CWE-89": the first security-relevant CWE
    file_path: str | None  # repo-relative, forward slashes; None when the location is not a path
    line_number: int | None  # >= 1 or None
    dependency_name: str | None
    current_version: str | None
    fixed_version: str | None
    language: str | None
    service_name: str | None  # only when the file itself names it (e.g. Snyk projectName)
    repo_url: str | None
    fingerprint: str  # 20 lowercase hex characters (engine.core.fingerprints)
    source_ref: str  # where in the file: "runs[0].results[12]", "Results[1].Vulnerabilities[3]", "[17]"
    suppressed: bool = False
    suppression: str | None = None  # why: "external", "inSource: <justification>", "state: fixed", ...


@dataclass
class ScanParse:
    format: str  # "sarif" | "semgrep" | "trivy" | "snyk" | "dependabot" | "github_code_scanning"
    format_label: str  # human: "SARIF 2.1.0 (CodeQL)", "Trivy JSON", ...
    tools: list[str]
    records: list[ScanRecord]  # every finding, suppressed ones included (flagged)
    not_findings: int = 0  # results that are not findings (SARIF kind pass/notApplicable/informational)
    empty_reason: str | None = None  # set when records is empty: a clear sentence why
    merged: int = 0  # entries folded into another record of the same identity (see snyk.py)
