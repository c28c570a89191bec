"""What ui.markup's escaping leaves of hostile data in a real browser: no image is fetched, no
markdown link, emphasis, colour, math or HTML renders; in inline code nothing renders at all.
(In escaped text a bare web address still becomes a link to that same address.)"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.app_driver import wait_for_app
from tests.browser.conftest import _free_port, _wait_healthy

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("markup_app.py")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def markup_url() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", str(SCRIPT)),
                *("--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_escaped_data_renders_as_text(page: Page, markup_url: str) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(markup_url)
    wait_for_app(page)
    page.get_by_test_id("stTooltipIcon").first.hover()  # draw a tooltip too
    page.wait_for_timeout(500)

    assert not [u for u in asked if "127.0.0.1:9/" in u]  # the payload's image was never fetched
    assert any("127.0.0.1:8/ctl.png" in u for u in asked)  # while the control's was

    def all_of(selector: str, script: str) -> list[str]:
        return page.eval_on_selector_all(selector, script)

    assert all_of("img", "els => els.map(e => e.src)") == ["http://127.0.0.1:8/ctl.png"]
    assert all_of("strong, em, b, del, h1, h2, h3", "els => els.map(e => e.textContent)") == ["real"]
    assert all_of(".katex, [style*='color: red']", "els => els.length") == 0
    links = all_of(
        "[data-testid='stMain'] a, [data-testid='stTooltipContent'] a",
        "els => els.map(e => [e.textContent, e.href, !!e.closest('code')])",
    )
    assert all(not in_code for _, _, in_code in links), links  # nothing in inline code is a link
    assert all(href.rstrip("/") == text.rstrip("/") for text, href, _ in links), links  # bare addresses only
    assert not [t for t, _, _ in links if t == "link"]  # no markdown link with a label of its own

    texts = page.get_by_test_id("stMarkdownContainer").all_inner_texts()
    assert sum("![x](" in t and "<img src=" in t and "**bold**" in t for t in texts) >= 12, texts
