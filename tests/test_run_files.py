"""The run folder's files: atomic replacement, run ids, the shared index, the append-only logs
and the coalescing state writer. Real files, real threads and real processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.core.models import BatchRun, EventKind, RunConfig, RunStatus, TimelineEvent
from engine.runs.events import EventLog, read_events
from engine.runs.index import IndexEntry, index_path, read_index, upsert_run
from engine.runs.journal import DispatchJournal, replay_journal
from engine.runs.paths import RunPaths, new_run_id
from engine.runs.state_store import StateWriter, load_state
from engine.storage.atomic import atomic_write_bytes, clean_temp_files

T0 = datetime(2025, 1, 1, tzinfo=UTC)


# --- atomic writes -------------------------------------------------------------------------


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, b'{"v": 1, "padding": "' + b"x" * 5000 + b'"}')
    atomic_write_bytes(target, b'{"v": 2}')
    assert target.read_bytes() == b'{"v": 2}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_concurrent_reader_never_sees_a_torn_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, json.dumps({"i": -1, "pad": ""}).encode())
    done = threading.Event()
    reads: list[int] = []
    failures: list[str] = []

    def reader() -> None:
        while not done.is_set():
            data = target.read_bytes()
            try:
                reads.append(json.loads(data)["i"])
            except ValueError:
                failures.append(data[:80].decode(errors="replace"))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(300):
            # Sizes vary widely so that a partial read would cut a document short.
            payload = {"i": i, "pad": "y" * ((i * 7919) % 20000)}
            atomic_write_bytes(target, json.dumps(payload).encode())
    finally:
        done.set()
        thread.join(timeout=30)
    assert failures == []
    assert len(reads) > 0
    assert reads == sorted(reads)  # never an older file after a newer one
    assert json.loads(target.read_bytes())["i"] == 299
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_clean_temp_files_removes_only_temp_files(tmp_path: Path) -> None:
    temps = [".tmp-state.json.abc123", ".tmp-index.json.x"]
    keep = ["state.json", "events.jsonl", "tmp-state.json", "x.tmp-y", ".tmpfoo", ".hidden"]
    for name in temps + keep:
        (tmp_path / name).write_text("data")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".tmp-nested").write_text("data")
    assert clean_temp_files(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, "sub"])
    assert (tmp_path / "sub" / ".tmp-nested").exists()
    assert clean_temp_files(tmp_path) == 0


def test_a_starting_engine_leaves_the_launchers_temp_files_alone(tmp_path: Path) -> None:
    """The launcher may still be replacing bootstrap.json when the engine starts (it stops
    waiting for the engine's first state after a few seconds): only a killed engine's own
    state.json temp files are the engine's to remove."""
    from engine.execute.recorder import Recorder

    paths = RunPaths(tmp_path / "r")
    paths.root.mkdir()
    launcher_temp = paths.root / ".tmp-bootstrap.json.k2x9"
    engine_temp = paths.root / ".tmp-state.json.a1b2"
    launcher_temp.write_text("{}")
    engine_temp.write_text("{}")
    config = RunConfig(data_source="simulated")
    recorder = Recorder(BatchRun(run_id="r", data_source="simulated", config=config), paths, 1.0)
    recorder.close()
    assert launcher_temp.exists()
    assert not engine_temp.exists()


# --- run ids and paths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "run_id", ["../x", "", "a/b", ".hidden", "a" * 65, "..", "a..b", "-lead", "sp ace", "a\\b", "ü"]
)
def test_run_paths_refuse_bad_ids(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(BadInputError, match="invalid run id"):
        RunPaths.of(tmp_path, run_id)


def test_run_paths_refuse_a_trailing_newline(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="invalid run id"):
        RunPaths.of(tmp_path, "run1\n")


@pytest.mark.parametrize("run_id", ["run-1.2_ok", "a", "A" * 64, "20250101-000000-ab12"])
def test_run_paths_accept_good_ids(tmp_path: Path, run_id: str) -> None:
    paths = RunPaths.of(tmp_path, run_id)
    assert paths.root == tmp_path / run_id
    assert paths.run_id == run_id
    assert paths.state == tmp_path / run_id / "state.json"
    assert paths.events.parent == paths.dispatch_journal.parent == paths.root


def test_existing_requires_a_launch_record(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no run 'r1'"):
        RunPaths.existing(tmp_path, "r1")
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "launch.json").write_text("{}")
    assert RunPaths.existing(tmp_path, "r1").root == tmp_path / "r1"


def test_new_run_id_matches_the_pattern_and_differs(tmp_path: Path) -> None:
    first, second = new_run_id(), new_run_id()
    for run_id in (first, second):
        assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", run_id)
        assert RunPaths.of(tmp_path, run_id).run_id == run_id
    assert first != second


# --- the shared index ----------------------------------------------------------------------


def _entry(run_id: str, created_at: datetime, status: RunStatus = RunStatus.pending) -> IndexEntry:
    return IndexEntry(run_id=run_id, created_at=created_at, status=status, data_source="simulated")


def test_upsert_keeps_one_entry_per_run_newest_first(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    assert read_index(runs_dir).runs == []
    upsert_run(runs_dir, _entry("a", T0))
    upsert_run(runs_dir, _entry("b", T0 + timedelta(hours=2)))
    upsert_run(runs_dir, _entry("c", T0 + timedelta(hours=1)))
    upsert_run(runs_dir, _entry("a", T0, RunStatus.completed))
    upsert_run(runs_dir, _entry("c", T0 + timedelta(hours=1), RunStatus.running))
    runs = read_index(runs_dir).runs
    assert [r.run_id for r in runs] == ["b", "c", "a"]
    assert [r.status for r in runs] == [RunStatus.pending, RunStatus.running, RunStatus.completed]
    assert not list(index_path(runs_dir).parent.glob(".tmp-*"))


def test_upsert_removes_the_temp_file_of_a_writer_killed_mid_write(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    upsert_run(runs_dir, _entry("a", T0))
    leftover = index_path(runs_dir).parent / ".tmp-index.json.k1ll3d"
    leftover.write_bytes(b'{"runs": [')  # what a SIGKILL during the write leaves
    other = index_path(runs_dir).parent / "a-note.txt"
    other.write_text("kept")
    upsert_run(runs_dir, _entry("b", T0 + timedelta(hours=1)))
    assert not leftover.exists()
    assert other.exists()
    assert [r.run_id for r in read_index(runs_dir).runs] == ["b", "a"]


def _upsert_many(runs_dir: str, worker: int, count: int) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for j in range(count):
        created = base + timedelta(seconds=worker * 1000 + j)
        upsert_run(Path(runs_dir), _entry(f"w{worker}-r{j}", created))


def test_upsert_from_four_processes_loses_nothing(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_upsert_many, args=(str(runs_dir), w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    data = json.loads(index_path(runs_dir).read_bytes())
    assert len(data["runs"]) == 100
    runs = read_index(runs_dir).runs
    assert {r.run_id for r in runs} == {f"w{w}-r{j}" for w in range(4) for j in range(25)}
    created = [r.created_at for r in runs]
    assert created == sorted(created, reverse=True)
    assert not list(index_path(runs_dir).parent.glob(".tmp-*"))


# --- the timeline --------------------------------------------------------------------------


def _events() -> list[TimelineEvent]:
    return [
        TimelineEvent(ts=T0, run_id="r", kind=EventKind.run_started, message="started"),
        TimelineEvent(
            ts=T0 + timedelta(seconds=1),
            run_id="r",
            kind=EventKind.session_dispatched,
            message="F-1 dispatched",
            wave_number=1,
            finding_id="F-1",
            attempt=1,
            session_id="devin-1",
            details={"url": "https://x/1"},
        ),
        TimelineEvent(
            ts=T0 + timedelta(seconds=2), run_id="r", kind=EventKind.run_completed, message="done ✓"
        ),
    ]


def test_event_log_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    assert read_events(path) == []
    log = EventLog(path)
    for event in _events():
        log.append(event)
    # Readable while the writer still has the file open: every append is flushed.
    assert read_events(path) == _events()
    log.close()
    assert read_events(path) == _events()
    assert len(path.read_bytes().splitlines()) == 3


def test_event_log_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    for event in _events():
        log.append(event)
    log.close()
    line = TimelineEvent(run_id="r", kind=EventKind.wave_started, message="torn").model_dump_json()
    with path.open("ab") as handle:
        handle.write(line[: len(line) // 2].encode())
    assert read_events(path) == _events()


def test_event_log_appends_after_a_torn_line_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    EventLog(path).close()
    line = TimelineEvent(run_id="r", kind=EventKind.wave_started, message="torn").model_dump_json()
    with path.open("ab") as handle:
        handle.write(line[: len(line) // 2].encode())
    log = EventLog(path)  # what a resumed engine does
    for event in _events():
        log.append(event)
    log.close()
    assert read_events(path) == _events()


# --- the dispatch journal ------------------------------------------------------------------


def test_journal_replay_intent_and_created(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.jsonl"
    assert replay_journal(path) == {}
    journal = DispatchJournal(path)
    journal.intent("F-1", 1, 1, "tag-F-1-a1")
    journal.created("F-1", 1, "devin-a", "https://app/a")
    journal.intent("F-2", 1, 1, "tag-F-2-a1")  # the create answer never came
    journal.intent("F-1", 2, 2, "tag-F-1-a2")
    journal.created("F-1", 2, "devin-b", None)
    journal.created("F-9", 1, "devin-stray", None)  # no intent: ignored
    journal.close()
    with path.open("ab") as handle:
        handle.write(b'{"event":"created","finding_id":"F-2","attempt":1,"session_id":"dev')
    entries = replay_journal(path)
    assert set(entries) == {("F-1", 1), ("F-2", 1), ("F-1", 2)}
    assert entries["F-1", 1].session_id == "devin-a"
    assert entries["F-1", 1].url == "https://app/a"
    assert entries["F-1", 1].tag == "tag-F-1-a1"
    assert entries["F-1", 1].wave_number == 1
    assert entries["F-2", 1].session_id is None
    assert entries["F-2", 1].url is None
    assert entries["F-1", 2].session_id == "devin-b"
    assert entries["F-1", 2].wave_number == 2


def test_journal_records_after_a_torn_line_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.jsonl"
    journal = DispatchJournal(path)
    journal.intent("F-1", 1, 1, "t1")
    journal.close()
    with path.open("ab") as handle:
        handle.write(b'{"event":"created","finding_id":"F-1","att')
    journal = DispatchJournal(path)  # what a resumed engine does
    journal.intent("F-2", 1, 1, "t2")
    journal.created("F-2", 1, "devin-2", None)
    journal.close()
    entries = replay_journal(path)
    assert ("F-2", 1) in entries
    assert entries["F-2", 1].session_id == "devin-2"


# --- the state writer ----------------------------------------------------------------------


def _run() -> BatchRun:
    config = RunConfig(
        data_source="simulated",
        wave_size=10,
        max_parallel_sessions=10,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.7,
        max_retries=2,
    )
    return BatchRun(run_id="r1", data_source="simulated", config=config)


def test_state_writer_coalesces_unforced_saves(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    writer = StateWriter(path, min_interval=60)
    run = _run()
    assert writer.save(run, force=True) is True
    size = path.stat().st_size
    results = []
    for _ in range(50):
        run.status_reason = f"change {len(results)}"
        writer.mark_dirty()
        results.append(writer.save(run))
    assert results == [False] * 50
    assert writer.writes == 1
    assert writer.bytes_written == size
    assert load_state(path).status_reason is None  # the first snapshot, untouched


def test_state_writer_force_always_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    writer = StateWriter(path, min_interval=60)
    run = _run()
    sizes = []
    for i in range(5):
        run.status_reason = "x" * i
        assert writer.save(run, force=True) is True
        sizes.append(path.stat().st_size)
    assert writer.writes == 5
    assert writer.bytes_written == sum(sizes)
    assert load_state(path).status_reason == "xxxx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_saved_state_loads_with_heartbeat_pid_and_stats(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    writer = StateWriter(path, min_interval=60)
    run = _run()
    before = datetime.now(UTC)
    sizes = []
    for _ in range(3):
        writer.save(run, force=True)
        sizes.append(path.stat().st_size)
    loaded = load_state(path)
    assert loaded.pid == os.getpid()
    assert loaded.pid_create_time is not None
    assert loaded.heartbeat_at is not None
    assert before <= loaded.heartbeat_at <= datetime.now(UTC)
    # The counters in a file include the write producing it and the bytes of earlier ones.
    assert loaded.engine_stats.state_writes == 3
    assert loaded.engine_stats.state_bytes_written == sizes[0] + sizes[1]
    assert loaded.run_id == "r1"


def test_state_writer_continues_counters_of_a_previous_engine(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    writer = StateWriter(path, min_interval=60, bytes_written=1000, writes=4)
    writer.save(_run(), force=True)
    loaded = load_state(path)
    assert loaded.engine_stats.state_writes == 5
    assert loaded.engine_stats.state_bytes_written == 1000
    assert writer.writes == 5
    assert writer.bytes_written == 1000 + path.stat().st_size
