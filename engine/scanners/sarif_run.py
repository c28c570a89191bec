"""What all results of one SARIF run share: the tool and what kind of scanner it is, its rules,
path resolution (originalUriBaseIds, working directory), language and repository."""

from __future__ import annotations

import re

from engine.scanners.languages import language_from_automation_id, language_from_path
from engine.scanners.packages import PackageInfo, package_from_purl
from engine.scanners.paths import PathResolver
from engine.scanners.sarif_rules import RuleBook

_DEPENDENCY_TOOLS = re.compile(
    r"trivy|anchore|grype|dependency[- ]check|osv[- ]scanner|snyk open source|retire\.?js|npm audit"
    r"|pip[- ]audit|govulncheck|xray|clair",
    re.IGNORECASE,
)
_SECRET_TOOLS = re.compile(r"gitleaks|trufflehog|detect[- ]secrets|secretlint|ggshield|nosey ?parker", re.I)


class RunContext:
    """What one run's results share: tool, rules, path resolution, language, repository."""

    def __init__(self, run: dict, run_index: int) -> None:
        tool = run.get("tool") if isinstance(run.get("tool"), dict) else {}
        driver = tool.get("driver") if isinstance(tool.get("driver"), dict) else {}
        name = driver.get("name")
        self.tool = name.strip() if isinstance(name, str) and name.strip() else "unknown SARIF tool"
        version = driver.get("semanticVersion") or driver.get("version")
        self.label = f"{self.tool} {version}" if isinstance(version, str) and version else self.tool
        self.dependency_tool = bool(_DEPENDENCY_TOOLS.search(self.tool))
        self.trivy = "trivy" in self.tool.lower()
        self.secret_tool = bool(_SECRET_TOOLS.search(self.tool))
        self.rules = RuleBook(tool, self.dependency_tool)
        self.resolver = PathResolver(run.get("originalUriBaseIds"), _working_directories(run))
        artifacts = run.get("artifacts")
        self.artifacts: list = artifacts if isinstance(artifacts, list) else []
        self.language = _run_language(run)
        self.repo_url = _repository(run)
        self.prefix = f"runs[{run_index}].results"
        self._languages: dict[str | None, str | None] = {}

    def language_of(self, path: str | None) -> str | None:
        if self.language is not None:
            return self.language
        try:
            return self._languages[path]
        except KeyError:
            found = self._languages[path] = language_from_path(path)
            return found

    def artifact(self, index: object) -> dict | None:
        if isinstance(index, int) and 0 <= index < len(self.artifacts):
            artifact = self.artifacts[index]
            if isinstance(artifact, dict):
                return artifact
        return None


def _working_directories(run: dict) -> list[str]:
    found = []
    invocations = run.get("invocations")
    for invocation in invocations if isinstance(invocations, list) else ():
        if isinstance(invocation, dict):
            directory = invocation.get("workingDirectory")
            if isinstance(directory, dict) and isinstance(directory.get("uri"), str):
                found.append(directory["uri"])
    return found


def _run_language(run: dict) -> str | None:
    details = run.get("automationDetails")
    if isinstance(details, dict):
        language = language_from_automation_id(details.get("id"))
        if language:
            return language
    props = run.get("properties")
    if isinstance(props, dict):
        language = props.get("semmle.sourceLanguage")
        if isinstance(language, str) and language:
            return language.lower()
    return None


def _repository(run: dict) -> str | None:
    provenance = run.get("versionControlProvenance")
    if isinstance(provenance, list):
        for entry in provenance:
            if isinstance(entry, dict) and isinstance(entry.get("repositoryUri"), str):
                return entry["repositoryUri"]
    return None


def artifact_package(artifact: dict) -> PackageInfo:
    """dependency-check names the package of an artifact by package URL in its properties."""
    props = artifact.get("properties")
    if isinstance(props, dict):
        for key in sorted(props):
            found = package_from_purl(props[key])
            if found.name:
                return found
    return PackageInfo()
