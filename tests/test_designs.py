"""The designs under study (designs.py, docs/designs.md): the global run queue's
implementations and each mechanism of seed122, mos and numa. Every test shows an outcome that
changes when the mechanism (or implementation) is off, and the designs with every mechanism
off reproduce Go exactly."""

import math

import numpy as np
import pytest
from kernel_calls import find_runnable, same

import gmplab
from gmplab import designs
from gmplab._kernel import consts as kc
from gmplab._kernel import loop, runq
from gmplab._kernel.rng import seed_state
from gmplab.errors import SpecError
from gmplab.params import make_spec
from gmplab.simulate import _allocate


def state(seed=7, goroutines=4096, **kw):
    """Kernel arrays for a spec (make_spec keywords), with an empty goroutine table."""
    args = dict(policy="go", topology="1x8", load=0.5, goroutines=10, costs="zero")
    args.update(kw)
    a = _allocate(make_spec(**args), seed_state(np.random.SeedSequence(seed)))
    gt = np.zeros((goroutines, kc.N_GF), dtype=np.int64)
    gt[:, kc.GF_LINK] = -1
    a["gt"] = gt
    return a


# --- equivalences ---------------------------------------------------------------------------
SCENARIO = dict(
    topology="2x8", load=0.85, goroutines=20_000, seed=5, arrival_path="spawn", snapshot_ms=1.0
)


@pytest.mark.parametrize("policy", ["mos", "seed122", "numa"])
def test_design_with_every_mechanism_off_is_go(policy):
    go = gmplab.simulate(policy="go", **SCENARIO).summary
    off = gmplab.simulate(policy=policy, mechanisms=(), **SCENARIO).summary
    same(go, off)


def test_numa_on_one_node_is_go():
    kw = dict(SCENARIO, topology="1x16")
    same(gmplab.simulate(policy="go", **kw).summary, gmplab.simulate(policy="numa", **kw).summary)


def test_designs_name_their_configuration():
    assert make_spec(policy="go", load=0.5).configuration() == "go"
    assert make_spec(policy="mos", mechanisms=(), load=0.5).configuration() == "mos[none]"
    s = make_spec(mechanisms="deterministic-steal,hierarchical-steal", topology="2x4", load=0.5)
    assert s.configuration() == "go+deterministic-steal+hierarchical-steal"
    assert s.to_dict()["configuration"] == s.configuration()
    assert (
        "globrunq=segmented/4"
        in make_spec(globrunq="segmented", globrunq_segments=4, load=0.5).configuration()
    )
    assert set(designs.DESIGNS["mos"]) > set(designs.DESIGNS["seed122"])
    assert (
        "configuration" not in make_spec(policy="go", load=0.5).to_dict()
    )  # old runs keep their keys


# --- bad combinations -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, name, text",
    [
        (dict(policy="numa", mechanisms="node-binding"), "mechanisms", "more than one NUMA node"),
        (dict(globrunq="node"), "globrunq", "more than one NUMA node"),
        (dict(globrunq="segmented", globrunq_segments=0), "globrunq_segments", "[1, 1024]"),
        (dict(mechanisms="work-stealing-2"), "mechanisms", "names from"),
        (dict(policy="central", mechanisms="deterministic-steal"), "mechanisms", "on top of"),
        (dict(policy="central", globrunq="ring"), "globrunq", "'lock'"),
        (dict(mechanisms="ring-globrunq", globrunq="treiber"), "globrunq", "ring"),
        (dict(mechanisms="ring-globrunq,node-globrunq", topology="2x4"), "mechanisms", "one of"),
        (dict(globrunq="stack"), "globrunq", "one of"),
        (dict(mos_load_ratio=0), "mos_load_ratio", "(0, 100]"),
        (dict(policy="mos", pairs=2, locked_pairs=True), "pairs", "GOMAXPROCS/2"),
        (
            dict(policy="numa", topology="2x4", gomaxprocs=12),
            "gomaxprocs",
            "node-binding",
        ),
    ],
)
def test_bad_design_parameters_name_the_parameter(kw, name, text):
    with pytest.raises(SpecError) as e:
        make_spec(**kw)
    assert e.value.parameter == name and text in str(e.value)


# --- global run queue implementations ---------------------------------------------------------
def take_all(a, p=0):
    out = []
    while a["sched"][kc.S_RUNQ_SIZE] > 0:
        g, n, _ = loop.gq_take(
            a["sched"],
            a["gt"],
            a["pst"],
            a["runq"],
            a["costs"],
            a["counters"],
            p,
            0,
            8,
            kc.RULES_ALL,
            False,
            -1,
            False,
        )
        out.append(int(g))
    return out


@pytest.mark.parametrize(
    "impl, order",
    [("lock", [1, 2, 3, 4]), ("ring", [1, 2, 3, 4]), ("treiber", [4, 3, 2, 1])],
)
def test_queue_order_fifo_or_lifo(impl, order):
    a = state(globrunq=impl)
    for g in (1, 2, 3, 4):
        runq.gq_put1(a["sched"], a["gt"], g)
    assert take_all(a) == order


def test_segmented_queue_hashes_gs_and_takes_from_the_takers_segment_first():
    a = state(globrunq="segmented", globrunq_segments=4)
    for g in range(8):  # G g goes to segment g % 4
        runq.gq_put1(a["sched"], a["gt"], g)
    sched = a["sched"]
    sizes = [sched[runq.gq_seg(sched, s) + kc.GQS_SIZE] for s in range(4)]
    assert sizes == [2, 2, 2, 2]
    # P 2 starts at segment 2: FIFO within a segment, then segment 3, 0, 1
    assert take_all(a, p=2) == [2, 6, 3, 7, 0, 4, 1, 5]


def test_node_queues_put_on_the_putters_node_and_take_home_first():
    a = state(globrunq="node", topology="2x4")
    sched = a["sched"]
    for p, g in ((5, 10), (1, 11)):  # P5 is on node 1, P1 on node 0
        sched[kc.S_CUR_P] = p
        sched[kc.S_CUR_NODE] = a["pst"][p, kc.PF_NODE]
        runq.gq_put1(sched, a["gt"], g)
    assert loop.gq_home_size(sched, a["pst"], 0) == 1  # node 0 sees its own queue only
    assert take_all(a, p=0) == [11, 10]  # home first, then the other node


def test_cas_retries_while_the_line_is_busy_and_never_sleeps():
    a = state(globrunq="treiber", costs="default")
    sched, costs, counters = a["sched"], a["costs"], a["counters"]
    lk = runq.gq_seg(sched, 0) + kc.GQS_LK
    sched[kc.S_CUR_P] = 0
    first = loop.cas_at(sched, costs, counters, 1000, 1, lk)
    sched[kc.S_CUR_P] = 1
    second = loop.cas_at(sched, costs, counters, 1000, 1, lk)  # collides with the first
    local = costs[kc.C_CACHELINE_LOCAL]
    assert second == first + local
    assert counters[kc.K_GQ_CONTENDED] == 1 and counters[kc.K_GQ_RETRIES] >= 1
    assert counters[kc.K_GQ_SLEEPS] == 0


def microbench(impl, **kw):
    """The seed's section 2.2 shape: one submitter, 16 worker Ps, every task through the
    global queue (policy global), 1 us tasks at 12 per us: the queue is the bottleneck."""
    args = dict(
        policy="global",
        globrunq=impl,
        topology="1x16",
        arrival_rate_per_s=12e6,
        service="const",
        service_mean_ns=1_000,
        goroutines=40_000,
        seed=3,
    )
    args.update(kw)
    return gmplab.simulate(**args).summary


def test_lock_free_queues_do_not_sleep_and_beat_the_lock_under_contention():
    lock = microbench("lock")
    treiber = microbench("treiber")
    ring = microbench("ring")
    assert lock["lock_sleeps"] > 0  # sched.lock's waiters go to sleep: futex hand-offs
    for s in (treiber, ring):
        assert s["globrunq_sleeps"] == 0 and s["globrunq_cas_retries"] > 0
        assert s["sojourn_ns_p99"] < lock["sojourn_ns_p99"]
    segmented = microbench("segmented")
    assert segmented["globrunq_probes"] > 0
    assert segmented["sojourn_ns_p99"] < lock["sojourn_ns_p99"]


# --- steal order: deterministic, hierarchical, migration-avoid --------------------------------
def thief_takes(work, seed=7, **kw):
    """P0 looks for work while the Ps in `work` run and hold work[p] Gs in their rings
    (G ids 100 * p + i). Returns the victim of the first steal (or None)."""
    a = state(seed=seed, **kw)
    pst = a["pst"]
    n = pst.shape[0]
    sched = a["sched"]
    for p in range(n):
        pst[p, kc.PF_PHASE] = kc.PH_RUN if p in work or p == 0 else kc.PH_IDLE
        pst[p, kc.PF_CURG] = 4000 + p if p in work else -1
    idle = [p for p in range(n) if p not in work and p != 0]
    sched[kc.S_NPIDLE] = len(idle)
    a["pidle"][: len(idle)] = idle
    pst[0, kc.PF_PHASE] = kc.PH_EXEC
    for p, k in work.items():
        for i in range(k):
            runq.runqput(sched, a["gt"], pst, a["runq"], p, 100 * p + i, False, kc.RULES_ALL)
    out, g, _, _ = find_runnable(a, 0, 0)
    return (g // 100) if out == loop.FOUND else None


def test_deterministic_steal_always_starts_at_the_next_p():
    work = {p: 2 for p in range(1, 8)}
    victims_go = {thief_takes(work, seed=s) for s in range(12)}
    victims_det = {thief_takes(work, seed=s, mechanisms="deterministic-steal") for s in range(12)}
    assert victims_det == {1}
    assert len(victims_go) > 2  # Go's random start spreads the thieves


def test_hierarchical_steal_tries_the_own_node_first():
    work = {3: 2, 4: 2, 5: 2, 6: 2}  # P3 on node 0, P4..P6 on node 1 (2x4)
    go = [thief_takes(work, seed=s, topology="2x4") for s in range(16)]
    hier = [
        thief_takes(work, seed=s, topology="2x4", mechanisms="hierarchical-steal")
        for s in range(16)
    ]
    assert set(hier) == {3}
    assert any(v >= 4 for v in go)


def test_migration_avoid_steals_only_from_a_loaded_victim():
    even = {p: 1 for p in range(1, 8)}  # every P as loaded as the mean: nobody qualifies
    assert thief_takes(even) is not None
    assert thief_takes(even, mechanisms="migration-avoid") is None
    skewed = {**even, 5: 12}
    assert thief_takes(skewed, mechanisms="migration-avoid") == 5


def test_migration_avoid_offloads_a_loaded_ps_new_goroutines():
    a = state(mechanisms="migration-avoid")
    sched, pst = a["sched"], a["pst"]
    for i in range(70):  # past a quarter of the ring; every other P idle: P0 is loaded
        moved = runq.runqput(sched, a["gt"], pst, a["runq"], 0, i, False, kc.RULES_ALL)
    assert moved == 1 and sched[kc.S_MOS_PUTS] == 5
    assert runq.runq_len(pst, 0) == 65 and sched[kc.S_RUNQ_SIZE] == 5
    b = state()
    for i in range(70):
        runq.runqput(b["sched"], b["gt"], b["pst"], b["runq"], 0, i, False, kc.RULES_ALL)
    assert runq.runq_len(b["pst"], 0) == 70 and b["sched"][kc.S_RUNQ_SIZE] == 0


def test_hierarchical_steal_cuts_remote_steals_in_a_run():
    kw = dict(topology="2x8", load=0.7, goroutines=20_000, seed=2, arrival_path="spawn")
    go = gmplab.simulate(**kw).summary
    hier = gmplab.simulate(mechanisms="hierarchical-steal", **kw).summary
    assert go["steals_remote"] > 0
    assert hier["steals_remote"] / hier["steals"] < go["steals_remote"] / go["steals"]


def test_node_binding_spreads_the_ps_over_the_nodes():
    go = state(topology="2x8", gomaxprocs=8)["pst"][:, kc.PF_NODE]
    bound = state(topology="2x8", gomaxprocs=8, mechanisms="node-binding")["pst"]
    assert list(go) == [0] * 8
    assert list(bound[:, kc.PF_NODE]) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert list(bound[:, kc.PF_CORE]) == [0, 1, 2, 3, 8, 9, 10, 11]


# --- ring-netpoll, hybrid-preempt, state-check, gc-assist-priority, locked-dedicated ------------
NET = dict(
    topology="1x4",
    load=0.6,
    goroutines=10_000,
    seed=4,
    program="cpu:exp:5000,netwait:exp:50000,cpu:exp:5000",
)


def test_ring_netpoll_polls_without_syscalls():
    go = gmplab.simulate(**NET).summary
    ring = gmplab.simulate(mechanisms="ring-netpoll", **NET).summary
    assert go["netpoll_syscalls"] >= go["netpoll_calls"] > 0
    # only the blocking waits remain syscalls
    assert ring["netpoll_syscalls"] < go["netpoll_syscalls"] - go["netpoll_calls"] / 2
    assert ring["netpoll_calls"] > 0


CRIT = dict(
    topology="1x1",
    arrivals="burst",
    goroutines=2,
    program=[dict(kind="critical", service="const", mean_ns=30_000_000)],
    costs="default",
    trace_events=200,
    seed=1,
)


def first_done_ns(result):
    ev = result.events()
    done = ev.filter(ev["event"] == "done")
    return int(done["time_ns"].min())


def test_hybrid_preempt_defers_to_the_end_of_a_critical_section():
    go = gmplab.simulate(**CRIT)
    hyb = gmplab.simulate(mechanisms="hybrid-preempt", **CRIT)
    assert go.summary["preemptions"] >= 2 and go.summary["preempt_deferred"] == 0
    assert hyb.summary["preempt_deferred"] >= 1 and hyb.summary["preemptions"] == 0
    # Go interleaves the two 30 ms sections at 10 ms slices; hybrid runs the first to its end
    assert first_done_ns(go) > 40_000_000
    assert first_done_ns(hyb) < 31_000_000


def test_hybrid_preempt_switches_at_once_outside_critical_sections():
    kw = dict(CRIT, program=[dict(kind="cpu", service="const", mean_ns=30_000_000)])
    go = gmplab.simulate(**kw).summary
    hyb = gmplab.simulate(mechanisms="hybrid-preempt", **kw).summary
    assert hyb["preemptions"] == go["preemptions"] >= 2
    assert hyb["preempt_slice_ns_min"] < go["preempt_slice_ns_min"]


def test_state_check_counts_what_the_seeds_table_forbids():
    kw = dict(
        topology="1x4",
        load=0.5,
        goroutines=5_000,
        seed=2,
        program="cpu:exp:5000,syscall:exp:20000,cpu:exp:5000",
        trace_events=50,
    )
    off = gmplab.simulate(**kw)
    on = gmplab.simulate(mechanisms="state-check", **kw)
    s = on.summary
    for k in ("mos_run_m_not_idle", "mos_syscall_not_waiting"):
        assert off.summary[k] == 0 and s[k] > 0
    assert s["mos_syscall_not_waiting"] == s["syscalls"]
    # every execute() runs a G on an M that runs the scheduler: rule 2 holds for no G
    assert s["mos_run_m_not_idle"] >= s["goroutines_completed"]
    # the table's illegal row and its one-M-two-queues rule never happen in Go (nor here)
    assert s["mos_p_idle_g_running"] == 0 and s["mos_m_two_queues"] == 0
    ev = on.events()
    assert (ev["event"] == "mos_violation").sum() > 0
    assert (off.events()["event"] == "mos_violation").sum() == 0
    # same scheduling either way: the checker only observes
    assert on.summary["sojourn_ns_p99"] == off.summary["sojourn_ns_p99"]


GC = dict(
    topology="1x8",
    load=0.7,
    goroutines=30_000,
    seed=6,
    gc=True,
    live_heap_mib=2048,
    alloc_bytes_per_cpu_us=20_000,
)


def test_gc_assist_priority_changes_who_marks():
    go = gmplab.simulate(**GC).summary
    pr = gmplab.simulate(mechanisms="gc-assist-priority", **GC).summary
    assert go["gc_priority_high"] == go["gc_priority_low"] == 0
    assert pr["gc_priority_high"] + pr["gc_priority_low"] > 0
    assert pr["gc_cycles"] > 0
    assert (pr["gc_dedicated_ns"], pr["gc_fractional_ns"]) != (
        go["gc_dedicated_ns"],
        go["gc_fractional_ns"],
    )


def test_gc_priority_base_moves_the_class():
    # a P's mark queue is its share of the outstanding mark work in 1 us units; with 64 MiB
    # (32 ms of marking, 4 ms per P) queue_len/64 stays under 63: base -60 is always Low
    kw = dict(GC, live_heap_mib=64, alloc_bytes_per_cpu_us=40_000)
    low = gmplab.simulate(mechanisms="gc-assist-priority", mos_gc_base=-60, **kw).summary
    assert low["gc_priority_low"] > 0 and low["gc_priority_high"] == 0
    high = gmplab.simulate(mechanisms="gc-assist-priority", mos_gc_base=50, **kw).summary
    assert high["gc_priority_high"] > 0 and high["gc_priority_low"] == 0


def test_locked_dedicated_keeps_ps_with_blocked_locked_threads():
    kw = dict(topology="1x8", load=0.5, goroutines=20_000, seed=3, pairs=2, locked_pairs=True)
    go = gmplab.simulate(**kw).summary
    ded = gmplab.simulate(mechanisms="locked-dedicated", **kw).summary
    assert go["locked_dedicated"] == 0 and ded["locked_dedicated"] > 0
    assert ded["lockedm_handoffs"] < go["lockedm_handoffs"]
    # two Ps per pair held by its threads: the arrivals get fewer Ps
    assert ded["sojourn_ns_mean"] > go["sojourn_ns_mean"]


def test_locked_dedicated_counts_blocks_past_the_limit():
    kw = dict(
        topology="1x4",
        load=0.3,
        goroutines=5_000,
        seed=3,
        pairs=1,
        locked_pairs=True,
        pair_mean_ns=1_000_000,
        mechanisms="locked-dedicated",
    )
    strict = gmplab.simulate(mos_locked_violation_ms=0.1, **kw).summary
    lax = gmplab.simulate(mos_locked_violation_ms=100, **kw).summary
    assert strict["locked_violations"] > 0 and lax["locked_violations"] == 0


@pytest.mark.parametrize("policy", ["mos", "seed122", "numa"])
def test_designs_keep_every_invariant(policy):
    kw = dict(
        topology="2x4",
        load=0.8,
        goroutines=8_000,
        seed=9,
        check_invariants=True,
        program="cpu:exp:5000,critical:exp:3000,netwait:exp:40000,syscall:exp:10000,cpu:exp:5000",
        gc=True,
        alloc_bytes_per_cpu_us=3000,
        live_heap_mib=8,
        pairs=2,
        locked_pairs=True,
        hogs=1,
    )
    s = gmplab.simulate(policy=policy, **kw).summary
    assert s["goroutines_completed"] == 8_000
    assert not math.isnan(s["sojourn_ns_p99"])


def test_every_mechanism_is_documented():
    text = open("docs/designs.md").read()
    for m in designs.MECHANISMS:
        assert f"`{m}`" in text, m


# --- the CLI: --policy/--mechanisms/--globrunq and `gmplab ablate` ------------------------------
def test_ablate_prints_base_each_mechanism_and_all(capsys):
    import json

    from gmplab import cli

    argv = ["ablate", "--base", "go", "--mechanisms", "deterministic-steal,migration-avoid"]
    argv += ["--topology", "1x8", "--load", "0.8", "--goroutines", "4000", "--replications", "3"]
    argv += ["--arrival-path", "spawn", "--slo-ms", "1", "--bisect", "3", "--json"]
    assert cli.main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["configuration"] for r in rows] == [
        "go (base)",
        "+ deterministic-steal",
        "+ migration-avoid",
        "+ all",
    ]
    for r in rows:
        assert r["sojourn_us_p99_lo"] <= r["sojourn_us_p99"] <= r["sojourn_us_p99_hi"]
        assert 0 < r["max_load_at_p99_1ms"] <= 1
    assert rows[0]["steals_per_s"] != rows[2]["steals_per_s"]


@pytest.mark.parametrize(
    "argv, text",
    [
        (["ablate", "--mechanisms", "fast-path"], "--mechanisms"),
        (["simulate", "--mechanisms", "fast-path"], "mechanisms"),
        (["simulate", "--globrunq", "segmented", "--globrunq-segments", "0"], "segments"),
        (["simulate", "--policy", "numa", "--mechanisms", "node-binding"], "NUMA node"),
    ],
)
def test_cli_names_bad_design_flags(capsys, argv, text):
    from gmplab import cli

    assert cli.main(argv + ["--load", "0.5", "--goroutines", "1000"]) == 2
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_simulate_runs_a_design_from_the_cli(capsys):
    import json

    from gmplab import cli

    argv = ["simulate", "--policy", "mos", "--topology", "2x4", "--load", "0.6"]
    argv += ["--goroutines", "3000", "--json"]
    assert cli.main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["goroutines_completed"] == 3000
