"""The scanner formats read: every module in engine/scanners/formats/ that defines `FORMAT`.

Adding a format is adding one module there (plus its sample test); nothing here or in the
parsing pipeline (engine/scanners/__init__.py) changes."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from engine.scanners import formats as formats_package
from engine.scanners.format import ScanFormat


@cache
def scan_formats() -> tuple[ScanFormat, ...]:
    """Every format, in the order they are tried (their declared `order`, then name)."""
    found = []
    for module in pkgutil.iter_modules(formats_package.__path__):
        imported = importlib.import_module(f"{formats_package.__name__}.{module.name}")
        declared = getattr(imported, "FORMAT", None)
        if not isinstance(declared, ScanFormat):  # a format module that declares none is a bug
            raise TypeError(f"{imported.__name__} defines no FORMAT = ScanFormat(...)")
        found.append(declared)
    return tuple(sorted(found, key=lambda f: (f.order, f.name)))


def format_named(name: str) -> ScanFormat:
    return next(f for f in scan_formats() if f.name == name)


def supported_formats() -> str:
    """The formats read, for error messages."""
    labels = [f.label for f in scan_formats()]
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else "".join(labels)


def shape_of(doc: object) -> str | None:
    """The format name of a parsed JSON document, or None when it is no format we read."""
    if doc is None:
        return next((f.name for f in scan_formats() if f.reads_null), None)
    if isinstance(doc, dict):
        return next((f.name for f in scan_formats() if f.matches_object(doc)), None)
    if isinstance(doc, list) and doc:
        return list_shape(doc[0])
    return None


def list_shape(first: object) -> str | None:
    """The format of a JSON list, told by its first item (only its keys count)."""
    if not isinstance(first, dict):
        return None
    return next((f.name for f in scan_formats() if f.matches_list_item(first)), None)
