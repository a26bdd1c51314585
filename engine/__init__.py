"""Optimiser Lab's simulation engine: pure numpy, no Streamlit.

>>> import numpy as np
>>> from engine import simulate
>>> trace = simulate("rosenbrock", "adam", 200, lr=np.array([1e-3, 1e-2]))
>>> trace.params.shape, trace.loss.shape, trace.eff_lr.shape
((201, 2, 2), (201, 2), (200, 2, 2))
"""

from .experiments import EXPERIMENTS, run_experiment
from .objectives import OBJECTIVES, Objective, contour_grid, get_objective
from .optimizers import OPTIMIZERS, get_optimizer
from .schedules import SCHEDULES, schedule_factors
from .simulate import Trace, replay, simulate
from .spec import RunSpec

__all__ = [
    "EXPERIMENTS", "OBJECTIVES", "OPTIMIZERS", "SCHEDULES", "Objective", "RunSpec", "Trace", "contour_grid",
    "get_objective", "get_optimizer", "replay", "run_experiment", "schedule_factors", "simulate",
]
