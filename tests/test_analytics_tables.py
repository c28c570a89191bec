"""The findings and sessions tables, their filters, and the session detail."""

from __future__ import annotations

import pandas as pd

from engine.analytics.tables import filter_findings, findings_table, session_detail, sessions_table
from engine.core.models import AgentProgress
from tests.analytics_fixtures import at, decision, event, finding, run, session

PR1 = "https://github.com/acme/api/pull/1"
PR3 = "https://github.com/acme/web/pull/3"
PR4 = "https://github.com/acme/api/pull/4"


def sample_run():
    """Ranks out of list order, one unranked finding; F2 retried; F1 and F4 have PRs."""
    return run(
        findings=[
            finding("F3", "medium", "xss", "web", rank=3, parts=(15, 20, 10)),
            finding("F1", "critical", "sql_injection", "api", rank=1, parts=(40, 25, 20)),
            finding("F9", "low", "other", "api", rank=None, parts=None),
            finding("F2", "high", "hardcoded_secret", "billing", rank=2, parts=(30, 25, 15)),
            finding("F4", "high", "xss", "web", rank=4, parts=(30, 20, 10)),
        ],
        sessions=[
            session("F1", status="success", start=0, end=100, pr=PR1),
            session("F2", 1, "failed", start=0, end=60),
            session("F2", 2, "working", start=70),
            session("F3", status="failed", start=10, end=40, pr=PR3),  # a PR, but not a success
            session("F4", status="success", start=20, end=90, pr=PR4),
        ],
        speed=2,
    )


def test_findings_table_in_priority_order_with_latest_session() -> None:
    d = decision("F1", 1, "approved")
    table = findings_table(sample_run(), {d.key: d})
    assert list(table.columns) == [
        "rank",
        "finding_id",
        "severity",
        "category",
        "service",
        "score",
        "score_parts",
        "title",
        "status",
        "session_status",
        "attempts",
        "session_id",
        "session_url",
        "pull_request_url",
        "review",
    ]
    # ranks 1..4, then the unranked F9 at position 5
    assert list(table["finding_id"]) == ["F1", "F2", "F3", "F4", "F9"]
    assert list(table["rank"]) == [1, 2, 3, 4, 5]
    f1 = table.iloc[0]
    assert (f1["score"], f1["score_parts"], f1["severity"], f1["category"]) == (
        85,  # 40 + 25 + 20
        "service 40 + severity 25 + SLA 20 + fix rate 0 + recurrence 0 + objectives 0",
        "critical",
        "sql_injection",
    )
    assert (f1["session_status"], f1["attempts"], f1["session_id"], f1["pull_request_url"]) == (
        "success",
        1,
        "devin-F1-1",
        PR1,
    )
    assert f1["session_url"] == "https://app.devin.ai/sessions/F1-1"
    f2 = table.iloc[1]
    assert (f2["session_status"], f2["attempts"], f2["session_id"]) == ("working", 2, "devin-F2-2")
    f9 = table.iloc[4]
    assert (f9["session_status"], f9["attempts"], f9["score_parts"]) == ("not dispatched", 0, "")
    # the status is the finding's outcome: F1 approved is fixed; F4's PR awaits review
    assert list(table["status"]) == ["Fixed", "Open", "Open", "PR awaiting review", "Open"]
    assert pd.isna(f9["score"])  # not scored
    # approved by decision; F4's PR undecided; F3 has a PR but failed: nothing to review
    assert list(table["review"]) == ["approved", "", "", "pending", ""]


def test_findings_table_review_follows_the_latest_attempt() -> None:
    r = run(
        findings=[finding("F1")],
        sessions=[
            session("F1", 1, "success", start=0, end=10, pr=PR1),
            session("F1", 2, "success", start=20, end=30, pr=PR4),
        ],
    )
    old = decision("F1", 1, "rejected")
    assert list(findings_table(r, {old.key: old})["review"]) == ["pending"]


def test_a_rejected_pull_request_shows_as_failed_never_as_a_fix() -> None:
    r = run(findings=[finding("F1")], sessions=[session("F1", 1, "success", start=0, end=10, pr=PR1)])
    rejected = decision("F1", 1, "rejected")
    row = findings_table(r, {rejected.key: rejected}).iloc[0]
    assert (row["status"], row["session_status"], row["review"]) == ("Failed", "success", "rejected")


def test_findings_table_of_an_empty_run() -> None:
    table = findings_table(run(), {})
    assert table.empty
    assert "review" in table.columns


def test_filter_findings() -> None:
    table = findings_table(sample_run(), {})
    assert list(filter_findings(table)["finding_id"]) == ["F1", "F2", "F3", "F4", "F9"]
    assert list(filter_findings(table, severities=[], statuses=[])["finding_id"]) == [
        "F1",
        "F2",
        "F3",
        "F4",
        "F9",
    ]
    assert list(filter_findings(table, severities=["high"])["finding_id"]) == ["F2", "F4"]
    assert list(filter_findings(table, categories=["xss"], services=["web"])["finding_id"]) == ["F3", "F4"]
    assert list(filter_findings(table, severities=["high"], categories=["xss"])["finding_id"]) == ["F4"]
    assert list(filter_findings(table, statuses=["PR awaiting review"])["finding_id"]) == ["F1", "F4"]
    assert filter_findings(table, services=["nowhere"]).empty
    assert list(filter_findings(table, severities=["low"]).index) == [0]  # index reset


def test_sessions_table_every_attempt_newest_first() -> None:
    table = sessions_table(sample_run(), now=at(200))
    assert list(table.columns) == [
        "finding_id",
        "attempt",
        "service",
        "status",
        "started",
        "duration_s",
        "acu_limit",
        "acus",
        "acus_basis",
        "cost",
        "pull_request_url",
        "session_url",
        "session_id",
        "data_source",
    ]
    assert set(table["data_source"]) == {"simulated"}  # the run's own: it is not hybrid
    # dispatched at 70 (F2#2), 20 (F4), 10 (F3), 0 (F2#1 and F1: ties by id, descending)
    assert list(zip(table["finding_id"], table["attempt"], strict=True)) == [
        ("F2", 2),
        ("F4", 1),
        ("F3", 1),
        ("F2", 1),
        ("F1", 1),
    ]
    assert list(table["service"]) == ["billing", "web", "web", "billing", "api"]
    assert table["started"].iloc[0] == at(70)
    # speed 2: F2#2 in flight (now 200 - 70) × 2 = 260; F4 (90 - 20) × 2 = 140; F3 (40 - 10) × 2 = 60;
    # F2#1 (60 - 0) × 2 = 120; F1 (100 - 0) × 2 = 200
    assert list(table["duration_s"]) == [260.0, 140.0, 60.0, 120.0, 200.0]


def test_sessions_table_of_an_empty_run() -> None:
    table = sessions_table(run(), now=at(0))
    assert table.empty
    assert "session_id" in table.columns


def test_session_detail_with_progress_and_own_events() -> None:
    progress = AgentProgress(
        current_step="running tests",
        progress_pct=80,
        fix_approach="parameterised query",
        files_modified=["app/db.py"],
        tests_passed=True,
        tests_added=2,
        confidence=0.9,
    )
    r = run(
        findings=[finding("F1"), finding("F2")],
        sessions=[
            session("F1", 1, "failed", start=0, end=50),
            session("F1", 2, "success", start=60, end=160, pr=PR1, progress=progress),
            session("F2", 1, "working", start=0),
        ],
        speed=3,
    )
    events = [
        event(160, "session_completed", "F1 fixed", fid="F1", attempt=2, session_id="devin-F1-2"),
        event(60, "session_dispatched", "F1 #2", fid="F1", attempt=2, session_id="devin-F1-2"),
        event(0, "session_dispatched", "F1 #1", fid="F1", attempt=1, session_id="devin-F1-1"),
        event(10, "session_dispatched", "F2 #1", fid="F2", attempt=1, session_id="devin-F2-1"),
        event(70, "session_failed", "by id only", fid="F1", session_id="devin-F1-2"),
        event(5, "run_started", "Run started"),
    ]
    detail = session_detail(r, events, "F1", 2, now=at(500))
    assert detail is not None
    assert (detail.finding.finding_id, detail.session.attempt) == ("F1", 2)
    assert detail.duration_s == 300.0  # (160 - 60) × speed 3
    assert (detail.created_at, detail.completed_at) == (at(60), at(160))
    assert (detail.current_step, detail.progress_pct, detail.fix_approach) == (
        "running tests",
        80,
        "parameterised query",
    )
    assert (detail.files_modified, detail.tests_passed, detail.tests_added, detail.confidence) == (
        ["app/db.py"],
        True,
        2,
        0.9,
    )
    # attempt 2's events (and the one naming only its session id), oldest first
    assert [e.message for e in detail.events] == ["F1 #2", "by id only", "F1 fixed"]


def test_session_detail_without_progress_or_not_found() -> None:
    r = run(findings=[finding("F1")], sessions=[session("F1", status="working", start=100)], speed=2)
    detail = session_detail(r, [], "F1", 1, now=at(130))
    assert detail is not None
    assert detail.duration_s == 60.0  # in flight: (130 - 100) × 2
    assert (detail.current_step, detail.confidence, detail.files_modified, detail.events) == (
        None,
        None,
        [],
        [],
    )
    assert detail.completed_at is None
    assert session_detail(r, [], "F1", 2, now=at(130)) is None
    assert session_detail(r, [], "nope", 1, now=at(130)) is None


def test_sessions_table_shows_each_sessions_acus_cost_and_whether_they_are_estimated() -> None:
    reported = session("F1", 1, "success", 0, 600).model_copy(update={"acus_consumed": 3.5, "acu_limit": 8})
    silent = session("F2", 1, "failed", 0, 900).model_copy(update={"acu_limit": 5})  # v1: no usage
    table = sessions_table(
        run([finding("F1"), finding("F2")], [reported, silent]), now=at(900), price_per_acu=2.0
    )
    rows = {r["finding_id"]: r for r in table.to_dict("records")}
    assert (rows["F1"]["acus"], rows["F1"]["acus_basis"], rows["F1"]["cost"]) == (3.5, "reported", 7.0)
    assert rows["F1"]["acu_limit"] == 8
    # 15 agent minutes at the default 15 minutes per ACU
    assert (rows["F2"]["acus"], rows["F2"]["acus_basis"], rows["F2"]["cost"]) == (1.0, "estimated", 2.0)
