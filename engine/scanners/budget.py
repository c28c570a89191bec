"""What reading one scanner file may take: findings (MAX_ROWS_PER_RUN), result entries of any
kind, and time (PARSE_TIME_LIMIT_SECONDS); counted while the file is read, so a file over a
limit is refused at the entry that crosses it, not after every entry was built.

Entries of any kind are bounded too: suppressed, dismissed, fixed and passing results are not
run, but each is read and most become a record, so a file of nothing but those would otherwise
cost as much as one of findings. Real entries take hundreds of bytes, so the default limits
(10 MB, 5,000 findings) let the bound on entries (4 x 5,000) be reached only by files that are
mostly such entries."""

from __future__ import annotations

from typing import Protocol

from engine.core.errors import BadInputError

ENTRIES_PER_FINDING = 4  # result entries of any kind allowed per finding of MAX_ROWS_PER_RUN


class Deadline(Protocol):
    """The time limit on checking one file (engine.ingest.limits.Stopwatch)."""

    def over(self) -> bool: ...

    def check(self, where: str) -> None: ...


def too_many_results(name: str, limit: int) -> BadInputError:
    return BadInputError(
        f"{name}: more than {limit:,} results (limit MAX_ROWS_PER_RUN, {limit:,} findings per run); "
        "split the scan into several runs or raise the limit"
    )


def too_many_entries(name: str, limit: int) -> BadInputError:
    return BadInputError(
        f"{name}: more than {limit * ENTRIES_PER_FINDING:,} results in all, suppressed, dismissed, fixed "
        f"and passing ones included (limit {ENTRIES_PER_FINDING} x MAX_ROWS_PER_RUN); split the scan into "
        "several runs or raise the limit"
    )


class ScanBudget:
    """Counts one reading of a scanner file against the limits. `max_findings=None`: no limits
    (the engine re-reading a run folder it wrote)."""

    def __init__(self, name: str, max_findings: int | None = None, deadline: Deadline | None = None) -> None:
        self.name = name
        self.max_findings = max_findings
        self.max_entries = max_findings * ENTRIES_PER_FINDING if max_findings is not None else None
        self.deadline = deadline
        self.findings = 0
        self.entries = 0

    @property
    def limited(self) -> bool:
        return self.max_findings is not None or self.deadline is not None

    def fresh(self) -> ScanBudget:
        """The same limits and clock with nothing counted yet (for a second reading)."""
        return ScanBudget(self.name, self.max_findings, self.deadline)

    def entry(self, where: str | None = None, index: int = 0) -> None:
        """One result entry (finding or not), at `where[index]` when given ("" for a top-level
        list); refuses past the bound on entries or the time limit."""
        self.entries += 1
        if self.max_entries is not None and self.entries > self.max_entries:
            raise too_many_entries(self.name, self.max_findings or 0)
        if self.deadline is not None and self.deadline.over():
            place = f"{where}[{index:,}]" if where is not None else f"result {self.entries:,}"
            self.deadline.check(f"while reading {place}")

    def finding(self) -> None:
        """One entry that becomes a finding to run; refuses past MAX_ROWS_PER_RUN."""
        self.findings += 1
        if self.max_findings is not None and self.findings > self.max_findings:
            raise too_many_results(self.name, self.max_findings)

    def check_time(self, where: str) -> None:
        if self.deadline is not None:
            self.deadline.check(where)


def unlimited(name: str = "") -> ScanBudget:
    return ScanBudget(name)
