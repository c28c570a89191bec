"""Findings files in, checked and prioritized findings out."""

from engine.ingest.pipeline import IngestResult, ingest_bytes, ingest_file
from engine.ingest.report import IngestReport, MergedGroup, RowProblem

__all__ = [
    "IngestReport",
    "IngestResult",
    "MergedGroup",
    "RowProblem",
    "ingest_bytes",
    "ingest_file",
]
