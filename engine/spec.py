"""A run described as one frozen, hashable value: ``RunSpec``.

Everything that determines a run (or a batch of runs) is a field: the objective and its
options, the optimiser and its hyperparameters, the number of steps, the start, the gradient
noise and its seeds, a grid of swept values, the learning-rate schedule and its options,
gradient clipping, and what to record. ``simulate(spec)`` runs it; the dashboard's cache is
keyed on it, its worker processes receive it, the command line builds it, and its ``repr`` is
the Python that rebuilds it (the dashboard's "reproduce in Python" snippet)::

    >>> spec = RunSpec.of("rosenbrock", "adam", 200, start=(-1, 0.5), noise=0.3, lr=0.01)
    >>> spec
    RunSpec.of('rosenbrock', 'adam', 200, start=(-1, 0.5), noise=0.3, lr=0.01)
    >>> spec == eval(repr(spec)), hash(spec) == hash(eval(repr(spec)))
    (True, True)
    >>> RunSpec.of("rosenbrock", "sgd", 10, grid={"lr": (0.1, 0.01), "seed": (0, 1, 2)}).runs
    6

Values are stored as plain Python values (numpy arrays become tuples, mappings become sorted
tuples of pairs), so two specs of the same run are equal and hash alike. Nothing is validated
here: ``simulate`` checks every value and raises ``ValueError`` with the reason.

Per-run values follow ``simulate``'s broadcasting: ``seed``, ``noise``, ``start`` (one point per
run) and each hyperparameter may hold one value per run, all of one length. ``grid`` is the
command line's sweep: named axes (hyperparameters, ``"seed"`` or ``"noise"``) whose every
combination is a run, the first axis outermost (``lr`` major, ``seed`` innermost above).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RunSpec"]


def plain(value: Any) -> Any:
    """``value`` as plain, hashable Python: arrays and lists become tuples, numpy scalars Python
    numbers, mappings sorted tuples of ``(key, value)``. Anything else is kept as it is (and
    refused by ``simulate`` if it is not a valid value)."""
    if isinstance(value, np.ndarray):
        return plain(value.tolist()) if value.ndim else value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), plain(v)) for k, v in value.items()))
    return value


def _ordered(items: Mapping | tuple | None) -> tuple:
    """Pairs ``(name, value)`` in the order given (the grid's axes are ordered)."""
    if not items:
        return ()
    pairs = items.items() if isinstance(items, Mapping) else items
    return tuple((str(k), plain(v)) for k, v in pairs)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, tuple) else 1


@dataclass(frozen=True)
class RunSpec:
    """One optimiser's runs on one objective (see the module docstring); build it with ``of``."""

    objective: str
    optimizer: str
    steps: int = 500
    objective_options: tuple = ()
    hyper: tuple = ()
    start: tuple | None = None
    noise: float | tuple = 0.0
    seed: int | tuple = 0
    grid: tuple = ()
    schedule: str | tuple = "constant"
    schedule_options: tuple = ()
    clip_norm: float | None = None
    clip_value: float | None = None
    record: str = "full"
    every: int = 1
    record_state: bool = False

    @classmethod
    def of(cls, objective, optimizer: str, steps: int = 500, start=None, noise=0.0, seed=0, *,
           objective_options: Mapping[str, Any] | None = None, grid: Mapping[str, Any] | None = None,
           schedule="constant", schedule_options: Mapping[str, Any] | None = None, clip_norm=None,
           clip_value=None, record: str = "full", every: int = 1, record_state: bool = False,
           **hyper) -> RunSpec:
        """The run signature, written once: ``simulate`` takes the same arguments.

        ``objective``: a name from ``OBJECTIVES`` (with ``objective_options``) or an
        ``Objective`` from ``get_objective``. ``start`` (``(D,)`` or one point per run),
        ``noise``, ``seed`` and each hyperparameter (``lr=...``): a value, or one per run.
        ``grid``: axes to sweep, every combination a run. ``schedule``: a name from
        ``SCHEDULES`` (options in ``schedule_options``) or ``steps`` factors.
        ``clip_value`` then ``clip_norm`` clip each run's noisy gradient. ``record``:
        ``"full"`` (parameters, loss, gradients, effective learning rates and steps every
        ``every`` steps, the optimiser's state with ``record_state``) or ``"loss"``."""
        options = dict(objective_options or {})
        if not isinstance(objective, str) and hasattr(objective, "options"):  # an Objective
            options = {**dict(objective.options), **options}
            objective = objective.name
        return cls(objective=objective, optimizer=optimizer, steps=plain(steps),
                   objective_options=plain(options), hyper=_ordered(hyper), start=plain(start),
                   noise=plain(noise), seed=plain(seed), grid=_ordered(grid), schedule=plain(schedule),
                   schedule_options=plain(schedule_options or {}), clip_norm=plain(clip_norm),
                   clip_value=plain(clip_value), record=record, every=plain(every),
                   record_state=bool(record_state))

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``of`` that rebuild this spec."""
        return {"objective": self.objective, "optimizer": self.optimizer, "steps": self.steps,
                "start": self.start, "noise": self.noise, "seed": self.seed,
                "objective_options": dict(self.objective_options), "grid": dict(self.grid),
                "schedule": self.schedule, "schedule_options": dict(self.schedule_options),
                "clip_norm": self.clip_norm, "clip_value": self.clip_value, "record": self.record,
                "every": self.every, "record_state": self.record_state, **dict(self.hyper)}

    def replace(self, **changes) -> RunSpec:
        """A copy with some arguments of ``of`` changed (hyperparameters by name, ``lr=0.1``;
        ``hyper={...}`` replaces all of them)."""
        args = self.arguments()
        if "hyper" in changes:
            for name, _ in self.hyper:
                del args[name]
            args.update(changes.pop("hyper"))
        return RunSpec.of(**{**args, **changes})

    @property
    def runs(self) -> int:
        """How many runs the spec makes (a grid's combinations, else the longest per-run value)."""
        per_run = [_length(self.seed), _length(self.noise), *(_length(v) for _, v in self.hyper)]
        if self.start is not None and self.start and isinstance(self.start[0], tuple):
            per_run.append(len(self.start))
        grid = math.prod(_length(v) for _, v in self.grid) if self.grid else 1
        return max(grid, *per_run)

    def per_run(self) -> tuple[dict[str, Any], Any, Any]:
        """``(hyper, seed, noise)`` with the grid spread over the runs (each of its axes a 1-D
        array, the first axis outermost) and per-run tuples as arrays."""
        def array(v):
            return np.asarray(v) if isinstance(v, tuple) else v

        hyper = {k: array(v) for k, v in self.hyper}
        seed, noise = array(self.seed), array(self.noise)
        if self.grid:
            axes = [np.asarray(v if isinstance(v, tuple) else (v,)) for _, v in self.grid]
            for (name, _), values in zip(self.grid, np.meshgrid(*axes, indexing="ij")):
                if name == "seed":
                    seed = values.ravel()
                elif name == "noise":
                    noise = values.ravel()
                else:
                    hyper[name] = values.ravel()
        return hyper, seed, noise

    def source(self) -> str:
        """The arguments of ``RunSpec.of`` (and of ``simulate``) that rebuild this spec, as Python
        (defaults left out; floats written exactly by ``repr``)."""
        args = self.arguments()
        defaults = RunSpec(self.objective, self.optimizer).arguments()
        parts = [repr(args.pop("objective")), repr(args.pop("optimizer")), repr(args.pop("steps"))]
        parts += [f"{k}={v!r}" for k, v in args.items() if k not in defaults or v != defaults[k]]
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"RunSpec.of({self.source()})"
