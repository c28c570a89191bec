"""The run's side of the findings ledger: claim each session before creating it, record each
outcome after it ends.

Claims and outcomes are batched, because the ledger is shared by every run and rewritten
whole: a wave's queued sessions are claimed together (one locked write), and outcomes are
written at most once a second (`FLUSH_INTERVAL_SECONDS`) and at every wave's end. A claim is
what makes two runs never work on one finding at once: it is granted under the ledger's
lock, and a finding another run holds, or one past the global session limit, is refused
and held back with the reason."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from engine.core.data_sources import counts_for_real
from engine.core.errors import BadInputError
from engine.core.models import BatchRun, RemediationSession, RunLedgerConfig, SessionStatus, utcnow
from engine.ledger import Claim, GlobalBudget, claim, record_outcome, update_ledger
from engine.runs.fence import check_lease

log = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 1.0
# A large ledger takes a while to rewrite: outcome writes then come at most this many write
# times apart, so the run spends at most about a fifth of its time on the ledger.
FLUSH_COST_FACTOR = 4.0

_OUTCOMES = {
    SessionStatus.success: "success",
    SessionStatus.failed: "failed",
    SessionStatus.timeout: "timeout",
}


class LedgerLink:
    def __init__(self, run: BatchRun, runs_dir: Path, config: RunLedgerConfig) -> None:
        self.run = run
        self.runs_dir = runs_dir
        self.config = config
        self.fingerprints = {f.finding_id: f.fingerprint or "" for f in run.findings}
        self.claimed: set[tuple[str, int]] = set()
        self.pending: list[RemediationSession] = []
        self._flushed_at = 0.0  # time.monotonic() of the last outcome write
        self._write_seconds = 0.0  # how long the last outcome write took

    def claim(self, items: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """Claims the (finding, attempt) pairs not claimed yet; returns the refused ones with
        the reason. Claiming again after a restart is granted: the ledger knows the run. A
        hybrid run claims only what goes to the live API (the caller leaves the rest out)."""
        todo = [item for item in items if item not in self.claimed]
        if not todo:
            return {}
        claims = [Claim(fingerprint=self.fingerprints[f], finding_id=f, attempt=a) for f, a in todo]
        budget = GlobalBudget(
            limit=self.config.global_session_limit, period_hours=self.config.global_period_hours
        )
        check_lease("claim sessions in the findings ledger")
        result = update_ledger(
            self.runs_dir,
            self.run.data_source,
            lambda ledger: claim(ledger, self.run.run_id, claims, utcnow(), budget),
        )
        refused: dict[tuple[str, int], str] = {}
        for item, c in zip(todo, claims, strict=True):
            if c.fingerprint in result.refused:
                refused[item] = result.refused[c.fingerprint]
            else:
                self.claimed.add(item)
        return refused

    def ended(self, session: RemediationSession) -> None:
        if session.status in _OUTCOMES and counts_for_real(self.run, session):
            self.pending.append(session)

    def catch_up(self) -> None:
        """After a restart: outcomes that ended before the last snapshot but may not have
        reached the ledger (recording them twice changes nothing)."""
        self.pending.extend(
            s for s in self.run.sessions if s.status in _OUTCOMES and counts_for_real(self.run, s)
        )
        self.flush(force=True)

    def flush(self, *, force: bool = False) -> None:
        """Writes the outcomes gathered so far; unforced, at most once a FLUSH_INTERVAL."""
        if not self.pending:
            return
        interval = max(FLUSH_INTERVAL_SECONDS, FLUSH_COST_FACTOR * self._write_seconds)
        if not force and time.monotonic() - self._flushed_at < interval:
            return
        self._flushed_at = time.monotonic()
        ended, self.pending = self.pending, []
        now = utcnow()

        def record(ledger) -> None:  # type: ignore[no-untyped-def]
            for s in ended:
                try:
                    record_outcome(
                        ledger,
                        self.run.run_id,
                        self.fingerprints[s.finding_id],
                        s.attempt,
                        _OUTCOMES[s.status],
                        now,
                        session_id=s.session_id,
                        pr_url=s.pull_request_url,
                        cooldown_hours=tuple(self.config.cooldown_hours),
                        max_failures=self.config.max_failures,
                    )
                except BadInputError as exc:
                    # The ledger never saw this attempt claimed (a ledger file replaced or
                    # restored from a backup): the run's own record stays complete; the ledger
                    # learns the outcome's finding again from the next scan.
                    log.warning(
                        "ledger: outcome of %s attempt %s not recorded: %s", s.finding_id, s.attempt, exc
                    )

        try:
            check_lease("record outcomes in the findings ledger")
            update_ledger(self.runs_dir, self.run.data_source, record)
            self._write_seconds = time.monotonic() - self._flushed_at
        except Exception:
            # The run's own state has every outcome; the next flush or resume records them.
            self.pending = ended + self.pending
            raise
