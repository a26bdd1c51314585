"""An engine worker: a separate Python process that computes the dashboard's engine jobs.

Started by ``ui.compute.pool`` as ``python -m ui.compute.worker``: a fresh interpreter that
imports numpy and the engine only (no Streamlit, pandas or Altair), so it never runs a page and
stays small. It reads the address of its connection and the connection's key from its standard
input, listens there, and answers jobs one at a time: ``(kind, payload)`` in, ``("ok", result)``,
``("error", message)`` (the engine's ``ValueError``: bad input; or more memory than its ceiling,
for the job or for sending its result) or ``("fail", message)`` (a bug) out.

It exits when its server does: the server holds the other end of its standard input, and a
closed standard input (the server exited, or was killed outright) ends the worker.

``run_job`` is also what the server calls to compute a job itself (``pool.EnginePool``), so a
job gives the same result wherever it runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from multiprocessing.connection import Listener
from typing import Any

import numpy as np

from engine import replay, simulate
from engine.baselines import scipy_path
from engine.landscape import landscape
from engine.objectives import get_objective

from .memory import release_free_memory


def run_job(kind: str, payload: Any) -> Any:
    """One job: ``simulate`` a ``RunSpec``, ``replay`` gradients, a scipy baseline path, a network's
    loss landscape."""
    if kind == "simulate":
        return simulate(payload)
    if kind == "replay":
        optimizer, grads, start, hyper, record_state = payload
        return replay(optimizer, np.asarray(grads), np.asarray(start), return_trace=True,
                      record_state=record_state, **dict(hyper))
    if kind == "baseline":
        objective, options, method, start, max_iter = payload
        return scipy_path(get_objective(objective, **dict(options)), method, start, max_iter)
    if kind == "landscape":
        options, paths, grid, line_points = payload
        return landscape(get_objective("network", **dict(options)).network, paths, grid, line_points=line_points)
    if kind == "modules":  # what this process has imported (the tests check it stays small)
        return sorted(m for m in sys.modules if m.split(".")[0] in payload)
    if kind == "ping":
        return os.getpid()
    raise ValueError(f"unknown job {kind!r}")


def _exit_when_the_server_goes() -> None:
    sys.stdin.read()  # returns at end of file: the server closed its end, or is gone
    os._exit(0)


def _limit_memory() -> None:
    """A ceiling on the worker's address space (``OPTLAB_WORKER_MAX_BYTES`` on top of what it has
    mapped at start-up): a job that would need more gets a ``MemoryError``, answered as a refusal,
    instead of taking the server's memory."""
    import resource

    extra = int(os.environ.get("OPTLAB_WORKER_MAX_BYTES", 700_000_000))
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + extra
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


TOO_BIG = "this view needs more memory than the server allows for one computation"
WORKER_OBJECTIVE_BYTES = 40_000_000  # data of the objectives a worker keeps built (one large data set)


def main() -> None:
    with contextlib.suppress(OSError, ValueError, ImportError):  # not on every system
        _limit_memory()
    # Each worker would keep its own 100 MB of built data sets (the server's cache is separate):
    # two workers each holding three 32 MB sparse problems took the tree past 700 MB.
    import engine.objectives

    engine.objectives.MAX_BUILT_BYTES = WORKER_OBJECTIVE_BYTES
    address = sys.stdin.readline().strip()
    key = bytes.fromhex(sys.stdin.readline().strip())
    threading.Thread(target=_exit_when_the_server_goes, name="exit-with-server", daemon=True).start()
    listener = Listener(address, family="AF_UNIX", authkey=key)
    print("ready", flush=True)
    conn = listener.accept()
    with contextlib.suppress(OSError):  # the server may already have removed the socket's folder
        listener.close()
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            answer = ("ok", run_job(kind, payload))
        except ValueError as err:
            answer = ("error", str(err))
        except MemoryError:
            answer = ("error", TOO_BIG)
        except Exception as err:  # a bug: the server tries the job once more, in a fresh worker
            answer = ("fail", f"{type(err).__name__}: {err}")
        try:
            try:
                conn.send(answer)
            except MemoryError:  # the result fitted the ceiling, its pickled copy did not
                del answer
                answer = ("error", TOO_BIG)
                conn.send(answer)
        except (OSError, ValueError):
            os._exit(0)
        del answer
        release_free_memory()


if __name__ == "__main__":
    main()
