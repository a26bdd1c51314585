"""The shared controls' values as one frozen, hashable ``Settings`` (no Streamlit), and the run
specs they describe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import OBJECTIVES, OPTIMIZERS, RunSpec, get_objective

from .fields import SHARED_FIELDS, hyper_key, objective_key


@dataclass(frozen=True)
class Settings:
    """A resolved, validated view of the shared controls (hashable: a cache key)."""

    objective: str
    objective_options: tuple  # ((name, value), ...) of the current objective
    optimizers: tuple
    hypers: tuple  # ((opt, ((name, value), ...)), ...) for every optimiser in the registry
    steps: int
    noise: float
    seed: int
    start: tuple

    def hyper(self, opt: str) -> dict:
        return dict(dict(self.hypers)[opt])

    def objective_obj(self):
        return get_objective(self.objective, **dict(self.objective_options))

    def spec(self, opt: str, **changes) -> RunSpec:
        """The run of optimiser ``opt`` with these settings; ``changes`` as in ``RunSpec.replace``
        (``seed=(0, 1, 2)``, ``every=5``, ``lr=0.1``...)."""
        base = RunSpec.of(self.objective, opt, self.steps, self.start, self.noise, self.seed,
                          objective_options=dict(self.objective_options), **self.hyper(opt))
        return base.replace(**changes) if changes else base

    def specs(self, optimizers: Iterable[str] | None = None, **changes) -> dict[str, RunSpec]:
        """One spec per optimiser (the chosen ones by default), keyed by its name."""
        return {opt: self.spec(opt, **changes) for opt in (optimizers or self.optimizers)}


def settings_from_values(values: Mapping[str, Any]) -> Settings:
    """``Settings`` from a mapping of control values (defaults filled in). Options that do not fit
    together (a plot box with ``xmin >= xmax``) fall back to the objective's defaults."""
    def get(key):
        return values.get(key, SHARED_FIELDS[key].default)

    objective = get("f")
    family = OBJECTIVES[objective]
    options = tuple((o, get(objective_key(objective, o))) for o in family.options)
    try:
        obj = get_objective(objective, **dict(options))
    except ValueError:
        options = tuple((o, opt.default) for o, opt in family.options.items())
        obj = get_objective(objective, **dict(options))
    hypers = tuple((o, tuple((n, get(hyper_key(o, n))) for n in spec.hypers)) for o, spec in OPTIMIZERS.items())
    start = get("start")
    start = tuple(obj.start) if start is None or len(start) != obj.dim else tuple(start)
    return Settings(objective, options, tuple(get("opt")), hypers, int(get("steps")), float(get("noise")),
                    int(get("seed")), start)


def start_problem(objective, start) -> str | None:
    """Why ``start`` does not suit ``objective`` (outside twice its plot box), or None."""
    if start is None:
        return None
    if len(start) != objective.dim:
        return f"has {len(start)} coordinates; {objective.title} has {objective.dim}"
    for v, (lo, hi) in zip(start, objective.bounds):
        pad = hi - lo
        if not (lo - pad <= v <= hi + pad):
            return f"({', '.join(f'{s:g}' for s in start)}) is far outside the plot of {objective.title}"
    return None
