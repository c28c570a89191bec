"""Shared files live in `runs/_shared/`, where no run can be named (engine/runs/shared.py): runs
named like a shared file collide with nothing, and a runs folder of the earlier layout is moved
in once, by one of any number of processes opening it at the same time, losing nothing."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.access.audit import audit_path, read_audit, record_audit
from engine.access.roles import Action, Identity, Role
from engine.alerts import alert_log_path, read_alert_log
from engine.core.errors import BadInputError
from engine.core.models import RunStatus
from engine.ledger import ledger_path, read_ledger
from engine.runs.index import IndexEntry, index_path, read_index, upsert_run
from engine.runs.paths import RUN_ID_PATTERN, check_run_id
from engine.runs.shared import SHARED_DIR_NAME, move_old_layout, old_layout_items, shared_dir
from tests.engine_helpers import SAMPLE, cli

RESERVED_LOOKING = ["index.json", "audit.jsonl", "ledger", "alerts.jsonl"]
RUN_FILES = {
    "launch.json",
    "input.csv",  # the upload as it came (input.<ext>)
    "findings.json",  # the planned findings the engine starts from
    "plan.json",
    "ingest_report.json",
    "state.json",
    "events.jsonl",
    "dispatch.jsonl",
    "simulator.jsonl",
    "simulator_stats.json",
    "engine.log",
    "engine.lock",
    "pulls",  # the simulated pull requests' pages (engine/simulator/pull_archive.py)
}
ANA = Identity(email="ana@acme.com", name="Ana", role=Role.admin, authenticated=True)
OPENERS = 6


def _ok(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 0, done.stderr
    return done.stdout


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def _alerting_env() -> dict[str, str]:
    """Alerts to a webhook nobody listens on: each delivery is logged as failed, at once."""
    return {"ALERT_WEBHOOK_URL": _closed_port_url(), "ALERT_RETRIES": "0", "ALERT_TIMEOUT_SECONDS": "1"}


# --- run ids -----------------------------------------------------------------------------------


def test_no_run_id_can_name_the_shared_folder() -> None:
    assert not RUN_ID_PATTERN.fullmatch(SHARED_DIR_NAME)
    with pytest.raises(BadInputError, match="invalid run id"):
        check_run_id(SHARED_DIR_NAME)


@pytest.mark.parametrize("run_id", [*RESERVED_LOOKING, "index.json.lock", "a", "A.b-c_d", "9" * 64])
def test_run_ids_valid_before_stay_valid(run_id: str) -> None:
    assert check_run_id(run_id) == run_id


# --- runs named like a shared file -------------------------------------------------------------


@pytest.mark.parametrize("run_id", RESERVED_LOOKING)
def test_a_run_named_like_a_shared_file_collides_with_nothing(tmp_path: Path, run_id: str) -> None:
    runs = tmp_path / "runs"
    env = _alerting_env()
    _ok(cli(runs, "run", str(SAMPLE), "--run-id", run_id, "--speed", "500", **env))

    # The run is listed, shown, valid.
    listed = json.loads(_ok(cli(runs, "status", "--json")))
    assert [(r["run_id"], r["display_status"]) for r in listed] == [(run_id, "completed")]
    assert f"Run {run_id}: completed" in _ok(cli(runs, "status", run_id))
    _ok(cli(runs, "validate", run_id))
    # The audit trail is written (a scan import is audited)...
    _ok(cli(runs, "ledger", "import", str(SAMPLE), **env))
    assert [e.action for e in read_audit(runs)] == [Action.import_scan.value]
    # ...and so are the ledger (the run planned against it) and the alert log (its end).
    assert len(read_ledger(runs, "simulated").entries) == 24
    assert (run_id, "run_completed") in {(d.run_id, d.kind.value) for d in read_alert_log(runs)}
    # None of the shared files is in the run's folder, and the run's files are all there.
    folder = runs / run_id
    assert {p.name for p in folder.iterdir()} <= RUN_FILES, sorted(p.name for p in folder.iterdir())
    for shared in (index_path(runs), audit_path(runs), alert_log_path(runs), ledger_path(runs, "simulated")):
        assert shared.is_file() and folder not in shared.parents
    assert sorted(p.name for p in runs.iterdir()) == sorted([SHARED_DIR_NAME, run_id])


def test_the_ledger_is_never_written_into_a_run_named_ledger(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _ok(cli(runs, "run", str(SAMPLE), "--run-id", "ledger", "--speed", "500", "--no-ledger"))
    _ok(cli(runs, "ledger", "import", str(SAMPLE)))
    assert {p.name for p in (runs / "ledger").iterdir()} <= RUN_FILES
    assert len(read_ledger(runs, "simulated").entries) == 24
    assert ledger_path(runs, "simulated").parent == runs / SHARED_DIR_NAME / "ledger"
    _ok(cli(runs, "validate", "ledger"))
    assert "Run ledger: completed" in _ok(cli(runs, "status", "ledger"))


# --- the earlier layout ------------------------------------------------------------------------


def _to_old_layout(runs: Path) -> dict[str, bytes]:
    """Puts the shared files back where an earlier version kept them; returns their bytes by
    their old path relative to `runs`."""
    shared = runs / SHARED_DIR_NAME
    old: dict[str, bytes] = {}
    for name in ("index.json", "audit.jsonl", "alerts.jsonl"):
        os.rename(shared / name, runs / name)
        old[name] = (runs / name).read_bytes()
    os.rename(shared / "ledger", runs / "ledger")
    for path in sorted((runs / "ledger").glob("*.json")):
        old[f"ledger/{path.name}"] = path.read_bytes()
    shutil.rmtree(shared)  # what is left: lock files only
    return old


def test_an_old_layout_is_moved_into_shared_and_every_command_keeps_working(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    env = _alerting_env()
    _ok(cli(runs, "run", str(SAMPLE), "--run-id", "old-run", "--speed", "500", **env))
    _ok(cli(runs, "ledger", "import", str(SAMPLE), "--data-source", "live"))
    old = _to_old_layout(runs)
    assert set(old) == {"index.json", "audit.jsonl", "alerts.jsonl"} | {
        "ledger/live.json",
        "ledger/simulated.json",
    }
    assert not (runs / SHARED_DIR_NAME).exists()

    # The first command to open the folder moves everything, byte for byte.
    listed = json.loads(_ok(cli(runs, "status", "--json")))
    assert [r["run_id"] for r in listed] == ["old-run"]
    for name, data in old.items():
        assert not (runs / name).exists(), name
        assert (runs / SHARED_DIR_NAME / name).read_bytes() == data, name
    assert sorted(p.name for p in runs.iterdir()) == sorted([SHARED_DIR_NAME, "old-run"])

    # Every command reads and writes the moved files.
    assert "Run old-run: completed" in _ok(cli(runs, "status", "old-run"))
    _ok(cli(runs, "validate", "old-run"))
    assert len(json.loads(_ok(cli(runs, "ledger", "list", "--json", "--data-source", "live")))) == 24
    _ok(cli(runs, "run", str(SAMPLE), "--run-id", "new-run", "--speed", "500", "--no-ledger", **env))
    assert [r.run_id for r in read_index(runs).runs] == ["new-run", "old-run"]
    ended = [a.run_id for a in read_alert_log(runs) if a.kind.value == "run_completed"]
    assert ended == ["old-run", "new-run"]
    _ok(cli(runs, "ledger", "import", str(SAMPLE)))
    assert [e.action for e in read_audit(runs)] == [Action.import_scan.value] * 2
    assert sorted(p.name for p in runs.iterdir()) == sorted([SHARED_DIR_NAME, "new-run", "old-run"])


def _old_layout_by_hand(runs: Path, entries: int = 3) -> None:
    runs.mkdir(parents=True)
    scratch = runs.parent / "scratch"  # built with today's code, then moved to the top
    for i in range(entries):
        upsert_run(scratch, _entry(f"old-{i}", i))
    record_audit(scratch, ANA, Action.launch, "old-0", {})
    os.rename(index_path(scratch), runs / "index.json")
    os.rename(audit_path(scratch), runs / "audit.jsonl")
    (runs / "index.json.lock").write_bytes(b"")
    (runs / "alerts.jsonl").write_bytes(b"")
    (runs / "ledger").mkdir()
    (runs / "ledger" / "live.json").write_bytes(b'{"version": 1, "entries": {}}')
    (runs / "ledger" / "live.json.lock").write_bytes(b"")


def _entry(run_id: str, hours: int) -> IndexEntry:
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
    return IndexEntry(run_id=run_id, created_at=created, status=RunStatus.completed, data_source="simulated")


def test_moving_twice_or_after_a_crash_midway_finishes_the_job(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _old_layout_by_hand(runs)
    (runs / SHARED_DIR_NAME).mkdir()
    os.rename(runs / "audit.jsonl", runs / SHARED_DIR_NAME / "audit.jsonl")  # moved before a crash
    result = move_old_layout(runs)
    assert sorted(m.old.name for m in result.moved) == ["alerts.jsonl", "index.json", "ledger"]
    assert result.left == []
    assert move_old_layout(runs).moved == [] and old_layout_items(runs) == []
    assert [r.run_id for r in read_index(runs).runs] == ["old-2", "old-1", "old-0"]
    assert [e.target for e in read_audit(runs)] == ["old-0"]
    assert (runs / SHARED_DIR_NAME / "ledger" / "live.json.lock").exists()  # moved with its folder
    assert (runs / SHARED_DIR_NAME / "index.json.lock").exists()  # and a lock file with its file
    assert sorted(p.name for p in runs.iterdir()) == [SHARED_DIR_NAME]


def test_an_item_whose_new_place_is_taken_is_left_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runs = tmp_path / "runs"
    _old_layout_by_hand(runs)
    taken = runs / SHARED_DIR_NAME / "index.json"
    taken.parent.mkdir()
    taken.write_bytes(b'{"runs": []}')
    (runs / SHARED_DIR_NAME / "ledger").mkdir()
    (runs / SHARED_DIR_NAME / "ledger" / "live.json").write_bytes(b"newer")
    before = (runs / "index.json").read_bytes()
    with caplog.at_level(logging.WARNING, logger="engine.runs.shared"):
        result = move_old_layout(runs)
    assert sorted(str(m.old.relative_to(runs)) for m in result.left) == ["index.json", "ledger/live.json"]
    # Neither copy was touched; everything else moved.
    assert (runs / "index.json").read_bytes() == before and taken.read_bytes() == b'{"runs": []}'
    assert (runs / "ledger" / "live.json").exists()
    assert (runs / SHARED_DIR_NAME / "ledger" / "live.json").read_bytes() == b"newer"
    assert (runs / SHARED_DIR_NAME / "audit.jsonl").exists() and not (runs / "audit.jsonl").exists()
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert str(runs / "index.json") in warned and str(taken) in warned and "Nothing was overwritten" in warned


def test_run_folders_with_reserved_looking_names_stay_runs(tmp_path: Path) -> None:
    """An earlier version let runs be named `ledger` or `index.json`; the ledger it then wrote
    into the `ledger` run's folder is moved out, the runs' own files stay."""
    runs = tmp_path / "runs"
    for run_id in ("ledger", "index.json", "audit.jsonl"):
        (runs / run_id).mkdir(parents=True)
        (runs / run_id / "launch.json").write_text("{}")
    (runs / "ledger" / "state.json").write_text("{}")
    (runs / "ledger" / "simulated.json").write_bytes(b"the ledger")
    result = move_old_layout(runs)
    assert [(m.old.relative_to(runs), m.new.relative_to(runs)) for m in result.moved] == [
        (Path("ledger/simulated.json"), Path(f"{SHARED_DIR_NAME}/ledger/simulated.json"))
    ]
    assert sorted(p.name for p in (runs / "ledger").iterdir()) == ["launch.json", "state.json"]
    assert (runs / "index.json" / "launch.json").exists() and (runs / "audit.jsonl" / "launch.json").exists()
    assert old_layout_items(runs) == []
    # An empty `ledger` folder may be a run being created: it is never taken.
    fresh = tmp_path / "fresh"
    (fresh / "ledger").mkdir(parents=True)
    assert move_old_layout(fresh).moved == [] and (fresh / "ledger").is_dir()


def test_a_runs_folder_with_nothing_to_move_gets_no_shared_folder_from_readers(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    assert read_index(runs).runs == [] and read_audit(runs) == [] and read_alert_log(runs) == []
    assert read_ledger(runs, "live").entries == {}
    assert list(runs.iterdir()) == []
    assert shared_dir(runs) == runs / SHARED_DIR_NAME


def _open_and_write(runs_dir: str, worker: int, barrier) -> None:  # type: ignore[no-untyped-def]
    """A fresh process (its first open of the folder): read, then write each shared file."""
    runs = Path(runs_dir)
    barrier.wait()
    assert {f"old-{i}" for i in range(3)} <= {r.run_id for r in read_index(runs).runs}
    upsert_run(runs, _entry(f"new-{worker}", 100 + worker))
    record_audit(runs, ANA, Action.launch, f"new-{worker}", {})


def test_processes_opening_an_old_layout_at_once_lose_nothing(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _old_layout_by_hand(runs)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(OPENERS)
    procs = [ctx.Process(target=_open_and_write, args=(str(runs), w, barrier)) for w in range(OPENERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * OPENERS
    assert sorted(p.name for p in runs.iterdir()) == [SHARED_DIR_NAME]
    ids = [r.run_id for r in read_index(runs).runs]
    assert sorted(ids) == sorted([f"old-{i}" for i in range(3)] + [f"new-{w}" for w in range(OPENERS)])
    targets = [e.target for e in read_audit(runs)]
    assert targets[0] == "old-0" and sorted(targets[1:]) == sorted(f"new-{w}" for w in range(OPENERS))
    assert (runs / SHARED_DIR_NAME / "ledger" / "live.json").read_bytes() == b'{"version": 1, "entries": {}}'
