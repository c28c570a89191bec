"""`python -m engine ingest FILE [--json]`: check a findings file and print what happened.

With `--json`, the report and every accepted finding as one JSON object, streamed: a
100,000-row file has as many findings, so they are written from the checked columns
(`IngestResult.columns`) in chunks, serialised by orjson, never as
Finding models nor as one string holding the whole document. This module imports only what
checking a file needs, so the command starts about as fast as the parser itself."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import click
import orjson

from engine.core.errors import BadInputError
from engine.core.sources import SourceDefaults
from engine.ingest.limits import IngestLimits
from engine.ingest.pipeline import IngestResult, ingest_file
from engine.settings.environment import Settings

CHUNK = 5000  # findings serialised at a time


def write_ingest_json(result: IngestResult, out: BinaryIO) -> None:
    report = result.report
    head = {
        "format": report.format,
        "format_label": report.format_label,
        "encoding": report.encoding,
        "replaced_bytes": report.replaced_bytes,
        "replaced_rows": report.replaced_rows,
        "tools": report.tools,
        "suppressed": report.suppressed,
        "suppressed_findings": [s.model_dump(mode="json") for s in report.suppressed_findings],
        "not_findings": report.not_findings,
        "accepted": report.accepted,
        "rejected": [p.model_dump() for p in report.rejected],
        "rejected_rows": report.rejected_rows,
        "warnings": [p.model_dump() for p in report.warnings],
        "duplicates_merged": report.duplicates_merged,
        "merged_groups": [g.model_dump() for g in report.merged_groups],
        "total_rows": report.total_rows,
        "ignored_columns": report.ignored_columns,
        "categories": report.categories,
        "other": report.other,
        "with_cwe": report.with_cwe,
        "other_with_cwe": report.other_with_cwe,
    }
    out.write(orjson.dumps(head)[:-1] + b',"findings":[')
    columns = result.columns()
    names = list(columns)
    total = len(columns["finding_id"])
    for start in range(0, total, CHUNK):
        # One chunk of findings as dicts at a time: the whole file's would double the memory.
        cells = zip(*(values[start : start + CHUNK] for values in columns.values()), strict=True)
        chunk = [dict(zip(names, row, strict=True)) for row in cells]
        if start:
            out.write(b",")
        out.write(orjson.dumps(chunk)[1:-1])
    out.write(b"]}\n")
    out.flush()


def ingest_command(
    file: Path, settings: Settings, as_json: bool, defaults: SourceDefaults | None = None
) -> None:
    result = ingest_file(file, limits=IngestLimits.from_settings(settings), defaults=defaults)
    report = result.report
    if as_json:
        write_ingest_json(result, click.get_binary_stream("stdout"))
    else:
        from engine.cli import reporting

        reporting.print_ingest(report)
    if report.accepted == 0:
        raise BadInputError(f"{file.name}: no usable findings")
