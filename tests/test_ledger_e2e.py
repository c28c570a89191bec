"""The ledger end to end, as a security team lives with it: scan, run, merge, scan again.

The run goes through the standalone simulator (the live code path with any key), because
the pull requests must be merged after the run's engine has exited; the simulator also
serves GitHub's pull request API, which `ledger sync-prs` reads."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import requests

from engine.alerts import HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP, verify_signature
from engine.ledger import LifecycleState, ledger_path, read_ledger
from engine.simulator.server import SimulatorServer
from tests.engine_helpers import cli
from tests.scan_builders import Result, codeql_sarif

SQL = "This SQL query depends on a user-provided value."
SCAN_1 = [
    Result("py/sql-injection", "app/orders.py", 41, SQL),
    Result("py/sql-injection", "app/reports.py", 88, SQL),
    Result("py/reflective-xss", "app/views.py", 17, "Cross-site scripting due to a user-provided value."),
    Result("py/path-injection", "app/files.py", 23, "This path depends on a user-provided value."),
    Result("py/clear-text-logging-sensitive-data", "app/auth.py", 52, "This logs a password as clear text."),
]
MERGED = {"app/orders.py", "app/reports.py", "app/views.py"}
# Scan 2: orders and views are gone; reports is still there (its code moved down 7 lines);
# files and auth are untouched; a new hard-coded credential appears.
SCAN_2 = [
    Result("py/sql-injection", "app/reports.py", 95, SQL),
    SCAN_1[3],
    SCAN_1[4],
    Result("py/hardcoded-credentials", "app/config.py", 9, "Hard-coded password used as a credential."),
]


class WebhookReceiver:
    """A real HTTP endpoint that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/patchwave"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _states(runs: Path) -> dict[str, LifecycleState]:
    ledger = read_ledger(runs, "live")
    return {e.file_path or "": e.state for e in ledger.entries.values()}


def test_scan_run_merge_rescan_verifies_fixes_and_reimport_changes_nothing(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    scan1, scan2 = tmp_path / "scan1.sarif", tmp_path / "scan2.sarif"
    scan1.write_bytes(codeql_sarif(SCAN_1))
    scan2.write_bytes(codeql_sarif(SCAN_2))
    with SimulatorServer(seed=1, speed=200, failure_rate=0.0) as server:
        env = {"DEVIN_API_KEY": "any-key", "DEVIN_API_BASE_URL": server.base_url}
        root = server.base_url.removesuffix("/v1")
        done = cli(runs, "run", str(scan1), "--speed", "200", "--run-id", "r1", **env)
        assert done.returncode == 0, done.stderr
        ledger = read_ledger(runs, "live")
        assert len(ledger.entries) == 5
        assert {e.service_name for e in ledger.entries.values()} == {"payments"}  # from the repository
        assert set(_states(runs).values()) == {LifecycleState.pr_open}

        # Reviewers merge three of the five pull requests on the Git host.
        for entry in ledger.entries.values():
            if entry.file_path in MERGED:
                answer = requests.post(
                    f"{root}/_sim/pulls", json={"url": entry.pr_url, "state": "merged"}, timeout=5
                )
                assert answer.status_code == 200, answer.text
        synced = cli(runs, "ledger", "sync-prs", "--git-api", root, **env)
        assert synced.returncode == 0, synced.stderr
        assert synced.stdout.count(": merged") == 3 and synced.stdout.count(": open") == 2

    states = _states(runs)
    assert {p for p, s in states.items() if s == LifecycleState.pr_merged} == MERGED

    with WebhookReceiver() as hook:
        imported = cli(
            runs,
            "ledger",
            "import",
            str(scan2),
            "--data-source",
            "live",
            ALERT_WEBHOOK_URL=hook.url,
            ALERT_WEBHOOK_SECRET="s3cret",
        )
    assert imported.returncode == 0, imported.stderr
    # The verified fixes were announced on the webhook, signed.
    (headers, body), *_ = hook.received
    assert headers[HEADER_EVENT] == "fix_verified"
    assert verify_signature(body, "s3cret", headers[HEADER_TIMESTAMP], headers[HEADER_SIGNATURE])
    assert len(json.loads(body)["details"]["fingerprints"]) == 2
    states = _states(runs)
    assert states == {
        "app/orders.py": LifecycleState.verified_fixed,
        "app/views.py": LifecycleState.verified_fixed,
        "app/reports.py": LifecycleState.recurring,  # merged, yet still reported: the fix did not hold
        "app/files.py": LifecycleState.pr_open,
        "app/auth.py": LifecycleState.pr_open,
        "app/config.py": LifecycleState.new,
    }
    reports = next(e for e in read_ledger(runs, "live").entries.values() if e.file_path == "app/reports.py")
    assert len(reports.failed_fixes) == 1 and reports.failed_fixes[0].run_id == "r1"
    assert reports.line_number == 95 and reports.appearances == 2  # same finding after the line shift

    path = ledger_path(runs, "live")
    before = path.read_bytes()
    again = cli(runs, "ledger", "import", str(scan2), "--data-source", "live")
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stdout
    assert path.read_bytes() == before

    # The next plan works only on what is really open, and says why it skips the rest.
    plan = cli(runs, "plan", str(scan2), "--json", DEVIN_API_KEY="any-key")
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    selected = {f["file_path"] for wave in planned["waves"] for f in wave["findings"]}
    assert selected == {"app/reports.py", "app/config.py"}
    assert sorted(s["reason"] for s in planned["skipped"]) == ["open_pr", "open_pr"]
    scores = [f["priority"]["total"] for wave in planned["waves"] for f in wave["findings"]]
    assert scores == sorted(scores, reverse=True)

    # A fixed finding that comes back is recurring again, with its failed fix on record.
    scan3 = tmp_path / "scan3.sarif"
    scan3.write_bytes(codeql_sarif([*SCAN_2, SCAN_1[0]]))
    assert cli(runs, "ledger", "import", str(scan3), "--data-source", "live").returncode == 0
    orders = next(e for e in read_ledger(runs, "live").entries.values() if e.file_path == "app/orders.py")
    assert orders.state == LifecycleState.recurring and len(orders.failed_fixes) == 1
