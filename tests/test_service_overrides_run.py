"""Service overrides end to end: a live run against a real simulator sends each service's
overrides in that service's prompts only, keeps the values it was launched with, and the
Sessions page shows them in the session detail."""

from __future__ import annotations

import pytest
import requests

from engine.simulator import SimulatorServer
from tests.app_fixtures import (
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE, cli, load_run

pytestmark = pytest.mark.slow

SERVICES = """
[services.payment-service]
importance = "critical"

[services.payment-service.agent]
instructions = "Card data never leaves the tokenizer; use PaymentVault for every lookup."
do_not_touch = ["db/migrations/", "src/main/resources/keys/**"]
test_command = "mvn -q -pl payments test"
reviewers = ["@acme-corp/payments-security"]
"""
KEY = "any-key"


@pytest.fixture(scope="module")
def overridden_run(tmp_path_factory: pytest.TempPathFactory):
    """(runs folder, {session id: prompt the simulator received}) of a one-wave live run."""
    root = tmp_path_factory.mktemp("overrides")
    services = root / "services.toml"
    services.write_text(SERVICES)
    runs = root / "runs"
    with SimulatorServer(seed=11, speed=100) as server:
        done = cli(
            runs,
            "run",
            str(SAMPLE),
            "--speed",
            "50",
            "--wave",
            "1",
            "--no-ledger",
            "--run-id",
            "overrides",
            DEVIN_API_KEY=KEY,
            DEVIN_API_BASE_URL=server.base_url,
            SERVICES_FILE=str(services),
        )
        assert done.returncode == 0, done.stderr
        services.write_text("")  # later edits do not change what the run was launched with
        run = load_run(runs, "overrides")
        prompts = {}
        for session in run.sessions:
            detail = requests.get(
                f"{server.base_url}/sessions/{session.session_id}",
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=10,
            ).json()
            prompts[session.session_id] = detail["messages"][0]["message"]
    return runs, prompts


def test_only_that_services_prompts_carry_its_overrides(overridden_run) -> None:
    runs, prompts = overridden_run
    run = load_run(runs, "overrides")
    service_of = {f.finding_id: f.service_name for f in run.findings}
    with_overrides = {s.session_id for s in run.sessions if service_of[s.finding_id] == "payment-service"}
    assert with_overrides and len(with_overrides) < len(run.sessions)
    for session_id, prompt in prompts.items():
        carries = 'administrator for the service "payment-service"' in prompt
        assert carries == (session_id in with_overrides), session_id
        if carries:
            instructions, data = prompt.split("<<<BEGIN FINDING DATA>>>")
            assert "use PaymentVault for every lookup" in instructions
            assert '"db/migrations/", "src/main/resources/keys/**"' in instructions
            assert 'run "mvn -q -pl payments test"' in instructions
            assert '"@acme-corp/payments-security"' in instructions
            assert "PaymentVault" not in data
    agent = run.config.agent_overrides["payment-service"]
    assert agent.test_command == "mvn -q -pl payments test"


def test_the_session_detail_shows_the_overrides_its_prompt_carried(overridden_run, use_runs) -> None:
    runs, _ = overridden_run
    use_runs(runs)
    run = load_run(runs, "overrides")
    service_of = {f.finding_id: f.service_name for f in run.findings}
    payment = next(s for s in run.sessions if service_of[s.finding_id] == "payment-service")
    other = next(s for s in run.sessions if service_of[s.finding_id] != "payment-service")
    at = open_page("sessions", "overrides")
    picker = at.selectbox[0]
    picker.select((payment.finding_id, payment.attempt)).run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Service configuration" in page and "`payment-service`" in page
    assert "`db/migrations/`" in page and "`mvn -q -pl payments test`" in page
    assert "`@acme-corp/payments-security`" in page
    assert any("PaymentVault" in t.value for t in at.text)
    at.selectbox[0].select((other.finding_id, other.attempt)).run()
    assert "No overrides" in texts(at)
