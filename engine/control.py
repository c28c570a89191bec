"""Starting, stopping and resuming runs: one implementation for the CLI and the app."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import psutil

from engine.errors import BadInputError
from engine.ingest import IngestLimits
from engine.models import RESUMABLE_RUN_STATUSES, RunConfig, RunLedgerConfig, RunStatus
from engine.policy import load_policy, load_services
from engine.prioritize import ServiceWeights
from engine.runs.detach import Bootstrap, read_bootstrap
from engine.runs.launch import prepare_run
from engine.runs.ledger_plan import LedgerSetup, ledger_config
from engine.runs.liveness import Liveness, LivenessCheck, display_status, engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present
from engine.settings import Settings
from engine.sources import SourceDefaults

if TYPE_CHECKING:
    from engine.launchers import Launcher

STOP_WAIT_SECONDS = 6.0
SAMPLE_FILE = Path(__file__).resolve().parent.parent / "sample_data" / "findings.csv"
DEMO_SPEED = 50.0
DEMO_SEED = 7  # fixed: a demo recording looks the same every time


def services_of(settings: Settings) -> ServiceWeights:
    return ServiceWeights(settings.service_weights, settings.default_service_weight)


def build_config(
    settings: Settings,
    *,
    seed: int,
    speed: float,
    only_wave: int | None,
    dry_run: bool = False,
    live: bool | None = None,
    ledger: RunLedgerConfig | None = None,
) -> RunConfig:
    """The run's configuration from settings. `live=None` means live exactly when a key is set;
    `live=False` forces the simulator even with a key. `ledger`: the run plans against the
    findings ledger and keeps its limits (see `ledger_setup`)."""
    if live is None:
        live = settings.api_key is not None
    if live and settings.api_key is None:
        raise BadInputError("live mode needs DEVIN_API_KEY; without it runs use the simulated API")
    return RunConfig(
        data_source="live" if live else "simulated",
        api_base_url=settings.devin_api_base_url if live else None,
        speed=speed,
        seed=seed,
        wave_size=settings.wave_size,
        only_wave=only_wave,
        max_parallel_sessions=settings.max_parallel_sessions,
        max_acu_per_session=settings.max_acu_per_session,
        poll_interval_seconds=settings.poll_interval_seconds,
        session_timeout_minutes=settings.session_timeout_minutes,
        min_success_rate=settings.min_success_rate,
        max_retries=settings.max_retries,
        sim_failure_rate=settings.sim_failure_rate,
        sim_fault_rate=settings.sim_fault_rate,
        breaker_failure_threshold=settings.breaker_failure_threshold,
        breaker_cooldown_seconds=settings.breaker_cooldown_seconds,
        dry_run=dry_run,
        ledger=ledger,
    )


def ledger_setup(settings: Settings) -> LedgerSetup:
    """The cross-run policy and services, read from their files (errors name the file)."""
    return LedgerSetup(
        policy=load_policy(settings.policy_file), services=load_services(settings.services_file)
    )


@dataclass(frozen=True)
class LaunchOptions:
    mode: Literal["simulated", "live"] = "simulated"
    speed: float = 1.0
    seed: int = 0
    use_ledger: bool = True  # plan against the findings ledger; demos do not, to replay the same
    source: SourceDefaults = field(default_factory=SourceDefaults)


def launch_detached(
    data: bytes, source_name: str, settings: Settings, options: LaunchOptions, run_id: str
) -> Bootstrap:
    """Prepares the run folder and starts its engine in the background.

    Launching is idempotent per run id: the folder is created exclusively, so a rerun, a
    double click or a second tab repeating the same launch finds the run instead of starting
    it again."""
    paths = RunPaths.of(settings.runs_dir, run_id)
    if paths.root.exists():
        existing = read_bootstrap(paths)
        if existing is not None:
            return existing
        raise BadInputError(f"run {run_id} already exists")
    setup = ledger_setup(settings) if options.use_ledger else None
    config = build_config(
        settings,
        seed=options.seed,
        speed=options.speed,
        only_wave=None,
        live=options.mode == "live",
        ledger=ledger_config(setup.policy) if setup else None,
    )
    try:
        paths, _ = prepare_run(
            data,
            source_name,
            config,
            services_of(settings),
            settings.service_weights,
            settings.runs_dir,
            run_id,
            IngestLimits.from_settings(settings),
            options.source,
            setup,
        )
    except BadInputError:
        # A concurrent launch of the same id won the race: report what it started.
        if paths.root.exists() and (existing := read_bootstrap(paths)) is not None:
            return existing
        raise
    return _launcher(settings).start(paths)


def _launcher(settings: Settings) -> Launcher:
    from engine.launchers import launcher_for  # the launchers build on this module

    return launcher_for(settings)


def launch_demo(settings: Settings, run_id: str) -> Bootstrap:
    """The sample findings, simulated, at demo speed with a fixed seed."""
    options = LaunchOptions(mode="simulated", speed=DEMO_SPEED, seed=DEMO_SEED, use_ledger=False)
    return launch_detached(SAMPLE_FILE.read_bytes(), SAMPLE_FILE.name, settings, options, run_id)


def _where(liveness: Liveness, pid: int | None) -> str:
    if liveness.process is not None:
        return f"pid {liveness.process.pid}"
    if liveness.worker is not None:
        return f"worker {liveness.worker} on host {liveness.host}"
    return f"on host {liveness.host}, pid {pid}"


def check_resumable(paths: RunPaths, liveness: LivenessCheck = engine_liveness) -> None:
    """Refuses a run whose engine is alive (as `status` sees it: the launcher's liveness
    check) or that has nothing left to do."""
    run = load_state_if_present(paths.state)
    if run is None:
        boot = read_bootstrap(paths)
        live = liveness(None, boot)
        if live.alive and boot is not None:
            raise BadInputError(
                f"run {paths.run_id} is starting ({_where(live, boot.pid)}); nothing to resume"
            )
        return
    if run.status == RunStatus.running and (live := liveness(run, None)).alive:
        raise BadInputError(f"run {paths.run_id} is running ({_where(live, run.pid)}); nothing to resume")
    if run.status not in RESUMABLE_RUN_STATUSES and run.status != RunStatus.running:
        raise BadInputError(f"run {paths.run_id} is {run.status.value}; nothing to resume")


def resume_detached(settings: Settings, run_id: str) -> Bootstrap:
    paths = RunPaths.existing(settings.runs_dir, run_id)
    launcher = _launcher(settings)
    launcher.check_resumable(paths)
    return launcher.start(paths)


def stop(settings: Settings, run_id: str) -> StopResult:
    """Stops the run's engine through its launcher: a signal here, or a flag the fleet acts on."""
    return _launcher(settings).stop(run_id)


def _wait_gone(process: psutil.Process, timeout: float) -> bool:
    """True once the process has exited (a zombie awaiting its parent counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


@dataclass(frozen=True)
class StopResult:
    stopped: bool
    message: str


def stop_run(settings: Settings, run_id: str) -> StopResult:
    """The local launcher's stop: signals the run's engine, after making sure the pid really is
    that engine, and waits for it to record `interrupted`. Remote sessions keep running;
    resume picks them up."""
    paths = RunPaths.existing(settings.runs_dir, run_id)
    run = load_state_if_present(paths.state)
    live = engine_liveness(run, read_bootstrap(paths) if run is None else None)
    process = live.process
    if process is None:
        if live.alive:  # on another host: only a signal there can stop it
            raise BadInputError(f"run {run_id}'s engine runs on host {live.host}; stop it there")
        shown = display_status(run, live) if run else "not started"
        return StopResult(False, f"run {run_id} has no live engine ({shown}); nothing to stop")
    process.send_signal(signal.SIGTERM)
    if not _wait_gone(process, STOP_WAIT_SECONDS):
        raise RuntimeError(
            f"run {run_id}: engine pid {process.pid} did not exit within {STOP_WAIT_SECONDS:g} s"
        )
    final = load_state_if_present(paths.state)
    shown = final.status.value if final else "before its first state"
    return StopResult(
        True,
        f"run {run_id} stopped ({shown}); remote sessions keep running, "
        f"`python -m engine resume {run_id}` continues it",
    )
