"""A person's path through the app in a real browser: upload the sample findings, launch,
watch the run complete, approve a pull request, then find the run and the approval in History
and ROI. Screenshots of every page, light and dark, land in tests/browser/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.app_driver import assert_no_exception, page_url, wait_for_app

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "findings.csv"
PAGES = ["launch", "overview", "findings", "sessions", "review", "history", "roi", "ops", "eval"]

pytestmark = pytest.mark.slow


def test_upload_launch_complete_approve_and_find_it_everywhere(
    page: Page, browser: Browser, app_url: str, screenshots: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{app_url}/launch")
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(SAMPLE)
    wait_for_app(page)
    accepted = page.get_by_test_id("stMetric").filter(has_text="Findings accepted")
    expect(accepted).to_contain_text("24")
    assert_no_exception(page)

    page.get_by_role("button", name="Launch run").click()
    page.wait_for_url(re.compile(r"[?&]run="), timeout=30_000)
    run_id = parse_qs(urlparse(page.url).query)["run"][0]
    # The overview refreshes itself while the run is active; no reload needed.
    expect(page.get_by_text(re.compile(r"^Completed"))).to_be_visible(timeout=180_000)
    assert_no_exception(page)

    page.goto(page_url(app_url, "review", run_id))
    wait_for_app(page)
    page.get_by_role("button", name="Approve").first.click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Approved the pull request for")).first).to_be_visible()
    approved = page.get_by_test_id("stMetric").filter(has_text="Approved")
    expect(approved.first).to_contain_text("1")
    assert_no_exception(page)

    page.goto(page_url(app_url, "history", run_id))
    wait_for_app(page)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_text(run_id).first).to_be_attached()
    assert_no_exception(page)

    page.goto(page_url(app_url, "roi", run_id))
    wait_for_app(page)
    accepted_fixes = page.get_by_test_id("stMetric").filter(has_text="Accepted fixes")
    expect(accepted_fixes.first).to_contain_text("1")
    # One approval out of one review: the caption states the rate and what it rests on.
    expect(page.get_by_text(re.compile(r"Acceptance rate \(simulated\): 100%")).first).to_be_visible()
    assert_no_exception(page)

    for theme in ("light", "dark"):
        context = browser.new_context(color_scheme=theme, viewport={"width": 1440, "height": 1000})
        themed = context.new_page()
        for name in PAGES:
            themed.goto(page_url(app_url, name, run_id))
            wait_for_app(themed)
            assert_no_exception(themed)
            themed.screenshot(path=screenshots / f"{theme}-{name}.png", full_page=True)
        context.close()
