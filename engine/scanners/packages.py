"""Package and advisory details that scanners write as text: vulnerability ids in rule ids,
"Package: curl / Installed Version: 7.61.0" lines in SARIF rule help, and package URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_VULN_ID = re.compile(
    r"\b(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+|RUSTSEC-\d{4}-\d+|GO-\d{4}-\d+"
    r"|NSWG-ECO-\d+|SNYK-[A-Z0-9]+(?:-[A-Z0-9]+)*|ALAS\d*-\d{4}-\d+|DSA-\d+-\d+|USN-\d+-\d+)\b",
    re.IGNORECASE,
)
_SEVERITY_PREFIX = re.compile(r"^\s*\[[A-Za-z]+\]\s*")
_PACKAGE = re.compile(r"^\s*\**Package\**\s*[:=]\s*(\S[^\n|]*?)\s*$", re.MULTILINE | re.IGNORECASE)
_INSTALLED = re.compile(
    r"^\s*\**(?:Installed Version|Version)\**\s*[:=]\s*(\S[^\n|]*?)\s*$", re.MULTILINE | re.IGNORECASE
)
_FIXED = re.compile(
    r"^\s*\**(?:Fixed Version|Fix Version|Fixed In)\**\s*[:=]\s*(\S[^\n|]*?)\s*$",
    re.MULTILINE | re.IGNORECASE,
)
_NO_VALUE = {"", "none", "null", "n/a", "-", "unknown"}


@dataclass(slots=True)
class PackageInfo:
    name: str | None = None
    version: str | None = None
    fixed: str | None = None


def vulnerability_id(*texts: str | None) -> str | None:
    """The first CVE/GHSA/... id in the texts."""
    for text in texts:
        if text:
            match = _VULN_ID.search(text)
            if match:
                found = match.group(1)
                return found.upper() if found[:3].lower() in ("cve", "sny") else found
    return None


def without_severity_prefix(rule_id: str) -> str:
    """'[MEDIUM] NSWG-ECO-516' -> 'NSWG-ECO-516'."""
    return _SEVERITY_PREFIX.sub("", rule_id) if rule_id.startswith("[") else rule_id


def _value(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    if not match:
        return None
    value = match.group(1).strip()
    return None if value.lower() in _NO_VALUE else value


def package_from_text(text: str | None) -> PackageInfo:
    """'Package: curl\\nInstalled Version: 7.61.0-r0\\nFixed Version: 7.61.1-r0' (Trivy and
    Anchore SARIF rule help) -> its package details."""
    if not text or "ackage" not in text:
        return PackageInfo()
    return PackageInfo(_value(_PACKAGE, text), _value(_INSTALLED, text), _value(_FIXED, text))


def package_from_purl(purl: object) -> PackageInfo:
    """'pkg:maven/org.apache/tomcat@9.0.1' -> org.apache:tomcat 9.0.1; 'pkg:npm/%40scope/x@1' -> @scope/x."""
    if not isinstance(purl, str) or not purl.startswith("pkg:"):
        return PackageInfo()
    body = purl[4:].split("#", 1)[0].split("?", 1)[0]
    version = None
    if "@" in body.rsplit("/", 1)[-1]:
        body, version = body.rsplit("@", 1)
        version = unquote(version) or None
    parts = [unquote(p) for p in body.split("/") if p]
    if len(parts) < 2:
        return PackageInfo()
    kind, path = parts[0].lower(), parts[1:]
    if kind == "maven" and len(path) >= 2:
        name = f"{path[-2]}:{path[-1]}"
    elif kind in ("npm", "golang", "composer", "swift") and len(path) >= 2:
        name = "/".join(path)
    else:
        name = path[-1]
    return PackageInfo(name, version, None)
