"""Shared tables and helpers for the engine tests (imported by name: tests/ is no package)."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

from engine import OBJECTIVES, OPTIMIZERS

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"

OPTIMIZER_NAMES = list(OPTIMIZERS)
OBJECTIVE_NAMES = list(OBJECTIVES)

# Objectives with non-default options, so option handling is checked too.
OBJECTIVE_VARIANTS = [
    *[(name, {}) for name in OBJECTIVE_NAMES],
    ("quadratic", {"cond": 250.0, "angle": 30.0}),
    ("sparse", {"dim": 7, "freq_min": 0.05, "n_samples": 300, "batch_size": 3, "data_seed": 4}),
    ("sparse2d", {"freq_rare": 0.2, "n_samples": 100, "data_seed": 2}),
]


def variant_id(variant):
    name, options = variant
    return name + ("" if not options else "[" + ",".join(f"{k}={v}" for k, v in options.items()) + "]")


def load_data_module(name: str):
    """Import ``tests/data/<name>.py`` by path (tests/data is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_testdata_{name}", DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def points_in_bounds(objective, n: int, seed: int) -> np.ndarray:
    """``n`` uniform random points inside the objective's plot bounds, shape ``(n, D)``."""
    lo, hi = np.asarray(objective.bounds, dtype=float).T
    return lo + (hi - lo) * np.random.default_rng(seed).random((n, objective.dim))


def noise_stream(seed: int, noise: float, steps: int, dim: int) -> np.ndarray:
    """The documented gradient-noise stream of one run (issue 2)."""
    return np.random.default_rng(seed).normal(0.0, noise, (steps, dim))
