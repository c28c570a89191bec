"""`python -m engine metrics`: one endpoint with the metrics of every run in a runs folder.

It serves, for each live run (pending or running in the index, the same test `status` uses
before it looks at a run's state) and each paused one (waiting at a wave gate or for the API:
someone has to act, so an alert must be able to see it), the per-run series a running engine serves itself
(engine.metrics.series), labelled by run; plus, from the index alone, how many runs there are
in each status:

    patchwave_runs{status}                               runs in the folder by index status

Each scrape reads the index and only the live runs' state.json files, and a state file is
parsed again only when it changed (its size or modification time), so a long history of
finished runs costs one small file read."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from prometheus_client.core import GaugeMetricFamily, Metric

from engine.analytics.catalog import Fingerprint, fingerprint, needs_liveness_check
from engine.core.models import BatchRun, RunStatus
from engine.metrics.series import RunSample, breaker_of, run_families
from engine.metrics.server import LOOPBACK, MetricsServer
from engine.runs.index import read_index
from engine.runs.liveness import display_status
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present


class RunsFolderMetrics:
    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = Path(runs_dir)
        self._lock = threading.Lock()  # scrapes may overlap; the cache is shared
        self._states: dict[str, tuple[Fingerprint, BatchRun | None]] = {}

    def _state(self, run_id: str) -> BatchRun | None:
        paths = RunPaths.of(self.runs_dir, run_id)
        seen = fingerprint(paths.state)
        cached = self._states.get(run_id)
        if cached is not None and cached[0] == seen:
            return cached[1]
        try:
            run = load_state_if_present(paths.state)
        except (OSError, ValueError):  # being replaced, or not a state: next scrape tries again
            run = None
        self._states[run_id] = (seen, run)
        return run

    def families(self) -> Iterator[Metric]:
        entries = read_index(self.runs_dir).runs
        runs = GaugeMetricFamily("patchwave_runs", "Runs in the runs folder by status.", labels=["status"])
        counts = Counter(e.status.value for e in entries)
        for status in RunStatus:
            runs.add_metric([status.value], counts.get(status.value, 0))
        samples: list[RunSample] = []
        with self._lock:
            live = {e.run_id for e in entries if needs_liveness_check(e) or e.status == RunStatus.paused}
            for run_id in sorted(live):
                run = self._state(run_id)
                if run is not None:
                    samples.append(RunSample(run, display_status(run), breaker_of(run)))
            for gone in set(self._states) - live:
                del self._states[gone]
        yield runs
        yield from run_families(samples)

    def health(self) -> dict[str, object]:
        return {"status": "ok", "runs_dir": str(self.runs_dir), "runs": len(read_index(self.runs_dir).runs)}


def serve_runs_folder(runs_dir: Path, port: int, host: str = LOOPBACK) -> MetricsServer:
    metrics = RunsFolderMetrics(runs_dir)
    return MetricsServer(metrics.families, port=port, host=host, health=metrics.health)


def run_exporter_cli(runs_dir: Path, port: int, host: str = LOOPBACK) -> None:
    """Serve until Ctrl+C or SIGTERM. Prints one line with the URL on start."""
    server = serve_runs_folder(runs_dir, port, host)
    done = threading.Event()

    def _on_sigterm(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    server.start()
    print(f"Patchwave metrics for {runs_dir} on {server.url} (and /healthz)", flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
