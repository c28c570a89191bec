"""Fold rows that describe the same problem into one finding.

Two rows are the same finding when they share service, file, line and category (and, for
dependency findings, the package: two vulnerable packages in one manifest are two findings).
Rows with neither file nor line also need the same title: sharing only a service and a
category says nothing about being the same problem.
The most severe row survives, earliest row on ties, and records the ids it absorbed.

Everything works on integer codes of the full table (`pd.factorize`), so finding duplicates
is one vectorized pass; only the duplicate rows, usually a few percent, are walked in Python."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.ingest.coded import Coded
from engine.ingest.report import MergedGroup, RowProblem
from engine.ingest.rows import CheckedRows
from engine.models import FindingCategory
from engine.prioritize import SEVERITY_WEIGHTS

_SEVERITY_RANK = {s.value: w for s, w in SEVERITY_WEIGHTS.items()}
_LOCATION = ("service", "path", "line", "category", "dependency")


def location_codes(table: pd.DataFrame, checked: CheckedRows, services: Coded) -> pd.DataFrame:
    """One integer code per location part, for every row of the table."""
    dependency = Coded.of(table["dependency_name"]).folded(str.lower)
    is_dependency = checked.category == FindingCategory.dependency_vulnerability.value
    no_location = ((checked.file_path == "") & pd.isna(checked.line_number)).to_numpy(dtype=bool)
    title = np.full(len(table), -1, dtype=np.int64)
    if no_location.any():
        title[no_location] = pd.factorize(
            table["title"].iloc[np.flatnonzero(no_location)].str.strip().str.lower()
        )[0]
    return pd.DataFrame(
        {
            "service": services.folded(str.lower),
            "path": Coded.of(checked.file_path).codes,
            "line": checked.line_codes,
            "category": checked.category_codes,
            "dependency": np.where(is_dependency, dependency, -1),
            "title": title,
        }
    )


def key_texts(table: pd.DataFrame, checked: CheckedRows, positions: list[int]) -> list[str]:
    """Readable location keys for the report, built column-wise for the given rows."""
    services = table["service_name"].take(positions).str.lower().tolist()
    paths = checked.file_path.take(positions).tolist()
    dependencies = table["dependency_name"].take(positions).str.lower().tolist()
    keys = []
    for i, p in enumerate(positions):
        category = checked.category[p]
        dependency = dependencies[i] if category == FindingCategory.dependency_vulnerability.value else ""
        keys.append(f"{services[i]}|{paths[i]}|{checked.line_number[p] or ''}|{category}|{dependency}")
        if not paths[i] and checked.line_number[p] is None:
            keys[-1] += "|" + str(table["title"].iat[p]).strip().lower()
    return keys


def reject_reused_ids(
    table: pd.DataFrame, ids: Coded, locations: pd.DataFrame, keep: np.ndarray
) -> list[RowProblem]:
    """A finding_id reused for a different location is a broken export: the first row stays.
    Clears `keep` for the later rows and returns their problems."""
    codes = ids.codes
    counts = np.bincount(codes[keep], minlength=len(ids))
    reused = np.flatnonzero(keep & (counts[codes] > 1))
    problems: list[RowProblem] = []
    first: dict[int, int] = {}
    location = locations.to_numpy()
    for position in reused:
        fid_code = codes[position]
        if fid_code not in first:
            first[fid_code] = position
        elif not np.array_equal(location[first[fid_code]], location[position]):
            keep[position] = False
            fid = ids.uniques[fid_code]
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
    table: pd.DataFrame, checked: CheckedRows, locations: pd.DataFrame, keep: np.ndarray
) -> tuple[np.ndarray, dict[int, list[str]], list[MergedGroup]]:
    """(positions of surviving rows, survivor position -> absorbed ids, the merged groups)."""
    kept = np.flatnonzero(keep)
    dup = locations.iloc[kept].duplicated(keep=False).to_numpy(dtype=bool)
    if not dup.any():
        return kept, {}, []
    positions = kept[dup].tolist()
    keys = list(locations.iloc[positions].itertuples(index=False, name=None))
    ids = table["finding_id"].take(positions).tolist()
    ranks = [_SEVERITY_RANK[checked.severity[p]] for p in positions]
    order = sorted(range(len(positions)), key=lambda i: (keys[i], -ranks[i], positions[i]))
    absorbed: dict[int, list[str]] = {}
    dropped: list[int] = []
    survivor = -1
    for i in order:
        if survivor < 0 or keys[survivor] != keys[i]:
            survivor = i
            absorbed[positions[i]] = []
            continue
        dropped.append(positions[i])
        merged = absorbed[positions[survivor]]
        if ids[i] != ids[survivor] and ids[i] not in merged:
            merged.append(ids[i])
    by_position = dict(zip(positions, ids, strict=True))
    survivors = list(absorbed)
    groups = [
        MergedGroup(survivor_id=by_position[p], merged_ids=absorbed[p], key=key)
        for p, key in zip(survivors, key_texts(table, checked, survivors), strict=True)
    ]
    keep = keep.copy()
    keep[dropped] = False
    return np.flatnonzero(keep), absorbed, groups
