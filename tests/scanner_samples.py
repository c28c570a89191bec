"""Where the real scanner output samples are.

They live beside the project in `../shared/scanner_samples/` (described file by file in its
SOURCES.md), not in this repository: they are other projects' files under their own
licences. `SCANNER_SAMPLES_DIR` points elsewhere. Tests that read them are skipped, saying
so, on a machine that has no copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _find() -> Path | None:
    candidates = [
        os.environ.get("SCANNER_SAMPLES_DIR"),
        REPO.parent / "shared" / "scanner_samples",
        Path("/work/shared/scanner_samples"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "SOURCES.md").is_file():
            return Path(candidate)
    return None


SAMPLES_DIR = _find()
needs_samples = pytest.mark.skipif(
    SAMPLES_DIR is None,
    reason="no copy of the scanner samples (../shared/scanner_samples or SCANNER_SAMPLES_DIR)",
)


def sample(relative: str) -> Path:
    assert SAMPLES_DIR is not None
    return SAMPLES_DIR / relative
