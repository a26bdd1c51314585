"""Process-wide tuning of the server, done once when the app's modules are first imported."""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> None:
    """Move every object alive now to the garbage collector's permanent generation.

    Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``,
    on by default, which keeps memory bounded). A full collection walks every tracked object:
    after the imports (Streamlit, Altair and its schema, pandas, scipy) about 150 000 of them,
    0.1 s of CPU per rerun, found as 15% of the server's time under a class's load by py-spy
    (``benchmarks/LOAD.md``). These objects (modules, classes, schemas) live as long as the
    process anyway; frozen, collections skip them (``gc.freeze``), and the per-run collection
    still frees each run's garbage. Once per process: later objects are left to the collector."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
