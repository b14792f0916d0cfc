"""The kernel's two builds (gmplab/kernel_builds.py): the plain build, with the optional models
compiled out, gives the full build's results bit for bit for every run it takes, and takes
exactly the runs that use none of those models."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from kernel_calls import assert_same_results

import gmplab
from gmplab import errors, kernel_builds
from gmplab._kernel import consts as kc
from gmplab._kernel.loop import run_kernel
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate, kernel_for

BASE = dict(topology="1x4", load=0.8, goroutines=6_000, seed=5)

# runs the plain build takes: every model that is not optional, and the run's own options
PLAIN_CASES = {
    "go, default costs": dict(policy="go", topology="2x4", load=0.85, snapshot_ms=0.5),
    "go, spawn path, zero costs": dict(policy="go", arrival_path="spawn", costs="zero"),
    "go, invariants checked, trace": dict(policy="go", check_invariants=True, trace_events=500),
    "global": dict(policy="global", arrival_path="spawn"),
    "partitioned": dict(policy="partitioned"),
    "central outside its own loop": dict(policy="central", snapshot_ms=0.5),
    "syscalls": dict(program="cpu:exp:3000,syscall:exp:20000,cpu:exp:3000", load=0.6),
    "netpoller": dict(
        program="cpu:exp:3000,netwait:exp:50000,cpu:exp:3000", arrival_path="netpoll", load=0.6
    ),
    "timers": dict(program="cpu:exp:3000,sleep:exp:50000,cpu:exp:3000", load=0.6),
    "fork": dict(
        program=[dict(kind="fork", count=40, children=[dict(kind="cpu", mean_ns=1000)])],
        goroutines=1_000,
    ),
    "hogs and pairs": dict(hogs=2, pairs=2, load=0.6),
    "closed loop": dict(arrivals="closed", clients=64, load=None),
    "segmented global queue": dict(topology="1x8", globrunq="segmented", arrival_path="spawn"),
    "pareto, 16 Ps": dict(topology="1x16", load=0.95, service="pareto", service_scv=4.0),
    "overloaded, table grows": dict(load=1.4, goroutines=12_000),
}

# runs that use an optional model: the full build takes them
FULL_CASES = {
    "gc": dict(gc=True, alloc_bytes_per_cpu_us=4000.0, live_heap_mib=8),
    "mechanisms": dict(mechanisms=["deterministic-steal"]),
    "gomaxprocs / cpu_quota_ms (the OS layer)": dict(topology="1x2", gomaxprocs=4, load=0.6),
    "latency_sampling": dict(latency_sampling="go"),
}


def _arrays(**kw):
    spec = make_spec(**{"policy": "go", **BASE, **kw})
    return _allocate(spec, seed_state(np.random.SeedSequence(0)))


def _run(monkeypatch, plain: bool, **kw):
    monkeypatch.setenv("GMPLAB_PLAIN_BUILD", "1" if plain else "0")
    return gmplab.simulate(**{"policy": "go", **BASE, **kw})


@pytest.mark.parametrize("case", list(PLAIN_CASES))
def test_the_plain_build_gives_the_full_builds_results(monkeypatch, case):
    kw = PLAIN_CASES[case]
    monkeypatch.delenv("GMPLAB_PLAIN_BUILD", raising=False)
    assert kernel_for(_arrays(**kw)) is kernel_builds.plain_loop().run_kernel
    assert_same_results(_run(monkeypatch, True, **kw), _run(monkeypatch, False, **kw))


def test_the_plain_build_fails_as_the_full_build_does(monkeypatch):
    kw = dict(load=2.0, goroutines=20_000, max_live=3_000)
    messages = []
    for plain in (False, True):
        with pytest.raises(errors.ResourceLimitError) as e:
            _run(monkeypatch, plain, **kw)
        messages.append(str(e.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("case", list(FULL_CASES))
def test_runs_that_use_an_optional_model_go_to_the_full_build(monkeypatch, case):
    monkeypatch.delenv("GMPLAB_PLAIN_BUILD", raising=False)
    arrays = _arrays(**FULL_CASES[case])
    assert kernel_builds.optional_models_used(arrays) == [case]
    assert kernel_for(arrays) is run_kernel


def test_the_switch(monkeypatch):
    monkeypatch.setenv("GMPLAB_PLAIN_BUILD", "0")
    assert kernel_for(_arrays()) is run_kernel
    monkeypatch.setenv("GMPLAB_PLAIN_BUILD", "yes")
    with pytest.raises(ValueError, match="GMPLAB_PLAIN_BUILD"):
        kernel_for(_arrays())


def test_the_two_builds_are_different_compilations_of_the_same_files():
    loop = kernel_builds.plain_loop()
    assert loop.FEATURES is False and kc.FEATURES is True
    assert loop.__file__ == sys.modules[run_kernel.py_func.__module__].__file__
    assert loop.run_kernel is not run_kernel
    # each keeps its own numba cache: a shared one would hand one build the other's code
    plain_dir = kernel_builds.plain_cache_dir()
    assert str(plain_dir) in loop.run_kernel._cache._cache_path
    assert str(plain_dir) not in run_kernel._cache._cache_path


def test_a_fresh_process_loads_both_builds():
    code = (
        "import gmplab, sys; gmplab.simulate(policy='go', topology='1x2', load=0.5, "
        "goroutines=500); print('gmplab._kernel_plain.loop' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_an_unwritable_plain_cache_leaves_every_run_to_the_full_build(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # numba itself falls back to the in-tree cache for the full build; the plain build may not
    env = {**os.environ, "NUMBA_CACHE_DIR": str(blocker / "cache")}
    env.pop("GMPLAB_PLAIN_BUILD", None)
    code = (
        "import gmplab, sys; r = gmplab.simulate(policy='go', topology='1x2', load=0.5, "
        "goroutines=500); print('gmplab._kernel_plain.loop' in sys.modules, "
        "r.summary['goroutines_completed'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["False", "500"]
    assert "the plain kernel build is off in this process" in out.stderr
