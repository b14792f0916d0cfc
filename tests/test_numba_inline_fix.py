"""gmplab/_numba_inline_fix.py: numba's inliner without its redundant copies of the callee's IR
compiles to the same LLVM IR, and is active with the pinned numba.

Each side compiles in its own process with the fix on or off (GMPLAB_NUMBA_INLINE_FIX) and the
same PYTHONHASHSEED, so that even the names numba derives from string hashes agree: the two
LLVM texts must be equal byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gmplab import _numba_inline_fix as fix

ROOT = Path(__file__).resolve().parents[1]

# inlined functions three deep, several call sites each, loops, branches, tuples, a global
NESTED = textwrap.dedent(
    """
    import sys
    import numpy as np
    from numba import njit
    from gmplab import _numba_inline_fix
    print(_numba_inline_fix.apply(), file=sys.stderr)

    K = 7

    @njit(inline="always")
    def leaf(a, i):
        if i < 0:
            return 0
        return a[i % a.shape[0]] * K

    @njit(inline="always")
    def middle(a, n):
        s = 0
        for i in range(n):
            v = leaf(a, i)
            if v > 10:
                s += v
            else:
                s -= leaf(a, i + 1)
        return s, n

    @njit(inline="always")
    def upper(a, n):
        x, m = middle(a, n)
        y, _ = middle(a, m + 1)
        while x > 1000:
            x //= 2
        return x + y

    @njit
    def outer(a, n):
        t = 0
        for k in range(3):
            t += upper(a, n + k)
        if t % 2:
            t += leaf(a, 3)
        return t

    a = np.arange(10, dtype=np.int64)
    print(outer(a, 5))
    print(outer.inspect_llvm(outer.signatures[0]))
    """
)

# the plain kernel, compiled cold into a cache folder of its own; every compiled signature's
# LLVM IR, by function name
KERNEL = textwrap.dedent(
    """
    import sys
    import gmplab.simulate
    from gmplab import _numba_inline_fix, kernel_builds
    from numba.core.registry import CPUDispatcher

    sim = sys.modules["gmplab.simulate"]
    loop = kernel_builds.plain_loop()
    print(_numba_inline_fix.status(), file=sys.stderr)
    sim._call(loop.run_kernel, sim._compile_specs()[0])
    for name in sorted(dir(loop)):
        d = getattr(loop, name)
        if isinstance(d, CPUDispatcher) and d.signatures:
            for sig, text in d.inspect_llvm().items():
                print(f"=== {name} {sig}")
                print(text)
    """
)


def _compile(script: str, on: bool, cache: Path | None = None) -> tuple[str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0", GMPLAB_NUMBA_INLINE_FIX="1" if on else "0")
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr.strip().splitlines()[0]


def test_the_fix_is_active_with_the_pinned_numba(monkeypatch):
    monkeypatch.delenv(fix.ENV, raising=False)
    import gmplab._kernel.jit  # noqa: F401  (applies it)

    assert fix.status() == "applied", (
        f"{fix.status()}: numba's inliner changed; check the fix against the new version "
        "(gmplab/_numba_inline_fix.py) and update the source hashes, or remove it"
    )


def test_nested_inlining_compiles_to_the_same_llvm_ir():
    with ThreadPoolExecutor(2) as pool:
        on, off = pool.map(lambda v: _compile(NESTED, v), (True, False))
    assert on[1] == "applied"
    assert off[1].startswith("off")
    result, llvm = on[0].split("\n", 1)
    assert int(result) > 0
    assert "6middle" not in llvm and "4leaf" not in llvm  # inlined: no calls left to them
    assert on[0] == off[0]


def test_a_bad_switch_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv(fix.ENV, "yes")
    with pytest.raises(ValueError, match="GMPLAB_NUMBA_INLINE_FIX must be 0 or 1"):
        fix.enabled()


@pytest.mark.slow
def test_the_plain_kernel_compiles_to_the_same_llvm_ir(tmp_path):
    with ThreadPoolExecutor(2) as pool:
        on, off = pool.map(
            lambda v: _compile(KERNEL, v, tmp_path / ("on" if v else "off")), (True, False)
        )
    assert on[1] == "applied" and off[1].startswith("off")
    assert on[0].count("=== ") > 100  # every helper the kernel compiled, not just one
    assert on[0] == off[0]
