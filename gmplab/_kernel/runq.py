"""Go's run-queue operations, as jitted functions over the kernel's arrays.

Each function mirrors the proc.go function it is named after (go1.27.3). The event loop calls
these same functions, and the Go-semantics tests drive them directly, so a test of runqput is a
test of what the simulator does. Rules can be switched off (``rules`` bits) to show that the
behaviour each one models changes an outcome.
"""

from .consts import (
    FEATURES,
    GF_LINK,
    GLOBAL_BATCH_MAX,
    GQ_LOCK,
    GQ_NODE,
    GQ_SEGMENTED,
    GQ_TREIBER,
    GQS_HEAD,
    GQS_N,
    GQS_SIZE,
    GQS_TAIL,
    MECH_MIGRATION_AVOID,
    OS_OFF,
    PF_HEAD,
    PF_PHASE,
    PF_RUNNEXT,
    PF_TAIL,
    PH_EXEC,
    PH_IDLE,
    PH_RUN,
    PH_SYSCALL,
    RULE_BATCH_FORMULA,
    RULE_OVERFLOW_HALF,
    RULE_RUNNEXT,
    RULE_RUNNEXT_INHERIT,
    RULE_SPIN_CAP,
    RULE_STEAL_HALF,
    RUNQ_MASK,
    RUNQ_SIZE,
    S_CUR_NODE,
    S_CUR_P,
    S_GQ_BASE,
    S_GQ_CUR,
    S_GQ_IMPL,
    S_GQ_NSEG,
    S_MECH,
    S_MOS_KEEP_LOCAL,
    S_MOS_PUTS,
    S_MOS_RATIO_PPM,
    S_NMSPINNING,
    S_NPIDLE,
    S_OS_MODE,
    S_RUNQ_HEAD,
    S_RUNQ_SIZE,
    S_RUNQ_TAIL,
)
from .jit import helper, hot_helper, inline_helper


@inline_helper
def mech(sched):
    """The design mechanisms switched on (sched[S_MECH]); 0 in a build without them."""
    return sched[S_MECH] if FEATURES else 0


@inline_helper
def os_on(sched):
    """Whether the OS layer runs (Ps sharing cores, a CPU quota); False in a build without it."""
    return FEATURES and sched[S_OS_MODE] != OS_OFF


@hot_helper
def runq_len(pst, p):
    """t - h: the ring's length (what schedtrace prints per P; runnext excluded)."""
    return pst[p, PF_TAIL] - pst[p, PF_HEAD]


@hot_helper
def runq_empty(pst, p):
    """runqempty: the ring and runnext are both empty."""
    return pst[p, PF_TAIL] == pst[p, PF_HEAD] and pst[p, PF_RUNNEXT] < 0


@hot_helper
def gq_push(sched, gt, head, tail, size, g):
    """Append g to a FIFO of goroutines linked through GF_LINK (schedlink), whose head, tail
    and length live at sched[head], sched[tail], sched[size]: the global run queue, a
    channel's waiting senders and receivers, the GC's assist queue."""
    gt[g, GF_LINK] = -1
    if sched[tail] >= 0:
        gt[sched[tail], GF_LINK] = g
    else:
        sched[head] = g
    sched[tail] = g
    sched[size] += 1


@hot_helper
def gq_pop(sched, gt, head, tail, size):
    """Take the goroutine at the head of such a FIFO (-1 when it is empty)."""
    g = sched[head]
    if g >= 0:
        sched[head] = gt[g, GF_LINK]
        if sched[head] < 0:
            sched[tail] = -1
        sched[size] -= 1
        gt[g, GF_LINK] = -1
    return g


@hot_helper
def globrunqput(sched, gt, g):
    """globrunqput: append g to the global queue's tail (an intrusive list via schedlink)."""
    gq_push(sched, gt, S_RUNQ_HEAD, S_RUNQ_TAIL, S_RUNQ_SIZE, g)


@hot_helper
def globrunqget(sched, gt):
    """globrunqget: pop one G from the global queue's head, or -1."""
    return gq_pop(sched, gt, S_RUNQ_HEAD, S_RUNQ_TAIL, S_RUNQ_SIZE)


@inline_helper
def gq_seg(sched, s):
    """sched's slot of global-queue segment s (GQS_* from there)."""
    return sched[S_GQ_BASE] + s * GQS_N


@inline_helper
def gq_choose_put(sched, g):
    """Where a put of g goes (S_GQ_CUR): a segmented queue hashes the G over its segments
    (the seed's "hashed into 8 segments"); per-node queues take the putting P's node, and
    Ms without a P (arrivals, syscall exits) spread their Gs over the nodes."""
    impl = sched[S_GQ_IMPL]
    n = sched[S_GQ_NSEG]
    s = 0
    if impl == GQ_SEGMENTED:
        s = g % n
    elif impl == GQ_NODE:
        s = sched[S_CUR_NODE] if sched[S_CUR_P] >= 0 else g % n
    sched[S_GQ_CUR] = s


@inline_helper
def gq_put(sched, gt, g):
    """globrunqput into the configured implementation (where gq_choose_put chose)."""
    impl = sched[S_GQ_IMPL]
    if impl == GQ_LOCK:
        globrunqput(sched, gt, g)
        return
    b = gq_seg(sched, sched[S_GQ_CUR])
    if impl == GQ_TREIBER:
        # push on the stack: the newest G is taken first (LIFO)
        gt[g, GF_LINK] = sched[b + GQS_HEAD]
        sched[b + GQS_HEAD] = g
        if sched[b + GQS_TAIL] < 0:
            sched[b + GQS_TAIL] = g
        sched[b + GQS_SIZE] += 1
    else:
        gq_push(sched, gt, b + GQS_HEAD, b + GQS_TAIL, b + GQS_SIZE, g)
    sched[S_RUNQ_SIZE] += 1


@inline_helper
def gq_put1(sched, gt, g):
    """Choose where g goes and put it there (a put whose cost the caller does not charge)."""
    gq_choose_put(sched, g)
    gq_put(sched, gt, g)


@hot_helper
def glob_batch_size(size, gomaxprocs, rules):
    """globrunqgetbatch's n: min(len(runq)/2 = 128, size, size/gomaxprocs + 1).

    With the rule off a P takes one G at a time (as Go 1.0's single queue did).
    """
    if size <= 0:
        return 0
    if not (rules & RULE_BATCH_FORMULA):
        return 1
    n = 1 if size < gomaxprocs else size // gomaxprocs + 1  # spares a division most of the time
    if n > size:
        n = size
    if n > GLOBAL_BATCH_MAX:
        n = GLOBAL_BATCH_MAX
    return n


@helper
def runqput_tail(pst, runq, p, g):
    """Store g at the ring's tail; the caller has checked there is room."""
    t = pst[p, PF_TAIL]
    runq[p, t & RUNQ_MASK] = g
    pst[p, PF_TAIL] = t + 1


@inline_helper
def globrunqgetbatch(sched, gt, pst, runq, p, gomaxprocs, rules):
    """globrunqgetbatch + runqputbatch: take n Gs, return the first, queue the rest on p's ring.

    Returns (g, n); g is -1 when the global queue is empty.
    """
    n = glob_batch_size(sched[S_RUNQ_SIZE], gomaxprocs, rules)
    if n == 0:
        return -1, 0
    return gq_popbatch(sched, gt, pst, runq, p, n, S_RUNQ_HEAD, S_RUNQ_TAIL, S_RUNQ_SIZE)


@inline_helper
def gq_popbatch(sched, gt, pst, runq, p, n, head, tail, size):
    """Take n Gs from the head of a FIFO of goroutines (gq_push's slots): return the first
    and queue the rest on p's ring (runqputbatch). Returns (g, n taken)."""
    g = gq_pop(sched, gt, head, tail, size)
    taken = n
    for _ in range(n - 1):
        g2 = gq_pop(sched, gt, head, tail, size)
        if runq_len(pst, p) < RUNQ_SIZE:
            runqput_tail(pst, runq, p, g2)
        else:  # runqputbatch's leftover goes back to the queue (cannot happen: p's ring is empty)
            gq_push(sched, gt, head, tail, size, g2)
            taken -= 1
    return g, taken


@helper
def p_load(pst, q):
    """A P's load for migration-avoid: its ring, its runnext and a G it runs (or is about to)."""
    ph = pst[q, PF_PHASE]
    busy = 1 if (ph == PH_RUN or ph == PH_EXEC or ph == PH_SYSCALL) else 0
    return pst[q, PF_TAIL] - pst[q, PF_HEAD] + (1 if pst[q, PF_RUNNEXT] >= 0 else 0) + busy


@helper
def loads_total(pst):
    tot = 0
    for q in range(pst.shape[0]):
        tot += p_load(pst, q)
    return tot


@helper
def runqputslow(sched, gt, pst, runq, p, g, rules):
    """The ring is full: move half of it (128, from the head) plus g to the global queue.

    Returns how many Gs went to the global queue (129 with Go's rule, 1 without).
    """
    moved = 0
    if rules & RULE_OVERFLOW_HALF:
        n = runq_len(pst, p) // 2
        h = pst[p, PF_HEAD]
        gq_choose_put(sched, runq[p, h & RUNQ_MASK])  # one batch, one place
        for i in range(n):
            gq_put(sched, gt, runq[p, (h + i) & RUNQ_MASK])
        pst[p, PF_HEAD] = h + n
        moved = n
    else:
        gq_choose_put(sched, g)
    gq_put(sched, gt, g)
    return moved + 1


@helper
def runqput(sched, gt, pst, runq, p, g, next_, rules):
    """runqput(pp, gp, next): returns the number of Gs that overflowed to the global queue.

    With next, g takes runnext and the G it displaces ("kicked out") goes to the ring's tail.
    """
    if next_ and (rules & RULE_RUNNEXT):
        old = pst[p, PF_RUNNEXT]
        pst[p, PF_RUNNEXT] = g
        if old < 0:
            return 0
        g = old
    if (mech(sched) & MECH_MIGRATION_AVOID) and runq_len(pst, p) > sched[S_MOS_KEEP_LOCAL]:
        # migration-avoid (seed 3.1): past a quarter of the ring, keep g local unless this P
        # is itself loaded past the ratio: then it migrates (to the global queue)
        n = pst.shape[0]
        if p_load(pst, p) * n * 1_000_000 > sched[S_MOS_RATIO_PPM] * loads_total(pst):
            gq_put1(sched, gt, g)
            sched[S_MOS_PUTS] += 1
            return 1
    if runq_len(pst, p) < RUNQ_SIZE:
        runqput_tail(pst, runq, p, g)
        return 0
    return runqputslow(sched, gt, pst, runq, p, g, rules)


@hot_helper
def runqget(pst, runq, p, rules):
    """runqget: runnext first (inheriting the time slice), else the ring's head.

    Returns (g, inherit_time); g = -1 when both are empty.
    """
    nx = pst[p, PF_RUNNEXT]
    if nx >= 0:
        pst[p, PF_RUNNEXT] = -1
        return nx, (rules & RULE_RUNNEXT_INHERIT) != 0
    h = pst[p, PF_HEAD]
    if h == pst[p, PF_TAIL]:
        return -1, False
    g = runq[p, h & RUNQ_MASK]
    pst[p, PF_HEAD] = h + 1
    return g, False


@hot_helper
def steal_count(n, rules):
    """runqgrab's n - n/2: the ceiling of half the victim's ring (1 with the rule off)."""
    if n <= 0:
        return 0
    if rules & RULE_STEAL_HALF:
        return n - n // 2
    return 1


@inline_helper
def runqsteal(pst, runq, p, victim, rules):
    """runqsteal's ring part: grab ceil(half) of victim's ring from its head into p's ring.

    Returns (g, n): the last grabbed G (which runs next) and how many were taken; the other
    n - 1 are published on p's ring. g = -1 when the victim's ring is empty.
    """
    n = steal_count(runq_len(pst, victim), rules)
    if n == 0:
        return -1, 0
    vh = pst[victim, PF_HEAD]
    for i in range(n - 1):
        runqput_tail(pst, runq, p, runq[victim, (vh + i) & RUNQ_MASK])
    g = runq[victim, (vh + n - 1) & RUNQ_MASK]
    pst[victim, PF_HEAD] = vh + n
    return g, n


@helper
def may_spin(sched, gomaxprocs, spinning, rules):
    """findRunnable's guard before stealWork: mp.spinning || 2*nmspinning < gomaxprocs-npidle."""
    if spinning:
        return True
    if not (rules & RULE_SPIN_CAP):
        return True
    return 2 * sched[S_NMSPINNING] < gomaxprocs - sched[S_NPIDLE]


@helper
def p_is_idle(pst, p):
    return pst[p, PF_PHASE] == PH_IDLE
