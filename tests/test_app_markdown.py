"""Markdown, HTML and image syntax in data stay inert in every message path of the app:
finding ids, titles, file and folder names, run ids, service names, e-mails, reasons and the
engine's error texts that quote them. AppTest, with real engines and real files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.runs.index import read_index
from tests.app_fixtures import (
    APP,
    copy_run,
    open_page,
    stop_if_alive,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE, cli
from tests.test_app_access import AUTH, ROLES, _call
from ui.actions import reason_key
from ui.ledger_actions import triage_key
from ui.markup import code, md

# A lone backtick (to break out of a code span the value is put in), an external image, a link,
# HTML, emphasis, math and a Streamlit colour directive.
PAYLOAD = (
    "` ![x](http://evil.example/i.png) [link](http://evil.example) <img src=x onerror=alert(1)> "
    "**bold** $x$ :red[c]"
)
NAME = "` ![x](evil.png) [link](evil) <img src=x onerror=alert(1)> **bold** $x$ :red[c]"  # no slash
LIVE = ("![", "](", "<img", "**bold**", "$x$", ":red[")
RUN_ID = "pw._x_"  # a valid run id that markdown would emphasise
REVIEWED = "marks"
KINDS = ("markdown", "caption", "info", "warning", "error", "success", "toast")


def messages(at: AppTest) -> list[str]:
    """Every markdown body on the page, sidebar included."""
    return [str(e.value) for kind in KINDS for e in at.get(kind)]


def interpreted(markdown: str) -> str:
    """What markdown still reads as syntax: the text without code spans and escaped characters."""
    return re.sub(r"\\.", "", re.sub(r"`[^`\n]*`", "", markdown))


def assert_inert(at: AppTest, value: str, *, shown: bool = True) -> None:
    """Some message shows `value` escaped, as text or within inline code (when `shown`); no
    message leaves any of it live."""
    bodies = messages(at)
    if shown:
        assert any(md(value) in b or code(value)[1:-1] in b for b in bodies), bodies
    for body in bodies:
        left = interpreted(body)
        assert value not in left and not any(s in left for s in LIVE), body


@pytest.fixture(autouse=True)
def local_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUIRE_AUTH", "ALLOW_UNAUTHENTICATED_REMOTE", "ROLES_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def runs(tmp_path: Path, use_runs, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty runs folder, with the settings, services and policy files in a folder whose
    name is markup. Engines started in it are stopped afterwards."""
    folder = tmp_path / "runs"
    folder.mkdir()
    use_runs(folder)
    conf = tmp_path / NAME
    conf.mkdir()
    monkeypatch.setenv("SETTINGS_FILE", str(conf / "patchwave.toml"))
    monkeypatch.setenv("SERVICES_FILE", str(conf / "services.toml"))
    yield folder
    for entry in read_index(folder).runs:
        stop_if_alive(folder, entry.run_id)


def call(action: str, *args: object, state: dict | None = None) -> AppTest:
    """One ui callback run as the local admin, with what it said on the page."""
    at = AppTest.from_function(_call, args=(action, args), default_timeout=30)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def marked_csv() -> bytes:
    """The sample's first two findings, the first with markup as its id and title."""
    rows = list(csv.DictReader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))[:2]
    rows[0].update(finding_id=PAYLOAD, title=PAYLOAD)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A completed run whose finding with markup as its id has a pull request to review, and a
    completed run whose id markdown would emphasise."""
    folder = tmp_path_factory.mktemp("markdown_runs")
    findings = folder.parent / f"{folder.name}-findings.csv"
    findings.write_bytes(marked_csv())
    for run_id, source in ((REVIEWED, findings), (RUN_ID, SAMPLE)):
        args = ("run", str(source), "--speed", "2000", "--failure-rate", "0", "--no-ledger")
        done = cli(folder, *args, "--run-id", run_id)
        assert done.returncode == 0, done.stdout + done.stderr
    return folder


# --- reviews ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("decision", ["Approve", "Reject"])
def test_a_review_decision_names_the_finding_escaped(
    finished: Path, tmp_path: Path, use_runs, decision: str
) -> None:
    runs = copy_run(finished, REVIEWED, tmp_path / "runs")
    use_runs(runs)
    at = open_page("review", REVIEWED)
    button = next(b for b in at.button if b.label == decision and PAYLOAD in b.key)
    at.session_state[reason_key(REVIEWED, PAYLOAD, 1)] = PAYLOAD
    button.click().run()
    assert not at.exception, at.exception
    assert any(decision[:-1].lower() in s.value.lower() for s in at.success), messages(at)
    assert_inert(at, PAYLOAD)
    at.segmented_control(key="review_filter").set_value("Decided").run()
    assert_inert(at, PAYLOAD)  # the card, with the reason in its caption


# --- launch ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_launch_names_the_uploaded_file_escaped(runs: Path) -> None:
    at = open_page("launch")
    at.file_uploader[0].upload(f"{NAME}.csv", SAMPLE.read_bytes(), "text/csv").run()
    assert_inert(at, f"{NAME}.csv", shown=False)
    at.select_slider(key="launch_speed").set_value(1000).run()
    at.button(key="launch_run").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    # the status banner says where the run stands (no message that vanishes on the next redraw)
    banners = [*at.info, *at.success, *at.warning]
    assert any(b.value.startswith(("Starting", "**Running**", "Completed")) for b in banners), banners
    assert_inert(at, f"{NAME}.csv")


def test_a_refused_upload_names_the_file_escaped(runs: Path) -> None:
    at = open_page("launch")
    at.file_uploader[0].upload(f"{NAME}.csv", b'{"findings": []}', "text/csv").run()
    assert not at.exception, at.exception
    assert any("cannot be used" in e.value for e in at.error)
    assert_inert(at, f"{NAME}.csv")


# --- stop and resume -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("action", ["stop", "resume"])
def test_stop_and_resume_name_the_run_escaped(finished: Path, tmp_path: Path, use_runs, action: str) -> None:
    runs = copy_run(finished, RUN_ID, tmp_path / "runs")
    use_runs(runs)
    at = call(action, RUN_ID)  # a completed run: nothing to stop, nothing to resume
    assert at.warning or at.error
    assert_inert(at, RUN_ID)


# --- the findings ledger ---------------------------------------------------------------------


def open_ledger() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/ledger.py").run()
    assert not at.exception, at.exception
    return at


def test_a_scan_import_names_the_file_escaped(runs: Path) -> None:
    at = open_ledger()
    uploader = at.file_uploader(key="ledger_import_upload")
    uploader.upload(f"{NAME}.csv", b"just,some\n1,2\n", "text/csv").run()
    at.button(key="ledger_import").click().run()
    assert any("was not imported" in e.value for e in at.error), messages(at)
    assert_inert(at, f"{NAME}.csv")

    uploader = at.file_uploader(key="ledger_import_upload")
    uploader.upload(f"{NAME}.csv", SAMPLE.read_bytes(), "text/csv").run()
    at.button(key="ledger_import").click().run()
    assert any("Imported" in s.value for s in at.success), messages(at)
    assert_inert(at, f"{NAME}.csv")


def test_triage_refusals_name_the_finding_escaped(runs: Path) -> None:
    reason = {triage_key("fp_reason", "simulated", PAYLOAD): "not exploitable"}
    at = call("mark_false_positive", "simulated", PAYLOAD, state=reason)
    assert any("Not marked as a false positive" in e.value for e in at.error), messages(at)
    assert_inert(at, PAYLOAD)
    at = call("set_pull_request", PAYLOAD, PAYLOAD, "merged")  # a forged data source
    assert_inert(at, PAYLOAD)


# --- services, policy and settings (admins) ----------------------------------------------------


def test_saving_services_names_them_escaped(runs: Path) -> None:
    at = call("save_services", [{"name": PAYLOAD}, {"name": PAYLOAD, "importance": "low"}])
    assert any("Services not saved" in e.value for e in at.error), messages(at)
    assert_inert(at, PAYLOAD)
    at = call("save_services", [{"name": "api"}])
    assert any("Saved 1 service" in s.value for s in at.success), messages(at)
    assert_inert(at, NAME)  # the services file's folder


def test_saving_the_policy_names_the_file_escaped(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = runs.parent / NAME
    monkeypatch.setenv("POLICY_FILE", str(conf / "policy.toml"))
    at = call("save_policy", {"sla.critical": 3})
    assert any("Saved the policy" in s.value for s in at.success), messages(at)
    assert_inert(at, NAME)
    (conf / "policy.toml").write_text("[sla]\ncritical = 'soon'\n")
    at = call("save_policy", {"sla.high": 9})
    assert any("Policy not saved" in e.value for e in at.error), messages(at)
    assert_inert(at, NAME)


def test_saving_settings_names_the_file_escaped(runs: Path) -> None:
    # Run settings are numbers; what a person wrote that the message carries is the file's path.
    at = call("change_settings", {"wave_size": 7})
    assert any("Saved to" in s.value for s in at.success), messages(at)
    assert_inert(at, NAME)


def test_the_settings_and_policy_pages_name_their_files_escaped(runs: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    for page in ("app_pages/settings.py", "app_pages/policy.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert_inert(at, NAME)


# --- the frame: settings, runs folder, roles, the signed-in e-mail, the URL ----------------------


def test_an_unreadable_settings_file_is_named_escaped(runs: Path) -> None:
    (runs.parent / NAME / "patchwave.toml").write_text("wave_size = = 3\n")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert any("settings are invalid" in e.value for e in at.error), messages(at)
    assert_inert(at, NAME)


def test_the_runs_folder_is_named_escaped(tmp_path: Path, use_runs) -> None:
    folder = tmp_path / NAME / "runs"
    folder.mkdir(parents=True)
    use_runs(folder)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert any("Runs folder" in c.value for c in at.sidebar.caption)
    assert_inert(at, NAME)


def signed_in_as(email: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_unreadable_roles_file_is_named_escaped(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roles = runs.parent / NAME / "roles.toml"
    roles.write_text('[users]\n"ana@acme.com" = "owner"\n')
    monkeypatch.setenv("ROLES_FILE", str(roles))
    at = signed_in_as("ana@acme.com")
    assert any("Access roles could not be read" in e.value for e in at.error), messages(at)
    assert_inert(at, NAME)


def test_the_signed_in_email_is_shown_escaped(runs: Path, tmp_path: Path, monkeypatch) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(roles))
    email = "![x](http://evil.example/i.png)_**bold**_@acme.com"
    at = signed_in_as(email)  # a viewer
    assert any(code(email) in c.value for c in at.sidebar.caption)
    assert_inert(at, email)


def test_an_unknown_run_in_the_url_is_named_escaped(runs: Path) -> None:
    cli(runs, "run", str(SAMPLE), "--speed", "2000", "--no-ledger", "--run-id", "one")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["run"] = PAYLOAD
    at.run()
    assert not at.exception, at.exception
    assert any("There is no run" in w.value for w in at.warning)
    assert_inert(at, PAYLOAD, shown=False)
