"""Scanner severities -> the engine's four levels.

SARIF order of evidence (first that answers wins; sarif.py applies it):
1. `security-severity` in result or rule properties: a CVSS-like number (>= 9 critical,
   >= 7 high, >= 4 medium, else low) or a word ("HIGH", as Semgrep 1.x writes it);
2. severity the tool hides elsewhere: a word in result `properties.severity`
   (dependency-check), a "[MEDIUM] CVE-..." rule id (early Trivy template), or
   "Severity=Low" / "Severity: CRITICAL" in the rule's texts (Anchore, Trivy 0.15);
3. the result's `level` (error -> high, warning -> medium, note/none -> low);
4. the rule's `defaultConfiguration.level`;
5. SARIF's default level, "warning" -> medium.

Vendor words map directly: UNKNOWN, NEGLIGIBLE and INFO -> low, moderate -> medium.
"""

from __future__ import annotations

import re

from engine.core.models import Severity

_WORDS: dict[str, Severity] = {
    "critical": Severity.critical,
    "crit": Severity.critical,
    "high": Severity.high,
    "important": Severity.high,
    "medium": Severity.medium,
    "moderate": Severity.medium,
    "med": Severity.medium,
    "low": Severity.low,
    "minor": Severity.low,
    "negligible": Severity.low,
    "unknown": Severity.low,
    "info": Severity.low,
    "informational": Severity.low,
}
_LEVELS: dict[str, Severity] = {
    "error": Severity.high,
    "warning": Severity.medium,
    "note": Severity.low,
    "none": Severity.low,
}
# Semgrep JSON: ERROR/WARNING/INFO, newer versions also CRITICAL/HIGH/MEDIUM/LOW.
_SEMGREP: dict[str, Severity] = {
    **_WORDS,
    "error": Severity.high,
    "warning": Severity.medium,
    "inventory": Severity.low,
    "experiment": Severity.low,
}

_RULE_ID_WORD = re.compile(r"^\s*\[(critical|high|medium|moderate|low|unknown|negligible)\]", re.IGNORECASE)
_TEXT_WORD = re.compile(
    r"\bseverity\s*[=:]\s*\**\s*(critical|high|medium|moderate|low|negligible|unknown)\b", re.IGNORECASE
)


def from_word(raw: object) -> Severity | None:
    """'HIGH', 'moderate', 'Negligible' -> a severity; anything else None."""
    if not isinstance(raw, str):
        return None
    return _WORDS.get(raw.strip().lower())


def from_score(score: float) -> Severity:
    if score >= 9.0:
        return Severity.critical
    if score >= 7.0:
        return Severity.high
    if score >= 4.0:
        return Severity.medium
    return Severity.low


def from_security_severity(raw: object) -> Severity | None:
    """SARIF `security-severity`: a number or numeric string ("7.5"), or a word ("MEDIUM")."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        return from_score(float(raw))
    if isinstance(raw, str):
        try:
            return from_score(float(raw))
        except ValueError:
            return from_word(raw)
    return None


def from_level(raw: object) -> Severity | None:
    """SARIF `level`: error/warning/note/none."""
    return _LEVELS.get(raw) if isinstance(raw, str) else None


def from_rule_id(rule_id: str | None) -> Severity | None:
    """'[MEDIUM] CVE-2019-11358' -> medium."""
    if not rule_id or "[" not in rule_id:
        return None
    match = _RULE_ID_WORD.match(rule_id)
    return _WORDS[match.group(1).lower()] if match else None


def from_text(text: str | None) -> Severity | None:
    """'CVE-2019-18276 Severity=Low Package=bash' or 'Severity: CRITICAL' -> that severity."""
    if not text:
        return None
    match = _TEXT_WORD.search(text)
    return _WORDS[match.group(1).lower()] if match else None


def from_semgrep(raw: object) -> Severity:
    """Semgrep JSON `extra.severity`; unknown or missing values count as medium (a warning)."""
    if isinstance(raw, str):
        found = _SEMGREP.get(raw.strip().lower())
        if found is not None:
            return found
    return Severity.medium
