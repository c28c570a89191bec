"""Every read of the runs folder, cached on the files' fingerprints.

Each public loader stats the files it needs (`engine.analytics.catalog.fingerprint`: path, mtime_ns,
size) and calls a `st.cache_data` function keyed on those fingerprints. An unchanged file is
never read twice and a changed one is read on the very next call, so pages are fast and never
stale. Liveness (is a running run's engine still alive?) depends on time and processes, not on
files, so it is checked on every call, and only for runs whose index status can be out of date.

A damaged file (engine.runs.damage) is cached like any result, as the DamagedFileError its
reader raised, and raised again to the caller: a page shows it for that run only. Listings
never raise: a damaged index gives way to the run folders (`index_damage` says why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from engine.analytics import catalog, outcomes
from engine.analytics.catalog import Fingerprint, RunFiles
from engine.analytics.held_back import HeldBackGroup, held_back_groups
from engine.analytics.preview import preview_table, skipped_table, suppressed_table
from engine.core.errors import BadInputError, DamagedFileError
from engine.core.models import BatchRun, TimelineEvent, Wave
from engine.core.repos import connected_count
from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits, IngestReport
from engine.launch.launchers import launcher_for
from engine.launch.planner import plan_options, plan_run
from engine.launch.prepare import LaunchRecord
from engine.ledger import Ledger, ledger_path, read_ledger
from engine.policy import Policy, ServiceCatalog, load_policy, load_services
from engine.runs.damage import quick_problem
from engine.runs.detach import Bootstrap
from engine.runs.index import IndexEntry
from engine.runs.liveness import LivenessCheck, engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.reviews import ReviewDecision, latest_decisions
from engine.settings.environment import Settings, load_settings

# Statuses during which a run changes by itself: pages refresh while a run shows one of them.
ACTIVE_STATUSES = frozenset({"running", "starting", "queued"})

T = TypeVar("T")


def _kept(read: Callable[[], T]) -> T | DamagedFileError:
    """The reader's result, or the damage it found: both are worth caching."""
    try:
        return read()
    except DamagedFileError as exc:
        return exc


def _raised(value: T | DamagedFileError) -> T:
    if isinstance(value, DamagedFileError):
        raise value
    return value


# --- cached readers (private: always call them with a fresh fingerprint) -------------------


@st.cache_data(max_entries=16, show_spinner=False)
def _index(fp: Fingerprint, runs_dir: str) -> list[IndexEntry] | DamagedFileError | None:
    return _kept(lambda: catalog.index_entries(Path(runs_dir)))


@st.cache_data(max_entries=16, show_spinner=False)
def _folders(fp: tuple, runs_dir: str) -> list[IndexEntry]:
    return catalog.folder_entries(Path(runs_dir))


@st.cache_data(max_entries=64, show_spinner=False)
def _state(fp: Fingerprint, runs_dir: str, run_id: str) -> BatchRun | DamagedFileError | None:
    return _kept(lambda: catalog.run_state(Path(runs_dir), run_id))


@st.cache_data(max_entries=32, show_spinner=False)
def _events(fp: Fingerprint, runs_dir: str, run_id: str) -> list[TimelineEvent] | DamagedFileError:
    return _kept(lambda: catalog.run_events(Path(runs_dir), run_id))


@st.cache_data(max_entries=256, show_spinner=False)
def _reviews(fp: Fingerprint, runs_dir: str, run_id: str) -> list[ReviewDecision] | DamagedFileError:
    return _kept(lambda: catalog.run_reviews(Path(runs_dir), run_id))


@st.cache_data(max_entries=256, show_spinner=False)
def _bootstrap(fp: Fingerprint, runs_dir: str, run_id: str) -> Bootstrap | DamagedFileError | None:
    return _kept(lambda: catalog.run_bootstrap(Path(runs_dir), run_id))


@st.cache_data(max_entries=64, show_spinner=False)
def _ingest_report(fp: Fingerprint, runs_dir: str, run_id: str) -> IngestReport | DamagedFileError | None:
    return _kept(lambda: catalog.run_ingest_report(Path(runs_dir), run_id))


@st.cache_data(max_entries=64, show_spinner=False)
def _launch(fp: Fingerprint, runs_dir: str, run_id: str) -> LaunchRecord | DamagedFileError | None:
    return _kept(lambda: catalog.run_launch(Path(runs_dir), run_id))


@st.cache_data(max_entries=8, show_spinner=False)
def _ledger(fp: Fingerprint, runs_dir: str, data_source: str) -> Ledger:
    return read_ledger(Path(runs_dir), data_source)


@st.cache_data(max_entries=8, show_spinner=False)
def _policy(fp: Fingerprint, path: str) -> Policy:
    return load_policy(Path(path))


@st.cache_data(max_entries=8, show_spinner=False)
def _services(fp: Fingerprint, path: str) -> ServiceCatalog:
    return load_services(Path(path))


def _files(runs_dir: Path, run_id: str) -> RunFiles:
    return RunFiles.of(RunPaths.of(runs_dir, run_id))


# --- public loaders --------------------------------------------------------------------------


def listing(runs_dir: Path) -> catalog.RunListing:
    """Every run, newest first: the index's list, or the run folders' when the index is
    missing or damaged (`damage` then says why)."""
    listed = _index(catalog.index_fingerprint(runs_dir), str(runs_dir))
    if isinstance(listed, list):
        return catalog.RunListing(listed)
    folders = _folders(catalog.folders_fingerprint(runs_dir), str(runs_dir))
    return catalog.RunListing(folders, damage=str(listed) if listed is not None else None)


def entries(runs_dir: Path) -> list[IndexEntry]:
    """Every run, newest first (see `listing`)."""
    return listing(runs_dir).entries


def index_damage(runs_dir: Path) -> str | None:
    """Why the run index cannot be used, when it cannot."""
    return listing(runs_dir).damage


def state(runs_dir: Path, run_id: str) -> BatchRun | None:
    """DamagedFileError, like the other run readers, when the file is damaged."""
    return _raised(_state(_files(runs_dir, run_id).state, str(runs_dir), run_id))


def events(runs_dir: Path, run_id: str) -> list[TimelineEvent]:
    return _raised(_events(_files(runs_dir, run_id).events, str(runs_dir), run_id))


def reviews(runs_dir: Path, run_id: str) -> list[ReviewDecision]:
    return _raised(_reviews(_files(runs_dir, run_id).reviews, str(runs_dir), run_id))


def decisions(runs_dir: Path, run_id: str) -> dict[tuple[str, int], ReviewDecision]:
    """The review decision in force per (finding_id, attempt)."""
    return latest_decisions(reviews(runs_dir, run_id))


def bootstrap(runs_dir: Path, run_id: str) -> Bootstrap | None:
    return _raised(_bootstrap(_files(runs_dir, run_id).bootstrap, str(runs_dir), run_id))


def ingest_report(runs_dir: Path, run_id: str) -> IngestReport | None:
    paths = RunPaths.of(runs_dir, run_id)
    return _raised(_ingest_report(catalog.fingerprint(paths.ingest_report), str(runs_dir), run_id))


def launch_record(runs_dir: Path, run_id: str) -> LaunchRecord | None:
    paths = RunPaths.of(runs_dir, run_id)
    return _raised(_launch(catalog.fingerprint(paths.launch), str(runs_dir), run_id))


def liveness_check() -> LivenessCheck:
    """The launcher's liveness check (engine.launch.launchers): local processes, or the fleet's leases.
    Settings are read per call, like every page reads them; invalid ones fall back to local."""
    try:
        return launcher_for(load_settings()).liveness
    except (ValidationError, BadInputError):
        return engine_liveness


def shown_status(runs_dir: Path, entry: IndexEntry, liveness: LivenessCheck | None = None) -> str:
    """What a person should read as the run's status ("crashed", "starting", "queued",
    "damaged"...)."""
    if quick_problem(RunPaths.of(runs_dir, entry.run_id).state) is not None:
        return catalog.DAMAGED
    if not catalog.needs_liveness_check(entry):
        return entry.status.value
    try:
        return catalog.shown_status(
            entry,
            state(runs_dir, entry.run_id),
            bootstrap(runs_dir, entry.run_id),
            liveness or liveness_check(),
        )
    except DamagedFileError:
        return catalog.DAMAGED


def shown_statuses(runs_dir: Path, runs: list[IndexEntry], selected: RunView | None = None) -> dict[str, str]:
    """Each run's `shown_status`; the `selected` run's, read in full already, is the surest."""
    liveness = liveness_check()
    statuses = {e.run_id: shown_status(runs_dir, e, liveness) for e in runs}
    if selected is not None and selected.run_id in statuses:
        statuses[selected.run_id] = selected.status
    return statuses


@dataclass(frozen=True)
class RunView:
    """One run as a page sees it: its index entry, state (None before the engine wrote it),
    bootstrap record and the status to show."""

    entry: IndexEntry
    state: BatchRun | None
    bootstrap: Bootstrap | None
    status: str
    damage: str | None = None  # a file of the run is damaged: which, how, and what to do

    @property
    def run_id(self) -> str:
        return self.entry.run_id

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def run_view(runs_dir: Path, run_id: str) -> RunView | None:
    """None when the index has no such run."""
    entry = next((e for e in entries(runs_dir) if e.run_id == run_id), None)
    if entry is None:
        return None
    try:
        run = state(runs_dir, run_id)
        boot = bootstrap(runs_dir, run_id)
        catalog.check_run_logs(runs_dir, run_id)  # what the pages read next
    except DamagedFileError as exc:
        return RunView(entry=entry, state=None, bootstrap=None, status=catalog.DAMAGED, damage=str(exc))
    live = catalog.needs_liveness_check(entry)
    status = catalog.shown_status(entry, run, boot, liveness_check()) if live else entry.status.value
    return RunView(entry=entry, state=run, bootstrap=boot, status=status)


def reviews_by_run(
    runs_dir: Path, runs: list[IndexEntry]
) -> tuple[dict[str, list[ReviewDecision]], list[str]]:
    """Every run's review decisions, and what was damaged (those runs count no reviews)."""
    found: dict[str, list[ReviewDecision]] = {}
    damaged: list[str] = []
    for e in runs:
        try:
            found[e.run_id] = reviews(runs_dir, e.run_id)
        except DamagedFileError as exc:
            found[e.run_id] = []
            damaged.append(str(exc))
    return found, damaged


def states_of(runs_dir: Path, runs: list[IndexEntry]) -> tuple[list[BatchRun], list[str]]:
    """The runs' states (runs not started yet have none), and what was damaged (left out)."""
    found: list[BatchRun] = []
    damaged: list[str] = []
    for e in runs:
        try:
            run = state(runs_dir, e.run_id)
        except DamagedFileError as exc:
            damaged.append(str(exc))
            continue
        if run is not None:
            found.append(run)
    return found, damaged


# --- the findings ledger and the cross-run policy ----------------------------------------------


def ledger(runs_dir: Path, data_source: str) -> Ledger:
    """One data source's findings ledger (empty before anything was recorded). Raises
    BadInputError for an unusable data source name or ledger file."""
    path = ledger_path(runs_dir, data_source)
    return _ledger(catalog.fingerprint(path), str(runs_dir), data_source)


def merged_pull_requests(runs_dir: Path, data_source: str) -> frozenset[str]:
    """The pull requests the run's findings ledger records as merged (none when the ledger is
    unusable: the Ledger page says what is wrong with it)."""
    try:
        return outcomes.merged_pull_requests(ledger(runs_dir, data_source))
    except BadInputError:
        return frozenset()


def policy(settings: Settings) -> Policy:
    """The policy file's policy (the defaults when there is no file); BadInputError names the
    file and key of a problem."""
    path = Path(settings.policy_file).absolute()
    return _policy(catalog.fingerprint(path), str(path))


def services(settings: Settings) -> ServiceCatalog:
    """The services file's catalog (empty when there is no file); BadInputError as for `policy`."""
    path = Path(settings.services_file).absolute()
    return _services(catalog.fingerprint(path), str(path))


# --- an uploaded file, checked before launch ---------------------------------------------------


@dataclass(frozen=True)
class IngestPreview:
    """The engine's plan of an upload (engine.launch.planner.plan_run, the one a launch makes),
    or the engine's reason for refusing the file; nothing is recorded by a preview."""

    error: str | None
    report: IngestReport | None
    findings: pd.DataFrame  # the run's order, the score's parts as columns
    waves: list[Wave]
    ledger: bool = False  # planned against the ledger
    skipped: pd.DataFrame | None = None
    suppressed: pd.DataFrame | None = None
    ledger_counts: dict[str, int] | None = None  # what importing the upload would record
    ledger_already: bool = False  # this exact file is already recorded in the ledger
    held_back: list[HeldBackGroup] = field(default_factory=list)  # why, and what to do
    # A hybrid launch (live with CONNECTED_REPOS): planned findings that go to the Devin API.
    connected_findings: int | None = None


@dataclass(frozen=True)
class PreviewKey:
    """What a preview depends on besides the upload's bytes (`upload_id` stands for them): the
    plan's options, and the files the plan reads (fingerprints, so a change re-plans)."""

    upload_id: str
    wave_size: int
    max_acu_per_session: int
    limits: IngestLimits
    source: SourceDefaults
    use_ledger: bool
    data_source: str
    runs_dir: str
    services: Fingerprint
    policy: Fingerprint | None
    ledger: Fingerprint | None
    connected_repos: tuple[str, ...] = ()


def ingest_preview(
    upload_id: str,
    name: str,
    data: bytes,
    settings: Settings,
    *,
    use_ledger: bool,
    data_source: str,
    source: SourceDefaults,
) -> IngestPreview:
    """The plan a launch with these settings would make now (`settings` carries the form's run
    settings). Cached per upload and options; the ttl re-plans a ledger preview whose
    cooldowns or budget window moved on with time."""
    key = PreviewKey(
        upload_id=upload_id,
        wave_size=settings.wave_size,
        max_acu_per_session=settings.max_acu_per_session,
        limits=IngestLimits.from_settings(settings),
        source=source,
        use_ledger=use_ledger,
        data_source=data_source,
        runs_dir=str(settings.runs_dir),
        services=catalog.fingerprint(Path(settings.services_file)),
        policy=catalog.fingerprint(Path(settings.policy_file)) if use_ledger else None,
        ledger=catalog.fingerprint(ledger_path(settings.runs_dir, data_source)) if use_ledger else None,
        connected_repos=tuple(settings.connected_repos) if data_source == "live" else (),
    )
    return _preview(key, name, data, settings)


@st.cache_data(max_entries=8, show_spinner="Checking the file…", ttl=300)
def _preview(key: PreviewKey, name: str, _data: bytes, _settings: Settings) -> IngestPreview:
    try:
        options = plan_options(
            _settings,
            use_ledger=key.use_ledger,
            data_source=key.data_source,
            source=key.source,  # type: ignore[arg-type]
        )
        plan = plan_run(_data, name, options)
    except BadInputError as exc:
        return IngestPreview(error=str(exc), report=None, findings=pd.DataFrame(), waves=[])
    summary = plan.ledger.summary if plan.ledger else None
    return IngestPreview(
        error=None,
        report=plan.report,
        findings=preview_table(plan.findings),
        waves=plan.waves,
        ledger=key.use_ledger,
        skipped=skipped_table(plan.skipped, plan.result.findings) if key.use_ledger else None,
        suppressed=suppressed_table(plan.report.suppressed_findings),
        ledger_counts=summary.counts if summary else None,
        ledger_already=summary.already_imported if summary else False,
        held_back=held_back_groups((str(x.reason) for x in plan.skipped), key.data_source),
        connected_findings=connected_count(plan.findings, list(key.connected_repos))
        if key.connected_repos
        else None,
    )
