"""The server's start-up, called once per process by the page frame (never at import).

It caps glibc's malloc arenas (many script threads), freezes the heap of the imports out of the
per-run garbage collection, starts the engine's worker processes in the background, so that they
are ready by the first run that needs them, and imports what some pages need in the background.
"""

from __future__ import annotations

import threading

from . import memory, runs

_lock = threading.Lock()
_started = False


def start() -> bool:
    """Start the process's machinery once; returns whether this call did it."""
    global _started
    with _lock:
        if _started:
            return False
        _started = True
    memory.limit_malloc_arenas()
    memory.freeze_imported_heap()
    runs.POOL.start()
    threading.Thread(target=_preload, name="preload", daemon=True).start()
    return True


def _preload() -> None:
    """Import now what some pages need at their first visit (scipy's optimisers and special
    functions, pyarrow for tables): a student's first visit of such a page then waits for none
    of it (about a second of imports each)."""
    import pyarrow  # noqa: F401
    import scipy.optimize
    import scipy.special  # noqa: F401


def started() -> bool:
    return _started
