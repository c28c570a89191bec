"""Starting a run's engine as a background process (`run --detach`, the app's Launch button, and
a worker fleet's job, engine/fleet/job.py).

bootstrap.json says what happened before this returns: starting, started (with the pid) or
failed_to_spawn (with the error), so a caller never has to guess. With the worker fleet it
first says queued (with the job), written by the launcher that queued the run; the worker's job
then starts the engine through here."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from engine.core.models import utcnow
from engine.runs.damage import parse_run_file
from engine.runs.paths import RunPaths
from engine.runs.process_identity import ProcessIdentity
from engine.storage.atomic import atomic_write_bytes
from engine.storage.links import SymlinkRefusedError, open_no_follow, refuse_links

SPAWN_CHECK_SECONDS = 3.0


class Bootstrap(BaseModel):
    status: Literal["queued", "starting", "started", "failed_to_spawn"]
    started_at: datetime = Field(default_factory=utcnow)  # for display
    pid: int | None = None
    # The spawned process, named as engine.runs.process_identity names it (pids are reused).
    pid_start_ticks: int | None = None
    host: str | None = None
    boot_id: str | None = None
    error: str | None = None
    # A run of the worker fleet: its job, the queue it waits in, the worker that started it.
    job_id: str | None = None
    queue: str | None = None
    worker: str | None = None

    def engine_identity(self) -> ProcessIdentity | None:
        if not self.pid:
            return None
        return ProcessIdentity(self.pid, self.pid_start_ticks, None, self.host, self.boot_id)


def write_bootstrap(paths: RunPaths, bootstrap: Bootstrap) -> None:
    atomic_write_bytes(paths.bootstrap, bootstrap.model_dump_json(indent=1).encode())


def read_bootstrap(paths: RunPaths) -> Bootstrap | None:
    """The launcher's record, or None before any; DamagedFileError when it is unusable."""
    try:
        return parse_run_file(paths.bootstrap, Bootstrap, "bootstrap record")
    except FileNotFoundError:
        return None


def spawn_engine(paths: RunPaths, runs_dir: Path, api_key: str | None = None) -> Bootstrap:
    started, process = start_engine(paths, runs_dir, api_key)
    if process is not None:
        _reap_when_done(process)
    return started


def start_engine(
    paths: RunPaths,
    runs_dir: Path,
    api_key: str | None = None,
    *,
    extra_env: dict[str, str] | None = None,
    noted: dict[str, str | None] | None = None,
) -> tuple[Bootstrap, subprocess.Popen | None]:
    """Starts `python -m engine execute` for the run in its own session (process group) and
    waits until it wrote its first state or died. Returns the bootstrap record it wrote and the
    process (None when it could not start or already failed). `extra_env` is added to the
    engine's environment; `noted` fields (job_id, queue, worker) go into bootstrap.json."""
    refuse_links(paths.root)  # bootstrap.json and engine.log are written next
    noted = noted or {}
    write_bootstrap(paths, Bootstrap(status="starting", **noted))
    before = _file_version(paths.state)
    command = [
        sys.executable,
        "-m",
        "engine",
        "execute",
        paths.run_id,
        "--runs-dir",
        str(Path(runs_dir).resolve()),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    if api_key:  # it may have come from a .env the child's working folder does not have
        env["DEVIN_API_KEY"] = api_key
    try:
        log_fd = open_no_follow(paths.engine_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with os.fdopen(log_fd, "ab") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=_project_root(),
            )
    except (OSError, SymlinkRefusedError) as exc:
        failed = Bootstrap(status="failed_to_spawn", error=f"{exc.__class__.__name__}: {exc}", **noted)
        write_bootstrap(paths, failed)
        return failed, None
    child = ProcessIdentity.of(process.pid)  # read now: the engine's first state takes a while
    # Wait until the engine has written a state of its own (a resumed run already has one, so
    # it must be another file than before the spawn), or has died trying.
    deadline = time.monotonic() + SPAWN_CHECK_SECONDS
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None and code != 0:
            failed = Bootstrap(
                status="failed_to_spawn",
                pid=process.pid,
                error=f"engine exited with code {code}: {_log_tail(paths)}",
                **noted,
            )
            write_bootstrap(paths, failed)
            return failed, None
        if code == 0 or _file_version(paths.state) != before:
            break
        time.sleep(0.05)
    started = Bootstrap(
        status="started",
        pid=process.pid,
        pid_start_ticks=child.start_ticks if child else None,
        host=child.host if child else None,
        boot_id=child.boot if child else None,
        **noted,
    )
    write_bootstrap(paths, started)
    return started, process


def _file_version(path: Path) -> tuple[int, int, int] | None:
    """Which file is at `path`: every state write replaces it with a new file (a new inode),
    so this changes with each write, and no clock is compared with a file's time."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _reap_when_done(process: subprocess.Popen) -> None:
    """Collects the engine's exit status when it ends, so a long-lived launcher (the app's
    server) keeps no zombie, which would look like a live engine to `stop`."""
    threading.Thread(target=process.wait, name=f"reap-engine-{process.pid}", daemon=True).start()


def _project_root() -> Path:
    # The engine package must be importable by the child whatever the caller's cwd.
    return Path(str(files("engine"))).resolve().parent


def _log_tail(paths: RunPaths, limit: int = 600) -> str:
    try:
        text = paths.engine_log.read_text(errors="replace").strip()
    except FileNotFoundError:
        return "no output"
    return text[-limit:] or "no output"
