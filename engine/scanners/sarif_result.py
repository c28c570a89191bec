"""One SARIF result -> one scan record, using its run's shared facts (sarif_run.py) and its
rule's (sarif_rules.py). The policies are listed in sarif.py."""

from __future__ import annotations

from engine.core.models import FindingCategory, Severity
from engine.scanners import severity as sev
from engine.scanners.categories import category_for, cwes_in, primary_cwe
from engine.scanners.identity import code_fingerprint, dependency_fingerprint, tool_fingerprint
from engine.scanners.paths import image_name
from engine.scanners.records import ScanRecord
from engine.scanners.sarif_rules import RuleInfo
from engine.scanners.sarif_run import RunContext, artifact_package
from engine.scanners.text import UNTITLED, join_texts, message_and_context, sarif_message, title_from

_SEVERITY_PROPERTIES = ("severity", "cvssv3_baseSeverity", "cvssv2_severity")
_PREFERRED_FINGERPRINTS = ("primaryLocationLineHash",)


def suppression_of(suppressions: list) -> str | None:
    """Why the result is suppressed, or None when no suppression is in force."""
    reasons = []
    for item in suppressions:
        if not isinstance(item, dict):
            continue
        status = item.get("status")
        if status not in (None, "accepted"):
            continue  # underReview / rejected: the suppression is not in force
        kind = item.get("kind") if isinstance(item.get("kind"), str) else "suppressed"
        justification = item.get("justification")
        if isinstance(justification, str) and justification.strip():
            reasons.append(f"{kind}: {' '.join(justification.split())}")
        else:
            reasons.append(kind)
    return "; ".join(reasons) if reasons else None


def _result_cwe(result: dict, props: dict | None) -> str | None:
    values: list[object] = []
    taxa = result.get("taxa")
    if isinstance(taxa, list):
        for taxon in taxa:
            if isinstance(taxon, dict) and isinstance(taxon.get("id"), str):
                component = taxon.get("toolComponent")
                named = component.get("name") if isinstance(component, dict) else None
                taxon_id = taxon["id"]
                values.append(f"CWE-{taxon_id}" if named == "CWE" and taxon_id.isdigit() else taxon_id)
    if props:
        for key in ("cwe", "tags"):
            raw = props.get(key)
            if isinstance(raw, list):
                values.extend(raw)
            elif isinstance(raw, str):
                values.append(raw)
    return primary_cwe(cwes_in(values)) if values else None


def _tool_fingerprint(result: dict) -> tuple[str, str] | None:
    for field in ("partialFingerprints", "fingerprints"):
        prints = result.get(field)
        if isinstance(prints, dict) and prints:
            for key in _PREFERRED_FINGERPRINTS:
                value = prints.get(key)
                if isinstance(value, str) and value:
                    return key, value
            for key in sorted(prints):
                value = prints[key]
                if isinstance(value, str) and value:
                    return key, value
    return None


def _severity(result: dict, props: dict | None, rule: RuleInfo) -> Severity:
    found = sev.from_security_severity(props.get("security-severity")) if props else None
    if found is None:
        found = rule.security_severity
    if found is None and props:
        for key in _SEVERITY_PROPERTIES:
            found = sev.from_word(props.get(key))
            if found is not None:
                break
    if found is None:
        found = rule.hidden_severity
    if found is None:
        found = sev.from_level(result.get("level"))
    if found is None:
        found = rule.default_severity
    return found if found is not None else Severity.medium  # SARIF §3.27.10: no level means "warning"


def build_record(ctx: RunContext, result: dict, index: int) -> ScanRecord:
    rule = ctx.rules.lookup(result)
    rule_id = result.get("ruleId")
    if not isinstance(rule_id, str) or not rule_id:
        rule_id = rule.id
    message = sarif_message(result.get("message"), rule.message_strings)
    props = result.get("properties")
    if not isinstance(props, dict) or not props:
        props = None

    file_path = label = snippet = None
    line = None
    artifact = None
    locations = result.get("locations")
    if isinstance(locations, list) and locations and isinstance(locations[0], dict):
        physical = locations[0].get("physicalLocation")
        if isinstance(physical, dict):
            where = physical.get("artifactLocation")
            if isinstance(where, dict):
                uri = where.get("uri")
                base = where.get("uriBaseId")
                if "index" in where:
                    artifact = ctx.artifact(where["index"])
                if not isinstance(uri, str) and artifact is not None:
                    location = artifact.get("location")
                    if isinstance(location, dict):
                        uri, base = location.get("uri"), location.get("uriBaseId")
                if isinstance(uri, str):
                    file_path = ctx.resolver.resolve(uri, base if isinstance(base, str) else None)
                    if file_path is None and uri.strip():
                        label = uri.strip()
            region = physical.get("region")
            if isinstance(region, dict):
                start = region.get("startLine")
                if isinstance(start, int) and start >= 1:
                    line = start
                quoted = region.get("snippet")
                if isinstance(quoted, dict) and isinstance(quoted.get("text"), str):
                    snippet = quoted["text"]

    tags = rule.tags
    secret = ctx.secret_tool or (ctx.trivy and "secret" in tags)
    dependency = ctx.dependency_tool and not secret and not (ctx.trivy and "misconfiguration" in tags)
    cwe_id = rule.cwe_id
    if props is not None or "taxa" in result:
        cwe_id = _result_cwe(result, props) or cwe_id

    title = rule.title or title_from(message) or rule_id or UNTITLED
    if dependency:
        category = FindingCategory.dependency_vulnerability
        package = rule.package
        if package.name is None and artifact is not None:
            package = artifact_package(artifact)
        target = file_path or (image_name(label) if label else "")
        fingerprint = dependency_fingerprint(target, package.name, rule.vulnerability_id or rule_id)
    else:
        package = rule.package
        if secret:
            category = FindingCategory.hardcoded_secret
        elif cwe_id is rule.cwe_id:
            category = rule.category
        else:
            category = category_for(cwe_id, rule_id, title)
        own = _tool_fingerprint(result)
        if own is not None:
            fingerprint = tool_fingerprint(ctx.tool, rule_id, own[0], own[1])
        else:
            fingerprint = code_fingerprint(ctx.tool, rule_id, file_path, message, snippet, line)

    suppression = None
    suppressions = result.get("suppressions")
    if isinstance(suppressions, list) and suppressions:
        suppression = suppression_of(suppressions)
    if suppression is None and result.get("baselineState") == "absent":
        suppression = "baselineState: absent (no longer present)"

    return ScanRecord(
        scanner=ctx.tool,
        rule_id=rule_id,
        title=title,
        description=(
            join_texts(message, rule.description, f"Location: {label}")
            if label
            else message_and_context(message, rule.description)
        ),
        severity=_severity(result, props, rule),
        category=category,
        cwe_id=cwe_id,
        file_path=file_path,
        line_number=line,
        dependency_name=package.name,
        current_version=package.version,
        fixed_version=package.fixed,
        language=ctx.language_of(file_path),
        service_name=None,
        repo_url=ctx.repo_url,
        fingerprint=fingerprint,
        source_ref=f"{ctx.prefix}[{index}]",
        suppressed=suppression is not None,
        suppression=suppression,
    )
