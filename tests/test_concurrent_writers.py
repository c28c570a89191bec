"""Several processes writing one runs folder at once: review decisions from four processes,
and index upserts from four processes, while a detached engine writes its own run's state,
timeline and index entry, and a reader thread keeps parsing everything.

(tests/test_run_files.py already checks that four processes upserting made-up entries lose
none; here the entries at stake are real runs', one of them written by a live engine.)"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from engine.core.models import RunStatus
from engine.runs.index import entry_for, index_path, read_index
from engine.runs.paths import RunPaths
from engine.runs.reviews import ReviewDecision, read_reviews
from engine.runs.state_store import load_state
from tests.crash_helpers import Watcher, gone, review_reason, review_worker, upsert_worker, wait_for
from tests.engine_helpers import SAMPLE, cli, load_run, read_json

pytestmark = pytest.mark.slow

DONE = "done"
LIVE = "live"
WRITERS = 4
PER_WRITER = 50


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder holding one completed run (built once, copied by each test)."""
    runs = tmp_path_factory.mktemp("built") / "runs"
    done = cli(runs, "run", str(SAMPLE), "--run-id", DONE, "--speed", "2000")
    assert done.returncode == 0, done.stderr
    assert load_run(runs, DONE).status == RunStatus.completed
    return runs


def _fresh_runs(completed_run: Path, tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copytree(completed_run / DONE, runs / DONE)
    index_path(runs).parent.mkdir()
    shutil.copy2(index_path(completed_run), index_path(runs))
    return runs


def _start_live(runs: Path) -> int:
    started = cli(runs, "run", str(SAMPLE), "--detach", "--run-id", LIVE, "--speed", "20")
    assert started.returncode == 0, started.stderr
    boot = read_json(runs / LIVE / "bootstrap.json")
    assert boot["status"] == "started", boot
    return boot["pid"]


def _stop_live(runs: Path, pid: int) -> None:
    stopped = cli(runs, "stop", LIVE)
    assert stopped.returncode == 0, stopped.stderr
    wait_for(lambda: gone(pid), 10)
    assert load_run(runs, LIVE).status == RunStatus.interrupted


def _run_processes(target, args_of, barrier) -> None:  # type: ignore[no-untyped-def]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=target, args=(*args_of(w), barrier)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(timeout=90)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    assert [p.exitcode for p in procs] == [0] * WRITERS


def _assert_index_consistent(runs: Path, run_ids: list[str]) -> None:
    """Each run's index entry is exactly what its final state says. (agent_seconds counts
    sessions still open up to now, so for an interrupted run it only grows after the entry.)"""
    listed = {e.run_id: e for e in read_index(runs).runs}
    for run_id in run_ids:
        assert run_id in listed, sorted(listed)
        run = load_state(runs / run_id / "state.json")
        entry, expected = listed[run_id], entry_for(run)
        if all(s.status.is_terminal for s in run.sessions):
            assert entry == expected, run_id
        else:
            assert entry.agent_seconds <= expected.agent_seconds, run_id
            assert entry.model_copy(update={"agent_seconds": 0}) == expected.model_copy(
                update={"agent_seconds": 0}
            ), run_id
    raw = json.loads(index_path(runs).read_bytes())["runs"]
    assert len(raw) == len({e["run_id"] for e in raw})  # one entry per run
    created = [e.created_at for e in read_index(runs).runs]
    assert created == sorted(created, reverse=True)


def test_four_processes_record_200_reviews_while_an_engine_runs(completed_run: Path, tmp_path: Path) -> None:
    runs = _fresh_runs(completed_run, tmp_path)
    started = time.monotonic()
    pid = _start_live(runs)
    files = [runs / LIVE / "state.json", runs / LIVE / "events.jsonl", index_path(runs)]
    files += [runs / DONE / "reviews.jsonl", runs / DONE / "state.json"]
    ctx = multiprocessing.get_context("spawn")
    with Watcher(files) as watcher:
        _run_processes(review_worker, lambda w: (str(runs), DONE, w, PER_WRITER), ctx.Barrier(WRITERS))
        # The engine was writing all along: it is still running now.
        assert not gone(pid) and load_run(runs, LIVE).status == RunStatus.running
        _stop_live(runs, pid)
        watcher.check_once()
    elapsed = time.monotonic() - started

    assert watcher.failures == [], watcher.failures[:10]
    assert all(watcher.reads.get(f"{f.parent.name}/{f.name}", 0) > 20 for f in files), watcher.reads

    # No decision lost, none doubled, every line whole.
    data = (runs / DONE / "reviews.jsonl").read_bytes()
    assert data.endswith(b"\n")
    lines = data.splitlines()
    assert len(lines) == WRITERS * PER_WRITER
    decisions = [ReviewDecision.model_validate_json(line) for line in lines]
    reasons = Counter(d.reason for d in decisions)
    expected = {review_reason(w, i) for w in range(WRITERS) for i in range(PER_WRITER)}
    assert set(reasons) == expected and set(reasons.values()) == {1}
    assert all(d.reviewer == f"reviewer-{d.reason.split()[0].split('=')[1]}" for d in decisions)
    assert len(read_reviews(RunPaths.existing(runs, DONE))) == WRITERS * PER_WRITER
    # Each writer's own decisions are in the order it made them.
    for w in range(WRITERS):
        mine = [d.reason for d in decisions if d.reviewer == f"reviewer-{w}"]
        assert mine == [review_reason(w, i) for i in range(PER_WRITER)]

    _assert_index_consistent(runs, [DONE, LIVE])
    for run_id in (DONE, LIVE):
        check = cli(runs, "validate", run_id)
        assert check.returncode == 0, check.stderr
    print(f"\n{elapsed:.1f} s; reads {watcher.reads}")


def test_index_entries_survive_four_processes_upserting_other_runs(
    completed_run: Path, tmp_path: Path
) -> None:
    """While four processes upsert 25 other runs each, the engine of a live run writes its own
    entry (on start and when stopped mid-way): neither the completed run's entry nor the live
    run's last word is lost or rolled back."""
    runs = _fresh_runs(completed_run, tmp_path)
    done_before = {e.run_id: e for e in read_index(runs).runs}[DONE]
    pid = _start_live(runs)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS + 1)
    procs = [ctx.Process(target=upsert_worker, args=(str(runs), w, 25, barrier)) for w in range(WRITERS)]
    with Watcher([index_path(runs), runs / LIVE / "state.json"]) as watcher:
        for p in procs:
            p.start()
        try:
            barrier.wait(timeout=60)
            time.sleep(0.2)  # the upserts are under way: now the engine records its interruption
            _stop_live(runs, pid)
            for p in procs:
                p.join(timeout=60)
        finally:
            for p in procs:
                if p.is_alive():
                    p.kill()
                    p.join()
        watcher.check_once()
    assert [p.exitcode for p in procs] == [0] * WRITERS
    assert watcher.failures == [], watcher.failures[:10]

    listed = {e.run_id: e for e in read_index(runs).runs}
    others = {f"other-{w}-{j}" for w in range(WRITERS) for j in range(25)}
    assert set(listed) == others | {DONE, LIVE}
    assert listed[DONE] == done_before
    assert listed[LIVE].status == RunStatus.interrupted
    _assert_index_consistent(runs, [DONE, LIVE])
    assert not list(runs.glob(".tmp-*"))
