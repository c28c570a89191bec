"""Foreground progress: a bar on a terminal, plain lines otherwise (logs, CI, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Protocol

import click

from engine.core.models import BatchRun, Wave, WaveStatus
from engine.execute.totals import finding_outcome, latest_sessions


class Progress(Protocol):
    def update(self, run: BatchRun, wave: Wave) -> None: ...
    def close(self) -> None: ...


def _counts(run: BatchRun) -> tuple[int, int, int]:
    """(with a PR, failed, findings in scope): waves skipped by `--wave` are out of scope. A PR is
    not yet a fix: it is fixed once approved or merged (engine/analytics/outcomes.py)."""
    in_scope = [f for w in run.waves if w.status != WaveStatus.skipped for f in w.finding_ids]
    latest = latest_sessions(run)
    outcomes = [finding_outcome(latest.get(f), run.config.max_retries) for f in in_scope]
    return outcomes.count("succeeded"), outcomes.count("failed"), len(in_scope)


class BarProgress:
    def __init__(self) -> None:
        self._bar: click.progressbar | None = None
        self._done = 0
        self._last = 0.0
        self._latest: tuple[BatchRun, Wave] | None = None

    def update(self, run: BatchRun, wave: Wave, *, force: bool = False) -> None:
        self._latest = (run, wave)
        if not force and time.monotonic() - self._last < 0.2:
            return
        self._last = time.monotonic()
        ok, failed, total = _counts(run)
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="Remediating", show_pos=True)
            self._bar.__enter__()
        self._bar.label = f"Wave {wave.number}/{len(run.waves)}  PRs {ok}  failed {failed}"
        self._bar.update(ok + failed - self._done)
        self._done = ok + failed

    def close(self) -> None:
        if self._latest is not None:
            self.update(*self._latest, force=True)  # the last throttled update, shown
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


class LineProgress:
    def __init__(self, min_seconds: float = 2.0) -> None:
        self._last_line = ""
        self._last = 0.0
        self.min_seconds = min_seconds

    def update(self, run: BatchRun, wave: Wave) -> None:
        ok, failed, total = _counts(run)
        line = (
            f"wave {wave.number}/{len(run.waves)}: {ok + failed}/{total} findings done "
            f"({ok} with a PR, {failed} failed)"
        )
        now = time.monotonic()
        if line != self._last_line and now - self._last >= self.min_seconds:
            print(line, flush=True)
            self._last_line, self._last = line, now

    def close(self) -> None:
        pass


def progress_for_output() -> Progress:
    return BarProgress() if sys.stdout.isatty() else LineProgress()
