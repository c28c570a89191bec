"""Cost from usage: ACUs and dollars per session, per accepted fix, per category and per
service; reported figures used as reported, missing ones estimated from agent time (capped at
the session's ACU limit) and marked as estimates; and everything adds up, including, against the
real simulator, to what the API itself reported for the run."""

from __future__ import annotations

import math

import pytest
import requests

from engine.analytics.cost import ESTIMATED, REPORTED, run_cost, runs_cost, session_acus, session_costs
from engine.core.models import AgentProgress
from engine.runs.index import read_index
from engine.simulator import SimulatorServer
from tests.analytics_fixtures import RUN_ID, T0, at, decision, finding, run, session
from tests.engine_helpers import SAMPLE, cli, load_run

PASSED = AgentProgress(tests_passed=True)


def used(s, acus: float | None, limit: int | None = None):
    return s.model_copy(update={"acus_consumed": acus, "acu_limit": limit})


def sample_run():
    findings = [
        finding("A", category="sql_injection", service="api"),
        finding("B", category="dependency_vulnerability", service="api"),
        finding("C", category="sql_injection", service="web"),
        finding("D", category="xss", service="web"),
    ]
    sessions = [
        used(session("A", 1, "failed", 0, 600), 4.0, 5),
        used(session("A", 2, "success", 700, 1300, pr="https://git/pr/1", progress=PASSED), 2.5, 5),
        used(session("B", 1, "success", 0, 900, pr="https://git/pr/2", progress=PASSED), 7.25, 12),
        # no tests passing, but a reviewer approved it: the reviewer decides what a fix is
        used(session("C", 1, "success", 0, 300, pr="https://git/pr/3"), 1.5, 5),
        # the API reported nothing (v1): 30 agent minutes at 15 min/ACU = 2 ACUs, estimated
        used(session("D", 1, "failed", 0, 1800), None, 5),
        # never created: it used nothing
        used(session("D", 2, "pending", None), None, 5),
    ]
    return run(findings, sessions)


# A2 and C1 approved; B1 rejected (tests passing or not, a rejected PR is no fix); A1 failed, so
# a decision on it cannot make it a fix; another run's approval of D1 does not count here.
DECISIONS = [
    decision("A", 2),
    decision("B", 1, "approved", seconds=10),
    decision("B", 1, "rejected", seconds=20),  # the decision in force
    decision("C", 1),
    decision("A", 1),
    decision("D", 1, run_id="another-run"),
]


def test_each_session_costs_its_acus_times_the_price_and_estimates_are_marked() -> None:
    rows = session_costs(sample_run(), at(5000), price_per_acu=2.0, minutes_per_acu=15.0, decisions=DECISIONS)
    by_key = {(r.finding_id, r.attempt): r for r in rows}
    assert (by_key["A", 1].acus, by_key["A", 1].basis, by_key["A", 1].cost) == (4.0, REPORTED, 8.0)
    assert (by_key["D", 1].acus, by_key["D", 1].basis, by_key["D", 1].cost) == (2.0, ESTIMATED, 4.0)
    assert by_key["D", 1].estimated and not by_key["A", 1].estimated
    assert (by_key["D", 2].acus, by_key["D", 2].basis) == (0.0, REPORTED)
    assert [r.accepted_fix for r in rows] == [False, True, False, True, False, False]
    # Unreviewed, nothing is a fix yet.
    assert not any(r.accepted_fix for r in session_costs(sample_run(), at(5000)))
    assert by_key["B", 1].acu_limit == 12 and by_key["B", 1].category == "dependency_vulnerability"


def test_an_estimate_never_exceeds_the_sessions_acu_limit_and_follows_the_clock() -> None:
    long = session("X", 1, "failed", 0, 6 * 3600)  # 6 agent hours: 24 ACUs at 15 min/ACU
    assert session_acus(used(long, None, 5), 1.0, at(0)) == (5.0, ESTIMATED)
    assert session_acus(used(long, None, None), 1.0, at(0)) == (24.0, ESTIMATED)
    assert session_acus(used(long, None, None), 2.0, at(0)) == (48.0, ESTIMATED)  # speed x wall time
    running = session("Y", 1, "working", 0, None)
    assert session_acus(used(running, None, None), 1.0, at(1800), minutes_per_acu=10) == (3.0, ESTIMATED)
    with pytest.raises(ValueError, match="minutes_per_acu"):
        session_acus(running, 1.0, T0, minutes_per_acu=0)


def test_groups_and_per_fix_figures_add_up_to_the_total() -> None:
    cost = run_cost(sample_run(), at(5000), price_per_acu=2.0, minutes_per_acu=15.0, decisions=DECISIONS)
    total = cost.total
    assert total.sessions == 6 and total.accepted_fixes == 2
    assert total.acus == pytest.approx(4.0 + 2.5 + 7.25 + 1.5 + 2.0)
    assert total.estimated_acus == 2.0 and total.estimated
    assert total.cost == pytest.approx(total.acus * 2.0)
    assert total.cost_per_accepted_fix == pytest.approx(total.cost / 2)  # failures count against fixes
    assert math.isclose(sum(r.acus for r in cost.sessions), total.acus)
    for groups in (cost.by_category, cost.by_service):
        assert sum(g.acus for g in groups) == pytest.approx(total.acus)
        assert sum(g.cost for g in groups) == pytest.approx(total.cost)
        assert sum(g.sessions for g in groups) == total.sessions
        assert sum(g.accepted_fixes for g in groups) == total.accepted_fixes
    categories = {g.key: g for g in cost.by_category}
    assert [g.key for g in cost.by_category] == ["sql_injection", "dependency_vulnerability", "xss"]
    assert categories["sql_injection"].acus == 8.0 and categories["sql_injection"].accepted_fixes == 2
    assert categories["sql_injection"].cost_per_accepted_fix == 8.0
    assert categories["dependency_vulnerability"].cost_per_accepted_fix is None  # its PR was rejected
    assert categories["xss"].cost_per_accepted_fix is None and categories["xss"].estimated
    assert not categories["dependency_vulnerability"].estimated
    services = {g.key: g for g in cost.by_service}
    assert services["api"].acus == 13.75 and services["web"].acus == 3.5
    assert services["web"].acus_per_accepted_fix == 3.5 and services["api"].acus_per_accepted_fix == 13.75


def test_over_several_runs_the_rows_are_pooled() -> None:
    one = sample_run()
    two = one.model_copy(update={"run_id": "run-2"})
    pooled = runs_cost([one, two], at(5000), decisions={RUN_ID: DECISIONS})
    assert pooled.total.acus == pytest.approx(2 * run_cost(one, at(5000)).total.acus)
    assert {r.run_id for r in pooled.sessions} == {RUN_ID, "run-2"}
    assert pooled.total.accepted_fixes == 2  # run-2 has no decisions: nothing of it is accepted


@pytest.mark.slow
def test_acus_per_session_add_up_to_the_runs_total_and_to_what_the_api_reported(tmp_path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    with SimulatorServer(seed=11, speed=200, failure_rate=0.3) as server:
        done = cli(
            runs,
            "run",
            str(SAMPLE),
            "--speed",
            "200",
            "--run-id",
            "cost",
            "--min-success-rate",
            "0",
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=server.base_url,
        )
        listed = requests.get(
            f"{server.base_url}/sessions?limit=1000", headers={"Authorization": "Bearer any-key"}, timeout=10
        ).json()["sessions"]
    assert done.returncode == 0, done.stderr
    result = load_run(runs, "cost")
    cost = run_cost(result, result.completed_at or T0)
    assert cost.total.sessions == len(result.sessions) > 24  # retries too
    assert not cost.total.estimated  # the simulator reports every session's usage
    api_total = sum(
        s["acus_consumed"] for s in listed if s["session_id"] in {x.session_id for x in result.sessions}
    )
    assert sum(r.acus for r in cost.sessions) == pytest.approx(cost.total.acus)
    assert cost.total.acus == pytest.approx(result.totals.acus_reported) == pytest.approx(api_total)
    assert result.totals.sessions_without_usage == 0
    [entry] = [e for e in read_index(runs).runs if e.run_id == "cost"]
    assert entry.acus_reported == pytest.approx(cost.total.acus)  # the run list carries it too
    assert sum(g.acus for g in cost.by_category) == pytest.approx(cost.total.acus)
    assert sum(g.acus for g in cost.by_service) == pytest.approx(cost.total.acus)
    assert cost.total.accepted_fixes == 0  # nobody reviewed the pull requests: nothing is accepted yet
