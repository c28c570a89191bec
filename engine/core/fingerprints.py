"""Stable finding identities, shared by the CSV ingest and the scanner parsers.

A fingerprint is the first 20 hex characters of the sha256 of its parts joined by the ASCII
unit separator (0x1f), so ("ab", "c") and ("a", "bc") never collide. The first part names the
scheme ("sarif-fp", "rfm", "dep", ...) so identities built from different evidence never meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

FINGERPRINT_LENGTH = 20
_SEPARATOR = "\x1f"


def fingerprint(*parts: str) -> str:
    """20 lowercase hex characters identifying `parts` (order matters)."""
    return sha256(_SEPARATOR.join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:FINGERPRINT_LENGTH]


def normalise_text(text: str) -> str:
    """Lowercase with every run of whitespace collapsed to one space, so re-wrapped or
    re-indented messages keep their identity. Digits are kept: a number in a message can be
    the only thing telling two findings apart."""
    return " ".join(text.lower().split())


def disambiguate(fingerprints: Sequence[str], order: Sequence[int] | None = None) -> list[str]:
    """Distinct identities for results of one file that share a fingerprint.

    The first occurrence keeps the fingerprint; the k-th (k >= 2) becomes
    `fingerprint(base, "#k")`. Occurrences are counted in file order, or in the order of
    `order` (one sort key per fingerprint) when the file's order is not stable but each result
    has a stable key of its own, such as a GitHub alert number."""
    if order is not None and len(order) != len(fingerprints):
        raise ValueError("order needs one key per fingerprint")
    positions: Sequence[int] = range(len(fingerprints))
    if order is not None:
        keys = order
        positions = sorted(positions, key=lambda i: (keys[i], i))
    seen: dict[str, int] = {}
    result = list(fingerprints)
    for i in positions:
        base = fingerprints[i]
        count = seen.get(base, 0) + 1
        seen[base] = count
        if count > 1:
            result[i] = fingerprint(base, f"#{count}")
    return result
