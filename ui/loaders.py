"""Every read of the runs folder, cached on the files' fingerprints.

Each public loader stats the files it needs (`engine.catalog.fingerprint`: path, mtime_ns,
size) and calls a `st.cache_data` function keyed on those fingerprints. An unchanged file is
never read twice and a changed one is read on the very next call, so pages are fast and never
stale. Liveness (is a running run's engine still alive?) depends on time and processes, not on
files, so it is checked on every call, and only for runs whose index status can be out of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from engine import catalog
from engine.analytics.preview import (
    ledger_preview_table,
    preview_table,
    skipped_table,
    suppressed_table,
)
from engine.catalog import Fingerprint, RunFiles
from engine.errors import BadInputError
from engine.ingest import IngestLimits, IngestReport, ingest_bytes
from engine.launchers import launcher_for
from engine.ledger import Ledger, ledger_path, read_ledger
from engine.models import BatchRun, TimelineEvent, Wave
from engine.planning import plan_waves
from engine.policy import Policy, ServiceCatalog, load_policy, load_services
from engine.prioritize import ServiceWeights
from engine.reviews import ReviewDecision, latest_decisions
from engine.runs.detach import Bootstrap
from engine.runs.index import IndexEntry
from engine.runs.launch import LaunchRecord
from engine.runs.ledger_plan import LedgerSetup, preview_plan
from engine.runs.liveness import LivenessCheck, engine_liveness
from engine.runs.paths import RunPaths
from engine.settings import Settings, load_settings
from engine.sources import SourceDefaults

# Statuses during which a run changes by itself: pages refresh while a run shows one of them.
ACTIVE_STATUSES = frozenset({"running", "starting", "queued"})


# --- cached readers (private: always call them with a fresh fingerprint) -------------------


@st.cache_data(max_entries=16, show_spinner=False)
def _index(fp: Fingerprint, runs_dir: str) -> list[IndexEntry]:
    return catalog.run_entries(Path(runs_dir))


@st.cache_data(max_entries=64, show_spinner=False)
def _state(fp: Fingerprint, runs_dir: str, run_id: str) -> BatchRun | None:
    return catalog.run_state(Path(runs_dir), run_id)


@st.cache_data(max_entries=32, show_spinner=False)
def _events(fp: Fingerprint, runs_dir: str, run_id: str) -> list[TimelineEvent]:
    return catalog.run_events(Path(runs_dir), run_id)


@st.cache_data(max_entries=256, show_spinner=False)
def _reviews(fp: Fingerprint, runs_dir: str, run_id: str) -> list[ReviewDecision]:
    return catalog.run_reviews(Path(runs_dir), run_id)


@st.cache_data(max_entries=256, show_spinner=False)
def _bootstrap(fp: Fingerprint, runs_dir: str, run_id: str) -> Bootstrap | None:
    return catalog.run_bootstrap(Path(runs_dir), run_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _ingest_report(fp: Fingerprint, runs_dir: str, run_id: str) -> IngestReport | None:
    return catalog.run_ingest_report(Path(runs_dir), run_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _launch(fp: Fingerprint, runs_dir: str, run_id: str) -> LaunchRecord | None:
    return catalog.run_launch(Path(runs_dir), run_id)


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


def entries(runs_dir: Path) -> list[IndexEntry]:
    """Every run in the index, newest first."""
    return _index(catalog.index_fingerprint(runs_dir), str(runs_dir))


def state(runs_dir: Path, run_id: str) -> BatchRun | None:
    return _state(_files(runs_dir, run_id).state, str(runs_dir), run_id)


def events(runs_dir: Path, run_id: str) -> list[TimelineEvent]:
    return _events(_files(runs_dir, run_id).events, str(runs_dir), run_id)


def reviews(runs_dir: Path, run_id: str) -> list[ReviewDecision]:
    return _reviews(_files(runs_dir, run_id).reviews, str(runs_dir), run_id)


def decisions(runs_dir: Path, run_id: str) -> dict[tuple[str, int], ReviewDecision]:
    """The review decision in force per (finding_id, attempt)."""
    return latest_decisions(reviews(runs_dir, run_id))


def bootstrap(runs_dir: Path, run_id: str) -> Bootstrap | None:
    return _bootstrap(_files(runs_dir, run_id).bootstrap, str(runs_dir), run_id)


def ingest_report(runs_dir: Path, run_id: str) -> IngestReport | None:
    paths = RunPaths.of(runs_dir, run_id)
    return _ingest_report(catalog.fingerprint(paths.ingest_report), str(runs_dir), run_id)


def launch_record(runs_dir: Path, run_id: str) -> LaunchRecord | None:
    paths = RunPaths.of(runs_dir, run_id)
    return _launch(catalog.fingerprint(paths.launch), str(runs_dir), run_id)


def liveness_check() -> LivenessCheck:
    """The launcher's liveness check (engine.launchers): local processes, or the fleet's leases.
    Settings are read per call, like every page reads them; invalid ones fall back to local."""
    try:
        return launcher_for(load_settings()).liveness
    except (ValidationError, BadInputError):
        return engine_liveness


def shown_status(runs_dir: Path, entry: IndexEntry, liveness: LivenessCheck | None = None) -> str:
    """What a person should read as the run's status ("crashed", "starting", "queued", ...)."""
    if not catalog.needs_liveness_check(entry):
        return entry.status.value
    return catalog.shown_status(
        entry,
        state(runs_dir, entry.run_id),
        bootstrap(runs_dir, entry.run_id),
        liveness or liveness_check(),
    )


def shown_statuses(runs_dir: Path, runs: list[IndexEntry]) -> dict[str, str]:
    liveness = liveness_check()
    return {e.run_id: shown_status(runs_dir, e, liveness) for e in runs}


@dataclass(frozen=True)
class RunView:
    """One run as a page sees it: its index entry, state (None before the engine wrote it),
    bootstrap record and the status to show."""

    entry: IndexEntry
    state: BatchRun | None
    bootstrap: Bootstrap | None
    status: str

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
    run = state(runs_dir, run_id)
    boot = bootstrap(runs_dir, run_id)
    live = catalog.needs_liveness_check(entry)
    status = catalog.shown_status(entry, run, boot, liveness_check()) if live else entry.status.value
    return RunView(entry=entry, state=run, bootstrap=boot, status=status)


def reviews_by_run(runs_dir: Path, runs: list[IndexEntry]) -> dict[str, list[ReviewDecision]]:
    return {e.run_id: reviews(runs_dir, e.run_id) for e in runs}


# --- the findings ledger and the cross-run policy ----------------------------------------------


def ledger(runs_dir: Path, data_source: str) -> Ledger:
    """One data source's findings ledger (empty before anything was recorded). Raises
    BadInputError for an unusable data source name or ledger file."""
    path = ledger_path(runs_dir, data_source)
    return _ledger(catalog.fingerprint(path), str(runs_dir), data_source)


def policy(settings: Settings) -> Policy:
    """The policy file's policy (the defaults when there is no file); BadInputError names the
    file and key of a problem."""
    path = Path(settings.policy_file).absolute()
    return _policy(catalog.fingerprint(path), str(path))


def services(settings: Settings) -> ServiceCatalog:
    """The services file's catalog (empty when there is no file); BadInputError as for `policy`."""
    path = Path(settings.services_file).absolute()
    return _services(catalog.fingerprint(path), str(path))


def policy_and_services(settings: Settings) -> tuple[Policy, ServiceCatalog]:
    """What engine.control.ledger_setup reads, cached on both files' fingerprints."""
    return policy(settings), services(settings)


# --- an uploaded file, checked before launch ---------------------------------------------------


@dataclass(frozen=True)
class IngestPreview:
    """The engine's ingest of an upload, or the engine's reason for refusing the file; with the
    ledger, also what the plan would skip and why (nothing is recorded by a preview)."""

    error: str | None
    report: IngestReport | None
    findings: pd.DataFrame  # the run's order, the score's parts as columns
    waves: list[Wave]
    ledger: bool = False  # planned against the ledger
    skipped: pd.DataFrame | None = None
    suppressed: pd.DataFrame | None = None
    ledger_counts: dict[str, int] | None = None  # what importing the upload would record
    ledger_already: bool = False  # this exact file is already recorded in the ledger


@dataclass(frozen=True)
class LedgerPreviewKey:
    """What a ledger-planned preview depends on besides the upload: the ledger, the policy and
    services files (fingerprints, so a change re-plans), and the run's data source."""

    runs_dir: str
    data_source: str
    policy_file: str
    services_file: str
    ledger: Fingerprint
    policy: Fingerprint
    services: Fingerprint
    max_acu_per_session: int


def ledger_preview_key(settings: Settings, data_source: str) -> LedgerPreviewKey:
    return LedgerPreviewKey(
        runs_dir=str(settings.runs_dir),
        data_source=data_source,
        policy_file=str(settings.policy_file),
        services_file=str(settings.services_file),
        ledger=catalog.fingerprint(ledger_path(settings.runs_dir, data_source)),
        policy=catalog.fingerprint(Path(settings.policy_file)),
        services=catalog.fingerprint(Path(settings.services_file)),
        max_acu_per_session=settings.max_acu_per_session,
    )


@st.cache_data(max_entries=8, show_spinner="Checking the file…", ttl=300)
def ingest_preview(
    file_id: str,
    name: str,
    _data: bytes,
    weights: tuple[tuple[str, int], ...],
    default_weight: int,
    wave_size: int,
    limits: IngestLimits | None = None,
    source: SourceDefaults | None = None,
    ledger_key: LedgerPreviewKey | None = None,
) -> IngestPreview:
    """`file_id` (unique per upload) stands for the bytes in the cache key; `limits` (frozen,
    so hashable) is part of it, so a changed limit re-checks the file. The ttl re-plans a
    ledger preview whose cooldowns or budget window moved on with time."""
    try:
        services = ServiceWeights(dict(weights), default_weight)
        result = ingest_bytes(_data, name, services, limits=limits, defaults=source)
        findings = result.findings
        suppressed = suppressed_table(result.report.suppressed_findings)
        if ledger_key is None:
            waves = plan_waves(findings, wave_size) if findings else []
            return IngestPreview(
                error=None,
                report=result.report,
                findings=preview_table(findings),
                waves=waves,
                suppressed=suppressed,
            )
        setup = LedgerSetup(
            policy=load_policy(Path(ledger_key.policy_file)),
            services=load_services(Path(ledger_key.services_file)),
        )
        planned = preview_plan(
            result,
            _data,
            data_source=ledger_key.data_source,
            runs_dir=Path(ledger_key.runs_dir),
            setup=setup,
            max_acu_per_session=ledger_key.max_acu_per_session,
        )
    except BadInputError as exc:
        return IngestPreview(error=str(exc), report=None, findings=pd.DataFrame(), waves=[])
    selected = [p.finding for p in planned.plan.selected]
    return IngestPreview(
        error=None,
        report=result.report,
        findings=ledger_preview_table(selected),
        waves=plan_waves(selected, wave_size) if selected else [],
        ledger=True,
        skipped=skipped_table(planned.plan.skipped, findings),
        suppressed=suppressed,
        ledger_counts=planned.summary.counts,
        ledger_already=planned.summary.already_imported,
    )


def weights_key(weights: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(weights.items()))
