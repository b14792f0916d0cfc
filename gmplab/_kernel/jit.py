"""The kernel's decorators.

``helper``: every jitted function that does not allocate arrays. It is compiled without NRT
(numba's reference-counting runtime), so a call that passes the kernel's arrays does no atomic
increments and decrements of their reference counts. Measured (issue 13 note): those atomics
were about 40% of the event loop's time once ``run_kernel`` grew past the size where numba's
reference-count pruning gives up. Functions that allocate (``run_kernel``, the table growers)
keep NRT (``njit(cache=True)``). ``inline_helper``: the same, inlined where it is called
(numba's inliner made cheaper to compile by gmplab/_numba_inline_fix.py, applied here before
anything compiles). ``ix``: an array index as unsigned, for the hot loops.

Every cached function of the kernel is checked against all of the kernel's files, not only its
own: a compiled function carries its inlined and linked callees, which numba's own check misses
(gmplab/_numba_cache_stamp.py, covering this folder here, before anything is decorated).
"""

from pathlib import Path

import numpy as np
from numba import njit

from gmplab import _numba_cache_stamp, _numba_inline_fix

_numba_inline_fix.apply()
_numba_cache_stamp.apply()
_numba_cache_stamp.cover(Path(__file__).parent)

helper = njit(cache=True, _nrt=False)
# small helpers on the hot path with few call sites: inlined into their callers at numba's IR
# level (a numba call passes every array as a struct and checks a status on return; lock_at
# as a call cost about 300 ns per goroutine at GOMAXPROCS 1). A helper with many call sites
# gets an inlined twin, inline_helper(f.py_func), used at its hot sites only (README, Speed:
# inlining heap_set, gq_take, _trace and set_phase everywhere made the compile 1.6x).
inline_helper = njit(cache=True, _nrt=False, inline="always")
# small helpers with many call sites (the random draws, the intrusive queues, time accounting,
# sched.lock's cost, the histogram cells): inlined by LLVM (their alwaysinline attribute), not
# by numba. numba links a callee's LLVM module into its caller's, yet LLVM's own inliner had
# left these as calls in the event loop (a line-level profile put samples on their entry
# lines: uniform_open and next_u64 alone about 10% of the kernel's samples); LLVM inlining
# costs no numba re-typing per site (the full build's cold compile +4%) and took 5% off the
# `go` kernel's time (README, Speed: fourth pass).
hot_helper = njit(cache=True, _nrt=False, forceinline=True)


@njit(inline="always")
def ix(i):
    """An array index as unsigned. numba wraps a signed index that might be negative (a shift,
    a reload of the array's length and an add on every access); a hot loop's indices never
    are, and an unsigned index skips the wrap. In central's loop that was about an eighth of
    its time; across the general kernel it measured nothing (README, Speed), so there it goes
    only where the instruction count found a wrap on the hot path: heap_set's sift, the event
    loop's top, a completion's bitmap and batch, FOUND's locked-M test (the wrap is about 3
    instructions; README, Speed: "Counted"; see also nonneg). Only the subscript is unsigned,
    the arithmetic stays int64: numba widens a mix of int64 and uint64 to float64. A negative
    index made unsigned reads far out of bounds instead of wrapping, so ix goes only where the
    index is known to be >= 0."""
    return np.uint64(i)


@njit(inline="always")
def nonneg(i):
    """i with its sign bit cleared: i itself for an i >= 0, now known to LLVM as >= 0. numba
    wraps every subscript by a signed value (ix's docstring); once LLVM knows the value is
    not negative, it folds the wrap away on every later subscript by it, inside inlined
    helpers too, where ix would have to be written at each one. One `and` where the value is
    made (a P's number, the running goroutine's row) against a wrap at each array it indexes.
    Like ix, only where the value is known to be >= 0: a negative one becomes a huge index,
    read far out of bounds, not the wrapped row."""
    return i & 0x7FFFFFFFFFFFFFFF
