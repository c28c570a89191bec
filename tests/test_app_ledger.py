"""The Ledger page (AppTest): every finding of a real ledger built with the engine, filters,
triage from the page (audited by the engine), the operator tools, and what viewers cannot do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.access.audit import read_audit
from engine.core.models import utcnow
from engine.ingest import ingest_bytes
from engine.ledger import (
    Claim,
    GlobalBudget,
    Ledger,
    LifecycleState,
    claim,
    import_scan,
    read_ledger,
    record_outcome,
    scan_id_of,
    update_ledger,
)
from engine.settings.environment import load_settings
from tests.app_fixtures import (
    APP,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE
from tests.test_app_access import ADMIN, AUTH, OPERATOR, REVIEWER, ROLES, VIEWER, call_as
from ui.ledger_actions import triage_key

LEDGER_PAGE = "app_pages/ledger.py"
SOURCE = "simulated"
PR_URL = "https://github.com/acme-corp/payment-service/pull/7"


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(path))
    monkeypatch.delenv("REQUIRE_AUTH", raising=False)
    return path


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_runs) -> Path:
    """An empty runs folder, with the policy, services and settings files kept in tmp_path."""
    folder = tmp_path / "runs"
    folder.mkdir()
    use_runs(folder)
    for name in ("POLICY_FILE", "SERVICES_FILE", "SETTINGS_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "conf" / f"{name.lower()}.toml"))
    for name in ("SLACK_WEBHOOK_URL", "ALERT_WEBHOOK_URL", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def ledger(runs: Path) -> Ledger:
    """The sample findings imported 20 days ago (so critical SLAs are breached), with one of them
    dispatched since and holding an open pull request. Written through the engine, unaudited."""
    data = SAMPLE.read_bytes()
    findings = ingest_bytes(data, SAMPLE.name).findings
    then = utcnow() - timedelta(days=20)
    first = next(f for f in findings if f.finding_id == "PW-0001")

    def change(book: Ledger) -> None:
        import_scan(book, scan_id_of(data), SAMPLE.name, findings, then)
        grant = Claim(fingerprint=first.fingerprint, finding_id=first.finding_id, attempt=1)
        claim(book, "run-1", [grant], then, GlobalBudget(limit=100, period_hours=24))
        record_outcome(book, "run-1", first.fingerprint, 1, "success", then, pr_url=PR_URL)

    update_ledger(runs, SOURCE, change)
    return read_ledger(runs, SOURCE)


def open_ledger(email: str | None = None) -> AppTest:
    """The Ledger page; `email` signed in (login configured), or the local admin when None."""
    at = AppTest.from_file(APP, default_timeout=30)
    if email is not None:
        at.secrets["auth"] = dict(AUTH)
        at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    at.switch_page(LEDGER_PAGE).run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def shown(at: AppTest) -> set[str]:
    return set(at.dataframe(key="ledger_table").value["fingerprint"])


def table_with(at: AppTest, *columns: str):
    """The first table on the page that has these columns (only selectable tables keep a key)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def pr_entry(book: Ledger) -> str:
    return next(fp for fp, e in book.entries.items() if e.state == LifecycleState.pr_open)


def select(at: AppTest, fingerprint: str) -> AppTest:
    at.selectbox(key="ledger_detail").set_value(fingerprint).run()
    assert not at.exception, at.exception
    return at


# --- reading -------------------------------------------------------------------------------------


def test_the_table_shows_every_finding_and_the_headline(runs: Path, ledger: Ledger) -> None:
    at = open_ledger()
    assert at.title[0].value == "Findings ledger"
    assert shown(at) == set(ledger.entries) and len(ledger.entries) == 24
    assert metric(at, "Findings known") == "24"
    assert metric(at, "Open") == "24"
    assert metric(at, "SLA breached") == "5"  # the criticals: 7 days, first seen 20 days ago
    assert metric(at, "Verified fixed") == "0"
    assert at.get("plotly_chart")
    table = at.dataframe(key="ledger_table").value
    assert table.loc[table["fingerprint"] == pr_entry(ledger), "pr_url"].item() == PR_URL
    assert "No active objectives" in texts(at)


def test_filters_narrow_the_table(runs: Path, ledger: Ledger) -> None:
    low = next(fp for fp, e in ledger.entries.items() if e.severity.value == "low")
    at = select(open_ledger(), low)
    at.multiselect(key="ledger_severity").select("critical").run()
    critical = {fp for fp, e in ledger.entries.items() if e.severity.value == "critical"}
    assert shown(at) == critical and len(critical) == 5
    assert at.selectbox(key="ledger_detail").value in critical  # the detail follows the filters
    at.multiselect(key="ledger_state").select("pr_open").run()
    assert shown(at) == {pr_entry(ledger)}
    at.multiselect(key="ledger_state").unselect("pr_open").run()
    at.text_input(key="ledger_title").input("sql injection").run()
    assert (
        shown(at) == {fp for fp in critical if "sql injection" in ledger.entries[fp].title.lower()}
        and len(shown(at)) == 2
    )
    at.text_input(key="ledger_title").input("no such title").run()
    assert shown(at) == set()
    assert "No finding matches the filters" in texts(at)


def test_objective_progress_from_the_policy_file(runs: Path, ledger: Ledger) -> None:
    policy = Path(load_settings().policy_file)
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text(
        '[[objectives]]\nid = "no-critical"\ntitle = "No *critical* findings"\nseverity = "critical"\n\n'
        '[[objectives]]\nid = "halve-high"\nkind = "reduce"\nseverity = "high"\nfraction = 0.5\n'
    )
    at = open_ledger()
    bars = at.get("progress")
    assert len(bars) == 2
    texts_of = [b.proto.text for b in bars]
    assert texts_of[0] == "**No \\*critical\\* findings**: 5 open / target 0"  # the title is escaped
    assert texts_of[1].startswith("**halve\\-high**: 7 open / target 3")
    assert [b.value for b in bars] == [0, 0]


def test_the_detail_view_shows_history_and_attempts(runs: Path, ledger: Ledger) -> None:
    at = select(open_ledger(), pr_entry(ledger))
    history = table_with(at, "at", "state", "reason", "by")
    assert list(history["state"]) == ["pr_open", "dispatched", "new"]
    attempts = table_with(at, "run_id", "outcome")
    assert list(attempts["outcome"]) == ["success"] and list(attempts["pr_url"]) == [PR_URL]
    assert [b.label for b in at.get("link_button")] == ["Open PR"]


def test_an_empty_ledger_explains_itself(runs: Path) -> None:
    at = open_ledger()
    page = texts(at)
    assert "The simulated ledger is empty" in page
    assert "launch a run" in page and "import a scan" in page
    assert not at.dataframe
    assert at.file_uploader  # the admin may import right here


# --- triage --------------------------------------------------------------------------------------


def test_a_reviewer_marks_a_false_positive_and_the_engine_audits_it(
    runs: Path, ledger: Ledger, roles: Path
) -> None:
    fp = next(iter(ledger.entries))
    at = select(open_ledger(REVIEWER), fp)
    assert at.file_uploader  # reviewers rank above operators, who may import
    # a reason is required: nothing happens without one
    at.button(key=f"ledger_fp::{fp}").click().run()
    assert any("reason is required" in e.value for e in at.error)
    assert read_ledger(runs, SOURCE) == ledger and read_audit(runs) == []

    at.text_input(key=triage_key("fp_reason", SOURCE, fp)).input("test fixture, not prod code")
    at.button(key=f"ledger_fp::{fp}").click().run()
    assert not at.exception, at.exception
    assert any("false positive" in s.value for s in at.success), texts(at)
    entry = read_ledger(runs, SOURCE).entries[fp]
    assert entry.state == LifecycleState.false_positive and entry.note == "test fixture, not prod code"
    assert entry.history[-1].actor == REVIEWER
    [audit] = read_audit(runs)
    assert (audit.actor, audit.role, audit.action, audit.target) == (
        REVIEWER,
        "reviewer",
        "triage",
        f"ledger:{SOURCE}:{fp}",
    )
    assert audit.details == {"decision": "false_positive", "reason": "test fixture, not prod code"}

    # the page now offers to reopen it
    at.text_input(key=triage_key("reopen_reason", SOURCE, fp)).input("it is prod code after all")
    at.button(key=f"ledger_reopen::{fp}").click().run()
    assert read_ledger(runs, SOURCE).entries[fp].state == LifecycleState.recurring
    assert [a.details["decision"] for a in read_audit(runs)] == ["false_positive", "reopen"]


def test_a_reviewer_accepts_a_risk_until_a_future_date(runs: Path, ledger: Ledger, roles: Path) -> None:
    fp = next(iter(ledger.entries))
    at = select(open_ledger(REVIEWER), fp)
    until = utcnow().date() + timedelta(days=30)
    at.text_input(key=triage_key("risk_owner", SOURCE, fp)).input("payments team")
    at.text_input(key=triage_key("risk_reason", SOURCE, fp)).input("behind the VPN until Q3")
    at.date_input(key=triage_key("risk_expiry", SOURCE, fp)).set_value(until)
    at.button(key=f"ledger_risk::{fp}").click().run()
    assert not at.exception, at.exception
    entry = read_ledger(runs, SOURCE).entries[fp]
    assert entry.state == LifecycleState.risk_accepted
    assert entry.risk is not None and entry.risk.owner == "payments team"
    assert entry.risk.expires_at.date() == until and entry.risk.accepted_by == REVIEWER
    assert read_audit(runs)[-1].details["decision"] == "risk_accepted"
    table = at.dataframe(key="ledger_table").value
    assert table.loc[table["fingerprint"] == fp, "sla"].item() == "n/a"


def test_a_risk_cannot_expire_today(runs: Path, ledger: Ledger, roles: Path, monkeypatch) -> None:
    fp = next(iter(ledger.entries))
    at = select(open_ledger(REVIEWER), fp)
    monkeypatch.setattr("ui.ledger_actions.utcnow", lambda: utcnow() + timedelta(days=400))
    at.text_input(key=triage_key("risk_owner", SOURCE, fp)).input("payments team")
    at.text_input(key=triage_key("risk_reason", SOURCE, fp)).input("later")
    at.button(key=f"ledger_risk::{fp}").click().run()
    assert any("must be in the future" in e.value for e in at.error)
    assert read_ledger(runs, SOURCE) == ledger and read_audit(runs) == []


def test_a_reviewer_records_a_merged_pull_request(runs: Path, ledger: Ledger, roles: Path) -> None:
    fp = pr_entry(ledger)
    at = select(open_ledger(REVIEWER), fp)
    at.button(key=f"ledger_pr_merged::{fp}").click().run()
    assert not at.exception, at.exception
    assert read_ledger(runs, SOURCE).entries[fp].state == LifecycleState.pr_merged
    assert read_audit(runs)[-1].details == {"decision": "pull_request_merged", "state": "merged"}
    assert not any(b.key == f"ledger_pr_merged::{fp}" for b in at.button)  # no longer pr_open


def test_a_viewer_gets_no_triage_or_tools_and_a_forged_callback_is_refused(
    runs: Path, ledger: Ledger, roles: Path
) -> None:
    fp = pr_entry(ledger)
    at = select(open_ledger(VIEWER), fp)
    assert shown(at) == set(ledger.entries)
    labels = {b.label for b in at.button}
    assert not labels & {"Mark false positive", "Accept risk", "Mark PR merged", "Sync pull requests"}
    assert not at.file_uploader and "Reviewers and admins can" in texts(at)

    for action, args in (
        ("mark_false_positive", (SOURCE, fp)),
        ("accept_risk", (SOURCE, fp)),
        ("reopen", (SOURCE, fp)),
        ("set_pull_request", (SOURCE, fp, "merged")),
        ("import_scan", (SOURCE,)),
        ("sync_pull_requests", (SOURCE,)),
    ):
        refused = call_as(VIEWER, action, *args)
        assert any("Not allowed" in e.value and "viewer" in e.value for e in refused.error), action
    # an operator imports, but may not triage
    refused = call_as(OPERATOR, "set_pull_request", SOURCE, fp, "merged")
    assert any("Not allowed" in e.value and "operator" in e.value for e in refused.error)
    assert read_ledger(runs, SOURCE) == ledger and read_audit(runs) == []


def test_a_forged_data_source_is_refused(runs: Path, ledger: Ledger, roles: Path) -> None:
    at = call_as(ADMIN, "set_pull_request", "../../etc", pr_entry(ledger), "merged")
    assert any("no `../../etc` ledger" in e.value for e in at.error)
    assert read_ledger(runs, SOURCE) == ledger and read_audit(runs) == []


# --- operator tools -----------------------------------------------------------------------------


def test_an_operator_imports_a_scan_from_the_page(runs: Path, roles: Path) -> None:
    at = open_ledger(OPERATOR)
    assert "The simulated ledger is empty" in texts(at)
    at.file_uploader(key="ledger_import_upload").upload(SAMPLE.name, SAMPLE.read_bytes(), "text/csv").run()
    at.button(key="ledger_import").click().run()
    assert not at.exception, at.exception
    assert any("Imported" in s.value and "24 new" in s.value for s in at.success), texts(at)
    assert len(read_ledger(runs, SOURCE).entries) == 24
    assert metric(at, "New") == "24" and metric(at, "Findings known") == "24"
    [audit] = read_audit(runs)
    assert (audit.actor, audit.action, audit.target) == (OPERATOR, "import_scan", f"ledger:{SOURCE}")
    # the same file again changes nothing
    at.button(key="ledger_import").click().run()
    assert any("imported before" in i.value for i in at.info)
    assert len(read_ledger(runs, SOURCE).entries) == 24


def test_an_unusable_scan_is_refused_with_the_engines_reason(runs: Path, roles: Path) -> None:
    at = open_ledger(OPERATOR)
    at.file_uploader(key="ledger_import_upload").upload("scan.csv", b"just,some\n1,2\n", "text/csv").run()
    at.button(key="ledger_import").click().run()
    assert not at.exception, at.exception
    assert any("was not imported" in e.value for e in at.error), texts(at)
    assert read_ledger(runs, SOURCE).entries == {}


class FakeGitHost:
    """Stands in for engine.ledger.GitPullRequests: the PR is merged, or the host is down."""

    answer = "merged"

    def __init__(self, base_url: str, token: str | None) -> None:
        pass

    def __enter__(self) -> FakeGitHost:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def state(self, pr_url: str) -> str:
        if self.answer == "down":
            raise ConnectionError("connection refused")
        return self.answer


def test_syncing_pull_requests_records_merges_and_reports_failures(
    runs: Path, ledger: Ledger, roles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.ledger.ops.GitPullRequests", FakeGitHost)
    fp = pr_entry(ledger)
    monkeypatch.setattr(FakeGitHost, "answer", "down")
    at = open_ledger(OPERATOR)
    at.button(key="ledger_sync").click().run()
    assert not at.exception, at.exception
    assert any("could not be read" in w.value for w in at.warning), texts(at)
    answers = table_with(at, "answer")
    assert list(answers["fingerprint"]) == [fp] and "connection refused" in answers["answer"].item()
    assert read_ledger(runs, SOURCE).entries[fp].state == LifecycleState.pr_open

    monkeypatch.setattr(FakeGitHost, "answer", "merged")
    at.button(key="ledger_sync").click().run()
    assert any("1 merged" in s.value for s in at.success), texts(at)
    assert read_ledger(runs, SOURCE).entries[fp].state == LifecycleState.pr_merged
    [audit] = read_audit(runs)
    assert audit.action == "import_scan" and audit.details["changed"] == {fp: "merged"}
