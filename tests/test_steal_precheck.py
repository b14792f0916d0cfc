"""stealWork's precheck (loop.STEAL_PRECHECK) against the four passes it stands in for.

When no P but the idle ones has a G in its ring or runnext and none has timers to steal,
steal_work answers PARK from one look at each P instead of probing every P four times. It must
give what the passes give: the same outcome and G, the same time the M leaves the scan, the
same probe count, the same order draws (the generator's state and the order kept in the P's
row) and no other change to any array. Here both ways run on the same random states, from
the plain case to states where some P holds work (the precheck must then step aside), on one
NUMA node and on several (each probe's cost depends on the victim's node), with a due timer
and without. Pure Python (``py_func``), so the switch is read at each call."""

import zlib

import numpy as np
import pytest

import gmplab._kernel.consts as kc
from gmplab._kernel import loop
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate


def _state(topology, rng, p_work, p_idle, timers):
    spec = make_spec(policy="go", topology=topology, load=0.9, goroutines=1000, seed=1)
    a = _allocate(spec, seed_state(np.random.SeedSequence(int(rng.integers(1 << 30)))))
    pst, runq = a["pst"], a["runq"]
    n = pst.shape[0]
    g = 0
    for v in range(n):
        pst[v, kc.PF_PHASE] = kc.PH_IDLE if rng.random() < p_idle else kc.PH_RUN
        if rng.random() < p_work:
            k = int(rng.integers(1, 4))
            for _ in range(k):
                runq[v, pst[v, kc.PF_TAIL] & kc.RUNQ_MASK] = g
                pst[v, kc.PF_TAIL] += 1
                g += 1
        if rng.random() < p_work / 2:
            pst[v, kc.PF_RUNNEXT] = g
            g += 1
    p = int(rng.integers(n))
    pst[p, kc.PF_PHASE] = kc.PH_RUN  # the thief: running schedule(), its own queue empty
    pst[p, kc.PF_HEAD] = pst[p, kc.PF_TAIL]
    pst[p, kc.PF_RUNNEXT] = -1
    if timers:
        # a timer on some P, due or not: the passes look at it (a due one is run and its G
        # readied on the thief), the precheck steps aside
        v = int(rng.integers(n))
        gt = a["gt"]
        root = gt.shape[0] - 1  # a free row, as the timer's G
        pst[v, kc.PF_TIMERS_ROOT] = root
        gt[root, kc.GF_TLEFT] = gt[root, kc.GF_TRIGHT] = gt[root, kc.GF_LINK] = -1
        gt[root, kc.GF_READY] = 0 if rng.random() < 0.5 else kc.INF_NS
    return a, p


def _steal(a, p, precheck, monkeypatch, timers):
    monkeypatch.setattr(loop, "STEAL_PRECHECK", precheck)
    iparams = a["iparams"]
    rules = iparams[kc.I_RULES]
    version = (
        max(iparams[kc.I_GO_VERSION], kc.V_TIMERS_ON_PS) if timers else iparams[kc.I_GO_VERSION]
    )
    return loop.steal_work.py_func(
        a["sched"], a["gt"], a["pst"], a["runq"], a["counters"], a["costs"], rules,
        a["rng"], a["coprimes"], a["trace"], version, timers, p, 1_000_000, 1_000_000, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "topology,p_work,p_idle,timers",
    [
        ("1x64", 0.0, 0.1, False),  # the plain case: every scan fails
        ("1x64", 0.0, 0.9, False),
        ("1x7", 0.0, 0.3, False),
        ("1x64", 0.02, 0.1, False),  # sometimes work somewhere: a P's ring or runnext
        ("1x16", 0.3, 0.3, False),
        ("2x8", 0.0, 0.2, False),  # two NUMA nodes: probe costs by the victim's node
        ("4x4", 0.05, 0.2, False),
        ("1x16", 0.0, 0.2, True),  # a timer somewhere: the passes look at it
    ],
)
def test_precheck_gives_what_the_four_passes_give(topology, p_work, p_idle, timers, monkeypatch):
    rng = np.random.default_rng(zlib.crc32(repr((topology, p_work, p_idle, timers)).encode()))
    for _ in range(25):
        a, p = _state(topology, rng, p_work, p_idle, timers)
        b = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in a.items()}
        got = _steal(a, p, True, monkeypatch, timers)
        want = _steal(b, p, False, monkeypatch, timers)
        assert got == want
        for k, v in a.items():
            if isinstance(v, np.ndarray):
                assert np.array_equal(v, b[k]), k


def test_precheck_is_taken_when_nothing_can_be_stolen(monkeypatch):
    # the plain case is the precheck's: no probe runs (runqsteal is never called)
    rng = np.random.default_rng(5)
    a, p = _state("1x64", rng, 0.0, 0.1, False)
    busy = sum(1 for v in range(64) if v != p and a["pst"][v, kc.PF_PHASE] != kc.PH_IDLE)

    def no_probe(*args):
        raise AssertionError("probed")

    monkeypatch.setattr(loop, "runqsteal", no_probe)
    out, g, c = _steal(a, p, True, monkeypatch, False)
    assert (out, g) == (loop.PARK, -1)
    assert a["counters"][kc.K_STEAL_PROBES] == kc.STEAL_TRIES * busy
    assert c == 1_000_000 + kc.STEAL_TRIES * busy * loop.node_cost(a["costs"], kc.CT_PROBE, 0, 0)
