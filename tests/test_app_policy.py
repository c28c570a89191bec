"""The Policy page (AppTest): admins edit the services and policy files through the engine's
checks, every saved change is audited, refusals name the key and leave the file alone, and
nobody else gets the page or can call its callbacks; the ACU cap table is edited there too."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.access.audit import read_audit
from engine.core.acu_caps import AcuCapRule
from engine.policy import Policy, load_policy, load_services, save_policy
from engine.policy.policy import Objective
from tests.app_fixtures import (
    APP,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.test_app_access import ADMIN, AUTH, OPERATOR, REVIEWER, ROLES, VIEWER, call_as
from ui.markup import md
from ui.policy_actions import (
    ACU_CAPS_EDITOR_KEY,
    OBJECTIVES_EDITOR_KEY,
    SERVICES_EDITOR_KEY,
    agent_field_key,
    policy_field_key,
)

POLICY_PAGE = "app_pages/policy.py"
LEDGER_PAGE = "app_pages/ledger.py"
SERVICES = """[services.payment-service]
importance = "critical"
tags = ["pci"]

[services.user-service]
importance = 60
"""


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(path))
    monkeypatch.delenv("REQUIRE_AUTH", raising=False)
    return path


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_runs, roles: Path) -> tuple[Path, Path]:
    """(services file, policy file), both in tmp_path; the services file starts with two services,
    the policy file does not exist (the defaults)."""
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    services, policy = tmp_path / "conf" / "services.toml", tmp_path / "conf" / "policy.toml"
    services.parent.mkdir()
    services.write_text(SERVICES)
    monkeypatch.setenv("SERVICES_FILE", str(services))
    monkeypatch.setenv("POLICY_FILE", str(policy))
    monkeypatch.setenv("SETTINGS_FILE", str(tmp_path / "conf" / "patchwave.toml"))
    return services, policy


def runs_of(files: tuple[Path, Path]) -> Path:
    return files[0].parent.parent / "runs"


def signed_in(email: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    return at


def policy_page(email: str = ADMIN) -> AppTest:
    at = signed_in(email)
    at.switch_page(POLICY_PAGE).run()
    assert not at.exception, at.exception
    return at


def has_page(at: AppTest, page: str) -> bool:
    try:
        at.switch_page(page)
    except ValueError:
        return False
    return True


# --- who gets the page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "offered"), [(VIEWER, False), (OPERATOR, False), (REVIEWER, False), (ADMIN, True)]
)
def test_only_admins_get_the_policy_page_and_everyone_the_ledger(
    files: tuple[Path, Path], email: str, offered: bool
) -> None:
    at = signed_in(email)
    assert has_page(at, POLICY_PAGE) is offered
    assert has_page(at, LEDGER_PAGE)


def test_the_page_draws_both_files(files: tuple[Path, Path]) -> None:
    at = policy_page()
    page = texts(at)
    assert str(files[0]) in page and str(files[1]) in page
    services = at.data_editor[0].value
    assert list(services["name"]) == ["payment-service", "user-service"]
    assert list(services["importance"]) == ["critical", "60"]
    assert at.number_input(key=policy_field_key("sla.critical")).value == 7
    assert at.text_input(key=policy_field_key("retry.cooldown_hours")).value == "24, 72, 168"


# --- services ------------------------------------------------------------------------------------


def test_an_admin_saves_the_services_table_and_it_is_audited(files: tuple[Path, Path]) -> None:
    services, _ = files
    at = policy_page()
    at.session_state[SERVICES_EDITOR_KEY] = {
        "edited_rows": {1: {"importance": "high", "max_sessions_per_run": 2}},
        "added_rows": [{"name": "auth-service", "importance": "90", "tags": "sso, tier-1"}],
        "deleted_rows": [0],
    }
    at.button(key="policy_save_services").click().run()
    assert not at.exception, at.exception
    assert any("Saved 2 service(s)" in s.value for s in at.success), texts(at)
    catalog = load_services(services)
    assert catalog.names == ["user-service", "auth-service"]
    assert (
        catalog.importance("user-service") == 75 and catalog.profile("user-service").max_sessions_per_run == 2
    )
    assert (
        catalog.profile("auth-service").tags == ["sso", "tier-1"] and catalog.importance("auth-service") == 90
    )
    [entry] = read_audit(runs_of(files))
    assert (entry.actor, entry.action, entry.target) == (ADMIN, "change_settings", "services")
    assert entry.details["added"] == ["auth-service"] and entry.details["removed"] == ["payment-service"]
    assert entry.details["changed"]["user-service"]["new"] == {
        "importance": "high",
        "max_sessions_per_run": 2,
    }


def test_an_invalid_importance_is_refused_by_name_and_the_file_is_untouched(files: tuple[Path, Path]) -> None:
    services, _ = files
    before = services.read_bytes()
    at = policy_page()
    edits = {"edited_rows": {0: {"importance": "urgent"}}, "added_rows": [], "deleted_rows": []}
    at.session_state[SERVICES_EDITOR_KEY] = edits
    at.button(key="policy_save_services").click().run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "Services not saved" in error.value and md("services.payment-service.importance") in error.value
    assert "urgent" in error.value
    assert services.read_bytes() == before and read_audit(runs_of(files)) == []
    assert at.session_state[SERVICES_EDITOR_KEY]["edited_rows"] == {0: {"importance": "urgent"}}  # kept


def test_a_service_listed_twice_is_refused(files: tuple[Path, Path]) -> None:
    services, _ = files
    before = services.read_bytes()
    at = call_as(ADMIN, "save_services", [{"name": "api"}, {"name": "api", "importance": "low"}])
    assert any(md("services.api: listed twice") in e.value for e in at.error)
    at = call_as(ADMIN, "save_services", [{"name": "api"}, {"name": "API"}])
    assert any(md("names are case-insensitive") in e.value for e in at.error)
    assert services.read_bytes() == before and read_audit(runs_of(files)) == []


# --- policy ----------------------------------------------------------------------------------


def test_an_admin_saves_the_policy_form(files: tuple[Path, Path]) -> None:
    _, policy_file = files
    at = policy_page()
    at.number_input(key=policy_field_key("sla.critical")).set_value(5)
    at.number_input(key=policy_field_key("budget.per_service_cap")).set_value(3)
    at.text_input(key=policy_field_key("retry.cooldown_hours")).input("12, 48")
    at.session_state[OBJECTIVES_EDITOR_KEY] = {
        "edited_rows": {},
        "added_rows": [{"id": "no-critical", "title": "No critical findings", "severity": "critical"}],
        "deleted_rows": [],
    }
    at.button(key="policy_save").click().run()
    assert not at.exception, at.exception
    assert any("Saved the policy" in s.value for s in at.success), texts(at)
    policy = load_policy(policy_file)
    assert policy.sla.days["critical"] == 5 and policy.per_service_cap == 3
    assert policy.cooldown_hours == [12, 48]
    assert policy.objectives == [
        Objective(id="no-critical", title="No critical findings", severity="critical")
    ]
    [entry] = read_audit(runs_of(files))
    assert (entry.action, entry.target) == ("change_settings", "policy")
    assert entry.details["sla.critical"] == {"old": 7, "new": 5}
    assert entry.details["budget.per_service_cap"] == {"old": None, "new": 3}
    assert entry.details["objectives"] == {"added": ["no-critical"]}


def test_an_invalid_policy_value_is_refused_by_name(files: tuple[Path, Path]) -> None:
    _, policy_file = files
    at = policy_page()
    at.text_input(key=policy_field_key("retry.cooldown_hours")).input("12, soon")
    at.button(key="policy_save").click().run()
    assert not at.exception, at.exception
    assert any(md("retry.cooldown_hours[1]") in e.value and "soon" in e.value for e in at.error), texts(at)
    assert not policy_file.exists() and read_audit(runs_of(files)) == []
    assert at.text_input(key=policy_field_key("retry.cooldown_hours")).value == "12, soon"  # kept

    at = call_as(ADMIN, "save_policy", {"budget.global_period_hours": 0})
    assert any(md("budget.global_period_hours") in e.value for e in at.error)
    at = call_as(ADMIN, "save_policy", {"sla.critical": None})
    assert any(md("sla.critical: a value is required") in e.value for e in at.error)
    at = call_as(ADMIN, "save_policy", {}, [{"title": "no id"}])
    assert any(md("objectives[0].id") in e.value for e in at.error)
    assert not policy_file.exists()


def test_nothing_changed_writes_nothing(files: tuple[Path, Path]) -> None:
    services, policy_file = files
    before = services.read_bytes()
    at = policy_page()
    at.button(key="policy_save_services").click().run()
    at.button(key="policy_save").click().run()
    assert [i.value for i in at.info if "Nothing changed" in i.value] == ["Nothing changed in the policy."]
    assert services.read_bytes() == before and not policy_file.exists()
    assert read_audit(runs_of(files)) == []


@pytest.mark.parametrize("email", [VIEWER, OPERATOR, REVIEWER])
def test_others_cannot_save_by_calling_the_callbacks(files: tuple[Path, Path], email: str) -> None:
    services, policy_file = files
    before = services.read_bytes()
    at = call_as(email, "save_services", [{"name": "x", "importance": "low"}])
    assert any("Not allowed" in e.value for e in at.error)
    at = call_as(email, "save_policy", {"sla.critical": 1})
    assert any("Not allowed" in e.value for e in at.error)
    assert services.read_bytes() == before and not policy_file.exists()
    assert read_audit(runs_of(files)) == []


def test_the_page_itself_refuses_a_non_admin(files: tuple[Path, Path]) -> None:
    at = AppTest.from_file(str(Path(APP).parent / POLICY_PAGE), default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": REVIEWER, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    assert any("Only admins" in e.value for e in at.error)
    assert not at.data_editor and not at.number_input


# --- agent overrides per service -------------------------------------------------------------------


def test_an_admin_sets_a_services_agent_overrides_and_the_table_keeps_them(files: tuple[Path, Path]) -> None:
    services, _ = files
    at = policy_page()
    at.selectbox(key="policy_agent_service").select("user-service").run()
    key = lambda field: agent_field_key("user-service", field)  # noqa: E731
    at.text_area(key=key("instructions")).input("Keep the public API stable.\nNo new dependencies.")
    at.text_area(key=key("do_not_touch")).input("migrations/\n  src/legacy/**  \n")
    at.text_input(key=key("test_command")).input("make test-users")
    at.text_input(key=key("reviewers")).input("alice, @acme/users")
    at.button(key="policy_save_agent").click().run()
    assert not at.exception, at.exception
    assert any("Saved the agent overrides" in s.value for s in at.success), texts(at)
    agent = load_services(services).profile("user-service").agent
    assert agent.instructions == "Keep the public API stable.\nNo new dependencies."
    assert agent.do_not_touch == ["migrations/", "src/legacy/**"]
    assert (agent.test_command, agent.reviewers) == ("make test-users", ["alice", "@acme/users"])
    [entry] = read_audit(runs_of(files))
    assert entry.target == "services" and "user-service" in entry.details["changed"]
    assert entry.details["changed"]["user-service"]["new"]["agent"]["test_command"] == "make test-users"

    # Saving the services table afterwards keeps the overrides of the services it still lists.
    at = policy_page()
    assert at.text_input(key=agent_field_key("payment-service", "test_command")).value == ""
    at.session_state[SERVICES_EDITOR_KEY] = {
        "edited_rows": {1: {"importance": "high"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="policy_save_services").click().run()
    assert load_services(services).profile("user-service").agent == agent
    # Emptying every field removes them.
    at = call_as(ADMIN, "save_service_agent", "user-service", {})
    assert load_services(services).profile("user-service").agent is None


def test_bad_overrides_are_refused_by_name_and_the_file_is_untouched(files: tuple[Path, Path]) -> None:
    services, _ = files
    before = services.read_bytes()
    at = call_as(ADMIN, "save_service_agent", "payment-service", {"reviewers": "alice smith?"})
    assert any(md("services.payment-service.agent.reviewers") in e.value for e in at.error), texts(at)
    at = call_as(ADMIN, "save_service_agent", "payment-service", {"test_command": "make\ntest"})
    assert any("must not contain a line break" in e.value for e in at.error)
    at = call_as(ADMIN, "save_service_agent", "nobody", {"test_command": "make"})
    assert any("no such service" in e.value for e in at.error)
    at = call_as(VIEWER, "save_service_agent", "payment-service", {"test_command": "make"})
    assert any("Not allowed" in e.value for e in at.error)
    assert services.read_bytes() == before and read_audit(runs_of(files)) == []


# --- ACU caps ------------------------------------------------------------------------------------


def test_the_page_draws_the_table_and_an_admin_edits_it(files: tuple[Path, Path]) -> None:
    _, policy_file = files
    save_policy(policy_file, Policy(acu_caps=[AcuCapRule(category="xss", max_acu=3)]))
    at = policy_page()
    table = at.data_editor(key=ACU_CAPS_EDITOR_KEY).value
    assert list(table["category"]) == ["xss"] and list(table["max_acu"]) == [3]
    assert "max_acu_per_session (5)" in texts(at)
    at.session_state[ACU_CAPS_EDITOR_KEY] = {
        "edited_rows": {0: {"max_acu": 4.0, "severity": "high"}},
        "added_rows": [
            {"category": "dependency_vulnerability", "max_acu": 12},
            {"severity": "critical", "max_acu": 10},
            {},  # a row left empty is ignored
        ],
        "deleted_rows": [],
    }
    at.button(key="policy_save").click().run()
    assert not at.exception, at.exception
    assert any("Saved the policy" in s.value for s in at.success), texts(at)
    assert load_policy(policy_file).acu_caps == [
        AcuCapRule(category="xss", severity="high", max_acu=4),
        AcuCapRule(category="dependency_vulnerability", max_acu=12),
        AcuCapRule(severity="critical", max_acu=10),
    ]
    [entry] = read_audit(runs_of(files))
    assert entry.details["acu_caps"]["old"] == [{"category": "xss", "max_acu": 3}]
    assert len(entry.details["acu_caps"]["new"]) == 3


def test_a_repeated_or_capless_row_is_refused_by_name_and_the_file_is_untouched(
    files: tuple[Path, Path],
) -> None:
    _, policy_file = files
    at = policy_page()
    at.session_state[ACU_CAPS_EDITOR_KEY] = {
        "edited_rows": {},
        "added_rows": [{"severity": "low", "max_acu": 2}, {"severity": "low", "max_acu": 3}],
        "deleted_rows": [],
    }
    at.button(key="policy_save").click().run()
    assert not at.exception, at.exception
    assert any("Policy not saved" in e.value and md("acu_caps[1]: repeats") in e.value for e in at.error)
    assert not policy_file.exists()
    at = call_as(ADMIN, "save_policy", {}, None, [{"category": "xss"}])
    assert any(md("acu_caps[0].max_acu: missing") in e.value for e in at.error)
    at = call_as(ADMIN, "save_policy", {}, None, [{"max_acu": 0}])
    assert any(md("acu_caps[0].max_acu: expected a whole number of ACUs 1-1000") in e.value for e in at.error)
    assert not policy_file.exists() and read_audit(runs_of(files)) == []
