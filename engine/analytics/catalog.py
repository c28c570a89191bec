"""Reading run folders for the app: what runs exist, and each run's files.

Every reader here is cheap to call repeatedly and tolerant of a run being written at the same
moment (files are replaced atomically or appended whole-line, see engine.runs). The app caches
them keyed on `fingerprint(path)`, so a changed file is read again and an unchanged one never.

A damaged file (engine.runs.damage) raises DamagedFileError naming it; listings never do: a
damaged index is replaced by the run folders' own account, a damaged run is listed as damaged."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.core.errors import DamagedFileError
from engine.core.models import BatchRun, RunStatus, TimelineEvent
from engine.ingest.report import IngestReport
from engine.runs.damage import check_file_kind, parse_run_file, quick_problem
from engine.runs.detach import Bootstrap, read_bootstrap
from engine.runs.events import read_events
from engine.runs.index import IndexEntry, index_path, read_index, rebuilt_index, run_folders
from engine.runs.launch_record import LaunchRecord, read_launch
from engine.runs.liveness import Liveness, LivenessCheck, display_status, engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.reviews import ReviewDecision, read_reviews, reviews_path
from engine.runs.state_store import load_state_if_present

DAMAGED = "damaged"  # the status shown for a run one of whose files is damaged

Fingerprint = tuple[str, int, int] | None  # (path, mtime_ns, size), None when absent


def fingerprint(path: Path) -> Fingerprint:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (str(path), stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class RunFiles:
    """The fingerprints of one run's files: the cache key for everything read from them."""

    state: Fingerprint
    events: Fingerprint
    reviews: Fingerprint
    bootstrap: Fingerprint

    @classmethod
    def of(cls, paths: RunPaths) -> RunFiles:
        return cls(
            state=fingerprint(paths.state),
            events=fingerprint(paths.events),
            reviews=fingerprint(reviews_path(paths)),
            bootstrap=fingerprint(paths.bootstrap),
        )


def index_fingerprint(runs_dir: Path) -> Fingerprint:
    return fingerprint(index_path(runs_dir))


@dataclass(frozen=True)
class RunListing:
    """Every run, newest first; `damage` says why the index could not be used (the list then
    comes from the run folders)."""

    entries: list[IndexEntry]
    damage: str | None = None


def index_entries(runs_dir: Path) -> list[IndexEntry] | None:
    """The index's runs, newest first; None when there is no index (yet). DamagedFileError when
    it is unusable."""
    if not os.path.lexists(index_path(runs_dir)):
        return None
    return read_index(runs_dir).runs


def folder_entries(runs_dir: Path) -> list[IndexEntry]:
    """Every run as its folder tells it, newest first: what stands in for a missing or damaged
    index."""
    return rebuilt_index(runs_dir).runs


def folders_fingerprint(runs_dir: Path) -> tuple[tuple[str, Fingerprint, Fingerprint], ...]:
    """What `folder_entries` depends on: each run folder's state and launch record."""
    return tuple(
        (paths.run_id, fingerprint(paths.state), fingerprint(paths.launch)) for paths in run_folders(runs_dir)
    )


def list_runs(runs_dir: Path) -> RunListing:
    """Every run, newest first, whatever state the index is in."""
    try:
        listed = index_entries(runs_dir)
    except DamagedFileError as exc:
        return RunListing(folder_entries(runs_dir), damage=str(exc))
    return RunListing(listed if listed is not None else folder_entries(runs_dir))


def run_entries(runs_dir: Path) -> list[IndexEntry]:
    """Every run, newest first."""
    return list_runs(runs_dir).entries


def run_state(runs_dir: Path, run_id: str) -> BatchRun | None:
    """The run's state, or None before its engine first wrote it."""
    return load_state_if_present(RunPaths.of(runs_dir, run_id).state)


def run_events(runs_dir: Path, run_id: str) -> list[TimelineEvent]:
    return read_events(RunPaths.of(runs_dir, run_id).events)


def run_reviews(runs_dir: Path, run_id: str) -> list[ReviewDecision]:
    return read_reviews(RunPaths.of(runs_dir, run_id))


def run_bootstrap(runs_dir: Path, run_id: str) -> Bootstrap | None:
    return read_bootstrap(RunPaths.of(runs_dir, run_id))


def run_ingest_report(runs_dir: Path, run_id: str) -> IngestReport | None:
    try:
        return parse_run_file(RunPaths.of(runs_dir, run_id).ingest_report, IngestReport, "ingest report")
    except FileNotFoundError:
        return None


def run_launch(runs_dir: Path, run_id: str) -> LaunchRecord | None:
    try:
        return read_launch(RunPaths.of(runs_dir, run_id))
    except FileNotFoundError:
        return None


def check_run_logs(runs_dir: Path, run_id: str) -> None:
    """DamagedFileError when the run's timeline or reviews is not a regular file. (Their torn
    or unreadable lines are no damage: readers skip them, see engine.runs.events.)"""
    paths = RunPaths.of(runs_dir, run_id)
    for path in (paths.events, reviews_path(paths)):
        check_file_kind(path)


def listed_status(runs_dir: Path, entry: IndexEntry, liveness: LivenessCheck = engine_liveness) -> str:
    """The status to list a run with, reading as little as possible: a cheap look at the state
    file for damage, and the whole state only where liveness matters (`needs_liveness_check`),
    judged by `liveness`, the launcher's (engine.launch.launchers)."""
    paths = RunPaths.of(runs_dir, entry.run_id)
    if quick_problem(paths.state) is not None:
        return DAMAGED
    if not needs_liveness_check(entry):
        return entry.status.value
    try:
        return shown_status(entry, load_state_if_present(paths.state), read_bootstrap(paths), liveness)
    except DamagedFileError:
        return DAMAGED


def shown_status(
    entry: IndexEntry,
    state: BatchRun | None,
    bootstrap: Bootstrap | None,
    liveness: LivenessCheck = engine_liveness,
) -> str:
    """What a person should read as the run's status: a running run whose engine died is
    'crashed', a run whose engine failed to start says so, and a run waiting for a worker of
    the fleet is 'queued'. `liveness` is the launcher's (engine.launch.launchers)."""
    if state is not None:
        return state_status(
            state, bootstrap, liveness(state, None) if state.status == RunStatus.running else None
        )
    if bootstrap is not None and bootstrap.status == "queued":
        return "queued"
    if bootstrap is not None and bootstrap.status == "failed_to_spawn":
        return "failed to start"
    if bootstrap is not None and bootstrap.status == "started" and not liveness(None, bootstrap).alive:
        return "failed to start"  # the engine died before writing any state
    if entry.status == RunStatus.pending and bootstrap is not None:
        return "starting"
    return entry.status.value


def state_status(state: BatchRun, bootstrap: Bootstrap | None, live: Liveness | None) -> str:
    """The status of a run that has a state, given its engine's liveness (None: not asked, the
    state does not say running)."""
    shown = display_status(state, live)
    # A resume, or a failover after a worker died, waits in the queue: the state still says
    # how the last engine left it.
    queued = bootstrap is not None and bootstrap.status == "queued"
    waiting = queued or (live is not None and live.basis == "queued")
    return "queued" if waiting and shown != "running" else shown


LIVE_STATUSES = frozenset({RunStatus.pending, RunStatus.running})


def needs_liveness_check(entry: IndexEntry) -> bool:
    """Only these entries' status can differ from the index (crashed, starting, live)."""
    return entry.status in LIVE_STATUSES
