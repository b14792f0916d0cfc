"""A compile-time fix for numba's ``inline="always"``: the same machine code, about a fifth
less compile.

numba inlines a function declared ``inline="always"`` in the untyped pass ``InlineInlinables``:
at every call site ``InlineWorker.inline_function`` builds the callee's IR afresh from its
bytecode (``run_untyped_passes``) and hands it to ``InlineWorker.inline_ir``, which first
deep-copies it block by block, twice (once to mutate, once to return an unmutated copy that
its only caller, ``InlineInlinables._do_work``, throws away). Each block's deep copy also
copies the whole variable scope its variables point to, so a copy costs blocks x variables:
quadratic in the callee's size. This is numba's issue #8989 ("Spurious deep copies in
inlining", open when checked; PR #9245 fixed a smaller part of it). In gmplab's general kernel
the copies were about a quarter of the compile (a cProfile of a cold build of the plain
kernel: 151 s of 557 s under the profiler).

The fix: ``inline_function`` gives ``inline_ir`` the IR it has just built and owns with the
copies skipped (numba's module-level ``copy`` swapped, for the duration of that one call, for
one whose ``deepcopy`` returns its argument: ``copy_ir`` is the only use of ``copy`` in
``numba.core.inline_closurecall``). Nothing else holds that IR, so there is nothing to
protect; all its blocks keep sharing one scope, as a function's blocks do before the copy.

What it changes: the compile's time, not its result. Measured on the kernel (a cold build of
the plain kernel, numba 0.68.1): 224 s without against 179 s with the fix, side by side, and
the LLVM IR of every one of the kernel's 191 compiled signatures identical (``@.bytes.N``
constant names aside: they come from Python's salted string hash, and differ between any two
processes). ``tests/test_numba_inline_fix.py`` compares the LLVM IR with and without it on
nested inlined functions in every default run, and on the whole kernel in the slow set.

It applies only to the numba functions it was checked against: the sources of
``InlineWorker.inline_function``, ``InlineWorker.inline_ir`` and
``InlineInlinables._do_work`` must hash to the values below (numba 0.68.1, the pinned
version). Against any other source it does nothing (``status()`` says why) and compiles are
numba's own, slower. ``GMPLAB_NUMBA_INLINE_FIX=0`` in the environment turns it off.
"""

from __future__ import annotations

import copy as _copy
import hashlib
import inspect
import threading

from gmplab.errors import env_switch

ENV = "GMPLAB_NUMBA_INLINE_FIX"

# sha256 of inspect.getsource() of the functions the fix relies on, in numba 0.68.1
# (InlineWorker's inline_function and inline_ir, InlineInlinables' _do_work)
_KNOWN_SOURCES = {
    "inline_function": "1b53f183258e659da3c7dd47a5cd6dfb342016a03e20a079fb24f469d7c6d1e1",
    "inline_ir": "26fd2b7600c9d9295c925c2dd4d498929ef6ae43c09bf285298255527da5362b",
    "_do_work": "5e0a1f246f0fcb5d5e2b2ee7b55cf17255f75fa694d83c926a422ba07f36a6bd",
}

_lock = threading.Lock()
_status: str | None = None  # "applied", or why not; None before apply() ran


class _OwnedIR:
    """``copy`` as ``inline_ir`` sees it while it inlines an IR that nothing else holds."""

    copy = staticmethod(_copy.copy)

    @staticmethod
    def deepcopy(x, memo=None):
        return x


def enabled() -> bool:
    """Whether the environment allows the fix (``GMPLAB_NUMBA_INLINE_FIX``: unset or 1 yes, 0
    no)."""
    return env_switch(ENV)


def _source_hash(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()


def _mismatches(icc, untyped) -> list[str]:
    found = {
        "inline_function": icc.InlineWorker.inline_function,
        "inline_ir": icc.InlineWorker.inline_ir,
        "_do_work": untyped.InlineInlinables._do_work,
    }
    return [k for k, f in found.items() if _source_hash(f) != _KNOWN_SOURCES[k]]


def apply() -> str:
    """Install the fix once per process (before anything compiles); returns ``status()``."""
    global _status
    with _lock:
        if _status is not None:
            return _status
        if not enabled():
            _status = f"off ({ENV}=0)"
            return _status
        import numba
        import numba.core.inline_closurecall as icc
        from numba.core import untyped_passes

        try:
            bad = _mismatches(icc, untyped_passes)
        except (OSError, TypeError) as e:  # no source to read (a frozen or stripped install)
            bad = [f"source not readable: {e}"]
        if bad:
            _status = (
                f"not applied: numba {numba.__version__} differs from the version the fix was "
                f"checked against (0.68.1) in {', '.join(bad)}"
            )
            return _status

        def inline_function(self, caller_ir, block, i, function, arg_typs=None):
            # numba's inline_function, with inline_ir's two deep copies of the IR skipped:
            # run_untyped_passes has just built it, for this call site only
            callee_ir = self.run_untyped_passes(function)
            freevars = function.__code__.co_freevars
            saved = icc.copy
            icc.copy = _OwnedIR
            try:
                return self.inline_ir(caller_ir, block, i, callee_ir, freevars, arg_typs=arg_typs)
            finally:
                icc.copy = saved

        icc.InlineWorker.inline_function = inline_function
        _status = "applied"
        return _status


def status() -> str:
    """``applied``; ``off (...)``; ``not applied: ...`` (why); or ``not yet`` before apply()."""
    return _status if _status is not None else "not yet"
