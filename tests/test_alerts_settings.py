"""The alert settings (defaults, validation, secrecy, kept out of the settings file) and the
webhook signature scheme, checked against an independent HMAC computation."""

from __future__ import annotations

import hashlib
import hmac
import os
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.access.roles import Identity, Role
from engine.alerts import AlertSender, sign, verify_signature
from engine.core.errors import BadInputError
from engine.settings.environment import Settings, describe_invalid_settings
from engine.settings.file import EDITABLE, save_settings

SECRET = "whsec-settings-0b9e"
SLACK_URL = "https://hooks.slack.example/services/T0/B0/slackpathsecret42"
ADMIN = Identity(email="ana@acme.com", name="Ana", role=Role.admin, authenticated=True)
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


def test_defaults(clean_env: Path) -> None:
    s = Settings()
    assert s.alert_webhook_url is None and s.alert_webhook_secret is None and s.slack_webhook_url is None
    assert (s.alert_retries, s.alert_timeout_seconds) == (3, 5.0)
    assert not AlertSender.from_settings(s).enabled


def test_read_from_the_environment_and_never_shown(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "https://hooks.example/in")
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", SLACK_URL)
    monkeypatch.setenv("ALERT_RETRIES", "0")
    monkeypatch.setenv("ALERT_TIMEOUT_SECONDS", "1.5")
    s = Settings()
    assert s.alert_webhook_url == "https://hooks.example/in"
    assert s.alert_webhook_secret is not None and s.alert_webhook_secret.get_secret_value() == SECRET
    assert (s.alert_retries, s.alert_timeout_seconds) == (0, 1.5)
    for shown in (repr(s), str(s), s.model_dump_json()):
        assert SECRET not in shown and "slackpathsecret42" not in shown
    sender = AlertSender.from_settings(s)
    assert sender.channels == ("slack", "webhook")
    assert SECRET not in repr(sender) and "slackpathsecret42" not in repr(sender)


@pytest.mark.parametrize(
    ("name", "value"), [("alert_retries", -1), ("alert_timeout_seconds", 0), ("alert_timeout_seconds", -2)]
)
def test_invalid_values_are_described(clean_env: Path, name: str, value: float) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**{name: value})
    assert describe_invalid_settings(info.value).startswith(f"{name}: ")


def test_the_secret_never_comes_from_or_goes_to_the_settings_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not any(name.startswith(("alert_", "slack_")) for name in EDITABLE)
    path = clean_env / "patchwave.toml"
    monkeypatch.setenv("SETTINGS_FILE", str(path))
    with pytest.raises(BadInputError, match="alert_webhook_secret"):
        save_settings(path, {"alert_webhook_secret": "x", "wave_size": 4}, ADMIN, clean_env / "runs")
    assert not path.exists()
    path.write_text(f'alert_webhook_secret = "{SECRET}"\nalert_webhook_url = "http://evil"\nwave_size = 4\n')
    s = Settings()
    assert s.alert_webhook_secret is None and s.alert_webhook_url is None and s.wave_size == 4
    save_settings(path, {"max_retries": 1}, ADMIN, clean_env / "runs")
    written = path.read_text()
    assert SECRET not in written and "evil" not in written
    assert set(tomllib.loads(written)) <= set(EDITABLE)


# -- the signature scheme -------------------------------------------------------------------


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id":"abc","kind":"run_completed"}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET, 1700000000) == f"sha256={expected}"
    assert sign(body, SECRET, 1700000001) != sign(body, SECRET, 1700000000)
    assert sign(body, SECRET + "x", 1700000000) != sign(body, SECRET, 1700000000)


def test_verify_signature_window_and_inputs() -> None:
    body = b'{"hello":"world"}'
    signature = sign(body, SECRET, 1700000000)
    assert verify_signature(body, SECRET, "1700000000", signature, 1700000000)
    assert verify_signature(body.decode(), SECRET, " 1700000000 ", f" {signature} ", 1700000100)
    assert verify_signature(body, SECRET, "1700000000", signature, 1700000060, tolerance_seconds=60)
    assert not verify_signature(body, SECRET, "1700000000", signature, 1700000061, tolerance_seconds=60)
    assert not verify_signature(body, "", "1700000000", signature, 1700000000)
    assert not verify_signature(body, SECRET, "9" * 40, signature, 1700000000)
    assert not verify_signature(body, SECRET, "1700000000", signature.upper(), 1700000000)
    assert not verify_signature(body, SECRET, "1700000000", signature, None)  # today is long after 2023
