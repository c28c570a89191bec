"""Category health: success rate bands, durations, retries and confidence."""

from __future__ import annotations

import pytest

from engine.analytics.evaluation import (
    HEALTHY_AT,
    MIN_DECIDED,
    WARNING_AT,
    band_for,
    category_health,
    critical_categories,
)
from tests.analytics_fixtures import at, finding, run, session

PR = "https://github.com/acme/api/pull/1"


def ok(fid: str, end: float, confidence: float | None = None, attempt: int = 1):
    return session(fid, attempt, "success", start=0, end=end, pr=PR, confidence=confidence)


def bad(fid: str, end: float, attempt: int = 1, confidence: float | None = None):
    return session(fid, attempt, "failed", start=0, end=end, confidence=confidence)


def sample_run():
    """max_retries 1 (a failure is final on attempt 2), speed 1.

    sql_injection: S1..S4 fixed, S5 failed twice -> 4 / 5 = 0.8 (healthy, on the threshold)
    xss: X1, X2 fixed, X3 failed for good (not retryable) -> 2 / 3 (warning)
    hardcoded_secret: H1 fixed, H2 and H3 failed twice -> 1 / 3 (critical)
    pii_logging: P1 fixed, P2 failed twice, P3 working -> 2 decided < 3 (insufficient data)
    """
    findings = (
        [finding(f"S{i}", category="sql_injection") for i in range(1, 6)]
        + [finding(f"X{i}", category="xss") for i in range(1, 4)]
        + [finding(f"H{i}", category="hardcoded_secret") for i in range(1, 4)]
        + [finding(f"P{i}", category="pii_logging") for i in range(1, 4)]
    )
    sessions = [
        ok("S1", 100, 0.9),
        ok("S2", 200, 0.8),
        ok("S3", 300),
        ok("S4", 400, 0.7),
        bad("S5", 50),
        bad("S5", 150, attempt=2, confidence=0.2),
        ok("X1", 60),
        ok("X2", 60),
        session("X3", status="failed", start=0, end=60, retryable=False),
        ok("H1", 10, attempt=2),
        bad("H2", 10),
        bad("H2", 10, attempt=2),
        bad("H3", 10),
        bad("H3", 10, attempt=2),
        ok("P1", 30),
        bad("P2", 30),
        bad("P2", 30, attempt=2),
        session("P3", status="working", start=0, confidence=0.99),
    ]
    return run(findings=findings, sessions=sessions, max_retries=1)


def test_thresholds() -> None:
    assert (HEALTHY_AT, WARNING_AT, MIN_DECIDED) == (0.8, 0.6, 3)
    assert band_for(4, 1) == "healthy"  # 0.8
    assert band_for(3, 2) == "warning"  # 0.6
    assert band_for(1, 1) == "insufficient data"  # 2 decided
    assert band_for(1, 2) == "critical"  # 0.33
    assert band_for(0, 0) == "insufficient data"


def test_category_health() -> None:
    rows = category_health(sample_run(), now=at(1000))
    assert [(r.category, r.band) for r in rows] == [
        ("hardcoded_secret", "critical"),
        ("xss", "warning"),
        ("sql_injection", "healthy"),
        ("pii_logging", "insufficient data"),
    ]
    by = {r.category: r for r in rows}
    sql = by["sql_injection"]
    assert (sql.findings, sql.passed, sql.failed, sql.success_rate) == (5, 4, 1, 0.8)
    # terminal sessions 100, 200, 300, 400, 50, 150 -> 1200 / 6
    assert sql.mean_duration_s == 200.0
    assert sql.retries == 1  # S5 attempt 2
    # confidences given: 0.9, 0.8, 0.7, 0.2 -> 2.6 / 4
    assert sql.mean_confidence == pytest.approx(0.65)
    xss = by["xss"]
    assert (xss.passed, xss.failed, xss.retries, xss.mean_confidence) == (2, 1, 0, None)
    assert xss.success_rate == pytest.approx(2 / 3)
    secret = by["hardcoded_secret"]
    assert (secret.passed, secret.failed, secret.retries) == (1, 2, 3)  # H1, H2, H3 attempt 2
    assert secret.success_rate == pytest.approx(1 / 3)
    pii = by["pii_logging"]
    assert (pii.findings, pii.passed, pii.failed, pii.success_rate) == (3, 1, 1, 0.5)
    assert pii.mean_duration_s == 30.0  # P3 still working: not counted
    assert pii.mean_confidence is None  # only the working P3 reported one
    assert critical_categories(rows) == ["hardcoded_secret"]


def test_a_category_without_sessions() -> None:
    (row,) = category_health(run(findings=[finding("A", category="xss")]), now=at(0))
    assert (row.findings, row.passed, row.failed, row.success_rate) == (1, 0, 0, None)
    assert (row.mean_duration_s, row.mean_confidence, row.retries, row.band) == (
        None,
        None,
        0,
        "insufficient data",
    )


def test_empty_run() -> None:
    assert category_health(run(), now=at(0)) == []
    assert critical_categories([]) == []
