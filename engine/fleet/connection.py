"""The fleet's Redis client for launchers and readers (the app, `status`, `stop`)."""

from __future__ import annotations

from functools import cache

from redis import Redis


@cache
def connect(url: str) -> Redis:
    """One client (a connection pool) per URL in this process; it connects on first use."""
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
