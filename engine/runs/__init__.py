"""The run folder format: `runs/<run_id>/` and the shared `runs/index.json`."""
