"""One plan for one file and one set of options (engine/launch/planner.py): the Launch page's
preview, `plan --json`, `run --dry-run` and the launch itself show the same waves and the same
skips, and a run without the findings ledger is ordered by the same priority score."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.models import utcnow
from engine.ingest import ingest_bytes
from engine.launch.planner import PlanOptions, plan_run
from engine.ledger import (
    Claim,
    GlobalBudget,
    Ledger,
    claim,
    import_scan,
    record_outcome,
    scan_id_of,
    update_ledger,
)
from engine.policy import (
    Policy,
    ServiceCatalog,
    ServiceProfile,
    load_services,
    plan_across_runs,
    save_services,
)
from tests.app_fixtures import open_page, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.engine_helpers import SAMPLE, cli, load_run

SERVICES = ServiceCatalog(
    profiles=(
        ServiceProfile(name="payment-service", importance=100),
        ServiceProfile(name="user-service", importance=25),
    )
)


def _ordered(findings) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(f.finding_id, f.priority.total) for f in findings]


def test_a_run_without_the_ledger_is_ordered_by_the_one_score_against_an_empty_history() -> None:
    now = utcnow()
    plan = plan_run(SAMPLE.read_bytes(), SAMPLE.name, PlanOptions(wave_size=10, services=SERVICES, now=now))
    assert [f.priority_rank for f in plan.findings] == list(range(1, 25))
    assert plan.skipped == [] and plan.ledger is None
    # The same score the ledger plans with, on a ledger that has seen nothing yet.
    roomy = Policy(global_session_limit=1000)
    findings = ingest_bytes(SAMPLE.read_bytes(), SAMPLE.name).findings
    across = plan_across_runs(findings, Ledger(), SERVICES, roomy, now, None)
    assert _ordered(plan.findings) == [(p.finding.finding_id, p.score.total) for p in across.selected]
    # Service importance comes from the services file: payment-service first, user-service last
    # among findings of the same severity.
    critical = [f for f in plan.findings if f.severity.value == "critical"]
    assert critical[0].service_name == "payment-service"
    assert critical[-1].service_name == "user-service"
    assert all(f.priority.service_importance == 35 for f in critical if f.service_name == "payment-service")


def test_the_demo_plan_is_the_same_every_time() -> None:
    first = plan_run(SAMPLE.read_bytes(), SAMPLE.name, PlanOptions(wave_size=10, services=SERVICES))
    again = plan_run(SAMPLE.read_bytes(), SAMPLE.name, PlanOptions(wave_size=10, services=SERVICES))
    assert first.findings == again.findings and first.waves == again.waves


# --- the four ways to plan, side by side --------------------------------------------------------


@pytest.fixture
def planned_runs(tmp_path: Path, use_runs) -> Path:  # type: ignore[no-untyped-def]
    """A runs folder whose simulated ledger knows the sample (first seen long ago, so every
    SLA is used up and the scores do not move while the test runs): one finding has an open
    pull request and one cools down after a failed attempt. The services file ranks
    payment-service first."""
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    save_services(runs / ".no-services-file.toml", SERVICES)
    data = SAMPLE.read_bytes()
    findings = ingest_bytes(data, SAMPLE.name).findings
    long_ago, recently = utcnow() - timedelta(days=400), utcnow() - timedelta(hours=1)
    by_id = {f.finding_id: f for f in findings}
    pr, cooling = by_id["PW-0003"], by_id["PW-0010"]

    def history(ledger) -> None:  # type: ignore[no-untyped-def]
        import_scan(ledger, scan_id_of(data), SAMPLE.name, findings, long_ago)
        wanted = [Claim(fingerprint=f.fingerprint, finding_id=f.finding_id, attempt=1) for f in (pr, cooling)]
        claim(ledger, "earlier", wanted, recently, GlobalBudget(limit=100, period_hours=24))
        record_outcome(ledger, "earlier", pr.fingerprint, 1, "success", recently, pr_url="https://git/pr/1")
        record_outcome(ledger, "earlier", cooling.fingerprint, 1, "failed", recently)

    update_ledger(runs, "simulated", history)
    return runs


def _dry_run_tables(stdout: str) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """`run --dry-run`'s skipped table (finding, reason) and its sessions per wave."""
    skipped: list[tuple[str, str]] = []
    waves: dict[int, list[str]] = {}
    section = None
    for line in stdout.splitlines():
        if line.startswith("Skipped ("):
            section = "skipped"
            continue
        if line.startswith("wave "):
            section = "sessions"
            continue
        cells = re.split(r"\s{2,}", line.strip())
        if not line.strip() or set(line.strip()) <= {"-", " "} or cells[0] in ("finding",):
            continue
        if section == "skipped" and len(cells) >= 2:
            skipped.append((cells[0], cells[1]))
        elif section == "sessions" and cells[0].isdigit():
            waves.setdefault(int(cells[0]), []).append(cells[1])
    return skipped, [waves[n] for n in sorted(waves)]


@pytest.mark.slow
def test_preview_plan_dry_run_and_launch_give_the_same_waves_and_skips(planned_runs: Path) -> None:
    runs = planned_runs
    assert len(load_services(runs / ".no-services-file.toml")) == 2
    env = {"SERVICES_FILE": str(runs / ".no-services-file.toml")}

    # The Launch page's preview.
    at = open_page("launch")
    at.file_uploader[0].upload("findings.csv", SAMPLE.read_bytes(), "text/csv").run()
    assert not at.exception, at.exception
    order, plan_table, skipped_table = (at.dataframe[i].value for i in (0, 2, 3))  # 1: score parts
    preview_waves = [list(ids) for ids in plan_table["finding_ids"]]
    preview_skips = sorted(zip(skipped_table["finding_id"], skipped_table["detail"], strict=True))
    assert sorted(skipped_table["reason"]) == ["cooldown", "open pr"]

    # `plan --json`.
    planned = cli(runs, "plan", str(SAMPLE), "--json", **env)
    assert planned.returncode == 0, planned.stderr
    out = json.loads(planned.stdout)
    plan_waves = [[f["finding_id"] for f in w["findings"]] for w in out["waves"]]
    plan_skips = sorted((s["finding_id"], s["detail"]) for s in out["skipped"])
    reasons = {s["finding_id"]: s["reason"] for s in out["skipped"]}

    # `run --dry-run`.
    dry = cli(runs, "run", str(SAMPLE), "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    dry_skips, dry_waves = _dry_run_tables(dry.stdout)

    # The launch: the run's own state, built from findings.json.
    launched = cli(runs, "run", str(SAMPLE), "--speed", "10000", "--run-id", "launched", **env)
    assert launched.returncode == 0, launched.stderr
    run = load_run(runs, "launched")
    run_waves = [w.finding_ids for w in run.waves]
    run_skips = sorted((h.finding.finding_id, h.detail) for h in run.held_back if h.when == "planned")

    assert reasons == {"PW-0003": "open_pr", "PW-0010": "cooldown"}
    assert len(plan_waves) == 3 and sum(map(len, plan_waves)) == 22
    assert preview_waves == plan_waves == dry_waves == run_waves
    assert preview_skips == plan_skips == run_skips
    assert sorted(dry_skips) == sorted(reasons.items())
    assert {h.finding.finding_id: h.reason for h in run.held_back} == reasons
    # The preview lists the run's order with the same scores the run keeps.
    assert list(order["finding_id"]) == [
        f.finding_id for f in sorted(run.findings, key=lambda f: f.priority_rank)
    ]
    assert list(order["score"]) == [
        f.priority.total for f in sorted(run.findings, key=lambda f: f.priority_rank)
    ]
