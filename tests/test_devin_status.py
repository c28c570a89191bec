"""map_status: what the v1 API reports about a session -> our SessionStatus (and a reason),
plus the lenient parsing of session details it relies on. Every expectation is hand-written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.core.models import SessionStatus
from engine.devin.schemas import SessionDetails
from engine.devin.status import map_status

PR = {"url": "https://github.com/acme/payments/pull/42"}
PR_URL = PR["url"]
DOCUMENTED_ENUMS = (
    "working",
    "blocked",
    "expired",
    "finished",
    "suspend_requested",
    "suspend_requested_frontend",
    "resume_requested",
    "resume_requested_frontend",
    "resumed",
)
FAILED_OUTPUT = {"current_step": "failed", "progress_pct": 60, "error": "tests fail on CI"}
DONE_OUTPUT = {"current_step": "completed", "progress_pct": 100, "pr_url": PR_URL}
TESTING_OUTPUT = {"current_step": "testing", "progress_pct": 60}

S = SessionStatus


def details(
    status_enum: str | None,
    *,
    status: str | None = "running",
    pull_request: Any = None,
    output: Any = None,
) -> SessionDetails:
    return SessionDetails.model_validate(
        {
            "session_id": "devin-" + "a" * 32,
            "status": status,
            "status_enum": status_enum,
            "created_at": "2024-01-01T00:00:00.000000+00:00",
            "updated_at": "2024-01-01T00:05:00.000000+00:00",
            "pull_request": pull_request,
            "structured_output": output,
        }
    )


# -- one row per case: (id, status_enum, coarse status, pull_request, structured_output,
#    expected status, expected reason: None = no reason, str = exact text) ----------------------
CASES: list[tuple[str, str | None, str | None, Any, Any, SessionStatus, str | None]] = [
    # documented enum values, nothing else reported yet
    ("working", "working", "running", None, None, S.working, None),
    (
        "blocked-waiting-for-input",
        "blocked",
        "running",
        None,
        None,
        S.blocked,
        "the agent is waiting for input",
    ),
    ("expired", "expired", "exit", None, None, S.timeout, "the session expired"),
    ("finished-no-pr", "finished", "exit", None, None, S.failed, "the session ended without a pull request"),
    ("suspend_requested", "suspend_requested", "running", None, None, S.blocked, "the session is suspended"),
    (
        "suspend_requested_frontend",
        "suspend_requested_frontend",
        "running",
        None,
        None,
        S.blocked,
        "the session is suspended",
    ),
    ("resume_requested", "resume_requested", "running", None, None, S.working, None),
    ("resume_requested_frontend", "resume_requested_frontend", "running", None, None, S.working, None),
    ("resumed", "resumed", "running", None, None, S.working, None),
    # legacy `stopped` behaves like finished
    ("stopped-no-pr", "stopped", "exit", None, None, S.failed, "the session ended without a pull request"),
    ("stopped-with-pr", "stopped", "exit", PR, None, S.success, None),
    # no status_enum: the coarse status decides
    ("no-enum-running", None, "running", None, None, S.working, None),
    ("no-enum-running-testing", None, "running", None, TESTING_OUTPUT, S.working, None),
    ("no-enum-exit-with-pr", None, "exit", PR, None, S.success, None),
    ("no-enum-exit-no-pr", None, "exit", None, None, S.failed, "the session ended without a pull request"),
    ("no-enum-no-status", None, None, None, None, S.working, None),
    ("empty-enum-exit", "", "exit", PR, None, S.success, None),
    # unknown (future or legacy upper-case) values: still working, the engine's timeout bounds it
    ("unknown-future-enum", "hibernating", "running", None, None, S.working, None),
    ("legacy-RUNNING", "RUNNING", "running", None, None, S.working, None),
    ("upper-case-BLOCKED", "BLOCKED", "running", None, None, S.blocked, "the agent is waiting for input"),
    # a pull request present
    ("working-with-pr", "working", "running", PR, TESTING_OUTPUT, S.working, None),
    ("resumed-with-pr", "resumed", "running", PR, None, S.working, None),
    ("blocked-with-pr", "blocked", "running", PR, DONE_OUTPUT, S.success, None),
    ("blocked-pr-only-in-output", "blocked", "running", None, DONE_OUTPUT, S.success, None),
    ("finished-with-pr", "finished", "exit", PR, DONE_OUTPUT, S.success, None),
    ("finished-pr-only-in-output", "finished", "exit", None, DONE_OUTPUT, S.success, None),
    ("finished-pr-as-string", "finished", "exit", PR_URL, None, S.success, None),
    ("expired-with-pr-completed", "expired", "exit", PR, DONE_OUTPUT, S.success, None),
    (
        "expired-with-pr-mid-work",
        "expired",
        "exit",
        PR,
        {"current_step": "creating_pr", "progress_pct": 85},
        S.timeout,
        "the session expired",
    ),
    ("unknown-enum-with-pr", "hibernating", "running", PR, None, S.working, None),
    # the agent reports failure: wins over every enum, even with a PR
    ("working-step-failed", "working", "running", None, FAILED_OUTPUT, S.failed, "tests fail on CI"),
    ("blocked-step-failed", "blocked", "running", None, FAILED_OUTPUT, S.failed, "tests fail on CI"),
    ("finished-step-failed-with-pr", "finished", "exit", PR, FAILED_OUTPUT, S.failed, "tests fail on CI"),
    ("expired-step-failed", "expired", "exit", None, FAILED_OUTPUT, S.failed, "tests fail on CI"),
    (
        "suspended-step-failed",
        "suspend_requested",
        "running",
        None,
        FAILED_OUTPUT,
        S.failed,
        "tests fail on CI",
    ),
    ("unknown-enum-step-failed", "hibernating", "running", None, FAILED_OUTPUT, S.failed, "tests fail on CI"),
    (
        "step-error-no-text",
        "working",
        "running",
        None,
        {"current_step": "error"},
        S.failed,
        "the agent reported failure",
    ),
    (
        "step-FAILED-upper",
        "working",
        "running",
        None,
        {"current_step": "FAILED"},
        S.failed,
        "the agent reported failure",
    ),
    (
        "status-key-failed",
        "working",
        "running",
        None,
        {"status": "failed", "error": "boom"},
        S.failed,
        "boom",
    ),
    (
        "step-failed-error-not-text",
        "blocked",
        "running",
        None,
        {"current_step": "failed", "error": {"code": 1}},
        S.failed,
        "the agent reported failure",
    ),
    # blocked with an error but no failed step: the agent is stuck on something it reported
    (
        "blocked-error-no-pr",
        "blocked",
        "running",
        None,
        {"current_step": "testing", "error": "cannot start db"},
        S.failed,
        "cannot start db",
    ),
    (
        "finished-error-no-pr",
        "finished",
        "exit",
        None,
        {"current_step": "testing", "error": "gave up"},
        S.failed,
        "gave up",
    ),
    # structured_output given as a JSON string (the list endpoint's legacy shape)
    (
        "string-output-failed",
        "blocked",
        "running",
        None,
        json.dumps(FAILED_OUTPUT),
        S.failed,
        "tests fail on CI",
    ),
    ("string-output-pr", "finished", "exit", None, json.dumps(DONE_OUTPUT), S.success, None),
    ("string-output-working", "working", "running", None, json.dumps(TESTING_OUTPUT), S.working, None),
    (
        "non-json-output-blocked",
        "blocked",
        "running",
        None,
        "Task completed successfully",
        S.blocked,
        "the agent is waiting for input",
    ),
]


@pytest.mark.parametrize(
    ("status_enum", "status", "pull_request", "output", "expected", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_map_status(
    status_enum: str | None,
    status: str | None,
    pull_request: Any,
    output: Any,
    expected: SessionStatus,
    reason: str | None,
) -> None:
    got, got_reason = map_status(
        details(status_enum, status=status, pull_request=pull_request, output=output)
    )
    assert got is expected
    assert got_reason == reason


def test_every_documented_enum_is_in_the_table() -> None:
    covered = {case[1] for case in CASES}
    assert set(DOCUMENTED_ENUMS) <= covered
    assert {"stopped", None, "hibernating"} <= covered


@pytest.mark.parametrize("status_enum", (*DOCUMENTED_ENUMS, "stopped"))
def test_success_never_comes_without_a_pull_request(status_enum: str) -> None:
    status, _ = map_status(details(status_enum, output=TESTING_OUTPUT))
    assert status is not S.success


def test_blocked_waiting_for_input_is_not_terminal() -> None:
    status, _ = map_status(details("blocked"))
    assert status is S.blocked and not status.is_terminal


@pytest.mark.parametrize(
    ("status_enum", "expected"),
    [("finished", S.failed), ("expired", S.timeout), ("working", S.working)],
)
def test_unsuccessful_statuses_carry_a_reason(status_enum: str, expected: SessionStatus) -> None:
    status, reason = map_status(details(status_enum))
    assert status is expected
    assert (reason is None) == (status is S.working)


@pytest.mark.parametrize("status_enum", ["suspend_requested", "suspend_requested_frontend"])
def test_suspended_after_opening_the_pr_is_success(status_enum: str) -> None:
    assert map_status(details(status_enum, pull_request=PR, output=DONE_OUTPUT)) == (
        S.success,
        None,
    )


# -- SessionDetails parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        pytest.param({"current_step": "testing"}, {"current_step": "testing"}, id="object"),
        pytest.param(
            '{"current_step": "fixing", "progress_pct": 35}',
            {"current_step": "fixing", "progress_pct": 35},
            id="json-string",
        ),
        pytest.param(None, None, id="null"),
        pytest.param("null", None, id="json-null-string"),
        pytest.param(
            "Task completed successfully", {"raw": "Task completed successfully"}, id="non-json-string"
        ),
        pytest.param("", {"raw": ""}, id="empty-string"),
        pytest.param("[1, 2]", {"raw": [1, 2]}, id="json-array-string"),
        pytest.param(["a"], {"raw": ["a"]}, id="array"),
        pytest.param(7, {"raw": 7}, id="number"),
    ],
)
def test_structured_output_parsing(raw: Any, parsed: Any) -> None:
    assert details("working", output=raw).structured_output == parsed


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        pytest.param(PR, PR_URL, id="object"),
        pytest.param(None, None, id="null"),
        pytest.param(PR_URL, PR_URL, id="string"),
        pytest.param([PR, {"url": "https://github.com/acme/x/pull/1"}], PR_URL, id="list"),
        pytest.param([], None, id="empty-list"),
        pytest.param({}, None, id="empty-object"),
    ],
)
def test_pull_request_parsing(raw: Any, url: str | None) -> None:
    parsed = details("finished", pull_request=raw)
    assert (parsed.pull_request.url if parsed.pull_request else None) == url
    assert parsed.pr_url == url


def test_pull_request_object_keeps_extra_fields() -> None:
    parsed = details("finished", pull_request={"url": PR_URL, "state": "open"})
    assert parsed.pull_request is not None
    assert parsed.pull_request.model_extra == {"state": "open"}


def test_unknown_fields_are_kept() -> None:
    parsed = SessionDetails.model_validate(
        {
            "session_id": "devin-1",
            "status": "running",
            "requesting_user_email": "a@b.c",
            "acus_consumed": 3.5,
            "snapshot_id": None,
            "messages": [{"type": "devin_message", "message": "hi", "origin": "web"}],
        }
    )
    assert parsed.model_extra == {"requesting_user_email": "a@b.c", "snapshot_id": None}
    assert parsed.acus_consumed == 3.5  # read into its own field now (v2/v3 report it)
    assert parsed.messages[0].message == "hi"
    assert parsed.messages[0].model_extra == {"origin": "web"}
    dumped = parsed.model_dump()
    assert dumped["acus_consumed"] == 3.5


@pytest.mark.parametrize(
    ("value", "read"),
    [(3.5, 3.5), (7, 7.0), ("2.25", 2.25), (None, None), ("n/a", None), (-1, None), (True, None), ([], None)],
)
def test_acus_consumed_is_read_when_present_and_left_unknown_otherwise(
    value: object, read: float | None
) -> None:
    body = {"session_id": "devin-1", "status": "running"}
    assert SessionDetails.model_validate(body).acus_consumed is None  # v1 has no such field
    assert SessionDetails.model_validate({**body, "acus_consumed": value}).acus_consumed == read


def test_a_session_suspended_at_its_usage_limit_failed_with_that_reason() -> None:
    capped = details("suspend_requested", output={"current_step": "fixing"}, status="suspended")
    capped = capped.model_copy(update={"status_detail": "usage_limit_exceeded", "acus_consumed": 5.0})
    status, reason = map_status(capped)
    assert status is SessionStatus.failed
    assert reason == "the session was suspended (usage_limit_exceeded) after 5 ACUs before it finished"
    # A suspension for inactivity still waits (it may be resumed), as before.
    idle = capped.model_copy(update={"status_detail": "inactivity"})
    assert map_status(idle) == (SessionStatus.blocked, "the session is suspended")
    # Its pull request was open before the limit struck: the work is done.
    opened = details(
        "suspend_requested", output={"current_step": "creating_pr", "pr_url": PR_URL}
    ).model_copy(update={"status_detail": "usage_limit_exceeded"})
    assert map_status(opened) == (SessionStatus.success, None)


def test_minimal_details_default() -> None:
    parsed = SessionDetails.model_validate({"session_id": "devin-1"})
    assert parsed.status is None and parsed.status_enum is None
    assert parsed.messages == [] and parsed.tags is None
    assert parsed.pr_url is None


@pytest.mark.parametrize(
    ("pull_request", "output", "url"),
    [
        pytest.param(None, {"pr_url": PR_URL}, PR_URL, id="output-only"),
        pytest.param(None, json.dumps({"pr_url": PR_URL}), PR_URL, id="output-json-string"),
        pytest.param({"url": None}, {"pr_url": PR_URL}, PR_URL, id="pr-object-without-url"),
        pytest.param("", {"pr_url": PR_URL}, PR_URL, id="pr-empty-string"),
        pytest.param(
            {"url": "https://github.com/o/r/pull/9"},
            {"pr_url": PR_URL},
            "https://github.com/o/r/pull/9",
            id="pull_request-wins",
        ),
        pytest.param(None, {"pr_url": ""}, None, id="output-empty-url"),
        pytest.param(None, {"pr_url": 42}, None, id="output-url-not-text"),
        pytest.param(None, {"pr_url": None}, None, id="output-null-url"),
    ],
)
def test_pr_url_falls_back_to_structured_output(pull_request: Any, output: Any, url: str | None) -> None:
    assert details("blocked", pull_request=pull_request, output=output).pr_url == url
