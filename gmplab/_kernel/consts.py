"""Named indexes and modelled constants shared by the kernel and its Python wrapper.

The kernel keeps its state in a few flat arrays (struct-of-arrays): ``sched`` (the globals of
Go's ``schedt``), ``pst`` (one row per P), ``gt`` (one row per live goroutine), ``runq`` (the
per-P rings). Every column has a name here so Python, tests and the kernel agree.
"""

# The optional models (GC, the OS layer under the Ms, SMT, the designs' mechanisms, Go's latency
# sampling) are compiled in here, and compiled out in the plain build: these same files loaded
# a second time as the package gmplab._kernel_plain (gmplab/kernel_builds.py), where every test
# of them folds to "off" and the plain `go` model runs without their cost.
FEATURES = not __name__.startswith("gmplab._kernel_plain.")

# the indexed event heap: one array, a row each for the heap (actors by position), each actor's
# position in it, its event time and its sequence number (ties break by it: first scheduled,
# first run), and the same two keys again by heap position (HP_KT, HP_KS), so that a sift
# compares two children without first loading which actors sit there (heap_set)
HP_ACTOR, HP_POS, HP_TIME, HP_SEQ, HP_KT, HP_KS, N_HP = range(7)

# --- constants of Go's runtime (proc.go / runtime2.go, go1.27.3) ------------------------------
RUNQ_SIZE = 256  # len(p.runq): the per-P lock-free ring (runtime2.go)
RUNQ_MASK = RUNQ_SIZE - 1
GLOBAL_CHECK_TICKS = 61  # findRunnable: schedtick%61 == 0 takes 1 G from the global queue
GLOBAL_BATCH_MAX = RUNQ_SIZE // 2  # globrunqgetbatch(len(pp.runq)/2): at most 128 per take
STEAL_TRIES = 4  # stealWork: 4 passes over all Ps; runnext stolen only on the last
FORCE_PREEMPT_NS = 10_000_000  # retake(): forcePreemptNS, a G's 10 ms time slice
SYSMON_MIN_DELAY_US = 20  # sysmon: usleep(20) while it keeps finding work
SYSMON_MAX_DELAY_US = 10_000  # sysmon: delay doubles after 50 idle rounds, capped at 10 ms
SYSMON_IDLE_ROUNDS_BEFORE_BACKOFF = 50  # sysmon: "start doubling the sleep after 1ms"
# lock2 (lock_spinbit.go) spins 4 x procyield(30) then osyield before sleeping on a futex:
# a waiter that has waited longer than this is asleep, and the hand-off costs a futex wake.
LOCK_SPIN_WINDOW_NS = 2_000
# sched.lock disciplines
LOCK_FIFO = 0  # the foundation's FIFO hand-off mutex: the lock passes to the next waiter
LOCK_SPINBIT = 1  # Go 1.24+'s spinbit mutex (lock_spinbit.go): one waiter spins, the others
# sleep; an unlock wakes a sleeper only when nobody spins, and newcomers may barge in
LOCKS = {"fifo": LOCK_FIFO, "spinbit": LOCK_SPINBIT}
V_SPINBIT = 124  # Go 1.24: the spinbit mutex (GOEXPERIMENT on by default; permanent in 1.25)

# Global run queue implementations (the designs issue). Each has its own contention model:
GQ_LOCK = 0  # Go: one FIFO list under sched.lock (which also guards the idle lists)
GQ_SEGMENTED = 1  # k FIFO segments, each under its own lock; a G goes to segment id % k, a
# taker probes the segments from its own (P id % k) and locks the first non-empty one
GQ_TREIBER = 2  # a lock-free Treiber stack (LIFO): every push and pop CASes the head's line
GQ_RING = 3  # a lock-free FIFO ring: producers CAS the tail's line, consumers the head's
GQ_NODE = 4  # one locked FIFO per NUMA node (the 2014 NUMA proposal): a G goes to its P's
# node's queue; a P takes from its own node's queue first, then from the nearest others
GLOBRUNQS = {
    "lock": GQ_LOCK,
    "segmented": GQ_SEGMENTED,
    "treiber": GQ_TREIBER,
    "ring": GQ_RING,
    "node": GQ_NODE,
}
GQ_SEGMENTS_MAX = 1024  # a bound on segments (and nodes) for the sched array's tail
# one segment's slots: its FIFO (head, tail, size), its lock or the head's line (LK_* from
# GQS_LK), and the tail's line (a ring's producers) from GQS_LK2
GQS_HEAD, GQS_TAIL, GQS_SIZE = range(3)
GQS_LK = 3
GQS_LK2 = GQS_LK + 6
GQS_N = GQS_LK2 + 6

# Mechanisms of the designs under study, each on its own on top of Go (designs.py names them)
MECH_DET_STEAL = 1 << 0  # stealWork probes p+1, p+2, ... every pass (seed ch. 1)
MECH_HIER_STEAL = 1 << 1  # stealWork: the own node's Ps first, then other nodes by distance
MECH_MIGRATION_AVOID = 1 << 2  # seed 3.1: steal only from a P loaded > ratio x the mean;
# a P whose ring holds more than a quarter keeps new Gs unless it is itself that loaded
MECH_RING_NETPOLL = 1 << 3  # seed 2.4: a non-blocking poll reads a shared ring, no syscall
MECH_HYBRID_PREEMPT = 1 << 4  # seed 2.3: preempt at once outside critical sections; inside,
# signal and switch at the section's end (the checkpoint)
MECH_STATE_CHECK = 1 << 5  # seed 2.1: check the M/P/G state table at every transition
MECH_GC_PRIORITY = 1 << 6  # seed 2.5: assist priority from the mark queue and entropy
MECH_LOCKED_DEDICATED = 1 << 7  # seed 4.3: a P whose locked G blocks stays with its M
MECH_NODE_BINDING = 1 << 8  # the 2014 NUMA proposal: Ps spread over the nodes, bound there

INF_NS = 1 << 62  # "never": an actor with nothing scheduled
# actors after the GOMAXPROCS Ps: arrivals NP, sysmon NP+1, snapshots NP+2, the M blocked in
# netpoll NP+3 (helpers that break the poller need its index), timerproc NP+4, GC NP+5
A_NETPOLL_OFFSET = 3

# gc-assist-priority's classes and trigger (the seed's section 2.5, its own numbers)
GC_PRIORITY_HIGH = 15  # "High >= 15: may preempt non-GC goroutines"
GC_PRIORITY_LOW = 7  # "Low <= 7: only on idle Ps"
GC_PRIORITY_QUEUE_MIN = 128  # "gcMarkWork.queue.len() > 128"

# --- policies, distributions, arrival kinds (ints passed to the kernel) -----------------------
POLICY_GO = 0  # Go's G/M/P scheduler as of 1.27
POLICY_GLOBAL = 1  # Go 1.0: one locked global queue, no local queues, no stealing, no preemption
POLICY_CENTRAL = 2  # ideal central FCFS queue, no overhead at all: M/M/c
POLICY_PARTITIONED = 3  # per-P FIFO, uniform random dispatch, no stealing: c x M/M/1
POLICIES = {
    "go": POLICY_GO,
    "global": POLICY_GLOBAL,
    "central": POLICY_CENTRAL,
    "partitioned": POLICY_PARTITIONED,
}

DIST_EXP = 0
DIST_CONST = 1
DIST_LOGNORMAL = 2
DIST_BIMODAL = 3
DIST_PARETO = 4
DIST_EMPIRICAL = 5  # the user's data: a piecewise-linear quantile function (gmplab.empirical)
DISTS = {
    "exp": DIST_EXP,
    "const": DIST_CONST,
    "lognormal": DIST_LOGNORMAL,
    "bimodal": DIST_BIMODAL,
    "pareto": DIST_PARETO,
    "empirical": DIST_EMPIRICAL,
}

ARR_POISSON = 0
ARR_CONST = 1
ARR_BURST = 2
ARR_MMPP = 3  # a 2-state Markov-modulated Poisson process (bursts)
ARR_SCHEDULE = 4  # Poisson with a piecewise-constant rate over time (cycling)
ARR_CLOSED = 5  # closed loop: N clients, each sends, waits for the reply, thinks, sends again
ARRIVALS = {
    "poisson": ARR_POISSON,
    "const": ARR_CONST,
    "burst": ARR_BURST,
    "mmpp": ARR_MMPP,
    "schedule": ARR_SCHEDULE,
    "closed": ARR_CLOSED,
}

PATH_GLOBAL = 0  # injectglist from a netpoller M holding no P: global queue + startIdle
PATH_SPAWN = 1  # a listener goroutine on P0 calls newproc: runnext of P0 + wakep
PATH_NETPOLL = 2  # the G becomes ready in the netpoller; whoever polls (netpoll) delivers it
PATH_RANDOM_P = 3  # runqput on a uniformly random P, then wakep
PATHS = {
    "global": PATH_GLOBAL,
    "spawn": PATH_SPAWN,
    "netpoll": PATH_NETPOLL,
    "random-p": PATH_RANDOM_P,
}
# sysmon polls the network when nobody has for this long (proc.go, sysmon: 10*1000*1000)
SYSMON_NETPOLL_NS = 10_000_000

# --- costs (ns), in the order of reference/cost-defaults.md ------------------------------------
COST_KEYS = (
    "gosched_switch_ns",
    "newproc_ns",
    "runq_op_ns",
    "lock_uncontended_ns",
    "lock_handoff_active_ns",
    "lock_handoff_sleeping_ns",
    "cacheline_local_ns",
    "cacheline_remote_ns",
    "steal_probe_ns",
    "wakeup_ns",
    "newm_ns",
    "runnext_steal_pause_ns",
    "async_preempt_ns",
    "syscall_overhead_ns",
    "netpoll_ns",
    "thread_switch_ns",
    "os_timeslice_ns",
    "migration_local_ns_per_kib",
    "migration_remote_ns_per_kib",
    "working_set_kib",
    "netpoll_timeout_granularity_ns",
    "gc_mark_ns_per_kib",
    "gc_sweepterm_ns",
    "gc_markterm_ns",
    "alloc_ns_per_kib",
)
(
    C_SWITCH,
    C_NEWPROC,
    C_RUNQ_OP,
    C_LOCK_UNCONTENDED,
    C_LOCK_HANDOFF_ACTIVE,
    C_LOCK_HANDOFF_SLEEPING,
    C_CACHELINE_LOCAL,
    C_CACHELINE_REMOTE,
    C_STEAL_PROBE,
    C_WAKEUP,
    C_NEWM,
    C_RUNNEXT_STEAL_PAUSE,
    C_ASYNC_PREEMPT,
    C_SYSCALL_OVERHEAD,
    C_NETPOLL,
    C_THREAD_SWITCH,
    C_OS_TIMESLICE,
    C_MIGRATION_LOCAL,
    C_MIGRATION_REMOTE,
    C_WORKING_SET_KIB,
    C_NETPOLL_GRANULARITY,
    C_GC_MARK_PER_KIB,
    C_GC_SWEEPTERM,
    C_GC_MARKTERM,
    C_ALLOC_NS_PER_KIB,
) = range(len(COST_KEYS))
N_COSTS = len(COST_KEYS)
# the costs array goes on with the machine's per-node-pair tables: costs[N_COSTS] = nodes,
# then nodes x nodes tables (row: the acting P's node, column: the other side's), in ns:
CT_LINE = 0  # a contended cache line moving (cacheline_local in a node; remote x SLIT/20)
CT_PROBE = 1  # reading a victim's ring head and tail (steal_probe_ns x SLIT/10)
CT_MIGR = 2  # a goroutine's working set refilled after it moved (working_set_kib x per KiB)
CT_DIST = 3  # the SLIT distance itself (10: the same node, or as close)
CT_ORDER = 4  # row i: the nodes by distance from node i (i itself first; ties by index)
N_COST_TABLES = 5

# --- integer parameters (iparams) ----------------------------------------------------------------
(
    I_POLICY,
    I_GOMAXPROCS,
    I_CORES,
    I_CORES_PER_NODE,
    I_ARRIVALS,
    I_PATH,
    I_DIST,
    I_GOROUTINES,
    I_WARMUP_N,
    I_MAX_LIVE,
    I_CHECK,
    I_SNAPSHOT_NS,
    I_BATCHES,
    I_MAX_SNAPSHOTS,
    I_EVENTS_MAX,
    I_G_INITIAL_CAP,
    I_RULES,
    I_GO_VERSION,
    I_NETPOLL,
    I_HOGS,
    I_PAIRS,
    I_PAIR_DIST,
    I_TIMERS,
    I_GC,
    I_GOGC,
    I_LIVE_HEAP,
    I_ALLOC_ARRIVALS,
    I_ALLOC_HOGS,
    I_GC_DEDICATED,
    I_GC_FRACTIONAL_PPM,
    I_GC_IDLE_MAX,
    I_SAMPLING,
    I_CLIENTS,
    I_THINK_DIST,
    I_POOL_WORKERS,
) = range(35)
N_IPARAMS = 35
# I_POOL_WORKERS: resident worker goroutines receiving jobs from the pool's channel
# I_SAMPLING: 1 records runnable->running delays as Go's /sched/latencies does (1 in 8)
# I_TIMERS: 1 when goroutines sleep (timers exist at all). GC (issue: garbage collector):
# I_GC 1 to model it; I_GOGC; I_LIVE_HEAP reachable bytes; I_ALLOC_* bytes allocated per us of
# CPU by arrivals and hogs; worker counts from gcControllerState.startCycle (params.py)

# rule switches (bits of iparams[I_RULES]); all on is Go. Ablations and the Go-semantics
# tests switch one off to show that the behaviour it models changes an outcome.
RULE_RUNNEXT = 1 << 0  # runqput(next=true) uses runnext and kicks the old one to the tail
RULE_RUNNEXT_INHERIT = 1 << 1  # a G taken from runnext inherits the time slice
RULE_GLOBAL_CHECK_61 = 1 << 2  # findRunnable's schedtick%61 fairness check
RULE_OVERFLOW_HALF = 1 << 3  # runqputslow moves half the ring + 1 to the global queue
RULE_BATCH_FORMULA = 1 << 4  # globrunqgetbatch takes min(128, size, size/gomaxprocs+1)
RULE_STEAL_HALF = 1 << 5  # runqgrab takes ceil(half) of the victim's ring
RULE_SPIN_CAP = 1 << 6  # 2*nmspinning < gomaxprocs - npidle before an M may spin
RULE_SYSMON_PREEMPT = 1 << 7  # sysmon's retake() preempts a G after 10 ms on one schedtick
RULE_SPINNING = 1 << 8  # wakep/spinning Ms at all (off: a readied G wakes no M)
RULE_NETPOLL_FIND = 1 << 9  # findRunnable's non-blocking netpoll(0) before stealing
RULE_NETPOLL_BLOCK = 1 << 10  # an M with nothing to do blocks in netpoll (the poller M)
RULE_SYSMON_NETPOLL = 1 << 11  # sysmon polls when nobody polled for 10 ms
RULE_CHECK_TIMERS = 1 << 12  # checkTimers: findRunnable runs its own P's expired timers first
RULE_STEAL_TIMERS = 1 << 13  # stealWork runs other Ps' expired timers on its last pass
RULE_TIMER_WAKEP = 1 << 14  # wakeNetPoller: a timer added with no M in netpoll calls wakep
RULE_READY_RUNNEXT = 1 << 15  # ready()/goready: a readied G goes to the readier's runnext
RULE_SPIN_GLOBAL_RECHECK = 1 << 16  # 1.22: a spinning M that gives up rechecks the global queue
RULE_SYSMON_TIMERS = 1 << 17  # 1.14-1.15: sysmon starts an M when a timer is overdue
RULE_GC_WORKERS = 1 << 18  # background mark workers (dedicated, fractional) in findRunnable
RULE_GC_IDLE_WORKERS = 1 << 19  # idle-priority mark workers on Ps with nothing else to do
RULE_GC_ASSISTS = 1 << 20  # allocating goroutines assist the mark in proportion to allocation
RULE_GC_LIMITER = 1 << 21  # the GC CPU limiter: assists off while GC takes > 50% of the CPU
RULE_STW_RUNNEXT = 1 << 22  # 1.26: a goroutine preempted for a stop-the-world takes runnext
RULES_ALL = (1 << 23) - 1
RULE_NAMES = {
    "runnext": RULE_RUNNEXT,
    "runnext_inherit": RULE_RUNNEXT_INHERIT,
    "global_check_61": RULE_GLOBAL_CHECK_61,
    "overflow_half": RULE_OVERFLOW_HALF,
    "batch_formula": RULE_BATCH_FORMULA,
    "steal_half": RULE_STEAL_HALF,
    "spin_cap": RULE_SPIN_CAP,
    "sysmon_preempt": RULE_SYSMON_PREEMPT,
    "spinning": RULE_SPINNING,
    "netpoll_find": RULE_NETPOLL_FIND,
    "netpoll_block": RULE_NETPOLL_BLOCK,
    "sysmon_netpoll": RULE_SYSMON_NETPOLL,
    "check_timers": RULE_CHECK_TIMERS,
    "steal_timers": RULE_STEAL_TIMERS,
    "timer_wakep": RULE_TIMER_WAKEP,
    "ready_runnext": RULE_READY_RUNNEXT,
    "spin_global_recheck": RULE_SPIN_GLOBAL_RECHECK,
    "sysmon_timers": RULE_SYSMON_TIMERS,
    "gc_workers": RULE_GC_WORKERS,
    "gc_idle_workers": RULE_GC_IDLE_WORKERS,
    "gc_assists": RULE_GC_ASSISTS,
    "gc_limiter": RULE_GC_LIMITER,
    "stw_runnext": RULE_STW_RUNNEXT,
}

# --- Go versions: which rules a release had -------------------------------------------------------
# The kernel models the 1.27 scheduler; an older go_version switches rules off (or selects an
# older mechanism) where the change is one a user can measure. Sources: reference/
# go-runtime-scheduler.md section 3, golang/go commits and issues cited in docs/model.md.
GO_VERSION_MIN = 4  # Go 1.4: the oldest release modelled (runqs, stealing, sysmon preemption)
GO_VERSION_MAX = 27
V_RUNNEXT = 105  # runnext + time-slice inheritance (commit e870f06, CL 9289, Go 1.5)
V_TIMERS_ON_PS = 114  # per-P timer heaps replace timerproc (Go 1.14)
V_TIMER_STEAL_RUNNING = 116  # CL 232298 (8fdc79e): steal timers from running Ps, wakep on add
V_SPIN_GLOBAL_RECHECK = 122  # findRunnable's spinning->idle recheck includes the global queue
V_STW_RUNNEXT = 126  # a goroutine preempted for a stop-the-world resumes from runnext
V_PSYSCALL_REMOVED = 126  # _Psyscall gone: syscall state is the goroutine's
V_GC_LIMITER = 119  # the GC CPU limiter (mgclimit.go, Go 1.19)

# --- the garbage collector (mgc.go, mgcpacer.go) ------------------------------------------
GC_BACKGROUND_UTILIZATION = 0.25  # gcBackgroundUtilization: mark workers' share of GOMAXPROCS
GC_DEDICATED_TOLERANCE = 0.3  # startCycle: round dedicated workers unless off by more than 30%
GC_FRACTIONAL_SLACK = 1.2  # pollFractionalWorkerExit: a fractional worker stops at 1.2x its goal
GC_HEAP_MINIMUM = 4 << 20  # heapMinimum: 4 MiB x GOGC/100
GC_TRIGGER_MIN = 0.7  # the trigger lies between 0.7 and 0.95 of the runway (45/64, 61/64)
GC_TRIGGER_MAX = 0.95
GC_FORCE_PERIOD_NS = 120_000_000_000  # forcegcperiod: a GC at least every 2 minutes
GC_LIMIT = 0.5  # the GC CPU limiter's cap on GC's share of the CPU
GC_ASSIST_MIN_DISTANCE = 64 << 10  # the heap distance below which assists stop scaling (bytes)
# each running worker holds a buffer of grey objects assists cannot take: gcOverAssistWork
# (64 KiB of scan work) is the unit the runtime moves work in, used here as that buffer
GC_WORKER_HELD_KIB = 64
# GC phases (sched[S_GC_PHASE])
GC_OFF = 0  # _GCoff: allocating, sweeping
GC_STW = 1  # stopping or stopped for a stop-the-world (S_STW_KIND says which)
GC_MARK = 2  # concurrent mark: workers and assists
STW_SWEEPTERM = 1  # stwGCSweepTerm: the STW that starts a cycle
STW_MARKTERM = 2  # stwGCMarkTerm: the STW that ends the mark
GCW_DEDICATED = 1  # gcMarkWorkerDedicatedMode
GCW_FRACTIONAL = 2  # gcMarkWorkerFractionalMode
GCW_IDLE = 3  # gcMarkWorkerIdleMode


def version_rules(v: int) -> int:
    """The rule bits a Go release (100 * major + minor, e.g. 127) had; & the user's mask."""
    mask = RULES_ALL
    if v < V_RUNNEXT:
        mask &= ~(RULE_RUNNEXT | RULE_RUNNEXT_INHERIT | RULE_READY_RUNNEXT)
    if v < V_TIMERS_ON_PS:
        mask &= ~(RULE_CHECK_TIMERS | RULE_STEAL_TIMERS | RULE_TIMER_WAKEP | RULE_SYSMON_TIMERS)
    elif v < V_TIMER_STEAL_RUNNING:
        mask &= ~RULE_TIMER_WAKEP
    else:
        mask &= ~RULE_SYSMON_TIMERS
    if v < V_SPIN_GLOBAL_RECHECK:
        mask &= ~RULE_SPIN_GLOBAL_RECHECK
    if v < V_STW_RUNNEXT:
        mask &= ~RULE_STW_RUNNEXT
    if v < V_GC_LIMITER:
        mask &= ~RULE_GC_LIMITER
    return mask


# --- float parameters (fparams) ------------------------------------------------------------------
(
    F_INTERARRIVAL_NS,
    F_SERVICE_MEAN_NS,
    F_SERVICE_A,
    F_SERVICE_B,
    F_SERVICE_P,
    F_PAIR_MEAN_NS,
    F_PAIR_A,
    F_PAIR_B,
    F_PAIR_P,
    F_MMPP_R0,
    F_MMPP_R1,
    F_MMPP_Q01,
    F_MMPP_Q10,
    F_THINK_MEAN_NS,
    F_THINK_A,
    F_THINK_B,
    F_THINK_P,
) = range(17)
N_FPARAMS = 17
# MMPP: arrival rates in states 0 and 1 and the switching rates 0->1, 1->0 (all per ns)

# --- sched: globals of schedt plus the kernel's own bookkeeping ---------------------------------
(
    S_RUNQ_HEAD,
    S_RUNQ_TAIL,
    S_RUNQ_SIZE,
    S_NPIDLE,
    S_NMSPINNING,
    S_NEEDSPINNING,
    S_NMIDLE,
    S_MCOUNT,
    S_SEQ,
    S_LIVE,
    S_RUNNING,
    S_INHAND,
    S_WAKES,
    S_GFREE,
    S_GCAP,
    S_GHW,
    S_NEXT_M_ID,
    S_ARRIVED,
    S_COMPLETED,
    S_SYSMON_IDLE,
    S_SYSMON_DELAY_US,
    S_WINDOW_START,
    S_WINDOW_END,
    S_NSNAP,
    S_INV_CODE,
    S_NOW,
    S_NTRACE,
    S_BLOCKED,
    S_NSYSCALL_M,
    S_SM_FREE,
    S_LASTPOLL,
    S_NETPOLL_M,
    S_NP_N,
    S_POLL_UNTIL,
    S_POLL_START,
    S_TIMERS_ROOT,
    S_NTIMERS,
    S_GC_PHASE,
    S_GCWAITING,
    S_STW_KIND,
    S_STW_START,
    S_STW_STOPPED,
    S_HEAP_LIVE,
    S_HEAP_T,
    S_ALLOC_RATE,
    S_HEAP_MARKED,
    S_HEAP_GOAL,
    S_HEAP_TRIGGER,
    S_MARK_START,
    S_MARK_WORK,
    S_MARK_DONE,
    S_MARK_T,
    S_NWORKERS,
    S_DEDICATED_NEEDED,
    S_IDLE_WORKERS,
    S_BG_CREDIT,
    S_LAST_GC,
    S_ASSIST_HEAD,
    S_ASSIST_N,
    S_MARK_ALLOC,
    S_GC_CPU_CYCLE,
    S_LIMITING,
    S_LOCKED_WAIT,
    S_ASSIST_TAIL,
    S_CL_N,
    S_CHAN_HEAD,
    S_CHAN_TAIL,
    S_CHAN_N,
    S_RECVQ_HEAD,
    S_RECVQ_TAIL,
    S_RECVQ_N,
    S_OS_MODE,
    S_OS_DIRTY,
    S_NACT,
    S_PEND_BASE,
    S_CORE_BASE,
    S_NFREE_CORES,
    S_OS_RUNNING,
    S_OSQ_HEAD,
    S_OSQ_TAIL,
    S_OSQ_N,
    S_QUOTA_NS,
    S_PERIOD_NS,
    S_QUOTA_LEFT,
    S_QUOTA_T,
    S_PERIOD_END,
    S_THROTTLED,
    S_THROTTLE_T,
    S_NCPU,
    S_CPN,
    S_CUR_P,
    S_CUR_NODE,
    S_LOCK_KIND,
    S_LOCK_FREE_AT,
    S_LOCK_HOLDER,
    S_LOCK_NODE,
    S_LOCK_SPIN_UNTIL,
    S_LOCK_GAP_LO,
    S_LOCK_GAP_HI,
    S_SMT_PPM,
    S_OWN_BASE,
    S_GQ_IMPL,
    S_GQ_NSEG,
    S_GQ_BASE,
    S_GQ_CUR,
    S_MECH,
    S_MOS_RATIO_PPM,
    S_MOS_KEEP_LOCAL,
    S_MOS_PUTS,
    S_MOS_GC_BASE,
    S_MOS_LOCKED_NS,
) = range(111)
N_SCHED = 111
# A lock's (or a contended line's) state: LK_* slots from a base. sched.lock is the one at
# S_LOCK_FREE_AT; a segmented or per-node global queue has one per segment (S_GQ_BASE).
LK_FREE_AT, LK_HOLDER, LK_NODE, LK_SPIN_UNTIL, LK_GAP_LO, LK_GAP_HI = range(6)
N_LK = 6
# S_GQ_*: the global run queue's implementation (GQ_*), its segments (S_GQ_NSEG; sched's
# region of them at S_GQ_BASE, GQS_N slots each) and the segment the current operation uses
# (S_GQ_CUR). S_RUNQ_SIZE stays the total across segments. S_MECH: the design's mechanisms
# (MECH_* bits); S_MOS_*: migration-avoid's load ratio (ppm), keep-local ring length and the
# Gs it sent to the global queue; gc-assist-priority's base; locked-dedicated's violation ns.
# S_SMT_PPM: SMT on: a hardware thread's speed (parts per million) while its sibling is busy
# (0: no SMT); S_OWN_BASE: sched's region of the P on each logical CPU (-1: none)
# S_LOCK_KIND: sched.lock's discipline (LOCK_*); spinbit: S_LOCK_SPIN_UNTIL, when the one
# spinning waiter gets the lock; [S_LOCK_GAP_LO, S_LOCK_GAP_HI): the lock is free while the
# sleeper it was released to wakes up, and a newcomer may take it meanwhile (barging)
# S_CUR_P/S_CUR_NODE: the P whose M acts in this event (-1: an M without a P) and its node;
# S_LOCK_HOLDER/S_LOCK_NODE: who last held sched.lock (its cache line is on that node)
# S_NCPU: the logical CPUs the Ps may use; S_CPN: CPUs per NUMA node (a core's node)
# The machine's CPUs (see os_need): S_OS_MODE 0: every P has its own core (GOMAXPROCS <=
# cores, no quota: the OS is invisible); 1: Ps pinned to their cores, busy ones counted (a
# quota's consumption); 2: Ps share the cores (GOMAXPROCS > cores), an OS run queue of Ps
# waiting for a core (S_OSQ_*, FIFO through PF_OS_LINK), a stack of free cores.
# sched's tail holds per-actor state for the OS layer (it must be visible to heap_set):
#   sched[N_SCHED + a]: 0 when actor a runs normally, else why its M is off the CPU
#   (OFF_QUEUED, OFF_THROTTLED, OFF_THROTTLED_WALL); sched[S_PEND_BASE + a]: the event it
#   would have had (a delay from when it was set, or an absolute time for OFF_THROTTLED_WALL);
#   then the free cores' stack at S_CORE_BASE.
# S_QUOTA_*: cgroup cpu.max: quota per period (ns of CPU); what is left of this period's
# quota as of S_QUOTA_T; S_PERIOD_END; S_THROTTLED while the container is throttled (since
# S_THROTTLE_T).
OFF_QUEUED = 1  # waits in the OS run queue for a core (its event delay resumes with it)
OFF_THROTTLED = 2  # stopped by the quota; its CPU work resumes when the period ends
OFF_THROTTLED_WALL = 3  # stopped by the quota; its event is wall-clock (a syscall's end, a
# timeout): it happens at that time or when the throttle ends, whichever is later
OS_OFF, OS_PINNED, OS_SHARED = range(3)
# S_CHAN_*: the worker pool's channel: requesters whose job no worker has taken yet, FIFO
# through GF_LINK (hchan's buffer and sendq as one queue; see PHASE_POOL)
# S_RECVQ_*: the pool's workers parked in chanrecv (hchan.recvq, FIFO through GF_LINK)
# S_CL_N: closed loop: clients thinking (their wake-up times are a heap in the kernel's clh)
# S_LOCKED_WAIT: Ms locked to a goroutine that is not running (blocked in stoplockedm)
# S_POLL_UNTIL: the blocked poller's timeout (the timer it waits for; 0: none, fds only) and
# S_POLL_START when it began to wait; S_TIMERS_ROOT/S_NTIMERS: timerproc's heap (Go <= 1.13)

# --- per-P state (pst columns) -------------------------------------------------------------------
(
    PF_PHASE,
    PF_CURG,
    PF_HEAD,
    PF_TAIL,
    PF_RUNNEXT,
    PF_SCHEDTICK,
    PF_SPINNING,
    PF_M,
    PF_CORE,
    PF_NODE,
    PF_SYSMON_TICK,
    PF_SYSMON_WHEN,
    PF_SLICE_START,
    PF_RUN_START,
    PF_SCHED_START,
    PF_INHERIT,
    PF_PREEMPT,
    PF_STEAL_PASS,
    PF_STEAL_START,
    PF_STEAL_STRIDE,
    PF_STEAL_I,
    PF_STEAL_VICTIM,
    PF_STEAL_G,
    PF_PHASE_SINCE,
    PF_T_RUN,
    PF_T_SCHED,
    PF_T_SPIN,
    PF_T_WAKE,
    PF_T_IDLE,
    PF_LQ_HEAD,
    PF_LQ_TAIL,
    PF_LQ_SIZE,
    PF_SYSCALLTICK,
    PF_SYSMON_SYSCALLTICK,
    PF_SYSMON_SYSCALLWHEN,
    PF_T_SYSCALL,
    PF_TIMERS_ROOT,
    PF_NTIMERS,
    PF_TIMER0_WHEN,
    PF_GC_MODE,
    PF_GC_FRAC_NS,
    PF_GC_SINCE,
    PF_STW_HELD,
    PF_ONCPU,
    PF_OS_SINCE,
    PF_OFF_SINCE,
    PF_OS_LINK,
    PF_T_OSWAIT,
    PF_SPEED,
    PF_WORK_ACC,
    PF_WORK_T,
) = range(51)
N_PF = 51
# PF_SPEED: the P's M's speed in parts per million (SMT: slower beside a busy sibling); the
# running goroutine's work done = PF_WORK_ACC + (now - PF_WORK_T) x speed
SPEED_FULL = 1_000_000
# PF_ONCPU: the P's M holds a core (OS modes 1 and 2) since PF_OS_SINCE; PF_OFF_SINCE: when
# it last left the CPU (descheduled or throttled); PF_T_OSWAIT: time it waited for a core
# PF_GC_MODE: the mark worker this P runs (GCW_*, 0 none); PF_GC_FRAC_NS its fractional time this
# cycle; PF_GC_SINCE when the worker began; PF_STW_HELD: a syscall returned during a
# stop-the-world and waits for the world to start (its exitsyscall is replayed then)
# PF_TIMERS_ROOT: the P's timer heap (a goroutine index, -1 empty); PF_TIMER0_WHEN: its earliest
# `when` (Go's pp.timer0When; 0 when the heap is empty)

# P phases: what the P's M is doing (an idle P has no M)
PH_IDLE = 0  # on sched.pidle; its M (if any) parked on midle
PH_WAKE = 1  # startm: an M is being woken (futexwakeup) or created (newm) for this P
PH_EXEC = 2  # findRunnable returned curg; execute() runs it when this event fires
PH_RUN = 3  # curg is running; the event is its completion or its preemption
PH_PAUSE = 4  # stealWork's usleep(3) before taking a running P's runnext
PH_SYSCALL = 5  # curg is in a syscall; the P stays wired to its M until sysmon retakes it
PH_GCSTOP = 6  # _Pgcstop: stopped for a stop-the-world, no M (it parked in gcstopm)
PH_GCWORK = 7  # the P's M runs a background mark worker (PF_GC_MODE says which kind)
PH_DEDICATED = 8  # locked-dedicated (seed 4.3): the P stays with the M of its locked G while
# that G is blocked, and runs nothing else until the G is ready again

# --- goroutine table (gt columns) ----------------------------------------------------------------
(
    GF_ARRIVAL,
    GF_REMAINING,
    GF_RUNNABLE_SINCE,
    GF_LAST_CORE,
    GF_SEQ,
    GF_LINK,
    GF_PC,
    GF_READY,
    GF_TLEFT,
    GF_TRIGHT,
    GF_CLASS,
    GF_PARTNER,
    GF_TOKEN,
    GF_WOKEN,
    GF_ASSIST,
    GF_TRACK,
    GF_LOCKED_M,
    GF_PENDING_ALLOC,
    GF_DED_P,
) = range(19)
N_GF = 19
# GF_DED_P: locked-dedicated: the P a locked goroutine's thread holds while it is blocked
# GF_PENDING_ALLOC: bytes allocated during the mark in runs that ended by preemption; the
# assist they owe is paid when the goroutine next runs
# GF_LOCKED_M: the M a goroutine is locked to (runtime.LockOSThread), -1 when it is not
# GF_TRACK (latency sampling): the G's trackingSeq (low 8 bits) and its tracking flag (bit 8)
G_TRACKING_PERIOD = 8  # gTrackingPeriod: every 8th transition out of running is tracked
# GF_ASSIST: 1 while the G runs a GC mark assist (it allocates nothing meanwhile)
# GF_READY: when a parked G becomes ready (its fd's readiness, or its timer's `when`)
# GF_TLEFT/GF_TRIGHT: children in a timer heap (a skew heap threaded through the goroutines)
# GF_CLASS: what the goroutine is
G_ARRIVAL = 0  # one of the measured stream (an arrival, its program, then done)
G_HOG = 1  # a resident CPU hog: runs for the whole run
G_PAIR = 2  # a resident ping-pong partner: a CPU burst, then a hand-off to GF_PARTNER
# GF_TOKEN (pairs): 1 while the G holds the ball (it may run); 0 while it waits for it
# GF_WOKEN: how the G last became runnable, to time its wake-up when it next runs
WOKEN_NONE = 0
WOKEN_TIMER = 1  # its timer fired (GF_READY was the timer's when)
WOKEN_HANDOFF = 2  # its partner readied it (GF_RUNNABLE_SINCE is the goready time)
# GF_CLASS (continued): goroutines a program creates or talks to
G_CHILD = 3  # forked by a `fork` phase (newproc); runs its sub-program, then wg.Done
G_WORKER = 4  # a resident pool worker: chanrecv a job, run its sub-program, reply, repeat
# GF_PARTNER: a pair's partner; a child's parent; a worker's current requester (-1: none)
# GF_TOKEN: a pair's ball; a parent's children still running (the WaitGroup's counter)

# --- goroutine programs: the phases a goroutine goes through -------------------------------------
PHASE_CPU = 0  # run on a P for a drawn duration
PHASE_SYSCALL = 1  # entersyscall: block in the kernel; the P stays until sysmon retakes it
PHASE_SYSCALL_BLOCK = 2  # entersyscallblock: a known-blocking syscall, handoffp at once
PHASE_NETWAIT = 3  # gopark on a network fd; the netpoller readies it after the drawn time
PHASE_SLEEP = 4  # time.Sleep: a timer on the P's heap readies it after the drawn time
PHASE_NOPREEMPT = 5  # a CPU burst with no safe point (a call-free loop, a long asm routine)
PHASE_ALLOC = 6  # mallocgc of a drawn number of bytes: the heap grows at once (assists, the
# trigger), then the object is cleared on the CPU (alloc_ns_per_kib); preemptible
PHASE_FORK = 7  # newproc PR_COUNT children (each runs the sub-program at row PR_SUB), then
# wg.Wait: park until the last child's wg.Done readies this G (ready(gp, next=true))
PHASE_POOL = 8  # chansend a job (the sub-program at PR_SUB) to the worker pool, park on the
# reply channel until a worker has run it and replied (goready into the worker's P's runnext)
PHASE_END = 9  # the end of a program or sub-program (internal: every program ends with one)
PHASE_CRITICAL = 10  # a CPU burst inside a critical section (the seed's section 2.3): Go
# preempts it like any cpu phase; hybrid-preempt defers the switch to the section's end
PHASE_KINDS = {
    "cpu": PHASE_CPU,
    "syscall": PHASE_SYSCALL,
    "syscall_block": PHASE_SYSCALL_BLOCK,
    "netwait": PHASE_NETWAIT,
    "sleep": PHASE_SLEEP,
    "nopreempt": PHASE_NOPREEMPT,
    "alloc": PHASE_ALLOC,
    "fork": PHASE_FORK,
    "pool": PHASE_POOL,
    "critical": PHASE_CRITICAL,
}
# the hand-off to a partner is a phase of the resident pairs (I_PAIRS), not of programs; a
# program talks to other goroutines through `fork` (children) and `pool` (a channel to workers).
# A program is rows of prog ending in a PHASE_END row: the main program first, then each
# sub-program (a fork's children's, a pool job's). PR_MEAN is bytes for an alloc phase.
PROG_COLUMNS = ("kind", "dist", "mean_ns", "a", "b", "p", "sub", "count")
(PR_KIND, PR_DIST, PR_MEAN, PR_A, PR_B, PR_P, PR_SUB, PR_COUNT) = range(len(PROG_COLUMNS))
N_PROG = len(PROG_COLUMNS)
# syscall Ms: an M whose P was retaken waits for its syscall in one of these actor slots
(SM_G, SM_M, SM_END) = range(3)
N_SM = 3


# --- counters ------------------------------------------------------------------------------------
COUNTER_NAMES = (
    "events",
    "goroutines_created",
    "goroutines_completed",
    "goroutines_measured",
    "steals",
    "stolen",
    "runnext_hits",
    "migrations_local",
    "migrations_remote",
    "global_runq_puts",
    "global_runq_gets",
    "runq_overflows",
    "preemptions",
    "lock_acquisitions",
    "lock_wait_ns_total",
    "lock_contended",
    "wakeups",
    "newm",
    "steal_probes",
    "runnext_steals",
    "steal_pauses",
    "global_check_61_hits",
    "sojourn_ns_sum",
    "sched_latency_ns_sum",
    "sched_latency_count",
    "schedule_ns_sum",
    "schedule_count",
    "sojourn_sq_sum_hi",
    "preempt_slice_ns_min",
    "preempt_slice_ns_max",
    "end_ns",
    "window_ns",
    "t_run_ns",
    "t_sched_ns",
    "t_spin_ns",
    "t_wake_ns",
    "t_idle_ns",
    "max_live_seen",
    "spinning_becomes",
    "needspinning_sets",
    "snapshots_dropped",
    "completed_seq_sum",
    "syscalls",
    "syscall_retakes",
    "handoffp",
    "exitsyscall_fast",
    "exitsyscall_idle_p",
    "exitsyscall_global",
    "t_syscall_ns",
    "netpoll_calls",
    "netpoll_ready",
    "netpoll_blocking_wakes",
    "netpoll_sysmon",
    "timers_added",
    "timers_run",
    "timers_stolen",
    "timerproc_wakes",
    "sysmon_timer_startm",
    "netpoll_breaks",
    "handoffs",
    "cpu_ns_arrivals",
    "cpu_ns_hogs",
    "cpu_ns_pairs",
    "cpu_ns_children",
    "cpu_ns_workers",
    "gc_cycles",
    "gc_forced",
    "gc_assist_ns",
    "gc_dedicated_ns",
    "gc_fractional_ns",
    "gc_idle_ns",
    "gc_pause_ns",
    "gc_limited_assists",
    "gc_worker_drains",
    "gc_alloc_bytes",
    "lockedm_handoffs",
    "gc_assist_parks",
    "gc_assist_wait_ns",
    "forks",
    "children_created",
    "joins",
    "pool_jobs",
    "pool_jobs_queued",
    "pool_queue_wait_ns",
    "alloc_phase_bytes",
    "t_oswait_ns",
    "os_switches",
    "quota_periods",
    "throttled_periods",
    "throttled_ns",
    "lock_barges",
    "lock_sleeps",
    "globrunq_ops",
    "globrunq_contended",
    "globrunq_wait_ns",
    "globrunq_cas_retries",
    "globrunq_sleeps",
    "globrunq_probes",
    "steals_remote",
    "steals_denied",
    "migrate_puts",
    "netpoll_syscalls",
    "mos_syscall_not_waiting",
    "mos_run_m_not_idle",
    "mos_m_two_queues",
    "mos_p_idle_g_running",
    "preempt_deferred",
    "gc_priority_high",
    "gc_priority_low",
    "locked_dedicated",
    "locked_violations",
)
K = {name: i for i, name in enumerate(COUNTER_NAMES)}
(
    K_EVENTS,
    K_CREATED,
    K_COMPLETED,
    K_MEASURED,
    K_STEALS,
    K_STOLEN,
    K_RUNNEXT_HITS,
    K_MIGR_LOCAL,
    K_MIGR_REMOTE,
    K_GPUTS,
    K_GGETS,
    K_OVERFLOWS,
    K_PREEMPTIONS,
    K_LOCK_ACQ,
    K_LOCK_WAIT,
    K_LOCK_CONTENDED,
    K_WAKEUPS,
    K_NEWM,
    K_STEAL_PROBES,
    K_RUNNEXT_STEALS,
    K_STEAL_PAUSES,
    K_GLOBAL_CHECK_HITS,
    K_SOJOURN_SUM,
    K_SCHEDLAT_SUM,
    K_SCHEDLAT_COUNT,
    K_SCHEDULE_SUM,
    K_SCHEDULE_COUNT,
    K_SOJOURN_SQ_HI,
    K_PREEMPT_SLICE_MIN,
    K_PREEMPT_SLICE_MAX,
    K_END_NS,
    K_WINDOW_NS,
    K_T_RUN,
    K_T_SCHED,
    K_T_SPIN,
    K_T_WAKE,
    K_T_IDLE,
    K_MAX_LIVE_SEEN,
    K_SPIN_BECOMES,
    K_NEEDSPIN_SETS,
    K_SNAP_DROPPED,
    K_COMPLETED_SEQ_SUM,
    K_SYSCALLS,
    K_SYSCALL_RETAKES,
    K_HANDOFFP,
    K_EXITSYSCALL_FAST,
    K_EXITSYSCALL_IDLE_P,
    K_EXITSYSCALL_GLOBAL,
    K_T_SYSCALL,
    K_NETPOLL_CALLS,
    K_NETPOLL_READY,
    K_NETPOLL_BLOCKING_WAKES,
    K_NETPOLL_SYSMON,
    K_TIMERS_ADDED,
    K_TIMERS_RUN,
    K_TIMERS_STOLEN,
    K_TIMERPROC_WAKES,
    K_SYSMON_TIMER_STARTM,
    K_NETPOLL_BREAKS,
    K_HANDOFFS,
    K_CPU_ARRIVALS,
    K_CPU_HOGS,
    K_CPU_PAIRS,
    K_CPU_CHILDREN,
    K_CPU_WORKERS,
    K_GC_CYCLES,
    K_GC_FORCED,
    K_GC_ASSIST,
    K_GC_DEDICATED,
    K_GC_FRACTIONAL,
    K_GC_IDLE,
    K_GC_PAUSE,
    K_GC_LIMITED,
    K_GC_DRAINS,
    K_GC_ALLOC,
    K_LOCKEDM_HANDOFFS,
    K_GC_ASSIST_PARKS,
    K_GC_ASSIST_WAIT,
    K_FORKS,
    K_CHILDREN,
    K_JOINS,
    K_POOL_JOBS,
    K_POOL_QUEUED,
    K_POOL_WAIT,
    K_ALLOC_PHASE_BYTES,
    K_T_OSWAIT,
    K_OS_SWITCHES,
    K_QUOTA_PERIODS,
    K_THROTTLED_PERIODS,
    K_THROTTLED_NS,
    K_LOCK_BARGES,
    K_LOCK_SLEEPS,
    K_GQ_OPS,
    K_GQ_CONTENDED,
    K_GQ_WAIT,
    K_GQ_RETRIES,
    K_GQ_SLEEPS,
    K_GQ_PROBES,
    K_STEALS_REMOTE,
    K_STEALS_DENIED,
    K_MIGRATE_PUTS,
    K_NETPOLL_SYSCALLS,
    K_MOS_SYSCALL_NOT_WAITING,
    K_MOS_RUN_M_NOT_IDLE,
    K_MOS_M_TWO_QUEUES,
    K_MOS_P_IDLE_G_RUNNING,
    K_PREEMPT_DEFERRED,
    K_GC_PRIORITY_HIGH,
    K_GC_PRIORITY_LOW,
    K_LOCKED_DEDICATED,
    K_LOCKED_VIOLATIONS,
) = range(len(COUNTER_NAMES))
N_COUNTERS = len(COUNTER_NAMES)

# --- snapshot columns (per snapshot scalars) -----------------------------------------------------
SNAP_COLUMNS = (
    "time_ns",
    "idleprocs",
    "threads",
    "spinningthreads",
    "needspinning",
    "idlethreads",
    "runqueue",
    "live",
    "running",
    "inhand",
    "runnable",
    "blocked",
    "syscallthreads",
    "pollthreads",
)
(
    SN_TIME,
    SN_IDLEPROCS,
    SN_THREADS,
    SN_SPINNING,
    SN_NEEDSPINNING,
    SN_IDLETHREADS,
    SN_RUNQUEUE,
    SN_LIVE,
    SN_RUNNING,
    SN_INHAND,
    SN_RUNNABLE,
    SN_BLOCKED,
    SN_SYSCALL_M,
    SN_POLL_M,
) = range(len(SNAP_COLUMNS))
N_SNAP = len(SNAP_COLUMNS)
# per snapshot per P
SNAP_P_COLUMNS = (
    "runq_len",
    "runnext",
    "schedtick",
    "status",
    "m",
    "curg",
    "spinning",
    "timerslen",
)
(SP_RUNQ_LEN, SP_RUNNEXT, SP_SCHEDTICK, SP_STATUS, SP_M, SP_CURG, SP_SPINNING, SP_TIMERSLEN) = (
    range(len(SNAP_P_COLUMNS))
)
N_SNAP_P = len(SNAP_P_COLUMNS)

# --- the event trace (--trace-events K: the first K events of a run) ------------------------------
TRACE_COLUMNS = ("time_ns", "event", "p", "m", "g", "arg")
(TR_TIME, TR_EVENT, TR_P, TR_M, TR_G, TR_ARG) = range(len(TRACE_COLUMNS))
N_TRACE = len(TRACE_COLUMNS)
EV_ARRIVE = 0  # a goroutine arrives (g: arrival index; p: the P it was given, or -1)
EV_WAKE = 1  # an M starts on the P after startm (arg: 1 if spinning)
EV_EXEC = 2  # execute(): g starts running on p (arg: 1 if it inherited the time slice)
EV_DONE = 3  # g finished on p
EV_PREEMPT = 4  # g was preempted on p (to the global queue)
EV_PARK = 5  # p went idle and its M parked
EV_PAUSE = 6  # p's spinning M pauses before stealing a runnext (arg: the victim P)
EV_SYSCALL = 7  # g entered a syscall on p (arg: 1 for entersyscallblock)
EV_RETAKE = 8  # sysmon (or entersyscallblock) took p from m, whose g is in a syscall
EV_EXITSYSCALL = 9  # g left its syscall (arg: 0 fast path, 1 idle P, 2 global queue)
EV_NETPOLL = 10  # a netpoll returned Gs (p: the polling P or -1; m: the M; arg: how many)
EV_SLEEP = 11  # g parked on a timer on p's heap (arg: the timer's when)
EV_TIMER = 12  # a timer fired: g readied on p (-1: timerproc via the global queue; arg: 1 stolen)
EV_HANDOFF = 13  # g (a pair member) readied its partner (arg: the partner's index) and parked
EV_STW = 14  # a stop-the-world began (arg: 1 sweep termination, 2 mark termination)
EV_STW_STOPPED = 15  # the world is stopped (arg: the stopping time, ns)
EV_START_WORLD = 16  # the world restarted (arg: the pause, ns)
EV_GCWORK = 17  # p's M runs a mark worker (arg: 1 dedicated, 2 fractional, 3 idle)
EV_FORK = 18  # g forked children on p and waits for them (arg: how many)
EV_JOIN = 19  # g (a child) was the last to finish: it readied its parent (arg: the parent's id)
EV_POOL_SEND = 20  # g sent a job to the pool (arg: the worker given it, or -1: it queued)
EV_POOL_REPLY = 21  # g (a worker) replied to its requester (arg: the requester's id)
EV_MOS_VIOLATION = 22  # state-check: a transition the seed's M/P/G table forbids (arg: MOS_*)
# the seed's section 2.1, its three constraints and its illegal row, as state-check reads them
MOS_SYSCALL_NOT_WAITING = 1  # "M enters Msyscall only once its G is Gwaiting": Go's G is
# _Gsyscall while its M is in the syscall (and its P stays _Prunning/_Psyscall)
MOS_RUN_M_NOT_IDLE = 2  # "G Grunnable -> Grunning only while its M is Midle": the M that runs
# schedule() and execute() is running, always
MOS_M_TWO_QUEUES = 3  # "no M holds two or more Ps with non-empty local queues"
MOS_P_IDLE_G_RUNNING = 4  # the illegal row (Mrunning, Pidle, Grunning)
TRACE_EVENT_NAMES = (
    "arrive",
    "wake",
    "exec",
    "done",
    "preempt",
    "park",
    "steal_pause",
    "syscall",
    "retake",
    "exitsyscall",
    "netpoll",
    "sleep",
    "timer",
    "handoff",
    "stw",
    "stw_stopped",
    "start_world",
    "gcwork",
    "fork",
    "join",
    "pool_send",
    "pool_reply",
    "mos_violation",
)

# --- kernel status codes -------------------------------------------------------------------------
ST_OK = 0
ST_MAX_LIVE = 1  # live goroutines reached max_live
ST_EVENTS_MAX = 2  # the event budget ran out (a bug guard, not a user limit)
ST_INVARIANT = 3  # --check-invariants found a violation; sched[S_INV_CODE] says which
ST_STRANDED = 4  # runnable work but every P idle and nothing scheduled: a model bug
ST_MAX_THREADS = 5  # more Ms blocked in syscalls at once than max_syscall_threads
STATUS_NAMES = {
    ST_OK: "ok",
    ST_MAX_LIVE: "max_live",
    ST_EVENTS_MAX: "events_max",
    ST_INVARIANT: "invariant",
    ST_STRANDED: "stranded",
    ST_MAX_THREADS: "max_syscall_threads",
}

INVARIANT_NAMES = {
    1: "negative latency",
    2: "idle P with a non-empty run queue or runnext",
    3: "npidle disagrees with the Ps marked idle",
    4: "nmspinning disagrees with the spinning Ms",
    5: "threads != Ms holding Ps + idle Ms + syscall Ms + the poller + locked Ms waiting + sysmon",
    6: "queued goroutines disagree with the runnable count",
    7: "Go's obligation: stealable work, an idle P, no spinning M and no wake-up in flight",
    8: "goroutine completed twice or never",
    9: "running P without a goroutine, or idle P holding one",
    10: "negative remaining work",
    12: "a hand-off to a partner that was not waiting for it",
    13: "timer heap counts disagree with the sleeping goroutines",
    14: "CPUs: a busy P neither on a core nor waiting for one, or core counts disagree",
}
