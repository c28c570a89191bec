"""Finding category and CWE for a scanner result.

Order of evidence:
1. What the scanner is: a vulnerable-package finding (Trivy, Snyk, Dependabot,
   dependency-check, Anchore, ...) is `dependency_vulnerability` and a secret detector's
   finding is `hardcoded_secret`, whatever CWE the advisory carries. The category picks the
   remediation playbook, and a jQuery advisory tagged CWE-79 is fixed by an upgrade, not by
   escaping output; its CWE is still kept in `cwe_id`.
2. The CWE, through `engine.scanners.cwe_table` (the first CWE of the result the table knows).
3. Keywords in the rule id and title ("sql", "xss", "secret", "path traversal", ...).
4. Otherwise `other`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.core.models import FindingCategory
from engine.scanners.cwe_table import BROAD_CWES, CWE_CATEGORIES

__all__ = ["CWE_CATEGORIES", "category_for", "category_from_keywords", "cwes_in", "primary_cwe"]

_C = FindingCategory

# Checked in this order: "clear-text logging" is about logs before it is about encryption.
_KEYWORDS: tuple[tuple[FindingCategory, re.Pattern[str]], ...] = (
    (_C.sql_injection, re.compile(r"sql")),
    (_C.xss, re.compile(r"xss|cross[- ]site[- ]scripting")),
    (
        _C.path_traversal,
        re.compile(
            r"path[- _]?traversal|directory[- _]traversal|path[- _]injection|tar[- ]?slip|zip[- ]?slip"
        ),
    ),
    (
        _C.pii_logging,
        re.compile(
            r"\bpii\b|clear[- ]?text[- ]logging|sensitive[- ]data[- ]?(?:in[- ])?log|log[- ]sensitive"
        ),
    ),
    (
        _C.hardcoded_secret,
        re.compile(r"secret|password|hard[- ]?coded[- ]credential|credential|private[- ]key|api[-_ ]?key"),
    ),
    (_C.missing_encryption, re.compile(r"clear[- ]?text|unencrypted|encryption|insecure[- ]transport")),
    (_C.access_logging, re.compile(r"audit[- ]log|access[- ]log|log[- ]injection")),
    # The categories added for the CWE Top 25, after the original ones so that what those
    # matched still lands where it did.
    (_C.command_injection, re.compile(r"command[- _]?injection|os[- _]command|shell[- _]injection")),
    (_C.csv_injection, re.compile(r"csv[- _]injection|formula[- _]injection")),
    (_C.code_injection, re.compile(r"code[- _]injection|template[- _]injection|\bssti\b|\beval\b")),
    (_C.injection, re.compile(r"ldap[- _]injection|xpath[- _]injection|header[- _]injection|crlf")),
    (_C.ssrf, re.compile(r"\bssrf\b|server[- ]side[- ]request[- ]forgery")),
    (_C.xxe, re.compile(r"\bxxe\b|xml[- ]external[- ]entit")),
    (_C.insecure_deserialization, re.compile(r"deseriali[sz]")),
    (_C.open_redirect, re.compile(r"open[- _]?redirect|unvalidated[- ]redirect|url[- ]redirect")),
    (_C.csrf, re.compile(r"\bcsrf\b|\bxsrf\b|cross[- ]site[- ]request[- ]forgery")),
    (
        _C.weak_cryptography,
        re.compile(r"weak[- _](?:hash|cipher|crypto|random)|\bmd5\b|\bsha-?1\b|insecure[- _]random"),
    ),
    (_C.file_upload, re.compile(r"file[- _]upload|unrestricted[- _]upload")),
    (_C.memory_safety, re.compile(r"buffer[- _]overflow|out[- _]of[- _]bounds|use[- _]after[- _]free")),
    (_C.race_condition, re.compile(r"race[- _]condition|\btoctou\b|time[- ]of[- ]check")),
    (_C.null_dereference, re.compile(r"null[- _](?:pointer|dereference)|nil[- _]dereference")),
    (_C.integer_overflow, re.compile(r"integer[- _](?:overflow|underflow)")),
    (_C.resource_exhaustion, re.compile(r"\bredos\b|denial[- _]of[- _]service|resource[- _]exhaustion")),
    (_C.missing_integrity_check, re.compile(r"subresource[- _]integrity|missing[- _]integrity")),
    (_C.input_validation, re.compile(r"prototype[- _]pollution|mass[- _]assignment|input[- _]validation")),
    (_C.broken_authentication, re.compile(r"authentication[- _]bypass|missing[- _]authentication")),
    (_C.missing_authorization, re.compile(r"missing[- _]authori[sz]ation|access[- _]control|\bidor\b")),
    (_C.information_exposure, re.compile(r"information[- _](?:disclosure|exposure|leak)|stack[- _]trace")),
)

_CWE_IN_TEXT = re.compile(r"\bcwe[-_:\s]?0*(\d{1,5})\b", re.IGNORECASE)


def cwes_in(values: Iterable[object]) -> list[str]:
    """Every CWE named in tags or ids, in order, deduplicated: "external/cwe/cwe-079",
    "CWE-522: Insufficiently Protected Credentials" and "CWE-346" all count."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str) and ("cwe" in value or "CWE" in value):
            for number in _CWE_IN_TEXT.findall(value):
                cwe = f"CWE-{int(number)}"
                if cwe not in found:
                    found.append(cwe)
    return found


def primary_cwe(cwes: list[str]) -> str | None:
    """The first CWE the category table knows that is not a broad class (CWE-20, CWE-116,
    ...), else the first one it knows, else the first one."""
    known = [cwe for cwe in cwes if cwe in CWE_CATEGORIES]
    specific = [cwe for cwe in known if cwe not in BROAD_CWES]
    return (specific or known or cwes or [None])[0]


def category_from_keywords(*texts: str | None) -> FindingCategory:
    haystack = " ".join(t for t in texts if t).lower()
    for category, pattern in _KEYWORDS:
        if pattern.search(haystack):
            return category
    return _C.other


def category_for(
    cwe_id: str | None,
    *texts: str | None,
    dependency: bool = False,
    secret: bool = False,
) -> FindingCategory:
    if dependency:
        return _C.dependency_vulnerability
    if secret:
        return _C.hardcoded_secret
    if cwe_id is not None:
        found = CWE_CATEGORIES.get(cwe_id)
        if found is not None:
            return found
    return category_from_keywords(*texts)
