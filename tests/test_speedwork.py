"""The performance issue's changes keep every result: replications on threads (the plain kernel
build has its own tests in test_kernel_builds.py)."""

from __future__ import annotations

import pytest
from kernel_calls import assert_same_results

import gmplab
from gmplab import errors
from gmplab.simulate import replication_threads


@pytest.mark.parametrize("policy", ["go", "central"])
def test_replications_on_threads_give_the_serial_results(monkeypatch, policy):
    kw = dict(policy=policy, topology="1x4", load=0.8, goroutines=20_000, seed=21, replications=3)
    monkeypatch.setenv("GMPLAB_THREADS", "1")
    serial = gmplab.simulate(**kw)
    monkeypatch.setenv("GMPLAB_THREADS", "3")
    threaded = gmplab.simulate(**kw)
    assert_same_results(serial, threaded)
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
