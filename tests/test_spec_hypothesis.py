"""Property: every spec either fails validation cleanly or runs to a documented end.

Specs are drawn from wide ranges (all policies, topologies of 1..2 NUMA nodes x 1..8 cores,
GOMAXPROCS inside and outside [1, cores], loads 0.05..1.5 including unstable ones, all arrival
processes and paths, every service distribution with valid and invalid SCVs, 1..300 goroutines,
max_live 1..500, zero or default costs) and each must end in exactly one of:

* ``gmplab.SpecError`` raised by validation, before the kernel runs, its message starting with
  the parameter it names;
* a Result in which every replication completed all its goroutines (invariants checked after
  every event);
* ``gmplab.ResourceLimitError``, the documented max_live limit, which can only happen when more
  goroutines than max_live arrive.

Anything else (another exception, a KernelError such as an invariant violation, a stranded or
runaway kernel) fails the test.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import gmplab
from gmplab import ResourceLimitError, SpecError

POLICIES = ("go", "global", "central", "partitioned")
SERVICES = ("exp", "const", "lognormal", "bimodal", "pareto")

# SCVs around every boundary of every distribution: exp needs 1, const 0, pareto and
# lognormal > 0, bimodal (0, 9); negative is always invalid.
any_scv = st.one_of(
    st.sampled_from([0.0, 1.0, 2.25, 8.9, 9.5, 20.0, -1.0, 0.01]),
    st.floats(min_value=0.0, max_value=25.0, allow_nan=False),
)
VALID_SCV = {
    "exp": st.just(1.0),
    "const": st.just(0.0),
    "lognormal": st.floats(min_value=0.01, max_value=25.0),
    "bimodal": st.floats(min_value=0.01, max_value=8.99),
    "pareto": st.floats(min_value=0.01, max_value=25.0),
}


@st.composite
def specs(draw) -> dict:
    nodes = draw(st.integers(1, 2))
    cores = draw(st.integers(1, 8))
    arrivals = draw(st.sampled_from(["poisson", "const", "burst"]))
    service = draw(st.sampled_from(SERVICES))
    # three examples in four aim at a valid spec (so most reach the kernel); the rest draw the
    # fields that have invalid values from their whole wide ranges
    aim_valid = draw(st.sampled_from([True, True, True, False]))
    if aim_valid:
        gomaxprocs = st.one_of(st.none(), st.integers(1, nodes * cores))
        scv = st.one_of(st.none(), VALID_SCV[service])
    else:
        gomaxprocs = st.one_of(st.none(), st.integers(-1, nodes * cores + 2))
        scv = st.one_of(st.none(), any_scv)
    kw = dict(
        policy=draw(st.sampled_from(POLICIES)),
        topology=f"{nodes}x{cores}",
        gomaxprocs=draw(gomaxprocs),
        arrivals=arrivals,
        arrival_path=draw(st.sampled_from(["global", "spawn"])),
        service=service,
        service_mean_ns=draw(
            st.one_of(
                st.sampled_from([1.0, 10_000.0]),
                st.floats(min_value=10.0, max_value=1e6, allow_nan=False),
            )
        ),
        service_scv=draw(scv),
        goroutines=draw(st.integers(1, 300)),
        warmup_fraction=draw(st.sampled_from([0.0, 0.1, 0.5])),
        replications=draw(st.integers(1, 2)),
        costs=draw(st.sampled_from(["zero", "default"])),
        seed=draw(st.integers(0, 2**32)),
        max_live=draw(st.one_of(st.integers(1, 500), st.integers(1, 30))),
        check_invariants=True,
    )
    load = draw(st.floats(min_value=0.05, max_value=1.5, allow_nan=False))
    if arrivals == "burst":
        # a burst takes no load; passing one anyway must be a SpecError
        kw["load"] = None if aim_valid else draw(st.sampled_from([None, load]))
    else:
        kw["load"] = load
    return kw


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(kw=specs())
def test_spec_fails_validation_or_ends_in_documented_way(kw):
    try:
        spec = gmplab.make_spec(**kw)
    except SpecError as e:
        event(f"SpecError: {e.parameter}")
        # validation names the parameter first, and it is one the spec has
        assert str(e).startswith(f"{e.parameter}:"), str(e)
        assert e.parameter.split(".")[0] in set(kw) | {"arrival_rate_per_s"}, e.parameter
        return
    try:
        result = gmplab.simulate(spec)
    except ResourceLimitError as e:
        event("ResourceLimitError")
        assert e.status == "max_live"
        assert spec.max_live < kw["goroutines"], "max_live reached with fewer arrivals than it"
        return
    event("ran to completion")
    n = kw["goroutines"]
    assert len(result.replications) == kw["replications"]
    for rep in result.replications:
        s = rep.summary
        assert s["goroutines_created"] == n
        assert s["goroutines_completed"] == n
        assert s["goroutines_measured"] == n - int(n * kw["warmup_fraction"])
        assert s["max_live_seen"] <= spec.max_live
        if s["goroutines_measured"]:
            assert math.isfinite(s["sojourn_ns_mean"])
            assert s["sojourn_ns_mean"] >= 0
