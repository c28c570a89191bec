"""Run files are never reached through symbolic links (engine/storage/links.py): appends refuse a
link, and every command that opens a run refuses a run folder that is or holds one, with a
clear message (exit 2) and nothing outside the runs folder written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.access.audit import audit_path, record_audit
from engine.access.roles import Action, Identity, Role
from engine.core.models import RunConfig
from engine.execute.start import execute_run
from engine.launch.planner import PlanOptions
from engine.launch.prepare import prepare_run
from engine.runs.detach import spawn_engine
from engine.runs.events import EventLog
from engine.runs.journal import DispatchJournal
from engine.runs.paths import RunPaths
from engine.runs.reviews import reviews_path
from engine.simulator.journal import Journal
from engine.storage.appendlog import open_for_append
from engine.storage.atomic import atomic_write_bytes
from engine.storage.links import SymlinkRefusedError, links_in, refuse_links
from tests.engine_helpers import SAMPLE, cli

RUN_ID = "linked"
PRECIOUS = b"a file outside the runs folder\n"
ANA = Identity(email="ana@acme.com", name="Ana", role=Role.admin, authenticated=True)


def _prepared(runs: Path, run_id: str = RUN_ID) -> RunPaths:
    """A run folder as the launcher leaves it: resumable, its engine never started."""
    config = RunConfig(
        data_source="simulated",
        speed=500,
        wave_size=10,
        max_parallel_sessions=10,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.0,
        max_retries=2,
    )
    paths, _ = prepare_run(SAMPLE.read_bytes(), SAMPLE.name, config, PlanOptions(wave_size=10), runs, run_id)
    return paths


def _outside(tmp_path: Path, name: str = "outside.jsonl") -> Path:
    target = tmp_path / "elsewhere" / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(PRECIOUS)
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- commands refuse a run folder with a link ---------------------------------------------------


def test_resume_refuses_a_run_whose_events_file_links_outside(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    paths = _prepared(runs)
    outside = _outside(tmp_path)
    paths.events.symlink_to(outside)
    elsewhere = _snapshot(outside.parent)
    done = cli(runs, "resume", RUN_ID)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert f"contains a symbolic link: {paths.events} (to {outside})" in done.stderr
    assert "replace each link with the real file" in done.stderr
    assert outside.read_bytes() == PRECIOUS and _snapshot(outside.parent) == elsewhere
    assert not paths.state.exists()  # no engine ran
    assert paths.events.is_symlink()  # the link is left for its owner to look at


@pytest.mark.parametrize(
    "command",
    [
        ["status", RUN_ID],
        ["validate", RUN_ID],
        ["stop", RUN_ID],
        ["execute", RUN_ID],
        ["resume", RUN_ID, "--detach"],
    ],
)
def test_every_command_on_a_run_refuses_a_linked_lock_file(tmp_path: Path, command: list[str]) -> None:
    """engine.lock is opened (and once truncated) by whoever takes it: a link there must never
    be reached."""
    runs = tmp_path / "runs"
    paths = _prepared(runs)
    outside = _outside(tmp_path, "outside.lock")
    paths.engine_lock.symlink_to(outside)
    done = cli(runs, *command)
    assert done.returncode == 2, done.stderr
    assert f"contains a symbolic link: {paths.engine_lock}" in done.stderr
    assert outside.read_bytes() == PRECIOUS
    assert not paths.bootstrap.exists() and not paths.engine_log.exists()


def test_a_run_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    real = _prepared(tmp_path / "elsewhere")
    before = _snapshot(real.root)
    runs.mkdir()
    (runs / RUN_ID).symlink_to(real.root, target_is_directory=True)
    for command in (["status", RUN_ID], ["resume", RUN_ID]):
        done = cli(runs, *command)
        assert done.returncode == 2, done.stderr
        assert f"run folder {runs / RUN_ID} is a symbolic link (to {real.root})" in done.stderr
    assert _snapshot(real.root) == before


def test_a_clean_run_folder_is_not_refused(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _prepared(runs)
    assert cli(runs, "status", RUN_ID).returncode == 0


def test_the_engine_and_the_launcher_refuse_a_linked_run_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    paths = _prepared(runs)
    outside = _outside(tmp_path)
    paths.dispatch_journal.symlink_to(outside)
    with pytest.raises(SymlinkRefusedError, match=r"dispatch\.jsonl"):
        execute_run(paths, None)
    with pytest.raises(SymlinkRefusedError, match=r"dispatch\.jsonl"):
        spawn_engine(paths, runs)
    assert outside.read_bytes() == PRECIOUS
    assert sorted(p.name for p in paths.root.iterdir()) == [
        "dispatch.jsonl",
        "findings.json",
        "ingest_report.json",
        "input.csv",
        "launch.json",
    ]


# --- the check itself -------------------------------------------------------------------------


def test_links_in_finds_every_link_and_follows_none(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    (folder / "sub").mkdir(parents=True)
    (folder / "state.json").write_text("{}")
    assert links_in(folder) == [] and links_in(tmp_path / "missing") == []
    (folder / "events.jsonl").symlink_to(tmp_path / "nowhere")  # dangling counts too
    (folder / "sub" / "x").symlink_to(tmp_path)
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    assert links_in(folder) == [folder / "events.jsonl", folder / "sub" / "loop", folder / "sub" / "x"]
    with pytest.raises(SymlinkRefusedError, match=r"and 2 more") as caught:
        refuse_links(folder)
    assert caught.value.link == folder / "events.jsonl"
    linked = tmp_path / "linked-run"
    linked.symlink_to(folder, target_is_directory=True)
    assert links_in(linked) == [linked]


# --- appends never follow a link --------------------------------------------------------------


@pytest.mark.parametrize(
    "opener",
    [
        open_for_append,
        EventLog,
        DispatchJournal,
        lambda path: Journal(path).open(),
    ],
    ids=["open_for_append", "events", "dispatch", "simulator"],
)
def test_appends_refuse_a_link_and_leave_its_target_alone(tmp_path: Path, opener) -> None:  # type: ignore[no-untyped-def]
    outside = _outside(tmp_path)
    link = tmp_path / "run.jsonl"
    link.symlink_to(outside)
    with pytest.raises(SymlinkRefusedError, match="is a symbolic link"):
        opener(link)
    assert outside.read_bytes() == PRECIOUS


def test_an_append_to_a_regular_file_still_cuts_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b":')
    with open_for_append(path) as handle:
        handle.write(b'{"c": 3}\n')
    assert path.read_bytes() == b'{"a": 1}\n{"c": 3}\n'


def test_an_atomic_write_replaces_a_link_and_never_writes_through_it(tmp_path: Path) -> None:
    outside = _outside(tmp_path, "state.json")
    link = tmp_path / "state.json"
    link.symlink_to(outside)
    atomic_write_bytes(link, b"{}")
    assert not link.is_symlink() and link.read_bytes() == b"{}"
    assert outside.read_bytes() == PRECIOUS


def test_the_audit_trail_and_reviews_refuse_a_link(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    paths = _prepared(runs)
    outside = _outside(tmp_path)
    audit_path(runs).parent.mkdir(parents=True, exist_ok=True)
    audit_path(runs).symlink_to(outside)
    with pytest.raises(SymlinkRefusedError):
        record_audit(runs, ANA, Action.launch, RUN_ID, {})
    reviews_path(paths).symlink_to(outside)
    with pytest.raises(SymlinkRefusedError):
        open_for_append(reviews_path(paths))
    assert outside.read_bytes() == PRECIOUS
    assert os.path.islink(audit_path(runs))
