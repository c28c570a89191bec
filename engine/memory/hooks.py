"""Where outcomes reach the memory from outside a run's engine: review decisions, scan imports
(verified and regressed fixes) and reviewers retiring a lesson. Each reads what it needs, then
changes the memory in one `update`. Learning is advice: a failure here is logged and never
undoes the decision or the import it follows; retiring, a person's own action, reports it."""

from __future__ import annotations

import logging
from pathlib import Path

from engine.access.audit import record_audit
from engine.access.roles import Action, Identity, require
from engine.core.models import BatchRun, utcnow
from engine.ledger import ImportSummary, LedgerEntry, read_ledger
from engine.memory.facts import session_facts
from engine.memory.learn import SessionFacts, fix_regressed, fix_verified, pull_request_reviewed, retire
from engine.memory.models import MemoryItem
from engine.memory.store import memory_store
from engine.runs.paths import RunPaths
from engine.runs.reviews import ReviewDecision
from engine.runs.state_store import load_state

log = logging.getLogger(__name__)


def learn_from_review(runs_dir: Path, run: BatchRun, decision: ReviewDecision) -> list[MemoryItem]:
    """An approval teaches the session's fix; a rejection lowers it and teaches the reason."""
    facts = session_facts(run, decision.finding_id, decision.attempt)
    if facts is None:
        return []
    facts.pr_url = facts.pr_url or decision.pull_request_url
    now = utcnow()
    try:
        return memory_store(runs_dir).update(
            run.data_source,
            lambda book: pull_request_reviewed(
                book, facts, decision.decision, decision.reviewer, decision.reason, now
            ),
        )
    except Exception:
        log.exception(
            "memory: the review of %s attempt %s taught nothing", decision.finding_id, decision.attempt
        )
        return []


def _facts_of_pr(
    runs_dir: Path, entry: LedgerEntry, run_id: str | None, pr_url: str | None
) -> SessionFacts | None:
    """The session of our run that opened `pr_url` for this entry, from that run's state."""
    attempt = next(
        (
            a
            for a in reversed(entry.attempts)
            if a.outcome == "success"
            and (pr_url is None or a.pr_url == pr_url)
            and (run_id in (None, a.run_id))
        ),
        None,
    )
    if attempt is None:
        return None
    try:
        run = load_state(RunPaths.of(runs_dir, attempt.run_id).state)
    except Exception as exc:  # a run folder removed or damaged since: nothing to learn from
        log.info("memory: run %s unreadable for learning (%s)", attempt.run_id, exc)
        return None
    facts = session_facts(run, attempt.finding_id, attempt.attempt)
    if facts is not None:
        facts.pr_url = facts.pr_url or attempt.pr_url
    return facts


def learn_from_scan(runs_dir: Path, data_source: str, summary: ImportSummary) -> int:
    """A scan confirmed some merged fixes and saw others come back: the first teach (or
    strengthen) their fix, the second lower it and teach a pitfall. Returns how many sessions
    taught something."""
    if not summary.verified_fixed and not summary.regressed:
        return 0
    try:
        ledger = read_ledger(runs_dir, data_source)
        verified: list[SessionFacts] = []
        regressed: list[SessionFacts] = []
        for fingerprint in summary.verified_fixed:
            entry = ledger.entries.get(fingerprint)
            if entry is not None and (facts := _facts_of_pr(runs_dir, entry, None, entry.pr_url)):
                verified.append(facts)
        for fingerprint in summary.regressed:
            entry = ledger.entries.get(fingerprint)
            if entry is not None and entry.failed_fixes:
                failed = entry.failed_fixes[-1]
                if (facts := _facts_of_pr(runs_dir, entry, failed.run_id, failed.pr_url)) is not None:
                    regressed.append(facts)
        if not verified and not regressed:
            return 0
        now = utcnow()

        def change(book) -> None:  # type: ignore[no-untyped-def]
            for facts in verified:
                fix_verified(book, facts, now)
            for facts in regressed:
                fix_regressed(book, facts, now)

        memory_store(runs_dir).update(data_source, change)
        return len(verified) + len(regressed)
    except Exception:
        log.exception("memory: the scan's verified and regressed fixes taught nothing")
        return 0


def retire_lesson_as(
    runs_dir: Path, identity: Identity, data_source: str, item_id: str, reason: str
) -> MemoryItem:
    """A reviewer takes a lesson out of every future prompt; audited."""
    require(identity, Action.curate_memory)
    now = utcnow()
    item = memory_store(runs_dir).update(
        data_source, lambda book: retire(book, item_id, identity.email, reason, now)
    )
    record_audit(
        runs_dir,
        identity,
        Action.curate_memory,
        f"memory:{data_source}:{item_id}",
        {"decision": "retire", "reason": item.retired.reason if item.retired else reason},
    )
    return item
