"""Session timeline, outcome and ACU use.

A session's whole future is fixed at creation by a `SessionPlan`, drawn from two seeded
`random.Random`s: one for the finding (is it one the agent cannot fix? the same on every
attempt) and one for this attempt (durations, texts, one-off failures). Its state at any moment
is a pure function of the plan and the simulated seconds elapsed since creation (`snapshot`),
so nothing ticks in the background: the store computes state lazily on read.

Outcomes: finished, or idle in `blocked` after finishing (both open a pull request); failed
(the tests fail: blocked with an error); stuck (the agent keeps working without getting to the
tests, and gives up after STUCK_FACTOR times a normal session). ACUs accrue at a steady rate
and are reported at each step (and every minute while stuck); a session that reaches its
`max_acu_limit` is suspended there, as the real API does, with status_detail
usage_limit_exceeded.

`failure_rate` is the chance that a session fails: HARD_SHARE of it comes from findings the
agent cannot fix (their retries fail too, mostly), the rest from one-off failures of a single
attempt (a flaky suite, a broken container), which a retry gets past.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from engine.simulator import texts
from engine.simulator.agent import FixWork, plan_fix
from engine.simulator.finding import TaskFinding, read_task

STAGES: tuple[str, ...] = ("analyzing", "fixing", "testing", "creating_pr")
PROGRESS_PCT: dict[str, int] = {
    "analyzing": 10,
    "fixing": 35,
    "testing": 60,
    "creating_pr": 85,
    "completed": 100,
    "failed": 60,
}
STAGE_SECONDS = (30.0, 90.0)  # simulated seconds per stage
IDLE_BLOCKED_SHARE = 0.30  # share of successes that idle in "blocked" instead of "finished"
# Of `failure_rate`, this share is findings the agent cannot fix (they fail on most attempts)
# and the rest one-off failures of a single attempt (a flaky suite, a broken container).
HARD_SHARE = 0.5
HARD_FAILS = 0.85  # chance that an attempt at a hard finding fails (at least failure_rate)
STUCK_SHARE = 0.4  # of hard failures: the agent never gets to the tests and burns ACUs
STUCK_FACTOR = 3.0  # a stuck session gives up after this many times a normal session's length
FAILED_BURN = (1.3, 1.8)  # a failing session uses this many times the ACUs of a fix
ACU_TICK_SECONDS = 60.0  # while stuck, ACU use is reported this often (simulated seconds)
DEFAULT_PULL_BASE = "http://127.0.0.1:8765"

OUTCOME_FINISHED = "finished"
OUTCOME_IDLE_BLOCKED = "idle_blocked"
OUTCOME_FAILED = "failed"
OUTCOME_STUCK = "stuck"
SUSPENDED = "suspended"  # the step shown once a session hits its ACU limit
USAGE_LIMIT_DETAIL = "usage_limit_exceeded"


def plan_rng(seed: int, key: str) -> random.Random:
    # A str seed is hashed with sha512 by `random`, so this is stable across processes.
    return random.Random(f"patchwave-sim:{seed}:{key}")


def finding_rng(seed: int, identity: str) -> random.Random:
    return random.Random(f"patchwave-sim-finding:{seed}:{identity}")


def task_key(task: TaskFinding, prompt: str) -> str:
    """The key of one attempt's draws: the finding and the attempt number, or for a prompt
    without a data block its whole text."""
    if not task.from_data_block:
        return hashlib.sha256(prompt.encode()).hexdigest()
    return hashlib.sha256(f"{task.identity()}#{task.attempt}".encode()).hexdigest()


@dataclass(frozen=True)
class SessionPlan:
    durations: tuple[float, ...]  # simulated seconds per stage in STAGES
    first_output_at: float  # simulated seconds before the first structured_output write
    outcome: str
    task: TaskFinding = field(repr=False)
    fix: FixWork = field(repr=False)
    repo: str
    pr_number: int
    pull_base: str  # scheme://host:port the pull request pages are served at
    tests_added: int
    confidence: dict[str, float]  # per current_step
    error: str
    acu_rate: float  # ACUs per simulated second
    acu_limit: int | None

    @property
    def pr_url(self) -> str:
        return f"{self.pull_base}/{self.repo}/pull/{self.pr_number}"

    def stage_start(self, index: int) -> float:
        return sum(self.durations[:index])

    @property
    def natural_end(self) -> float:
        """Simulated seconds until the session would stop on its own (inf while stuck)."""
        if self.outcome == OUTCOME_STUCK:
            return round(self.stage_start(4) * STUCK_FACTOR, 3)
        return self.stage_start(3 if self.outcome == OUTCOME_FAILED else 4)

    @property
    def cap_at(self) -> float | None:
        """When the session reaches its ACU limit, if it does before it ends."""
        if self.acu_limit is None or self.acu_rate <= 0:
            return None
        at = self.acu_limit / self.acu_rate
        return round(at, 3) if at < self.natural_end else None

    @property
    def end_at(self) -> float:
        """Simulated seconds until the session stops advancing."""
        cap = self.cap_at
        return cap if cap is not None else self.natural_end

    def checkpoints(self) -> list[tuple[float, str]]:
        """(simulated offset, step) at which the structured output changes, in order."""
        return list(self._checkpoints)

    @cached_property
    def _checkpoints(self) -> tuple[tuple[float, str], ...]:  # a plan never changes: computed once
        points = [(self.first_output_at, "analyzing"), (self.stage_start(1), "fixing")]
        if self.outcome == OUTCOME_FAILED:
            points += [(self.stage_start(2), "testing"), (self.natural_end, "failed")]
        elif self.outcome == OUTCOME_STUCK:
            points.append((self.natural_end, "failed"))  # it gives up
        else:
            points += [
                (self.stage_start(2), "testing"),
                (self.stage_start(3), "creating_pr"),
                (self.natural_end, "completed"),
            ]
        cap = self.cap_at
        if cap is not None:
            points = [p for p in points if p[0] < cap] + [(cap, SUSPENDED)]
        return tuple(points)

    def acus_at(self, elapsed: float) -> float:
        """ACUs reported `elapsed` simulated seconds in: the use at the latest step (or, while
        stuck, the latest minute), never more than the limit."""
        marks = [at for at, _ in self.checkpoints() if at <= elapsed] + acu_ticks(self, elapsed)
        at = min(max(marks, default=0.0), self.end_at)
        used = round(self.acu_rate * at, 2)
        return float(self.acu_limit) if self.cap_at is not None and at >= self.cap_at else used

    @cached_property
    def messages(self) -> dict[str, str]:
        return texts.stage_messages(self)


def build_plan(
    rng: random.Random,
    prompt: str,
    failure_rate: float,
    *,
    finding: random.Random | None = None,
    acu_limit: int | None = None,
    pull_base: str = DEFAULT_PULL_BASE,
) -> SessionPlan:
    """Draw every random value in a fixed order, whatever the outcome, so that changing
    `failure_rate` changes only the outcome and never the texts or durations."""
    task = read_task(prompt)
    finding = finding or random.Random(rng.random())
    hard_draw, stuck_draw = finding.random(), finding.random()
    durations = tuple(round(rng.uniform(*STAGE_SECONDS), 3) for _ in STAGES)
    first_output_at = round(rng.uniform(5.0, 20.0), 3)
    fail_draw, idle_draw = rng.random(), rng.random()
    fix = plan_fix(task, rng)
    pr_number = rng.randint(12, 4800)
    start = rng.uniform(0.45, 0.7)
    failed_conf = rng.uniform(0.2, 0.45)
    transient_error = texts.failure_reason(rng)
    burn = rng.uniform(*FAILED_BURN)

    hard_share = failure_rate * HARD_SHARE
    hard_fails = max(HARD_FAILS, failure_rate)
    hard = hard_draw < hard_share
    if hard:
        failing = fail_draw < hard_fails
        outcome = (OUTCOME_STUCK if stuck_draw < STUCK_SHARE else OUTCOME_FAILED) if failing else ""
    else:
        # One-off failures make up the rest, so that a session fails with `failure_rate` overall.
        one_off = (failure_rate - hard_share * hard_fails) / (1 - hard_share) if hard_share < 1 else 1.0
        failing = fail_draw < one_off
        outcome = OUTCOME_FAILED if failing else ""
    if not outcome:
        outcome = OUTCOME_IDLE_BLOCKED if idle_draw < IDLE_BLOCKED_SHARE else OUTCOME_FINISHED
    final = fix.confidence
    confidence = {
        "analyzing": round(start, 2),
        "fixing": round(start + (final - start) * 0.4, 2),
        "testing": round(start + (final - start) * 0.7, 2),
        "creating_pr": round(final, 2),
        "completed": round(final, 2),
        "failed": round(failed_conf, 2),
    }
    success_seconds = sum(durations)
    acus = fix.acus * {OUTCOME_FAILED: burn, OUTCOME_STUCK: burn * STUCK_FACTOR}.get(outcome, 1.0)
    seconds = {
        OUTCOME_FAILED: durations[0] + durations[1] + durations[2],
        OUTCOME_STUCK: success_seconds * STUCK_FACTOR,
    }.get(outcome, success_seconds)
    return SessionPlan(
        durations=durations,
        first_output_at=first_output_at,
        outcome=outcome,
        task=task,
        fix=fix,
        repo=task.repo,
        pr_number=pr_number,
        pull_base=pull_base.rstrip("/"),
        tests_added=fix.tests_added,
        confidence=confidence,
        error=fix.hard_failure if hard else transient_error,
        acu_rate=acus / seconds,
        acu_limit=acu_limit,
    )


@dataclass(frozen=True)
class Snapshot:
    status: str
    status_enum: str
    status_detail: str | None
    step: str | None  # current_step, None before the first structured output
    structured_output: dict[str, Any] | None
    pull_request: dict[str, str] | None
    devin_messages: list[tuple[float, str]]  # (simulated offset, text), oldest first
    last_change: float  # simulated offset of the latest state change (0 = creation)
    exited: bool
    acus_consumed: float


_ORDER = ("analyzing", "fixing", "testing", "creating_pr", "completed")


def _output(plan: SessionPlan, step: str) -> dict[str, Any]:
    """The structured output the agent wrote at `step` (it writes nothing once suspended)."""
    reached = _ORDER.index("testing") if step == "failed" else _ORDER.index(step)
    fixing = reached >= _ORDER.index("fixing")
    stuck = plan.outcome == OUTCOME_STUCK  # it never got to the tests
    testing = reached >= _ORDER.index("testing") and not stuck
    fix = plan.fix
    passed: bool | None = None
    if testing:
        passed = plan.outcome not in (OUTCOME_FAILED, OUTCOME_STUCK)
    return {
        "current_step": step,
        "progress_pct": PROGRESS_PCT[step],
        "fix_approach": fix.approach if fixing else None,
        "files_modified": list(fix.files) if fixing else [],
        "tests_passed": passed,
        "tests_added": plan.tests_added if testing else 0,
        "tests_run": list(fix.tests_run) if testing else [],
        "confidence": plan.confidence[step],
        "pr_url": plan.pr_url if reached >= _ORDER.index("creating_pr") else None,
        "error": plan.error if step == "failed" else None,
    }


def acu_ticks(plan: SessionPlan, elapsed: float) -> list[float]:
    """While stuck: the minutes at which a new ACU figure is reported, up to `elapsed`."""
    if plan.outcome != OUTCOME_STUCK:
        return []
    start, until = plan.stage_start(1), min(elapsed, plan.end_at)
    count = math.floor((until - start) / ACU_TICK_SECONDS) if until > start else 0
    return [start + k * ACU_TICK_SECONDS for k in range(1, count + 1)]


def snapshot(plan: SessionPlan, elapsed: float) -> Snapshot:
    """The session's state `elapsed` simulated seconds after creation."""
    reached = [(at, step) for at, step in plan.checkpoints() if at <= elapsed]
    suspended = bool(reached) and reached[-1][1] == SUSPENDED
    written = [s for _, s in reached if s != SUSPENDED]
    step = written[-1] if written else None
    messages = texts.message_timeline(plan, elapsed)
    changes = [at for at, _ in reached] + [at for at, _ in messages] + acu_ticks(plan, elapsed)
    status, status_enum, detail, exited = "running", "working", None, False
    if suspended:
        status, status_enum, detail = SUSPENDED, "suspend_requested", USAGE_LIMIT_DETAIL
    elif step == "failed" or (step == "completed" and plan.outcome == OUTCOME_IDLE_BLOCKED):
        status_enum = "blocked"
    elif step == "completed":
        status, status_enum, exited = "exit", "finished", True
    return Snapshot(
        status=status,
        status_enum=status_enum,
        status_detail=detail,
        step=step,
        structured_output=_output(plan, step) if step else None,
        pull_request={"url": plan.pr_url} if step == "completed" else None,
        devin_messages=messages,
        last_change=max([0.0, *changes]),
        exited=exited,
        acus_consumed=plan.acus_at(elapsed),
    )
