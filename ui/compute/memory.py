"""Process-wide memory tuning of the server and its engine workers (glibc and the GC).

Nothing here runs at import: ``ui.compute.startup.start`` calls ``limit_malloc_arenas`` and
``freeze_imported_heap`` once, the page frame calls ``freeze_imported_heap`` and
``release_free_memory`` at the end of every run, and a worker calls ``release_free_memory``
after every job. Measurements: ``benchmarks/LOAD.md``.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
import threading

_frozen_modules = 0  # len(sys.modules) at the last freeze
_freeze_lock = threading.Lock()
_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``): glibc keeps the
    pages of freed arrays and DataFrames, and a shared server's resident memory would only grow.
    Returns whether it ran (glibc only)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (``MALLOC_ARENA_MAX`` from inside the process, where a host gives
    no say over the environment): every script thread would otherwise get an arena of its own,
    and freed memory stays scattered over them. Returns whether the cap was set (glibc only)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, int(arenas)))


def freeze_imported_heap() -> bool:
    """Move every object alive now to the garbage collector's permanent generation, if modules
    were imported since the last time (the first call always freezes). Returns whether it froze.

    Streamlit runs a full collection after every script run, which walks every tracked object;
    the modules, classes and schemas of the imports live as long as the process, so frozen they
    are skipped, while each run's garbage is still freed. What is frozen is collected first, so
    no garbage is kept; objects another session's run holds at that moment are frozen too and
    still freed by reference counting when it drops them."""
    global _frozen_modules
    if len(sys.modules) <= _frozen_modules:
        return False
    with _freeze_lock:
        if len(sys.modules) <= _frozen_modules:
            return False
        _frozen_modules = len(sys.modules)
        gc.collect()
        gc.freeze()
    return True
