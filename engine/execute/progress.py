"""Foreground progress: a bar on a terminal, plain lines otherwise (logs, CI, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Protocol

import click

from engine.models import BatchRun, Wave


class Progress(Protocol):
    def update(self, run: BatchRun, wave: Wave) -> None: ...
    def close(self) -> None: ...


def _counts(run: BatchRun) -> tuple[int, int, int]:
    from engine.execute.totals import compute_totals

    t = compute_totals(run)
    return t.findings_succeeded, t.findings_failed, t.findings


class BarProgress:
    def __init__(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label="Remediating", show_pos=True)
        self._bar.__enter__()
        self._done = 0
        self._last = 0.0

    def update(self, run: BatchRun, wave: Wave) -> None:
        if time.monotonic() - self._last < 0.2:
            return
        self._last = time.monotonic()
        ok, failed, _ = _counts(run)
        self._bar.label = f"Wave {wave.number}/{len(run.waves)}  fixed {ok}  failed {failed}"
        self._bar.update(ok + failed - self._done)
        self._done = ok + failed

    def close(self) -> None:
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
            f"({ok} fixed, {failed} failed)"
        )
        now = time.monotonic()
        if line != self._last_line and now - self._last >= self.min_seconds:
            print(line, flush=True)
            self._last_line, self._last = line, now

    def close(self) -> None:
        pass


def progress_for(total: int) -> Progress:
    return BarProgress(total) if sys.stdout.isatty() else LineProgress()
