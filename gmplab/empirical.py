"""Empirical distributions from the user's own data: a CSV column of samples, or a histogram.

A distribution is kept as its quantile function, piecewise linear through (cdf, value) points,
which the kernel inverts with one uniform draw (``loop.emp_draw``):

- samples: the sorted values at cdf i/(n-1) (kept exactly up to ``MAX_POINTS`` samples; larger
  samples are reduced to their quantiles at ``MAX_POINTS`` evenly spaced probabilities), so a
  simulated duration reproduces the sample's own quantiles;
- a histogram (columns ``lower_ns``, ``upper_ns``, ``count``, as ``Result.histograms()`` writes
  them): uniform within each cell, the cdf at the cells' edges.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import SpecError

MAX_POINTS = 4097  # quantile points kept from a large sample (2^12 intervals)
UNITS_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass(frozen=True)
class Empirical:
    """A distribution given by data: its quantile points, mean and SCV, and where it came from."""

    points: tuple  # ((cdf, value_ns), ...), cdf from 0 to 1, values non-decreasing
    source: str  # "PATH:COLUMN" or "PATH" (a histogram)
    mean_ns: float
    scv: float

    def digest(self) -> str:
        """A short hash of the points (the spec key carries it, not the data)."""
        arr = np.asarray(self.points, dtype=np.float64)
        return hashlib.sha256(arr.tobytes()).hexdigest()[:16]

    def quantile(self, p: float) -> float:
        arr = np.asarray(self.points, dtype=np.float64)
        return float(np.interp(p, arr[:, 0], arr[:, 1]))


def _moments(points: np.ndarray) -> tuple[float, float]:
    """Mean and SCV of a piecewise-linear quantile function (uniform within each segment)."""
    c, v = points[:, 0], points[:, 1]
    w = np.diff(c)
    a, b = v[:-1], v[1:]
    mean = float(np.sum(w * (a + b) / 2))
    second = float(np.sum(w * (a * a + a * b + b * b) / 3))
    var = max(second - mean * mean, 0.0)
    return mean, (var / (mean * mean) if mean > 0 else 0.0)


def _from_samples(values: np.ndarray, source: str) -> Empirical:
    x = np.sort(values)
    if x.size > MAX_POINTS:
        probs = np.linspace(0.0, 1.0, MAX_POINTS)
        x = np.quantile(x, probs)  # linear interpolation: the same quantile function
    cdf = np.linspace(0.0, 1.0, x.size)
    pts = np.column_stack([cdf, x])
    mean, scv = _moments(pts)
    return Empirical(tuple(map(tuple, pts.tolist())), source, mean, scv)


def _from_histogram(lower, upper, count, source: str) -> Empirical:
    keep = count > 0
    lower, upper, count = lower[keep], upper[keep], count[keep]
    if lower.size == 0:
        raise SpecError("service_data", "a histogram with at least one non-empty cell", source)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise SpecError("service_data", "finite cell edges (no open-ended cell)", source)
    order = np.argsort(lower)
    lower, upper, count = lower[order], upper[order], count[order]
    if np.any(upper <= lower) or np.any(lower[1:] < upper[:-1]):
        raise SpecError("service_data", "cells with lower < upper that do not overlap", source)
    cum = np.concatenate([[0.0], np.cumsum(count) / count.sum()])
    pts = []
    for i in range(lower.size):
        if not pts or pts[-1][1] != lower[i]:
            pts.append((cum[i], lower[i]))  # a gap between cells: the cdf is flat across it
        pts.append((cum[i + 1], upper[i]))
    arr = np.asarray(pts, dtype=np.float64)
    mean, scv = _moments(arr)
    return Empirical(tuple(map(tuple, arr.tolist())), source, mean, scv)


def load(spec: str, unit: str = "ns") -> Empirical:
    """``PATH.csv:COLUMN`` (samples in ``unit``) or ``PATH.csv`` with ``lower_ns``, ``upper_ns``,
    ``count`` columns (a histogram in ns)."""
    import polars as pl

    if unit not in UNITS_NS:
        raise SpecError("service_data_unit", f"one of {sorted(UNITS_NS)}", unit)
    path, column = spec, None
    if not Path(spec).is_file() and ":" in spec:
        path, column = spec.rsplit(":", 1)
    if not Path(path).is_file():
        raise SpecError("service_data", "PATH.csv:COLUMN or a histogram PATH.csv that exists", spec)
    try:
        df = pl.read_csv(path, infer_schema_length=10_000)
    except Exception as e:  # polars raises several error types for unreadable CSV
        raise SpecError("service_data", f"a readable CSV file ({type(e).__name__})", spec) from e
    if column is None:
        need = {"lower_ns", "upper_ns", "count"}
        if not need <= set(df.columns):
            raise SpecError(
                "service_data",
                f"PATH:COLUMN (one of {df.columns}) or a histogram with columns {sorted(need)}",
                spec,
            )
        try:
            lo = df["lower_ns"].cast(pl.Float64).to_numpy()
            hi = df["upper_ns"].cast(pl.Float64).to_numpy()
            n = df["count"].cast(pl.Float64).to_numpy()
        except Exception as e:
            raise SpecError("service_data", "numeric histogram columns", spec) from e
        if np.any(n < 0) or not np.all(np.isfinite(n)):
            raise SpecError("service_data", "counts >= 0", spec)
        return _from_histogram(lo, hi, n, spec)
    if column not in df.columns:
        raise SpecError("service_data", f"a column of {path}: one of {df.columns}", column)
    try:
        values = df[column].drop_nulls().cast(pl.Float64).to_numpy() * UNITS_NS[unit]
    except Exception as e:
        raise SpecError("service_data", f"numbers in column {column!r}", spec) from e
    if values.size < 2:
        raise SpecError("service_data", f"at least 2 values in column {column!r}", spec)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise SpecError("service_data", f"finite values >= 0 in column {column!r}", spec)
    if values.max() <= 0 or math.isclose(values.max(), 0.0):
        raise SpecError("service_data", f"some value > 0 in column {column!r}", spec)
    return _from_samples(values, spec)
