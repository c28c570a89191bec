"""The clock pieces on their own: marks across processes, the unwatched gap a resumed engine
counts, per-session in-flight time, the simulator's clock, and the one liveness check that
`status`, the app, `resume` and `stop` share (with a real stand-in process as the engine)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.clock import ClockMark, Elapsed, boot_id, elapsed_between, host_name
from engine.core.errors import BadInputError
from engine.core.models import BatchRun, RemediationSession, RunConfig, RunStatus, SessionStatus, utcnow
from engine.execute.session_clock import SessionClock, unwatched_seconds
from engine.launch.run_process import check_resumable
from engine.runs.detach import Bootstrap
from engine.runs.liveness import (
    MAX_CLOCK_SKEW_SECONDS,
    display_status,
    engine_liveness,
    heartbeat_is_fresh,
)
from engine.runs.paths import RunPaths
from engine.runs.process_identity import ProcessIdentity, start_ticks
from engine.runs.state_store import STALE_AFTER_SECONDS
from engine.simulator.clock import SimClock
from engine.storage.atomic import atomic_write_bytes

HOURS_3 = 3 * 3600.0
BOOT = boot_id()


def config() -> RunConfig:
    return RunConfig(
        data_source="simulated",
        wave_size=10,
        max_parallel_sessions=2,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.5,
        max_retries=1,
    )


# --- marks -------------------------------------------------------------------------------------


def test_marks_of_one_boot_compare_monotonic_readings_whatever_the_wall_clock_did() -> None:
    then = ClockMark(wall=1_000_000.0, monotonic=500.0, boot="b1")
    set_back = ClockMark(wall=1_000_000.0 - HOURS_3, monotonic=502.5, boot="b1")
    set_forward = ClockMark(wall=1_000_000.0 + HOURS_3, monotonic=502.5, boot="b1")
    assert elapsed_between(then, set_back) == Elapsed(2.5, exact=True)
    assert elapsed_between(then, set_forward) == Elapsed(2.5, exact=True)


def test_marks_of_different_boots_or_unshared_clocks_fall_back_to_wall_time() -> None:
    then = ClockMark(wall=1_000.0, monotonic=500.0, boot="b1")
    assert elapsed_between(then, ClockMark(1_010.0, 3.0, "b2")) == Elapsed(10.0, exact=False)
    assert elapsed_between(then, ClockMark(990.0, 600.0, None)) == Elapsed(-10.0, exact=False)
    # A monotonic reading that went back: the two processes do not share the clock.
    assert elapsed_between(then, ClockMark(1_010.0, 100.0, "b1")) == Elapsed(10.0, exact=False)


def test_a_mark_now_names_this_boot_and_reads_both_clocks() -> None:
    mark = ClockMark.now()
    assert abs(mark.wall - time.time()) < 5 and mark.monotonic is not None and mark.boot == BOOT


# --- what a resumed engine counts for the time nobody watched -----------------------------------


def stopped_run(*, wall_ago: float, mono_ago: float, boot: str | None) -> BatchRun:
    run = BatchRun(run_id="r", data_source="simulated", config=config())
    run.heartbeat_at = utcnow() - timedelta(seconds=wall_ago)
    run.heartbeat_monotonic = time.monotonic() - mono_ago
    run.engine_boot_id = boot
    return run


@pytest.mark.skipif(BOOT is None, reason="this system does not say which boot it is in")
@pytest.mark.parametrize("wall_ago", [HOURS_3, -HOURS_3, 4.0])
def test_on_the_same_boot_the_unwatched_gap_is_the_monotonic_one(wall_ago: float) -> None:
    gap = unwatched_seconds(stopped_run(wall_ago=wall_ago, mono_ago=4.0, boot=BOOT), bound=600)
    assert gap.exact and 4.0 <= gap.seconds < 6.0


@pytest.mark.parametrize(
    ("wall_ago", "expected"),
    [
        (120.0, 120.0),  # a plain downtime
        (-HOURS_3, 0.0),  # the clock was set back: it never extends a session
        (HOURS_3, 600.0),  # set forward (or a long outage): at most one time limit
    ],
)
def test_across_a_reboot_the_wall_gap_is_clamped(wall_ago: float, expected: float) -> None:
    gap = unwatched_seconds(stopped_run(wall_ago=wall_ago, mono_ago=1.0, boot="an-earlier-boot"), bound=600)
    assert not gap.exact and gap.seconds == pytest.approx(expected, abs=2.0)


def test_a_run_without_a_snapshot_has_nothing_unwatched() -> None:
    run = BatchRun(run_id="r", data_source="simulated", config=config())
    assert unwatched_seconds(run, bound=600) == Elapsed(0.0, exact=True)


# --- in-flight seconds per session ---------------------------------------------------------------


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def session(finding: str, status: SessionStatus, session_id: str | None = "devin-1") -> RemediationSession:
    return RemediationSession(
        finding_id=finding, attempt=1, wave_number=1, tag=f"t-{finding}", session_id=session_id, status=status
    )


def test_in_flight_seconds_count_only_while_a_session_is_in_flight() -> None:
    ticks = Ticks()
    clock = SessionClock(ticks)
    working = session("A", SessionStatus.working)
    pending = session("B", SessionStatus.pending, session_id=None)
    clock.tick([working, pending])  # starts counting A
    ticks.now += 7.0
    clock.tick([working, pending])
    assert working.in_flight_seconds == 7.0 and pending.in_flight_seconds == 0.0
    ticks.now += 2.0
    working.status = SessionStatus.success
    clock.stop(working)  # its last stretch counts, and no more
    ticks.now += 50.0
    clock.tick([working, pending])
    clock.stop(working)
    assert working.in_flight_seconds == 9.0


def test_a_resumed_engine_adds_the_unwatched_time_once_and_measures_from_its_start() -> None:
    ticks = Ticks()
    clock = SessionClock(ticks)  # the engine starts
    carried = session("A", SessionStatus.dispatched)
    carried.in_flight_seconds = 30.0  # what the previous engines measured
    done = session("B", SessionStatus.success)
    ticks.now += 1.5  # reconciling with the API
    clock.resume([carried, done], unwatched=12.0)
    clock.resume([carried, done], unwatched=12.0)
    clock.tick([carried, done])
    assert carried.in_flight_seconds == 30.0 + 12.0 + 1.5
    assert done.in_flight_seconds == 0.0


def test_a_stop_measures_up_to_the_moment_sessions_are_left_running() -> None:
    ticks = Ticks()
    clock = SessionClock(ticks)
    working = session("A", SessionStatus.working)
    clock.tick([working])
    ticks.now += 4.0
    working.status = SessionStatus.interrupted  # the engine stops; the session runs on remotely
    clock.tick([working])
    ticks.now += 100.0
    clock.tick([working])
    assert working.in_flight_seconds == 4.0


# --- the simulator's clock -----------------------------------------------------------------------


@pytest.mark.skipif(BOOT is None, reason="this system does not say which boot it is in")
def test_a_restarted_simulator_continues_by_the_monotonic_time_since_its_last_entry() -> None:
    # The last entry was written 5 s ago by a simulator whose start read a wall clock set 3 h
    # ahead: its successor continues from there, it does not drop back to today's wall time.
    at = time.time() + HOURS_3
    clock = SimClock({"op": "create", "at": at, "mono": time.monotonic() - 5.0, "boot": BOOT})
    assert clock.now() == pytest.approx(at + 5.0, abs=1.0)


def test_a_restarted_simulator_never_goes_back_before_its_journal() -> None:
    ahead = time.time() + HOURS_3  # written on another boot, by a clock set ahead
    assert SimClock({"op": "create", "at": ahead, "boot": "an-earlier-boot"}).now() >= ahead
    behind = time.time() - HOURS_3  # an old journal without monotonic readings
    assert SimClock({"op": "create", "at": behind}).now() == pytest.approx(time.time(), abs=1.0)


def test_the_simulator_clock_advances_with_the_monotonic_clock_and_stamps_entries() -> None:
    clock = SimClock()
    first = clock.stamp()
    assert first["boot"] == BOOT and abs(first["at"] - time.time()) < 1.0
    time.sleep(0.05)
    second = clock.stamp()
    assert second["at"] - first["at"] == pytest.approx(second["mono"] - first["mono"], abs=1e-6)


# --- one liveness check ------------------------------------------------------------------------


@pytest.fixture(name="stand_in")
def stand_in_fixture() -> Iterator[subprocess.Popen]:
    """A live process whose command line holds `engine`, like `python -m engine execute`."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "engine"], stdin=subprocess.PIPE
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def running_run(pid: int, *, heartbeat_ago: float = 1.0, **fields: object) -> BatchRun:
    identity = ProcessIdentity.of(pid)
    assert identity is not None
    run = BatchRun(
        run_id="r",
        data_source="simulated",
        config=config(),
        status=RunStatus.running,
        heartbeat_at=utcnow() - timedelta(seconds=heartbeat_ago),
        heartbeat_monotonic=time.monotonic() - heartbeat_ago,
        pid=pid,
        pid_create_time=identity.create_time,
        pid_start_ticks=identity.start_ticks,
        engine_host=identity.host,
        engine_boot_id=identity.boot,
    )
    return run.model_copy(update=fields)


def agree(tmp_path: Path, run: BatchRun) -> str:
    """display_status, after checking that `resume` agrees with it about the engine."""
    paths = RunPaths(tmp_path / run.run_id)
    paths.root.mkdir(exist_ok=True)
    atomic_write_bytes(paths.state, run.model_dump_json().encode())
    shown = display_status(run)
    if shown == "running":
        with pytest.raises(BadInputError, match="is running"):
            check_resumable(paths)
    else:
        check_resumable(paths)  # resumable: no error
    return shown


@pytest.mark.parametrize(
    "heartbeat_ago",
    [HOURS_3, -HOURS_3],  # the engine's clock was set back / forward 3 h
)
def test_a_live_engine_is_running_whatever_its_wall_clock_heartbeat_says(
    tmp_path: Path, stand_in: subprocess.Popen, heartbeat_ago: float
) -> None:
    run = running_run(
        stand_in.pid,
        heartbeat_ago=heartbeat_ago,
        heartbeat_monotonic=time.monotonic() - 1.0,
    )
    assert agree(tmp_path, run) == "running"
    live = engine_liveness(run)
    assert live.alive and live.basis == "process" and live.process is not None
    assert live.process.pid == stand_in.pid


@pytest.mark.skipif(start_ticks(1) is None, reason="no /proc start ticks on this system")
def test_a_clock_step_that_moves_psutils_start_time_does_not_hide_the_engine(
    tmp_path: Path, stand_in: subprocess.Popen
) -> None:
    # psutil derives a start time from the boot time the kernel reports, which moves with the
    # clock: after a 3 h step the live engine's epoch start time reads 3 h off.
    run = running_run(stand_in.pid)
    run.pid_create_time = (run.pid_create_time or 0.0) + HOURS_3
    assert agree(tmp_path, run) == "running"


def test_a_dead_engine_is_crashed_even_with_a_heartbeat_in_the_future(
    tmp_path: Path, stand_in: subprocess.Popen
) -> None:
    run = running_run(stand_in.pid, heartbeat_ago=-HOURS_3)
    stand_in.kill()
    stand_in.wait()
    assert agree(tmp_path, run) == "crashed"
    assert engine_liveness(run).basis == "no process"


def test_a_reused_pid_or_an_earlier_boot_is_not_the_engine(
    tmp_path: Path, stand_in: subprocess.Popen
) -> None:
    reused = running_run(stand_in.pid)
    reused.pid_start_ticks = (reused.pid_start_ticks or 0) + 1
    reused.pid_create_time = (reused.pid_create_time or 0.0) + 5.0
    assert agree(tmp_path, reused) == "crashed"
    rebooted = running_run(stand_in.pid, engine_boot_id="an-earlier-boot")
    if BOOT is not None:
        assert agree(tmp_path, rebooted) == "crashed"
        assert engine_liveness(rebooted).basis == "rebooted"


@pytest.mark.parametrize(
    ("heartbeat_ago", "shown"),
    [
        (5.0, "running"),
        (-MAX_CLOCK_SKEW_SECONDS / 2, "running"),  # that host's clock is a little ahead
        (STALE_AFTER_SECONDS + MAX_CLOCK_SKEW_SECONDS / 2, "running"),  # or a little behind
        (STALE_AFTER_SECONDS + MAX_CLOCK_SKEW_SECONDS + 5, "crashed"),
        (-HOURS_3, "crashed"),  # a heartbeat 3 h in the future is not fresh forever
    ],
)
def test_an_engine_on_another_host_is_judged_by_its_heartbeat_within_a_skew_allowance(
    tmp_path: Path, heartbeat_ago: float, shown: str
) -> None:
    run = running_run(
        1, heartbeat_ago=heartbeat_ago, engine_host=f"not-{host_name()}", engine_boot_id="another-boot"
    )
    assert agree(tmp_path, run) == shown
    live = engine_liveness(run)
    assert live.process is None and live.host == f"not-{host_name()}"


@pytest.mark.skipif(BOOT is None, reason="this system does not say which boot it is in")
def test_a_heartbeat_of_this_boot_is_aged_on_the_monotonic_clock() -> None:
    run = running_run(1, heartbeat_ago=-HOURS_3, heartbeat_monotonic=time.monotonic() - 2.0)
    assert heartbeat_is_fresh(run)
    run.heartbeat_monotonic = time.monotonic() - STALE_AFTER_SECONDS - 1
    assert not heartbeat_is_fresh(run)


def test_before_any_state_the_launched_process_decides(tmp_path: Path, stand_in: subprocess.Popen) -> None:
    identity = ProcessIdentity.of(stand_in.pid)
    assert identity is not None
    boot = Bootstrap(
        status="started",
        pid=stand_in.pid,
        pid_start_ticks=identity.start_ticks,
        host=identity.host,
        boot_id=identity.boot,
    )
    paths = RunPaths(tmp_path / "r")
    paths.root.mkdir()
    atomic_write_bytes(paths.bootstrap, boot.model_dump_json().encode())
    assert engine_liveness(None, boot).alive
    with pytest.raises(BadInputError, match="is starting"):
        check_resumable(paths)  # a second engine would only fail on the run's lock
    stand_in.kill()
    stand_in.wait()
    assert not engine_liveness(None, boot).alive
    # No longer refused as starting: the check goes on to the files the engine would read.
    with pytest.raises(FileNotFoundError, match=r"launch\.json"):
        check_resumable(paths)
