"""How a simulated session answers supervision: stalls, nudges, expiry and retry feedback.

A session that would succeed may stall before its tests (`stall_rate` of them): either it
stops in `blocked` and asks a question, or it goes silent while still reported `working`.
Either way it then changes nothing until a user message arrives. A message sent after the
stall unblocks it with probability `nudge_success` (drawn once, at creation): it reports
`resumed` for RESUME_SECONDS and then finishes its plan, every later step shifted by the
time it waited. A session that no message unblocks stays stalled, and expires
(`expired`) EXPIRE_SECONDS after the stall or the latest message, whichever is later.

A retry whose prompt carries the previous attempt's feedback block (engine.devin.feedback)
has a better chance: of the attempts that would fail, a share (FEEDBACK_RESCUE) succeeds
instead, except at findings the agent cannot fix. The draws come from their own seeded
generators, so the plan a blind retry gets is exactly the plan a retry with feedback starts
from, and a stall rate of 0 leaves every existing plan as it was.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from engine.devin.feedback import FEEDBACK_BEGIN
from engine.simulator.lifecycle import (
    OUTCOME_FAILED,
    OUTCOME_FINISHED,
    OUTCOME_IDLE_BLOCKED,
    OUTCOME_STUCK,
    SessionPlan,
    Snapshot,
    snapshot,
)

STALL_BLOCKED = "blocked"  # status_enum blocked, with a question
STALL_SILENT = "silent"  # still `working`, but nothing changes
SILENT_SHARE = 0.3  # of stalls: the silent kind
RESUME_SECONDS = 10.0  # simulated seconds a nudged session reports `resumed`
EXPIRE_SECONDS = 1800.0  # simulated seconds a stalled session waits before it expires
# Of the failing attempts told why the one before failed, the share that succeeds (times
# 1 - failure_rate): one-off failures (a flaky suite: the agent now knows to work around it)
# and stuck sessions (it now knows which approach went nowhere).
FEEDBACK_RESCUE = {OUTCOME_FAILED: 0.8, OUTCOME_STUCK: 0.7}
DEFAULT_NUDGE_SUCCESS = 0.8


@dataclass(frozen=True)
class StallPlan:
    at: float  # simulated offset at which the agent stalls
    kind: str  # STALL_BLOCKED or STALL_SILENT
    unblocks: bool  # whether a message gets it going again


def has_feedback(prompt: str) -> bool:
    """Whether the prompt carries a previous attempt's feedback block. Untrusted text cannot
    forge the marker: the engine neutralises anything reading as one (engine.devin.untrusted)."""
    return FEEDBACK_BEGIN in prompt


def apply_feedback(plan: SessionPlan, seed: int, key: str, failure_rate: float) -> SessionPlan:
    """The plan of a retry told why its predecessor failed: some failures become fixes. Not a
    finding the agent cannot fix (it fails with the finding's own reason: knowing that does not
    make the fix possible), and never at a failure rate of 1 (every session fails)."""
    if plan.outcome == OUTCOME_FAILED and plan.error == plan.fix.hard_failure:
        return plan
    rescue = FEEDBACK_RESCUE.get(plan.outcome, 0.0) * (1.0 - failure_rate)
    if random.Random(f"patchwave-sim-feedback:{seed}:{key}").random() >= rescue:
        return plan
    return replace(plan, outcome=OUTCOME_FINISHED, acu_rate=plan.fix.acus / sum(plan.durations))


def draw_stall(
    plan: SessionPlan, seed: int, key: str, stall_rate: float, nudge_success: float
) -> StallPlan | None:
    """The stall of a session that would otherwise succeed, drawn from its own generator."""
    rng = random.Random(f"patchwave-sim-stall:{seed}:{key}")
    stall_draw, kind_draw, unblock_draw = rng.random(), rng.random(), rng.random()
    if plan.outcome not in (OUTCOME_FINISHED, OUTCOME_IDLE_BLOCKED) or stall_draw >= stall_rate:
        return None
    at = plan.stage_start(2)  # just before the tests
    if plan.cap_at is not None and plan.cap_at <= at:
        return None  # its ACU limit stops it first
    kind = STALL_SILENT if kind_draw < SILENT_SHARE else STALL_BLOCKED
    return StallPlan(at=at, kind=kind, unblocks=unblock_draw < nudge_success)


def question(plan: SessionPlan) -> str:
    files = ", ".join(plan.fix.files[:2]) or "the affected files"
    return (
        f"Before I run the tests: the fix changes {files}. Should I keep the change that narrow, "
        "or also update the callers? I'll wait for your reply."
    )


RESUMED_MESSAGE = "Thanks, that answers it. Continuing with the fix and running the tests now."


def stalled_snapshot(
    plan: SessionPlan, stall: StallPlan | None, elapsed: float, replies: list[float]
) -> Snapshot:
    """The session's state `elapsed` simulated seconds in, given the simulated offsets of the
    user messages it received (`replies`, oldest first)."""
    if stall is None or elapsed < stall.at:
        return snapshot(plan, elapsed)
    before = snapshot(plan, stall.at - 0.001)  # frozen just before the tests start
    asked = [(stall.at, question(plan))] if stall.kind == STALL_BLOCKED else []
    after = [r for r in replies if stall.at <= r <= elapsed]
    if stall.unblocks and after:
        return _resumed(plan, stall, before, asked, after[0], elapsed)
    waiting_since = max([stall.at, *after])
    if elapsed >= waiting_since + EXPIRE_SECONDS:
        return replace(
            before,
            status="expired",
            status_enum="expired",
            devin_messages=before.devin_messages + asked,
            last_change=waiting_since + EXPIRE_SECONDS,
            exited=True,
        )
    if stall.kind == STALL_SILENT:
        return before
    return replace(
        before,
        status="running",
        status_enum="blocked",
        devin_messages=before.devin_messages + asked,
        last_change=stall.at,
    )


def _resumed(
    plan: SessionPlan,
    stall: StallPlan,
    before: Snapshot,
    asked: list[tuple[float, str]],
    reply: float,
    elapsed: float,
) -> Snapshot:
    acknowledged = [*asked, (reply + 1.0, RESUMED_MESSAGE)]
    if elapsed < reply + RESUME_SECONDS:
        return replace(
            before,
            status="running",
            status_enum="resumed",
            devin_messages=before.devin_messages + [m for m in acknowledged if m[0] <= elapsed],
            last_change=max(reply, *(at for at, _ in acknowledged if at <= elapsed)),
        )
    shift = reply + RESUME_SECONDS - stall.at
    later = snapshot(plan, elapsed - shift)
    messages = [(at if at < stall.at else at + shift, text) for at, text in later.devin_messages]
    messages = sorted([*messages, *acknowledged])
    last_change = later.last_change + shift if later.last_change >= stall.at else later.last_change
    return replace(later, devin_messages=messages, last_change=max(last_change, reply + 1.0))
