"""Operations figures: percentiles with sample guards, throughput, projection, ACU budget."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from engine.analytics.ops import LOW_SAMPLES, MIN_SAMPLES, ops_figures, percentile, wave_timings
from tests.analytics_fixtures import at, finding, run, session, wave

PR = "https://github.com/acme/api/pull/1"


def test_sample_thresholds() -> None:
    assert (MIN_SAMPLES, LOW_SAMPLES) == (5, 20)


def test_percentile_interpolates_like_numpy() -> None:
    values = [600.0, 120.0, 360.0, 240.0, 480.0]
    assert percentile(values, 50) == 360.0  # the middle of 5 sorted values
    assert percentile(values, 95) == pytest.approx(576.0)  # position 4 × 0.95 = 3.8: 480 + 0.8 × 120
    assert percentile(values, 0) == 120.0
    assert percentile(values, 100) == 600.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    odd = [3.5, 1.0, 9.25, 4.0, 4.0, 12.0, 0.5]
    for q in (10, 25, 50, 90, 99):
        assert percentile(odd, q) == pytest.approx(float(np.percentile(odd, q)))
    with pytest.raises(ValueError):
        percentile(values, 101)


def active_run():
    """Speed 2, started at 0. F1..F5 dispatched at 0, fixed with a PR at 60..300 wall s
    (agent 120, 240, 360, 480, 600 s). F6 working since 1500; F7 not dispatched; F8 in a
    skipped wave. max_retries 1, max 4 ACUs per session."""
    done = [session(f"F{i}", status="success", start=0, end=60 * i, pr=PR) for i in range(1, 6)]
    return run(
        findings=[finding(f"F{i}") for i in range(1, 9)],
        sessions=[*done, session("F6", status="working", start=1500, wave=2)],
        waves=[
            wave(1, ["F1", "F2", "F3", "F4", "F5"], "completed", 0, 300),
            wave(2, ["F6", "F7"], "running", 300),
            wave(3, ["F8"], "skipped"),
        ],
        speed=2,
        max_retries=1,
        max_acu_per_session=4,
    )


def test_ops_figures_of_an_active_run() -> None:
    ops = ops_figures(active_run(), now=at(1800), active=True)
    assert ops.duration_p50.value == 360.0  # agent durations 120..600: the middle one
    assert ops.duration_p95.value == pytest.approx(576.0)  # 480 + 0.8 × 120
    assert (ops.duration_p50.samples, ops.duration_p50.enough, ops.duration_p50.low_sample) == (5, True, True)
    assert ops.time_to_pr_p50.value == 360.0  # all five succeeded with a PR
    assert ops.time_to_pr_p95.value == pytest.approx(576.0)
    # 1800 wall s × speed 2 = 3600 agent s = 1 agent hour; 5 terminal sessions -> 5 per hour
    assert ops.throughput_per_hour.value == 5.0
    # 2 findings open in planned waves (F6, F7) / 5 per hour = 0.4 agent h = 1440 agent s
    # = 720 wall s at speed 2 -> 1800 + 720
    assert ops.projected_completion == at(2520)
    # agent time: 120+240+360+480+600 = 1800 s, + F6 (1800 - 1500) × 2 = 600 s -> 2400 s = 40 min
    # -> 40 / 15 ACUs (cap 6 sessions × 4 = 24 does not bind)
    assert ops.acu_used == pytest.approx(40 / 15)
    # planned: 7 findings outside skipped waves × (1 + 1) attempts × 4 ACUs = 56
    assert ops.acu_budget == 56.0
    assert ops.acu_remaining == pytest.approx(56 - 40 / 15)
    assert ops.acu_burn_per_hour == pytest.approx(40 / 15)  # over 1 agent hour


def test_no_projection_for_an_inactive_run() -> None:
    ops = ops_figures(active_run(), now=at(1800), active=False)
    assert ops.projected_completion is None
    # inactive and not completed: elapsed up to the last session completion (300 wall s = 600 agent s)
    assert ops.throughput_per_hour.value == 30.0  # 5 / (600 / 3600)


def test_below_min_samples_reports_no_value() -> None:
    r = run(
        findings=[finding(f"F{i}") for i in range(1, 5)],
        sessions=[session(f"F{i}", status="success", start=0, end=60, pr=PR) for i in range(1, 5)],
        waves=[wave(1, ["F1", "F2", "F3", "F4"], "running", 0)],
    )
    ops = ops_figures(r, now=at(3600), active=True)
    for s in (ops.duration_p50, ops.duration_p95, ops.time_to_pr_p50, ops.throughput_per_hour):
        assert (s.value, s.samples, s.enough, s.low_sample) == (None, 4, False, False)
    assert ops.projected_completion is None  # no throughput reported


def test_failed_sessions_count_for_duration_but_not_time_to_pr() -> None:
    sessions = [session(f"F{i}", status="failed", start=0, end=100) for i in range(1, 6)]
    sessions.append(session("F6", status="success", start=0, end=10, pr=PR))
    r = run(findings=[finding(f"F{i}") for i in range(1, 7)], sessions=sessions)
    ops = ops_figures(r, now=at(200), active=True)
    assert (ops.duration_p50.value, ops.duration_p50.samples) == (100.0, 6)  # five 100s and one 10
    assert (ops.time_to_pr_p50.value, ops.time_to_pr_p50.samples) == (None, 1)


def test_many_samples_are_not_low() -> None:
    sessions = [session(f"F{i}", status="success", start=0, end=i, pr=PR) for i in range(1, 21)]
    ops = ops_figures(run(findings=[], sessions=sessions), now=at(100), active=False)
    assert (ops.duration_p50.samples, ops.duration_p50.low_sample) == (20, False)
    assert ops.duration_p50.value == 10.5  # durations 1..20: midway between 10 and 11


def test_ops_figures_of_an_empty_run() -> None:
    ops = ops_figures(run(started=None), now=at(0), active=True)
    assert (ops.duration_p50.value, ops.duration_p50.samples, ops.duration_p50.enough) == (None, 0, False)
    assert ops.throughput_per_hour.value is None
    assert ops.projected_completion is None
    assert (ops.acu_used, ops.acu_budget, ops.acu_remaining, ops.acu_burn_per_hour) == (0.0, 0.0, 0.0, None)


def test_ops_figures_reject_a_bad_acu_rate() -> None:
    with pytest.raises(ValueError):
        ops_figures(run(), now=at(0), active=False, minutes_per_acu=0)


def test_acu_remaining_never_negative() -> None:
    # one session worked 10 h (600 min = 40 ACUs, capped at 1 × 4 = 4); budget 1 finding × 1 × 4 = 4
    r = run(
        findings=[finding("F1")],
        sessions=[session("F1", status="failed", start=0, end=36000)],
        waves=[wave(1, ["F1"])],
        max_retries=0,
        max_acu_per_session=4,
    )
    ops = ops_figures(r, now=at(36000), active=False)
    assert (ops.acu_used, ops.acu_budget, ops.acu_remaining) == (4.0, 4.0, 0.0)


def test_wave_timings() -> None:
    table = wave_timings(active_run(), now=at(1800))
    assert list(table.columns) == ["wave", "status", "started", "completed", "duration_s", "findings"]
    assert list(table["wave"]) == [1, 2, 3]
    assert list(table["status"]) == ["completed", "running", "skipped"]
    assert list(table["findings"]) == [5, 2, 1]
    assert table["duration_s"].iloc[0] == 600.0  # (300 - 0) × 2
    assert table["duration_s"].iloc[1] == 3000.0  # still running: (1800 - 300) × 2
    assert math.isnan(table["duration_s"].iloc[2])  # never started
    assert table["started"].iloc[1] == at(300)
    assert table["completed"].iloc[0] == at(0) + timedelta(seconds=300)
    assert wave_timings(run(), now=at(0)).empty


def test_reported_acus_count_as_reported_and_each_findings_cap_makes_the_budget() -> None:
    from engine.core.acu_caps import AcuCapRule
    from engine.core.models import Severity

    base = active_run()
    for s in base.sessions:
        s.acus_consumed = 1.5  # the API reported every session's usage
    config = base.config.model_copy(update={"acu_caps": [AcuCapRule(severity="high", max_acu=10)]})
    base.findings[0] = base.findings[0].model_copy(update={"severity": Severity.low})  # F1: the run's 4
    ops = ops_figures(base.model_copy(update={"config": config}), now=at(1800), active=True)
    assert ops.acu_used == pytest.approx(6 * 1.5) and ops.acu_used_estimated == 0
    # planned F1..F7: F1 low (4, the run setting), F2..F7 high (10 each), × 2 attempts
    assert ops.acu_budget == (4 + 6 * 10) * 2
    estimated = ops_figures(active_run(), now=at(1800), active=True)
    assert estimated.acu_used > 0
    assert estimated.acu_used_estimated == pytest.approx(estimated.acu_used)
