"""The data model and the primitives every layer shares:
findings, sessions, waves and runs, errors, clocks, fingerprints."""
