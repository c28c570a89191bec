"""The scanner formats are the modules in engine/scanners/formats/: a new module there is read
by `parse_scan`, detected, and listed in the error messages, with nothing else changed."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.scanners import detect_format, parse_scan, registry
from engine.scanners import formats as formats_package

NEW_FORMAT = """
from engine.scanners.format import ScanFormat
from engine.scanners.records import ScanParse


def parse(doc, name, budget):
    return ScanParse(format="acme", format_label="Acme JSON", tools=["acme"], records=[])


FORMAT = ScanFormat(
    name="acme",
    label="Acme JSON",
    parse=parse,
    order=5,
    matches_object=lambda doc: "acme_findings" in doc,
)
"""


@pytest.fixture
def formats_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A second folder of the formats package, as if its modules were in engine/scanners/formats/."""
    monkeypatch.setattr(formats_package, "__path__", [*formats_package.__path__, str(tmp_path)])
    registry.scan_formats.cache_clear()
    yield tmp_path
    registry.scan_formats.cache_clear()
    for name in [m for m in sys.modules if m.startswith("engine.scanners.formats.") and "acme" in m]:
        del sys.modules[name]


def test_the_formats_read_are_the_modules_in_the_package() -> None:
    names = [f.name for f in registry.scan_formats()]
    assert names == ["sarif", "trivy", "snyk", "semgrep", "dependabot", "github_code_scanning"]
    modules = sorted(
        p.stem for p in Path(formats_package.__file__).parent.glob("*.py") if p.stem != "__init__"
    )
    assert sorted(names) == modules


def test_one_new_module_adds_a_format(formats_folder: Path) -> None:
    (formats_folder / "acme.py").write_text(textwrap.dedent(NEW_FORMAT), encoding="utf-8")
    importlib.invalidate_caches()
    data = b'{"acme_findings": []}'
    assert detect_format(data) == "acme"
    assert parse_scan(data, "scan.json").format_label == "Acme JSON"
    assert "Acme JSON" in registry.supported_formats()
    with pytest.raises(BadInputError, match="Acme JSON"):
        parse_scan(b'{"something": "else"}', "other.json")


def test_a_format_module_without_its_declaration_is_refused(formats_folder: Path) -> None:
    (formats_folder / "acme_broken.py").write_text("PARSER = None\n", encoding="utf-8")
    importlib.invalidate_caches()
    with pytest.raises(TypeError, match="acme_broken defines no FORMAT"):
        registry.scan_formats()
