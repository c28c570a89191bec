"""The findings CSV's columns and the spellings real exports use for its enum values."""

from __future__ import annotations

import re

from engine.core.models import FindingCategory, Severity

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
    # The categories added for the CWE Top 25, in the spellings scanners and trackers use.
    "os_command_injection": FindingCategory.command_injection,
    "shell_injection": FindingCategory.command_injection,
    "rce": FindingCategory.code_injection,
    "remote_code_execution": FindingCategory.code_injection,
    "eval_injection": FindingCategory.code_injection,
    "template_injection": FindingCategory.code_injection,
    "ssti": FindingCategory.code_injection,
    "ldap_injection": FindingCategory.injection,
    "xpath_injection": FindingCategory.injection,
    "header_injection": FindingCategory.injection,
    "crlf_injection": FindingCategory.injection,
    "server_side_request_forgery": FindingCategory.ssrf,
    "xml_external_entity": FindingCategory.xxe,
    "xml_external_entities": FindingCategory.xxe,
    "deserialization": FindingCategory.insecure_deserialization,
    "unsafe_deserialization": FindingCategory.insecure_deserialization,
    "weak_crypto": FindingCategory.weak_cryptography,
    "cryptography": FindingCategory.weak_cryptography,
    "insecure_randomness": FindingCategory.weak_cryptography,
    "weak_hash": FindingCategory.weak_cryptography,
    "unvalidated_redirect": FindingCategory.open_redirect,
    "url_redirection": FindingCategory.open_redirect,
    "cross_site_request_forgery": FindingCategory.csrf,
    "xsrf": FindingCategory.csrf,
    "improper_input_validation": FindingCategory.input_validation,
    "prototype_pollution": FindingCategory.input_validation,
    "mass_assignment": FindingCategory.input_validation,
    "authentication": FindingCategory.broken_authentication,
    "missing_authentication": FindingCategory.broken_authentication,
    "improper_authentication": FindingCategory.broken_authentication,
    "authorization": FindingCategory.missing_authorization,
    "broken_access_control": FindingCategory.missing_authorization,
    "access_control": FindingCategory.missing_authorization,
    "idor": FindingCategory.missing_authorization,
    "buffer_overflow": FindingCategory.memory_safety,
    "use_after_free": FindingCategory.memory_safety,
    "out_of_bounds": FindingCategory.memory_safety,
    "out_of_bounds_write": FindingCategory.memory_safety,
    "out_of_bounds_read": FindingCategory.memory_safety,
    "toctou": FindingCategory.race_condition,
    "denial_of_service": FindingCategory.resource_exhaustion,
    "dos": FindingCategory.resource_exhaustion,
    "redos": FindingCategory.resource_exhaustion,
    "uncontrolled_resource_consumption": FindingCategory.resource_exhaustion,
    "null_pointer_dereference": FindingCategory.null_dereference,
    "null_pointer": FindingCategory.null_dereference,
    "integer_underflow": FindingCategory.integer_overflow,
    "unrestricted_file_upload": FindingCategory.file_upload,
    "formula_injection": FindingCategory.csv_injection,
    "spreadsheet_formula_injection": FindingCategory.csv_injection,
    "information_disclosure": FindingCategory.information_exposure,
    "info_leak": FindingCategory.information_exposure,
    "sensitive_data_exposure": FindingCategory.information_exposure,
    "subresource_integrity": FindingCategory.missing_integrity_check,
    "integrity_check": FindingCategory.missing_integrity_check,
    "improper_error_handling": FindingCategory.error_handling,
    "exception_handling": FindingCategory.error_handling,
    "dead_code": FindingCategory.code_quality,
    "unused_code": FindingCategory.code_quality,
    "maintainability": FindingCategory.code_quality,
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
