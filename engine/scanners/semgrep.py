"""Semgrep JSON (`semgrep --json`) -> scan records. (Semgrep SARIF goes through sarif.py.)

- Severity: ERROR -> high, WARNING -> medium, INFO -> low; the words newer versions write
  (CRITICAL, HIGH, MEDIUM, LOW) map directly. `metadata.impact`/`confidence` are not used:
  they are not written by every rule set, and mixing them in would make the same rule's
  severity depend on which registry copy of it ran.
- CWE from `extra.metadata.cwe` (a string or a list, "CWE-89: Improper ...").
- Results marked `is_ignored` (a `nosemgrep` comment) are returned suppressed.
- Fingerprint: `extra.fingerprint` (Semgrep's match-based id, the value its SARIF writes as
  matchBasedId/v1) when present and not the "requires login" placeholder; else
  rule + file + message (identity.py).
"""

from __future__ import annotations

from engine.core.errors import BadInputError
from engine.scanners.budget import ScanBudget
from engine.scanners.categories import category_for, cwes_in, primary_cwe
from engine.scanners.detect import json_type
from engine.scanners.identity import code_fingerprint, make_unique, tool_fingerprint
from engine.scanners.languages import language_from_path
from engine.scanners.paths import PathResolver
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.severity import from_semgrep
from engine.scanners.text import UNTITLED, join_texts, title_from

SCANNER = "Semgrep"
_PLACEHOLDERS = {"requires login", ""}


def _fingerprint(value: object) -> str | None:
    if isinstance(value, str) and value.strip().lower() not in _PLACEHOLDERS:
        return value.strip()
    return None


def _line(position: object) -> int | None:
    if isinstance(position, dict):
        line = position.get("line")
        if isinstance(line, int) and line >= 1:
            return line
    return None


def parse_semgrep(doc: object, name: str, budget: ScanBudget) -> ScanParse:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise BadInputError(f'{name}: a Semgrep report needs a "results" list')
    version = doc.get("version") if isinstance(doc.get("version"), str) else None
    tool = f"{SCANNER} {version}" if version else SCANNER
    resolver = PathResolver()
    records: list[ScanRecord] = []
    for index, result in enumerate(doc["results"]):
        budget.entry("results", index)
        if not isinstance(result, dict):
            raise BadInputError(
                f"{name}: results[{index}] is a JSON {json_type(result)}, not a Semgrep result"
            )
        rule_id = result.get("check_id") if isinstance(result.get("check_id"), str) else None
        extra = result.get("extra") if isinstance(result.get("extra"), dict) else {}
        metadata = extra.get("metadata") if isinstance(extra.get("metadata"), dict) else {}
        message = extra.get("message") if isinstance(extra.get("message"), str) else None
        lines = extra.get("lines") if isinstance(extra.get("lines"), str) else None
        if lines is not None and lines.strip().lower() == "requires login":
            lines = None
        raw_path = result.get("path")
        file_path = resolver.resolve(raw_path) if isinstance(raw_path, str) else None
        line = _line(result.get("start"))
        raw_cwe = metadata.get("cwe")
        cwe_id = primary_cwe(cwes_in(raw_cwe if isinstance(raw_cwe, list) else [raw_cwe]))
        title = title_from(message) or rule_id or UNTITLED
        own = _fingerprint(extra.get("fingerprint"))
        if own is not None:
            fingerprint = tool_fingerprint(SCANNER, rule_id, "matchBasedId/v1", own)
        else:
            fingerprint = code_fingerprint(SCANNER, rule_id, file_path, message, lines, line)
        ignored = extra.get("is_ignored") is True
        if not ignored:
            budget.finding()
        records.append(
            ScanRecord(
                scanner=SCANNER,
                rule_id=rule_id,
                title=title,
                description=join_texts(message),
                severity=from_semgrep(extra.get("severity")),
                category=category_for(cwe_id, rule_id, title),
                cwe_id=cwe_id,
                file_path=file_path,
                line_number=line,
                dependency_name=None,
                current_version=None,
                fixed_version=None,
                language=language_from_path(file_path),
                service_name=None,
                repo_url=None,
                fingerprint=fingerprint,
                source_ref=f"results[{index}]",
                suppressed=ignored,
                suppression="inSource: nosemgrep" if ignored else None,
            )
        )
    make_unique(records)
    return ScanParse(
        format="semgrep",
        format_label="Semgrep JSON",
        tools=[tool],
        records=records,
        empty_reason=None if records else _empty_reason(doc),
    )


def _empty_reason(doc: dict) -> str:
    errors = doc.get("errors")
    if isinstance(errors, list) and errors:
        return (
            f"the Semgrep report has no results and {len(errors):,} errors: the scan may not have "
            'completed (see its "errors")'
        )
    return "the Semgrep report has no results: Semgrep found nothing (a clean scan)"
