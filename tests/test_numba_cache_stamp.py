"""gmplab/_numba_cache_stamp.py: a cached kernel function is compiled afresh when any kernel file
changes, not only its own; numba's own check would run a caller's stale copy of an edited
callee."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from numba.core.registry import CPUDispatcher

from gmplab import _numba_cache_stamp as stamp
from gmplab import kernel_builds

ROOT = Path(__file__).resolve().parents[1]
KERNEL_DIR = ROOT / "gmplab" / "_kernel"

# a callee in one file, inlined by LLVM into a cached caller in another (as the kernel's
# hot helpers are into the event loop)
CALLEE = textwrap.dedent(
    """
    from numba import njit

    @njit(cache=True, forceinline=True)
    def value(x):
        return x + {value}
    """
)
CALLER = textwrap.dedent(
    """
    from numba import njit
    from .callee import value

    @njit(cache=True)
    def call(x):
        return value(x) * 2
    """
)
RUN = textwrap.dedent(
    """
    import importlib.util
    import sys
    from pathlib import Path
    # the module alone, without gmplab's package (which imports the kernel: seconds)
    spec = importlib.util.spec_from_file_location("_numba_cache_stamp", sys.argv[3])
    _numba_cache_stamp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(_numba_cache_stamp)
    if sys.argv[2] == "stamp":
        _numba_cache_stamp.apply()
        _numba_cache_stamp.cover(Path(sys.argv[1]) / "pkg")
    sys.path.insert(0, sys.argv[1])
    from pkg.caller import call
    print(call(1), sum(call.stats.cache_hits.values()))
    """
)


def _run(tmp: Path, mode: str, cache_dir: Path | None) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp), mode, stamp.__file__],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    value, hits = out.stdout.split()
    return int(value), int(hits)  # how many signatures came from the cache


def _package(tmp: Path, value: int) -> None:
    pkg = tmp / "pkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "caller.py").write_text(CALLER)
    (pkg / "callee.py").write_text(CALLEE.format(value=value))


@pytest.mark.parametrize("where", ["NUMBA_CACHE_DIR", "__pycache__"])
def test_edited_callee_recompiles_its_cached_caller(tmp_path, where):
    cache_dir = tmp_path / "numba-cache" if where == "NUMBA_CACHE_DIR" else None
    _package(tmp_path, 10)
    assert _run(tmp_path, "stamp", cache_dir) == (22, 0)  # compiled
    assert _run(tmp_path, "stamp", cache_dir) == (22, 1)  # loaded from the cache
    _package(tmp_path, 20)  # only the callee's file changes
    assert _run(tmp_path, "stamp", cache_dir) == (42, 0)  # compiled again, the new callee
    assert _run(tmp_path, "stamp", cache_dir) == (42, 1)


def test_control_numba_alone_runs_the_stale_callee(tmp_path):
    """Why the stamp exists: with numba's own locators the caller's cache entry survives an
    edit of its callee's file, and the old callee runs. (Should numba start tracking callees'
    files, this fails, and the stamp can go.)"""
    cache_dir = tmp_path / "numba-cache"
    _package(tmp_path, 10)
    assert _run(tmp_path, "numba", cache_dir) == (22, 0)
    _package(tmp_path, 20)
    assert _run(tmp_path, "numba", cache_dir) == (22, 1)  # stale: the callee now adds 20


def test_folder_stamp_follows_content_and_names_not_mtimes(tmp_path):
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 1\n")
    (tmp_path / "notes.txt").write_text("not a source\n")
    s0 = stamp.folder_stamp(tmp_path)
    os.utime(tmp_path / "a.py", ns=(1, 1))  # touched, not changed
    assert stamp.folder_stamp(tmp_path) == s0
    (tmp_path / "notes.txt").write_text("changed, but not a .py file\n")
    assert stamp.folder_stamp(tmp_path) == s0
    (tmp_path / "b.py").write_text("B = 2\n")  # same size, new content
    s1 = stamp.folder_stamp(tmp_path)
    assert s1 != s0
    (tmp_path / "b.py").rename(tmp_path / "c.py")  # same contents, another name
    assert stamp.folder_stamp(tmp_path) not in (s0, s1)
    (tmp_path / "d.py").write_text("")  # a new empty file
    s2 = stamp.folder_stamp(tmp_path)
    (tmp_path / "d.py").unlink()
    assert stamp.folder_stamp(tmp_path) != s2


def test_every_cached_kernel_function_is_stamped_by_the_whole_kernel():
    """Both builds: every cached dispatcher of the kernel's modules has a folder-stamped
    locator (the plain build's in its own cache folder), and one stamp: all kernel files."""
    import gmplab._kernel.central  # noqa: F401
    import gmplab._kernel.loop  # noqa: F401

    plain = kernel_builds.plain_loop()  # imports only: nothing compiles here
    assert plain is not None
    want = ("gmplab-folder-stamp", stamp.folder_stamp(KERNEL_DIR))
    seen = {"_kernel": 0, "_kernel_plain": 0}
    for name, mod in list(sys.modules.items()):
        build = name.split(".")[1] if name.startswith("gmplab._kernel") else None
        if build not in seen or name.count(".") != 2:
            continue
        for v in vars(mod).values():
            if not (isinstance(v, CPUDispatcher) and v.__module__ == name):
                continue
            impl = getattr(v._cache, "_impl", None)
            if impl is None:  # not cached (ix)
                continue
            loc = impl.locator
            assert isinstance(loc, stamp.LOCATORS), (name, v.py_func.__name__, type(loc))
            assert loc.get_source_stamp() == want
            if build == "_kernel_plain":
                assert isinstance(loc, stamp.FolderUserProvidedCacheLocator)
                assert str(kernel_builds.plain_cache_dir()) in loc.get_cache_path()
            seen[build] += 1
    assert seen["_kernel"] > 100 and seen["_kernel_plain"] > 100, seen


def test_functions_outside_covered_folders_keep_numbas_locators(tmp_path):
    src = tmp_path / "elsewhere.py"
    src.write_text("def f():\n    return 1\n")
    ns: dict = {}
    exec(compile(src.read_text(), str(src), "exec"), ns)
    assert not stamp.covered(src)
    assert all(cls.from_function(ns["f"], str(src)) is None for cls in stamp.LOCATORS)
    assert stamp.covered(KERNEL_DIR / "loop.py")
