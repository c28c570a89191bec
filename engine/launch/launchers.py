"""Where a run's engine runs: the launcher interface.

Launching, resuming, stopping and asking whether a run's engine is alive all go through a
`Launcher`, in the app and the CLI alike, so neither asks which kind is in use:

- `LocalLauncher` (the default): the engine is a background process of this machine
  (engine/runs/detach.py), stopped by a signal to its process (`run_process.stop_run`), alive
  while that process is (engine/runs/liveness.py).
- `QueueLauncher` (setting `run_queue_url`, `RUN_QUEUE_URL=redis://…`): the run is queued for
  the worker fleet (engine/fleet/); a worker's job runs the same engine entry point; stop is a
  flag the job turns into SIGTERM; the engine is alive while its heartbeat is fresh and a
  worker holds the run's lease."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from engine.core.models import BatchRun
    from engine.launch.run_process import StopResult
    from engine.runs.detach import Bootstrap
    from engine.runs.liveness import Liveness
    from engine.runs.paths import RunPaths
    from engine.settings.environment import Settings


class Launcher(Protocol):
    kind: str  # "local" or "queue", for messages and the app

    def start(self, paths: RunPaths) -> Bootstrap:
        """Starts (or queues) the engine of a prepared run: a launch and a resume alike. The
        caller has checked that the run may start (`check_resumable`)."""
        ...

    def check_resumable(self, paths: RunPaths) -> None:
        """Raises BadInputError when the run's engine is alive or queued, a file it needs is
        damaged, or it has nothing to do. A live run's preflight follows, the same for every
        launcher (`control.check_resume`)."""
        ...

    def stop(self, run_id: str) -> StopResult:
        """Stops the run's engine wherever it runs and waits until the run shows it."""
        ...

    def liveness(self, run: BatchRun | None, bootstrap: Bootstrap | None = None) -> Liveness:
        """Whether the run's engine is alive: the one answer `status`, the app, `resume` and
        `stop` all use."""
        ...


def launcher_for(settings: Settings) -> Launcher:
    """The queue launcher when a queue URL is set, otherwise the local one."""
    url = settings.queue_url
    if url is None:
        from engine.launch.local_launcher import LocalLauncher

        return LocalLauncher(settings)
    from engine.launch.queue_launcher import QueueLauncher

    return QueueLauncher(settings, url)
