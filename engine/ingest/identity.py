"""Fingerprints for findings that arrive without one (CSV rows).

A finding's identity is what it is about, not where the line happens to be today: service,
file, category, CWE and dependency. The line number only separates findings that would
otherwise share an identity (the same kind of problem twice in one file), so a finding keeps
its fingerprint when code above it moves, unless the file holds another of its kind.
A row with neither file nor dependency is identified by its title as well."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from engine.fingerprints import fingerprint, normalise_text
from engine.ingest.columns import fingerprint_from


def _base(record: dict[str, Any]) -> str:
    service = (record.get("service_name") or "").lower()
    path = record.get("file_path") or ""
    dependency = (record.get("dependency_name") or "").lower()
    parts = ["csv", service, path, str(record["category"]), record.get("cwe_id") or "", dependency]
    if not path and not dependency:
        parts.append(normalise_text(record.get("title") or ""))
    return fingerprint(*parts)


def csv_fingerprints(records: Sequence[dict[str, Any]], given: Sequence[str]) -> list[str]:
    """One fingerprint per record: the file's own when well formed, else derived."""
    own = [fingerprint_from(value or "") for value in given]
    base = [fp or _base(record) for fp, record in zip(own, records, strict=True)]
    derived_counts = Counter(b for b, fp in zip(base, own, strict=True) if fp is None)
    result = []
    for record, fp, b in zip(records, own, base, strict=True):
        if fp is None and derived_counts[b] > 1:
            b = fingerprint(b, "line", str(record.get("line_number") or ""))
        result.append(b)
    return result
