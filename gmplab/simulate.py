"""The one wrapper around the kernel: validate, seed, allocate, call, raise with the seed."""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import _numba_cache_stamp, designs, kernel_builds
from ._kernel import consts as kc
from ._kernel.central import fastpath_ok, run_central
from ._kernel.hist import HDR_ARRAY_LEN
from ._kernel.loop import run_kernel
from ._kernel.rng import seed_state
from .errors import KernelError, ResourceLimitError, env_switch
from .params import RunSpec, gc_workers, make_spec, normalize_program, service_params
from .result import Replication, Result

G_INITIAL_CAP = 1024  # goroutine table rows before the first doubling (memory is O(live))
BITMAP_MAX = 1_000_000  # the completed-once bitmap covers the first 10^6 arrival indexes
SNAPSHOTS_MAX = 200_000  # schedtrace snapshots kept per run (the rest are counted, dropped)


def kernel_version() -> str:
    """Hash of the kernel's sources: changes whenever results may change. The same hash stamps
    the kernel's numba cache (gmplab/_numba_cache_stamp.py), memoised while no file changes."""
    return _numba_cache_stamp.folder_stamp(Path(__file__).parent / "_kernel")[:12]


def _program_rows(phases) -> tuple:
    """The kernel's program table: the main program, then each sub-program (a fork's
    children's, a pool job's), every one ending in a PHASE_END row; and the empirical rows."""
    rows = []
    emp_rows = []

    def emit(program) -> int:
        start = len(rows)
        rows.extend([None] * (len(program) + 1))
        for i, ph in enumerate(program):
            r = np.zeros(kc.N_PROG)
            r[kc.PR_KIND] = kc.PHASE_KINDS[ph.kind]
            if ph.kind in ("fork", "pool"):
                r[kc.PR_DIST] = kc.DISTS["const"]
                r[kc.PR_COUNT] = ph.count if ph.kind == "fork" else 1
                rows[start + i] = r  # placed before the sub-program is emitted after it
                r[kc.PR_SUB] = emit(normalize_program(ph.children))
                continue
            mean = float(ph.bytes if ph.kind == "alloc" else ph.mean_ns)
            if ph.data is not None:
                # an empirical phase: a = its first row in the table, b = its number of rows
                a_, b_, p_ = float(len(emp_rows)), float(len(ph.data.points)), 0.0
                emp_rows.extend(ph.data.points)
            else:
                a_, b_, p_ = service_params(ph.service, mean, ph.scv_value())
            r[kc.PR_DIST] = kc.DISTS[ph.service]
            r[kc.PR_MEAN], r[kc.PR_A], r[kc.PR_B], r[kc.PR_P] = mean, a_, b_, p_
            rows[start + i] = r
        end = np.zeros(kc.N_PROG)
        end[kc.PR_KIND] = kc.PHASE_END
        rows[start + len(program)] = end
        return start

    emit(phases)
    return np.array(rows, dtype=np.float64), emp_rows


def cost_tables(spec: RunSpec) -> np.ndarray:
    """The costs array with the machine's per-node-pair tables appended (consts.CT_*): what a
    cache line, a steal probe and a migration cost between two NUMA nodes, by SLIT distance."""
    c = spec.costs.as_dict()
    d = spec.topology.distance_matrix().astype(np.float64)
    local = d == 10
    line = np.where(local, c["cacheline_local_ns"], c["cacheline_remote_ns"] * d / 20.0)
    probe = c["steal_probe_ns"] * d / 10.0
    per_kib = np.where(
        local, c["migration_local_ns_per_kib"], c["migration_remote_ns_per_kib"] * d / 20.0
    )
    migr = c["working_set_kib"] * per_kib
    # each node's nodes nearest first (itself first, ties by index): hierarchical stealing
    # and the per-node global queues walk them in this order
    order = np.array(
        [sorted(range(len(row)), key=lambda j, r=row: (j != i, r[j], j)) for i, row in enumerate(d)]
    )
    tables = [np.rint(t).astype(np.int64).ravel() for t in (line, probe, migr, d, order)]
    return np.concatenate([spec.costs.to_array(), [d.shape[0]], *tables]).astype(np.int64)


def cpu_order(topo) -> np.ndarray:
    """Logical CPUs in the order they are used: all cores first, SMT siblings after."""
    n = topo.cpus
    if topo.smt_factor is None:
        return np.arange(n, dtype=np.int64)
    return np.concatenate([np.arange(0, n, 2), np.arange(1, n, 2)]).astype(np.int64)


def _machine(spec: RunSpec, sched: np.ndarray, pst: np.ndarray, n_actors: int) -> tuple:
    """The OS layer's state: its mode, per-actor slots in sched's tail, free cores, quota."""
    topo = spec.topology
    ncpu = topo.cpus
    out = np.zeros(kc.N_SCHED + 2 * n_actors + 2 * ncpu, dtype=np.int64)
    out[: kc.N_SCHED] = sched
    out[kc.S_NACT] = n_actors
    out[kc.S_PEND_BASE] = kc.N_SCHED + n_actors
    out[kc.S_CORE_BASE] = kc.N_SCHED + 2 * n_actors
    out[kc.S_OWN_BASE] = kc.N_SCHED + 2 * n_actors + ncpu
    out[out[kc.S_OWN_BASE] : out[kc.S_OWN_BASE] + ncpu] = -1
    out[kc.N_SCHED + n_actors : kc.N_SCHED + 2 * n_actors] = kc.INF_NS
    out[kc.S_NCPU] = ncpu
    out[kc.S_CPN] = topo.cpus_per_node
    out[kc.S_OSQ_HEAD] = -1
    out[kc.S_OSQ_TAIL] = -1
    out[kc.S_LOCK_KIND] = kc.LOCKS[spec.lock_kind()]
    out[kc.S_LOCK_HOLDER] = -1
    out[kc.S_LOCK_NODE] = -1
    out[kc.S_CUR_P] = -1
    np_ = pst.shape[0]
    # the order the OS hands out logical CPUs: with SMT one thread of every core first
    # (2k), then the siblings (2k + 1), as Linux spreads runnable threads over idle cores
    order = cpu_order(topo)
    mechs = spec.mechanisms_on()
    if "node-binding" in mechs and topo.nodes > 1:
        # the Ps spread evenly over the nodes in blocks (P i on node i * nodes / GOMAXPROCS),
        # each on its node's CPUs in the OS's order (validate: GOMAXPROCS <= CPUs)
        per_node = [[c for c in order if c // topo.cpus_per_node == nd] for nd in range(topo.nodes)]
        nodes = np.arange(np_) * topo.nodes // np_
        ranks = np.arange(np_) - np.searchsorted(nodes, nodes)
        order = np.array([per_node[nd][r] for nd, r in zip(nodes, ranks)], dtype=np.int64)
        pst[:, kc.PF_CORE] = order
        pst[:, kc.PF_NODE] = order // topo.cpus_per_node
    if np_ > ncpu:
        out[kc.S_OS_MODE] = kc.OS_SHARED
        # free CPUs as a stack, the first to hand out on top
        out[out[kc.S_CORE_BASE] : out[kc.S_CORE_BASE] + ncpu] = order[::-1]
        out[kc.S_NFREE_CORES] = ncpu
    elif spec.cpu_quota_ms is not None or topo.smt_factor is not None:
        out[kc.S_OS_MODE] = kc.OS_PINNED
        pst[:, kc.PF_CORE] = order[:np_]  # P i on the i-th CPU handed out
        pst[:, kc.PF_NODE] = order[:np_] // topo.cpus_per_node
    if topo.smt_factor is not None:
        out[kc.S_SMT_PPM] = int(round(topo.smt_factor * kc.SPEED_FULL))
    pst[:, kc.PF_SPEED] = kc.SPEED_FULL
    if spec.cpu_quota_ms is not None:
        out[kc.S_QUOTA_NS] = int(round(spec.cpu_quota_ms * 1e6))
        out[kc.S_PERIOD_NS] = int(round(spec.cpu_period_ms * 1e6))
        out[kc.S_QUOTA_LEFT] = out[kc.S_QUOTA_NS]
        out[kc.S_PERIOD_END] = out[kc.S_PERIOD_NS]
    pst[:, kc.PF_OS_LINK] = -1
    out = _globrunq_state(spec, out)
    return out, pst


def _globrunq_state(spec: RunSpec, sched: np.ndarray) -> np.ndarray:
    """The global run queue's implementation, its segments (sched's tail, consts.GQS_*) and
    the design's mechanisms and parameters."""
    impl = spec.globrunq_impl()
    nseg = {"lock": 0, "segmented": spec.globrunq_segments, "node": spec.topology.nodes}.get(
        impl, 1
    )
    base = len(sched)
    out = np.concatenate([sched, np.zeros(nseg * kc.GQS_N, dtype=np.int64)])
    out[kc.S_GQ_IMPL] = kc.GLOBRUNQS[impl]
    out[kc.S_GQ_NSEG] = nseg
    out[kc.S_GQ_BASE] = base
    for s_ in range(nseg):
        b = base + s_ * kc.GQS_N
        out[b + kc.GQS_HEAD] = -1
        out[b + kc.GQS_TAIL] = -1
        for lk in (kc.GQS_LK, kc.GQS_LK2):
            out[b + lk + kc.LK_HOLDER] = -1
            out[b + lk + kc.LK_NODE] = -1
    out[kc.S_MECH] = designs.mechanism_mask(spec.mechanisms_on())
    out[kc.S_MOS_RATIO_PPM] = int(round(spec.mos_load_ratio * 1e6))
    out[kc.S_MOS_KEEP_LOCAL] = spec.mos_keep_local
    out[kc.S_MOS_GC_BASE] = spec.mos_gc_base
    out[kc.S_MOS_LOCKED_NS] = int(round(spec.mos_locked_violation_ms * 1e6))
    return out


def _coprimes(n: int) -> np.ndarray:
    """randomOrder.reset: every stride in [1, n] coprime with n (the steal enumeration)."""
    return np.array([i for i in range(1, n + 1) if math.gcd(i, n) == 1], dtype=np.int64)


def _snapshot_capacity(spec: RunSpec) -> int:
    if spec.snapshot_ms <= 0:
        return 0
    w = spec.workload
    if w.arrivals == "burst":
        work_ns = w.goroutines * w.service_mean_ns / spec.procs
        horizon = work_ns * 2 + 1e8
    else:
        horizon = w.goroutines / spec.arrival_rate_per_ns() + 100 * w.service_mean_ns
        horizon *= 1.5
    n = int(horizon / (spec.snapshot_ms * 1e6)) + 16
    return min(n, SNAPSHOTS_MAX)


def _allocate(spec: RunSpec, rng_state: np.ndarray) -> dict:
    np_ = spec.procs
    w = spec.workload
    topo = spec.topology
    iparams = np.zeros(kc.N_IPARAMS, dtype=np.int64)
    iparams[kc.I_POLICY] = kc.POLICIES[spec.base_policy()]
    iparams[kc.I_GOMAXPROCS] = np_
    iparams[kc.I_CORES] = topo.cores
    iparams[kc.I_CORES_PER_NODE] = topo.cores_per_node
    iparams[kc.I_ARRIVALS] = kc.ARRIVALS[w.arrivals]
    iparams[kc.I_PATH] = kc.PATHS[w.arrival_path]
    iparams[kc.I_DIST] = kc.DISTS[w.service]
    iparams[kc.I_GOROUTINES] = w.goroutines
    iparams[kc.I_WARMUP_N] = spec.warmup_n()
    iparams[kc.I_MAX_LIVE] = spec.max_live
    iparams[kc.I_CHECK] = 1 if spec.check_invariants else 0
    iparams[kc.I_SNAPSHOT_NS] = int(round(spec.snapshot_ms * 1e6))
    iparams[kc.I_BATCHES] = spec.batches
    # events: a handful per goroutine, plus sysmon ticks and snapshots; a bug guard only
    iparams[kc.I_EVENTS_MAX] = 64 * w.goroutines + 100_000_000
    iparams[kc.I_G_INITIAL_CAP] = G_INITIAL_CAP
    iparams[kc.I_RULES] = spec.rules_mask()
    iparams[kc.I_GO_VERSION] = spec.go_version_int()
    iparams[kc.I_NETPOLL] = 1 if spec.netpoll_inited() else 0  # netpollinited()
    iparams[kc.I_TIMERS] = 1 if w.has_sleeps() else 0
    iparams[kc.I_SAMPLING] = 1 if spec.latency_sampling == "go" else 0
    iparams[kc.I_GC] = 1 if w.gc else 0
    iparams[kc.I_GOGC] = w.gogc
    iparams[kc.I_LIVE_HEAP] = int(round(w.live_heap_mib * (1 << 20)))
    iparams[kc.I_ALLOC_ARRIVALS] = int(round(w.alloc_bytes_per_cpu_us))
    iparams[kc.I_ALLOC_HOGS] = int(round(w.hog_alloc_bytes_per_cpu_us))
    dedicated, frac, idle_max = gc_workers(np_)
    iparams[kc.I_GC_DEDICATED] = dedicated
    iparams[kc.I_GC_FRACTIONAL_PPM] = int(round(frac * 1e6))
    iparams[kc.I_GC_IDLE_MAX] = idle_max
    iparams[kc.I_HOGS] = w.hogs
    iparams[kc.I_PAIRS] = w.pairs
    iparams[kc.I_PAIR_DIST] = kc.DISTS[w.pair_service]
    iparams[kc.I_POOL_WORKERS] = w.pool_workers

    fparams = np.zeros(kc.N_FPARAMS, dtype=np.float64)
    if w.arrivals == "mmpp":
        (r0, r1), (q01, q10) = w.mmpp_rates_per_s, w.mmpp_switch_per_s
        fparams[kc.F_MMPP_R0], fparams[kc.F_MMPP_R1] = r0 / 1e9, r1 / 1e9
        fparams[kc.F_MMPP_Q01], fparams[kc.F_MMPP_Q10] = q01 / 1e9, q10 / 1e9
    if w.arrivals == "closed":
        iparams[kc.I_CLIENTS] = w.clients
        iparams[kc.I_THINK_DIST] = kc.DISTS[w.think]
        a, b, p = service_params(w.think, float(w.think_mean_ns), w.think_scv_value())
        fparams[kc.F_THINK_MEAN_NS] = float(w.think_mean_ns)
        fparams[kc.F_THINK_A], fparams[kc.F_THINK_B], fparams[kc.F_THINK_P] = a, b, p
    if w.arrivals != "burst":
        fparams[kc.F_INTERARRIVAL_NS] = 1.0 / spec.arrival_rate_per_ns()
    fparams[kc.F_SERVICE_MEAN_NS] = float(w.service_mean_ns)
    a, b, p = service_params(w.service, float(w.service_mean_ns), w.scv())
    fparams[kc.F_SERVICE_A] = a
    fparams[kc.F_SERVICE_B] = b
    fparams[kc.F_SERVICE_P] = p
    a, b, p = service_params(w.pair_service, float(w.pair_mean_ns), w.pair_scv_value())
    fparams[kc.F_PAIR_MEAN_NS] = float(w.pair_mean_ns)
    fparams[kc.F_PAIR_A] = a
    fparams[kc.F_PAIR_B] = b
    fparams[kc.F_PAIR_P] = p

    sched = np.zeros(kc.N_SCHED, dtype=np.int64)
    sched[kc.S_RUNQ_HEAD] = -1
    sched[kc.S_RUNQ_TAIL] = -1
    sched[kc.S_WINDOW_START] = kc.INF_NS
    sched[kc.S_WINDOW_END] = kc.INF_NS
    n_res = w.residents()
    cap = min(max(G_INITIAL_CAP, 2 * n_res), max(spec.max_live, n_res + 1))
    sched[kc.S_GFREE] = n_res
    sched[kc.S_GCAP] = cap
    sched[kc.S_TIMERS_ROOT] = -1
    sched[kc.S_ASSIST_HEAD] = -1
    sched[kc.S_ASSIST_TAIL] = -1
    sched[kc.S_CHAN_HEAD] = -1
    sched[kc.S_CHAN_TAIL] = -1
    sched[kc.S_RECVQ_HEAD] = -1
    sched[kc.S_RECVQ_TAIL] = -1

    pst = np.zeros((np_, kc.N_PF), dtype=np.int64)
    pst[:, kc.PF_PHASE] = kc.PH_IDLE
    pst[:, kc.PF_CURG] = -1
    pst[:, kc.PF_RUNNEXT] = -1
    pst[:, kc.PF_M] = -1
    pst[:, kc.PF_CORE] = np.arange(np_)  # P i pinned to core i
    pst[:, kc.PF_NODE] = np.arange(np_) // topo.cores_per_node
    pst[:, kc.PF_SYSMON_TICK] = -1
    pst[:, kc.PF_LQ_HEAD] = -1
    pst[:, kc.PF_LQ_TAIL] = -1
    pst[:, kc.PF_TIMERS_ROOT] = -1
    # all Ps start idle (pidle is a stack: P0 on top); M0 parked, M1 is sysmon
    pidle = np.zeros(np_, dtype=np.int64)
    pidle[:] = np.arange(np_)[::-1]
    sched[kc.S_NPIDLE] = np_
    n_sm = spec.max_syscall_threads if w.has_syscalls() else 0  # syscall phases only
    n_locked = 2 * w.pairs if w.locked_pairs else 0
    # every M holds a P, waits in a syscall, is locked to a waiting goroutine, or is M0/sysmon
    m_max = np_ + n_sm + n_locked + 3
    midle = np.full(m_max, -1, dtype=np.int64)
    midle[0] = 0
    sched[kc.S_NMIDLE] = 1
    sched[kc.S_MCOUNT] = 2
    sched[kc.S_NEXT_M_ID] = 2

    gt = np.zeros((cap, kc.N_GF), dtype=np.int64)
    gt[:, kc.GF_LINK] = np.arange(1, cap + 1)
    gt[-1, kc.GF_LINK] = -1
    # residents occupy rows 0 .. n_res-1: hogs, then pairs (A holds the ball, B waits for it);
    # their ids follow the arrivals' (0 .. goroutines-1) so every G has one id
    for i in range(n_res):
        row = gt[i]
        row[kc.GF_SEQ] = w.goroutines + i
        row[kc.GF_LINK] = -1
        row[kc.GF_LAST_CORE] = -1
        row[kc.GF_PARTNER] = -1
        row[kc.GF_LOCKED_M] = -1
        row[kc.GF_DED_P] = -1
        if i >= w.hogs + 2 * w.pairs:
            continue  # a pool worker (below)
        if i < w.hogs:
            row[kc.GF_CLASS] = kc.G_HOG
            row[kc.GF_REMAINING] = 1 << 60  # never done: it only ever leaves by preemption
        else:
            j = i - w.hogs
            row[kc.GF_CLASS] = kc.G_PAIR
            row[kc.GF_PARTNER] = i + 1 if j % 2 == 0 else i - 1
            row[kc.GF_TOKEN] = 1 if j % 2 == 0 else 0
            if w.locked_pairs:
                # LockOSThread: its own M, blocked (stoplockedm) until it first runs
                row[kc.GF_LOCKED_M] = sched[kc.S_NEXT_M_ID]
                sched[kc.S_NEXT_M_ID] += 1
                sched[kc.S_MCOUNT] += 1
                sched[kc.S_LOCKED_WAIT] += 1
    # the pool's workers follow: each parked in chanrecv on the pool's channel (hchan.recvq)
    n_pair_rows = w.hogs + 2 * w.pairs
    for j in range(w.pool_workers):
        row = gt[n_pair_rows + j]
        row[kc.GF_CLASS] = kc.G_WORKER
        row[kc.GF_LINK] = n_pair_rows + j + 1 if j + 1 < w.pool_workers else -1
        row[kc.GF_PC] = -1
    if w.pool_workers:
        sched[kc.S_RECVQ_HEAD] = n_pair_rows
        sched[kc.S_RECVQ_TAIL] = n_pair_rows + w.pool_workers - 1
        sched[kc.S_RECVQ_N] = w.pool_workers
    sched[kc.S_LIVE] = n_res
    sched[kc.S_GHW] = n_res
    sched[kc.S_BLOCKED] = w.pairs + w.pool_workers  # each pair's B waits for the ball

    nsnap = _snapshot_capacity(spec)
    prog, emp_rows = _program_rows(w.kernel_phases())
    emp = np.array(emp_rows if emp_rows else np.zeros((0, 2)), dtype=np.float64).reshape(-1, 2)
    # syscall-M actor slots exist only when goroutines make syscalls (the heap stays small)
    sm = np.zeros((n_sm, kc.N_SM), dtype=np.int64)
    if n_sm:
        sm[:, kc.SM_G] = np.arange(1, n_sm + 1)  # free list through SM_G
        sm[-1, kc.SM_G] = -1
    sched[kc.S_SM_FREE] = 0 if n_sm else -1
    if spec.uses_netpoll() and "netpoll_block" not in spec.rules_off and not n_res:
        # a server's first M ends up blocked in netpoll (lastpoll = 0) with nothing to run
        sched[kc.S_LASTPOLL] = 0
        sched[kc.S_NETPOLL_M] = 0
        sched[kc.S_NMIDLE] = 0
        midle[0] = -1
    else:
        sched[kc.S_LASTPOLL] = 1  # sched.lastpoll: nonzero while no M blocks in netpoll
        sched[kc.S_NETPOLL_M] = -1
    # Ps, arrivals, sysmon, snapshots, the netpoll M, timerproc (Go <= 1.13), the collector,
    # syscall Ms, the OS's time slice, the CPU quota
    n_actors = np_ + 6 + n_sm + 2
    sched, pst = _machine(spec, sched, pst, n_actors)
    # the event heap (kc.HP_*): every actor at "never", heap order = actor order
    hp = np.empty((kc.N_HP, n_actors), dtype=np.int64)
    hp[kc.HP_ACTOR] = np.arange(n_actors)
    hp[kc.HP_POS] = np.arange(n_actors)
    hp[kc.HP_TIME] = kc.INF_NS
    hp[kc.HP_SEQ] = np.arange(n_actors)
    hp[kc.HP_KT] = kc.INF_NS
    hp[kc.HP_KS] = np.arange(n_actors)
    sched[kc.S_SEQ] = n_actors  # the next event's sequence number
    return dict(
        iparams=iparams,
        fparams=fparams,
        costs=cost_tables(spec),
        coprimes=_coprimes(np_),
        rng=rng_state,
        sched=sched,
        pst=pst,
        runq=np.full((np_, kc.RUNQ_SIZE), -1, dtype=np.int64),
        gt=gt,
        pidle=pidle,
        midle=midle,
        counters=np.zeros(kc.N_COUNTERS, dtype=np.int64),
        h_sojourn=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        h_schedlat=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        h_schedule=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        h_handoff=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        h_timer=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        h_gc_stop=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        h_gc_total=np.zeros(HDR_ARRAY_LEN, dtype=np.int64),
        batch_count=np.zeros(spec.batches, dtype=np.int64),
        batch_sum=np.zeros(spec.batches, dtype=np.int64),
        batch_hist=np.zeros((spec.batches, 162), dtype=np.int64),
        snap=np.zeros((nsnap, kc.N_SNAP), dtype=np.int64),
        snap_p=np.zeros((nsnap, np_, kc.N_SNAP_P), dtype=np.int64),
        snap_midle=np.full((nsnap, m_max), -1, dtype=np.int64),
        done_bitmap=np.zeros(min(w.goroutines, BITMAP_MAX), dtype=np.uint8),
        trace=np.zeros((spec.trace_events, kc.N_TRACE), dtype=np.int64),
        prog=prog,
        sm=sm,
        nph=np.zeros(cap, dtype=np.int64),
        emp=emp,
        clh=np.zeros(max(w.clients, 1) if w.arrivals == "closed" else 1, dtype=np.int64),
        rsched=np.array(
            [(d * 1e6, r / 1e9) for d, r in w.rate_schedule]
            if w.arrivals == "schedule"
            else np.zeros((0, 2)),
            dtype=np.float64,
        ).reshape(-1, 2),
        hp=hp,
        # the heap's rows by name (views: they see the kernel's changes)
        hp_actor=hp[kc.HP_ACTOR],
        hp_pos=hp[kc.HP_POS],
        act_time=hp[kc.HP_TIME],
        act_seq=hp[kc.HP_SEQ],
    )


_ARG_ORDER = (
    "iparams fparams costs coprimes rng sched pst runq gt pidle midle counters h_sojourn "
    "h_schedlat h_schedule h_handoff h_timer h_gc_stop h_gc_total batch_count batch_sum "
    "batch_hist snap snap_p snap_midle done_bitmap trace prog emp sm nph clh rsched hp"
).split()

_compiled = False
_compile_lock = threading.Lock()


def _compile_specs() -> tuple:
    """Small runs whose argument types are every run's: calling a kernel on one compiles it
    (or loads it from numba's cache)."""
    kw = dict(topology="1x2", load=0.5, goroutines=50)
    go = make_spec(policy="go", snapshot_ms=0.01, check_invariants=True, **kw)
    central = make_spec(policy="central", **kw)
    return go, central


def _call(kernel, spec: RunSpec) -> None:
    arrays = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    kernel(*[arrays[k] for k in _ARG_ORDER])


def ensure_compiled() -> None:
    """Compile (or load from numba's cache) the kernels once per process, outside any timing:
    the full build's general and central loops here, the plain build (gmplab/kernel_builds.py)
    in a subprocess on another core at the same time when its cache is not there yet."""
    global _compiled
    if _compiled:
        return
    with _compile_lock:
        if _compiled:
            return
        go, central = _compile_specs()
        version = kernel_version()
        background = kernel_builds.start_background_compile(version)
        try:
            _call(run_kernel, go)
            _call(run_central, central)
        finally:
            kernel_builds.finish_background_compile(background)
        plain = kernel_builds.load_or_disable() if kernel_builds.enabled() else None
        if plain is not None:
            _call(plain.run_kernel, go)
            kernel_builds.mark_ready(version)
        _compiled = True


def compile_plain_build() -> None:
    """Compile the plain build into its cache (ensure_compiled runs this in a subprocess)."""
    go, _ = _compile_specs()
    with kernel_builds.compile_lock():
        _call(kernel_builds.plain_loop().run_kernel, go)
        kernel_builds.mark_ready(kernel_version())


def use_central_loop(arrays: dict) -> bool:
    """Whether this run goes to the central policy's own loop (``_kernel/central.py``: the
    general kernel's results, bit for bit, faster). ``GMPLAB_GENERAL_KERNEL=1`` in the
    environment sends every run to the general kernel instead (0 or unset: not)."""
    if env_switch("GMPLAB_GENERAL_KERNEL", default=False):
        return False
    return fastpath_ok(arrays)


def kernel_for(arrays: dict):
    """The kernel a run goes to: central's own loop, the plain build (no optional model used),
    or the full build."""
    if use_central_loop(arrays):
        return run_central
    if kernel_builds.enabled() and not kernel_builds.optional_models_used(arrays):
        return kernel_builds.plain_loop().run_kernel
    return run_kernel


def run_once(spec: RunSpec, seed_seq: np.random.SeedSequence, replication: int = 0) -> Replication:
    """One replication of a validated spec with its own child seed."""
    ensure_compiled()
    arrays = _allocate(spec, seed_state(seed_seq))
    kernel = kernel_for(arrays)
    t0 = time.perf_counter()
    status, gt, nph = kernel(*[arrays[k] for k in _ARG_ORDER])
    wall = time.perf_counter() - t0
    arrays["gt"] = gt
    arrays["nph"] = nph
    seed_txt = f"{spec.seed} (replication {replication}, spawn key {seed_seq.spawn_key})"
    if status == kc.ST_MAX_LIVE:
        raise ResourceLimitError(
            "max_live",
            f"live goroutines reached max_live={spec.max_live}: the load is too high for the "
            "run length, or raise --max-live",
            seed_txt,
        )
    if status == kc.ST_INVARIANT:
        code = int(arrays["sched"][kc.S_INV_CODE])
        raise KernelError(
            "invariant",
            f"invariant {code} violated ({kc.INVARIANT_NAMES.get(code, '?')}) at "
            f"t={int(arrays['sched'][kc.S_NOW])} ns",
            seed_txt,
        )
    if status == kc.ST_MAX_THREADS:
        raise ResourceLimitError(
            "max_syscall_threads",
            f"more than max_syscall_threads={spec.max_syscall_threads} Ms were blocked in "
            "syscalls without a P at once: raise --max-syscall-threads",
            seed_txt,
        )
    if status != kc.ST_OK:
        raise KernelError(
            kc.STATUS_NAMES.get(int(status), str(status)),
            f"the kernel stopped early at t={int(arrays['sched'][kc.S_NOW])} ns",
            seed_txt,
        )
    return Replication.from_arrays(spec, arrays, wall, replication, seed_seq)


def replication_threads(replications: int) -> int:
    """Threads for simulate()'s replications: one per CPU this process may use (at most one
    per replication); ``GMPLAB_THREADS=N`` in the environment caps it (1: serial)."""
    env = os.environ.get("GMPLAB_THREADS", "").strip()
    if env:
        try:
            cap = int(env)
        except ValueError:
            raise ValueError(f"GMPLAB_THREADS must be an integer >= 1 (got {env!r})") from None
        if cap < 1:
            raise ValueError(f"GMPLAB_THREADS must be an integer >= 1 (got {env!r})")
    else:
        cap = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(int(replications), int(cap or 1)))


def simulate(spec: RunSpec | None = None, **kwargs) -> Result:
    """Simulate a spec (or build one from keyword arguments, see ``params.make_spec``).

    Deterministic for a seed; ``replications=R`` runs R children of one SeedSequence.
    """
    t0 = time.perf_counter()
    if spec is None:
        spec = make_spec(**kwargs)
    elif kwargs:
        raise TypeError("simulate: pass either a spec or keyword arguments, not both")
    else:
        spec.validate()
    children = np.random.SeedSequence(spec.seed).spawn(spec.replications)
    n_threads = replication_threads(spec.replications)
    if n_threads > 1:
        # the kernels release the GIL: independent replications run side by side, each with
        # its own arrays and seed, so the results are the serial loop's
        ensure_compiled()
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            reps = list(pool.map(run_once, [spec] * len(children), children, range(len(children))))
    else:
        reps = [run_once(spec, ss, i) for i, ss in enumerate(children)]
    return Result(spec, reps, kernel_version(), time.perf_counter() - t0)
