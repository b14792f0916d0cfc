"""Closed-form validation of the simulator against exact queueing results.

The oracles (``gmplab.theory``, reference/validation-oracles.md section 1 and the
work-conserving theorem):

* ``central`` with zero costs is the ideal FCFS M/M/c queue: its mean and P99 sojourn must match
  the Erlang-C values for c in {1, 2, 4, 16, 64} and load in {0.5, 0.9};
* ``partitioned`` (uniform random dispatch to per-P FIFOs) is exactly c independent M/M/1 queues,
  so its mean and P99 sojourn must match M/M/1 at every c;
* ``go`` with zero costs and exponential service is work conserving, so its number-in-system
  chain is M/M/c's and its mean sojourn must equal the M/M/c mean (only the order, hence the
  percentiles, may differ); at load 0.9 and c >= 4 its P99 lies between the M/M/c (pooled FCFS)
  and the M/M/1 (partitioned) values;
* ``central`` at c = 1 with constant service is M/D/1 (exact mean and P99), and with bimodal
  service (90% 0.5, 10% 5.5, SCV 2.25) it is M/G/1 with the Pollaczek-Khinchine mean.

Statistics. Every grid point runs R independent replications (``simulate(replications=R)``, each
replication a child of one fixed seed, warm-up 10% of the arrivals) and the test builds the
interval itself from the per-replication values ``r.replications[i].summary``: a Student-t
interval ``mean +- t(1 - alpha/2, R - 1) s / sqrt(R)`` with ``alpha = 0.01 / m``, where ``m`` is
the number of checks in the grid (Bonferroni: all the grid's intervals hold together with
probability >= 99%). Two things are asserted for each check: the exact value lies inside the
interval, and the interval is narrow, its half-width at most ``HALF_WIDTH_MAX`` of the exact value
(so a pass means something). For the "between" check the interval must meet [M/M/c, M/M/1] and its
half-width is measured against the smaller, M/M/c value. Per-replication P99 values are the
kernel's HDR quantiles (cell midpoints, relative error <= 1/256, far below the half-widths).

The per-point run lengths were chosen by measurement: per-replication sojourns at load 0.9 are
strongly autocorrelated (the relative standard deviation of one replication's P99 over 200k
goroutines is ~12% for M/M/1 and M/M/2 at load 0.9, ~3% for M/M/16, <1% at load 0.5), so the
M/M/1-like points need millions of goroutines per replication; the runs are long compared with
the relaxation time (about 380 service times for M/M/1 at load 0.9), so the 10% warm-up removes
the empty-start bias.

* The full grid (``-m slow``): R = 30, half-widths <= 3%, Bonferroni over all 59 checks. Invariant
  checks (which cost ~1.5x) are on for every point except the ``central``/``partitioned`` points
  with >= 2M goroutines per replication (the M/M/1-like load-0.9 points, about 60% of the grid's
  work), to keep the grid to about 11 CPU-minutes (14 min wall on a busy 2-core machine); those
  two policies' kernels run with checks in the fast subset and in tests/test_spec_hypothesis.py.
* The fast subset (default run, ~half a minute): R = 10 replications of shorter runs with
  ``check_invariants=True``. Its criterion is looser but still honest: the same Bonferroni
  99% intervals (over the fast subset's own checks) must contain the exact value, but the
  half-width bound is relaxed from 3% to 6%.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

import gmplab
from gmplab import theory

MEAN_NS = 10_000  # E[S] in ns for every point
FAMILY_CONFIDENCE = 0.99  # joint (Bonferroni) coverage of a grid's intervals


@dataclass(frozen=True)
class Check:
    """One exact value a summary metric is compared with."""

    metric: str  # "sojourn_ns_mean" or "sojourn_ns_p99"
    exact_ns: float  # the exact value (or the lower end for a "between" check)
    upper_ns: float | None = None  # set for a "between" check: the upper end
    label: str = ""  # what the exact value is, for messages

    @property
    def between(self) -> bool:
        return self.upper_ns is not None


@dataclass(frozen=True)
class Point:
    """One simulated configuration, its run length and the checks made on it."""

    policy: str
    c: int
    rho: float
    goroutines: int  # per replication
    checks: tuple[Check, ...]
    service: str = "exp"
    service_scv: float | None = None

    @property
    def name(self) -> str:
        svc = self.service if self.service_scv is None else f"{self.service}{self.service_scv}"
        return f"{self.policy}-c{self.c}-rho{self.rho}-{svc}-n{self.goroutines}"

    @property
    def check_invariants_in_grid(self) -> bool:
        """Checks on, except for the long central/partitioned runs (see the module docstring)."""
        return self.policy == "go" or self.goroutines < 2_000_000

    @property
    def seed(self) -> int:
        """A fixed seed per point, stable across grid edits (crc32 of the name)."""
        return zlib.crc32(self.name.encode())


def _mean_and_p99(model, label: str) -> tuple[Check, Check]:
    return (
        Check("sojourn_ns_mean", float(model.sojourn_mean), label=f"{label} mean"),
        Check("sojourn_ns_p99", float(model.sojourn_quantile(0.99)), label=f"{label} P99"),
    )


def central_point(c: int, rho: float, n: int) -> Point:
    return Point("central", c, rho, n, _mean_and_p99(theory.mmc(c, rho, MEAN_NS), f"M/M/{c}"))


def partitioned_point(c: int, rho: float, n: int) -> Point:
    return Point("partitioned", c, rho, n, _mean_and_p99(theory.mm1(rho, MEAN_NS), "M/M/1"))


def go_point(c: int, rho: float, n: int, between: bool) -> Point:
    mmc = theory.mmc(c, rho, MEAN_NS)
    checks = [Check("sojourn_ns_mean", float(mmc.sojourn_mean), label=f"M/M/{c} mean")]
    if between:
        checks.append(
            Check(
                "sojourn_ns_p99",
                float(mmc.sojourn_quantile(0.99)),
                float(theory.mm1(rho, MEAN_NS).sojourn_quantile(0.99)),
                label=f"[M/M/{c} P99, M/M/1 P99]",
            )
        )
    return Point("go", c, rho, n, tuple(checks))


def md1_point(rho: float, n: int) -> Point:
    return Point(
        "central",
        1,
        rho,
        n,
        _mean_and_p99(theory.md1(rho, MEAN_NS), "M/D/1"),
        service="const",
    )


def mg1_bimodal_point(rho: float, n: int) -> Point:
    exact = theory.pk_sojourn_mean(rho, 2.25, MEAN_NS)
    check = Check("sojourn_ns_mean", float(exact), label="M/G/1 (P-K) mean")
    return Point("central", 1, rho, n, (check,), service="bimodal", service_scv=2.25)


# --- the grids -------------------------------------------------------------------------------
# Goroutines per replication, by measurement (see the module docstring); R is per grid.
SLOW_R = 30
SLOW_HALF_WIDTH_MAX = 0.03
_SLOW_N_CENTRAL = {
    0.5: {1: 400_000, 2: 200_000, 4: 200_000, 16: 200_000, 64: 200_000},
    0.9: {1: 4_000_000, 2: 4_000_000, 4: 3_000_000, 16: 400_000, 64: 200_000},
}
_SLOW_N_PARTITIONED = {0.5: 400_000, 0.9: 4_000_000}
_SLOW_N_GO = {
    0.5: {1: 200_000, 2: 200_000, 4: 200_000, 16: 100_000, 64: 100_000},
    0.9: {1: 1_000_000, 2: 1_000_000, 4: 3_000_000, 16: 400_000, 64: 100_000},
}
CS = (1, 2, 4, 16, 64)
LOADS = (0.5, 0.9)

SLOW_GRID: tuple[Point, ...] = (
    *(central_point(c, rho, _SLOW_N_CENTRAL[rho][c]) for rho in LOADS for c in CS),
    *(partitioned_point(c, rho, _SLOW_N_PARTITIONED[rho]) for rho in LOADS for c in CS),
    *(go_point(c, rho, _SLOW_N_GO[rho][c], rho == 0.9 and c >= 4) for rho in LOADS for c in CS),
    md1_point(0.5, 400_000),
    md1_point(0.9, 1_000_000),
    mg1_bimodal_point(0.5, 400_000),
    mg1_bimodal_point(0.9, 1_000_000),
)

FAST_R = 10
FAST_HALF_WIDTH_MAX = 0.06
FAST_GRID: tuple[Point, ...] = (
    central_point(1, 0.5, 200_000),
    central_point(1, 0.9, 2_500_000),
    central_point(16, 0.5, 100_000),
    central_point(16, 0.9, 200_000),
    partitioned_point(16, 0.5, 200_000),
    go_point(16, 0.9, 400_000, between=True),
    md1_point(0.5, 200_000),
    mg1_bimodal_point(0.5, 200_000),
)


def n_checks(grid) -> int:
    return sum(len(p.checks) for p in grid)


def test_grid_shape():
    """The slow grid covers everything the issue names (guards against silent grid edits)."""
    assert n_checks(SLOW_GRID) == 59
    for policy in ("central", "partitioned", "go"):
        got = {(p.c, p.rho) for p in SLOW_GRID if p.policy == policy and p.service == "exp"}
        assert got == {(c, rho) for c in CS for rho in LOADS}, policy
    betweens = {(p.c, p.rho) for p in SLOW_GRID for ch in p.checks if ch.between}
    assert betweens == {(4, 0.9), (16, 0.9), (64, 0.9)}
    assert len({p.seed for p in SLOW_GRID}) == len(SLOW_GRID)


def t_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """Mean and half-width of the two-sided 1 - alpha Student-t interval."""
    r = len(values)
    half = stats.t.ppf(1.0 - alpha / 2.0, r - 1) * values.std(ddof=1) / math.sqrt(r)
    return float(values.mean()), float(half)


def run_point(point: Point, replications: int, alpha: float, half_width_max: float, check_inv):
    result = gmplab.simulate(
        policy=point.policy,
        topology=f"1x{point.c}",
        load=point.rho,
        service=point.service,
        service_mean_ns=MEAN_NS,
        service_scv=point.service_scv,
        goroutines=point.goroutines,
        warmup_fraction=0.1,
        replications=replications,
        costs="zero",
        seed=point.seed,
        check_invariants=check_inv,
    )
    reps = [rep.summary for rep in result.replications]
    assert len(reps) == replications
    for s in reps:  # every arrival ran to completion; the measured ones are after the warm-up
        assert s["goroutines_completed"] == point.goroutines
        assert s["goroutines_measured"] == point.goroutines - int(point.goroutines * 0.1)

    failures = []
    for check in point.checks:
        values = np.array([s[check.metric] for s in reps], dtype=float)
        assert np.all(np.isfinite(values)), (point.name, check.metric, values)
        mean, half = t_interval(values, alpha)
        lo, hi = mean - half, mean + half
        where = (
            f"{point.name} seed={point.seed} R={replications} {check.metric}: "
            f"{mean:.1f} +- {half:.1f} ns [{lo:.1f}, {hi:.1f}] "
            f"(1-{alpha:.2e} t-interval) vs {check.label} "
        )
        if check.between:
            where += f"[{check.exact_ns:.1f}, {check.upper_ns:.1f}]"
            if not (hi >= check.exact_ns and lo <= check.upper_ns):
                failures.append(where + ": the interval misses the range")
        else:
            where += f"{check.exact_ns:.1f}"
            if not lo <= check.exact_ns <= hi:
                failures.append(where + ": exact value outside the interval")
        if half > half_width_max * check.exact_ns:
            failures.append(
                where + f": half-width {half / check.exact_ns:.2%} > {half_width_max:.0%}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("point", FAST_GRID, ids=lambda p: p.name)
def test_closed_form_fast(point: Point):
    """Fast subset: R = 10, Bonferroni 99% over the fast checks, half-width <= 6%, invariants on."""
    alpha = (1.0 - FAMILY_CONFIDENCE) / n_checks(FAST_GRID)
    run_point(point, FAST_R, alpha, FAST_HALF_WIDTH_MAX, check_inv=True)


@pytest.mark.slow
@pytest.mark.parametrize("point", SLOW_GRID, ids=lambda p: p.name)
def test_closed_form_grid(point: Point):
    """Full grid: R = 30, Bonferroni 99% over all 59 checks, half-width <= 3%."""
    alpha = (1.0 - FAMILY_CONFIDENCE) / n_checks(SLOW_GRID)
    run_point(point, SLOW_R, alpha, SLOW_HALF_WIDTH_MAX, point.check_invariants_in_grid)


# --- mechanisms visible under zero costs --------------------------------------------------------


def _go_c16(arrival_path: str):
    return gmplab.simulate(
        policy="go",
        topology="1x16",
        load=0.9,
        arrival_path=arrival_path,
        service="exp",
        service_mean_ns=MEAN_NS,
        goroutines=100_000,
        costs="zero",
        seed=16,
        check_invariants=True,
    ).summary


def test_go_steals_under_zero_costs():
    """c = 16, load 0.9, zero costs: idle Ps steal from busy Ps' local queues."""
    s = _go_c16("global")
    assert s["goroutines_completed"] == 100_000
    assert s["steals"] > 0
    assert s["stolen"] >= s["steals"]


def test_go_runnext_hits_with_spawn_path():
    """With ``arrival_path="spawn"`` new goroutines go through ``runnext`` and some run from it."""
    s = _go_c16("spawn")
    assert s["goroutines_completed"] == 100_000
    assert s["runnext_hits"] > 0
    assert s["steals"] > 0
