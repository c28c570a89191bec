"""Scans teach the memory: a merged fix that a later scan no longer sees teaches (or
strengthens) its fix; one that comes back lowers it and teaches a pitfall. A real simulated
run with the findings ledger, then scan imports as the Ledger page and `ledger import` make
them."""

from __future__ import annotations

import csv
import io

import pytest

from engine.access.roles import local_admin
from engine.ledger.ops import import_scan_bytes, set_pull_request_as
from engine.memory import LessonKind, memory_store
from engine.memory.learn import OWN_FIX_PENALTY, START_CONFIDENCE
from engine.runs.reviews import reviewable
from engine.settings.environment import load_settings
from tests.engine_helpers import SAMPLE, cli, load_run, roomy_policy

pytestmark = pytest.mark.slow


def test_a_verified_fix_teaches_and_a_regressed_one_lowers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runs = tmp_path / "runs"
    done = cli(runs, "run", str(SAMPLE), "--speed", "2000", "--failure-rate", "0", "--run-id", "fixes")
    assert done.returncode == 0, done.stderr
    run = load_run(runs, "fixes")
    rows = list(csv.DictReader(io.StringIO(SAMPLE.read_text())))
    scope = {(r["repo_url"], r["scanner"]) for r in rows}
    shared = {key for key in scope if sum((r["repo_url"], r["scanner"]) == key for r in rows) > 1}
    findings = {f.finding_id: f for f in run.findings}
    row_of = {r["finding_id"]: r for r in rows}
    session = next(
        s
        for s in run.sessions
        if reviewable(s) and (row_of[s.finding_id]["repo_url"], row_of[s.finding_id]["scanner"]) in shared
    )
    finding = findings[session.finding_id]
    settings = load_settings(runs_dir=runs, policy_file=roomy_policy(runs))
    admin = local_admin()
    set_pull_request_as(settings, admin, "simulated", finding.fingerprint or "", "merged")

    lines = SAMPLE.read_text().splitlines(keepends=True)
    without = "".join(line for line in lines if not line.startswith(f"{finding.finding_id},"))
    result = import_scan_bytes(settings, admin, without.encode(), "rescan.csv", data_source="simulated")
    assert finding.fingerprint in result.summary.verified_fixed
    book = memory_store(runs).read("simulated")
    (fix,) = [i for i in book.items.values() if i.kind == LessonKind.fix]
    assert fix.confidence == START_CONFIDENCE["fix_verified"]
    (source,) = fix.provenance
    assert (source.source, source.run_id, source.finding_id) == ("fix_verified", "fixes", finding.finding_id)
    assert source.pr_url == session.pull_request_url and source.session_id == session.session_id
    assert (fix.category, fix.service) == (finding.category, finding.service_name)

    again = SAMPLE.read_bytes() + b"\n"  # the finding is back (another scan: other bytes)
    result = import_scan_bytes(settings, admin, again, "third-scan.csv", data_source="simulated")
    assert finding.fingerprint in result.summary.regressed
    book = memory_store(runs).read("simulated")
    lowered = book.items[fix.item_id]
    assert lowered.confidence == pytest.approx(START_CONFIDENCE["fix_verified"] - OWN_FIX_PENALTY)
    assert [p.source for p in lowered.provenance] == ["fix_verified", "fix_regressed"]
    pitfall = next(
        i for i in book.items.values() if i.kind == LessonKind.pitfall and "did not hold" in i.text
    )
    assert pitfall.provenance[0].pr_url == session.pull_request_url
