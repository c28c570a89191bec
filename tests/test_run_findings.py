"""Parse once: the launcher writes the run's findings typed (findings.json) and keeps the upload
as uploaded; the engine starts from findings.json and never reads the upload again. Runs
launched by the earlier version (input.csv + plan.json) still start and resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.core.models import RunStatus
from engine.core.sources import SourceDefaults
from engine.launch.control import launch_plan_options
from engine.launch.findings_file import read_findings_file
from engine.launch.prepare import LaunchRecord, prepare_run
from engine.runs.paths import RunPaths, upload_file_name
from engine.runs.validate import validate_run
from engine.settings.environment import load_settings
from tests.engine_helpers import SAMPLE, cli, engine_env, load_run

EARLIER_RUNS = Path(__file__).resolve().parent / "fixtures" / "earlier_version_runs"
SEMGREP = {
    "results": [
        {
            "check_id": "python.sqlalchemy.security.sqli",
            "path": "app/db.py",
            "start": {"line": 10, "col": 1},
            "end": {"line": 10, "col": 9},
            "extra": {"message": "SQL built from user input", "severity": "ERROR", "lines": "q"},
        }
    ],
    "errors": [],
}


@pytest.mark.parametrize(
    ("name", "file_format", "kept"),
    [
        ("findings.csv", "csv", "input.csv"),
        ("results.SARIF", "sarif", "input.sarif"),
        ("scan.json", "semgrep", "input.json"),
        ("export", "trivy", "input.json"),
        ("table", "csv", "input.csv"),
        ("weird.name with spaces!", "csv", "input.csv"),
    ],
)
def test_the_upload_is_kept_under_its_own_extension(name: str, file_format: str, kept: str) -> None:
    assert upload_file_name(name, file_format) == kept


def _launch(runs: Path, data: bytes, name: str, run_id: str, service: str | None = None) -> RunPaths:
    """What `run` and the app's Launch do, without starting the engine."""
    env = engine_env(runs)
    settings = load_settings(
        runs_dir=runs,
        speed=10000,
        policy_file=env["POLICY_FILE"],
        services_file=env["SERVICES_FILE"],
        settings_file=env["SETTINGS_FILE"],
    )
    config, options = launch_plan_options(
        settings, use_ledger=True, live=False, source=SourceDefaults(service)
    )
    paths, _ = prepare_run(data, name, config, options, runs, run_id)
    return paths


@pytest.mark.slow
def test_the_engine_never_reads_the_upload_after_launch(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    paths = _launch(runs, SAMPLE.read_bytes(), SAMPLE.name, "csv-run")
    record = LaunchRecord.model_validate_json(paths.launch.read_bytes())
    upload = paths.upload(record.upload or "")
    assert upload.name == "input.csv" and upload.read_bytes() == SAMPLE.read_bytes()
    planned = read_findings_file(paths.findings)
    assert [f.priority_rank for f in planned.findings] == list(range(1, 25))
    assert all(f.priority is not None for f in planned.findings)

    upload.unlink()  # gone: the engine must not need it
    done = cli(runs, "resume", "csv-run")
    assert done.returncode == 0, done.stderr
    run = load_run(runs, "csv-run")
    assert run.status == RunStatus.completed and run.totals.findings == 24
    assert [f.finding_id for f in run.findings] == [f.finding_id for f in planned.findings]
    assert validate_run(paths) == []
    assert cli(runs, "validate", "csv-run").returncode == 0


@pytest.mark.slow
def test_a_scanner_upload_is_kept_as_uploaded_and_never_turned_into_csv(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    data = json.dumps(SEMGREP).encode()
    paths = _launch(runs, data, "semgrep-scan.json", "scan-run", service="billing-service")
    assert sorted(p.name for p in paths.root.iterdir()) == [
        "findings.json",
        "ingest_report.json",
        "input.json",
        "launch.json",
    ]
    assert (paths.root / "input.json").read_bytes() == data
    (paths.root / "input.json").unlink()
    done = cli(runs, "resume", "scan-run")
    assert done.returncode == 0, done.stderr
    run = load_run(runs, "scan-run")
    assert run.status == RunStatus.completed
    [finding] = run.findings
    assert (finding.service_name, finding.file_path, finding.scanner) == (
        "billing-service",
        "app/db.py",
        "Semgrep",
    )
    assert validate_run(paths) == []


def test_validate_names_a_missing_or_disagreeing_findings_file(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    paths = _launch(runs, SAMPLE.read_bytes(), SAMPLE.name, "checked")
    from engine.launch.prepare import initial_state
    from engine.runs.state_store import StateWriter

    run = initial_state(paths)
    run.findings = run.findings[1:]  # one planned finding lost
    StateWriter(paths.state).save(run, force=True)
    (paths.root / "events.jsonl").write_text("")
    assert any("findings.json plans 1 finding(s) state.json lacks" in p for p in validate_run(paths))
    paths.findings.unlink()
    assert "findings.json is missing" in validate_run(paths)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("run_id", "findings", "held_back"),
    [("earlier-ledger", 20, {"global_limit": 4}), ("earlier-scan", 2, {})],
)
def test_a_run_launched_by_the_earlier_version_starts_from_its_input_csv(
    tmp_path: Path, run_id: str, findings: int, held_back: dict[str, int]
) -> None:
    """The fixtures are pending run folders the previous version's launcher wrote (input.csv,
    plan.json with the ledger; tests/fixtures/earlier_version_runs/MADE_BY.md says how)."""
    runs = tmp_path / "runs"
    shutil.copytree(EARLIER_RUNS, runs)
    folder = runs / run_id
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    done = cli(runs, "resume", run_id)
    assert done.returncode == 0, done.stderr
    run = load_run(runs, run_id)
    assert run.status == RunStatus.completed
    # Planned: what the earlier launcher planned. (At dispatch the run's ledger budget may hold
    # back a finding too, when a retry used its slot.)
    at_dispatch = [h.finding.finding_id for h in run.held_back if h.when == "dispatch"]
    assert len(run.findings) + len(at_dispatch) == findings
    counts: dict[str, int] = {}
    for h in run.held_back:
        if h.when == "planned":
            counts[h.reason] = counts.get(h.reason, 0) + 1
    assert counts == held_back
    if (folder / "plan.json").exists():
        plan = json.loads((folder / "plan.json").read_text())
        selected = [p for p in plan["selected"] if p["finding_id"] not in at_dispatch]
        assert [f.finding_id for f in run.findings] == [p["finding_id"] for p in selected]
        assert [f.priority.total for f in run.findings] == [p["score"]["total"] for p in selected]
    # The earlier version's files are read, never rewritten.
    assert {name: (folder / name).read_bytes() for name in before} == before
    assert not (folder / "findings.json").exists()
    assert validate_run(RunPaths.of(runs, run_id)) == []
