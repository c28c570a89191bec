"""Starting, stopping and resuming runs: one implementation for the CLI and the app."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import psutil

from engine.devin.preflight import PreflightProblem, require_connection, target_of
from engine.errors import BadInputError
from engine.models import RESUMABLE_RUN_STATUSES, RunConfig, RunLedgerConfig, RunStatus
from engine.policy import load_policy, load_services
from engine.policy.service_agent import agent_overrides_of
from engine.reviews import reviews_path
from engine.run_settings import RunSettings, app_default
from engine.runs.damage import check_file_kind
from engine.runs.detach import Bootstrap, read_bootstrap
from engine.runs.findings_file import check_planned_files
from engine.runs.index import read_index
from engine.runs.launch import prepare_run
from engine.runs.launch_record import read_launch
from engine.runs.ledger_plan import ledger_config
from engine.runs.liveness import Liveness, LivenessCheck, display_status, engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.planner import PlanOptions, plan_options
from engine.runs.state_store import load_state_if_present
from engine.settings import Settings
from engine.sources import SourceDefaults

if TYPE_CHECKING:
    from engine.launchers import Launcher

STOP_WAIT_SECONDS = 6.0
SAMPLE_FILE = Path(__file__).resolve().parent.parent / "sample_data" / "findings.csv"
DEMO_SPEED = float(app_default("speed"))  # the app's simulated launches start at this speed too
DEMO_SEED = 7  # fixed: a demo recording looks the same every time
# The demo's story is fixed too, whatever the settings say: a quarter of first attempts fail
# (two findings for good, others fixed by a retry, a few stopped at the 5-ACU limit), and it
# never pauses unless asked to, when wave 2 (8 of 10 fixed) stops at a 90 % gate. A tenth of
# the sessions stall and are nudged, and every retry is told why its predecessor failed.
DEMO_STORY: dict[str, float | int] = {  # run settings (engine/run_settings.py)
    "sim_failure_rate": 0.25,
    "sim_fault_rate": 0.0,
    "sim_stall_rate": 0.1,
    "stall_minutes": 15,
    "max_acu_per_session": 5,
    "max_retries": 2,
    "wave_size": 10,
    "min_success_rate": 0.0,
}
DEMO_GATE_SUCCESS_RATE = 0.9


def build_config(
    settings: Settings,
    *,
    only_wave: int | None = None,
    dry_run: bool = False,
    live: bool | None = None,
    ledger: RunLedgerConfig | None = None,
    acu_caps: bool = True,
) -> RunConfig:
    """The run's configuration: the run settings in effect (engine/run_settings.py), frozen,
    plus how this run is started. `live=None` means live exactly when a key is set;
    `live=False` forces the simulator even with a key. `ledger`: the run plans against the
    findings ledger and keeps its limits (see `launch_plan_options`). `acu_caps`: copy the
    policy file's ACU cap table (errors name the file); without it every session gets
    max_acu_per_session."""
    if live is None:
        live = settings.api_key is not None
    if live and settings.api_key is None:
        raise BadInputError("live mode needs DEVIN_API_KEY; without it runs use the simulated API")
    return RunConfig(
        **settings.run_settings().model_dump(),
        data_source="live" if live else "simulated",
        api_base_url=settings.devin_api_base_url if live else None,
        only_wave=only_wave,
        agent_overrides=agent_overrides_of(load_services(settings.services_file)),
        acu_caps=load_policy(settings.policy_file).acu_caps if acu_caps else [],
        sim_pull_pages_url=None if live else settings.sim_pull_pages_url,
        dry_run=dry_run,
        ledger=ledger,
        stall_minutes_by_category=dict(settings.stall_minutes_by_category),
    )


def launch_plan_options(
    settings: Settings,
    *,
    use_ledger: bool,
    live: bool | None = None,
    only_wave: int | None = None,
    dry_run: bool = False,
    source: SourceDefaults | None = None,
    acu_caps: bool = True,
) -> tuple[RunConfig, PlanOptions]:
    """What a launch freezes (the run's config) and what it plans with, from the settings in
    effect: the services file always, the policy file's ACU caps (unless `acu_caps` is False)
    and, when the run uses the ledger, the rest of the policy (errors name the file)."""
    config = build_config(settings, only_wave=only_wave, dry_run=dry_run, live=live, acu_caps=acu_caps)
    options = plan_options(
        settings, use_ledger=use_ledger, data_source=config.data_source, only_wave=only_wave, source=source
    )
    if options.policy is not None:
        config = config.model_copy(update={"ledger": ledger_config(options.policy, config.data_source)})
    return config, options


@dataclass(frozen=True)
class LaunchOptions:
    """How to launch, apart from the run settings (those come with `settings`)."""

    mode: Literal["simulated", "live"] = "simulated"
    use_ledger: bool = True  # plan against the findings ledger; demos do not, to replay the same
    acu_caps: bool = True  # cap sessions by the policy's ACU cap table; demos keep their own story
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
    config, plan = launch_plan_options(
        settings,
        use_ledger=options.use_ledger,
        live=options.mode == "live",
        source=options.source,
        acu_caps=options.acu_caps,
    )
    try:
        paths, _ = prepare_run(data, source_name, config, plan, settings.runs_dir, run_id)
    except BadInputError:
        # A concurrent launch of the same id won the race: report what it started.
        if paths.root.exists() and (existing := read_bootstrap(paths)) is not None:
            return existing
        raise
    return _launcher(settings).start(paths)


def _launcher(settings: Settings) -> Launcher:
    from engine.launchers import launcher_for  # the launchers build on this module

    return launcher_for(settings)


def demo_settings(settings: Settings, *, pause_at_gate: bool = False, speed: float = DEMO_SPEED) -> Settings:
    """The settings a demo runs with: the ones in effect, with the demo's seed, speed and story
    (DEMO_STORY); `pause_at_gate` raises the wave gate so the run pauses after wave 2 until
    resumed."""
    story = {**DEMO_STORY, "speed": speed, "seed": DEMO_SEED}
    if pause_at_gate:
        story["min_success_rate"] = DEMO_GATE_SUCCESS_RATE
    checked = RunSettings.model_validate({**settings.run_settings().model_dump(), **story})
    return settings.model_copy(update={name: getattr(checked, name) for name in story})


# Replays the same: no ledger, and the story's one ACU cap whatever the policy file says.
DEMO_LAUNCH = LaunchOptions(mode="simulated", use_ledger=False, acu_caps=False)


def launch_demo(settings: Settings, run_id: str, *, pause_at_gate: bool = False) -> Bootstrap:
    """The demo run, in the background (see demo_settings)."""
    demo = demo_settings(settings, pause_at_gate=pause_at_gate)
    return launch_detached(SAMPLE_FILE.read_bytes(), SAMPLE_FILE.name, demo, DEMO_LAUNCH, run_id)


def _where(liveness: Liveness, pid: int | None) -> str:
    if liveness.process is not None:
        return f"pid {liveness.process.pid}"
    if liveness.worker is not None:
        return f"worker {liveness.worker} on host {liveness.host}"
    return f"on host {liveness.host}, pid {pid}"


def check_resumable(paths: RunPaths, liveness: LivenessCheck = engine_liveness) -> None:
    """Refuses, before anything is written, a run whose engine is alive (as `status` sees it:
    the launcher's liveness check) or that cannot continue. A damaged file would stop its
    engine part-way (a damaged index at the very first checkpoint), so each one the engine
    reads or appends to is checked first and named in the refusal."""
    check_run_files(paths)
    run = load_state_if_present(paths.state)
    if run is None:
        boot = read_bootstrap(paths)
        live = liveness(None, boot)
        if live.alive and boot is not None:
            raise BadInputError(
                f"run {paths.run_id} is starting ({_where(live, boot.pid)}); nothing to resume"
            )
        # The engine builds its first state from these.
        read_launch(paths)
        check_planned_files(paths)
        return
    if run.status == RunStatus.running and (live := liveness(run, None)).alive:
        raise BadInputError(f"run {paths.run_id} is running ({_where(live, run.pid)}); nothing to resume")
    if run.status not in RESUMABLE_RUN_STATUSES and run.status != RunStatus.running:
        raise BadInputError(f"run {paths.run_id} is {run.status.value}; nothing to resume")


def check_run_files(paths: RunPaths) -> None:
    """DamagedFileError for the first of the run's files that is not a regular file, or for a
    damaged run index."""
    for path in run_files(paths):
        check_file_kind(path)
    read_index(paths.root.parent)


def run_files(paths: RunPaths) -> list[Path]:
    """Every file of a run folder the engine or the app reads or writes."""
    return [
        paths.state,
        paths.events,
        paths.dispatch_journal,
        paths.simulator_journal,
        paths.simulator_stats,
        paths.findings,
        paths.earlier_input,
        paths.earlier_plan,
        paths.launch,
        paths.ingest_report,
        paths.bootstrap,
        paths.engine_log,
        reviews_path(paths),
    ]


def launched_config(paths: RunPaths) -> RunConfig | None:
    """The configuration the run was launched with (None: the folder holds no record of it)."""
    run = load_state_if_present(paths.state)
    if run is not None:
        return run.config
    if not paths.launch.exists():
        return None
    return read_launch(paths).config


def check_resume(
    settings: Settings, paths: RunPaths, launcher: Launcher | None = None
) -> list[PreflightProblem]:
    """What a resume checks before anything is written, the CLI's and the app's alike: the
    launcher's own check (its engine is not alive or queued, no file is damaged, something is
    left to do), then, for a live run, that the API answers (PreflightError lists what
    stands). The preflight runs where the resume is asked for, whichever launcher then starts
    the engine, as a launch's does. Returns the preflight's warnings."""
    (launcher or _launcher(settings)).check_resumable(paths)
    if (config := launched_config(paths)) is not None and config.data_source == "live":
        return require_connection(target_of(settings, config.api_base_url))
    return []


def resume_detached(settings: Settings, run_id: str) -> Bootstrap:
    """Live runs are resumed only once the API answers (PreflightError lists what stands)."""
    paths = RunPaths.existing(settings.runs_dir, run_id)
    launcher = _launcher(settings)
    check_resume(settings, paths, launcher)
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
