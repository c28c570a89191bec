"""Simulated pull requests: their pages on the simulator, the Git-host API the ledger reads,
and the copies saved in a run folder that the page server keeps serving after the simulator
(and the engine it ran in) are gone."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from engine.core.models import Finding, FindingCategory, Severity
from engine.devin.playbooks import load_playbook
from engine.devin.prompt import build_prompt
from engine.simulator import SimulatorServer
from engine.simulator.pull_archive import find_pull, pulls_dir, save_pull, saved_pull_for
from engine.simulator.pull_record import PullRecord
from engine.simulator.pull_server import PullPageServer, loopback_address, start_pull_pages
from engine.storage.links import SymlinkRefusedError

AUTH = {"Authorization": "Bearer k"}
HOSTILE = '<script>alert("x")</script>'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_finding(**changes: Any) -> Finding:
    fields: dict[str, Any] = {
        "finding_id": "PW-0017",
        "scanner": "snyk",
        "category": FindingCategory.dependency_vulnerability,
        "severity": Severity.high,
        "title": "Command injection via lodash template (CVE-2021-23337)",
        "service_name": "catalog-service",
        "repo_url": "https://github.com/acme-corp/catalog-service",
        "file_path": "package.json",
        "line_number": 31,
        "cwe_id": "CWE-94",
        "dependency_name": "lodash",
        "current_version": "4.17.15",
        "fixed_version": "4.17.21",
        "language": "typescript",
    }
    return Finding.model_validate({**fields, **changes})


def open_pull(server: SimulatorServer, f: Finding) -> dict[str, Any]:
    playbook = load_playbook(f.category)
    body = {"prompt": build_prompt(f, playbook.title, playbook.body, 1)}
    session_id = requests.post(f"{server.base_url}/sessions", json=body, headers=AUTH, timeout=5).json()[
        "session_id"
    ]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        detail = requests.get(f"{server.base_url}/sessions/{session_id}", headers=AUTH, timeout=5).json()
        if detail["pull_request"]:
            return detail
        time.sleep(0.02)
    raise AssertionError("no pull request")


def test_pull_request_links_go_to_the_simulators_own_pages(tmp_path: Path) -> None:
    with SimulatorServer(seed=1, speed=5000, failure_rate=0.0) as server:
        detail = open_pull(server, make_finding())
        url = detail["pull_request"]["url"]
        assert url.startswith(f"{server.root_url}/acme-corp/catalog-service/pull/")
        assert "github.com" not in url

        page = requests.get(url, timeout=5)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        html = page.text
        number = url.rsplit("/", 1)[1]
        assert "[Patchwave] PW-0017: Fix vulnerable lodash 4.17.15 in catalog-service (CWE-94)" in html
        assert f"#{number}" in html and "Simulated pull request" in html
        assert "Checks" in html and "npm test" in html and "PW-0017 is no longer reported" in html
        assert '<span class="del">-    &quot;lodash&quot;: &quot;^4.17.15&quot;,</span>' in html
        assert "<script" not in html  # the page loads and runs nothing

        diff = requests.get(f"{url}.diff", timeout=5).text
        assert diff.startswith("diff --git a/package.json b/package.json\n")
        assert "+++ b/package-lock.json" in diff

        record = requests.get(f"{url}.json", timeout=5).json()
        assert record["state"] == "open" and record["simulated"] is True
        assert record["files"] == [
            {"path": "package.json", "additions": 1, "deletions": 1},
            {"path": "package-lock.json", "additions": 1, "deletions": 1},
        ]
        assert record["fix_approach"] == detail["structured_output"]["fix_approach"]
        assert record["tests_run"] == detail["structured_output"]["tests_run"]

        assert (
            requests.get(f"{server.root_url}/acme-corp/catalog-service/pull/1", timeout=5).status_code == 404
        )


def test_the_git_host_api_the_ledger_reads_still_works(tmp_path: Path) -> None:
    with SimulatorServer(seed=1, speed=5000, failure_rate=0.0) as server:
        url = open_pull(server, make_finding())["pull_request"]["url"]
        number = int(url.rsplit("/", 1)[1])
        api = f"{server.root_url}/repos/acme-corp/catalog-service/pulls/{number}"
        pull = requests.get(api, timeout=5).json()
        assert (pull["number"], pull["html_url"], pull["state"], pull["merged"]) == (
            number,
            url,
            "open",
            False,
        )
        assert pull["title"].startswith("[Patchwave] PW-0017") and pull["changed_files"] == 2
        as_diff = requests.get(api, headers={"Accept": "application/vnd.github.diff"}, timeout=5)
        assert as_diff.text.startswith("diff --git a/package.json")  # as GitHub answers

        merged = requests.post(
            f"{server.root_url}/_sim/pulls", json={"url": url, "state": "merged"}, timeout=5
        )
        assert merged.status_code == 200 and merged.json()["merged"] is True
        assert requests.get(api, timeout=5).json()["state"] == "closed"
        assert 'class="state merged"' in requests.get(url, timeout=5).text
        unknown = requests.post(
            f"{server.root_url}/_sim/pulls", json={"url": f"{url}99", "state": "merged"}, timeout=5
        )
        assert unknown.status_code == 422


def test_scanner_text_on_the_page_is_escaped() -> None:
    with SimulatorServer(seed=1, speed=5000, failure_rate=0.0) as server:
        f = make_finding(
            category=FindingCategory.xss,
            finding_id=HOSTILE,
            scanner=HOSTILE,
            file_path='src/views/<img src=x onerror="alert(1)">.ejs',
            dependency_name=None,
        )
        url = open_pull(server, f)["pull_request"]["url"]
        html = requests.get(url, timeout=5).text
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_pages_saved_in_the_run_folder_outlive_the_simulator(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    pages = f"http://127.0.0.1:{free_port()}"
    with SimulatorServer(
        seed=1, speed=5000, failure_rate=0.0, pull_base_url=pages, pulls_dir=pulls_dir(runs / "r1")
    ) as server:
        detail = open_pull(server, make_finding())
        url = detail["pull_request"]["url"]
        live_html = requests.get(f"{server.root_url}{url.removeprefix(pages)}", timeout=5).text
    assert url.startswith(f"{pages}/acme-corp/catalog-service/pull/")  # the stable address
    saved = saved_pull_for(runs / "r1", url)
    assert saved is not None and saved.url == url
    (saved_file,) = (runs / "r1" / "pulls").iterdir()  # one file, named by a hash: no scanner text
    assert re.fullmatch(r"[0-9a-f]{32}\.json", saved_file.name)

    server = PullPageServer(runs, pages).start()  # the simulator is gone; the pages are not
    try:
        page = requests.get(url, timeout=5)
        assert page.status_code == 200
        assert _body(page.text) == _body(live_html)
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert requests.get(f"{url}.diff", timeout=5).text == saved.diff
        health = requests.get(f"{pages}/_pull_pages/health", timeout=5).json()
        assert health == {"status": "ok", "runs_dir": str(runs)}
        assert requests.get(f"{pages}/acme-corp/catalog-service/pull/1", timeout=5).status_code == 404
        assert requests.post(url, timeout=5).status_code == 405
        # a second server for the same address finds it taken and leaves the first in charge
        assert start_pull_pages(runs, pages) is None
    finally:
        server.stop()


def _body(html: str) -> str:
    return re.sub(r"opened [^<]+</span>", "", html)


def test_the_newest_copy_wins_and_a_link_in_a_run_folder_is_not_followed(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    pages = "http://127.0.0.1:8766"
    for run in ("a", "b"):
        with SimulatorServer(
            seed=1, speed=5000, failure_rate=0.0, pull_base_url=pages, pulls_dir=pulls_dir(runs / run)
        ) as server:
            url = open_pull(server, make_finding())["pull_request"]["url"]
        time.sleep(0.01)
    path = url.removeprefix(pages)
    found = find_pull(runs, path)
    assert found is not None and found.url == url
    # the same seeded task opens the same pull request in both runs; a copy behind a link is ignored
    evil = runs / "c" / "pulls"
    evil.parent.mkdir()
    evil.symlink_to(runs / "a" / "pulls")
    (runs / "b" / "pulls" / next((runs / "b" / "pulls").iterdir()).name).write_text("not json")
    again = find_pull(runs, path)  # b's damaged copy is skipped, a's is read
    assert again is not None and again.url == url
    (a_copy,) = (runs / "a" / "pulls").iterdir()
    assert json.loads(a_copy.read_text())["simulated"] is True


@pytest.mark.parametrize(
    "url", ["http://0.0.0.0:8766", "http://10.1.2.3:8766", "https://127.0.0.1:8766", "http://127.0.0.1"]
)
def test_the_page_server_serves_only_loopback(url: str) -> None:
    with pytest.raises(ValueError):
        loopback_address(url)
    assert loopback_address("http://127.0.0.1:8766") == ("127.0.0.1", 8766)
    assert loopback_address("http://localhost:9000") == ("localhost", 9000)


def test_a_resumed_simulator_keeps_the_saved_page_as_it_was(tmp_path: Path) -> None:
    journal, folder = tmp_path / "simulator.jsonl", tmp_path / "run" / "pulls"
    with SimulatorServer(
        seed=1, speed=5000, failure_rate=0.0, journal_path=journal, pulls_dir=folder
    ) as first:
        detail = open_pull(first, make_finding())
    (saved,) = folder.iterdir()
    before = saved.read_bytes()
    with SimulatorServer(
        seed=1, speed=5000, failure_rate=0.0, journal_path=journal, pulls_dir=folder
    ) as again:
        replayed = requests.get(f"{again.base_url}/sessions/{detail['session_id']}", headers=AUTH, timeout=5)
        assert replayed.json()["pull_request"] == detail["pull_request"]  # the same link
        path = detail["pull_request"]["url"].removeprefix(first.root_url)
        assert requests.get(f"{again.root_url}{path}.json", timeout=5).json()["created_at"] in before.decode()
    assert saved.read_bytes() == before


def test_a_pull_request_page_is_never_written_through_a_link(tmp_path: Path) -> None:
    """A `pulls` folder that is a link (planted while the run ran) gets nothing written through
    it: the session still reports its pull request, served while the simulator runs."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "run" / "pulls"
    folder.parent.mkdir()
    folder.symlink_to(elsewhere)
    with SimulatorServer(seed=1, speed=5000, failure_rate=0.0, pulls_dir=folder) as server:
        url = open_pull(server, make_finding())["pull_request"]["url"]
        pull = served_record(url)
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(SymlinkRefusedError, match="never written through links"):
        save_pull(folder, pull)
    assert list(elsewhere.iterdir()) == []


def served_record(url: str) -> PullRecord:
    served = requests.get(f"{url}.json", timeout=5)
    assert served.status_code == 200
    return PullRecord.model_validate({k: v for k, v in served.json().items() if k != "state"})


def test_a_pull_request_page_replaces_its_file_whole(tmp_path: Path) -> None:
    """The record is written to a temp file and renamed over the old one: a link planted at the
    record's own name is replaced, never written through."""
    folder = tmp_path / "run" / "pulls"
    with SimulatorServer(seed=1, speed=5000, failure_rate=0.0, pulls_dir=folder) as server:
        url = open_pull(server, make_finding())["pull_request"]["url"]
        pull = served_record(url)
    (saved,) = folder.iterdir()
    target = tmp_path / "target.txt"
    target.write_text("untouched")
    saved.unlink()
    saved.symlink_to(target)
    save_pull(folder, pull)
    assert target.read_text() == "untouched"
    assert not saved.is_symlink() and json.loads(saved.read_text())["url"] == url
    assert [p.name for p in folder.iterdir()] == [saved.name]  # no temp file left behind
