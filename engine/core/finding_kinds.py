"""What kind of finding it is: its severity and its category. Declared apart from the data model
(engine/core/models.py) because the rules that read them, such as the ACU caps (engine/core/acu_caps.py),
are themselves part of that model."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


class FindingCategory(StrEnum):
    dependency_vulnerability = "dependency_vulnerability"
    sql_injection = "sql_injection"
    hardcoded_secret = "hardcoded_secret"
    pii_logging = "pii_logging"
    missing_encryption = "missing_encryption"
    access_logging = "access_logging"
    xss = "xss"
    path_traversal = "path_traversal"
    # From the CWE Top 25 and what real scanners report (engine/scanners/cwe_table.py).
    command_injection = "command_injection"
    code_injection = "code_injection"
    injection = "injection"  # other interpreters: LDAP, XPath, HTTP headers, templates
    ssrf = "ssrf"
    xxe = "xxe"
    insecure_deserialization = "insecure_deserialization"
    weak_cryptography = "weak_cryptography"
    open_redirect = "open_redirect"
    csrf = "csrf"
    input_validation = "input_validation"
    broken_authentication = "broken_authentication"
    missing_authorization = "missing_authorization"
    memory_safety = "memory_safety"
    race_condition = "race_condition"
    resource_exhaustion = "resource_exhaustion"
    null_dereference = "null_dereference"
    integer_overflow = "integer_overflow"
    file_upload = "file_upload"
    csv_injection = "csv_injection"
    information_exposure = "information_exposure"
    missing_integrity_check = "missing_integrity_check"
    error_handling = "error_handling"
    code_quality = "code_quality"
    other = "other"
