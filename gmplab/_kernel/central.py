"""The ``central`` policy's event loop on its own: the general kernel's results, faster.

``central`` is the ideal reference of every comparison: one FCFS queue, any idle P takes the
next goroutine at once, no cost charged anywhere (M/M/c, M/G/c with a program of one CPU
phase). The general event loop (``loop.run_kernel``) runs it too, but pays for being general:
one dispatch over every actor and phase, a heap over every actor (sysmon, the netpoller, the
collector, syscall Ms...), the goroutine table, and numba's calling convention for each helper
that takes its twenty arrays. ``run_central`` is the same model written for what ``central``
uses: a heap over the Ps and the arrival stream only, the goroutines in a FIFO ring (the
queue) and per-P slots (the one each P runs), the bookkeeping written into the loop.

It is not an approximation: for every run in its domain it produces the general kernel's
results bit for bit: the same events in the same order (the heap is keyed by the same (time,
sequence) pairs, and each event takes its sequence numbers in the general kernel's order),
the same random draws in the same order, the same counters, histograms, batch statistics and
per-P schedticks. ``tests/test_central_fastpath.py`` holds it to that over a grid of
configurations (every arrival process it takes, several service distributions, warm-up, 1 to
128 Ps, max_live reached).

Its domain (``fastpath_ok``): the ``central`` policy with no trace, no snapshots, no invariant
checks, Go's latency sampling off, no GC, no residents (hogs, pairs, pool workers), no OS layer
(GOMAXPROCS within the cores, no quota), no SMT, no design mechanisms, open-loop or burst
arrivals (not closed loop), and a program of one CPU phase. Anything else runs in the general
kernel. ``GMPLAB_GENERAL_KERNEL=1`` in the environment sends every run there (the tests use it
to compare).
"""

import numpy as np
from numba import njit

from .consts import (
    ARR_BURST,
    ARR_CLOSED,
    ARR_CONST,
    ARR_POISSON,
    DIST_CONST,
    DIST_EXP,
    F_INTERARRIVAL_NS,
    G_ARRIVAL,
    HP_SEQ,
    I_ARRIVALS,
    I_CHECK,
    I_EVENTS_MAX,
    I_GC,
    I_GOROUTINES,
    I_HOGS,
    I_MAX_LIVE,
    I_PAIRS,
    I_POLICY,
    I_POOL_WORKERS,
    I_SAMPLING,
    I_SNAPSHOT_NS,
    I_WARMUP_N,
    INF_NS,
    K_COMPLETED,
    K_COMPLETED_SEQ_SUM,
    K_CPU_ARRIVALS,
    K_CREATED,
    K_END_NS,
    K_EVENTS,
    K_MAX_LIVE_SEEN,
    K_MEASURED,
    K_MIGRATE_PUTS,
    K_NEWM,
    K_SCHEDLAT_COUNT,
    K_SCHEDLAT_SUM,
    K_SCHEDULE_COUNT,
    K_SCHEDULE_SUM,
    K_SOJOURN_SUM,
    K_T_IDLE,
    K_T_OSWAIT,
    K_T_RUN,
    K_T_SCHED,
    K_T_SPIN,
    K_T_SYSCALL,
    K_T_WAKE,
    K_WAKEUPS,
    K_WINDOW_NS,
    OS_OFF,
    PF_PHASE,
    PF_PHASE_SINCE,
    PF_RUN_START,
    PF_SCHED_START,
    PF_SCHEDTICK,
    PF_SLICE_START,
    PF_SPEED,
    PF_T_IDLE,
    PF_T_OSWAIT,
    PF_T_RUN,
    PF_T_SCHED,
    PF_T_SPIN,
    PF_T_SYSCALL,
    PF_T_WAKE,
    PF_WORK_T,
    PH_EXEC,
    PH_IDLE,
    PH_RUN,
    PHASE_CPU,
    PHASE_END,
    POLICY_CENTRAL,
    PR_DIST,
    PR_KIND,
    PR_MEAN,
    S_ARRIVED,
    S_COMPLETED,
    S_GHW,
    S_INV_CODE,
    S_LIVE,
    S_MCOUNT,
    S_MECH,
    S_MOS_PUTS,
    S_NEXT_M_ID,
    S_NMIDLE,
    S_NOW,
    S_NPIDLE,
    S_OS_MODE,
    S_RUNQ_SIZE,
    S_SEQ,
    S_SMT_PPM,
    S_WINDOW_END,
    S_WINDOW_START,
    SPEED_FULL,
    ST_EVENTS_MAX,
    ST_INVARIANT,
    ST_MAX_LIVE,
    ST_OK,
    ST_STRANDED,
)
from .hist import go_index, hdr_index
from .jit import ix
from .loop import _account_cpu, account, draw_phase, next_arrival
from .rng import log_uniform_open

# the queued goroutines' ring (one row each): what the general kernel keeps in its table
Q_ARRIVAL = 0  # GF_ARRIVAL: the intended arrival time (0 in a burst)
Q_REMAINING = 1  # GF_REMAINING: its CPU work (ns)
Q_SEQ = 2  # GF_SEQ: its arrival index
Q_SINCE = 3  # GF_RUNNABLE_SINCE: when it became runnable
N_Q = 4
RING_INITIAL_CAP = 1024  # rows before the first doubling


def fastpath_ok(arrays: dict) -> bool:
    """Whether a run's arrays (simulate._allocate's) are in run_central's domain."""
    ip = arrays["iparams"]
    sched = arrays["sched"]
    prog = arrays["prog"]
    return bool(
        ip[I_POLICY] == POLICY_CENTRAL
        and ip[I_GC] == 0
        and ip[I_CHECK] == 0
        and ip[I_SNAPSHOT_NS] == 0
        and ip[I_SAMPLING] == 0
        and ip[I_HOGS] == 0
        and ip[I_PAIRS] == 0
        and ip[I_POOL_WORKERS] == 0
        and ip[I_ARRIVALS] != ARR_CLOSED
        and arrays["trace"].shape[0] == 0
        and sched[S_OS_MODE] == OS_OFF
        and sched[S_SMT_PPM] == 0
        and sched[S_MECH] == 0
        and sched[S_NPIDLE] == arrays["pst"].shape[0]
        and sched[S_LIVE] == 0
        and (arrays["pst"][:, PF_SPEED] == SPEED_FULL).all()
        and prog.shape[0] == 2
        and int(prog[0, PR_KIND]) == PHASE_CPU
        and int(prog[1, PR_KIND]) == PHASE_END
    )


@njit(inline="always")
def _sift_down(heap, pos, kt, ks, n, a, t, sa, i):
    """Slot a, with the key (t, sa), goes into the hole at heap index i and moves down."""
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        r = c + 1
        if r < n:
            tr = kt[ix(r)]
            tl = kt[ix(c)]
            # the smaller child without a branch: c + 1 when the right one is smaller
            c += np.int64((tr < tl) | ((tr == tl) & (ks[ix(r)] < ks[ix(c)])))
        tc = kt[ix(c)]
        if tc < t or (tc == t and ks[ix(c)] < sa):
            kt[ix(i)] = tc
            ks[ix(i)] = ks[ix(c)]
            b = heap[ix(c)]
            heap[ix(i)] = b
            pos[ix(b)] = i
            i = c
        else:
            break
    kt[ix(i)] = t
    ks[ix(i)] = sa
    heap[ix(i)] = a
    pos[ix(a)] = i


@njit(inline="always")
def _sift_up(heap, pos, kt, ks, a, t, sa, i):
    """Slot a, with the key (t, sa) no larger than its old one, goes into the hole at heap
    index i (its own) and moves up."""
    while i > 0:
        parent = (i - 1) >> 1
        tp = kt[ix(parent)]
        if tp > t or (tp == t and ks[ix(parent)] > sa):
            kt[ix(i)] = tp
            ks[ix(i)] = ks[ix(parent)]
            b = heap[ix(parent)]
            heap[ix(i)] = b
            pos[ix(b)] = i
            i = parent
        else:
            break
    kt[ix(i)] = t
    ks[ix(i)] = sa
    heap[ix(i)] = a
    pos[ix(a)] = i


# the Ps' fields the loop uses, one compact row each (written back into pst at the end)
(
    V_PHASE,
    V_PHASE_SINCE,
    V_SCHED_START,
    V_RUN_START,
    V_WORK_T,
    V_SCHEDTICK,
    V_SLICE_START,
    V_T_IDLE,
    V_T_SCHED,
    V_T_RUN,
    N_V,
) = range(11)
V_PF = (
    PF_PHASE,
    PF_PHASE_SINCE,
    PF_SCHED_START,
    PF_RUN_START,
    PF_WORK_T,
    PF_SCHEDTICK,
    PF_SLICE_START,
    PF_T_IDLE,
    PF_T_SCHED,
    PF_T_RUN,
)


@njit(inline="always")
def _account_pv(pv, i, col, now, w0, w1):
    """loop.account on a P's compact row (i = p * N_V): the time since its last phase change,
    clipped to the measurement window [w0, w1], goes to column col."""
    ps = pv[ix(i + V_PHASE_SINCE)]
    lo = ps if ps > w0 else w0
    hi = now if now < w1 else w1
    if hi > lo:
        pv[ix(i + col)] += hi - lo
    if now > ps:
        pv[ix(i + V_PHASE_SINCE)] = now


# the loop's state between calls of _central_loop (it returns when the queue's ring is full,
# so that the allocation lives in run_central and the loop runs without reference counting)
(
    X_SEQC,
    X_QH,
    X_QN,
    X_LIVE,
    X_MAXLIVE,
    X_ARRIVED,
    X_COMPLETED,
    X_NPIDLE,
    X_NMIDLE,
    X_W0,
    X_W1,
    X_EVENTS,
    X_WAKEUPS,
    X_NEWM,
    X_SEQ_SUM,
    X_MEASURED,
    X_SOJ_SUM,
    X_SCHED_SUM,
    X_SCHED_COUNT,
    X_LAT_SUM,
    X_LAT_COUNT,
    X_CPU,
    X_MM_STATE,
    X_SEG,
    X_NOW,
    N_X,
) = range(26)
XF_ARR_NEXT, XF_SEG_END, N_XF = range(3)
RING_FULL = -1  # _central_loop's status when it needs a larger ring


@njit(cache=True, nogil=True, _nrt=False)
def _central_loop(
    iparams,
    fparams,
    rng,
    sched,
    pv,
    pidle,
    h_sojourn,
    h_schedlat,
    h_schedule,
    batch_count,
    batch_sum,
    batch_hist,
    done_bitmap,
    prog,
    emp,
    rsched,
    kt,
    ks,
    heap,
    pos,
    cv,
    rv,
    x,
    xf,
):
    """The event loop of run_central, from the state in x and xf (and rng) until the run ends,
    fails, or the ring is full (RING_FULL); the state goes back into x, xf and rng."""
    NP = pidle.shape[0]
    A = NP
    n_act = NP + 1
    n_goroutines = iparams[I_GOROUTINES]
    warm_n = iparams[I_WARMUP_N]
    arrivals = iparams[I_ARRIVALS]
    max_live = iparams[I_MAX_LIVE]
    events_max = iparams[I_EVENTS_MAX]
    ia_mean = fparams[F_INTERARRIVAL_NS]
    burst = arrivals == ARR_BURST
    svc_dist = np.int64(prog[0, PR_DIST])
    svc_mean = prog[0, PR_MEAN]
    svc_exp = svc_dist == DIST_EXP
    svc_const = svc_dist == DIST_CONST
    const_ns = np.int64(svc_mean + 0.5)
    if const_ns < 1:
        const_ns = 1
    n_bitmap = done_bitmap.shape[0]
    nb = batch_count.shape[0]
    measured_total = n_goroutines - warm_n
    cap = rv.shape[0] // N_Q
    seqc = x[X_SEQC]
    qh = x[X_QH]
    qn = x[X_QN]
    live = x[X_LIVE]
    maxlive_seen = x[X_MAXLIVE]
    arrived = x[X_ARRIVED]
    completed = x[X_COMPLETED]
    npidle = x[X_NPIDLE]
    nmidle = x[X_NMIDLE]
    w0 = x[X_W0]
    w1 = x[X_W1]
    events = x[X_EVENTS]
    n_wakeups = x[X_WAKEUPS]
    n_newm = x[X_NEWM]
    seq_sum = x[X_SEQ_SUM]
    n_measured = x[X_MEASURED]
    soj_sum = x[X_SOJ_SUM]
    sched_sum = x[X_SCHED_SUM]
    sched_count = x[X_SCHED_COUNT]
    n_sd0 = 0  # schedule() durations of 0 ns, added to h_schedule when the loop returns
    lat_sum = x[X_LAT_SUM]
    lat_count = x[X_LAT_COUNT]
    cpu_arrivals = x[X_CPU]
    mm_state = x[X_MM_STATE]
    seg = x[X_SEG]
    now = x[X_NOW]
    arr_next_f = xf[XF_ARR_NEXT]
    seg_end = xf[XF_SEG_END]
    status = ST_OK
    code = 0
    while completed < n_goroutines:
        if qn == cap:
            status = RING_FULL
            break
        a = heap[0]
        t = kt[0]
        if t >= INF_NS:
            status = ST_STRANDED
            break
        events += 1
        if events > events_max:
            status = ST_EVENTS_MAX
            break
        now = t
        code = 0
        xp = -1  # a P whose execute() runs now, as this event or as the very next one
        if a == A:
            # ---- a goroutine arrives: an idle P takes it at once, or it queues ----------------
            if live >= max_live:
                status = ST_MAX_LIVE
                break
            live += 1
            if live > maxlive_seen:
                maxlive_seen = live
            seq = arrived
            intended = np.int64(0) if burst else np.int64(arr_next_f)
            if svc_exp:
                rem = np.int64(-log_uniform_open(rng) * svc_mean + 0.5)
                if rem < 1:
                    rem = 1
            elif svc_const:
                rem = const_ns
            else:
                rem = draw_phase(rng, prog, emp, 0)
            arrived = seq + 1
            if seq == warm_n and not burst:
                w0 = intended
            if seq == n_goroutines - 1 and not burst:
                w1 = intended
            pp = -1
            s_p = 0
            if npidle > 0:
                npidle -= 1
                pp = pidle[ix(npidle)]
                _account_pv(pv, pp * N_V, V_T_IDLE, now, w0, w1)
                # attach_m: an idle M is woken, or one is created (central charges neither)
                if nmidle > 0:
                    nmidle -= 1
                    n_wakeups += 1
                else:
                    sched[S_NEXT_M_ID] += 1
                    sched[S_MCOUNT] += 1
                    n_newm += 1
                cv[ix(pp * N_Q + Q_ARRIVAL)] = intended
                cv[ix(pp * N_Q + Q_REMAINING)] = rem
                cv[ix(pp * N_Q + Q_SEQ)] = seq
                cv[ix(pp * N_Q + Q_SINCE)] = now
                pv[ix(pp * N_V + V_PHASE)] = PH_EXEC
                pv[ix(pp * N_V + V_SCHED_START)] = now
                s_p = seqc  # heap_set(pp, now)'s sequence number
                seqc += 1
            else:
                # globrunqput (the ring has room: checked before the event)
                j = qh + qn
                if j >= cap:
                    j -= cap
                rv[ix(j * N_Q + Q_ARRIVAL)] = intended
                rv[ix(j * N_Q + Q_REMAINING)] = rem
                rv[ix(j * N_Q + Q_SEQ)] = seq
                rv[ix(j * N_Q + Q_SINCE)] = now
                qn += 1
            # the next arrival
            if arrived >= n_goroutines:
                t_new = INF_NS
            elif burst:
                t_new = now
            else:
                if arrivals == ARR_POISSON:
                    arr_next_f += -log_uniform_open(rng) * ia_mean
                elif arrivals == ARR_CONST:
                    arr_next_f += ia_mean
                else:
                    arr_next_f, mm_state, seg, seg_end = next_arrival(
                        rng, arrivals, fparams, rsched, arr_next_f, mm_state, seg, seg_end
                    )
                t_new = np.int64(arr_next_f)
            _sift_down(heap, pos, kt, ks, n_act, A, t_new, seqc, 0)  # A is at the root
            seqc += 1
            if pp >= 0:
                if kt[0] > now:
                    xp = pp  # nothing else is due now: its execute() is the next event
                else:
                    _sift_up(heap, pos, kt, ks, pp, now, s_p, pos[ix(pp)])
        else:
            p = a
            ph = pv[ix(p * N_V + V_PHASE)]
            if ph == PH_EXEC:
                xp = p
                events -= 1  # counted again below
            elif ph == PH_RUN:
                # ---- the G completes; schedule(): the queue's head, or the P parks ---------
                _account_pv(pv, p * N_V, V_T_RUN, now, w0, w1)
                if now - pv[ix(p * N_V + V_WORK_T)] > cv[ix(p * N_Q + Q_REMAINING)]:
                    code = 10
                # _account_cpu: the run's CPU time inside the window
                rs = pv[ix(p * N_V + V_RUN_START)]
                lo = rs if rs > w0 else w0
                hi = now if now < w1 else w1
                if hi > lo:
                    cpu_arrivals += hi - lo
                # _record_completion
                seq = cv[ix(p * N_Q + Q_SEQ)]
                soj = now - cv[ix(p * N_Q + Q_ARRIVAL)]
                completed += 1
                seq_sum += seq
                c2 = 0
                if seq < n_bitmap:
                    if done_bitmap[ix(seq)] != 0:
                        c2 = 8
                    else:
                        done_bitmap[ix(seq)] = 1
                if c2 == 0:
                    if soj < 0:
                        c2 = 1
                    elif seq >= warm_n:
                        n_measured += 1
                        soj_sum += soj
                        h_sojourn[ix(hdr_index(soj))] += 1
                        bi = (seq - warm_n) * nb // measured_total
                        batch_count[ix(bi)] += 1
                        batch_sum[ix(bi)] += soj
                        batch_hist[ix(bi), ix(go_index(soj))] += 1
                if c2 != 0:
                    code = c2
                live -= 1
                pv[ix(p * N_V + V_SCHED_START)] = now
                if qn > 0:
                    # globrunqget: FOUND; its execute() is due at this same instant
                    for f in range(N_Q):
                        cv[ix(p * N_Q + f)] = rv[ix(qh * N_Q + f)]
                    qh += 1
                    if qh == cap:
                        qh = 0
                    qn -= 1
                    pv[ix(p * N_V + V_PHASE)] = PH_EXEC
                    # p is at the root: its execute() is next unless a child is due now too
                    nxt = INF_NS
                    if n_act > 1:
                        nxt = kt[1]
                        if n_act > 2 and kt[2] < nxt:
                            nxt = kt[2]
                    if nxt > now and code == 0:
                        seqc += 1  # heap_set(p, now)'s sequence number
                        xp = p
                    else:
                        _sift_down(heap, pos, kt, ks, n_act, p, now, seqc, 0)
                        seqc += 1
                else:
                    # pidleput, then stopm: the P idles, its M parks
                    pidle[ix(npidle)] = p
                    npidle += 1
                    pv[ix(p * N_V + V_PHASE)] = PH_IDLE
                    _account_pv(pv, p * N_V, V_T_SCHED, now, w0, w1)
                    if now >= w0:
                        n_sd0 += 1
                        sched_count += 1
                    nmidle += 1
                    _sift_down(heap, pos, kt, ks, n_act, p, INF_NS, seqc, 0)
                    seqc += 1
            else:
                code = 9
        if xp >= 0 and code == 0:
            # ---- execute(): the G in hand starts running ---------------------------------------
            events += 1
            if events > events_max:
                status = ST_EVENTS_MAX
                break
            p = xp
            _account_pv(pv, p * N_V, V_T_SCHED, now, w0, w1)
            ss = pv[ix(p * N_V + V_SCHED_START)]
            if ss >= w0:
                sd = now - ss
                if sd == 0:
                    n_sd0 += 1  # central's execute() runs at the instant it was chosen
                else:
                    h_schedule[ix(hdr_index(sd))] += 1
                    sched_sum += sd
                sched_count += 1
            pv[ix(p * N_V + V_SCHEDTICK)] += 1
            pv[ix(p * N_V + V_SLICE_START)] = now
            lat = now - cv[ix(p * N_Q + Q_SINCE)]
            if lat < 0:
                code = 1
            elif cv[ix(p * N_Q + Q_SEQ)] >= warm_n:
                h_schedlat[ix(hdr_index(lat))] += 1
                lat_sum += lat
                lat_count += 1
            pv[ix(p * N_V + V_PHASE)] = PH_RUN
            pv[ix(p * N_V + V_RUN_START)] = now
            pv[ix(p * N_V + V_WORK_T)] = now
            t_new = now + cv[ix(p * N_Q + Q_REMAINING)]
            i = pos[ix(p)]
            if i == 0:
                _sift_down(heap, pos, kt, ks, n_act, p, t_new, seqc, 0)
            else:
                _sift_up(heap, pos, kt, ks, p, t_new, seqc, i)  # its key was (INF_NS, .)
            seqc += 1
        if code != 0:
            sched[S_INV_CODE] = code
            status = ST_INVARIANT
            break

    x[X_SEQC] = seqc
    x[X_QH] = qh
    x[X_QN] = qn
    x[X_LIVE] = live
    x[X_MAXLIVE] = maxlive_seen
    x[X_ARRIVED] = arrived
    x[X_COMPLETED] = completed
    x[X_NPIDLE] = npidle
    x[X_NMIDLE] = nmidle
    x[X_W0] = w0
    x[X_W1] = w1
    x[X_EVENTS] = events
    x[X_WAKEUPS] = n_wakeups
    x[X_NEWM] = n_newm
    x[X_SEQ_SUM] = seq_sum
    x[X_MEASURED] = n_measured
    x[X_SOJ_SUM] = soj_sum
    x[X_SCHED_SUM] = sched_sum
    x[X_SCHED_COUNT] = sched_count
    h_schedule[ix(hdr_index(0))] += n_sd0
    x[X_LAT_SUM] = lat_sum
    x[X_LAT_COUNT] = lat_count
    x[X_CPU] = cpu_arrivals
    x[X_MM_STATE] = mm_state
    x[X_SEG] = seg
    x[X_NOW] = now
    xf[XF_ARR_NEXT] = arr_next_f
    xf[XF_SEG_END] = seg_end
    return status


@njit(cache=True, nogil=True)
def run_central(
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
    """run_kernel's signature and results for a run in fastpath_ok's domain.

    Two shortcuts keep it exact. (1) When a P takes a goroutine (an arrival finds it idle, or
    it finds the queue's head after a completion), the general kernel schedules its
    execute() as an event at the same instant; when no other event is due at that instant,
    that event is the very next one, so it runs here at once (counted, and taking its
    sequence numbers, as the general kernel's would). (2) Exponential service and Poisson gaps take
    their logs from the generator's buffer (rng.log_uniform_open, filled 64 at a time); until
    2026-11-29 this loop kept the generator's state in locals and took each log at the draw,
    and the buffer is about 5% faster (README, Speed: the seventh pass).
    """
    NP = pst.shape[0]
    A = NP  # the arrival stream's slot in this loop's heap (Ps are 0 .. NP-1)
    n_act = NP + 1
    warm_n = iparams[I_WARMUP_N]
    arrivals = iparams[I_ARRIVALS]
    ia_mean = fparams[F_INTERARRIVAL_NS]
    burst = arrivals == ARR_BURST

    # the heap of slots 0 .. NP, keyed (time, seq) like the general kernel's; the keys are
    # kept in heap order (kt, ks at a heap index, as the C program keeps them), so a sift
    # compares children without first looking up which slot sits there
    kt = np.full(n_act, INF_NS, dtype=np.int64)
    ks = np.empty(n_act, dtype=np.int64)
    heap = np.empty(n_act, dtype=np.int64)  # the slot at each heap index
    pos = np.empty(n_act, dtype=np.int64)  # each slot's heap index
    for i in range(n_act):
        ks[i] = hp[HP_SEQ, i]  # all idle (INF_NS), in sequence order: a heap as it stands
        heap[i] = i
        pos[i] = i
    seqc = sched[S_SEQ]

    # the goroutine each P holds (in hand or running)
    cv = np.zeros(NP * N_Q, dtype=np.int64)
    # the global queue: a ring of goroutines
    rv = np.empty(RING_INITIAL_CAP * N_Q, dtype=np.int64)
    # the Ps' fields
    pv = np.empty(NP * N_V, dtype=np.int64)
    for p in range(NP):
        for k in range(N_V):
            pv[p * N_V + k] = pst[p, V_PF[k]]

    maxlive_seen = counters[K_MAX_LIVE_SEEN]
    npidle = sched[S_NPIDLE]
    nmidle = sched[S_NMIDLE]
    w0 = sched[S_WINDOW_START]
    w1 = sched[S_WINDOW_END]
    events = counters[K_EVENTS]
    # the first arrival, drawn as run_kernel draws it
    mm_state = 0
    seg = 0
    seg_end = rsched[0, 0] if rsched.shape[0] > 0 else 0.0
    arr_next_f = 0.0
    if arrivals == ARR_POISSON:
        arr_next_f = -log_uniform_open(rng) * ia_mean
    elif arrivals == ARR_CONST:
        arr_next_f = ia_mean
    elif not burst:
        arr_next_f, mm_state, seg, seg_end = next_arrival(
            rng, arrivals, fparams, rsched, 0.0, mm_state, seg, seg_end
        )
    _sift_up(heap, pos, kt, ks, A, np.int64(0) if burst else np.int64(arr_next_f), seqc, pos[A])
    seqc += 1
    if warm_n == 0 or burst:
        w0 = 0

    x = np.zeros(N_X, dtype=np.int64)
    xf = np.zeros(N_XF, dtype=np.float64)
    x[X_SEQC] = seqc
    x[X_MAXLIVE] = maxlive_seen
    x[X_NPIDLE] = npidle
    x[X_NMIDLE] = nmidle
    x[X_W0] = w0
    x[X_W1] = w1
    x[X_EVENTS] = events
    x[X_MM_STATE] = mm_state
    x[X_SEG] = seg
    x[X_NOW] = sched[S_NOW]
    xf[XF_ARR_NEXT] = arr_next_f
    xf[XF_SEG_END] = seg_end
    while True:
        status = _central_loop(
            iparams,
            fparams,
            rng,
            sched,
            pv,
            pidle,
            h_sojourn,
            h_schedlat,
            h_schedule,
            batch_count,
            batch_sum,
            batch_hist,
            done_bitmap,
            prog,
            emp,
            rsched,
            kt,
            ks,
            heap,
            pos,
            cv,
            rv,
            x,
            xf,
        )
        if status != RING_FULL:
            break
        # the queue outgrew its ring: twice the rows, the queue from row 0
        cap = rv.shape[0] // N_Q
        qh = x[X_QH]
        rv2 = np.empty(2 * cap * N_Q, dtype=np.int64)
        for k in range(cap):
            j = (qh + k) % cap
            for f in range(N_Q):
                rv2[k * N_Q + f] = rv[j * N_Q + f]
        rv = rv2
        x[X_QH] = 0
    for p in range(NP):
        for k in range(N_V):
            pst[p, V_PF[k]] = pv[p * N_V + k]
    seqc = x[X_SEQC]
    qn = x[X_QN]
    live = x[X_LIVE]
    maxlive_seen = x[X_MAXLIVE]
    arrived = x[X_ARRIVED]
    completed = x[X_COMPLETED]
    npidle = x[X_NPIDLE]
    nmidle = x[X_NMIDLE]
    w0 = x[X_W0]
    w1 = x[X_W1]
    events = x[X_EVENTS]
    now = x[X_NOW]

    # the general kernel's state, where the wrapper and its messages read it
    sched[S_NOW] = now
    sched[S_SEQ] = seqc
    sched[S_COMPLETED] = completed
    sched[S_ARRIVED] = arrived
    sched[S_LIVE] = live
    sched[S_GHW] = maxlive_seen
    sched[S_NPIDLE] = npidle
    sched[S_NMIDLE] = nmidle
    sched[S_RUNQ_SIZE] = qn
    sched[S_WINDOW_START] = w0
    counters[K_EVENTS] = events
    counters[K_CREATED] += arrived
    counters[K_COMPLETED] += completed
    counters[K_COMPLETED_SEQ_SUM] += x[X_SEQ_SUM]
    counters[K_MEASURED] += x[X_MEASURED]
    counters[K_SOJOURN_SUM] += x[X_SOJ_SUM]
    counters[K_SCHEDULE_SUM] += x[X_SCHED_SUM]
    counters[K_SCHEDULE_COUNT] += x[X_SCHED_COUNT]
    counters[K_SCHEDLAT_SUM] += x[X_LAT_SUM]
    counters[K_SCHEDLAT_COUNT] += x[X_LAT_COUNT]
    counters[K_WAKEUPS] += x[X_WAKEUPS]
    counters[K_NEWM] += x[X_NEWM]
    counters[K_CPU_ARRIVALS + G_ARRIVAL] += x[X_CPU]
    counters[K_MAX_LIVE_SEEN] = maxlive_seen

    # close the books, as run_kernel does
    end = now
    counters[K_END_NS] = end
    counters[K_MIGRATE_PUTS] = sched[S_MOS_PUTS]
    if w1 > end:
        w1 = end
    sched[S_WINDOW_END] = w1
    for p in range(NP):
        ph = pst[p, PF_PHASE]
        col = PF_T_IDLE if ph == PH_IDLE else PF_T_RUN if ph == PH_RUN else PF_T_SCHED
        account(pst, sched, p, end, col)
        if ph == PH_RUN:
            _account_cpu(sched, counters, G_ARRIVAL, pst[p, PF_RUN_START], end)
        counters[K_T_RUN] += pst[p, PF_T_RUN]
        counters[K_T_SCHED] += pst[p, PF_T_SCHED]
        counters[K_T_SPIN] += pst[p, PF_T_SPIN]
        counters[K_T_WAKE] += pst[p, PF_T_WAKE]
        counters[K_T_IDLE] += pst[p, PF_T_IDLE]
        counters[K_T_SYSCALL] += pst[p, PF_T_SYSCALL]
        counters[K_T_OSWAIT] += pst[p, PF_T_OSWAIT]
    w = w1 - w0
    counters[K_WINDOW_NS] = w if w > 0 else 0
    return status, gt, nph
