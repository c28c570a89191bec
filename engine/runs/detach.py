"""Starting a run's engine as a background process (`run --detach`, the app's Launch button).

bootstrap.json says what happened before this returns: starting, started (with the pid) or
failed_to_spawn (with the error), so a caller never has to guess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from engine.models import utcnow
from engine.runs.atomic import atomic_write_bytes
from engine.runs.damage import parse_run_file
from engine.runs.links import SymlinkRefusedError, open_no_follow, refuse_links
from engine.runs.paths import RunPaths
from engine.runs.process_identity import ProcessIdentity

SPAWN_CHECK_SECONDS = 3.0


class Bootstrap(BaseModel):
    status: Literal["starting", "started", "failed_to_spawn"]
    started_at: datetime = Field(default_factory=utcnow)  # for display
    pid: int | None = None
    # The spawned process, named as engine.runs.process_identity names it (pids are reused).
    pid_start_ticks: int | None = None
    host: str | None = None
    boot_id: str | None = None
    error: str | None = None

    def engine_identity(self) -> ProcessIdentity | None:
        if not self.pid:
            return None
        return ProcessIdentity(self.pid, self.pid_start_ticks, None, self.host, self.boot_id)


def _write(paths: RunPaths, bootstrap: Bootstrap) -> None:
    atomic_write_bytes(paths.bootstrap, bootstrap.model_dump_json(indent=1).encode())


def read_bootstrap(paths: RunPaths) -> Bootstrap | None:
    """The launcher's record, or None before any; DamagedFileError when it is unusable."""
    try:
        return parse_run_file(paths.bootstrap, Bootstrap, "bootstrap record")
    except FileNotFoundError:
        return None


def spawn_engine(paths: RunPaths, runs_dir: Path, api_key: str | None = None) -> Bootstrap:
    refuse_links(paths.root)  # bootstrap.json and engine.log are written next
    _write(paths, Bootstrap(status="starting"))
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
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
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
        failed = Bootstrap(status="failed_to_spawn", error=f"{exc.__class__.__name__}: {exc}")
        _write(paths, failed)
        return failed
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
            )
            _write(paths, failed)
            return failed
        if code == 0 or _file_version(paths.state) != before:
            break
        time.sleep(0.05)
    _reap_when_done(process)
    started = Bootstrap(
        status="started",
        pid=process.pid,
        pid_start_ticks=child.start_ticks if child else None,
        host=child.host if child else None,
        boot_id=child.boot if child else None,
    )
    _write(paths, started)
    return started


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
    return Path(__file__).resolve().parent.parent.parent


def _log_tail(paths: RunPaths, limit: int = 600) -> str:
    try:
        text = paths.engine_log.read_text(errors="replace").strip()
    except FileNotFoundError:
        return "no output"
    return text[-limit:] or "no output"
