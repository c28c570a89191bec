"""Fingerprints for scanner records (the scheme is in engine/core/fingerprints.py).

Order of preference for code findings:
1. the tool's own fingerprint (SARIF partialFingerprints, primaryLocationLineHash first, then
   fingerprints such as matchBasedId/v1, contextHash/v1 or Snyk Code's "0"):
   fingerprint("sarif-fp", tool, rule_id, key, value);
2. rule + file + normalised message: fingerprint("rfm", tool, rule_id, file_path, message);
   no line number, so a finding that moves down the file keeps its identity;
3. rule + file + normalised source line ("rfs"), when the result quotes it;
4. rule + file + line ("rfl"); rule + file alone ("rf") when there is nothing else.
The tool name is lowercased, so "CodeQL" and "codeql" are one tool.

Dependency findings: fingerprint("dep", manifest or target, package lowercased, vulnerability
id): no tool and no version, so the same vulnerable package is one finding across tools and
across upgrades that do not fix it.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.core.fingerprints import disambiguate, fingerprint, normalise_text
from engine.scanners.records import ScanRecord


def tool_key(tool: str) -> str:
    return tool.strip().lower()


def tool_fingerprint(tool: str, rule_id: str | None, key: str, value: str) -> str:
    return fingerprint("sarif-fp", tool_key(tool), rule_id or "", key, value)


def code_fingerprint(
    tool: str,
    rule_id: str | None,
    file_path: str | None,
    message: str | None,
    snippet: str | None = None,
    line: int | None = None,
) -> str:
    tool = tool_key(tool)
    rule = rule_id or ""
    path = file_path or ""
    if message:
        normalised = normalise_text(message)
        if normalised:
            return fingerprint("rfm", tool, rule, path, normalised)
    if snippet:
        normalised = normalise_text(snippet)
        if normalised:
            return fingerprint("rfs", tool, rule, path, normalised)
    if line:
        return fingerprint("rfl", tool, rule, path, str(line))
    return fingerprint("rf", tool, rule, path)


def dependency_fingerprint(target: str | None, package: str | None, vulnerability_id: str | None) -> str:
    return fingerprint("dep", target or "", (package or "").strip().lower(), vulnerability_id or "")


def make_unique(records: list[ScanRecord], order: Sequence[int] | None = None) -> None:
    """Gives results of one file that share a fingerprint distinct ones ("#2", "#3", ...)."""
    unique = disambiguate([r.fingerprint for r in records], order)
    for record, value in zip(records, unique, strict=True):
        record.fingerprint = value
