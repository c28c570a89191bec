"""The engine's import graph has no cycles and no import from a lower layer up to a higher one
(scripts/import_graph.py declares the layers), and every module imports on its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from scripts.import_graph import engine_modules, report

REPO = Path(__file__).resolve().parent.parent

# Imports each engine module with no engine module loaded before it, in one fresh interpreter:
# a cycle fails only when the import enters it at the wrong module, so each module is entered
# first once. Third-party packages stay loaded between imports (they are not what is checked).
IMPORT_EACH = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "engine" or m.startswith("engine.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {exc.__class__.__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_engine_module_imports_first_in_a_fresh_interpreter() -> None:
    names = sorted(engine_modules(), reverse=True)  # deepest modules first: the usual way into a cycle
    assert len(names) > 150
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *names], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_script_finds_no_cycle_and_no_upward_import() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/import_graph.py"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout.strip()) == (0, "none"), result.stdout + result.stderr


TYPE_CHECKING_ONLY = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import engine.cli\n"


def _package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "engine" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "engine"


def test_the_script_reports_a_cycle_through_a_deferred_import(tmp_path: Path) -> None:
    engine = _package(
        tmp_path,
        {
            "__init__.py": "",
            "cli.py": "def main():\n    from engine.ledger_cli import ledger\n",
            "ledger_cli.py": "from engine.cli import main\n",
        },
    )
    assert report(engine) == ["cycle: engine.cli <-> engine.ledger_cli"]


def test_the_script_reports_an_upward_import_and_a_module_without_a_layer(tmp_path: Path) -> None:
    engine = _package(
        tmp_path,
        {
            "__init__.py": "",
            "storage/__init__.py": "",
            "storage/atomic.py": "from engine.analytics import ops\n",
            "analytics/__init__.py": "",
            "analytics/ops.py": TYPE_CHECKING_ONLY,
            "cli.py": "",
            "newthing.py": "",
        },
    )
    assert report(engine) == [
        "upward: engine.storage.atomic (storage) imports engine.analytics.ops (read)",
        "no layer: engine.newthing (add its package to LAYERS in scripts/import_graph.py)",
    ]
