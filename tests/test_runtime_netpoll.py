"""The netpoller (issue: Go runtime): netpoll(0) in findRunnable, the M blocked in netpoll,
sysmon's 10 ms poll, injectglist's placement, and the netpoll / random-p arrival paths."""

import numpy as np
import pytest

import gmplab
from gmplab._kernel import consts as kc
from gmplab._kernel import loop
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate


def run(**kw):
    args = dict(policy="go", costs="default", seed=1, check_invariants=True)
    args.update(kw)
    return gmplab.simulate(**args).summary


def test_findRunnable_polls_the_network_before_stealing():
    base = dict(topology="1x8", load=0.9, goroutines=20_000, arrival_path="netpoll")
    on, off = run(**base), run(**base, rules_off=("netpoll_find",))
    assert on["netpoll_calls"] > 0 and off["netpoll_calls"] == 0
    assert on["sojourn_ns_mean"] < off["sojourn_ns_mean"]


def test_netpoll_blocking_m_wakes_when_the_fd_is_ready():
    base = dict(
        topology="1x2",
        arrivals="burst",
        goroutines=1,
        warmup_fraction=0.0,
        program="cpu:const:1000,netwait:const:1000000,cpu:const:1000",
    )
    on = run(**base)
    assert on["netpoll_blocking_wakes"] == 1
    assert 1_000_000 < on["sojourn_ns_p99"] < 1_100_000  # the 1 ms wait plus wake-ups
    # without a blocking poller nobody polls until sysmon, which backs off to 10 ms
    off = run(**base, rules_off=("netpoll_block",))
    assert off["netpoll_blocking_wakes"] == 0 and off["netpoll_sysmon"] >= 1
    assert off["sojourn_ns_p99"] > 10_000_000


def test_sysmon_polls_when_nobody_has_for_10ms():
    # GOMAXPROCS 1: after the netwaits, one goroutine's 30 ms burst holds the P; the other's
    # readiness is noticed by sysmon's poll (10 ms), not when the burst ends
    base = dict(
        topology="1x1",
        arrivals="burst",
        goroutines=2,
        warmup_fraction=0.0,
        program="cpu:const:1000,netwait:const:100000,cpu:const:30000000",
    )
    on, off = run(**base), run(**base, rules_off=("sysmon_netpoll",))
    assert on["netpoll_sysmon"] >= 1 and off["netpoll_sysmon"] == 0
    assert on["goroutines_completed"] == off["goroutines_completed"] == 2


def injectglist_state(npidle):
    spec = make_spec(policy="go", topology="1x4", load=0.5, goroutines=10, arrival_path="netpoll")
    a = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    a["sched"][kc.S_SEQ] = len(a["act_seq"])
    a["gt"] = np.zeros((16, kc.N_GF), dtype=np.int64)
    for g in range(5):  # a list of 5 Gs through schedlink
        a["gt"][g, kc.GF_LINK] = g + 1 if g < 4 else -1
    a["pst"][:, kc.PF_PHASE] = kc.PH_RUN
    a["sched"][kc.S_NPIDLE] = npidle
    for i in range(npidle):
        p = 3 - i
        a["pidle"][i] = p
        a["pst"][p, kc.PF_PHASE] = kc.PH_IDLE
    return a


def call_injectglist(a, p):
    return loop.injectglist(
        a["sched"],
        a["gt"],
        a["pst"],
        a["runq"],
        a["pidle"],
        a["midle"],
        a["counters"],
        a["costs"],
        a["iparams"],
        a["hp"],
        0,
        5,
        p,
        1000,
    )


def test_injectglist_with_a_p_one_global_per_idle_p_rest_local():
    a = injectglist_state(npidle=2)
    call_injectglist(a, 0)
    assert a["sched"][kc.S_RUNQ_SIZE] == 2  # one per idle P, each P started with an M
    assert a["pst"][0, kc.PF_TAIL] - a["pst"][0, kc.PF_HEAD] == 3
    assert (a["pst"][[2, 3], kc.PF_PHASE] == kc.PH_WAKE).all()


def test_injectglist_without_a_p_all_global_and_startidle():
    a = injectglist_state(npidle=2)
    call_injectglist(a, -1)
    assert a["sched"][kc.S_RUNQ_SIZE] == 5
    assert (a["pst"][[2, 3], kc.PF_PHASE] == kc.PH_WAKE).all()
    assert a["sched"][kc.S_NEEDSPINNING] == 1  # startIdle ran out of idle Ps


@pytest.mark.parametrize("path", ["netpoll", "random-p"])
def test_arrival_paths_keep_invariants(path):
    s = run(topology="2x4", load=0.8, goroutines=20_000, arrival_path=path, snapshot_ms=0.2)
    assert s["goroutines_completed"] == 20_000
    if path == "netpoll":
        assert s["netpoll_ready"] == 20_000


def test_netwait_programs_keep_invariants():
    s = run(
        topology="1x4",
        load=0.5,
        goroutines=10_000,
        program="cpu:exp:3000,netwait:exp:20000,cpu:exp:3000,syscall:exp:5000,cpu:exp:1000",
    )
    assert s["netpoll_ready"] == 10_000 and s["syscalls"] == 10_000
