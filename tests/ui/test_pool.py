"""The engine's worker processes (``ui.compute.pool``): the same numbers as in the script
thread, nothing of the app's page run again in a worker, a deadline on every job, a heavy job
never in the way of an ordinary one, dead workers and hosts without processes handled."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import types

import numpy as np
import psutil
import pytest

from engine import OBJECTIVES, OPTIMIZERS, RunSpec
from tests.app.conftest import ROOT
from ui.compute import pool as pools
from ui.compute.worker import run_job

# About 3-6 s of a core (100 000 steps of a 200-run batch): a job that keeps a worker busy.
HEAVY = RunSpec.of("rosenbrock", "sgd", 100_000, seed=tuple(range(200)), noise=0.1, record="loss",
                   every=100_000, lr=1e-4)


@pytest.fixture(scope="module")
def pool():
    p = pools.EnginePool(workers=1)
    yield p
    p.shutdown()


def _spec(objective: str, optimizer: str, seeds=(0, 1, 2)) -> RunSpec:
    return RunSpec.of(objective, optimizer, 150, None, 0.3, seeds)


def _same(a, b) -> None:
    for name in ("t", "loss", "params", "grads", "eff_lr", "delta", "stopped_at", "final_params"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)


def _worker_pid(p) -> int:
    return p.run("ping", None, cost=10.0)  # a "heavy" job: it waits for a worker


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_worker_computes_the_same_numbers_as_the_script_thread(pool, optimizer):
    spec = _spec("rosenbrock", optimizer)
    _same(pool.run("simulate", spec, cost=10.0), run_job("simulate", spec))
    assert pool.failures == 0


@pytest.mark.parametrize("objective", sorted(k for k in OBJECTIVES if k != "custom"))
def test_every_objective_runs_in_a_worker(pool, objective):
    spec = _spec(objective, "adam", seeds=(3,))
    _same(pool.run("simulate", spec, cost=10.0), run_job("simulate", spec))


def test_a_sweep_and_a_custom_function_cross_the_process_boundary(pool):
    spec = RunSpec.of("custom", "sgd", 100, (1.0, 1.0), objective_options={"expr": "x**2 + 3*y**2"},
                      record="loss", grid={"lr": (1e-3, 1e-2, 1e-1)})
    out = pool.run("simulate", spec, cost=10.0)
    assert out.loss.shape == (101, 3)
    _same(out, run_job("simulate", spec))


def test_bad_input_raises_the_engines_value_error_in_the_caller(pool):
    with pytest.raises(ValueError, match="lr"):
        pool.run("simulate", RunSpec.of("rosenbrock", "adam", 10, lr=-1.0), cost=10.0)
    assert pool.failures == 0


def test_a_replay_in_a_worker_gives_the_same_trace(pool):
    base = run_job("simulate", _spec("rosenbrock", "adam", seeds=(0,)))
    payload = ("adam", base.grads, base.start, (("lr", 0.01), ("bias_correction", False)), True)
    _same(pool.run("replay", payload, cost=10.0), run_job("replay", payload))


def test_a_worker_imports_the_engine_only_and_never_the_page_that_started_it(tmp_path, monkeypatch):
    """Streamlit sets ``sys.modules['__main__']`` to the page it runs, and a process started by
    ``multiprocessing`` runs its parent's ``__main__`` again. A worker is a fresh interpreter
    started as ``python -m ui.compute.worker``: it never does."""
    marker = tmp_path / "ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    fresh = pools.EnginePool(workers=1)  # started while the "page" is __main__
    try:
        assert fresh.run("modules", ("streamlit", "pandas", "altair"), cost=10.0) == []
        assert "engine" in fresh.run("modules", ("engine",), cost=10.0)
        assert _worker_pid(fresh) != os.getpid()
    finally:
        fresh.shutdown()
    assert not marker.exists()
    # the check can fail: a process of multiprocessing's spawn context does run the "page"
    import multiprocessing

    proc = multiprocessing.get_context("spawn").Process(target=print)
    proc.start()
    proc.join(60)
    assert marker.exists()


@pytest.fixture
def nothing_here(monkeypatch):
    """The calling thread may not compute a job: a failed job that ran here anyway would have no
    deadline and no memory bound, in the process that serves every student."""
    def forbidden(kind, payload):
        raise AssertionError(f"a {kind!r} job was computed in the calling thread")

    monkeypatch.setattr(pools, "run_job", forbidden)


def _workers_of_this_process() -> list[psutil.Process]:
    return [c for c in psutil.Process().children() if "ui.compute.worker" in " ".join(c.cmdline())]


class _Killer:
    """Kills every engine worker of this process that is busy (not idle in ``pool``), up to
    ``times`` of them: a job that crashes whichever worker runs it."""

    def __init__(self, pool, times: int):
        self.pool, self.times, self.killed = pool, times, []
        # other pools' workers (the module's): never touched; ``pool``'s are idle now
        self.others = {w.pid for w in _workers_of_this_process()} - set(pool.pids())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set() and len(self.killed) < self.times:
            idle = set(self.pool.pids())
            for proc in _workers_of_this_process():
                if (proc.pid not in idle | self.others and proc.pid not in self.killed
                        and self.pool._ready > len(idle)):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        proc.kill()
                        self.killed.append(proc.pid)
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# About a second of a core: time for the killer to find the worker that runs it.
SLOW = RunSpec.of("rosenbrock", "sgd", 20_000, seed=tuple(range(200)), noise=0.1, record="loss",
                  every=20_000, lr=1e-4)


def test_a_dead_worker_costs_one_retry_in_a_new_worker_never_a_job_here(pool, nothing_here):
    spec = _spec("beale", "rmsprop")
    expected = run_job("simulate", spec)  # the module's own, not the forbidden one
    os.kill(_worker_pid(pool), signal.SIGKILL)
    before = pool.failures
    _same(pool.run("simulate", spec, cost=10.0), expected)  # retried in a new worker
    assert pool.failures == before + 1
    _same(pool.run("simulate", spec, cost=10.0), expected)
    assert pool.failures == before + 1


def test_a_worker_that_crashes_mid_job_is_replaced_and_the_job_retried_once(nothing_here):
    p = pools.EnginePool(workers=1)
    try:
        first = _worker_pid(p)
        with _Killer(p, times=1) as killer:
            out = p.run("simulate", SLOW, cost=10.0)
        assert killer.killed == [first]
        assert out.loss.shape == (2, 200) and p.failures == 1
        assert _worker_pid(p) not in (first, os.getpid())
    finally:
        p.shutdown()


def test_a_job_that_crashes_every_worker_is_refused_after_one_retry(nothing_here):
    p = pools.EnginePool(workers=1)
    try:
        _worker_pid(p)
        with _Killer(p, times=3) as killer, pytest.raises(pools.JobFailed, match="twice") as refused:
            p.run("simulate", SLOW, cost=10.0)
        assert len(killer.killed) == 2, killer.killed  # the first try and one retry, no third
        assert isinstance(refused.value, ValueError)  # the page shows it as a message
        assert p.failures == 2
        assert _worker_pid(p) != os.getpid()  # and the pool goes on with a new worker
    finally:
        p.shutdown()


def test_a_job_whose_worker_reports_a_failure_is_retried_once_then_refused(pool, nothing_here):
    """A bug in a job (an exception that is not the engine's ValueError) in a worker: the job was
    computed again in the calling thread."""
    before = pool.failures
    with pytest.raises(pools.JobFailed, match="twice"):
        pool.run("replay", None, cost=10.0)  # a malformed replay: TypeError in the worker
    assert pool.failures == before + 2


def test_a_result_too_large_for_a_workers_memory_is_refused_not_computed_here(monkeypatch, nothing_here):
    """A result that fits the worker's memory cap while computed, but not its pickled copy: the
    worker died sending it (a MemoryError in ``conn.send``), and the job was computed again in
    the server, unbounded."""
    monkeypatch.setenv("OPTLAB_WORKER_MAX_BYTES", str(150_000_000))
    p = pools.EnginePool(workers=1)
    try:
        first = _worker_pid(p)
        big = RunSpec.of("rosenbrock", "sgd", 20, seed=tuple(range(22_000)))  # computed in the cap, not sent
        with pytest.raises(ValueError, match="more memory"):
            p.run("simulate", big, cost=10.0)
        assert _worker_pid(p) == first  # answered, not dead
    finally:
        p.shutdown()


def test_workers_failing_to_start_are_counted_in_a_row_only(monkeypatch):
    """A worker that starts between failures resets the count: the pool gives up on workers only
    after ``MAX_FAILURES`` failed starts in a row (the count was reset only after a job a worker
    finished, and outside the pool's lock)."""
    outcomes = iter([False, False, True, False, False, True])

    class Flaky:
        pid = -1

        def __init__(self):
            if not next(outcomes, False):
                raise OSError("no process")

        def kill(self):
            pass

    def one_worker_up():
        deadline = time.monotonic() + 10
        while not p.pids():
            assert p.size == 1 and time.monotonic() < deadline, "the pool gave up on its workers"
            time.sleep(0.01)

    monkeypatch.setattr(pools, "Worker", Flaky)
    p = pools.EnginePool(workers=1)
    p.start()  # fails twice, then starts
    one_worker_up()
    with p._cond:
        worker = p._idle.pop()
    p._retire(worker)  # it died: a new one is started, which fails twice, then starts
    one_worker_up()


def test_no_workers_means_the_calling_thread():
    p = pools.EnginePool(workers=0)
    assert p.run("ping", None, cost=10.0) == os.getpid()


@pytest.mark.parametrize(("env", "cores", "expected"), [
    (None, 1, 0), (None, 2, 1), (None, 3, 2), (None, 16, 2),
    ("0", 8, 0), ("1", 1, 1), ("2", 2, 2), (" 1 ", 4, 1),
    ("3", 2, 1), ("-1", 2, 1), ("two", 2, 1), ("", 4, 2), ("1e3", 2, 1),
])
def test_worker_count(env, cores, expected, monkeypatch):
    monkeypatch.delenv(pools.ENV, raising=False)
    if env is not None:
        monkeypatch.setenv(pools.ENV, env)
    assert pools.worker_count(cores=cores) == expected


def test_workers_exit_when_the_server_is_killed(tmp_path):
    """A server killed outright (``kill -9``, out of memory) must not leave its workers running."""
    code = ("import os, signal\n"
            "from ui.compute.pool import EnginePool\n"
            "pool = EnginePool(workers=1)\n"
            "print(pool.run('ping', None, cost=10.0), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    log = tmp_path / "out.txt"
    with log.open("w") as f:  # a file, not a pipe: a worker left behind would hold a pipe open
        server = subprocess.run([sys.executable, "-c", code], cwd=ROOT, stdout=f, timeout=120)
    assert server.returncode == -signal.SIGKILL
    worker = int(log.read_text().split()[0])
    deadline = time.monotonic() + 30
    while psutil.pid_exists(worker) and psutil.Process(worker).status() != psutil.STATUS_ZOMBIE:
        if time.monotonic() > deadline:
            os.kill(worker, signal.SIGKILL)
            pytest.fail(f"worker {worker} outlived its server")
        time.sleep(0.1)


def test_start_spawns_the_workers_ahead_of_the_first_job():
    p = pools.EnginePool(workers=1)
    try:
        p.start()
        deadline = time.monotonic() + 60
        while not p.pids():
            assert time.monotonic() < deadline, "no worker started"
            time.sleep(0.05)
        started = p.pids()
        assert p.run("ping", None) in started  # an idle worker takes even a cheap job
        assert p.ran_here_busy == 0
    finally:
        p.shutdown()


def test_a_host_without_processes_computes_everything_in_the_caller(monkeypatch):
    def no_processes():
        raise OSError("processes are not allowed here")

    monkeypatch.setattr(pools, "Worker", no_processes)
    p = pools.EnginePool(workers=1)
    spec = _spec("rosenbrock", "adam")
    _same(p.run("simulate", spec, cost=10.0), run_job("simulate", spec))  # waits, then is given up on
    assert p.size == 0
    assert p.run("ping", None, cost=10.0) == os.getpid()


def _keep_busy(p, spec=HEAVY):
    """A thread keeping ``p``'s only worker busy; returns once the job is in the worker."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("trace", p.run("simulate", spec, cost=10.0)))
    thread.start()
    deadline = time.monotonic() + 30
    while p.pids():  # the idle worker was taken
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return thread, out


def test_an_ordinary_job_never_waits_behind_a_heavy_one():
    p = pools.EnginePool(workers=1)
    try:
        _worker_pid(p)
        heavy, _ = _keep_busy(p)
        t0 = time.monotonic()
        assert p.run("ping", None, cost=0.01) == os.getpid()  # cheap: here, at once
        assert time.monotonic() - t0 < 1.0 and p.ran_here_busy == 1
        assert _worker_pid(p) != os.getpid()  # heavy: it waited for the worker
        heavy.join()
    finally:
        p.shutdown()


def test_a_heavy_job_waits_for_a_worker_and_is_refused_past_the_wait(monkeypatch):
    monkeypatch.setattr(pools, "WAIT", 0.5)
    p = pools.EnginePool(workers=1)
    try:
        _worker_pid(p)
        heavy, _ = _keep_busy(p)
        with pytest.raises(pools.ServerBusy, match="busy"):
            p.run("ping", None, cost=10.0)
        assert p.ran_here_busy == 0  # not computed in the calling thread
        heavy.join()
    finally:
        p.shutdown()


def test_a_job_past_its_deadline_is_stopped_and_its_worker_replaced():
    p = pools.EnginePool(workers=1)
    try:
        first = _worker_pid(p)
        t0 = time.monotonic()
        with pytest.raises(pools.JobStopped, match="stopped"):
            p.run("simulate", HEAVY, cost=10.0, deadline=0.5)
        assert time.monotonic() - t0 < 5 and p.stopped == 1
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
        second = _worker_pid(p)  # a new worker
        assert second not in (first, os.getpid())
    finally:
        p.shutdown()


def test_a_job_that_needs_more_memory_than_a_worker_may_have_is_refused(monkeypatch):
    monkeypatch.setenv("OPTLAB_WORKER_MAX_BYTES", str(150_000_000))
    p = pools.EnginePool(workers=1)
    try:
        _worker_pid(p)
        big = RunSpec.of("rosenbrock", "sgd", 20, seed=tuple(range(40_000)))  # about 300 MB of record
        with pytest.raises(ValueError, match="more memory"):
            p.run("simulate", big, cost=10.0)
        assert p.failures == 0 and _worker_pid(p) != os.getpid()  # the worker is still there
    finally:
        p.shutdown()


def test_a_worker_left_large_by_a_job_is_replaced(monkeypatch):
    monkeypatch.setattr(pools, "RECYCLE_BYTES", 1)  # any worker is "large"
    p = pools.EnginePool(workers=1)
    try:
        first = _worker_pid(p)
        assert p.recycled == 1
        second = _worker_pid(p)
        assert second != first and p.recycled == 2
    finally:
        p.shutdown()
