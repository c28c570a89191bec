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
