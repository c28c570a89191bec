"""Scan imports: new, recurring, unchanged, fixed, verified fixed, regressed; scopes; re-imports."""

from __future__ import annotations

import pytest

from engine.core.errors import BadInputError
from engine.core.models import Severity
from engine.ledger import (
    Claim,
    GlobalBudget,
    Ledger,
    LifecycleState,
    claim,
    import_scan,
    mark_false_positive,
    record_outcome,
    scan_id_of,
    scope_of,
    set_pull_request_state,
)
from tests.ledger_helpers import REPO_B, at, finding, fp, round_trips, states

S = LifecycleState
BUDGET = GlobalBudget(limit=100, period_hours=24)


def test_scan_id_is_the_hash_of_the_bytes() -> None:
    assert scan_id_of(b"scan one") == scan_id_of(b"scan one")
    assert scan_id_of(b"scan one") != scan_id_of(b"scan two")
    assert len(scan_id_of(b"x")) == 20
    assert scan_id_of(b"") == "e3b0c44298fc1c149afb"  # sha256 of nothing, first 20 hex


def test_scope_is_repo_or_service_and_scanner_lowercased() -> None:
    assert scope_of(finding(1, repo="https://GitHub.com/Acme/Shop/ ", scanner=" CodeQL")) == (
        "https://github.com/acme/shop|codeql"
    )
    assert scope_of(finding(1, repo=None, service="Payments", scanner=None)) == "payments|unknown"


def test_first_import_creates_new_entries_with_history() -> None:
    ledger = Ledger()
    summary = import_scan(ledger, "scan-1", "codeql.sarif", [finding(1), finding(2)], at(0), run_id="r1")
    assert summary.new == [fp(1), fp(2)]
    assert summary.counts == {
        "new": 2,
        "recurring": 0,
        "unchanged": 0,
        "fixed": 0,
        "verified_fixed": 0,
        "regressed": 0,
    }
    entry = ledger.entries[fp(1)]
    assert entry.state == S.new
    assert entry.scope == "https://github.com/acme/shop|codeql"
    assert entry.scanners == ["CodeQL"]
    assert (entry.first_seen, entry.last_seen, entry.appearances, entry.last_scan_id) == (
        at(0),
        at(0),
        1,
        "scan-1",
    )
    assert [(e.state, e.previous, e.reason) for e in entry.history] == [
        (S.new, None, "first seen in codeql.sarif")
    ]
    assert ledger.imports[0].model_dump() == {
        "scan_id": "scan-1",
        "imported_at": at(0),
        "source_name": "codeql.sarif",
        "scopes": ["https://github.com/acme/shop|codeql"],
        "findings": 2,
        "run_id": "r1",
    }
    assert round_trips(ledger)


def test_reimporting_the_same_scan_changes_nothing() -> None:
    ledger = Ledger()
    import_scan(ledger, "scan-1", "a.sarif", [finding(1), finding(2)], at(0))
    import_scan(ledger, "scan-2", "b.sarif", [finding(1)], at(1))  # fixes finding 2
    before = ledger.model_dump_json()
    again = import_scan(ledger, "scan-1", "a.sarif", [finding(1), finding(2)], at(5))
    assert again.already_imported
    assert sum(again.counts.values()) == 0
    assert ledger.model_dump_json() == before


def test_present_again_updates_description_and_keeps_state() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(1, line=10, title="old title")], at(0))
    summary = import_scan(
        ledger, "s2", "b.sarif", [finding(1, line=42, title="new title", severity=Severity.critical)], at(3)
    )
    assert summary.unchanged == [fp(1)]
    entry = ledger.entries[fp(1)]
    assert (entry.state, entry.line_number, entry.title, entry.severity) == (
        S.new,
        42,
        "new title",
        "critical",
    )
    assert (entry.first_seen, entry.last_seen, entry.appearances, entry.last_scan_id) == (
        at(0),
        at(3),
        2,
        "s2",
    )
    assert len(entry.history) == 1  # no state change, no event


def test_absent_within_scope_is_fixed_and_comes_back_as_recurring() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(1), finding(2)], at(0))
    summary = import_scan(ledger, "s2", "b.sarif", [finding(1)], at(1))
    assert (summary.unchanged, summary.fixed) == ([fp(1)], [fp(2)])
    assert states(ledger) == {fp(1): "new", fp(2): "fixed"}
    assert ledger.entries[fp(2)].history[-1].reason == "absent from b.sarif"

    back = import_scan(ledger, "s3", "c.sarif", [finding(1), finding(2)], at(2))
    assert back.recurring == [fp(2)]
    assert ledger.entries[fp(2)].state == S.recurring
    assert ledger.entries[fp(2)].history[-1].reason == "seen again in c.sarif after it was fixed"


def test_absence_is_judged_only_within_the_scans_scopes() -> None:
    ledger = Ledger()
    import_scan(
        ledger,
        "s1",
        "all.sarif",
        [finding(1), finding(2, scanner="Trivy"), finding(3, repo=REPO_B)],
        at(0),
    )
    # A CodeQL scan of repo A: says nothing about Trivy's findings nor about repo B.
    summary = import_scan(ledger, "s2", "codeql-a.sarif", [finding(4)], at(1))
    assert summary.new == [fp(4)]
    assert summary.fixed == [fp(1)]
    assert states(ledger) == {fp(1): "fixed", fp(2): "new", fp(3): "new", fp(4): "new"}


def test_an_empty_scan_closes_nothing() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(1)], at(0))
    summary = import_scan(ledger, "s2", "empty.sarif", [], at(1))
    assert summary.fixed == []
    assert ledger.entries[fp(1)].state == S.new
    assert ledger.imports[-1].scopes == []


def test_scanners_stay_a_sorted_unique_list() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a", [finding(1, scanner="Semgrep OSS")], at(0))
    import_scan(ledger, "s2", "b", [finding(1, scanner="CodeQL")], at(1))
    import_scan(ledger, "s3", "c", [finding(1, scanner="CodeQL")], at(2))
    entry = ledger.entries[fp(1)]
    assert entry.scanners == ["CodeQL", "Semgrep OSS"]
    assert entry.scope.endswith("|codeql")  # the latest scan's scope


def test_a_finding_without_fingerprint_is_bad_input_and_changes_nothing() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(1)], at(0))
    before = ledger.model_dump_json()
    nameless = finding(2).model_copy(update={"fingerprint": None})
    with pytest.raises(BadInputError, match=r"b\.csv: finding 'F-2' has no fingerprint"):
        import_scan(ledger, "s2", "b.csv", [finding(1), nameless], at(1))
    assert ledger.model_dump_json() == before


def test_false_positive_is_never_reactivated_by_scans() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a", [finding(1)], at(0))
    mark_false_positive(ledger, fp(1), "ana@example.com", "test fixture, not production code", at(1))
    import_scan(ledger, "s2", "b", [finding(2)], at(2))  # absent: stays a false positive
    summary = import_scan(ledger, "s3", "c", [finding(1)], at(3))  # present again
    assert summary.unchanged == [fp(1)]
    entry = ledger.entries[fp(1)]
    assert entry.state == S.false_positive
    assert (entry.appearances, entry.last_seen) == (2, at(3))


def test_dispatched_keeps_its_state_when_absent() -> None:
    ledger = Ledger()
    import_scan(ledger, "s1", "a", [finding(1)], at(0))
    claim(ledger, "r1", [Claim(fingerprint=fp(1), finding_id="F-1", attempt=1)], at(1), BUDGET)
    summary = import_scan(ledger, "s2", "b", [finding(2)], at(2))
    assert summary.fixed == []
    entry = ledger.entries[fp(1)]
    assert entry.state == S.dispatched
    # Should the session end without a PR, the entry returns to what the scan said.
    assert entry.state_before_dispatch == S.fixed
    import_scan(ledger, "s3", "c", [finding(1)], at(3))
    assert (entry.state, entry.state_before_dispatch) == (S.dispatched, S.recurring)
    record_outcome(ledger, "r1", fp(1), 1, "interrupted", at(4))
    assert entry.state == S.recurring


def _merged(ledger: Ledger) -> None:
    import_scan(ledger, "s1", "a.sarif", [finding(1), finding(2)], at(0))
    claim(ledger, "r1", [Claim(fingerprint=fp(1), finding_id="F-1", attempt=1)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "success", at(2), pr_url="https://github.com/acme/shop/pull/7")
    set_pull_request_state(ledger, fp(1), "merged", at(3), "ana@example.com")


def test_merged_fix_absent_from_the_next_scan_is_verified() -> None:
    ledger = Ledger()
    _merged(ledger)
    summary = import_scan(ledger, "s2", "b.sarif", [finding(2)], at(4))
    assert summary.verified_fixed == [fp(1)]
    assert summary.fixed == []
    entry = ledger.entries[fp(1)]
    assert entry.state == S.verified_fixed
    assert entry.history[-1].reason == "absent from b.sarif: merged PR verified"


def test_merged_fix_still_present_is_a_failed_fix() -> None:
    ledger = Ledger()
    _merged(ledger)
    summary = import_scan(ledger, "s2", "b.sarif", [finding(1), finding(2)], at(4))
    assert summary.regressed == [fp(1)]
    assert summary.recurring == []
    entry = ledger.entries[fp(1)]
    assert entry.state == S.recurring
    assert entry.pr_url is None
    assert [f.model_dump() for f in entry.failed_fixes] == [
        {
            "pr_url": "https://github.com/acme/shop/pull/7",
            "run_id": "r1",
            "detected_at": at(4),
            "scan_id": "s2",
        }
    ]
    assert "the fix did not hold" in entry.history[-1].reason
    assert round_trips(ledger)


def test_verified_fix_that_comes_back_is_a_regression() -> None:
    ledger = Ledger()
    _merged(ledger)
    import_scan(ledger, "s2", "b.sarif", [finding(2)], at(4))
    summary = import_scan(ledger, "s3", "c.sarif", [finding(1), finding(2)], at(30))
    assert summary.regressed == [fp(1)]
    entry = ledger.entries[fp(1)]
    assert entry.state == S.recurring
    assert entry.failed_fixes[0].scan_id == "s3"
    assert entry.failed_fixes[0].pr_url == "https://github.com/acme/shop/pull/7"
    assert [e.state for e in entry.history] == [
        S.new,
        S.dispatched,
        S.pr_open,
        S.pr_merged,
        S.verified_fixed,
        S.recurring,
    ]


def test_summary_round_trips_through_json() -> None:
    ledger = Ledger()
    summary = import_scan(ledger, "s1", "a", [finding(1), finding(2)], at(0))
    again = type(summary).model_validate_json(summary.model_dump_json())
    assert again == summary
    assert again.counts["new"] == 2
