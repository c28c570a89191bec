"""A running engine's own metrics endpoint (setting ENGINE_METRICS_PORT; off when unset).

It samples the engine's run in memory at every scrape, with the breaker's live state (half-open
included) and API error counts up to that moment. The port is recorded in state.json as
`metrics_port` (0 in the setting picks a free one), so a scraper or a person can find it; it is
the port of the engine that ran the run last, serving only while that engine is alive."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from engine.metrics.series import RunSample, run_families
from engine.metrics.server import MetricsServer

if TYPE_CHECKING:
    from engine.execute.engine import RunEngine

log = logging.getLogger(__name__)


@contextmanager
def engine_metrics(engine: RunEngine, port: int | None) -> Iterator[MetricsServer | None]:
    """Serves `engine`'s metrics on 127.0.0.1:`port` while the block runs (None: not at all).
    A port that cannot be bound is logged and the run goes on without metrics."""
    engine.run.metrics_port = None
    if port is None:
        yield None
        return

    def sample() -> list[RunSample]:
        run = engine.run
        return [RunSample(run, run.status.value, engine.breaker.state, engine.rec.api_errors())]

    def health() -> dict[str, object]:
        return {"status": "ok", "run": engine.run.run_id, "run_status": engine.run.status.value}

    try:
        server = MetricsServer(lambda: run_families(sample()), port=port, health=health).start()
    except OSError as exc:
        log.warning("metrics not served: port %s cannot be bound (%s)", port, exc)
        yield None
        return
    engine.run.metrics_port = server.port
    log.info("metrics served on %s", server.url)
    try:
        yield server
    finally:
        server.stop()
