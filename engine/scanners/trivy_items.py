"""One Trivy target block's vulnerabilities, misconfigurations and secrets -> scan records
(the policies are described in trivy.py)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.models import FindingCategory, Severity
from engine.scanners.categories import category_for, cwes_in, primary_cwe
from engine.scanners.identity import code_fingerprint, dependency_fingerprint
from engine.scanners.languages import language_from_path
from engine.scanners.paths import image_name, is_not_a_path, plain_path
from engine.scanners.records import ScanRecord
from engine.scanners.severity import from_word
from engine.scanners.text import UNTITLED, join_texts, title_from

# Targets that name a language's packages found across an image, not a file.
_AGGREGATE_TARGETS = {"java", "node.js", "python", "ruby", "php", ".net", "go", "rust", "dart", "conda"}
_PACKAGE_LANGUAGES = {
    "pip": "python",
    "pipenv": "python",
    "poetry": "python",
    "uv": "python",
    "python-pkg": "python",
    "npm": "javascript",
    "yarn": "javascript",
    "pnpm": "javascript",
    "node-pkg": "javascript",
    "jar": "java",
    "pom": "java",
    "gradle": "java",
    "gomod": "go",
    "gobinary": "go",
    "bundler": "ruby",
    "gemspec": "ruby",
    "cargo": "rust",
    "rustbinary": "rust",
    "composer": "php",
    "nuget": "csharp",
    "dotnet-core": "csharp",
}


def _str(item: dict, key: str) -> str | None:
    value = item.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(slots=True)
class Target:
    """What every finding of one Trivy result block shares."""

    scanner: str
    repo_url: str | None
    file_path: str | None  # the target when it is a file
    identity: str  # the target as fingerprints see it
    label: str | None  # the target as text, for descriptions
    language: str | None
    resource: str | None  # Kubernetes "namespace/Kind/name"

    @classmethod
    def of(cls, block: dict, resource: str | None, scanner: str, repo_url: str | None) -> Target:
        raw = _str(block, "Target") or ""
        kind = _str(block, "Class")
        package_type = (_str(block, "Type") or "").lower()
        file_path = None
        if (
            kind != "os-pkgs"
            and not resource
            and raw.lower() not in _AGGREGATE_TARGETS
            and not is_not_a_path(raw)
        ):
            file_path = plain_path(raw)
        identity = file_path or (image_name(raw) if raw else "")
        if resource:
            identity = f"{resource}|{identity}"
        language = _PACKAGE_LANGUAGES.get(package_type) or language_from_path(file_path)
        return cls(scanner, repo_url, file_path, identity, raw or None, language, resource)

    def where(self) -> str | None:
        if self.resource and self.label:
            return f"Kubernetes {self.resource}, {self.label}"
        if self.resource:
            return f"Kubernetes {self.resource}"
        return None if self.file_path else self.label


def vulnerability_record(target: Target, item: dict, ref: str) -> ScanRecord:
    vuln_id = _str(item, "VulnerabilityID")
    package = _str(item, "PkgName")
    installed = _str(item, "InstalledVersion")
    summary = _str(item, "Title")
    package_file = plain_path(item.get("PkgPath"))
    file_path = package_file or target.file_path
    head = " ".join(p for p in (vuln_id or "vulnerability", "in", package, installed) if p)
    where = target.where()
    status = _str(item, "Status")
    return ScanRecord(
        scanner=target.scanner,
        service_name=None,
        repo_url=target.repo_url,
        source_ref=ref,
        rule_id=vuln_id,
        title=title_from(f"{head}: {summary}" if summary else head) or UNTITLED,
        description=join_texts(
            _str(item, "Description"),
            f"Location: {where}" if where else None,
            f"Reference: {item['PrimaryURL']}" if _str(item, "PrimaryURL") else None,
        ),
        severity=from_word(item.get("Severity")) or Severity.low,
        category=FindingCategory.dependency_vulnerability,
        cwe_id=primary_cwe(cwes_in(item.get("CweIDs") or [])),
        file_path=file_path,
        line_number=None,
        dependency_name=package,
        current_version=installed,
        fixed_version=_str(item, "FixedVersion"),
        language=target.language,
        fingerprint=dependency_fingerprint(
            f"{target.resource}|{package_file}"
            if package_file and target.resource
            else package_file or target.identity,
            package,
            vuln_id,
        ),
        suppressed=status == "not_affected",
        suppression="status: not_affected" if status == "not_affected" else None,
    )


def _cause_line(item: dict) -> int | None:
    cause = item.get("CauseMetadata")
    line = cause.get("StartLine") if isinstance(cause, dict) else None
    return line if isinstance(line, int) and line >= 1 else None


def misconfiguration_record(target: Target, item: dict, ref: str) -> ScanRecord | None:
    status = (_str(item, "Status") or "FAIL").upper()
    if status == "PASS":
        return None
    rule_id = _str(item, "AVDID") or _str(item, "ID")
    title = title_from(_str(item, "Title")) or rule_id or UNTITLED
    message = _str(item, "Message")
    line = _cause_line(item)
    where = target.where()
    return ScanRecord(
        scanner=target.scanner,
        service_name=None,
        repo_url=target.repo_url,
        source_ref=ref,
        rule_id=rule_id,
        title=title,
        description=join_texts(
            message,
            _str(item, "Description"),
            f"Resolution: {item['Resolution']}" if _str(item, "Resolution") else None,
            f"Location: {where}" if where else None,
        ),
        severity=from_word(item.get("Severity")) or Severity.low,
        category=category_for(None, rule_id, title),
        cwe_id=None,
        file_path=target.file_path,
        line_number=line,
        dependency_name=None,
        current_version=None,
        fixed_version=None,
        language=target.language,
        fingerprint=code_fingerprint(
            target.scanner, rule_id, target.file_path or target.identity, message, None, line
        ),
        suppressed=status == "EXCEPTION",
        suppression="exception (policy)" if status == "EXCEPTION" else None,
    )


def secret_record(target: Target, item: dict, ref: str) -> ScanRecord:
    rule_id = _str(item, "RuleID")
    title = title_from(_str(item, "Title")) or rule_id or UNTITLED
    line = (
        item.get("StartLine") if isinstance(item.get("StartLine"), int) and item["StartLine"] >= 1 else None
    )
    match = _str(item, "Match")
    where = target.where()
    return ScanRecord(
        scanner=target.scanner,
        service_name=None,
        repo_url=target.repo_url,
        source_ref=ref,
        rule_id=rule_id,
        title=title,
        description=join_texts(
            f"{title} found" + (f": {match}" if match else ""),
            f"Location: {where}" if where else None,
        ),
        severity=from_word(item.get("Severity")) or Severity.low,
        category=FindingCategory.hardcoded_secret,
        cwe_id=None,
        file_path=target.file_path,
        line_number=line,
        dependency_name=None,
        current_version=None,
        fixed_version=None,
        language=target.language,
        fingerprint=code_fingerprint(
            target.scanner, rule_id, target.file_path or target.identity, None, match, line
        ),
    )
