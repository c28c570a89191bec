"""Repository addresses compared as people write them: `https://github.com/acme/pay.git`,
`github.com/acme/pay` and `acme/pay` name one repository (for CONNECTED_REPOS, hybrid runs)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def repo_key(address: str) -> str:
    """host/owner/name (or owner/name when no host is given), lower case, no scheme or .git."""
    text = address.strip()
    if text.startswith("git@"):  # scp-like: git@host:owner/name
        text = text.removeprefix("git@").replace(":", "/", 1)
    text = _SCHEME.sub("", text).removeprefix("www.").rstrip("/").removesuffix(".git").rstrip("/")
    return text.lower()


def is_connected(repo_url: str | None, connected: list[str]) -> bool:
    """Whether `repo_url` is one of `connected` (an entry without a host matches any host)."""
    if not repo_url or not connected:
        return False
    key = repo_key(repo_url)
    for entry in connected:
        wanted = repo_key(entry)
        if wanted and (key == wanted or key.endswith("/" + wanted)):
            return True
    return False


class _HasRepo(Protocol):
    repo_url: str | None


def connected_count(findings: Iterable[_HasRepo], connected: list[str]) -> int:
    """How many of `findings` a hybrid run sends to the live API."""
    return sum(1 for f in findings if is_connected(f.repo_url, connected))
