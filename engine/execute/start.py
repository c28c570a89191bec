"""Running a prepared run in this process: one engine per run (a file lock), signals turned
into a clean `interrupted`, and a watchdog that keeps the promise to exit within 5 seconds."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from filelock import FileLock, Timeout

from engine.alerts import AlertSender
from engine.alerts.redaction import attach_redaction
from engine.core.clock import host_name
from engine.core.errors import BadInputError, WriteFailedError
from engine.core.models import RESUMABLE_RUN_STATUSES, BatchRun, RunStatus
from engine.execute.connection import open_api
from engine.execute.engine import RunEngine
from engine.execute.progress import Progress
from engine.launch.prepare import initial_state
from engine.launch.run_process import check_run_files
from engine.metrics.engine_endpoint import engine_metrics
from engine.runs.fence import check_lease, fenced
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present
from engine.storage.links import open_no_follow, refuse_links

log = logging.getLogger(__name__)

EXIT_DEADLINE_SECONDS = 4.5


def load_or_init(paths: RunPaths) -> BatchRun:
    run = load_state_if_present(paths.state)
    return run if run is not None else initial_state(paths)


def execute_run(
    paths: RunPaths,
    api_key: str | None,
    *,
    progress: Progress | None = None,
    state_interval: float = 1.0,
    alerts: AlertSender | None = None,
    metrics_port: int | None = None,
) -> BatchRun:
    """`metrics_port`: serve the engine's metrics on that loopback port (0: a free one) while
    it runs; None: serve none (see engine.metrics.engine_endpoint)."""
    # Before the lock: taking it opens engine.lock, and a link there would name a file elsewhere.
    refuse_links(paths.root)
    check_lease("start the engine")  # a fleet job's lease, before anything is touched
    # The fleet's lease keeps engines on different hosts apart; the lock, one per host, is the
    # second guard. A local engine's lock is the run's one engine.lock, as always.
    lock_path = paths.host_engine_lock(host_name()) if fenced() else paths.engine_lock
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise BadInputError(f"run {paths.run_id} is already being executed by another engine") from exc
    try:
        # Damaged files are refused before anything is written, so the run stays as it was.
        check_run_files(paths)
        run = load_or_init(paths)
        # Under the lock no other engine runs, so a 'running' state here is a crashed one.
        if run.status not in RESUMABLE_RUN_STATUSES and run.status != RunStatus.running:
            raise BadInputError(f"run {paths.run_id} is {run.status.value}; nothing to resume")
        stop = threading.Event()
        with _log_to(paths), _signals_set(stop), open_api(run.config, paths, api_key) as (client, simulated):
            engine = RunEngine(
                run,
                paths,
                client,
                simulated=simulated,
                stop=stop,
                progress=progress,
                state_interval=state_interval,
                alerts=alerts,
            )
            with engine_metrics(engine, metrics_port):
                engine.execute()
        return run
    except WriteFailedError as exc:
        # Every snapshot is written whole, so the last one on disk is a run `resume` continues.
        exc.resumable_run = paths.run_id
        raise
    finally:
        if progress:
            progress.close()
        lock.release()


@contextmanager
def _log_to(paths: RunPaths) -> Iterator[None]:
    """The engine's log lines go to the run's engine.log, whether it runs in the foreground
    or detached (where the process's own output goes there too)."""
    handler = _RunLogHandler(paths.engine_log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    attach_redaction(handler)  # records from loggers made after the alert sender's install
    logger = logging.getLogger("engine")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


class _RunLogHandler(logging.FileHandler):
    """engine.log: refuses a symbolic link at the log's path instead of following it. When it
    cannot be written (a full disk), logging would print a traceback to the terminal for every
    line; the error that stops the run already names the file and why."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = open_no_follow(Path(self.baseFilename), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class _signals_set:
    """SIGTERM / SIGINT set the stop event; the loop notices within one poll interval. If it
    has not finished by the deadline (a hung request), the process exits anyway: the state on
    disk is the last complete snapshot and `resume` reconciles from there."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self._previous: dict[int, object] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            os._exit(130)  # a second signal: the user insists
        log.warning("signal %s received: stopping", signal.Signals(signum).name)
        self.stop.set()
        watchdog = threading.Timer(EXIT_DEADLINE_SECONDS, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()
