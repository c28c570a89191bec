"""A simulated Devin REST API v1: a real HTTP server on loopback.

It speaks the same paths and JSON shapes as https://api.devin.ai/v1 (sessions, messages,
tags, playbooks, auth_status), so simulated and live runs share one client code path; session
details also carry v2/v3's `acus_consumed` and v3's `status_detail`. Extra, unauthenticated,
never-faulted endpoints: GET /_sim/stats, GET /_sim/health, POST /_sim/outage {"seconds": N}
(every /v1 request answers 503 for N seconds), the pull requests' pages and Git-host API
(engine.simulator.pulls) and POST /_sim/pulls. Any bearer token is accepted as the API key,
except one starting with "invalid", which gets 403 (a key the real API refuses), so a
preflight's key check can be tested for real.

The simulated agent works on the finding in the prompt's data block (engine.simulator.finding):
its approach, files, diff, tests and ACU use follow the finding's category, language and file
(engine.simulator.agent). Sessions advance lazily by elapsed time x speed (on a clock that
setting the host's clock does not move, see engine.simulator.clock) through analyzing ->
fixing -> testing -> creating_pr -> completed, or fail, or stop at their ACU limit; the whole
plan of a session is drawn from the seed, the finding and the attempt (engine.simulator.
lifecycle), so the same seed and findings give the same behaviour.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

from engine.simulator.server import SimulatorServer

__all__ = ["SimulatorServer", "run_simulator_cli"]


def run_simulator_cli(
    port: int,
    seed: int,
    speed: float,
    failure_rate: float,
    fault_rate: float,
    host: str = "127.0.0.1",
    journal_path: Path | None = None,
    stall_rate: float = 0.0,
    rate_limit: float = 0.0,
    rate_burst: int = 10,
) -> None:
    """Serve until Ctrl+C or SIGTERM, then shut down cleanly. Prints one line on start."""
    server = SimulatorServer(
        seed=seed,
        speed=speed,
        failure_rate=failure_rate,
        fault_rate=fault_rate,
        stall_rate=stall_rate,
        rate_limit=rate_limit,
        rate_burst=rate_burst,
        host=host,
        port=port,
        journal_path=journal_path,
    )
    done = threading.Event()

    def _on_sigterm(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    server.start()
    print(f"Simulated Devin API listening on {server.base_url}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
