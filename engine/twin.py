"""What the browser twin of the engine computes from: ``twin_spec(run)``.

``static/optlab/twin.js`` is a JavaScript implementation of ``simulate`` for 2-D objectives,
held equal to this engine by ``tests/engine/test_twin.py``. The server describes a run to it
with ``twin_spec(run)``, a JSON-ready dict (``json.dumps`` it as it is)::

    >>> from engine import RunSpec
    >>> spec = twin_spec(RunSpec.of("rosenbrock", "adam", 3, start=(-1, 0.5), lr=0.01))
    >>> spec["objective"], spec["optimizer"], spec["runs"][0]["start"]
    ({'name': 'rosenbrock', 'kind': 'rosenbrock'}, {'name': 'adam', 'factory': 'adam', 'fixed': {}}, [-1.0, 0.5])

The browser then gets exactly ``simulate(run.replace(record="full", every=1))``: parameters,
loss, gradients, effective learning rates, steps and (with ``record_state``) the optimiser's
state at every step, and ``stopped_at``; a changed start point or hyperparameter is computed
there with no round trip. Everything the twin cannot recompute the same way is computed here,
by the engine's own code:

* the gradient noise: the draws of the run's seeds, taken from a run of the engine itself on
  an objective whose gradient is -0.0 everywhere (``-0.0 + z`` is ``z``, to the sign of a
  zero), so that the twin adds exactly what ``simulate`` adds, without a second copy of the
  engine's random streams;
* the learning-rate schedule: its per-step factors (``lr_t = lr * factor[t]``; cosines are not
  recomputed in the browser);
* a typed function: the compiled program ``engine.expr`` evaluates (``Program.ops``), which the
  twin interprets; no text reaches a JavaScript parser;
* ``sparse2d``: the binary rows each step samples, from the engine's sampler (a run of the same
  kind), so the twin computes the same minibatch gradients. ``sparse2d`` is the one sampled
  objective that can be twinned: ``sparse`` has more than two parameters, and ``network`` is a
  neural network.

Twinnable objectives (``TWIN_OBJECTIVES``): rosenbrock, beale, himmelblau, quadratic, scaled,
saddle, rastrigin, sparse2d and custom (a typed function). Every optimiser is, with every
hyperparameter, schedule and clipping. A spec is for the browser to redraw a run the server
could compute; it changes nothing the engine computes.

Format ``optlab-twin/1``::

    {"format": "optlab-twin/1", "steps": T, "record_state": bool,
     "objective": {"name": ..., "kind": ..., + the constants of its kind},
     "optimizer": {"name": ..., "factory": ..., "fixed": {...}},
     "lr_factors": [T factors] or null (constant), "clip_value": c or null, "clip_norm": c or null,
     "runs": [{"start": [x, y], "hyper": {"lr": ..., ...}, "noise": [2T numbers] or null,
               "rows": "..." (sparse2d: T*batch digits, x1 + 2*x2 of each sampled row) or null}]}

Numbers are JSON numbers; a typed function's constant that is not finite is sent as the string
``"Infinity"``, ``"-Infinity"`` or ``"NaN"``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from .expr import parse_function
from .objectives import Objective, get_objective
from .optimizers import get_optimizer, validate_hypers
from .simulate import (
    _check_clip,
    _lr_factors,
    _n_runs,
    _start_points,
    _validate_common,
    simulate,
)
from .spec import RunSpec

__all__ = ["FORMAT", "TWIN_OBJECTIVES", "twin_spec"]

FORMAT = "optlab-twin/1"
# engine objective -> the twin's kind (static/optlab/twin.js OBJECTIVES)
TWIN_OBJECTIVES = {
    "rosenbrock": "rosenbrock", "beale": "beale", "himmelblau": "himmelblau", "saddle": "saddle",
    "rastrigin": "rastrigin", "quadratic": "quadratic", "scaled": "quadratic", "custom": "program",
    "sparse2d": "sparse2d",
}
_PROBE_LR = 1e-300  # the probe run's parameters must not move (nor diverge)


def twin_spec(run: RunSpec) -> dict[str, Any]:
    """The twin's description of ``run`` (one run or several: one entry of ``runs`` each).

    Validated as ``simulate`` validates it (the same ``ValueError`` for the same mistake); an
    objective the twin does not have raises ``ValueError`` too. ``record`` and ``every`` are
    not used: the twin records every step in full.
    """
    if not isinstance(run, RunSpec):
        raise TypeError("twin_spec takes a RunSpec")
    obj = get_objective(run.objective, **dict(run.objective_options))
    kind = TWIN_OBJECTIVES.get(obj.name)
    if kind is None or obj.dim != 2:
        raise ValueError(f"the browser twin computes 2-D objectives only ({', '.join(TWIN_OBJECTIVES)}); "
                         f"{obj.name} cannot be twinned")
    opt = get_optimizer(run.optimizer)
    steps, _ = _validate_common(run.steps, "full", 1)
    hyper, seed, noise = run.per_run()
    hyper = validate_hypers(opt, hyper)
    start = _start_points(obj, None if run.start is None else np.asarray(run.start))
    runs = _n_runs({"start": start.shape[0], "seed": np.size(seed), "noise": np.size(noise),
                    **{k: v.size for k, v in hyper.items()}})
    schedule = np.asarray(run.schedule) if isinstance(run.schedule, tuple) else run.schedule
    factors = _lr_factors(steps, schedule, dict(run.schedule_options))
    clip_value = _check_clip("clip_value", run.clip_value)
    clip_norm = _check_clip("clip_norm", run.clip_norm)
    start = np.broadcast_to(start, (runs, 2))
    draws, rows = _draws(obj, steps, start, seed, noise)
    per_run = {k: np.broadcast_to(v, (runs,)) for k, v in hyper.items()}
    return {
        "format": FORMAT,
        "steps": steps,
        "record_state": run.record_state,
        "objective": {"name": obj.name, "kind": kind, **_objective_constants(obj, kind)},
        "optimizer": {"name": opt.name, "factory": opt.factory.__name__, "fixed": dict(opt.fixed)},
        "lr_factors": None if (factors == 1.0).all() else factors.tolist(),
        "clip_value": clip_value,
        "clip_norm": clip_norm,
        "runs": [{
            "start": start[r].tolist(),
            "hyper": {k: v[r].item() for k, v in per_run.items()},
            "noise": None if draws is None else draws[:, r].ravel().tolist(),
            "rows": None if rows is None else rows[r],
        } for r in range(runs)],
    }


def _objective_constants(obj: Objective, kind: str) -> dict[str, Any]:
    if kind == "quadratic":  # 0.5 (theta - c)^T H (theta - c): H and c as the engine holds them
        return {"hess": obj.hess(np.zeros(2)).ravel().tolist(), "center": list(obj.minima[0])}
    if kind == "program":  # value, d/dx, d/dy: the program the engine evaluates
        program = parse_function(obj.options["expr"]).both
        return {"ops": [_op(op) for op in program.ops], "outputs": list(program.outputs)}
    if kind == "sparse2d":
        return {"hess": obj.hess(np.zeros(2)).ravel().tolist(), "optimum": list(obj.minima[0]),
                "batch": int(obj.options["batch_size"])}
    return {}


def _op(op: tuple) -> list:
    if op[0] == "num":
        value = float(op[1])
        return ["num", value if math.isfinite(value) else repr(value).replace("inf", "Infinity").replace("nan", "NaN")]
    return list(op)


def _draws(obj: Objective, steps: int, start: np.ndarray, seed, noise):
    """The noise ``(steps, runs, 2)`` (None without noise) and, for a sampled objective, each run's
    sampled rows as a string, from one run of the engine on a probe with ``obj``'s sampling: its
    gradient is -0.0 and its sampler records the row indices the engine draws."""
    drawn = []

    def minus_zero(p):
        return np.full(np.shape(p), -0.0)

    def sample_grad(w, idx):
        drawn.append(np.array(idx))
        return minus_zero(w)

    probe = dataclasses.replace(
        obj, name="twin-probe", value=lambda p: np.zeros(np.shape(p)[:-1]), grad=minus_zero,
        value_and_grad=None, hess=None, sample_grad=sample_grad if obj.stochastic else None)
    trace = simulate(probe, "sgd", steps, start=start, noise=noise, seed=seed, lr=_PROBE_LR)
    if (trace.stopped_at >= 0).any():
        raise ValueError("the gradient noise overflows: the twin cannot reproduce this run")
    draws = np.asarray(trace.grads) if np.any(noise) else None
    if not obj.stochastic:
        return draws, None
    X = _sample_rows(obj)
    idx = np.stack(drawn)  # (steps, 1 or runs, batch)
    codes = (X[:, 0] + 2 * X[:, 1]).astype(np.uint8) + ord("0")
    rows = [codes[idx[:, min(r, idx.shape[1] - 1)]].tobytes().decode("ascii") for r in range(start.shape[0])]
    return draws, rows


def _sample_rows(obj: Objective) -> np.ndarray:
    """The rows ``x_i`` of a 2-D least-squares problem (``engine.objectives._sparse_problem``),
    through its own stochastic gradient: at ``w* + (1, 0)`` the gradient of row i alone is
    ``x_i (x_i . (1, 0)) = x_i`` when its first feature is 1, which sparse2d's always is."""
    w_star = np.asarray(obj.minima[0], dtype=float)
    w = np.broadcast_to(w_star + np.array([1.0, 0.0]), (obj.n_samples, 2)).copy()
    X = obj.sample_grad(w, np.arange(obj.n_samples)[:, None])
    if not (np.isin(X, (0.0, 1.0)).all() and (X[:, 0] == 1.0).all() and (w - w_star == [1.0, 0.0]).all()):
        raise ValueError(f"{obj.name}: the twin needs binary rows whose first feature is always 1")
    return X
