"""`python -m engine ledger ...` as a user would type it."""

from __future__ import annotations

import json
from pathlib import Path

from engine.access.audit import read_audit
from engine.ledger import LifecycleState, read_ledger
from tests.engine_helpers import SAMPLE, cli


def _ok(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_list_triage_and_reopen(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    out = _ok(cli(runs, "ledger", "import", str(SAMPLE)))
    assert "24 new" in out
    assert "already imported" in _ok(cli(runs, "ledger", "import", str(SAMPLE)))

    rows = json.loads(_ok(cli(runs, "ledger", "list", "--json")))
    assert len(rows) == 24 and {r["state"] for r in rows} == {"new"}
    assert rows[0]["severity"] == "critical"  # most urgent first
    first, second = rows[0]["fingerprint"], rows[1]["fingerprint"]

    _ok(cli(runs, "ledger", "false-positive", first, "--reason", "test code, never deployed"))
    _ok(
        cli(
            runs,
            "ledger",
            "accept-risk",
            second,
            "--owner",
            "payments team",
            "--reason",
            "behind VPN",
            "--days",
            "30",
        )
    )
    ledger = read_ledger(runs, "simulated")
    assert ledger.entries[first].state == LifecycleState.false_positive
    assert ledger.entries[second].state == LifecycleState.risk_accepted
    assert ledger.entries[second].risk is not None and ledger.entries[second].risk.owner == "payments team"
    shown = json.loads(_ok(cli(runs, "ledger", "show", first)))
    assert shown["note"] and shown["history"][-1]["state"] == "false_positive"

    # A later scan does not reactivate the false positive.
    _ok(cli(runs, "ledger", "import", str(_touched_copy(tmp_path))))
    assert read_ledger(runs, "simulated").entries[first].state == LifecycleState.false_positive
    listed = json.loads(_ok(cli(runs, "ledger", "list", "--json", "--state", "false_positive")))
    assert [r["fingerprint"] for r in listed] == [first]

    _ok(cli(runs, "ledger", "reopen", first, "--reason", "it ships after all"))
    assert read_ledger(runs, "simulated").entries[first].state == LifecycleState.recurring
    decisions = [e.details.get("decision") for e in read_audit(runs) if e.action == "triage"]
    assert decisions == ["false_positive", "risk_accepted", "reopen"]


def test_bad_input_is_named(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _ok(cli(runs, "ledger", "import", str(SAMPLE)))
    unknown = cli(runs, "ledger", "false-positive", "0" * 20, "--reason", "x")
    assert unknown.returncode == 2 and "0" * 20 in unknown.stderr
    fp = json.loads(_ok(cli(runs, "ledger", "list", "--json")))[0]["fingerprint"]
    no_pr = cli(runs, "ledger", "pr", fp, "merged")
    assert no_pr.returncode == 2 and "no pull request" in no_pr.stderr
    empty_reason = cli(runs, "ledger", "false-positive", fp, "--reason", "  ")
    assert empty_reason.returncode == 2 and "reason" in empty_reason.stderr
    not_a_scan = tmp_path / "notes.txt"
    not_a_scan.write_text("hello\n")
    refused = cli(runs, "ledger", "import", str(not_a_scan))
    assert refused.returncode == 2 and "notes.txt" in refused.stderr


def _touched_copy(tmp_path: Path) -> Path:
    """The sample with one more finding: a different scan of the same findings."""
    lines = SAMPLE.read_text().splitlines()
    extra = lines[1].split(",")
    extra[0] = "PW-9999"
    copy = tmp_path / "rescan.csv"
    copy.write_text("\n".join([*lines, ",".join(extra).replace("PW-0001", "PW-9999")]) + "\n")
    return copy
