"""The findings CSV's columns and the spellings real exports use for its enum values."""

from __future__ import annotations

import re

from engine.models import FindingCategory, Severity

# The findings CSV format as exports write it (and `sample` generates it), in order.
CSV_COLUMNS: tuple[str, ...] = (
    "finding_id",
    "scanner",
    "category",
    "severity",
    "title",
    "description",
    "service_name",
    "repo_url",
    "file_path",
    "line_number",
    "cwe_id",
    "dependency_name",
    "current_version",
    "fixed_version",
    "language",
)
# Every column the ingest knows: the CSV format plus optional identity columns, which scanner
# imports fill and a CSV may carry too.
COLUMNS: tuple[str, ...] = (*CSV_COLUMNS, "fingerprint", "rule_id")
REQUIRED_COLUMNS: tuple[str, ...] = ("finding_id", "category", "severity", "title", "service_name")
# Cells that must hold a value for the row to be usable.
REQUIRED_VALUES: tuple[str, ...] = REQUIRED_COLUMNS

SEVERITY_ALIASES: dict[str, Severity] = {
    **{s.value: s for s in Severity},
    "crit": Severity.critical,
    "moderate": Severity.medium,
    "med": Severity.medium,
}

CATEGORY_ALIASES: dict[str, FindingCategory] = {
    **{c.value: c for c in FindingCategory},
    "sqli": FindingCategory.sql_injection,
    "sql": FindingCategory.sql_injection,
    "dependency": FindingCategory.dependency_vulnerability,
    "dependencies": FindingCategory.dependency_vulnerability,
    "vulnerable_dependency": FindingCategory.dependency_vulnerability,
    "dependency_vuln": FindingCategory.dependency_vulnerability,
    "sca": FindingCategory.dependency_vulnerability,
    "secret": FindingCategory.hardcoded_secret,
    "secrets": FindingCategory.hardcoded_secret,
    "hardcoded_secrets": FindingCategory.hardcoded_secret,
    "hard_coded_secret": FindingCategory.hardcoded_secret,
    "hardcoded_credentials": FindingCategory.hardcoded_secret,
    "pii": FindingCategory.pii_logging,
    "pii_in_logs": FindingCategory.pii_logging,
    "sensitive_data_logging": FindingCategory.pii_logging,
    "encryption": FindingCategory.missing_encryption,
    "cleartext_transmission": FindingCategory.missing_encryption,
    "insufficient_logging": FindingCategory.access_logging,
    "audit_logging": FindingCategory.access_logging,
    "missing_access_logging": FindingCategory.access_logging,
    "cross_site_scripting": FindingCategory.xss,
    "directory_traversal": FindingCategory.path_traversal,
}

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_name(raw: str) -> str:
    """'Service Name ', 'SERVICE-NAME' and 'service_name' all become 'service_name'."""
    return _NON_WORD.sub("_", raw.replace("\ufeff", "").strip().lower()).strip("_")


def severity_from(raw: str) -> Severity | None:
    return SEVERITY_ALIASES.get(normalize_name(raw))


def category_from(raw: str) -> FindingCategory | None:
    return CATEGORY_ALIASES.get(normalize_name(raw))


_FINGERPRINT = re.compile(r"^[0-9a-f]{20}$")


def fingerprint_from(raw: str) -> str | None:
    """A well-formed fingerprint (20 hex characters, any case) in lower case, else None."""
    value = raw.strip().lower()
    return value if _FINGERPRINT.match(value) else None


_CWE = re.compile(r"^(?:cwe)?[\s:_-]*0*(\d{1,5})$", re.IGNORECASE)


def cwe_from(raw: str) -> str | None:
    """'CWE-89', 'cwe89', '89' -> 'CWE-89'; anything else None."""
    match = _CWE.match(raw.strip())
    return f"CWE-{match.group(1)}" if match else None
