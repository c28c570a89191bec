"""Fold rows that describe the same problem into one finding.

Two rows are the same finding when they share service, file, line and category (and, for
dependency findings, the package: two vulnerable packages in one manifest are two findings).
The most severe row survives, earliest row on ties, and records the ids it absorbed."""

from __future__ import annotations

import pandas as pd

from engine.ingest.report import MergedGroup, RowProblem
from engine.models import FindingCategory
from engine.prioritize import SEVERITY_WEIGHTS

_SEVERITY_RANK = {s.value: w for s, w in SEVERITY_WEIGHTS.items()}


def location_keys(frame: pd.DataFrame) -> pd.Series:
    line = frame["line_number"].astype("str").fillna("")
    line = line.where(frame["line_number"].notna(), "")
    dependency = (
        frame["dependency_name"]
        .str.lower()
        .where(frame["category"] == FindingCategory.dependency_vulnerability.value, "")
    )
    return (
        frame["service_name"].str.lower()
        + "|"
        + frame["file_path"]
        + "|"
        + line
        + "|"
        + frame["category"]
        + "|"
        + dependency
    )


def reject_reused_ids(frame: pd.DataFrame, keys: pd.Series) -> tuple[pd.DataFrame, list[RowProblem]]:
    """A finding_id reused for a different location is a broken export: keep the first row."""
    reused = frame["finding_id"].duplicated(keep=False)
    if not reused.any():
        return frame, []
    problems: list[RowProblem] = []
    drop: list[int] = []
    subset = frame[reused]
    for fid, group in subset.groupby("finding_id", sort=False):
        first_row = int(group.index[0])
        first_key = keys[group.index[0]]
        for row in group.index[1:]:
            if keys[row] != first_key:
                drop.append(row)
                problems.append(
                    RowProblem(
                        row=int(row),
                        column="finding_id",
                        finding_id=str(fid),
                        value=str(fid),
                        reason=f"finding_id {fid!r} is already used on row {first_row} "
                        "for a different location",
                    )
                )
    return frame.drop(index=drop), problems


def merge_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[MergedGroup]]:
    keys = location_keys(frame)
    dup_mask = keys.duplicated(keep=False)
    merged_ids = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
    if not dup_mask.any():
        return frame.assign(merged_ids=merged_ids), []
    groups: list[MergedGroup] = []
    drop: list[int] = []
    dups = frame[dup_mask].assign(
        _key=keys[dup_mask],
        _rank=frame.loc[dup_mask, "severity"].map(_SEVERITY_RANK),
        _row=frame.index[dup_mask],
    )
    dups = dups.sort_values(["_key", "_rank", "_row"], ascending=[True, False, True])
    for key, group in dups.groupby("_key", sort=False):
        survivor = group.index[0]
        absorbed = [fid for fid in group["finding_id"].iloc[1:] if fid != group.at[survivor, "finding_id"]]
        merged_ids[survivor] = list(dict.fromkeys(absorbed))
        drop.extend(group.index[1:])
        groups.append(
            MergedGroup(
                survivor_id=str(group.at[survivor, "finding_id"]),
                merged_ids=merged_ids[survivor],
                key=str(key),
            )
        )
    return frame.assign(merged_ids=merged_ids).drop(index=drop), groups
