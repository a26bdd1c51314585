"""The engine's runs in a separate process, so that they use the machine's second core.

A Streamlit server runs every session's script in a thread of one Python process, under one
interpreter lock: however many cores the host has, the server computes on one. The engine's
step loop (thousands of small numpy calls, each holding the lock) was a third of that core's
time under a class's load (``benchmarks/LOAD.md``). Here a run is computed in a worker process
instead, and the script thread waits for it without holding the lock, so the other sessions'
reruns go on meanwhile.

* The worker computes exactly what the script thread would (the same code, numpy and inputs):
  the results are bit-identical (``tests/ui/test_workers.py``).
* A worker is a fresh interpreter that imports only numpy and the engine (not Streamlit, Altair
  or pandas): about 40 MB. ``OPTLAB_ENGINE_WORKERS`` sets how many
  (``0``: every run in the script thread); by default one per core beyond the first, at most
  two, and none on a single core, where a worker would only add the cost of sending the data.
* With the workers busy, a run waits in a short queue (two jobs) while they make progress (a
  job started within the last half second); otherwise it is computed in the script thread, as
  every run was before. A burst of students is served by the workers, but one heavy view (up to
  ``compute.MAX_WORK``: seconds) slows the others as it always did instead of holding them all
  in a queue behind it.
* Nothing is shared between sessions: a job's arguments and its result are pickled copies.
* If the workers cannot start (a host without ``/dev/shm``, say) or one dies (out of memory),
  the run is computed in the script thread, and the pool is started afresh for the next one.

This module imports neither Streamlit nor pandas: every worker imports it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import spawn
from typing import Any, TypeVar

import numpy as np

from engine import Trace, get_objective, replay, simulate

from .runtime import release_free_memory

T = TypeVar("T")
ENV = "OPTLAB_ENGINE_WORKERS"
MAX_WORKERS = 2
_log = logging.getLogger(__name__)


def simulate_job(objective: str, objective_options: tuple, optimizer: str, hyper: tuple, steps: int,
                 start: tuple | None, noise: float, seeds: tuple, every: int = 1, record: str = "full",
                 record_state: bool = False, schedule: str = "constant", schedule_options: tuple = (),
                 clip_norm: float | None = None, clip_value: float | None = None,
                 sweep: tuple = ()) -> Trace:
    """``engine.simulate`` on plain arguments (names, numbers, tuples: what a cache key is made
    of, and what crosses a process boundary cheaply). ``sweep`` is ``((name, values), ...)`` of
    hyperparameters given per run, overriding ``hyper``."""
    obj = get_objective(objective, **dict(objective_options))
    kwargs = dict(hyper)
    kwargs.update({k: np.asarray(v) for k, v in sweep})
    return simulate(obj, optimizer, steps, start, noise, np.asarray(seeds, dtype=np.int64),
                    every=every, record=record, record_state=record_state, schedule=schedule,
                    schedule_options=dict(schedule_options), clip_norm=clip_norm,
                    clip_value=clip_value, **kwargs)


def replay_job(optimizer: str, grads: np.ndarray, start: np.ndarray, hyper: tuple,
               record_state: bool = True) -> Trace:
    """``engine.replay`` of ``optimizer`` on given gradients, as a trace."""
    return replay(optimizer, grads, start, return_trace=True, record_state=record_state, **dict(hyper))


def _in_worker(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    """A job as a worker runs it: then the run's temporaries go back to the system, as they do
    at the end of a script run (``runtime.release_free_memory``)."""
    try:
        return fn(*args, **kwargs)
    finally:
        release_free_memory()


def _exit_with_parent() -> None:
    """A worker's initializer: exit when the server does. A pool's workers wait for jobs on a
    queue they hold both ends of, so a server killed outright (``kill -9``, out of memory) would
    otherwise leave them running for ever."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


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


_PREFIX = "optlab-engine-worker"


def _preparation_data(name: str, _original=spawn.get_preparation_data) -> dict:
    """What a new process is told about its parent, without the parent's ``__main__`` for our
    workers: a Streamlit script thread's ``__main__`` is the page being run, which a worker would
    otherwise run again as it starts (its whole page, Streamlit and pandas: 200 MB). The workers
    need nothing from it: they run this module's functions."""
    data = _original(name)
    if name.startswith(_PREFIX):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


if not hasattr(spawn.get_preparation_data, "__wrapped_for_workers__"):
    _preparation_data.__wrapped_for_workers__ = True
    spawn.get_preparation_data = _preparation_data


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.name = f"{_PREFIX}-{self.name}"


class _WorkerContext(multiprocessing.context.SpawnContext):
    """The spawn start method (a fresh interpreter: forking a server's threads is unsafe), with
    processes named as ours."""

    Process = _WorkerProcess


def imported(prefixes: tuple[str, ...]) -> list[str]:
    """The modules among ``prefixes`` a process has imported (run in a worker by the tests)."""
    return sorted(m for m in sys.modules if m.split(".")[0] in prefixes)


class EnginePool:
    """A process pool started on first use (or by ``start``); ``run`` falls back to the calling
    thread when the pool cannot be used, and gives up on it after ``MAX_FAILURES`` failures in
    a row (a host that forbids processes: then every run stays in the script thread)."""

    MAX_FAILURES = 3

    def __init__(self, workers: int | None = None, queue: int = 2, young: float = 0.5):
        self.workers = worker_count() if workers is None else workers
        self.queue, self.young = queue, young  # see ``run``
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.failures = 0  # runs computed in the calling thread because the pool failed
        self._failed_in_a_row = 0
        self._in_flight: set[object] = set()  # jobs sent and not yet back
        self._started = 0.0  # when a worker last took a job (monotonic)
        self.ran_here_busy = 0  # runs computed in the calling thread because every worker was busy

    def _get(self) -> ProcessPoolExecutor | None:
        if self.workers <= 0:
            return None
        with self._lock:
            if self._pool is None:
                try:
                    ctx = _WorkerContext()
                    self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_exit_with_parent)
                except (OSError, ValueError, ImportError) as err:  # no semaphores (no /dev/shm), no processes allowed
                    _log.warning("engine workers unavailable (%s): runs stay in the script thread", err)
                    self.workers = 0
                    return None
            return self._pool

    def start(self) -> None:
        """Start the workers now, in the background (a worker takes about half a second to
        import numpy and the engine): at the first import of the app, so that they are ready
        by the first run that needs them."""
        pool = self._get()
        if pool is not None:
            with contextlib.suppress(BrokenProcessPool, RuntimeError, OSError):
                pool.submit(int)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a worker (``fn`` a module-level function: pickled by name), or
        here. Exceptions ``fn`` raises (``ValueError`` for bad input) are raised here as they are.

        With every worker busy, a job waits in the queue only if it is short (``queue`` jobs)
        and a worker took a job less than ``young`` seconds ago: a burst of ordinary runs (tens
        of milliseconds each) is served by the workers. Otherwise a worker is stuck on something
        heavy (a view up to ``compute.MAX_WORK`` computes for seconds), and the job runs here, in
        the calling thread, as every run did before the workers: the heavy view slows the others
        as it always did, instead of holding them in a queue behind it. (When a job comes back
        the next queued one starts: that counts as a worker taking a job.)"""
        pool = self._get()
        if pool is None:
            return fn(*args, **kwargs)
        token = object()
        with self._lock:
            now = time.monotonic()
            n = len(self._in_flight)
            idle = n < self.workers
            go = idle or (n < self.workers + self.queue and now - self._started < self.young)
            if go:
                self._in_flight.add(token)
                if idle:
                    self._started = now
        if not go:
            self.ran_here_busy += 1
            return fn(*args, **kwargs)
        try:
            done, result = self._in_a_worker(pool, fn, args, kwargs)
        finally:
            with self._lock:
                self._in_flight.discard(token)
                if len(self._in_flight) >= self.workers:  # a queued job takes the freed worker
                    self._started = time.monotonic()
        if not done:  # no longer counted in flight: this run is computed here
            return self._inline_after_failure(pool, fn, args, kwargs)
        self._failed_in_a_row = 0
        return result

    @staticmethod
    def _in_a_worker(pool: ProcessPoolExecutor, fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[bool, Any]:
        """``(True, result)``, or ``(False, None)`` if the pool failed. The job's own exceptions
        (``ValueError`` for bad input) pass through."""
        try:
            future = pool.submit(_in_worker, fn, args, kwargs)
        except (BrokenProcessPool, RuntimeError, OSError):  # broken, shut down, or no process could start
            return False, None
        try:
            return True, future.result()
        except BrokenProcessPool:
            return False, None

    def _inline_after_failure(self, pool, fn, args, kwargs):
        self.failures += 1
        self._failed_in_a_row += 1
        with self._lock:
            if self._pool is pool:
                self._pool = None
            if self._failed_in_a_row >= self.MAX_FAILURES and self.workers > 0:
                _log.warning("engine workers failed %d times in a row: runs stay in the script thread",
                             self._failed_in_a_row)
                self.workers = 0
            else:
                _log.warning("an engine worker failed: this run is computed in the script thread")
        pool.shutdown(wait=False, cancel_futures=True)
        return fn(*args, **kwargs)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


POOL = EnginePool()
