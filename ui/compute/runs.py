"""The engine's results for the pages: run specs in, traces out, cached and bounded.

``trace(spec)`` refuses a spec over the work cap (``budget.check``), returns a cached copy if
someone computed the same spec in the last half hour, and otherwise has the pool compute it in
a worker process. Keys are the specs themselves (frozen, hashable values), never large arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine import RunSpec, Trace
from engine.baselines import BaselinePath

from . import budget
from .cache import ByteCache
from .pool import EnginePool

POOL = EnginePool()  # no process yet: ``startup.start`` starts the workers
TRACES: ByteCache[Trace] = ByteCache(max_bytes=150_000_000, ttl=1800)
BASELINES: ByteCache[BaselinePath] = ByteCache(max_bytes=20_000_000, ttl=1800)


def trace(spec: RunSpec) -> Trace:
    """``engine.simulate(spec)``, cached and computed in a worker."""
    budget.check(spec)

    def compute() -> Trace:
        seconds = budget.cost(spec)
        return POOL.run("simulate", spec, cost=seconds, deadline=budget.deadline(seconds))

    return TRACES.get(spec, compute)


def traces(specs: Mapping[str, RunSpec]) -> dict[str, Trace]:
    """One trace per named spec (each checked before any is computed)."""
    for spec in specs.values():
        budget.check(spec)
    return {name: trace(spec) for name, spec in specs.items()}


def replay(optimizer: str, hyper: Mapping, source: RunSpec, record_state: bool = True) -> Trace:
    """``engine.replay`` of ``optimizer`` (with ``hyper``) on the gradients of the run ``source``."""
    base = trace(source)
    hyper_items = tuple(sorted(dict(hyper).items()))
    key = ("replay", optimizer, hyper_items, source, record_state)

    def compute() -> Trace:
        seconds = budget.cost(source)
        return POOL.run("replay", (optimizer, base.grads, base.start, hyper_items, record_state),
                        cost=seconds, deadline=budget.deadline(seconds))

    return TRACES.get(key, compute)


def baseline(objective: str, objective_options: tuple, method: str, start: tuple, max_iter: int) -> BaselinePath:
    """A ``scipy.optimize`` path (deterministic: cached like the engine's runs)."""
    key = (objective, tuple(objective_options), method, tuple(start), int(max_iter))
    return BASELINES.get(key, lambda: POOL.run("baseline", key, cost=1.0, deadline=budget.deadline(1.0)))
