"""The audit trail (engine/access/audit.py): appended, read back, secrets kept out, safe across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from engine.access.audit import REDACTED, audit_path, read_audit, record_audit
from engine.access.roles import Action, Identity, Role
from tests.engine_helpers import REPO

ANA = Identity(email="ana@acme.com", name="Ana", role=Role.admin, authenticated=True)


def test_append_and_read_back_in_order(tmp_path: Path) -> None:
    record_audit(tmp_path, ANA, Action.launch, "run-1", {"mode": "simulated", "source": "f.csv"})
    record_audit(tmp_path, ANA, Action.stop, "run-1", {})
    record_audit(tmp_path, ANA, "review", "run-1", {"finding_id": "F-1", "attempt": 1})
    entries = read_audit(tmp_path)
    assert [(e.action, e.target) for e in entries] == [
        ("launch", "run-1"),
        ("stop", "run-1"),
        ("review", "run-1"),
    ]
    assert entries[0].actor == "ana@acme.com" and entries[0].role == "admin"
    assert entries[0].details == {"mode": "simulated", "source": "f.csv"}
    assert entries[0].ts <= entries[-1].ts
    assert len(audit_path(tmp_path).read_bytes().splitlines()) == 3


def test_no_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_audit(tmp_path) == []


def test_secret_named_details_are_never_written(tmp_path: Path) -> None:
    record_audit(
        tmp_path,
        ANA,
        Action.change_settings,
        "settings",
        {
            "devin_api_key": "sk-live-123",
            "slack_webhook_url": SecretStr("https://hooks.example/abc"),
            "nested": {"client_secret": "s3cr3t", "ACCESS_TOKEN": "tok-9", "wave_size": 5},
            "items": [{"apiKey": "k-1"}],
        },
    )
    raw = audit_path(tmp_path).read_text()
    for secret in ("sk-live-123", "hooks.example", "s3cr3t", "tok-9", "k-1"):
        assert secret not in raw
    details = read_audit(tmp_path)[0].details
    assert details["devin_api_key"] == REDACTED
    assert details["slack_webhook_url"] == REDACTED
    assert details["nested"] == {"client_secret": REDACTED, "ACCESS_TOKEN": REDACTED, "wave_size": 5}


def test_a_torn_last_line_is_skipped_and_then_cut(tmp_path: Path) -> None:
    record_audit(tmp_path, ANA, Action.launch, "run-1", {})
    with audit_path(tmp_path).open("ab") as handle:
        handle.write(b'{"ts": "2026-01-01T00:00:00Z", "actor": "half')
    assert [e.target for e in read_audit(tmp_path)] == ["run-1"]
    record_audit(tmp_path, ANA, Action.resume, "run-2", {})
    assert [e.target for e in read_audit(tmp_path)] == ["run-1", "run-2"]


def _writer(runs_dir: str, who: str, count: int) -> None:
    identity = Identity(email=who, name=None, role=Role.operator, authenticated=True)
    for i in range(count):
        record_audit(Path(runs_dir), identity, Action.launch, f"run-{i}", {"i": i, "pad": "x" * 2000})


def test_two_processes_append_without_losing_or_tearing_lines(tmp_path: Path) -> None:
    # Plain subprocesses (not multiprocessing's spawn, which re-imports whatever `__main__` an
    # earlier in-process AppTest left behind).
    count = 60
    code = "import sys; from tests.test_audit import _writer; _writer(*sys.argv[1:3], int(sys.argv[3]))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), f"p{n}@x.com", str(count)], cwd=REPO)
        for n in range(2)
    ]
    for p in procs:
        assert p.wait(60) == 0
    entries = read_audit(tmp_path)
    assert len(audit_path(tmp_path).read_bytes().splitlines()) == 2 * count == len(entries)
    for n in range(2):
        mine = [e.details["i"] for e in entries if e.actor == f"p{n}@x.com"]
        assert mine == list(range(count))
