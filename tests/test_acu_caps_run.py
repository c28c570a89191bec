"""End to end: a run caps each session by the policy's ACU cap table, sends the chosen cap as
max_acu_limit to the simulated Devin API (a real server on loopback), records it per session,
and the simulator stops a session that reaches its cap there (suspended, usage_limit_exceeded)."""

from __future__ import annotations

import pytest

from engine.core.acu_caps import RUN_SETTING_RULE, AcuCapRule
from engine.core.models import EventKind, Severity
from engine.policy import Policy, save_policy
from engine.runs.events import read_events
from engine.simulator import SimulatorServer
from tests.engine_helpers import SAMPLE, cli, load_run

pytestmark = pytest.mark.slow


def test_each_session_gets_its_categorys_and_severitys_cap_and_stops_there(tmp_path) -> None:
    policy = tmp_path / "policy.toml"
    save_policy(
        policy,
        Policy(
            global_session_limit=100_000,
            acu_caps=[
                # Far below what a dependency upgrade takes: every one of them hits the cap.
                AcuCapRule(category="dependency_vulnerability", max_acu=1),
                AcuCapRule(severity="low", max_acu=40),  # far above anything: none does
            ],
        ),
    )
    runs = tmp_path / "runs"
    runs.mkdir()
    with SimulatorServer(seed=5, speed=200, failure_rate=0.0) as server:
        done = cli(
            runs,
            "run",
            str(SAMPLE),
            "--speed",
            "200",
            "--run-id",
            "caps",
            "--max-retries",
            "0",
            "--min-success-rate",
            "0",
            "--max-acu",
            "5",
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=server.base_url,
            POLICY_FILE=str(policy),
        )
        sent = server.stats()["acu_limits"]
    assert done.returncode == 0, done.stderr
    run = load_run(runs, "caps")
    findings = {f.finding_id: f for f in run.findings}
    assert len(run.sessions) == len(findings) == 24
    groups: dict[str, list] = {"dependency": [], "low": [], "other": []}
    for session in run.sessions:
        finding = findings[session.finding_id]
        # What the engine recorded is what the API received.
        assert sent[session.session_id] == session.acu_limit, session.finding_id
        if finding.category == "dependency_vulnerability":
            groups["dependency"].append(session)
            assert session.acu_limit == 1
            assert session.acu_limit_rule == "policy: dependency_vulnerability, any severity"
        elif finding.severity == Severity.low:
            groups["low"].append(session)
            assert (session.acu_limit, session.acu_limit_rule) == (40, "policy: any category, low")
        else:
            groups["other"].append(session)
            assert (session.acu_limit, session.acu_limit_rule) == (5, RUN_SETTING_RULE)
    assert all(groups.values()), {k: len(v) for k, v in groups.items()}
    # The simulator stopped every dependency session at its 1-ACU cap, and only those.
    # (One suspended while opening its pull request still counts as a fix.)
    for session in groups["dependency"]:
        assert session.acus_consumed == 1.0
        assert (session.remote_status, session.remote_status_enum) == ("suspended", "suspend_requested")
        assert session.status.value == "success" or "usage_limit_exceeded" in (session.error or "")
    assert any(s.status.value == "failed" for s in groups["dependency"])
    for session in groups["low"] + groups["other"]:
        assert session.remote_status != "suspended"
        assert 0 < (session.acus_consumed or 0) < session.acu_limit
    dispatched = [
        e for e in read_events(runs / "caps" / "events.jsonl") if e.kind == EventKind.session_dispatched
    ]
    assert {e.details["max_acu_limit"] for e in dispatched} == {1, 5, 40}
    assert cli(runs, "validate", "caps").returncode == 0
