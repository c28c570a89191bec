"""The story a demo tells and an executive checks, in a real browser at 1440×900: the demo run,
then a real Semgrep file and a real CodeQL SARIF uploaded under a per-service session cap that
holds findings back; pull requests approved and rejected; and on the pages, figures that add up,
a rejected pull request that is no fix, ROI and its report that say "simulated", and data grids
that fit their box. Screenshots of every page, light and dark, in tests/browser/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.policy.policy import Policy, SimulatedBudget, save_policy
from tests.browser.app_driver import (
    assert_no_exception,
    count,
    metrics,
    open_expanders,
    overflowing_grids,
    page_url,
    run_of,
    wait_for_app,
)
from tests.engine_helpers import roomy_policy
from tests.scanner_samples import needs_samples, sample

pytestmark = [pytest.mark.slow, needs_samples]

SEMGREP = "semgrep/defectdojo_semgrep_many_vulns.json"
CODEQL = "codeql/vulnerable-express_codeql_js.sarif"
SERVICE_CAP = 10
OUTCOMES = ["Fixed", "PR awaiting review", "Failed", "Held back", "Open"]
PAGES = ["launch", "overview", "findings", "sessions", "review", "history", "roi", "ops", "eval", "ledger"]
VIEWPORT = {"width": 1440, "height": 900}


def new_run(page: Page, before: str | None) -> str:
    """The run the click just launched: the address names a run other than the one before."""
    page.wait_for_url(lambda url: run_of(url) not in (None, before), timeout=30_000)
    run_id = run_of(page.url)
    assert run_id is not None
    return run_id


def wait_until_completed(page: Page) -> None:
    # The overview refreshes itself while the run is active; no reload needed.
    expect(page.get_by_text(re.compile(r"^Completed")).first).to_be_visible(timeout=240_000)
    wait_for_app(page)


def outcome_figures(page: Page) -> dict[str, int]:
    shown = metrics(page)
    figures = {"Findings": count(shown["Findings"])}
    for label, value in shown.items():
        for outcome in OUTCOMES:
            if label == outcome:
                figures[outcome] = count(value.splitlines()[0])
    assert set(figures) == {"Findings", *OUTCOMES}, shown
    return figures


def screenshot_whole(page: Page, path: Path) -> None:
    """The whole page at the viewport's width: Streamlit scrolls its main block, not the document,
    so the window grows to the main block's height for the picture."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 8000)})
    page.wait_for_timeout(300)
    page.screenshot(path=path)
    page.set_viewport_size(VIEWPORT)


def upload_and_launch(
    page: Page, app_url: str, relative: str, service: str, overflow: dict[str, list[str]]
) -> str:
    """Uploads a scan, checks the preview (held-back reason, grids that fit once every expander
    is open), and launches it; the new run's id."""
    page.goto(f"{app_url}/launch")
    wait_for_app(page)
    before = run_of(page.url)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(sample(relative))
    wait_for_app(page)
    field = page.get_by_role("textbox", name="Service")
    field.fill(service)
    field.press("Enter")
    wait_for_app(page)
    held = page.get_by_test_id("stAlertContentWarning").filter(has_text="held back")
    expect(held.first).to_contain_text("the service's session cap for one run is reached")
    expect(held.first).to_contain_text("To change:")
    open_expanders(page)
    if wide := overflowing_grids(page):
        overflow[f"launch preview of {Path(relative).name}"] = wide
    page.get_by_role("button", name="Launch run").click()
    return new_run(page, before)


def roi_accepted_fixes(page: Page, app_url: str, run_id: str) -> int:
    page.goto(page_url(app_url, "roi", run_id))
    wait_for_app(page)
    shown = metrics(page)
    fixes = [v for k, v in shown.items() if k.startswith("Accepted fixes")]
    assert fixes, shown
    return count(fixes[0])


def decide(page: Page, app_url: str, run_id: str, button: str) -> None:
    page.goto(page_url(app_url, "review", run_id))
    wait_for_app(page)
    page.get_by_role("button", name=button).first.click()
    wait_for_app(page)
    assert_no_exception(page)


def test_demo_and_real_scans_tell_a_true_story(
    page: Page, browser: Browser, app_url: str, runs_dir: Path, screenshots: Path
) -> None:
    page.set_viewport_size(VIEWPORT)
    # The demo: failures and a retry among the fixes; its figures add up.
    page.goto(f"{app_url}/launch")
    wait_for_app(page)
    before = run_of(page.url)
    page.get_by_role("button", name="Start demo run").first.click()
    demo = new_run(page, before)
    wait_until_completed(page)
    figures = outcome_figures(page)
    assert sum(figures[o] for o in OUTCOMES) == figures["Findings"] == 24
    assert figures["Failed"] > 0 and figures["PR awaiting review"] > 0
    assert_no_exception(page)

    # An operator caps each service at a few sessions per simulated run.
    save_policy(roomy_policy(runs_dir), Policy(simulated=SimulatedBudget(per_service_cap=SERVICE_CAP)))
    overflow: dict[str, list[str]] = {}  # grids wider than their box, by page
    semgrep = upload_and_launch(page, app_url, SEMGREP, "billing-api", overflow)
    wait_until_completed(page)
    expect(page.get_by_text(re.compile(r"^Completed .*\d+ held back")).first).to_be_visible()
    held = page.get_by_test_id("stAlertContentWarning").filter(has_text="session cap")
    expect(held.first).to_contain_text("To change:")
    figures = outcome_figures(page)
    assert sum(figures[o] for o in OUTCOMES) == figures["Findings"]
    assert figures["Held back"] == figures["Findings"] - SERVICE_CAP > 0
    codeql = upload_and_launch(page, app_url, CODEQL, "storefront", overflow)
    wait_until_completed(page)

    # One approval and one rejection: the rejected pull request is a failure, not a fix.
    page.goto(page_url(app_url, "overview", semgrep))
    wait_for_app(page)
    awaiting = outcome_figures(page)["PR awaiting review"]
    assert awaiting >= 2
    decide(page, app_url, semgrep, "Approve")
    expect(page.get_by_text(re.compile(r"Approved the pull request for")).first).to_be_visible()
    approved_fixes = roi_accepted_fixes(page, app_url, semgrep)
    decide(page, app_url, semgrep, "Reject")
    page.goto(page_url(app_url, "overview", semgrep))
    wait_for_app(page)
    after = outcome_figures(page)
    assert after["Fixed"] == figures["Fixed"] + 1
    assert after["PR awaiting review"] == awaiting - 2
    assert after["Failed"] == figures["Failed"] + 1
    failed = page.get_by_test_id("stMetric").filter(has=page.get_by_text("Failed", exact=True))
    expect(failed.get_by_test_id("stMetricDelta")).to_have_text("1 PR rejected")
    assert sum(after[o] for o in OUTCOMES) == after["Findings"]

    # ROI counts the one accepted fix, says the data is simulated, and so does its report.
    page.goto(page_url(app_url, "roi", semgrep))
    wait_for_app(page)
    shown = metrics(page)
    assert roi_accepted_fixes(page, app_url, semgrep) == approved_fixes >= 1  # the rejection adds none
    assert all("(simulated)" in k for k in shown if k.startswith(("Accepted fixes", "Money saved"))), shown
    expect(page.get_by_text(re.compile(r"small sample", re.I)).first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("report", re.I)).first.click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "simulated" in report.lower()
    assert_no_exception(page)

    # The history lists the held-back findings of the capped runs.
    page.goto(page_url(app_url, "history", codeql))
    wait_for_app(page)
    expect(page.get_by_text(run_of(page.url) or codeql).first).to_be_attached()
    assert_no_exception(page)

    # Every page, light and dark: no exception, no data grid wider than its box, expanders open.
    # The CodeQL run's many categories load the Eval and Findings tables.
    shown_runs = (
        (semgrep, "", PAGES),
        (demo, "demo-", ["overview", "review"]),
        (codeql, "codeql-", ["eval", "findings"]),
    )
    for theme in ("light", "dark"):
        context = browser.new_context(color_scheme=theme, viewport=VIEWPORT)
        themed = context.new_page()
        for run_id, prefix, names in shown_runs:
            for name in names:
                themed.goto(page_url(app_url, name, run_id))
                wait_for_app(themed)
                assert_no_exception(themed)
                label = f"{prefix}{name}"
                screenshot_whole(themed, screenshots / f"story-{theme}-{label}.png")
                if open_expanders(themed):
                    screenshot_whole(themed, screenshots / f"story-{theme}-{label}-expanded.png")
                if wide := overflowing_grids(themed):
                    overflow[f"{label} ({theme})"] = wide
        # The tab icon ships with the app: nothing fetched from elsewhere.
        icon = themed.locator("link[rel*='icon']").first.get_attribute("href") or ""
        assert icon.startswith(("data:", "/", "./")) or icon.startswith(app_url), icon
        context.close()
    (screenshots / "story-overflow.json").write_text(json.dumps(overflow, indent=1))
    assert overflow == {}
