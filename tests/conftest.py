"""Suite-wide fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """AppTest.from_function leaves its temporary script as `__main__`; a later test that
    starts processes with the "spawn" method would make each child re-run that script."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A throwaway redis-server on a free loopback port, append-only, for the fleet's tests (it
    skips them, saying why, where redis-server is not installed)."""
    from tests.fleet_helpers import IN_CI, REDIS_SERVER, redis_server_in

    if REDIS_SERVER is None and IN_CI:
        pytest.fail(
            "redis-server is missing in CI: scripts/test.sh installs it (apt-get install redis-server)"
        )
    if REDIS_SERVER is None:
        pytest.skip(
            "redis-server is not installed: the worker fleet's tests need it "
            "(apt-get install redis-server; scripts/test.sh installs it)"
        )
    with redis_server_in(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def fleet_redis(redis_server):  # type: ignore[no-untyped-def]
    """The session's Redis, emptied for this test."""
    redis_server.client().flushall()
    return redis_server
