"""A disk that fills up while a run works: one line on stderr naming the file and the cause, exit
code 1, the run left resumable, and `resume` finishing it once there is room again.

The disk is real: a small tmpfs, filled by the test while the run's first wave is in flight.
Mounting one needs root; elsewhere the test is skipped. (RLIMIT_FSIZE is no stand-in: it refuses
one file growing past a size, with EFBIG, not a disk without room for any file.)"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core.models import RunStatus
from engine.launch.control import launch_plan_options
from engine.launch.prepare import prepare_run
from engine.settings.environment import load_settings
from tests.crash_helpers import wait_for
from tests.engine_helpers import REPO, SAMPLE, cli, engine_env, load_run, roomy_policy

pytestmark = pytest.mark.slow
RUN_ID = "fills-the-disk"
SPEED = 25  # a simulated session lasts 5-15 s: time enough to fill the disk mid-wave
FIRST_WAVE = 10  # the default wave size, all dispatched at once (max parallel 10)


@pytest.fixture(name="small_disk")
def small_disk_fixture(tmp_path: Path) -> Iterator[Path]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs a small tmpfs, and only root can mount one")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m,mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _prepare(runs: Path) -> None:
    """The run folder as `run` leaves it before its engine starts, planned against the ledger."""
    settings = load_settings(
        runs_dir=runs,
        speed=SPEED,
        policy_file=roomy_policy(runs),
        services_file=runs / ".no-services-file.toml",
    )
    config, options = launch_plan_options(settings, use_ledger=True, live=False)
    prepare_run(SAMPLE.read_bytes(), SAMPLE.name, config, options, runs, RUN_ID)


def _fill(folder: Path) -> Path:
    """Writes a file until the disk has no room left; returns it."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 20, 1 << 12, 1):
            block = b"\0" * size
            try:
                while True:
                    handle.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    return filler


def _first_wave_dispatched(runs: Path) -> bool:
    try:
        run = load_run(runs, RUN_ID)
    except (FileNotFoundError, ValueError):
        return False
    return sum(1 for s in run.sessions if s.session_id) >= FIRST_WAVE


def test_a_full_disk_stops_the_run_with_one_line_and_resume_finishes_it(small_disk: Path) -> None:
    runs = small_disk / "runs"
    _prepare(runs)
    engine = subprocess.Popen(
        [sys.executable, "-m", "engine", "resume", RUN_ID],  # a prepared run starts this way too
        cwd=REPO,
        env=engine_env(runs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _first_wave_dispatched(runs), timeout=60, what="the first wave to be dispatched")
        filler = _fill(small_disk)
        _, stderr = engine.communicate(timeout=60)
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait()

    assert engine.returncode == 1, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    written = re.fullmatch(
        r"error: cannot write (\S+): No space left on device; "
        rf"the run is resumable with `python -m engine resume {RUN_ID}`",
        lines[0],
    )
    assert written, lines[0]
    assert Path(written.group(1)).is_relative_to(runs)
    assert not list((runs / RUN_ID).glob(".tmp-*"))  # no half-written replacement left behind
    assert load_run(runs, RUN_ID).status == RunStatus.running  # the last whole snapshot

    shown = cli(runs, "status", RUN_ID)
    assert shown.returncode == 0 and "resume" in shown.stdout, shown.stdout + shown.stderr

    filler.unlink()  # room again
    resumed = cli(runs, "resume", RUN_ID, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run = load_run(runs, RUN_ID)
    assert run.status == RunStatus.completed
    assert run.totals.findings_open == 0
    checked = cli(runs, "validate", RUN_ID)
    assert checked.returncode == 0, checked.stdout + checked.stderr
