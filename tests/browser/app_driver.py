"""How the browser tests drive the app: wait for a page to settle, address a page of a run, read
the metric cards, find a run's id in the address, and measure the data grids."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect


def wait_for_app(page: Page, timeout: float = 30_000) -> None:
    """Streamlit's own end-to-end recipe: connected, script done, no skeleton left."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached", timeout=timeout)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached", timeout=timeout
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached", timeout=timeout
    )
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)
    page.wait_for_timeout(150)


def page_url(app_url: str, name: str, run_id: str) -> str:
    path = "" if name == "overview" else name  # the default page lives at /
    return f"{app_url}/{path}?run={run_id}"


def run_of(url: str) -> str | None:
    return parse_qs(urlparse(url).query).get("run", [None])[0]


def assert_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def metrics(page: Page) -> dict[str, str]:
    """The metric cards on the page, label → value as shown."""
    found = {}
    for card in page.get_by_test_id("stMetric").all():
        label = card.get_by_test_id("stMetricLabel").inner_text().strip()
        found[label] = card.get_by_test_id("stMetricValue").inner_text().strip()
    return found


def count(value: str) -> int:
    return int(re.sub(r"[^\d]", "", value))


def open_expanders(page: Page) -> int:
    """Opens every closed expander on the page, as a reader would, and waits for the grids in
    them to be laid out (closed, a grid has no width to measure); how many it opened."""
    closed = page.locator("[data-testid='stExpander'] details:not([open]) > summary")
    opened = 0
    while closed.count():
        closed.first.click()
        opened += 1
    if opened:
        page.wait_for_timeout(400)
    return opened


# Each data grid's scroller, measured: a grid wider than its box hides columns behind a scrollbar.
# Grids in a closed expander cannot be measured: open them first (open_expanders).
OVERFLOWING_GRIDS = """() => [...document.querySelectorAll("[data-testid='stDataFrame']")]
  .flatMap((grid, i) => {
    if (grid.closest('details:not([open])')) return [`grid ${i}: in a closed expander, not measured`];
    const scroller = grid.querySelector('.dvn-scroller') || grid;
    return scroller.scrollWidth > scroller.clientWidth + 1
        ? [`grid ${i}: ${scroller.scrollWidth} > ${scroller.clientWidth}`] : [];
})"""


def overflowing_grids(page: Page) -> list[str]:
    return page.evaluate(OVERFLOWING_GRIDS)
