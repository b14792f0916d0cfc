"""The kernel's own log (gmplab/_kernel/logfn.py) against libm's, bit for bit.

Every exponential draw of the kernel is -log(u) for u in (0, 1]; the kernel once called libm's
log for it and now computes it inline, so every result rests on the two agreeing exactly. The
draws are compared where they come from (the kernel's generator, several seeds), and so are
the inputs nearest to each branch and table edge of the algorithm: the bounds of the interval
near 1, 1 itself, the edges of the 128 table subintervals at every binary exponent a draw can
have, and the inputs the port leaves to libm (zero, negatives, subnormals, infinity, NaN).
Both sides run compiled (numba's np.log is libm's log)."""

import numpy as np
import pytest
from numba import njit

from gmplab._kernel.logfn import _bits, log_open
from gmplab._kernel.rng import seed_state, uniform_open


@njit(cache=False)
def _draws_disagree(state, n):
    bad = 0
    for _ in range(n):
        u = uniform_open(state)
        if _bits(log_open(u)) != _bits(np.log(u)):
            bad += 1
    return bad


@njit(cache=False)
def _disagree(xs):
    out = np.zeros(xs.shape[0], dtype=np.bool_)
    for j in range(xs.shape[0]):
        a = log_open(xs[j])
        b = np.log(xs[j])
        out[j] = _bits(a) != _bits(b) and not (np.isnan(a) and np.isnan(b))
    return out


def _around(bits, k):
    """The 2k + 1 doubles nearest to the given bit pattern (as doubles)."""
    b = np.asarray(bits, dtype=np.uint64).reshape(-1, 1)
    d = np.arange(-k, k + 1, dtype=np.int64).astype(np.uint64)  # wraps: added mod 2**64
    return (b + d).reshape(-1).view(np.float64)


def _assert_agree(xs):
    bad = _disagree(np.ascontiguousarray(xs, dtype=np.float64))
    assert not bad.any(), f"{bad.sum()} of {xs.size} differ, first at {xs[bad][:5]!r}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_draws_agree_with_libm(seed):
    state = seed_state(np.random.SeedSequence(seed))
    assert _draws_disagree(state, 1_000_000) == 0


def test_near_one_branch_edges():
    lo = 0x3FEE000000000000  # 1 - 2**-4: the first input of the branch near 1
    hi = 0x3FF1090000000000  # 1 + 0x1.09p-4: the first input after it
    one = 0x3FF0000000000000
    xs = _around([lo, hi, one], 2000)
    assert log_open(1.0) == 0.0
    _assert_agree(xs)
    # and a spread across the branch
    _assert_agree(np.linspace(0.9375, 1.0, 200_001))


def test_table_edges_at_every_exponent():
    # the table's subintervals: z in [0x1.6p-1, 0x1.6p0) cut in 128 by the top 7 bits of
    # ix - bits(0x1.6p-1); u = 2**k z for every k a draw can take (u >= 2**-53)
    off = 0x3FE6000000000000
    edges = off + (np.arange(128, dtype=np.uint64) << np.uint64(45))
    xs = []
    for k in range(-53, 1):
        shifted = (edges.astype(np.int64) + (k << 52)).astype(np.uint64)
        xs.append(_around(shifted, 3))
    xs = np.concatenate(xs)
    xs = xs[(xs > 0) & (xs <= 1.0)]
    _assert_agree(xs)


def test_smallest_draws_and_the_rest_of_the_line():
    # the smallest u the generator gives, and inputs beyond (0, 1] that go to libm
    specials = np.array(
        [
            2.0**-53,
            2.0**-52,
            3 * 2.0**-53,
            0.0,
            -0.0,
            -1.0,
            np.inf,
            -np.inf,
            np.nan,
            5e-324,
            2.2250738585072014e-308,
            1.5,
            2.0,
            1e300,
            0.5,
        ]
    )
    _assert_agree(specials)
    assert np.isneginf(log_open(0.0)) and np.isnan(log_open(-1.0))
    rng = np.random.default_rng(7)
    _assert_agree(rng.integers(1, 2**53, size=200_000).astype(np.float64) * 2.0**-53)


@pytest.mark.slow
def test_many_draws_agree_with_libm():
    state = seed_state(np.random.SeedSequence(20261128))
    assert _draws_disagree(state, 1_000_000_000) == 0
