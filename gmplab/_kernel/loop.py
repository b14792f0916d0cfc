"""The event loop: Go's G/M/P scheduler (and its comparators) as a discrete-event simulation.

Actors and time
---------------
Every actor has exactly one pending event in an indexed binary heap keyed by (time, sequence):
the GOMAXPROCS Ps (each with the M that holds it), the arrival source, sysmon and the
schedtrace snapshotter. An actor with nothing to do waits at ``INF_NS``. The clock is integer
nanoseconds; ties break by the order events were scheduled, so a seed gives one result.

A P's event is atomic: when it fires, the P's M runs ``schedule()``/``findRunnable`` against the
state of that instant, accumulating what each step costs (lock hand-offs, steal probes, the
switch), and the chosen G starts executing after that cost (phase ``PH_EXEC``). ``sched.lock``
is a FIFO hand-off mutex on a timeline: a request at time r is granted at ``max(r, free_at)``
plus the uncontended cost, or the active/sleeping hand-off cost if it had to wait; it then
holds the lock for ``runq_op_ns`` per G moved. State changes take effect when the request is
made (requests are processed in time order, so the FIFO order of effects is exact); what the
lock costs shows as the requester's delay.

Modelling choices that are not Go's code, and why, are documented in docs/model.md.
"""

import numpy as np
from numba import njit

from .consts import (
    A_NETPOLL_OFFSET,
    ARR_BURST,
    ARR_CLOSED,
    ARR_CONST,
    ARR_MMPP,
    ARR_POISSON,
    ARR_SCHEDULE,
    C_ALLOC_NS_PER_KIB,
    C_ASYNC_PREEMPT,
    C_CACHELINE_LOCAL,
    C_GC_MARK_PER_KIB,
    C_GC_MARKTERM,
    C_GC_SWEEPTERM,
    C_LOCK_HANDOFF_ACTIVE,
    C_LOCK_HANDOFF_SLEEPING,
    C_LOCK_UNCONTENDED,
    C_NETPOLL,
    C_NETPOLL_GRANULARITY,
    C_NEWM,
    C_NEWPROC,
    C_OS_TIMESLICE,
    C_RUNNEXT_STEAL_PAUSE,
    C_RUNQ_OP,
    C_SWITCH,
    C_SYSCALL_OVERHEAD,
    C_THREAD_SWITCH,
    C_WAKEUP,
    CT_DIST,
    CT_LINE,
    CT_MIGR,
    CT_ORDER,
    CT_PROBE,
    DIST_EMPIRICAL,
    EV_ARRIVE,
    EV_DONE,
    EV_EXEC,
    EV_EXITSYSCALL,
    EV_FORK,
    EV_GCWORK,
    EV_HANDOFF,
    EV_JOIN,
    EV_MOS_VIOLATION,
    EV_NETPOLL,
    EV_PARK,
    EV_PAUSE,
    EV_POOL_REPLY,
    EV_POOL_SEND,
    EV_PREEMPT,
    EV_RETAKE,
    EV_SLEEP,
    EV_START_WORLD,
    EV_STW,
    EV_STW_STOPPED,
    EV_SYSCALL,
    EV_TIMER,
    EV_WAKE,
    F_INTERARRIVAL_NS,
    F_MMPP_Q01,
    F_MMPP_Q10,
    F_MMPP_R0,
    F_MMPP_R1,
    F_PAIR_A,
    F_PAIR_B,
    F_PAIR_MEAN_NS,
    F_PAIR_P,
    F_THINK_A,
    F_THINK_B,
    F_THINK_MEAN_NS,
    F_THINK_P,
    FEATURES,
    FORCE_PREEMPT_NS,
    G_ARRIVAL,
    G_CHILD,
    G_HOG,
    G_PAIR,
    G_TRACKING_PERIOD,
    G_WORKER,
    GC_ASSIST_MIN_DISTANCE,
    GC_FORCE_PERIOD_NS,
    GC_FRACTIONAL_SLACK,
    GC_HEAP_MINIMUM,
    GC_MARK,
    GC_OFF,
    GC_PRIORITY_HIGH,
    GC_PRIORITY_LOW,
    GC_PRIORITY_QUEUE_MIN,
    GC_STW,
    GC_TRIGGER_MAX,
    GC_TRIGGER_MIN,
    GC_WORKER_HELD_KIB,
    GCW_DEDICATED,
    GCW_FRACTIONAL,
    GCW_IDLE,
    GF_ARRIVAL,
    GF_ASSIST,
    GF_CLASS,
    GF_DED_P,
    GF_LAST_CORE,
    GF_LINK,
    GF_LOCKED_M,
    GF_PARTNER,
    GF_PC,
    GF_PENDING_ALLOC,
    GF_READY,
    GF_REMAINING,
    GF_RUNNABLE_SINCE,
    GF_SEQ,
    GF_TLEFT,
    GF_TOKEN,
    GF_TRACK,
    GF_TRIGHT,
    GF_WOKEN,
    GLOBAL_CHECK_TICKS,
    GQ_LOCK,
    GQ_NODE,
    GQ_RING,
    GQ_SEGMENTED,
    GQ_TREIBER,
    GQS_HEAD,
    GQS_LK,
    GQS_LK2,
    GQS_SIZE,
    GQS_TAIL,
    HP_ACTOR,
    HP_KS,
    HP_KT,
    HP_POS,
    HP_SEQ,
    HP_TIME,
    I_ALLOC_ARRIVALS,
    I_ALLOC_HOGS,
    I_ARRIVALS,
    I_CHECK,
    I_CLIENTS,
    I_EVENTS_MAX,
    I_GC,
    I_GC_DEDICATED,
    I_GC_FRACTIONAL_PPM,
    I_GC_IDLE_MAX,
    I_GO_VERSION,
    I_GOGC,
    I_GOMAXPROCS,
    I_GOROUTINES,
    I_HOGS,
    I_LIVE_HEAP,
    I_MAX_LIVE,
    I_NETPOLL,
    I_PAIR_DIST,
    I_PAIRS,
    I_PATH,
    I_POLICY,
    I_POOL_WORKERS,
    I_RULES,
    I_SAMPLING,
    I_SNAPSHOT_NS,
    I_THINK_DIST,
    I_TIMERS,
    I_WARMUP_N,
    INF_NS,
    K_ALLOC_PHASE_BYTES,
    K_CHILDREN,
    K_COMPLETED,
    K_COMPLETED_SEQ_SUM,
    K_CPU_ARRIVALS,
    K_CREATED,
    K_END_NS,
    K_EVENTS,
    K_EXITSYSCALL_FAST,
    K_EXITSYSCALL_GLOBAL,
    K_EXITSYSCALL_IDLE_P,
    K_FORKS,
    K_GC_ALLOC,
    K_GC_ASSIST,
    K_GC_ASSIST_PARKS,
    K_GC_ASSIST_WAIT,
    K_GC_CYCLES,
    K_GC_DEDICATED,
    K_GC_DRAINS,
    K_GC_FORCED,
    K_GC_FRACTIONAL,
    K_GC_IDLE,
    K_GC_LIMITED,
    K_GC_PAUSE,
    K_GC_PRIORITY_HIGH,
    K_GC_PRIORITY_LOW,
    K_GGETS,
    K_GLOBAL_CHECK_HITS,
    K_GPUTS,
    K_GQ_CONTENDED,
    K_GQ_OPS,
    K_GQ_PROBES,
    K_GQ_RETRIES,
    K_GQ_SLEEPS,
    K_GQ_WAIT,
    K_HANDOFFP,
    K_HANDOFFS,
    K_JOINS,
    K_LOCK_ACQ,
    K_LOCK_BARGES,
    K_LOCK_CONTENDED,
    K_LOCK_SLEEPS,
    K_LOCK_WAIT,
    K_LOCKED_DEDICATED,
    K_LOCKED_VIOLATIONS,
    K_LOCKEDM_HANDOFFS,
    K_MAX_LIVE_SEEN,
    K_MEASURED,
    K_MIGR_LOCAL,
    K_MIGR_REMOTE,
    K_MIGRATE_PUTS,
    K_MOS_M_TWO_QUEUES,
    K_MOS_P_IDLE_G_RUNNING,
    K_MOS_RUN_M_NOT_IDLE,
    K_MOS_SYSCALL_NOT_WAITING,
    K_NEEDSPIN_SETS,
    K_NETPOLL_BLOCKING_WAKES,
    K_NETPOLL_BREAKS,
    K_NETPOLL_CALLS,
    K_NETPOLL_READY,
    K_NETPOLL_SYSCALLS,
    K_NETPOLL_SYSMON,
    K_NEWM,
    K_OS_SWITCHES,
    K_OVERFLOWS,
    K_POOL_JOBS,
    K_POOL_QUEUED,
    K_POOL_WAIT,
    K_PREEMPT_DEFERRED,
    K_PREEMPT_SLICE_MAX,
    K_PREEMPT_SLICE_MIN,
    K_PREEMPTIONS,
    K_QUOTA_PERIODS,
    K_RUNNEXT_HITS,
    K_RUNNEXT_STEALS,
    K_SCHEDLAT_COUNT,
    K_SCHEDLAT_SUM,
    K_SCHEDULE_COUNT,
    K_SCHEDULE_SUM,
    K_SNAP_DROPPED,
    K_SOJOURN_SUM,
    K_SPIN_BECOMES,
    K_STEAL_PAUSES,
    K_STEAL_PROBES,
    K_STEALS,
    K_STEALS_DENIED,
    K_STEALS_REMOTE,
    K_STOLEN,
    K_SYSCALL_RETAKES,
    K_SYSCALLS,
    K_SYSMON_TIMER_STARTM,
    K_T_IDLE,
    K_T_OSWAIT,
    K_T_RUN,
    K_T_SCHED,
    K_T_SPIN,
    K_T_SYSCALL,
    K_T_WAKE,
    K_THROTTLED_NS,
    K_THROTTLED_PERIODS,
    K_TIMERPROC_WAKES,
    K_TIMERS_ADDED,
    K_TIMERS_RUN,
    K_TIMERS_STOLEN,
    K_WAKEUPS,
    K_WINDOW_NS,
    LK_FREE_AT,
    LK_GAP_HI,
    LK_GAP_LO,
    LK_HOLDER,
    LK_NODE,
    LK_SPIN_UNTIL,
    LOCK_SPIN_WINDOW_NS,
    LOCK_SPINBIT,
    MECH_DET_STEAL,
    MECH_GC_PRIORITY,
    MECH_HIER_STEAL,
    MECH_HYBRID_PREEMPT,
    MECH_LOCKED_DEDICATED,
    MECH_MIGRATION_AVOID,
    MECH_RING_NETPOLL,
    MECH_STATE_CHECK,
    MOS_M_TWO_QUEUES,
    MOS_P_IDLE_G_RUNNING,
    MOS_RUN_M_NOT_IDLE,
    MOS_SYSCALL_NOT_WAITING,
    N_COSTS,
    N_SCHED,
    OFF_QUEUED,
    OFF_THROTTLED,
    OFF_THROTTLED_WALL,
    OS_SHARED,
    PATH_NETPOLL,
    PATH_RANDOM_P,
    PATH_SPAWN,
    PF_CORE,
    PF_CURG,
    PF_GC_FRAC_NS,
    PF_GC_MODE,
    PF_GC_SINCE,
    PF_HEAD,
    PF_INHERIT,
    PF_LQ_HEAD,
    PF_LQ_SIZE,
    PF_LQ_TAIL,
    PF_M,
    PF_NODE,
    PF_NTIMERS,
    PF_OFF_SINCE,
    PF_ONCPU,
    PF_OS_LINK,
    PF_OS_SINCE,
    PF_PHASE,
    PF_PHASE_SINCE,
    PF_PREEMPT,
    PF_RUN_START,
    PF_RUNNEXT,
    PF_SCHED_START,
    PF_SCHEDTICK,
    PF_SLICE_START,
    PF_SPEED,
    PF_SPINNING,
    PF_STEAL_G,
    PF_STEAL_I,
    PF_STEAL_PASS,
    PF_STEAL_START,
    PF_STEAL_STRIDE,
    PF_STEAL_VICTIM,
    PF_STW_HELD,
    PF_SYSCALLTICK,
    PF_SYSMON_SYSCALLTICK,
    PF_SYSMON_SYSCALLWHEN,
    PF_SYSMON_TICK,
    PF_SYSMON_WHEN,
    PF_T_IDLE,
    PF_T_OSWAIT,
    PF_T_RUN,
    PF_T_SCHED,
    PF_T_SPIN,
    PF_T_SYSCALL,
    PF_T_WAKE,
    PF_TAIL,
    PF_TIMER0_WHEN,
    PF_TIMERS_ROOT,
    PF_WORK_ACC,
    PF_WORK_T,
    PH_DEDICATED,
    PH_EXEC,
    PH_GCSTOP,
    PH_GCWORK,
    PH_IDLE,
    PH_PAUSE,
    PH_RUN,
    PH_SYSCALL,
    PH_WAKE,
    PHASE_ALLOC,
    PHASE_CPU,
    PHASE_CRITICAL,
    PHASE_END,
    PHASE_FORK,
    PHASE_NETWAIT,
    PHASE_NOPREEMPT,
    PHASE_POOL,
    PHASE_SLEEP,
    PHASE_SYSCALL,
    POLICY_CENTRAL,
    POLICY_GLOBAL,
    POLICY_GO,
    POLICY_PARTITIONED,
    PR_A,
    PR_B,
    PR_COUNT,
    PR_DIST,
    PR_KIND,
    PR_MEAN,
    PR_P,
    PR_SUB,
    RULE_CHECK_TIMERS,
    RULE_GC_ASSISTS,
    RULE_GC_IDLE_WORKERS,
    RULE_GC_LIMITER,
    RULE_GC_WORKERS,
    RULE_GLOBAL_CHECK_61,
    RULE_NETPOLL_BLOCK,
    RULE_NETPOLL_FIND,
    RULE_READY_RUNNEXT,
    RULE_SPIN_GLOBAL_RECHECK,
    RULE_SPINNING,
    RULE_STEAL_TIMERS,
    RULE_STW_RUNNEXT,
    RULE_SYSMON_NETPOLL,
    RULE_SYSMON_PREEMPT,
    RULE_SYSMON_TIMERS,
    RULE_TIMER_WAKEP,
    RUNQ_MASK,
    S_ALLOC_RATE,
    S_ARRIVED,
    S_ASSIST_HEAD,
    S_ASSIST_N,
    S_ASSIST_TAIL,
    S_BG_CREDIT,
    S_BLOCKED,
    S_CHAN_HEAD,
    S_CHAN_N,
    S_CHAN_TAIL,
    S_CL_N,
    S_COMPLETED,
    S_CORE_BASE,
    S_CPN,
    S_CUR_NODE,
    S_CUR_P,
    S_DEDICATED_NEEDED,
    S_GC_PHASE,
    S_GCAP,
    S_GCWAITING,
    S_GFREE,
    S_GHW,
    S_GQ_CUR,
    S_GQ_IMPL,
    S_GQ_NSEG,
    S_HEAP_GOAL,
    S_HEAP_LIVE,
    S_HEAP_MARKED,
    S_HEAP_T,
    S_HEAP_TRIGGER,
    S_IDLE_WORKERS,
    S_INHAND,
    S_INV_CODE,
    S_LAST_GC,
    S_LASTPOLL,
    S_LIVE,
    S_LOCK_FREE_AT,
    S_LOCK_KIND,
    S_LOCKED_WAIT,
    S_MARK_ALLOC,
    S_MARK_DONE,
    S_MARK_START,
    S_MARK_T,
    S_MARK_WORK,
    S_MCOUNT,
    S_MOS_GC_BASE,
    S_MOS_LOCKED_NS,
    S_MOS_PUTS,
    S_MOS_RATIO_PPM,
    S_NCPU,
    S_NEEDSPINNING,
    S_NETPOLL_M,
    S_NEXT_M_ID,
    S_NFREE_CORES,
    S_NMIDLE,
    S_NMSPINNING,
    S_NOW,
    S_NP_N,
    S_NPIDLE,
    S_NSNAP,
    S_NSYSCALL_M,
    S_NTIMERS,
    S_NTRACE,
    S_NWORKERS,
    S_OS_DIRTY,
    S_OS_MODE,
    S_OS_RUNNING,
    S_OSQ_HEAD,
    S_OSQ_N,
    S_OSQ_TAIL,
    S_OWN_BASE,
    S_PEND_BASE,
    S_PERIOD_END,
    S_PERIOD_NS,
    S_POLL_START,
    S_POLL_UNTIL,
    S_QUOTA_LEFT,
    S_QUOTA_NS,
    S_QUOTA_T,
    S_RECVQ_HEAD,
    S_RECVQ_N,
    S_RECVQ_TAIL,
    S_RUNNING,
    S_RUNQ_SIZE,
    S_SEQ,
    S_SM_FREE,
    S_SMT_PPM,
    S_STW_KIND,
    S_STW_START,
    S_STW_STOPPED,
    S_SYSMON_DELAY_US,
    S_SYSMON_IDLE,
    S_THROTTLE_T,
    S_THROTTLED,
    S_TIMERS_ROOT,
    S_WAKES,
    S_WINDOW_END,
    S_WINDOW_START,
    SM_END,
    SM_G,
    SM_M,
    SN_BLOCKED,
    SN_IDLEPROCS,
    SN_IDLETHREADS,
    SN_INHAND,
    SN_LIVE,
    SN_NEEDSPINNING,
    SN_POLL_M,
    SN_RUNNABLE,
    SN_RUNNING,
    SN_RUNQUEUE,
    SN_SPINNING,
    SN_SYSCALL_M,
    SN_THREADS,
    SN_TIME,
    SP_CURG,
    SP_M,
    SP_RUNNEXT,
    SP_RUNQ_LEN,
    SP_SCHEDTICK,
    SP_SPINNING,
    SP_STATUS,
    SP_TIMERSLEN,
    SPEED_FULL,
    ST_EVENTS_MAX,
    ST_INVARIANT,
    ST_MAX_LIVE,
    ST_MAX_THREADS,
    ST_OK,
    ST_STRANDED,
    STEAL_TRIES,
    STW_MARKTERM,
    STW_SWEEPTERM,
    SYSMON_IDLE_ROUNDS_BEFORE_BACKOFF,
    SYSMON_MAX_DELAY_US,
    SYSMON_MIN_DELAY_US,
    SYSMON_NETPOLL_NS,
    TR_ARG,
    TR_EVENT,
    TR_G,
    TR_M,
    TR_P,
    TR_TIME,
    V_TIMER_STEAL_RUNNING,
    V_TIMERS_ON_PS,
    WOKEN_HANDOFF,
    WOKEN_NONE,
    WOKEN_TIMER,
)
from .hist import go_index, hdr_index
from .jit import helper, hot_helper, inline_helper, ix, nonneg
from .rng import below, cheaprand32, draw_service_ns, log_uniform_open, uniform
from .runq import (
    glob_batch_size,
    globrunqget,
    globrunqgetbatch,
    globrunqput,
    gq_choose_put,
    gq_pop,
    gq_popbatch,
    gq_push,
    gq_put,
    gq_put1,
    gq_seg,
    loads_total,
    may_spin,
    mech,
    os_on,
    p_load,
    runq_empty,
    runq_len,
    runqget,
    runqput,
    runqsteal,
)

# outcomes of find_runnable
FOUND = 0
PARK = 1
PAUSE = 2
FAIL = 3
PARK_NETPOLL = 4  # nothing to run: this M blocks in netpoll (the P is already idle)
GCSTOP = 5  # a stop-the-world is under way: gcstopm
GCWORK = 6  # run a GC mark worker (g holds the mode)

# steal_work answers a scan that can find nothing without its four passes (the outcome, costs,
# counts and draws are the same; tests/test_steal_precheck.py compares the two ways)
STEAL_PRECHECK = True

# run_kernel's loop-carried values between calls of _event_loop
CI_INJ_FREE_AT, CI_MM_STATE, CI_SEG, CI_K_NEW, N_CARRY_I = range(5)
CF_ARR_NEXT, CF_SEG_END, N_CARRY_F = range(3)
ST_GROW = -1  # _event_loop's status when the goroutine table must grow first

N_TIME_CATS = 5  # run, sched, spin, wake, idle


# ---------------------------------------------------------------------------------------------
# the indexed event heap (one entry per actor)
# ---------------------------------------------------------------------------------------------
@helper
def heap_set(hp, sched, a, t):
    """Give actor a the new event time t and restore the heap (sift up, then down).

    An actor whose M is off the CPU (waiting for a core, or throttled by the quota) keeps its
    event aside until it runs again: as a delay from now, or, for a wall-clock event of a
    throttled M, as the time itself (os_freeze / os_thaw). Only its own handler moves an
    actor's event later, and it cannot run meanwhile: other actors (a preemption, a stop the
    world) only bring an event forward, so the earlier of the two is kept."""
    if os_on(sched):
        off = sched[N_SCHED + a]
        if off != 0:
            pend = sched[S_PEND_BASE] + a
            if t >= INF_NS:
                sched[pend] = INF_NS
            else:
                if off == OFF_THROTTLED_WALL:
                    d = t
                else:
                    d = t - sched[S_NOW]
                    if d < 0:
                        d = 0
                if d < sched[pend]:
                    sched[pend] = d
            t = INF_NS
    sa = sched[S_SEQ]
    sched[S_SEQ] = sa + 1
    hp[HP_TIME, a] = t
    hp[HP_SEQ, a] = sa
    # the sift reads the keys by heap position (HP_KT, HP_KS) and moves them with the actors;
    # every index here is >= 0, so ix() spares numba's negative-index wrap on the hot path
    n = hp.shape[1]
    i = hp[HP_POS, a]
    i0 = i
    while i > 0:
        parent = (i - 1) >> 1
        tb = hp[HP_KT, ix(parent)]
        if tb > t or (tb == t and hp[HP_KS, ix(parent)] > sa):
            b = hp[HP_ACTOR, ix(parent)]
            hp[HP_ACTOR, ix(i)] = b
            hp[HP_KT, ix(i)] = tb
            hp[HP_KS, ix(i)] = hp[HP_KS, ix(parent)]
            hp[HP_POS, ix(b)] = i
            i = parent
        else:
            break
    # an actor that moved up is already below its new children (they were below its parent)
    while i == i0:
        c = 2 * i + 1
        if c + 1 < n:
            # both children (every level but the last): the smaller one without a branch on
            # the times, which are random, so such a branch is mispredicted about half the
            # time (as in central's sift-down); equal times (the idle actors' "never", or a
            # rare tie) go by sequence number on a branch that is almost never taken
            tl = hp[HP_KT, ix(c)]
            tr = hp[HP_KT, ix(c + 1)]
            if tr == tl:
                c += hp[HP_KS, ix(c + 1)] < hp[HP_KS, ix(c)]
            else:
                c += tr < tl
        elif c >= n:
            break
        tc = hp[HP_KT, ix(c)]
        sc = hp[HP_KS, ix(c)]
        if tc < t or (tc == t and sc < sa):
            ca = hp[HP_ACTOR, ix(c)]
            hp[HP_ACTOR, ix(i)] = ca
            hp[HP_KT, ix(i)] = tc
            hp[HP_KS, ix(i)] = sc
            hp[HP_POS, ix(ca)] = i
            i = c
            i0 = c
        else:
            break
    hp[HP_ACTOR, ix(i)] = a
    hp[HP_KT, ix(i)] = t
    hp[HP_KS, ix(i)] = sa
    hp[HP_POS, ix(a)] = i


@inline_helper
def arr_set(hp, sched, a, t):
    """heap_set for the arrival stream (actor a = NP), which is kept out of the heap: its key
    (time, sequence number) is stored by actor and the event loop compares it with the heap's
    top, so the next event is the same one the heap would give. The stream is never off the
    CPU (the OS layer freezes only Ps and the wall-clock actors numbered after it), so
    heap_set's deferral does not apply. Its entry in the heap stays at "never" from the start."""
    sa = sched[S_SEQ]
    sched[S_SEQ] = sa + 1
    hp[HP_TIME, a] = t
    hp[HP_SEQ, a] = sa


# heap_set inlined, at the two sites every goroutine passes besides its arrival (arr_set):
# FOUND -> execute(), execute() -> running; with the next arrival, 99% of the calls
heap_set_inl = inline_helper(heap_set.py_func)


# ---------------------------------------------------------------------------------------------
# sched.lock, the idle lists, time accounting
# ---------------------------------------------------------------------------------------------
@hot_helper
def node_cost(costs, table, i, j):
    """What a machine table (consts.CT_*) charges between NUMA nodes i and j."""
    nn = costs[N_COSTS]
    return costs[N_COSTS + 1 + table * nn * nn + i * nn + j]


@hot_helper
def lock_acquire(sched, costs, counters, request_ns, hold_ops):
    """sched.lock: a FIFO hand-off or spinbit mutex on a timeline (lock_at). Returns the time
    the requester has unlocked."""
    return lock_at(sched, costs, counters, request_ns, hold_ops, S_LOCK_FREE_AT, True)


lock_acquire_inl = inline_helper(lock_acquire.py_func)  # for gq_take, on every goroutine's path


@inline_helper
def line_move(sched, costs, lk):
    """The cache line of the lock (or CAS word) at lk comes to the acting P: what its move
    costs (0 when the same P had it last, or either side is an M without a P), noted."""
    line = 0
    h = sched[S_CUR_P]
    if h != sched[lk + LK_HOLDER]:
        if h >= 0 and sched[lk + LK_HOLDER] >= 0:
            line = node_cost(costs, CT_LINE, sched[S_CUR_NODE], sched[lk + LK_NODE])
        sched[lk + LK_HOLDER] = h
        sched[lk + LK_NODE] = sched[S_CUR_NODE] if h >= 0 else -1
    return line


@inline_helper
def lock_at(sched, costs, counters, request_ns, hold_ops, lk, main):
    """A mutex on a timeline, its state at sched[lk + LK_*]. Returns the time the requester
    has unlocked; `main` counts into sched.lock's counters, else the global queue's.

    The lock's cache line moves when another P's M takes it: cacheline_local within a node,
    more across nodes (by SLIT distance). A hand-off's measured cost already includes a local
    transfer, so a contended acquisition pays only the remote surcharge. Ms without a P
    (sysmon, the netpoller's, syscall Ms) are not placed on a node: they move no line."""
    k_acq = K_LOCK_ACQ if main else K_GQ_OPS
    k_cont = K_LOCK_CONTENDED if main else K_GQ_CONTENDED
    k_wait = K_LOCK_WAIT if main else K_GQ_WAIT
    k_sleep = K_LOCK_SLEEPS if main else K_GQ_SLEEPS
    free_at = sched[lk + LK_FREE_AT]
    line = line_move(sched, costs, lk)
    ops = hold_ops if hold_ops > 1 else 1
    hold = costs[C_RUNQ_OP] * ops
    spinbit = sched[S_LOCK_KIND] == LOCK_SPINBIT
    if request_ns >= free_at:
        grant = request_ns + costs[C_LOCK_UNCONTENDED] + line
        sched[lk + LK_FREE_AT] = grant + hold
        counters[k_acq] += 1
        return grant + hold
    if spinbit and request_ns < sched[lk + LK_GAP_HI]:
        # the lock is free while the sleeper it was released to wakes: a newcomer takes it
        # first if it is done before the sleeper runs (lock_spinbit.go lets Ms barge)
        g0 = request_ns if request_ns > sched[lk + LK_GAP_LO] else sched[lk + LK_GAP_LO]
        grant = g0 + costs[C_LOCK_UNCONTENDED] + line
        if grant + hold <= sched[lk + LK_GAP_HI]:
            sched[lk + LK_GAP_LO] = grant + hold
            counters[k_acq] += 1
            if main:
                counters[K_LOCK_BARGES] += 1
            if g0 > request_ns:
                counters[k_cont] += 1
                counters[k_wait] += grant - request_ns
            return grant + hold
    waited = free_at - request_ns
    surcharge = line - costs[C_CACHELINE_LOCAL] if line > costs[C_CACHELINE_LOCAL] else 0
    if spinbit:
        if sched[lk + LK_SPIN_UNTIL] <= request_ns and waited <= LOCK_SPIN_WINDOW_NS:
            # the one spinning waiter: it takes the lock as soon as it is released
            grant = free_at + costs[C_LOCK_HANDOFF_ACTIVE] + surcharge
            sched[lk + LK_SPIN_UNTIL] = grant
        else:
            # another M spins already (or the wait is long): it sleeps on the lock's stack
            # and is woken by a release that finds nobody spinning
            grant = free_at + costs[C_LOCK_HANDOFF_SLEEPING] + surcharge
            sched[lk + LK_GAP_LO] = free_at
            sched[lk + LK_GAP_HI] = grant
            counters[k_sleep] += 1
    elif waited <= LOCK_SPIN_WINDOW_NS:
        grant = free_at + costs[C_LOCK_HANDOFF_ACTIVE] + surcharge
    else:
        grant = free_at + costs[C_LOCK_HANDOFF_SLEEPING] + surcharge
        counters[k_sleep] += 1
    counters[k_cont] += 1
    counters[k_wait] += grant - request_ns
    done = grant + hold
    sched[lk + LK_FREE_AT] = done
    counters[k_acq] += 1
    return done


@helper
def cas_at(sched, costs, counters, request_ns, ops, lk):
    """A lock-free operation that ends in a CAS on one cache line (a Treiber stack's head, a
    ring's head or tail), its state at sched[lk + LK_*]. Returns when the CAS succeeded.

    The operation first reads what it will publish (`ops` runq_op_ns of its own work, not
    serialised). Its CAS needs the line exclusively: free, it costs an uncontended atomic
    (lock_uncontended_ns, one CAS like an uncontended lock) plus the line's move if another P
    had it. Busy (another CAS owns it until free_at), the CAS fails and retries, each attempt
    pulling the line (a failed CAS per cacheline transfer until the owner is done), and
    succeeds one line transfer after free_at. Nobody ever sleeps: the difference from a lock
    whose waiters go to sleep after a spin window and pay a futex wake-up."""
    ops = ops if ops > 1 else 1
    r = request_ns + costs[C_RUNQ_OP] * ops
    free_at = sched[lk + LK_FREE_AT]
    line = line_move(sched, costs, lk)
    counters[K_GQ_OPS] += 1
    if r >= free_at:
        done = r + costs[C_LOCK_UNCONTENDED] + line
        sched[lk + LK_FREE_AT] = done
        return done
    xfer = line if line > costs[C_CACHELINE_LOCAL] else costs[C_CACHELINE_LOCAL]
    if xfer < 1:
        xfer = 1
    counters[K_GQ_CONTENDED] += 1
    counters[K_GQ_RETRIES] += 1 + (free_at - r) // xfer
    done = free_at + xfer
    counters[K_GQ_WAIT] += done - r
    sched[lk + LK_FREE_AT] = done
    return done


@inline_helper
def gq_charge_put(sched, costs, counters, c, ops):
    """What putting `ops` Gs on the global queue (where gq_choose_put chose) takes, as of c:
    sched.lock for Go's queue, the segment's lock, or the CAS on the stack's head or the
    ring's tail. Returns the time the put is done."""
    impl = sched[S_GQ_IMPL]
    if impl == GQ_LOCK:
        return lock_acquire(sched, costs, counters, c, ops)
    b = gq_seg(sched, sched[S_GQ_CUR])
    if impl == GQ_TREIBER:
        return cas_at(sched, costs, counters, c, ops, b + GQS_LK)
    if impl == GQ_RING:
        return cas_at(sched, costs, counters, c, ops, b + GQS_LK2)
    return lock_at(sched, costs, counters, c, ops, b + GQS_LK, False)


@inline_helper
def gq_put_begin(sched, costs, counters, c, ops, g):
    """Choose where g (the first of `ops` Gs) goes on the global queue and pay for the put."""
    gq_choose_put(sched, g)
    return gq_charge_put(sched, costs, counters, c, ops)


@helper
def gq_put_locked(sched, gt, costs, counters, c, g):
    """Put g on the global queue while sched.lock is held (for the idle lists): Go's queue is
    paid for already; another implementation's put costs what it costs, after c."""
    gq_choose_put(sched, g)
    if sched[S_GQ_IMPL] != GQ_LOCK:
        c = gq_charge_put(sched, costs, counters, c, 1)
    gq_put(sched, gt, g)
    return c


@inline_helper
def gq_home_size(sched, pst, p):
    """What p's first look at the global queue sees: the whole queue, or under per-node
    queues its own node's (the others are remote: stealing reaches them)."""
    if sched[S_GQ_IMPL] == GQ_NODE and p >= 0:
        return sched[gq_seg(sched, pst[p, PF_NODE]) + GQS_SIZE]
    return sched[S_RUNQ_SIZE]


@helper
def gq_take(sched, gt, pst, runq, costs, counters, p, c, gomaxprocs, rules, batch, seg, locked):
    """Take from the global queue for p: one G, or (batch) globrunqgetbatch's count with the
    rest on p's ring. seg >= 0 takes from that segment only (a per-node queue); -1 from the
    first non-empty one in p's order. `locked`: Go's queue only, sched.lock is held already.
    Returns (g, n, c); g is -1 when nothing was there."""
    impl = sched[S_GQ_IMPL]
    if impl == GQ_LOCK:
        if not locked:
            nb = glob_batch_size(sched[S_RUNQ_SIZE], gomaxprocs, rules) if batch else 1
            c = lock_acquire_inl(sched, costs, counters, c, nb)
        if batch:
            g, nb = globrunqgetbatch(sched, gt, pst, runq, p, gomaxprocs, rules)
            return g, nb, c
        g = globrunqget(sched, gt)
        return g, (1 if g >= 0 else 0), c
    n = sched[S_GQ_NSEG]
    node = pst[p, PF_NODE]
    s = -1
    if seg >= 0:
        if sched[gq_seg(sched, seg) + GQS_SIZE] > 0:
            s = seg
    else:
        for i in range(n):
            if impl == GQ_NODE:
                cand = node_cost(costs, CT_ORDER, node, i)
            elif impl == GQ_SEGMENTED:
                cand = (p + i) % n
            else:
                cand = 0
            if i > 0:
                # reading another segment's length: one more line
                c += node_cost(costs, CT_PROBE, node, cand if impl == GQ_NODE else node)
                counters[K_GQ_PROBES] += 1
            if sched[gq_seg(sched, cand) + GQS_SIZE] > 0:
                s = cand
                break
    if s < 0:
        return -1, 0, c
    b = gq_seg(sched, s)
    size = sched[b + GQS_SIZE]
    nb = glob_batch_size(size, gomaxprocs, rules) if batch else 1
    if impl == GQ_TREIBER or impl == GQ_RING:
        c = cas_at(sched, costs, counters, c, nb, b + GQS_LK)  # the head's line
    else:
        c = lock_at(sched, costs, counters, c, nb, b + GQS_LK, False)
    g, nb = gq_popbatch(sched, gt, pst, runq, p, nb, b + GQS_HEAD, b + GQS_TAIL, b + GQS_SIZE)
    sched[S_RUNQ_SIZE] -= nb
    return g, nb, c


# the same function inlined where it is called, for the hot call sites only (every site
# inlined would make the kernel's compile much longer for no gain at the cold ones)
gq_take_inl = inline_helper(gq_take.py_func)


@hot_helper
def account(pst, sched, p, now, col):
    """Add the time since the P's last phase change to column col, clipped to the window."""
    a = pst[p, PF_PHASE_SINCE]
    b = now
    w0 = sched[S_WINDOW_START]
    w1 = sched[S_WINDOW_END]
    lo = a if a > w0 else w0
    hi = b if b < w1 else w1
    if hi > lo:
        pst[p, col] += hi - lo
    if now > a:
        pst[p, PF_PHASE_SINCE] = now


# ---------------------------------------------------------------------------------------------
# The machine's CPUs: Ps sharing cores (GOMAXPROCS > cores), a CPU quota (cgroup cpu.max)
#
# Off (OS_OFF) unless GOMAXPROCS exceeds the CPUs or a quota is set, so that the plain model
# is untouched. A P needs a core while its M is busy (waking, in the scheduler, running a
# goroutine or a mark worker, pausing to steal); it needs none while idle (M parked), in a
# syscall (M blocked in the kernel) or stopped for a stop-the-world. An M off the CPU makes no
# progress: its pending event is kept aside (heap_set) and resumes, shifted by the time off,
# when it is back. Sysmon, the netpoller's M and syscall Ms are not charged a core (they run
# for microseconds; the OS gives waking threads the CPU first) but stop when throttled.
# ---------------------------------------------------------------------------------------------
@hot_helper
def _scale(x, num, den):
    """ceil(x * num / den) for times that may be huge (a hog's 2**60), saturating short of
    INF_NS."""
    v = np.ceil(np.float64(x) * (np.float64(num) / np.float64(den)))
    if v >= INF_NS - 1:
        return INF_NS - 1
    return np.int64(v)


@hot_helper
def run_start(pst, p, now):
    """The P's goroutine starts a stretch of CPU work now."""
    pst[p, PF_RUN_START] = now
    pst[p, PF_WORK_T] = now
    pst[p, PF_WORK_ACC] = 0


@inline_helper
def work_done(pst, p, now, rem, smt):
    """The CPU work the P's goroutine has done since run_start (at most rem once the speed
    may have varied: ceilings of scaled times, a step set at one speed and ended at another).
    Without SMT at full speed it is exact and uncapped (a kernel bug shows as invariant 10)."""
    s = pst[p, PF_SPEED]
    if s == SPEED_FULL and pst[p, PF_WORK_ACC] == 0 and not smt:
        return now - pst[p, PF_WORK_T]
    w = pst[p, PF_WORK_ACC] + _scale(now - pst[p, PF_WORK_T], s, SPEED_FULL)
    return w if w < rem else rem


@hot_helper
def run_end(pst, p, now, rem):
    """When rem ns of CPU work started now end at the P's speed."""
    s = pst[p, PF_SPEED]
    if s == SPEED_FULL:
        return now + rem
    return now + _scale(rem, SPEED_FULL, s)


@helper
def work_pause(pst, p, now):
    """The P's M stops running (a freeze, a speed change): bank the work done so far."""
    if pst[p, PF_PHASE] == PH_RUN:
        s = pst[p, PF_SPEED]
        d = now - pst[p, PF_WORK_T]
        pst[p, PF_WORK_ACC] += d if s == SPEED_FULL else _scale(d, s, SPEED_FULL)
        pst[p, PF_WORK_T] = now


@helper
def smt_speeds(hp, sched, pst):
    """SMT: a P's M runs at S_SMT_PPM while its sibling thread's M runs, else at full speed;
    a change stretches (or shrinks) a running goroutine's pending step by the speed ratio."""
    now = sched[S_NOW]
    own = sched[S_OWN_BASE]
    for p in range(pst.shape[0]):
        if pst[p, PF_ONCPU] != 1 or sched[N_SCHED + p] != 0:
            continue
        q = sched[own + (pst[p, PF_CORE] ^ 1)]
        busy = q >= 0 and pst[q, PF_ONCPU] == 1 and sched[N_SCHED + q] == 0
        new = sched[S_SMT_PPM] if busy else SPEED_FULL
        old = pst[p, PF_SPEED]
        if new == old:
            continue
        work_pause(pst, p, now)
        t = hp[HP_TIME, p]
        pst[p, PF_SPEED] = new
        # a running goroutine's step stretches; the scheduler's steps keep their times (the
        # M-time stamps they carry, e.g. when a timer readied a G, must not move)
        if pst[p, PF_PHASE] == PH_RUN and t < INF_NS and t > now:
            heap_set(hp, sched, p, now + _scale(t - now, old, new))


@helper
def p_busy(ph):
    """Whether a P in phase ph needs a CPU (its M is doing something)."""
    return ph == PH_WAKE or ph == PH_EXEC or ph == PH_RUN or ph == PH_PAUSE or ph == PH_GCWORK


@inline_helper
def set_phase(sched, pst, p, ph):
    """The P's phase; with the OS layer on, a P that starts or stops needing a CPU asks the
    OS for one or gives it back."""
    old = pst[p, PF_PHASE]
    pst[p, PF_PHASE] = ph
    if os_on(sched):
        b0 = p_busy(old)
        b1 = p_busy(ph)
        if b1 and not b0:
            os_need(sched, pst, p)
        elif b0 and not b1:
            os_release(sched, pst, p)


@helper
def quota_charge(sched):
    """The quota spent since the last change of the busy-CPU count (none while throttled)."""
    now = sched[S_NOW]
    if sched[S_QUOTA_NS] > 0 and sched[S_THROTTLED] == 0 and now > sched[S_QUOTA_T]:
        sched[S_QUOTA_LEFT] -= sched[S_OS_RUNNING] * (now - sched[S_QUOTA_T])
    if now > sched[S_QUOTA_T]:
        sched[S_QUOTA_T] = now


@helper
def core_take(sched, pst, p, now):
    """The P's M gets a CPU now: its own (pinned) or the next free one (shared)."""
    if sched[S_OS_MODE] == OS_SHARED:
        n = sched[S_NFREE_CORES] - 1
        core = sched[sched[S_CORE_BASE] + n]
        sched[S_NFREE_CORES] = n
        pst[p, PF_CORE] = core
        pst[p, PF_NODE] = core // sched[S_CPN]
    sched[sched[S_OWN_BASE] + pst[p, PF_CORE]] = p
    pst[p, PF_ONCPU] = 1
    pst[p, PF_OS_SINCE] = now
    sched[S_OS_RUNNING] += 1


@helper
def core_give(sched, pst, p):
    """The P's M leaves its CPU (a shared one goes back on the free stack)."""
    pst[p, PF_ONCPU] = 0
    sched[sched[S_OWN_BASE] + pst[p, PF_CORE]] = -1
    sched[S_OS_RUNNING] -= 1
    if sched[S_OS_MODE] == OS_SHARED:
        sched[sched[S_CORE_BASE] + sched[S_NFREE_CORES]] = pst[p, PF_CORE]
        sched[S_NFREE_CORES] += 1


@helper
def osq_push(sched, pst, p):
    """The P's M joins the tail of the OS run queue (FIFO through PF_OS_LINK)."""
    pst[p, PF_OS_LINK] = -1
    if sched[S_OSQ_TAIL] >= 0:
        pst[sched[S_OSQ_TAIL], PF_OS_LINK] = p
    else:
        sched[S_OSQ_HEAD] = p
    sched[S_OSQ_TAIL] = p
    sched[S_OSQ_N] += 1


@helper
def os_need(sched, pst, p):
    """The P's M wants a CPU: its own core (pinned), a free one, else the OS run queue's tail
    (the OS gives a core in the order threads became runnable). A throttled container's M gets
    its core but stays stopped until the period ends."""
    quota_charge(sched)
    now = sched[S_NOW]
    sched[S_OS_DIRTY] = 1
    if sched[S_OS_MODE] == OS_SHARED and (sched[S_NFREE_CORES] == 0 or sched[S_OSQ_N] > 0):
        pst[p, PF_ONCPU] = 0
        osq_push(sched, pst, p)
        sched[N_SCHED + p] = OFF_QUEUED
        sched[sched[S_PEND_BASE] + p] = INF_NS
        pst[p, PF_OFF_SINCE] = now
        return
    core_take(sched, pst, p, now)
    if sched[S_THROTTLED] != 0:
        sched[N_SCHED + p] = OFF_THROTTLED
        sched[sched[S_PEND_BASE] + p] = INF_NS
        pst[p, PF_OFF_SINCE] = now


@helper
def os_release(sched, pst, p):
    """The P's M needs no CPU any more (it parks, blocks in a syscall, or stops)."""
    quota_charge(sched)
    sched[S_OS_DIRTY] = 1
    if pst[p, PF_ONCPU] == 1:
        core_give(sched, pst, p)
        pst[p, PF_SPEED] = SPEED_FULL
    elif sched[N_SCHED + p] == OFF_QUEUED:
        prev = -1
        q = sched[S_OSQ_HEAD]
        while q >= 0 and q != p:
            prev = q
            q = pst[q, PF_OS_LINK]
        if q == p:
            nxt = pst[p, PF_OS_LINK]
            if prev >= 0:
                pst[prev, PF_OS_LINK] = nxt
            else:
                sched[S_OSQ_HEAD] = nxt
            if sched[S_OSQ_TAIL] == p:
                sched[S_OSQ_TAIL] = prev
            sched[S_OSQ_N] -= 1
    sched[N_SCHED + p] = 0


@helper
def phase_col(pst, p):
    """The time column a P's current phase accumulates into."""
    ph = pst[p, PF_PHASE]
    if ph == PH_RUN or ph == PH_GCWORK:
        return PF_T_RUN
    if ph == PH_EXEC:
        return PF_T_SPIN if pst[p, PF_SPINNING] == 1 else PF_T_SCHED
    if ph == PH_PAUSE:
        return PF_T_SPIN
    if ph == PH_WAKE:
        return PF_T_WAKE
    if ph == PH_SYSCALL:
        return PF_T_SYSCALL
    return PF_T_IDLE


@helper
def os_freeze(hp, sched, a, flag):
    """Actor a's M leaves the CPU: its pending event is kept aside (see heap_set)."""
    t = hp[HP_TIME, a]
    if t < INF_NS:
        heap_set(hp, sched, a, INF_NS)
    sched[N_SCHED + a] = flag
    pend = sched[S_PEND_BASE] + a
    if t >= INF_NS:
        sched[pend] = INF_NS
    elif flag == OFF_THROTTLED_WALL:
        sched[pend] = t
    else:
        sched[pend] = t - sched[S_NOW]


@helper
def os_freeze_p(hp, sched, pst, p, flag):
    work_pause(pst, p, sched[S_NOW])
    account(pst, sched, p, sched[S_NOW], phase_col(pst, p))
    pst[p, PF_OFF_SINCE] = sched[S_NOW]
    os_freeze(hp, sched, p, flag)


@helper
def os_thaw(hp, sched, a, t):
    """Actor a's M is back on a CPU at t: its kept event resumes (a delay from t, or a
    wall-clock time no earlier than t)."""
    flag = sched[N_SCHED + a]
    sched[N_SCHED + a] = 0
    pend = sched[sched[S_PEND_BASE] + a]
    if pend < INF_NS:
        if flag == OFF_THROTTLED_WALL:
            heap_set(hp, sched, a, pend if pend > t else t)
        else:
            heap_set(hp, sched, a, t + pend)


@helper
def os_thaw_p(hp, sched, pst, p, t):
    """A P's M runs again at t: the goroutine's CPU work resumes where it stopped."""
    if sched[N_SCHED + p] != OFF_THROTTLED_WALL and pst[p, PF_PHASE] == PH_RUN:
        pst[p, PF_RUN_START] += t - pst[p, PF_OFF_SINCE]
        pst[p, PF_WORK_T] = t
    account(pst, sched, p, sched[S_NOW], PF_T_OSWAIT)
    os_thaw(hp, sched, p, t)


@helper
def os_settle(hp, sched, pst, costs, counters, a_os, a_quota):
    """After an event that changed who needs a CPU: free cores go to the Ps waiting for one;
    the time-slice and quota alarms are re-armed."""
    sched[S_OS_DIRTY] = 0
    now = sched[S_NOW]
    if sched[S_OS_MODE] == OS_SHARED:
        while sched[S_THROTTLED] == 0 and sched[S_NFREE_CORES] > 0 and sched[S_OSQ_N] > 0:
            q = sched[S_OSQ_HEAD]
            sched[S_OSQ_HEAD] = pst[q, PF_OS_LINK]
            if sched[S_OSQ_HEAD] < 0:
                sched[S_OSQ_TAIL] = -1
            sched[S_OSQ_N] -= 1
            quota_charge(sched)
            core_take(sched, pst, q, now)
            counters[K_OS_SWITCHES] += 1
            os_thaw_p(hp, sched, pst, q, now + costs[C_THREAD_SWITCH])
        t = INF_NS
        # os_timeslice_ns 0 (the zero profile): no slicing, a thread keeps its CPU until it
        # blocks
        if sched[S_OSQ_N] > 0 and sched[S_THROTTLED] == 0 and costs[C_OS_TIMESLICE] > 0:
            for p in range(pst.shape[0]):
                if pst[p, PF_ONCPU] == 1 and sched[N_SCHED + p] == 0:
                    e = pst[p, PF_OS_SINCE] + costs[C_OS_TIMESLICE]
                    if e < t:
                        t = e
            if t < now:
                t = now
        if t != hp[HP_TIME, a_os]:
            heap_set(hp, sched, a_os, t)
    if FEATURES and sched[S_SMT_PPM] > 0:
        smt_speeds(hp, sched, pst)
    if sched[S_QUOTA_NS] > 0:
        t = sched[S_PERIOD_END]
        if sched[S_THROTTLED] == 0 and sched[S_OS_RUNNING] > 0:
            r = sched[S_OS_RUNNING]
            left = sched[S_QUOTA_LEFT]
            e = sched[S_QUOTA_T] + ((left + r - 1) // r if left > 0 else 0)
            if e < t:
                t = e
        if t < now:
            t = now
        if t != hp[HP_TIME, a_quota]:
            heap_set(hp, sched, a_quota, t)


@helper
def os_slice_end(hp, sched, pst, costs):
    """The OS's time slice: the thread that has held its core longest, if it has had a full
    slice and others wait, goes to the back of the run queue (CFS-like round robin)."""
    if sched[S_OSQ_N] == 0 or sched[S_THROTTLED] != 0 or costs[C_OS_TIMESLICE] <= 0:
        return
    now = sched[S_NOW]
    best = -1
    for p in range(pst.shape[0]):
        if pst[p, PF_ONCPU] == 1 and sched[N_SCHED + p] == 0:
            if best < 0 or pst[p, PF_OS_SINCE] < pst[best, PF_OS_SINCE]:
                best = p
    if best < 0 or pst[best, PF_OS_SINCE] + costs[C_OS_TIMESLICE] > now:
        sched[S_OS_DIRTY] = 1
        return
    quota_charge(sched)
    os_freeze_p(hp, sched, pst, best, OFF_QUEUED)
    core_give(sched, pst, best)  # its speed stays: its kept step was timed at it
    osq_push(sched, pst, best)
    sched[S_OS_DIRTY] = 1


@helper
def quota_throttle(hp, sched, pst, a_first_wall, a_end, a_gc, a_snap):
    """The quota is spent: every M of the container stops until the period ends (CFS
    bandwidth control). Ps doing CPU work resume where they stopped; wall-clock events (a
    syscall's end, sysmon's sleep, the poller's timeout) happen when due or at the end."""
    sched[S_THROTTLED] = 1
    sched[S_THROTTLE_T] = sched[S_NOW]
    for p in range(pst.shape[0]):
        if sched[N_SCHED + p] != 0:
            continue  # waiting for a core already
        if pst[p, PF_ONCPU] == 1:
            os_freeze_p(hp, sched, pst, p, OFF_THROTTLED)
        elif pst[p, PF_PHASE] == PH_SYSCALL:
            os_freeze(hp, sched, p, OFF_THROTTLED_WALL)
    for a in range(a_first_wall, a_end):
        if a != a_gc and a != a_snap:
            os_freeze(hp, sched, a, OFF_THROTTLED_WALL)
    os_freeze(hp, sched, a_gc, OFF_THROTTLED)


@helper
def quota_unthrottle(hp, sched, pst, a_first_wall, a_end):
    """A new period: the container's Ms run again (in the order they stopped)."""
    now = sched[S_NOW]
    sched[S_THROTTLED] = 0
    d = now - sched[S_THROTTLE_T]
    if sched[S_LOCK_FREE_AT] > sched[S_THROTTLE_T]:
        sched[S_LOCK_FREE_AT] += d  # a lock held when the quota ran out stays held meanwhile
    for p in range(pst.shape[0]):
        f = sched[N_SCHED + p]
        if f == OFF_THROTTLED:
            os_thaw_p(hp, sched, pst, p, now)
        elif f == OFF_THROTTLED_WALL:
            os_thaw(hp, sched, p, now)
    for a in range(a_first_wall, a_end):
        if sched[N_SCHED + a] != 0:
            os_thaw(hp, sched, a, now)
    return d


@hot_helper
def pidleput(sched, pst, pidle, p):
    """pidleput: the P joins the idle stack (LIFO, as sched.pidle)."""
    pidle[sched[S_NPIDLE]] = p
    sched[S_NPIDLE] += 1
    set_phase(sched, pst, p, PH_IDLE)


@hot_helper
def pidleget(sched, pidle):
    """pidleget: the most recently idled P, or -1."""
    n = sched[S_NPIDLE]
    if n == 0:
        return -1
    sched[S_NPIDLE] = n - 1
    return pidle[n - 1]


@helper
def pidle_remove(sched, pidle, p):
    """Take one given P off the idle stack (the spawn path readies the listener on P0)."""
    n = sched[S_NPIDLE]
    for i in range(n):
        if pidle[i] == p:
            for j in range(i, n - 1):
                pidle[j] = pidle[j + 1]
            sched[S_NPIDLE] = n - 1
            return True
    return False


@helper
def stopm(sched, pst, midle, p):
    """stopm: the P's M parks on midle."""
    midle[sched[S_NMIDLE]] = pst[p, PF_M]
    sched[S_NMIDLE] += 1
    pst[p, PF_M] = -1


@helper
def attach_m(sched, pst, midle, counters, costs, p):
    """mget, or newm when midle is empty. Returns the M's start-up delay (wake or creation)."""
    if sched[S_NMIDLE] > 0:
        sched[S_NMIDLE] -= 1
        pst[p, PF_M] = midle[sched[S_NMIDLE]]
        counters[K_WAKEUPS] += 1
        return costs[C_WAKEUP]
    pst[p, PF_M] = sched[S_NEXT_M_ID]
    sched[S_NEXT_M_ID] += 1
    sched[S_MCOUNT] += 1
    counters[K_NEWM] += 1
    return costs[C_NEWM]


@helper
def startm(sched, pst, midle, counters, costs, hp, p, spinning, at_ns):
    """startm(pp, spinning): hand the (already taken) idle P to an M, which starts later."""
    account(pst, sched, p, sched[S_NOW], PF_T_IDLE)
    delay = attach_m(sched, pst, midle, counters, costs, p)
    pst[p, PF_SPINNING] = 1 if spinning else 0
    set_phase(sched, pst, p, PH_WAKE)
    sched[S_WAKES] += 1
    heap_set(hp, sched, p, at_ns + delay)


@helper
def wakep(sched, pst, pidle, midle, counters, costs, rules, hp, now):
    """wakep: start one spinning M on an idle P, unless an M already spins (<= 1 in flight).

    Returns the time the calling M is done (it holds sched.lock for pidlegetSpinning).
    """
    if not (rules & RULE_SPINNING):
        return now
    if sched[S_NMSPINNING] != 0:
        return now
    sched[S_NMSPINNING] = 1
    done = lock_acquire(sched, costs, counters, now, 1)
    pp = pidleget(sched, pidle)
    if pp < 0:
        sched[S_NMSPINNING] -= 1
        sched[S_NEEDSPINNING] = 1  # pidlegetSpinning: a spinning M found no P
        counters[K_NEEDSPIN_SETS] += 1
        if sched[S_IDLE_WORKERS] > 0:
            # an idle-priority mark worker polls for work (pollWork) and yields its P
            for q in range(pst.shape[0]):
                if pst[q, PF_PHASE] == PH_GCWORK and pst[q, PF_GC_MODE] == GCW_IDLE:
                    if hp[HP_TIME, q] > done:
                        heap_set(hp, sched, q, done)
                    break
        return done
    counters[K_SPIN_BECOMES] += 1
    startm(sched, pst, midle, counters, costs, hp, pp, True, done)
    return done


@helper
def handoffp(
    sched,
    pst,
    pidle,
    midle,
    counters,
    costs,
    iparams,
    hp,
    p,
    now,
):
    """handoffp (proc.go): a P released by a syscalling M gets an M if findRunnable would find
    work on it, or a spinning M if none spins and no P is idle; else it goes idle."""
    counters[K_HANDOFFP] += 1
    account(pst, sched, p, now, PF_T_SYSCALL)
    rules = iparams[I_RULES]
    if not runq_empty(pst, p) or sched[S_RUNQ_SIZE] > 0:
        startm(sched, pst, midle, counters, costs, hp, p, False, now)
        return now
    if (rules & RULE_SPINNING) and sched[S_NMSPINNING] + sched[S_NPIDLE] == 0:
        sched[S_NMSPINNING] = 1
        sched[S_NEEDSPINNING] = 0
        counters[K_SPIN_BECOMES] += 1
        startm(sched, pst, midle, counters, costs, hp, p, True, now)
        return now
    done = lock_acquire(sched, costs, counters, now, 1)
    if sched[S_GCWAITING] != 0:
        # the world is stopping: the P stops here (_Pgcstop; the caller rechecks stopwait)
        set_phase(sched, pst, p, PH_GCSTOP)
        pst[p, PF_SPINNING] = 0
        heap_set(hp, sched, p, INF_NS)
        return done
    if sched[S_RUNQ_SIZE] > 0 or sched[S_NPIDLE] == iparams[I_GOMAXPROCS] - 1:
        # global work, or the last running P with nobody polling the network: start an M
        startm(sched, pst, midle, counters, costs, hp, p, False, done)
        return done
    pidleput(sched, pst, pidle, p)
    pst[p, PF_SPINNING] = 0
    heap_set(hp, sched, p, INF_NS)
    if pst[p, PF_TIMER0_WHEN] != 0:
        # an idle P's timers still need someone: wakeNetPoller(pp.timers.wakeTime())
        done = wake_net_poller(
            sched,
            pst,
            pidle,
            midle,
            counters,
            costs,
            rules,
            hp,
            pst[p, PF_TIMER0_WHEN],
            done,
        )
    return done


@helper
def retake_p(
    sched,
    pst,
    sm,
    pidle,
    midle,
    counters,
    costs,
    iparams,
    hp,
    trace,
    p,
    now,
    a_sm0,
):
    """Take a P from its syscalling M (retake / entersyscallblock) and handoffp it. The M and
    its G wait in a syscall-M slot until the syscall returns. Returns False when no slot is
    free (max_syscall_threads)."""
    slot = sched[S_SM_FREE]
    if slot < 0:
        return False
    sched[S_SM_FREE] = sm[slot, SM_G]  # the free list links through SM_G
    g = pst[p, PF_CURG]
    sm[slot, SM_G] = g
    sm[slot, SM_M] = pst[p, PF_M]
    sm[slot, SM_END] = hp[HP_TIME, p]
    sched[S_NSYSCALL_M] += 1
    counters[K_SYSCALL_RETAKES] += 1
    _trace(trace, sched, now, EV_RETAKE, p, pst[p, PF_M], -1, 0)
    pst[p, PF_M] = -1
    pst[p, PF_CURG] = -1
    heap_set(hp, sched, a_sm0 + slot, sm[slot, SM_END])
    heap_set(hp, sched, p, INF_NS)
    handoffp(
        sched,
        pst,
        pidle,
        midle,
        counters,
        costs,
        iparams,
        hp,
        p,
        now,
    )
    return True


@helper
def emp_draw(rng, emp, start, n):
    """A draw from an empirical distribution: its piecewise-linear quantile function (rows
    start .. start+n-1 of emp: cdf, value) at one uniform."""
    u = uniform(rng)
    lo = start
    hi = start + n - 1
    while hi - lo > 1:  # the segment [lo, hi] with cdf[lo] <= u < cdf[hi]
        mid = (lo + hi) >> 1
        if emp[mid, 0] <= u:
            lo = mid
        else:
            hi = mid
    c0 = emp[lo, 0]
    c1 = emp[hi, 0]
    v = emp[lo, 1]
    if c1 > c0:
        v += (emp[hi, 1] - emp[lo, 1]) * (u - c0) / (c1 - c0)
    r = np.int64(v + 0.5)
    return r if r >= 1 else np.int64(1)


@helper
def draw_phase(rng, prog, emp, i):
    """The duration of phase i of the program (ns, at least 1)."""
    if np.int64(prog[i, PR_DIST]) == DIST_EMPIRICAL:
        return emp_draw(rng, emp, np.int64(prog[i, PR_A]), np.int64(prog[i, PR_B]))
    return draw_service_ns(
        rng,
        np.int64(prog[i, PR_DIST]),
        prog[i, PR_MEAN],
        prog[i, PR_A],
        prog[i, PR_B],
        prog[i, PR_P],
    )


draw_phase_inl = inline_helper(draw_phase.py_func)  # for newproc1: every goroutine's first phase


@inline_helper
def newproc1(rng, gt, prog, emp, g, cls, pc, seq, parent, arrival, now, sampling):
    """A new goroutine in row g: class cls running the program from row pc (a CPU phase by
    construction), id seq, created (or intended to arrive) at `arrival`, runnable at now."""
    gt[g, GF_ARRIVAL] = arrival
    gt[g, GF_REMAINING] = draw_phase_inl(rng, prog, emp, pc)
    gt[g, GF_PC] = pc
    gt[g, GF_SEQ] = seq
    gt[g, GF_LAST_CORE] = -1
    gt[g, GF_LINK] = -1
    gt[g, GF_RUNNABLE_SINCE] = now
    gt[g, GF_CLASS] = cls
    gt[g, GF_PARTNER] = parent
    gt[g, GF_TOKEN] = 0
    gt[g, GF_WOKEN] = WOKEN_NONE
    gt[g, GF_ASSIST] = 0
    gt[g, GF_LOCKED_M] = -1
    gt[g, GF_PENDING_ALLOC] = 0
    if sampling:
        # newproc1: trackingSeq = uint8(cheaprand()), tracked if it is 0 mod 8
        tseq = cheaprand32(rng) & 255
        gt[g, GF_TRACK] = tseq | ((1 if tseq % G_TRACKING_PERIOD == 0 else 0) << 8)


@helper
def pool_assign(rng, gt, prog, emp, w, r):
    """Worker w takes requester r's job: the sub-program of r's pool phase (r waits just
    after it, so the phase is the row before r's pc)."""
    sub = np.int64(prog[gt[r, GF_PC] - 1, PR_SUB])
    gt[w, GF_PARTNER] = r
    gt[w, GF_PC] = sub
    gt[w, GF_REMAINING] = draw_phase(rng, prog, emp, sub)


@helper
def become_spinning(sched, pst, counters, p):
    pst[p, PF_SPINNING] = 1
    sched[S_NMSPINNING] += 1
    sched[S_NEEDSPINNING] = 0
    counters[K_SPIN_BECOMES] += 1


# ---------------------------------------------------------------------------------------------
# the netpoller: goroutines parked on network readiness, in a heap by ready time
# ---------------------------------------------------------------------------------------------
@helper
def np_push(nph, sched, gt, g):
    """Park g on the netpoller until gt[g, GF_READY] (ties by arrival index)."""
    i = sched[S_NP_N]
    sched[S_NP_N] = i + 1
    r = gt[g, GF_READY]
    sq = gt[g, GF_SEQ]
    while i > 0:
        par = (i - 1) >> 1
        h = nph[par]
        if gt[h, GF_READY] > r or (gt[h, GF_READY] == r and gt[h, GF_SEQ] > sq):
            nph[i] = h
            i = par
        else:
            break
    nph[i] = g


@helper
def np_pop(nph, sched, gt):
    n = sched[S_NP_N] - 1
    top = nph[0]
    sched[S_NP_N] = n
    if n > 0:
        last = nph[n]
        r = gt[last, GF_READY]
        sq = gt[last, GF_SEQ]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            cg = nph[c]
            if c + 1 < n:
                dg = nph[c + 1]
                if gt[dg, GF_READY] < gt[cg, GF_READY] or (
                    gt[dg, GF_READY] == gt[cg, GF_READY] and gt[dg, GF_SEQ] < gt[cg, GF_SEQ]
                ):
                    c += 1
                    cg = dg
            if gt[cg, GF_READY] < r or (gt[cg, GF_READY] == r and gt[cg, GF_SEQ] < sq):
                nph[i] = cg
                i = c
            else:
                break
        nph[i] = last
    return top


@helper
def netpoll(nph, sched, gt, counters, now):
    """netpoll: every G whose fd is ready by now, as a list through schedlink (head, n).

    They become runnable now (casgstatus(_Gwaiting, _Grunnable)).
    """
    head = -1
    tail = -1
    n = 0
    while sched[S_NP_N] > 0 and gt[nph[0], GF_READY] <= now:
        g = np_pop(nph, sched, gt)
        gt[g, GF_LINK] = -1
        gt[g, GF_RUNNABLE_SINCE] = now
        if tail >= 0:
            gt[tail, GF_LINK] = g
        else:
            head = g
        tail = g
        n += 1
    sched[S_BLOCKED] -= n
    counters[K_NETPOLL_READY] += n
    return head, n


@helper
def netpoll_any_waiters(sched, iparams):
    """netpollAnyWaiters: a G is parked on the network (an accepting server always has one)."""
    if sched[S_NP_N] > 0:
        return True
    return iparams[I_PATH] == PATH_NETPOLL and sched[S_ARRIVED] < iparams[I_GOROUTINES]


@helper
def start_idle(sched, pst, pidle, midle, counters, costs, hp, n, now):
    """injectglist's startIdle(n): one non-spinning M per injected G while Ps are idle."""
    done = now
    for _ in range(n):
        done = lock_acquire(sched, costs, counters, done, 1)
        pp = pidleget(sched, pidle)
        if pp < 0:
            sched[S_NEEDSPINNING] = 1
            counters[K_NEEDSPIN_SETS] += 1
            break
        startm(sched, pst, midle, counters, costs, hp, pp, False, done)
    return done


@helper
def injectglist(
    sched,
    gt,
    pst,
    runq,
    pidle,
    midle,
    counters,
    costs,
    iparams,
    hp,
    head,
    n,
    p,
    now,
):
    """injectglist: with no P (p < 0) every G goes to the global queue and startIdle(n) runs;
    with a P, one G per idle P goes global (and an M is started for each), the rest go to
    p's local ring (overflow to the global queue), then wakep. Returns when the caller is done.
    """
    if n <= 0:
        return now
    rules = iparams[I_RULES]
    if p < 0:
        # globrunqputbatch splices the list under the lock: O(1) however many Gs
        done = gq_put_begin(sched, costs, counters, now, 1, head)
        g = head
        while g >= 0:
            nxt = gt[g, GF_LINK]
            gq_put(sched, gt, g)
            g = nxt
        counters[K_GPUTS] += n
        return start_idle(sched, pst, pidle, midle, counters, costs, hp, n, done)
    k = n if n < sched[S_NPIDLE] else sched[S_NPIDLE]
    done = now
    g = head
    if k > 0:
        done = gq_put_begin(sched, costs, counters, now, 1, g)  # a spliced batch, as above
        for _ in range(k):
            nxt = gt[g, GF_LINK]
            gq_put(sched, gt, g)
            g = nxt
        counters[K_GPUTS] += k
        done = start_idle(sched, pst, pidle, midle, counters, costs, hp, k, done)
    while g >= 0:
        nxt = gt[g, GF_LINK]
        moved = runqput(sched, gt, pst, runq, p, g, False, rules)
        if moved > 0:
            counters[K_OVERFLOWS] += 1
            counters[K_GPUTS] += moved
            done = gq_charge_put(sched, costs, counters, done, 1)  # runqputslow: one batch
        g = nxt
    return wakep(sched, pst, pidle, midle, counters, costs, rules, hp, done)


@helper
def netpoll_poke(nph, sched, gt, costs, hp, a_netpoll, now):
    """When the M blocked in netpoll wakes: the first fd ready, or its timeout (pollUntil)."""
    if sched[S_NETPOLL_M] < 0:
        return
    t = INF_NS
    if sched[S_NP_N] > 0:
        r = gt[nph[0], GF_READY]
        t = (r if r > now else now) + costs[C_WAKEUP]
    if sched[S_POLL_UNTIL] > 0:
        # the timeout: epoll_wait takes whole milliseconds, rounded up (granularity 0: exact)
        start = sched[S_POLL_START]
        d = sched[S_POLL_UNTIL] - start
        if d < 0:
            d = 0
        gran = costs[C_NETPOLL_GRANULARITY]
        if gran > 0 and d % gran != 0:
            d = (d // gran + 1) * gran
        tt = start + d + costs[C_WAKEUP]
        if tt < t:
            t = tt
    if t < hp[HP_TIME, a_netpoll]:
        heap_set(hp, sched, a_netpoll, t)


# ---------------------------------------------------------------------------------------------
# timers: per-P heaps (Go 1.14+) or timerproc's global heap (Go <= 1.13)
# ---------------------------------------------------------------------------------------------
@helper
def _tless(gt, a, b):
    """Timer order: `when` (GF_READY), ties by the goroutine's id."""
    ra = gt[a, GF_READY]
    rb = gt[b, GF_READY]
    return ra < rb or (ra == rb and gt[a, GF_SEQ] < gt[b, GF_SEQ])


@helper
def timer_merge(gt, a, b):
    """Merge two timer heaps (roots a and b, -1 for empty) and return the new root.

    A top-down skew heap threaded through the goroutines (GF_TLEFT/GF_TRIGHT): a sleeping G
    has one timer, so the heap needs no storage of its own and never fills. Go uses a 4-ary
    array heap; only the order (earliest `when` first) matters to the scheduler.
    """
    if a < 0:
        return b
    if b < 0:
        return a
    if _tless(gt, b, a):
        a, b = b, a
    root = a
    cur = a
    while True:
        r = gt[cur, GF_TRIGHT]
        gt[cur, GF_TRIGHT] = gt[cur, GF_TLEFT]
        if r < 0:
            gt[cur, GF_TLEFT] = b
            return root
        if _tless(gt, b, r):
            r, b = b, r
        gt[cur, GF_TLEFT] = r
        cur = r


@helper
def timer_push(gt, root, g):
    gt[g, GF_TLEFT] = -1
    gt[g, GF_TRIGHT] = -1
    return timer_merge(gt, root, g)


@helper
def timer_pop(gt, root):
    """Remove the root; returns the new root."""
    return timer_merge(gt, gt[root, GF_TLEFT], gt[root, GF_TRIGHT])


@helper
def ready_g(sched, gt, pst, runq, counters, costs, rules, p, g, now, c, woken):
    """ready(gp, next=true): a parked G becomes runnable on p's runnext, the previous runnext
    kicked to the ring's tail (before Go 1.5, or with the rule off: the ring's tail).

    The state changes at the event's instant `now`; the readying M's time runs on from c. The
    caller calls wakep. Returns when p's M is done (a full ring costs a locked batch).
    """
    gt[g, GF_RUNNABLE_SINCE] = now
    gt[g, GF_WOKEN] = woken
    sched[S_BLOCKED] -= 1
    c += costs[C_RUNQ_OP]
    moved = runqput(sched, gt, pst, runq, p, g, (rules & RULE_READY_RUNNEXT) != 0, rules)
    if moved > 0:
        counters[K_OVERFLOWS] += 1
        counters[K_GPUTS] += moved
        c = gq_charge_put(sched, costs, counters, c, 1)
    return c


@helper
def run_timers(sched, gt, pst, runq, counters, costs, rules, trace, v, p, now, c):
    """checkTimers(v, now) on p's M: each of v's timers with when <= now fires, and its G is
    readied on p (goroutineReady -> goready: p's runnext). Returns (ran, c)."""
    ran = 0
    root = pst[v, PF_TIMERS_ROOT]
    while root >= 0 and gt[root, GF_READY] <= now:
        g = root
        root = timer_pop(gt, g)
        pst[v, PF_NTIMERS] -= 1
        ran += 1
        counters[K_TIMERS_RUN] += 1
        if v != p:
            counters[K_TIMERS_STOLEN] += 1
        _trace(trace, sched, c, EV_TIMER, p, pst[p, PF_M], gt[g, GF_SEQ], 1 if v != p else 0)
        # runnable from the event's instant (another P may take it before this M's time):
        # the state of an atomic step changes when its event fires
        at = sched[S_NOW] if sched[S_NOW] < now else now
        c = ready_g(sched, gt, pst, runq, counters, costs, rules, p, g, at, c, WOKEN_TIMER)
    pst[v, PF_TIMERS_ROOT] = root
    pst[v, PF_TIMER0_WHEN] = gt[root, GF_READY] if root >= 0 else 0
    return ran, c


@helper
def should_steal_timers(pst, q):
    """shouldStealTimers (Go 1.14, 1.15): a P that is not running, or whose running G has
    been asked to stop (preempt set); a running P is assumed to run its own timers."""
    ph = pst[q, PF_PHASE]
    if ph == PH_RUN:
        return pst[q, PF_PREEMPT] == 1
    return ph == PH_IDLE or ph == PH_SYSCALL or ph == PH_WAKE


@helper
def timer_steal_allowed(pst, version, pass_, q):
    """Whether stealWork's pass `pass_` (0..3) runs q's timers, by Go version."""
    if version >= V_TIMER_STEAL_RUNNING:
        return pass_ == STEAL_TRIES - 1  # 1.16+: the last pass, any P with timers
    if version >= 115:
        # CL 232199 (Go 1.15): any P on the last pass, idle or preempted ones from pass 2
        return pass_ == STEAL_TRIES - 1 or (
            pass_ == STEAL_TRIES - 2 and should_steal_timers(pst, q)
        )
    return pass_ == STEAL_TRIES - 1 and should_steal_timers(pst, q)  # Go 1.14


@helper
def timers_earliest(gt, pst):
    """timeSleepUntil: the earliest `when` over all Ps' heaps (0: no timers)."""
    best = 0
    for q in range(pst.shape[0]):
        r = pst[q, PF_TIMERS_ROOT]
        if r >= 0 and (best == 0 or gt[r, GF_READY] < best):
            best = gt[r, GF_READY]
    return best


@helper
def timers_poll_until(gt, pst, version, p, was_spinning):
    """pollUntil for an M about to block in netpoll: the timers it knows of.

    Its own P's always. Go 1.16+: a spinning M that gave up looks at every P's (the loop over
    timerpMask after releasep); Go 1.14-1.15: only those stealWork could have run.
    """
    best = 0
    for q in range(pst.shape[0]):
        r = pst[q, PF_TIMERS_ROOT]
        if r < 0:
            continue
        if q != p:
            if not was_spinning:
                continue
            if version < 115 and not should_steal_timers(pst, q):
                continue
        w = gt[r, GF_READY]
        if best == 0 or w < best:
            best = w
    return best


@helper
def netpoll_break(pst, counters, costs, hp, sched, now):
    """netpollBreak: the M blocked in netpoll wakes now (it then recomputes its timeout)."""
    counters[K_NETPOLL_BREAKS] += 1
    a_np = pst.shape[0] + A_NETPOLL_OFFSET
    t = now + costs[C_WAKEUP]
    if t < hp[HP_TIME, a_np]:
        heap_set(hp, sched, a_np, t)


@helper
def wake_net_poller(sched, pst, pidle, midle, counters, costs, rules, hp, when, now):
    """wakeNetPoller(when) after a timer is added: break the blocked poller if it would sleep
    past `when`; with nobody in netpoll, wakep (Go 1.16+). Returns when the caller is done."""
    if sched[S_NETPOLL_M] >= 0:
        pu = sched[S_POLL_UNTIL]
        if pu == 0 or pu > when:
            netpoll_break(pst, counters, costs, hp, sched, now)
        return now
    if rules & RULE_TIMER_WAKEP:
        return wakep(
            sched,
            pst,
            pidle,
            midle,
            counters,
            costs,
            rules,
            hp,
            now,
        )
    return now


# ---------------------------------------------------------------------------------------------
# the garbage collector (mgc.go, mgcpacer.go): the heap, the trigger, stop-the-world, mark
# workers and assists. The heap grows at the summed allocation rate of the running goroutines,
# so the trigger's crossing time is known exactly; mark work is a fluid done by the workers
# (1 ns of scan per ns each) and by assists.
# ---------------------------------------------------------------------------------------------
@helper
def gc_advance(sched, gt, now):
    """Bring the heap and the mark work (and the workers' background credit) up to now."""
    dt = now - sched[S_HEAP_T]
    if dt > 0:
        sched[S_HEAP_LIVE] += sched[S_ALLOC_RATE] * dt // 1000
        sched[S_HEAP_T] = now
    dm = now - sched[S_MARK_T]
    if dm > 0:
        if sched[S_GC_PHASE] == GC_MARK:
            w = sched[S_NWORKERS] * dm
            sched[S_MARK_DONE] += w
            # gcFlushBgCredit: background work pays the parked assists' debts first (in queue
            # order), the rest is credit for future assists
            g = sched[S_ASSIST_HEAD]
            while w > 0 and g >= 0:
                d = gt[g, GF_READY]
                pay = d if d < w else w
                gt[g, GF_READY] = d - pay
                w -= pay
                if gt[g, GF_READY] > 0:
                    break
                g = gt[g, GF_LINK]
            sched[S_BG_CREDIT] += w
        sched[S_MARK_T] = now


@helper
def g_alloc_rate(gt, iparams, g):
    """Bytes a goroutine allocates per us of CPU (none while it assists)."""
    if gt[g, GF_ASSIST] != 0:
        return 0
    cls = gt[g, GF_CLASS]
    if cls == G_ARRIVAL or cls == G_CHILD or cls == G_WORKER:
        return iparams[I_ALLOC_ARRIVALS]  # a request's work, wherever it runs
    if cls == G_HOG:
        return iparams[I_ALLOC_HOGS]
    return 0


@helper
def gc_run_start(sched, gt, iparams, hp, a_gc, g, now):
    """g starts running: the heap grows faster; the trigger's crossing moves."""
    gc_advance(sched, gt, now)
    r = g_alloc_rate(gt, iparams, g)
    if r != 0:
        sched[S_ALLOC_RATE] += r
        gc_schedule(sched, gt, iparams, hp, a_gc, now)


@helper
def gc_run_stop(sched, gt, iparams, counters, hp, a_gc, g, start, now):
    """g stopped running: returns the bytes it allocated in [start, now)."""
    gc_advance(sched, gt, now)
    r = g_alloc_rate(gt, iparams, g)
    if r != 0:
        sched[S_ALLOC_RATE] -= r
        gc_schedule(sched, gt, iparams, hp, a_gc, now)
    gt[g, GF_ASSIST] = 0
    alloc = r * (now - start) // 1000
    counters[K_GC_ALLOC] += alloc
    if sched[S_GC_PHASE] == GC_MARK:
        sched[S_MARK_ALLOC] += alloc
    return alloc


@helper
def gc_schedule(sched, gt, iparams, hp, a_gc, now):
    """When the collector's next step is due: the trigger's crossing (or the forced GC), or the
    end of the mark at the workers' rate. A stopped world's restart is set by stw_check."""
    ph = sched[S_GC_PHASE]
    if ph == GC_STW:
        return
    t = INF_NS
    if ph == GC_OFF:
        rate = sched[S_ALLOC_RATE]
        need = sched[S_HEAP_TRIGGER] - sched[S_HEAP_LIVE]
        if need <= 0:
            t = now
        elif rate > 0:
            t = sched[S_HEAP_T] + (need * 1000 + rate - 1) // rate
        tf = sched[S_LAST_GC] + GC_FORCE_PERIOD_NS
        if tf < t:
            t = tf
    else:
        left = sched[S_MARK_WORK] - sched[S_MARK_DONE]
        nw = sched[S_NWORKERS]
        if left <= 0:
            t = now
        elif nw > 0:
            t = sched[S_MARK_T] + (left + nw - 1) // nw
        h = sched[S_ASSIST_HEAD]
        if h >= 0:
            # the first parked assist is paid off (and readied) when the workers' credit covers it
            d = gt[h, GF_READY]
            if d <= 0:
                t = now
            elif nw > 0:
                th = sched[S_MARK_T] + (d + nw - 1) // nw
                if th < t:
                    t = th
    if t < now:
        t = now
    heap_set(hp, sched, a_gc, t)


@helper
def gc_set_goal(sched, iparams, marked, mark_alloc):
    """The pacer after a cycle: goal = marked x (1 + GOGC/100), at least heapMinimum; the
    trigger where the next mark is expected to end at the goal (the allocation seen during
    this mark), kept between 0.7 and 0.95 of the runway. mark_alloc < 0: no history (7/8)."""
    gogc = iparams[I_GOGC]
    goal = marked * (100 + gogc) // 100
    hmin = GC_HEAP_MINIMUM * gogc // 100
    if goal < hmin:
        goal = hmin
    runway = goal - marked
    ratio = 0.875
    if mark_alloc >= 0 and runway > 0:
        ratio = (runway - mark_alloc) / runway
        if ratio < GC_TRIGGER_MIN:
            ratio = GC_TRIGGER_MIN
        elif ratio > GC_TRIGGER_MAX:
            ratio = GC_TRIGGER_MAX
    sched[S_HEAP_MARKED] = marked
    sched[S_HEAP_GOAL] = goal
    sched[S_HEAP_TRIGGER] = marked + np.int64(ratio * runway)


@helper
def gc_assist(sched, iparams, counters, rules, costs_mark_per_kib, alloc, now):
    """gcAssistAlloc for a goroutine that allocated `alloc` bytes during the mark.

    Returns (work, debt): the scan work (ns) it does now, after stealing the workers'
    background credit, and the debt left when the work it may take runs out (what the running
    workers hold is not available): it parks until their credit pays it (gcParkAssist).
    (0, 0) when the limiter holds assists off or nothing is owed.
    """
    if alloc <= 0 or not (rules & RULE_GC_ASSISTS):
        return 0, 0
    left = sched[S_MARK_WORK] - sched[S_MARK_DONE]
    if left <= 0:
        return 0, 0
    if rules & RULE_GC_LIMITER:
        # the limiter (mgclimit.go) caps GC at ~50% of the CPU by turning assists off
        elapsed = now - sched[S_MARK_START]
        if sched[S_MARK_DONE] * 2 > elapsed * iparams[I_GOMAXPROCS]:
            counters[K_GC_LIMITED] += 1
            return 0, 0
    dist = sched[S_HEAP_GOAL] - sched[S_HEAP_LIVE]
    if dist < GC_ASSIST_MIN_DISTANCE:
        dist = GC_ASSIST_MIN_DISTANCE
    debt = alloc * left // dist  # assistWorkPerByte = remaining scan work / heap distance
    take = debt if debt < sched[S_BG_CREDIT] else sched[S_BG_CREDIT]
    sched[S_BG_CREDIT] -= take
    debt -= take
    # scan what is not held in the running workers' buffers; park for the rest
    avail = left - sched[S_NWORKERS] * GC_WORKER_HELD_KIB * costs_mark_per_kib
    if avail < 0:
        avail = 0
    work = debt if debt < avail else avail
    if work > 0:
        sched[S_MARK_DONE] += work
        counters[K_GC_ASSIST] += work
    return work, debt - work


@helper
def gc_ready_assists(sched, gt, counters, all_, now):
    """Ready the parked assists whose debt is paid (all of them at the end of the mark:
    gcWakeAllAssists) onto the global queue. Returns how many."""
    n = 0
    g = sched[S_ASSIST_HEAD]
    while g >= 0 and (all_ or gt[g, GF_READY] <= 0):
        nx = gt[g, GF_LINK]
        counters[K_GC_ASSIST_WAIT] += now - gt[g, GF_RUNNABLE_SINCE]
        gt[g, GF_READY] = 0
        gq_put1(sched, gt, g)
        gt[g, GF_RUNNABLE_SINCE] = now
        sched[S_BLOCKED] -= 1
        sched[S_ASSIST_N] -= 1
        counters[K_GPUTS] += 1
        n += 1
        g = nx
    sched[S_ASSIST_HEAD] = g
    if g < 0:
        sched[S_ASSIST_TAIL] = -1
    return n


@helper
def gc_worker_end(sched, gt, pst, counters, p, now):
    """A mark worker on p stops: account its CPU by Go's classes."""
    mode = pst[p, PF_GC_MODE]
    if mode == 0:
        return
    gc_advance(sched, gt, now)
    d = now - pst[p, PF_GC_SINCE]
    if mode == GCW_DEDICATED:
        counters[K_GC_DEDICATED] += d
    elif mode == GCW_FRACTIONAL:
        counters[K_GC_FRACTIONAL] += d
        pst[p, PF_GC_FRAC_NS] += d
    else:
        counters[K_GC_IDLE] += d
        sched[S_IDLE_WORKERS] -= 1
    sched[S_NWORKERS] -= 1
    pst[p, PF_GC_MODE] = 0
    pst[p, PF_PREEMPT] = 0


@helper
def gc_priority(sched, pst):
    """gc-assist-priority (seed 2.5): base + queue_len/64 - max(0, 10 - entropy), or -1000
    when its trigger does not hold (mark queue > 128 and heapLive > 75% of the goal).

    The seed leaves both terms undefined; gmplab's choices (docs/designs.md): a P's mark
    queue length is its share of the outstanding mark work in 1 us units; entropy is 10 x the
    normalised Shannon entropy of the Ps' ring lengths (10: the load evenly spread, 0: all of
    it on one P, or none queued anywhere)."""
    n = pst.shape[0]
    left = sched[S_MARK_WORK] - sched[S_MARK_DONE]
    qlen = left // (1000 * n)
    if qlen <= GC_PRIORITY_QUEUE_MIN or sched[S_HEAP_LIVE] * 100 <= 75 * sched[S_HEAP_GOAL]:
        return -1000
    tot = 0
    for q in range(n):
        tot += pst[q, PF_TAIL] - pst[q, PF_HEAD]
    ent = 0.0
    if tot > 0 and n > 1:
        h = 0.0
        for q in range(n):
            x = pst[q, PF_TAIL] - pst[q, PF_HEAD]
            if x > 0:
                f = x / tot
                h -= f * np.log2(f)
        ent = 10.0 * h / np.log2(n)
    boost = 10.0 - ent
    if boost < 0:
        boost = 0.0
    return sched[S_MOS_GC_BASE] + qlen // 64 - np.int64(boost)


@helper
def gc_worker_for(sched, pst, iparams, rules, counters, p, t):
    """findRunnableGCWorker: the mark worker mode this P should run now (0: none).

    gc-assist-priority: High (>= 15) runs a worker here whatever the fractional goal says;
    Low (<= 7) leaves marking on this P to idle workers; Medium is Go's rule."""
    if sched[S_GC_PHASE] != GC_MARK or not (rules & RULE_GC_WORKERS):
        return 0
    if sched[S_MARK_DONE] >= sched[S_MARK_WORK]:
        return 0  # gcShouldScheduleWorker: no work left
    if mech(sched) & MECH_GC_PRIORITY:
        pr = gc_priority(sched, pst)
        if pr != -1000:
            if pr >= GC_PRIORITY_HIGH:
                counters[K_GC_PRIORITY_HIGH] += 1
                if sched[S_DEDICATED_NEEDED] > 0:
                    sched[S_DEDICATED_NEEDED] -= 1
                    return GCW_DEDICATED
                return GCW_FRACTIONAL
            if pr <= GC_PRIORITY_LOW:
                counters[K_GC_PRIORITY_LOW] += 1
                return 0
    if sched[S_DEDICATED_NEEDED] > 0:
        sched[S_DEDICATED_NEEDED] -= 1
        return GCW_DEDICATED
    goal_ppm = iparams[I_GC_FRACTIONAL_PPM]
    elapsed = t - sched[S_MARK_START]
    if goal_ppm > 0 and elapsed > 0 and pst[p, PF_GC_FRAC_NS] * 1_000_000 <= goal_ppm * elapsed:
        return GCW_FRACTIONAL
    return 0


@helper
def runq_drain_to_global(sched, gt, pst, runq, counters, p):
    """runqdrain + globrunqputbatch: every G of p's runnext and ring to the global queue."""
    n = 0
    g = pst[p, PF_RUNNEXT]
    if g >= 0:
        pst[p, PF_RUNNEXT] = -1
        gq_put1(sched, gt, g)
        n += 1
    while pst[p, PF_HEAD] != pst[p, PF_TAIL]:
        g = runq[p, pst[p, PF_HEAD] & RUNQ_MASK]
        pst[p, PF_HEAD] += 1
        gq_put1(sched, gt, g)
        n += 1
    counters[K_GPUTS] += n
    return n


@helper
def g_in_critical(gt, prog, g):
    """Whether g runs a `critical` phase (a burst inside a critical section)."""
    cls = gt[g, GF_CLASS]
    if cls == G_HOG or cls == G_PAIR:
        return False
    return np.int64(prog[gt[g, GF_PC], PR_KIND]) == PHASE_CRITICAL


@helper
def g_preemptible(sched, gt, prog, g):
    """Whether g's current burst can be stopped before its end: a `nopreempt` phase has no
    safe point; under hybrid-preempt (seed 2.3) a `critical` phase switches only at its end,
    the checkpoint."""
    cls = gt[g, GF_CLASS]
    if cls == G_HOG or cls == G_PAIR:
        return True
    kind = np.int64(prog[gt[g, GF_PC], PR_KIND])
    if kind == PHASE_CRITICAL and (mech(sched) & MECH_HYBRID_PREEMPT):
        return False
    return kind != PHASE_NOPREEMPT


@helper
def preempt_delay(sched, costs):
    """From preemptone to the G's stop: the signal's delivery (async_preempt_ns); under
    hybrid-preempt a G outside a critical section switches at once (the seed's claim)."""
    if mech(sched) & MECH_HYBRID_PREEMPT:
        return 0
    return costs[C_ASYNC_PREEMPT]


@helper
def stw_begin(
    sched,
    gt,
    pst,
    pidle,
    midle,
    counters,
    costs,
    prog,
    hp,
    trace,
    kind,
    now,
):
    """stopTheWorldWithSema: gcwaiting, idle Ps (and Ps running mark workers) stop at once,
    preemptall asks every running G to stop at its next safe point (async_preempt_ns away, or
    the end of a burst that has none). Ps in syscalls count as stopped; Ms in the scheduler
    stop when they next look for work (gcstopm)."""
    sched[S_GC_PHASE] = GC_STW
    sched[S_GCWAITING] = 1
    sched[S_STW_KIND] = kind
    sched[S_STW_START] = now
    sched[S_STW_STOPPED] = -1
    _trace(trace, sched, now, EV_STW, -1, -1, -1, kind)
    for p in range(pst.shape[0]):
        ph = pst[p, PF_PHASE]
        if ph == PH_IDLE:
            pidle_remove(sched, pidle, p)
            account(pst, sched, p, now, PF_T_IDLE)
            set_phase(sched, pst, p, PH_GCSTOP)
        elif ph == PH_GCWORK:
            account(pst, sched, p, now, PF_T_RUN)
            gc_worker_end(sched, gt, pst, counters, p, now)
            stopm(sched, pst, midle, p)
            set_phase(sched, pst, p, PH_GCSTOP)
            heap_set(hp, sched, p, INF_NS)
        elif ph == PH_RUN:
            pst[p, PF_PREEMPT] = 2
            if g_preemptible(sched, gt, prog, pst[p, PF_CURG]):
                when = now + preempt_delay(sched, costs)
                if when < hp[HP_TIME, p]:
                    heap_set(hp, sched, p, when)


@helper
def stw_check(sched, pst, costs, counters, h_gc_stop, hp, trace, a_gc, now):
    """The stopper's wait: once every P is stopped (or in a syscall), the world is stopped;
    the STW's own work follows and the collector restarts the world after it."""
    if sched[S_GCWAITING] == 0 or sched[S_STW_STOPPED] >= 0:
        return
    for p in range(pst.shape[0]):
        ph = pst[p, PF_PHASE]
        if ph != PH_GCSTOP and ph != PH_SYSCALL and ph != PH_DEDICATED:
            return
    sched[S_STW_STOPPED] = now
    stop = now - sched[S_STW_START]
    h_gc_stop[hdr_index(stop)] += 1
    _trace(trace, sched, now, EV_STW_STOPPED, -1, -1, -1, stop)
    cost = costs[C_GC_SWEEPTERM] if sched[S_STW_KIND] == STW_SWEEPTERM else costs[C_GC_MARKTERM]
    heap_set(hp, sched, a_gc, now + cost)


@helper
def stw_put_back(sched, gt, pst, runq, counters, rules, p, g, now):
    """A G stopped for a stop-the-world: 1.26+ resumes it first (runnext), before that it
    went to the global queue like any preempted G (gopreempt_m)."""
    gt[g, GF_RUNNABLE_SINCE] = now
    if rules & RULE_STW_RUNNEXT:
        moved = runqput(sched, gt, pst, runq, p, g, True, rules)
        if moved > 0:
            counters[K_OVERFLOWS] += 1
            counters[K_GPUTS] += moved
    else:
        gq_put1(sched, gt, g)
        counters[K_GPUTS] += 1


@helper
def gcstopm(sched, pst, midle, p, now):
    """gcstopm: the P stops (_Pgcstop) and its M parks."""
    if pst[p, PF_SPINNING] == 1:
        pst[p, PF_SPINNING] = 0
        sched[S_NMSPINNING] -= 1
    stopm(sched, pst, midle, p)
    set_phase(sched, pst, p, PH_GCSTOP)
    pst[p, PF_CURG] = -1
    pst[p, PF_PREEMPT] = 0


@helper
def gc_stop_p(
    sched,
    pst,
    midle,
    costs,
    counters,
    h_gc_stop,
    hp,
    trace,
    a_gc,
    p,
    now,
):
    """gcstopm, then the stopper's check: this P may be the last the world waited for."""
    gcstopm(sched, pst, midle, p, now)
    heap_set(hp, sched, p, INF_NS)
    stw_check(
        sched,
        pst,
        costs,
        counters,
        h_gc_stop,
        hp,
        trace,
        a_gc,
        now,
    )


@helper
def start_world(
    sched,
    gt,
    pst,
    runq,
    pidle,
    midle,
    counters,
    costs,
    rules,
    h_gc_total,
    hp,
    trace,
    now,
):
    """startTheWorldWithSema: Ps with local work get Ms, the others go idle, a syscall that
    returned meanwhile completes its exitsyscall; then wakep."""
    sched[S_GCWAITING] = 0
    pause = now - sched[S_STW_START]
    h_gc_total[hdr_index(pause)] += 1
    counters[K_GC_PAUSE] += pause * pst.shape[0]  # /cpu/classes/gc/pause: GOMAXPROCS x pause
    _trace(trace, sched, now, EV_START_WORLD, -1, -1, -1, pause)
    for p in range(pst.shape[0]):
        ph = pst[p, PF_PHASE]
        if ph == PH_GCSTOP:
            account(pst, sched, p, now, PF_T_IDLE)
            if not runq_empty(pst, p):
                startm(
                    sched,
                    pst,
                    midle,
                    counters,
                    costs,
                    hp,
                    p,
                    False,
                    now,
                )
            else:
                pidleput(sched, pst, pidle, p)
        elif ph == PH_SYSCALL and pst[p, PF_STW_HELD] == 1:
            pst[p, PF_STW_HELD] = 0
            heap_set(hp, sched, p, now)
    return wakep(sched, pst, pidle, midle, counters, costs, rules, hp, now)


# ---------------------------------------------------------------------------------------------
# findRunnable for the go policy
# ---------------------------------------------------------------------------------------------
@helper
def steal_allowed(sched, pst, v, total):
    """migration-avoid (seed 3.1): "only when the remote P's load > 150%": v's load over the
    mean load of the Ps must exceed S_MOS_RATIO_PPM / 1e6 (total: the others' loads; the
    thief's own, a P just taken to look for work, does not count)."""
    n = pst.shape[0]
    return p_load(pst, v) * n * 1_000_000 > sched[S_MOS_RATIO_PPM] * total


@helper
def steal_order_reset(sched, pst, rng, coprimes, p):
    """randomOrder.start: a random first victim and a coprime stride; deterministic-steal
    (seed ch. 1) probes p+1, p+2, ... instead and draws nothing."""
    n = pst.shape[0]
    if mech(sched) & MECH_DET_STEAL:
        pst[p, PF_STEAL_START] = (p + 1) % n
        pst[p, PF_STEAL_STRIDE] = 1
        return
    ncop = coprimes.shape[0]
    r = cheaprand32(rng)
    pst[p, PF_STEAL_START] = r % n
    pst[p, PF_STEAL_STRIDE] = coprimes[(r // n) % ncop]


@helper
def stolen(counters, costs, pst, p, v, got):
    """Count a steal; one from a P on a farther node (SLIT > 10) is remote."""
    counters[K_STEALS] += 1
    counters[K_STOLEN] += got
    if node_cost(costs, CT_DIST, pst[p, PF_NODE], pst[v, PF_NODE]) > 10:
        counters[K_STEALS_REMOTE] += 1


@inline_helper
def steal_work(
    sched,
    gt,
    pst,
    runq,
    counters,
    costs,
    rules,
    rng,
    coprimes,
    trace,
    version,
    timers_on,
    p,
    t,
    c,
    resume,
):
    """stealWork: 4 passes over all Ps in random-start coprime-stride order.

    Returns (outcome, g, c). On PAUSE the iteration state is saved in the P's row and the
    caller resumes after ``runnext_steal_pause_ns``. Timers due by t are stolen (run here, their
    Gs readied on p) as the Go version does it: 1.16+ on the last pass before the victim's
    ring, 1.14-1.15 after it and only from some Ps (timer_steal_allowed).

    Mechanisms (designs.py): deterministic-steal fixes the order; hierarchical-steal walks
    the same order once per node, own node first, then by distance (per-node global queues
    before each remote node's Ps); migration-avoid skips victims that are not loaded enough.
    """
    steal_timers = timers_on and (rules & RULE_STEAL_TIMERS) != 0 and version >= V_TIMERS_ON_PS
    n = pst.shape[0]
    mechs = mech(sched)
    nn = costs[N_COSTS]
    hier = (mechs & MECH_HIER_STEAL) != 0 and nn > 1
    levels = nn if hier else 1
    node_q = sched[S_GQ_IMPL] == GQ_NODE
    avoid = (mechs & MECH_MIGRATION_AVOID) != 0
    total = loads_total(pst) - p_load(pst, p) if avoid else 0  # the thief's own not counted
    me = pst[p, PF_NODE]
    probe_ns = node_cost(costs, CT_PROBE, 0, 0)  # one node: every probe costs the same
    pass_ = pst[p, PF_STEAL_PASS]
    i0 = pst[p, PF_STEAL_I]
    if resume:
        # back from usleep(3): take the victim's runnext if it is still the same G
        v = pst[p, PF_STEAL_VICTIM]
        g0 = pst[p, PF_STEAL_G]
        if pst[v, PF_RUNNEXT] == g0 and g0 >= 0:
            pst[v, PF_RUNNEXT] = -1
            c += node_cost(costs, CT_LINE, pst[p, PF_NODE], pst[v, PF_NODE])  # the CAS's line
            stolen(counters, costs, pst, p, v, 1)
            counters[K_RUNNEXT_STEALS] += 1
            return FOUND, g0, c
        # the CAS failed: runqgrab loops and re-reads the victim's ring
        if pst[v, PF_PHASE] != PH_IDLE:
            g, got = runqsteal(pst, runq, p, v, rules)
            if got > 0:
                stolen(counters, costs, pst, p, v, got)
                return FOUND, g, c
            nx = pst[v, PF_RUNNEXT]
            if nx >= 0:
                pst[p, PF_STEAL_G] = nx
                counters[K_STEAL_PAUSES] += 1
                return PAUSE, -1, c + costs[C_RUNNEXT_STEAL_PAUSE]
        i0 += 1
    else:
        pass_ = 0
        i0 = 0
        steal_order_reset(sched, pst, rng, coprimes, p)
        if STEAL_PRECHECK and not hier and not avoid:
            # A scan that can find nothing, answered by one look at each P instead of four
            # passes of probes: when no P but the idle ones (which are never probed) has a G
            # in its ring or runnext, and none has timers to steal, every probe fails and the
            # outcome is PARK whatever the order. The four passes' costs, probe counts and
            # order draws are then known: STEAL_TRIES probes of each P that is not idle, the
            # order drawn again before each pass after the first. This is where spinning Ms
            # spend their scans (most end with nothing), so their cost stops growing with the
            # ring probes: about 4 loads per P instead of 4 passes of the probe's work.
            one_pass = 0
            busy = 0
            for v in range(n):
                if v == p:
                    continue
                if steal_timers and pst[v, PF_TIMERS_ROOT] >= 0:
                    busy = -1
                    break
                if pst[v, PF_PHASE] != PH_IDLE:
                    if pst[v, PF_TAIL] != pst[v, PF_HEAD] or pst[v, PF_RUNNEXT] >= 0:
                        busy = -1
                        break
                    busy += 1
                    if nn == 1:
                        one_pass += probe_ns
                    else:
                        one_pass += node_cost(costs, CT_PROBE, me, pst[v, PF_NODE])
            if busy >= 0:
                for _ in range(STEAL_TRIES - 1):
                    steal_order_reset(sched, pst, rng, coprimes, p)
                counters[K_STEAL_PROBES] += STEAL_TRIES * busy
                return PARK, -1, c + STEAL_TRIES * one_pass
    while pass_ < STEAL_TRIES:
        last = pass_ == STEAL_TRIES - 1
        start = pst[p, PF_STEAL_START]
        stride = pst[p, PF_STEAL_STRIDE]
        # i = k % n and v = (start + i * stride) % n, kept by addition instead of two
        # divisions per probe (start < n, 1 <= stride <= n: one subtraction wraps v)
        i_next = i0 % n
        v_next = (start + i_next * stride) % n
        for k in range(i0, n * levels):
            i = i_next
            v = v_next
            i_next = i + 1
            v_next = v + stride
            if v_next >= n:
                v_next -= n
            if i_next == n:
                i_next = 0
                v_next = start
            if hier:
                nd = node_cost(costs, CT_ORDER, me, k // n)
                if i == 0 and nd != me and node_q and sched[gq_seg(sched, nd) + GQS_SIZE] > 0:
                    # a remote node's own global queue before its Ps
                    c += node_cost(costs, CT_PROBE, me, nd)
                    g, nb, c = gq_take(
                        sched, gt, pst, runq, costs, counters, p, c, n, rules, True, nd, False
                    )
                    if g >= 0:
                        counters[K_GGETS] += nb
                        return FOUND, g, c
                if pst[v, PF_NODE] != nd:
                    continue
            if v == p:
                continue
            timers_here = (
                steal_timers
                and pst[v, PF_TIMERS_ROOT] >= 0
                and gt[pst[v, PF_TIMERS_ROOT], GF_READY] <= t
                and timer_steal_allowed(pst, version, pass_, v)
            )
            if timers_here and version >= V_TIMER_STEAL_RUNNING:
                # 1.16+: timers first ("stealing runnext should be the last resort")
                ran, c = run_timers(sched, gt, pst, runq, counters, costs, rules, trace, v, p, t, c)
                if ran > 0:
                    g, inherit = runqget(pst, runq, p, rules)
                    if g >= 0:
                        return FOUND, g, c
            idle = pst[v, PF_PHASE] == PH_IDLE  # idlepMask: idle Ps are not probed
            if not idle and avoid and not steal_allowed(sched, pst, v, total):
                counters[K_STEALS_DENIED] += 1
                continue
            if not idle:
                c += probe_ns if nn == 1 else node_cost(costs, CT_PROBE, me, pst[v, PF_NODE])
                counters[K_STEAL_PROBES] += 1
                g, got = runqsteal(pst, runq, p, v, rules)
                if got > 0:
                    stolen(counters, costs, pst, p, v, got)
                    return FOUND, g, c
            if timers_here and version < V_TIMER_STEAL_RUNNING:
                # 1.14-1.15: checkTimers(p2) after runqsteal(p2) found nothing
                ran, c = run_timers(sched, gt, pst, runq, counters, costs, rules, trace, v, p, t, c)
                if ran > 0:
                    g, inherit = runqget(pst, runq, p, rules)
                    if g >= 0:
                        return FOUND, g, c
            if idle:
                continue
            if last and pst[v, PF_RUNNEXT] >= 0:
                # runqgrab: usleep(3) first, to let a running P schedule its own runnext
                pst[p, PF_STEAL_PASS] = pass_
                pst[p, PF_STEAL_I] = k
                pst[p, PF_STEAL_VICTIM] = v
                pst[p, PF_STEAL_G] = pst[v, PF_RUNNEXT]
                counters[K_STEAL_PAUSES] += 1
                return PAUSE, -1, c + costs[C_RUNNEXT_STEAL_PAUSE]
        pass_ += 1
        i0 = 0
        if pass_ < STEAL_TRIES:
            steal_order_reset(sched, pst, rng, coprimes, p)
    return PARK, -1, c


@inline_helper
def find_runnable_settings(iparams):
    """What find_runnable reads of the run's settings, once per run: (rules, gomaxprocs,
    version, timers_on, gc_on, netpoll_on). The event loop reads them before it starts;
    read inside find_runnable, they were loads and flag arithmetic on every call (about 30
    instructions per goroutine counted at GOMAXPROCS 64; README, Speed): the loop also
    stores to arrays, so LLVM cannot prove iparams unchanged and hoist them."""
    return (
        iparams[I_RULES],
        iparams[I_GOMAXPROCS],
        iparams[I_GO_VERSION],
        iparams[I_TIMERS] != 0,
        FEATURES and iparams[I_GC] != 0,
        iparams[I_NETPOLL] != 0,
    )


@inline_helper
def find_runnable(
    sched,
    gt,
    pst,
    runq,
    pidle,
    midle,
    nph,
    counters,
    costs,
    iparams,
    rng,
    coprimes,
    hp,
    trace,
    p,
    t,
    resume,
    settings,
):
    """findRunnable (proc.go) for one P at time t. Returns (outcome, g, inherit, c).

    c is the time the M leaves the scheduler (before the switch to g). On PARK the P is
    already on the idle list; its M is parked by the caller. settings is
    find_runnable_settings(iparams).
    """
    rules, gomaxprocs, version, timers_on, gc_on, netpoll_on = settings
    c = t
    was_spinning = False
    for _top in range(64):  # `goto top` is bounded; reaching the bound is a model bug
        if sched[S_GCWAITING] != 0:
            return GCSTOP, -1, False, c  # `top:` if sched.gcwaiting: gcstopm
        if not resume:
            # checkTimers: this P's expired timers run first; their Gs take runnext (and wakep)
            root = pst[p, PF_TIMERS_ROOT]
            if timers_on and (rules & RULE_CHECK_TIMERS) and root >= 0 and gt[root, GF_READY] <= t:
                ran, c = run_timers(sched, gt, pst, runq, counters, costs, rules, trace, p, p, t, c)
                c = wakep(
                    sched,
                    pst,
                    pidle,
                    midle,
                    counters,
                    costs,
                    rules,
                    hp,
                    c,
                )
            # findRunnableGCWorker: a mark worker goes before any run queue
            if gc_on:
                mode = gc_worker_for(sched, pst, iparams, rules, counters, p, t)
                if mode != 0:
                    return GCWORK, mode, False, c
            # fairness: every 61st schedtick look at the global queue first
            if (
                (rules & RULE_GLOBAL_CHECK_61)
                and pst[p, PF_SCHEDTICK] % GLOBAL_CHECK_TICKS == 0
                and sched[S_RUNQ_SIZE] > 0
            ):
                g, nb, c = gq_take(
                    sched, gt, pst, runq, costs, counters, p, c, gomaxprocs, rules, False, -1, False
                )
                counters[K_GGETS] += 1
                counters[K_GLOBAL_CHECK_HITS] += 1
                return FOUND, g, False, c
            # local: runnext, then the ring
            c += costs[C_RUNQ_OP]
            had_next = pst[p, PF_RUNNEXT] >= 0
            g, inherit = runqget(pst, runq, p, rules)
            if g >= 0:
                if had_next:
                    counters[K_RUNNEXT_HITS] += 1
                return FOUND, g, inherit, c
            # global
            if gq_home_size(sched, pst, p) > 0:
                home = pst[p, PF_NODE] if sched[S_GQ_IMPL] == GQ_NODE else -1
                g, nb, c = gq_take_inl(
                    sched,
                    gt,
                    pst,
                    runq,
                    costs,
                    counters,
                    p,
                    c,
                    gomaxprocs,
                    rules,
                    True,
                    home,
                    False,
                )
                counters[K_GGETS] += nb
                return FOUND, g, False, c
            # the non-blocking netpoll(0), before stealing (if no M blocks in netpoll)
            if (
                netpoll_on
                and (rules & RULE_NETPOLL_FIND)
                and netpoll_any_waiters(sched, iparams)
                and sched[S_LASTPOLL] != 0
            ):
                if mech(sched) & MECH_RING_NETPOLL:
                    # ring-netpoll (seed 2.4): read the ring the kernel fills, one shared line
                    c += node_cost(costs, CT_LINE, pst[p, PF_NODE], pst[p, PF_NODE])
                else:
                    c += costs[C_NETPOLL]
                    counters[K_NETPOLL_SYSCALLS] += 1  # epoll_wait(0)
                counters[K_NETPOLL_CALLS] += 1
                # readiness as of the event's instant: the state this atomic step reads
                head, n = netpoll(nph, sched, gt, counters, t)
                if n > 0:
                    _trace(trace, sched, c, EV_NETPOLL, p, pst[p, PF_M], -1, n)
                    g = head
                    rest = gt[g, GF_LINK]
                    gt[g, GF_LINK] = -1
                    c = injectglist(
                        sched,
                        gt,
                        pst,
                        runq,
                        pidle,
                        midle,
                        counters,
                        costs,
                        iparams,
                        hp,
                        rest,
                        n - 1,
                        p,
                        c,
                    )
                    return FOUND, g, False, c
        # steal
        do_steal = resume
        if not resume and (rules & RULE_SPINNING):
            spinning = pst[p, PF_SPINNING] == 1
            if may_spin(sched, gomaxprocs, spinning, rules):
                if not spinning:
                    become_spinning(sched, pst, counters, p)
                do_steal = True
        if do_steal:
            out, g, c = steal_work(
                sched,
                gt,
                pst,
                runq,
                counters,
                costs,
                rules,
                rng,
                coprimes,
                trace,
                version,
                timers_on,
                p,
                t,
                c,
                resume,
            )
            resume = False
            if out == FOUND or out == PAUSE:
                return out, g, False, c
        # nothing to do in the mark phase: run idle-priority marking rather than give up the P
        if (
            gc_on
            and sched[S_GC_PHASE] == GC_MARK
            and (rules & RULE_GC_IDLE_WORKERS)
            and sched[S_IDLE_WORKERS] < iparams[I_GC_IDLE_MAX]
            and sched[S_MARK_DONE] < sched[S_MARK_WORK]
        ):
            sched[S_IDLE_WORKERS] += 1
            return GCWORK, GCW_IDLE, False, c
        # nothing found: lock sched, recheck the global queue, then give the P up
        c = lock_acquire(sched, costs, counters, c, 1)
        if sched[S_RUNQ_SIZE] > 0:
            g, nb, c = gq_take(
                sched, gt, pst, runq, costs, counters, p, c, gomaxprocs, rules, True, -1, True
            )
            counters[K_GGETS] += nb
            return FOUND, g, False, c
        if pst[p, PF_SPINNING] == 0 and sched[S_NEEDSPINNING] == 1 and (rules & RULE_SPINNING):
            become_spinning(sched, pst, counters, p)
            continue
        pidleput(sched, pst, pidle, p)
        if pst[p, PF_SPINNING] == 1:
            # the "delicate dance": drop spinning, then recheck everything before parking
            was_spinning = True
            pst[p, PF_SPINNING] = 0
            sched[S_NMSPINNING] -= 1
            if rules & RULE_SPIN_GLOBAL_RECHECK:
                # Go 1.22+: recheck the global queue under the lock (pidlegetSpinning + batch)
                c = lock_acquire(sched, costs, counters, c, 1)
            if (rules & RULE_SPIN_GLOBAL_RECHECK) and sched[S_RUNQ_SIZE] > 0:
                pp = pidleget(sched, pidle)  # pidlegetSpinning: our own P, just put back
                set_phase(sched, pst, pp, PH_EXEC)
                g, nb, c = gq_take(
                    sched, gt, pst, runq, costs, counters, p, c, gomaxprocs, rules, True, -1, True
                )
                counters[K_GGETS] += nb
                become_spinning(sched, pst, counters, p)
                return FOUND, g, False, c
            # checkRunqsNoP: any running P with local work?
            n = pst.shape[0]
            again = False
            avoid = (mech(sched) & MECH_MIGRATION_AVOID) != 0
            total = loads_total(pst) - p_load(pst, p) if avoid else 0
            for v in range(n):
                if (
                    pst[v, PF_PHASE] != PH_IDLE
                    and not runq_empty(pst, v)
                    and (not avoid or steal_allowed(sched, pst, v, total))
                ):
                    c = lock_acquire(sched, costs, counters, c, 1)
                    pp = pidleget(sched, pidle)
                    if pp >= 0:
                        set_phase(sched, pst, pp, PH_EXEC)
                        become_spinning(sched, pst, counters, p)
                        again = True
                    else:
                        sched[S_NEEDSPINNING] = 1
                    break
            if again:
                continue
        # the last M with nothing to do blocks in netpoll until an fd is ready or the earliest
        # timer it knows of is due (pollUntil); timers need netpoll from Go 1.14
        poll_until = 0
        if timers_on and netpoll_on and version >= V_TIMERS_ON_PS:
            poll_until = timers_poll_until(gt, pst, version, p, was_spinning)
        if (
            netpoll_on
            and (rules & RULE_NETPOLL_BLOCK)
            and (netpoll_any_waiters(sched, iparams) or poll_until != 0)
            and sched[S_LASTPOLL] != 0
        ):
            sched[S_LASTPOLL] = 0
            sched[S_POLL_UNTIL] = poll_until
            sched[S_POLL_START] = c
            return PARK_NETPOLL, -1, False, c
        if poll_until != 0 and sched[S_NETPOLL_M] >= 0:
            pu = sched[S_POLL_UNTIL]
            if pu == 0 or pu > poll_until:
                # another M polls, but for longer than our timer allows
                netpoll_break(pst, counters, costs, hp, sched, c)
        return PARK, -1, False, c
    return FAIL, -1, False, c


# ---------------------------------------------------------------------------------------------
# the loop
# ---------------------------------------------------------------------------------------------
@njit(cache=True)
def _grow_gt(gt, cap_new):
    out = np.zeros((cap_new, gt.shape[1]), dtype=np.int64)
    out[: gt.shape[0]] = gt
    for i in range(gt.shape[0], cap_new):
        out[i, GF_LINK] = i + 1 if i + 1 < cap_new else -1
    return out


@hot_helper
def g_take(sched, gt, counters, max_live):
    """gfget / malg: a free goroutine row (run_kernel keeps enough rows free for the event
    loop: see g_grow). Returns -1 when max_live goroutines are alive."""
    if sched[S_LIVE] >= max_live:
        return -1
    g = nonneg(sched[S_GFREE])  # the free list is never empty here (g_grow)
    sched[S_GFREE] = gt[g, GF_LINK]
    sched[S_LIVE] += 1
    if sched[S_LIVE] > counters[K_MAX_LIVE_SEEN]:
        counters[K_MAX_LIVE_SEEN] = sched[S_LIVE]
    if g + 1 > sched[S_GHW]:
        sched[S_GHW] = g + 1
    return g


@njit(cache=True)
def g_grow(sched, gt, nph, max_live):
    """The goroutine table doubles (up to max_live) before its free rows run out: the new rows
    join the free list at its tail, so rows are handed out in one order (free rows first,
    most recently freed first, then the new ones in order), whenever the growth happens."""
    cap = gt.shape[0]
    newcap = cap * 2
    if newcap > max_live:
        newcap = max_live
    gt = _grow_gt(gt, newcap)
    nph2 = np.empty(newcap, dtype=np.int64)
    nph2[: nph.shape[0]] = nph
    g = sched[S_GFREE]
    if g < 0:
        sched[S_GFREE] = cap
    else:
        while gt[g, GF_LINK] >= 0:
            g = gt[g, GF_LINK]
        gt[g, GF_LINK] = cap
    sched[S_GCAP] = newcap
    return gt, nph2


@helper
def check_invariants(sched, gt, pst, runq, pidle, iparams):
    """Returns 0 or the code of the first violated invariant (consts.INVARIANT_NAMES)."""
    n = pst.shape[0]
    nidle = 0
    nspin = 0
    queued = sched[S_RUNQ_SIZE]
    stealable = sched[S_RUNQ_SIZE] > 0
    policy = iparams[I_POLICY]
    for p in range(n):
        ph = pst[p, PF_PHASE]
        if ph == PH_IDLE:
            nidle += 1
            if not runq_empty(pst, p) or pst[p, PF_LQ_SIZE] > 0:
                return 2
            if pst[p, PF_SPINNING] != 0:
                return 4
        elif ph != PH_SYSCALL:
            # a P in a syscall is sysmon's to hand off (retake), not the spinning Ms'. Under
            # migration-avoid a ring becomes stealable when the other Ps' loads fall, and
            # nothing wakes an idle P for it (the design's own: its P runs it in time)
            if not runq_empty(pst, p) and not (mech(sched) & MECH_MIGRATION_AVOID):
                stealable = True
        if (ph == PH_RUN or ph == PH_EXEC or ph == PH_SYSCALL) != (pst[p, PF_CURG] >= 0):
            return 9
        nspin += pst[p, PF_SPINNING]
        queued += runq_len(pst, p) + (1 if pst[p, PF_RUNNEXT] >= 0 else 0) + pst[p, PF_LQ_SIZE]
    ntimers = sched[S_NTIMERS]
    for p in range(n):
        nt = pst[p, PF_NTIMERS]
        if (nt == 0) != (pst[p, PF_TIMERS_ROOT] < 0) or (nt == 0) != (pst[p, PF_TIMER0_WHEN] == 0):
            return 13
        ntimers += nt
    if ntimers > sched[S_BLOCKED] or (sched[S_NTIMERS] == 0) != (sched[S_TIMERS_ROOT] < 0):
        return 13
    if nidle != sched[S_NPIDLE]:
        return 3
    if nspin != sched[S_NMSPINNING]:
        return 4
    poll_m = 1 if sched[S_NETPOLL_M] >= 0 else 0
    with_m = 0
    for p in range(n):
        if pst[p, PF_M] >= 0:
            with_m += 1
    if (
        sched[S_MCOUNT]
        != with_m + sched[S_NMIDLE] + sched[S_NSYSCALL_M] + poll_m + sched[S_LOCKED_WAIT] + 1
    ):
        return 5
    if queued != sched[S_LIVE] - sched[S_RUNNING] - sched[S_INHAND] - sched[S_BLOCKED]:
        return 6
    if (
        policy == POLICY_GO
        and (iparams[I_RULES] & RULE_SPINNING)
        and stealable
        and sched[S_NPIDLE] > 0
        and sched[S_NMSPINNING] == 0
        and sched[S_WAKES] == 0
    ):
        return 7
    if os_on(sched):
        oncpu = 0
        for p in range(n):
            if pst[p, PF_ONCPU] == 1:
                oncpu += 1
                if not p_busy(pst[p, PF_PHASE]):
                    return 14
            elif p_busy(pst[p, PF_PHASE]) and sched[N_SCHED + p] != OFF_QUEUED:
                return 14
        if oncpu != sched[S_OS_RUNNING]:
            return 14
        if sched[S_OS_MODE] == OS_SHARED and oncpu + sched[S_NFREE_CORES] != sched[S_NCPU]:
            return 14
    return 0


@helper
def draw_think(rng, iparams, fparams):
    """A closed-loop client's think time (ns, at least 1)."""
    return draw_service_ns(
        rng,
        iparams[I_THINK_DIST],
        fparams[F_THINK_MEAN_NS],
        fparams[F_THINK_A],
        fparams[F_THINK_B],
        fparams[F_THINK_P],
    )


@helper
def cl_push(clh, sched, t):
    """A closed-loop client starts thinking until t (a min-heap of wake-up times)."""
    i = sched[S_CL_N]
    sched[S_CL_N] = i + 1
    while i > 0:
        par = (i - 1) >> 1
        if clh[par] > t:
            clh[i] = clh[par]
            i = par
        else:
            break
    clh[i] = t


@helper
def cl_pop(clh, sched):
    n = sched[S_CL_N] - 1
    top = clh[0]
    sched[S_CL_N] = n
    if n > 0:
        last = clh[n]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and clh[c + 1] < clh[c]:
                c += 1
            if clh[c] < last:
                clh[i] = clh[c]
                i = c
            else:
                break
        clh[i] = last
    return top


@helper
def next_arrival(rng, arrivals, fparams, rsched, t, mm_state, seg, seg_end):
    """The intended time of the next open-loop arrival after t (float ns).

    Poisson and constant gaps; MMPP: competing exponentials for the next arrival and the
    next switch of state (memoryless, so exact); schedule: a Poisson process whose rate is
    piecewise constant (rsched rows: duration, rate per ns; cycling), by walking one unit
    exponential across the segments. Returns (t, mm_state, seg, seg_end).
    """
    if arrivals == ARR_POISSON:
        return t - log_uniform_open(rng) * fparams[F_INTERARRIVAL_NS], mm_state, seg, seg_end
    if arrivals == ARR_MMPP:
        for _ in range(1_000_000):
            r = fparams[F_MMPP_R0] if mm_state == 0 else fparams[F_MMPP_R1]
            q = fparams[F_MMPP_Q01] if mm_state == 0 else fparams[F_MMPP_Q10]
            ta = -log_uniform_open(rng) / r if r > 0 else 1e30
            ts = -log_uniform_open(rng) / q if q > 0 else 1e30
            if ts < ta:
                t += ts
                mm_state = 1 - mm_state
            else:
                return t + ta, mm_state, seg, seg_end
        return 1e30, mm_state, seg, seg_end
    if arrivals == ARR_SCHEDULE:
        e = -log_uniform_open(rng)
        k = rsched.shape[0]
        for _ in range(1_000_000):
            rate = rsched[seg, 1]
            room = rate * (seg_end - t)
            if e <= room:
                return t + e / rate, mm_state, seg, seg_end
            e -= room
            t = seg_end
            seg = (seg + 1) % k
            seg_end += rsched[seg, 0]
        return 1e30, mm_state, seg, seg_end
    return t + fparams[F_INTERARRIVAL_NS], mm_state, seg, seg_end


@inline_helper
def _record_completion(
    sched, gt, counters, iparams, h_sojourn, batch_count, batch_sum, batch_hist, done_bitmap, g, now
):
    seq = gt[g, GF_SEQ]
    soj = now - gt[g, GF_ARRIVAL]
    counters[K_COMPLETED] += 1
    counters[K_COMPLETED_SEQ_SUM] += seq
    sched[S_COMPLETED] += 1
    # one unsigned test bounds seq on both sides (ids are >= 0), so the subscript needs no wrap
    if np.uint64(seq) < np.uint64(done_bitmap.shape[0]):
        if done_bitmap[ix(seq)] != 0:
            return 8
        done_bitmap[ix(seq)] = 1
    if soj < 0:
        return 1
    warm = iparams[I_WARMUP_N]
    if seq >= warm:
        counters[K_MEASURED] += 1
        counters[K_SOJOURN_SUM] += soj
        h_sojourn[hdr_index(soj)] += 1
        nb = batch_count.shape[0]
        measured_total = iparams[I_GOROUTINES] - warm
        # every operand is >= 0 here (seq >= warm), so the unsigned division gives the same
        # batch as floor division without numba's sign fix-up for a negative quotient
        b = np.uint64((seq - warm) * nb) // np.uint64(measured_total)  # an unsigned index
        batch_count[b] += 1
        batch_sum[b] += soj
        batch_hist[b, go_index(soj)] += 1
    return 0


@helper
def _trace(trace, sched, t, kind, p, m, g, arg):
    """Record one event while the trace has room (a no-op once it is full or absent)."""
    k = sched[S_NTRACE]
    if k < trace.shape[0]:
        trace[k, TR_TIME] = t
        trace[k, TR_EVENT] = kind
        trace[k, TR_P] = p
        trace[k, TR_M] = m
        trace[k, TR_G] = g
        trace[k, TR_ARG] = arg
        sched[S_NTRACE] = k + 1


# as gq_take_inl: for the sites on every goroutine's path
_trace_inl = inline_helper(_trace.py_func)


@helper
def mos_violation(trace, sched, counters, t, p, m, g, rule):
    if rule == MOS_SYSCALL_NOT_WAITING:
        counters[K_MOS_SYSCALL_NOT_WAITING] += 1
    elif rule == MOS_RUN_M_NOT_IDLE:
        counters[K_MOS_RUN_M_NOT_IDLE] += 1
    elif rule == MOS_M_TWO_QUEUES:
        counters[K_MOS_M_TWO_QUEUES] += 1
    else:
        counters[K_MOS_P_IDLE_G_RUNNING] += 1
    _trace(trace, sched, t, EV_MOS_VIOLATION, p, m, g, rule)


@helper
def mos_check_execute(trace, sched, pst, counters, t, p, gid):
    """state-check at execute(): goroutine gid goes Grunnable -> Grunning on p with p's M."""
    m = pst[p, PF_M]
    if m >= 0:
        mos_violation(trace, sched, counters, t, p, m, gid, MOS_RUN_M_NOT_IDLE)
    if pst[p, PF_PHASE] == PH_IDLE:
        mos_violation(trace, sched, counters, t, p, m, gid, MOS_P_IDLE_G_RUNNING)
    if not runq_empty(pst, p):
        for q in range(pst.shape[0]):
            if q != p and pst[q, PF_M] == m and not runq_empty(pst, q):
                mos_violation(trace, sched, counters, t, p, m, gid, MOS_M_TWO_QUEUES)
                break


@hot_helper
def _account_cpu(sched, counters, cls, start, end):
    """A goroutine ran [start, end): add what fell inside the measurement window to its class."""
    ws = sched[S_WINDOW_START]
    we = sched[S_WINDOW_END]
    a = start if start > ws else ws
    b = end if end < we else we
    if b > a:
        counters[K_CPU_ARRIVALS + cls] += b - a


@helper
def g_track_out_of_running(gt, g):
    """casgstatus leaving _Grunning: every gTrackingPeriod-th time the G is tracked until it
    next runs (its runnable->running delay then goes to /sched/latencies)."""
    seq = gt[g, GF_TRACK] & 255
    tracking = gt[g, GF_TRACK] >> 8
    if seq % G_TRACKING_PERIOD == 0:
        tracking = 1
    gt[g, GF_TRACK] = ((seq + 1) & 255) | (tracking << 8)


@helper
def stoplockedm(sched, pst, midle, counters, p):
    """A goroutine locked to its M (LockOSThread) stops running on p: its M blocks with it
    (stoplockedm) and the P is handed to another M (handoffp: an idle M, or a new one). The
    switch between threads is charged once, when a locked M gets a P back (startlockedm)."""
    sched[S_LOCKED_WAIT] += 1
    if sched[S_NMIDLE] > 0:
        sched[S_NMIDLE] -= 1
        pst[p, PF_M] = midle[sched[S_NMIDLE]]
    else:
        pst[p, PF_M] = sched[S_NEXT_M_ID]
        sched[S_NEXT_M_ID] += 1
        sched[S_MCOUNT] += 1
        counters[K_NEWM] += 1


@helper
def startlockedm(sched, pst, midle, counters, costs, p, m, c):
    """p's M picked a goroutine locked to M m: the P goes to m (woken: an OS thread switch)
    and this M stops. Returns the time the locked M runs."""
    midle[sched[S_NMIDLE]] = pst[p, PF_M]
    sched[S_NMIDLE] += 1
    pst[p, PF_M] = m
    sched[S_LOCKED_WAIT] -= 1
    counters[K_LOCKEDM_HANDOFFS] += 1
    return c + costs[C_THREAD_SWITCH]


@helper
def dedicate_p(sched, gt, pst, runq, counters, hp, p, g, now):
    """locked-dedicated (seed 4.3): g, locked to p's M, blocks; the P stays with that M
    ("dedicated mode") instead of going to another M, and runs nothing until g is ready: its
    runnext and ring go to the global queue (the caller's wakep finds them a P)."""
    runq_drain_to_global(sched, gt, pst, runq, counters, p)
    gt[g, GF_DED_P] = p
    gt[g, GF_RUNNABLE_SINCE] = now  # when it blocked
    pst[p, PF_CURG] = -1
    set_phase(sched, pst, p, PH_DEDICATED)
    heap_set(hp, sched, p, INF_NS)


@helper
def wake_dedicated(sched, gt, pst, counters, costs, hp, trace, q, now):
    """Ready q on the P its thread holds (dedicated mode): futexwakeup of that M, which runs q
    at once. A block longer than mos_locked_violation_ms counts as a violation. Returns False
    when q has no dedicated P waiting for it (it is readied as Go does)."""
    dp = gt[q, GF_DED_P]
    if gt[q, GF_LOCKED_M] < 0 or dp < 0 or pst[dp, PF_PHASE] != PH_DEDICATED:
        return False
    if now - gt[q, GF_RUNNABLE_SINCE] > sched[S_MOS_LOCKED_NS]:
        counters[K_LOCKED_VIOLATIONS] += 1
    counters[K_LOCKED_DEDICATED] += 1
    account(pst, sched, dp, now, PF_T_IDLE)
    sched[S_BLOCKED] -= 1
    gt[q, GF_RUNNABLE_SINCE] = now
    gt[q, GF_WOKEN] = WOKEN_HANDOFF
    gt[q, GF_DED_P] = -1
    pst[dp, PF_CURG] = q
    pst[dp, PF_INHERIT] = 0
    pst[dp, PF_SCHED_START] = now
    sched[S_INHAND] += 1
    set_phase(sched, pst, dp, PH_EXEC)
    heap_set(hp, sched, dp, now + costs[C_WAKEUP])
    _trace(trace, sched, now, EV_WAKE, dp, pst[dp, PF_M], gt[q, GF_SEQ], 0)
    return True


@hot_helper
def _free_g(sched, gt, g):
    gt[g, GF_LINK] = sched[S_GFREE]
    sched[S_GFREE] = g
    sched[S_LIVE] -= 1


@helper
def _event_loop(
    iparams,
    fparams,
    costs,
    coprimes,
    rng,
    sched,
    pst,
    runq,
    gt,
    pidle,
    midle,
    counters,
    h_sojourn,
    h_schedlat,
    h_schedule,
    h_handoff,
    h_timer,
    h_gc_stop,
    h_gc_total,
    batch_count,
    batch_sum,
    batch_hist,
    snap,
    snap_p,
    snap_midle,
    done_bitmap,
    trace,
    prog,
    emp,
    sm,
    nph,
    clh,
    rsched,
    hp,
    carry_i,
    carry_f,
):
    """run_kernel's event loop, without NRT (no reference counting of the arrays it
    passes on): from the state run_kernel set up and the loop-carried values in carry_i and
    carry_f, until the run ends, fails, or the goroutine table needs more free rows than it
    has (ST_GROW: run_kernel grows it and calls again). The values go back into carry_*."""
    NP = pst.shape[0]
    A_ARR = NP
    A_SYSMON = NP + 1
    A_SNAP = NP + 2
    A_NETPOLL = NP + A_NETPOLL_OFFSET  # the M blocked in netpoll, when there is one
    A_TIMERPROC = NP + 4  # Go <= 1.13: the timer thread (timerproc in notetsleepg)
    A_GC = NP + 5  # the collector's next step (trigger, end of a stop-the-world, end of mark)
    A_SM0 = NP + 6  # syscall-M actors follow
    A_OS = A_SM0 + sm.shape[0]  # the OS's time slice (Ps sharing cores)
    A_QUOTA = A_OS + 1  # the CPU quota's next step (the period's end, or the quota spent)
    smt_on = FEATURES and sched[S_SMT_PPM] > 0
    version = iparams[I_GO_VERSION]
    gc_on = FEATURES and iparams[I_GC] != 0
    sampling = FEATURES and iparams[I_SAMPLING] != 0
    policy = iparams[I_POLICY]
    rules = iparams[I_RULES]
    fr_settings = find_runnable_settings(iparams)
    check = iparams[I_CHECK] != 0
    n_goroutines = iparams[I_GOROUTINES]
    warm_n = iparams[I_WARMUP_N]
    arrivals = iparams[I_ARRIVALS]
    path = iparams[I_PATH]
    max_live = iparams[I_MAX_LIVE]
    snap_ns = iparams[I_SNAPSHOT_NS]
    events_max = iparams[I_EVENTS_MAX]
    ia_mean = fparams[F_INTERARRIVAL_NS]
    max_snap = snap.shape[0]
    inj_free_at = np.int64(0)  # the injecting M (netpoller or listener) is busy until then
    arr_next_f = 0.0  # intended time of the next arrival (float: no rounding drift)
    if arrivals == ARR_BURST:
        path_delay = 0
    elif path == PATH_SPAWN:
        path_delay = costs[C_NEWPROC]
    elif path == PATH_NETPOLL:
        path_delay = 0  # the fd is ready at the arrival; polling costs are charged by pollers
    else:
        path_delay = costs[C_NETPOLL]
    # the injecting path's delay before an open-loop arrival is runnable (go and global only)
    arr_delay = path_delay if (policy == POLICY_GO or policy == POLICY_GLOBAL) else 0
    inj_free_at = carry_i[CI_INJ_FREE_AT]
    mm_state = carry_i[CI_MM_STATE]
    seg = carry_i[CI_SEG]
    k_new = carry_i[CI_K_NEW]
    arr_next_f = carry_f[CF_ARR_NEXT]
    seg_end = carry_f[CF_SEG_END]
    status = ST_OK
    # an event may create k_new goroutines: the table grows first (in run_kernel) once fewer
    # rows are free, unless it is at max_live already; the bound is fixed within this call
    grow_above_live = gt.shape[0] - k_new if gt.shape[0] < max_live else INF_NS
    # the event count lives in a local inside the loop (written back after it): as
    # counters[K_EVENTS] it was a load and a store on every event
    events = counters[K_EVENTS]
    while sched[S_COMPLETED] < n_goroutines:
        if sched[S_LIVE] > grow_above_live:
            status = ST_GROW
            break
        a = hp[HP_ACTOR, 0]
        # the arrival stream is kept out of the heap (arr_set): it goes first if its key is less
        t_arr = hp[HP_TIME, A_ARR]
        if t_arr < hp[HP_KT, 0] or (t_arr == hp[HP_KT, 0] and hp[HP_SEQ, A_ARR] < hp[HP_KS, 0]):
            a = A_ARR
        now = hp[HP_TIME, ix(a)]  # a >= 0: the heap's top or the arrival stream
        if now >= INF_NS:
            status = ST_STRANDED
            break
        events += 1
        if events > events_max:
            status = ST_EVENTS_MAX
            break
        sched[S_NOW] = now
        code = 0
        t_sched = now
        if a < NP:
            sched[S_CUR_P] = a
            sched[S_CUR_NODE] = pst[ix(a), PF_NODE]
        else:
            sched[S_CUR_P] = -1

        if a < NP:
            # ---- a P's M reaches its next step ------------------------------------------------
            p = nonneg(a)  # a < NP is a P, and actors are numbered from 0
            ph = pst[p, PF_PHASE]
            enter_schedule = False
            resume = False
            if ph == PH_RUN:
                g = nonneg(pst[p, PF_CURG])  # a running P has its G (check_invariants)
                sched[S_RUNNING] -= 1
                account(pst, sched, p, now, PF_T_RUN)
                gt[g, GF_REMAINING] -= work_done(pst, p, now, gt[g, GF_REMAINING], smt_on)
                if gt[g, GF_REMAINING] < 0:
                    code = 10
                cls = gt[g, GF_CLASS]
                _account_cpu(sched, counters, cls, pst[p, PF_RUN_START], now)
                assist = 0
                debt = 0
                park_assist = False
                # an alloc phase next: mallocgc puts the object on the heap at once (its bytes
                # count toward this burst's assist below); clearing it runs on the CPU
                resumed = False
                phase_bytes = 0
                if gt[g, GF_REMAINING] <= 0 and cls != G_HOG and cls != G_PAIR:
                    nxt = gt[g, GF_PC] + 1
                    if np.int64(prog[nxt, PR_KIND]) == PHASE_ALLOC:
                        phase_bytes = draw_phase(rng, prog, emp, nxt)
                        gt[g, GF_PC] = nxt
                        gt[g, GF_REMAINING] = 1 + phase_bytes * costs[C_ALLOC_NS_PER_KIB] // 1024
                        if now >= sched[S_WINDOW_START]:
                            counters[K_ALLOC_PHASE_BYTES] += phase_bytes
                        resumed = True
                if gc_on:
                    was_assist = gt[g, GF_ASSIST]
                    alloc = gc_run_stop(
                        sched,
                        gt,
                        iparams,
                        counters,
                        hp,
                        A_GC,
                        g,
                        pst[p, PF_RUN_START],
                        now,
                    )
                    if phase_bytes > 0:
                        alloc += phase_bytes
                        sched[S_HEAP_LIVE] += phase_bytes
                        counters[K_GC_ALLOC] += phase_bytes
                        if sched[S_GC_PHASE] == GC_MARK:
                            sched[S_MARK_ALLOC] += phase_bytes
                        gc_schedule(sched, gt, iparams, hp, A_GC, now)
                    in_mark = sched[S_GC_PHASE] == GC_MARK and pst[p, PF_PREEMPT] == 0
                    if sched[S_GC_PHASE] == GC_MARK and pst[p, PF_PREEMPT] != 0:
                        gt[g, GF_PENDING_ALLOC] += alloc
                    if in_mark and was_assist == 2 and gt[g, GF_READY] > 0:
                        park_assist = True  # its scan work ran out: park for the rest
                    elif in_mark:
                        assist, debt = gc_assist(
                            sched, iparams, counters, rules, costs[C_GC_MARK_PER_KIB], alloc, now
                        )
                        if debt > 0:
                            gt[g, GF_READY] = debt
                            park_assist = assist == 0
                        if assist > 0:
                            gc_schedule(
                                sched,
                                gt,
                                iparams,
                                hp,
                                A_GC,
                                now,
                            )
                nxt = gt[g, GF_PC] + 1
                kind = PHASE_END  # residents run no program: a hog runs on, a pair hands off
                if cls != G_HOG and cls != G_PAIR:
                    kind = np.int64(prog[nxt, PR_KIND])
                has_next = kind != PHASE_END
                cpu_next = kind == PHASE_CPU or kind == PHASE_NOPREEMPT or kind == PHASE_CRITICAL
                worker_parked = False
                replied = False
                c1 = now
                if (
                    cls == G_WORKER
                    and assist == 0
                    and not park_assist
                    and gt[g, GF_REMAINING] <= 0
                    and not has_next
                ):
                    # the job is done: reply (the requester, parked on its reply channel, is
                    # readied into this P's runnext), then receive the next job, or park in
                    # chanrecv until one is sent
                    rq = gt[g, GF_PARTNER]
                    _trace(
                        trace,
                        sched,
                        now,
                        EV_POOL_REPLY,
                        p,
                        pst[p, PF_M],
                        gt[g, GF_SEQ],
                        gt[rq, GF_SEQ],
                    )
                    c1 = ready_g(
                        sched, gt, pst, runq, counters, costs, rules, p, rq, now, now, WOKEN_NONE
                    )
                    replied = True
                    jq = gq_pop(sched, gt, S_CHAN_HEAD, S_CHAN_TAIL, S_CHAN_N)
                    if jq >= 0:
                        if now >= sched[S_WINDOW_START]:
                            counters[K_POOL_WAIT] += now - gt[jq, GF_READY]
                        pool_assign(rng, gt, prog, emp, g, jq)
                        resumed = True
                    else:
                        gt[g, GF_PARTNER] = -1
                        gq_push(sched, gt, S_RECVQ_HEAD, S_RECVQ_TAIL, S_RECVQ_N, g)
                        sched[S_BLOCKED] += 1
                        worker_parked = True
                stw_stop = False
                if assist == 0 and not park_assist and pst[p, PF_PREEMPT] != 0:
                    # a stop was requested: a G at the boundary between two bursts is at a safe
                    # point, so the next burst waits (sysmon's preemption of a burst without
                    # safe points, or a stop-the-world, lands here)
                    if gt[g, GF_REMAINING] <= 0 and has_next and cpu_next:
                        gt[g, GF_PC] = nxt
                        gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt)
                    if pst[p, PF_PREEMPT] == 2 and (
                        gt[g, GF_REMAINING] > 0 or cls == G_HOG or cls == G_PAIR
                    ):
                        stw_stop = True
                if worker_parked:
                    pst[p, PF_PREEMPT] = 0
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    t_sched = wakep(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        rules,
                        hp,
                        c1,
                    )
                elif park_assist:
                    # gcParkAssist: it waits on the assist queue until background credit pays
                    # its debt (GF_READY); it then goes on where its burst ended
                    if gt[g, GF_REMAINING] < 0:
                        gt[g, GF_REMAINING] = 0
                    gt[g, GF_ASSIST] = 1  # it allocates nothing before it moves on
                    gt[g, GF_RUNNABLE_SINCE] = now  # when it parked
                    gq_push(sched, gt, S_ASSIST_HEAD, S_ASSIST_TAIL, S_ASSIST_N, g)
                    sched[S_BLOCKED] += 1
                    counters[K_GC_ASSIST_PARKS] += 1
                    pst[p, PF_PREEMPT] = 0
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    t_sched = now
                    if gt[g, GF_LOCKED_M] >= 0:
                        stoplockedm(sched, pst, midle, counters, p)
                    gc_schedule(sched, gt, iparams, hp, A_GC, now)
                elif assist > 0:
                    # gcAssistAlloc: the goroutine pays for its allocation in scan work first
                    if gt[g, GF_REMAINING] < 0:
                        gt[g, GF_REMAINING] = 0
                    gt[g, GF_REMAINING] += assist
                    gt[g, GF_ASSIST] = 2 if gt[g, GF_READY] > 0 and debt > 0 else 1
                    sched[S_RUNNING] += 1
                    run_start(pst, p, now)
                    gc_run_start(sched, gt, iparams, hp, A_GC, g, now)
                    heap_set(
                        hp,
                        sched,
                        p,
                        run_end(pst, p, now, gt[g, GF_REMAINING]),
                    )
                elif stw_stop:
                    # preempted for the stop-the-world: the P stops (gcstopm)
                    _trace(trace, sched, now, EV_PREEMPT, p, pst[p, PF_M], gt[g, GF_SEQ], 2)
                    stw_put_back(sched, gt, pst, runq, counters, rules, p, g, now)
                    if gt[g, GF_LOCKED_M] >= 0:
                        stoplockedm(sched, pst, midle, counters, p)
                    gc_stop_p(
                        sched,
                        pst,
                        midle,
                        costs,
                        counters,
                        h_gc_stop,
                        hp,
                        trace,
                        A_GC,
                        p,
                        now,
                    )
                elif (resumed and pst[p, PF_PREEMPT] == 0) or (
                    gt[g, GF_REMAINING] <= 0 and has_next and cpu_next
                ):
                    # the next phase is CPU too (or clearing an allocation, or a worker's next
                    # job): keep running, same slice
                    pst[p, PF_PREEMPT] = 0
                    if not resumed:
                        gt[g, GF_PC] = nxt
                        gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt)
                    elif replied:
                        t_sched = wakep(
                            sched,
                            pst,
                            pidle,
                            midle,
                            counters,
                            costs,
                            rules,
                            hp,
                            c1,
                        )
                    sched[S_RUNNING] += 1
                    run_start(pst, p, now)
                    if gc_on:
                        gc_run_start(sched, gt, iparams, hp, A_GC, g, now)
                    heap_set(
                        hp,
                        sched,
                        p,
                        run_end(pst, p, now, gt[g, GF_REMAINING]),
                    )
                elif gt[g, GF_REMAINING] <= 0 and kind == PHASE_NETWAIT:
                    # gopark on a network fd: the netpoller readies it after the drawn time
                    pst[p, PF_PREEMPT] = 0
                    gt[g, GF_READY] = now + draw_phase(rng, prog, emp, nxt)
                    gt[g, GF_PC] = nxt + 1  # a CPU phase follows, by construction
                    gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt + 1)
                    sched[S_BLOCKED] += 1
                    np_push(nph, sched, gt, g)
                    netpoll_poke(nph, sched, gt, costs, hp, A_NETPOLL, now)
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    t_sched = now
                elif gt[g, GF_REMAINING] <= 0 and kind == PHASE_SLEEP:
                    # time.Sleep: a timer on this P's heap (Go 1.14+) or timerproc's (<= 1.13)
                    pst[p, PF_PREEMPT] = 0
                    when = now + draw_phase(rng, prog, emp, nxt)
                    gt[g, GF_READY] = when
                    gt[g, GF_PC] = nxt + 1  # a CPU phase follows, by construction
                    gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt + 1)
                    sched[S_BLOCKED] += 1
                    counters[K_TIMERS_ADDED] += 1
                    _trace(trace, sched, now, EV_SLEEP, p, pst[p, PF_M], gt[g, GF_SEQ], when)
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    t_sched = now + costs[C_RUNQ_OP]
                    if version >= V_TIMERS_ON_PS:
                        pst[p, PF_TIMERS_ROOT] = timer_push(gt, pst[p, PF_TIMERS_ROOT], g)
                        pst[p, PF_NTIMERS] += 1
                        pst[p, PF_TIMER0_WHEN] = gt[pst[p, PF_TIMERS_ROOT], GF_READY]
                        t_sched = wake_net_poller(
                            sched,
                            pst,
                            pidle,
                            midle,
                            counters,
                            costs,
                            rules,
                            hp,
                            when,
                            t_sched,
                        )
                    else:
                        sched[S_TIMERS_ROOT] = timer_push(gt, sched[S_TIMERS_ROOT], g)
                        sched[S_NTIMERS] += 1
                        w0 = gt[sched[S_TIMERS_ROOT], GF_READY]
                        if w0 < hp[HP_TIME, A_TIMERPROC]:
                            heap_set(hp, sched, A_TIMERPROC, w0)
                elif gt[g, GF_REMAINING] <= 0 and kind == PHASE_FORK:
                    # `go child()` x count: newproc puts each child in this P's runnext (the
                    # one before kicked to the ring's tail), then wg.Wait parks the parent
                    # until the last child's wg.Done readies it
                    pst[p, PF_PREEMPT] = 0
                    nkids = np.int64(prog[nxt, PR_COUNT])
                    sub = np.int64(prog[nxt, PR_SUB])
                    c1 = now
                    made = 0
                    for _k in range(nkids):
                        q = g_take(sched, gt, counters, max_live)
                        if q < 0:
                            break
                        made += 1
                        c1 += costs[C_NEWPROC]
                        # a child carries its request's id
                        newproc1(
                            rng,
                            gt,
                            prog,
                            emp,
                            q,
                            G_CHILD,
                            sub,
                            gt[g, GF_SEQ],
                            g,
                            now,
                            now,
                            sampling,
                        )
                        counters[K_CREATED] += 1
                        if now >= sched[S_WINDOW_START]:
                            counters[K_CHILDREN] += 1
                        moved = runqput(
                            sched, gt, pst, runq, p, q, (rules & RULE_READY_RUNNEXT) != 0, rules
                        )
                        if moved > 0:
                            counters[K_OVERFLOWS] += 1
                            counters[K_GPUTS] += moved
                            c1 = gq_charge_put(sched, costs, counters, c1, 1)
                    if made < nkids:
                        status = ST_MAX_LIVE
                        break
                    gt[g, GF_TOKEN] = nkids  # the WaitGroup's counter
                    gt[g, GF_PC] = nxt + 1  # a CPU phase follows, by construction
                    gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt + 1)
                    sched[S_BLOCKED] += 1
                    if now >= sched[S_WINDOW_START]:
                        counters[K_FORKS] += 1
                    _trace(trace, sched, now, EV_FORK, p, pst[p, PF_M], gt[g, GF_SEQ], nkids)
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    t_sched = wakep(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        rules,
                        hp,
                        c1,
                    )
                elif gt[g, GF_REMAINING] <= 0 and kind == PHASE_POOL:
                    # chansend of a job: a worker parked in chanrecv takes it at once (goready
                    # into this P's runnext, then wakep); else it waits in the channel. The
                    # requester then parks on its reply channel.
                    pst[p, PF_PREEMPT] = 0
                    if now >= sched[S_WINDOW_START]:
                        counters[K_POOL_JOBS] += 1
                    gt[g, GF_PC] = nxt + 1  # a CPU phase follows, by construction
                    gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt + 1)
                    sched[S_BLOCKED] += 1
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    wk = gq_pop(sched, gt, S_RECVQ_HEAD, S_RECVQ_TAIL, S_RECVQ_N)
                    if wk >= 0:
                        pool_assign(rng, gt, prog, emp, wk, g)
                        _trace(
                            trace,
                            sched,
                            now,
                            EV_POOL_SEND,
                            p,
                            pst[p, PF_M],
                            gt[g, GF_SEQ],
                            gt[wk, GF_SEQ],
                        )
                        c1 = ready_g(
                            sched,
                            gt,
                            pst,
                            runq,
                            counters,
                            costs,
                            rules,
                            p,
                            wk,
                            now,
                            now,
                            WOKEN_NONE,
                        )
                        t_sched = wakep(
                            sched,
                            pst,
                            pidle,
                            midle,
                            counters,
                            costs,
                            rules,
                            hp,
                            c1,
                        )
                    else:
                        gt[g, GF_READY] = now  # when its job entered the channel
                        gq_push(sched, gt, S_CHAN_HEAD, S_CHAN_TAIL, S_CHAN_N, g)
                        if now >= sched[S_WINDOW_START]:
                            counters[K_POOL_QUEUED] += 1
                        _trace(trace, sched, now, EV_POOL_SEND, p, pst[p, PF_M], gt[g, GF_SEQ], -1)
                        t_sched = now
                elif cls == G_PAIR and gt[g, GF_REMAINING] <= 0 and pst[p, PF_PREEMPT] == 0:
                    # a channel hand-off: goready(partner) into this P's runnext, then gopark
                    # until the partner hands the ball back
                    pst[p, PF_PREEMPT] = 0
                    q = gt[g, GF_PARTNER]
                    if gt[q, GF_TOKEN] != 0 or gt[g, GF_TOKEN] != 1:
                        code = 12
                    gt[q, GF_TOKEN] = 1
                    gt[g, GF_TOKEN] = 0
                    gt[q, GF_REMAINING] = draw_service_ns(
                        rng,
                        iparams[I_PAIR_DIST],
                        fparams[F_PAIR_MEAN_NS],
                        fparams[F_PAIR_A],
                        fparams[F_PAIR_B],
                        fparams[F_PAIR_P],
                    )
                    _trace(
                        trace, sched, now, EV_HANDOFF, p, pst[p, PF_M], gt[g, GF_SEQ], gt[q, GF_SEQ]
                    )
                    if now >= sched[S_WINDOW_START]:
                        counters[K_HANDOFFS] += 1
                    dedicated = (mech(sched) & MECH_LOCKED_DEDICATED) != 0
                    if dedicated and wake_dedicated(
                        sched,
                        gt,
                        pst,
                        counters,
                        costs,
                        hp,
                        trace,
                        q,
                        now,
                    ):
                        c1 = now
                    else:
                        c1 = ready_g(
                            sched,
                            gt,
                            pst,
                            runq,
                            counters,
                            costs,
                            rules,
                            p,
                            q,
                            now,
                            now,
                            WOKEN_HANDOFF,
                        )
                    sched[S_BLOCKED] += 1  # g parks
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    if gt[g, GF_LOCKED_M] >= 0:
                        if dedicated:
                            dedicate_p(
                                sched,
                                gt,
                                pst,
                                runq,
                                counters,
                                hp,
                                p,
                                g,
                                now,
                            )
                        else:
                            stoplockedm(sched, pst, midle, counters, p)
                    t_sched = wakep(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        rules,
                        hp,
                        c1,
                    )
                elif gt[g, GF_REMAINING] <= 0 and has_next:
                    # entersyscall / entersyscallblock
                    pst[p, PF_PREEMPT] = 0
                    gt[g, GF_PC] = nxt
                    end = now + costs[C_SYSCALL_OVERHEAD] + draw_phase(rng, prog, emp, nxt)
                    counters[K_SYSCALLS] += 1
                    if mech(sched) & MECH_STATE_CHECK:
                        # the G is _Gsyscall, not _Gwaiting, as its M enters the syscall
                        mos_violation(
                            trace,
                            sched,
                            counters,
                            now,
                            p,
                            pst[p, PF_M],
                            gt[g, GF_SEQ],
                            MOS_SYSCALL_NOT_WAITING,
                        )
                    sched[S_BLOCKED] += 1
                    pst[p, PF_SYSCALLTICK] += 1
                    set_phase(sched, pst, p, PH_SYSCALL)
                    heap_set(hp, sched, p, end)
                    _trace(
                        trace,
                        sched,
                        now,
                        EV_SYSCALL,
                        p,
                        pst[p, PF_M],
                        gt[g, GF_SEQ],
                        0 if kind == PHASE_SYSCALL else 1,
                    )
                    if kind != PHASE_SYSCALL:
                        # a known-blocking syscall hands the P off at once
                        if not retake_p(
                            sched,
                            pst,
                            sm,
                            pidle,
                            midle,
                            counters,
                            costs,
                            iparams,
                            hp,
                            trace,
                            p,
                            now,
                            A_SM0,
                        ):
                            status = ST_MAX_THREADS
                            break
                elif pst[p, PF_PREEMPT] != 0 and (gt[g, GF_REMAINING] > 0 or cls == G_PAIR):
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    # gopreempt_m -> goschedImpl: onto the global queue's tail, wakep
                    _trace(trace, sched, now, EV_PREEMPT, p, pst[p, PF_M], gt[g, GF_SEQ], 0)
                    pst[p, PF_PREEMPT] = 0
                    counters[K_PREEMPTIONS] += 1
                    sl = now - pst[p, PF_SLICE_START]
                    if counters[K_PREEMPT_SLICE_MIN] == 0 or sl < counters[K_PREEMPT_SLICE_MIN]:
                        counters[K_PREEMPT_SLICE_MIN] = sl
                    if sl > counters[K_PREEMPT_SLICE_MAX]:
                        counters[K_PREEMPT_SLICE_MAX] = sl
                    done = gq_put_begin(sched, costs, counters, now, 1, g)
                    gq_put(sched, gt, g)
                    gt[g, GF_RUNNABLE_SINCE] = now
                    counters[K_GPUTS] += 1
                    if gt[g, GF_LOCKED_M] >= 0:
                        stoplockedm(sched, pst, midle, counters, p)
                    t_sched = wakep(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        rules,
                        hp,
                        done,
                    )
                elif cls == G_CHILD:
                    # the child returns: wg.Done; the last one readies its parent (semrelease:
                    # ready(gp, next=true) into this P's runnext, then wakep)
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    pst[p, PF_PREEMPT] = 0
                    q = gt[g, GF_PARTNER]
                    gt[q, GF_TOKEN] -= 1
                    _free_g(sched, gt, g)
                    t_sched = now
                    if gt[q, GF_TOKEN] == 0:
                        if now >= sched[S_WINDOW_START]:
                            counters[K_JOINS] += 1
                        _trace(
                            trace,
                            sched,
                            now,
                            EV_JOIN,
                            p,
                            pst[p, PF_M],
                            gt[g, GF_SEQ],
                            gt[q, GF_SEQ],
                        )
                        c1 = ready_g(
                            sched, gt, pst, runq, counters, costs, rules, p, q, now, now, WOKEN_NONE
                        )
                        t_sched = wakep(
                            sched,
                            pst,
                            pidle,
                            midle,
                            counters,
                            costs,
                            rules,
                            hp,
                            c1,
                        )
                else:
                    pst[p, PF_CURG] = -1
                    pst[p, PF_SCHED_START] = now
                    pst[p, PF_PREEMPT] = 0
                    if cls != G_ARRIVAL:
                        code = 12  # a resident never completes
                    c2 = _record_completion(
                        sched,
                        gt,
                        counters,
                        iparams,
                        h_sojourn,
                        batch_count,
                        batch_sum,
                        batch_hist,
                        done_bitmap,
                        g,
                        now,
                    )
                    if c2 != 0:
                        code = c2
                    if arrivals == ARR_CLOSED and sched[S_ARRIVED] < n_goroutines:
                        # the reply reached its client: it thinks, then sends its next request
                        wake = now + draw_think(rng, iparams, fparams)
                        cl_push(clh, sched, wake)
                        if hp[HP_TIME, A_ARR] >= INF_NS or wake < np.int64(arr_next_f):
                            arr_next_f = float(clh[0])
                            arr_set(
                                hp,
                                sched,
                                A_ARR,
                                np.int64(arr_next_f) + arr_delay,
                            )
                    _trace_inl(trace, sched, now, EV_DONE, p, pst[p, PF_M], gt[g, GF_SEQ], 0)
                    _free_g(sched, gt, g)
                    t_sched = now
                if pst[p, PF_PHASE] == PH_RUN and pst[p, PF_CURG] < 0:
                    enter_schedule = True
                if sampling and (pst[p, PF_PHASE] != PH_RUN or pst[p, PF_CURG] != g):
                    g_track_out_of_running(gt, g)
                if gc_on and sched[S_GCWAITING] != 0:
                    # a P that just entered a syscall (or was handed off) counts as stopped
                    stw_check(
                        sched,
                        pst,
                        costs,
                        counters,
                        h_gc_stop,
                        hp,
                        trace,
                        A_GC,
                        now,
                    )
            elif ph == PH_SYSCALL and sched[S_GCWAITING] != 0:
                # the syscall returned while the world is stopped: exitsyscall waits for it
                pst[p, PF_STW_HELD] = 1
                heap_set(hp, sched, p, INF_NS)
            elif ph == PH_SYSCALL:
                # exitsyscall's fast path: the syscall returned while the M still held the P
                g = pst[p, PF_CURG]
                account(pst, sched, p, now, PF_T_SYSCALL)
                sched[S_BLOCKED] -= 1
                pst[p, PF_SYSCALLTICK] += 1
                counters[K_EXITSYSCALL_FAST] += 1
                _trace(trace, sched, now, EV_EXITSYSCALL, p, pst[p, PF_M], gt[g, GF_SEQ], 0)
                nxt = gt[g, GF_PC] + 1  # a CPU phase follows every syscall, by construction
                gt[g, GF_PC] = nxt
                gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt)
                set_phase(sched, pst, p, PH_RUN)
                run_start(pst, p, now)
                sched[S_RUNNING] += 1
                if gc_on:
                    gc_run_start(sched, gt, iparams, hp, A_GC, g, now)
                heap_set(
                    hp,
                    sched,
                    p,
                    run_end(pst, p, now, gt[g, GF_REMAINING]),
                )
            elif ph == PH_EXEC and sched[S_GCWAITING] != 0:
                # the world is stopping: the chosen G waits (as if preempted at once)
                g = pst[p, PF_CURG]
                sched[S_INHAND] -= 1
                account(pst, sched, p, now, PF_T_SPIN if pst[p, PF_SPINNING] == 1 else PF_T_SCHED)
                stw_put_back(sched, gt, pst, runq, counters, rules, p, g, now)
                if gt[g, GF_LOCKED_M] >= 0:
                    stoplockedm(sched, pst, midle, counters, p)
                gc_stop_p(
                    sched,
                    pst,
                    midle,
                    costs,
                    counters,
                    h_gc_stop,
                    hp,
                    trace,
                    A_GC,
                    p,
                    now,
                )
            elif ph == PH_GCWORK:
                # a mark worker stops: fractional self-preemption, an idle worker's pollWork,
                # or the end of the mark; the M looks for work again
                account(pst, sched, p, now, PF_T_RUN)
                gc_worker_end(sched, gt, pst, counters, p, now)
                gc_schedule(sched, gt, iparams, hp, A_GC, now)
                pst[p, PF_SCHED_START] = now
                t_sched = now
                enter_schedule = True
            elif ph == PH_EXEC:
                # execute(gp, inheritTime)
                g = nonneg(pst[p, PF_CURG])  # the G chosen for this P (check_invariants)
                sched[S_INHAND] -= 1
                spin = pst[p, PF_SPINNING] == 1
                account(pst, sched, p, now, PF_T_SPIN if spin else PF_T_SCHED)
                if spin:
                    # resetspinning: this M found work; wake another to look for more. The
                    # wakep (and its sched.lock) comes before execute(), so it delays the G.
                    pst[p, PF_SPINNING] = 0
                    sched[S_NMSPINNING] -= 1
                    t_go = wakep(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        rules,
                        hp,
                        now,
                    )
                    if t_go > now:
                        pst[p, PF_T_SCHED] += t_go - now if now >= sched[S_WINDOW_START] else 0
                        pst[p, PF_PHASE_SINCE] = t_go
                        now = t_go
                if pst[p, PF_SCHED_START] >= sched[S_WINDOW_START]:
                    sd = now - pst[p, PF_SCHED_START]
                    h_schedule[hdr_index(sd)] += 1
                    counters[K_SCHEDULE_SUM] += sd
                    counters[K_SCHEDULE_COUNT] += 1
                if pst[p, PF_INHERIT] != 1:
                    pst[p, PF_SCHEDTICK] += 1
                    pst[p, PF_SLICE_START] = now
                lat = now - gt[g, GF_RUNNABLE_SINCE]
                cls = gt[g, GF_CLASS]
                measured = (
                    gt[g, GF_SEQ] >= warm_n if cls == G_ARRIVAL else now >= sched[S_WINDOW_START]
                )
                sampled = True
                if sampling:
                    sampled = (gt[g, GF_TRACK] >> 8) != 0
                    gt[g, GF_TRACK] &= 255  # tracking ends when it runs
                if lat < 0:
                    code = 1
                elif pst[p, PF_INHERIT] == 2:
                    pass  # _Gsyscall -> _Grunning on an idle P: not a runnable-to-running delay
                elif measured and sampled:
                    h_schedlat[hdr_index(lat)] += 1
                    counters[K_SCHEDLAT_SUM] += lat
                    counters[K_SCHEDLAT_COUNT] += 1
                woken = gt[g, GF_WOKEN]
                if woken != WOKEN_NONE:
                    gt[g, GF_WOKEN] = WOKEN_NONE
                    if measured and woken == WOKEN_TIMER:
                        late = now - gt[g, GF_READY]  # from the timer's when to running
                        h_timer[hdr_index(late if late > 0 else 0)] += 1
                    elif measured and woken == WOKEN_HANDOFF and lat >= 0:
                        h_handoff[hdr_index(lat)] += 1
                core = pst[p, PF_CORE]
                last = gt[g, GF_LAST_CORE]
                if last >= 0 and last != core:
                    # it runs on another core than last time: its working set follows it
                    lnode = last // sched[S_CPN]
                    pnode = pst[p, PF_NODE]
                    if node_cost(costs, CT_DIST, lnode, pnode) <= 10:
                        counters[K_MIGR_LOCAL] += 1
                    else:
                        counters[K_MIGR_REMOTE] += 1
                    gt[g, GF_REMAINING] += node_cost(costs, CT_MIGR, lnode, pnode)
                gt[g, GF_LAST_CORE] = core
                if mech(sched) & MECH_STATE_CHECK:
                    mos_check_execute(trace, sched, pst, counters, now, p, gt[g, GF_SEQ])
                set_phase(sched, pst, p, PH_RUN)
                run_start(pst, p, now)
                _trace_inl(
                    trace, sched, now, EV_EXEC, p, pst[p, PF_M], gt[g, GF_SEQ], pst[p, PF_INHERIT]
                )
                pst[p, PF_PREEMPT] = 0
                sched[S_RUNNING] += 1
                if gc_on:
                    pend = gt[g, GF_PENDING_ALLOC]
                    if pend > 0:
                        # the assist owed for allocation in a run cut by preemption: paid first
                        gt[g, GF_PENDING_ALLOC] = 0
                        if sched[S_GC_PHASE] == GC_MARK:
                            gc_advance(sched, gt, now)
                            work, _debt = gc_assist(
                                sched, iparams, counters, rules, costs[C_GC_MARK_PER_KIB], pend, now
                            )
                            gt[g, GF_REMAINING] += work
                    gc_run_start(sched, gt, iparams, hp, A_GC, g, now)
                heap_set_inl(
                    hp,
                    sched,
                    p,
                    run_end(pst, p, now, gt[g, GF_REMAINING]),
                )
            elif ph == PH_WAKE:
                sched[S_WAKES] -= 1
                account(pst, sched, p, now, PF_T_WAKE)
                _trace(trace, sched, now, EV_WAKE, p, pst[p, PF_M], -1, pst[p, PF_SPINNING])
                pst[p, PF_SCHED_START] = now
                t_sched = now
                enter_schedule = True
            elif ph == PH_PAUSE:
                account(pst, sched, p, now, PF_T_SPIN)
                t_sched = now
                enter_schedule = True
                resume = True
            else:
                code = 9

            if enter_schedule:
                # ---- schedule(): find the next G for this P --------------------------------
                if policy == POLICY_GO:
                    out, g, inherit, c = find_runnable(
                        sched,
                        gt,
                        pst,
                        runq,
                        pidle,
                        midle,
                        nph,
                        counters,
                        costs,
                        iparams,
                        rng,
                        coprimes,
                        hp,
                        trace,
                        p,
                        t_sched,
                        resume,
                        fr_settings,
                    )
                elif policy == POLICY_GLOBAL:
                    g, nb, c = gq_take(
                        sched,
                        gt,
                        pst,
                        runq,
                        costs,
                        counters,
                        p,
                        t_sched,
                        NP,
                        rules,
                        False,
                        -1,
                        False,
                    )
                    inherit = False
                    if g >= 0:
                        counters[K_GGETS] += 1
                        out = FOUND
                    else:
                        if sched[S_GQ_IMPL] != GQ_LOCK:
                            c = lock_acquire(sched, costs, counters, c, 1)  # pidleput's
                        pidleput(sched, pst, pidle, p)
                        out = PARK
                elif policy == POLICY_CENTRAL:
                    c = t_sched
                    inherit = False
                    g = globrunqget(sched, gt)
                    if g >= 0:
                        out = FOUND
                    else:
                        pidleput(sched, pst, pidle, p)
                        out = PARK
                else:
                    c = t_sched
                    inherit = False
                    g = pst[p, PF_LQ_HEAD]
                    if g >= 0:
                        pst[p, PF_LQ_HEAD] = gt[g, GF_LINK]
                        if pst[p, PF_LQ_HEAD] < 0:
                            pst[p, PF_LQ_TAIL] = -1
                        pst[p, PF_LQ_SIZE] -= 1
                        gt[g, GF_LINK] = -1
                        out = FOUND
                    else:
                        pidleput(sched, pst, pidle, p)
                        out = PARK
                # FOUND comes with a goroutine (g >= 0)
                if (
                    out == FOUND
                    and gt[ix(g), GF_LOCKED_M] >= 0
                    and gt[ix(g), GF_LOCKED_M] != pst[p, PF_M]
                ):
                    c = startlockedm(sched, pst, midle, counters, costs, p, gt[g, GF_LOCKED_M], c)
                if out == FOUND:
                    pst[p, PF_CURG] = g
                    pst[p, PF_INHERIT] = 1 if inherit else 0
                    set_phase(sched, pst, p, PH_EXEC)
                    sched[S_INHAND] += 1
                    sw = 0 if policy == POLICY_CENTRAL else costs[C_SWITCH]
                    heap_set_inl(hp, sched, p, c + sw)
                elif out == GCSTOP:
                    account(pst, sched, p, c, PF_T_SPIN if pst[p, PF_SPINNING] == 1 else PF_T_SCHED)
                    gc_stop_p(
                        sched,
                        pst,
                        midle,
                        costs,
                        counters,
                        h_gc_stop,
                        hp,
                        trace,
                        A_GC,
                        p,
                        c,
                    )
                elif out == GCWORK:
                    # a mark worker G runs on this P (execute: a new schedtick); tryWakeP
                    account(
                        pst, sched, p, now, PF_T_SPIN if pst[p, PF_SPINNING] == 1 else PF_T_SCHED
                    )
                    if pst[p, PF_SPINNING] == 1:
                        pst[p, PF_SPINNING] = 0
                        sched[S_NMSPINNING] -= 1
                    gc_advance(sched, gt, now)
                    sched[S_NWORKERS] += 1
                    set_phase(sched, pst, p, PH_GCWORK)
                    pst[p, PF_GC_MODE] = g
                    pst[p, PF_GC_SINCE] = now
                    pst[p, PF_PREEMPT] = 0
                    pst[p, PF_SCHEDTICK] += 1
                    pst[p, PF_SLICE_START] = now
                    _trace(trace, sched, now, EV_GCWORK, p, pst[p, PF_M], -1, g)
                    end = INF_NS
                    if g == GCW_FRACTIONAL:
                        # pollFractionalWorkerExit: run until this P's share of the mark time
                        # exceeds 1.2x the fractional goal
                        f = GC_FRACTIONAL_SLACK * iparams[I_GC_FRACTIONAL_PPM] / 1e6
                        e0 = now - sched[S_MARK_START]
                        x = (f * e0 - pst[p, PF_GC_FRAC_NS]) / (1.0 - f)
                        end = now + max(np.int64(x), np.int64(1000))
                    heap_set(hp, sched, p, end)
                    wakep(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        rules,
                        hp,
                        c,
                    )
                    gc_schedule(sched, gt, iparams, hp, A_GC, now)
                elif out == PAUSE:
                    _trace(
                        trace, sched, now, EV_PAUSE, p, pst[p, PF_M], -1, pst[p, PF_STEAL_VICTIM]
                    )
                    set_phase(sched, pst, p, PH_PAUSE)
                    heap_set(hp, sched, p, c)
                elif out == PARK or out == PARK_NETPOLL:
                    # stopm: the M parks (or blocks in netpoll); the P (already idle) waits
                    account(pst, sched, p, c, PF_T_SPIN if pst[p, PF_SPINNING] == 1 else PF_T_SCHED)
                    pst[p, PF_SPINNING] = 0
                    if pst[p, PF_SCHED_START] >= sched[S_WINDOW_START]:
                        sd = c - pst[p, PF_SCHED_START]
                        h_schedule[hdr_index(sd)] += 1
                        counters[K_SCHEDULE_SUM] += sd
                        counters[K_SCHEDULE_COUNT] += 1
                    _trace(
                        trace,
                        sched,
                        c,
                        EV_PARK,
                        p,
                        pst[p, PF_M],
                        -1,
                        1 if out == PARK_NETPOLL else 0,
                    )
                    if out == PARK_NETPOLL:
                        counters[K_NETPOLL_SYSCALLS] += 1  # a blocking epoll_wait, ring or not
                        sched[S_NETPOLL_M] = pst[p, PF_M]
                        pst[p, PF_M] = -1
                        heap_set(hp, sched, A_NETPOLL, INF_NS)
                        netpoll_poke(nph, sched, gt, costs, hp, A_NETPOLL, c)
                    else:
                        stopm(sched, pst, midle, p)
                    heap_set(hp, sched, p, INF_NS)
                else:
                    code = 11
        elif a == A_ARR:
            # ---- a goroutine arrives -------------------------------------------------------
            g = g_take(sched, gt, counters, max_live)
            if g < 0:
                status = ST_MAX_LIVE
                break
            seq = sched[S_ARRIVED]
            intended = 0 if arrivals == ARR_BURST else np.int64(arr_next_f)
            newproc1(rng, gt, prog, emp, g, G_ARRIVAL, 0, seq, -1, intended, now, sampling)
            counters[K_CREATED] += 1
            sched[S_ARRIVED] = seq + 1
            if seq == warm_n and arrivals != ARR_BURST:
                sched[S_WINDOW_START] = intended
            if seq == n_goroutines - 1 and arrivals != ARR_BURST:
                sched[S_WINDOW_END] = intended
            _trace_inl(trace, sched, now, EV_ARRIVE, -1, -1, seq, 0)

            if policy == POLICY_CENTRAL:
                pp = pidleget(sched, pidle)
                if pp >= 0:
                    account(pst, sched, pp, now, PF_T_IDLE)
                    attach_m(sched, pst, midle, counters, costs, pp)
                    pst[pp, PF_CURG] = g
                    set_phase(sched, pst, pp, PH_EXEC)
                    sched[S_INHAND] += 1
                    pst[pp, PF_SCHED_START] = now
                    heap_set(hp, sched, pp, now)
                else:
                    globrunqput(sched, gt, g)
            elif policy == POLICY_PARTITIONED:
                pp = below(rng, NP)
                if pst[pp, PF_PHASE] == PH_IDLE:
                    pidle_remove(sched, pidle, pp)
                    account(pst, sched, pp, now, PF_T_IDLE)
                    attach_m(sched, pst, midle, counters, costs, pp)
                    pst[pp, PF_CURG] = g
                    set_phase(sched, pst, pp, PH_EXEC)
                    sched[S_INHAND] += 1
                    pst[pp, PF_SCHED_START] = now
                    heap_set(hp, sched, pp, now + costs[C_SWITCH])
                else:
                    # per-P FIFO through schedlink (unbounded, unlike Go's ring)
                    if pst[pp, PF_LQ_TAIL] >= 0:
                        gt[pst[pp, PF_LQ_TAIL], GF_LINK] = g
                    else:
                        pst[pp, PF_LQ_HEAD] = g
                    pst[pp, PF_LQ_TAIL] = g
                    pst[pp, PF_LQ_SIZE] += 1
            elif policy == POLICY_GLOBAL:
                # Go 1.0: lock, put on the one queue, hand an idle P (and M) the work
                if sched[S_GQ_IMPL] == GQ_LOCK:
                    done = lock_acquire(sched, costs, counters, max(now, inj_free_at), 2)
                else:
                    # the queue's own put, then sched.lock for the idle list if a P is idle
                    done = gq_put_begin(sched, costs, counters, max(now, inj_free_at), 1, g)
                    if sched[S_NPIDLE] > 0:
                        done = lock_acquire(sched, costs, counters, done, 1)
                inj_free_at = done
                gq_put(sched, gt, g)  # where gq_put_begin chose (Go's queue: its one list)
                counters[K_GPUTS] += 1
                pp = pidleget(sched, pidle)
                if pp >= 0:
                    startm(
                        sched,
                        pst,
                        midle,
                        counters,
                        costs,
                        hp,
                        pp,
                        False,
                        done,
                    )
            elif path == PATH_NETPOLL:
                # the connection's goroutine is parked on the netpoller; its fd is ready now
                gt[g, GF_READY] = now
                sched[S_BLOCKED] += 1
                np_push(nph, sched, gt, g)
                netpoll_poke(nph, sched, gt, costs, hp, A_NETPOLL, now)
            elif path == PATH_RANDOM_P:
                # runqput on a uniformly random P (its M woken if it was idle), then wakep
                pp = below(rng, NP)
                t_inj = max(now, inj_free_at)
                if pst[pp, PF_PHASE] == PH_IDLE:
                    pidle_remove(sched, pidle, pp)
                    startm(
                        sched,
                        pst,
                        midle,
                        counters,
                        costs,
                        hp,
                        pp,
                        False,
                        t_inj,
                    )
                moved = runqput(sched, gt, pst, runq, pp, g, False, rules)
                if moved > 0:
                    counters[K_OVERFLOWS] += 1
                    counters[K_GPUTS] += moved
                    # runqputslow links the batch first, then splices it under the lock
                    t_inj = gq_charge_put(sched, costs, counters, t_inj, 1)
                inj_free_at = wakep(
                    sched,
                    pst,
                    pidle,
                    midle,
                    counters,
                    costs,
                    rules,
                    hp,
                    t_inj,
                )
            elif path == PATH_SPAWN:
                # the listener on P0 runs newproc: runqput(P0, g, next=true), then wakep
                t_inj = max(now, inj_free_at)
                if pst[0, PF_PHASE] == PH_IDLE:
                    pidle_remove(sched, pidle, 0)
                    startm(
                        sched,
                        pst,
                        midle,
                        counters,
                        costs,
                        hp,
                        0,
                        False,
                        t_inj,
                    )
                moved = runqput(sched, gt, pst, runq, 0, g, True, rules)
                if moved > 0:
                    counters[K_OVERFLOWS] += 1
                    counters[K_GPUTS] += moved
                    # runqputslow links the batch first, then splices it under the lock
                    t_inj = gq_charge_put(sched, costs, counters, t_inj, 1)
                inj_free_at = wakep(
                    sched,
                    pst,
                    pidle,
                    midle,
                    counters,
                    costs,
                    rules,
                    hp,
                    t_inj,
                )
            else:
                # injectglist with no P: onto the global queue, then startIdle(1)
                done = gq_put_begin(sched, costs, counters, max(now, inj_free_at), 1, g)
                gq_put(sched, gt, g)
                counters[K_GPUTS] += 1
                done = lock_acquire(sched, costs, counters, done, 1)
                inj_free_at = done
                pp = pidleget(sched, pidle)
                if pp >= 0:
                    startm(
                        sched,
                        pst,
                        midle,
                        counters,
                        costs,
                        hp,
                        pp,
                        False,
                        done,
                    )
                else:
                    sched[S_NEEDSPINNING] = 1
                    counters[K_NEEDSPIN_SETS] += 1
            # next arrival
            if sched[S_ARRIVED] >= n_goroutines:
                arr_set(hp, sched, A_ARR, INF_NS)
            elif arrivals == ARR_BURST:
                nxt = now
                if path == PATH_SPAWN and (policy == POLICY_GO):
                    nxt = now + costs[C_NEWPROC]
                arr_set(hp, sched, A_ARR, nxt)
            elif arrivals == ARR_CLOSED:
                # this client now waits for its reply; the next request is the next to wake
                cl_pop(clh, sched)
                if sched[S_CL_N] > 0:
                    arr_next_f = float(clh[0])
                    arr_set(
                        hp,
                        sched,
                        A_ARR,
                        np.int64(arr_next_f) + arr_delay,
                    )
                else:
                    arr_set(hp, sched, A_ARR, INF_NS)
            else:
                if arrivals == ARR_POISSON:
                    arr_next_f += -log_uniform_open(rng) * ia_mean
                elif arrivals == ARR_CONST:
                    arr_next_f += ia_mean
                else:
                    arr_next_f, mm_state, seg, seg_end = next_arrival(
                        rng, arrivals, fparams, rsched, arr_next_f, mm_state, seg, seg_end
                    )
                arr_set(
                    hp,
                    sched,
                    A_ARR,
                    np.int64(arr_next_f) + arr_delay,
                )

        elif a == A_SYSMON:
            # ---- sysmon: retake() time slices, then sleep 20us .. 10ms ------------------------
            retaken = 0
            # (while the world stops, sysmon sleeps: sched.gcwaiting)
            for p in range(NP if sched[S_GCWAITING] == 0 else 0):
                ph = pst[p, PF_PHASE]
                if ph == PH_IDLE or ph == PH_GCSTOP:
                    continue
                tick = pst[p, PF_SCHEDTICK]
                sysretake = False
                if pst[p, PF_SYSMON_TICK] != tick:
                    pst[p, PF_SYSMON_TICK] = tick
                    pst[p, PF_SYSMON_WHEN] = now
                elif pst[p, PF_SYSMON_WHEN] + FORCE_PREEMPT_NS <= now:
                    # preemptone: only a P running a G (not one in the scheduler or a syscall)
                    if (rules & RULE_SYSMON_PREEMPT) and ph == PH_RUN and pst[p, PF_PREEMPT] == 0:
                        when = now + preempt_delay(sched, costs)
                        if not g_preemptible(sched, gt, prog, pst[p, PF_CURG]):
                            pst[p, PF_PREEMPT] = 1  # no safe point: it stops where its burst ends
                            if g_in_critical(gt, prog, pst[p, PF_CURG]):
                                counters[K_PREEMPT_DEFERRED] += 1  # hybrid: a critical section
                        elif when < hp[HP_TIME, p]:
                            pst[p, PF_PREEMPT] = 1
                            heap_set(hp, sched, p, when)
                        elif gt[pst[p, PF_CURG], GF_CLASS] == G_PAIR:
                            # the burst ends in a channel hand-off, a call into the runtime:
                            # the stack check there (cooperative preemption) stops it first
                            pst[p, PF_PREEMPT] = 1
                    elif (
                        (rules & RULE_SYSMON_PREEMPT)
                        and ph == PH_GCWORK
                        and pst[p, PF_GC_MODE] == GCW_DEDICATED
                        and pst[p, PF_PREEMPT] == 0
                    ):
                        # a dedicated worker asked to stop moves its P's run queue to the global
                        # queue (runqdrain) and marks on without preemption (gcBgMarkWorker)
                        pst[p, PF_PREEMPT] = 1
                        done = lock_acquire(sched, costs, counters, now, 1)
                        if runq_drain_to_global(sched, gt, pst, runq, counters, p) > 0:
                            counters[K_GC_DRAINS] += 1
                            wakep(
                                sched,
                                pst,
                                pidle,
                                midle,
                                counters,
                                costs,
                                rules,
                                hp,
                                done,
                            )
                    sysretake = True
                if ph != PH_SYSCALL:
                    continue
                # retake a P from a syscall seen across at least one sysmon tick
                t = pst[p, PF_SYSCALLTICK]
                if not sysretake and pst[p, PF_SYSMON_SYSCALLTICK] != t:
                    pst[p, PF_SYSMON_SYSCALLTICK] = t
                    pst[p, PF_SYSMON_SYSCALLWHEN] = now
                    continue
                if (
                    runq_empty(pst, p)
                    and sched[S_NMSPINNING] + sched[S_NPIDLE] > 0
                    and pst[p, PF_SYSMON_SYSCALLWHEN] + FORCE_PREEMPT_NS > now
                ):
                    continue
                if not retake_p(
                    sched,
                    pst,
                    sm,
                    pidle,
                    midle,
                    counters,
                    costs,
                    iparams,
                    hp,
                    trace,
                    p,
                    now,
                    A_SM0,
                ):
                    status = ST_MAX_THREADS
                    break
                retaken += 1
            if status != ST_OK:
                break
            # poll the network if nobody has for 10 ms (and no M blocks in netpoll)
            if (
                iparams[I_NETPOLL] != 0
                and (rules & RULE_SYSMON_NETPOLL)
                and sched[S_LASTPOLL] != 0
                and sched[S_LASTPOLL] + SYSMON_NETPOLL_NS < now
            ):
                sched[S_LASTPOLL] = now
                counters[K_NETPOLL_SYSMON] += 1
                if not (mech(sched) & MECH_RING_NETPOLL):
                    counters[K_NETPOLL_SYSCALLS] += 1
                head, n = netpoll(nph, sched, gt, counters, now)
                if n > 0:
                    _trace(trace, sched, now, EV_NETPOLL, -1, 1, -1, n)
                    injectglist(
                        sched,
                        gt,
                        pst,
                        runq,
                        pidle,
                        midle,
                        counters,
                        costs,
                        iparams,
                        hp,
                        head,
                        n,
                        -1,
                        now,
                    )
            # Go 1.14-1.15: a timer that should already have run (an unpreemptible P?) gets an
            # M started on an idle P to run it: startm(nil, false)
            if rules & RULE_SYSMON_TIMERS:
                nxt_t = timers_earliest(gt, pst)
                if nxt_t != 0 and nxt_t < now and sched[S_NPIDLE] > 0:
                    done = lock_acquire(sched, costs, counters, now, 1)
                    pp = pidleget(sched, pidle)
                    counters[K_SYSMON_TIMER_STARTM] += 1
                    startm(
                        sched,
                        pst,
                        midle,
                        counters,
                        costs,
                        hp,
                        pp,
                        False,
                        done,
                    )
            # sysmon's idle rounds reset only when retake() took a P from a syscall
            if retaken > 0:
                sched[S_SYSMON_IDLE] = 0
            else:
                sched[S_SYSMON_IDLE] += 1
            delay = sched[S_SYSMON_DELAY_US]
            if sched[S_SYSMON_IDLE] == 0:
                delay = SYSMON_MIN_DELAY_US
            elif sched[S_SYSMON_IDLE] > SYSMON_IDLE_ROUNDS_BEFORE_BACKOFF:
                delay *= 2
            if delay > SYSMON_MAX_DELAY_US:
                delay = SYSMON_MAX_DELAY_US
            sched[S_SYSMON_DELAY_US] = delay
            heap_set(hp, sched, A_SYSMON, now + delay * 1000)

        elif a == A_SNAP:
            # ---- a schedtrace snapshot ---------------------------------------------------------
            k = sched[S_NSNAP]
            if k < max_snap:
                snap[k, SN_TIME] = now
                snap[k, SN_IDLEPROCS] = sched[S_NPIDLE]
                snap[k, SN_THREADS] = sched[S_MCOUNT]
                snap[k, SN_SPINNING] = sched[S_NMSPINNING]
                snap[k, SN_NEEDSPINNING] = sched[S_NEEDSPINNING]
                snap[k, SN_IDLETHREADS] = sched[S_NMIDLE]
                snap[k, SN_RUNQUEUE] = sched[S_RUNQ_SIZE]
                snap[k, SN_LIVE] = sched[S_LIVE]
                snap[k, SN_RUNNING] = sched[S_RUNNING]
                snap[k, SN_INHAND] = sched[S_INHAND]
                runnable = sched[S_RUNQ_SIZE]
                for p in range(NP):
                    rl = runq_len(pst, p)
                    rn = 1 if pst[p, PF_RUNNEXT] >= 0 else 0
                    runnable += rl + rn + pst[p, PF_LQ_SIZE]
                    snap_p[k, p, SP_RUNQ_LEN] = rl + pst[p, PF_LQ_SIZE]
                    snap_p[k, p, SP_RUNNEXT] = rn
                    snap_p[k, p, SP_SCHEDTICK] = pst[p, PF_SCHEDTICK]
                    php = pst[p, PF_PHASE]
                    if php == PH_IDLE:
                        snap_p[k, p, SP_STATUS] = 0  # _Pidle
                    elif php == PH_GCSTOP:
                        snap_p[k, p, SP_STATUS] = 3  # _Pgcstop
                    elif php == PH_SYSCALL and iparams[I_GO_VERSION] <= 125:
                        snap_p[k, p, SP_STATUS] = 2  # _Psyscall (removed in 1.26)
                    else:
                        snap_p[k, p, SP_STATUS] = 1  # _Prunning
                    snap_p[k, p, SP_M] = pst[p, PF_M]
                    cg = pst[p, PF_CURG]
                    snap_p[k, p, SP_CURG] = (
                        gt[cg, GF_SEQ] if (cg >= 0 and pst[p, PF_PHASE] == PH_RUN) else -1
                    )
                    snap_p[k, p, SP_SPINNING] = pst[p, PF_SPINNING]
                    snap_p[k, p, SP_TIMERSLEN] = pst[p, PF_NTIMERS]
                snap[k, SN_RUNNABLE] = runnable
                snap[k, SN_BLOCKED] = sched[S_BLOCKED]
                snap[k, SN_SYSCALL_M] = sched[S_NSYSCALL_M]
                snap[k, SN_POLL_M] = 1 if sched[S_NETPOLL_M] >= 0 else 0
                for j in range(snap_midle.shape[1]):
                    snap_midle[k, j] = midle[j] if j < sched[S_NMIDLE] else -1
                sched[S_NSNAP] = k + 1
                heap_set(hp, sched, A_SNAP, now + snap_ns)
            else:
                counters[K_SNAP_DROPPED] += 1
                heap_set(hp, sched, A_SNAP, INF_NS)

        elif a == A_NETPOLL:
            # ---- the M blocked in netpoll wakes: an fd is ready ------------------------------
            m = sched[S_NETPOLL_M]
            sched[S_NETPOLL_M] = -1
            sched[S_LASTPOLL] = now
            sched[S_POLL_UNTIL] = 0
            heap_set(hp, sched, A_NETPOLL, INF_NS)
            counters[K_NETPOLL_BLOCKING_WAKES] += 1
            head, n = netpoll(nph, sched, gt, counters, now)
            done = lock_acquire(sched, costs, counters, now, 1)
            pp = pidleget(sched, pidle)
            _trace(trace, sched, now, EV_NETPOLL, pp, m, -1, n)
            if pp >= 0:
                account(pst, sched, pp, now, PF_T_IDLE)
                pst[pp, PF_M] = m
                pst[pp, PF_SPINNING] = 0
                pst[pp, PF_SCHED_START] = now
                if n > 0:
                    g = head
                    rest = gt[g, GF_LINK]
                    gt[g, GF_LINK] = -1
                    done = injectglist(
                        sched,
                        gt,
                        pst,
                        runq,
                        pidle,
                        midle,
                        counters,
                        costs,
                        iparams,
                        hp,
                        rest,
                        n - 1,
                        pp,
                        done,
                    )
                    pst[pp, PF_CURG] = g
                    pst[pp, PF_INHERIT] = 0
                    set_phase(sched, pst, pp, PH_EXEC)
                    sched[S_INHAND] += 1
                    heap_set(hp, sched, pp, done + costs[C_SWITCH])
                else:
                    # nothing ready after all: acquirep and look for work (goto top)
                    set_phase(sched, pst, pp, PH_WAKE)
                    sched[S_WAKES] += 1
                    heap_set(hp, sched, pp, done)
            else:
                injectglist(
                    sched,
                    gt,
                    pst,
                    runq,
                    pidle,
                    midle,
                    counters,
                    costs,
                    iparams,
                    hp,
                    head,
                    n,
                    -1,
                    done,
                )
                midle[sched[S_NMIDLE]] = m  # stopm
                sched[S_NMIDLE] += 1

        elif a == A_TIMERPROC:
            # ---- Go <= 1.13: the timer thread wakes; timerproc readies the due goroutines ----
            # timerproc slept in notetsleepg (a syscall without its P): on waking it takes an
            # idle P (started like startm, the Gs on its runnext) or, with none idle, it and
            # its work wait on the global queue (exitsyscall0) -- the Gs go there directly.
            counters[K_TIMERPROC_WAKES] += 1
            head = -1
            tail = -1
            n = 0
            root = sched[S_TIMERS_ROOT]
            while root >= 0 and gt[root, GF_READY] <= now:
                g = root
                root = timer_pop(gt, g)
                gt[g, GF_LINK] = -1
                if tail >= 0:
                    gt[tail, GF_LINK] = g
                else:
                    head = g
                tail = g
                n += 1
            sched[S_TIMERS_ROOT] = root
            sched[S_NTIMERS] -= n
            counters[K_TIMERS_RUN] += n
            done = lock_acquire(sched, costs, counters, now, 1)
            pp = pidleget(sched, pidle)
            if pp >= 0:
                startm(
                    sched,
                    pst,
                    midle,
                    counters,
                    costs,
                    hp,
                    pp,
                    False,
                    done,
                )
            g = head
            while g >= 0:
                nx = gt[g, GF_LINK]
                _trace(trace, sched, now, EV_TIMER, pp, -1, gt[g, GF_SEQ], 0)
                if pp >= 0:
                    ready_g(
                        sched, gt, pst, runq, counters, costs, rules, pp, g, now, done, WOKEN_TIMER
                    )
                else:
                    gq_put1(sched, gt, g)
                    gt[g, GF_RUNNABLE_SINCE] = now
                    gt[g, GF_WOKEN] = WOKEN_TIMER
                    sched[S_BLOCKED] -= 1
                    counters[K_GPUTS] += 1
                g = nx
            nt = gt[root, GF_READY] if root >= 0 else INF_NS
            heap_set(hp, sched, A_TIMERPROC, nt)

        elif a == A_GC:
            # ---- the collector's next step ---------------------------------------------------
            gc_advance(sched, gt, now)
            gph = sched[S_GC_PHASE]
            if gph == GC_OFF:
                forced = now >= sched[S_LAST_GC] + GC_FORCE_PERIOD_NS
                if sched[S_HEAP_LIVE] >= sched[S_HEAP_TRIGGER] or forced:
                    # gcStart: stop the world for sweep termination
                    if sched[S_HEAP_LIVE] < sched[S_HEAP_TRIGGER]:
                        counters[K_GC_FORCED] += 1
                    heap_set(hp, sched, A_GC, INF_NS)
                    stw_begin(
                        sched,
                        gt,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        prog,
                        hp,
                        trace,
                        STW_SWEEPTERM,
                        now,
                    )
                    stw_check(
                        sched,
                        pst,
                        costs,
                        counters,
                        h_gc_stop,
                        hp,
                        trace,
                        A_GC,
                        now,
                    )
                else:
                    gc_schedule(sched, gt, iparams, hp, A_GC, now)
            elif gph == GC_STW:
                # the stop-the-world's own work is done: start the world
                heap_set(hp, sched, A_GC, INF_NS)
                if sched[S_STW_KIND] == STW_SWEEPTERM:
                    # the concurrent mark begins: workers, assists, the write barrier
                    sched[S_GC_PHASE] = GC_MARK
                    sched[S_MARK_START] = now
                    sched[S_MARK_T] = now
                    sched[S_MARK_DONE] = 0
                    sched[S_BG_CREDIT] = 0
                    sched[S_MARK_ALLOC] = 0
                    sched[S_MARK_WORK] = iparams[I_LIVE_HEAP] // 1024 * costs[C_GC_MARK_PER_KIB]
                    sched[S_DEDICATED_NEEDED] = iparams[I_GC_DEDICATED]
                    sched[S_IDLE_WORKERS] = 0
                    for q in range(NP):
                        pst[q, PF_GC_FRAC_NS] = 0
                else:
                    # mark termination: what the mark found live (objects allocated during
                    # the mark are black) is the next cycle's base
                    sched[S_GC_PHASE] = GC_OFF
                    counters[K_GC_CYCLES] += 1
                    marked = iparams[I_LIVE_HEAP] + sched[S_MARK_ALLOC]
                    gc_set_goal(sched, iparams, marked, sched[S_MARK_ALLOC])
                    sched[S_HEAP_LIVE] = marked
                    sched[S_LAST_GC] = now
                start_world(
                    sched,
                    gt,
                    pst,
                    runq,
                    pidle,
                    midle,
                    counters,
                    costs,
                    rules,
                    h_gc_total,
                    hp,
                    trace,
                    now,
                )
                gc_schedule(sched, gt, iparams, hp, A_GC, now)
            elif sched[S_MARK_DONE] >= sched[S_MARK_WORK]:
                # gcMarkDone: every parked assist is woken (gcWakeAllAssists), the workers
                # stop, and the world stops for mark termination
                n = gc_ready_assists(sched, gt, counters, True, now)
                if n > 0:
                    start_idle(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        hp,
                        n,
                        now,
                    )
                heap_set(hp, sched, A_GC, INF_NS)
                stw_begin(
                    sched,
                    gt,
                    pst,
                    pidle,
                    midle,
                    counters,
                    costs,
                    prog,
                    hp,
                    trace,
                    STW_MARKTERM,
                    now,
                )
                stw_check(
                    sched,
                    pst,
                    costs,
                    counters,
                    h_gc_stop,
                    hp,
                    trace,
                    A_GC,
                    now,
                )
            else:
                # background credit paid a parked assist's debt: it is runnable again
                n = gc_ready_assists(sched, gt, counters, False, now)
                if n > 0:
                    start_idle(
                        sched,
                        pst,
                        pidle,
                        midle,
                        counters,
                        costs,
                        hp,
                        n,
                        now,
                    )
                gc_schedule(sched, gt, iparams, hp, A_GC, now)

        elif a == A_OS:
            # ---- the OS's time slice ends: the longest-running thread yields its core -------
            heap_set(hp, sched, A_OS, INF_NS)
            os_slice_end(hp, sched, pst, costs)

        elif a == A_QUOTA:
            # ---- cgroup cpu.max: a new period refills the quota; a spent quota throttles -----
            heap_set(hp, sched, A_QUOTA, INF_NS)
            quota_charge(sched)
            if now >= sched[S_PERIOD_END]:
                if sched[S_THROTTLED] != 0:
                    counters[K_THROTTLED_NS] += quota_unthrottle(hp, sched, pst, A_SYSMON, A_OS)
                    if gc_on:
                        sched[S_HEAP_T] = now  # the heap and the mark did not move meanwhile
                        sched[S_MARK_T] = now
                while sched[S_PERIOD_END] <= now:
                    sched[S_PERIOD_END] += sched[S_PERIOD_NS]
                    counters[K_QUOTA_PERIODS] += 1
                sched[S_QUOTA_LEFT] = sched[S_QUOTA_NS]
            elif sched[S_QUOTA_LEFT] <= 0 and sched[S_THROTTLED] == 0:
                if gc_on:
                    gc_advance(sched, gt, now)
                quota_throttle(hp, sched, pst, A_SYSMON, A_OS, A_GC, A_SNAP)
                counters[K_THROTTLED_PERIODS] += 1
                if inj_free_at < sched[S_PERIOD_END]:
                    inj_free_at = sched[S_PERIOD_END]  # the injecting M is throttled too
            sched[S_OS_DIRTY] = 1

        elif a >= A_SM0:
            # ---- exitsyscall without a P: an idle P, else the global queue and stopm ----------
            slot = a - A_SM0
            g = sm[slot, SM_G]
            m = sm[slot, SM_M]
            sm[slot, SM_G] = sched[S_SM_FREE]
            sched[S_SM_FREE] = slot
            sched[S_NSYSCALL_M] -= 1
            sched[S_BLOCKED] -= 1
            heap_set(hp, sched, a, INF_NS)
            nxt = gt[g, GF_PC] + 1  # a CPU phase follows every syscall, by construction
            gt[g, GF_PC] = nxt
            gt[g, GF_REMAINING] = draw_phase(rng, prog, emp, nxt)
            done = lock_acquire(sched, costs, counters, now, 1)
            pp = pidleget(sched, pidle)
            if pp >= 0:
                counters[K_EXITSYSCALL_IDLE_P] += 1
                _trace(trace, sched, now, EV_EXITSYSCALL, pp, m, gt[g, GF_SEQ], 1)
                account(pst, sched, pp, now, PF_T_IDLE)
                pst[pp, PF_M] = m
                pst[pp, PF_CURG] = g
                pst[pp, PF_INHERIT] = 2  # execute(gp, false), not a runnable->running delay
                set_phase(sched, pst, pp, PH_EXEC)
                pst[pp, PF_SCHED_START] = now
                sched[S_INHAND] += 1
                heap_set(hp, sched, pp, done + costs[C_SWITCH])
            else:
                counters[K_EXITSYSCALL_GLOBAL] += 1
                _trace(trace, sched, now, EV_EXITSYSCALL, -1, m, gt[g, GF_SEQ], 2)
                done = gq_put_locked(sched, gt, costs, counters, done, g)
                gt[g, GF_RUNNABLE_SINCE] = now
                counters[K_GPUTS] += 1
                midle[sched[S_NMIDLE]] = m  # stopm
                sched[S_NMIDLE] += 1

        if FEATURES and sched[S_OS_DIRTY] != 0:
            os_settle(hp, sched, pst, costs, counters, A_OS, A_QUOTA)
        if code == 0 and check:
            code = check_invariants(sched, gt, pst, runq, pidle, iparams)
        if code != 0:
            sched[S_INV_CODE] = code
            status = ST_INVARIANT
            break
    counters[K_EVENTS] = events
    carry_i[CI_INJ_FREE_AT] = inj_free_at
    carry_i[CI_MM_STATE] = mm_state
    carry_i[CI_SEG] = seg
    carry_f[CF_ARR_NEXT] = arr_next_f
    carry_f[CF_SEG_END] = seg_end
    return status


# nogil: simulate() runs replications on threads, one per core
@njit(cache=True, nogil=True)
def run_kernel(
    iparams,
    fparams,
    costs,
    coprimes,
    rng,
    sched,
    pst,
    runq,
    gt,
    pidle,
    midle,
    counters,
    h_sojourn,
    h_schedlat,
    h_schedule,
    h_handoff,
    h_timer,
    h_gc_stop,
    h_gc_total,
    batch_count,
    batch_sum,
    batch_hist,
    snap,
    snap_p,
    snap_midle,
    done_bitmap,
    trace,
    prog,
    emp,
    sm,
    nph,
    clh,
    rsched,
    hp,
):
    """Run the simulation to the end. Returns (status, gt, nph): both may have grown."""
    NP = pst.shape[0]
    A_ARR = NP
    A_SYSMON = NP + 1
    A_SNAP = NP + 2
    A_GC = NP + 5  # the collector's next step (trigger, end of a stop-the-world, end of mark)
    A_SM0 = NP + 6  # syscall-M actors follow
    A_OS = A_SM0 + sm.shape[0]  # the OS's time slice (Ps sharing cores)
    A_QUOTA = A_OS + 1  # the CPU quota's next step (the period's end, or the quota spent)
    gc_on = FEATURES and iparams[I_GC] != 0
    sampling = FEATURES and iparams[I_SAMPLING] != 0
    policy = iparams[I_POLICY]
    rules = iparams[I_RULES]
    warm_n = iparams[I_WARMUP_N]
    arrivals = iparams[I_ARRIVALS]
    path = iparams[I_PATH]
    max_live = iparams[I_MAX_LIVE]
    snap_ns = iparams[I_SNAPSHOT_NS]
    ia_mean = fparams[F_INTERARRIVAL_NS]
    max_snap = snap.shape[0]
    inj_free_at = np.int64(0)  # the injecting M (netpoller or listener) is busy until then
    arr_next_f = 0.0  # intended time of the next arrival (float: no rounding drift)
    if arrivals == ARR_BURST:
        path_delay = 0
    elif path == PATH_SPAWN:
        path_delay = costs[C_NEWPROC]
    elif path == PATH_NETPOLL:
        path_delay = 0  # the fd is ready at the arrival; polling costs are charged by pollers
    else:
        path_delay = costs[C_NETPOLL]
    # the injecting path's delay before an open-loop arrival is runnable (go and global only)
    arr_delay = path_delay if (policy == POLICY_GO or policy == POLICY_GLOBAL) else 0
    # first events
    if snap_ns > 0 and max_snap > 0:
        # first, so that "SCHED 0ms" shows the state before anything arrives
        heap_set(hp, sched, A_SNAP, 0)
    mm_state = 0
    seg = 0
    seg_end = rsched[0, 0] if rsched.shape[0] > 0 else 0.0
    if arrivals == ARR_POISSON:
        arr_next_f = -log_uniform_open(rng) * ia_mean
    elif arrivals == ARR_MMPP or arrivals == ARR_SCHEDULE:
        arr_next_f, mm_state, seg, seg_end = next_arrival(
            rng, arrivals, fparams, rsched, 0.0, mm_state, seg, seg_end
        )
    elif arrivals == ARR_CLOSED:
        # every client starts by thinking
        for _ in range(iparams[I_CLIENTS]):
            cl_push(clh, sched, draw_think(rng, iparams, fparams))
        arr_next_f = float(clh[0])
    elif arrivals != ARR_BURST:
        arr_next_f = ia_mean
    if arrivals == ARR_BURST:
        first = costs[C_NEWPROC] if path == PATH_SPAWN else costs[C_NETPOLL]
        if path == PATH_NETPOLL:
            first = 0
        if policy == POLICY_CENTRAL or policy == POLICY_PARTITIONED:
            first = 0
        arr_set(hp, sched, A_ARR, first)
    else:
        arr_set(hp, sched, A_ARR, np.int64(arr_next_f) + arr_delay)
    if policy == POLICY_GO:
        sched[S_SYSMON_DELAY_US] = SYSMON_MIN_DELAY_US
        heap_set(hp, sched, A_SYSMON, SYSMON_MIN_DELAY_US * 1000)
    # resident goroutines (rows 0 .. n_res-1, set up by the wrapper): the runnable ones are
    # dealt round-robin onto the Ps' rings (as if main had spawned them and they had spread),
    # and each P with work gets an M
    n_res = iparams[I_HOGS] + 2 * iparams[I_PAIRS]
    k = 0
    for g in range(n_res + iparams[I_POOL_WORKERS] if sampling else 0):
        tseq = cheaprand32(rng) & 255
        gt[g, GF_TRACK] = tseq | ((1 if tseq % G_TRACKING_PERIOD == 0 else 0) << 8)
    for g in range(n_res):
        cls = gt[g, GF_CLASS]
        if cls == G_PAIR and gt[g, GF_TOKEN] == 0:
            continue  # parked, waiting for its partner's ball
        if cls == G_PAIR:
            gt[g, GF_REMAINING] = draw_service_ns(
                rng,
                iparams[I_PAIR_DIST],
                fparams[F_PAIR_MEAN_NS],
                fparams[F_PAIR_A],
                fparams[F_PAIR_B],
                fparams[F_PAIR_P],
            )
        pp = k % NP
        k += 1
        runqput(sched, gt, pst, runq, pp, g, False, rules)
    if gc_on:
        # the run starts in steady state: the live heap just marked, no cycle history
        sched[S_HEAP_LIVE] = iparams[I_LIVE_HEAP]
        sched[S_HEAP_T] = 0
        gc_set_goal(sched, iparams, iparams[I_LIVE_HEAP], -1)
        gc_schedule(sched, gt, iparams, hp, A_GC, 0)
    for pp in range(NP):
        if not runq_empty(pst, pp):
            pidle_remove(sched, pidle, pp)
            startm(
                sched,
                pst,
                midle,
                counters,
                costs,
                hp,
                pp,
                False,
                0,
            )
    if warm_n == 0 or arrivals == ARR_BURST:
        sched[S_WINDOW_START] = 0
    if os_on(sched):
        os_settle(hp, sched, pst, costs, counters, A_OS, A_QUOTA)

    # the event loop runs without NRT; it returns here when the goroutine table must grow
    k_new = 1  # goroutines one event may create: an arrival, or a fork's children
    for i in range(prog.shape[0]):
        if np.int64(prog[i, PR_KIND]) == PHASE_FORK and np.int64(prog[i, PR_COUNT]) > k_new:
            k_new = np.int64(prog[i, PR_COUNT])
    carry_i = np.zeros(N_CARRY_I, dtype=np.int64)
    carry_f = np.zeros(N_CARRY_F, dtype=np.float64)
    carry_i[CI_INJ_FREE_AT] = inj_free_at
    carry_i[CI_MM_STATE] = mm_state
    carry_i[CI_SEG] = seg
    carry_i[CI_K_NEW] = k_new
    carry_f[CF_ARR_NEXT] = arr_next_f
    carry_f[CF_SEG_END] = seg_end
    while True:
        status = _event_loop(
            iparams,
            fparams,
            costs,
            coprimes,
            rng,
            sched,
            pst,
            runq,
            gt,
            pidle,
            midle,
            counters,
            h_sojourn,
            h_schedlat,
            h_schedule,
            h_handoff,
            h_timer,
            h_gc_stop,
            h_gc_total,
            batch_count,
            batch_sum,
            batch_hist,
            snap,
            snap_p,
            snap_midle,
            done_bitmap,
            trace,
            prog,
            emp,
            sm,
            nph,
            clh,
            rsched,
            hp,
            carry_i,
            carry_f,
        )
        if status != ST_GROW:
            break
        gt, nph = g_grow(sched, gt, nph, max_live)

    # close the books: time accounting up to the end of the run
    end = sched[S_NOW]
    counters[K_END_NS] = end
    counters[K_MIGRATE_PUTS] = sched[S_MOS_PUTS]
    if sched[S_WINDOW_END] > end:
        sched[S_WINDOW_END] = end
    if sched[S_THROTTLED] != 0:
        counters[K_THROTTLED_NS] += end - sched[S_THROTTLE_T]
    for p in range(NP):
        ph = pst[p, PF_PHASE]
        if os_on(sched) and sched[N_SCHED + p] != 0 and ph != PH_SYSCALL:
            # off the CPU at the end: waiting for a core (or throttled) since PF_OFF_SINCE
            account(pst, sched, p, end, PF_T_OSWAIT)
            if ph == PH_RUN:
                _account_cpu(
                    sched,
                    counters,
                    gt[pst[p, PF_CURG], GF_CLASS],
                    pst[p, PF_RUN_START],
                    pst[p, PF_OFF_SINCE],
                )
        elif ph == PH_IDLE:
            account(pst, sched, p, end, PF_T_IDLE)
        elif ph == PH_RUN:
            account(pst, sched, p, end, PF_T_RUN)
            _account_cpu(sched, counters, gt[pst[p, PF_CURG], GF_CLASS], pst[p, PF_RUN_START], end)
        elif ph == PH_WAKE:
            account(pst, sched, p, end, PF_T_WAKE)
        elif ph == PH_SYSCALL:
            account(pst, sched, p, end, PF_T_SYSCALL)
        elif ph == PH_GCWORK:
            account(pst, sched, p, end, PF_T_RUN)
            gc_worker_end(sched, gt, pst, counters, p, end)
        elif ph == PH_GCSTOP:
            account(pst, sched, p, end, PF_T_IDLE)
        else:
            account(pst, sched, p, end, PF_T_SPIN if pst[p, PF_SPINNING] == 1 else PF_T_SCHED)
        counters[K_T_RUN] += pst[p, PF_T_RUN]
        counters[K_T_SCHED] += pst[p, PF_T_SCHED]
        counters[K_T_SPIN] += pst[p, PF_T_SPIN]
        counters[K_T_WAKE] += pst[p, PF_T_WAKE]
        counters[K_T_IDLE] += pst[p, PF_T_IDLE]
        counters[K_T_SYSCALL] += pst[p, PF_T_SYSCALL]
        counters[K_T_OSWAIT] += pst[p, PF_T_OSWAIT]
    w = sched[S_WINDOW_END] - sched[S_WINDOW_START]
    counters[K_WINDOW_NS] = w if w > 0 else 0
    return status, gt, nph
