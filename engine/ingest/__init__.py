"""Findings files in, checked and merged findings out (the plan scores and orders them).

The parser (pandas, pyarrow) loads on first use of `ingest_bytes`, `ingest_file` or
`IngestResult`: the engine process that runs a launched run reads findings.json and never
parses a file, so importing this package for its limits, report or column names stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.core.sources import SourceDefaults
from engine.ingest.limits import IngestLimits
from engine.ingest.report import IngestReport, MergedGroup, RowProblem, SuppressedFinding

if TYPE_CHECKING:
    from engine.ingest.pipeline import IngestResult, ingest_bytes, ingest_file

_PARSER = ("IngestResult", "ingest_bytes", "ingest_file")

__all__ = [
    "IngestLimits",
    "IngestReport",
    "IngestResult",
    "MergedGroup",
    "RowProblem",
    "SourceDefaults",
    "SuppressedFinding",
    "ingest_bytes",
    "ingest_file",
]


def __getattr__(name: str) -> Any:
    if name in _PARSER:
        from engine.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
