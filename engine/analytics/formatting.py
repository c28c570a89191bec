"""Display strings shared by the analytics tables and the executive report."""

from __future__ import annotations

import math

DASH = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None) -> str:
    """Whole dollars with thousands separators: 1234.4 -> "$1,234", -50 -> "-$50"."""
    if _missing(value):
        return DASH
    rounded = round(value)  # type: ignore[arg-type]
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,}"


def percent(value: float | None) -> str:
    """A 0..1 fraction as a whole percentage: 0.756 -> "76%"."""
    return DASH if _missing(value) else f"{value:.0%}"


def multiple(value: float | None) -> str:
    return DASH if _missing(value) else f"{value:,.1f}×"


def number(value: float | None, digits: int = 1) -> str:
    return DASH if _missing(value) else f"{value:,.{digits}f}"


def duration(seconds: float | None) -> str:
    """Compact h/m/s: 45 -> "45s", 250 -> "4m 10s", 3900 -> "1h 05m"."""
    if _missing(seconds):
        return DASH
    total = max(0, round(seconds))  # type: ignore[arg-type]
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
