"""Preparing, starting, stopping and resuming runs: one plan for preview, `plan`, `--dry-run` and launch."""
