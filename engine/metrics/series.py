"""The metric families, built from a run's state at scrape time.

One function, `run_families`, turns run samples into every per-run series, so a running
engine (which samples its own run in memory) and the runs-folder exporter (which samples
state.json files) serve the very same names, labels and meanings:

    patchwave_run_info{run,status,data_source}           1 per run (status as `status` shows it)
    patchwave_sessions{run,status}                       sessions by status (every status listed)
    patchwave_dispatch_latency_seconds{run}              histogram: session creates
    patchwave_poll_latency_seconds{run}                  histogram: polls of a wave
    patchwave_api_errors_total{run,kind}                 failed API calls, after the client's
                                                         retries, by kind (ERROR_KINDS)
    patchwave_breaker_state{run,state}                   1 for the breaker's state, 0 for the others
    patchwave_acus{run,basis}                            ACUs used: basis="reported" as the API
                                                         reported them, basis="estimated" from
                                                         agent time where it reported none
    patchwave_queue_depth{run}                           session creates waiting to go out
    patchwave_dispatch_parallel_limit{run}               sessions the pacer allows in flight now
    patchwave_dispatch_slowed{run,cause}                 1 for each cause slowing dispatch now
                                                         (engine.core.pace), 0 for the others
    patchwave_api_rate_limited_total{run}                429 answers, the client's retries included

Counts and histograms are the run's own, summed over every engine process that worked on it
(they live in state.json's engine_stats), so a resumed run's counters keep growing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from engine.analytics.cost import ESTIMATED, REPORTED, session_costs
from engine.core.models import LATENCY_BUCKETS, BatchRun, LatencyHistogram, SessionStatus, WaveStatus, utcnow
from engine.core.pace import RATE_LIMITED, REVIEW_BACKLOG, SERVICE_REVIEW_BACKLOG
from engine.devin.client import ERROR_KINDS
from engine.execute.breaker import BreakerState
from engine.execute.dispatcher import wave_queue
from engine.execute.totals import latest_sessions


@dataclass(frozen=True)
class RunSample:
    """One run at scrape time. `status`: as a person should read it (crashed, not running);
    `api_errors`: fresher counts than the state's, when the caller has them."""

    run: BatchRun
    status: str
    breaker: BreakerState
    api_errors: Mapping[str, int] | None = None


def queue_depth(run: BatchRun) -> int:
    """Session creates still to go out in the waves not yet finished (retries included)."""
    latest = latest_sessions(run)
    return sum(
        len(wave_queue(run, wave, latest))
        for wave in list(run.waves)
        if wave.status in (WaveStatus.pending, WaveStatus.running)
    )


def acus_by_basis(run: BatchRun) -> dict[str, float]:
    """The run's ACUs as the API reported them and as estimated where it reported none
    (engine.analytics.cost, with the default minutes per ACU)."""
    rows = session_costs(run, utcnow())
    return {
        REPORTED: sum(r.acus for r in rows if not r.estimated),
        ESTIMATED: sum(r.acus for r in rows if r.estimated),
    }


def breaker_of(run: BatchRun) -> BreakerState:
    """The breaker as the state records it (a half-open moment is not recorded)."""
    return BreakerState.closed if run.api_health.status == "ok" else BreakerState.open


def _buckets(histogram: LatencyHistogram) -> list[tuple[str, float]]:
    counts = list(histogram.counts)
    out, total = [], 0
    for bound, count in zip(LATENCY_BUCKETS, counts, strict=False):
        total += count
        out.append((repr(bound), float(total)))
    out.append(("+Inf", float(histogram.count)))
    return out


def run_families(samples: Iterable[RunSample]) -> Iterator[Metric]:
    info = GaugeMetricFamily(
        "patchwave_run_info",
        "A run, with its status and data source.",
        labels=["run", "status", "data_source"],
    )
    sessions = GaugeMetricFamily("patchwave_sessions", "Agent sessions by status.", labels=["run", "status"])
    dispatch = HistogramMetricFamily(
        "patchwave_dispatch_latency_seconds", "Seconds per session create call.", labels=["run"]
    )
    poll = HistogramMetricFamily(
        "patchwave_poll_latency_seconds", "Seconds per poll of a wave.", labels=["run"]
    )
    errors = CounterMetricFamily(
        "patchwave_api_errors", "Failed agent API calls after retries, by kind.", labels=["run", "kind"]
    )
    breaker = GaugeMetricFamily(
        "patchwave_breaker_state", "1 for the API circuit breaker's current state.", labels=["run", "state"]
    )
    acus = GaugeMetricFamily(
        "patchwave_acus",
        "ACUs used: as the API reported them, or estimated from agent time where it reported none.",
        labels=["run", "basis"],
    )
    queue = GaugeMetricFamily(
        "patchwave_queue_depth", "Session creates waiting to go out (retries included).", labels=["run"]
    )
    limit = GaugeMetricFamily(
        "patchwave_dispatch_parallel_limit",
        "Sessions the adaptive pacer allows in flight now (at most max_parallel_sessions).",
        labels=["run"],
    )
    slowed = GaugeMetricFamily(
        "patchwave_dispatch_slowed",
        "1 for each cause that slows dispatch now: rate_limited, review_backlog, service_review_backlog.",
        labels=["run", "cause"],
    )
    rate_limited = CounterMetricFamily(
        "patchwave_api_rate_limited", "429 answers from the agent API, retried ones included.", labels=["run"]
    )
    for sample in samples:
        run, run_id = sample.run, sample.run.run_id
        info.add_metric([run_id, sample.status, run.data_source], 1)
        by_status = {status.value: 0 for status in SessionStatus}
        for session in list(run.sessions):
            by_status[session.status.value] += 1
        for status, count in by_status.items():
            sessions.add_metric([run_id, status], count)
        stats = run.engine_stats
        dispatch.add_metric([run_id], _buckets(stats.dispatch_latency), stats.dispatch_latency.sum)
        poll.add_metric([run_id], _buckets(stats.poll_latency), stats.poll_latency.sum)
        counted = dict(sample.api_errors if sample.api_errors is not None else stats.api_errors)
        for kind in (*ERROR_KINDS, *sorted(set(counted) - set(ERROR_KINDS))):
            errors.add_metric([run_id, kind], counted.get(kind, 0))
        for state in BreakerState:
            breaker.add_metric([run_id, state.value], 1 if state == sample.breaker else 0)
        for basis, used in acus_by_basis(run).items():
            acus.add_metric([run_id, basis], round(used, 6))
        queue.add_metric([run_id], queue_depth(run))
        pace = run.dispatch_pace
        allowed = pace.effective_limit or pace.parallel_limit or run.config.max_parallel_sessions
        limit.add_metric([run_id], allowed)
        causes = set(pace.causes) if sample.status == "running" else set()
        for cause in (RATE_LIMITED, REVIEW_BACKLOG, SERVICE_REVIEW_BACKLOG):
            slowed.add_metric([run_id, cause], 1 if cause in causes else 0)
        rate_limited.add_metric([run_id], pace.rate_limited_answers)
    yield from (info, sessions, dispatch, poll, errors, breaker, acus, queue, limit, slowed, rate_limited)
