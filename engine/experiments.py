"""Named experiments: the chapter's figure, as data.

An experiment is an objective, a start, noise, a seed, a number of steps and a list of
optimiser runs; ``specs`` turns it into one ``RunSpec`` per run and ``run_experiment`` runs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .simulate import Trace, simulate
from .spec import RunSpec

__all__ = ["EXPERIMENTS", "Experiment", "run_experiment"]


@dataclass(frozen=True)
class Experiment:
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

    def specs(self, **overrides) -> dict[str, RunSpec]:
        """One spec per run, keyed by optimiser; ``overrides`` (``steps``, ``seed``, a
        hyperparameter...) replace the experiment's own values in every run."""
        return {opt: RunSpec.of(self.objective, opt, self.steps, self.start, self.noise, self.seed,
                                objective_options=self.objective_options, **hyper).replace(**overrides)
                for opt, hyper in self.runs}


EXPERIMENTS: Mapping[str, Experiment] = MappingProxyType({p.name: p for p in [
    Experiment(
        "chapter", "The chapter's figure", "rosenbrock",
        (("momentum", {"lr": 0.001, "momentum": 0.9}),
         ("rmsprop", {"lr": 0.005, "rho": 0.9}),
         ("adam", {"lr": 0.01})),
        steps=2000, start=(-1.0, 0.5), noise=0.3, seed=0,
        description="SGD+Momentum, RMSProp and Adam on Rosenbrock from (-1, 0.5) with "
                    "gradient noise 0.3 (seed 0), 2000 steps: the chapter's comparison."),
]})


def run_experiment(name: str, **overrides) -> dict[str, Trace]:
    """``{optimizer: Trace}`` for the experiment ``name``; ``overrides`` as in ``Experiment.specs``."""
    try:
        experiment = EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"Unknown experiment {name!r}; choose one of: {', '.join(EXPERIMENTS)}") from None
    return {opt: simulate(spec) for opt, spec in experiment.specs(**overrides).items()}
