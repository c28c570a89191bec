"""Fingerprints for findings that arrive without one (CSV rows).

A finding's identity is what it is about, not where the line happens to be today: service,
file, category, CWE and dependency. The line number only separates findings that would
otherwise share an identity (the same kind of problem twice in one file), so a finding keeps
its fingerprint when code above it moves, unless the file holds another of its kind.
A row with neither file nor dependency is identified by its title as well."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from engine.core.fingerprints import fingerprint, normalise_text
from engine.ingest.columns import fingerprint_from


def csv_fingerprints(columns: Mapping[str, Sequence[Any]], given: Sequence[str | None]) -> list[str]:
    """One fingerprint per row of `columns` (a findings column -> one value per row): the
    file's own when well formed, else derived. Each distinct identity is hashed once: many
    rows of a large file share one."""
    own = [fingerprint_from(value) if value else None for value in given]
    hashed: dict[tuple[str, ...], str] = {}
    base: list[str] = []
    rows = zip(
        own,
        columns["service_name"],
        columns["file_path"],
        columns["category"],
        columns["cwe_id"],
        columns["dependency_name"],
        columns["title"],
        strict=True,
    )
    for fp, service, path, category, cwe, dependency, title in rows:
        if fp is not None:
            base.append(fp)
            continue
        parts: tuple[str, ...] = ("csv", (service or "").lower(), path or "", str(category), cwe or "")
        parts += ((dependency or "").lower(),)
        if not path and not dependency:
            parts += (normalise_text(title or ""),)
        found = hashed.get(parts)
        if found is None:
            found = hashed[parts] = fingerprint(*parts)
        base.append(found)
    derived_counts = Counter(b for b, fp in zip(base, own, strict=True) if fp is None)
    return [
        fingerprint(b, "line", str(line or "")) if fp is None and derived_counts[b] > 1 else b
        for line, fp, b in zip(columns["line_number"], own, base, strict=True)
    ]
