"""The app-editable settings file: precedence, validation, secrets, audit and concurrent saves."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.access.audit import read_audit
from engine.access.roles import Identity, Role
from engine.core.errors import BadInputError, PermissionDeniedError
from engine.settings.environment import Settings, load_settings
from engine.settings.file import EDITABLE, SettingsFileError, origins, read_settings_file, save_settings
from tests.engine_helpers import REPO

ADMIN = Identity(email="ana@acme.com", name="Ana", role=Role.admin, authenticated=True)
VIEWER = Identity(email="val@acme.com", name=None, role=Role.viewer, authenticated=True)
_SETTING_VARS = {name.upper() for name in Settings.model_fields}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from the caller's environment; a working folder without `.env`."""
    for name in os.environ:
        if name.upper() in _SETTING_VARS:
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def settings_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = clean_env / "conf" / "patchwave.toml"
    monkeypatch.setenv("SETTINGS_FILE", str(path))
    return path


def test_default_path_is_read_from_the_working_folder(clean_env: Path) -> None:
    assert Settings().settings_file == Path("./patchwave.toml")
    (clean_env / "patchwave.toml").write_text("wave_size = 4\n")
    assert Settings().wave_size == 4


def test_precedence_flag_then_env_then_dotenv_then_file_then_default(
    settings_file: Path, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().wave_size == 10
    save_settings(settings_file, {"wave_size": 3, "max_retries": 5}, ADMIN, clean_env / "runs")
    s = Settings()
    assert (s.wave_size, s.max_retries) == (3, 5)
    assert origins()["wave_size"] == "settings file" and origins()["min_success_rate"] == "default"
    (clean_env / ".env").write_text("WAVE_SIZE=6\n")
    assert Settings().wave_size == 6 and origins()["wave_size"] == ".env"
    monkeypatch.setenv("WAVE_SIZE", "7")
    assert Settings().wave_size == 7 and origins()["wave_size"] == "environment"
    assert load_settings(wave_size=8).wave_size == 8
    assert Settings().max_retries == 5


def test_settings_file_path_from_dotenv_and_keyword(clean_env: Path) -> None:
    (clean_env / "a.toml").write_text("wave_size = 2\n")
    (clean_env / "b.toml").write_text("wave_size = 9\n")
    (clean_env / ".env").write_text("SETTINGS_FILE=a.toml\n")
    assert Settings().wave_size == 2
    assert Settings(settings_file=clean_env / "b.toml").wave_size == 9


def test_retired_service_weights_cannot_be_saved(settings_file: Path, clean_env: Path) -> None:
    """Service importance lives in the services file; the settings file no longer takes weights."""
    with pytest.raises(BadInputError, match="cannot be changed from the app: service_weights"):
        save_settings(settings_file, {"service_weights": {"payment-service": 30}}, ADMIN, clean_env / "runs")
    assert not settings_file.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"wave_size": 0}, "wave_size"),
        ({"min_success_rate": 1.5}, "min_success_rate"),
        ({"max_retries": "many"}, "max_retries"),
        ({"poll_interval_seconds": 0}, "poll_interval_seconds"),
        ({"service_weights": {"a": "heavy"}}, "service_weights"),
        ({"wave_size": 4, "max_parallel_sessions": 5000}, "max_parallel_sessions"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    settings_file: Path, clean_env: Path, changes: dict, field: str
) -> None:
    runs = clean_env / "runs"
    with pytest.raises(BadInputError, match=field):
        save_settings(settings_file, changes, ADMIN, runs)
    assert not settings_file.exists()
    assert read_audit(runs) == []
    # and an existing file is left as it was
    save_settings(settings_file, {"max_retries": 3}, ADMIN, runs)
    before = settings_file.read_bytes()
    with pytest.raises(BadInputError, match=field):
        save_settings(settings_file, changes, ADMIN, runs)
    assert settings_file.read_bytes() == before
    assert len(read_audit(runs)) == 1


@pytest.mark.parametrize(
    "name", ["devin_api_key", "devin_api_base_url", "roles_file", "require_auth", "slack_webhook_url"]
)
def test_secrets_and_protected_settings_are_never_written_or_read(
    settings_file: Path, clean_env: Path, name: str
) -> None:
    with pytest.raises(BadInputError, match=name):
        save_settings(settings_file, {name: "x", "wave_size": 4}, ADMIN, clean_env / "runs")
    assert not settings_file.exists()
    # a hand-edited file cannot set them either, and saving drops them
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(
        'devin_api_key = "sk-secret"\ndevin_api_base_url = "http://evil"\nrequire_auth = false\n'
        'roles_file = "/tmp/x.toml"\nslack_webhook_url = "http://hook"\nwave_size = 4\n'
    )
    s = Settings()
    assert s.devin_api_key is None and s.devin_api_base_url == "https://api.devin.ai/v1"
    assert s.roles_file == Path("./roles.toml") and s.slack_webhook_url is None and s.wave_size == 4
    save_settings(settings_file, {"max_retries": 1}, ADMIN, clean_env / "runs")
    written = settings_file.read_text()
    assert "sk-secret" not in written and "evil" not in written and "hook" not in written
    assert set(tomllib.loads(written)) <= set(EDITABLE)
    assert not any(word in key for key in EDITABLE for word in ("key", "secret", "token"))


def test_a_change_is_audited_with_old_and_new(settings_file: Path, clean_env: Path) -> None:
    runs = clean_env / "runs"
    done = save_settings(settings_file, {"wave_size": 4, "max_retries": 2}, ADMIN, runs)
    assert done == {"wave_size": (10, 4)}  # max_retries was already 2: not a change
    done = save_settings(settings_file, {"wave_size": 5, "min_success_rate": 0.5}, ADMIN, runs)
    assert done == {"wave_size": (4, 5), "min_success_rate": (0.7, 0.5)}
    assert save_settings(settings_file, {"wave_size": 5}, ADMIN, runs) == {}
    first, second = read_audit(runs)
    assert (second.actor, second.role, second.action, second.target) == (
        ADMIN.email,
        "admin",
        "change_settings",
        "patchwave.toml",
    )
    assert first.details == {"wave_size": {"old": 10, "new": 4}}
    assert second.details == {
        "wave_size": {"old": 4, "new": 5},
        "min_success_rate": {"old": 0.7, "new": 0.5},
    }


def test_a_viewer_cannot_save(settings_file: Path, clean_env: Path) -> None:
    with pytest.raises(PermissionDeniedError):
        save_settings(settings_file, {"wave_size": 4}, VIEWER, clean_env / "runs")
    assert not settings_file.exists()


def test_an_unreadable_file_is_named(settings_file: Path) -> None:
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("wave_size = = 3\n")
    with pytest.raises(SettingsFileError, match=str(settings_file)):
        Settings()
    with pytest.raises(SettingsFileError):
        read_settings_file(settings_file)


_SAVER = """
import sys
from pathlib import Path
from engine.access.roles import Identity, Role
from engine.settings.file import save_settings

path, runs, field, start = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
who = Identity(email=field + "@acme.com", name=None, role=Role.admin, authenticated=True)
for i in range(15):
    save_settings(path, {field: start + i}, who, runs)
"""


def test_concurrent_saves_from_two_processes_are_all_kept(settings_file: Path, clean_env: Path) -> None:
    runs = clean_env / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(settings_file), str(runs), field, str(start)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for field, start in (("wave_size", 100), ("max_acu_per_session", 200))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    entries = read_audit(runs)
    assert len(entries) == 30
    assert sorted(e.details["wave_size"]["new"] for e in entries if "wave_size" in e.details) == list(
        range(100, 115)
    )
    data = tomllib.loads(settings_file.read_text())
    assert (data["wave_size"], data["max_acu_per_session"]) == (114, 214)
