"""Sign-in gives a role only to an e-mail address the provider vouches for (`email_verified`):
an explicit false is always refused, a missing claim unless ALLOW_MISSING_EMAIL_VERIFIED is on.
AppTest, login simulated with `at.secrets` and `at.user`."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.access.roles import EmailClaim, email_claim
from engine.runs.index import read_index
from tests.app_fixtures import (
    empty_runs_fixture,  # noqa: F401  (pytest fixture)
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.test_app_access import ADMIN, AUTH, READ_PAGES, ROLES, _call, offered, signed_in
from ui.identity import UNSTATED_EMAIL, UNVERIFIED_EMAIL

ADMIN_PAGES = READ_PAGES | {"launch", "review", "audit"}


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(path))
    for name in ("REQUIRE_AUTH", "ALLOW_MISSING_EMAIL_VERIFIED"):
        monkeypatch.delenv(name, raising=False)
    return path


def assert_refused(at: AppTest, message: str) -> None:
    """A full-page refusal: the message and a way to log out, nothing else."""
    assert [e.value for e in at.error] == [message]
    assert [b.label for b in at.button] == ["Log out"]
    assert not at.sidebar.caption and not at.sidebar.warning
    assert "Runs folder" not in texts(at)
    assert not at.metric and not at.dataframe


@pytest.mark.parametrize(
    ("value", "claim"),
    [
        (True, EmailClaim.verified),
        ("true", EmailClaim.verified),
        ("TRUE", EmailClaim.verified),
        (False, EmailClaim.unverified),
        ("false", EmailClaim.unverified),
        ("", EmailClaim.unverified),
        ("yes", EmailClaim.unverified),
        (1, EmailClaim.unverified),
        (None, EmailClaim.absent),
    ],
)
def test_email_claim_reads_the_providers_value(value: object, claim: EmailClaim) -> None:
    assert email_claim(value) is claim


@pytest.mark.parametrize("value", [False, "false"])
def test_an_unverified_email_gets_no_role_and_sees_nothing(
    empty_runs: Path, use_runs, roles: Path, value: object
) -> None:
    use_runs(empty_runs)
    at = signed_in(ADMIN, email_verified=value)  # an admin in the roles file
    assert not at.exception, at.exception
    assert_refused(at, UNVERIFIED_EMAIL)


def test_an_explicit_false_is_refused_even_when_a_missing_claim_is_allowed(
    empty_runs: Path, use_runs, roles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_runs(empty_runs)
    monkeypatch.setenv("ALLOW_MISSING_EMAIL_VERIFIED", "true")
    assert_refused(signed_in(ADMIN, email_verified=False), UNVERIFIED_EMAIL)


def test_a_missing_claim_is_refused_by_default_and_admitted_when_allowed(
    empty_runs: Path, use_runs, roles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_runs(empty_runs)
    at = signed_in(ADMIN, email_verified=None)  # the token has no email_verified claim
    assert_refused(at, UNSTATED_EMAIL)
    assert "ALLOW_MISSING_EMAIL_VERIFIED=true" in UNSTATED_EMAIL

    monkeypatch.setenv("ALLOW_MISSING_EMAIL_VERIFIED", "true")
    at = signed_in(ADMIN, email_verified=None)
    assert not at.error
    assert offered(at) == ADMIN_PAGES


@pytest.mark.parametrize("value", [True, "true"])
def test_a_verified_email_gets_its_role(empty_runs: Path, use_runs, roles: Path, value: object) -> None:
    use_runs(empty_runs)
    at = signed_in(ADMIN, email_verified=value)
    assert not at.error
    assert offered(at) == ADMIN_PAGES
    assert "admin" in "\n".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("value", [False, None])
def test_callbacks_refuse_an_email_the_provider_does_not_vouch_for(
    tmp_path: Path, use_runs, roles: Path, value: object
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    at = AppTest.from_function(_call, args=("start_demo", ("demo-unverified",)), default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    token = {"is_logged_in": True, "email": ADMIN, "email_verified": value}
    at.user = {k: v for k, v in token.items() if v is not None}
    at.run()
    assert not at.exception, at.exception
    assert any("Sign in" in e.value for e in at.error)
    assert read_index(runs).runs == []
    assert not (runs / "demo-unverified").exists()
