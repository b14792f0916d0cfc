"""The kernel's generator is buffered (rng.py): every draw must be the one the unbuffered
generator gives, in order, whatever mix of draws a run takes, across many fills. Checked
against the buffer switched off (RNG_DIRECT) and against xoshiro256+ written out in Python
with libm's log."""

import math

import numpy as np
import pytest
from numba import njit

from gmplab._kernel import rng as R
from gmplab._kernel.consts import DIST_EXP, DIST_LOGNORMAL


@njit(cache=False)
def _draws(s, kinds):
    out = np.empty(kinds.shape[0], dtype=np.float64)
    for j in range(kinds.shape[0]):
        k = kinds[j]
        if k == 0:
            out[j] = np.float64(R.next_u64(s) >> np.uint64(11))
        elif k == 1:
            out[j] = R.uniform(s)
        elif k == 2:
            out[j] = R.uniform_open(s)
        elif k == 3:
            out[j] = R.log_uniform_open(s)
        elif k == 4:
            out[j] = R.below(s, 64)
        elif k == 5:
            out[j] = R.cheaprand32(s)
        elif k == 6:
            out[j] = R.draw_service_ns(s, DIST_EXP, 10_000.0, 0.0, 0.0, 0.0)
        else:
            out[j] = R.draw_service_ns(s, DIST_LOGNORMAL, 10_000.0, 9.0, 0.8, 0.0)
    return out


def _xoshiro(st):
    m = (1 << 64) - 1
    s0, s1, s2, s3 = (int(v) for v in st)
    while True:
        r = (s0 + s3) & m
        t = (s1 << 17) & m
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & m
        yield r


def _reference(st, kinds):
    gen = _xoshiro(st)

    def uni():
        return (next(gen) >> 11) * 2.0**-53

    out = []
    for k in kinds:
        if k == 0:
            out.append(float(next(gen) >> 11))
        elif k == 1:
            out.append(uni())
        elif k == 2:
            out.append(1.0 - uni())
        elif k == 3:
            out.append(math.log(1.0 - uni()))
        elif k == 4:
            out.append(float(int(uni() * 64)))
        elif k == 5:
            out.append(float(next(gen) >> 32))
        elif k == 6:
            v = -math.log(1.0 - uni()) * 10_000.0
            out.append(float(max(int(v + 0.5), 1)))
        else:
            u1 = 1.0 - uni()
            u2 = uni()
            z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
            v = math.exp(9.0 + 0.8 * z)
            out.append(float(max(int(v + 0.5), 1)))
    return np.array(out)


@pytest.mark.parametrize("mix", ["logs", "mixed", "no-logs"])
def test_buffered_draws_are_the_generators_in_order(mix):
    g = np.random.default_rng(len(mix))
    n = 20_000  # about 300 fills
    if mix == "logs":
        kinds = np.where(g.random(n) < 0.9, 3, 6)
    elif mix == "mixed":
        kinds = g.integers(0, 8, n)
    else:
        kinds = g.choice([0, 1, 2, 4, 5], n)
    kinds = kinds.astype(np.int64)
    s = R.seed_state(np.random.SeedSequence(11))
    assert s.shape == (R.RNG_LEN,) and s[R.RNG_NEXT] == R.RNG_BUF  # empty buffer
    direct = s.copy()
    direct[R.RNG_NEXT] = R.RNG_DIRECT
    got = _draws(s, kinds)
    want = _draws(direct, kinds)
    assert got.tobytes() == want.tobytes()
    ref = _reference(R.seed_state(np.random.SeedSequence(11))[:4], kinds)
    assert got.tobytes() == ref.tobytes()
    # the direct state stepped once per output; the buffer's is ahead, by what is unread
    assert direct[R.RNG_NEXT] == R.RNG_DIRECT
    assert 0 < s[R.RNG_NEXT] <= R.RNG_BUF


def test_draws_continue_across_calls_and_fills():
    """A state handed from one call to the next (as the event loop's returns to grow the
    goroutine table hand it) continues the stream: the buffer's unread draws come first."""
    kinds = np.full(1000, 3, dtype=np.int64)
    whole = _draws(R.seed_state(np.random.SeedSequence(5)), kinds)
    s = R.seed_state(np.random.SeedSequence(5))
    parts = [_draws(s, kinds[a:b]) for a, b in ((0, 7), (7, 64), (64, 65), (65, 1000))]
    assert np.concatenate(parts).tobytes() == whole.tobytes()
