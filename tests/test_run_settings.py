"""One declaration of the run settings (engine/settings/run_settings.py): the settings, the run's frozen
config, the command line, the Launch form and the Settings page all offer every run setting
with the same range and default."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from engine.cli.main import cli
from engine.core.models import RunConfig
from engine.launch.control import DEMO_GATE_SUCCESS_RATE, DEMO_SEED, DEMO_STORY, build_config, demo_settings
from engine.settings import run_settings
from engine.settings.environment import Settings
from engine.settings.file import EDITABLE
from engine.settings.run_settings import RUN_SETTINGS, RunSettings
from tests.app_fixtures import open_page, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.engine_helpers import SAMPLE
from ui.actions import launch_key, settings_field_key

# A value in range and unlike the default, per setting.
OTHER_VALUES = {
    "wave_size": 7,
    "max_parallel_sessions": 3,
    "max_acu_per_session": 9,
    "poll_interval_seconds": 2.5,
    "session_timeout_minutes": 12.0,
    "min_success_rate": 0.4,
    "max_retries": 5,
    "speed": 20.0,
    "seed": 99,
    "sim_failure_rate": 0.5,
    "sim_fault_rate": 0.25,
    "sim_stall_rate": 0.3,
    "sim_rate_limit": 1.5,
    "sim_rate_burst": 4,
    "max_prs_awaiting_review": 20,
    "max_prs_awaiting_review_per_service": 5,
    "stall_minutes": 7.5,
    "breaker_failure_threshold": 8,
    "breaker_cooldown_seconds": 4.0,
    "api_unavailable_horizon_minutes": 12.5,
}


def test_every_run_setting_has_a_test_value() -> None:
    assert set(OTHER_VALUES) == set(RUN_SETTINGS)


@pytest.mark.parametrize("model", [Settings, RunConfig])
def test_settings_and_the_run_config_inherit_each_declaration(model: type) -> None:
    for name in RUN_SETTINGS:
        declared, field = RunSettings.model_fields[name], model.model_fields[name]
        assert (field.annotation, field.default, field.metadata) == (
            declared.annotation,
            declared.default,
            declared.metadata,
        ), name


def test_the_run_config_is_every_run_setting_in_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVIN_API_KEY", raising=False)
    config = build_config(Settings(**OTHER_VALUES), live=False)
    assert {name: getattr(config, name) for name in RUN_SETTINGS} == OTHER_VALUES
    assert RunConfig.model_validate_json(config.model_dump_json()) == config


def test_the_run_config_checks_each_range() -> None:
    with pytest.raises(ValueError, match="max_parallel_sessions"):
        RunConfig(data_source="simulated", max_parallel_sessions=0)
    with pytest.raises(ValueError, match="speed"):
        RunConfig(data_source="simulated", speed=0)


def _range_of(param: click.Parameter) -> run_settings.Bounds:
    kind = param.type
    assert isinstance(kind, click.IntRange | click.FloatRange), param.name
    return run_settings.Bounds(
        is_int=isinstance(kind, click.IntRange),
        low=kind.min,
        high=kind.max,
        low_open=kind.min_open,
        high_open=kind.max_open,
    )


def test_every_run_setting_is_an_option_of_run_with_its_range_and_help() -> None:
    options = {p.name: p for p in cli.commands["run"].params if isinstance(p, click.Option)}
    for name in RUN_SETTINGS:
        option = options[name]
        assert option.opts == [run_settings.flag(name)]
        assert option.default is None  # not given: the setting in effect applies
        assert _range_of(option) == run_settings.bounds(name), name
        assert (option.help or "").startswith(run_settings.help_text(name))
    plan_options = {p.name: p for p in cli.commands["plan"].params}
    assert _range_of(plan_options["wave_size"]) == run_settings.bounds("wave_size")


def test_the_simulator_command_uses_the_same_declarations() -> None:
    options = {p.name: p for p in cli.commands["simulator"].params}
    for name in ("seed", "speed", "sim_failure_rate", "sim_fault_rate"):
        assert _range_of(options[name]) == run_settings.bounds(name)
        assert options[name].default == run_settings.default(name)


def test_the_demo_command_uses_the_same_declaration_of_speed() -> None:
    options = {p.name: p for p in cli.commands["demo"].params}
    assert _range_of(options["speed"]) == run_settings.bounds("speed")
    assert options["speed"].default == run_settings.app_default("speed")


def test_the_demo_story_is_run_settings_frozen_into_the_run_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo plays its own story (seed, failures, ACU limit, gate) whatever is configured,
    as run settings, so `resume` continues a demo with it; the rest is as configured."""
    monkeypatch.delenv("DEVIN_API_KEY", raising=False)
    assert set(DEMO_STORY) <= set(RUN_SETTINGS)
    config = build_config(demo_settings(Settings(**OTHER_VALUES)), live=False)
    assert {name: getattr(config, name) for name in DEMO_STORY} == DEMO_STORY
    assert (config.seed, config.speed) == (DEMO_SEED, run_settings.app_default("speed"))
    assert config.max_parallel_sessions == OTHER_VALUES["max_parallel_sessions"]
    gated = build_config(demo_settings(Settings(), pause_at_gate=True, speed=200), live=False)
    assert (gated.min_success_rate, gated.speed) == (DEMO_GATE_SUCCESS_RATE, 200)
    with pytest.raises(ValueError, match="speed"):
        demo_settings(Settings(), speed=0)


def test_the_settings_file_offers_every_run_setting() -> None:
    assert set(RUN_SETTINGS) <= set(EDITABLE)


def _check_number_input(widget, name: str, value: object) -> None:
    b = run_settings.bounds(name)
    assert widget.min == (b.low if b.low is not None else None), name
    assert widget.max == (b.high if b.high is not None else None), name
    assert widget.value == value, name


@pytest.fixture
def clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_runs) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    monkeypatch.setenv("SETTINGS_FILE", str(tmp_path / "patchwave.toml"))
    for name in RUN_SETTINGS:
        monkeypatch.delenv(name.upper(), raising=False)
    return runs


@pytest.mark.slow
def test_the_settings_page_offers_every_run_setting_with_its_range_and_default(clean_settings: Path) -> None:
    at = open_page("overview")
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception, at.exception
    for name in RUN_SETTINGS:
        _check_number_input(at.number_input(key=settings_field_key(name)), name, run_settings.default(name))


@pytest.mark.slow
def test_the_launch_form_offers_every_run_setting_with_its_range_and_default(clean_settings: Path) -> None:
    at = open_page("launch")
    at.file_uploader[0].upload("findings.csv", SAMPLE.read_bytes(), "text/csv").run()
    assert not at.exception, at.exception
    for name in RUN_SETTINGS:
        if name == "speed":
            continue
        _check_number_input(at.number_input(key=launch_key(name)), name, run_settings.default(name))
    speed = at.select_slider(key=launch_key("speed"))
    b = run_settings.bounds("speed")
    assert all(b.low <= float(v.rstrip("×")) <= b.high for v in speed.options)
    assert speed.value == run_settings.app_default("speed")
