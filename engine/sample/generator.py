"""Synthetic scanner findings in the shape of `sample_data/findings.csv`, at any size.

`write_sample_csv(out, rows, seed)` writes a header and `rows` findings drawn from templates per
category and language (Java, Python, TypeScript, Go) and from tables of real vulnerable package
versions per ecosystem. Output is identical for identical arguments.

Every row is valid. About 2% of rows repeat an earlier row's location (same service, file,
line, category and, for dependency findings, package) under a new finding id, sometimes with a
different severity or scanner, so ingest has duplicates to merge. Apart from those, no two rows
share service, file, line and category. Dependency findings in lockfiles may have no line.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple, TextIO

from engine.ingest.columns import CSV_COLUMNS
from engine.sample.code_templates import FILLS, TEMPLATES
from engine.sample.dependencies import (
    DEP_DESCRIPTIONS,
    DEP_TITLES,
    DEPENDENCIES,
    MANIFEST_MAX_LINE,
    MANIFESTS,
)
from engine.sample.records import Service
from engine.sample.services import (
    CATEGORY_PERCENT,
    DEP,
    SCANNERS,
    SERVICES,
    SEVERITY_ORDER,
    SEVERITY_PERCENT,
)

SAMPLE_COLUMNS: tuple[str, ...] = CSV_COLUMNS  # the findings CSV format, in order

DUPLICATE_RATE = 0.02
_CHUNK_ROWS = 5_000
_DUP_POOL_SIZE = 4_096
_REDRAWS = 8  # random line draws before falling back to the next free line past the range


def _words(pascal: str) -> list[str]:
    return re.findall(r"[A-Z][a-z0-9]*", pascal)


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _entity_keys(pascal: str) -> dict[str, str]:
    words = [w.lower() for w in _words(pascal)]
    plural = [*words[:-1], _plural(words[-1])]
    return {
        "E": pascal,
        "Es": "".join(w.capitalize() for w in plural),
        "W": " ".join(words).capitalize(),
        "e": "_".join(words),
        "es": "_".join(plural),
        "c": words[0] + "".join(w.capitalize() for w in words[1:]),
        "k": "-".join(plural),
        "w": " ".join(words),
        "ws": " ".join(plural),
    }


def _fill_keys(fill: Mapping[str, str]) -> dict[str, str]:
    keys = dict(fill)
    if "p" in keys:
        keys["P"] = keys["p"][0].upper() + keys["p"][1:]
        keys["ps"] = "_".join(w.lower() for w in _words(keys["P"]))
    if "data" in keys:
        keys["Data"] = keys["data"][0].upper() + keys["data"][1:]
        keys["fs"] = "_".join(w.lower() for w in _words(keys["field"][0].upper() + keys["field"][1:]))
    if "kind" in keys:
        keys["Kind"] = keys["kind"][0].upper() + keys["kind"][1:]
        article = "an" if keys["kind"][0] in "AEIOU" else "a"
        keys["a_kind"] = f"{article} {keys['kind']}"
    if "m" in keys:
        keys["M"] = keys["m"].capitalize()
    return keys


def _encode(fields: Sequence[str]) -> str:
    """Fields as one CSV record (no line end), quoted the way csv.writer quotes them."""
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="").writerow(fields)
    return buf.getvalue()


class _Variant(NamedTuple):
    """One finding shape for a service, with its fixed columns already CSV-encoded."""

    path: str
    max_line: int
    lockfile: bool  # a lockfile finding is first tried without a line number
    head: str  # title, description, service_name, repo_url, file_path
    tail: str  # cwe_id, dependency_name, current_version, fixed_version, language


def _variant(
    service: Service,
    title: str,
    description: str,
    path: str,
    cwe: str,
    max_line: int,
    dependency: tuple[str, str, str] = ("", "", ""),
    lockfile: bool = False,
) -> _Variant:
    head = _encode((title, description, service.name, service.repo_url, path))
    tail = _encode((cwe, *dependency, service.language))
    return _Variant(path, max_line, lockfile, head, tail)


def _code_variants(service: Service, category: str) -> list[_Variant]:
    templates = TEMPLATES[category][service.language]
    fills = [_fill_keys(f) for f in FILLS[category]]
    out: list[_Variant] = []
    seen: set[tuple[str, str, str]] = set()
    for ti, tpl in enumerate(templates):
        for ei, entity in enumerate(service.entities):
            for offset in (0, 3):
                fill = fills[(ti * 7 + ei + offset) % len(fills)]
                keys = {**_entity_keys(entity), **fill, "pkg": service.package, "svc": service.name}
                path = tpl.path.format_map(keys)
                keys["file"] = path.rsplit("/", 1)[-1]
                title = tpl.title.format_map(keys)
                description = tpl.description.format_map(keys)
                if (title, description, path) in seen:
                    continue
                seen.add((title, description, path))
                cwe = fill.get("cwe", tpl.cwe)
                out.append(_variant(service, title, description, path, cwe, tpl.max_line))
    return out


def _dependency_variants(service: Service, severity: str) -> list[_Variant]:
    deps = [d for d in DEPENDENCIES[service.language] if d.severity == severity]
    if not deps:  # keep the severity mix even where an ecosystem lacks a level
        deps = list(DEPENDENCIES[service.language])
    out: list[_Variant] = []
    for di, dep in enumerate(deps):
        for mi, (path, lockfile) in enumerate(MANIFESTS[service.language]):
            keys = {
                **dep._asdict(),
                "path": path,
                "svc": service.name,
                "pkg": dep.name.rsplit(":", 1)[-1],
            }
            title = DEP_TITLES[(di + mi) % len(DEP_TITLES)].format_map(keys)
            description = DEP_DESCRIPTIONS[(di + mi + 1) % len(DEP_DESCRIPTIONS)].format_map(keys)
            out.append(
                _variant(
                    service,
                    title,
                    description,
                    path,
                    dep.cwe,
                    MANIFEST_MAX_LINE,
                    (dep.name, dep.current, dep.fixed),
                    lockfile,
                )
            )
    return out


@lru_cache(maxsize=1)
def _variant_table() -> dict[tuple[int, str, str], list[_Variant]]:
    """Variants per (service index, category, severity); severity is "" except for deps."""
    table: dict[tuple[int, str, str], list[_Variant]] = {}
    for si, service in enumerate(SERVICES):
        for category in CATEGORY_PERCENT:
            if category == DEP:
                for severity in SEVERITY_ORDER:
                    table[si, category, severity] = _dependency_variants(service, severity)
            else:
                table[si, category, ""] = _code_variants(service, category)
    return table


def _percent_table(weights: Mapping[str, int]) -> list[str]:
    table = [value for value, pct in weights.items() for _ in range(pct)]
    if len(table) != 100:
        raise AssertionError(f"weights must sum to 100, got {len(table)}")
    return table


_CATEGORY_TABLE: list[str] = _percent_table(CATEGORY_PERCENT)
_SEVERITY_TABLES: dict[str, list[str]] = {
    cat: _percent_table(dict(zip(SEVERITY_ORDER, pcts, strict=True)))
    for cat, pcts in SEVERITY_PERCENT.items()
}
# Category and dependency-severity pairs: for code categories the variant key ignores severity.
_VARIANT_SEVERITY_KEY: dict[tuple[str, str], str] = {
    (cat, sev): (sev if cat == DEP else "") for cat in CATEGORY_PERCENT for sev in SEVERITY_ORDER
}


def write_sample_csv(out: TextIO, rows: int, seed: int = 0) -> int:
    """Write a header and `rows` synthetic findings to `out`; returns the rows written.

    Deterministic: the same `rows` and `seed` always give the same text. Records are built
    from fields that were CSV-encoded once per variant, so writing stays fast at 100k+ rows.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = random.Random(seed)
    rand = rng.random
    variants = _variant_table()
    n_services = len(SERVICES)
    cat_table = _CATEGORY_TABLE
    sev_tables = _SEVERITY_TABLES
    sev_key = _VARIANT_SEVERITY_KEY
    scanners = SCANNERS
    order = SEVERITY_ORDER
    used: set[tuple[int, str, int | str, str]] = set()
    next_free: dict[tuple[int, str, str], int] = {}
    # Recent original rows as (scanner, category, severity, head, line, tail).
    pool: list[tuple[str, str, str, str, int | str, str]] = []
    prefix = f"SAMPLE-{seed}-"
    out.write(_encode(SAMPLE_COLUMNS) + "\n")
    chunk: list[str] = []

    for i in range(1, rows + 1):
        if pool and rand() < DUPLICATE_RATE:
            scanner, category, severity, head, line, tail = pool[int(rand() * len(pool))]
            if rand() < 0.4:  # a second scanner, or a rescan, rates it differently
                level = order.index(severity)
                severity = order[level + 1 if level < 3 else level - 1]
            if rand() < 0.5:
                options_s = scanners[category]
                scanner = options_s[int(rand() * len(options_s))]
        else:
            si = int(rand() * n_services)
            category = cat_table[int(rand() * 100)]
            severity = sev_tables[category][int(rand() * 100)]
            options = variants[si, category, sev_key[category, severity]]
            v = options[int(rand() * len(options))]
            line = "" if v.lockfile else 3 + int(rand() * (v.max_line - 2))
            key = (si, v.path, line, category)
            tries = 0
            while key in used:
                tries += 1
                if tries <= _REDRAWS:
                    line = 3 + int(rand() * (v.max_line - 2))
                else:  # the range is crowded: take the next free line past it
                    free_key = (si, v.path, category)
                    line = next_free.get(free_key, v.max_line + 1)
                    next_free[free_key] = line + 1
                key = (si, v.path, line, category)
            used.add(key)
            options_s = scanners[category]
            scanner = options_s[int(rand() * len(options_s))]
            head = v.head
            tail = v.tail
            original = (scanner, category, severity, head, line, tail)
            if len(pool) < _DUP_POOL_SIZE:
                pool.append(original)
            else:
                pool[i % _DUP_POOL_SIZE] = original
        chunk.append(f"{prefix}{i:06d},{scanner},{category},{severity},{head},{line},{tail}\n")
        if len(chunk) >= _CHUNK_ROWS:
            out.write("".join(chunk))
            chunk = []
    if chunk:
        out.write("".join(chunk))
    return rows
