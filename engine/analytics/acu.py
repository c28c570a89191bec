"""ACU usage, estimated: the v1 API reports none, so it is derived from agent time."""

from __future__ import annotations

DEFAULT_MINUTES_PER_ACU = 15.0


def estimate_acus(
    agent_seconds: float, sessions: int, max_acu_per_session: float, minutes_per_acu: float
) -> float:
    """agent_seconds / 60 / minutes_per_acu, capped at sessions × max_acu_per_session when that
    cap is positive (each session is created with that ACU limit)."""
    if minutes_per_acu <= 0:
        raise ValueError(f"minutes_per_acu must be positive, got {minutes_per_acu}")
    acus = max(0.0, agent_seconds) / 60.0 / minutes_per_acu
    cap = max(0, sessions) * max_acu_per_session
    return min(acus, float(cap)) if cap > 0 else acus
