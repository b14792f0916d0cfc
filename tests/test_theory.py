"""Tests for gmplab.theory: the exact queueing oracles.

Every number of the validation tables (M/M/c, pooled vs partitioned P99, SLO max loads, P-K
means and M/D/1 exact percentiles) is checked to the precision it is printed with, and the
closed forms are cross-checked against independent computations (birth-death stationary
distribution, direct mpmath sums, numerical integration).
"""

from __future__ import annotations

import math
from decimal import Decimal

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from gmplab import theory
from gmplab.theory import (
    MD1Model,
    QueueModel,
    erlang_b,
    erlang_c,
    md1,
    md1_wait_cdf,
    mm1,
    mmc,
    pk_sojourn_mean,
    pk_wait_mean,
    slo_max_load,
)

LN100 = math.log(100.0)


def assert_printed(value: float, printed: str) -> None:
    """Check ``value`` against a table entry to the precision the entry is printed with.

    The tolerance is half a unit in the last printed digit (the value must round to the entry);
    a printed "0" must be exactly zero. Entries printed with few digits because they are exact
    (e.g. "4", "0.5") are additionally pinned by closed-form tests at ~1e-12.
    """
    if printed == "0":
        assert value == 0.0, f"expected exactly 0, got {value!r}"
        return
    ref = float(printed)
    unit = 10.0 ** Decimal(printed).as_tuple().exponent
    tol = 0.5 * unit * (1 + 1e-9)
    assert abs(value - ref) <= tol, f"{value!r} != {printed} (tol {tol:g})"


# --------------------------------------------------------------------------------------------
# Table A: M/M/c with E[S] = 1
# --------------------------------------------------------------------------------------------

# c, rho, C, E[W], E[T], W_p50, W_p99, W_p99.9, T_p50, T_p99, T_p99.9
TABLE_A = """
1 0.5 0.5 1 2 0 7.8240 12.4292 1.3863 9.2103 13.8155
1 0.8 0.8 4 5 2.3500 21.9101 33.4231 3.4657 23.0259 34.5388
1 0.9 0.9 9 10 5.8779 44.9981 68.0239 6.9315 46.0517 69.0776
1 0.95 0.95 19 20 12.8371 91.0775 137.1292 13.8629 92.1034 138.1551
2 0.5 0.333333 0.333333 1.33333 0 3.5066 5.8091 0.9744 5.6660 8.2275
2 0.8 0.711111 1.77778 2.77778 0.8806 10.6606 16.4171 2.0400 11.9374 17.6941
2 0.9 0.852632 4.26316 5.26316 2.6686 22.2287 33.7416 3.7692 23.3444 34.8574
2 0.95 0.925641 9.25641 10.2564 6.1588 45.2790 68.3049 7.2120 46.3326 69.3585
4 0.5 0.173913 0.0869565 1.08696 0 1.4280 2.5793 0.7834 4.7642 7.0680
4 0.8 0.596432 0.745541 1.74554 0.2204 5.1105 7.9887 1.3462 6.8932 9.8797
4 0.9 0.787753 1.96938 2.96938 1.1364 10.9165 16.6730 2.2545 12.1932 17.9500
4 0.95 0.891419 4.45709 5.45709 2.8910 22.4511 33.9641 3.9856 23.5669 35.0798
16 0.5 0.00901881 0.00112735 1.00113 0 0 0.2749 0.6944 4.6065 6.9090
16 0.8 0.304884 0.0952762 1.09528 0 1.0679 1.7875 0.8019 4.7350 7.0375
16 0.9 0.591343 0.36959 1.36959 0.1049 2.5499 3.9890 1.0780 5.2698 7.5884
16 0.95 0.780192 0.975241 1.97524 0.5562 5.4462 8.3244 1.5962 7.2166 10.2094
64 0.5 4.26372e-07 1.33241e-08 1.00000 0 0 0 0.6931 4.6052 6.9078
64 0.8 0.0560564 0.0043794 1.00438 0 0.1347 0.3146 0.6979 4.6099 6.9125
64 0.9 0.310663 0.0485411 1.04854 0 0.5369 0.8967 0.7481 4.6611 6.9637
64 0.95 0.588011 0.183753 1.18375 0.0507 1.2732 1.9927 0.9005 4.8420 7.1446
"""
TABLE_A_ROWS = [line.split() for line in TABLE_A.strip().splitlines()]
PCTS = (0.5, 0.99, 0.999)


@pytest.mark.parametrize("row", TABLE_A_ROWS, ids=lambda r: f"c{r[0]}-rho{r[1]}")
def test_table_a_mmc(row):
    c, rho = int(row[0]), float(row[1])
    m = mmc(c, rho)
    assert_printed(m.p_wait, row[2])
    assert_printed(m.wait_mean, row[3])
    assert_printed(m.sojourn_mean, row[4])
    for p, printed in zip(PCTS, row[5:8]):
        assert_printed(m.wait_quantile(p), printed)
    for p, printed in zip(PCTS, row[8:11]):
        assert_printed(m.sojourn_quantile(p), printed)


def test_table_a_spot_checks():
    m = mmc(2, 0.5)
    assert m.p_wait == pytest.approx(1 / 3, rel=1e-14)
    assert m.wait_mean == pytest.approx(1 / 3, rel=1e-14)
    # Huge c at fixed load: the wait vanishes and T_p99 -> ln 100 (pure service).
    big = mmc(1000, 0.8)
    assert big.p_wait < 1e-10
    assert big.sojourn_quantile(0.99) == pytest.approx(LN100, rel=1e-9)


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9, 0.95])
def test_mm1_closed_forms(rho):
    m = mm1(rho)
    assert m.p_wait == rho
    assert m.wait_mean == pytest.approx(rho / (1 - rho), rel=1e-14)
    for p in (0.1, 0.5, 0.99, 0.999):
        assert m.sojourn_quantile(p) == pytest.approx(math.log(1 / (1 - p)) / (1 - rho), rel=1e-12)
        assert m.wait_quantile(p) == pytest.approx(
            max(0.0, math.log(rho / (1 - p)) / (1 - rho)), abs=1e-12
        )
    t = np.linspace(0, 50, 101)
    np.testing.assert_allclose(m.sojourn_sf(t), np.exp(-(1 - rho) * t), rtol=1e-12)
    np.testing.assert_allclose(m.sojourn_pdf(t), (1 - rho) * np.exp(-(1 - rho) * t), rtol=1e-12)
    np.testing.assert_allclose(m.wait_sf(t), rho * np.exp(-(1 - rho) * t), rtol=1e-14)


# --------------------------------------------------------------------------------------------
# Table B: pooled M/M/c versus c independent M/M/1 (random dispatch), P99 sojourn
# --------------------------------------------------------------------------------------------

B_LOADS = (0.5, 0.8, 0.9, 0.95)
# c -> [(M/M/c P99, partitioned P99, ratio) for each load]
TABLE_B = {
    1: [("9.210", "9.210", "1.00"), ("23.026", "23.026", "1.00"), ("46.052", "46.052", "1.00"),
        ("92.103", "92.103", "1.00")],
    2: [("5.666", "9.210", "1.63"), ("11.937", "23.026", "1.93"), ("23.344", "46.052", "1.97"),
        ("46.333", "92.103", "1.99")],
    4: [("4.764", "9.210", "1.93"), ("6.893", "23.026", "3.34"), ("12.193", "46.052", "3.78"),
        ("23.567", "92.103", "3.91")],
    16: [("4.606", "9.210", "2.00"), ("4.735", "23.026", "4.86"), ("5.270", "46.052", "8.74"),
         ("7.217", "92.103", "12.76")],
    64: [("4.605", "9.210", "2.00"), ("4.610", "23.026", "4.99"), ("4.661", "46.052", "9.88"),
         ("4.842", "92.103", "19.02")],
}  # fmt: skip


@pytest.mark.parametrize("c", sorted(TABLE_B))
def test_table_b_pooled_vs_partitioned(c):
    for rho, (pooled, part, ratio) in zip(B_LOADS, TABLE_B[c]):
        t_pooled = mmc(c, rho).sojourn_quantile(0.99)
        t_part = mm1(rho).sojourn_quantile(0.99)  # Bernoulli split: M/M/1 at rho for any c
        assert_printed(t_pooled, pooled)
        assert_printed(t_part, part)
        assert_printed(t_part / t_pooled, ratio)
        assert t_part == pytest.approx(4.60517 / (1 - rho), rel=1e-6)


# --------------------------------------------------------------------------------------------
# Max load meeting "P99 sojourn <= K * E[S]"
# --------------------------------------------------------------------------------------------

SLO_MMC = {
    5: {1: "0.0790", 2: "0.3534", 4: "0.6062", 16: "0.8730", 64: "0.9625"},
    10: {1: "0.5395", 2: "0.7580", 4: "0.8752", 16: "0.9677", 64: "0.9918"},
    20: {1: "0.7697", 2: "0.8829", 4: "0.9408", 16: "0.9850", 64: "0.9962"},
}
SLO_MD1 = {5: "0.5608", 10: "0.7735", 20: "0.8856"}


@pytest.mark.parametrize("k", sorted(SLO_MMC))
def test_slo_max_load_mmc(k):
    for c, printed in SLO_MMC[k].items():
        rho = slo_max_load(c, k, "mmc")
        assert_printed(rho, printed)
        # Round trip: at the returned load the P99 sojourn sits exactly on the objective.
        assert mmc(c, rho).sojourn_quantile(0.99) == pytest.approx(k, rel=1e-9)


@pytest.mark.parametrize("k", [5, 10, 20])
def test_slo_max_load_partitioned(k):
    expected = 1 - LN100 / k
    for c in (1, 2, 4, 16, 64):
        assert slo_max_load(c, k, "partitioned") == pytest.approx(expected, rel=1e-14)
    assert_printed(slo_max_load(16, k, "partitioned"), SLO_MMC[k][1])
    # The partitioned answer equals the single-server pooled answer.
    assert slo_max_load(1, k, "mmc") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("k", sorted(SLO_MD1))
def test_slo_max_load_md1(k):
    rho = slo_max_load(1, k, "md1")
    assert_printed(rho, SLO_MD1[k])
    assert slo_max_load(16, k, "md1") == rho  # independent queues: c does not matter
    assert md1(rho).sojourn_quantile(0.99) == pytest.approx(k, rel=1e-9)


def test_slo_zygos_headline():
    # c = 16, K = 10: pooled 0.9677 versus partitioned 0.5395.
    assert_printed(slo_max_load(16, 10, "mmc"), "0.9677")
    assert_printed(slo_max_load(16, 10, "partitioned"), "0.5395")


def test_slo_infeasible_and_edges():
    # Exponential service: P99 >= ln 100 even with no queueing at all.
    assert slo_max_load(4, 4.0, "mmc") == 0.0
    assert slo_max_load(4, 4.0, "partitioned") == 0.0
    # Deterministic service: T >= 1; at K = 1 only the atom P(W = 0) = 1 - rho can help.
    assert slo_max_load(1, 0.5, "md1") == 0.0
    assert slo_max_load(1, 1.0, "md1") == pytest.approx(0.01, rel=1e-9)
    # A P50 objective is looser than a P99 one.
    assert slo_max_load(4, 5, "mmc", p=0.5) > slo_max_load(4, 5, "mmc")


def test_slo_monotone_in_c_and_k():
    grid = [[slo_max_load(c, k) for c in (1, 2, 4, 8, 16, 64)] for k in (5, 10, 20)]
    arr = np.array(grid)
    assert np.all(np.diff(arr, axis=1) > 0)  # pooling helps
    assert np.all(np.diff(arr, axis=0) > 0)  # looser objective allows more load


# --------------------------------------------------------------------------------------------
# Table C: P-K means and M/D/1 exact percentiles
# --------------------------------------------------------------------------------------------

# name, {service value: probability}, printed scv, printed E[S^2], E[W] at the four loads
TABLE_C = [
    ("deterministic", {1.0: 1.0}, "0", "1", ("0.5", "2", "4.5", "9.5")),
    ("bimodal-1", {0.5: 0.9, 5.5: 0.1}, "2.25", "3.25", ("1.625", "6.5", "14.625", "30.875")),
    (
        "bimodal-2",
        {0.5: 0.999, 500.5: 0.001},
        "249.75",
        "250.75",
        ("125.375", "501.5", "1128.375", "2382.125"),
    ),
]
C_LOADS = (0.5, 0.8, 0.9, 0.95)


@pytest.mark.parametrize("row", TABLE_C, ids=lambda r: r[0])
def test_table_c_pk(row):
    _, dist, scv_printed, es2_printed, waits = row
    mean = sum(v * q for v, q in dist.items())
    es2 = sum(v * v * q for v, q in dist.items())
    assert mean == pytest.approx(1.0, rel=1e-12)
    scv = es2 / mean**2 - 1
    assert_printed(scv, scv_printed)
    assert_printed(es2, es2_printed)
    for rho, printed in zip(C_LOADS, waits):
        assert_printed(pk_wait_mean(rho, scv), printed)
        assert pk_sojourn_mean(rho, scv) == pytest.approx(pk_wait_mean(rho, scv) + 1, rel=1e-14)
        # Moment form lambda E[S^2] / (2 (1 - rho)) with lambda = rho / E[S].
        assert pk_wait_mean(rho, scv) == pytest.approx(rho * es2 / (2 * (1 - rho)), rel=1e-12)


def test_table_c_exponential_row():
    for rho, printed in zip(C_LOADS, ("1", "4", "9", "19")):
        assert_printed(pk_wait_mean(rho, 1.0), printed)


# rho -> (W50, W99, W99.9)
MD1_PCT = {
    0.5: ("0", "3.3363", "5.1684"),
    0.8: ("1.2759", "10.3559", "15.7003"),
    0.9: ("3.0130", "21.8982", "33.0140"),
    0.95: ("6.4807", "44.9378", "67.5733"),
}


@pytest.mark.parametrize("rho", sorted(MD1_PCT))
def test_table_c_md1_percentiles(rho):
    m = md1(rho)
    w = m.wait_quantile(np.array(PCTS))
    for value, printed in zip(w, MD1_PCT[rho]):
        assert_printed(value, printed)
    np.testing.assert_allclose(m.sojourn_quantile(np.array(PCTS)), w + 1.0, rtol=1e-15)
    assert m.wait_mean == pytest.approx(rho / (2 * (1 - rho)), rel=1e-14)
    assert m.p_wait == rho


# --------------------------------------------------------------------------------------------
# Identities and independent cross-checks
# --------------------------------------------------------------------------------------------

GRID_RHO = [0.01, 0.1, 0.3, 0.5, 0.7, 0.85, 0.9, 0.97, 0.999]


@pytest.mark.parametrize("rho", GRID_RHO)
def test_mmc_at_c1_equals_mm1(rho):
    a, b = mmc(1, rho), mm1(rho)
    for field in ("c", "rho", "p_wait", "wait_mean", "sojourn_mean", "mean_service"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-12)
    t = np.linspace(0, 20 / (1 - rho), 57)
    np.testing.assert_allclose(a.sojourn_sf(t), b.sojourn_sf(t), rtol=1e-10)
    np.testing.assert_allclose(a.sojourn_pdf(t), b.sojourn_pdf(t), rtol=1e-10)
    np.testing.assert_allclose(a.wait_sf(t), b.wait_sf(t), rtol=1e-12)
    ps = np.array([0.05, 0.5, 0.9, 0.99, 0.9999])
    np.testing.assert_allclose(a.sojourn_quantile(ps), b.sojourn_quantile(ps), rtol=1e-10)
    np.testing.assert_allclose(a.wait_quantile(ps), b.wait_quantile(ps), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("rho", GRID_RHO)
def test_pk_limits(rho):
    assert pk_wait_mean(rho, 1.0) == pytest.approx(mm1(rho).wait_mean, rel=1e-14)
    assert pk_wait_mean(rho, 0.0) == pytest.approx(md1(rho).wait_mean, rel=1e-14)
    assert pk_sojourn_mean(rho, 1.0, mean_service=7.0) == pytest.approx(
        mm1(rho, mean_service=7.0).sojourn_mean, rel=1e-14
    )


@pytest.mark.parametrize(
    "c, a", [(1, 0.5), (5, 3.7), (50, 45.0), (1000, 950.0), (1000, 600.0), (2000, 1999.0)]
)
def test_erlang_against_direct_mpmath_sum(c, a):
    with mpmath.workdps(60):
        terms = [mpmath.mpf(a) ** k / mpmath.factorial(k) for k in range(c + 1)]
        b = terms[c] / mpmath.fsum(terms)
        tail = terms[c] * c / (c - mpmath.mpf(a))
        cc = tail / (mpmath.fsum(terms[:c]) + tail)
    assert erlang_b(c, a) == pytest.approx(float(b), rel=1e-11)
    assert erlang_c(c, a) == pytest.approx(float(cc), rel=1e-11)


def test_erlang_b_large_c_and_large_a():
    b = erlang_b(5000, 10000.0)  # a^c / c! alone would overflow a double
    assert 0.0 < b < 1.0
    assert b == pytest.approx(1 - 5000 / 10000, rel=2e-3)  # heavy overload: B -> 1 - c/a


@pytest.mark.parametrize("c, rho", [(1, 0.6), (3, 0.7), (8, 0.9), (20, 0.5)])
def test_mmc_against_birth_death_chain(c, rho):
    """Stationary number-in-system distribution, PASTA and Erlang waiting times."""
    a = c * rho
    n_max = c + int(60 / (1 - rho))
    logw = np.empty(n_max + 1)
    for n in range(n_max + 1):
        k = min(n, c)
        logw[n] = k * math.log(a) - math.lgamma(k + 1) + max(0, n - c) * math.log(rho)
    pi = np.exp(logw - logw.max())
    pi /= pi.sum()
    m = mmc(c, rho)
    n = np.arange(n_max + 1)
    assert pi[c:].sum() == pytest.approx(m.p_wait, rel=1e-10)
    assert (n * pi).sum() == pytest.approx(m.mean_in_system, rel=1e-10)
    assert (np.maximum(n - c, 0) * pi).sum() == pytest.approx(m.mean_in_queue, rel=1e-10)
    # An arrival finding n >= c waits for n - c + 1 departures at rate c: Erlang(n-c+1, c).
    for t in (0.1, 1.0, 3.0):
        shape = n[c:] - c + 1
        sf = (pi[c:] * stats.gamma.sf(t, shape, scale=1 / c)).sum()
        assert sf == pytest.approx(m.wait_sf(t), rel=1e-9)


QUAD_CASES = [(1, 0.7), (2, 0.5), (4, 0.75), (2, 0.9), (16, 0.9), (64, 0.95), (3, 0.2)]


@pytest.mark.parametrize("c, rho", QUAD_CASES)
def test_sojourn_quantile_against_quad_of_pdf(c, rho):
    m = mmc(c, rho)
    total, _ = integrate.quad(m.sojourn_pdf, 0, np.inf, epsabs=1e-13, epsrel=1e-12)
    assert total == pytest.approx(1.0, abs=1e-9)
    mean, _ = integrate.quad(lambda t: t * m.sojourn_pdf(t), 0, np.inf, epsrel=1e-12)
    assert mean == pytest.approx(m.sojourn_mean, rel=1e-8)
    for p in (0.1, 0.5, 0.9, 0.99, 0.999):
        q = m.sojourn_quantile(p)
        mass, _ = integrate.quad(m.sojourn_pdf, 0, q, epsabs=1e-14, epsrel=1e-12)
        assert mass == pytest.approx(p, abs=1e-9)
        assert m.sojourn_sf(q) == pytest.approx(1 - p, rel=1e-9)


@pytest.mark.parametrize("c, rho", QUAD_CASES)
def test_pdf_is_derivative_of_sf(c, rho):
    m = mmc(c, rho)
    t = np.linspace(0.05, 30, 40)
    h = 1e-5
    deriv = -(m.sojourn_sf(t + h) - m.sojourn_sf(t - h)) / (2 * h)
    np.testing.assert_allclose(deriv, m.sojourn_pdf(t), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("c, rho", [(2, 0.5), (4, 0.75), (10, 0.9)])
def test_theta_equal_mu_is_continuous(c, rho):
    """theta = c (1 - rho) = 1 exactly: the degenerate case of the two-exponential form."""
    m = mmc(c, rho)
    assert m.theta == pytest.approx(1.0, rel=1e-12)
    t = np.linspace(0, 30, 31)
    expected = np.exp(-t) + m.p_wait * t * np.exp(-t)  # C (1 + t) e^{-t} + (1 - C) e^{-t}
    np.testing.assert_allclose(m.sojourn_sf(t), expected, rtol=1e-12)
    for eps in (1e-9, -1e-9):
        near = mmc(c, rho + eps)
        np.testing.assert_allclose(near.sojourn_sf(t), expected, rtol=1e-6)
        assert near.sojourn_quantile(0.99) == pytest.approx(m.sojourn_quantile(0.99), rel=1e-6)


def test_sojourn_tail_does_not_overflow():
    m = mmc(64, 0.5)  # theta = 32: d = 31, x large
    t = np.array([0.0, 1e3, 1e5, 1e300])
    sf = m.sojourn_sf(t)
    assert np.all(np.isfinite(sf))
    assert sf[0] == 1.0 and sf[-1] == 0.0
    assert np.all(np.isfinite(mm1(0.999).sojourn_pdf(t)))


def test_mean_service_scaling():
    ms = 250.0  # e.g. nanoseconds
    a, b = mmc(8, 0.85), mmc(8, 0.85, mean_service=ms)
    assert b.wait_mean == pytest.approx(ms * a.wait_mean, rel=1e-14)
    assert b.sojourn_mean == pytest.approx(ms * a.sojourn_mean, rel=1e-14)
    assert b.sojourn_quantile(0.99) == pytest.approx(ms * a.sojourn_quantile(0.99), rel=1e-12)
    assert b.wait_quantile(0.99) == pytest.approx(ms * a.wait_quantile(0.99), rel=1e-14)
    assert b.sojourn_pdf(ms * 2.0) == pytest.approx(a.sojourn_pdf(2.0) / ms, rel=1e-14)
    assert b.wait_sf(ms * 2.0) == pytest.approx(a.wait_sf(2.0), rel=1e-14)
    assert b.arrival_rate == pytest.approx(8 * 0.85 / ms)
    assert b.mean_in_system == pytest.approx(a.mean_in_system, rel=1e-14)
    d1, d2 = md1(0.8), md1(0.8, mean_service=ms)
    assert d2.wait_quantile(0.99) == pytest.approx(ms * d1.wait_quantile(0.99), rel=1e-12)
    assert d2.sojourn_quantile(0.99) == pytest.approx(ms * d1.sojourn_quantile(0.99), rel=1e-12)
    assert d2.wait_cdf(ms * 3.3) == pytest.approx(d1.wait_cdf(3.3), rel=1e-14)


def test_vectorised_shapes_and_scalars():
    m = mmc(4, 0.9)
    assert isinstance(m.sojourn_sf(1.0), float)
    assert isinstance(m.sojourn_quantile(0.5), float)
    assert m.sojourn_sf(np.ones((2, 3))).shape == (2, 3)
    assert m.sojourn_quantile([0.5, 0.9]).shape == (2,)
    assert m.wait_sf(-1.0) == 1.0 and m.sojourn_sf(-1.0) == 1.0 and m.sojourn_pdf(-1.0) == 0.0
    assert m.wait_cdf(0.0) == pytest.approx(1 - m.p_wait)
    assert isinstance(m, QueueModel) and isinstance(md1(0.5), MD1Model)
    with pytest.raises(AttributeError):
        m.rho = 0.5  # frozen


# --------------------------------------------------------------------------------------------
# M/D/1 exact distribution
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.3, 0.8, 0.95])
def test_md1_cdf_first_pieces(rho):
    """On [0, 1] only the k = 0 term is present; on [1, 2] the k = 1 term joins."""
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(md1_wait_cdf(x, rho), (1 - rho) * np.exp(rho * x), rtol=1e-14)
    x = np.linspace(1, 2, 11)
    expected = (1 - rho) * (np.exp(rho * x) - rho * (x - 1) * np.exp(rho * (x - 1)))
    np.testing.assert_allclose(md1_wait_cdf(x, rho), expected, rtol=1e-13)
    assert md1_wait_cdf(-0.5, rho) == 0.0


@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_md1_cdf_mean_equals_pk(rho):
    """E[W] = integral of 1 - F; F is analytic on each [n, n+1], so Gauss-Legendre per unit."""
    nodes, weights = np.polynomial.legendre.leggauss(10)
    total, n = 0.0, 0
    while True:
        tail = 1.0 - md1_wait_cdf(n + (nodes + 1) / 2, rho)
        total += 0.5 * float(np.dot(weights, tail))
        n += 1
        if tail[-1] < 1e-13:
            break
    assert total == pytest.approx(pk_wait_mean(rho, 0.0), rel=1e-10)


def test_md1_cdf_monotone_continuous_and_bounded():
    rho = 0.9
    x = np.concatenate([np.linspace(0, 40, 161), np.arange(1, 40) + 1e-9])
    x.sort()
    f = md1_wait_cdf(x, rho)
    assert f[0] == pytest.approx(1 - rho, rel=1e-14)
    assert np.all(np.diff(f) >= -1e-15)
    assert np.all((f >= 0) & (f <= 1))
    # Continuous at the integers where a new series term starts.
    k = np.arange(1, 40)
    np.testing.assert_allclose(md1_wait_cdf(k + 1e-9, rho), md1_wait_cdf(k, rho), atol=1e-8)


def test_md1_precision_is_sufficient(monkeypatch):
    """Doubling the working precision does not move the CDF deep in the tail."""
    args = [(0.95, 67.5733), (0.99, 250.0), (0.5, 3.3363)]
    base = [theory._md1_cdf_unit(x, r) for r, x in args]
    monkeypatch.setattr(theory, "MD1_MIN_DPS", 2 * theory.MD1_MIN_DPS)
    for (r, x), b in zip(args, base):
        assert theory._md1_cdf_unit(x, r) == pytest.approx(b, rel=1e-15, abs=1e-16)


def test_md1_does_not_touch_global_mpmath_precision():
    before = mpmath.mp.dps
    md1(0.9).wait_quantile(0.99)
    assert mpmath.mp.dps == before


def test_md1_quantile_atom_and_inverse():
    m = md1(0.6)
    assert m.wait_quantile(0.4) == 0.0  # exactly the atom 1 - rho
    assert m.wait_quantile(0.3) == 0.0
    assert m.sojourn_quantile(0.3) == 1.0
    for p in (0.41, 0.75, 0.99, 0.9999):
        q = m.wait_quantile(p)
        assert q > 0
        assert m.wait_cdf(q) == pytest.approx(p, abs=1e-12)


def test_md1_better_than_mm1():
    for rho in (0.5, 0.9):
        for p in (0.9, 0.99, 0.999):
            assert md1(rho).wait_quantile(p) < mm1(rho).wait_quantile(p)


# --------------------------------------------------------------------------------------------
# Property-based checks
# --------------------------------------------------------------------------------------------

cs = st.sampled_from([1, 2, 3, 4, 7, 16, 64, 256])
rhos = st.floats(min_value=0.01, max_value=0.99)
probs = st.floats(min_value=1e-6, max_value=1 - 1e-6)


@settings(max_examples=60, deadline=None)
@given(c=cs, rho=rhos, p1=probs, p2=probs)
def test_quantiles_monotone_in_p(c, rho, p1, p2):
    lo, hi = sorted((p1, p2))
    m = mmc(c, rho)
    assert m.sojourn_quantile(lo) <= m.sojourn_quantile(hi) * (1 + 1e-12)
    assert m.wait_quantile(lo) <= m.wait_quantile(hi)
    # T = W + S with S ~ Exp(1): T_p >= max(W_p, S_p).
    assert m.sojourn_quantile(hi) >= math.log(1 / (1 - hi)) * (1 - 1e-12)
    assert m.sojourn_quantile(hi) >= m.wait_quantile(hi) * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    c=cs,
    rho=rhos,
    ts=st.lists(st.floats(min_value=0, max_value=1e4), min_size=2, max_size=30),
)
def test_sojourn_sf_is_a_survival_function(c, rho, ts):
    m = mmc(c, rho)
    t = np.sort(np.array(ts))
    sf = m.sojourn_sf(t)
    assert np.all((sf >= 0.0) & (sf <= 1.0))
    assert np.all(np.diff(sf) <= 1e-15)
    assert np.all(m.sojourn_pdf(t) >= 0.0)
    ws = m.wait_sf(t)
    assert np.all(ws <= sf + 1e-15)  # W <= T


@settings(max_examples=60, deadline=None)
@given(c=cs, rho=rhos, p=probs)
def test_sojourn_quantile_inverts_sf(c, rho, p):
    m = mmc(c, rho)
    q = m.sojourn_quantile(p)
    assert m.sojourn_sf(q) == pytest.approx(1 - p, rel=1e-9, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(c=st.sampled_from([2, 3, 4, 16, 64]), rho=rhos)
def test_pooling_beats_partitioning_in_mean(c, rho):
    assert mmc(c, rho).sojourn_mean <= mm1(rho).sojourn_mean
    assert mmc(c, rho).p_wait <= mmc(c - 1, rho).p_wait * (1 + 1e-12)


@settings(max_examples=15, deadline=None)
@given(rho=st.floats(min_value=0.05, max_value=0.95), p1=probs, p2=probs)
def test_md1_quantile_monotone(rho, p1, p2):
    lo, hi = sorted((min(p1, 0.9999), min(p2, 0.9999)))
    m = md1(rho)
    assert m.wait_quantile(lo) <= m.wait_quantile(hi) + 1e-12


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------

BAD_INPUTS = [
    (lambda: mm1(0.0), "rho"),
    (lambda: mm1(1.0), "rho"),
    (lambda: mm1(-0.1), "rho"),
    (lambda: mm1(float("nan")), "rho"),
    (lambda: mm1("0.5"), "rho"),
    (lambda: mmc(2, 1.2), "rho"),
    (lambda: mmc(0, 0.5), "c"),
    (lambda: mmc(-3, 0.5), "c"),
    (lambda: mmc(2.0, 0.5), "c"),
    (lambda: mmc(True, 0.5), "c"),
    (lambda: mm1(0.5, mean_service=0.0), "mean_service"),
    (lambda: mmc(2, 0.5, mean_service=-1.0), "mean_service"),
    (lambda: mmc(2, 0.5, mean_service=float("inf")), "mean_service"),
    (lambda: md1(0.5, mean_service=0), "mean_service"),
    (lambda: md1(1.0), "rho"),
    (lambda: mm1(0.5).wait_quantile(0.0), "p"),
    (lambda: mm1(0.5).sojourn_quantile(1.0), "p"),
    (lambda: mmc(3, 0.5).sojourn_quantile([0.5, 1.5]), "p"),
    (lambda: md1(0.5).wait_quantile(-0.1), "p"),
    (lambda: md1(0.5).sojourn_quantile(1.0), "p"),
    (lambda: pk_wait_mean(0.5, -0.1), "scv"),
    (lambda: pk_wait_mean(1.5, 1.0), "rho"),
    (lambda: pk_sojourn_mean(0.5, 1.0, mean_service=0.0), "mean_service"),
    (lambda: erlang_b(0, 1.0), "c"),
    (lambda: erlang_b(3, -1.0), "a"),
    (lambda: erlang_c(3, 3.0), "a"),
    (lambda: erlang_c(1.5, 1.0), "c"),
    (lambda: slo_max_load(0, 10), "c"),
    (lambda: slo_max_load(4, 0.0), "k"),
    (lambda: slo_max_load(4, 10, "fifo"), "model"),
    (lambda: slo_max_load(4, 10, p=1.0), "p"),
    (lambda: md1_wait_cdf(1.0, 0.0), "rho"),
]


@pytest.mark.parametrize("call, name", BAD_INPUTS)
def test_bad_inputs_raise_value_error(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_error_message_names_range():
    with pytest.raises(ValueError, match=r"rho must be in \(0, 1\)"):
        mmc(4, 1.0)
    with pytest.raises(ValueError, match=r"c must be an integer >= 1"):
        mmc(0, 0.5)
    with pytest.raises(ValueError, match=r"p must be a probability in \(0, 1\)"):
        mm1(0.5).sojourn_quantile(2.0)
    with pytest.raises(ValueError, match=r"scv must be finite and >= 0"):
        pk_wait_mean(0.5, -1)
    with pytest.raises(ValueError, match=r"mean_service must be finite and > 0"):
        mm1(0.5, mean_service=-2)
