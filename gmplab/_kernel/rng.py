"""Inline RNG for the kernel: xoshiro256+ seeded from numpy's SeedSequence, plus the draws.

The state is a uint64 array of RNG_LEN words owned by the caller; draws are only taken when a
feature needs them, so switching a feature off leaves every other draw (and so every result)
unchanged.

The stream is buffered. ``s[0:4]`` is the xoshiro256+ state, ``s[RNG_NEXT]`` the index of the
next unread draw, ``s[RNG_U:RNG_U + RNG_BUF]`` the next RNG_BUF outputs of the generator and
``s[RNG_LOG:RNG_LOG + RNG_BUF]`` (as float64 bits) the log of each one's ``uniform_open``,
computed when the buffer is filled. Every draw takes the next output in order, so the stream
is the generator's, draw for draw, whatever mix of draws a run takes (tests/test_rng_buffer.py
checks it against xoshiro256+ and libm's log written out in Python). An exponential draw takes
its log from the buffer (``log_uniform_open``) instead of computing it at the draw.

Why: at the draw, a log is one chain of dependent operations (logfn.py), 11% of the `go`
kernel's samples and 16-19% of `central`'s (README, Speed). A fill computes 64 of them at
once, by the table branch only and without a branch, which LLVM vectorises (four lanes), then
redoes the few near 1 (about one in sixteen) by log_open's other branch. Measured in one
process against the loops before (README, Speed, seventh pass): `central` 1.047 times as
fast; `go` 1.031 and 1.004 in two runs, no change the paired runs resolve. A log computed
for an output that another kind of draw takes is wasted; in the default models nearly every
draw is a log.

``s[RNG_NEXT] == RNG_DIRECT`` turns the buffer off: each draw steps the generator itself (the
stream is the same; tests/test_rng_buffer.py uses it as the unbuffered reference).
"""

import numpy as np

from .consts import DIST_BIMODAL, DIST_CONST, DIST_EXP, DIST_LOGNORMAL, DIST_PARETO
from .jit import helper, hot_helper, inline_helper
from .logfn import NEAR1_LO, NEAR1_SPAN, _bits, _from_bits, log_open, log_table

_TWO_POW_M53 = 1.0 / 9007199254740992.0

# draws per fill: a fill's logs overlap in the core; 64 keeps the buffer (1 KiB) in L1 and a
# fill's waste (the logs of outputs other draws take) and its loop overhead small
RNG_BUF = np.uint64(64)
RNG_NEXT = np.uint64(4)
RNG_U = np.uint64(5)
RNG_LOG = RNG_U + RNG_BUF
RNG_LEN = int(RNG_LOG + RNG_BUF)
RNG_DIRECT = RNG_BUF + np.uint64(1)  # the buffer is off: every draw steps s[0:4]


@hot_helper
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@hot_helper
def _step(s):
    """xoshiro256+ (Blackman and Vigna) on s[0:4]: the top 53 bits are used for doubles."""
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
def _open(r):
    """The double in (0, 1] that uniform_open makes of the output r."""
    return 1.0 - np.float64(r >> np.uint64(11)) * _TWO_POW_M53


@helper
def _fill(s):
    """The next RNG_BUF outputs and their uniform_open's logs into the buffer; NEXT to 0."""
    for j in range(RNG_BUF):  # the generator: one chain of dependent steps
        s[RNG_U + j] = _step(s)
    for j in range(RNG_BUF):  # the logs, all by the table branch: independent, vectorised
        s[RNG_LOG + j] = _bits(log_table(_open(s[RNG_U + j])))
    for j in range(RNG_BUF):  # the few near 1 (about 1 in 16) take log_open's other branch
        x = _open(s[RNG_U + j])
        if _bits(x) - NEAR1_LO < NEAR1_SPAN:
            s[RNG_LOG + j] = _bits(log_open(x))
    s[RNG_NEXT] = np.uint64(0)


@hot_helper
def next_u64(s):
    """The generator's next output (from the buffer, filled when empty)."""
    i = s[RNG_NEXT]
    if i >= RNG_BUF:
        if i != RNG_BUF:
            return _step(s)
        _fill(s)
        i = np.uint64(0)
    s[RNG_NEXT] = i + np.uint64(1)
    return s[RNG_U + i]


@hot_helper
def log_uniform_open(s):
    """log(uniform_open(s)), bit for bit, taken from the buffer where the fill computed it."""
    i = s[RNG_NEXT]
    if i >= RNG_BUF:
        if i != RNG_BUF:
            return log_open(_open(_step(s)))
        _fill(s)
        i = np.uint64(0)
    s[RNG_NEXT] = i + np.uint64(1)
    return _from_bits(s[RNG_LOG + i])


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
        v = -log_uniform_open(s) * mean_ns
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
    """A fresh generator from a SeedSequence (its xoshiro256+ state never all zero), with an
    empty buffer."""
    st = seed_sequence.generate_state(4, dtype=np.uint64)
    if not st.any():
        st[0] = np.uint64(0x9E3779B97F4A7C15)
    s = np.zeros(RNG_LEN, dtype=np.uint64)
    s[:4] = st
    s[RNG_NEXT] = RNG_BUF
    return s
