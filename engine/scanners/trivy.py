"""Trivy JSON -> scan records. (Trivy SARIF goes through sarif.py.)

Layouts read:
- SchemaVersion 2: {"ArtifactName", "Results": [{"Target", "Class", "Type", "Vulnerabilities",
  "Misconfigurations", "Secrets"}]}; "Results" is absent or null when nothing was found;
- legacy (before SchemaVersion 2): a top-level list of {"Target", "Type", "Vulnerabilities"},
  or a bare `null` when nothing was found;
- Kubernetes (`trivy k8s`): {"ClusterName", "Vulnerabilities" | "Misconfigurations" |
  "Resources": [{"Namespace", "Kind", "Name", "Results": [...]}]}.

Records:
- vulnerabilities are dependency findings. Their target for the fingerprint is the package's
  file (PkgPath, e.g. a jar), else the target when it is a file (requirements.txt), else the
  image name without tag and OS release; a Kubernetes resource prefixes it. Trivy's `Status`
  "fixed" means a fix exists, not that the finding is gone; only "not_affected" (a VEX
  statement) suppresses.
- misconfigurations with status FAIL are findings; PASS results are counted as not findings
  and EXCEPTION ones are returned suppressed (a policy exception).
- secrets are hardcoded_secret findings, identified by rule + file + the (masked) matched
  line, because their Title is the rule's name, not a message about this match.
- license findings are not security findings and are not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.errors import BadInputError
from engine.scanners.budget import ScanBudget
from engine.scanners.detect import json_type
from engine.scanners.identity import make_unique
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.trivy_items import Target, misconfiguration_record, secret_record, vulnerability_record

_K8S_GROUPS = ("Vulnerabilities", "Misconfigurations", "Resources")


@dataclass
class _Walk:
    name: str
    tool: str
    repo_url: str | None
    records: list[ScanRecord]
    budget: ScanBudget
    not_findings: int = 0
    targets: int = 0

    def block(self, block: object, ref: str, resource: str | None) -> None:
        if not isinstance(block, dict):
            raise BadInputError(f"{self.name}: {ref} is a JSON {json_type(block)}, not a Trivy result")
        self.targets += 1
        target = Target.of(block, resource, self.tool, self.repo_url)
        for key, build in (
            ("Vulnerabilities", vulnerability_record),
            ("Misconfigurations", misconfiguration_record),
            ("Secrets", secret_record),
        ):
            items = block.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                raise BadInputError(f"{self.name}: {ref}.{key} is a JSON {json_type(items)}, not a list")
            for index, item in enumerate(items):
                self.budget.entry(f"{ref}.{key}", index)
                if not isinstance(item, dict):
                    raise BadInputError(f"{self.name}: {ref}.{key}[{index}] is not an object")
                record = build(target, item, f"{ref}.{key}[{index}]")
                if record is None:
                    self.not_findings += 1
                    continue
                self.records.append(record)
                if not record.suppressed:
                    self.budget.finding()

    def blocks(self, blocks: object, ref: str, resource: str | None = None) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            raise BadInputError(f"{self.name}: {ref} is a JSON {json_type(blocks)}, not a list")
        for index, block in enumerate(blocks):
            self.block(block, f"{ref}[{index}]", resource)


def _version(doc: dict) -> str | None:
    trivy = doc.get("Trivy")
    version = trivy.get("Version") if isinstance(trivy, dict) else None
    return version if isinstance(version, str) and version else None


def _repo_url(doc: dict) -> str | None:
    metadata = doc.get("Metadata")
    if isinstance(metadata, dict):
        url = metadata.get("RepoURL")
        if isinstance(url, str) and url.startswith(("http://", "https://", "git@")):
            return url
    artifact = doc.get("ArtifactName")
    if doc.get("ArtifactType") == "repository" and isinstance(artifact, str) and "://" in artifact:
        return artifact
    return None


def parse_trivy(doc: object, name: str, budget: ScanBudget) -> ScanParse:
    if doc is None:
        return ScanParse(
            format="trivy",
            format_label="Trivy JSON (legacy)",
            tools=["Trivy"],
            records=[],
            empty_reason="the Trivy report is `null`: legacy Trivy writes that when it finds nothing",
        )
    if isinstance(doc, list):
        walk = _Walk(name, "Trivy", None, [], budget)
        walk.blocks(doc, "")
        return _parse(walk, "Trivy JSON (legacy list)", ["Trivy"])
    if not isinstance(doc, dict):
        raise BadInputError(f"{name}: a Trivy report must be a JSON object or list")
    version = _version(doc)
    tools = [f"Trivy {version}" if version else "Trivy"]
    walk = _Walk(name, "Trivy", _repo_url(doc), [], budget)
    if "ClusterName" in doc:
        for group in _K8S_GROUPS:
            resources = doc.get(group)
            if resources is None:
                continue
            if not isinstance(resources, list):
                raise BadInputError(f"{name}: {group} is a JSON {json_type(resources)}, not a list")
            for index, resource in enumerate(resources):
                if not isinstance(resource, dict):
                    raise BadInputError(f"{name}: {group}[{index}] is not an object")
                walk.blocks(resource.get("Results"), f"{group}[{index}].Results", _resource_id(resource))
        return _parse(walk, "Trivy Kubernetes JSON", tools)
    walk.blocks(doc.get("Results"), "Results")
    return _parse(walk, "Trivy JSON", tools)


def _resource_id(resource: dict) -> str:
    parts = [resource.get(k) for k in ("Namespace", "Kind", "Name")]
    return "/".join(p for p in parts if isinstance(p, str) and p)


def _parse(walk: _Walk, label: str, tools: list[str]) -> ScanParse:
    make_unique(walk.records)
    reason = None
    if not walk.records:
        scanned = f" ({walk.targets:,} targets scanned)" if walk.targets else ""
        reason = (
            f"the Trivy report lists no vulnerabilities, failed misconfiguration checks or secrets{scanned}"
        )
    return ScanParse(
        format="trivy",
        format_label=label,
        tools=tools,
        records=walk.records,
        not_findings=walk.not_findings,
        empty_reason=reason,
    )
