"""The kernel's two builds: the full one, and a plain one for runs that use no optional model.

Every optional model of the general kernel (the garbage collector, the OS layer under the Ms,
SMT, the designs' mechanisms, Go's latency sampling) is switched on and off by run-time values,
and those tests cost the plain ``go`` model about 14-23% while every model is off (measured
against this module's plain build: README, Speed). So the same sources are compiled twice, as a
C++ template would be instantiated twice:

* the full build, ``gmplab._kernel`` (``consts.FEATURES`` is True), runs everything;
* the plain build, the very same files loaded a second time as the package
  ``gmplab._kernel_plain``, where ``consts.FEATURES`` is False: every test of an optional model
  is a constant, so numba and LLVM drop the code behind it.

``simulate.run_once`` sends a run to the plain build when it uses none of those models
(``optional_models_used`` is empty); its results are the full build's, bit for bit
(tests/test_kernel_builds.py). ``GMPLAB_PLAIN_BUILD=0`` in the environment sends every run to
the full build instead.

numba's on-disk cache keys a function by its file and name, and checks it against the kernel's
sources (gmplab/_numba_cache_stamp.py), not against the globals it read, so the
plain build keeps its own cache directory (``plain_cache_dir``): a subfolder of
``NUMBA_CACHE_DIR`` when that is set, else of the kernel's ``__pycache__`` when it is writable,
else of the user's cache folder. Compiling costs about as long as the full build (3-4 min on
the 2-core reference machine), so ``simulate.ensure_compiled`` compiles it in a subprocess on
another core while the full build compiles in this process, unless a stamp says the cache is
already there (the stamp only skips that subprocess: a stale one costs a compile, never a wrong
result).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numba
from numba.core import config as numba_config

from . import _numba_cache_stamp
from ._kernel import consts as kc
from .errors import env_switch

PLAIN_PACKAGE = "gmplab._kernel_plain"
_KERNEL_DIR = Path(__file__).parent / "_kernel"
_lock = threading.Lock()


_unavailable: list[str] = []  # why this process cannot load the plain build (then: full only)


def enabled() -> bool:
    """Whether runs may go to the plain build (``GMPLAB_PLAIN_BUILD=0`` says no; so does a
    plain build this process could not load, see ``load_or_disable``)."""
    return env_switch("GMPLAB_PLAIN_BUILD") and not _unavailable


def load_or_disable():
    """plain_loop(), or None with a warning when its cache folder cannot be written: every run
    of this process then goes to the full build (slower for plain runs, the same results)."""
    try:
        return plain_loop()
    except OSError as e:
        _unavailable.append(str(e))
        warnings.warn(
            f"gmplab: the plain kernel build is off in this process ({e}); plain runs use the "
            "full build (the same results, slower)",
            RuntimeWarning,
            stacklevel=2,
        )
        return None


def optional_models_used(arrays: dict) -> list[str]:
    """The optional models a run's arrays switch on, by the parameter that does it (the plain
    build takes a run only when this is empty)."""
    ip, sched = arrays["iparams"], arrays["sched"]
    used = {
        "gc": ip[kc.I_GC] != 0,
        "latency_sampling": ip[kc.I_SAMPLING] != 0,
        "gomaxprocs / cpu_quota_ms (the OS layer)": sched[kc.S_OS_MODE] != kc.OS_OFF,
        "smt_factor": sched[kc.S_SMT_PPM] != 0,
        "mechanisms": sched[kc.S_MECH] != 0,
    }
    return [k for k, v in used.items() if v]


def plain_cache_dir() -> Path:
    """Where the plain build's numba cache lives (see the module's docstring)."""
    if numba_config.CACHE_DIR:
        return Path(numba_config.CACHE_DIR) / "gmplab-plain"
    in_tree = _KERNEL_DIR / "__pycache__"
    if _writable(in_tree):
        return in_tree / "gmplab-plain"
    from numba.misc.appdirs import AppDirs

    return Path(AppDirs(appname="numba", appauthor=False).user_cache_dir) / "gmplab-plain"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".gmplab-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def _numba_cache_at(folder: Path):
    """numba decorators applied inside this block cache into folder and nowhere else (a
    fallback to the in-tree cache would mix the builds)."""
    old = numba_config.CACHE_DIR, numba_config.CACHE_LOCATOR_CLASSES
    numba_config.CACHE_DIR = str(folder)
    # the kernel's files by the folder-stamped locator (gmplab/_numba_cache_stamp.py), anything
    # else by numba's own; both into folder
    numba_config.CACHE_LOCATOR_CLASSES = (
        f"{_numba_cache_stamp.USER_PROVIDED_PATH},UserProvidedCacheLocator"
    )
    try:
        yield
    finally:
        numba_config.CACHE_DIR, numba_config.CACHE_LOCATOR_CLASSES = old


def plain_loop():
    """The plain build's ``loop`` module (imported once per process; compiles on first call)."""
    name = PLAIN_PACKAGE + ".loop"
    if name in sys.modules:
        return sys.modules[name]
    with _lock:
        if name in sys.modules:
            return sys.modules[name]
        folder = plain_cache_dir()
        if not _writable(folder):
            raise OSError(f"the plain kernel build's cache folder {folder} is not writable")
        init = _KERNEL_DIR / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            PLAIN_PACKAGE, init, submodule_search_locations=[str(_KERNEL_DIR)]
        )
        pkg = importlib.util.module_from_spec(spec)
        sys.modules[PLAIN_PACKAGE] = pkg
        try:
            spec.loader.exec_module(pkg)
            with _numba_cache_at(folder):
                loop = importlib.import_module(name)
        except BaseException:
            for k in [k for k in sys.modules if k.startswith(PLAIN_PACKAGE)]:
                del sys.modules[k]
            raise
        if loop.FEATURES:
            raise RuntimeError("the plain kernel build was loaded with its optional models on")
        return loop


def _stamp(kernel_version: str) -> Path:
    tag = f"{kernel_version}-numba{numba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    return plain_cache_dir() / f"ready-{tag}"


def start_background_compile(kernel_version: str) -> subprocess.Popen | None:
    """Compile the plain build in a subprocess (another core) unless its cache is stamped ready
    for these sources; None when there is nothing to do."""
    if not enabled() or PLAIN_PACKAGE + ".loop" in sys.modules:
        return None
    try:
        if _stamp(kernel_version).exists():
            return None
    except OSError:
        return None
    cmd = [sys.executable, "-c", "from gmplab.simulate import compile_plain_build as c; c()"]
    try:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def finish_background_compile(proc: subprocess.Popen | None) -> None:
    """Wait for start_background_compile's subprocess (its failure only means this process
    compiles the plain build itself)."""
    if proc is not None:
        proc.wait()


@contextlib.contextmanager
def compile_lock():
    """One compile of the plain build at a time per cache folder: processes that start cold
    together (a pool's workers, a notebook beside the tests) wait for the first one's cache
    rather than compile it again."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock, at worst a second compile
        yield
        return
    path = plain_cache_dir() / ".compile.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def mark_ready(kernel_version: str) -> None:
    with contextlib.suppress(OSError):
        _stamp(kernel_version).touch()
