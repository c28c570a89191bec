"""Sign-in, roles and the audit trail in the app (AppTest; login simulated with `at.secrets`
and `at.user`, roles from a file named by ROLES_FILE)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.access.audit import read_audit
from engine.core.models import RunStatus
from engine.runs.index import read_index
from engine.runs.state_store import load_state
from tests.app_fixtures import (
    APP,
    COMPLETED,
    PAGES,
    RUNNING,
    app_runs_fixture,  # noqa: F401  (pytest fixture)
    copy_run,
    decisions_of,
    empty_runs_fixture,  # noqa: F401  (pytest fixture)
    stop_if_alive,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
    wait_for,
)
from tests.engine_helpers import SAMPLE, cli
from ui.components import code, md
from ui.identity import AUTH_OFF_NOTICE

AUDIT = "app_pages/audit.py"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "patchwave-test",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}
ROLES = """
default_role = "viewer"

[users]
"ana@acme.com" = "admin"
"rey@acme.com" = "reviewer"
"ops@acme.com" = "operator"
"""
ADMIN, REVIEWER, OPERATOR, VIEWER = "ana@acme.com", "rey@acme.com", "ops@acme.com", "val@acme.com"
READ_PAGES = {"overview", "findings", "sessions", "history", "roi", "ops", "eval", "memory"}


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(path))
    monkeypatch.delenv("REQUIRE_AUTH", raising=False)
    return path


@pytest.fixture
def fresh_runs(tmp_path: Path) -> Iterator[Path]:
    runs = tmp_path / "runs"
    runs.mkdir()
    yield runs
    for entry in read_index(runs).runs:
        stop_if_alive(runs, entry.run_id)


def signed_in(email: str | None, run_id: str | None = None, **claims: object) -> AppTest:
    """The app with login configured and `email` signed in (None: nobody signed in). The provider
    vouches for the e-mail (`email_verified: true`) unless `claims` say otherwise; a claim given
    as None is left out of the token."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    if email is None:
        at.user = {"is_logged_in": False}
    else:
        token = {"is_logged_in": True, "email": email, "email_verified": True, **claims}
        at.user = {k: v for k, v in token.items() if v is not None}
    if run_id is not None:
        at.query_params["run"] = run_id
    at.run()
    assert not at.exception, at.exception
    return at


def offered(at: AppTest) -> set[str]:
    """The pages the navigation registered for this user."""
    names = {**PAGES, "audit": AUDIT}
    found = set()
    for name, path in names.items():
        try:
            at.switch_page(path)
        except ValueError:
            continue
        found.add(name)
    return found


def said(at: AppTest) -> str:
    return texts(at)


# --- navigation by role --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "extra"),
    [
        (VIEWER, set()),
        (OPERATOR, {"launch"}),
        (REVIEWER, {"launch", "review"}),
        (ADMIN, {"launch", "review", "audit"}),
    ],
)
def test_each_role_sees_only_its_pages(
    empty_runs: Path, use_runs, roles: Path, email: str, extra: set
) -> None:
    use_runs(empty_runs)
    at = signed_in(email)
    assert offered(at) == READ_PAGES | extra
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert code(email) in sidebar
    assert AUTH_OFF_NOTICE not in said(at)
    # the empty state offers a demo launch only to those who may launch
    assert any(b.label == "Start demo run" for b in at.button) == ("launch" in extra)


def test_nobody_signed_in_gets_only_a_login_button(empty_runs: Path, use_runs, roles: Path) -> None:
    use_runs(empty_runs)
    at = signed_in(None)
    assert [b.label for b in at.button] == ["Log in"]
    assert "Sign in" in said(at)
    assert "Runs folder" not in said(at)


def test_without_auth_everyone_is_a_local_admin_with_a_notice(
    empty_runs: Path, use_runs, roles: Path
) -> None:
    use_runs(empty_runs)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert any(w.value == AUTH_OFF_NOTICE for w in at.sidebar.warning)
    assert offered(at) == READ_PAGES | {"launch", "review", "audit"}


def test_require_auth_refuses_to_serve_without_auth(
    empty_runs: Path, use_runs, roles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_runs(empty_runs)
    monkeypatch.setenv("REQUIRE_AUTH", "true")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "[auth]" in error.value and ".streamlit/secrets.toml" in error.value
    assert not at.button and "Runs folder" not in said(at)
    # with login configured, the same setting serves the signed-in user
    at = signed_in(ADMIN)
    assert not at.error and "Runs folder" in said(at)


def test_a_bad_roles_file_stops_the_app_with_its_name(empty_runs: Path, use_runs, roles: Path) -> None:
    use_runs(empty_runs)
    roles.write_text('[users]\n"ana@acme.com" = "owner"\n')
    at = signed_in(ADMIN)
    assert any(md(roles) in e.value and "owner" in e.value for e in at.error)
    assert "Runs folder" not in said(at)


# --- the server-side checks ----------------------------------------------------------------------


def _call(action: str, args: tuple) -> None:
    """A tiny app that calls one ui.actions callback directly, then shows what it said."""
    import streamlit as st

    from ui import action_guard, actions, ledger_actions, memory_actions, policy_actions

    modules = (actions, ledger_actions, policy_actions, memory_actions)
    module = next(m for m in modules if hasattr(m, action))
    getattr(module, action)(*args)
    for kind, text in action_guard.take_messages():
        getattr(st, kind)(text)


def call_as(email: str, action: str, *args: object) -> AppTest:
    at = AppTest.from_function(_call, args=(action, args), default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.slow
def test_a_viewer_cannot_approve_even_by_calling_the_callback(
    app_runs: Path, use_runs, roles: Path, tmp_path: Path
) -> None:
    runs = copy_run(app_runs, COMPLETED, tmp_path / "runs")
    use_runs(runs)
    before = decisions_of(runs, COMPLETED)
    pr = next(s for s in load_state(runs / COMPLETED / "state.json").sessions if s.pull_request_url)
    at = call_as(VIEWER, "decide", COMPLETED, pr.finding_id, pr.attempt, "approved")
    assert decisions_of(runs, COMPLETED) == before
    assert any("may not review" in e.value and "viewer" in e.value for e in at.error)
    assert read_audit(runs) == []
    # an operator may launch but not review either
    at = call_as(OPERATOR, "decide", COMPLETED, pr.finding_id, pr.attempt, "rejected")
    assert decisions_of(runs, COMPLETED) == before and at.error


def test_a_viewer_cannot_launch_stop_or_resume_by_calling_the_callbacks(
    fresh_runs: Path, use_runs, roles: Path
) -> None:
    use_runs(fresh_runs)
    for action, args in (("start_demo", ("demo-by-viewer",)), ("stop", ("x",)), ("resume", ("x",))):
        at = call_as(VIEWER, action, *args)
        assert any("Not allowed" in e.value and "viewer" in e.value for e in at.error), action
    assert read_index(fresh_runs).runs == []
    assert not (fresh_runs / "demo-by-viewer").exists()
    assert read_audit(fresh_runs) == []


def test_signed_out_callbacks_are_refused(fresh_runs: Path, use_runs, roles: Path) -> None:
    use_runs(fresh_runs)
    at = AppTest.from_function(_call, args=("start_demo", ("demo-anon",)), default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": False}
    at.run()
    assert any("Sign in" in e.value for e in at.error)
    assert read_index(fresh_runs).runs == []


@pytest.mark.slow
def test_a_viewer_sees_no_stop_button(app_runs: Path, use_runs, roles: Path) -> None:
    use_runs(app_runs)
    at = signed_in(VIEWER, RUNNING)
    assert "**Running**" in said(at)  # the live banner
    assert not any(b.label == "Stop run" for b in at.button)
    at = signed_in(OPERATOR, RUNNING)
    assert any(b.label == "Stop run" for b in at.button)


# --- reviews carry the signed-in e-mail; the audit trail --------------------------------------------


@pytest.mark.slow
def test_review_decisions_carry_the_signed_in_email_and_are_audited(
    app_runs: Path, use_runs, roles: Path, tmp_path: Path
) -> None:
    runs = copy_run(app_runs, COMPLETED, tmp_path / "runs")
    use_runs(runs)
    at = signed_in(REVIEWER, COMPLETED)
    at.switch_page(PAGES["review"]).run()
    assert f"Reviewing as :material/person: **{md(REVIEWER)}**" in said(at)
    approve = next(b for b in at.button if b.label == "Approve")
    finding_id, attempt = approve.key.split("::")[1:]
    approve.click().run()
    assert not at.exception, at.exception
    latest = decisions_of(runs, COMPLETED)[-1]
    assert (latest.reviewer, latest.finding_id, latest.decision) == (REVIEWER, finding_id, "approved")
    [entry] = read_audit(runs)
    assert (entry.actor, entry.role, entry.action, entry.target) == (
        REVIEWER,
        "reviewer",
        "review",
        COMPLETED,
    )
    assert entry.details == {"finding_id": finding_id, "attempt": int(attempt), "decision": "approved"}

    # the admin reads it on the Audit page; the reviewer has no such page
    assert "audit" not in offered(at)
    admin = signed_in(ADMIN, COMPLETED)
    admin.switch_page(AUDIT).run()
    assert not admin.exception, admin.exception
    table = admin.dataframe[0].value
    assert list(table["actor"]) == [REVIEWER] and list(table["action"]) == ["review"]
    assert admin.download_button(key="audit_download").label == "Download CSV"


@pytest.mark.slow
def test_launch_stop_and_resume_are_audited(fresh_runs: Path, use_runs, roles: Path) -> None:
    use_runs(fresh_runs)
    at = signed_in(OPERATOR)
    at.button(key="demo_empty").click().run()
    assert not at.exception, at.exception
    [demo] = [e.run_id for e in read_index(fresh_runs).runs]

    done = cli(fresh_runs, "run", str(SAMPLE), "--detach", "--speed", "1", "--run-id", "live")
    assert done.returncode == 0, done.stderr
    state = fresh_runs / "live" / "state.json"
    wait_for(lambda: state.exists() and load_state(state).status == RunStatus.running)
    at = signed_in(OPERATOR, "live")
    at.button(key="overview_stop").click().run()
    assert not at.exception, at.exception
    wait_for(lambda: load_state(state).status != RunStatus.running, 30)
    at.run()
    at.button(key="overview_resume").click().run()
    assert not at.exception, at.exception
    assert any("resumed" in s.value for s in at.success)

    entries = read_audit(fresh_runs)
    assert [(e.action, e.target) for e in entries] == [("launch", demo), ("stop", "live"), ("resume", "live")]
    assert {e.actor for e in entries} == {OPERATOR} and {e.role for e in entries} == {"operator"}
    assert entries[0].details["demo"] is True


def test_the_local_admin_reviews_as_user_at_localhost(empty_runs: Path, use_runs, roles: Path) -> None:
    use_runs(empty_runs)
    from ui.identity import local_admin

    assert local_admin().email == f"{getpass.getuser()}@localhost"
    assert local_admin().role.name == "admin"
