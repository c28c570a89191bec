"""Prometheus metrics: the same per-run series from a running engine (ENGINE_METRICS_PORT) and
from `python -m engine metrics`, which reads the runs folder (see series.py for the list)."""
