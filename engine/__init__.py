"""Patchwave engine: findings in, prioritized waves of agent sessions out, state in `runs/`."""

__version__ = "0.1.0"
