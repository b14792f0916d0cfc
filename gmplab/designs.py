"""The scheduler designs gmplab compares, and the mechanisms they are made of.

A design is Go's scheduler (``go``) plus a set of mechanisms; each mechanism can also be
switched on alone on top of ``go`` (``RunSpec(mechanisms=...)``, ``--mechanisms``), so an
ablation can say what each one does. The designs:

- ``seed122``: what chapter 1 of the seed article calls "Go 1.22": a lock-free global ring
  and a deterministic steal order. (Its third element, stealing about half of a victim's queue,
  is what Go has done since 1.1: it is not a mechanism here. Real Go 1.22 changed none of
  this: docs/designs.md and the reference's section 3.)
- ``mos``: ``seed122`` plus the mechanisms of the seed's chapters 2 to 4.
- ``numa``: Vyukov's 2014 NUMA-aware proposal (never implemented in Go): Ps bound to nodes,
  one global queue per node, stealing from the own node before the others, nearest first.

The global run queue's implementation is a separate knob (``globrunq``): ``lock`` (Go's list
under ``sched.lock``), ``segmented`` (k locked segments), ``treiber`` (a lock-free stack),
``ring`` (a lock-free FIFO ring) or ``node`` (one locked queue per NUMA node). The
``ring-globrunq`` and ``node-globrunq`` mechanisms choose the last two.

Where the seed leaves a term undefined, the choice made is written beside the mechanism and
in docs/designs.md, and is a parameter where a number is involved.
"""

from __future__ import annotations

import math

from ._kernel import consts as kc

# name -> (kernel bit, what it does). Bits 0 stand for mechanisms that only set the global
# queue's implementation.
MECHANISMS: dict[str, tuple[int, str]] = {
    "ring-globrunq": (
        0,
        "seed ch. 1: the global run queue is a lock-free FIFO ring (CAS on head and tail) "
        "instead of a list under sched.lock",
    ),
    "node-globrunq": (
        0,
        "2014 NUMA proposal: one global run queue per NUMA node, each under its own lock; a P "
        "takes from its own node's first",
    ),
    "deterministic-steal": (
        kc.MECH_DET_STEAL,
        "seed ch. 1: stealWork probes victims p+1, p+2, ... in a fixed order on every pass "
        "instead of Go's random start and coprime stride",
    ),
    "hierarchical-steal": (
        kc.MECH_HIER_STEAL,
        "seed ch. 3 and the 2014 proposal: stealWork probes the Ps of its own node first, "
        "then the other nodes nearest first (by SLIT distance; per-node global queues "
        "before each remote node's Ps)",
    ),
    "migration-avoid": (
        kc.MECH_MIGRATION_AVOID,
        "seed 3.1: a thief takes from a victim only if the victim's load (its ring, runnext "
        "and running G) exceeds mos_load_ratio (1.5: 'remote P load > 150%') times the mean "
        "load over all Ps; a P whose ring holds more than mos_keep_local (a quarter of 256) "
        "keeps a new G local unless it is itself that loaded, when the G goes to the global "
        "queue",
    ),
    "ring-netpoll": (
        kc.MECH_RING_NETPOLL,
        "seed 2.4: a non-blocking poll reads a ring the kernel fills (one shared cache line) "
        "instead of an epoll_wait syscall; an M that blocks for the network still sleeps in "
        "one",
    ),
    "hybrid-preempt": (
        kc.MECH_HYBRID_PREEMPT,
        "seed 2.3: sysmon's preemption switches at once outside critical sections (no signal "
        "delivery), and inside one signals and switches where the section ends (the "
        "checkpoint); a critical section is a cpu phase marked critical",
    ),
    "state-check": (
        kc.MECH_STATE_CHECK,
        "seed 2.1: check the M/P/G state table at every transition and count (and trace) "
        "each one it forbids",
    ),
    "gc-assist-priority": (
        kc.MECH_GC_PRIORITY,
        "seed 2.5: mark workers get priority base + queue_len/64 - max(0, 10 - entropy) once "
        "the mark queue holds more than 128 units and the heap is past 75% of its goal: "
        "High (>= 15) takes a P at its next schedule, Low (<= 7) marks only on idle Ps",
    ),
    "locked-dedicated": (
        kc.MECH_LOCKED_DEDICATED,
        "seed 4.3: a P whose goroutine is locked to its thread stays with that thread while the "
        "goroutine blocks ('dedicated mode'); a block longer than 10 ms counts as a violation",
    ),
    "node-binding": (
        kc.MECH_NODE_BINDING,
        "2014 NUMA proposal: the Ps are spread evenly over the NUMA nodes and bound there "
        "(without it P i runs on CPU i, so fewer Ps than CPUs fill node 0 first)",
    ),
}

SEED122 = ("ring-globrunq", "deterministic-steal")
DESIGNS: dict[str, tuple[str, ...]] = {
    "go": (),
    "seed122": SEED122,
    "mos": SEED122
    + (
        "state-check",
        "migration-avoid",
        "hierarchical-steal",
        "hybrid-preempt",
        "ring-netpoll",
        "gc-assist-priority",
        "locked-dedicated",
    ),
    "numa": ("node-globrunq", "hierarchical-steal", "node-binding"),
}


def is_design(policy: str) -> bool:
    return policy in DESIGNS


def mechanism_mask(names) -> int:
    mask = 0
    for n in names:
        mask |= MECHANISMS[n][0]
    return mask


# the seed's section 2.2 figures (claim C08): ops/ms and P99 in us, 16 cores, 10M tasks
SEED_QUEUE_FIGURES = {
    "segmented": (124.3, 89.0),
    "treiber": (217.6, 23.0),
}
QUEUE_IMPLS = ("lock", "segmented", "treiber", "ring")


def queue_experiment(
    impls=QUEUE_IMPLS,
    cores: int = 16,
    tasks: int = 200_000,
    task_ns: float = 100.0,
    wait_bound_us: float = 1_000.0,
    iterations: int = 12,
    seed: int = 1,
    costs="default",
):
    """The seed's section 2.2 experiment in gmplab's terms, one row per implementation.

    Policy ``global`` (no per-P queues: every task goes through the global queue both ways),
    one submitting thread (the arrival M) and ``cores`` worker Ps, tasks of ``task_ns`` of
    work. ``throughput_ops_per_ms``: the highest offered rate (geometric bisection, 12 steps:
    within 0.3%) at which the P99
    of a task's wait in the queue stays under ``wait_bound_us``; ``p99_wait_us``: that P99
    at a common rate, half the lowest capacity; ``p99_wait_us_at_capacity``: at 90% of the
    implementation's own. The seed's figures sit beside them (10M tasks in the seed: pass
    ``tasks=10_000_000`` for its length).
    """
    import polars as pl

    from .simulate import simulate

    def run(impl, rate_per_ms):
        return simulate(
            policy="global",
            globrunq=impl,
            topology=f"1x{cores}",
            arrival_rate_per_s=rate_per_ms * 1e3,
            service="const",
            service_mean_ns=task_ns,
            goroutines=tasks,
            seed=seed,
            costs=costs,
        ).summary

    caps = {}
    for impl in impls:
        # geometric bisection between 1 task per ms and the CPUs' own bound
        lo, hi = 1.0, cores / task_ns * 1e6
        for _ in range(iterations):
            mid = math.sqrt(lo * hi)
            ok = run(impl, mid)["sched_latency_ns_p99"] <= wait_bound_us * 1e3
            lo, hi = (mid, hi) if ok else (lo, mid)
        caps[impl] = lo
    common = min(caps.values()) / 2
    rows = []
    for impl in impls:
        at_common = run(impl, common)
        at_cap = run(impl, 0.9 * caps[impl])
        seed_ops, seed_p99 = SEED_QUEUE_FIGURES.get(impl, (None, None))
        rows.append(
            {
                "globrunq": impl,
                "throughput_ops_per_ms": caps[impl],
                "p99_wait_us": at_common["sched_latency_ns_p99"] / 1e3,
                "common_rate_ops_per_ms": common,
                "p99_wait_us_at_capacity": at_cap["sched_latency_ns_p99"] / 1e3,
                "lock_or_cas_wait_share": (
                    (at_cap["globrunq_wait_ns"] + at_cap["lock_wait_ns_total"])
                    / max(at_cap["end_ns"] * cores, 1)
                ),
                "cas_retries_per_op": at_cap["globrunq_cas_retries"]
                / max(at_cap["globrunq_ops"], 1),
                "sleeps_per_op": (at_cap["globrunq_sleeps"] + at_cap["lock_sleeps"])
                / max(at_cap["globrunq_ops"] + at_cap["lock_acquisitions"], 1),
                "seed_ops_per_ms": seed_ops,
                "seed_p99_us": seed_p99,
            }
        )
    return pl.DataFrame(rows)
