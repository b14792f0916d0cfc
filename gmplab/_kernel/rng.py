"""Inline RNG for the kernel: xoshiro256+ seeded from numpy's SeedSequence, plus the draws.

The state is a uint64[4] array owned by the caller; draws are only taken when a feature needs
them, so switching a feature off leaves every other draw (and so every result) unchanged.
"""

import numpy as np

from .consts import DIST_BIMODAL, DIST_CONST, DIST_EXP, DIST_LOGNORMAL, DIST_PARETO
from .jit import hot_helper, inline_helper
from .logfn import log_open

_TWO_POW_M53 = 1.0 / 9007199254740992.0


@hot_helper
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@hot_helper
def next_u64(s):
    """xoshiro256+ (Blackman and Vigna): the top 53 bits are used for doubles."""
    result = s[0] + s[3]
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@hot_helper
def uniform(s):
    """A double in [0, 1)."""
    return np.float64(next_u64(s) >> np.uint64(11)) * _TWO_POW_M53


@hot_helper
def uniform_open(s):
    """A double in (0, 1]: safe for log()."""
    return 1.0 - uniform(s)


@hot_helper
def below(s, n):
    """An int in [0, n) (multiply-high of 53 random bits; bias below 2**-40 for n < 2**13)."""
    return np.int64(uniform(s) * n)


@hot_helper
def cheaprand32(s):
    """A uint32 as Go's cheaprand() gives to stealOrder.start."""
    return np.int64(next_u64(s) >> np.uint64(32))


@inline_helper
def draw_service_ns(s, dist, mean_ns, a, b, p):
    """One service time in ns (at least 1) from a distribution given by mean and SCV.

    exp: mean; const: mean; lognormal: a = mu, b = sigma of log; bimodal: a with prob p, else b;
    pareto: a = x_min, b = shape alpha (> 2, so the variance is finite).
    """
    if dist == DIST_CONST:
        v = mean_ns
    elif dist == DIST_EXP:
        v = -log_open(uniform_open(s)) * mean_ns
    elif dist == DIST_LOGNORMAL:
        u1 = uniform_open(s)
        u2 = uniform(s)
        z = np.sqrt(-2.0 * log_open(u1)) * np.cos(2.0 * np.pi * u2)
        v = np.exp(a + b * z)
    elif dist == DIST_BIMODAL:
        v = a if uniform(s) < p else b
    elif dist == DIST_PARETO:
        v = a * uniform_open(s) ** (-1.0 / b)
    else:
        v = mean_ns
    r = np.int64(v + 0.5)
    return r if r >= 1 else np.int64(1)


def seed_state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """A fresh xoshiro256+ state from a SeedSequence (never all zero)."""
    st = seed_sequence.generate_state(4, dtype=np.uint64)
    if not st.any():
        st[0] = np.uint64(0x9E3779B97F4A7C15)
    return st.astype(np.uint64)
