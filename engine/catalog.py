"""Reading run folders for the app: what runs exist, and each run's files.

Every reader here is cheap to call repeatedly and tolerant of a run being written at the same
moment (files are replaced atomically or appended whole-line, see engine.runs). The app caches
them keyed on `fingerprint(path)`, so a changed file is read again and an unchanged one never."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from engine.ingest.report import IngestReport
from engine.models import BatchRun, RunStatus, TimelineEvent
from engine.reviews import ReviewDecision, read_reviews, reviews_path
from engine.runs.detach import Bootstrap, read_bootstrap
from engine.runs.events import read_events
from engine.runs.index import IndexEntry, index_path, read_index
from engine.runs.launch import LaunchRecord
from engine.runs.liveness import LivenessCheck, display_status, engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present

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


def run_entries(runs_dir: Path) -> list[IndexEntry]:
    """Every run, newest first."""
    return read_index(runs_dir).runs


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
        return IngestReport.model_validate_json(RunPaths.of(runs_dir, run_id).ingest_report.read_bytes())
    except (FileNotFoundError, ValidationError):
        return None


def run_launch(runs_dir: Path, run_id: str) -> LaunchRecord | None:
    try:
        return LaunchRecord.model_validate_json(RunPaths.of(runs_dir, run_id).launch.read_bytes())
    except (FileNotFoundError, ValidationError):
        return None


def shown_status(
    entry: IndexEntry,
    state: BatchRun | None,
    bootstrap: Bootstrap | None,
    liveness: LivenessCheck = engine_liveness,
) -> str:
    """What a person should read as the run's status: a running run whose engine died is
    'crashed', a run whose engine failed to start says so, and a run waiting for a worker of
    the fleet is 'queued'. `liveness` is the launcher's (engine.launchers)."""
    queued = bootstrap is not None and bootstrap.status == "queued"
    if state is not None:
        live = liveness(state, None) if state.status == RunStatus.running else None
        shown = display_status(state, live)
        # A resume, or a failover after a worker died, waits in the queue: the state still
        # says how the last engine left it.
        waiting = queued or (live is not None and live.basis == "queued")
        return "queued" if waiting and shown != "running" else shown
    if queued:
        return "queued"
    if bootstrap is not None and bootstrap.status == "failed_to_spawn":
        return "failed to start"
    if bootstrap is not None and bootstrap.status == "started" and not liveness(None, bootstrap).alive:
        return "failed to start"  # the engine died before writing any state
    if entry.status == RunStatus.pending and bootstrap is not None:
        return "starting"
    return entry.status.value


LIVE_STATUSES = frozenset({RunStatus.pending, RunStatus.running})


def needs_liveness_check(entry: IndexEntry) -> bool:
    """Only these entries' status can differ from the index (crashed, starting, live)."""
    return entry.status in LIVE_STATUSES
