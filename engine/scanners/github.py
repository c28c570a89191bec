"""GitHub code-scanning alert exports (`GET /repos/{o}/{r}/code-scanning/alerts`, a JSON list)
-> scan records. Dependabot exports are read by dependabot.py.

- State: `dismissed` alerts are returned suppressed ("dismissed: <reason>", plus the
  comment), `fixed` ones too ("state: fixed": fixed alerts are not work); `open` alerts are
  findings.
- Severity: `rule.security_severity_level` (critical/high/medium/low), else the rule's
  `severity` as a SARIF level (error -> high, warning -> medium, note -> low).
- Location and message: `most_recent_instance`.
- Fingerprint: rule + file + message (identity.py), like a SARIF result without fingerprints;
  alerts that share one are told apart in order of alert number, which GitHub never reuses,
  so the numbering does not depend on the export's sort order.
- The repository comes from the alert's `html_url` (or `repository.html_url` in
  organisation-wide exports).
"""

from __future__ import annotations

import re

from engine.core.errors import BadInputError
from engine.core.models import Severity
from engine.scanners import severity as sev
from engine.scanners.budget import ScanBudget
from engine.scanners.categories import category_for, cwes_in, primary_cwe
from engine.scanners.identity import code_fingerprint, make_unique
from engine.scanners.languages import language_from_automation_id, language_from_path
from engine.scanners.paths import plain_path
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.text import UNTITLED, join_texts, sarif_message, title_from

_REPO_FROM_ALERT_URL = re.compile(r"^(https?://[^/]+/[^/]+/[^/]+)/(?:security|network)/")


def text_of(item: dict, key: str) -> str | None:
    value = item.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def repo_url_of(alert: dict) -> str | None:
    repository = alert.get("repository")
    if isinstance(repository, dict) and text_of(repository, "html_url"):
        return repository["html_url"].strip()
    url = text_of(alert, "html_url")
    match = _REPO_FROM_ALERT_URL.match(url) if url else None
    return match.group(1) if match else None


def alert_state(alert: dict) -> tuple[str, str | None]:
    """(state, why it is suppressed or None) for a Dependabot or code-scanning alert."""
    state = (text_of(alert, "state") or "open").lower()
    if state == "dismissed":
        reason = text_of(alert, "dismissed_reason") or "no reason given"
        comment = text_of(alert, "dismissed_comment")
        return state, f"dismissed: {reason}" + (f" ({' '.join(comment.split())})" if comment else "")
    if state in ("fixed", "auto_dismissed"):
        return state, f"state: {state}"
    return state, None


def alert_numbers(alerts: list) -> list[int]:
    """Sort keys for telling alerts with one fingerprint apart: the alert number, file order when
    an alert has none."""
    numbers = [a.get("number") if isinstance(a, dict) else None for a in alerts]
    ints = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]
    return ints if len(ints) == len(alerts) else list(range(len(alerts)))


def _code_alert(alert: dict, index: int) -> ScanRecord:
    rule = alert.get("rule") if isinstance(alert.get("rule"), dict) else {}
    tool = alert.get("tool") if isinstance(alert.get("tool"), dict) else {}
    instance = (
        alert.get("most_recent_instance") if isinstance(alert.get("most_recent_instance"), dict) else {}
    )
    location = instance.get("location") if isinstance(instance.get("location"), dict) else {}
    scanner = text_of(tool, "name") or "GitHub code scanning"
    rule_id = text_of(rule, "id")
    message = sarif_message(instance.get("message"))
    file_path = plain_path(location.get("path"))
    line = location.get("start_line")
    line = line if isinstance(line, int) and line >= 1 else None
    tags = rule.get("tags") if isinstance(rule.get("tags"), list) else []
    cwe_id = primary_cwe(cwes_in(tags))
    title = (
        title_from(text_of(rule, "description"))
        or title_from(text_of(rule, "name"))
        or title_from(message)
        or rule_id
        or UNTITLED
    )
    severity = sev.from_word(rule.get("security_severity_level")) or sev.from_level(rule.get("severity"))
    _, suppression = alert_state(alert)
    language = language_from_automation_id(instance.get("category")) or language_from_path(file_path)
    return ScanRecord(
        scanner=scanner,
        rule_id=rule_id,
        title=title,
        description=join_texts(message, text_of(rule, "full_description")),
        severity=severity or Severity.medium,  # no level at all: SARIF's default, a warning
        category=category_for(cwe_id, rule_id, title),
        cwe_id=cwe_id,
        file_path=file_path,
        line_number=line,
        dependency_name=None,
        current_version=None,
        fixed_version=None,
        language=language,
        service_name=None,
        repo_url=repo_url_of(alert),
        fingerprint=code_fingerprint(scanner, rule_id, file_path, message, None, line),
        source_ref=f"[{index}]",
        suppressed=suppression is not None,
        suppression=suppression,
    )


def parse_code_scanning(doc: object, name: str, budget: ScanBudget) -> ScanParse:
    if not isinstance(doc, list):
        raise BadInputError(f"{name}: a GitHub code-scanning export must be a JSON list of alerts")
    records: list[ScanRecord] = []
    tools: list[str] = []
    for index, alert in enumerate(doc):
        budget.entry("", index)
        if not isinstance(alert, dict) or not isinstance(alert.get("rule"), dict):
            raise BadInputError(f'{name}: [{index}] is not a code-scanning alert (no "rule" object)')
        record = _code_alert(alert, index)
        records.append(record)
        if not record.suppressed:
            budget.finding()
        tool = alert.get("tool") if isinstance(alert.get("tool"), dict) else {}
        label = " ".join(p for p in (text_of(tool, "name"), text_of(tool, "version")) if p)
        if label and label not in tools:
            tools.append(label)
    make_unique(records, alert_numbers(doc))
    return ScanParse(
        format="github_code_scanning",
        format_label="GitHub code-scanning alerts (REST export)",
        tools=tools,
        records=records,
        empty_reason=None if records else "the export lists no code-scanning alerts",
    )
