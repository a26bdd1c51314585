"""Process-wide tuning of the server, done once when the app's modules are first imported."""

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
    """The C library, loaded once (``release_free_memory`` runs at the end of every rerun)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``), at the end of a
    script run: a run's temporary arrays and DataFrames are freed, but glibc keeps the pages,
    and the resident memory of a server shared by a class only grew (``benchmarks/LOAD.md``).
    About a millisecond. Returns whether it ran (glibc only)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (the same as ``MALLOC_ARENA_MAX``, set from inside the process,
    where a host such as Community Cloud gives no say over the environment).

    Every script thread that allocates while another holds an arena gets an arena of its own
    (up to 8 per core), and freed memory stays scattered over them: with 30 sessions the
    server's resident memory peaked at 698 MB, 628 MB with two arenas (``benchmarks/LOAD.md``).
    Returns whether the cap was set (glibc only; elsewhere nothing changes)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, int(arenas)))


def freeze_imported_heap() -> bool:
    """Move every object alive now to the garbage collector's permanent generation, if modules
    were imported since the last time (the first call always freezes). Returns whether it froze.

    Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``,
    on by default, which keeps memory bounded). A full collection walks every tracked object:
    after the imports (Streamlit, Altair and its schema, pandas, scipy) about 150 000 of them,
    0.1 s of CPU per rerun, found as 15% of the server's time under a class's load by py-spy
    (``benchmarks/LOAD.md``). These objects (modules, classes, schemas) live as long as the
    process anyway; frozen, collections skip them (``gc.freeze``), and the per-run collection
    still frees each run's garbage.

    Called when the app's modules are first imported, and again at the end of every run: the
    first runs of the pages import more (Streamlit's elements, pyarrow, parts of pandas: 550
    modules, 30 000 objects, 20 ms a collection, a fifth of the server's time again at 30
    sessions). A run that imported nothing, as every run does once the pages have been
    opened, costs a length check. What is frozen is collected first, so no garbage is kept;
    objects another session's run holds at that moment are frozen with the rest, and are
    still freed by reference counting when it drops them (only cycles among them would stay:
    a few times per server, at the first runs)."""
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
