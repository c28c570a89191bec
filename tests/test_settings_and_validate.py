"""Settings (defaults, environment, `.env`, overrides, secrecy), the run configuration built
from them, and `validate` on a real run folder made by the engine and then corrupted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.launch.control import build_config
from engine.runs.index import index_path
from engine.runs.paths import RunPaths
from engine.runs.validate import validate_run
from engine.settings.environment import Settings, load_settings
from tests.engine_helpers import roomy_policy

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = REPO_ROOT / "sample_data" / "findings.csv"
SECRET = "sk-test-secret-7f3a9c"
RUN_ID = "v1"

# Settings the engine reads from the environment; none may leak in from the caller's shell.
_SETTING_VARS = {name.upper() for name in Settings.model_fields} | {"PATCHWAVE_DEBUG"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from the caller's environment, and a working folder without a `.env`."""
    for name in os.environ:
        if name.upper() in _SETTING_VARS:
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in _SETTING_VARS}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


def run_cli(cwd: Path, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)],
        cwd=cwd,
        env=_child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- settings ------------------------------------------------------------------------------


def test_defaults(clean_env: Path) -> None:
    s = Settings()
    assert s.max_parallel_sessions == 10
    assert s.max_acu_per_session == 5
    assert s.poll_interval_seconds == 20
    assert s.session_timeout_minutes == 90
    assert s.min_success_rate == 0.7
    assert s.wave_size == 10
    assert s.max_retries == 2
    assert s.runs_dir == Path("./runs")
    assert s.devin_api_base_url == "https://api.devin.ai/v1"
    assert s.devin_api_key is None
    assert s.api_key is None
    assert (s.speed, s.seed) == (1.0, 0)
    assert not hasattr(s, "service_weights")  # service importance lives in the services file


def test_environment_overrides(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAVE_SIZE", "5")
    monkeypatch.setenv("SPEED", "25")
    monkeypatch.setenv("min_success_rate", "0.5")  # names are case-insensitive
    s = Settings()
    assert s.wave_size == 5
    assert s.speed == 25
    assert s.min_success_rate == 0.5


def test_dotenv_in_the_working_folder_is_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text(f"WAVE_SIZE=4\nMAX_RETRIES=5\nDEVIN_API_KEY={SECRET}\n", encoding="utf-8")
    s = Settings()
    assert (s.wave_size, s.max_retries, s.api_key) == (4, 5, SECRET)
    # The environment beats the file.
    monkeypatch.setenv("WAVE_SIZE", "6")
    assert Settings().wave_size == 6


def test_overrides_beat_the_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAVE_SIZE", "5")
    assert load_settings(wave_size=7).wave_size == 7
    assert load_settings(wave_size=None).wave_size == 5  # None: the flag was not given
    assert load_settings().wave_size == 5


def test_invalid_environment_value_is_a_clear_cli_error(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "plan", SAMPLE_FILE, WAVE_SIZE="0")
    assert proc.returncode == 2, proc.stderr
    assert "wave_size" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_api_key_never_shows(clean_env: Path) -> None:
    s = Settings(devin_api_key=SECRET)
    assert s.api_key == SECRET
    assert SECRET not in repr(s)
    assert SECRET not in str(s)
    assert SECRET not in s.model_dump_json()


def test_whitespace_key_counts_as_no_key(clean_env: Path) -> None:
    assert Settings(devin_api_key="   ").api_key is None


def test_build_config_with_a_key_is_live(clean_env: Path) -> None:
    s = Settings(
        devin_api_key=SECRET, devin_api_base_url="https://devin.example/v9", wave_size=3, seed=5, speed=2.0
    )
    config = build_config(s, only_wave=2, dry_run=True)
    assert config.data_source == "live"
    assert config.api_base_url == "https://devin.example/v9"
    assert (config.seed, config.speed, config.only_wave, config.dry_run, config.wave_size) == (
        5,
        2.0,
        2,
        True,
        3,
    )
    assert SECRET not in config.model_dump_json()
    assert SECRET not in repr(config)


def test_build_config_without_a_key_is_simulated(clean_env: Path) -> None:
    s = Settings(devin_api_base_url="https://devin.example/v9")
    config = build_config(s)
    assert config.data_source == "simulated"
    assert config.api_base_url is None
    assert config.max_retries == 2 and config.max_parallel_sessions == 10


# --- validate ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real simulated run, made once; tests copy it."""
    base = tmp_path_factory.mktemp("validate")
    runs_dir = base / "runs"
    proc = run_cli(
        base,
        "run",
        SAMPLE_FILE,
        "--speed",
        "500",
        "--runs-dir",
        runs_dir,
        "--run-id",
        RUN_ID,
        POLICY_FILE=str(roomy_policy(runs_dir)),
    )
    assert proc.returncode == 0, proc.stderr
    return runs_dir


@pytest.fixture
def runs_dir(engine_run: Path, tmp_path: Path) -> Path:
    fresh = tmp_path / "runs"
    fresh.mkdir()
    shutil.copytree(engine_run / RUN_ID, fresh / RUN_ID)
    index_path(fresh).parent.mkdir()
    shutil.copy2(index_path(engine_run), index_path(fresh))
    return fresh


def _state(runs_dir: Path) -> dict[str, Any]:
    return json.loads((runs_dir / RUN_ID / "state.json").read_bytes())


def _put_state(runs_dir: Path, state: dict[str, Any]) -> None:
    (runs_dir / RUN_ID / "state.json").write_text(json.dumps(state))


def _edit_state(edit: Callable[[dict[str, Any]], str]) -> Callable[[Path], str]:
    def corrupt(runs_dir: Path) -> str:
        state = _state(runs_dir)
        expected = edit(state)
        _put_state(runs_dir, state)
        return expected

    return corrupt


def _truncate_state(runs_dir: Path) -> str:
    path = runs_dir / RUN_ID / "state.json"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return "state.json does not parse as a run"


def _working_without_id(state: dict[str, Any]) -> str:
    session = next(s for s in state["sessions"] if s["status"] == "success" and s["error"] is None)
    session["status"], session["session_id"] = "working", None
    return f"{session['finding_id']} attempt {session['attempt']} is working but has no session id"


def _wrong_totals(state: dict[str, Any]) -> str:
    state["totals"]["findings_succeeded"] -= 1
    state["totals"]["findings_failed"] += 1
    return "stored totals"


def _wrong_acu_totals(state: dict[str, Any]) -> str:
    state["totals"]["acus_reported"] += 2.5
    return "stored ACU totals"


def _unknown_in_wave(state: dict[str, Any]) -> str:
    state["waves"][1]["finding_ids"].append("NOPE-999")
    return "wave lists unknown finding NOPE-999"


def _finding_in_no_wave(state: dict[str, Any]) -> str:
    fid = state["waves"][2]["finding_ids"].pop(0)
    return f"finding {fid} is in no wave"


def _duplicate_session(state: dict[str, Any]) -> str:
    first = state["sessions"][0]
    state["sessions"].append(dict(first))
    return f"2 sessions for finding {first['finding_id']} attempt {first['attempt']}"


def _garbage_event_line(runs_dir: Path) -> str:
    path = runs_dir / RUN_ID / "events.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    middle = len(lines) // 2
    lines.insert(middle, b'{"ts": garbage, not json\n')
    path.write_bytes(b"".join(lines))
    return f"events.jsonl line {middle + 1} does not parse"


def _not_in_index(runs_dir: Path) -> str:
    path = index_path(runs_dir)
    index = json.loads(path.read_bytes())
    index["runs"] = [r for r in index["runs"] if r["run_id"] != RUN_ID]
    path.write_text(json.dumps(index))
    return "runs/_shared/index.json does not list this run"


def _created_but_missing(runs_dir: Path) -> str:
    with (runs_dir / RUN_ID / "dispatch.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "event": "intent",
                    "finding_id": "PW-0001",
                    "attempt": 3,
                    "wave_number": 1,
                    "tag": "patchwave-v1-PW-0001-a3",
                }
            )
            + "\n"
        )
        handle.write(
            json.dumps(
                {
                    "event": "created",
                    "finding_id": "PW-0001",
                    "attempt": 3,
                    "session_id": "devin-ghost",
                    "url": None,
                }
            )
            + "\n"
        )
    return "session devin-ghost (PW-0001 attempt 3) was created but is missing from state.json"


CORRUPTIONS: dict[str, Callable[[Path], str]] = {
    "truncated_state": _truncate_state,
    "working_without_session_id": _edit_state(_working_without_id),
    "wrong_totals": _edit_state(_wrong_totals),
    "wrong_acu_totals": _edit_state(_wrong_acu_totals),
    "unknown_finding_in_wave": _edit_state(_unknown_in_wave),
    "finding_in_no_wave": _edit_state(_finding_in_no_wave),
    "duplicate_session": _edit_state(_duplicate_session),
    "garbage_event_line": _garbage_event_line,
    "missing_from_index": _not_in_index,
    "created_but_missing_from_state": _created_but_missing,
}


def test_good_run_validates(runs_dir: Path) -> None:
    assert validate_run(RunPaths.existing(runs_dir, RUN_ID)) == []


def test_rewritten_state_still_validates(runs_dir: Path) -> None:
    # The corruption helpers rewrite state.json with json.dumps; that alone changes nothing.
    _put_state(runs_dir, _state(runs_dir))
    assert validate_run(RunPaths.existing(runs_dir, RUN_ID)) == []


def test_a_run_recorded_before_the_usage_totals_still_validates(runs_dir: Path) -> None:
    state = _state(runs_dir)
    assert state["totals"]["acus_reported"] > 0  # the simulator reports usage
    for name in ("acus_reported", "sessions_without_usage"):
        del state["totals"][name]  # what an earlier version wrote
    _put_state(runs_dir, state)
    assert validate_run(RunPaths.existing(runs_dir, RUN_ID)) == []


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruption_is_named(runs_dir: Path, name: str) -> None:
    expected = CORRUPTIONS[name](runs_dir)
    problems = validate_run(RunPaths.existing(runs_dir, RUN_ID))
    assert problems, f"{name}: no problem reported"
    assert any(expected in p for p in problems), problems


def test_cli_validate_good_run(runs_dir: Path, tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "validate", RUN_ID, "--runs-dir", runs_dir)
    assert proc.returncode == 0, proc.stderr
    assert f"run {RUN_ID} is valid: 24 findings" in proc.stdout
    assert proc.stderr == ""


def test_cli_validate_corrupted_run(runs_dir: Path, tmp_path: Path) -> None:
    expected = [_not_in_index(runs_dir), _garbage_event_line(runs_dir), _created_but_missing(runs_dir)]
    proc = run_cli(tmp_path, "validate", RUN_ID, "--runs-dir", runs_dir)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, proc.stderr
    assert all(line.startswith("- ") for line in lines)
    for problem in expected:
        assert any(problem in line for line in lines), proc.stderr
    assert proc.stdout == ""


def test_cli_validate_unknown_run(runs_dir: Path, tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "validate", "nosuch", "--runs-dir", runs_dir)
    assert proc.returncode == 2, proc.stderr
    assert "no run 'nosuch'" in proc.stderr
