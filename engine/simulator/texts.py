"""What a simulated agent says: its chat messages per stage, its one-off failure reasons, and
the session title the API makes up when none is given.

Nothing here reads the clock or global state: the same plan always gives the same texts, which
is what makes a simulated session reproducible."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.simulator.lifecycle import SessionPlan

# One-off failures of a single attempt: a retry usually gets past them.
_TRANSIENT_FAILURES: tuple[str, ...] = (
    "Test suite failed after applying the fix: {n} failing test(s) in the integration suite, "
    "unrelated to the change (they fail on the default branch too).",
    "Could not run the test suite: the service containers it needs failed to start.",
    "The build failed while downloading dependencies: the package registry timed out.",
    "A flaky end-to-end test failed twice in a row; the fix itself passed its unit tests.",
)


def default_title(prompt: str) -> str:
    """What the real API auto-generates when no title is given: here, the first line."""
    first = next((line.strip() for line in prompt.splitlines() if line.strip()), "Session")
    first = first.lstrip("#").strip() or "Session"
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


def failure_reason(rng: random.Random) -> str:
    return rng.choice(_TRANSIENT_FAILURES).format(n=rng.randint(1, 4))


def stage_messages(plan: SessionPlan) -> dict[str, str]:
    """One Devin chat message per stage (keyed by the stage the message announces)."""
    fix = plan.fix
    tests = f" ({', '.join(fix.tests_run[:2])})" if fix.tests_run else ""
    return {
        "analyzing": f"I'll clone {plan.repo} and start by analyzing {plan.task.finding_id}.",
        "fixing": f"Found the root cause. Plan: {fix.approach}",
        "testing": f"Changed {', '.join(fix.files)}. Running the tests now{tests}.",
        "creating_pr": (
            f"All tests pass ({plan.tests_added} new). Opening a pull request."
            if plan.tests_added
            else "The build and the whole suite pass. Opening a pull request."
        ),
        "completed": f"Done: I opened {plan.pr_url} with the fix.",
        "failed": f"I'm blocked: {plan.error} How would you like me to proceed?",
        "stuck": f"This is taking longer than expected: {plan.error} I'm still trying another approach.",
        "suspended": (
            f"I've used this session's ACU limit ({plan.acu_limit} ACUs) and have been suspended "
            "before finishing the fix."
        ),
    }


def message_timeline(plan: SessionPlan, elapsed: float) -> list[tuple[float, str]]:
    """(simulated offset, text) of the messages sent up to `elapsed`, oldest first."""
    messages = plan.messages
    points = [(min(2.0, plan.first_output_at), "analyzing"), *plan.checkpoints()[1:]]
    if plan.outcome == "stuck":
        # When a healthy session would have reached the tests, this one says it is struggling.
        points.append((plan.stage_start(2), "stuck"))
    points = [(at, step) for at, step in points if at <= plan.end_at]
    return sorted((at, messages[step]) for at, step in points if at <= elapsed)
