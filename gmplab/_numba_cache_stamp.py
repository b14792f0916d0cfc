"""numba's on-disk cache for the kernel, checked against every kernel source file, not only the
function's own.

numba keys a cached function by its own file: the index it writes beside the compiled code
holds a hash of that one file, and a cache entry stays valid while that hash matches. A
compiled function, though, carries its callees' code inside it: numba links each callee's
LLVM module into its caller's, and the kernel's helpers are inlined into the event loop (by
numba for ``inline_helper``, by LLVM for ``hot_helper``). So after an edit to ``runq.py``
alone, the cached ``_event_loop`` of an unchanged ``loop.py`` still counts as fresh and runs
the old queue code: old results, silently, until something touches ``loop.py``. (numba's pull
requests #8396 and #9563 proposed stamping a function by its callees' files too; in the pinned
0.68.1 the index still holds only the function's own file's hash: ``numba/core/caching.py``,
``_load_index``.)

The fix: the kernel's functions are cached by locators that stamp an entry with a hash of every
``.py`` file in the kernel's folder (its names and contents). An edit anywhere in the kernel
then makes every kernel function's cache entry stale, and each compiles afresh once, as
``simulate.kernel_version()`` (this same hash, recorded with every result) already assumes.
Where the cache lives does not change: the locators are numba's own (``NUMBA_CACHE_DIR``, then
the kernel's ``__pycache__``, then the user's cache folder), with only the stamp replaced.

``cover(folder)`` names a folder whose functions get the stamp (the kernel's ``jit.py`` covers
its own folder); numba's own locators still serve every other function. ``apply()`` puts the
locators at the front of numba's list once per process, before anything is decorated. A
``NUMBA_CACHE_LOCATOR_CLASSES`` set in the environment replaces numba's list, and with it this
fix (numba then stamps by each function's own file again).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading

from numba.core import caching

_lock = threading.Lock()
_covered: set[str] = set()  # absolute folders whose functions are stamped by the whole folder


def cover(folder) -> None:
    """Stamp the cache entries of every function defined in folder's ``.py`` files with the
    whole folder's sources (see the module's docstring)."""
    with _lock:
        _covered.add(os.path.abspath(os.fspath(folder)))


def covered(py_file) -> bool:
    """Whether a function defined in py_file gets the whole folder's stamp."""
    return os.path.dirname(os.path.abspath(py_file)) in _covered


@functools.lru_cache(maxsize=64)
def _hash_folder(folder: str, listing: tuple) -> str:
    # listing (name, mtime_ns, size) keys the memo only, as numba's own _hash_source_file does:
    # a file edited while the process runs is hashed again
    h = hashlib.sha256()
    for name, _, _ in listing:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def folder_stamp(folder) -> str:
    """sha256 of a folder's ``.py`` files, by name and content, in name order."""
    folder = os.path.abspath(os.fspath(folder))
    listing = []
    with os.scandir(folder) as it:
        for e in it:
            if e.name.endswith(".py") and e.is_file():
                st = e.stat()
                listing.append((e.name, st.st_mtime_ns, st.st_size))
    return _hash_folder(folder, tuple(sorted(listing)))


class _FolderStamped:
    """Mixin for numba's file-backed locators: claims only functions in a covered folder, and
    stamps them with the folder's sources instead of their own file's."""

    def get_source_stamp(self):
        folder = os.path.dirname(os.path.abspath(self._py_file))
        return ("gmplab-folder-stamp", folder_stamp(folder))

    @classmethod
    def from_function(cls, py_func, py_file):
        if not covered(py_file):
            return None
        return super().from_function(py_func, py_file)


class FolderUserProvidedCacheLocator(_FolderStamped, caching.UserProvidedCacheLocator):
    """numba's ``NUMBA_CACHE_DIR`` locator, stamped by the whole folder."""


class FolderInTreeCacheLocator(_FolderStamped, caching.InTreeCacheLocator):
    """numba's ``__pycache__`` locator, stamped by the whole folder."""


class FolderUserWideCacheLocator(_FolderStamped, caching.UserWideCacheLocator):
    """numba's user-wide cache folder locator, stamped by the whole folder."""


LOCATORS = (FolderUserProvidedCacheLocator, FolderInTreeCacheLocator, FolderUserWideCacheLocator)
# for numba's CACHE_LOCATOR_CLASSES where a caller pins NUMBA_CACHE_DIR (the plain build)
USER_PROVIDED_PATH = f"{__name__}.{FolderUserProvidedCacheLocator.__name__}"


def apply() -> None:
    """Put the folder-stamped locators first in numba's list of locators (once per process)."""
    with _lock:
        classes = caching.CacheImpl._locator_classes
        if classes[: len(LOCATORS)] != list(LOCATORS):
            classes[0:0] = list(LOCATORS)
