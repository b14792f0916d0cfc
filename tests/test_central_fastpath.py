"""The central policy's own loop (_kernel/central.py) gives the general kernel's results, bit
for bit, for every run in its domain, and is chosen for exactly those runs."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_calls import assert_same_results

import gmplab
from gmplab import errors
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate, use_central_loop

BASE = dict(policy="central", service_mean_ns=10_000.0, goroutines=6_000, seed=11)

CASES = {
    "mm16 load 0.9": dict(topology="1x16", load=0.9),
    "mm1 load 0.95": dict(topology="1x1", load=0.95),
    "mm3 const service": dict(topology="1x3", load=0.8, service="const"),
    "mm128 two nodes": dict(topology="2x64", load=0.9, goroutines=20_000),
    "lognormal scv 4": dict(topology="1x8", load=0.85, service="lognormal", service_scv=4.0),
    "bimodal": dict(topology="1x4", load=0.7, service="bimodal", service_scv=3.0),
    "pareto": dict(topology="1x4", load=0.6, service="pareto", service_scv=2.0),
    "empirical": dict(topology="1x4", load=0.7, service="empirical", service_data="CSV"),
    "constant gaps": dict(topology="1x8", load=0.9, arrivals="const"),
    "burst": dict(topology="1x8", arrivals="burst", goroutines=3_000),
    "mmpp": dict(
        topology="1x4",
        arrivals="mmpp",
        mmpp_rates_per_s=(100_000.0, 500_000.0),
        mmpp_switch_per_s=(2_000.0, 2_000.0),
    ),
    "rate schedule": dict(
        topology="1x4",
        arrivals="schedule",
        rate_schedule=[(2.0, 150_000.0), (1.0, 450_000.0)],
    ),
    "no warm-up, 2 replications": dict(
        topology="1x4", load=0.9, warmup_fraction=0.0, replications=2
    ),
    "overloaded": dict(topology="1x4", load=1.3, goroutines=4_000),
    "ties (1 ns service)": dict(topology="1x4", load=0.9, service="const", service_mean_ns=1.0),
    "fewer Ps than cores": dict(topology="1x8", gomaxprocs=3, load=0.9),
}


def _run(monkeypatch, general: bool, **kw):
    if general:
        monkeypatch.setenv("GMPLAB_GENERAL_KERNEL", "1")
    else:
        monkeypatch.delenv("GMPLAB_GENERAL_KERNEL", raising=False)
    return gmplab.simulate(**kw)


@pytest.mark.parametrize("case", list(CASES))
def test_same_results_as_the_general_kernel(monkeypatch, tmp_path, case):
    kw = {**BASE, **CASES[case]}
    if kw.get("service_data") == "CSV":
        x = np.random.default_rng(3).lognormal(np.log(8_000.0), 0.8, 2_000)
        path = tmp_path / "svc.csv"
        path.write_text("svc_ns\n" + "\n".join(f"{v:.0f}" for v in x) + "\n")
        kw["service_data"] = f"{path}:svc_ns"
    spec = make_spec(**kw)
    arrays = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    assert use_central_loop(arrays), case
    assert_same_results(_run(monkeypatch, True, **kw), _run(monkeypatch, False, **kw))


def test_max_live_fails_the_same_way(monkeypatch):
    kw = {**BASE, "topology": "1x2", "load": 1.5, "max_live": 50}
    msgs = []
    for general in (True, False):
        with pytest.raises(errors.ResourceLimitError) as e:
            _run(monkeypatch, general, **kw)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_the_ring_grows(monkeypatch):
    # an overload queues far more goroutines than the ring's first 1,024 rows
    kw = {**BASE, "topology": "1x2", "load": 3.0, "goroutines": 20_000}
    assert_same_results(_run(monkeypatch, True, **kw), _run(monkeypatch, False, **kw))


OUTSIDE = {
    "go policy": dict(policy="go"),
    "partitioned": dict(policy="partitioned"),
    "trace": dict(trace_events=100),
    "snapshots": dict(snapshot_ms=0.1),
    "invariant checks": dict(check_invariants=True),
    "Go's latency sampling": dict(latency_sampling="go"),
    "closed loop": dict(arrivals="closed", clients=8, load=None),
    "two CPU phases": dict(program="cpu:exp:5000,cpu:exp:5000"),
    "more Ps than cores": dict(gomaxprocs=8),
    "CPU quota": dict(cpu_quota_ms=200.0),
    "SMT": dict(topology="1x4", smt_factor=0.7),
}


@pytest.mark.parametrize("case", list(OUTSIDE))
def test_runs_outside_its_domain_use_the_general_kernel(case):
    kw = {**BASE, "topology": "1x4", "load": 0.5, **OUTSIDE[case]}
    if kw.get("load") is None:
        kw.pop("load")
    spec = make_spec(**kw)
    arrays = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    assert not use_central_loop(arrays)


def test_the_environment_switch(monkeypatch):
    spec = make_spec(**BASE, topology="1x4", load=0.5)
    arrays = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    monkeypatch.setenv("GMPLAB_GENERAL_KERNEL", "1")
    assert not use_central_loop(arrays)
    monkeypatch.setenv("GMPLAB_GENERAL_KERNEL", "0")
    assert use_central_loop(arrays)
    monkeypatch.delenv("GMPLAB_GENERAL_KERNEL")
    assert use_central_loop(arrays)
    monkeypatch.setenv("GMPLAB_GENERAL_KERNEL", "yes")  # a typo is refused, not read as on
    with pytest.raises(ValueError, match="GMPLAB_GENERAL_KERNEL must be 0 or 1"):
        use_central_loop(arrays)
