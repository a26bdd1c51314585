"""The byte-bounded caches: bounded by bytes and by age, one computation for simultaneous
askers, and results no session can change."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engine import simulate
from ui.compute.cache import ByteCache, sealed, size_of


def test_values_are_dropped_oldest_first_to_stay_under_the_byte_budget():
    cache = ByteCache(max_bytes=3_000)
    for k in range(5):
        cache.get(k, lambda: np.zeros(100))  # 800 bytes each
    assert cache.bytes <= 3_000 and 0 not in cache and 1 not in cache and 4 in cache
    cache.get(2, lambda: pytest.fail("2 is still kept"))  # a hit
    cache.get(5, lambda: np.zeros(100))
    assert 2 in cache and 3 not in cache  # 2 was used since: the least recently used goes


def test_a_value_larger_than_the_whole_cache_is_returned_but_not_kept():
    cache = ByteCache(max_bytes=1_000)
    assert cache.get("big", lambda: np.zeros(1_000)).shape == (1_000,)
    assert "big" not in cache and cache.bytes == 0


def test_values_expire():
    cache = ByteCache(max_bytes=10_000, ttl=0.05)
    cache.get("a", lambda: np.zeros(3))
    time.sleep(0.1)
    assert "a" not in cache and cache.bytes == 0


def test_an_old_value_nobody_asks_for_again_is_dropped_when_another_is_added():
    cache = ByteCache(max_bytes=10_000, ttl=0.05)
    cache.get("mine", lambda: np.zeros(3))
    time.sleep(0.1)
    cache.get("another", lambda: np.zeros(3))
    assert list(cache._items) == ["another"] and cache.bytes == size_of(np.zeros(3))


def test_simultaneous_askers_compute_once_and_a_failure_reaches_every_one():
    cache = ByteCache(max_bytes=10_000)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return np.ones(3)

    threads = [threading.Thread(target=cache.get, args=("k", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1

    def failing():
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        cache.get("x", failing)
    assert "x" not in cache


def test_copies_are_handed_out_unless_values_are_immutable():
    copying, sharing = ByteCache(max_bytes=10_000), ByteCache(max_bytes=10_000, copy_out=False)
    a, b = copying.get("k", lambda: {"x": np.zeros(2)}), copying.get("k", lambda: None)
    assert a is not b and not np.shares_memory(a["x"], b["x"])
    assert sharing.get("s", lambda: "text") is sharing.get("s", lambda: None)


def test_a_sealed_trace_cannot_be_changed_by_anyone():
    trace = sealed(simulate("rosenbrock", "adam", 20, noise=0.3, seed=np.array([0, 1]), record_state=True))
    arrays = [trace.params, trace.loss, trace.grads, trace.eff_lr, trace.delta, *trace.hyper.values(),
              *trace.state.values()]
    for a in arrays:
        with pytest.raises(ValueError):
            a[...] = 0
        with pytest.raises(ValueError):
            a.flags.writeable = True  # not even forcibly: numpy does not own the memory
    assert size_of(trace) >= sum(a.nbytes for a in arrays)


def test_a_landscape_from_a_worker_job_is_sealed_whole():
    import pickle

    from ui.compute.worker import run_job

    options = (("n_points", 60), ("width", 4))
    paths = {k: simulate("network", "adam", 12, objective_options=dict(options), seed=s, lr=0.01).params[:, 0]
             for k, s in (("a", 0), ("b", 1))}
    land = sealed(pickle.loads(pickle.dumps(run_job("landscape", (options, paths, 5, 5)))))  # as from a worker
    plane = land.planes["b"]
    arrays = [land.random.loss, land.random.coords["a"], land.alphas, land.lines["b"], plane.loss, plane.a,
              plane.coords["b"]]
    for a in arrays:
        with pytest.raises(ValueError):
            a[...] = 0
        with pytest.raises(ValueError):
            a.flags.writeable = True
    with pytest.raises(TypeError):
        land.planes["c"] = plane  # read-only mappings
    assert size_of(land) >= sum(a.nbytes for a in arrays)



def test_what_is_computed_from_ones_own_data_stays_in_the_session_that_asked():
    """The own-data panel says what the server computes from one's points is kept in one's session
    only: runs, replays and landscapes whose keys hold a data set of one's own go to the session's
    cache (``runs.session_cache``, in its session state) or nowhere, never to a shared cache."""
    import inspect

    from engine import RunSpec
    from ui.compute import runs
    from ui.frame import owndata as panel
    from ui.state import owndata

    assert "is kept in this session" in inspect.getsource(panel.panel)
    mine = RunSpec.of("network", "adam", 3, objective_options={"dataset": "own", "data": owndata.starting_data()})
    theirs = RunSpec.of("network", "adam", 3)
    assert runs.private(mine) and not runs.private(theirs)
    assert runs.private(runs.replay_key("sgd", {}, mine)) and not runs.private(runs.replay_key("sgd", {}, theirs))
    assert runs.private(runs.landscape_key((("data", "x"), ("dataset", "own")), {"a": (theirs, 0)}, 9, 41))
    assert runs.private(runs.landscape_key((), {"a": (mine, 0)}, 9, 41))
    assert not runs.private(runs.landscape_key((("dataset", "moons"),), {"a": (theirs, 0)}, 9, 41))
    runs.TRACES.clear()
    session_a, session_b = {}, {}
    own_a = runs.session_cache(session_a)
    assert runs.session_cache(session_a) is own_a and runs.session_cache(session_b) is not own_a
    computed = []
    monkey = runs._in_pool
    try:
        runs._in_pool = lambda kind, payload, seconds: computed.append(payload) or object()
        first = runs.trace(mine, own_a)
        assert runs.trace(mine, own_a) is first and len(computed) == 1  # kept for this session
        assert mine not in runs.TRACES and runs.cached(mine, own_a)
        assert not runs.cached(mine, runs.session_cache(session_b))  # another session: nothing of it
        runs.trace(mine, runs.session_cache(session_b))
        assert len(computed) == 2
        runs.trace(mine)  # no session's cache given: computed, kept nowhere
        assert len(computed) == 3 and mine not in runs.TRACES
        runs.trace(theirs, own_a)  # the generated data sets: shared as before
        assert theirs in runs.TRACES and theirs not in own_a
    finally:
        runs._in_pool = monkey
        runs.TRACES.clear()
