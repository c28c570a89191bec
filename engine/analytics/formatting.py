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


# Words a plain capitalisation gets wrong.
_WORDS = {
    "sql": "SQL",
    "xss": "XSS",
    "pii": "PII",
    "ssrf": "SSRF",
    "xxe": "XXE",
    "csrf": "CSRF",
    "csv": "CSV",
    "acu": "ACU",
    "acus": "ACUs",
    "api": "API",
    "pr": "PR",
    "prs": "PRs",
    "sla": "SLA",
    "cwe": "CWE",
    "id": "ID",
    "url": "URL",
    "ui": "UI",
}


def label(value: str | None) -> str:
    """A snake_case key as a human label in sentence case: "sql_injection" -> "SQL injection",
    "pr_open" -> "PR open"; anything that is not a key is returned unchanged."""
    if not value:
        return DASH if value is None else ""
    if not value.replace("_", "").isalnum() or value.lower() != value:
        return value
    words = [_WORDS.get(w, w) for w in value.split("_") if w]
    if not words:
        return value
    first = words[0]
    words[0] = first if first in _WORDS.values() else first.capitalize()
    return " ".join(words)


def category_label(category: str) -> str:
    return label(category)
