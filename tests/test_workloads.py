"""Load shapes (issue: workloads): closed loop, MMPP bursts, a rate schedule; each checks a
property of its own that can fail."""

import re

import kernel_calls
import pytest

import gmplab
from gmplab.errors import SpecError
from gmplab.params import make_spec


def run(**kw):
    return kernel_calls.simulate_with(dict(seed=3, check_invariants=True), **kw).summary


def measured_rate_per_s(s):
    return s["goroutines_measured"] / s["window_ns"] * 1e9


# --- closed loop ----------------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["central", "go"])
def test_closed_loop_keeps_at_most_n_in_flight_and_obeys_the_response_time_law(policy):
    n, think = 8, 50_000
    s = run(
        policy=policy,
        topology="1x2",
        arrivals="closed",
        clients=n,
        think="exp",
        think_mean_ns=think,
        service="exp",
        service_mean_ns=10_000,
        goroutines=60_000,
    )
    assert s["max_live_seen"] <= n
    # X = N / (R + Z) for any closed system in steady state
    x = measured_rate_per_s(s)
    assert x == pytest.approx(n / (s["sojourn_ns_mean"] + think) * 1e9, rel=0.02)


def test_closed_loop_central_matches_the_finite_source_queue():
    # M/M/1//N (machine repair): with N=2, c=1, E[S]=1, E[Z]=1, p0 = 1/(1 + 2 + 2) = 0.2
    # so X = (1 - p0) / E[S] = 0.8 per unit time
    s = run(
        policy="central",
        topology="1x1",
        arrivals="closed",
        clients=2,
        think_mean_ns=10_000,
        service_mean_ns=10_000,
        goroutines=200_000,
        costs="zero",
    )
    assert measured_rate_per_s(s) == pytest.approx(0.8 / 10_000 * 1e9, rel=0.02)


# --- MMPP -------------------------------------------------------------------------------------
def test_mmpp_long_run_rate_is_its_stationary_mean():
    rates, switch = (2_000, 30_000), (100, 400)
    s = run(
        policy="go",
        topology="1x4",
        arrivals="mmpp",
        mmpp_rates_per_s=rates,
        mmpp_switch_per_s=switch,
        goroutines=200_000,
    )
    mean = (rates[0] * switch[1] + rates[1] * switch[0]) / sum(switch)
    assert measured_rate_per_s(s) == pytest.approx(mean, rel=0.03)


def test_mmpp_bursts_lengthen_the_tail_against_poisson_at_the_same_mean():
    rates, switch = (2_000, 30_000), (100, 400)
    mean = (rates[0] * switch[1] + rates[1] * switch[0]) / sum(switch)
    # in the fast state the 4 Ps are overloaded (30k/s x 150 us = 4.5 CPUs) for ~2.5 ms at a time
    base = dict(policy="go", topology="1x4", goroutines=60_000, service_mean_ns=150_000)
    bursty = run(arrivals="mmpp", mmpp_rates_per_s=rates, mmpp_switch_per_s=switch, **base)
    smooth = run(arrival_rate_per_s=mean, **base)
    assert bursty["sojourn_ns_p99"] > 2 * smooth["sojourn_ns_p99"]


# --- a rate schedule --------------------------------------------------------------------------
def test_rate_schedule_runs_each_segment_at_its_rate():
    s = run(
        policy="go",
        topology="1x4",
        arrivals="schedule",
        rate_schedule=[(10, 1_000), (10, 9_000)],
        goroutines=100_000,
    )
    assert measured_rate_per_s(s) == pytest.approx(5_000, rel=0.02)


def test_rate_schedule_with_a_silent_segment():
    s = run(
        policy="go",
        topology="1x2",
        arrivals="schedule",
        rate_schedule=[(5, 0), (5, 20_000)],
        goroutines=20_000,
        trace_events=0,
    )
    assert measured_rate_per_s(s) == pytest.approx(10_000, rel=0.03)


# --- bad shapes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(arrivals="closed"), "clients"),  # a closed loop without clients
        (dict(arrivals="closed", clients=4, load=0.5), "load"),
        (dict(arrivals="closed", clients=4, think_mean_ns=-1), "think_mean_ns"),
        (dict(arrivals="mmpp", mmpp_rates_per_s=(1, 2)), "mmpp_switch_per_s"),
        (dict(arrivals="mmpp", mmpp_rates_per_s=(0, 0), mmpp_switch_per_s=(1, 1)), "mmpp_rates"),
        (dict(arrivals="mmpp", mmpp_rates_per_s=5, mmpp_switch_per_s=(1, 1)), "mmpp_rates"),
        (dict(arrivals="schedule", rate_schedule=[(0, 5)]), "rate_schedule[0]"),
        (dict(arrivals="schedule", rate_schedule=[]), "rate_schedule"),
        (dict(arrivals="schedule", rate_schedule=[(5, 0)]), "rate_schedule"),
    ],
)
def test_bad_load_shapes_name_the_field(kw, field):
    args = dict(policy="go", topology="1x2")
    args.update(kw)
    if "load" not in kw and kw.get("arrivals") not in ("closed", "mmpp", "schedule"):
        args["load"] = 0.5
    with pytest.raises(SpecError, match=re.escape(field)):
        make_spec(**args)


# --- the user's own data ----------------------------------------------------------------------
@pytest.fixture
def samples_csv(tmp_path):
    import numpy as np
    import polars as pl

    x = np.random.default_rng(1).lognormal(mean=np.log(20_000), sigma=0.8, size=50_000)
    path = tmp_path / "svc.csv"
    pl.DataFrame({"svc_ns": x, "other": np.ones_like(x)}).write_csv(path)
    return path, x


def test_an_empirical_distribution_reproduces_its_own_quantiles(samples_csv):
    import numpy as np

    path, x = samples_csv
    # an idle ideal machine: sojourn = service exactly
    s = run(
        policy="central",
        topology="1x8",
        load=0.01,
        goroutines=100_000,
        service="empirical",
        service_data=f"{path}:svc_ns",
        costs="zero",
    )
    for q, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        assert s[f"sojourn_ns_{q}"] == pytest.approx(np.quantile(x, p), rel=0.03), q
    assert s["sojourn_ns_mean"] == pytest.approx(x.mean(), rel=0.02)


def test_an_empirical_histogram_file(tmp_path):
    import polars as pl

    # half the mass in [10, 20) us, half in [90, 110) us: mean 57.5 us
    path = tmp_path / "hist.csv"
    pl.DataFrame(
        {"lower_ns": [10_000, 90_000], "upper_ns": [20_000, 110_000], "count": [50, 50]}
    ).write_csv(path)
    spec = make_spec(
        policy="central",
        topology="1x8",
        load=0.01,
        service="empirical",
        service_data=str(path),
        goroutines=20_000,
        costs="zero",
    )
    assert spec.workload.service_mean_ns == pytest.approx(57_500)
    r = gmplab.simulate(spec).summary
    assert 10_000 <= r["sojourn_ns_p50"] <= 21_000 or 89_000 <= r["sojourn_ns_p50"] <= 111_000
    assert r["sojourn_ns_mean"] == pytest.approx(57_500, rel=0.03)


def test_empirical_programs_parse(samples_csv):
    path, _ = samples_csv
    spec = make_spec(
        policy="go",
        load=0.3,
        goroutines=100,
        program=f"cpu:empirical:{path}:svc_ns,sleep:const:1000",
    )
    assert spec.workload.phases()[0].data is not None


@pytest.mark.parametrize(
    "data, field",
    [
        ("{path}:nope", "service_data"),  # an empirical file without the named column
        ("/no/such/file.csv:svc_ns", "service_data"),
        ("{path}", "service_data"),  # no column and not a histogram
    ],
)
def test_bad_empirical_data_names_the_field(samples_csv, data, field):
    path, _ = samples_csv
    with pytest.raises(SpecError, match=field) as e:
        make_spec(load=0.5, service="empirical", service_data=data.format(path=path))
    if "nope" in data:
        assert "svc_ns" in str(e.value)  # the message lists the columns there are
