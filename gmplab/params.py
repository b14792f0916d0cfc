"""Frozen, validated specs: what a run is. Validation happens here, before any kernel call.

Every field carries a comment; units come last in names. ``RunSpec.key()`` is a stable hash of
the spec (seed included) used by caches and printed in reports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._kernel import consts as kc
from .designs import DESIGNS, MECHANISMS
from .empirical import Empirical
from .empirical import load as load_empirical
from .errors import SpecError
from .topology import MAX_CORES, Topology

# --- costs ---------------------------------------------------------------------------------------
# The `default` profile: reference/cost-defaults.md, with the source of each figure beside it.
DEFAULT_COSTS_NS = {
    "gosched_switch_ns": 200,  # gogo/mcall + schedule() bookkeeping (golang/go#18023)
    "newproc_ns": 100,  # BenchmarkCreateGoroutines ~88 ns at 1 P (commit 4722b1c)
    "runq_op_ns": 5,  # a local ring put/get on the owner's cache lines
    "lock_uncontended_ns": 20,  # runtime mutex, ~50M uncontended uses/s (golang/go#68578)
    "lock_handoff_active_ns": 100,  # hand-off between running threads, ~10M/s (#68578)
    "lock_handoff_sleeping_ns": 5000,  # hand-off to a futex-sleeping waiter, 40k-500k/s (#68578)
    "cacheline_local_ns": 50,  # a contended cache line moved within a NUMA node
    "cacheline_remote_ns": 120,  # the same across nodes (x SLIT/20 beyond two nodes)
    "steal_probe_ns": 30,  # reading a victim's ring head/tail: one remote line, 20-50 ns
    "wakeup_ns": 5000,  # futexwakeup until the woken M runs, 2-10 us
    "newm_ns": 30000,  # creating an OS thread, 20-50 us
    "runnext_steal_pause_ns": 3000,  # runqgrab's usleep(3) before stealing a running P's runnext
    "async_preempt_ns": 5000,  # SIGURG delivery to the preempted M, 1-10 us
    "syscall_overhead_ns": 100,  # entering + leaving a syscall (BenchmarkSyscall 31-97 ns)
    "netpoll_ns": 1000,  # a non-blocking epoll_wait
    "thread_switch_ns": 7900,  # an OS thread switch per hop (golang/go#18023)
    "os_timeslice_ns": 3_000_000,  # OS quantum when Ms outnumber cores (CFS-like)
    "migration_local_ns_per_kib": 15,  # refill a working set from the node's shared L3
    "migration_remote_ns_per_kib": 60,  # the same from another node's memory
    "working_set_kib": 32,  # a goroutine's working set when the workload does not say
    # a blocking netpoll's timeout is rounded up to this: Linux epoll_wait takes whole ms
    # (runtime/netpoll_epoll.go: delay < 1ms waits 1ms); 0 models epoll_pwait2 (exact)
    "netpoll_timeout_granularity_ns": 1_000_000,
    # the collector (estimates, to be replaced by calibration): marking scans about 2 GB/s per
    # worker; the two stop-the-world phases' own work (sweep termination, mark termination)
    # without the stopping time, which the model derives from the running goroutines
    "gc_mark_ns_per_kib": 500,
    "gc_sweepterm_ns": 20_000,
    "gc_markterm_ns": 50_000,
    # an `alloc` phase's object is cleared before use (memclrNoHeapPointers, about 20 GB/s on
    # one core: 50 ns per KiB); page faults on freshly mapped spans are not included
    "alloc_ns_per_kib": 50,
}
assert tuple(DEFAULT_COSTS_NS) == kc.COST_KEYS


@dataclass(frozen=True)
class Costs:
    """Every time constant the kernel charges besides a goroutine's own work (ns)."""

    values: tuple  # ((key, int ns), ...) in COST_KEYS order
    profile: str = "custom"  # where the values came from: zero, default or a file path

    @classmethod
    def from_mapping(cls, mapping: dict, profile: str = "custom", base: dict | None = None):
        vals = dict(DEFAULT_COSTS_NS if base is None else base)
        for k, v in mapping.items():
            if k not in DEFAULT_COSTS_NS:
                raise SpecError("costs", f"keys among {sorted(DEFAULT_COSTS_NS)}", k)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise SpecError(f"costs.{k}", "a finite number of ns >= 0", v)
            if v < 0:
                raise SpecError(f"costs.{k}", "a number of ns >= 0", v)
            vals[k] = int(round(v))
        return cls(tuple((k, vals[k]) for k in kc.COST_KEYS), profile)

    @classmethod
    def resolve(cls, costs) -> Costs:
        """``"zero"``, ``"default"``, a JSON file path, a dict of overrides, or a Costs."""
        if isinstance(costs, Costs):
            return costs
        if isinstance(costs, dict):
            return cls.from_mapping(costs)
        if costs == "zero":
            return cls.from_mapping({k: 0 for k in DEFAULT_COSTS_NS}, "zero")
        if costs == "default":
            return cls.from_mapping({}, "default")
        if isinstance(costs, str | Path):
            path = Path(costs)
            if not path.is_file():
                raise SpecError("costs", "zero, default, or an existing JSON file", str(costs))
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as e:
                raise SpecError("costs", f"a JSON object of cost keys ({e})", str(costs)) from e
            if not isinstance(data, dict):
                raise SpecError("costs", "a JSON object of cost keys", str(costs))
            data = {k: v for k, v in data.items() if not k.startswith("_")}  # _comment etc.
            return cls.from_mapping(data, str(path))
        raise SpecError("costs", "zero, default, or a path to a JSON file", costs)

    def as_dict(self) -> dict:
        return dict(self.values)

    def __getitem__(self, key: str) -> int:
        return self.as_dict()[key]

    def to_array(self) -> np.ndarray:
        return np.array([v for _, v in self.values], dtype=np.int64)


# --- service distributions -----------------------------------------------------------------------
# runtime versions whose scheduler rules the kernel distinguishes (docs/model.md, "Versions")
GO_VERSIONS = tuple(f"1.{m}" for m in range(kc.GO_VERSION_MIN, kc.GO_VERSION_MAX + 1))
BIMODAL_P = 0.9  # Bimodal-1 of validation-oracles.md Table C: 90% short, 10% long
# p / (1 - p) = 9 exactly: at that SCV the short value is 0 (written out: 0.9/0.1 is 9.000...2)
BIMODAL_SCV_MAX = 9.0


def service_params(service: str, mean_ns: float, scv: float) -> tuple[float, float, float]:
    """The kernel's (a, b, p) for a distribution given by mean and SCV (see rng.draw_service_ns)."""
    if service == "lognormal":
        sigma2 = math.log1p(scv)
        return math.log(mean_ns) - sigma2 / 2.0, math.sqrt(sigma2), 0.0
    if service == "bimodal":
        var = scv * mean_ns**2
        a = mean_ns - math.sqrt(var * (1 - BIMODAL_P) / BIMODAL_P)
        b = mean_ns + math.sqrt(var * BIMODAL_P / (1 - BIMODAL_P))
        return a, b, BIMODAL_P
    if service == "pareto":
        alpha = 1.0 + math.sqrt(1.0 + 1.0 / scv)
        return mean_ns * (alpha - 1.0) / alpha, alpha, 0.0
    return 0.0, 0.0, 0.0


@dataclass(frozen=True)
class Phase:
    """One step of a goroutine's life: run on a P, block, allocate, or talk to others.

    ``cpu`` runs for the drawn duration; ``syscall`` enters a syscall with the P still wired to
    the M (sysmon may retake the P); ``syscall_block`` is ``entersyscallblock`` (the P is handed
    off at once); ``netwait`` parks on a network fd until the netpoller finds it ready;
    ``sleep`` is ``time.Sleep`` (a timer); ``nopreempt`` is a CPU burst without safe points
    (preemption and stop-the-world wait for its end); ``critical`` is a CPU burst inside a
    critical section (a lock held; the seed's section 2.3): Go preempts it like ``cpu``, the
    ``hybrid-preempt`` mechanism only at its end. Durations are drawn from ``service``
    with ``mean_ns`` and ``scv``.

    ``alloc`` allocates a drawn number of bytes at one point (mean ``bytes``; ``service`` and
    ``scv`` shape it): the heap grows at once (the GC's trigger and assists see it), then the
    object is cleared on the CPU (cost ``alloc_ns_per_kib``). ``fork`` starts ``count``
    children (``go f()``, each running the ``children`` phases) and waits for all of them
    (``sync.WaitGroup``). ``pool`` sends a job (the ``children`` phases) on the channel of the
    workload's worker pool (``pool_workers`` goroutines) and waits for the worker's reply.
    """

    kind: str = "cpu"  # cpu | nopreempt | critical | syscall | syscall_block | netwait | sleep |
    # alloc | fork | pool
    service: str = "exp"  # distribution of the duration (of the bytes for alloc)
    mean_ns: float = 10_000.0  # mean duration, ns (not used by alloc, fork, pool)
    scv: float | None = None  # squared coefficient of variation (exp: 1, const: 0)
    data: Empirical | None = None  # service "empirical": the user's distribution
    bytes: float | None = None  # alloc: mean bytes per allocation
    count: int = 1  # fork: children started
    children: tuple | None = None  # fork: each child's phases; pool: the job's phases

    def scv_value(self) -> float:
        if self.data is not None:
            return float(self.data.scv)
        if self.scv is not None:
            return float(self.scv)
        return {"exp": 1.0, "const": 0.0}.get(self.service, 1.0)

    @classmethod
    def empirical(cls, kind: str, source, unit: str = "ns") -> Phase:
        """A phase whose durations follow data: ``PATH.csv:COLUMN`` or a histogram PATH."""
        data = source if isinstance(source, Empirical) else load_empirical(str(source), unit)
        if kind == "alloc":  # the data are bytes ("ns" = no scaling)
            return cls(kind, "empirical", 0.0, data.scv, data, bytes=data.mean_ns)
        return cls(kind, "empirical", data.mean_ns, data.scv, data)

    @classmethod
    def parse(cls, text: str) -> Phase:
        """``KIND:DIST:MEAN_NS[:SCV]``, e.g. ``syscall:const:2000000``; or
        ``KIND:empirical:PATH.csv[:COLUMN]``."""
        parts = text.strip().split(":")
        if parts[0] in ("fork", "pool"):
            raise SpecError(
                "program", f"{parts[0]} phases in a YAML or Python spec (they nest phases)", text
            )
        if len(parts) >= 3 and parts[1] == "empirical":
            return cls.empirical(parts[0], ":".join(parts[2:]))
        if len(parts) not in (3, 4):
            raise SpecError("program", "phases KIND:DIST:MEAN_NS[:SCV] separated by commas", text)
        try:
            mean = float(parts[2])
            scv = float(parts[3]) if len(parts) == 4 else None
        except ValueError:
            raise SpecError("program", "numbers for MEAN_NS and SCV", text) from None
        if parts[0] == "alloc":
            return cls("alloc", parts[1], 0.0, scv, bytes=mean)  # alloc:DIST:BYTES[:SCV]
        return cls(parts[0], parts[1], mean, scv)


# a goroutine runs before its first blocking phase and after each one: where a program does
# not say how long, the kernel inserts this minimal CPU step (1 ns, no random draw)
_MIN_CPU = Phase("cpu", "const", 1.0, None)
# phases that run on the CPU (`nopreempt`: a burst with no safe point, e.g. a call-free loop;
# `critical`: a burst inside a critical section)
CPU_KINDS = ("cpu", "nopreempt", "critical")
# phases that talk to other goroutines and nest phases of their own
NESTING_KINDS = ("fork", "pool")


def normalize_program(phases) -> tuple:
    """The program as the kernel runs it: it starts with CPU, has CPU after each block, and an
    ``alloc`` follows a CPU phase (the kernel enters those three only at the end of a burst);
    an ``alloc`` runs on the CPU itself (clearing the object), so a block may follow it."""
    out = []
    for ph in phases:
        prev = out[-1].kind if out else None
        if ph.kind == "alloc":
            if prev not in CPU_KINDS:
                out.append(_MIN_CPU)
        elif ph.kind not in CPU_KINDS and prev not in CPU_KINDS + ("alloc",):
            out.append(_MIN_CPU)
        out.append(ph)
    if out[-1].kind not in CPU_KINDS + ("alloc",):
        out.append(_MIN_CPU)
    return tuple(out)


def program_cpu_mean_ns(phases) -> float:
    """E[CPU] of a program: its CPU phases, a fork's children (all of them), a pool job's."""
    total = 0.0
    for ph in phases:
        if ph.kind in CPU_KINDS:
            total += float(ph.mean_ns)
        elif ph.kind == "fork" and ph.children:
            total += ph.count * program_cpu_mean_ns(ph.children)
        elif ph.kind == "pool" and ph.children:
            total += program_cpu_mean_ns(ph.children)
    return total


def program_kinds(phases) -> set:
    """Every phase kind in a program, nested ones included."""
    out = set()
    for ph in phases:
        out.add(ph.kind)
        if ph.children:
            out |= program_kinds(ph.children)
    return out


MAX_FORK_CHILDREN = 10_000  # children one fork phase may start
MAX_NESTING = 4  # fork/pool phases inside fork/pool phases, at most this deep


def _check_program(phases, name: str, depth: int, in_pool: bool) -> None:
    """Every phase of a program (and of the programs it nests): kind, distribution, fields."""
    for i, ph in enumerate(phases):
        at = f"{name}[{i}]"
        if not isinstance(ph, Phase):
            raise SpecError(at, "a Phase", ph)
        if ph.kind not in kc.PHASE_KINDS:
            raise SpecError(f"{at}.kind", f"one of {sorted(kc.PHASE_KINDS)}", ph.kind)
        if ph.kind in NESTING_KINDS:
            if depth >= MAX_NESTING:
                raise SpecError(f"{at}.kind", f"fork/pool nested at most {MAX_NESTING} deep", depth)
            if ph.kind == "pool" and in_pool:
                raise SpecError(
                    f"{at}.kind",
                    "no pool phase inside a pool job (its worker would wait on its own pool)",
                    ph.kind,
                )
            if ph.kind == "fork" and (
                not _is_int(ph.count) or not 1 <= ph.count <= MAX_FORK_CHILDREN
            ):
                raise SpecError(f"{at}.count", f"an integer in [1, {MAX_FORK_CHILDREN}]", ph.count)
            if not isinstance(ph.children, tuple) or not ph.children:
                raise SpecError(f"{at}.children", "a non-empty list of phases", ph.children)
            _check_program(ph.children, f"{at}.children", depth + 1, in_pool or ph.kind == "pool")
            continue
        if ph.children is not None:
            raise SpecError(f"{at}.children", f"omitted for a {ph.kind} phase", ph.children)
        if ph.kind == "alloc":
            if ph.data is None and (not _is_num(ph.bytes) or not 0 < ph.bytes <= 1 << 40):
                raise SpecError(f"{at}.bytes", "a number of bytes in (0, 2**40]", ph.bytes)
            _check_dist(
                f"{at}.service",
                f"{at}.bytes",
                f"{at}.scv",
                ph.service,
                ph.bytes if ph.data is None else 1.0,
                ph.scv,
                ph.data,
            )
            continue
        if ph.bytes is not None:
            raise SpecError(f"{at}.bytes", "omitted (only alloc phases allocate bytes)", ph.bytes)
        _check_dist(
            f"{at}.service", f"{at}.mean_ns", f"{at}.scv", ph.service, ph.mean_ns, ph.scv, ph.data
        )


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_num(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _check_dist(n_service, n_mean, n_scv, service, mean, scv_in, data=None) -> None:
    """A distribution given by mean and SCV: the checks every duration shares."""
    if service not in kc.DISTS:
        raise SpecError(n_service, f"one of {sorted(kc.DISTS)}", service)
    if service == "empirical":
        if not isinstance(data, Empirical):
            raise SpecError(
                n_service,
                "a distribution by name here (empirical needs data: service_data=PATH:COLUMN)",
                service,
            )
        return
    if not _is_num(mean) or mean <= 0:
        raise SpecError(n_mean, "a finite number > 0", mean)
    if mean > 1e13:
        raise SpecError(n_mean, "at most 1e13 ns (about 3 hours)", mean)
    if scv_in is not None and (not _is_num(scv_in) or scv_in < 0):
        raise SpecError(n_scv, "a finite number >= 0", scv_in)
    scv = scv_in if scv_in is not None else {"exp": 1.0, "const": 0.0}.get(service, 1.0)
    if service == "exp" and scv != 1.0:
        raise SpecError(n_scv, "1 for exp (or omit it)", scv_in)
    if service == "const" and scv != 0.0:
        raise SpecError(n_scv, "0 for const (or omit it)", scv_in)
    if service == "pareto" and not scv > 0:
        raise SpecError(n_scv, "> 0 for pareto (its shape must be > 2)", scv)
    if service == "lognormal" and not scv > 0:
        raise SpecError(n_scv, "> 0 for lognormal", scv)
    if service == "bimodal" and not 0 < scv < BIMODAL_SCV_MAX:
        raise SpecError(
            n_scv,
            f"in (0, {BIMODAL_SCV_MAX:g}) for bimodal with p={BIMODAL_P} "
            "(larger needs a negative short value)",
            scv,
        )


@dataclass(frozen=True)
class Workload:
    """What arrives: an open-loop stream (or a burst) of goroutines and their service times."""

    # poisson | const (interval 1/rate) | burst (N at t=0) | mmpp | schedule | closed
    arrivals: str = "poisson"
    arrival_path: str = "global"  # global (injectglist, no P) | spawn (newproc on P0)
    load: float | None = None  # lambda * E[S] / min(GOMAXPROCS, cores); exclusive with the rate
    arrival_rate_per_s: float | None = None  # lambda in goroutines per second
    service: str = "exp"  # exp | const | lognormal | bimodal | pareto
    service_mean_ns: float = 10_000.0  # E[S], ns of CPU work per goroutine
    service_scv: float | None = None  # squared coefficient of variation (exp: 1, const: 0)
    service_data: Empirical | None = None  # service "empirical": the user's data (loaded)
    goroutines: int = 1_000_000  # arrivals simulated
    goroutines_explicit: bool = False  # the user set `goroutines` (needed for load >= 1)
    warmup_fraction: float = 0.1  # first share of arrivals (by index) run but not measured
    program: tuple | None = None  # Phases of each goroutine; None: one CPU phase (service)
    # load shapes besides Poisson/constant (they give the rate themselves: no load/rate):
    mmpp_rates_per_s: tuple | None = None  # MMPP: (rate in state 0, rate in state 1)
    mmpp_switch_per_s: tuple | None = None  # MMPP: (switches 0->1, 1->0) per second
    rate_schedule: tuple | None = None  # ((duration_ms, rate_per_s), ...), repeated cyclically
    clients: int = 0  # closed loop: clients, each sends, waits for its reply, thinks, repeats
    think: str = "exp"  # closed loop: distribution of the think time
    think_mean_ns: float = 1_000_000.0  # closed loop: mean think time, ns
    think_scv: float | None = None  # its SCV (exp: 1, const: 0)
    # resident goroutines beside the measured stream, alive for the whole run (policy go):
    hogs: int = 0  # CPU hogs that never block (each runs until sysmon preempts it, forever)
    pairs: int = 0  # ping-pong pairs: a CPU burst, then a channel hand-off to the partner
    pair_service: str = "const"  # distribution of a pair member's burst per turn
    pair_mean_ns: float = 1_000.0  # mean burst per turn, ns
    pair_scv: float | None = None  # its SCV (exp: 1, const: 0)
    locked_pairs: bool = False  # each pair member calls runtime.LockOSThread (its own M)
    # the garbage collector (policy go): off unless gc=True
    gc: bool = False  # model GC: heap, trigger, stop-the-world, mark workers, assists
    gogc: int = 100  # GOGC: heap goal = marked x (1 + GOGC/100)
    live_heap_mib: float = 64.0  # the reachable heap each mark finds (steady state), MiB
    alloc_bytes_per_cpu_us: float = 0.0  # what the measured goroutines allocate per us of CPU
    hog_alloc_bytes_per_cpu_us: float = 0.0  # what each hog allocates per us of CPU
    # a pool of worker goroutines fed by a channel (programs' `pool` phases send it jobs)
    pool_workers: int = 0  # workers, each: for job := range ch { run it; reply }

    def phases(self) -> tuple:
        """The program as given, or the single CPU phase of ``service``."""
        if self.program is None:
            if self.service_data is not None:
                return (Phase.empirical("cpu", self.service_data),)
            return (Phase("cpu", self.service, float(self.service_mean_ns), self.service_scv),)
        return tuple(self.program)

    def kernel_phases(self) -> tuple:
        """The program the kernel runs (see normalize_program)."""
        return normalize_program(self.phases())

    def cpu_mean_ns(self) -> float:
        """E[S]: the CPU work one request brings, its children's and pool jobs' included."""
        return program_cpu_mean_ns(self.phases())

    def kinds(self) -> set:
        return program_kinds(self.phases())

    def has_syscalls(self) -> bool:
        return bool(self.kinds() & {"syscall", "syscall_block"})

    def has_blocking(self) -> bool:
        return bool(self.kinds() - set(CPU_KINDS) - {"alloc"})

    def has_sleeps(self) -> bool:
        return "sleep" in self.kinds()

    def residents(self) -> int:
        return self.hogs + 2 * self.pairs + self.pool_workers

    def think_scv_value(self) -> float:
        if self.think_scv is not None:
            return float(self.think_scv)
        return {"exp": 1.0, "const": 0.0}.get(self.think, 1.0)

    def pair_scv_value(self) -> float:
        if self.pair_scv is not None:
            return float(self.pair_scv)
        return {"exp": 1.0, "const": 0.0}.get(self.pair_service, 1.0)

    def scv(self) -> float:
        if self.service_data is not None:
            return float(self.service_data.scv)
        if self.service_scv is not None:
            return float(self.service_scv)
        return {"exp": 1.0, "const": 0.0}.get(self.service, 1.0)


def gc_workers(procs: int) -> tuple[int, float, int]:
    """gcControllerState.startCycle: (dedicated workers, fractional goal, idle-worker cap).

    The goal is 25% of GOMAXPROCS; dedicated = round(goal), unless that is off by more than
    30%, in which case one fewer (if it overshoots) and the rest is a fractional share per P.
    Idle workers may take every P not running a dedicated one.
    """
    goal = procs * kc.GC_BACKGROUND_UTILIZATION
    dedicated = int(goal + 0.5)
    err = dedicated / goal - 1
    frac = 0.0
    if err < -kc.GC_DEDICATED_TOLERANCE or err > kc.GC_DEDICATED_TOLERANCE:
        if dedicated > goal:
            dedicated -= 1
        frac = (goal - dedicated) / procs
    return dedicated, frac, procs - dedicated


@dataclass(frozen=True)
class RunSpec:
    """One simulated configuration and its seed."""

    policy: str = "go"  # go | global | central | partitioned
    topology: Topology = field(default_factory=lambda: Topology(1, 4))  # NUMA nodes x cores
    gomaxprocs: int | None = None  # Ps; None means all logical CPUs (may exceed them)
    workload: Workload = field(default_factory=Workload)  # arrivals and service
    costs: Costs = field(default_factory=lambda: Costs.resolve("default"))  # ns per mechanism
    seed: int = 0  # root of the SeedSequence; replications are its spawned children
    replications: int = 1  # independent runs, each with its own child seed
    max_live: int = 10_000_000  # cap on live goroutines (memory is O(live))
    check_invariants: bool = False  # check every invariant after every event (slow)
    snapshot_ms: float = 0.0  # schedtrace snapshot period in simulated ms (0: none)
    batches: int = 64  # batches of measured goroutines (by arrival index) for batch means
    rules_off: tuple = ()  # Go rules switched off for ablations (consts.RULE_NAMES)
    trace_events: int = 0  # record the first K kernel events (Result.events()); 0: none
    max_syscall_threads: int = 1024  # Ms blocked in syscalls without a P at once (a bound)
    go_version: str = "1.27"  # runtime rules to follow, "1.4" .. "1.27" (docs/model.md, Versions)
    # runnable->running delays: "all" records every one; "go" samples as /sched/latencies does
    # (every 8th transition out of running per goroutine, from a random start)
    latency_sampling: str = "all"
    # cgroup cpu.max: CPU time the container may use per period (None: no quota)
    cpu_quota_ms: float | None = None
    cpu_period_ms: float = 100.0  # the period (Linux's default cfs_period_us is 100 ms)
    # sched.lock's discipline: "fifo" (a FIFO hand-off mutex) or "spinbit" (Go 1.24+'s);
    # None: spinbit for policy go at go_version >= 1.24, else fifo (docs/model.md)
    lock: str | None = None
    # the designs issue (docs/designs.md): the mechanisms on top of Go; None: the policy's own
    # set (designs.DESIGNS: none for go); () switches every one off
    mechanisms: tuple | None = None
    # the global run queue: lock | segmented | treiber | ring | node; None: Go's (lock) unless
    # a mechanism (ring-globrunq, node-globrunq) chooses
    globrunq: str | None = None
    globrunq_segments: int = 8  # segments of a segmented queue (the seed's 8)
    # migration-avoid: "remote P load > 150%" (the victim's load over the mean load) and the
    # ring length above which a P keeps its new goroutines (a quarter of 256)
    mos_load_ratio: float = 1.5
    mos_keep_local: int = 64
    # gc-assist-priority: the seed's undefined base (GCBackgroundPriority): Medium's floor
    mos_gc_base: int = 8
    # locked-dedicated: a locked goroutine blocked longer than this is a violation (seed 4.3)
    mos_locked_violation_ms: float = 10.0

    @property
    def procs(self) -> int:
        return self.gomaxprocs if self.gomaxprocs is not None else self.topology.cpus

    def arrival_rate_per_ns(self) -> float:
        """The long-run arrival rate: given, from the load, or the load shape's mean (for a
        closed loop the most its clients can send: N / (think + CPU))."""
        w = self.workload
        if w.arrivals == "mmpp":
            (r0, r1), (q01, q10) = w.mmpp_rates_per_s, w.mmpp_switch_per_s
            return (r0 * q10 + r1 * q01) / (q01 + q10) / 1e9  # stationary mean
        if w.arrivals == "schedule":
            total = sum(d for d, _ in w.rate_schedule)
            return sum(d * r for d, r in w.rate_schedule) / total / 1e9
        if w.arrivals == "closed":
            return w.clients / (w.think_mean_ns + w.cpu_mean_ns())
        if w.arrival_rate_per_s is not None:
            return w.arrival_rate_per_s / 1e9
        return w.load * min(self.procs, self.topology.cpus) / w.cpu_mean_ns()

    def nominal_load(self) -> float:
        return (
            self.arrival_rate_per_ns()
            * self.workload.cpu_mean_ns()
            / min(self.procs, self.topology.cpus)
        )

    def warmup_n(self) -> int:
        return int(self.workload.goroutines * self.workload.warmup_fraction)

    def uses_netpoll(self) -> bool:
        """netpollinited(): the netpoller is in use (network arrivals or netwait phases)."""
        w = self.workload
        return w.arrival_path == "netpoll" or "netwait" in w.kinds()

    def netpoll_inited(self) -> bool:
        """netpollinited(): network use, or timers (Go 1.14+ sleeps in netpoll until them)."""
        return self.uses_netpoll() or (
            self.workload.has_sleeps() and self.go_version_int() >= kc.V_TIMERS_ON_PS
        )

    def base_policy(self) -> str:
        """The kernel's policy: every design is Go's scheduler with mechanisms on top."""
        return "go" if self.policy in DESIGNS else self.policy

    def mechanisms_on(self) -> tuple:
        """The mechanisms in force: the given ones, else the design's (sorted, no repeats)."""
        names = self.mechanisms
        if names is None:
            names = DESIGNS.get(self.policy, ())
        return tuple(sorted(set(names), key=list(MECHANISMS).index))

    def globrunq_impl(self) -> str:
        """The global run queue's implementation: the given one, else a mechanism's, else
        Go's. Per-node queues on a one-node machine are the one global queue."""
        if self.globrunq is not None:
            return self.globrunq
        on = self.mechanisms_on()
        if "ring-globrunq" in on:
            return "ring"
        if "node-globrunq" in on and self.topology.nodes > 1:
            return "node"
        return "lock"

    def configuration(self) -> str:
        """The configuration's name: the policy, its mechanisms, a non-default global queue."""
        on = self.mechanisms_on()
        name = self.policy
        if self.mechanisms is not None and self.policy in DESIGNS and self.policy != "go":
            name += "[" + ",".join(on) + "]" if on else "[none]"
        elif on:
            name += "+" + "+".join(on)
        impl = self.globrunq_impl()
        if self.globrunq is not None and impl != "lock":  # a mechanism's queue is named above
            name += f" globrunq={impl}"
            if impl == "segmented":
                name += f"/{self.globrunq_segments}"
        return name

    def lock_kind(self) -> str:
        if self.lock is not None:
            return self.lock
        if self.base_policy() == "go" and self.go_version_int() >= kc.V_SPINBIT:
            return "spinbit"
        return "fifo"

    def go_version_int(self) -> int:
        major, minor = self.go_version.split(".")
        return int(major) * 100 + int(minor)

    def rules_mask(self) -> int:
        """The rules the kernel follows: the Go version's, less those switched off."""
        mask = kc.version_rules(self.go_version_int())
        for name in self.rules_off:
            mask &= ~kc.RULE_NAMES[name]
        return mask

    # --- validation -----------------------------------------------------------------------------
    def validate(self) -> RunSpec:
        """Raise SpecError naming the first bad parameter; return self when all is well."""
        if self.policy not in kc.POLICIES and self.policy not in DESIGNS:
            raise SpecError(
                "policy", f"one of {sorted(set(kc.POLICIES) | set(DESIGNS))}", self.policy
            )
        self._validate_design()
        if not isinstance(self.topology, Topology):
            raise SpecError("topology", "a Topology or 'NODESxCORES'", self.topology)
        if self.gomaxprocs is not None and (
            not _is_int(self.gomaxprocs) or not 1 <= self.gomaxprocs <= MAX_CORES
        ):
            raise SpecError(
                "gomaxprocs",
                f"an integer in [1, {MAX_CORES}] or 'auto' (above the CPUs, Ms share them)",
                self.gomaxprocs,
            )
        if self.cpu_quota_ms is not None and (
            not _is_num(self.cpu_quota_ms) or not 0 < self.cpu_quota_ms <= 1e6
        ):
            raise SpecError(
                "cpu_quota_ms", "a number of ms in (0, 1e6] (cgroup cpu.max)", self.cpu_quota_ms
            )
        if self.lock is not None and self.lock not in kc.LOCKS:
            raise SpecError("lock", f"one of {sorted(kc.LOCKS)} (or omitted)", self.lock)
        if not _is_num(self.cpu_period_ms) or not 1 <= self.cpu_period_ms <= 1000:
            raise SpecError("cpu_period_ms", "a number of ms in [1, 1000]", self.cpu_period_ms)
        w = self.workload
        if w.arrivals not in kc.ARRIVALS:
            raise SpecError("arrivals", f"one of {sorted(kc.ARRIVALS)}", w.arrivals)
        if w.arrival_path not in kc.PATHS:
            raise SpecError("arrival_path", f"one of {sorted(kc.PATHS)}", w.arrival_path)
        if w.arrival_path in ("netpoll", "random-p") and self.base_policy() != "go":
            raise SpecError(
                "arrival_path", f"global or spawn with policy {self.policy!r}", w.arrival_path
            )
        if w.service not in kc.DISTS:
            raise SpecError("service", f"one of {sorted(kc.DISTS)}", w.service)
        if w.program is not None:
            if not isinstance(w.program, tuple) or not w.program:
                raise SpecError("program", "a non-empty tuple of Phase", w.program)
            _check_program(w.program, "program", 0, False)
            if w.cpu_mean_ns() <= 0:
                raise SpecError("program", "at least one cpu phase with mean_ns > 0", w.program)
            if "pool" in w.kinds() and not w.pool_workers:
                raise SpecError(
                    "pool_workers", "at least 1 worker for the program's pool phases", 0
                )
            if (w.has_blocking() or w.residents()) and self.base_policy() != "go":
                raise SpecError(
                    "program",
                    "cpu phases only with policy "
                    f"{self.policy!r} (blocking phases are modelled for policy 'go' only, so far)",
                    w.program,
                )
        _check_dist(
            "service",
            "service_mean_ns",
            "service_scv",
            w.service,
            w.service_mean_ns,
            w.service_scv,
            w.service_data,
        )
        for name, n in (("hogs", w.hogs), ("pairs", w.pairs), ("pool_workers", w.pool_workers)):
            if not _is_int(n) or not 0 <= n <= 100_000:
                raise SpecError(name, "an integer in [0, 100000]", n)
            if n and self.base_policy() != "go":
                raise SpecError(
                    name, f"0 with policy {self.policy!r} (residents need policy 'go')", n
                )
        if w.pool_workers and "pool" not in w.kinds():
            raise SpecError("pool_workers", "0 unless the program has a pool phase", w.pool_workers)
        _check_dist(
            "pair_service", "pair_mean_ns", "pair_scv", w.pair_service, w.pair_mean_ns, w.pair_scv
        )
        if not isinstance(w.locked_pairs, bool):
            raise SpecError("locked_pairs", "True or False", w.locked_pairs)
        if w.gc and self.base_policy() != "go":
            raise SpecError("gc", f"False with policy {self.policy!r} (GC needs policy 'go')", w.gc)
        if not isinstance(w.gc, bool):
            raise SpecError("gc", "True or False", w.gc)
        if not _is_int(w.gogc) or not 1 <= w.gogc <= 100_000:
            raise SpecError("gogc", "an integer in [1, 100000] (GOGC=off: gc=False)", w.gogc)
        if not _is_num(w.live_heap_mib) or not 0 < w.live_heap_mib <= 1_000_000:
            raise SpecError("live_heap_mib", "a number of MiB in (0, 1000000]", w.live_heap_mib)
        for name, v in (
            ("alloc_bytes_per_cpu_us", w.alloc_bytes_per_cpu_us),
            ("hog_alloc_bytes_per_cpu_us", w.hog_alloc_bytes_per_cpu_us),
        ):
            if not _is_num(v) or not 0 <= v <= 1e9:
                raise SpecError(name, "a number of bytes in [0, 1e9]", v)
        if w.residents() and w.residents() >= self.max_live:
            raise SpecError(
                "max_live", f"more than the {w.residents()} resident goroutines", self.max_live
            )
        if not _is_int(w.goroutines) or w.goroutines < 1:
            raise SpecError("goroutines", "an integer >= 1", w.goroutines)
        if not _is_num(w.warmup_fraction) or not 0 <= w.warmup_fraction < 1:
            raise SpecError("warmup_fraction", "a number in [0, 1)", w.warmup_fraction)
        if w.goroutines - int(w.goroutines * w.warmup_fraction) < 1:
            raise SpecError(
                "goroutines", "large enough that at least one is measured", w.goroutines
            )
        if w.arrivals == "burst":
            if w.load is not None:
                raise SpecError("load", "omitted with arrivals=burst (all arrive at t=0)", w.load)
            if w.arrival_rate_per_s is not None:
                raise SpecError(
                    "arrival_rate_per_s",
                    "omitted with arrivals=burst (all arrive at t=0)",
                    w.arrival_rate_per_s,
                )
            if w.goroutines > self.max_live:
                raise SpecError(
                    "goroutines", f"at most max_live={self.max_live} for a burst", w.goroutines
                )
        elif w.arrivals in ("mmpp", "schedule", "closed"):
            self._validate_shape()
        else:
            if (w.load is None) == (w.arrival_rate_per_s is None):
                raise SpecError("load", "given, or arrival_rate_per_s given (exactly one)", w.load)
            if w.load is not None and (not _is_num(w.load) or w.load <= 0):
                raise SpecError("load", "a finite number > 0", w.load)
            if w.arrival_rate_per_s is not None and (
                not _is_num(w.arrival_rate_per_s) or w.arrival_rate_per_s <= 0
            ):
                raise SpecError("arrival_rate_per_s", "a finite number > 0", w.arrival_rate_per_s)
            rho = self.nominal_load()
            if rho >= 1 and not w.goroutines_explicit:
                raise SpecError(
                    "load",
                    f"< 1 unless the run length is explicit (load {rho:.3g} is unstable: "
                    "give goroutines= / --goroutines)",
                    rho,
                )
            if 1.0 / self.arrival_rate_per_ns() < 1e-3:
                raise SpecError(
                    "arrival_rate_per_s", "at most 1e12 per second", w.arrival_rate_per_s
                )
        if not _is_int(self.seed) or self.seed < 0:
            raise SpecError("seed", "an integer >= 0", self.seed)
        if not _is_int(self.replications) or not 1 <= self.replications <= 10_000:
            raise SpecError("replications", "an integer in [1, 10000]", self.replications)
        if not _is_int(self.max_live) or not 1 <= self.max_live <= 100_000_000:
            raise SpecError("max_live", "an integer in [1, 100000000]", self.max_live)
        if not _is_num(self.snapshot_ms) or self.snapshot_ms < 0:
            raise SpecError(
                "snapshot_ms", "a number of ms >= 0 (0: no snapshots)", self.snapshot_ms
            )
        if self.snapshot_ms and self.snapshot_ms * 1e6 < 1:
            raise SpecError("snapshot_ms", "0 or at least 1e-6 ms (1 ns)", self.snapshot_ms)
        if not _is_int(self.batches) or not 1 <= self.batches <= 4096:
            raise SpecError("batches", "an integer in [1, 4096]", self.batches)
        if not _is_int(self.max_syscall_threads) or not 1 <= self.max_syscall_threads <= 100_000:
            raise SpecError(
                "max_syscall_threads", "an integer in [1, 100000]", self.max_syscall_threads
            )
        if self.latency_sampling not in ("all", "go"):
            raise SpecError("latency_sampling", "all or go", self.latency_sampling)
        if self.go_version not in GO_VERSIONS:
            raise SpecError(
                "go_version",
                f"a release from {GO_VERSIONS[0]} to {GO_VERSIONS[-1]}",
                self.go_version,
            )
        if not _is_int(self.trace_events) or not 0 <= self.trace_events <= 10_000_000:
            raise SpecError("trace_events", "an integer in [0, 10000000]", self.trace_events)
        for name in self.rules_off:
            if name not in kc.RULE_NAMES:
                raise SpecError("rules_off", f"names among {sorted(kc.RULE_NAMES)}", name)
        if (
            "netpoll_block" in self.rules_off
            and w.has_sleeps()
            and self.go_version_int() >= kc.V_TIMERS_ON_PS
        ):
            raise SpecError(
                "rules_off",
                "without netpoll_block when goroutines sleep (from Go 1.14 an idle M waits for "
                "timers in netpoll; without it a sleeper on an idle P never wakes)",
                "netpoll_block",
            )
        return self

    def _validate_shape(self) -> None:
        """The load shapes that carry their own rate: MMPP, a rate schedule, a closed loop."""
        w = self.workload
        for name, v in (("load", w.load), ("arrival_rate_per_s", w.arrival_rate_per_s)):
            if v is not None:
                raise SpecError(name, f"omitted with arrivals={w.arrivals} (it sets the rate)", v)

        def pair(name, v, allow_zero):
            ok = isinstance(v, tuple | list) and len(v) == 2 and all(_is_num(x) for x in v)
            if not ok or any(x < 0 or (x == 0 and not allow_zero) for x in v):
                rule = ">= 0" if allow_zero else "> 0"
                raise SpecError(name, f"two finite numbers {rule} per second", v)

        if w.arrivals == "mmpp":
            pair("mmpp_rates_per_s", w.mmpp_rates_per_s, True)
            pair("mmpp_switch_per_s", w.mmpp_switch_per_s, False)
            if max(w.mmpp_rates_per_s) <= 0:
                raise SpecError("mmpp_rates_per_s", "at least one rate > 0", w.mmpp_rates_per_s)
        elif w.arrivals == "schedule":
            rs = w.rate_schedule
            if not isinstance(rs, tuple | list) or not rs:
                raise SpecError(
                    "rate_schedule", "a non-empty list of (duration_ms, rate_per_s)", rs
                )
            for i, row in enumerate(rs):
                if (
                    not isinstance(row, tuple | list)
                    or len(row) != 2
                    or not all(_is_num(x) for x in row)
                    or row[0] <= 0
                    or row[1] < 0
                ):
                    raise SpecError(
                        f"rate_schedule[{i}]", "(duration_ms > 0, rate_per_s >= 0)", row
                    )
            if max(r for _, r in rs) <= 0:
                raise SpecError("rate_schedule", "at least one segment with a rate > 0", rs)
        else:
            if not _is_int(w.clients) or not 1 <= w.clients <= 10_000_000:
                raise SpecError(
                    "clients", "an integer in [1, 10000000] for a closed loop", w.clients
                )
            _check_dist(
                "think", "think_mean_ns", "think_scv", w.think, w.think_mean_ns, w.think_scv
            )
            if w.clients > self.max_live:
                raise SpecError("clients", f"at most max_live={self.max_live}", w.clients)
        rho = self.nominal_load()
        if rho >= 1 and not w.goroutines_explicit and w.arrivals != "closed":
            raise SpecError(
                "arrivals",
                f"a mean load < 1 unless the run length is explicit (load {rho:.3g}: give "
                "goroutines=)",
                rho,
            )

    def _validate_design(self) -> None:
        """The designs issue's parameters (designs.py): names, ranges, bad combinations."""
        if self.mechanisms is not None:
            if isinstance(self.mechanisms, str) or not isinstance(self.mechanisms, tuple):
                raise SpecError("mechanisms", "a tuple of mechanism names", self.mechanisms)
            for m in self.mechanisms:
                if m not in MECHANISMS:
                    raise SpecError("mechanisms", f"names from {sorted(MECHANISMS)}", m)
        on = self.mechanisms_on()
        if on and self.base_policy() != "go":
            raise SpecError(
                "mechanisms",
                f"none with policy {self.policy!r} (mechanisms go on top of Go's scheduler)",
                ",".join(on),
            )
        if self.globrunq is not None and self.globrunq not in kc.GLOBRUNQS:
            raise SpecError("globrunq", f"one of {sorted(kc.GLOBRUNQS)}", self.globrunq)
        if self.globrunq not in (None, "lock") and self.base_policy() not in ("go", "global"):
            raise SpecError(
                "globrunq",
                f"'lock' with policy {self.policy!r} (the implementations replace Go's queue)",
                self.globrunq,
            )
        if not _is_int(self.globrunq_segments) or not 1 <= self.globrunq_segments <= (
            kc.GQ_SEGMENTS_MAX
        ):
            raise SpecError(
                "globrunq_segments",
                f"an integer in [1, {kc.GQ_SEGMENTS_MAX}]",
                self.globrunq_segments,
            )
        if "ring-globrunq" in on and "node-globrunq" in on:
            raise SpecError(
                "mechanisms", "at most one of ring-globrunq and node-globrunq", ",".join(on)
            )
        for mech, impl in (("ring-globrunq", "ring"), ("node-globrunq", "node")):
            if mech in on and self.globrunq not in (None, impl):
                raise SpecError(
                    "globrunq", f"{impl!r} or omitted with the {mech} mechanism", self.globrunq
                )
        one_node = self.topology.nodes == 1
        asked = self.mechanisms or ()
        if one_node and (self.globrunq == "node" or "node-binding" in asked):
            what = "globrunq='node'" if self.globrunq == "node" else "node-binding"
            raise SpecError(
                "mechanisms" if what == "node-binding" else "globrunq",
                f"a topology with more than one NUMA node for {what} (this one has 1: "
                "'2x8', 'xeon-2x48', ...)",
                what,
            )
        if "node-binding" in on and not one_node and self.procs > self.topology.cpus:
            raise SpecError(
                "gomaxprocs",
                f"at most the {self.topology.cpus} CPUs with node-binding (Ps bound to nodes "
                "sharing CPUs are not modelled)",
                self.procs,
            )
        w = self.workload
        if "locked-dedicated" in on and w.locked_pairs and 2 * w.pairs >= self.procs:
            raise SpecError(
                "pairs",
                f"fewer than GOMAXPROCS/2 = {self.procs / 2:g} locked pairs with locked-dedicated "
                "(each pair's threads hold two Ps for good: nothing else would run)",
                w.pairs,
            )
        if not _is_num(self.mos_load_ratio) or not 0 < self.mos_load_ratio <= 100:
            raise SpecError(
                "mos_load_ratio", "a number in (0, 100] (1.5: 'load > 150%')", self.mos_load_ratio
            )
        if not _is_int(self.mos_keep_local) or not 0 <= self.mos_keep_local <= kc.RUNQ_SIZE:
            raise SpecError(
                "mos_keep_local", f"an integer in [0, {kc.RUNQ_SIZE}]", self.mos_keep_local
            )
        if not _is_int(self.mos_gc_base) or not -100 <= self.mos_gc_base <= 100:
            raise SpecError("mos_gc_base", "an integer in [-100, 100]", self.mos_gc_base)
        if not _is_num(self.mos_locked_violation_ms) or not 0 < self.mos_locked_violation_ms:
            raise SpecError(
                "mos_locked_violation_ms", "a number of ms > 0", self.mos_locked_violation_ms
            )

    def _design_dict(self) -> dict:
        """The design's fields for to_dict (absent for plain Go: keys of old runs stay)."""
        on = self.mechanisms_on()
        impl = self.globrunq_impl()
        d: dict = {}
        if on or self.policy in DESIGNS and self.policy != "go":
            d["mechanisms"] = list(on)
        if impl != "lock":
            d["globrunq"] = impl
        if impl == "segmented":
            d["globrunq_segments"] = self.globrunq_segments
        if "migration-avoid" in on:
            d["mos_load_ratio"] = self.mos_load_ratio
            d["mos_keep_local"] = self.mos_keep_local
        if "gc-assist-priority" in on:
            d["mos_gc_base"] = self.mos_gc_base
        if "locked-dedicated" in on:
            d["mos_locked_violation_ms"] = self.mos_locked_violation_ms
        if d:
            d["configuration"] = self.configuration()
        return d

    # --- identity -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        w = self.workload
        return {
            "policy": self.policy,
            **self.topology.to_dict(),
            "cores": self.topology.cores,
            **({"cpus": self.topology.cpus} if self.topology.cpus != self.topology.cores else {}),
            "lock": self.lock_kind(),
            **self._design_dict(),
            **(
                {"cpu_quota_ms": self.cpu_quota_ms, "cpu_period_ms": self.cpu_period_ms}
                if self.cpu_quota_ms is not None
                else {}
            ),
            "gomaxprocs": self.procs,
            "arrivals": w.arrivals,
            "arrival_path": w.arrival_path,
            "load": w.load,
            "arrival_rate_per_s": w.arrival_rate_per_s,
            "nominal_load": None if w.arrivals == "burst" else self.nominal_load(),
            **(
                {
                    "mmpp_rates_per_s": list(w.mmpp_rates_per_s),
                    "mmpp_switch_per_s": list(w.mmpp_switch_per_s),
                }
                if w.arrivals == "mmpp"
                else {}
            ),
            **(
                {"rate_schedule": [list(r) for r in w.rate_schedule]}
                if w.arrivals == "schedule"
                else {}
            ),
            **(
                {
                    "clients": w.clients,
                    "think": w.think,
                    "think_mean_ns": float(w.think_mean_ns),
                    "think_scv": w.think_scv_value(),
                }
                if w.arrivals == "closed"
                else {}
            ),
            "service": w.service,
            "service_mean_ns": float(w.service_mean_ns),
            "service_scv": w.scv(),
            "goroutines": w.goroutines,
            "warmup_fraction": w.warmup_fraction,
            "costs_profile": self.costs.profile,
            "costs": self.costs.as_dict(),
            "seed": self.seed,
            "replications": self.replications,
            "max_live": self.max_live,
            "check_invariants": self.check_invariants,
            "snapshot_ms": self.snapshot_ms,
            "batches": self.batches,
            "rules_off": sorted(self.rules_off),
            "trace_events": self.trace_events,
            "program": [_phase_dict(ph) for ph in w.phases()],
            "max_syscall_threads": self.max_syscall_threads,
            "go_version": self.go_version,
            **({"latency_sampling": "go"} if self.latency_sampling == "go" else {}),
            **(
                {
                    "hogs": w.hogs,
                    "pairs": w.pairs,
                    "pair_service": w.pair_service,
                    "pair_mean_ns": float(w.pair_mean_ns),
                    "pair_scv": w.pair_scv_value(),
                    **({"locked_pairs": True} if w.locked_pairs else {}),
                }
                if w.hogs or w.pairs
                else {}
            ),
            **({"pool_workers": w.pool_workers} if w.pool_workers else {}),
            **(
                {
                    "gc": True,
                    "gogc": w.gogc,
                    "live_heap_mib": float(w.live_heap_mib),
                    "alloc_bytes_per_cpu_us": float(w.alloc_bytes_per_cpu_us),
                    "hog_alloc_bytes_per_cpu_us": float(w.hog_alloc_bytes_per_cpu_us),
                }
                if w.gc
                else {}
            ),
        }

    def key(self) -> str:
        """Stable hash of everything that determines the result (seed included)."""
        d = self.to_dict()
        d.pop("costs_profile")  # the values matter, not what the profile was called
        d.pop("check_invariants")  # checking changes no result
        d.pop("trace_events")  # nor does tracing
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def replace(self, **changes) -> RunSpec:
        return dataclasses.replace(self, **changes)


def _phase_dict(ph: Phase) -> dict:
    """A phase as plain data (the spec's identity: fields appear only where they matter)."""
    if ph.kind in NESTING_KINDS:
        return {
            "kind": ph.kind,
            **({"count": ph.count} if ph.kind == "fork" else {}),
            "children": [_phase_dict(c) for c in ph.children],
        }
    d = {
        "kind": ph.kind,
        "service": ph.service,
        "mean_ns": float(ph.mean_ns),
        "scv": ph.scv_value(),
        **(
            {"data": ph.data.source, "data_digest": ph.data.digest()} if ph.data is not None else {}
        ),
    }
    if ph.kind == "alloc":
        d.pop("mean_ns")
        d["bytes"] = float(ph.bytes)
    return d


def _as_mechanisms(m):
    """None (the policy's own), or names from a list, a tuple or 'a,b' ('' or 'none': none)."""
    if m is None:
        return None
    if isinstance(m, str):
        m = [x.strip() for x in m.split(",") if x.strip() and x.strip() != "none"]
    if not isinstance(m, (list, tuple)):
        raise SpecError("mechanisms", "names separated by commas, or a list of names", m)
    return tuple(m)


def make_spec(
    policy: str = "go",
    topology="1x4",
    gomaxprocs: int | None = None,
    load: float | None = None,
    arrival_rate_per_s: float | None = None,
    arrivals: str = "poisson",
    arrival_path: str = "global",
    service: str = "exp",
    service_mean_ns: float = 10_000.0,
    service_scv: float | None = None,
    goroutines: int | None = None,
    warmup_fraction: float = 0.1,
    replications: int = 1,
    costs="default",
    seed: int = 0,
    max_live: int = 10_000_000,
    check_invariants: bool = False,
    snapshot_ms: float = 0.0,
    batches: int = 64,
    rules_off=(),
    trace_events: int = 0,
    program=None,
    max_syscall_threads: int = 1024,
    go_version: str = "1.27",
    hogs: int = 0,
    pairs: int = 0,
    pair_service: str = "const",
    pair_mean_ns: float = 1_000.0,
    pair_scv: float | None = None,
    locked_pairs: bool = False,
    gc: bool = False,
    gogc: int = 100,
    live_heap_mib: float = 64.0,
    alloc_bytes_per_cpu_us: float = 0.0,
    hog_alloc_bytes_per_cpu_us: float = 0.0,
    latency_sampling: str = "all",
    mmpp_rates_per_s=None,
    mmpp_switch_per_s=None,
    rate_schedule=None,
    clients: int = 0,
    think: str = "exp",
    think_mean_ns: float = 1_000_000.0,
    think_scv: float | None = None,
    service_data=None,
    service_data_unit: str = "ns",
    pool_workers: int = 0,
    distances=None,
    smt_factor: float | None = None,
    cpu_quota_ms: float | None = None,
    cpu_period_ms: float = 100.0,
    lock: str | None = None,
    mechanisms=None,
    globrunq: str | None = None,
    globrunq_segments: int = 8,
    mos_load_ratio: float = 1.5,
    mos_keep_local: int = 64,
    mos_gc_base: int = 8,
    mos_locked_violation_ms: float = 10.0,
) -> RunSpec:
    """Build and validate a RunSpec from plain arguments (the API's and the CLI's one path)."""
    topo = Topology.parse(topology, distances, smt_factor)
    if gomaxprocs == "auto":
        gomaxprocs = auto_gomaxprocs(topo.cpus, cpu_quota_ms, cpu_period_ms)
    data = None
    if service_data is not None or service == "empirical":
        if service != "empirical":
            raise SpecError("service_data", "given only with service='empirical'", service_data)
        if service_data is None:
            raise SpecError("service_data", "PATH.csv:COLUMN or a histogram PATH.csv", None)
        data = (
            service_data
            if isinstance(service_data, Empirical)
            else load_empirical(str(service_data), service_data_unit)
        )
        service_mean_ns, service_scv = data.mean_ns, data.scv
    wl = Workload(
        arrivals=arrivals,
        arrival_path=arrival_path,
        load=load,
        arrival_rate_per_s=arrival_rate_per_s,
        service=service,
        service_mean_ns=service_mean_ns,
        service_scv=service_scv,
        service_data=data,
        goroutines=1_000_000 if goroutines is None else goroutines,
        goroutines_explicit=goroutines is not None,
        warmup_fraction=warmup_fraction,
        program=_as_program(program),
        hogs=hogs,
        pairs=pairs,
        pair_service=pair_service,
        pair_mean_ns=pair_mean_ns,
        pair_scv=pair_scv,
        locked_pairs=locked_pairs,
        gc=gc,
        gogc=gogc,
        live_heap_mib=live_heap_mib,
        alloc_bytes_per_cpu_us=alloc_bytes_per_cpu_us,
        hog_alloc_bytes_per_cpu_us=hog_alloc_bytes_per_cpu_us,
        mmpp_rates_per_s=_as_tuple("mmpp_rates_per_s", mmpp_rates_per_s),
        mmpp_switch_per_s=_as_tuple("mmpp_switch_per_s", mmpp_switch_per_s),
        rate_schedule=_as_tuple("rate_schedule", rate_schedule, nested=True),
        clients=clients,
        think=think,
        think_mean_ns=think_mean_ns,
        think_scv=think_scv,
        pool_workers=pool_workers,
    )
    spec = RunSpec(
        policy=policy,
        topology=topo,
        gomaxprocs=gomaxprocs,
        workload=wl,
        costs=Costs.resolve(costs),
        seed=seed,
        replications=replications,
        max_live=max_live,
        check_invariants=bool(check_invariants),
        snapshot_ms=snapshot_ms,
        batches=batches,
        rules_off=tuple(rules_off),
        trace_events=trace_events,
        max_syscall_threads=max_syscall_threads,
        go_version=go_version,
        latency_sampling=latency_sampling,
        cpu_quota_ms=cpu_quota_ms,
        cpu_period_ms=cpu_period_ms,
        lock=lock,
        mechanisms=_as_mechanisms(mechanisms),
        globrunq=globrunq,
        globrunq_segments=globrunq_segments,
        mos_load_ratio=mos_load_ratio,
        mos_keep_local=mos_keep_local,
        mos_gc_base=mos_gc_base,
        mos_locked_violation_ms=mos_locked_violation_ms,
    )
    return spec.validate()


def auto_gomaxprocs(cpus: int, cpu_quota_ms=None, cpu_period_ms: float = 100.0) -> int:
    """Go 1.25's default GOMAXPROCS: the logical CPUs, or the cgroup's CPU limit rounded up
    (at least 2) when that is lower (runtime/cgroup_linux.go; golang/go#73193)."""
    if cpu_quota_ms is None:
        return cpus
    if not _is_num(cpu_quota_ms) or cpu_quota_ms <= 0:
        raise SpecError("cpu_quota_ms", "a number of ms > 0 (cgroup cpu.max)", cpu_quota_ms)
    if not _is_num(cpu_period_ms) or cpu_period_ms <= 0:
        raise SpecError("cpu_period_ms", "a number of ms > 0", cpu_period_ms)
    limit = max(2, math.ceil(cpu_quota_ms / cpu_period_ms - 1e-9))
    return min(cpus, limit)


def _as_tuple(name, x, nested=False):
    """A list (of lists) from YAML or the CLI as a hashable tuple (of tuples)."""
    if x is None:
        return None
    try:
        return tuple(tuple(r) for r in x) if nested else tuple(x)
    except TypeError:
        what = "a list of (duration_ms, rate_per_s) pairs" if nested else "a pair of numbers"
        raise SpecError(name, what, x) from None


def _as_program(program):
    """None, a string ``"cpu:exp:5000,syscall:const:2000000"``, or Phases / dicts."""
    if program is None:
        return None
    if isinstance(program, str):
        return tuple(Phase.parse(x) for x in program.split(",") if x.strip())
    out = []
    for ph in program:
        if isinstance(ph, dict):
            ph = dict(ph)
            if ph.get("children") is not None:
                ph["children"] = _as_program(ph["children"])
            try:
                ph = Phase(**ph)
            except TypeError as e:
                raise SpecError(
                    "program",
                    "phases with keys kind, service, mean_ns, scv, bytes, count, children",
                    ph,
                ) from e
        elif isinstance(ph, Phase) and isinstance(ph.children, list):
            ph = dataclasses.replace(ph, children=_as_program(ph.children))
        out.append(ph)
    return tuple(out)
