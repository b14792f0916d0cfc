"""The one histogram implementation: an HDR layout recorded in the hot loop, Go's layout derived.

Two layouts live here, both as plain int64 count arrays so the kernel can fill them:

* ``HDR``: HdrHistogram's log-linear layout with 2 significant digits (256 sub-buckets per
  bucket, 128 of them new in every power of two), unit 1 ns, values up to ``2**47 - 1`` ns
  (Go's last finite ``/sched`` edge) plus one overflow cell at the end. Values below 256 ns are
  exact; above, a cell is ``2**b`` wide with a lower edge of at least ``128 * 2**b``, so a cell's
  midpoint is within 1/256 (0.39%) of any value in it and its edges within 1/128 (0.78%).
* ``GO``: the runtime's ``/sched/latencies`` layout (``runtime/histogram.go``:
  ``timeHistMinBucketBits=9, timeHistMaxBucketBits=48, timeHistSubBucketBits=2``): 162 counts
  over 163 boundaries: ``[-Inf, 0)``, then 64 ns steps below 256 ns, then every power of two
  ``[2**k, 2**(k+1))`` split in 4 linear sub-buckets up to ``2**47`` ns, then ``[2**47, +Inf)``.
  Every GO edge is an HDR edge, so GO counts are derived exactly from HDR counts after a run
  (``hdr_to_go``): one record per value in the hot loop is enough.

The kernel calls only the jitted functions (``hot_helper``: inlined into its loops); the
statistics module wraps the Python ones.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .jit import hot_helper

# --- HDR layout (2 significant digits) --------------------------------------------------------
HDR_SIGNIFICANT_DIGITS = 2
HDR_SUB_BUCKET_COUNT = 256  # 2**ceil(log2(2 * 10**2)): resolution 1/128 in the worst cell
HDR_SUB_BUCKET_HALF_COUNT_MAGNITUDE = 7
HDR_SUB_BUCKET_HALF_COUNT = 128
HDR_SUB_BUCKET_MASK = HDR_SUB_BUCKET_COUNT - 1
HDR_MAX_TRACKABLE_NS = (1 << 47) - 1  # Go's last finite edge is 2**47 ns (~39 hours)
HDR_BUCKET_COUNT = 40  # 256 << 39 = 2**47 > HDR_MAX_TRACKABLE_NS
HDR_COUNTS_LEN = (HDR_BUCKET_COUNT + 1) * HDR_SUB_BUCKET_HALF_COUNT  # 5248
HDR_OVERFLOW_INDEX = HDR_COUNTS_LEN  # one extra cell: values >= 2**47 ns
HDR_ARRAY_LEN = HDR_COUNTS_LEN + 1
# 64 - unit_magnitude(0) - half_count_magnitude(7) - 1: HdrHistogram's leadingZeroCountBase
_HDR_LZC_BASE = 56

# --- Go's /sched/latencies layout --------------------------------------------------------------
GO_COUNTS_LEN = 162  # underflow + 40 buckets x 4 sub-buckets + overflow
GO_UNDERFLOW_INDEX = 0
GO_OVERFLOW_INDEX = 161
GO_MIN_BUCKET_BITS = 9  # timeHistMinBucketBits: bucket 0 holds values below 2**(9-1) = 256 ns
GO_SUB_BUCKET_BITS = 2  # timeHistSubBucketBits: 4 linear sub-buckets per power of two


@intrinsic
def _ctlz64(typingctx, x):
    """LLVM's count-leading-zeros on an int64 (one instruction on x86-64 and arm64)."""
    sig = types.int64(types.int64)

    def codegen(context, builder, signature, args):
        (v,) = args
        return builder.ctlz(v, ir.Constant(ir.IntType(1), 0))

    return sig, codegen


@hot_helper
def hdr_index(value_ns):
    """HDR cell of a non-negative value in ns; the overflow cell for values >= 2**47."""
    if value_ns > HDR_MAX_TRACKABLE_NS:
        return HDR_OVERFLOW_INDEX
    bucket = _HDR_LZC_BASE - _ctlz64(value_ns | HDR_SUB_BUCKET_MASK)
    sub = value_ns >> bucket
    return ((bucket + 1) << HDR_SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - HDR_SUB_BUCKET_HALF_COUNT)


@hot_helper
def go_index(value_ns):
    """Cell of Go's 162-count ``/sched`` layout for a value in ns (negative -> underflow)."""
    if value_ns < 0:
        return GO_UNDERFLOW_INDEX
    if value_ns < 256:
        return 1 + (value_ns >> 6)
    if value_ns >= (1 << 47):
        return GO_OVERFLOW_INDEX
    k = 63 - _ctlz64(value_ns)  # value in [2**k, 2**(k+1)), k >= 8
    j = (value_ns - (1 << k)) >> (k - GO_SUB_BUCKET_BITS)
    return 1 + 4 + (k - 8) * 4 + j


# --- Python side: layout introspection, quantiles, derivation ---------------------------------


def hdr_lower_edges_ns() -> np.ndarray:
    """Lower edge (inclusive, ns) of every HDR cell, overflow cell included (2**47)."""
    idx = np.arange(HDR_COUNTS_LEN, dtype=np.int64)
    bucket = (idx >> HDR_SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1
    sub = (idx & (HDR_SUB_BUCKET_HALF_COUNT - 1)) + HDR_SUB_BUCKET_HALF_COUNT
    first = bucket < 0
    sub = np.where(first, sub - HDR_SUB_BUCKET_HALF_COUNT, sub)
    bucket = np.where(first, 0, bucket)
    lower = sub << bucket
    return np.append(lower, np.int64(1 << 47))


def hdr_upper_edges_ns() -> np.ndarray:
    """Upper edge (exclusive, ns) of every HDR cell; the overflow cell's is +inf (as float)."""
    lower = hdr_lower_edges_ns()
    upper = np.empty(HDR_ARRAY_LEN, dtype=np.float64)
    upper[:-1] = lower[1:]
    upper[-1] = np.inf
    return upper


def go_boundaries_s() -> np.ndarray:
    """Go's 163 ``/sched/latencies`` boundaries in seconds, ``-Inf`` and ``+Inf`` at the ends."""
    edges = [0, 64, 128, 192]
    for k in range(8, 47):
        edges += [(1 << k) + j * (1 << (k - 2)) for j in range(4)]
    edges.append(1 << 47)
    return np.array([-np.inf] + [e / 1e9 for e in edges] + [np.inf])  # as Go: ns / 1e9


def _go_index_py(value_ns: int) -> int:
    if value_ns < 0:
        return GO_UNDERFLOW_INDEX
    if value_ns < 256:
        return 1 + (value_ns >> 6)
    if value_ns >= (1 << 47):
        return GO_OVERFLOW_INDEX
    k = int(value_ns).bit_length() - 1
    return 1 + 4 + (k - 8) * 4 + ((value_ns - (1 << k)) >> (k - 2))


_HDR_TO_GO = np.array([_go_index_py(int(v)) for v in hdr_lower_edges_ns()], dtype=np.int64)


def hdr_to_go(counts: np.ndarray) -> np.ndarray:
    """Go's 162 counts from HDR counts (exact: every Go edge is an HDR edge)."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape[-1] != HDR_ARRAY_LEN:
        raise ValueError(f"counts: expected {HDR_ARRAY_LEN} HDR cells, got {counts.shape[-1]}")
    flat = counts.reshape(-1, HDR_ARRAY_LEN)
    out = np.zeros((flat.shape[0], GO_COUNTS_LEN), dtype=np.int64)
    for row in range(flat.shape[0]):
        np.add.at(out[row], _HDR_TO_GO, flat[row])
    return out.reshape(counts.shape[:-1] + (GO_COUNTS_LEN,))


def hdr_midpoints_ns() -> np.ndarray:
    """Representative value of each HDR cell: exact below 256 ns, the cell midpoint above."""
    lower = hdr_lower_edges_ns().astype(np.float64)
    width = np.diff(np.append(lower, lower[-1]))
    width[-1] = 0.0
    mid = lower + np.where(width > 1, (width - 1) / 2.0, 0.0)
    return mid


_HDR_MID = hdr_midpoints_ns()


def hdr_quantile(counts: np.ndarray, p: float) -> float:
    """The p-quantile (nearest rank, as HdrHistogram) of HDR counts, as the cell's midpoint.

    Relative error at most 1/256 against the exact sample quantile; NaN for an empty histogram.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return float("nan")
    rank = max(1, int(np.ceil(p * total)))
    idx = int(np.searchsorted(np.cumsum(counts), rank))
    return float(_HDR_MID[idx])


def hdr_mean(counts: np.ndarray) -> float:
    """Mean from cell midpoints (the kernel also keeps exact sums; prefer those when present)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return float((counts * _HDR_MID).sum() / total) if total else float("nan")
