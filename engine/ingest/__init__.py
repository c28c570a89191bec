"""Findings files in, checked and merged findings out (the plan scores and orders them)."""

from engine.ingest.limits import IngestLimits
from engine.ingest.pipeline import IngestResult, ingest_bytes, ingest_file
from engine.ingest.report import IngestReport, MergedGroup, RowProblem, SuppressedFinding
from engine.sources import SourceDefaults

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
