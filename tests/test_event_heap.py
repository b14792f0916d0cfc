"""The event heap (heap_set) against a plain reference: after every change of an actor's event
time, the heap's top is the actor with the least (time, sequence number), positions and actors
are inverse, the keys kept by position are the actors' keys, and every node is below its
children. The order of events rests on this alone: keys are unique (sequence numbers are), so
the least one is the same whatever the layout of the heap."""

import numpy as np
import pytest

import gmplab._kernel.consts as kc
from gmplab._kernel.loop import heap_set
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate


def _arrays(gomaxprocs):
    spec = make_spec(policy="go", topology=f"1x{gomaxprocs}", load=0.9, goroutines=1000, seed=1)
    return _allocate(spec, seed_state(np.random.SeedSequence(1)))


def _check(hp):
    n = hp.shape[1]
    pos, actor = hp[kc.HP_POS], hp[kc.HP_ACTOR]
    assert np.array_equal(actor[pos], np.arange(n))
    key_t, key_s = hp[kc.HP_KT], hp[kc.HP_KS]
    assert np.array_equal(key_t, hp[kc.HP_TIME, actor])
    assert np.array_equal(key_s, hp[kc.HP_SEQ, actor])
    for i in range(1, n):
        parent = (i - 1) // 2
        assert (key_t[parent], key_s[parent]) < (key_t[i], key_s[i])
    keys = list(zip(hp[kc.HP_TIME], hp[kc.HP_SEQ]))
    assert actor[0] == min(range(n), key=keys.__getitem__)


@pytest.mark.parametrize("gomaxprocs", [1, 2, 7, 64])
def test_heap_set_keeps_the_least_key_on_top(gomaxprocs):
    a = _arrays(gomaxprocs)
    hp, sched = a["hp"], a["sched"]
    _check(hp)
    rng = np.random.default_rng(gomaxprocs)
    now = 0
    for step in range(3000):
        # mostly the top actor's event moves later (an event handled), sometimes any actor's
        # moves anywhere from now on, or to "never"; times on a coarse grid, so ties happen
        act = hp[kc.HP_ACTOR, 0] if step % 3 else int(rng.integers(hp.shape[1]))
        if hp[kc.HP_KT, 0] < kc.INF_NS:
            now = max(now, int(hp[kc.HP_KT, 0]))
        t = kc.INF_NS if rng.random() < 0.1 else now + 10 * int(rng.integers(0, 50))
        seq = sched[kc.S_SEQ]
        heap_set(hp, sched, act, t)
        assert (hp[kc.HP_TIME, act], hp[kc.HP_SEQ, act]) == (t, seq)
        _check(hp)
