"""The README's command-line examples work as written: every bash block that runs
`python -m engine` is run in order, by bash, in a fresh copy of the repository with an empty
runs folder and no settings, as a new user would paste them. Blocks for the worker fleet need
Redis and a queue, and are exercised by the fleet tests instead."""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
LIVE_PORT = 8765  # the README's standalone simulator


def cli_blocks(readme: str) -> list[str]:
    blocks = [b for b in BLOCK.findall(readme) if "python -m engine" in b]
    return [b for b in blocks if "engine worker" not in b]


def fresh_copy(target: Path) -> Path:
    """The files a clone would hold: git's tracked files when this is a checkout."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:
        ignore = shutil.ignore_patterns(".venv", "runs", ".git", "__pycache__", "*.pyc")
        shutil.copytree(REPO, target, ignore=ignore)
        return target
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def python_shim(bin_dir: Path) -> None:
    """`python` on the PATH is this interpreter (a script, not a link: a link to a virtual
    environment's python outside it would lose the environment)."""
    bin_dir.mkdir()
    shim = bin_dir / "python"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_readme_blocks_are_found() -> None:
    blocks = cli_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    joined = "\n".join(blocks)
    for command in ("sample", "ingest", "plan", "run", "status", "validate", "ledger list", "demo"):
        assert f"python -m engine {command}" in joined


def test_readme_command_line_examples_succeed_in_order_on_a_fresh_clone(tmp_path) -> None:
    if not port_free(LIVE_PORT):
        pytest.skip(f"port {LIVE_PORT}, which the README's live-mode example uses, is taken")
    clone = fresh_copy(tmp_path / "clone")
    assert not (clone / "runs").exists()
    python_shim(tmp_path / "bin")
    blocks = cli_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    script = tmp_path / "readme.sh"
    # Background servers a block starts (`&`) are stopped when the script ends.
    script.write_text(
        "set -eu -o pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "\n".join(blocks)
    )
    env = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        ["bash", str(script)], cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"a README command failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    out = done.stdout + done.stderr
    assert "run first-run is valid" in out
    assert "nothing to dispatch" in out  # the second run of the same scan: nothing new, exit 0
    assert "live mode" in out  # the live-mode example reached the standalone simulator
    runs = sorted(p.name for p in (clone / "runs").iterdir() if not p.name.startswith("_"))
    assert "first-run" in runs and len(runs) == 3  # the tour's run, the demo, the live run
