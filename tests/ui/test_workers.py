"""The engine's worker processes (``ui.workers``): same numbers as in the script thread, nothing of
the app's page run again in a worker, errors and dead workers handled."""

from __future__ import annotations

import os
import signal
import sys
import types

import numpy as np
import pytest

from engine import OBJECTIVES, OPTIMIZERS
from ui import workers


@pytest.fixture(scope="module")
def pool():
    p = workers.EnginePool(workers=1)
    yield p
    p.shutdown()


def _job(objective: str, optimizer: str, seeds=(0, 1, 2)) -> tuple:
    return (objective, (), optimizer, (), 150, None, 0.3, seeds)


def _same(a, b) -> None:
    for name in ("t", "loss", "params", "grads", "eff_lr", "delta", "stopped_at", "final_params"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_worker_computes_the_same_numbers_as_the_script_thread(pool, optimizer):
    args = _job("rosenbrock", optimizer)
    _same(pool.run(workers.simulate_job, *args), workers.simulate_job(*args))
    assert pool.failures == 0


@pytest.mark.parametrize("objective", sorted(k for k in OBJECTIVES if k != "custom"))
def test_every_objective_runs_in_a_worker(pool, objective):
    args = _job(objective, "adam", seeds=(3,))
    _same(pool.run(workers.simulate_job, *args), workers.simulate_job(*args))


def test_a_sweep_and_a_custom_function_cross_the_process_boundary(pool):
    sweep = (("lr", (1e-3, 1e-2, 1e-1)),)
    args = ("custom", (("expr", "x**2 + 3*y**2"),), "sgd", (), 100, (1.0, 1.0), 0.0, (0,), 1, "loss", False,
            "constant", (), None, None, sweep)
    out = pool.run(workers.simulate_job, *args)
    assert out.loss.shape == (101, 3)
    _same(out, workers.simulate_job(*args))


def test_bad_input_raises_the_engines_value_error_in_the_caller(pool):
    with pytest.raises(ValueError, match="lr"):
        pool.run(workers.simulate_job, "rosenbrock", (), "adam", (("lr", -1.0),), 10, None, 0.0, (0,))
    assert pool.failures == 0


def test_a_worker_does_not_run_the_page_that_started_it(pool, tmp_path, monkeypatch):
    """Streamlit sets ``sys.modules['__main__']`` to the page it runs. A spawned process normally
    runs its parent's ``__main__`` again; a worker must not (it would run the whole page)."""
    marker = tmp_path / "ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').write('ran')\nimport pandas, streamlit\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    fresh = workers.EnginePool(workers=1)  # a new process, spawned while the "page" is __main__
    try:
        assert fresh.run(workers.imported, ("streamlit", "pandas", "altair")) == []
        assert fresh.run(os.getpid) != os.getpid()
    finally:
        fresh.shutdown()
    assert not marker.exists()
    # the check can fail: an ordinary process of the same context does run it
    ctx = workers.multiprocessing.get_context("spawn")
    proc = ctx.Process(target=print)
    proc.start()
    proc.join(60)
    assert marker.exists()


def test_a_dead_worker_costs_one_run_in_the_caller_then_a_new_pool(pool):
    args = _job("beale", "rmsprop")
    expected = workers.simulate_job(*args)
    pool.run(workers.simulate_job, *args)  # the pool is up
    for pid in list(pool._pool._processes):
        os.kill(pid, signal.SIGKILL)
    before = pool.failures
    _same(pool.run(workers.simulate_job, *args), expected)
    assert pool.failures == before + 1
    _same(pool.run(workers.simulate_job, *args), expected)  # a fresh pool
    assert pool.failures == before + 1
    assert pool.run(os.getpid) != os.getpid()


def test_no_workers_means_the_calling_thread():
    p = workers.EnginePool(workers=0)
    assert p.run(os.getpid) == os.getpid()
    assert p._pool is None


@pytest.mark.parametrize(("env", "cores", "expected"), [
    (None, 1, 0), (None, 2, 1), (None, 3, 2), (None, 16, 2),
    ("0", 8, 0), ("1", 1, 1), ("2", 2, 2), (" 1 ", 4, 1),
    ("3", 2, 1), ("-1", 2, 1), ("two", 2, 1), ("", 4, 2), ("1e3", 2, 1),
])
def test_worker_count(env, cores, expected, monkeypatch):
    monkeypatch.delenv(workers.ENV, raising=False)
    if env is not None:
        monkeypatch.setenv(workers.ENV, env)
    assert workers.worker_count(cores=cores) == expected


def test_workers_exit_when_the_server_is_killed(tmp_path):
    """A server killed outright (``kill -9``, out of memory) must not leave its workers running."""
    import subprocess
    import time

    import psutil

    code = ("import os, signal, sys\n"
            "from ui import workers\n"
            "pool = workers.EnginePool(workers=1)\n"
            "print(pool.run(os.getpid), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    log = tmp_path / "out.txt"
    with log.open("w") as f:  # a file, not a pipe: a worker left behind would hold a pipe open
        server = subprocess.run([sys.executable, "-c", code], cwd=root, stdout=f, timeout=120)
    assert server.returncode == -signal.SIGKILL
    worker = int(log.read_text().split()[0])
    deadline = time.monotonic() + 30
    while psutil.pid_exists(worker) and psutil.Process(worker).status() != psutil.STATUS_ZOMBIE:
        if time.monotonic() > deadline:
            os.kill(worker, signal.SIGKILL)
            pytest.fail(f"worker {worker} outlived its server")
        time.sleep(0.1)


def test_start_spawns_the_workers_ahead_of_the_first_run():
    p = workers.EnginePool(workers=1)
    try:
        p.start()
        assert len(p._pool._processes) == 1
        assert p.run(os.getpid) != os.getpid()
    finally:
        p.shutdown()


class _NoProcesses:
    """A pool whose processes cannot start (a host that forbids them)."""

    def __init__(self, *args, **kwargs):
        pass

    def submit(self, *args, **kwargs):
        raise OSError("fork not allowed")

    def shutdown(self, *args, **kwargs):
        pass


def test_a_host_without_processes_runs_everything_in_the_caller(monkeypatch):
    monkeypatch.setattr(workers, "ProcessPoolExecutor", _NoProcesses)
    p = workers.EnginePool(workers=1)
    args = _job("rosenbrock", "adam")
    expected = workers.simulate_job(*args)
    for _ in range(workers.EnginePool.MAX_FAILURES):
        _same(p.run(workers.simulate_job, *args), expected)
    assert p.failures == workers.EnginePool.MAX_FAILURES
    assert p.workers == 0  # given up on: no more attempts
    _same(p.run(workers.simulate_job, *args), expected)
    assert p.failures == workers.EnginePool.MAX_FAILURES


def test_a_replay_in_a_worker_gives_the_same_trace(pool):
    base = workers.simulate_job(*_job("rosenbrock", "adam", seeds=(0,)))
    hyper = (("lr", 0.01), ("bias_correction", False))
    _same(pool.run(workers.replay_job, "adam", base.grads, base.start, hyper),
          workers.replay_job("adam", base.grads, base.start, hyper))


def _busy(p, seconds):
    """A thread keeping ``p``'s worker busy for ``seconds``, started once the job is in flight."""
    import threading
    import time

    thread = threading.Thread(target=p.run, args=(time.sleep, seconds))
    thread.start()
    deadline = time.monotonic() + 10
    while not p._in_flight:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return thread


def test_a_run_does_not_queue_behind_a_heavy_job():
    """One heavy view must not hold every other student's runs: behind a job that has been
    computing for a while, a run is computed in the calling thread."""
    import time

    p = workers.EnginePool(workers=1, young=0.2)
    try:
        assert p.run(os.getpid) != os.getpid()  # started
        heavy = _busy(p, 3.0)
        time.sleep(0.4)  # older than `young`: heavy
        t0 = time.monotonic()
        assert p.run(os.getpid) == os.getpid()  # here, at once
        assert time.monotonic() - t0 < 1.0
        assert p.ran_here_busy == 1
        heavy.join()
        assert p.run(os.getpid) != os.getpid()  # the worker again, once it is free
        assert not p._in_flight
    finally:
        p.shutdown()


def test_a_burst_waits_for_the_worker_behind_a_short_queue():
    """Ordinary runs arriving together wait for the worker, up to ``queue`` of them."""
    import threading
    import time

    p = workers.EnginePool(workers=1, queue=1, young=30.0)
    try:
        assert p.run(os.getpid) != os.getpid()
        first = _busy(p, 0.5)
        results = []
        second = threading.Thread(target=lambda: results.append(p.run(os.getpid)))
        second.start()
        deadline = time.monotonic() + 10
        while len(p._in_flight) < 2:  # the second job waits in the queue
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert p.run(os.getpid) == os.getpid()  # the queue (one job) is full: this one runs here
        first.join()
        second.join()
        assert results[0] != os.getpid()  # the queued job was served by the worker
        assert p.ran_here_busy == 1
    finally:
        p.shutdown()
