"""The server's start-up, called once per process by the page frame (never at import).

It caps glibc's malloc arenas (many script threads), freezes the heap of the imports out of the
per-run garbage collection, and starts the engine's worker processes in the background, so that
they are ready by the first run that needs them.
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
    return True


def started() -> bool:
    return _started
