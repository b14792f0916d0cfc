"""The performance issue's changes keep every result: replications on threads, the build with
the optional models compiled out refusing runs that need them."""

from __future__ import annotations

import numpy as np
import pytest

import gmplab
from gmplab import errors
from gmplab._kernel import consts as kc
from gmplab.simulate import replication_threads


def _numbers(result):
    return [
        (r.counters, {k: v.tolist() for k, v in r.hists.items()}, r.final_schedticks.tolist())
        for r in result.replications
    ]


@pytest.mark.parametrize("policy", ["go", "central"])
def test_replications_on_threads_give_the_serial_results(monkeypatch, policy):
    kw = dict(policy=policy, topology="1x4", load=0.8, goroutines=20_000, seed=21, replications=3)
    monkeypatch.setenv("GMPLAB_THREADS", "1")
    serial = gmplab.simulate(**kw)
    monkeypatch.setenv("GMPLAB_THREADS", "3")
    threaded = gmplab.simulate(**kw)
    assert _numbers(serial) == _numbers(threaded)
    assert [r.replication for r in threaded.replications] == [0, 1, 2]


def test_thread_count(monkeypatch):
    monkeypatch.setenv("GMPLAB_THREADS", "8")
    assert replication_threads(3) == 3
    assert replication_threads(1) == 1
    monkeypatch.setenv("GMPLAB_THREADS", "1")
    assert replication_threads(5) == 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("GMPLAB_THREADS", bad)
        with pytest.raises(ValueError, match="GMPLAB_THREADS"):
            replication_threads(2)


def test_a_failing_replication_raises_on_threads(monkeypatch):
    monkeypatch.setenv("GMPLAB_THREADS", "2")
    with pytest.raises(errors.ResourceLimitError, match="max_live"):
        gmplab.simulate(topology="1x2", load=2.0, goroutines=20_000, max_live=500, replications=2)


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(gc=True), "gc"),
        (dict(mechanisms=["deterministic-steal"]), "mechanisms"),
        (dict(topology="1x2", gomaxprocs=4), "gomaxprocs / cpu_quota_ms (the OS layer)"),
        (dict(latency_sampling="go"), "latency_sampling"),
    ],
)
def test_a_build_without_the_optional_models_refuses_runs_that_need_them(monkeypatch, kw, name):
    # the refusal is checked in Python before the kernel runs, so the flag alone shows it
    monkeypatch.setattr(kc, "FEATURES", False)
    base = dict(policy="go", topology="1x4", load=0.5, goroutines=1_000)
    with pytest.raises(errors.SpecError) as e:
        gmplab.simulate(**{**base, **kw})
    assert e.value.parameter == name
    assert "GMPLAB_KERNEL_FEATURES=0" in str(e.value)
    # a plain run is not refused
    assert np.isfinite(gmplab.simulate(**base).summary["sojourn_ns_p99"])
