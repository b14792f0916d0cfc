"""Capacity questions across one varied parameter: how many requests per second a
configuration serves within a latency objective, and its latency and overheads at a given load.

``gmplab compare --vary gomaxprocs=1,2,4,8 --slo-ms 10 [simulate flags]`` prints one row per
value; ``compare`` and ``max_rate_at_slo`` are the Python side.
"""

from __future__ import annotations

import math

import polars as pl

from .errors import ResourceLimitError, SpecError
from .params import make_spec
from .simulate import simulate

QUANTILE_KEYS = {
    "p50": "sojourn_ns_p50",
    "p90": "sojourn_ns_p90",
    "p99": "sojourn_ns_p99",
    "p999": "sojourn_ns_p999",
}


def parse_vary(text: str) -> tuple[str, list]:
    """'gomaxprocs=1,2,4' -> ('gomaxprocs', [1, 2, 4]); numbers become int or float."""
    field, sep, values = (text or "").partition("=")
    if not sep or not field.strip() or not values.strip():
        raise SpecError("--vary", "FIELD=V1,V2,... (a make_spec field and its values)", text)
    out = []
    for v in values.split(","):
        v = v.strip()
        try:
            out.append(int(v))
        except ValueError:
            try:
                out.append(float(v))
            except ValueError:
                out.append(v)
    return field.strip().replace("-", "_"), out


def _row(spec, s) -> dict:
    window = s["window_ns"]
    end = s["end_ns"]
    return {
        "gomaxprocs": spec.procs,
        "throughput_per_s": s["goroutines_measured"] / window * 1e9 if window else math.nan,
        "sojourn_p50_ms": s["sojourn_ns_p50"] / 1e6,
        "sojourn_p999_ms": s["sojourn_ns_p999"] / 1e6,
        "lock_wait_share": s["lock_wait_ns_total"] / (end * spec.procs) if end else math.nan,
        "throttled_share": s["throttled_ns"] / end if end else math.nan,
    }


def max_rate_at_slo(
    kwargs: dict, slo_ns: float, quantile: str = "p999", iterations: int = 8
) -> float:
    """The highest arrival rate (per s) whose sojourn quantile stays within slo_ns, by
    bisection between 0 and the CPUs' capacity (the quota's, when lower). A run that cannot
    finish (live goroutines past max_live) misses the objective."""
    if quantile not in QUANTILE_KEYS:
        raise SpecError("--slo-quantile", f"one of {sorted(QUANTILE_KEYS)}", quantile)
    if not slo_ns > 0:
        raise SpecError("--slo-ms", "a number of ms > 0", slo_ns / 1e6)
    kw = {k: v for k, v in kwargs.items() if k not in ("load", "arrival_rate_per_s")}
    probe = make_spec(**kw, load=0.5)
    cpus = min(probe.procs, probe.topology.cpus)
    if probe.cpu_quota_ms is not None:
        cpus = min(cpus, probe.cpu_quota_ms / probe.cpu_period_ms)
    hi = cpus / probe.workload.cpu_mean_ns() * 1e9
    lo = 0.0
    key = QUANTILE_KEYS[quantile]
    for _ in range(iterations):
        mid = (lo + hi) / 2
        try:
            s = simulate(make_spec(**kw, arrival_rate_per_s=mid)).summary
            ok = s[key] <= slo_ns
        except ResourceLimitError:
            ok = False
        if ok:
            lo = mid
        else:
            hi = mid
    return lo


def compare(
    kwargs: dict,
    field: str,
    values: list,
    slo_ms: float | None = None,
    quantile: str = "p999",
    iterations: int = 8,
) -> pl.DataFrame:
    """One row per value of `field`: latency and overheads at the given load, and (with an
    objective) the highest rate that meets it."""
    rows = []
    for v in values:
        kw = dict(kwargs)
        kw[field] = v
        spec = make_spec(**kw)
        row = {field: str(v), **_row(spec, simulate(spec).summary)}
        if slo_ms is not None:
            row[f"max_rate_at_{quantile}_{slo_ms:g}ms_per_s"] = max_rate_at_slo(
                kw, slo_ms * 1e6, quantile, iterations
            )
        rows.append(row)
    return pl.DataFrame(rows)
