"""Findings files in, checked and prioritized findings out."""

from engine.ingest.limits import IngestLimits
from engine.ingest.pipeline import IngestResult, ingest_bytes, ingest_file
from engine.ingest.report import IngestReport, MergedGroup, RowProblem

__all__ = [
    "IngestLimits",
    "IngestReport",
    "IngestResult",
    "MergedGroup",
    "RowProblem",
    "ingest_bytes",
    "ingest_file",
]
