"""Wave planning, session tags and run totals, against hand-computed expectations."""

from __future__ import annotations

import random
import re

import pytest

from engine.core.errors import BadInputError
from engine.core.models import (
    BatchRun,
    Finding,
    RemediationSession,
    RunConfig,
    SessionStatus,
    Severity,
)
from engine.core.planning import plan_waves
from engine.execute.tags import attempt_tag, run_tag, session_tags, wave_tag
from engine.execute.totals import compute_totals, finding_outcome, latest_sessions

SAFE_TAG = re.compile(r"[A-Za-z0-9._-]+")


def _finding(fid: str, rank: int | None, severity: Severity = Severity.high) -> Finding:
    return Finding(
        finding_id=fid,
        category="xss",
        severity=severity,
        title=f"finding {fid}",
        service_name="svc",
        priority_rank=rank,
    )


# --- plan_waves ----------------------------------------------------------------------------


def test_24_findings_make_waves_of_10_10_4_in_rank_order() -> None:
    findings = [_finding(f"F-{rank:02d}", rank) for rank in range(1, 25)]
    random.Random(7).shuffle(findings)
    waves = plan_waves(findings, 10)
    assert [w.number for w in waves] == [1, 2, 3]
    assert [len(w.finding_ids) for w in waves] == [10, 10, 4]
    assert [fid for w in waves for fid in w.finding_ids] == [f"F-{r:02d}" for r in range(1, 25)]
    assert waves[0].finding_ids[0] == "F-01" and waves[2].finding_ids[-1] == "F-24"
    assert all(w.status == "pending" and w.succeeded == w.failed == 0 for w in waves)


def test_rank_order_not_id_order() -> None:
    findings = [_finding("a", 3), _finding("b", 1), _finding("c", 2)]
    assert [w.finding_ids for w in plan_waves(findings, 2)] == [["b", "c"], ["a"]]


@pytest.mark.parametrize(
    ("count", "size", "expected"),
    [(0, 10, []), (1, 10, [1]), (10, 10, [10]), (11, 10, [10, 1]), (5, 1, [1, 1, 1, 1, 1]), (3, 100, [3])],
)
def test_wave_sizes(count: int, size: int, expected: list[int]) -> None:
    waves = plan_waves([_finding(f"F{i}", i + 1) for i in range(count)], size)
    assert [len(w.finding_ids) for w in waves] == expected
    assert [w.number for w in waves] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize("size", [0, -1])
def test_wave_size_below_one_is_bad_input(size: int) -> None:
    with pytest.raises(BadInputError, match="wave size"):
        plan_waves([_finding("F1", 1)], size)


# --- tags ----------------------------------------------------------------------------------

ODD_IDS = [
    "PW-0001",
    "finding with spaces",
    "a/b/c",
    "../../etc/passwd",
    "ünïcødé-✓",
    "tab\there",
    "x" * 200,
    "x" * 199 + "y",
    "",
]


def test_attempt_tag_is_deterministic() -> None:
    for fid in ODD_IDS:
        assert attempt_tag("run-1", fid, 2) == attempt_tag("run-1", fid, 2)
    tag = attempt_tag("run-1", "PW-0001", 1)
    assert tag.startswith("patchwave-run-1-PW-0001-") and tag.endswith("-a1")  # readable


def test_attempt_tag_uses_safe_characters_only() -> None:
    for fid in ODD_IDS:
        for attempt in (1, 3):
            tag = attempt_tag("run-1.2_ok", fid, attempt)
            assert SAFE_TAG.fullmatch(tag), tag
    for tag in session_tags("run-1", 3, "a/b c", 2):
        assert SAFE_TAG.fullmatch(tag), tag


def test_attempt_tag_is_distinct_per_run_finding_and_attempt() -> None:
    keys = [(run, fid, attempt) for run in ("r1", "r2") for fid in ODD_IDS for attempt in (1, 2, 3)]
    tags = {attempt_tag(*key) for key in keys}
    assert len(tags) == len(keys)


def test_ids_that_slug_alike_get_different_tags() -> None:
    alike = ["a b", "a/b", "a:b", "a  b", "a_b", "a\u00e9b", "a\u00e8b"]
    assert len({attempt_tag("r", fid, 1) for fid in alike}) == len(alike)
    # A long id is cut; ids differing only after the cut stay distinct.
    assert attempt_tag("r", "x" * 60 + "1", 1) != attempt_tag("r", "x" * 60 + "2", 1)


def test_attempt_tag_separates_run_and_finding() -> None:
    assert attempt_tag("r1-F", "1", 1) != attempt_tag("r1", "F-1", 1)


def test_session_tags_contents() -> None:
    assert session_tags("r1", 2, "F-1", 3) == [
        "patchwave",
        run_tag("r1"),
        wave_tag("r1", 2),
        attempt_tag("r1", "F-1", 3),
    ]
    assert run_tag("r1") == "patchwave-run-r1"
    assert wave_tag("r1", 2) == "patchwave-run-r1-wave-2"


# --- totals --------------------------------------------------------------------------------

PR = "https://github.com/acme/svc/pull/"
S = SessionStatus

# finding -> (severity, [(attempt, status, has_pr)]), deliberately not in attempt order for F9.
PLAN: dict[str, tuple[Severity, list[tuple[int, SessionStatus, bool]]]] = {
    "F1": (Severity.critical, [(1, S.success, True)]),
    "F2": (Severity.critical, [(1, S.failed, False), (2, S.success, True)]),
    "F3": (Severity.critical, [(1, S.failed, False), (2, S.failed, False), (3, S.failed, False)]),
    "F4": (Severity.high, [(1, S.failed, False), (2, S.timeout, False)]),
    "F5": (Severity.high, [(1, S.failed, False), (2, S.failed, False), (3, S.working, False)]),
    "F6": (Severity.high, []),
    "F7": (Severity.high, [(1, S.failed, False), (2, S.failed, False), (3, S.timeout, False)]),
    "F8": (Severity.high, [(1, S.success, True), (2, S.failed, False)]),
    "F9": (Severity.medium, [(3, S.success, True), (1, S.failed, False), (2, S.failed, False)]),
    "F10": (Severity.medium, [(1, S.failed, False), (2, S.failed, False), (3, S.interrupted, False)]),
    "F11": (Severity.medium, [(1, S.pending, False)]),
    "F12": (Severity.medium, [(1, S.failed, False), (2, S.failed, False), (3, S.blocked, False)]),
    "F13": (Severity.low, [(1, S.failed, True)]),
    "F14": (Severity.low, [(1, S.dispatched, False)]),
}


def _config(max_retries: int) -> RunConfig:
    return RunConfig(
        data_source="simulated",
        wave_size=10,
        max_parallel_sessions=10,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.7,
        max_retries=max_retries,
    )


def _run(max_retries: int = 2) -> BatchRun:
    findings, sessions = [], []
    for rank, (fid, (severity, attempts)) in enumerate(PLAN.items(), start=1):
        findings.append(_finding(fid, rank, severity))
        for attempt, status, has_pr in attempts:
            sessions.append(
                RemediationSession(
                    finding_id=fid,
                    attempt=attempt,
                    wave_number=1,
                    tag=attempt_tag("r", fid, attempt),
                    session_id=None if status == S.pending else f"devin-{fid}-{attempt}",
                    status=status,
                    pull_request_url=f"{PR}{fid}-{attempt}" if has_pr else None,
                )
            )
    return BatchRun(
        run_id="r", data_source="simulated", config=_config(max_retries), findings=findings, sessions=sessions
    )


def test_compute_totals_by_hand() -> None:
    totals = compute_totals(_run(max_retries=2))
    assert totals.findings == 14
    assert totals.by_severity == {"critical": 3, "high": 5, "medium": 4, "low": 2}
    assert totals.sessions == 28
    assert totals.sessions_by_status == {
        "success": 4,
        "failed": 17,
        "timeout": 2,
        "working": 1,
        "interrupted": 1,
        "pending": 1,
        "blocked": 1,
        "dispatched": 1,
    }
    # succeeded: F1, F2, F9; failed (attempt 3 terminal): F3, F7; open: the other nine.
    assert totals.findings_succeeded == 3
    assert totals.findings_failed == 2
    assert totals.findings_open == 9
    # PRs on F1 a1, F2 a2, F8 a1, F9 a3, F13 a1 (a failed session may still have opened one).
    assert totals.pull_requests == 5
    assert totals.success_rate == pytest.approx(3 / 5)


def test_compute_totals_with_no_retries() -> None:
    # With max_retries=0 every terminal non-success latest attempt has no attempts left.
    totals = compute_totals(_run(max_retries=0))
    # failed now also: F4 (a2 timeout), F8 (a2 failed), F13 (a1 failed).
    assert (totals.findings_succeeded, totals.findings_failed, totals.findings_open) == (3, 5, 6)


def test_latest_sessions_pick_the_highest_attempt() -> None:
    latest = latest_sessions(_run())
    assert set(latest) == set(PLAN) - {"F6"}
    assert {fid: s.attempt for fid, s in latest.items()} == {
        "F1": 1,
        "F2": 2,
        "F3": 3,
        "F4": 2,
        "F5": 3,
        "F7": 3,
        "F8": 2,
        "F9": 3,
        "F10": 3,
        "F11": 1,
        "F12": 3,
        "F13": 1,
        "F14": 1,
    }


@pytest.mark.parametrize(
    ("status", "attempt", "expected"),
    [
        (S.success, 1, "succeeded"),
        (S.success, 3, "succeeded"),
        (S.failed, 2, "open"),
        (S.failed, 3, "failed"),
        (S.timeout, 3, "failed"),
        (S.timeout, 2, "open"),
        (S.interrupted, 3, "open"),
        (S.working, 5, "open"),
        (S.blocked, 3, "open"),
        (S.pending, 3, "open"),
        (S.dispatched, 3, "open"),
    ],
)
def test_finding_outcome_rule(status: SessionStatus, attempt: int, expected: str) -> None:
    session = RemediationSession(finding_id="F", attempt=attempt, wave_number=1, tag="t", status=status)
    assert finding_outcome(session, max_retries=2) == expected


def test_finding_outcome_without_a_session_is_open() -> None:
    assert finding_outcome(None, max_retries=2) == "open"


def test_empty_run_totals() -> None:
    totals = compute_totals(BatchRun(run_id="r", data_source="simulated", config=_config(2)))
    assert totals.model_dump() == {
        "findings": 0,
        "by_severity": {},
        "sessions": 0,
        "sessions_by_status": {},
        "findings_succeeded": 0,
        "findings_failed": 0,
        "findings_open": 0,
        "pull_requests": 0,
        "acus_reported": 0.0,
        "sessions_without_usage": 0,
    }
    assert totals.success_rate is None
