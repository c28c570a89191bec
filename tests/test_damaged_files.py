"""Damaged run files from the command line and the engine: every message names the file and
what is wrong with it, `resume` refuses without touching anything, and one damaged run or a
damaged index never hides the other runs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.core.models import RunStatus
from engine.runs.detach import read_bootstrap
from engine.runs.events import read_events
from engine.runs.index import IndexEntry, read_index, upsert_run
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state
from tests.crash_helpers import wait_for
from tests.damage_fixtures import (
    DAMAGE,
    NEWEST,
    OLDER,
    PROBLEM,
    damaged_copy,
    snapshot,
    two_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import REPO, SAMPLE, cli, engine_env, load_run

slow = pytest.mark.slow  # the fixture runs the engine
KINDS = list(DAMAGE)


def _dispatched(runs: Path, run_id: str) -> bool:
    try:
        return any(s.session_id for s in load_run(runs, run_id).sessions)
    except (FileNotFoundError, ValueError):
        return False


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


# --- the readers -------------------------------------------------------------------------------


@slow
@pytest.mark.parametrize("kind", KINDS)
def test_the_state_reader_names_the_file_and_the_problem(two_runs: Path, tmp_path: Path, kind: str) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/state.json", kind)
    with pytest.raises(BadInputError) as caught:
        load_state(runs / NEWEST / "state.json")
    assert caught.value.path == runs / NEWEST / "state.json"
    assert PROBLEM[kind] in str(caught.value)
    assert "Move the run folder away or restore the file; other runs are unaffected." in str(caught.value)


@slow
@pytest.mark.parametrize("kind", ["empty", "truncated", "wrong-shape", "directory"])
def test_the_bootstrap_and_index_readers_name_their_file(two_runs: Path, tmp_path: Path, kind: str) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", kind)
    with pytest.raises(BadInputError, match=r"index\.json is damaged"):
        read_index(runs)
    paths = RunPaths.of(runs, NEWEST)
    paths.bootstrap.write_bytes(b"")
    with pytest.raises(BadInputError, match=r"bootstrap\.json is damaged \(it is empty\)"):
        read_bootstrap(paths)


@slow
def test_a_timeline_that_is_no_file_is_damaged_but_torn_lines_are_not(two_runs: Path, tmp_path: Path) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/state.json", "empty")
    events = runs / NEWEST / "events.jsonl"
    with events.open("ab") as handle:
        handle.write(b'{"torn": ')  # a killed writer's last line: skipped, as always
    assert read_events(events)
    events.unlink()
    events.symlink_to(runs / OLDER / "events.jsonl")
    with pytest.raises(BadInputError, match="symbolic link"):
        read_events(events)


# --- the index -----------------------------------------------------------------------------------


def _entry(run_id: str) -> IndexEntry:
    return IndexEntry(
        run_id=run_id, created_at=datetime.now(UTC), status=RunStatus.completed, data_source="simulated"
    )


@slow
def test_a_damaged_index_is_never_written_over(two_runs: Path, tmp_path: Path) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", "truncated")
    before = (runs / "_shared" / "index.json").read_bytes()
    with pytest.raises(BadInputError, match=r"index\.json is damaged"):
        upsert_run(runs, _entry("another"))
    assert (runs / "_shared" / "index.json").read_bytes() == before


@slow
def test_a_missing_index_is_rebuilt_from_the_run_folders(two_runs: Path, tmp_path: Path) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", "empty")
    (runs / "_shared" / "index.json").unlink()  # what the damage message says to do
    done = cli(runs, "status", "--json")
    assert [e["run_id"] for e in json.loads(done.stdout)] == [NEWEST, OLDER]
    upsert_run(runs, _entry("another"))
    listed = {e.run_id: e.status.value for e in read_index(runs).runs}
    assert listed == {"another": "completed", NEWEST: "interrupted", OLDER: "completed"}


@slow
@pytest.mark.parametrize("kind", ["truncated", "directory"])
def test_status_lists_every_run_from_their_folders_when_the_index_is_damaged(
    two_runs: Path, tmp_path: Path, kind: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", kind)
    done = cli(runs, "status", "--json")
    assert done.returncode == 0, done.stderr
    listed = {e["run_id"]: e["display_status"] for e in json.loads(done.stdout)}
    assert listed == {NEWEST: "interrupted", OLDER: "completed"}
    assert f"warning: {runs / '_shared' / 'index.json'} is damaged" in done.stderr
    assert "Traceback" not in done.stderr


@slow
def test_run_refuses_a_damaged_index_before_creating_anything(two_runs: Path, tmp_path: Path) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", "truncated")
    before = snapshot(runs)
    done = cli(runs, "run", str(SAMPLE), "--run-id", "fresh", "--speed", "2000")
    assert done.returncode == 2
    assert f"{runs / '_shared' / 'index.json'} is damaged" in _one_error_line(done.stderr)
    assert snapshot(runs) == before  # no run folder, and the ledger records no scan


# --- resume and status ---------------------------------------------------------------------------


def _named(path: Path, kind: str, problem: str) -> str:
    """What the one error line says of `path`: a link is refused as one (the run-folder link
    check comes first), any other damage is named with its problem."""
    if kind == "symlink":
        return f"contains a symbolic link: {path}"
    return f"{path} is damaged ({problem}"


@slow
@pytest.mark.parametrize("kind", KINDS)
def test_resume_refuses_a_damaged_state_and_changes_nothing(
    two_runs: Path, tmp_path: Path, kind: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/state.json", kind)
    before = snapshot(runs)
    done = cli(runs, "resume", NEWEST)
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_error_line(done.stderr)
    assert _named(runs / NEWEST / "state.json", kind, PROBLEM[kind]) in line
    assert snapshot(runs) == before


@slow
@pytest.mark.parametrize("kind", ["wrong-shape", "directory"])
def test_resume_refuses_while_the_index_is_damaged_and_changes_nothing(
    two_runs: Path, tmp_path: Path, kind: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", kind)
    state = (runs / NEWEST / "state.json").read_bytes()
    before = snapshot(runs)
    done = cli(runs, "resume", NEWEST)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{runs / '_shared' / 'index.json'} is damaged" in _one_error_line(done.stderr)
    assert snapshot(runs) == before
    assert load_state(runs / NEWEST / "state.json").status == RunStatus.interrupted
    assert (runs / NEWEST / "state.json").read_bytes() == state


@slow
@pytest.mark.parametrize("kind", KINDS)
def test_status_of_a_damaged_run_names_the_file(two_runs: Path, tmp_path: Path, kind: str) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/state.json", kind)
    done = cli(runs, "status", NEWEST)
    assert done.returncode == 2
    line = _one_error_line(done.stderr)
    assert "invalid setting" not in line
    assert _named(runs / NEWEST / "state.json", kind, PROBLEM[kind]) in line
    listed = cli(runs, "status", "--json")
    assert listed.returncode == 0, listed.stderr
    shown = {e["run_id"]: e["display_status"] for e in json.loads(listed.stdout)}
    assert shown[OLDER] == "completed"  # the other run is unaffected


@slow
@pytest.mark.parametrize(
    ("relative", "kind", "problem"),
    [
        ("launch.json", "wrong-shape", "valid JSON but not a launch record"),
        ("events.jsonl", "directory", "it is a directory, not a file"),
        ("dispatch.jsonl", "symlink", "it is a symbolic link, not a file"),
    ],
)
def test_every_run_file_is_named_in_the_refusal(
    two_runs: Path, tmp_path: Path, relative: str, kind: str, problem: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/{relative}", kind)
    if relative == "launch.json":  # read only to build the first state
        (runs / NEWEST / "state.json").unlink()
    before = snapshot(runs)
    done = cli(runs, "resume", NEWEST)
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_error_line(done.stderr)
    assert "invalid setting" not in line
    assert _named(runs / NEWEST / relative, kind, problem) in line
    assert snapshot(runs) == before


def test_invalid_settings_are_still_named_as_settings(tmp_path: Path) -> None:
    done = cli(tmp_path / "runs", "status", WAVE_SIZE="0")
    assert done.returncode == 2
    assert _one_error_line(done.stderr).startswith("error: invalid setting: wave_size")


@slow
def test_an_index_damaged_during_a_run_stops_it_interrupted_and_resume_finishes_it(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    engine = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(SAMPLE), "--speed", "60", "--run-id", "live"],
        cwd=REPO,
        env=engine_env(runs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _dispatched(runs, "live"), timeout=60, what="the first sessions")
        (runs / "_shared" / "index.json").write_bytes(b'{"runs": "not a list"}')
        _, stderr = engine.communicate(timeout=120)
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait()
    assert engine.returncode == 2, stderr
    assert f"error: {runs / '_shared' / 'index.json'} is damaged (valid JSON but not a run index" in stderr
    assert "Traceback" not in stderr
    stopped = load_state(runs / "live" / "state.json")
    assert stopped.status == RunStatus.interrupted
    assert "index.json is damaged" in (stopped.status_reason or "")

    (runs / "_shared" / "index.json").unlink()  # as the message says: rebuilt from the run folders
    resumed = cli(runs, "resume", "live", timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert load_state(runs / "live" / "state.json").status == RunStatus.completed
    assert [e.run_id for e in read_index(runs).runs] == ["live"]
