"""Generate ``torch_reference.json``: torch.optim trajectories the engine must reproduce.

Run once from the repository root (needs torch; the tests do not)::

    python tests/data/make_torch_reference.py

Two kinds of case, every one in float64 with B = 2 runs, each run its own
parameter tensor in its own param group (so a run can have its own
hyperparameters: a list in ``CASES`` gives one value per run):

* ``grads``: a fixed, pre-generated gradient sequence (stored in the JSON)
  is fed to ``p.grad`` step by step. Its three coordinates have very different
  scales (1, 1e-6 and a sparse one that is exactly zero on most steps), so eps
  placement, initial accumulators and bias corrections all show in the path.
  The engine side is ``engine.replay``.
* ``rosenbrock``: the gradient is computed from the current parameters each
  step, ``(2(x-1) - 400 x (y-x^2), 200 (y-x^2))``, plus Gaussian noise drawn as
  ``np.random.default_rng(seed).normal(0, noise, (T, 2))`` for each run's seed
  (the engine's documented noise stream). The engine side is ``engine.simulate``.

Our hyperparameter names map onto torch's as written in ``CASES`` below:
rmsprop's ``rho`` is torch's ``alpha``; ``momentum``/``nesterov`` are torch's
SGD with ``momentum`` (and ``nesterov=True``), dampening 0; ``adam``'s
``weight_decay`` is torch Adam's coupled L2, ``adamw``'s is AdamW's decoupled
decay. A ``schedule`` entry is torch's ``StepLR`` / ``CosineAnnealingLR``
stepped once after every optimiser step (our ``schedule_factors`` names).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

# torch is imported inside the functions: pytest --doctest-modules imports this file,
# and the test machines need not have torch.

OUT = pathlib.Path(__file__).with_name("torch_reference.json")
T_GRADS = 30
T_ROSEN = 40
ROSEN_NOISE = 0.3
ROSEN_SEEDS = [0, 7]
ROSEN_START = [[-1.0, 0.5], [0.3, -0.2]]
# Rosenbrock's gradient is ~200 at the start: the SGD family (and RAdam, which is
# momentum SGD for its first five steps) needs a smaller lr there.
ROSEN_LR = {"sgd": 1e-3, "momentum": 1e-3, "momentum_steplr": 1e-3, "nesterov": 1e-3,
            "radam": 1e-3}


def make_grads():
    rng = np.random.default_rng(20240611)
    B, D = 2, 3
    g = np.empty((T_GRADS, B, D))
    g[..., 0] = 0.5 + rng.normal(0.0, 1.0, (T_GRADS, B))  # biased, so momentum matters
    g[..., 1] = 1e-6 * rng.normal(0.0, 1.0, (T_GRADS, B))  # same order as sqrt(v) vs eps
    fires = rng.random((T_GRADS, B)) < 0.25
    fires[0] = False  # the sparse coordinate starts with a zero gradient
    fires[3] = True
    g[..., 2] = np.where(fires, 10.0 * rng.normal(0.0, 1.0, (T_GRADS, B)), 0.0)
    start = np.array([[0.5, -1.0, 2.0], [-0.25, 0.75, -3.0]])
    return g, start


# (id, our optimiser, our hypers, torch class, torch kwargs, schedule or None, modes)
CASES = [
    ("sgd", "sgd", {"lr": 0.01}, "SGD", {"lr": 0.01}, None, ("grads", "rosenbrock")),
    ("momentum", "momentum", {"lr": 0.01, "momentum": 0.9},
     "SGD", {"lr": 0.01, "momentum": 0.9}, None, ("grads", "rosenbrock")),
    ("momentum_steplr", "momentum", {"lr": 0.01, "momentum": 0.9},
     "SGD", {"lr": 0.01, "momentum": 0.9},
     {"name": "step", "step_size": 7, "gamma": 0.5}, ("grads", "rosenbrock")),
    ("nesterov", "nesterov", {"lr": 0.01, "momentum": 0.8},
     "SGD", {"lr": 0.01, "momentum": 0.8, "nesterov": True}, None, ("grads", "rosenbrock")),
    ("adagrad", "adagrad", {"lr": 0.1, "eps": 1e-10},
     "Adagrad", {"lr": 0.1, "eps": 1e-10}, None, ("grads", "rosenbrock")),
    ("rmsprop", "rmsprop", {"lr": 0.01, "rho": 0.9, "eps": 1e-8},
     "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-8}, None, ("grads", "rosenbrock")),
    ("rmsprop_centered", "rmsprop", {"lr": 0.01, "rho": 0.95, "eps": 1e-8, "centered": True},
     "RMSprop", {"lr": 0.01, "alpha": 0.95, "eps": 1e-8, "centered": True}, None,
     ("grads", "rosenbrock")),
    ("adam", "adam", {"lr": 0.01}, "Adam", {"lr": 0.01}, None, ("grads", "rosenbrock")),
    ("adam_amsgrad_wd", "adam",
     {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-7, "weight_decay": 0.1, "amsgrad": True},
     "Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-7, "weight_decay": 0.1, "amsgrad": True},
     None, ("grads", "rosenbrock")),
    ("adam_cosine", "adam", {"lr": 0.02}, "Adam", {"lr": 0.02},
     {"name": "cosine", "min_factor": 0.1}, ("grads",)),
    ("adamw", "adamw", {"lr": 0.01, "weight_decay": 0.1},
     "AdamW", {"lr": 0.01, "weight_decay": 0.1}, None, ("grads", "rosenbrock")),
    ("adamw_amsgrad", "adamw", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True},
     "AdamW", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True}, None, ("grads",)),
    ("nadam", "nadam", {"lr": 0.01}, "NAdam", {"lr": 0.01}, None, ("grads", "rosenbrock")),
    ("radam", "radam", {"lr": 0.01}, "RAdam", {"lr": 0.01}, None, ("grads", "rosenbrock")),
    ("adamax", "adamax", {"lr": 0.01}, "Adamax", {"lr": 0.01}, None, ("grads", "rosenbrock")),
    ("adadelta", "adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6},
     "Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}, None, ("grads", "rosenbrock")),
    # AdamW's decay is multiplied by the scheduled lr
    ("adamw_steplr", "adamw", {"lr": 0.02, "weight_decay": 0.2},
     "AdamW", {"lr": 0.02, "weight_decay": 0.2},
     {"name": "step", "step_size": 5, "gamma": 0.5}, ("grads", "rosenbrock")),
    # Per-run hyperparameters (lists: one value per run; torch: one param group per run)
    ("momentum_per_run", "momentum", {"lr": [0.01, 0.02], "momentum": [0.9, 0.0]},
     "SGD", [{"lr": 0.01, "momentum": 0.9}, {"lr": 0.02, "momentum": 0.0}], None, ("grads",)),
    ("rmsprop_per_run", "rmsprop",
     {"lr": [0.01, 0.003], "rho": [0.9, 0.99], "centered": [True, False]},
     "RMSprop", [{"lr": 0.01, "alpha": 0.9, "centered": True},
                 {"lr": 0.003, "alpha": 0.99, "centered": False}], None, ("grads", "rosenbrock")),
    ("adam_per_run", "adam",
     {"lr": [0.01, 0.003], "beta1": [0.9, 0.5], "beta2": [0.999, 0.9], "amsgrad": [False, True],
      "weight_decay": [0.0, 0.05]},
     "Adam", [{"lr": 0.01, "betas": (0.9, 0.999), "amsgrad": False, "weight_decay": 0.0},
              {"lr": 0.003, "betas": (0.5, 0.9), "amsgrad": True, "weight_decay": 0.05}],
     None, ("grads", "rosenbrock")),
    ("nadam_per_run", "nadam", {"lr": [0.01, 0.002], "beta2": [0.999, 0.95]},
     "NAdam", [{"lr": 0.01, "betas": (0.9, 0.999)}, {"lr": 0.002, "betas": (0.9, 0.95)}],
     None, ("grads",)),
    ("radam_per_run", "radam", {"lr": [0.01, 0.002], "beta2": [0.999, 0.95]},
     "RAdam", [{"lr": 0.01, "betas": (0.9, 0.999)}, {"lr": 0.002, "betas": (0.9, 0.95)}],
     None, ("grads",)),
    ("adamax_per_run", "adamax", {"lr": [0.01, 0.002], "beta1": [0.9, 0.0]},
     "Adamax", [{"lr": 0.01, "betas": (0.9, 0.999)}, {"lr": 0.002, "betas": (0.0, 0.999)}],
     None, ("grads",)),
]


def torch_schedule(opt, schedule, steps):
    import torch

    if schedule is None:
        return None
    if schedule["name"] == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=schedule["step_size"],
                                               gamma=schedule["gamma"])
    if schedule["name"] == "cosine":
        base = opt.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=steps, eta_min=schedule["min_factor"] * base)
    raise ValueError(schedule)


def run_torch(torch_name, kwargs, schedule, start, steps, grad_of):
    """One parameter tensor per run, each in its own param group (kwargs: a dict, or one per run)."""
    import torch

    runs = len(start)
    per_run = kwargs if isinstance(kwargs, list) else [kwargs] * runs
    ps = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in start]
    opt = getattr(torch.optim, torch_name)([{"params": [p], **kw} for p, kw in zip(ps, per_run)])
    sched = torch_schedule(opt, schedule, steps)

    def now():
        return np.stack([p.detach().numpy().copy() for p in ps])

    path = [now()]
    for t in range(steps):
        g = grad_of(now(), t)
        for r, p in enumerate(ps):
            p.grad = torch.as_tensor(g[r], dtype=torch.float64).clone()
        opt.step()
        if sched is not None:
            sched.step()
        path.append(now())
    return np.stack(path)


def rosen_grad(p):
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return np.stack([2.0 * (x - 1.0) - 400.0 * x * r, 200.0 * r], axis=-1)


def main():
    import torch

    torch.set_default_dtype(torch.float64)
    grads, start = make_grads()
    noise = np.stack([np.random.default_rng(s).normal(0.0, ROSEN_NOISE, (T_ROSEN, 2))
                      for s in ROSEN_SEEDS], axis=1)  # (T, B, 2)
    cases = []
    for case_id, ours, hyper, torch_name, kwargs, schedule, modes in CASES:
        for mode in modes:
            if mode == "grads":
                path = run_torch(torch_name, kwargs, schedule, start, T_GRADS,
                                 lambda p, t: grads[t])
            else:
                if case_id in ROSEN_LR:
                    hyper = {**hyper, "lr": ROSEN_LR[case_id]}
                    kwargs = {**kwargs, "lr": ROSEN_LR[case_id]}
                if case_id == "rmsprop_per_run":  # 0.01 is too big a step for centered RMSprop here
                    hyper = {**hyper, "lr": [0.003, 0.003]}
                    kwargs = [{**kw, "lr": 0.003} for kw in kwargs]
                path = run_torch(torch_name, kwargs, schedule, np.array(ROSEN_START), T_ROSEN,
                                 lambda p, t: rosen_grad(p) + noise[t])
            assert (np.abs(path) < 100).all(), f"{case_id}-{mode} runs away: not a useful reference"
            cases.append({"id": f"{case_id}-{mode}", "mode": mode, "optimizer": ours,
                          "hyper": hyper, "torch": torch_name, "torch_kwargs": kwargs,
                          "schedule": schedule, "params": path.tolist()})
    data = {
        "torch_version": torch.__version__,
        "grads": {"steps": T_GRADS, "start": start.tolist(), "grads": grads.tolist()},
        "rosenbrock": {"steps": T_ROSEN, "start": ROSEN_START, "noise": ROSEN_NOISE,
                       "seeds": ROSEN_SEEDS},
        "cases": cases,
    }
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
