"""Fold rows that describe the same problem into one finding.

Two rows are the same finding when they share service, file, line and category (and, for
dependency findings, the package: two vulnerable packages in one manifest are two findings).
Rows with neither file nor line also need the same title: sharing only a service and a
category says nothing about being the same problem.
The most severe row survives, earliest row on ties, and records the ids it absorbed.

Each row's location becomes one integer (its parts' codes combined), so finding duplicates
is one vectorized pass; only the duplicate rows, usually a few percent, are walked in Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import TypeAdapter

from engine.core.coded import TableCodes
from engine.core.models import FindingCategory
from engine.ingest.columns import fingerprint_from
from engine.ingest.report import MergedGroup, RowProblem
from engine.ingest.rows import CheckedRows

_MAX_KEY = 2**62
_GROUPS = TypeAdapter(list[MergedGroup])  # one batch validation: far cheaper than per object


def _values(column: pd.Series, positions: list[int]) -> list[str]:
    """Python strings of some rows (through NumPy: iterating an Arrow column is slow)."""
    return column.take(positions).to_numpy().tolist()


def _fold(value: str) -> str:
    return value.strip().lower()


def location_keys(table: pd.DataFrame, checked: CheckedRows, codes: TableCodes) -> np.ndarray:
    """One integer per row; equal integers mean the same location. Only usable rows are compared,
    so a refused row's title (which may be the longest cell allowed) is never folded."""
    dependency = codes["dependency_name"].folded(_fold)
    is_dependency = checked.category == FindingCategory.dependency_vulnerability.value
    no_location = ~checked.has_path & ~checked.has_line & ~checked.bad
    title = np.full(len(table), -1, dtype=np.int64)
    if no_location.any():
        rows = np.flatnonzero(no_location)
        title[rows] = pd.factorize(table["title"].iloc[rows].str.strip().str.lower())[0]
    parts = (
        codes["service_name"].folded(_fold),
        checked.path_codes,
        checked.line_codes,
        checked.category_codes,
        np.where(is_dependency, dependency, -1),
        title,
    )
    key = np.zeros(len(table), dtype=np.int64)
    bound = 1  # key < bound
    for part in parts:
        radix = int(part.max(initial=0)) + 2  # part + 1 lies in [0, radix)
        if bound * radix >= _MAX_KEY:  # compress before the product could overflow
            key = pd.factorize(key)[0]
            bound = int(key.max(initial=0)) + 1
        key = key * radix + (part + 1)
        bound *= radix
    return _fingerprints_first(table["fingerprint"], key)


def _fingerprints_first(fingerprints: pd.Series, key: np.ndarray) -> np.ndarray:
    """Rows that carry a fingerprint (scanner imports) are the same finding exactly when their
    fingerprints are equal: two rules firing on one line are two findings, and one finding
    reported on several lines is one."""
    has = fingerprints.str.strip().str.fullmatch(r"[0-9a-fA-F]{20}").to_numpy(dtype=bool)
    if not has.any():
        return key
    location = pd.factorize(key)[0]
    codes = pd.factorize(fingerprints.str.strip().str.lower())[0]
    return np.where(has, int(location.max(initial=0)) + 1 + codes, location)


def key_texts(
    table: pd.DataFrame, checked: CheckedRows, codes: TableCodes, positions: list[int]
) -> list[str]:
    """Readable location keys for the report (from the per-value codes: no column scans)."""
    services, dependencies = codes["service_name"], codes["dependency_name"]
    keys = []
    for p in positions:
        category = checked.category[p]
        dependency = ""
        if category == FindingCategory.dependency_vulnerability.value:
            dependency = _fold(dependencies.values[dependencies.codes[p]])
        path = checked.path(p)
        service = _fold(services.values[services.codes[p]])
        fingerprint = fingerprint_from(table["fingerprint"].iat[p])
        if fingerprint:
            keys.append(f"fingerprint {fingerprint}")
            continue
        key = f"{service}|{path}|{checked.line_number[p] or ''}|{category}|{dependency}"
        if not path and checked.line_number[p] is None:
            key += "|" + _fold(table["title"].iat[p])
        keys.append(key)
    return keys


def reject_reused_ids(
    table: pd.DataFrame, id_codes: np.ndarray, locations: np.ndarray, keep: np.ndarray
) -> list[RowProblem]:
    """A finding_id reused for a different location is a broken export: the first row stays.
    Clears `keep` for the later rows and returns their problems."""
    codes = id_codes
    counts = np.bincount(codes[keep], minlength=int(codes.max(initial=0)) + 1)
    reused = np.flatnonzero(keep & (counts[codes] > 1))
    problems: list[RowProblem] = []
    first: dict[int, int] = {}
    for position in reused.tolist():
        fid_code = codes[position]
        if fid_code not in first:
            first[fid_code] = position
        elif locations[first[fid_code]] != locations[position]:
            keep[position] = False
            fid = table["finding_id"].iat[position]
            problems.append(
                RowProblem(
                    row=int(table.index[position]),
                    column="finding_id",
                    finding_id=fid,
                    value=fid,
                    reason=f"finding_id {fid!r} is already used on row "
                    f"{int(table.index[first[fid_code]])} for a different location",
                )
            )
    return problems


def merge_duplicates(
    table: pd.DataFrame, checked: CheckedRows, codes: TableCodes, locations: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, dict[int, list[str]], list[MergedGroup]]:
    """(positions of surviving rows, survivor position -> absorbed ids, the merged groups)."""
    kept = np.flatnonzero(keep)
    dup = pd.Series(locations[kept]).duplicated(keep=False).to_numpy()
    if not dup.any():
        return kept, {}, []
    positions = kept[dup]
    # Most severe first, then earliest row: the first row of each location survives.
    order = np.lexsort((positions, -checked.severity_weight[positions], locations[positions]))
    positions = positions[order].tolist()
    keys = locations[positions].tolist()
    ids = _values(table["finding_id"], positions)
    absorbed: dict[int, list[str]] = {}
    dropped: list[int] = []
    survivor = -1
    for i, position in enumerate(positions):
        if survivor < 0 or keys[survivor] != keys[i]:
            survivor = i
            absorbed[position] = []
            continue
        dropped.append(position)
        merged = absorbed[positions[survivor]]
        if ids[i] != ids[survivor] and ids[i] not in merged:
            merged.append(ids[i])
    by_position = dict(zip(positions, ids, strict=True))
    survivors = list(absorbed)
    groups = _GROUPS.validate_python(
        [
            {"survivor_id": by_position[p], "merged_ids": absorbed[p], "key": key}
            for p, key in zip(survivors, key_texts(table, checked, codes, survivors), strict=True)
        ]
    )
    keep = keep.copy()
    keep[dropped] = False
    return np.flatnonzero(keep), absorbed, groups
