"""The machine underneath (issue: machine): CPUs shared by more Ms than cores, cgroup CPU
quotas, NUMA distances and their costs, sched.lock's discipline. Each mechanism has a test of
its rule whose outcome changes when it is off, and the exact equivalences the model promises."""

import kernel_calls
import numpy as np
import pytest

from gmplab._kernel import consts as kc
from gmplab._kernel import loop
from gmplab.errors import SpecError
from gmplab.params import DEFAULT_COSTS_NS, auto_gomaxprocs, make_spec
from gmplab.topology import PRESETS, Topology

ZERO = {k: 0 for k in DEFAULT_COSTS_NS}


def run(**kw):
    return kernel_calls.simulate_with(dict(seed=7, check_invariants=True), **kw).summary


def same(a, b):
    """Two summaries agree but for the machine layer's own bookkeeping (events, periods)."""
    kernel_calls.same(a, b, ignore=("wall_s", "events", "quota_periods"))


def parallel_request(children=100, each_ns=500_000):
    """One request = 50 ms of perfectly parallel CPU: 100 children of 0.5 ms each."""
    return [
        {"kind": "cpu", "service": "const", "mean_ns": 1},
        {
            "kind": "fork",
            "count": children,
            "children": [{"kind": "cpu", "service": "const", "mean_ns": each_ns}],
        },
    ]


# --- CPU quota -----------------------------------------------------------------------------
def quota_run(procs, quota_ms, rate_per_s, n):
    """Requests of 50 ms parallel CPU, const arrivals, on 10 cores under a quota."""
    return run(
        topology="1x10",
        gomaxprocs=procs,
        cpu_quota_ms=quota_ms,
        arrivals="const",
        arrival_rate_per_s=rate_per_s,
        goroutines=n,
        warmup_fraction=0,
        program=parallel_request(),
        costs="zero",
    )


@pytest.mark.parametrize(("procs", "latency_ms"), [(10, 5), (2, 25)])
def test_quota_hand_computable_case(procs, latency_ms):
    # 10 cores, quota 200 ms per 100 ms, one request per 100 ms needing 50 ms of perfectly
    # parallel CPU: the quota never binds, GOMAXPROCS sets the parallelism
    s = quota_run(procs, 200, 10, 20)
    assert s["sojourn_ns_mean"] == pytest.approx(latency_ms * 1e6, abs=10)
    assert s["throttled_periods"] == 0


@pytest.mark.parametrize(("procs", "latency_ms"), [(10, 201), (2, 205)])
def test_a_spent_quota_stops_every_m_until_the_period_ends(procs, latency_ms):
    # quota 20 ms per 100 ms: 10 Ps spend it in 2 ms, then wait 98 ms; 50 ms of CPU takes two
    # full periods and 1 ms of a third (2 Ps: 10 ms per period, 5 ms in the third)
    s = quota_run(procs, 20, 1, 5)
    assert s["sojourn_ns_mean"] == pytest.approx(latency_ms * 1e6, abs=10)
    assert s["throttled_periods"] == 2 * 5
    per_request = (100 - 20 / procs) * 2  # ms throttled per request
    assert s["throttled_ns"] == pytest.approx(5 * per_request * 1e6, rel=1e-6)


def test_quota_of_all_cores_changes_nothing():
    # cores x period with GOMAXPROCS = cores can never run out: the same run, event by event
    base = dict(
        topology="1x8",
        load=0.9,
        goroutines=20_000,
        program="cpu:exp:20000,syscall:exp:30000,cpu:exp:5000,sleep:exp:50000",
        gc=True,
        hogs=2,
        hog_alloc_bytes_per_cpu_us=3_000,
        live_heap_mib=8,
    )
    a = run(**base)
    b = run(cpu_quota_ms=800, **base)
    assert b["quota_periods"] > 0 and b["throttled_periods"] == 0
    same(a, b)


def test_throttling_shows_in_the_tail():
    # a 2-CPU quota on 8 busy Ps: requests that meet the throttle wait for the next period
    base = dict(topology="1x8", load=0.2, goroutines=20_000, service_mean_ns=50_000)
    a = run(**base)
    b = run(cpu_quota_ms=200, cpu_period_ms=100, **base)
    assert b["throttled_periods"] == 0  # 1.6 CPUs of work fits in 2
    c = run(
        cpu_quota_ms=100,
        cpu_period_ms=100,
        goroutines=5_000,
        **{k: v for k, v in base.items() if k != "goroutines"},
    )
    assert c["throttled_periods"] > 0
    assert c["sojourn_ns_p99"] > 10 * a["sojourn_ns_p99"]


@pytest.mark.parametrize(
    ("cpus", "quota", "expected"),
    [(24, None, 24), (24, 200, 2), (24, 50, 2), (24, 250, 3), (2, 800, 2)],
)
def test_gomaxprocs_auto_follows_go_1_25(cpus, quota, expected):
    assert auto_gomaxprocs(cpus, quota, 100) == expected
    spec = make_spec(topology=f"1x{cpus}", gomaxprocs="auto", cpu_quota_ms=quota, load=0.5)
    assert spec.procs == expected


# --- Ms sharing cores --------------------------------------------------------------------
def burst_on_two_cores(procs, slice_ns=3_000_000, switch_ns=0, **kw):
    costs = {**ZERO, "os_timeslice_ns": slice_ns, "thread_switch_ns": switch_ns}
    return run(
        **kw,
        topology="1x2",
        gomaxprocs=procs,
        arrivals="burst",
        goroutines=4,
        warmup_fraction=0,
        service="const",
        service_mean_ns=30_000_000,
        costs=costs,
    )


def test_more_ps_than_cores_share_them():
    # four 30 ms goroutines on 4 Ps and 2 cores: 120 ms of work, 60 ms of machine
    s = burst_on_two_cores(4)
    assert s["end_ns"] == pytest.approx(60e6, rel=1e-6)
    assert s["os_switches"] > 0 and s["t_oswait_ns"] > 0
    # each thread switch costs its time; the switches stretch the run by that much per core
    s2 = burst_on_two_cores(4, switch_ns=10_000)
    assert s2["end_ns"] == pytest.approx(60e6 + s2["os_switches"] * 10_000 / 2, rel=1e-3)


def test_time_slices_round_robin():
    # with Go's own preemption off (so that only the OS moves work): a slice longer than the
    # work lets the first two run to the end (30 ms) before the others get a core (60 ms),
    # mean 45 ms; 3 ms slices make everyone finish near 60 ms
    off = ("sysmon_preempt",)
    long = burst_on_two_cores(4, slice_ns=1_000_000_000, rules_off=off)
    short = burst_on_two_cores(4, rules_off=off)
    assert long["sojourn_ns_mean"] == pytest.approx(45e6, rel=1e-3)
    assert short["sojourn_ns_mean"] > 55e6
    # with it on, sysmon's 10 ms preemptions rotate the goroutines over the Ps that hold a
    # core, so even a long OS slice spreads the finishing times
    go = burst_on_two_cores(4, slice_ns=1_000_000_000)
    assert go["sojourn_ns_mean"] > 50e6


def test_gomaxprocs_within_the_cores_leaves_the_os_out():
    s = run(topology="1x8", gomaxprocs=4, load=0.6, goroutines=10_000)
    assert s["os_switches"] == 0 and s["t_oswait_ns"] == 0


# --- SMT siblings ---------------------------------------------------------------------------
@pytest.mark.parametrize(("factor", "end_ms"), [(1.0, 30), (0.6, 50), (0.5, 60)])
def test_smt_siblings_share_a_core_at_the_stated_factor(factor, end_ms):
    # one core, two hardware threads, two 30 ms goroutines at once: each runs at the factor
    s = run(
        topology="1x1",
        smt_factor=factor,
        arrivals="burst",
        goroutines=2,
        warmup_fraction=0,
        service="const",
        service_mean_ns=30_000_000,
        costs="zero",
    )
    assert s["end_ns"] == pytest.approx(end_ms * 1e6, abs=2)


def test_smt_with_one_p_per_core_gives_the_earlier_result():
    # GOMAXPROCS = cores puts one P on each core's first thread: no sibling is ever busy
    base = dict(topology="1x8", **server_workload())
    same(run(**base), run(smt_factor=0.6, gomaxprocs=8, **base))


def test_smt_doubles_the_logical_cpus():
    t = Topology.parse("2x4", smt_factor=0.6)
    assert (t.cores, t.cpus, t.cpus_per_node) == (8, 16, 8)
    assert make_spec(topology="2x4", smt_factor=0.6, load=0.5).procs == 16


# --- NUMA distances and what they cost ----------------------------------------------------
def server_workload(**kw):
    base = dict(
        load=0.8,
        goroutines=20_000,
        program="cpu:exp:10000,syscall:exp:20000,cpu:exp:10000,sleep:exp:30000,cpu:exp:5000",
    )
    base.update(kw)
    return base


def test_all_local_distances_give_the_flat_machine():
    # 2x4 with every distance 10 is 1x8: the same costs everywhere, the same run
    flat = run(topology="1x8", **server_workload())
    split = run(topology="2x4", distances=((10, 10), (10, 10)), **server_workload())
    same(flat, split)


def test_remote_migrations_cost_by_distance():
    near = run(topology="2x4", distances=((10, 12), (12, 10)), **server_workload())
    far = run(topology="2x4", distances=((10, 60), (60, 10)), **server_workload())
    assert near["migrations_remote"] > 0
    # a goroutine's working set refilled from far away costs CPU: the requests take longer
    assert far["cpu_ns_arrivals"] > near["cpu_ns_arrivals"]
    assert far["sojourn_ns_mean"] > near["sojourn_ns_mean"]
    local = run(topology="2x4", distances=((10, 10), (10, 10)), **server_workload())
    assert local["migrations_remote"] == 0


def test_steal_probes_cost_by_distance():
    costs = {**ZERO, "steal_probe_ns": 30}
    kw = dict(topology="4x4", load=0.3, goroutines=20_000, costs=costs)
    near = run(distances=Topology.parse("epyc-96").distances, **kw)
    far = run(
        distances=tuple(tuple(10 if i == j else 100 for j in range(4)) for i in range(4)), **kw
    )
    assert far["schedule_ns_mean"] > near["schedule_ns_mean"]


def test_presets_carry_their_slit_tables():
    assert set(PRESETS) >= {"laptop", "server", "xeon-2x48", "epyc-96", "epyc-2s-128"}
    t = Topology.parse("epyc-2s-128")
    assert (t.nodes, t.cores_per_node) == (8, 16)
    d = t.distance_matrix()
    assert d[0, 0] == 10 and d[0, 3] == 12 and d[0, 4] == 32
    assert Topology.parse("xeon-2x48").cores == 96 == Topology.parse("epyc-96").cores


# --- sched.lock ----------------------------------------------------------------------------
def lock_state(kind):
    sched = np.zeros(kc.N_SCHED, dtype=np.int64)
    sched[kc.S_LOCK_KIND] = kind
    sched[kc.S_LOCK_HOLDER] = -1
    sched[kc.S_LOCK_NODE] = -1
    sched[kc.S_CUR_P] = -1
    from gmplab.simulate import cost_tables

    costs = cost_tables(make_spec(load=0.5))
    return sched, costs, np.zeros(kc.N_COUNTERS, dtype=np.int64)


def test_fifo_lock_hands_off_in_order():
    sched, costs, counters = lock_state(kc.LOCK_FIFO)
    # holder until 25 (20 uncontended + 5 held); two waiters within the spin window
    assert loop.lock_acquire(sched, costs, counters, 0, 1) == 25
    assert loop.lock_acquire(sched, costs, counters, 10, 1) == 25 + 100 + 5
    assert loop.lock_acquire(sched, costs, counters, 12, 1) == 130 + 100 + 5
    assert counters[kc.K_LOCK_BARGES] == 0


def test_spinbit_lock_spins_one_sleeps_the_rest_and_lets_newcomers_barge():
    sched, costs, counters = lock_state(kc.LOCK_SPINBIT)
    assert loop.lock_acquire(sched, costs, counters, 0, 1) == 25
    # the first waiter spins and takes the lock at its release
    assert loop.lock_acquire(sched, costs, counters, 10, 1) == 130
    # a second waiter finds the spin bit taken: it sleeps, woken at the release (5 us)
    assert loop.lock_acquire(sched, costs, counters, 12, 1) == 130 + 5000 + 5
    assert counters[kc.K_LOCK_SLEEPS] == 1
    # a newcomer while the sleeper wakes takes the free lock first (barging)
    assert loop.lock_acquire(sched, costs, counters, 200, 1) == 225
    assert counters[kc.K_LOCK_BARGES] == 1
    # with FIFO both waiters spin and are handed the lock in turn; the newcomer queues
    sched, costs, counters = lock_state(kc.LOCK_FIFO)
    for r in (0, 10, 12):
        loop.lock_acquire(sched, costs, counters, r, 1)
    assert loop.lock_acquire(sched, costs, counters, 200, 1) == 235 + 100 + 5


def test_lock_default_follows_the_go_version():
    assert make_spec(load=0.5).lock_kind() == "spinbit"
    assert make_spec(load=0.5, go_version="1.23").lock_kind() == "fifo"
    assert make_spec(load=0.5, policy="global").lock_kind() == "fifo"
    a = run(topology="1x8", load=0.9, goroutines=20_000, service_mean_ns=2_000)
    b = run(topology="1x8", load=0.9, goroutines=20_000, service_mean_ns=2_000, lock="fifo")
    assert a["lock_sleeps"] != b["lock_sleeps"] or a["lock_barges"] > 0
    assert b["lock_barges"] == 0


def test_lock_contention_grows_with_gomaxprocs():
    # short tasks at low load: Ps go idle and busy all the time and meet on sched.lock
    shares = []
    for procs in (4, 16):
        s = run(topology=f"1x{procs}", load=0.3, goroutines=20_000, service_mean_ns=5_000)
        shares.append(s["lock_wait_ns_total"] / (s["end_ns"] * procs))
    assert shares[1] > shares[0]


# --- bad machines ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        (dict(topology="2x4", distances=((10, 20),)), "distances"),
        (dict(topology="2x4", distances=((10, 20), (20, 11))), "distances[1][1]"),
        (dict(topology="2x4", distances=((10, 5), (20, 10))), "distances[0][1]"),
        (dict(cpu_quota_ms=0), "cpu_quota_ms"),
        (dict(cpu_quota_ms=-5), "cpu_quota_ms"),
        (dict(cpu_period_ms=0.1, cpu_quota_ms=10), "cpu_period_ms"),
        (dict(topology="64x65"), "topology"),
        (dict(gomaxprocs=5000), "gomaxprocs"),
        (dict(lock="ticket"), "lock"),
        (dict(smt_factor=0), "smt_factor"),
        (dict(smt_factor=1.5), "smt_factor"),
        (dict(topology="32x128", smt_factor=0.5), "topology"),
    ],
)
def test_bad_machines_name_their_field(kw, field):
    with pytest.raises(SpecError) as e:
        make_spec(load=0.5, **kw)
    assert field in str(e.value)


# --- the compare command -------------------------------------------------------------------
def test_compare_prints_one_row_per_value(capsys):
    import json

    from gmplab import cli

    argv = ["compare", "--topology", "1x4", "--arrival-rate-per-s", "100000", "--goroutines"]
    argv += ["3000", "--vary", "gomaxprocs=1,4", "--slo-ms", "0.5", "--bisect", "4", "--json"]
    assert cli.main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["gomaxprocs"] for r in rows] == [1, 4]
    rate = "max_rate_at_p999_0.5ms_per_s"
    # one P is overloaded at 100k/s of 10 us; four are not, and serve more within the SLO
    assert rows[0]["sojourn_p999_ms"] > rows[1]["sojourn_p999_ms"]
    assert rows[1][rate] > rows[0][rate] > 0


def test_compare_names_a_bad_vary(capsys):
    from gmplab import cli

    assert cli.main(["compare", "--load", "0.5", "--vary", "gomaxprocs"]) == 2
    assert "--vary" in capsys.readouterr().err


# --- regressions found by stress runs -----------------------------------------------------
def test_an_off_cpu_p_keeps_its_earlier_event():
    # a P waiting for a core while a stop-the-world asks it to stop: the request must not
    # replace its goroutine's earlier completion (it did: negative remaining work)
    run(
        topology="1x8",
        gomaxprocs=16,
        load=0.95,
        goroutines=5_000,
        seed=4,
        program="cpu:exp:20000,syscall:exp:30000,cpu:exp:5000",
        gc=True,
        hogs=2,
        hog_alloc_bytes_per_cpu_us=3_000,
        live_heap_mib=8,
    )


def test_a_timers_goroutine_is_runnable_from_its_event():
    # Ps frozen and thawed by the quota, SMT slowing them: another P may take a goroutine a
    # timer readied before the readying M's own time (it was negative scheduling latency)
    run(
        topology="2x4",
        distances=((10, 21), (21, 10)),
        gomaxprocs=20,
        cpu_quota_ms=400,
        cpu_period_ms=10,
        smt_factor=0.6,
        lock="fifo",
        load=0.5,
        goroutines=3_000,
        seed=5,
        program="cpu:exp:20000,syscall:exp:30000,cpu:exp:5000,sleep:exp:50000,cpu:exp:3000",
    )
