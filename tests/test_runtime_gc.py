"""The garbage collector's effect on scheduling (issue: GC): the worker formula, the heap and
its trigger, stop-the-world pauses and their stopping time, mark workers, assists and the
limiter. Each mechanism's test switches it off and shows the effect go."""

import re

import kernel_calls
import pytest

from gmplab._kernel import consts as kc
from gmplab.errors import SpecError
from gmplab.params import gc_workers, make_spec


def run(**kw):
    return kernel_calls.simulate_with(
        dict(policy="go", costs="default", seed=5, check_invariants=True), **kw
    ).summary


# --- gcControllerState.startCycle ------------------------------------------------------------
# reference/go-runtime-scheduler.md section 6: (dedicated, fractional goal) by GOMAXPROCS
TABLE = {
    1: (0, 0.25),
    2: (0, 0.25),
    3: (0, 0.25),
    4: (1, 0.0),
    5: (1, 0.0),
    6: (1, 0.5 / 6),
    7: (2, 0.0),
    8: (2, 0.0),
    16: (4, 0.0),
}


@pytest.mark.parametrize("procs", sorted(TABLE))
def test_startCycle_worker_counts_match_the_reference_table(procs):
    dedicated, frac, idle_max = gc_workers(procs)
    assert (dedicated, round(frac, 6)) == (TABLE[procs][0], round(TABLE[procs][1], 6))
    assert idle_max == procs - dedicated


def test_startCycle_formula_for_1_to_64_ps():
    for procs in range(1, 65):
        dedicated, frac, _ = gc_workers(procs)
        goal = procs * kc.GC_BACKGROUND_UTILIZATION
        if frac > 0:
            # the fractional share makes up the 25% exactly
            assert dedicated + frac * procs == pytest.approx(goal)
            assert dedicated < goal
        else:
            assert abs(dedicated / goal - 1) <= kc.GC_DEDICATED_TOLERANCE + 1e-12


# --- the heap and the trigger ----------------------------------------------------------------
# 4 Ps at half load, 50 us goroutines allocating 2 kB per us: a GC every few ms
GCLOAD = dict(
    topology="1x4",
    load=0.5,
    goroutines=10_000,
    service_mean_ns=50_000,
    gc=True,
    live_heap_mib=16,
    alloc_bytes_per_cpu_us=2_000,
)


def test_gc_cycles_follow_the_heap_goal():
    base = run(**GCLOAD)
    double = run(**dict(GCLOAD, gogc=200))  # twice the runway
    assert base["gc_cycles"] > 10
    assert double["gc_cycles"] < 0.65 * base["gc_cycles"]
    # two stop-the-world pauses per cycle (one may be open when the run ends)
    pauses = base["gc_cycles"] * 2
    assert base["gc_pause_ns"] > 0 and base["gc_pause_total_ns_p50"] > 0
    assert pauses >= 2


def test_no_allocation_no_cycles_and_gc_off_changes_nothing():
    quiet = run(**dict(GCLOAD, alloc_bytes_per_cpu_us=0))
    assert quiet["gc_cycles"] == 0 and quiet["gc_pause_ns"] == 0
    plain = run(**{k: v for k, v in GCLOAD.items() if k not in ("gc", "live_heap_mib")})
    # a collector that never runs leaves the schedule as it was
    for k in ("sojourn_ns_mean", "events", "steals", "preemptions"):
        assert quiet[k] == plain[k], k


# --- stop-the-world ---------------------------------------------------------------------------
def test_stw_stopping_time_grows_with_the_longest_nonpreemptible_run():
    short = run(**dict(GCLOAD, program="cpu:exp:50000"))
    long = run(**dict(GCLOAD, program="nopreempt:const:2000000", load=0.5))
    # a preemptible G stops within async_preempt_ns; a burst without safe points is waited for
    assert short["gc_pause_stopping_ns_p50"] < 10_000
    assert long["gc_pause_stopping_ns_p99"] > 500_000
    assert long["gc_pause_total_ns_p99"] >= long["gc_pause_stopping_ns_p99"]


@pytest.fixture(scope="module")
def stw_runs():
    """puts to the global queue: 1.27, 1.27 with the rule off (each run once for the module)"""
    kw = dict(GCLOAD, goroutines=4_000)
    on = run(**kw, go_version="1.27")
    off = run(**kw, go_version="1.27", rules_off=("stw_runnext",))
    return kw, on, off


@pytest.mark.parametrize("version, to_runnext", [("1.25", False), ("1.27", True)])
def test_stw_preempted_goroutine_resumes_from_runnext_from_go_1_26(stw_runs, version, to_runnext):
    kw, on, off = stw_runs
    s = on if version == "1.27" else run(**kw, go_version=version)
    # gopreempt_m puts a G stopped for the STW on the global queue; 1.26 keeps it first in line
    assert off["global_runq_puts"] > on["global_runq_puts"]
    assert (s["global_runq_puts"] == on["global_runq_puts"]) == to_runnext


# --- mark workers, assists, the limiter -----------------------------------------------------
def test_dedicated_and_fractional_workers_run_by_gomaxprocs():
    four = run(**GCLOAD)
    one = run(**dict(GCLOAD, topology="1x1", load=0.4))
    assert four["gc_dedicated_ns"] > 0 and four["gc_fractional_ns"] == 0
    assert one["gc_fractional_ns"] > 0 and one["gc_dedicated_ns"] == 0


def test_the_mark_lengthens_scheduling_latency_tails():
    on = run(**GCLOAD)
    off = run(**{k: v for k, v in GCLOAD.items() if k != "gc"})
    # a dedicated worker holds a P for the whole mark, assists stretch bursts, pauses stop all
    assert on["sched_latency_ns_p99"] > 3 * off["sched_latency_ns_p99"]
    no_workers = run(**GCLOAD, rules_off=("gc_workers", "gc_idle_workers"))
    assert no_workers["gc_dedicated_ns"] == no_workers["gc_idle_ns"] == 0
    assert no_workers["gc_assist_ns"] > on["gc_assist_ns"]  # assists do the mark alone


def test_assists_are_charged_to_allocating_goroutines():
    on = run(**GCLOAD)
    off = run(**GCLOAD, rules_off=("gc_assists",))
    assert on["gc_assist_ns"] > 0 and off["gc_assist_ns"] == 0
    # the assist runs on the allocating goroutine: its CPU time grows by it
    assert on["cpu_ns_arrivals"] > off["cpu_ns_arrivals"]


def test_the_gc_cpu_limiter_holds_assists_off():
    on = run(**GCLOAD)
    off = run(**GCLOAD, rules_off=("gc_limiter",))
    assert on["gc_limited_assists"] > 0 and off["gc_limited_assists"] == 0
    assert off["gc_assist_ns"] > on["gc_assist_ns"]


def test_idle_workers_take_idle_ps_and_yield_them():
    on = run(**GCLOAD)
    off = run(**GCLOAD, rules_off=("gc_idle_workers",))
    assert on["gc_idle_ns"] > 0 and off["gc_idle_ns"] == 0


def test_a_preempted_dedicated_worker_moves_its_run_queue_to_the_global_queue():
    # a big heap: the mark outlasts sysmon's 10 ms, and arrivals land on every P's ring
    s = run(**dict(GCLOAD, live_heap_mib=256, arrival_path="random-p", goroutines=20_000))
    assert s["gc_worker_drains"] > 0


# --- bad specs --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(gc=True, policy="central"), "gc"),
        (dict(gc=True, gogc=0), "gogc"),
        (dict(gc=True, live_heap_mib=-1), "live_heap_mib"),
        (dict(gc=True, alloc_bytes_per_cpu_us=-5), "alloc_bytes_per_cpu_us"),
        (dict(program="cpu:exp:100,nopreempt:const:-3"), "program[1].mean_ns"),
    ],
)
def test_bad_gc_specs_name_the_field(kw, field):
    with pytest.raises(SpecError, match=re.escape(field)):
        make_spec(load=0.5, **kw)


# --- /sched/latencies' sampling ------------------------------------------------------------
def test_sched_latencies_can_be_sampled_one_in_eight_as_go_does():
    base = dict(
        policy="go",
        topology="1x4",
        load=0.7,
        goroutines=20_000,
        seed=5,
        program="cpu:exp:5000,netwait:exp:20000,cpu:exp:5000",
    )
    every = kernel_calls.simulate_with(base)
    go = kernel_calls.simulate_with(base, latency_sampling="go")
    n_all = every.hist_counts("sched_latency_ns").sum()
    n_go = go.hist_counts("sched_latency_ns").sum()
    assert 0.10 < n_go / n_all < 0.15  # 1 in 8, from each goroutine's random start
    # the sample describes the same distribution
    p50_all, p50_go = every.summary["sched_latency_ns_p50"], go.summary["sched_latency_ns_p50"]
    assert p50_go == pytest.approx(p50_all, rel=0.25)
    with pytest.raises(SpecError, match="latency_sampling"):
        make_spec(load=0.5, latency_sampling="some")


def test_a_gc_heavy_allocator_beside_latency_sensitive_requests():
    # the requests allocate nothing; one resident hog allocates 5 kB per us of CPU
    base = dict(topology="1x4", load=0.5, goroutines=10_000, service_mean_ns=50_000, hogs=1)
    quiet = run(**base)
    gc = run(**base, gc=True, live_heap_mib=16, hog_alloc_bytes_per_cpu_us=5_000)
    assert gc["gc_cycles"] > 10 and gc["gc_assist_ns"] > 0  # the allocator assists
    assert gc["sched_latency_ns_p99"] > 3 * quiet["sched_latency_ns_p99"]  # during the mark
    no_assists = run(
        **base,
        gc=True,
        live_heap_mib=16,
        hog_alloc_bytes_per_cpu_us=5_000,
        rules_off=("gc_assists",),
    )
    assert no_assists["gc_assist_ns"] == 0


def test_assists_park_until_background_credit_pays_them():
    # allocation far beyond the runway with the limiter off: debts outgrow the work assists may
    # take (the running workers hold their buffers), so they park on the assist queue
    s = run(
        **dict(GCLOAD, goroutines=2_000, live_heap_mib=64, alloc_bytes_per_cpu_us=20_000),
        rules_off=("gc_limiter",),
    )
    assert s["gc_assist_parks"] > 0 and s["gc_assist_wait_ns"] > 0
    assert s["goroutines_completed"] == 2_000  # every parked assist was readied
