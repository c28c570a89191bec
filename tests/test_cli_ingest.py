"""`python -m engine ingest` and `plan` run as real subprocesses: output, exit codes, errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.settings.environment import Settings
from tests.engine_helpers import roomy_policy
from tests.scanner_samples import needs_samples, sample

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = REPO_ROOT / "sample_data" / "findings.csv"

# The priority score, written out independently of engine.policy.priority: against an empty
# history (no ledger) it is 35 x importance/100 + 30 x severity/100 + 5 (the unknown fix rate).
SEVERITY_SCALE = {"critical": 100, "high": 75, "medium": 40, "low": 10}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
IMPORTANCE = {"payment-service": 100, "user-service": 75}  # others: 50
SERVICES_TOML = (
    '[services.payment-service]\nimportance = "critical"\n\n[services.user-service]\nimportance = "high"\n'
)

# Settings the engine reads from the environment; none may leak in from the caller's shell.
_SETTING_VARS = {name.upper() for name in Settings.model_fields} | {"PATCHWAVE_DEBUG"}


def _env(runs_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in _SETTING_VARS}
    env["RUNS_DIR"] = str(runs_dir)
    env["POLICY_FILE"] = str(roomy_policy(runs_dir))
    services = runs_dir.parent / "services.toml"
    services.write_text(SERVICES_TOML)
    env["SERVICES_FILE"] = str(services)
    env["SETTINGS_FILE"] = str(runs_dir.parent / "no-settings.toml")
    return env


def run_cli(runs_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)],
        cwd=REPO_ROOT,
        env=_env(runs_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _expected_order() -> list[tuple[str, float]]:
    """The sample in priority order, with each total."""

    def total(r: dict[str, str]) -> float:
        service = round(35 * IMPORTANCE.get(r["service_name"], 50) / 100, 1)
        return round(service + round(30 * SEVERITY_SCALE[r["severity"]] / 100, 1) + 5, 1)

    rows = sorted(_sample_rows(), key=lambda r: (-total(r), r["finding_id"]))
    return [(r["finding_id"], total(r)) for r in rows]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "runs"


@pytest.fixture(scope="module")
def sample_ingest(runs_dir: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = run_cli(runs_dir, "ingest", SAMPLE_FILE, "--json")
    return proc, json.loads(proc.stdout) if proc.returncode == 0 else {}


def test_ingest_json_on_the_sample(
    sample_ingest: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    proc, out = sample_ingest
    assert proc.returncode == 0, proc.stderr
    assert out["accepted"] == 24
    assert out["rejected"] == []
    assert out["rejected_rows"] == 0
    assert out["duplicates_merged"] == 0
    assert out["total_rows"] == 24
    findings = out["findings"]
    # Listed most severe first, then by id; scoring them is the plan's work.
    expected = sorted(_sample_rows(), key=lambda r: (SEVERITY_ORDER[r["severity"]], r["finding_id"]))
    assert [f["finding_id"] for f in findings] == [r["finding_id"] for r in expected]
    assert all(f["priority"] is None and f["priority_rank"] is None for f in findings)


def test_ingest_json_is_exactly_one_object(
    sample_ingest: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    proc, _ = sample_ingest
    decoder = json.JSONDecoder()
    obj, end = decoder.raw_decode(proc.stdout.lstrip())
    assert isinstance(obj, dict)
    assert proc.stdout.lstrip()[end:].strip() == ""


def test_ingest_writes_no_run_folder(
    sample_ingest: tuple[subprocess.CompletedProcess[str], dict[str, Any]], runs_dir: Path
) -> None:
    assert sample_ingest[0].returncode == 0
    assert not runs_dir.exists()


def test_ingest_json_reports_rejections_and_merges(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "finding_id,category,severity,title,service_name,file_path,line_number\n"
        "A,sql_injection,critical,t,payment-service,src/a.py,10\n"
        "B,xss,urgent,t,svc,src/b.py,3\n"
        "C,sql_injection,low,t,payment-service,./src/a.py,10\n"
        "D,xss,low,t,svc,src/d.py,abc\n"
        "E,xss,medium,t,svc,src/e.py,4\n",
        encoding="utf-8",
    )
    proc = run_cli(tmp_path / "runs", "ingest", path, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["accepted"] == 2
    assert out["duplicates_merged"] == 1
    assert out["rejected_rows"] == 2
    assert [(p["row"], p["column"]) for p in out["rejected"]] == [(3, "severity"), (5, "line_number")]
    assert "'urgent'" in out["rejected"][0]["reason"]
    assert "'abc'" in out["rejected"][1]["reason"]
    assert [(f["finding_id"], f["merged_ids"]) for f in out["findings"]] == [("A", ["C"]), ("E", [])]


def test_ingest_text_output(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "runs", "ingest", SAMPLE_FILE)
    assert proc.returncode == 0, proc.stderr
    assert "24 findings accepted" in proc.stdout
    assert "0 rows rejected" in proc.stdout


_NOT_CSV: dict[str, tuple[bytes, list[str]]] = {
    "missing-columns": (
        b"finding_id,title,service_name\nA,t,svc\n",
        ["missing required column", "category", "severity"],
    ),
    "empty": (b"", ["empty"]),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["binary"]),
}


@pytest.mark.parametrize("kind", sorted(_NOT_CSV))
def test_ingest_refuses_unusable_files(tmp_path: Path, kind: str) -> None:
    data, parts = _NOT_CSV[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(data)
    proc = run_cli(tmp_path / "runs", "ingest", path, "--json")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert f"{kind}.csv" in proc.stderr
    for part in parts:
        assert part in proc.stderr
    assert "internal error" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ingest_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist.csv"
    proc = run_cli(tmp_path / "runs", "ingest", missing, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert "does-not-exist.csv" in proc.stderr
    assert "no such file" in proc.stderr


def test_plan_json_waves_of_seven(
    tmp_path: Path, sample_ingest: tuple[subprocess.CompletedProcess[str], dict[str, Any]]
) -> None:
    # Without the ledger: the one priority score against an empty history (service, severity).
    proc = run_cli(tmp_path / "runs", "plan", SAMPLE_FILE, "--wave-size", "7", "--json", "--no-ledger")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["wave_size"] == 7
    assert out["accepted"] == 24
    waves = out["waves"]
    assert [w["number"] for w in waves] == [1, 2, 3, 4]
    assert [len(w["findings"]) for w in waves] == [7, 7, 7, 3]
    planned = [(f["finding_id"], f["priority"]["total"]) for w in waves for f in w["findings"]]
    assert planned == _expected_order()
    assert [f["priority_rank"] for w in waves for f in w["findings"]] == list(range(1, 25))
    for f in (f for w in waves for f in w["findings"]):
        parts = f["priority"]
        assert (parts["sla_urgency"], parts["fix_rate"], parts["recurrence"], parts["objective_boost"]) == (
            0,
            5,
            0,
            0,
        )
    # The plan and the ingest agree on what the findings are.
    assert {fid for fid, _ in planned} == {f["finding_id"] for f in sample_ingest[1]["findings"]}
    assert not (tmp_path / "runs").exists()


def test_plan_text_output(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "runs", "plan", SAMPLE_FILE, "--wave-size", "7", "--no-ledger")
    assert proc.returncode == 0, proc.stderr
    assert "Wave 1" in proc.stdout
    assert "Wave 4 (3 findings)" in proc.stdout
    assert "Wave 5" not in proc.stdout
    assert "24 findings in 4 waves" in proc.stdout


def test_plan_rejects_wave_size_zero(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "runs", "plan", SAMPLE_FILE, "--wave-size", "0")
    assert proc.returncode == 2
    assert "--wave-size" in proc.stderr
    assert proc.stdout == ""


def test_ingest_json_findings_are_the_findings_the_engine_builds(tmp_path: Path) -> None:
    """`ingest --json` writes findings from the checked columns, without building models: they
    must be exactly what the Finding models give (stripped cells, merged ids, fingerprints)."""
    from engine.ingest import ingest_file

    path = tmp_path / "quirks.csv"
    path.write_text(
        "finding_id,category,severity,title,service_name,file_path,line_number,description,fingerprint\n"
        "A, sqli ,critical,  padded title ,svc ,./src/a.py,10,  ,\n"
        "B,xss,low,t,svc,src/b.py,3,Ünïcode “quotes” \\\\ back,0123456789abcdef0123\n"
        "C,sql_injection,low,t,svc,src/a.py,10,dup of A,\n"
        "D,xss,medium,t,svc,,,no location,\n"
        "E,xss,medium,t,svc,,,no location again,\n",
        encoding="utf-8",
    )
    proc = run_cli(tmp_path / "runs", "ingest", path, "--json")
    assert proc.returncode == 0, proc.stderr
    expected = [f.model_dump(mode="json") for f in ingest_file(path).findings]
    assert json.loads(proc.stdout)["findings"] == expected
    assert [(f["finding_id"], f["merged_ids"]) for f in expected] == [("A", ["C"]), ("D", ["E"]), ("B", [])]


@needs_samples
def test_ingest_says_how_many_findings_fall_in_other(tmp_path: Path) -> None:
    """The Semgrep file whose 48 results all landed in `other` before the CWE table grew."""
    path = sample("semgrep/defectdojo_semgrep_many_vulns.json")
    text = run_cli(tmp_path / "runs", "ingest", path, "--service", "web")
    assert text.returncode == 0, text.stderr
    assert (
        "categories: weak_cryptography 33, xxe 10, other 4, csv_injection 1; "
        "in other: 4 of 48 findings (0 of 44 with a CWE)"
    ) in text.stdout
    as_json = run_cli(tmp_path / "runs", "ingest", path, "--service", "web", "--json")
    assert as_json.returncode == 0, as_json.stderr
    out = json.loads(as_json.stdout)
    assert out["categories"] == {"weak_cryptography": 33, "xxe": 10, "other": 4, "csv_injection": 1}
    assert (out["other"], out["with_cwe"], out["other_with_cwe"]) == (4, 44, 0)
