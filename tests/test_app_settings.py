"""The Settings page (AppTest): admins change the settings file, every change is audited, and
nobody else can, not even by calling the callback."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.access.audit import read_audit
from tests.app_fixtures import (
    empty_runs_fixture,  # noqa: F401  (pytest fixture)
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import REPO
from tests.test_app_access import ADMIN, OPERATOR, REVIEWER, ROLES, VIEWER, call_as, signed_in
from ui.actions import settings_field_key
from ui.markup import md

SETTINGS_PAGE = "app_pages/settings.py"


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(path))
    monkeypatch.delenv("REQUIRE_AUTH", raising=False)
    return path


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_runs) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    path = tmp_path / "conf" / "patchwave.toml"
    monkeypatch.setenv("SETTINGS_FILE", str(path))
    for name in ("WAVE_SIZE", "MAX_RETRIES", "MIN_SUCCESS_RATE", "SERVICE_WEIGHTS"):
        monkeypatch.delenv(name, raising=False)
    return path


def _runs(settings_file: Path) -> Path:
    return settings_file.parent.parent / "runs"


def has_settings_page(at: AppTest) -> bool:
    try:
        at.switch_page(SETTINGS_PAGE)
    except ValueError:
        return False
    return True


def test_admin_changes_a_setting_and_it_is_audited(
    roles: Path, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = signed_in(ADMIN)
    assert has_settings_page(at)
    at.run()
    assert not at.exception, at.exception
    page = texts(at)
    assert str(settings_file) in page and "keep the settings they were launched with" in page
    assert "environment" in page and "wins" in page
    at.number_input(key=settings_field_key("wave_size")).set_value(4)
    at.number_input(key=settings_field_key("max_retries")).set_value(5)
    at.button(key="settings_save").click().run()
    assert not at.exception, at.exception
    assert any("wave_size" in s.value and "max_retries" in s.value for s in at.success), texts(at)
    data = tomllib.loads(settings_file.read_text())
    assert (data["wave_size"], data["max_retries"]) == (4, 5)
    assert "service_weights" not in data  # untouched table: not written
    [entry] = read_audit(_runs(settings_file))
    assert (entry.actor, entry.action, entry.target) == (ADMIN, "change_settings", "patchwave.toml")
    assert entry.details == {"wave_size": {"old": 10, "new": 4}, "max_retries": {"old": 2, "new": 5}}

    # the page now shows the file as the source; an environment value wins and is flagged
    monkeypatch.setenv("WAVE_SIZE", "7")
    at.run()
    table = at.dataframe[0].value.set_index("key")
    assert table.loc["wave_size", "from"] == "environment" and table.loc["wave_size", "value"] == "7"
    assert table.loc["max_retries", "from"] == "settings file"
    assert table.loc["wave_size", "setting"] == "Wave size"  # a label, the key beside it
    at.number_input(key=settings_field_key("wave_size")).set_value(3)
    at.button(key="settings_save").click().run()
    assert any("wins over the settings file" in w.value for w in at.warning)
    assert tomllib.loads(settings_file.read_text())["wave_size"] == 3


def test_admin_sees_the_engines_refusal(roles: Path, settings_file: Path) -> None:
    at = call_as(ADMIN, "change_settings", {"wave_size": 0})
    assert any("Settings not saved" in e.value and md("wave_size") in e.value for e in at.error)
    assert not settings_file.exists()
    at = call_as(ADMIN, "change_settings", {"devin_api_key": "sk-x"})
    assert any("cannot be changed from the app" in e.value for e in at.error)
    assert not settings_file.exists() and read_audit(_runs(settings_file)) == []


@pytest.mark.parametrize("email", [VIEWER, OPERATOR, REVIEWER])
def test_others_have_no_settings_page_and_the_callback_refuses(
    roles: Path, settings_file: Path, email: str
) -> None:
    at = signed_in(email)
    assert not has_settings_page(at)
    at = call_as(email, "change_settings", {"wave_size": 4})
    assert any("Not allowed" in e.value for e in at.error)
    at = call_as(email, "change_settings")  # the form's path too
    assert any("Not allowed" in e.value for e in at.error)
    assert not settings_file.exists()
    assert read_audit(_runs(settings_file)) == []


def test_the_page_itself_refuses_a_non_admin(roles: Path, settings_file: Path) -> None:
    at = AppTest.from_file(str(REPO / SETTINGS_PAGE), default_timeout=30)
    at.secrets["auth"] = {"client_id": "x"}
    at.user = {"is_logged_in": True, "email": VIEWER, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    assert any("Only admins" in e.value for e in at.error)
    assert not at.number_input
