"""Planning across runs: work in progress is never dispatched twice, and cooldowns and the
global session limit hold from one run to the next (with a controllable clock)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from engine.core.models import utcnow
from engine.launch.planner import PlanOptions, plan_run
from engine.ledger import LifecycleState, read_ledger
from engine.policy import Policy, SimulatedBudget, SkipReason, save_policy
from tests.crash_helpers import wait_for
from tests.engine_helpers import SAMPLE, cli, load_run


def _plan(runs: Path, *args: str, **env: str) -> dict:
    done = cli(runs, "plan", str(SAMPLE), "--json", *args, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_finding_in_progress_is_never_planned_again(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    started = cli(runs, "run", str(SAMPLE), "--detach", "--run-id", "first", "--speed", "2")
    assert started.returncode == 0, started.stderr
    try:
        wait_for(
            lambda: (
                sum(
                    e.state == LifecycleState.dispatched
                    for e in read_ledger(runs, "simulated").entries.values()
                )
                >= 10
            ),
            60,
            what="the first wave to be claimed",
        )
        dispatched = {
            e.fingerprint
            for e in read_ledger(runs, "simulated").entries.values()
            if e.state == LifecycleState.dispatched
        }
        plan = _plan(runs)
        skipped = {s["fingerprint"]: s for s in plan["skipped"]}
        assert dispatched <= set(skipped)
        assert {skipped[fp]["reason"] for fp in dispatched} == {"active_session"}
        assert all("first" in skipped[fp]["detail"] for fp in dispatched)
        planned = {f["fingerprint"] for w in plan["waves"] for f in w["findings"]}
        assert not planned & dispatched
    finally:
        assert cli(runs, "stop", "first").returncode == 0
    # Stopped, its sessions keep running remotely: still in progress for the next plan.
    assert dispatched <= {s["fingerprint"] for s in _plan(runs)["skipped"]}


def test_cooldown_and_the_global_limit_hold_across_runs(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    policy_file = tmp_path / "policy.toml"
    save_policy(
        policy_file, Policy(simulated=SimulatedBudget(global_session_limit=3, global_period_hours=24))
    )
    env = {"POLICY_FILE": str(policy_file)}
    done = cli(
        runs,
        "run",
        str(SAMPLE),
        "--run-id",
        "r1",
        "--speed",
        "200",
        "--failure-rate",
        "1",
        "--max-retries",
        "0",
        **env,
    )
    assert done.returncode == 0, done.stderr
    run = load_run(runs, "r1")
    assert len(run.findings) == 3 and len(run.sessions) == 3
    assert {h.reason for h in run.held_back} == {"global_limit"} and len(run.held_back) == 21
    ledger = read_ledger(runs, "simulated")
    failed = {e.fingerprint for e in ledger.entries.values() if e.failures == 1}
    assert len(failed) == 3

    policy = Policy(simulated=SimulatedBudget(global_session_limit=3, global_period_hours=24))

    def plan_at(hours: float):  # type: ignore[no-untyped-def]
        options = PlanOptions(
            wave_size=10,
            policy=policy,
            data_source="simulated",
            runs_dir=runs,
            max_acu_per_session=5,
            now=utcnow() + timedelta(hours=hours),
        )
        return plan_run(SAMPLE.read_bytes(), SAMPLE.name, options).ledger.plan

    soon = plan_at(1)
    reasons = {s.fingerprint: s.reason for s in soon.skipped}
    assert {reasons[fp] for fp in failed} == {SkipReason.cooldown}
    assert soon.selected == []  # the three sessions of the last 24 hours use up the limit
    assert soon.budget.global_used_before == 3

    later = plan_at(25)  # the failures' 24 h cooldown and the 24 h window are both over
    assert len(later.selected) == 3
    assert not any(s.reason == SkipReason.cooldown for s in later.skipped)

    # The second run honours the same limit: nothing may start within the window. Nothing new
    # to do is not an error: it says why and what changes it, and exits 0.
    refused = cli(runs, "run", str(SAMPLE), "--run-id", "r2", **env)
    assert refused.returncode == 0, refused.stderr
    assert "nothing to dispatch" in refused.stderr and "cooldown" in refused.stderr
    assert "no run was created" in refused.stderr
    assert "global_session_limit in the policy file's [budget.simulated] table" in refused.stderr
    assert not (runs / "r2").exists()
