"""ROI: per-run and total figures, their running totals, charts and the executive report.

The implementations live in roi_figures, roi_charts and roi_report; this is the public face."""

from __future__ import annotations

from engine.analytics.roi_charts import roi_charts
from engine.analytics.roi_figures import (
    RoiAssumptions,
    RoiFigures,
    cumulative_roi,
    run_roi,
    total_roi,
)
from engine.analytics.roi_report import executive_report_html

__all__ = [
    "RoiAssumptions",
    "RoiFigures",
    "cumulative_roi",
    "executive_report_html",
    "roi_charts",
    "run_roi",
    "total_roi",
]
