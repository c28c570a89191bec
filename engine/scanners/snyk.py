"""Snyk JSON (`snyk test --json`, `snyk container test --json`) -> scan records.
(Snyk Code writes SARIF, which goes through sarif.py.)

- One object per project, or a list of them (`--all-projects`). A container test's
  `applications[]` (the application manifests found inside the image) are projects too.
- Snyk lists a vulnerability once per dependency path that reaches it. Entries with the same
  identity (project manifest, package, vulnerability id) are one finding, as Snyk's own
  `uniqueCount` counts them: they are merged into the first, whose description lists the
  paths; `ScanParse.merged` says how many entries were folded.
- `filtered.ignore[]` (vulnerabilities ignored by a .snyk policy) are returned suppressed
  ("ignored: <reason>"), `filtered.patch[]` ones as "patched".
- The service is the project name ("docker-image|" dropped from container projects); the file
  is `displayTargetFile` (Windows backslashes become "/").
"""

from __future__ import annotations

from engine.core.errors import BadInputError
from engine.core.models import FindingCategory, Severity
from engine.scanners.budget import ScanBudget
from engine.scanners.categories import cwes_in, primary_cwe
from engine.scanners.detect import json_type
from engine.scanners.identity import dependency_fingerprint
from engine.scanners.paths import plain_path
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.severity import from_word
from engine.scanners.text import UNTITLED, clip, title_from

SCANNER = "Snyk"
_PATHS_LISTED = 5
_LANGUAGES = {
    "npm": "javascript",
    "yarn": "javascript",
    "pnpm": "javascript",
    "maven": "java",
    "gradle": "java",
    "sbt": "scala",
    "pip": "python",
    "poetry": "python",
    "pipenv": "python",
    "golang": "go",
    "gomodules": "go",
    "rubygems": "ruby",
    "composer": "php",
    "nuget": "csharp",
    "cargo": "rust",
    "cocoapods": "swift",
}


def _str(item: dict, key: str) -> str | None:
    value = item.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


class _Project:
    def __init__(self, project: dict, ref: str) -> None:
        self.ref = ref
        name = _str(project, "projectName")
        self.service = name.removeprefix("docker-image|") if name else None
        self.file_path = plain_path(project.get("displayTargetFile") or project.get("targetFile"))
        self.identity = self.file_path or name or ""
        manager = (_str(project, "packageManager") or "").lower()
        self.language = _LANGUAGES.get(manager)


def _fixed(item: dict) -> str | None:
    fixed = item.get("fixedIn")
    if isinstance(fixed, list):
        versions = [v for v in fixed if isinstance(v, str) and v]
        return ", ".join(versions) if versions else None
    return fixed if isinstance(fixed, str) and fixed else None


def _identifiers(item: dict, kind: str) -> list:
    identifiers = item.get("identifiers")
    values = identifiers.get(kind) if isinstance(identifiers, dict) else None
    return values if isinstance(values, list) else []


def _route(item: dict) -> str | None:
    route = item.get("from")
    if isinstance(route, list) and route:
        return " > ".join(str(step) for step in route)
    return None


def _record(project: _Project, item: dict, ref: str, suppression: str | None) -> ScanRecord:
    vuln_id = _str(item, "id")
    package = _str(item, "packageName") or _str(item, "moduleName") or _str(item, "name")
    summary = _str(item, "title")
    cve = next((c for c in _identifiers(item, "CVE") if isinstance(c, str) and c), None)
    head = f"{summary or vuln_id or 'vulnerability'} in {package}" if package else summary or vuln_id
    if cve and cve != summary:
        head = f"{head} ({cve})"
    route = _route(item)
    description = _str(item, "description")
    if route:
        description = f"Introduced through: {route}\n\n{description or ''}"
    language = _LANGUAGES.get((_str(item, "packageManager") or "").lower()) or project.language
    return ScanRecord(
        scanner=SCANNER,
        rule_id=vuln_id,
        title=title_from(head) or UNTITLED,
        description=clip(description),
        severity=from_word(item.get("severity")) or Severity.low,
        category=FindingCategory.dependency_vulnerability,
        cwe_id=primary_cwe(cwes_in(_identifiers(item, "CWE"))),
        file_path=project.file_path,
        line_number=None,
        dependency_name=package,
        current_version=_str(item, "version"),
        fixed_version=_fixed(item),
        language=language,
        service_name=project.service,
        repo_url=None,
        fingerprint=dependency_fingerprint(project.identity, package, vuln_id),
        source_ref=ref,
        suppressed=suppression is not None,
        suppression=suppression,
    )


def _ignore_reason(item: dict) -> str:
    filtered = item.get("filtered")
    ignored = filtered.get("ignored") if isinstance(filtered, dict) else None
    if isinstance(ignored, list):
        for entry in ignored:
            if isinstance(entry, dict) and _str(entry, "reason"):
                return f"ignored: {entry['reason'].strip()}"
    return "ignored"


class _Collector:
    def __init__(self, name: str, budget: ScanBudget) -> None:
        self.name = name
        self.budget = budget
        self.records: list[ScanRecord] = []
        self.by_fingerprint: dict[str, tuple[ScanRecord, list[str]]] = {}
        self.merged = 0
        self.projects = 0

    def add(self, project: _Project, items: object, ref: str, suppression: str | None = None) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            raise BadInputError(f"{self.name}: {ref} is a JSON {json_type(items)}, not a list")
        for index, item in enumerate(items):
            self.budget.entry(ref, index)
            if not isinstance(item, dict):
                raise BadInputError(f"{self.name}: {ref}[{index}] is not a Snyk vulnerability object")
            reason = _ignore_reason(item) if suppression == "ignored" else suppression
            record = _record(project, item, f"{ref}[{index}]", reason)
            route = _route(item)
            known = self.by_fingerprint.get(record.fingerprint)
            if known is None:
                self.records.append(record)
                self.by_fingerprint[record.fingerprint] = (record, [route] if route else [])
                if not record.suppressed:
                    self.budget.finding()
                continue
            self.merged += 1
            first, routes = known
            if route and route not in routes:
                routes.append(route)
                _list_routes(first, routes)

    def project(self, project: object, ref: str) -> None:
        if not isinstance(project, dict):
            raise BadInputError(f"{self.name}: {ref or 'the file'} is not a Snyk project object")
        self.projects += 1
        info = _Project(project, ref)
        dot = "." if ref else ""
        self.add(info, project.get("vulnerabilities"), f"{ref}{dot}vulnerabilities")
        filtered = project.get("filtered")
        if isinstance(filtered, dict):
            self.add(info, filtered.get("ignore"), f"{ref}{dot}filtered.ignore", "ignored")
            self.add(info, filtered.get("patch"), f"{ref}{dot}filtered.patch", "patched")
        applications = project.get("applications")
        if isinstance(applications, list):
            for index, application in enumerate(applications):
                self.project(application, f"{ref}{dot}applications[{index}]")


def _list_routes(record: ScanRecord, routes: list[str]) -> None:
    """The kept record names the first few dependency paths that reach the vulnerability."""
    description = record.description or ""
    if description.startswith("Introduced through: "):
        description = description.split("\n\n", 1)[1] if "\n\n" in description else ""
    shown = routes[:_PATHS_LISTED]
    more = f" (and {len(routes) - len(shown):,} more)" if len(routes) > len(shown) else ""
    paths = "\n".join(f"- {r}" for r in shown)
    record.description = clip(
        f"Introduced through {len(routes):,} dependency paths{more}:\n{paths}\n\n{description}"
    )


def parse_snyk(doc: object, name: str, budget: ScanBudget) -> ScanParse:
    collector = _Collector(name, budget)
    if isinstance(doc, list):
        for index, project in enumerate(doc):
            collector.project(project, f"[{index}]")
        label = f"Snyk JSON (--all-projects, {len(doc):,} projects)"
    else:
        collector.project(doc, "")
        label = "Snyk Container JSON" if isinstance(doc, dict) and "docker" in doc else "Snyk JSON"
    reason = None
    if not collector.records:
        plural = "projects" if collector.projects != 1 else "project"
        reason = f"Snyk found no vulnerabilities in the {collector.projects:,} {plural} it tested"
    return ScanParse(
        format="snyk",
        format_label=label,
        tools=[SCANNER],
        records=collector.records,
        empty_reason=reason,
        merged=collector.merged,
    )
