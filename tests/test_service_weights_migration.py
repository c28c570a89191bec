"""Service importance lives in the services file only: service weights an earlier version read
from SERVICE_WEIGHTS / DEFAULT_SERVICE_WEIGHT (environment, `.env` or the settings file) move
there once, with one warning naming what moved where; nothing is dropped silently."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

import pytest

from engine.launch.planner import PlanOptions, plan_run
from engine.policy import ServiceCatalog, ServiceProfile, load_services, save_services
from engine.policy.weights_migration import migrate_service_weights, services_catalog
from engine.settings.environment import Settings
from tests.app_fixtures import open_page, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.engine_helpers import SAMPLE, cli


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose settings come only from what each test writes."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.upper() in {name.upper() for name in Settings.model_fields} | {
            "SERVICE_WEIGHTS",
            "DEFAULT_SERVICE_WEIGHT",
        }:
            monkeypatch.delenv(key)
    monkeypatch.setenv("SETTINGS_FILE", str(tmp_path / "patchwave.toml"))
    monkeypatch.setenv("SERVICES_FILE", str(tmp_path / "services.toml"))
    return tmp_path


def test_weights_from_the_environment_move_once_with_one_warning(
    folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SERVICE_WEIGHTS", '{"payment-service": 20, "user-service": 15, "wiki": 1}')
    monkeypatch.setenv("DEFAULT_SERVICE_WEIGHT", "8")
    with caplog.at_level(logging.WARNING):
        message = migrate_service_weights(Settings())
    assert message is not None
    assert "services.toml" in message and "environment" in message
    assert "payment-service (weight 20 -> importance 100)" in message
    assert "default_importance 40" in message
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [message]
    catalog = load_services(folder / "services.toml")
    assert {p.name: p.importance for p in catalog.profiles} == {
        "payment-service": 100,
        "user-service": 75,
        "wiki": 5,
    }
    assert catalog.default_importance == 40 and catalog.importance("unlisted") == 40
    # Once: the same settings again move nothing and say nothing.
    caplog.clear()
    assert migrate_service_weights(Settings()) is None
    assert not caplog.records
    # The score follows the services file.
    plan = plan_run(SAMPLE.read_bytes(), SAMPLE.name, PlanOptions(wave_size=10, services=catalog))
    first = plan.findings[0]
    assert (first.service_name, first.priority.service_importance) == ("payment-service", 35)


def test_weights_from_dotenv_move_too(folder: Path) -> None:
    (folder / ".env").write_text('SERVICE_WEIGHTS={"billing": 12}\n')
    message = migrate_service_weights(Settings())
    assert message is not None and ".env" in message and "billing (weight 12 -> importance 60)" in message
    assert load_services(folder / "services.toml").importance("Billing") == 60


def test_weights_in_the_settings_file_move_and_leave_it(folder: Path) -> None:
    settings_file = folder / "patchwave.toml"
    settings_file.write_text(
        'wave_size = 4\ndefault_service_weight = 10\n\n[service_weights]\n"payment-service" = 20\n'
    )
    message = migrate_service_weights(Settings())
    assert message is not None
    assert "payment-service (weight 20 -> importance 100)" in message
    assert f"removed from {settings_file}" in message
    assert "no longer read" not in message  # nothing left to remove by hand
    assert tomllib.loads(settings_file.read_text()) == {"wave_size": 4}
    assert Settings().wave_size == 4
    assert load_services(folder / "services.toml").default_importance == 50
    assert migrate_service_weights(Settings()) is None


def test_the_services_file_wins_over_an_old_weight(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_services(
        folder / "services.toml",
        ServiceCatalog(profiles=(ServiceProfile(name="payment-service", importance=25),)),
    )
    monkeypatch.setenv("SERVICE_WEIGHTS", '{"Payment-Service": 20, "search": 10}')
    message = migrate_service_weights(Settings())
    assert message is not None and "search (weight 10 -> importance 50)" in message
    assert "Payment-Service" not in message
    catalog = services_catalog(Settings())
    assert (catalog.importance("payment-service"), catalog.importance("search")) == (25, 50)


def test_an_unreadable_weight_is_named_every_time_and_nothing_moves(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_WEIGHTS", "payment-service=20")
    for _ in range(2):
        message = migrate_service_weights(Settings())
        assert message is not None and "SERVICE_WEIGHTS (environment) was not moved: not JSON" in message
    assert not (folder / "services.toml").exists()


@pytest.mark.slow
def test_plan_says_once_on_the_command_line(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    services = tmp_path / "services.toml"
    env = {"SERVICE_WEIGHTS": '{"payment-service": 20}', "SERVICES_FILE": str(services)}
    first = cli(runs, "plan", str(SAMPLE), "--no-ledger", **env)
    assert first.returncode == 0, first.stderr
    assert "service weights moved to the services file" in first.stderr
    assert "remove them from the environment" in first.stderr
    assert load_services(services).importance("payment-service") == 100
    again = cli(runs, "plan", str(SAMPLE), "--no-ledger", **env)
    assert again.returncode == 0 and "service weights" not in again.stderr


@pytest.mark.slow
def test_the_app_says_once_what_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_runs) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    monkeypatch.setenv("SETTINGS_FILE", str(tmp_path / "patchwave.toml"))
    monkeypatch.setenv("SERVICE_WEIGHTS", '{"payment-service": 20}')
    first = open_page("overview")
    warnings = [w.value for w in first.warning]
    assert any("service weights moved to the services file" in w for w in warnings), warnings
    assert load_services(runs / ".no-services-file.toml").importance("payment-service") == 100
    again = open_page("overview")
    assert not any("service weights" in w.value for w in again.warning)
