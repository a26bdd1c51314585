"""The engine's results for the pages: run specs in, traces out, cached and bounded.

``trace(spec)`` returns the trace of ``engine.simulate(spec)``: a cached one if someone computed
the same spec in the last half hour, else one the pool computes in a worker process, given a
deadline from its estimated cost (``budget``). Keys are the specs themselves (frozen, hashable
values), never large arrays. Traces are kept sealed (``cache.sealed``): every session shares
them, and none can change them. Whether a view may ask for them at all is the page frame's
check (``budget.check``), made before anything is computed.

A run on a student's own data set (``private``) is never put in the process-wide caches: it is
kept in the ``private`` cache its view passes (one per browser session, in its session state:
gone with the session), or not kept at all.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from engine import RunSpec, Trace
from engine.baselines import BaselinePath
from engine.landscape import Landscape

from . import budget
from .cache import ByteCache, sealed
from .pool import EnginePool

POOL = EnginePool()  # no process yet: ``startup.start`` starts the workers
TRACES: ByteCache[Trace] = ByteCache(max_bytes=100_000_000, ttl=1800, copy_out=False)
BASELINES: ByteCache[BaselinePath] = ByteCache(max_bytes=10_000_000, ttl=1800, copy_out=False)
LANDSCAPES: ByteCache[Landscape] = ByteCache(max_bytes=20_000_000, ttl=1800, copy_out=False)


SESSION_CACHE = "_optlab_private_cache"  # a session's own cache, in its session state
SESSION_BYTES = budget.VIEW_BYTES  # at most one view's worth of results a session


def private(key) -> bool:
    """Whether a key (a ``RunSpec``, a replay's or a landscape's key) holds a student's own data set."""
    if isinstance(key, RunSpec):
        return dict(key.objective_options).get("dataset") == "own"
    if isinstance(key, tuple):
        return ("dataset", "own") in key or any(private(k) for k in key if isinstance(k, tuple | RunSpec))
    return False


def session_cache(store: MutableMapping) -> ByteCache:
    """The cache of one browser session (``store``: its session state), made on first use."""
    cache = store.get(SESSION_CACHE)
    if cache is None:
        cache = store[SESSION_CACHE] = ByteCache(max_bytes=SESSION_BYTES, ttl=1800, copy_out=False)
    return cache


def _cache(key, shared: ByteCache, own: ByteCache | None) -> ByteCache | None:
    """Where ``key``'s result is kept: the shared cache, unless the key holds one's own data (then
    the session's cache ``own``, or nowhere)."""
    return own if private(key) else shared


def _kept(key, shared: ByteCache, own: ByteCache | None, compute):
    cache = _cache(key, shared, own)
    return compute() if cache is None else cache.get(key, compute)


def _in_pool(kind: str, payload, seconds: float):
    return sealed(POOL.run(kind, payload, cost=seconds, deadline=budget.deadline(seconds)))


def cached(spec: RunSpec, own: ByteCache | None = None) -> bool:
    return in_cache(spec, TRACES, own)


def in_cache(key, shared: ByteCache, own: ByteCache | None = None) -> bool:
    cache = _cache(key, shared, own)
    return cache is not None and key in cache


def trace(spec: RunSpec, own: ByteCache | None = None) -> Trace:
    """``engine.simulate(spec)``, cached and computed in a worker."""
    return _kept(spec, TRACES, own, lambda: _in_pool("simulate", spec, budget.cost(spec)))


def traces(specs: Mapping[str, RunSpec], own: ByteCache | None = None) -> dict[str, Trace]:
    """One trace per named spec."""
    return {name: trace(spec, own) for name, spec in specs.items()}


def replay_key(optimizer: str, hyper: Mapping, source: RunSpec, record_state: bool = True) -> tuple:
    return ("replay", optimizer, tuple(sorted(dict(hyper).items())), source, record_state)


def replay(optimizer: str, hyper: Mapping, source: RunSpec, record_state: bool = True,
           own: ByteCache | None = None) -> Trace:
    """``engine.replay`` of ``optimizer`` (with ``hyper``) on the gradients of the run ``source``."""
    key = replay_key(optimizer, hyper, source, record_state)

    def compute() -> Trace:
        base = trace(source, own)
        return _in_pool("replay", (optimizer, base.grads, base.start, key[2], record_state), budget.replay_cost(source))

    return _kept(key, TRACES, own, compute)


def baseline_key(objective: str, objective_options: tuple, method: str, start: tuple, max_iter: int) -> tuple:
    return (objective, tuple(objective_options), method, tuple(start), int(max_iter))


def baseline(objective: str, objective_options: tuple, method: str, start: tuple, max_iter: int) -> BaselinePath:
    """A ``scipy.optimize`` path (deterministic: cached like the engine's runs)."""
    key = baseline_key(objective, objective_options, method, start, max_iter)
    return BASELINES.get(key, lambda: _in_pool("baseline", key, budget.baseline_cost(
        objective, objective_options, method, max_iter)))


def landscape_key(options: tuple, runs: Mapping[str, tuple[RunSpec, int]], grid: int, line_points: int) -> tuple:
    """A landscape is a function of the network (its objective options) and of the runs whose paths
    it draws (each a spec and the run of it shown): its key holds those, never arrays."""
    return ("landscape", tuple(options), tuple((k, spec, int(r)) for k, (spec, r) in runs.items()), int(grid),
            int(line_points))


def landscape(key: tuple, paths: Mapping, seconds: float, own: ByteCache | None = None) -> Landscape:
    """``engine.landscape.landscape`` of ``key`` (``landscape_key``), from ``paths`` (name -> the
    run's recorded weights), cached and computed in a worker."""
    _, options, _, grid, line_points = key
    return _kept(key, LANDSCAPES, own,
                 lambda: _in_pool("landscape", (options, dict(paths), grid, line_points), seconds))
