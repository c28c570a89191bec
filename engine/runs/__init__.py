"""The run folder format: `runs/<run_id>/`, and the files all runs share in `runs/_shared/`."""
