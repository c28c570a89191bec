"""Percentiles and sample-size guarded statistics."""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel

MIN_SAMPLES = 5  # fewer samples: no value is reported
LOW_SAMPLES = 20  # fewer samples: the value is shown with a low-sample warning


class Stat(BaseModel):
    value: float | None  # None unless enough
    samples: int
    enough: bool  # samples >= MIN_SAMPLES
    low_sample: bool  # enough, but samples < LOW_SAMPLES


def stat(value: float | None, samples: int) -> Stat:
    enough = samples >= MIN_SAMPLES
    return Stat(
        value=value if enough else None,
        samples=samples,
        enough=enough,
        low_sample=enough and samples < LOW_SAMPLES,
    )


def clean(values: Iterable[float | None]) -> list[float]:
    """The finite numbers among `values`."""
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation, as numpy.percentile's default;
    None for no values. None and NaN values are ignored."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(clean(values))
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentile_stat(values: list[float], q: float) -> Stat:
    samples = clean(values)
    return stat(percentile(samples, q), len(samples))


def mean(values: Iterable[float | None]) -> float | None:
    samples = clean(values)
    return sum(samples) / len(samples) if samples else None
