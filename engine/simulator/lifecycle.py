"""Session timeline and outcome.

A session's whole future is fixed at creation by a `SessionPlan`, drawn from a
`random.Random` seeded with (server seed, sha256 of the canonical create body). Its state at
any moment is a pure function of the plan and the simulated seconds elapsed since creation
(`snapshot`), so nothing ticks in the background: the store computes state lazily on read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from engine.simulator import texts

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

OUTCOME_FINISHED = "finished"
OUTCOME_IDLE_BLOCKED = "idle_blocked"
OUTCOME_FAILED = "failed"


def plan_rng(seed: int, task_sha256: str) -> random.Random:
    # A str seed is hashed with sha512 by `random`, so this is stable across processes.
    return random.Random(f"patchwave-sim:{seed}:{task_sha256}")


@dataclass(frozen=True)
class SessionPlan:
    durations: tuple[float, ...]  # simulated seconds per stage in STAGES
    first_output_at: float  # simulated seconds before the first structured_output write
    outcome: str
    repo: str
    pr_number: int
    fix_approach: str
    files_modified: tuple[str, ...]
    tests_added: int
    confidence: dict[str, float]  # per current_step
    error: str
    messages: dict[str, str] = field(repr=False)

    @property
    def pr_url(self) -> str:
        return f"https://github.com/{self.repo}/pull/{self.pr_number}"

    def stage_start(self, index: int) -> float:
        return sum(self.durations[:index])

    @property
    def end_at(self) -> float:
        """Simulated seconds until the session stops advancing."""
        return self.stage_start(3 if self.outcome == OUTCOME_FAILED else 4)

    def checkpoints(self) -> list[tuple[float, str]]:
        """(simulated offset, step) at which the structured output changes, in order."""
        points = [(self.first_output_at, "analyzing")]
        points += [(self.stage_start(i), STAGES[i]) for i in (1, 2)]
        if self.outcome == OUTCOME_FAILED:
            points.append((self.end_at, "failed"))
        else:
            points += [(self.stage_start(3), "creating_pr"), (self.end_at, "completed")]
        return points


def build_plan(rng: random.Random, prompt: str, failure_rate: float) -> SessionPlan:
    """Draw every random value in a fixed order, whatever the outcome, so that changing
    `failure_rate` changes only the outcome and never the texts or durations."""
    durations = tuple(round(rng.uniform(*STAGE_SECONDS), 3) for _ in STAGES)
    first_output_at = round(rng.uniform(5.0, 20.0), 3)
    failed = rng.random() < failure_rate
    idle_blocked = rng.random() < IDLE_BLOCKED_SHARE
    category = texts.detect_category(prompt)
    repo = texts.repo_from_prompt(prompt)
    approach = texts.fix_approach(category, rng)
    files = texts.files_modified(prompt, category, rng)
    tests_added = rng.randint(1, 4)
    pr_number = rng.randint(12, 4800)
    start = rng.uniform(0.45, 0.7)
    final = rng.uniform(0.78, 0.97)
    failed_conf = rng.uniform(0.2, 0.45)
    error = texts.failure_reason(rng)
    confidence = {
        "analyzing": round(start, 2),
        "fixing": round(start + (final - start) * 0.4, 2),
        "testing": round(start + (final - start) * 0.7, 2),
        "creating_pr": round(final, 2),
        "completed": round(final, 2),
        "failed": round(failed_conf, 2),
    }
    outcome = OUTCOME_FAILED if failed else OUTCOME_IDLE_BLOCKED if idle_blocked else OUTCOME_FINISHED
    pr_url = f"https://github.com/{repo}/pull/{pr_number}"
    messages = texts.stage_messages(
        repo=repo,
        approach=approach,
        files=files,
        tests_added=tests_added,
        pr_url=pr_url,
        error=error,
    )
    return SessionPlan(
        durations=durations,
        first_output_at=first_output_at,
        outcome=outcome,
        repo=repo,
        pr_number=pr_number,
        fix_approach=approach,
        files_modified=tuple(files),
        tests_added=tests_added,
        confidence=confidence,
        error=error,
        messages=messages,
    )


@dataclass(frozen=True)
class Snapshot:
    status: str
    status_enum: str
    step: str | None  # current_step, None before the first structured output
    structured_output: dict[str, Any] | None
    pull_request: dict[str, str] | None
    devin_messages: list[tuple[float, str]]  # (simulated offset, text), oldest first
    last_change: float  # simulated offset of the latest state change (0 = creation)
    exited: bool


def _output(plan: SessionPlan, step: str) -> dict[str, Any]:
    order = ("analyzing", "fixing", "testing", "creating_pr", "completed")
    reached = order.index("testing") if step == "failed" else order.index(step)
    fixing = reached >= order.index("fixing")
    testing = reached >= order.index("testing")
    passed: bool | None = None
    if testing:
        passed = plan.outcome != OUTCOME_FAILED
    return {
        "current_step": step,
        "progress_pct": PROGRESS_PCT[step],
        "fix_approach": plan.fix_approach if fixing else None,
        "files_modified": list(plan.files_modified) if fixing else [],
        "tests_passed": passed,
        "tests_added": plan.tests_added if testing else 0,
        "confidence": plan.confidence[step],
        "pr_url": plan.pr_url if reached >= order.index("creating_pr") else None,
        "error": plan.error if step == "failed" else None,
    }


def snapshot(plan: SessionPlan, elapsed: float) -> Snapshot:
    """The session's state `elapsed` simulated seconds after creation."""
    reached = [(at, step) for at, step in plan.checkpoints() if at <= elapsed]
    step = reached[-1][1] if reached else None
    message_points = [(min(2.0, plan.first_output_at), "analyzing"), *plan.checkpoints()[1:]]
    messages = [(at, plan.messages[s]) for at, s in message_points if at <= elapsed]
    last_change = max([0.0] + [at for at, _ in reached] + [at for at, _ in messages])
    status, status_enum, exited = "running", "working", False
    if step == "failed" or (step == "completed" and plan.outcome == OUTCOME_IDLE_BLOCKED):
        status_enum = "blocked"
    elif step == "completed":
        status, status_enum, exited = "exit", "finished", True
    return Snapshot(
        status=status,
        status_enum=status_enum,
        step=step,
        structured_output=_output(plan, step) if step else None,
        pull_request={"url": plan.pr_url} if step == "completed" else None,
        devin_messages=messages,
        last_change=last_change,
        exited=exited,
    )
