"""gmplab.stats: histograms, order-statistic intervals, replications, batch means, MSER-5,
comparisons, precision-driven runs and the coordinated-omission correction.

Coverage claims here are measured, not assumed: the order-statistic intervals are checked on
2000 iid samples per case against the exact binomial coverage of their ranks (within 1.5
points). The replication interval on simulated M/M/1 runs is measured in
tests/test_stats_coverage.py (``-m slow``). Simulations below use ``check_invariants=False``
where they only feed statistics (the kernel's invariants are tested elsewhere).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import gmplab
from gmplab import stats, theory
from gmplab._kernel.hist import HDR_ARRAY_LEN, hdr_quantile
from gmplab.errors import SpecError
from gmplab.stats import Histogram, StatsError

DATA = Path(__file__).parent / "data"
CAPTURE = DATA / "capture-sample.json"
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mm(c=1, load=0.9, goroutines=50_000, **kw):
    """The ideal M/M/c queue of the simulator (central FCFS, zero costs)."""
    kw.setdefault("check_invariants", False)
    return gmplab.make_spec(
        policy="central",
        topology=f"1x{c}",
        costs="zero",
        load=load,
        goroutines=goroutines,
        **kw,
    )


# --------------------------------------------------------------------------------------------
# order statistics: the rank table of validation-oracles.md section 4, reproduced exactly
# --------------------------------------------------------------------------------------------

RANK_TABLE = [
    # p, n, r, s, coverage (None: not given in the table)
    (0.99, 10**3, 983, 997, 0.976),
    (0.99, 10**4, 9880, 9920, None),
    (0.99, 10**5, 98938, 99062, None),
    (0.99, 10**6, 989805, 990196, None),
    (0.999, 10**4, 9983, 9997, None),
    (0.999, 10**5, 99880, 99920, None),
    (0.999, 10**6, 998938, 999062, None),
    (0.5, 10**4, 4902, 5099, None),
]


@pytest.mark.parametrize("p,n,r,s,cov", RANK_TABLE)
def test_rank_table_reproduced(p, n, r, s, cov):
    rk = stats.order_ranks(n, p, 0.95)
    assert (rk.lower_rank, rk.upper_rank) == (r, s)
    assert rk.exists
    assert rk.coverage >= 0.95
    exact = sps.binom.cdf(s - 1, n, p) - sps.binom.cdf(r - 1, n, p)
    assert rk.coverage == pytest.approx(exact, abs=1e-12)
    if cov is not None:
        assert round(rk.coverage, 3) == cov


def test_p999_at_n1000_is_impossible_and_says_so():
    rk = stats.order_ranks(1000, 0.999, 0.95)
    assert not rk.exists
    assert round(rk.max_coverage, 3) == 0.613  # [X_(997), X_(1000)], as the table says
    x = np.random.default_rng(1).exponential(size=1000)
    with pytest.raises(StatsError, match=r"samples: must be at least 3688 values"):
        stats.quantile_ci(x, 0.999)


def test_min_sample_size():
    # the sample maximum as a 95% upper bound of P99 / P99.9 / P99.99 (the table's numbers)
    assert [stats.min_sample_size(p, 0.95, "upper") for p in (0.99, 0.999, 0.9999)] == [
        299,
        2995,
        29956,
    ]
    for p in (0.99, 0.999, 0.5, 0.9):
        for sided in ("two", "upper", "lower"):
            n = stats.min_sample_size(p, 0.95, sided)
            assert stats.order_ranks(n, p, 0.95, sided).exists
            assert n == 1 or not stats.order_ranks(n - 1, p, 0.95, sided).exists


def test_quantile_ci_uses_the_ranks():
    x = np.random.default_rng(2).lognormal(size=10_000)
    iv = stats.quantile_ci(x, 0.99)
    xs = np.sort(x)
    assert iv.ranks == (9880, 9920)
    assert (iv.lower, iv.upper) == (xs[9879], xs[9919])
    assert iv.estimate == xs[9899]  # nearest rank: ceil(0.99 * 10000) = 9900
    assert iv.coverage == pytest.approx(stats.order_ranks(10_000, 0.99).coverage)
    up = stats.quantile_ci(x, 0.99, sided="upper")
    assert up.lower == -math.inf and up.upper <= iv.upper
    hd = stats.quantile_ci(x, 0.99, method="harrell-davis")
    assert iv.lower < hd.estimate < iv.upper
    assert hd.estimate == pytest.approx(stats.harrell_davis(x, 0.99))


COVERAGE_CASES = {
    # name: (draw(rng, shape), exact p-quantile, n, p)
    "exp-n1000-p99": (lambda g, s: g.exponential(size=s), math.log(100), 1000, 0.99),
    "lognormal-n10000-p99": (
        lambda g, s: g.lognormal(size=s),
        math.exp(sps.norm.ppf(0.99)),
        10_000,
        0.99,
    ),
    "uniform-n1000-p50": (lambda g, s: g.random(s), 0.5, 1000, 0.5),
    "pareto2.5-n10000-p999": (
        lambda g, s: g.pareto(2.5, size=s) + 1.0,
        1000 ** (1 / 2.5),
        10_000,
        0.999,
    ),
    "weibull0.7-n2000-p90": (
        lambda g, s: g.weibull(0.7, size=s),
        math.log(10) ** (1 / 0.7),
        2000,
        0.9,
    ),
}


@pytest.mark.parametrize("case", sorted(COVERAGE_CASES))
def test_order_interval_coverage_matches_binomial(case):
    """2000 iid samples per case: the measured coverage is the ranks' exact binomial coverage
    (within 1.5 points; exact intervals are conservative, e.g. 97.6% for P99 at n = 1000)."""
    draw, truth, n, p = COVERAGE_CASES[case]
    trials = 2000
    rk = stats.order_ranks(n, p, 0.95)
    rng = np.random.default_rng(n + int(1000 * p))
    hits = 0
    for start in range(0, trials, 250):
        m = min(250, trials - start)
        x = draw(rng, (m, n))
        part = np.partition(x, [rk.lower_rank - 1, rk.upper_rank - 1], axis=1)
        lo, hi = part[:, rk.lower_rank - 1], part[:, rk.upper_rank - 1]
        hits += int(np.sum((lo <= truth) & (truth <= hi)))
        if start == 0:  # the public function gives the same interval
            iv = stats.quantile_ci(x[0], p)
            assert (iv.lower, iv.upper) == (lo[0], hi[0])
    rate = hits / trials
    assert abs(rate - rk.coverage) <= 0.015, (rate, rk.coverage)


def test_harrell_davis_interval_coverage_median():
    """Harrell-Davis is approximate; measured over 2000 samples it is close to nominal."""
    rng = np.random.default_rng(5)
    truth = sps.expon.ppf(0.5)
    hits = sum(
        truth in stats.quantile_ci(rng.exponential(size=200), 0.5, method="hd") for _ in range(2000)
    )
    assert 0.925 <= hits / 2000 <= 0.975


# --------------------------------------------------------------------------------------------
# histograms
# --------------------------------------------------------------------------------------------

values_ns = st.lists(st.integers(0, 2**40), min_size=1, max_size=300)
probs = st.floats(0.001, 0.999, allow_nan=False)


def exact_quantile(x, p):
    xs = np.sort(np.asarray(x))
    return xs[max(1, int(np.ceil(p * xs.size))) - 1]


@FAST
@given(values_ns, probs)
def test_hdr_quantile_within_layout_error(x, p):
    h = Histogram.from_samples(x)
    q = exact_quantile(x, p)
    est, lo, hi = h.quantile(p)
    assert lo <= q < hi
    assert abs(est - q) <= max(h.relative_error * q, h.absolute_error)
    if q < h.exact_below:
        assert est == q  # exact below 256 ns
    assert est == hdr_quantile(h.counts, p)  # the kernel's own estimate


@FAST
@given(values_ns, probs)
def test_go_quantile_within_layout_error(x, p):
    h = Histogram.from_samples(x, layout="go")
    q = exact_quantile(x, p)
    est, lo, hi = h.quantile(p)
    assert lo <= q < hi
    assert abs(est - q) <= max(h.relative_error * q, h.absolute_error)
    assert Histogram.from_samples(x).to_go() == h  # hdr -> go is exact


@FAST
@given(st.lists(values_ns, min_size=1, max_size=4), st.randoms())
def test_merge_associative_and_order_free(parts, rnd):
    hs = [Histogram.from_samples(x) for x in parts]
    whole = Histogram.from_samples([v for x in parts for v in x])
    assert stats.merge(hs) == whole
    shuffled = list(hs)
    rnd.shuffle(shuffled)
    assert stats.merge(shuffled) == whole
    if len(hs) >= 3:
        assert (hs[0] + hs[1]) + hs[2] == hs[0] + (hs[1] + hs[2])


@FAST
@given(values_ns)
def test_mean_and_polars_round_trip(x):
    h = Histogram.from_samples(x)
    lo, hi = h.mean_bounds()
    assert lo <= np.mean(x) < hi or lo == hi == np.mean(x)
    assert abs(h.mean() - np.mean(x)) <= h.relative_error * np.mean(x) + 1e-9
    assert Histogram.from_polars(h.to_polars()) == h
    assert Histogram.from_polars(h.to_polars(nonzero=True)) == h
    g = h.to_go()
    assert Histogram.from_polars(g.to_polars(nonzero=True)) == g
    assert Histogram.from_go_json(json.dumps(h.to_go_json())) == g


def test_ccdf():
    h = Histogram.from_samples([1, 1, 2, 3, 1000, 5000])
    c = h.ccdf()
    assert c.columns == ["lower_ns", "upper_ns", "count", "cdf", "ccdf", "ccdf_lower"]
    assert c["count"].sum() == 6
    assert c["ccdf_lower"][0] == 1.0 and c["ccdf"][-1] == 0.0
    np.testing.assert_allclose(c["ccdf"].to_numpy(), 1 - np.cumsum([2, 1, 1, 1, 1]) / 6)
    q = h.quantiles([0.5, 0.99])
    assert q["p"].to_list() == [0.5, 0.99] and q["estimate_ns"][0] == 2.0


def test_histogram_from_result_matches_summary():
    r = gmplab.simulate(mm(c=4, load=0.8, goroutines=20_000, replications=2, seed=3))
    for i, rep in enumerate(r.replications):
        h = Histogram.from_result(r, "sojourn_ns", replication=i)
        assert h.quantile(0.99).estimate == rep.summary["sojourn_ns_p99"]
        assert h.n == rep.summary["goroutines_measured"]
        lo, hi = h.mean_bounds()
        assert lo <= rep.summary["sojourn_ns_mean"] < hi
    merged = Histogram.from_result(r)
    assert merged == Histogram.from_result(r, replication=0) + Histogram.from_result(
        r, replication=1
    )
    # Result.histograms() (long polars tables) reads back as the same histograms
    df = r.histograms().filter(pl.col("metric") == "sojourn_ns")
    assert Histogram.from_polars(df) == merged
    dfg = r.histograms(layout="go").filter(pl.col("metric") == "sojourn_ns")
    assert Histogram.from_polars(dfg) == merged.to_go()
    # batch histograms are Go-layout counts
    b = r.batch_histograms(0)
    assert Histogram.go(b.sum(axis=0)) == Histogram.from_result(r, replication=0).to_go()


# --- runtime/metrics import and export against a real capture ---------------------------------


def test_go_metrics_import_export_real_capture():
    raw = json.loads(CAPTURE.read_text())
    obj = raw["samples"][-1]["metrics"]["/sched/latencies:seconds"]
    h = Histogram.from_capture(CAPTURE)
    assert h.layout == "go" and h.unit == "ns"
    assert h.counts.tolist() == obj["counts"]
    assert h.to_go_json() == obj  # boundaries bit-exact, "-Inf"/"+Inf" strings
    b, c = h.to_go_metrics()
    assert b[0] == -math.inf and b[-1] == math.inf and len(b) == len(c) + 1 == 163
    assert b[1:-1] == obj["buckets"][1:-1]
    assert Histogram.from_go_metrics(b, c) == h
    assert Histogram.from_go_json(obj) == h
    assert json.loads(json.dumps(h.to_go_json())) == obj
    # the same from a stream and from the decoded object
    assert Histogram.from_capture(io.BytesIO(CAPTURE.read_bytes())) == h
    assert Histogram.from_capture(raw) == h
    # a window between two samples (the runtime's counts are cumulative)
    first = Histogram.from_capture(CAPTURE, sample=0)
    win = Histogram.from_capture(CAPTURE, sample=-1, since=0)
    assert win + first == h
    assert win.n == h.n - first.n
    # the quantile of a real Go histogram, with its cell bounds
    est, lo, hi = h.quantile(0.99)
    assert lo <= est < hi and h.edges[0] == -math.inf
    # it merges with a simulated run once that is in Go's layout
    sim = Histogram.from_samples([1000, 50_000, 2_000_000]).to_go()
    assert (h + sim).n == h.n + 3
    with pytest.raises(StatsError, match="layout"):
        h.merge(Histogram.from_samples([1000]))


def test_go_metrics_other_layouts_from_capture():
    raw = json.loads(CAPTURE.read_text())
    obj = raw["samples"][-1]["metrics"]["/gc/heap/allocs-by-size:bytes"]
    h = Histogram.from_capture(CAPTURE, name="/gc/heap/allocs-by-size:bytes")
    assert h.layout == "custom" and h.unit == "bytes"
    assert h.to_go_json() == obj
    for name in ("/sched/pauses/total/gc:seconds", "/sched/pauses/stopping/gc:seconds"):
        p = Histogram.from_capture(CAPTURE, name=name)
        assert p.layout == "go"
        assert p.to_go_json() == raw["samples"][-1]["metrics"][name]
    with pytest.raises(StatsError, match="name: must be a histogram metric"):
        Histogram.from_capture(CAPTURE, name="/sched/goroutines:goroutines")
    with pytest.raises(StatsError, match="sample"):
        Histogram.from_capture(CAPTURE, sample=7)
    with pytest.raises(StatsError, match="since"):
        Histogram.from_capture(CAPTURE, sample=0, since=2)


def test_go_metrics_validation():
    b, c = Histogram.from_samples([5]).to_go_metrics()
    with pytest.raises(StatsError, match="boundaries: must be one more boundary"):
        Histogram.from_go_metrics(b[:-1], c)
    with pytest.raises(StatsError, match="counts: must be whole numbers >= 0"):
        Histogram.from_go_metrics(b, [-1] + c[1:])
    with pytest.raises(StatsError, match="boundaries: must be strictly increasing"):
        Histogram.from_go_metrics([0.0, 2.0, 1.0], [1, 1])
    with pytest.raises(StatsError, match="boundaries"):
        Histogram.from_go_metrics(["-Inf", "x", "+Inf"], [1, 1])
    custom = Histogram.from_go_metrics(["-Inf", 0, 1e-6, "+Inf"], [0, 2, 1])
    assert custom.layout == "custom" and custom.unit == "ns"
    assert custom.edges.tolist() == [-math.inf, 0.0, 1000.0, math.inf]


# --------------------------------------------------------------------------------------------
# replications, batch means, MSER-5
# --------------------------------------------------------------------------------------------


def test_replication_interval_matches_summary_and_bootstrap():
    r = gmplab.simulate(mm(c=2, load=0.8, goroutines=20_000, replications=6, seed=11))
    s = r.summary
    iv = stats.replication_interval(r, "sojourn_ns_p99")
    assert iv.estimate == pytest.approx(s["sojourn_ns_p99"])
    assert (iv.lower, iv.upper) == pytest.approx((s["sojourn_ns_p99_lo"], s["sojourn_ns_p99_hi"]))
    assert iv.n == 6 and iv.method == "t"
    # any quantile of the HDR histograms, per replication
    p9999 = stats.replication_values(r, "sojourn_ns_p9999")
    assert p9999.shape == (6,) and np.all(p9999 >= stats.replication_values(r, "sojourn_ns_p99"))
    b1 = stats.replication_interval(r, method="bootstrap", seed=1)
    b2 = stats.replication_interval(r, method="bootstrap", seed=1)
    assert b1 == b2 and b1.lower < b1.estimate < b1.upper
    assert b1.halfwidth < iv.halfwidth * 1.2  # percentile bootstrap: no t widening
    assert stats.replication_interval([1.0, 2.0, 3.0]).estimate == 2.0


def test_batch_means_flags_too_short_batches():
    r = gmplab.simulate(mm(c=1, load=0.9, goroutines=200_000, batches=4096, seed=2))
    short = stats.batch_means(r)  # 4096 batches of ~44 jobs << relaxation time (380)
    assert short.detail["too_short"] and short.detail["lag1"] > 0.5
    long = stats.batch_means(r, batches=16)  # ~11,000 jobs each: ~30 relaxation times
    assert not long.detail["too_short"], long.detail["lag1"]
    assert long.halfwidth > 2 * short.halfwidth  # the short batches' interval is too narrow
    assert long.estimate == pytest.approx(r.summary["sojourn_ns_mean"], rel=1e-9)
    q = stats.batch_means(r, batches=16, p=0.99)
    assert 0.5 * 460_517 < q.estimate < 1.5 * 460_517
    # raw series: an AR(1) with phi = 0.99 in short batches is flagged, iid data is not
    rng = np.random.default_rng(0)
    e = rng.normal(size=50_000)
    ar = np.empty_like(e)
    ar[0] = e[0]
    for i in range(1, e.size):
        ar[i] = 0.99 * ar[i - 1] + e[i]
    assert stats.batch_means(ar, batches=1000).detail["too_short"]
    assert not stats.batch_means(ar, batches=20).detail["too_short"]
    assert not stats.batch_means(e, batches=1000).detail["too_short"]


def test_mser5_removes_a_known_transient():
    rng = np.random.default_rng(7)
    n = 20_000
    t = np.arange(n)
    x = 5.0 * np.exp(-t / 300.0) + rng.normal(size=n)  # transient below 0.1 sd after ~1200
    res = stats.mser5(x)
    assert 600 <= res.cut <= 3000 and not res.too_short
    se = 1 / math.sqrt(n)
    assert abs(x.mean()) > 8 * se  # the transient biases the untruncated mean
    assert abs(x[res.cut :].mean()) < 3 * se  # MSER-5 removed it
    assert res.cut == 5 * res.d_star and res.m == n // 5
    # stationary data: nothing (or little) to cut
    assert stats.mser5(rng.normal(size=n)).cut < n // 10
    # a run that never settles (a trend throughout): d* near m/2, "too short"
    trend = np.linspace(0, 10, n) + rng.normal(size=n)
    assert stats.mser5(trend).too_short


def test_warmup_mser5_on_simulated_runs():
    spec = mm(c=1, load=0.9, goroutines=100_000, replications=2, seed=4, warmup_fraction=0.3)
    result, rep = stats.warmup_mser5(spec)
    assert rep["warmup"] == "mser5" and not rep["too_short"]
    cut = rep["warmup_goroutines"]
    assert result.spec.warmup_n() == cut < 50_000
    assert result.spec.workload.warmup_fraction == rep["warmup_fraction"]
    assert result.summary["goroutines_measured"] == 2 * (100_000 - cut)
    assert result.spec.replications == 2 and result.spec.batches == spec.batches
    # deterministic: the same as a plain run with that warm-up
    again = gmplab.simulate(result.spec)
    assert again.summary["sojourn_ns_p99"] == result.summary["sojourn_ns_p99"]
    # an unstable load never reaches steady state: the run is flagged as too short
    unstable = gmplab.make_spec(
        policy="central", topology="1x1", costs="zero", load=1.2, goroutines=20_000
    )
    _, rep2 = stats.warmup_mser5(unstable)
    assert rep2["too_short"] and "too short" in rep2["message"]


# --------------------------------------------------------------------------------------------
# comparisons
# --------------------------------------------------------------------------------------------


def test_quantile_ratio_partitioned_vs_central_table_b():
    """Table B: at c = 16, load 0.9, P99 of 16 x M/M/1 over central M/M/16 is x8.74."""
    kw = dict(topology="1x16", costs="zero", load=0.9, goroutines=200_000, replications=8)
    part = gmplab.simulate(policy="partitioned", seed=21, **kw)
    cent = gmplab.simulate(policy="central", seed=22, **kw)
    iv = stats.quantile_ratio(part, cent)
    assert iv.method == "delta-welch"
    exact = 4.60517 / 0.1 / float(theory.mmc(16, 0.9).sojourn_quantile(0.99))
    assert exact == pytest.approx(8.74, abs=0.01)
    assert exact in iv and iv.halfwidth_rel < 0.15
    bs = stats.quantile_ratio(part, cent, method="bootstrap", n_boot=2000)
    assert bs.estimate == iv.estimate and exact in bs


def test_quantile_ratio_coverage_synthetic():
    """Delta-method interval of a ratio of means, 2000 trials of 10 vs 12 gamma values."""
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(2000):
        a = rng.gamma(100.0, 2.0, size=10)  # mean 200, cv 0.1
        b = rng.gamma(25.0, 4.0, size=12)  # mean 100, cv 0.2
        hits += 2.0 in stats.quantile_ratio(a, b)
    assert 0.935 <= hits / 2000 <= 0.965


def test_quantile_ratio_paired():
    rng = np.random.default_rng(4)
    common = rng.gamma(20.0, 5.0, size=20)
    a, b = 2.0 * common * rng.normal(1, 0.01, 20), common
    paired = stats.quantile_ratio(a, b, paired=True)
    unpaired = stats.quantile_ratio(a, b, paired=False)
    assert 2.0 in paired and paired.halfwidth < unpaired.halfwidth / 5


def test_slo_max_load_exact_curves():
    # M/M/1, K = 10: 1 - ln(100)/10 = 0.5395 (Table B); exact because 1/P99 is linear in load
    loads = [0.3, 0.4, 0.5, 0.6, 0.7]
    df = pl.DataFrame(
        {
            "load": [ld for ld in loads for _ in range(3)],
            "value": [float(theory.mm1(ld).sojourn_quantile(0.99)) for ld in loads for _ in "abc"],
        }
    )
    res = stats.slo_max_load(df, k=10)
    assert res.max_load == pytest.approx(1 - math.log(100) / 10, abs=1e-9)
    assert res.lower == pytest.approx(res.max_load) and res.upper == pytest.approx(res.max_load)
    # M/M/16, K = 10: 0.9677 (Table B), from a fine grid of exact values
    loads = np.round(np.arange(0.90, 0.995, 0.005), 3)
    df = pl.DataFrame(
        {
            "load": np.repeat(loads, 2),
            "value": np.repeat(
                [float(theory.mmc(16, ld).sojourn_quantile(0.99)) for ld in loads], 2
            ),
        }
    )
    assert stats.slo_max_load(df, k=10).max_load == pytest.approx(0.9677, abs=5e-4)
    out = stats.slo_max_load(df, k=1000)
    assert math.isnan(out.max_load) and out.upper == math.inf and "every load" in out.note


def test_slo_max_load_from_simulated_sweep():
    sweep = [
        gmplab.simulate(mm(c=1, load=ld, goroutines=60_000, replications=5, seed=30 + i))
        for i, ld in enumerate([0.4, 0.5, 0.6, 0.7])
    ]
    res = stats.slo_max_load(sweep, k=10)
    assert 0.5395 in res, res
    assert res.upper - res.lower < 0.1
    assert res.table["n"].to_list() == [5, 5, 5, 5]


# --------------------------------------------------------------------------------------------
# precision-driven runs
# --------------------------------------------------------------------------------------------


def test_until_halfwidth_reaches_target_on_mm16():
    spec = mm(c=16, load=0.9, goroutines=40_000, seed=8)
    res, rep = stats.simulate_until_halfwidth(spec, "2%", max_replications=100)
    assert rep["reached"] and rep["halfwidth_rel"] <= 0.02
    r = rep["replications"]
    assert 5 < r < 100 and res.spec.replications == r == len(res.replications)
    iv = stats.replication_interval(res)
    assert iv.halfwidth_rel == pytest.approx(rep["halfwidth_rel"])
    assert abs(iv.estimate / float(theory.mmc(16, 0.9, 10_000).sojourn_quantile(0.99)) - 1) < 0.05
    # the first R replications are those of a plain R-replication run
    plain = gmplab.simulate(spec.replace(replications=r))
    np.testing.assert_array_equal(stats.replication_values(plain), stats.replication_values(res))
    # the run-size estimate: from the final run it asks for no more than were run; from a
    # 10-replication pilot it is in the right range (its sd is estimated from 10 values)
    assert stats.estimate_replications(res, 0.02)["replications"] <= r
    pilot = gmplab.simulate(spec.replace(replications=10))
    need = stats.estimate_replications(pilot, 0.02)
    assert need["pilot_replications"] == 10
    assert r / 4 <= need["replications"] <= 4 * r


def test_until_halfwidth_stops_at_its_cap():
    spec = mm(c=16, load=0.9, goroutines=20_000, seed=9)
    res, rep = stats.simulate_until_halfwidth(spec, 0.001, max_replications=6)
    assert not rep["reached"] and rep["replications"] == 6 == len(res.replications)
    assert rep["halfwidth_rel"] > 0.001 and "NOT reached" in rep["message"]


def test_parse_share():
    assert stats.parse_share("2%") == pytest.approx(0.02)
    assert stats.parse_share(" 0.5 % ") == pytest.approx(0.005)
    assert stats.parse_share("0.02") == 0.02
    assert stats.parse_share(0.1) == 0.1
    with pytest.raises(StatsError, match=r"^--until-halfwidth: must be a share"):
        stats.parse_share("0%", name="--until-halfwidth")


# --------------------------------------------------------------------------------------------
# coordinated omission
# --------------------------------------------------------------------------------------------


def test_coordinated_omission_synthetic_stall():
    """HdrHistogram's example: a closed-loop tester sends every 10 ms and waits; responses take
    1 ms, except one 100 s stall. Raw: 99.99% at 1 ms. Corrected: only ~50%."""
    ms = 1e6  # ns
    raw = np.array([1 * ms] * 10_000 + [100_000 * ms])
    fixed = stats.correct_coordinated_omission(raw, 10 * ms)
    # what an open-loop tester (send every 10 ms, measure from the intended time) records
    open_loop = np.concatenate([[1 * ms] * 10_000, 100_000 * ms - 10 * ms * np.arange(10_000)])
    np.testing.assert_allclose(np.sort(fixed), np.sort(open_loop))
    assert np.mean(raw <= 1 * ms) > 0.9999
    assert np.mean(fixed <= 1 * ms) == pytest.approx(0.5, abs=0.001)
    assert exact_quantile(raw, 0.99) == 1 * ms
    assert exact_quantile(fixed, 0.75) == pytest.approx(50_000 * ms)
    assert fixed.mean() == pytest.approx(25_003 * ms, rel=1e-4)
    # the same on a histogram (each cell's representative value stands for its values)
    h = stats.correct_coordinated_omission(Histogram.from_samples(raw), 10 * ms)
    # the 100 s cell's representative value is up to 1/256 off: so is the number of values added
    assert abs(h.n - fixed.size) <= h.relative_error * 10_000
    for p in (0.25, 0.75, 0.9, 0.99, 0.999):
        q = exact_quantile(fixed, p)
        assert abs(h.quantile(p).estimate - q) <= 2 * h.relative_error * q
    assert h.mean() == pytest.approx(fixed.mean(), rel=2 * h.relative_error)
    # values below twice the interval are left alone
    small = np.array([5 * ms, 15 * ms])
    assert stats.correct_coordinated_omission(small, 10 * ms).tolist() == small.tolist()


# --------------------------------------------------------------------------------------------
# bad input: a clear error naming the parameter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0, 1, -0.1, 1.5, float("nan"), True, "0.99"])
def test_bad_quantile(p):
    x = np.arange(1.0, 1001.0)
    with pytest.raises(StatsError, match=r"^p: must be a number in \(0, 1\)"):
        stats.quantile_ci(x, p)
    with pytest.raises(StatsError, match=r"^p: must be"):
        Histogram.from_samples(x).quantile(p)
    with pytest.raises(StatsError, match=r"^p: must be"):
        stats.order_ranks(1000, p)


def test_bad_samples():
    with pytest.raises(StatsError, match="samples: must be a non-empty sequence"):
        stats.quantile_ci([], 0.5)
    with pytest.raises(StatsError, match="values: must be a non-empty"):
        Histogram.from_samples([])
    with pytest.raises(StatsError, match=r"samples: must be latencies >= 0 \(got -3.0\)"):
        stats.quantile_ci([1.0, -3.0, 2.0], 0.5)
    with pytest.raises(StatsError, match="values: must be latencies >= 0"):
        Histogram.from_samples([5, -1])
    with pytest.raises(StatsError, match="data: must be latencies >= 0"):
        stats.correct_coordinated_omission([-1.0], 10.0)
    with pytest.raises(StatsError, match="finite"):
        stats.quantile_ci([1.0, float("nan")], 0.5)
    with pytest.raises(StatsError, match="histogram: must be a histogram with at least one"):
        Histogram.empty().quantile(0.5)
    with pytest.raises(StatsError, match="replications: must be at least 2"):
        stats.replication_interval([1.0])
    with pytest.raises(StatsError, match="x: must be at least 50 values"):
        stats.mser5(np.ones(40))
    with pytest.raises(StatsError, match="batches"):
        stats.batch_means(np.ones(10), batches=20)
    with pytest.raises(StatsError, match="metric"):
        stats.replication_values(gmplab.simulate(mm(goroutines=100)), "nope")
    # a StatsError is a SpecError (the CLI's exit status 2) and a ValueError
    assert issubclass(StatsError, SpecError) and issubclass(StatsError, ValueError)


def test_merging_different_layouts_raises():
    h = Histogram.from_samples([100, 2000])
    with pytest.raises(StatsError, match=r"layout: must be the same layout .*to_go"):
        h.merge(h.to_go())
    a = Histogram.custom([0, 1, 2], [1, 1], unit="ms")
    b = Histogram.custom([0, 1, 3], [1, 1], unit="ms")
    with pytest.raises(StatsError, match="layout: must be the same boundaries"):
        a + b
    with pytest.raises(StatsError, match="histograms: must be at least one"):
        stats.merge([])
    with pytest.raises(StatsError, match="counts"):
        Histogram.hdr(np.zeros(10))
    with pytest.raises(StatsError, match="counts: must be whole numbers >= 0"):
        Histogram.hdr(np.full(HDR_ARRAY_LEN, -1))


@pytest.mark.parametrize("target", [0, -0.02, "0%", "-2%", "abc", float("nan"), 1.5])
def test_bad_halfwidth_target(target):
    spec = mm(goroutines=1000)
    with pytest.raises(StatsError, match=r"^target: must be a share"):
        stats.simulate_until_halfwidth(spec, target)
    with pytest.raises(StatsError, match=r"^target: must be a share"):
        stats.estimate_replications([1.0, 2.0], target)


def test_bad_other_parameters():
    spec = mm(goroutines=1000)
    with pytest.raises(StatsError, match="max_replications"):
        stats.simulate_until_halfwidth(spec, 0.02, max_replications=1)
    with pytest.raises(StatsError, match="conf: must be a confidence level"):
        stats.replication_interval([1.0, 2.0], conf=95)
    with pytest.raises(StatsError, match="expected_interval: must be a finite number > 0"):
        stats.correct_coordinated_omission([1.0], 0)
    with pytest.raises(StatsError, match="k: must be"):
        stats.slo_max_load(pl.DataFrame({"load": [0.1, 0.2], "value": [1.0, 2.0]}), k=-1)
    with pytest.raises(StatsError, match="values: must be positive"):
        stats.quantile_ratio([1.0, 2.0], [0.0, 1.0])
    with pytest.raises(StatsError, match="goroutines: must be at least 50"):
        stats.warmup_mser5(mm(goroutines=40))
    with pytest.raises(StatsError, match="method"):
        stats.quantile_ci([1.0, 2.0, 3.0], 0.5, method="nope")
