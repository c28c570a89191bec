"""One module per scanner format, each defining `FORMAT` (engine/scanners/format.py); the
registry (engine/scanners/registry.py) reads every module here."""
