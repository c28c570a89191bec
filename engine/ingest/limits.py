"""How much one findings file may ask of the engine: its size, its rows, the time to check it.

Uploads and the `ingest`, `plan`, `run` and `ledger import` commands pass limits taken from the
settings; the engine's own re-reads of a run folder (already checked at launch) pass none. The
row and time limits are enforced while the file is read (rows and results are counted as they
are parsed, the clock is read at every result and every chunk of rows), not only once it is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from engine.core.errors import BadInputError
from engine.scanners.budget import ScanBudget

if TYPE_CHECKING:
    from engine.settings.environment import Settings

_MB = 1024 * 1024
# The clock the time limit reads; a module attribute so tests can stand in for it.
_clock = time.monotonic


class IngestLimits(BaseModel):
    model_config = ConfigDict(frozen=True)  # hashable: part of the app's cache keys

    max_upload_bytes: int = Field(10 * _MB, ge=1)
    max_rows_per_run: int = Field(5000, ge=1)
    parse_time_limit_seconds: float = Field(10, gt=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls(
            max_upload_bytes=settings.max_upload_bytes,
            max_rows_per_run=settings.max_rows_per_run,
            parse_time_limit_seconds=settings.parse_time_limit_seconds,
        )

    def check_size(self, size: int, name: str) -> None:
        """Before parsing: the size is known up front, so an oversized file costs nothing."""
        if size > self.max_upload_bytes:
            raise BadInputError(
                f"{name}: the file is {byte_size(size)}; the limit is {byte_size(self.max_upload_bytes)} "
                "(MAX_UPLOAD_BYTES)"
            )

    def check_rows(self, rows: int, name: str, *, complete: bool = True) -> None:
        """A file over the limit is refused as a whole: running part of it would silently
        leave the rest of the findings out. `complete=False`: `rows` were counted before the
        end of the file, where reading stopped."""
        if rows > self.max_rows_per_run:
            more = "" if complete else "more than "
            raise BadInputError(
                f"{name}: {more}{rows:,} data rows; the limit per run is {self.max_rows_per_run:,} "
                "(MAX_ROWS_PER_RUN); split the file into several runs"
            )

    def stopwatch(self, name: str) -> Stopwatch:
        return Stopwatch(self.parse_time_limit_seconds, name)

    def scan_budget(self, name: str, watch: Stopwatch) -> ScanBudget:
        return ScanBudget(name, self.max_rows_per_run, watch)


class Stopwatch:
    """The time limit on parsing and checking one file, checked while parsing (at every
    scanner result, every chunk of CSV rows, every 65,536 JSON tokens of a first pass) and
    between stages.

    The check is cooperative: a step that runs long is noticed when it ends, not cut short.
    A hard stop is not used because Python cannot kill a thread, SIGALRM works only in the
    main thread (Streamlit runs pages in other threads), and parsing in a subprocess would
    copy the whole table back, costing more than the check itself. The size and row limits
    bound how long any one step can take."""

    def __init__(self, limit_seconds: float, name: str) -> None:
        self.limit = limit_seconds
        self.name = name
        self.started = _clock()

    def over(self) -> bool:
        return _clock() - self.started > self.limit

    def check(self, where: str) -> None:
        """`where`: when the check was made, e.g. "after reading the rows"."""
        elapsed = _clock() - self.started
        if elapsed > self.limit:
            raise BadInputError(
                f"{self.name}: checking the file took {elapsed:.1f} s (stopped {where}); "
                f"the limit is {self.limit:g} s (PARSE_TIME_LIMIT_SECONDS); split the file into "
                "smaller ones"
            )


def byte_size(size: int) -> str:
    """10485760 -> '10 MB (10,485,760 bytes)'; small sizes in bytes only."""
    if size < 1024:
        return f"{size:,} bytes"
    if size < _MB:
        return f"{size / 1024:.1f} KB ({size:,} bytes)".replace(".0 KB", " KB")
    return f"{size / _MB:.1f} MB ({size:,} bytes)".replace(".0 MB", " MB")
