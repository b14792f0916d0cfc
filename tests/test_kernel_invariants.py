"""Invariants, determinism, snapshot identities and a hand-computed GOMAXPROCS=2 trace."""

import json
import resource
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

import gmplab
from gmplab._kernel import consts as kc
from gmplab._kernel import loop, runq
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate

POLICIES = ["go", "global", "central", "partitioned"]


def small(policy="go", **kw):
    args = dict(
        policy=policy,
        topology="2x4",
        load=0.8,
        goroutines=5_000,
        costs="default",
        seed=11,
        check_invariants=True,
    )
    args.update(kw)
    return gmplab.simulate(**args)


@pytest.mark.parametrize("policy", POLICIES)
def test_every_goroutine_completes_exactly_once(policy):
    r = small(policy)
    c = r.replications[0].counters
    n = 5_000
    assert c["goroutines_completed"] == c["goroutines_created"] == n
    assert c["completed_seq_sum"] == n * (n - 1) // 2
    assert c["goroutines_measured"] == n - int(n * 0.1)


@pytest.mark.parametrize("policy", POLICIES)
def test_same_seed_same_result_other_seed_differs(policy):
    def strip(r):
        d = json.loads(r.to_json())
        d.pop("wall_s")
        d.pop("total_s")
        return d

    a, b, c = small(policy), small(policy), small(policy, seed=12)
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


@pytest.mark.parametrize(
    "kw",
    [
        dict(service="pareto", service_scv=4.0),
        dict(service="bimodal", service_scv=2.25, arrival_path="spawn"),
        dict(service="lognormal", service_scv=0.5, arrivals="const"),
        dict(arrivals="burst", load=None, goroutines=3_000),
        dict(topology="1x1", load=0.95),
        dict(topology="4x8", gomaxprocs=20, load=0.99),
    ],
)
def test_invariants_hold_across_workloads(kw):
    r = small("go", **kw)  # check_invariants=True: any violation raises KernelError
    assert r.summary["goroutines_completed"] == r.spec.workload.goroutines


def test_check_invariants_detects_violations():
    spec = make_spec(policy="go", topology="1x4", load=0.5, goroutines=10)
    a = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    args = (a["sched"], a["gt"], a["pst"], a["runq"], a["pidle"], a["iparams"])
    assert loop.check_invariants(*args) == 0
    # an idle P holding work, with no spinning M and no wake-up: Go's obligation broken
    a["gt"] = np.zeros((8, kc.N_GF), dtype=np.int64)
    args = (a["sched"], a["gt"], a["pst"], a["runq"], a["pidle"], a["iparams"])
    runq.globrunqput(a["sched"], a["gt"], 0)
    a["sched"][kc.S_LIVE] = 1
    assert loop.check_invariants(*args) == 7
    a["sched"][kc.S_WAKES] = 1  # a wake-up in flight discharges the obligation
    assert loop.check_invariants(*args) == 0
    a["sched"][kc.S_NMSPINNING] = 1  # ... but a spinning count with no spinning M is wrong
    assert loop.check_invariants(*args) == 4
    a["sched"][kc.S_NMSPINNING] = 0
    a["pst"][2, kc.PF_RUNNEXT] = 5  # idle P with a runnext
    assert loop.check_invariants(*args) == 2


def test_snapshot_identities_and_schedticks():
    r = gmplab.simulate(
        policy="go",
        topology="1x8",
        load=0.9,
        goroutines=40_000,
        costs="default",
        arrival_path="spawn",
        seed=5,
        snapshot_ms=0.05,
        check_invariants=True,
    )
    snaps = r.snapshots()
    procs = r.snapshot_procs()
    assert snaps.height > 50
    per = procs.group_by("snapshot").agg(
        ring=pl.col("runq_len").sum(),
        runnext=pl.col("runnext").sum(),
        running_ms=((pl.col("status") == 1) & (pl.col("spinning") == 0)).sum(),
        spinning=pl.col("spinning").sum(),
    )
    df = snaps.join(per, on="snapshot")
    # threads = running + spinning + idle Ms + sysmon
    assert (df["threads"] == df["running_ms"] + df["spinningthreads"] + df["idlethreads"] + 1).all()
    assert (df["spinning"] == df["spinningthreads"]).all()
    # rings + runnext + global queue = runnable goroutines
    queued = df["ring"] + df["runnext"] + df["runqueue"]
    assert (queued == df["runnable"]).all()
    assert (queued == df["live"] - df["running"] - df["inhand"] - df["blocked"]).all()
    # schedticks count executions that did not inherit a time slice
    c = r.replications[0].counters
    executions = c["goroutines_completed"] + c["preemptions"]
    assert r.replications[0].final_schedticks.sum() == executions - c["runnext_hits"]
    # schedticks never decrease, per P
    ticks = (
        procs.sort(["p", "snapshot"])
        .group_by("p")
        .agg(ok=(pl.col("schedtick").diff().fill_null(0) >= 0).all())
    )
    assert ticks["ok"].all()


def test_hand_computed_gomaxprocs_2_trace(hand_kw):
    """Burst of 3 Gs of 2 ms each on 2 Ps, zero costs, a snapshot every 1 ms.

    t=0: snapshot (all idle); G0 -> global, startIdle wakes M0 on P0; P0 takes G0 through the
    schedtick%61==0 check; G1 -> global, no idle M so newm (M2) on P1, which takes G1; G2 ->
    global, no idle P: needspinning=1. t=2ms: P0 finishes first and takes G2 from the global
    queue (batch min(128, 1, 1/2+1) = 1); P1 finishes, spins, finds nothing, parks (its
    becomeSpinning cleared needspinning); the 2 ms snapshot comes before P0's execute(G2).
    t=3ms: P0 has executed G2 (schedtick 2). t=4ms: P0 finishes: the run ends.
    """
    r = gmplab.simulate(**hand_kw, snapshot_ms=1.0)
    snaps = r.snapshots()
    procs = r.snapshot_procs()
    cols = [
        "time_ns",
        "idleprocs",
        "threads",
        "spinningthreads",
        "needspinning",
        "idlethreads",
        "runqueue",
    ]
    got = [tuple(row) for row in snaps.select(cols).iter_rows()]
    assert got == [
        (0, 2, 2, 0, 0, 1, 0),
        (1_000_000, 0, 3, 0, 1, 0, 1),
        (2_000_000, 1, 3, 0, 0, 1, 0),
        (3_000_000, 1, 3, 0, 0, 1, 0),
    ]
    ticks = (
        procs.sort(["snapshot", "p"])
        .group_by("snapshot", maintain_order=True)
        .agg(pl.col("schedtick"), pl.col("runq_len"), pl.col("status"))
    )
    assert ticks["schedtick"].to_list() == [[0, 0], [1, 1], [1, 1], [2, 1]]
    assert ticks["runq_len"].to_list() == [[0, 0]] * 4
    assert ticks["status"].to_list() == [[0, 0], [1, 1], [1, 0], [1, 0]]
    s = r.summary
    assert s["global_check_61_hits"] == 2 and s["global_runq_puts"] == 3
    assert s["sojourn_ns_p99"] == pytest.approx(4_000_000, rel=0.004)


def test_snapshot_capacity_counts_drops():
    r = gmplab.simulate(
        policy="go",
        topology="1x2",
        load=0.5,
        goroutines=2_000,
        costs="zero",
        seed=1,
        snapshot_ms=1e-5,
    )
    s = r.summary
    assert s["snapshots"] > 0
    assert s["snapshots"] + s["snapshots_dropped"] >= 1


_RSS_SCRIPT = """
import resource, sys, gmplab
n = int(sys.argv[1])
gmplab.simulate(policy="go", topology="1x4", load=0.9, goroutines=n, costs="default", seed=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_memory_is_o_live_not_o_goroutines():
    def peak(n):
        out = subprocess.run(
            [sys.executable, "-c", _RSS_SCRIPT, str(n)], capture_output=True, text=True, check=True
        )
        return int(out.stdout.strip().splitlines()[-1])

    small_kib, big_kib = peak(1_000_000), peak(10_000_000)
    assert big_kib <= 1.10 * small_kib, (small_kib, big_kib)
    assert resource.RUSAGE_SELF is not None


def test_event_trace_of_the_hand_computed_run(hand_kw):
    kw = hand_kw
    traced = gmplab.simulate(**kw, trace_events=100)
    ev = traced.events()
    got = [tuple(r) for r in ev.select("time_ns", "event", "p", "m", "g").iter_rows()]
    ms = 1_000_000
    assert got == [
        (0, "arrive", -1, -1, 0),
        (0, "wake", 0, 0, -1),
        (0, "arrive", -1, -1, 1),
        (0, "exec", 0, 0, 0),
        (0, "wake", 1, 2, -1),
        (0, "arrive", -1, -1, 2),
        (0, "exec", 1, 2, 1),
        (2 * ms, "done", 0, 0, 0),
        (2 * ms, "done", 1, 2, 1),
        (2 * ms, "park", 1, 2, -1),
        (2 * ms, "exec", 0, 0, 2),
        (4 * ms, "done", 0, 0, 2),
        (4 * ms, "park", 0, 0, -1),
    ]
    # tracing changes no result
    plain = gmplab.simulate(**kw)
    a, b = json.loads(traced.to_json()), json.loads(plain.to_json())
    for d in (a, b):
        d.pop("wall_s"), d.pop("total_s"), d["spec"].pop("trace_events")
    assert a == b
