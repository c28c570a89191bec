"""The local launcher (the default): each run's engine is a background process of this machine,
exactly as `run --detach` has always started it."""

from __future__ import annotations

from engine.core.errors import BadInputError
from engine.core.models import BatchRun
from engine.launch import run_process
from engine.runs.detach import Bootstrap, read_bootstrap, spawn_engine
from engine.runs.liveness import Liveness, engine_liveness
from engine.runs.paths import RunPaths
from engine.settings.environment import Settings


class LocalLauncher:
    kind = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def start(self, paths: RunPaths) -> Bootstrap:
        return spawn_engine(paths, self.settings.runs_dir, self.settings.api_key)

    def check_resumable(self, paths: RunPaths) -> None:
        boot = read_bootstrap(paths)
        if boot is not None and boot.status == "queued":
            # Only the fleet can tell whether its job still waits; starting a second engine
            # here could run the run twice.
            raise BadInputError(
                f"run {paths.run_id} is queued for the worker fleet; manage it with RUN_QUEUE_URL set"
            )
        run_process.check_resumable(paths, self.liveness)

    def stop(self, run_id: str) -> run_process.StopResult:
        return run_process.stop_run(self.settings, run_id)

    def liveness(self, run: BatchRun | None, bootstrap: Bootstrap | None = None) -> Liveness:
        return engine_liveness(run, bootstrap)
