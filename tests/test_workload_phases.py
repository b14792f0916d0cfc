"""Program phases that talk to other goroutines or to the heap (issue: workloads): `fork`
(children and a join), `pool` (a channel to a pool of workers), `alloc` (bytes at one point).
Each test checks a property that fails when the mechanism is wrong or off."""

import kernel_calls
import pytest
import yaml

from gmplab import workloads
from gmplab.errors import SpecError
from gmplab.params import DEFAULT_COSTS_NS, Costs, Phase, make_spec

ZERO = {k: 0 for k in DEFAULT_COSTS_NS}


def run(**kw):
    return kernel_calls.simulate_with(dict(seed=5, check_invariants=True), **kw).summary


def cpu(mean, dist="const"):
    return {"kind": "cpu", "service": dist, "mean_ns": mean}


def harmonic(k):
    return sum(1.0 / i for i in range(1, k + 1))


# --- fork / join ------------------------------------------------------------------------------
def test_fork_join_sojourn_is_the_largest_child_plus_the_parent_on_enough_ps():
    # 4 exponential children on 8 idle Ps run side by side: the join waits for the largest,
    # E[max of k exp(m)] = m * H_k; the parent's own CPU before and after adds on
    k, m, pre, post = 4, 100_000, 5_000, 5_000
    prog = [cpu(pre), {"kind": "fork", "count": k, "children": [cpu(m, "exp")]}, cpu(post)]
    s = run(
        topology="1x8",
        arrival_rate_per_s=500,
        goroutines=20_000,
        program=prog,
        costs="zero",
    )
    assert s["forks"] == s["joins"] == s["goroutines_measured"]
    assert s["children_created"] == k * s["forks"]
    assert s["sojourn_ns_mean"] == pytest.approx(pre + post + m * harmonic(k), rel=0.02)
    # no request finishes before its largest child could: the smallest sojourn is above the
    # parent's own CPU plus the smallest possible maximum, and every child's CPU is counted
    assert s["cpu_ns_children"] == pytest.approx(k * m * s["forks"], rel=0.03)


def test_fork_join_on_one_p_serialises_the_children():
    # one P: the children run one after the other (const 30 us each), so the join waits for
    # the sum; requests are far apart, so nothing queues
    k, d = 3, 30_000
    prog = [cpu(1_000), {"kind": "fork", "count": k, "children": [cpu(d)]}, cpu(1_000)]
    s0 = run(
        topology="1x1",
        arrivals="const",
        arrival_rate_per_s=1_000,
        goroutines=500,
        program=prog,
        costs="zero",
    )
    assert s0["sojourn_ns_p50"] == pytest.approx(2_000 + k * d, rel=0.01)
    assert s0["sojourn_ns_mean"] == pytest.approx(2_000 + k * d, rel=1e-9)


def test_fork_children_go_to_runnext_and_the_ring():
    # newproc puts each child in the parent's P's runnext and kicks the previous one to the
    # ring: with one P the last child runs first (LIFO through runnext). Seen in the trace:
    # the order in which children start on P0 ends with the first-forked ones.
    prog = [cpu(1_000), {"kind": "fork", "count": 3, "children": [cpu(10_000)]}]
    r = kernel_calls.simulate_with(
        dict(seed=1),
        topology="1x1",
        arrivals="burst",
        goroutines=1,
        program=prog,
        costs="zero",
        trace_events=200,
    )
    ev = r.events()
    assert "fork" in set(ev["event"]) and "join" in set(ev["event"])
    assert r.summary["children_created"] == 3
    # 4 execs: parent, then runnext (the last child), then the ring in order, then the parent
    execs = ev.filter(ev["event"] == "exec")
    assert execs.height == 5


def test_fork_without_runnext_rule_changes_the_order_of_children():
    prog = [cpu(1_000), {"kind": "fork", "count": 8, "children": [cpu(10_000, "exp")]}, cpu(500)]
    kw = dict(
        topology="1x2", arrival_rate_per_s=20_000, goroutines=5_000, program=prog, costs="zero"
    )
    a = run(**kw)
    b = run(rules_off=("ready_runnext",), **kw)
    assert a["runnext_hits"] > 0 and b["runnext_hits"] == 0


# --- worker pool ----------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2])
def test_pool_of_w_workers_is_an_m_m_w_queue(workers):
    # requests only hand their job to the pool: on 8 Ps with zero costs the pool is an M/M/W
    # queue (lambda 15000/s, S = 50 us exp); R = S + Wq, Wq from Erlang C
    lam, m = 15_000, 50_000
    prog = [{"kind": "pool", "children": [cpu(m, "exp")]}]
    s = run(
        topology="1x8",
        arrival_rate_per_s=lam,
        goroutines=60_000,
        program=prog,
        pool_workers=workers,
        costs="zero",
    )
    a = lam * m / 1e9
    if workers == 1:
        expected = m / (1 - a)
    else:  # Erlang C for c = 2
        rho = a / 2
        top = a * a / 2 / (1 - rho)
        c = top / (1 + a + top)
        expected = m + c / (2 / m - lam / 1e9)
    assert s["sojourn_ns_mean"] == pytest.approx(expected, rel=0.04)
    assert s["pool_jobs"] == s["goroutines_measured"]
    assert 0 < s["pool_jobs_queued"] < s["pool_jobs"]


def test_pool_with_spare_workers_never_queues_and_workers_do_the_cpu():
    prog = [cpu(2_000), {"kind": "pool", "children": [cpu(20_000, "exp")]}, cpu(2_000)]
    s = run(
        topology="1x4",
        load=0.5,
        goroutines=20_000,
        program=prog,
        pool_workers=64,
    )
    assert s["pool_jobs_queued"] == 0 and s["pool_queue_wait_ns"] == 0
    share = s["cpu_ns_workers"] / (s["cpu_ns_workers"] + s["cpu_ns_arrivals"])
    assert share == pytest.approx(20 / 24, rel=0.03)


def test_pool_queue_wait_accounts_for_the_extra_sojourn():
    # with one worker, every ns a request waits beyond its own work is spent in the channel
    prog = [{"kind": "pool", "children": [cpu(40_000, "exp")]}]
    s = run(
        topology="1x4",
        arrival_rate_per_s=15_000,
        goroutines=30_000,
        program=prog,
        pool_workers=1,
        costs="zero",
    )
    wait = s["pool_queue_wait_ns"] / s["pool_jobs"]
    assert s["sojourn_ns_mean"] - 40_000 == pytest.approx(wait, rel=0.05)


# --- alloc ----------------------------------------------------------------------------------
def test_alloc_phase_clears_its_object_on_the_cpu():
    # [cpu 10 us, alloc 1 MiB] with alloc_ns_per_kib 50 and no other costs: 10 us + 51.2 us
    costs = Costs.from_mapping({**ZERO, "alloc_ns_per_kib": 50}, "zero+alloc")
    prog = [cpu(10_000), {"kind": "alloc", "service": "const", "bytes": 1 << 20}]
    s = run(
        topology="1x2",
        arrivals="const",
        arrival_rate_per_s=1_000,
        goroutines=300,
        program=prog,
        costs=costs,
    )
    assert s["sojourn_ns_mean"] == pytest.approx(10_000 + 1 + 50 * 1024, abs=1)
    assert s["alloc_phase_bytes"] == (1 << 20) * s["goroutines_measured"]


def test_alloc_phase_drives_the_collector():
    # the only allocation is the alloc phase's: 32 KiB per request, about 200 MB/s against a
    # 16 MiB live heap (goal 32 MiB at GOGC=100), must run the collector; without it nothing does
    base = dict(
        topology="1x4",
        load=0.3,
        goroutines=20_000,
        gc=True,
        live_heap_mib=16,
    )
    prog = [cpu(200_000, "exp"), {"kind": "alloc", "service": "exp", "bytes": 32 << 10}]
    s = run(program=prog, **base)
    s0 = run(program=[cpu(200_000, "exp")], **base)
    assert s0["gc_cycles"] == 0
    total = s["gc_alloc_bytes"]
    assert total >= s["alloc_phase_bytes"] > 0
    # each cycle starts after about (trigger - marked) bytes: between 0.7 and 0.95 of 16 MiB
    per_cycle = total / s["gc_cycles"]
    assert 0.5 * (16 << 20) < per_cycle < 1.2 * (16 << 20)


# --- specs ----------------------------------------------------------------------------------
def test_yaml_spec_with_fork_pool_and_alloc_runs(tmp_path):
    spec = {
        "topology": "1x4",
        "load": 0.4,
        "goroutines": 3_000,
        "pool_workers": 4,
        "check_invariants": True,
        "phases": [
            {"kind": "cpu", "dist": "exp", "mean_ns": 5_000},
            {"kind": "alloc", "dist": "const", "bytes": 65_536},
            {
                "kind": "fork",
                "count": 3,
                "phases": [{"use": "rpc"}, {"kind": "pool", "phases": [{"use": "work"}]}],
            },
            {"repeat": 2, "phases": [{"use": "work"}]},
        ],
        "blocks": {
            "rpc": [{"kind": "netwait", "dist": "exp", "mean_ns": 50_000}],
            "work": [{"kind": "cpu", "dist": "exp", "mean_ns": 3_000}],
        },
    }
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(spec))
    kw = workloads.load_spec(str(path))
    fork = kw["program"][2]
    assert fork.kind == "fork" and fork.count == 3 and fork.children[1].kind == "pool"
    r = kernel_calls.simulate_with(dict(seed=2), **kw)
    s = r.summary
    assert s["children_created"] == 3 * s["forks"]
    # counted by when they happen: a request's pool jobs may fall either side of the window
    assert s["pool_jobs"] == pytest.approx(3 * s["forks"], rel=0.02)
    again = kernel_calls.simulate_with(dict(seed=2), **kw).summary
    assert {k: repr(v) for k, v in s.items() if k != "wall_s"} == {
        k: repr(v) for k, v in again.items() if k != "wall_s"
    }


def test_python_phases_nest():
    spec = make_spec(
        load=0.3,
        pool_workers=2,
        program=[
            Phase("cpu", "exp", 1_000.0),
            Phase("fork", count=2, children=(Phase("cpu", "const", 5_000.0),)),
            Phase("pool", children=(Phase("cpu", "const", 4_000.0),)),
        ],
    )
    # E[S] counts the children's and the job's CPU: 1 + 2 x 5 + 4 us
    assert spec.workload.cpu_mean_ns() == 15_000


@pytest.mark.parametrize(
    "program, extra, field",
    [
        ([{"kind": "fork", "count": 0, "children": [cpu(1)]}], {}, "program[0].count"),
        ([{"kind": "fork", "count": 2}], {}, "program[0].children"),
        ([{"kind": "pool", "children": [cpu(1)]}], {}, "pool_workers"),
        (
            [{"kind": "pool", "children": [{"kind": "pool", "children": [cpu(1)]}]}],
            {"pool_workers": 1},
            "program[0].children[0].kind",
        ),
        ([{"kind": "alloc", "service": "const"}], {}, "program[0].bytes"),
        ([{"kind": "alloc", "service": "const", "bytes": -5}], {}, "program[0].bytes"),
        (
            [{"kind": "cpu", "service": "const", "mean_ns": 5, "children": [cpu(1)]}],
            {},
            "program[0].children",
        ),
        ([cpu(1000)], {"pool_workers": 3}, "pool_workers"),
        ([{"kind": "fork", "count": 2, "children": [{"kind": "warp"}]}], {}, "kind"),
    ],
)
def test_bad_phases_name_their_field(program, extra, field):
    with pytest.raises(SpecError) as e:
        make_spec(load=0.5, program=program, **extra)
    assert field in str(e.value)


def test_yaml_phase_errors_name_the_field():
    with pytest.raises(SpecError, match=r"phases\[0\]\.bytes"):
        workloads.compile_spec({"phases": [{"kind": "alloc", "dist": "exp"}]})
    with pytest.raises(SpecError, match=r"phases\[0\]\.phases"):
        workloads.compile_spec({"phases": [{"kind": "fork", "count": 2}]})
    with pytest.raises(SpecError, match=r"phases\[0\]"):
        workloads.compile_spec({"phases": [{"kind": "fork", "mean_ns": 5, "phases": []}]})
    with pytest.raises(SpecError, match=r"phases\[0\]"):
        workloads.compile_spec({"phases": [{"kind": "pool", "count": 5, "phases": [cpu(1)]}]})
