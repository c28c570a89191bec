"""Finding category and CWE for a scanner result.

Order of evidence:
1. What the scanner is: a vulnerable-package finding (Trivy, Snyk, Dependabot,
   dependency-check, Anchore, ...) is `dependency_vulnerability` and a secret detector's
   finding is `hardcoded_secret`, whatever CWE the advisory carries. The category picks the
   remediation playbook, and a jQuery advisory tagged CWE-79 is fixed by an upgrade, not by
   escaping output; its CWE is still kept in `cwe_id`.
2. The CWE, through the table below (the first CWE of the result the table knows).
3. Keywords in the rule id and title ("sql", "xss", "secret", "path traversal", ...).
4. Otherwise `other`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.models import FindingCategory

_C = FindingCategory
CWE_CATEGORIES: dict[str, FindingCategory] = {
    **{f"CWE-{n}": _C.sql_injection for n in (89, 564, 943)},
    **{f"CWE-{n}": _C.xss for n in (79, 80, 83, 87)},
    **{f"CWE-{n}": _C.path_traversal for n in (22, 23, 35, 36, 73)},
    **{f"CWE-{n}": _C.hardcoded_secret for n in (798, 259, 321, 522, 547)},
    **{f"CWE-{n}": _C.pii_logging for n in (532, 359, 215)},
    **{f"CWE-{n}": _C.missing_encryption for n in (311, 312, 319, 326, 327, 328, 614)},
    **{f"CWE-{n}": _C.access_logging for n in (778, 117, 223)},
}

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
    """The first CWE the category table knows, else the first one."""
    for cwe in cwes:
        if cwe in CWE_CATEGORIES:
            return cwe
    return cwes[0] if cwes else None


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
