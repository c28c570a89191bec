"""Runs folders with one damaged file, for the tests of how damage is reported.

`two_runs` is built once per session with the real engine CLI: `older`, completed, and
`newest`, interrupted by `stop` (so resumable). Each test copies it (`damaged_copy`) and damages
one file of `newest`, the run the app shows when the URL names none."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.app_fixtures import wait_for
from tests.engine_helpers import SAMPLE, cli, load_run

OLDER = "older"
NEWEST = "newest"


def _ok(done) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def _dispatched(runs: Path, run_id: str) -> bool:
    try:
        return any(s.session_id for s in load_run(runs, run_id).sessions)
    except (FileNotFoundError, ValueError):
        return False


@pytest.fixture(scope="session", name="two_runs")
def two_runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("two_runs") / "runs"
    _ok(cli(runs, "run", str(SAMPLE), "--speed", "2000", "--run-id", OLDER, "--no-ledger"))
    _ok(cli(runs, "run", str(SAMPLE), "--detach", "--speed", "30", "--run-id", NEWEST, "--no-ledger"))
    wait_for(lambda: _dispatched(runs, NEWEST))
    _ok(cli(runs, "stop", NEWEST))
    assert load_run(runs, NEWEST).status.value == "interrupted"
    for leftover in runs.rglob("*.lock"):  # the copies must not inherit lock files
        leftover.unlink()
    return runs


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _wrong_shape(path: Path) -> None:
    path.write_bytes(b'{"runs": [1, 2, 3]}')  # valid JSON, not what the file holds


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside.txt").write_text("not a run state")


def _symlink(path: Path) -> None:
    # To a perfectly valid file of the same kind: followed, it would pass for this run's own.
    target = path.parent.parent / OLDER / path.name
    path.unlink()
    path.symlink_to(target)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "empty": _empty,
    "truncated": _truncated,
    "wrong-shape": _wrong_shape,
    "directory": _directory,
    "symlink": _symlink,
}
# What the message says for each kind.
PROBLEM = {
    "empty": "it is empty",
    "truncated": "truncated JSON: it ends at byte 100",
    "wrong-shape": "valid JSON but not a",
    "directory": "it is a directory, not a file",
    "symlink": "it is a symbolic link, not a file",
}


def damaged_copy(source: Path, target: Path, relative: str, kind: str) -> Path:
    """A copy of the runs folder `source` at `target` with `relative` (e.g. "newest/state.json"
    or "index.json") damaged in the way `kind` names."""
    shutil.copytree(source, target, symlinks=True)
    DAMAGE[kind](target / relative)
    return target


def snapshot(folder: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under `folder` (lock files aside): its kind and its bytes or link target."""
    seen: dict[str, tuple[str, bytes | str]] = {}
    for path in sorted(folder.rglob("*")):
        if path.name.endswith(".lock"):
            continue
        mode = os.lstat(path).st_mode
        name = str(path.relative_to(folder))
        if stat.S_ISLNK(mode):
            seen[name] = ("link", os.readlink(path))
        elif stat.S_ISDIR(mode):
            seen[name] = ("dir", "")
        else:
            seen[name] = ("file", path.read_bytes())
    return seen
