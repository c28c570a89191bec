"""The data model: every model survives the JSON round trip the run folder depends on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from engine.core.models import (
    AgentProgress,
    BatchRun,
    EngineStats,
    EventKind,
    Finding,
    FindingCategory,
    PriorityScore,
    RemediationSession,
    RunConfig,
    RunStatus,
    RunTotals,
    SessionStatus,
    Severity,
    TimelineEvent,
    Wave,
    WaveStatus,
)

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def _finding(fid: str = "F-1", rank: int = 1) -> Finding:
    return Finding(
        finding_id=fid,
        scanner="snyk",
        category=FindingCategory.sql_injection,
        severity=Severity.critical,
        title="SQL injection in query builder",
        description='Concatenates "merchantId" into SQL; ünïcode ✓',
        service_name="payment-service",
        repo_url="https://github.com/acme/payment-service",
        file_path="src/Repo.java",
        line_number=88,
        cwe_id="CWE-89",
        dependency_name="log4j-core",
        current_version="2.14.1",
        fixed_version="2.17.1",
        language="java",
        merged_ids=[f"{fid}-dup-a", f"{fid}-dup-b"],
        source_row=rank + 1,
        priority=PriorityScore.of(
            service_importance=26.25,
            severity=30,
            sla_urgency=7.5,
            fix_rate=5,
            recurrence=2.5,
            objective_boost=10,
        ),
        priority_rank=rank,
    )


def _progress() -> AgentProgress:
    return AgentProgress(
        current_step="running tests",
        progress_pct=62.5,
        fix_approach="parameterize the query",
        files_modified=["src/Repo.java", "src/RepoTest.java"],
        tests_passed=True,
        tests_added=3,
        confidence=0.85,
        pr_url="https://github.com/acme/payment-service/pull/7",
        error=None,
        extra_note="kept by extra=allow",  # type: ignore[call-arg]
    )


def _session(
    fid: str = "F-1", attempt: int = 1, status: SessionStatus = SessionStatus.success
) -> RemediationSession:
    return RemediationSession(
        finding_id=fid,
        attempt=attempt,
        wave_number=1,
        tag=f"patchwave-r1-{fid}-a{attempt}",
        session_id=f"devin-{fid}-{attempt}",
        url=f"https://app.devin.ai/sessions/{fid}-{attempt}",
        status=status,
        remote_status="finished",
        remote_status_enum="finished",
        playbook_id="playbook-sql",
        intent_at=T0,
        dispatched_at=T0 + timedelta(seconds=1),
        updated_at=T0 + timedelta(seconds=30),
        completed_at=T0 + timedelta(minutes=5),
        pull_request_url="https://github.com/acme/payment-service/pull/7",
        progress=_progress(),
        error=None,
    )


def _config() -> RunConfig:
    return RunConfig(
        data_source="live",
        api_base_url="https://api.devin.ai/v1",
        speed=2.5,
        seed=42,
        wave_size=2,
        only_wave=1,
        max_parallel_sessions=4,
        max_acu_per_session=5,
        poll_interval_seconds=20.0,
        session_timeout_minutes=90.0,
        min_success_rate=0.7,
        max_retries=2,
        sim_failure_rate=0.15,
        sim_fault_rate=0.05,
        dry_run=False,
    )


def _wave() -> Wave:
    return Wave(
        number=1,
        finding_ids=["F-1", "F-2"],
        status=WaveStatus.gated,
        started_at=T0,
        completed_at=T0 + timedelta(minutes=10),
        succeeded=1,
        failed=1,
    )


def _batch_run() -> BatchRun:
    return BatchRun(
        run_id="run-1.2_ok",
        status=RunStatus.paused,
        status_reason="wave 1 below the success gate",
        data_source="live",
        config=_config(),
        source_file_name="findings.csv",
        created_at=T0,
        started_at=T0 + timedelta(seconds=1),
        completed_at=None,
        heartbeat_at=T0 + timedelta(minutes=11),
        pid=4242,
        pid_create_time=1700000000.25,
        findings=[_finding("F-1", 1), _finding("F-2", 2)],
        waves=[_wave(), Wave(number=2, finding_ids=[], status=WaveStatus.skipped)],
        sessions=[
            _session("F-1", 1, SessionStatus.success),
            _session("F-2", 1, SessionStatus.failed),
            RemediationSession(finding_id="F-2", attempt=2, wave_number=1, tag="t-F-2-a2", intent_at=T0),
        ],
        playbook_ids={"sql_injection": "playbook-sql"},
        totals=RunTotals(
            findings=2,
            by_severity={"critical": 2},
            sessions=3,
            sessions_by_status={"success": 1, "failed": 1, "pending": 1},
            findings_succeeded=1,
            findings_failed=0,
            findings_open=1,
            pull_requests=2,
        ),
        engine_stats=EngineStats(state_writes=7, state_bytes_written=12345, api_calls=99),
    )


def _event() -> TimelineEvent:
    return TimelineEvent(
        ts=T0,
        run_id="run-1",
        kind=EventKind.session_completed,
        message="F-1 fixed",
        wave_number=1,
        finding_id="F-1",
        attempt=1,
        session_id="devin-F-1-1",
        details={"pr": "https://x/pull/1", "nested": {"a": [1, 2.5, None, True]}, "n": 3},
    )


MODELS: dict[str, Any] = {
    "finding": _finding,
    "finding_minimal": lambda: Finding(
        finding_id="F-9", category="other", severity="low", title="t", service_name="s"
    ),
    "priority": lambda: PriorityScore.of(
        service_importance=1, severity=2, sla_urgency=3, fix_rate=4, recurrence=5, objective_boost=6
    ),
    "session": _session,
    "session_minimal": lambda: RemediationSession(finding_id="F", attempt=1, wave_number=1, tag="t"),
    "wave": _wave,
    "config": _config,
    "totals": lambda: _batch_run().totals,
    "engine_stats": lambda: EngineStats(state_writes=1, state_bytes_written=2, api_calls=3),
    "batch_run": _batch_run,
    "batch_run_minimal": lambda: BatchRun(run_id="r", data_source="simulated", config=_config()),
    "event": _event,
    "event_minimal": lambda: TimelineEvent(run_id="r", kind="run_started", message="m"),
    "progress": _progress,
    "progress_empty": AgentProgress,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_is_lossless(name: str) -> None:
    original: BaseModel = MODELS[name]()
    text = original.model_dump_json()
    again = type(original).model_validate_json(text)
    assert again == original
    assert again.model_dump_json() == text
    # And once more through the indented form the launcher writes.
    assert type(original).model_validate_json(original.model_dump_json(indent=1)) == original


def test_batch_run_round_trip_keeps_nested_details() -> None:
    run = BatchRun.model_validate_json(_batch_run().model_dump_json())
    assert run.created_at == T0 and run.created_at.tzinfo is not None
    assert run.sessions[0].progress is not None
    assert run.sessions[0].progress.model_extra == {"extra_note": "kept by extra=allow"}
    assert run.sessions[0].progress.files_modified == ["src/Repo.java", "src/RepoTest.java"]
    assert run.sessions[2].status is SessionStatus.pending
    assert run.sessions[2].session_id is None
    assert run.findings[0].priority is not None and run.findings[0].priority.service_importance == 26.2
    assert run.findings[0].score == 81.2
    assert run.findings[1].merged_ids == ["F-2-dup-a", "F-2-dup-b"]
    assert run.waves[0].success_rate == 0.5
    assert run.waves[1].success_rate is None
    assert run.config.only_wave == 1
    assert run.engine_stats.api_calls == 99
    assert run.totals.success_rate == 1.0


def test_priority_parts_add_up_and_explain_themselves() -> None:
    score = PriorityScore.of(
        service_importance=26.25, severity=30, sla_urgency=0.04, fix_rate=5, recurrence=0, objective_boost=0
    )
    assert score.total == 61.2 == sum(score.parts().values())
    assert score.explain() == "service 26.2 + severity 30 + SLA 0 + fix rate 5 + recurrence 0 + objectives 0"
    finding = json.loads(_finding().model_dump_json())
    assert finding["priority"]["total"] == 81.2


def test_earlier_versions_scores_are_read() -> None:
    """Runs of earlier versions kept the cross-run score as `ledger_score`, and a retired
    file-weight score as `priority`: the first is the score now, the second is dropped."""
    base = {"finding_id": "F", "category": "xss", "severity": "high", "title": "t", "service_name": "s"}
    retired = {"severity": 30, "category": 20, "service": 10, "total": 60}
    cross = PriorityScore.of(
        service_importance=17.5, severity=22.5, sla_urgency=1, fix_rate=5, recurrence=0, objective_boost=0
    ).model_dump()
    assert Finding.model_validate({**base, "priority": retired}).priority is None
    kept = Finding.model_validate({**base, "priority": retired, "ledger_score": cross})
    assert kept.priority is not None and kept.priority.total == 46.0


def test_agent_progress_keeps_valid_fields_and_drops_wrong_types() -> None:
    progress = AgentProgress.from_output(
        {
            "current_step": "editing",
            "progress_pct": "abc",
            "confidence": "high",
            "files_modified": ["a.py"],
            "tests_passed": True,
            "tests_added": "several",
            "pr_url": "https://x/pull/1",
            "custom": {"k": 1},
        }
    )
    assert progress is not None
    assert progress.current_step == "editing"
    assert progress.files_modified == ["a.py"]
    assert progress.tests_passed is True
    assert progress.pr_url == "https://x/pull/1"
    assert progress.progress_pct is None
    assert progress.confidence is None
    assert progress.tests_added is None
    assert progress.model_extra == {"custom": {"k": 1}}


def test_agent_progress_all_valid_output_is_kept_whole() -> None:
    output = {"current_step": "done", "progress_pct": 100, "confidence": 0.9, "files_modified": []}
    progress = AgentProgress.from_output(output)
    assert progress == AgentProgress(current_step="done", progress_pct=100.0, confidence=0.9)


def test_agent_progress_all_invalid_output_gives_an_empty_progress() -> None:
    progress = AgentProgress.from_output({"progress_pct": "abc", "files_modified": "not a list"})
    assert progress == AgentProgress()


@pytest.mark.parametrize("output", [None, {}])
def test_agent_progress_from_empty_output_is_none(output: dict[str, Any] | None) -> None:
    assert AgentProgress.from_output(output) is None


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (SessionStatus.pending, False),
        (SessionStatus.dispatched, False),
        (SessionStatus.working, False),
        (SessionStatus.blocked, False),
        (SessionStatus.success, True),
        (SessionStatus.failed, True),
        (SessionStatus.timeout, True),
        (SessionStatus.interrupted, False),
    ],
)
def test_session_status_is_terminal(status: SessionStatus, terminal: bool) -> None:
    assert status.is_terminal is terminal


def test_every_session_status_is_classified() -> None:
    assert {s.value for s in SessionStatus} == {
        "pending",
        "dispatched",
        "working",
        "blocked",
        "success",
        "failed",
        "timeout",
        "interrupted",
    }
