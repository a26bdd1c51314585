"""Named configurations: the chapter's experiment and the chapter's practical guide.

A preset is data (objective, start, noise, seed, steps and a list of optimiser
runs); ``run_preset`` turns it into traces with ``simulate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .simulate import Trace, simulate

__all__ = ["PRESETS", "Preset", "run_preset"]


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    objective: str
    runs: tuple  # ((optimizer, {hyper}), ...)
    steps: int
    start: tuple | None = None
    noise: float = 0.0
    seed: int = 0
    description: str = ""
    objective_options: Mapping[str, Any] = field(default_factory=dict)


PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in [
    Preset(
        "chapter", "The chapter's figure", "rosenbrock",
        (("momentum", {"lr": 0.001, "momentum": 0.9}),
         ("rmsprop", {"lr": 0.005, "rho": 0.9}),
         ("adam", {"lr": 0.01})),
        steps=2000, start=(-1.0, 0.5), noise=0.3, seed=0,
        description="SGD+Momentum, RMSProp and Adam on Rosenbrock from (-1, 0.5) with "
                    "gradient noise 0.3 (seed 0), 2000 steps: the chapter's comparison."),
]})


def run_preset(name: str, **simulate_kw) -> dict[str, Trace]:
    """``{optimizer: Trace}`` for the preset ``name``.

    Keyword arguments go to ``simulate`` and override the preset's own values
    (``steps``, ``start``, ``noise``, ``seed`` and the runs' hyperparameters).
    """
    try:
        preset = PRESETS[name]
    except KeyError:
        raise ValueError(f"Unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
    from .objectives import get_objective

    objective = get_objective(preset.objective, **preset.objective_options)
    base = {"steps": preset.steps, "start": preset.start, "noise": preset.noise, "seed": preset.seed}
    return {opt: simulate(objective, opt, **{**base, **hyper, **simulate_kw})
            for opt, hyper in preset.runs}
