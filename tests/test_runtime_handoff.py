"""Channel hand-offs, resident hogs and pairs, and the go_version switches (issue: Go runtime).

A pair member runs a burst, then goready()s its partner into this P's runnext and gopark()s
until the partner hands the ball back. Go 1.5 added runnext and time-slice inheritance for
exactly this pattern (commit e870f06); before it, a readied G queued at the ring's tail.
"""

import kernel_calls
import pytest

import gmplab
from gmplab._kernel import consts as kc
from gmplab.errors import SpecError

# GOMAXPROCS 1: one CPU hog beside one ping-pong pair (1 us per turn); a light probe stream
# (1 us goroutines, 1000/s) sets the run's length
PINGPONG = dict(
    policy="go",
    topology="1x1",
    arrival_rate_per_s=1_000,
    goroutines=300,
    service="const",
    service_mean_ns=1_000,
    hogs=1,
    pairs=1,
    seed=2,
    check_invariants=True,
)


def run(**kw):
    return kernel_calls.simulate_with(PINGPONG, **kw).summary


def test_goready_into_runnext_lets_a_pair_share_the_cpu_with_a_hog_go_1_27_vs_1_4():
    new, old = run(go_version="1.27"), run(go_version="1.4")
    # 1.27: the pair's hand-offs chain through runnext inside one time slice, so pair and hog
    # alternate 10-20 ms slices
    assert 0.35 < new["cpu_share_hogs"] < 0.65
    assert new["cpu_share_pairs"] > 0.3
    # 1.4 (no runnext): each readied partner queues behind the hog; the pair gets a turn only
    # at the 61st schedtick's look at the global queue, where the preempted hog waits
    assert old["cpu_share_hogs"] > 0.85
    assert old["cpu_share_pairs"] < 0.15
    assert new["handoff_rate_per_s"] > 4 * old["handoff_rate_per_s"]


def test_ready_rule_off_queues_the_partner_at_the_tail():
    on = run()
    off = run(rules_off=("ready_runnext",))
    assert off["cpu_share_pairs"] < 0.5 * on["cpu_share_pairs"]


def test_runnext_inherit_rule_off_gives_each_hand_off_a_new_slice():
    # without inheritance every hand-off is a new schedtick: sysmon never sees a 10 ms slice,
    # so the chain is never preempted, and the hog waits for the 61-tick check instead
    on = run()
    off = run(rules_off=("runnext_inherit",))
    assert on["preemptions"] > 0
    assert off["global_check_61_hits"] > on["global_check_61_hits"]
    assert off["cpu_share_hogs"] != on["cpu_share_hogs"]


def test_a_pair_asked_to_stop_is_preempted_at_its_hand_off():
    # 1 us bursts end long before the 5 us preemption signal lands; the stack check in the
    # channel operation stops the chain instead (cooperative preemption), so it is cut
    s = run()
    assert s["preemptions"] > 0 and s["cpu_share_hogs"] > 0.35


def test_handoff_latency_is_the_switch_when_the_partner_runs_next():
    s = run(hogs=0)
    # alone on the P, each partner runs right after the hand-off: a switch, nothing queued
    assert s["handoff_latency_ns_p50"] <= 2 * gmplab.params.DEFAULT_COSTS_NS["gosched_switch_ns"]
    assert s["cpu_share_pairs"] > 0.7


# --- versions -------------------------------------------------------------------------------
def test_version_rules_table():
    vr = kc.version_rules
    assert not vr(104) & kc.RULE_RUNNEXT and vr(105) & kc.RULE_RUNNEXT
    assert not vr(104) & kc.RULE_RUNNEXT_INHERIT and vr(105) & kc.RULE_RUNNEXT_INHERIT
    assert not vr(113) & kc.RULE_CHECK_TIMERS and vr(114) & kc.RULE_CHECK_TIMERS
    assert vr(115) & kc.RULE_SYSMON_TIMERS and not vr(116) & kc.RULE_SYSMON_TIMERS
    assert not vr(115) & kc.RULE_TIMER_WAKEP and vr(116) & kc.RULE_TIMER_WAKEP
    assert not vr(121) & kc.RULE_SPIN_GLOBAL_RECHECK and vr(122) & kc.RULE_SPIN_GLOBAL_RECHECK
    assert vr(127) == kc.RULES_ALL & ~kc.RULE_SYSMON_TIMERS


def test_findRunnable_rechecks_the_global_queue_after_spinning_from_go_1_22():
    # the recheck closes a race between dropping nmspinning and a concurrent globrunqput; in
    # this model each step is atomic, so what it changes is one more sched.lock acquisition
    # by every spinning M that gives up
    base = dict(policy="go", topology="1x8", load=0.5, goroutines=5_000, seed=3)
    a = gmplab.simulate(go_version="1.21", **base).summary
    b = gmplab.simulate(go_version="1.22", **base).summary
    assert b["lock_acquisitions"] > a["lock_acquisitions"]


@pytest.mark.parametrize("bad", ["1.3", "1.28", "2.0", "1.x"])
def test_go_version_outside_the_modelled_releases_is_refused(bad):
    with pytest.raises(SpecError, match="go_version"):
        gmplab.params.make_spec(load=0.5, go_version=bad)


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(hogs=-1), "hogs"),
        (dict(pairs=1.5), "pairs"),
        (dict(hogs=1, policy="central"), "hogs"),
        (dict(pairs=1, pair_mean_ns=0), "pair_mean_ns"),
        (dict(hogs=3, max_live=3), "max_live"),
        (
            dict(program="cpu:const:1000,sleep:const:1000", rules_off=("netpoll_block",)),
            "rules_off",
        ),
    ],
)
def test_bad_resident_and_timer_specs_name_the_field(kw, field):
    with pytest.raises(SpecError, match=field):
        gmplab.params.make_spec(load=0.5, **kw)


# --- every feature at once --------------------------------------------------------------------
@pytest.mark.parametrize("version", ["1.4", "1.13", "1.15", "1.27"])
def test_invariants_hold_with_every_feature_on(version):
    kw = dict(
        policy="go",
        topology="1x4",
        arrival_path="netpoll",
        load=0.4,
        goroutines=3_000,
        program=(
            "cpu:exp:20000,netwait:exp:200000,cpu:exp:10000,sleep:exp:500000,"
            "cpu:exp:10000,syscall:exp:50000,cpu:exp:5000,syscall_block:exp:20000"
        ),
        hogs=1,
        pairs=2,
        pair_service="exp",
        pair_mean_ns=2_000,
        go_version=version,
        check_invariants=True,
        seed=4,
        gc=True,
        live_heap_mib=4,
        alloc_bytes_per_cpu_us=500,
        hog_alloc_bytes_per_cpu_us=200,
    )
    a = gmplab.simulate(**kw).summary
    b = gmplab.simulate(**kw).summary
    assert a["goroutines_completed"] == 3_000
    for k in ("events", "sojourn_ns_mean", "handoffs", "timers_run", "cpu_ns_hogs"):
        assert a[k] == b[k], k  # same seed, same run
    assert a["timers_run"] == a["timers_added"] and a["handoffs"] > 0 and a["syscalls"] > 0
    assert a["gc_cycles"] > 0


# --- LockOSThread ------------------------------------------------------------------------------
def test_a_locked_ping_pong_hop_costs_a_thread_switch():
    # one pair alone on one P: each hop is a goready + gopark; locked to their Ms, every hop
    # hands the P to the partner's M (stoplockedm / startlockedm): an OS thread switch
    costs = gmplab.params.DEFAULT_COSTS_NS
    free = run(hogs=0)
    locked = run(hogs=0, locked_pairs=True)
    assert free["handoff_latency_ns_p50"] < 2 * costs["gosched_switch_ns"]
    hop = locked["handoff_latency_ns_p50"] - costs["gosched_switch_ns"]
    assert hop == pytest.approx(costs["thread_switch_ns"], rel=0.05)
    assert locked["lockedm_handoffs"] > 0 and free["lockedm_handoffs"] == 0
    assert locked["handoff_rate_per_s"] < free["handoff_rate_per_s"] / 5


def test_locked_pairs_keep_invariants_beside_hogs_and_gc():
    s = run(
        topology="1x2",
        hogs=1,
        pairs=2,
        locked_pairs=True,
        gc=True,
        live_heap_mib=2,
        hog_alloc_bytes_per_cpu_us=2_000,
    )
    assert s["lockedm_handoffs"] > 0 and s["gc_cycles"] > 0
