"""Tail-latency statistics: every number with an interval that means what it says.

The one statistics module around the histogram layouts of :mod:`gmplab._kernel.hist` and the
replication t-intervals of :mod:`gmplab.result`. Five groups (reference/validation-oracles.md,
section 4, gives the reasons):

* **Histograms** (:class:`Histogram`): the kernel's HDR layout (2 significant digits, integer ns,
  one overflow cell), Go's 162-count ``/sched/latencies`` layout, or any explicit boundaries.
  Merge (exact integer sums: associative and order-free; different layouts refuse), mean,
  quantile with the cell bounds the layout allows, CCDF, polars in and out, and the import and
  export of a real ``runtime/metrics`` ``Float64Histogram`` (seconds, ``-Inf``/``+Inf`` ends,
  as in a gmplab-capture/1 file). This module is the one place that import lives.
* **Raw iid samples**: distribution-free order-statistic intervals (binomial ranks, exact
  coverage ``B(s-1; n, p) - B(r-1; n, p)``), Harrell-Davis as an option, and the smallest sample
  for which an interval at a level exists (:func:`quantile_ci`, :func:`order_ranks`,
  :func:`min_sample_size`). Never apply these to the jobs of one simulated run: they are
  autocorrelated and the interval comes out 4x to 19x too narrow at load 0.9.
* **Simulated runs**: t-intervals and bootstrap over per-replication values
  (:func:`replication_interval`); batch means with a lag-1 check that says when batches are too
  short (:func:`batch_means`); MSER-5 warm-up truncation that says when a run is too short
  (:func:`mser`, :func:`warmup_mser5`).
* **Comparisons**: the ratio of a quantile between two configurations (:func:`quantile_ratio`)
  and the highest load meeting "P99 <= K x mean service" from a sweep (:func:`slo_max_load`).
* **Precision-driven runs**: :func:`simulate_until_halfwidth` adds replications until the
  interval is narrow enough (with a cap); :func:`estimate_replications` says how many are needed
  from a pilot; and :func:`correct_coordinated_omission` applies HdrHistogram's
  expected-interval correction to latencies recorded by a closed-loop tool (gmplab's own
  sources are open loop and already measure from the intended arrival time).

Quantiles are nearest-rank (the ``ceil(p n)``-th smallest value, as HdrHistogram and the
kernel's summaries). Bad input raises :class:`StatsError` (a ``SpecError``, so a ``ValueError``)
naming the parameter and what is allowed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import numbers
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats as sps

from ._kernel.hist import (
    GO_COUNTS_LEN,
    HDR_ARRAY_LEN,
    HDR_SUB_BUCKET_COUNT,
    hdr_lower_edges_ns,
    hdr_midpoints_ns,
    hdr_to_go,
)
from .errors import SpecError

__all__ = [
    "Histogram",
    "Interval",
    "MSERResult",
    "OrderRanks",
    "QuantileEstimate",
    "SLOResult",
    "StatsError",
    "batch_means",
    "choose_warmup_mser5",
    "correct_coordinated_omission",
    "estimate_replications",
    "harrell_davis",
    "merge",
    "min_sample_size",
    "mser",
    "mser5",
    "order_ranks",
    "parse_share",
    "quantile_ci",
    "quantile_ratio",
    "replication_interval",
    "replication_values",
    "run_replication_values",
    "simulate_until_halfwidth",
    "slo_max_load",
    "warmup_mser5",
]


class StatsError(SpecError):
    """Bad input to a statistics function: ``"<parameter>: must be <allowed> (got ...)"``."""


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real | np.floating | np.integer) and not isinstance(
        x, bool | np.bool_
    )


def _check_p(p, name: str = "p") -> float:
    if not _is_real(p) or not 0.0 < float(p) < 1.0:
        raise StatsError(name, "a number in (0, 1) (e.g. 0.99 for P99)", p)
    return float(p)


def _check_conf(conf) -> float:
    if not _is_real(conf) or not 0.0 < float(conf) < 1.0:
        raise StatsError("conf", "a confidence level in (0, 1), e.g. 0.95", conf)
    return float(conf)


def _check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < lo or (hi is not None and value > hi):
        rng = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        raise StatsError(name, rng, value)
    return int(value)


def _check_positive(name: str, value, allowed: str = "a finite number > 0") -> float:
    if not _is_real(value) or not math.isfinite(float(value)) or float(value) <= 0:
        raise StatsError(name, allowed, value)
    return float(value)


def _latencies(x, name: str = "samples") -> np.ndarray:
    """A non-empty 1-D float array of finite latencies >= 0."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise StatsError(name, "a 1-D sequence of numbers", type(x).__name__) from e
    if a.ndim != 1:
        raise StatsError(name, "a 1-D sequence of numbers", f"an array of shape {a.shape}")
    if a.size == 0:
        raise StatsError(name, "a non-empty sequence of latencies", "an empty sequence")
    if not np.all(np.isfinite(a)):
        raise StatsError(name, "finite latencies (no NaN or inf)", float(a[~np.isfinite(a)][0]))
    if np.any(a < 0):
        raise StatsError(name, "latencies >= 0", float(a[a < 0][0]))
    return a


def _values(x, name: str = "values") -> np.ndarray:
    """A 1-D float array of finite values (per-replication estimates; any sign)."""
    try:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise StatsError(name, "a sequence of numbers", type(x).__name__) from e
    if a.size == 0:
        raise StatsError(name, "a non-empty sequence of numbers", "an empty sequence")
    if not np.all(np.isfinite(a)):
        raise StatsError(name, "finite numbers (no NaN or inf)", float(a[~np.isfinite(a)][0]))
    return a


def _rank(p: float, n: int) -> int:
    """1-based nearest rank of the p-quantile among n values (as ``hdr_quantile``)."""
    return min(n, max(1, int(np.ceil(p * n))))


def parse_share(text, name: str = "target") -> float:
    """A share in (0, 1) from ``"2%"``, ``"2 %"``, ``"0.02"`` or a number (the CLI's
    ``--until-halfwidth``; pass ``name`` to have errors name the flag)."""
    allowed = "a share > 0 and < 100%, such as 2% or 0.02"
    if _is_real(text):
        v = float(text)
    else:
        s = str(text).strip()
        pct = s.endswith("%")
        try:
            v = float(s[:-1] if pct else s)
        except ValueError:
            raise StatsError(name, allowed, text) from None
        v = v / 100.0 if pct else v
    if not math.isfinite(v) or not 0 < v < 1:
        raise StatsError(name, allowed, text)
    return v


# --------------------------------------------------------------------------------------------
# results of the functions below
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A point estimate and its interval.

    ``coverage`` is the exact coverage where it is known (order statistics: the binomial
    coverage of the ranks, at least ``conf``); ``ranks`` the 1-based order statistics used;
    ``detail`` anything method-specific (lag-1 correlation, degrees of freedom, ...).
    """

    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    n: int
    coverage: float | None = None
    ranks: tuple | None = None
    detail: dict = field(default_factory=dict)

    @property
    def halfwidth(self) -> float:
        return (self.upper - self.lower) / 2.0

    @property
    def halfwidth_rel(self) -> float:
        """Half-width as a share of the estimate (NaN for an estimate of 0)."""
        e = abs(self.estimate)
        return self.halfwidth / e if e > 0 else float("nan")

    def __contains__(self, value) -> bool:
        return bool(self.lower <= value <= self.upper)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["halfwidth"] = self.halfwidth
        d["halfwidth_rel"] = self.halfwidth_rel
        return d


class QuantileEstimate(tuple):
    """``(estimate, lower, upper)``: the exact sample quantile lies in ``[lower, upper)``."""

    __slots__ = ()

    def __new__(cls, estimate: float, lower: float, upper: float):
        return super().__new__(cls, (float(estimate), float(lower), float(upper)))

    estimate = property(lambda self: self[0])
    lower = property(lambda self: self[1])
    upper = property(lambda self: self[2])

    def __repr__(self) -> str:
        return f"QuantileEstimate(estimate={self[0]!r}, lower={self[1]!r}, upper={self[2]!r})"


# --------------------------------------------------------------------------------------------
# histograms
# --------------------------------------------------------------------------------------------

_HDR_EDGES = np.append(hdr_lower_edges_ns().astype(np.float64), np.inf)  # 5250 edges
_HDR_REP = hdr_midpoints_ns()  # the kernel's representative values (hdr_quantile)
_GO_EDGES_NS_INT = [0, 64, 128, 192] + [
    (1 << k) + j * (1 << (k - 2)) for k in range(8, 47) for j in range(4)
]
_GO_EDGES_NS_INT.append(1 << 47)
_GO_EDGES = np.array([-np.inf] + [float(e) for e in _GO_EDGES_NS_INT] + [np.inf])  # 163 edges
assert _HDR_EDGES.size == HDR_ARRAY_LEN + 1 and _GO_EDGES.size == GO_COUNTS_LEN + 1
_LAYOUTS = ("hdr", "go", "custom")
_SECONDS_UNITS = ("seconds", "s", "cpu-seconds")


def _json_float(x: float):
    """A boundary as runtime/metrics JSON writes it: ``"-Inf"``/``"+Inf"`` as strings."""
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if math.isnan(x):
        return "NaN"
    return x


def _parse_bound(b) -> float:
    if isinstance(b, str):
        s = b.strip()
        table = {"+Inf": np.inf, "Inf": np.inf, "inf": np.inf, "+inf": np.inf}
        table.update({"-Inf": -np.inf, "-inf": -np.inf})
        if s in table:
            return float(table[s])
        raise StatsError("boundaries", 'numbers, "-Inf" or "+Inf"', b)
    if not _is_real(b) or math.isnan(float(b)):
        raise StatsError("boundaries", 'numbers, "-Inf" or "+Inf"', b)
    return float(b)


def _seconds_to_ns(b: np.ndarray) -> np.ndarray:
    """Boundaries in s to ns, snapping to whole ns (Go's edges are whole ns divided by 1e9)."""
    ns = b * 1e9
    fin = np.isfinite(ns)
    r = np.round(ns[fin])
    close = np.abs(ns[fin] - r) <= 1e-6 * np.maximum(1.0, np.abs(r))
    out = ns.copy()
    out[np.flatnonzero(fin)[close]] = r[close]
    return out


@dataclass(frozen=True, eq=False, repr=False)
class Histogram:
    """Counts over cells ``[edges[i], edges[i+1])`` of one layout (immutable).

    ``layout`` is ``"hdr"`` (the kernel's: 5249 cells in integer ns, the last one ``[2**47,
    +inf)``), ``"go"`` (Go's ``/sched/latencies``: 162 cells in ns from ``[-inf, 0)`` to
    ``[2**47, +inf)``) or ``"custom"`` (any strictly increasing edges, in ``unit``). The hdr
    and go layouts are in ns; a Go histogram in seconds is converted on import and back on
    export. Build one with :meth:`hdr`, :meth:`go`, :meth:`custom`, :meth:`from_samples`,
    :meth:`from_result`, :meth:`from_go_metrics`, :meth:`from_capture` or :meth:`from_polars`.
    """

    layout: str
    edges: np.ndarray
    counts: np.ndarray
    unit: str = "ns"

    def __post_init__(self):
        if self.layout not in _LAYOUTS:
            raise StatsError("layout", f"one of {_LAYOUTS}", self.layout)
        edges = np.array(self.edges, dtype=np.float64).reshape(-1)
        counts = np.asarray(self.counts)
        if counts.ndim != 1:
            raise StatsError("counts", "a 1-D array of counts", f"shape {counts.shape}")
        if counts.dtype.kind == "f":
            if not np.all(np.isfinite(counts)) or np.any(counts != np.round(counts)):
                raise StatsError("counts", "whole numbers >= 0", "non-integer counts")
        elif counts.dtype.kind not in "iub":
            raise StatsError("counts", "whole numbers >= 0", str(counts.dtype))
        if counts.size and counts.dtype.kind == "u" and counts.max() > np.iinfo(np.int64).max:
            raise StatsError("counts", "counts below 2**63", int(counts.max()))
        counts = np.array(counts, dtype=np.int64)
        if np.any(counts < 0):
            raise StatsError("counts", "whole numbers >= 0", int(counts[counts < 0][0]))
        if edges.size != counts.size + 1 or counts.size == 0:
            raise StatsError(
                "boundaries",
                "one more boundary than counts (len(boundaries) == len(counts) + 1 >= 2)",
                f"{edges.size} boundaries for {counts.size} counts",
            )
        if np.any(np.isnan(edges)) or np.any(np.diff(edges) <= 0):
            raise StatsError("boundaries", "strictly increasing", "unsorted or repeated edges")
        if self.layout == "hdr" and not np.array_equal(edges, _HDR_EDGES):
            raise StatsError("edges", "the kernel's HDR edges for layout='hdr'", "other edges")
        if self.layout == "go" and not np.array_equal(edges, _GO_EDGES):
            raise StatsError("edges", "Go's /sched/latencies edges for layout='go'", "other")
        if self.layout in ("hdr", "go") and self.unit != "ns":
            raise StatsError("unit", f"'ns' for layout={self.layout!r}", self.unit)
        edges.setflags(write=False)
        counts.setflags(write=False)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "counts", counts)

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def hdr(cls, counts) -> Histogram:
        """The kernel's HDR counts (``HDR_ARRAY_LEN`` cells, e.g. ``replication.hists[m]``)."""
        counts = np.asarray(counts)
        if counts.shape != (HDR_ARRAY_LEN,):
            raise StatsError("counts", f"{HDR_ARRAY_LEN} HDR cells", f"shape {counts.shape}")
        return cls("hdr", _HDR_EDGES, counts)

    @classmethod
    def go(cls, counts) -> Histogram:
        """Go's 162 ``/sched/latencies`` counts (e.g. a row of ``Result.batch_histograms``)."""
        counts = np.asarray(counts)
        if counts.shape != (GO_COUNTS_LEN,):
            raise StatsError("counts", f"{GO_COUNTS_LEN} Go cells", f"shape {counts.shape}")
        return cls("go", _GO_EDGES, counts)

    @classmethod
    def custom(cls, edges, counts, unit: str = "ns") -> Histogram:
        """Any strictly increasing ``edges`` (len(counts) + 1 of them, in ``unit``)."""
        return cls("custom", np.asarray(edges, dtype=np.float64), counts, str(unit))

    @classmethod
    def empty(cls, layout: str = "hdr") -> Histogram:
        if layout == "hdr":
            return cls.hdr(np.zeros(HDR_ARRAY_LEN, dtype=np.int64))
        if layout == "go":
            return cls.go(np.zeros(GO_COUNTS_LEN, dtype=np.int64))
        raise StatsError("layout", "'hdr' or 'go' (a custom layout needs its edges)", layout)

    @classmethod
    def from_samples(cls, values, layout: str = "hdr", edges=None, unit: str = "ns"):
        """Record latencies (ns for hdr/go; values >= 0, finite, non-empty).

        The HDR layout records whole ns, as the kernel does (values are floored); the go and
        custom layouts place each value in the cell ``[edges[i], edges[i+1])`` that holds it.
        """
        x = _latencies(values, "values")
        if layout == "hdr":
            e, x = _HDR_EDGES, np.floor(x)
        elif layout == "go":
            e = _GO_EDGES
        elif layout == "custom":
            if edges is None:
                raise StatsError("edges", "given for layout='custom'", None)
            e = np.asarray(edges, dtype=np.float64)
        else:
            raise StatsError("layout", f"one of {_LAYOUTS}", layout)
        idx = np.searchsorted(e, x, side="right") - 1
        if np.any(idx < 0) or np.any(idx >= e.size - 1):
            bad = x[(idx < 0) | (idx >= e.size - 1)][0]
            raise StatsError("values", f"inside the layout's range [{e[0]}, {e[-1]})", bad)
        counts = np.bincount(idx, minlength=e.size - 1).astype(np.int64)
        if layout == "custom":
            return cls.custom(e, counts, unit)
        return cls(layout, e, counts)

    @classmethod
    def from_result(cls, result, metric: str = "sojourn_ns", replication: int | None = None):
        """A run's HDR histogram of ``metric``, merged over replications unless one is named."""
        reps = result.replications
        names = sorted(reps[0].hists)
        if metric not in reps[0].hists:
            raise StatsError("metric", f"one of {names}", metric)
        if replication is None:
            counts = np.sum([r.hists[metric] for r in reps], axis=0)
        else:
            _check_int("replication", replication, 0, len(reps) - 1)
            counts = reps[replication].hists[metric]
        return cls.hdr(counts)

    @classmethod
    def from_go_metrics(cls, boundaries, counts, unit: str = "seconds") -> Histogram:
        """A ``runtime/metrics`` ``Float64Histogram``: ``Buckets`` (``len(Counts) + 1``
        boundaries, ``-Inf``/``+Inf`` allowed, as floats or the JSON strings) and ``Counts``.

        Boundaries in seconds (``unit`` "seconds") become ns; Go's own ``/sched`` layout (163
        boundaries from ``-Inf, 0, 6.4e-08`` to ``2**47 ns, +Inf``) is recognised as
        ``layout="go"``, anything else is ``"custom"`` (e.g. ``/gc/heap/allocs-by-size:bytes``
        with ``unit="bytes"``).
        """
        if isinstance(boundaries, str | bytes) or not hasattr(boundaries, "__len__"):
            raise StatsError("boundaries", "a list of boundaries", type(boundaries).__name__)
        b = np.array([_parse_bound(x) for x in boundaries], dtype=np.float64)
        try:
            raw = list(counts)
        except TypeError:
            raise StatsError("counts", "a list of counts", type(counts).__name__) from None
        for c in raw:
            if not (isinstance(c, numbers.Integral | np.integer) and not isinstance(c, bool)):
                if not (_is_real(c) and float(c).is_integer()):
                    raise StatsError("counts", "whole numbers >= 0", c)
            if c < 0:
                raise StatsError("counts", "whole numbers >= 0", c)
            if c >= 2**63:
                raise StatsError("counts", "counts below 2**63", c)
        c = np.array([int(v) for v in raw], dtype=np.int64)
        if unit in _SECONDS_UNITS:
            b, unit = _seconds_to_ns(b), "ns"
        if unit == "ns" and b.shape == _GO_EDGES.shape and np.array_equal(b, _GO_EDGES):
            return cls.go(c)
        return cls.custom(b, c, unit)

    @classmethod
    def from_go_json(cls, obj, unit: str = "seconds") -> Histogram:
        """A histogram value of a gmplab-capture/1 file: ``{"buckets": [...], "counts": [...]}``."""
        if isinstance(obj, str | bytes):
            obj = json.loads(obj)
        if not isinstance(obj, dict) or "buckets" not in obj or "counts" not in obj:
            raise StatsError("histogram", 'an object {"buckets": [...], "counts": [...]}', obj)
        return cls.from_go_metrics(obj["buckets"], obj["counts"], unit)

    @classmethod
    def from_capture(
        cls,
        source,
        name: str = "/sched/latencies:seconds",
        sample: int = -1,
        since: int | None = None,
    ) -> Histogram:
        """A histogram metric of a gmplab-capture/1 file (path, stream or decoded object).

        ``sample`` picks the sample (an index into the capture's samples, negative from the
        end). The runtime's counts are cumulative since the program started: pass ``since``
        (an earlier sample index) for the window between the two samples.
        """
        from .schedtrace import capture_to_frames, load_capture

        cap = capture_to_frames(source) if isinstance(source, dict) else load_capture(source)
        h = cap.histograms.filter(pl.col("name") == name)
        if h.height == 0:
            names = sorted(set(cap.histograms["name"].to_list()))
            raise StatsError("name", f"a histogram metric of the capture: {names}", name)
        nsamp = cap.samples.height

        def pick(i, what):
            if not isinstance(i, numbers.Integral) or isinstance(i, bool):
                raise StatsError(what, f"a sample index in [-{nsamp}, {nsamp - 1}]", i)
            j = i + nsamp if i < 0 else i
            if not 0 <= j < nsamp:
                raise StatsError(what, f"a sample index in [-{nsamp}, {nsamp - 1}]", i)
            rows = h.filter(pl.col("sample") == j).sort("bucket")
            if rows.height == 0:
                raise StatsError(what, f"a sample that holds {name}", i)
            return rows

        rows = pick(sample, "sample")
        unit = rows["unit"][0]
        bounds = np.append(rows["lower_s"].to_numpy(), rows["upper_s"][-1])
        counts = rows["count"].to_numpy().astype(np.int64)
        if since is not None:
            base = pick(since, "since")
            same = base.height == rows.height and np.array_equal(
                np.append(base["lower_s"].to_numpy(), base["upper_s"][-1]), bounds
            )
            if not same:
                raise StatsError("since", "a sample with the same boundaries", since)
            counts = counts - base["count"].to_numpy().astype(np.int64)
            if np.any(counts < 0):
                raise StatsError(
                    "since", "a sample taken before `sample` (counts only grow)", since
                )
        return cls.from_go_metrics(bounds, counts, unit)

    @classmethod
    def from_polars(cls, df: pl.DataFrame, layout: str | None = None) -> Histogram:
        """From a frame with ``lower_<unit>``, ``upper_<unit>`` and ``count`` columns.

        Rows may be all cells or only the non-empty ones (as :meth:`to_polars`,
        ``Result.histograms()``); rows with the same cell are summed, so a frame of several
        replications gives their merge. Go's and the HDR layout are recognised from the edges
        (a frame in seconds is converted to ns); pass ``layout`` to insist on one.
        """
        if not isinstance(df, pl.DataFrame):
            raise StatsError("df", "a polars DataFrame", type(df).__name__)
        lows = [c for c in df.columns if c.startswith("lower_")]
        if len(lows) != 1 or "count" not in df.columns:
            raise StatsError("df", "columns lower_<unit>, upper_<unit> and count", df.columns)
        unit = lows[0][len("lower_") :]
        if f"upper_{unit}" not in df.columns:
            raise StatsError("df", f"an upper_{unit} column", df.columns)
        if df.height == 0:
            raise StatsError("df", "at least one row", "an empty frame")
        g = (
            df.group_by([f"lower_{unit}", f"upper_{unit}"])
            .agg(pl.col("count").sum())
            .sort(f"lower_{unit}")
        )
        lo = g[f"lower_{unit}"].to_numpy().astype(np.float64)
        hi = g[f"upper_{unit}"].to_numpy().astype(np.float64)
        cnt = g["count"].to_numpy()
        if np.any(cnt < 0):
            raise StatsError("count", "whole numbers >= 0", int(cnt[cnt < 0][0]))
        if unit in _SECONDS_UNITS:
            lo, hi, unit = _seconds_to_ns(lo), _seconds_to_ns(hi), "ns"
        cands = [layout] if layout is not None else (["hdr", "go"] if unit == "ns" else [])
        for name in cands:
            if name not in ("hdr", "go"):
                raise StatsError("layout", "'hdr', 'go' or None", layout)
            e = _HDR_EDGES if name == "hdr" else _GO_EDGES
            i = np.searchsorted(e, lo)
            ok = np.all(i < e.size - 1) and np.array_equal(e[np.minimum(i, e.size - 1)], lo)
            if ok and np.array_equal(e[i + 1], hi):
                counts = np.zeros(e.size - 1, dtype=np.int64)
                counts[i] = cnt
                return cls(name, e, counts)
            if layout is not None:
                raise StatsError("df", f"cells of the {name!r} layout", "other edges")
        if not np.array_equal(lo[1:], hi[:-1]):
            raise StatsError(
                "df", "contiguous cells for a custom layout (or cells of the hdr/go layout)", unit
            )
        return cls.custom(np.append(lo, hi[-1]), cnt.astype(np.int64), unit)

    # --- basic properties ---------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of values recorded."""
        return int(self.counts.sum())

    @property
    def lower_edges(self) -> np.ndarray:
        return self.edges[:-1]

    @property
    def upper_edges(self) -> np.ndarray:
        return self.edges[1:]

    @property
    def representatives(self) -> np.ndarray:
        """The value each cell stands for: the kernel's HDR midpoints (integer ns) for hdr; the
        cell's middle for go and custom; the finite edge of a half-infinite cell."""
        if self.layout == "hdr":
            return _HDR_REP
        lo, hi = self.edges[:-1], self.edges[1:]
        with np.errstate(invalid="ignore"):
            mid = (lo + hi) / 2.0
        mid = np.where(np.isinf(hi), lo, mid)
        mid = np.where(np.isinf(lo), hi, mid)
        if self.layout == "go":
            mid = np.where(np.isinf(lo), 0.0, mid)  # Go's [-inf, 0): no negative latencies
        return mid

    @property
    def relative_error(self) -> float:
        """Largest ``|estimate - x| / x`` for a value x >= ``exact_below`` in a finite cell.

        hdr: 1/256 (2 significant digits; values below 256 ns are exact); go: 1/8 (4 linear
        sub-buckets per power of two). Below ``exact_below`` the error is at most
        ``absolute_error``.
        """
        if self.layout == "hdr":
            return 1.0 / HDR_SUB_BUCKET_COUNT
        if self.layout == "go":
            return 1.0 / 8.0
        lo, hi = self.edges[:-1], self.edges[1:]
        fin = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
        return float(np.max((hi[fin] - lo[fin]) / 2.0 / lo[fin])) if fin.any() else np.inf

    @property
    def exact_below(self) -> float:
        return 256.0 if self.layout in ("hdr", "go") else 0.0

    @property
    def absolute_error(self) -> float:
        """Largest ``|estimate - x|`` below ``exact_below``: 0 for hdr, 32 ns for go."""
        return {"hdr": 0.0, "go": 32.0}.get(self.layout, 0.0)

    def __repr__(self) -> str:
        return (
            f"Histogram(layout={self.layout!r}, cells={self.counts.size}, n={self.n}, "
            f"unit={self.unit!r})"
        )

    def __eq__(self, other) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return (
            self.layout == other.layout
            and self.unit == other.unit
            and np.array_equal(self.edges, other.edges)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]

    # --- merge --------------------------------------------------------------------------------
    def _same_layout(self, other) -> None:
        if not isinstance(other, Histogram):
            raise StatsError("other", "a Histogram", type(other).__name__)
        if self.layout != other.layout:
            pair = {self.layout, other.layout}
            hint = " (convert the hdr one with .to_go())" if pair == {"hdr", "go"} else ""
            raise StatsError(
                "layout",
                f"the same layout for histograms that merge{hint}",
                f"{self.layout!r} and {other.layout!r}",
            )
        if self.unit != other.unit or not np.array_equal(self.edges, other.edges):
            raise StatsError(
                "layout", "the same boundaries and unit for custom histograms that merge", "other"
            )

    def merge(self, *others: Histogram) -> Histogram:
        """The histogram of all values of ``self`` and ``others`` (same layout required)."""
        total = self.counts.copy()
        for o in others:
            self._same_layout(o)
            total += o.counts
        return Histogram(self.layout, self.edges, total, self.unit)

    def __add__(self, other: Histogram) -> Histogram:
        return self.merge(other)

    def to_go(self) -> Histogram:
        """The same values in Go's ``/sched/latencies`` layout (exact from hdr)."""
        if self.layout == "go":
            return self
        if self.layout != "hdr":
            raise StatsError("layout", "'hdr' or 'go' to convert to Go's layout", self.layout)
        return Histogram.go(hdr_to_go(self.counts))

    # --- statistics ---------------------------------------------------------------------------
    def _need_values(self) -> int:
        n = self.n
        if n == 0:
            raise StatsError("histogram", "a histogram with at least one value", "an empty one")
        return n

    def quantile(self, p: float) -> QuantileEstimate:
        """Nearest-rank p-quantile: ``(estimate, lower, upper)``.

        The exact sample quantile (the ``ceil(p n)``-th smallest value recorded) lies in the
        cell ``[lower, upper)``; ``estimate`` is the cell's representative value, within
        ``relative_error`` of it (``absolute_error`` below ``exact_below``). For hdr it equals
        the kernel's ``hdr_quantile`` (the summaries' ``*_p99``).
        """
        p = _check_p(p)
        n = self._need_values()
        rank = max(1, int(np.ceil(p * n)))
        idx = int(np.searchsorted(np.cumsum(self.counts), rank))
        return QuantileEstimate(self.representatives[idx], self.edges[idx], self.edges[idx + 1])

    def quantiles(self, ps=(0.5, 0.9, 0.99, 0.999)) -> pl.DataFrame:
        """A table of :meth:`quantile` for several p."""
        rows = [(float(p), *self.quantile(p)) for p in ps]
        u = self.unit
        return pl.DataFrame(
            rows, schema=["p", f"estimate_{u}", f"lower_{u}", f"upper_{u}"], orient="row"
        )

    def mean(self) -> float:
        """Mean of the cells' representative values (within ``relative_error`` of the exact
        mean when every value is in a finite cell; see :meth:`mean_bounds`)."""
        n = self._need_values()
        return float((self.counts * self.representatives).sum() / n)

    def mean_bounds(self) -> tuple[float, float]:
        """``[lower, upper)`` bounds of the exact mean from the cell edges (may be infinite)."""
        n = self._need_values()
        nz = self.counts > 0
        c = self.counts[nz].astype(np.float64)
        return float((c * self.edges[:-1][nz]).sum() / n), float((c * self.edges[1:][nz]).sum() / n)

    def ccdf(self) -> pl.DataFrame:
        """CCDF over the non-empty cells: ``ccdf`` = P(X >= upper), ``ccdf_lower`` = P(X >=
        lower), ``cdf`` = P(X < upper) (fractions of the values recorded)."""
        n = self._need_values()
        nz = np.flatnonzero(self.counts)
        c = self.counts[nz]
        below = np.cumsum(c)
        u = self.unit
        return pl.DataFrame(
            {
                f"lower_{u}": self.edges[nz],
                f"upper_{u}": self.edges[nz + 1],
                "count": c,
                "cdf": below / n,
                "ccdf": 1.0 - below / n,
                "ccdf_lower": (n - below + c) / n,
            }
        )

    # --- export -------------------------------------------------------------------------------
    def to_polars(self, nonzero: bool = False) -> pl.DataFrame:
        """``bucket``, ``lower_<unit>``, ``upper_<unit>``, ``count`` (every cell, or the
        non-empty ones); :meth:`from_polars` reads it back."""
        idx = np.flatnonzero(self.counts) if nonzero else np.arange(self.counts.size)
        u = self.unit
        return pl.DataFrame(
            {
                "bucket": idx.astype(np.int64),
                f"lower_{u}": self.edges[idx],
                f"upper_{u}": self.edges[idx + 1],
                "count": self.counts[idx],
            }
        )

    def to_go_metrics(self) -> tuple[list[float], list[int]]:
        """``(Buckets, Counts)`` as ``runtime/metrics`` gives them: boundaries in seconds for a
        histogram in ns (``ns / 1e9``, bit-exact with the runtime's), ``-inf``/``+inf`` ends
        as floats. An hdr histogram is exported in Go's layout (exact)."""
        h = self.to_go() if self.layout == "hdr" else self
        if h.unit == "ns":
            b = [e / 1e9 if math.isfinite(e) else e for e in h.edges.tolist()]
        else:
            b = h.edges.tolist()
        return b, [int(c) for c in h.counts.tolist()]

    def to_go_json(self) -> dict:
        """``{"buckets": [...], "counts": [...]}`` as in a gmplab-capture/1 file (``"-Inf"``/
        ``"+Inf"`` as strings)."""
        b, c = self.to_go_metrics()
        return {"buckets": [_json_float(x) for x in b], "counts": c}


def merge(histograms) -> Histogram:
    """Merge a non-empty sequence of histograms of one layout (order does not matter)."""
    hs = list(histograms)
    if not hs:
        raise StatsError("histograms", "at least one histogram", "none")
    return hs[0].merge(*hs[1:])


# --------------------------------------------------------------------------------------------
# raw iid samples: order statistics and Harrell-Davis
# --------------------------------------------------------------------------------------------

_SIDES = ("two", "upper", "lower")


@dataclass(frozen=True)
class OrderRanks:
    """1-based ranks ``[r, s]`` of the order-statistic interval for the p-quantile.

    Coverage is ``P(r <= Y <= s - 1)`` with ``Y ~ Binomial(n, p)`` (exact for continuous
    data, at least that with ties). ``r = 0`` means no lower bound (``-inf``) and
    ``s = n + 1`` no upper bound (``+inf``). ``exists`` is False when the level cannot be
    reached at this n; ``max_coverage`` is then what the clamped ranks reach.
    """

    n: int
    p: float
    conf: float
    sided: str
    lower_rank: int
    upper_rank: int
    coverage: float
    exists: bool
    max_coverage: float


def _binom_cdf(k: int, n: int, p: float) -> float:
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return float(sps.binom.cdf(k, n, p))


def _lower_rank(n: int, p: float, a: float) -> int:
    """Largest r with P(Y <= r - 1) <= a (0 if none)."""
    k = int(sps.binom.ppf(a, n, p))  # smallest k with cdf(k) >= a
    while k >= 0 and _binom_cdf(k, n, p) > a:
        k -= 1
    while k + 1 < n and _binom_cdf(k + 1, n, p) <= a:
        k += 1
    return k + 1


def _upper_rank(n: int, p: float, a: float) -> int:
    """Smallest s with P(Y >= s) <= a (n + 1 if none)."""
    j = int(sps.binom.isf(a, n, p)) + 1
    j = max(1, min(j, n + 1))
    while j <= n and 1.0 - _binom_cdf(j - 1, n, p) > a:
        j += 1
    while j - 1 >= 1 and 1.0 - _binom_cdf(j - 2, n, p) <= a:
        j -= 1
    return j


def order_ranks(n: int, p: float, conf: float = 0.95, sided: str = "two") -> OrderRanks:
    """Ranks of the distribution-free interval ``[X_(r), X_(s)]`` for the p-quantile.

    Two-sided: equal tails, each at most ``(1 - conf) / 2``: r is the largest rank with
    ``P(Y <= r - 1) <= (1-conf)/2`` and s the smallest with ``P(Y >= s) <= (1-conf)/2``, ``Y ~
    Binomial(n, p)``. ``sided="upper"`` gives an upper bound ``X_(s)`` only (tail ``1 - conf``),
    ``"lower"`` a lower bound ``X_(r)`` only. Reproduces the rank table of
    validation-oracles.md section 4 (e.g. P99 at n = 10**4: ``[9880, 9920]``).
    """
    n = _check_int("n", n, 1)
    p = _check_p(p)
    conf = _check_conf(conf)
    if sided not in _SIDES:
        raise StatsError("sided", f"one of {_SIDES}", sided)
    alpha = 1.0 - conf
    if sided == "two":
        r, s = _lower_rank(n, p, alpha / 2), _upper_rank(n, p, alpha / 2)
        exists = r >= 1 and s <= n
        rc, sc = max(r, 1), min(s, n)
    elif sided == "upper":
        r, s = 0, _upper_rank(n, p, alpha)
        exists = s <= n
        rc, sc = 0, min(s, n)
    else:
        r, s = _lower_rank(n, p, alpha), n + 1
        exists = r >= 1
        rc, sc = max(r, 1), n + 1
    cov = _binom_cdf(s - 1, n, p) - _binom_cdf(r - 1, n, p)
    max_cov = _binom_cdf(sc - 1, n, p) - _binom_cdf(rc - 1, n, p)
    return OrderRanks(n, p, conf, sided, r, s, cov, exists, max_cov)


def min_sample_size(p: float, conf: float = 0.95, sided: str = "two") -> int:
    """Smallest n for which an order-statistic interval for the p-quantile at ``conf`` exists.

    ``sided="upper"``: the sample maximum is a ``conf`` upper bound once ``p**n <= 1 - conf``,
    i.e. ``n >= ln(1 - conf) / ln p`` (P99/P99.9/P99.99 at 95%: 299 / 2995 / 29956).
    ``"two"`` (equal tails): also ``p**n <= (1-conf)/2`` and ``(1-p)**n <= (1-conf)/2``.
    """
    p = _check_p(p)
    conf = _check_conf(conf)
    if sided not in _SIDES:
        raise StatsError("sided", f"one of {_SIDES}", sided)
    alpha = 1.0 - conf
    if sided == "upper":
        need = [math.log(alpha) / math.log(p)]
    elif sided == "lower":
        need = [math.log(alpha) / math.log1p(-p)]
    else:
        a = alpha / 2
        need = [math.log(a) / math.log(p), math.log(a) / math.log1p(-p)]
    n = max(1, math.ceil(max(need)) - 2)
    while not order_ranks(n, p, conf, sided).exists:
        n += 1
    return n


def harrell_davis(x, p: float) -> float:
    """Harrell-Davis estimate of the p-quantile: a Beta(p(n+1), (1-p)(n+1)) weighting of all
    order statistics (smoother than one order statistic; iid samples)."""
    xs = np.sort(_latencies(x))
    p = _check_p(p)
    return float(_hd_weights(xs.size, p) @ xs)


@functools.lru_cache(maxsize=32)
def _hd_weights(n: int, p: float) -> np.ndarray:
    a, b = p * (n + 1), (1 - p) * (n + 1)
    w = np.diff(sps.beta.cdf(np.arange(n + 1) / n, a, b))
    w.setflags(write=False)
    return w


def _hd_jackknife_se(xs: np.ndarray, p: float) -> float:
    n = xs.size
    if n < 3:
        return float("nan")
    w = _hd_weights(n - 1, p)  # weights of a sample of n - 1
    a = np.concatenate([[0.0], np.cumsum(w * xs[:-1])])  # sum_{j<i} w_j x_j, i = 0..n-1
    bterm = w * xs[1:]  # w_j x_{j+1}
    b = np.concatenate([np.cumsum(bterm[::-1])[::-1], [0.0]])  # sum_{j>=i} w_j x_{j+1}
    loo = a + b  # HD without the i-th order statistic
    return float(math.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))


def quantile_ci(
    x, p: float, conf: float = 0.95, method: str = "order", sided: str = "two"
) -> Interval:
    """Quantile of iid latencies with a distribution-free interval (``method="order"``).

    The estimate is the nearest-rank order statistic; the interval ``[X_(r), X_(s)]`` uses
    :func:`order_ranks` and carries its exact binomial ``coverage`` (at least ``conf``: exact
    intervals are conservative). If no interval at ``conf`` exists for this n, raises and says
    the smallest n that has one. ``method="harrell-davis"``: the Harrell-Davis estimate with a
    jackknife standard error and a t interval (approximate, two-sided).

    Only for independent samples: the jobs of one simulated run are autocorrelated (use
    :func:`replication_interval` or :func:`batch_means`).
    """
    xs = np.sort(_latencies(x))
    p = _check_p(p)
    conf = _check_conf(conf)
    n = xs.size
    if method == "order":
        rk = order_ranks(n, p, conf, sided)
        if not rk.exists:
            need = min_sample_size(p, conf, sided)
            raise StatsError(
                "samples",
                f"at least {need} values for a {conf:g} {sided}-sided interval of the {p:g}-"
                f"quantile (the widest at n={n} covers {rk.max_coverage:.3f})",
                f"{n} values",
            )
        lo = xs[rk.lower_rank - 1] if rk.lower_rank >= 1 else -np.inf
        hi = xs[rk.upper_rank - 1] if rk.upper_rank <= n else np.inf
        est = xs[_rank(p, n) - 1]
        return Interval(
            float(est),
            float(lo),
            float(hi),
            conf,
            "order",
            n,
            coverage=rk.coverage,
            ranks=(rk.lower_rank, rk.upper_rank),
        )
    if method in ("harrell-davis", "hd"):
        if sided != "two":
            raise StatsError("sided", "'two' for method='harrell-davis'", sided)
        if n < 3:
            raise StatsError("samples", "at least 3 values for Harrell-Davis", f"{n} values")
        est = float(_hd_weights(n, p) @ xs)
        se = _hd_jackknife_se(xs, p)
        h = float(sps.t.ppf(0.5 + conf / 2, n - 1)) * se
        return Interval(est, est - h, est + h, conf, "harrell-davis", n, detail={"se": se})
    raise StatsError("method", "'order' or 'harrell-davis'", method)


# --------------------------------------------------------------------------------------------
# across replications
# --------------------------------------------------------------------------------------------

_QKEY = re.compile(r"^(?P<metric>.+)_p(?P<digits>\d+)$")


def replication_values(result, metric: str = "sojourn_ns_p99") -> np.ndarray:
    """One value per replication: a summary key (``sojourn_ns_p99``, ``sojourn_ns_mean``,
    ``utilization_effective``, ...) or ``<hist metric>_p<digits>`` for any quantile of the
    HDR histograms (``sojourn_ns_p9999`` is P99.99)."""
    reps = result.replications
    if metric in reps[0].summary:
        return np.array([float(r.summary[metric]) for r in reps], dtype=np.float64)
    m = _QKEY.match(metric)
    if m and m["metric"] in reps[0].hists:
        d = m["digits"]
        p = int(d) / 10 ** len(d)
        return np.array([Histogram.hdr(r.hists[m["metric"]]).quantile(p).estimate for r in reps])
    keys = [k for k, v in reps[0].summary.items() if isinstance(v, float)]
    raise StatsError("metric", f"a summary key such as {keys[:6]} or <hist>_p<digits>", metric)


def _as_values(data, metric: str, name: str = "data") -> np.ndarray:
    if hasattr(data, "replications") and hasattr(data, "spec"):
        return replication_values(data, metric)
    return _values(data, name)


def _t_half(x: np.ndarray, conf: float) -> float:
    return float(sps.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))


def replication_interval(
    data,
    metric: str = "sojourn_ns_p99",
    conf: float = 0.95,
    method: str = "t",
    n_boot: int = 9999,
    seed: int = 0,
) -> Interval:
    """Interval over independent replications (a ``Result`` or one value per replication).

    ``method="t"``: the mean of the per-replication values +- Student t (as
    ``result.t_interval``); ``"bootstrap"``: iid percentile bootstrap over the replications
    (``n_boot`` resamples, seeded; no t widening, so it is too narrow for few replications).
    Both need at least 2 replications.

    Measured coverage (tests/test_stats_coverage.py): the 95% t interval over R = 4
    replications of M/M/1 at load 0.9 with 392,000 measured arrivals each (~1150 relaxation
    times) covered the exact P99 in 94.65% of 2000 trials. Per-replication P99s at high load
    are right-skewed (a run's P99 rides on its few longest busy periods), so short runs
    undercover whatever R is (~93% at 100,000 arrivals per replication): make replications
    long (many relaxation times) rather than numerous.
    """
    x = _as_values(data, metric)
    conf = _check_conf(conf)
    if x.size < 2:
        raise StatsError("replications", "at least 2 for an interval", int(x.size))
    est = float(x.mean())
    if method == "t":
        h = _t_half(x, conf)
        sd = float(x.std(ddof=1))
        return Interval(est, est - h, est + h, conf, "t", x.size, detail={"sd": sd})
    if method == "bootstrap":
        n_boot = _check_int("n_boot", n_boot, 100)
        rng = np.random.default_rng(seed)
        means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
        lo, hi = np.quantile(means, [(1 - conf) / 2, (1 + conf) / 2])
        return Interval(est, float(lo), float(hi), conf, "bootstrap", x.size)
    raise StatsError("method", "'t' or 'bootstrap'", method)


# --------------------------------------------------------------------------------------------
# within one run: batch means and MSER-5
# --------------------------------------------------------------------------------------------


def _lag1(z: np.ndarray) -> float:
    d = z - z.mean()
    den = float(d @ d)
    return float(d[:-1] @ d[1:] / den) if den > 0 else 0.0


def batch_means(
    data,
    batches: int | None = None,
    conf: float = 0.95,
    p: float | None = None,
    replication: int = 0,
    max_lag1: float = 0.1,
) -> Interval:
    """Batch-means interval within one long run, with a check that the batches are long.

    ``data``: the per-job values in order (e.g. sojourns by arrival index), or a ``Result``
    (the kernel's batches of one replication: sojourn sums by arrival index, or the per-batch
    Go-layout histograms when ``p`` is given). ``batches`` groups consecutive values (or kernel
    batches) into that many batches (default 32, or the run's batches); a remainder is dropped
    from the start. With ``p`` the statistic of a batch is its p-quantile (nearest rank; from a
    Result, the Go layout's cell middle, up to 1/8 off, so prefer replications for tails).

    ``detail["too_short"]`` is True when the lag-1 autocorrelation of the batch statistics
    exceeds ``max(max_lag1, 1.645 / sqrt(k))`` (the batches are not long enough to be nearly
    independent and the interval is too narrow): use fewer, longer batches or a longer run.
    """
    conf = _check_conf(conf)
    if p is not None:
        p = _check_p(p)
    if not _is_real(max_lag1) or not -1 < float(max_lag1) < 1:
        raise StatsError("max_lag1", "a number in (-1, 1)", max_lag1)
    if hasattr(data, "replications") and hasattr(data, "spec"):
        nrep = len(data.replications)
        rep = data.replications[_check_int("replication", replication, 0, nrep - 1)]
        kb = rep.batch_count.size
        k = kb if batches is None else _check_int("batches", batches, 2, kb)
        groups = np.array_split(np.arange(kb - (kb // k) * k, kb), k)
        if p is None:
            cnt = np.array([rep.batch_count[g].sum() for g in groups], dtype=np.float64)
            sm = np.array([rep.batch_sum[g].sum() for g in groups], dtype=np.float64)
            if np.any(cnt == 0):
                raise StatsError("batches", "batches that each hold a measured job", k)
            z = sm / cnt
            size = float(cnt.mean())
        else:
            hists = [Histogram.go(rep.batch_hist[g].sum(axis=0)) for g in groups]
            if any(h.n == 0 for h in hists):
                raise StatsError("batches", "batches that each hold a measured job", k)
            z = np.array([h.quantile(p).estimate for h in hists])
            size = float(np.mean([h.n for h in hists]))
    else:
        x = _values(data, "data")
        k = 32 if batches is None else _check_int("batches", batches, 2)
        if x.size < k:
            raise StatsError("batches", f"at most the number of values ({x.size})", k)
        b = x.size // k
        xb = x[x.size - b * k :].reshape(k, b)
        if p is None:
            z = xb.mean(axis=1)
        else:
            z = np.sort(xb, axis=1)[:, _rank(p, b) - 1]
        size = float(b)
    if k < 2:
        raise StatsError("batches", "at least 2", k)
    est = float(z.mean())
    h = _t_half(z, conf)
    r1 = _lag1(z)
    thr = max(float(max_lag1), 1.645 / math.sqrt(k))
    detail = {
        "batches": int(k),
        "batch_size": size,
        "lag1": r1,
        "lag1_threshold": thr,
        "too_short": bool(r1 > thr),
        "batch_values": z,
    }
    return Interval(est, est - h, est + h, conf, "batch-means", int(k), detail=detail)


@dataclass(frozen=True)
class MSERResult:
    """MSER truncation: drop the first ``cut`` observations (``d_star`` batches of
    ``batch_size``); ``too_short`` when d* is near m/2 (at least 90% of the search range)."""

    cut: int
    d_star: int
    m: int
    batch_size: int
    too_short: bool
    mser: np.ndarray


def mser(x, batch_size: int = 5) -> MSERResult:
    """MSER truncation (White 1997; MSER-5 with ``batch_size=5``).

    Forms means ``Z_1..Z_m`` of ``batch_size`` consecutive values (an incomplete last batch is
    dropped), computes ``MSER(d) = sum_{j>d} (Z_j - mean(Z_{d+1..m}))**2 / (m - d)**2`` for d
    in ``0..m//2`` and truncates ``batch_size * d*`` values, d* the argmin. If d* lands near
    m/2 the run is too short to reach steady state: run longer.
    """
    z0 = _values(x, "x")
    batch_size = _check_int("batch_size", batch_size, 1)
    m = z0.size // batch_size
    if m < 10:
        raise StatsError(
            "x", f"at least {10 * batch_size} values for MSER with batch_size={batch_size}", m
        )
    z = z0[: m * batch_size].reshape(m, batch_size).mean(axis=1)
    z = z - z.mean()  # centring keeps the suffix sums accurate
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(m // 2 + 1)
    k = m - d
    ss = np.maximum(s2[d] - s1[d] ** 2 / k, 0.0)
    stat = ss / k.astype(np.float64) ** 2
    d_star = int(np.argmin(stat))
    too_short = d_star >= max(1, math.ceil(0.9 * (m // 2)))
    return MSERResult(d_star * batch_size, d_star, m, batch_size, bool(too_short), stat)


def mser5(x) -> MSERResult:
    """MSER-5: :func:`mser` with batches of 5."""
    return mser(x, 5)


def _workload_replace(spec, **changes):
    return spec.replace(workload=dataclasses.replace(spec.workload, **changes))


def _fraction_for(cut: int, n: int) -> float:
    """A warm-up fraction f with ``int(n * f) == cut`` exactly (RunSpec.warmup_n)."""
    if cut <= 0:
        return 0.0
    f = cut / n
    while int(n * f) < cut:
        f = float(np.nextafter(f, 1.0))
    while int(n * f) > cut:
        f = float(np.nextafter(f, 0.0))
    return f


MSER_KERNEL_BATCHES = 1020  # 204 MSER-5 batches of 5 kernel batch means


def choose_warmup_mser5(spec, batches: int = MSER_KERNEL_BATCHES) -> tuple[Any, dict]:
    """Pick the warm-up from the data: a pilot run, then MSER-5; returns (spec, report).

    The pilot is the same spec and seed with no warm-up and ``batches`` batch means of the
    sojourn by arrival index (averaged over the replications); MSER-5 over them gives d*, and
    the returned spec has ``warmup_fraction`` such that exactly the first ``cut`` arrivals are
    left out (``report["warmup_goroutines"]``). ``report["too_short"]`` says that d* is near
    m/2: the run is too short to reach steady state.
    """
    from .simulate import simulate

    spec = spec.validate()
    if spec.workload.arrivals == "burst":
        raise StatsError("arrivals", "poisson or const for MSER-5 (a burst has no steady state)")
    n = spec.workload.goroutines
    batches = _check_int("batches", batches, 50, 4096)
    nb = min(batches, 5 * (n // 5))
    if nb < 50:
        raise StatsError("goroutines", "at least 50 for MSER-5 warm-up selection", n)
    t0 = time.perf_counter()
    pilot = simulate(_workload_replace(spec, warmup_fraction=0.0).replace(batches=nb))
    cnt = np.sum([r.batch_count for r in pilot.replications], axis=0).astype(np.float64)
    sm = np.sum([r.batch_sum for r in pilot.replications], axis=0).astype(np.float64)
    res = mser(sm / cnt, 5)
    cut_batches = res.cut  # kernel batches: batch b holds arrivals with (seq * nb) // n == b
    cut = -(-cut_batches * n // nb)
    frac = _fraction_for(cut, n)
    new = _workload_replace(spec, warmup_fraction=frac).validate()
    report = {
        "warmup": "mser5",
        "warmup_goroutines": int(new.warmup_n()),
        "warmup_fraction": frac,
        "d_star": res.d_star,
        "mser_batches": res.m,
        "goroutines_per_mser_batch": 5 * n / nb,
        "too_short": res.too_short,
        "pilot_s": time.perf_counter() - t0,
        "message": (
            f"MSER-5 cut {new.warmup_n()} of {n} arrivals (d*={res.d_star} of {res.m} batches)"
            + (
                "; d* is near m/2: the run is too short to reach steady state, run longer"
                if res.too_short
                else ""
            )
        ),
    }
    return new, report


def warmup_mser5(spec, batches: int = MSER_KERNEL_BATCHES):
    """``--warmup mser5``: :func:`choose_warmup_mser5`, then the run with that warm-up.

    Returns ``(result, report)``. The run is deterministic: the same seed with only the
    measured share changed (the warm-up does not change the trajectory), so the second run's
    replications are the pilot's with the first ``cut`` arrivals left out.
    """
    from .simulate import simulate

    t0 = time.perf_counter()
    new, report = choose_warmup_mser5(spec, batches)
    result = simulate(new)
    result.total_s = time.perf_counter() - t0
    return result, report


# --------------------------------------------------------------------------------------------
# comparisons
# --------------------------------------------------------------------------------------------


def quantile_ratio(
    a,
    b,
    metric: str = "sojourn_ns_p99",
    conf: float = 0.95,
    paired: bool | str = "auto",
    method: str = "delta",
    n_boot: int = 9999,
    seed: int = 0,
) -> Interval:
    """Ratio ``mean(a) / mean(b)`` of a per-replication quantile (e.g. P99 of policy A over
    policy B) with an interval.

    ``a``, ``b``: Results or per-replication values. ``paired``: replication i of a and of b
    share a seed (common random numbers), so the differences are used; ``"auto"`` pairs two
    Results with the same seed and replication count. ``method="delta"``: t interval on the log
    ratio with the delta-method variance (Welch degrees of freedom when unpaired);
    ``"bootstrap"``: percentile bootstrap over replications (pairs kept together).
    """
    xa = _as_values(a, metric, "a")
    xb = _as_values(b, metric, "b")
    conf = _check_conf(conf)
    if xa.size < 2 or xb.size < 2:
        raise StatsError("replications", "at least 2 on each side", (xa.size, xb.size))
    if np.any(xa <= 0) or np.any(xb <= 0):
        raise StatsError("values", "positive values for a ratio", "a value <= 0")
    if paired == "auto":
        paired = (
            hasattr(a, "spec")
            and hasattr(b, "spec")
            and a.spec.seed == b.spec.seed
            and xa.size == xb.size
        )
    if paired and xa.size != xb.size:
        raise StatsError("paired", "equal replication counts for a paired ratio", paired)
    ma, mb = float(xa.mean()), float(xb.mean())
    ratio = ma / mb
    if method == "delta":
        if paired:
            u = xa / ma - xb / mb  # influence values of log(ma / mb)
            se = float(u.std(ddof=1) / math.sqrt(u.size))
            df = float(u.size - 1)
        else:
            va = xa.var(ddof=1) / xa.size / ma**2
            vb = xb.var(ddof=1) / xb.size / mb**2
            se = math.sqrt(va + vb)
            den = va**2 / (xa.size - 1) + vb**2 / (xb.size - 1)
            df = (va + vb) ** 2 / den if den > 0 else float(xa.size + xb.size - 2)
        h = float(sps.t.ppf(0.5 + conf / 2, df)) * se
        name = "delta-paired" if paired else "delta-welch"
        return Interval(
            ratio,
            ratio * math.exp(-h),
            ratio * math.exp(h),
            conf,
            name,
            int(xa.size + xb.size),
            detail={"se_log": se, "df": df, "paired": bool(paired)},
        )
    if method == "bootstrap":
        n_boot = _check_int("n_boot", n_boot, 100)
        rng = np.random.default_rng(seed)
        ia = rng.integers(0, xa.size, size=(n_boot, xa.size))
        ib = ia if paired else rng.integers(0, xb.size, size=(n_boot, xb.size))
        rs = xa[ia].mean(axis=1) / xb[ib].mean(axis=1)
        lo, hi = np.quantile(rs, [(1 - conf) / 2, (1 + conf) / 2])
        return Interval(
            ratio,
            float(lo),
            float(hi),
            conf,
            "bootstrap-paired" if paired else "bootstrap",
            int(xa.size + xb.size),
            detail={"paired": bool(paired)},
        )
    raise StatsError("method", "'delta' or 'bootstrap'", method)


@dataclass(frozen=True)
class SLOResult:
    """Highest load meeting ``quantile <= k x mean service`` with an interval.

    ``lower``/``upper`` come from the loads where the upper/lower ends of the per-load
    intervals cross k (``lower`` is 0 when even the smallest load may miss, ``upper`` inf when
    even the largest may meet: the sweep does not say more). ``max_load`` is NaN when the
    crossing is outside the sweep (``note`` says which side). ``table``: per load, the mean,
    interval and replication count of the quantile in units of the mean service time.
    """

    max_load: float
    lower: float
    upper: float
    k: float
    conf: float
    metric: str
    table: pl.DataFrame
    note: str = ""

    def __contains__(self, value) -> bool:
        return bool(self.lower <= value <= self.upper)

    def as_dict(self) -> dict:
        return {
            "max_load": self.max_load,
            "lower": self.lower,
            "upper": self.upper,
            "k": self.k,
            "conf": self.conf,
            "metric": self.metric,
            "note": self.note,
            "table": self.table.to_dicts(),
        }


def _crossing(loads: np.ndarray, y: np.ndarray, k: float) -> tuple[float, str]:
    """Where y first rises above k: linear in 1/y between the sweep points (exact for M/M/1,
    whose P99 is ln(100) / (1 - load))."""
    above = np.flatnonzero(y > k)
    if above.size == 0:
        return float("nan"), "above"
    i = int(above[0])
    if i == 0:
        return float("nan"), "below"
    y0, y1 = 1.0 / y[i - 1], 1.0 / y[i]
    w = (y0 - 1.0 / k) / (y0 - y1)
    return float(loads[i - 1] + w * (loads[i] - loads[i - 1])), "inside"


def slo_max_load(sweep, k: float, metric: str = "sojourn_ns_p99", conf: float = 0.95) -> SLOResult:
    """Highest load meeting the SLO ``<metric> <= k x mean service`` from a load sweep.

    ``sweep``: a list of Results at different loads (each with >= 2 replications for an
    interval; the value is ``metric / service_mean_ns``), or a polars frame with columns
    ``load`` and ``value`` (one row per replication, already in units of the mean service).
    The estimate interpolates the per-load means (linear in 1/value); the interval takes the
    crossings of the per-load interval ends (pointwise ``conf`` intervals).
    """
    k = _check_positive("k", k, "a finite number > 0 (the SLO in units of the mean service)")
    conf = _check_conf(conf)
    if isinstance(sweep, pl.DataFrame):
        if not {"load", "value"} <= set(sweep.columns):
            raise StatsError("sweep", "a frame with columns load and value", sweep.columns)
        groups = {
            float(ld): _values(g["value"].to_numpy(), "value")
            for (ld,), g in sweep.group_by(["load"], maintain_order=True)
        }
    else:
        groups = {}
        for r in list(sweep):
            if not (hasattr(r, "replications") and hasattr(r, "spec")):
                raise StatsError("sweep", "Results or a polars frame", type(r).__name__)
            ld = float(r.spec.nominal_load())
            v = replication_values(r, metric) / float(r.spec.workload.service_mean_ns)
            groups[ld] = np.concatenate([groups.get(ld, np.empty(0)), v])
    if len(groups) < 2:
        raise StatsError("sweep", "at least 2 loads", len(groups))
    loads = np.array(sorted(groups))
    rows = []
    for ld in loads:
        v = groups[ld]
        mean = float(v.mean())
        h = _t_half(v, conf) if v.size >= 2 else float("nan")
        rows.append((float(ld), mean, mean - h, mean + h, int(v.size)))
    table = pl.DataFrame(rows, schema=["load", "mean", "lower", "upper", "n"], orient="row")
    mean = table["mean"].to_numpy()
    lo_c = table["lower"].to_numpy()
    hi_c = table["upper"].to_numpy()
    if np.any(mean <= 0):
        raise StatsError("values", "positive quantiles", float(mean.min()))
    est, where = _crossing(loads, mean, k)
    note = ""
    if where == "below":
        note = f"the SLO is missed at every load of the sweep (from {loads[0]:g})"
    elif where == "above":
        note = f"the SLO is met at every load of the sweep (up to {loads[-1]:g})"
    if np.any(np.isnan(lo_c)):
        lower = upper = est
        note = (note + "; " if note else "") + "one replication per load: no interval"
    else:
        lower, w1 = _crossing(loads, hi_c, k)
        upper, w2 = _crossing(loads, np.maximum(lo_c, 1e-300), k)
        lower = 0.0 if w1 == "below" else (float(loads[-1]) if w1 == "above" else lower)
        upper = float(loads[0]) if w2 == "below" else (np.inf if w2 == "above" else upper)
    return SLOResult(est, float(lower), float(upper), k, conf, metric, table, note)


# --------------------------------------------------------------------------------------------
# precision-driven runs
# --------------------------------------------------------------------------------------------


def _needed(x: np.ndarray, target_rel: float, conf: float, cap: int = 10_000) -> int:
    """Smallest R with t(R-1) s / sqrt(R) <= target x |mean| (s, mean from x)."""
    mean, sd = abs(float(x.mean())), float(x.std(ddof=1))
    if sd == 0:
        return 2
    if mean == 0:
        return cap
    z = float(sps.norm.ppf(0.5 + conf / 2))
    r = max(2, math.ceil((z * sd / (target_rel * mean)) ** 2))
    while r < cap and sps.t.ppf(0.5 + conf / 2, r - 1) * sd / math.sqrt(r) > target_rel * mean:
        r += 1
    return min(r, cap)


def estimate_replications(
    pilot, target_rel, metric: str = "sojourn_ns_p99", conf: float = 0.95
) -> dict:
    """How many replications a run needs for a half-width of ``target_rel`` x the estimate.

    ``pilot``: a Result (or per-replication values) with >= 2 replications of the same spec;
    the standard deviation of the pilot's per-replication values is taken as known. Returns
    ``{"replications", "pilot_replications", "estimate", "rel_sd", "target_rel", ...}``.
    """
    target_rel = parse_share(target_rel)
    conf = _check_conf(conf)
    x = _as_values(pilot, metric, "pilot")
    if x.size < 2:
        raise StatsError("pilot", "a pilot with at least 2 replications", int(x.size))
    mean = float(x.mean())
    sd = float(x.std(ddof=1))
    return {
        "replications": _needed(x, target_rel, conf),
        "pilot_replications": int(x.size),
        "estimate": mean,
        "rel_sd": sd / abs(mean) if mean else float("nan"),
        "target_rel": target_rel,
        "halfwidth_rel_now": _t_half(x, conf) / abs(mean) if mean else float("nan"),
        "metric": metric,
        "conf": conf,
    }


def _run_reps(spec, start: int, stop: int) -> list:
    """Replications ``start..stop-1`` of a spec: children of ``SeedSequence(spec.seed)``, so
    replication i is the same as in a plain ``simulate`` with more than i replications."""
    from .simulate import run_once

    root = np.random.SeedSequence(spec.seed)
    return [
        run_once(spec, np.random.SeedSequence(root.entropy, spawn_key=(i,)), i)
        for i in range(start, stop)
    ]


def run_replication_values(
    spec, metric: str = "sojourn_ns_p99", start: int = 0, stop: int | None = None
) -> np.ndarray:
    """``metric`` of replications ``start..stop-1`` of a validated spec (default: all of
    ``spec.replications``); a picklable unit of work for process pools."""
    from .result import Result

    spec = spec.validate()
    stop = spec.replications if stop is None else stop
    reps = _run_reps(spec, start, stop)
    return replication_values(Result(spec, reps, "", 0.0), metric)


def simulate_until_halfwidth(
    spec,
    target_rel=0.02,
    metric: str = "sojourn_ns_p99",
    conf: float = 0.95,
    max_replications: int = 200,
    initial: int | None = None,
) -> tuple[Any, dict]:
    """``--until-halfwidth``: add replications until the ``conf`` t-interval of ``metric`` has
    a half-width of at most ``target_rel`` x its estimate, or ``max_replications`` ran.

    Starts with ``initial`` replications (default ``max(spec.replications, 5)``) and then grows
    toward the count the current spread asks for (at most doubling per step). Replication i is
    always the i-th child of ``SeedSequence(spec.seed)``, so the result equals a plain run with
    the final count. Returns ``(result, report)``; ``report["reached"]`` says whether the target
    was met (False: stopped at the cap), with ``replications``, ``estimate``, ``lower``,
    ``upper``, ``halfwidth_rel`` and ``target_rel``.
    """
    from .result import Result
    from .simulate import kernel_version

    t0 = time.perf_counter()
    target_rel = parse_share(target_rel)
    conf = _check_conf(conf)
    spec = spec.validate()
    max_replications = _check_int("max_replications", max_replications, 2, 10_000)
    if initial is None:
        initial = min(max(spec.replications, 5), max_replications)
    initial = _check_int("initial", initial, 2, max_replications)
    kver = kernel_version()
    reps = _run_reps(spec, 0, initial)
    replication_values(Result(spec, reps[:1], "", 0.0), metric)  # fail early on a bad metric
    history = []
    while True:
        r = len(reps)
        res = Result(spec.replace(replications=r), reps, kver, 0.0)
        x = replication_values(res, metric)
        est = float(x.mean())
        h = _t_half(x, conf)
        rel = h / abs(est) if est else float("inf")
        history.append((r, rel))
        reached = bool(rel <= target_rel)
        if reached or r >= max_replications:
            break
        nxt = min(max_replications, max(r + 1, min(2 * r, _needed(x, target_rel, conf))))
        reps += _run_reps(spec, r, nxt)
    res.total_s = time.perf_counter() - t0
    report = {
        "until_halfwidth": target_rel,
        "reached": reached,
        "replications": r,
        "max_replications": max_replications,
        "metric": metric,
        "conf": conf,
        "estimate": est,
        "lower": est - h,
        "upper": est + h,
        "halfwidth_rel": rel,
        "target_rel": target_rel,
        "history": history,
        "message": (
            f"{metric}: half-width {100 * rel:.2f}% of the estimate with {r} replications "
            + (
                f"(target {100 * target_rel:g}% reached)"
                if reached
                else f"(target {100 * target_rel:g}% NOT reached: stopped at the cap of "
                f"{max_replications}; about {_needed(x, target_rel, conf)} are needed)"
            )
        ),
    }
    return res, report


# --------------------------------------------------------------------------------------------
# coordinated omission
# --------------------------------------------------------------------------------------------


def correct_coordinated_omission(data, expected_interval):
    """HdrHistogram's expected-interval correction for latencies from a closed-loop tool.

    A closed-loop tester that waits for each reply sends nothing during a stall, so the slow
    period is under-sampled. For every recorded value ``v > I`` (``I`` = ``expected_interval``,
    the tester's normal interval between requests, in the data's unit), the values ``v - I,
    v - 2I, ...`` down to ``I`` are added, as ``recordValueWithExpectedInterval`` /
    ``copyCorrectedForCoordinatedOmission`` do: what requests sent on schedule would have seen.
    ``data``: raw latencies (returns the corrected array, originals first) or a
    :class:`Histogram` (each cell's representative value stands for its values; returns a
    histogram of the same layout). gmplab's own arrivals are open loop and already measure from
    the intended arrival time: do not correct them.
    """
    iv = _check_positive("expected_interval", expected_interval)
    if isinstance(data, Histogram):
        h = data
        rep = h.representatives
        nz = np.flatnonzero((h.counts > 0) & (rep >= 2 * iv) & np.isfinite(rep))
        add = np.zeros(h.counts.size, dtype=np.float64)
        lo, hi = h.edges[:-1], h.edges[1:]
        for i in nz:
            v, c = rep[i], h.counts[i]
            kmax = math.floor(v / iv + 1e-9) - 1  # v - k I >= I
            with np.errstate(invalid="ignore"):
                top = np.floor((v - lo) / iv)  # k <= (v - lo) / I
                bot = np.floor((v - hi) / iv)  # k > (v - hi) / I
            top = np.where(np.isnan(top), kmax, np.minimum(top, kmax))
            bot = np.where(np.isnan(bot), 0, np.maximum(bot, 0))
            add += c * np.maximum(top - bot, 0)
        return Histogram(h.layout, h.edges, h.counts + add.astype(np.int64), h.unit)
    x = _latencies(data, "data")
    ks = np.floor(x / iv + 1e-9).astype(np.int64) - 1
    ks = np.maximum(ks, 0)
    total = int(ks.sum())
    if total > 200_000_000:
        raise StatsError(
            "expected_interval", "small enough extra values (use a Histogram for this)", iv
        )
    src = np.repeat(np.arange(x.size), ks)
    # k = 1..ks[i] for each source value i
    start = np.repeat(np.cumsum(ks) - ks, ks)
    k = np.arange(total) - start + 1
    return np.concatenate([x, x[src] - k * iv])
