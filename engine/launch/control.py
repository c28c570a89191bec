"""Starting, stopping and resuming runs: one implementation for the CLI and the app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Literal

from filelock import FileLock, Timeout

from engine.core.errors import BadInputError
from engine.core.models import RunConfig, RunLedgerConfig
from engine.core.sources import SourceDefaults
from engine.devin.preflight import PreflightProblem, require_connection, target_of
from engine.launch.launchers import Launcher, launcher_for
from engine.launch.ledger_plan import ledger_config
from engine.launch.planner import PlanOptions, plan_options
from engine.launch.prepare import prepare_run
from engine.launch.run_process import StopResult
from engine.policy import load_policy, load_services
from engine.policy.service_agent import agent_overrides_of
from engine.runs.detach import Bootstrap, read_bootstrap
from engine.runs.launch_record import read_launch
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present
from engine.settings.environment import Settings
from engine.settings.run_settings import RunSettings, app_default
from engine.storage.links import refuse_links

# The checkout's sample_data/ beside the engine package, wherever this module sits inside it.
SAMPLE_FILE = Path(str(files("engine"))).resolve().parent / "sample_data" / "findings.csv"
DEMO_SPEED = float(app_default("speed"))  # the app's simulated launches start at this speed too
# A resume waits this long for another one of the same run to have started its engine (that
# takes at most a few seconds: engine.runs.detach.SPAWN_CHECK_SECONDS, plus a live preflight).
RESUME_LOCK_SECONDS = 30
DEMO_SEED = 7  # fixed: a demo recording looks the same every time
# The demo's story is fixed too, whatever the settings say: a quarter of first attempts fail
# (two findings for good, others fixed by a retry, a few stopped at the 5-ACU limit), and it
# never pauses unless asked to, when wave 2 (8 of 10 fixed) stops at a 90 % gate. A tenth of
# the sessions stall and are nudged, and every retry is told why its predecessor failed.
DEMO_STORY: dict[str, float | int] = {  # run settings (engine/settings/run_settings.py)
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
    """The run's configuration: the run settings in effect (engine/settings/run_settings.py), frozen,
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
        connected_repos=list(settings.connected_repos) if live else [],
        only_wave=only_wave,
        agent_overrides=agent_overrides_of(load_services(settings.services_file)),
        acu_caps=load_policy(settings.policy_file).acu_caps if acu_caps else [],
        # A hybrid run's simulated sessions link to the saved pages too.
        sim_pull_pages_url=settings.sim_pull_pages_url if not live or settings.connected_repos else None,
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


@contextmanager
def resuming(paths: RunPaths) -> Iterator[None]:
    """Held from a resume's checks until its engine has started (or been queued), so two resumes
    at once (two analysts, the app and the CLI) start one engine: the second one's check then
    sees the first's engine running and refuses."""
    refuse_links(paths.root)  # the lock file is opened next
    try:
        with FileLock(str(paths.resume_lock), timeout=RESUME_LOCK_SECONDS):
            yield
    except Timeout as exc:
        raise BadInputError(
            f"run {paths.run_id} is being resumed by someone else right now; try again shortly"
        ) from exc


def resume_detached(settings: Settings, run_id: str) -> Bootstrap:
    """Live runs are resumed only once the API answers (PreflightError lists what stands)."""
    paths = RunPaths.existing(settings.runs_dir, run_id)
    launcher = _launcher(settings)
    with resuming(paths):
        check_resume(settings, paths, launcher)
        return launcher.start(paths)


def stop(settings: Settings, run_id: str) -> StopResult:
    """Stops the run's engine through its launcher: a signal here, or a flag the fleet acts on."""
    return _launcher(settings).stop(run_id)
