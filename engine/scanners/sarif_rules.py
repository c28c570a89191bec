"""SARIF rule lookup and the per-rule facts every result of that rule shares.

Where rules live (SARIF 2.1.0 §3.52, and what CodeQL versions actually write):
- `tool.driver.rules`, pointed at by `result.ruleIndex` or `result.rule.index`;
- `tool.extensions[n].rules` (query packs), pointed at by `result.rule.index` together with
  `result.rule.toolComponent.index` (n) or its name/guid, while `driver.rules` is empty;
- nowhere: results carry only `ruleId` (dependency-check), or nothing at all (gitleaks 7).
An index that points at a rule with another id is not trusted; the id decides then.
Hierarchical ids ("CA2101/1") fall back to their first component.

Each rule's facts (title, severity, CWE, category, package details) are computed once per run,
the first time a result uses the rule, and shared by all its results.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.models import FindingCategory, Severity
from engine.scanners import severity as sev
from engine.scanners.categories import category_for, cwes_in, primary_cwe
from engine.scanners.packages import PackageInfo, package_from_text, vulnerability_id, without_severity_prefix
from engine.scanners.text import title_from


@dataclass(slots=True)
class RuleInfo:
    id: str | None
    title: str | None
    description: str | None  # fullDescription (else shortDescription) text: plain, not the help Markdown
    security_severity: Severity | None  # properties["security-severity"]
    hidden_severity: Severity | None  # "[HIGH] CVE-..." id, "Severity=Low" text, severity word in tags
    default_severity: Severity | None  # defaultConfiguration.level
    cwe_id: str | None
    category: FindingCategory  # for code findings (CWE, then keywords)
    tags: frozenset[str]  # lowercased
    message_strings: dict[str, str] | None
    package: PackageInfo
    vulnerability_id: str | None


def _text(value: object) -> str | None:
    if isinstance(value, dict):
        text = value.get("text")
        return text if isinstance(text, str) and text.strip() else None
    return None


def _rule_cwes(rule: dict, tags: list[str]) -> list[str]:
    props = rule.get("properties")
    values: list[object] = list(tags)
    if isinstance(props, dict):
        for key in ("cwe", "CWE", "cwe_id", "cwes"):
            raw = props.get(key)
            if isinstance(raw, list):
                values.extend(raw)
            elif raw is not None:
                values.append(str(raw))
    relationships = rule.get("relationships")
    if isinstance(relationships, list):
        for relation in relationships:
            target = relation.get("target") if isinstance(relation, dict) else None
            if isinstance(target, dict):
                target_id = target.get("id")
                if isinstance(target_id, str):
                    values.append(target_id if target_id.upper().startswith("CWE") else f"CWE-{target_id}")
    return cwes_in(values)


def rule_info(rule: dict, dependency_tool: bool) -> RuleInfo:
    rule_id = rule.get("id") if isinstance(rule.get("id"), str) else None
    props = rule.get("properties") if isinstance(rule.get("properties"), dict) else {}
    raw_tags = props.get("tags")
    tags = [t for t in raw_tags if isinstance(t, str)] if isinstance(raw_tags, list) else []
    short = _text(rule.get("shortDescription"))
    full = _text(rule.get("fullDescription"))
    name = rule.get("name") if isinstance(rule.get("name"), str) else None
    # A name that is only the id again ("py/sql-injection") is no title.
    title = title_from(short) or (name if name and " " in name else None) or title_from(full)

    hidden = sev.from_rule_id(rule_id) or sev.from_text(short) or sev.from_text(full)
    if hidden is None:
        for tag in tags:
            hidden = sev.from_word(tag)
            if hidden is not None:
                break
    config = rule.get("defaultConfiguration")
    default = sev.from_level(config.get("level")) if isinstance(config, dict) else None

    cwe_id = primary_cwe(_rule_cwes(rule, tags))
    strings = rule.get("messageStrings")
    message_strings = None
    if isinstance(strings, dict):
        message_strings = {k: t for k, v in strings.items() if (t := _text(v))}

    package = PackageInfo()
    vuln_id = None
    if dependency_tool:
        help_text = _text(rule.get("help"))
        package = package_from_text(help_text)
        if package.name is None:
            package = package_from_text(full)
        vuln_id = vulnerability_id(rule_id, short) or (without_severity_prefix(rule_id) if rule_id else None)

    return RuleInfo(
        id=rule_id,
        title=title,
        description=(full or short or "").strip() or None,
        security_severity=sev.from_security_severity(props.get("security-severity")),
        hidden_severity=hidden,
        default_severity=default,
        cwe_id=cwe_id,
        category=category_for(cwe_id, rule_id, title),
        tags=frozenset(t.lower() for t in tags),
        message_strings=message_strings,
        package=package,
        vulnerability_id=vuln_id,
    )


def bare_rule(rule_id: str | None, dependency_tool: bool) -> RuleInfo:
    """Facts for a result whose rule is in no table: only its id can tell anything."""
    vuln_id = None
    if dependency_tool and rule_id:
        vuln_id = vulnerability_id(rule_id) or without_severity_prefix(rule_id)
    return RuleInfo(
        id=rule_id,
        title=None,
        description=None,
        security_severity=None,
        hidden_severity=sev.from_rule_id(rule_id),
        default_severity=None,
        cwe_id=None,
        category=category_for(None, rule_id),
        tags=frozenset(),
        message_strings=None,
        package=PackageInfo(),
        vulnerability_id=vuln_id,
    )


class RuleBook:
    """One run's rules: the driver's and every extension's, by index and by id."""

    def __init__(self, tool: dict, dependency_tool: bool) -> None:
        self._dependency_tool = dependency_tool
        driver = tool.get("driver") if isinstance(tool.get("driver"), dict) else {}
        extensions = tool.get("extensions") if isinstance(tool.get("extensions"), list) else []
        components = [driver, *(e for e in extensions if isinstance(e, dict))]
        self._driver_rules: list = _rules_of(driver)
        self._extension_rules: list[list] = [_rules_of(e) if isinstance(e, dict) else [] for e in extensions]
        self._by_name: dict[str, list] = {}
        for component in components:
            for key in ("name", "guid"):
                value = component.get(key)
                if isinstance(value, str):
                    self._by_name.setdefault(value, _rules_of(component))
        self._by_id: dict[str, dict] = {}
        for rules in (self._driver_rules, *self._extension_rules):
            for rule in rules:
                if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                    self._by_id.setdefault(rule["id"], rule)
        self._infos: dict[int, RuleInfo] = {}  # id() of the rule dict -> its facts
        self._bare: dict[str | None, RuleInfo] = {}
        self.count = len(self._by_id)

    def lookup(self, result: dict) -> RuleInfo:
        rule = self._find(result)
        if rule is None:
            rule_id = result.get("ruleId")
            if not isinstance(rule_id, str):
                ref = result.get("rule")
                rule_id = ref.get("id") if isinstance(ref, dict) and isinstance(ref.get("id"), str) else None
            found = self._bare.get(rule_id)
            if found is None:
                found = self._bare[rule_id] = bare_rule(rule_id, self._dependency_tool)
            return found
        key = id(rule)
        info = self._infos.get(key)
        if info is None:
            info = self._infos[key] = rule_info(rule, self._dependency_tool)
        return info

    def _find(self, result: dict) -> dict | None:
        rule_id = result.get("ruleId")
        ref = result.get("rule")
        rules = self._driver_rules
        index = result.get("ruleIndex")
        if isinstance(ref, dict):
            if not isinstance(rule_id, str) and isinstance(ref.get("id"), str):
                rule_id = ref["id"]
            if isinstance(ref.get("index"), int):
                index = ref["index"]  # an index into the referenced component's rules
                component = ref.get("toolComponent")
                if isinstance(component, dict):
                    rules = self._component_rules(component)
        if isinstance(index, int) and 0 <= index < len(rules):
            rule = rules[index]
            if isinstance(rule, dict) and (rule_id is None or rule.get("id") == rule_id):
                return rule
        if isinstance(rule_id, str):
            rule = self._by_id.get(rule_id)
            if rule is None and "/" in rule_id:
                rule = self._by_id.get(rule_id.split("/", 1)[0])
            return rule
        return None

    def _component_rules(self, component: dict) -> list:
        index = component.get("index")
        if isinstance(index, int) and 0 <= index < len(self._extension_rules):
            return self._extension_rules[index]
        for key in ("name", "guid"):
            value = component.get(key)
            if isinstance(value, str) and value in self._by_name:
                return self._by_name[value]
        return self._driver_rules


def _rules_of(component: dict) -> list:
    rules = component.get("rules")
    return rules if isinstance(rules, list) else []
