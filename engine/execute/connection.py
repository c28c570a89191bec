"""The API a run talks to: the live Devin API, or the simulator started in this process (a
hybrid run talks to both: engine.execute.routing).

Both are reached through the same DevinClient over HTTP, so the simulated mode exercises the
exact code path of the live one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from engine.core.models import RunConfig
from engine.devin.client import DevinClient, build_retry
from engine.runs.fence import LeaseLostError, check_lease
from engine.runs.paths import RunPaths
from engine.simulator import SimulatorServer
from engine.simulator.pull_archive import pulls_dir
from engine.storage.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

SIMULATED_KEY = "simulated-local-key"  # the in-process simulator accepts any bearer token
BASE_BACKOFF_SECONDS = 0.5
MIN_BACKOFF_SECONDS = 0.01


def run_client(base_url: str, api_key: str, config: RunConfig) -> DevinClient:
    """The run's client: its retry backoff is scaled by the run's speed like every other
    timing, so a failing call gives up (and counts toward the circuit breaker) in seconds of
    run time rather than half a minute of wall time. Retry-After is still obeyed as sent."""
    backoff = max(MIN_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS / config.speed)
    return DevinClient(base_url, api_key, retry=build_retry(backoff=backoff))


@contextmanager
def open_api(
    config: RunConfig, paths: RunPaths, api_key: str | None
) -> Iterator[tuple[DevinClient, DevinClient | None]]:
    """The run's client, and for a hybrid run the in-process simulator's as well."""
    if config.data_source != "live":
        with _simulator(config, paths) as simulated:
            yield simulated, None
        return
    if not api_key:
        from engine.core.errors import BadInputError

        raise BadInputError("this run was launched in live mode: set DEVIN_API_KEY to resume it")
    client = run_client(config.api_base_url or "", api_key, config)
    try:
        if not config.hybrid:
            yield client, None
            return
        with _simulator(config, paths) as simulated:
            yield client, simulated
    finally:
        client.close()


@contextmanager
def _simulator(config: RunConfig, paths: RunPaths) -> Iterator[DevinClient]:
    # The simulator journals into the run folder, so a resumed run finds its sessions again,
    # and saves each pull request's page there, so its link still opens once this engine is
    # gone (served by engine.simulator.pull_server at config.sim_pull_pages_url).
    server = SimulatorServer(
        seed=config.seed,
        speed=config.speed,
        failure_rate=config.sim_failure_rate,
        fault_rate=config.sim_fault_rate,
        stall_rate=config.sim_stall_rate,
        rate_limit=config.sim_rate_limit,
        rate_burst=config.sim_rate_burst,
        journal_path=paths.simulator_journal,
        pull_base_url=config.sim_pull_pages_url,
        pulls_dir=pulls_dir(paths.root),
    ).start()
    log.info("simulated Devin API listening on %s", server.base_url)
    client = run_client(server.base_url, SIMULATED_KEY, config)
    try:
        yield client
    finally:
        client.close()
        try:
            # The engine process is this file's only writer; demos and benchmarks read it.
            check_lease("write simulator_stats.json")
            atomic_write_bytes(paths.simulator_stats, json.dumps(server.stats(), indent=1).encode())
        except LeaseLostError as exc:
            log.warning("%s", exc)
        except OSError as exc:  # a convenience: it must not hide why the run stopped
            log.info("simulator statistics not written: %s", exc)
        finally:
            server.stop()
