"""Go-semantics tests: each drives the kernel's own jitted functions (or the whole kernel) and
shows an outcome that changes when the rule it models is switched off."""

import numpy as np
import pytest
from kernel_calls import find_runnable

import gmplab
from gmplab._kernel import consts as kc
from gmplab._kernel import loop, runq
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate

ALL = kc.RULES_ALL


def state(procs=2, goroutines=512):
    """Fresh kernel arrays for `procs` Ps and room for `goroutines` G rows."""
    spec = make_spec(policy="go", topology=f"1x{procs}", load=0.5, goroutines=10, costs="zero")
    a = _allocate(spec, seed_state(np.random.SeedSequence(7)))
    gt = np.zeros((goroutines, kc.N_GF), dtype=np.int64)
    gt[:, kc.GF_LINK] = -1
    a["gt"] = gt
    return a


def ring(a, p):
    pst, rq = a["pst"], a["runq"]
    h, t = pst[p, kc.PF_HEAD], pst[p, kc.PF_TAIL]
    return [int(rq[p, i & kc.RUNQ_MASK]) for i in range(h, t)]


def global_queue(a):
    out, g = [], a["sched"][kc.S_RUNQ_HEAD]
    while g >= 0:
        out.append(int(g))
        g = a["gt"][g, kc.GF_LINK]
    return out


def put(a, p, g, next_, rules=ALL):
    return runq.runqput(a["sched"], a["gt"], a["pst"], a["runq"], p, g, next_, rules)


# --- runqput / runnext ------------------------------------------------------------------------
def test_runnext_kicks_previous_to_tail():
    a = state()
    put(a, 0, 1, True)
    put(a, 0, 2, True)
    assert a["pst"][0, kc.PF_RUNNEXT] == 2 and ring(a, 0) == [1]
    g, inherit = runq.runqget(a["pst"], a["runq"], 0, ALL)
    assert (g, inherit) == (2, True)  # runnext first, inheriting the time slice
    g, inherit = runq.runqget(a["pst"], a["runq"], 0, ALL)
    assert (g, inherit) == (1, False)


def test_runnext_rule_off_is_plain_fifo():
    a = state()
    off = ALL & ~kc.RULE_RUNNEXT
    put(a, 0, 1, True, off)
    put(a, 0, 2, True, off)
    assert a["pst"][0, kc.PF_RUNNEXT] == -1 and ring(a, 0) == [1, 2]


def test_overflow_moves_129_to_global():
    a = state()
    for g in range(256):
        assert put(a, 0, g, False) == 0
    moved = put(a, 0, 256, False)
    assert moved == 129
    assert ring(a, 0) == list(range(128, 256))
    assert global_queue(a) == list(range(128)) + [256]  # oldest half from the head, then g
    assert a["sched"][kc.S_RUNQ_SIZE] == 129


def test_overflow_rule_off_moves_only_one():
    a = state()
    off = ALL & ~kc.RULE_OVERFLOW_HALF
    for g in range(256):
        put(a, 0, g, False, off)
    assert put(a, 0, 256, False, off) == 1
    assert len(ring(a, 0)) == 256 and global_queue(a) == [256]


# --- global queue batch -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size,procs,expected",
    [(1000, 4, 128), (100, 4, 26), (3, 1, 3), (10, 16, 1), (0, 4, 0), (300, 1, 128), (5, 2, 3)],
)
def test_batch_size_formula(size, procs, expected):
    assert runq.glob_batch_size(size, procs, ALL) == expected  # min(128, size, size/P + 1)


def test_batch_rule_off_takes_one():
    assert runq.glob_batch_size(1000, 4, ALL & ~kc.RULE_BATCH_FORMULA) == 1


def test_globrunqgetbatch_fills_local_ring():
    a = state(procs=4)
    for g in range(100):
        runq.globrunqput(a["sched"], a["gt"], g)
    g, n = runq.globrunqgetbatch(a["sched"], a["gt"], a["pst"], a["runq"], 0, 4, ALL)
    assert (g, n) == (0, 26)
    assert ring(a, 0) == list(range(1, 26))
    assert a["sched"][kc.S_RUNQ_SIZE] == 74


# --- stealing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n,taken", [(1, 1), (2, 1), (7, 4), (8, 4), (256, 128)])
def test_steal_takes_ceil_half_from_head(n, taken):
    a = state()
    for g in range(n):
        put(a, 1, g, False)
    g, got = runq.runqsteal(a["pst"], a["runq"], 0, 1, ALL)
    assert got == taken
    assert g == taken - 1  # the last grabbed runs; the rest wait on the thief's ring
    assert ring(a, 0) == list(range(taken - 1))
    assert ring(a, 1) == list(range(taken, n))


def test_steal_rule_off_takes_one():
    a = state()
    for g in range(7):
        put(a, 1, g, False)
    g, got = runq.runqsteal(a["pst"], a["runq"], 0, 1, ALL & ~kc.RULE_STEAL_HALF)
    assert (g, got) == (0, 1)


def test_spinning_cap():
    a = state(procs=8)
    sched = a["sched"]
    sched[kc.S_NPIDLE] = 2  # 6 busy Ps: at most 2 more spinning Ms while 2*n < 6
    sched[kc.S_NMSPINNING] = 3
    assert not runq.may_spin(sched, 8, False, ALL)
    assert runq.may_spin(sched, 8, True, ALL)  # an M already spinning keeps going
    assert runq.may_spin(sched, 8, False, ALL & ~kc.RULE_SPIN_CAP)
    sched[kc.S_NMSPINNING] = 2
    assert runq.may_spin(sched, 8, False, ALL)


# --- findRunnable: the 1-in-61 fairness check -------------------------------------------------
def ticks_until_global_runs(rules, limit=400):
    """Two Gs re-queue each other through P0's ring while one G waits on the global queue."""
    a = state(procs=2)
    pst, sched = a["pst"], a["sched"]
    pst[0, kc.PF_PHASE] = kc.PH_RUN
    sched[kc.S_NPIDLE] = 1  # P1 idle on pidle, P0 running
    a["pidle"][0] = 1
    pst[0, kc.PF_SCHEDTICK] = 1
    put(a, 0, 1, False, rules)
    put(a, 0, 2, False, rules)
    runq.globrunqput(sched, a["gt"], 99)
    for tick in range(1, limit):
        iparams = np.where(np.arange(kc.N_IPARAMS) == kc.I_RULES, rules, a["iparams"])
        out, g, inherit, _ = find_runnable(a, 0, 0, iparams=iparams)
        assert out == loop.FOUND
        if g == 99:
            return tick
        if not inherit:
            pst[0, kc.PF_SCHEDTICK] += 1  # execute()
        put(a, 0, g, False, rules)  # goyield: back to the local tail
    return None


def test_global_queue_not_starved_beyond_61_schedticks():
    assert ticks_until_global_runs(ALL) <= 61


def test_global_queue_starved_without_the_61_check():
    assert ticks_until_global_runs(ALL & ~kc.RULE_GLOBAL_CHECK_61) is None


# --- sysmon preemption --------------------------------------------------------------------------
def hog_run(rules_off=()):
    return gmplab.simulate(
        policy="go",
        topology="1x1",
        arrivals="burst",
        goroutines=2,
        warmup_fraction=0.0,
        service="const",
        service_mean_ns=100_000_000,
        costs="default",
        seed=1,
        check_invariants=True,
        rules_off=rules_off,
    ).summary


def test_preemption_between_10_and_20_ms_after_slice_start():
    s = hog_run()
    assert s["preemptions"] >= 5
    async_ns = gmplab.Costs.resolve("default")["async_preempt_ns"]
    # forcePreemptNS = 10 ms, seen by sysmon within one period (at most 10 ms once backed off)
    assert 10_000_000 + async_ns <= s["preempt_slice_ns_min"]
    assert s["preempt_slice_ns_max"] <= 20_000_000 + async_ns
    # both goroutines took turns through the global queue and finished
    assert s["goroutines_completed"] == 2
    assert s["global_runq_puts"] >= 2 + s["preemptions"]


def test_no_preemption_when_sysmon_rule_off():
    s = hog_run(("sysmon_preempt",))
    assert s["preemptions"] == 0
    assert s["sojourn_ns_p99"] >= 190_000_000  # the second G waited for the whole first one


def runnext_chain(rules_off=()):
    """GOMAXPROCS=1, a listener spawning faster than service: every pick is runnext."""
    return gmplab.simulate(
        policy="go",
        topology="1x1",
        arrivals="const",
        arrival_path="spawn",
        arrival_rate_per_s=1e6,
        service="const",
        service_mean_ns=1500,
        goroutines=40_000,
        warmup_fraction=0.0,
        costs="zero",
        seed=2,
        check_invariants=True,
        rules_off=rules_off,
    ).summary


def test_runnext_chain_is_cut_by_preemption():
    s = runnext_chain()
    assert s["runnext_hits"] > 10_000
    assert s["preemptions"] >= 1  # the chain shares one schedtick, so sysmon cuts it
    # the first cut comes 10 to 20 ms into the chain's shared slice; while runnext keeps
    # refilling, the schedtick never changes and sysmon cuts again on later ticks
    assert 10_000_000 <= s["preempt_slice_ns_min"] <= 20_000_000


def test_runnext_chain_not_cut_when_runnext_does_not_inherit():
    s = runnext_chain(("runnext_inherit",))
    assert s["preemptions"] == 0


def test_steals_and_runnext_under_zero_costs():
    base = dict(
        policy="go",
        topology="1x16",
        load=0.9,
        goroutines=30_000,
        costs="zero",
        seed=3,
        check_invariants=True,
    )
    assert gmplab.simulate(**base).summary["steals"] > 0
    assert gmplab.simulate(**base, arrival_path="spawn").summary["runnext_hits"] > 0


def test_spinning_rule_off_changes_outcome():
    base = dict(
        policy="go",
        topology="1x8",
        load=0.7,
        goroutines=20_000,
        costs="default",
        arrival_path="spawn",
        seed=4,
    )
    on = gmplab.simulate(**base, check_invariants=True).summary
    off = gmplab.simulate(**base, rules_off=("spinning",)).summary
    assert on["spinning_becomes"] > 0 and off["spinning_becomes"] == 0
    assert on["sojourn_ns_mean"] < off["sojourn_ns_mean"]
