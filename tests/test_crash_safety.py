"""Crash safety, end to end: a live-mode engine (a standalone simulator stands in for the Devin
API) is SIGKILLed ten times at different moments and resumed each time, while a watcher keeps
reading the run folder. Then: no session created twice, no finding lost, every file readable at
every moment, and `validate` passes. Also: Ctrl+C / SIGTERM on a foreground engine.

Real processes, a real HTTP simulator, no mocks."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from engine.core.models import EventKind, RunStatus, SessionStatus, WaveStatus
from engine.devin.playbooks import load_all_playbooks
from engine.runs.events import read_events
from engine.runs.index import index_path
from engine.runs.journal import replay_journal
from engine.runs.shared import SHARED_DIR_NAME
from engine.simulator import SimulatorServer
from tests.crash_helpers import Watcher, gone, jsonl_problems, sigkill, sim_stats, wait_for
from tests.engine_helpers import REPO, SAMPLE, cli, engine_env, load_run, read_json

pytestmark = pytest.mark.slow

RUN_ID = "crash"
SPEED = "20"
KILLS = 10
SEED = 20250101
# Kill moments. `startup`: the engine process is killed moments after it is spawned, before it
# has written a state of its own (for the first launch: before state.json exists at all).
# `dispatch`: as soon as a new create intent appears in dispatch.jsonl (mid-batch of creates).
# `boundary`: as soon as a wave starts or completes. `poll`: a random moment, mostly polling.
SCHEDULE = ["dispatch", "boundary", "poll", "dispatch", "startup", "boundary", "poll", "dispatch", "poll"]


def _count_lines(path: Path, needle: bytes) -> int:
    try:
        return path.read_bytes().count(needle)
    except FileNotFoundError:
        return 0


def _wave_marks(events: Path) -> int:
    return _count_lines(events, b'"kind":"wave_started"') + _count_lines(events, b'"kind":"wave_completed"')


def _launch_and_kill_at_startup(runs: Path, args: list[str], env: dict[str, str], rng: random.Random) -> int:
    """Starts `python -m engine <args> --detach` and SIGKILLs the engine it spawns within
    moments, usually before the engine has written its state. Returns the killed pid."""
    launcher = subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def engine_child() -> psutil.Process | None:
            try:
                for child in psutil.Process(launcher.pid).children():
                    if "execute" in child.cmdline():
                        return child
            except psutil.Error:
                return None
            return None

        child = wait_for(engine_child, 15, step=0.005, what="the launcher to spawn the engine")
        time.sleep(rng.uniform(0.0, 0.4))  # somewhere in imports, lock, load, reconcile
        sigkill(child.pid)
        _, err = launcher.communicate(timeout=30)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    # Killed before it wrote a state, the launcher reports failed_to_spawn (exit 1); killed after,
    # it had already reported started (exit 0). Either way it must say which.
    assert launcher.returncode in (0, 1), err
    boot = json.loads((runs / RUN_ID / "bootstrap.json").read_bytes())
    assert boot["status"] == ("started" if launcher.returncode == 0 else "failed_to_spawn"), (boot, err)
    return child.pid


def _launch(runs: Path, args: list[str], env: dict[str, str]) -> int:
    done = cli(runs, *args, **env)
    assert done.returncode == 0, done.stderr
    boot = read_json(runs / RUN_ID / "bootstrap.json")
    assert boot["status"] == "started" and boot["pid"], boot
    return boot["pid"]


def _wait_quietly(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.002)


def _wait_then_kill(runs: Path, pid: int, strategy: str, rng: random.Random, before: dict[str, int]) -> bool:
    folder = runs / RUN_ID
    intents, events = folder / "dispatch.jsonl", folder / "events.jsonl"
    if strategy == "dispatch":
        # If nothing is created for a while, the kill lands while it polls.
        _wait_quietly(lambda: _count_lines(intents, b'"event":"intent"') > before["intents"] or gone(pid), 8)
    elif strategy == "boundary":
        _wait_quietly(lambda: _wave_marks(events) > before["waves"] or gone(pid), 20)
        time.sleep(rng.uniform(0.0, 0.05))  # at the boundary or just after its checkpoint
    else:
        time.sleep(rng.uniform(0.3, 3.0))
    return sigkill(pid)


def test_ten_sigkills_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    runs = tmp_path / "runs"
    folder = runs / RUN_ID
    started = time.monotonic()
    with SimulatorServer(seed=11, speed=float(SPEED), failure_rate=0.25) as server:
        env = {
            "DEVIN_API_KEY": "any",
            "DEVIN_API_BASE_URL": server.base_url,
            "WAVE_SIZE": "5",  # five waves: more boundaries to land on
            "MIN_SUCCESS_RATE": "0",  # no pause at the gate: the run must go on to the end
        }
        full_env = engine_env(runs, **env)
        files = [folder / n for n in ("state.json", "events.jsonl", "dispatch.jsonl")] + [index_path(runs)]
        log: list[str] = []
        with Watcher(files) as watcher:
            first = ["run", str(SAMPLE), "--detach", "--run-id", RUN_ID, "--speed", SPEED]
            resume = ["resume", RUN_ID, "--detach"]
            # Kill 1: the first engine, before state.json exists.
            pid = _launch_and_kill_at_startup(runs, first, full_env, rng)
            log.append(
                f"kill 1 startup pid {pid} state={'yes' if (folder / 'state.json').exists() else 'no'}"
            )
            for number, strategy in enumerate(SCHEDULE, start=2):
                if strategy == "startup":
                    pid = _launch_and_kill_at_startup(runs, resume, full_env, rng)
                    log.append(f"kill {number} startup pid {pid}")
                    continue
                before = {
                    "intents": _count_lines(folder / "dispatch.jsonl", b'"event":"intent"'),
                    "waves": _wave_marks(folder / "events.jsonl"),
                }
                pid = _launch(runs, resume, env)
                killed = _wait_then_kill(runs, pid, strategy, rng, before)
                state = load_run(runs, RUN_ID)
                waves_done = sum(1 for w in state.waves if w.status == WaveStatus.completed)
                log.append(
                    f"kill {number} {strategy} at {time.monotonic() - started:.0f} s: pid {pid} "
                    f"killed={killed} status={state.status.value} waves done {waves_done}"
                )
                assert killed, f"the engine ended before kill {number} ({state.status.value}): {log}"
                assert state.status == RunStatus.running, log
            # The 10th resume runs the run to its end.
            pid = _launch(runs, resume, env)
            wait_for(lambda: gone(pid), 150, step=0.2, what="the final engine to finish")
            watcher.check_once()  # one last read of the final files
        stats = sim_stats(server.base_url)
    elapsed = time.monotonic() - started

    run = load_run(runs, RUN_ID)
    assert run.status == RunStatus.completed, (run.status_reason, log)

    # Every file parsed every time it was read, and was read many times.
    assert watcher.failures == [], watcher.failures[:10]
    for name in ("state.json", "events.jsonl", "dispatch.jsonl", "index.json"):
        key = f"{SHARED_DIR_NAME if name == 'index.json' else RUN_ID}/{name}"
        assert watcher.reads.get(key, 0) > 50, watcher.reads
    # After the final engine: no torn fragment anywhere, and each file ends with its newline.
    for name in ("events.jsonl", "dispatch.jsonl"):
        data = (folder / name).read_bytes()
        problems, torn = jsonl_problems(name, data)
        assert problems == [] and not torn and data.endswith(b"\n"), (name, problems)
    assert not list(folder.glob(".tmp-*")) and not list(runs.glob(".tmp-*"))

    # Zero duplicate sessions: each attempt tag has exactly one remote session, and the API
    # holds exactly the sessions the state records.
    attempt_prefix = f"patchwave-{RUN_ID}-"
    remote_by_attempt = {t: n for t, n in stats["sessions_by_tag"].items() if t.startswith(attempt_prefix)}
    assert {t: n for t, n in remote_by_attempt.items() if n != 1} == {}
    assert set(remote_by_attempt) == {s.tag for s in run.sessions}
    assert all(s.session_id for s in run.sessions)
    assert stats["sessions_created"] == len(run.sessions) == len({s.session_id for s in run.sessions})
    # (create_requests may exceed sessions_created + idempotent_hits: a create whose sender was
    # killed mid-request is counted on arrival but never completes.)
    assert len({s.key for s in run.sessions}) == len(run.sessions)
    assert stats["playbooks"] == len(load_all_playbooks())  # a re-sync after a kill adds none
    journal = replay_journal(folder / "dispatch.jsonl")
    by_key = {s.key: s for s in run.sessions}
    assert set(journal) == set(by_key)
    # An intent without its `created` line is a create whose answer a kill lost: resume adopted
    # the session found under its attempt tag.
    assert {
        k: e.session_id for k, e in journal.items() if e.session_id not in (None, by_key[k].session_id)
    } == {}
    adopted = sum(1 for e in journal.values() if e.session_id is None)

    # Zero lost findings: every accepted finding is in the state, in exactly one wave, and its
    # latest session is terminal; the totals add up.
    ingested = json.loads(cli(runs, "ingest", str(SAMPLE), "--json").stdout)
    assert {f.finding_id for f in run.findings} == {f["finding_id"] for f in ingested["findings"]}
    assert Counter(f for w in run.waves for f in w.finding_ids) == Counter(f.finding_id for f in run.findings)
    assert all(w.status == WaveStatus.completed for w in run.waves)
    latest = {}
    for s in run.sessions:
        if s.finding_id not in latest or s.attempt > latest[s.finding_id].attempt:
            latest[s.finding_id] = s
    assert set(latest) == {f.finding_id for f in run.findings}
    assert all(s.status.is_terminal for s in latest.values()), {
        f: s.status.value for f, s in latest.items() if not s.status.is_terminal
    }
    assert not any(s.status == SessionStatus.interrupted for s in run.sessions)
    t = run.totals
    assert t.findings == len(run.findings) and t.findings_open == 0
    assert t.findings_succeeded + t.findings_failed == t.findings
    assert t.findings_succeeded == sum(1 for s in latest.values() if s.status == SessionStatus.success)
    assert t.sessions == len(run.sessions) == sum(t.sessions_by_status.values())
    assert sum(w.succeeded for w in run.waves) == t.findings_succeeded
    assert sum(w.failed for w in run.waves) == t.findings_failed
    index = {e["run_id"]: e for e in read_json(index_path(runs))["runs"]}
    assert index[RUN_ID]["status"] == "completed" and index[RUN_ID]["succeeded"] == t.findings_succeeded

    kinds = Counter(e.kind for e in read_events(folder / "events.jsonl"))
    assert kinds[EventKind.run_completed] == 1 and kinds[EventKind.run_resumed] >= 1
    check = cli(runs, "validate", RUN_ID)
    assert check.returncode == 0, check.stderr + "\n" + "\n".join(log)
    print(
        f"\n{elapsed:.1f} s; {len(run.sessions)} sessions; reads {watcher.reads}; "
        f"adopted by tag {adopted}; torn tails seen by the watcher {watcher.torn_tails_seen}; "
        f"idempotent hits {stats['idempotent_hits']}, create requests {stats['create_requests']}; "
        + "; ".join(log)
    )


def _dispatched(runs: Path, run_id: str) -> bool:
    try:
        return any(s.session_id for s in load_run(runs, run_id).sessions)
    except (FileNotFoundError, ValueError):
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_to_a_foreground_engine_interrupts_within_five_seconds(tmp_path: Path, signum: int) -> None:
    """Ctrl+C (SIGINT) or SIGTERM to `python -m engine run` in the foreground: the run is
    recorded as interrupted and the process exits within 5 s."""
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(SAMPLE), "--run-id", "fg", "--speed", SPEED],
        cwd=REPO,
        env=engine_env(runs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _dispatched(runs, "fg") or process.poll() is not None, 30)
        assert process.poll() is None, process.communicate()
        signalled = time.monotonic()
        process.send_signal(signum)
        out, err = process.communicate(timeout=5)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert took < 5, took
    assert process.returncode == 0, err
    run = load_run(runs, "fg")
    assert run.status == RunStatus.interrupted and run.status_reason == "stopped on request"
    assert any(s.status == SessionStatus.interrupted for s in run.sessions)
    assert EventKind.run_interrupted in [e.kind for e in read_events(runs / "fg" / "events.jsonl")]
    assert read_json(index_path(runs))["runs"][0]["status"] == "interrupted"
    assert "interrupted" in out
    check = cli(runs, "validate", "fg")
    assert check.returncode == 0, check.stderr
