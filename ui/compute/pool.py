"""Engine jobs in worker processes: the machine's other cores, and a deadline on every job.

A Streamlit server runs every session's script in a thread of one Python process, under one
interpreter lock: it computes on one core. The engine's jobs go to worker processes
(``ui.compute.worker``, started with ``subprocess`` as ``python -m ui.compute.worker``: a
fresh interpreter with numpy and the engine only, which never runs a page), and the script
thread waits for the answer without holding the lock.

* A job is sent to an idle worker. With every worker busy, a cheap job (its estimated cost
  under ``CHEAP`` seconds: an ordinary view) is computed in the calling thread at once, so a
  heavy view never holds up another student's ordinary one; a heavy job waits for a worker,
  at most ``WAIT`` seconds, and is then refused with a message.
* Every job sent to a worker has a deadline: past it the worker is killed, a new one started,
  and the job refused with ``JobStopped`` (a ``ValueError``: the page says so).
* A worker's memory is bounded (``worker._limit_memory``: a job that needs more is refused), and
  a worker left large by a job is replaced, which returns its memory to the system.
* A job that fails in a worker (the worker died: out of memory, killed; or the job raised
  something other than the engine's ``ValueError``) is tried once more in another worker (the
  one it failed in is replaced), never in the calling thread, where it would have no deadline
  and no memory bound in the process that serves every student; failing twice, it is refused
  with ``JobFailed`` (a ``ValueError``: the page says so). Workers that cannot start at all (a
  host that forbids processes) are given up after ``MAX_FAILURES`` failed starts in a row:
  every job is then computed in the calling thread, as on a single core.
* Nothing is shared between sessions: a job's input and its result cross the process
  boundary as copies.

``OPTLAB_ENGINE_WORKERS`` sets how many workers (``0``: every job in the script thread); by
default one per core beyond the first, at most ``MAX_WORKERS``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import Client
from pathlib import Path
from typing import Any

from .worker import run_job

ENV = "OPTLAB_ENGINE_WORKERS"
MAX_WORKERS = 2
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # s for a worker to import numpy and the engine (about 0.5 s)
CHEAP = 0.25  # s of estimated work: computed in the calling thread when every worker is busy
WAIT = 15.0  # s a heavy job waits for a busy worker before it is refused
DEFAULT_DEADLINE = 60.0  # s, for a job sent without one
RECYCLE_BYTES = 300_000_000  # a worker resident above this after a job is replaced (its memory returned)
_log = logging.getLogger(__name__)


class JobStopped(ValueError):
    """A job ran past its deadline and was stopped."""


class ServerBusy(ValueError):
    """Every worker stayed busy with other heavy jobs for longer than ``WAIT``."""


class JobFailed(ValueError):
    """A job failed in a worker twice (the worker died, or the job raised a bug)."""


def worker_count(env: str | None = None, cores: int | None = None) -> int:
    """How many worker processes: ``OPTLAB_ENGINE_WORKERS`` if it is a whole number from 0 to
    ``MAX_WORKERS``, else one per core beyond the first, at most ``MAX_WORKERS``."""
    env = os.environ.get(ENV) if env is None else env
    if env is not None and env.strip().isdigit() and int(env) <= MAX_WORKERS:
        return int(env)
    if env is not None:
        _log.warning("%s=%r is not a whole number from 0 to %d: using the default", ENV, env, MAX_WORKERS)
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(cores - 1, MAX_WORKERS))


class Worker:
    """One worker process and its connection (used by one thread at a time)."""

    def __init__(self) -> None:
        folder = tempfile.mkdtemp(prefix="optlab-worker-")
        address, key = os.path.join(folder, "socket"), secrets.token_bytes(32)
        # One BLAS thread: a worker is one core's worth of computing.
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen([sys.executable, "-m", "ui.compute.worker"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        self.conn = None
        try:
            self.proc.stdin.write(f"{address}\n{key.hex()}\n".encode())
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT)
            if not ready or self.proc.stdout.readline().strip() != b"ready":
                raise OSError(f"the engine worker did not start (exit status {self.proc.poll()})")
            self.conn = Client(address, family="AF_UNIX", authkey=key)
        except BaseException:
            self.kill()
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def resident(self) -> int:
        """Resident bytes (Linux; 0 where it cannot be read)."""
        try:
            with open(f"/proc/{self.pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def call(self, kind: str, payload: Any, timeout: float) -> tuple[str, Any]:
        """Send a job and wait for its answer; ``TimeoutError`` past ``timeout``, ``EOFError`` or
        ``OSError`` if the worker died."""
        self.conn.send((kind, payload))
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for stream in (self.conn, self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class EnginePool:
    """Worker processes, started by ``start`` (in the background) or on first use."""

    MAX_FAILURES = 3

    def __init__(self, workers: int | None = None) -> None:
        self.size = worker_count() if workers is None else workers
        self._idle: list[Worker] = []
        self._live = 0  # workers started or starting
        self._ready = 0  # workers started (idle or busy)
        self._cond = threading.Condition()
        self.failures = 0  # tries of a job that failed in a worker (each is retried once, then refused)
        self.stopped = 0  # jobs stopped at their deadline
        self.ran_here_busy = 0  # cheap jobs computed in the calling thread because every worker was busy
        self.recycled = 0  # workers replaced after a job left them large
        self._failed_in_a_row = 0  # failed starts since a worker last started (under ``_cond``)

    # -- workers ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the missing workers, each in a background thread (a worker takes about half a
        second to import numpy and the engine)."""
        with self._cond:
            missing = max(self.size - self._live, 0)
            self._live += missing
        for _ in range(missing):
            threading.Thread(target=self._spawn, name="engine-worker-start", daemon=True).start()

    def _spawn(self) -> None:
        try:
            worker = Worker()
        except (OSError, ValueError) as err:  # no processes allowed, no such executable...
            with self._cond:
                self._live -= 1
                self._failed_in_a_row += 1
                if self._failed_in_a_row >= self.MAX_FAILURES and self.size > 0:
                    _log.warning("engine workers failed %d times in a row (%s): jobs stay in the script thread",
                                 self._failed_in_a_row, err)
                    self.size = 0
                self._cond.notify_all()
            if self.size > 0:
                self.start()
            return
        with self._cond:
            self._idle.append(worker)
            self._ready += 1
            self._failed_in_a_row = 0
            self._cond.notify_all()

    def _count(self, name: str) -> None:
        with self._cond:
            setattr(self, name, getattr(self, name) + 1)

    def _retire(self, worker: Worker) -> None:
        worker.kill()
        with self._cond:
            self._live -= 1
            self._ready -= 1
        self.start()

    def _take(self, cost: float, here_ok: bool = True) -> Worker | None:
        """An idle worker, or None to compute here (a cheap job while every worker is busy, if
        ``here_ok``; no worker at all, the pool having given up on them)."""
        self.start()
        with self._cond:
            if not self._idle and ((here_ok and cost <= CHEAP) or self.size <= 0):
                return None
            wait = WAIT if self._ready else START_TIMEOUT  # no worker up yet: they are starting
            if not self._cond.wait_for(lambda: self._idle or self.size <= 0, timeout=wait):
                raise ServerBusy("the server is busy computing other heavy views; try again in a moment, "
                                 "or lower the settings")
            return self._idle.pop() if self._idle else None

    def _give_back(self, worker: Worker) -> None:
        with self._cond:
            self._idle.append(worker)
            self._cond.notify()

    # -- jobs ---------------------------------------------------------------------------------

    def run(self, kind: str, payload: Any, cost: float = 0.0, deadline: float | None = None) -> Any:
        """Compute ``run_job(kind, payload)`` in a worker, or here (see the module docstring).
        ``cost``: the job's estimated seconds; ``deadline``: the seconds it may take in a worker.
        The job's own ``ValueError`` (bad input) is raised here as it is."""
        if self.size <= 0:
            return run_job(kind, payload)
        worker = self._take(cost)
        if worker is None:
            self._count("ran_here_busy")
            return run_job(kind, payload)
        limit = DEFAULT_DEADLINE if deadline is None else deadline
        for tries in (1, 2):
            status, value = self._call(worker, kind, payload, limit)
            if status == "ok":
                return value
            if status == "error":
                raise ValueError(value)
            self._count("failures")
            if tries == 2:
                break
            _log.warning("an engine job failed in a worker (%s): tried once more in another worker", value)
            worker = self._take(cost, here_ok=False)  # waits for one: never computed in this thread
            if worker is None:
                break
        _log.warning("an engine job failed in a worker twice (%s): refused", value)
        raise JobFailed("its computation failed twice in the server's engine workers (a worker stopped, ran "
                        "out of memory or hit an error) and was not tried again: lower the steps, seeds or sizes")

    def _call(self, worker: Worker, kind: str, payload: Any, limit: float) -> tuple[str, Any]:
        """One try of a job in ``worker``, which is then given back, replaced (it died, ran past
        ``limit`` or failed the job) or recycled (left large): ``("ok", result)``, ``("error",
        message)`` (the engine's ``ValueError``) or ``("fail", why)``."""
        try:
            status, value = worker.call(kind, payload, limit)
        except TimeoutError:
            self._retire(worker)
            self._count("stopped")
            raise JobStopped(f"it was still computing after {limit:.0f} s, longer than a shared server "
                             "allows, and was stopped: lower the steps, seeds or sizes") from None
        except (EOFError, OSError, ValueError) as err:  # the worker died (or its connection broke)
            self._retire(worker)
            return "fail", f"the worker stopped: {type(err).__name__}"
        if status == "fail":  # a bug in the job: the next try gets a fresh process
            self._retire(worker)
        elif worker.resident() > RECYCLE_BYTES:  # a big job left it large: a fresh worker instead
            self._retire(worker)
            self._count("recycled")
        else:
            self._give_back(worker)
        return status, value

    def pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in self._idle]

    def shutdown(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._ready -= len(idle)
        for worker in idle:
            worker.kill()
