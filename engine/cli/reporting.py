"""Plain-text rendering of ingest reports, plans and run status for the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import click

from engine.analytics.held_back import held_back_lines
from engine.analytics.outcomes import (
    attempt_sentence,
    outcome_sentence,
    summarize_attempts,
    summarize_outcomes,
)
from engine.core.models import BatchRun, Finding, Wave
from engine.ingest import IngestReport
from engine.runs.reviews import ReviewDecision

if TYPE_CHECKING:
    from engine.policy import SkippedFinding


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], whole: Sequence[str] = ()) -> str:
    """A plain-text table; cells are clipped to 60 characters except in the `whole` columns."""
    clip = [h not in whole for h in headers]
    cells = [
        [str(h) for h in headers],
        *[[_cell(c, k) for c, k in zip(row, clip, strict=True)] for row in rows],
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object, clip: bool = True) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 or not clip else text[:59] + "…"


def print_ingest(report: IngestReport) -> None:
    unit = f"{report.row_label}s"
    click.echo(
        f"{report.source_name} ({report.format_label}): {report.total_rows} {unit}, {report.accepted} "
        f"findings accepted, {report.rejected_rows} {unit} rejected, "
        f"{report.duplicates_merged} duplicates merged"
    )
    if report.encoding != "utf-8" or report.replaced_bytes:
        click.echo(f"read as {report.encoding_summary}")
    if report.categories:
        click.echo(category_line(report))
    if report.suppressed:
        click.echo(f"suppressed in the file (counted, never dispatched): {report.suppressed}")
    if report.not_findings:
        click.echo(f"results that report no problem (skipped): {report.not_findings}")
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
    if report.rejected:
        click.echo("\nRejected:")
        click.echo(
            table(
                [report.row_label, "column", "reason"],
                [(p.ref or p.row, p.column or "", p.reason) for p in report.rejected],
            )
        )
    if report.warnings:
        click.echo("\nWarnings:")
        click.echo(
            table(
                [report.row_label, "column", "note"],
                [(p.ref or p.row, p.column or "", p.reason) for p in report.warnings],
            )
        )
    if report.merged_groups:
        click.echo("\nMerged duplicates:")
        click.echo(
            table(
                ["kept", "merged"],
                [(g.survivor_id, ", ".join(g.merged_ids) or "(same id)") for g in report.merged_groups],
            )
        )


def category_line(report: IngestReport) -> str:
    """'categories: xss 4, other 2; in other: 2 of 6 findings (1 of 5 with a CWE)'."""
    counts = ", ".join(f"{name} {count}" for name, count in report.categories.items())
    return (
        f"categories: {counts}; in other: {report.other} of {report.accepted} findings "
        f"({report.other_with_cwe} of {report.with_cwe} with a CWE)"
    )


def score_text(f: Finding) -> str:
    """The score the plan is ordered by, with its parts: "73.3 = service 26.2 + severity 30 + ..."."""
    s = f.priority
    return f"{s.total:g} = {s.explain()}" if s is not None else ""


def finding_rows(findings: Sequence[Finding]) -> list[tuple[object, ...]]:
    return [
        (
            f.priority_rank,
            f.finding_id,
            f.severity.value,
            f.category.value,
            f.service_name,
            score_text(f),
            f.title,
        )
        for f in findings
    ]


FINDING_HEADERS = ["#", "finding", "severity", "category", "service", "score", "title"]


def print_plan(waves: Sequence[Wave], findings: dict[str, Finding]) -> None:
    for wave in waves:
        click.echo(f"\nWave {wave.number} ({len(wave.finding_ids)} findings)")
        rows = finding_rows([findings[f] for f in wave.finding_ids])
        click.echo(table(FINDING_HEADERS, rows, whole=("score",)))


def print_skipped(skipped: Sequence[SkippedFinding]) -> None:
    """What the ledger plan leaves out of the run, and why."""
    if not skipped:
        return
    click.echo(f"\nSkipped ({len(skipped)}):")
    click.echo(
        table(["finding", "reason", "detail"], [(s.finding_id, s.reason.value, s.detail) for s in skipped])
    )


def print_run(
    run: BatchRun, status: str, decisions: Mapping[tuple[str, int], ReviewDecision] | None = None
) -> None:
    """The run in the one vocabulary (engine/analytics/outcomes.py): finding outcomes, which add
    up to the findings total, then session attempts; then the held-back findings and what to do."""
    from engine.analytics.overview import wave_progress  # pandas: only once the run is printed

    decisions = decisions or {}
    outcomes = summarize_outcomes(run, decisions)
    click.echo(f"Run {run.run_id}: {status}" + (f" ({run.status_reason})" if run.status_reason else ""))
    click.echo(
        f"  source {run.source_file_name}  data {run.data_source}  "
        f"speed {run.config.speed:g}  seed {run.config.seed}"
    )
    click.echo(f"  {outcome_sentence(outcomes)}")
    click.echo(f"  {attempt_sentence(summarize_attempts(run))}")
    for line in held_back_lines((h.reason for h in run.held_back), run.data_source):
        click.echo(f"  {line}")
    if run.waves:
        rows = wave_progress(run, decisions, status)
        click.echo(
            table(
                ["wave", "status", "findings", "fixed", "PR awaiting review", "failed"],
                [(w.number, w.status, w.findings, w.fixed, w.awaiting_review, w.failed) for w in rows],
            )
        )
