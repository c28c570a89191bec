"""findings.json: a run's findings as the launcher planned them, typed, written once.

It holds the findings to dispatch in the plan's order, each with its score and rank, and the
upload's other findings with the reason each one waits. The engine builds its first state
from it and never reads the upload again.

Runs launched by earlier versions have no findings.json: they kept the findings as CSV
(`input.csv`, a scanner file converted to a table) and, when planned against the ledger, the
order and skips by finding id (`plan.json`). `planned_findings` reads those instead, without
changing the folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from engine.core.errors import BadInputError
from engine.core.models import Finding, HeldBackFinding, PriorityScore
from engine.ledger import ImportSummary
from engine.runs.damage import parse_run_file
from engine.runs.paths import RunPaths
from engine.storage.atomic import atomic_write_bytes


class RunFindingsFile(BaseModel):
    planned_at: datetime
    findings: list[Finding]  # to dispatch, in priority order, each with its score and rank
    held_back: list[HeldBackFinding] = Field(default_factory=list)  # skipped, with the reason
    scan_id: str | None = None  # set when planned against the findings ledger
    import_summary: ImportSummary | None = None


def write_findings_file(path: Path, planned: RunFindingsFile) -> None:
    atomic_write_bytes(path, planned.model_dump_json().encode())


def read_findings_file(path: Path) -> RunFindingsFile:
    """DamagedFileError names the file when it is unusable."""
    return parse_run_file(path, RunFindingsFile, "run findings file")


def check_planned_files(paths: RunPaths) -> None:
    """DamagedFileError for a damaged findings.json, or an earlier version's plan.json: what the
    engine builds its first state from (the upload itself is never read again)."""
    if paths.findings.exists():
        read_findings_file(paths.findings)
    elif paths.earlier_plan.exists():
        parse_run_file(paths.earlier_plan, _EarlierPlanFile, "run plan")


def planned_findings(
    paths: RunPaths, source_name: str, created_at: datetime, *, earlier_version: bool
) -> RunFindingsFile:
    """The run's planned findings: findings.json, or (`earlier_version`: its launch record
    names no upload) what an earlier version recorded."""
    if earlier_version and not paths.findings.exists():
        return _earlier_version(paths, source_name, created_at)
    return read_findings_file(paths.findings)


# --- runs launched by earlier versions -----------------------------------------------------------


class _EarlierPlanned(BaseModel):
    finding_id: str
    score: PriorityScore


class _EarlierSkipped(BaseModel):
    finding_id: str
    reason: str
    detail: str


class _EarlierPlanFile(BaseModel):
    planned_at: datetime
    scan_id: str
    selected: list[_EarlierPlanned]
    skipped: list[_EarlierSkipped] = Field(default_factory=list)
    import_summary: ImportSummary


def _earlier_version(paths: RunPaths, source_name: str, created_at: datetime) -> RunFindingsFile:
    """input.csv (+ plan.json): the findings re-checked from the CSV the launcher wrote, in the
    plan's order with its scores; without a plan, ranked as a run without the ledger is (the
    services file is not known here, so every service counts the same)."""
    from engine.ingest import ingest_file  # only runs this old need the CSV reader
    from engine.policy import ServiceCatalog, rank_by_priority

    findings = ingest_file(paths.earlier_input, source_name=source_name).findings
    if not paths.earlier_plan.exists():
        ranked = rank_by_priority(findings, ServiceCatalog(), created_at)
        return RunFindingsFile(
            planned_at=created_at,
            findings=[
                p.finding.model_copy(update={"priority": p.score, "priority_rank": rank})
                for rank, p in enumerate(ranked, start=1)
            ],
        )
    plan = parse_run_file(paths.earlier_plan, _EarlierPlanFile, "run plan")
    by_id = {f.finding_id: f for f in findings}
    missing = [p.finding_id for p in plan.selected if p.finding_id not in by_id]
    if missing:
        raise BadInputError(
            f"{paths.earlier_plan} plans {len(missing)} finding(s) that {paths.earlier_input.name} "
            f"does not hold (first: {missing[0]!r}); the run folder is damaged"
        )
    return RunFindingsFile(
        planned_at=plan.planned_at,
        findings=[
            by_id[p.finding_id].model_copy(update={"priority": p.score, "priority_rank": rank})
            for rank, p in enumerate(plan.selected, start=1)
        ],
        held_back=[
            HeldBackFinding(finding=by_id[s.finding_id], reason=s.reason, detail=s.detail, at=plan.planned_at)
            for s in plan.skipped
            if s.finding_id in by_id
        ],
        scan_id=plan.scan_id,
        import_summary=plan.import_summary,
    )
