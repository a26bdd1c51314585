"""Second-order and derivative-free baselines: ``scipy.optimize.minimize`` paths.

Each method runs from the same start as the first-order optimisers, on the exact
(noise-free) function: these methods assume exact values and gradients. The path
is every iterate scipy reports through its callback; evaluation counts come from
wrappers around the function, gradient and Hessian (so they include line-search
evaluations), recorded at every iterate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .objectives import Objective, get_objective

__all__ = ["BASELINES", "BaselinePath", "scipy_path"]

BASELINES = {
    "BFGS": "BFGS (quasi-Newton, dense inverse-Hessian estimate)",
    "L-BFGS-B": "L-BFGS-B (quasi-Newton, limited memory)",
    "Newton-CG": "Newton-CG (exact Hessian, conjugate-gradient inner solves)",
    "Nelder-Mead": "Nelder-Mead (simplex; no derivatives)",
}


@dataclass(frozen=True)
class BaselinePath:
    method: str
    params: np.ndarray  # (n_iter + 1, D), start first
    loss: np.ndarray  # (n_iter + 1,)
    nfev: np.ndarray  # cumulative function evaluations at each iterate
    njev: np.ndarray  # cumulative gradient evaluations at each iterate
    nhev: np.ndarray  # cumulative Hessian evaluations at each iterate
    success: bool
    message: str

    @property
    def evaluations(self) -> np.ndarray:
        """Function + gradient + Hessian evaluations so far, at each iterate."""
        return self.nfev + self.njev + self.nhev


def scipy_path(objective: Objective | str, method: str, start=None, max_iter: int = 500) -> BaselinePath:
    """Minimise ``objective`` with ``scipy.optimize.minimize(method=...)`` and record its path."""
    if method not in BASELINES:
        raise ValueError(f"Unknown method {method!r}; choose one of: {', '.join(BASELINES)}")
    if not (1 <= int(max_iter) <= 100_000):
        raise ValueError(f"max_iter must be between 1 and 100000, got {max_iter!r}")
    obj = get_objective(objective)
    x0 = np.asarray(obj.start if start is None else start, dtype=float)
    if x0.shape != (obj.dim,) or not np.isfinite(x0).all():
        raise ValueError(f"start must be {obj.dim} finite numbers, got {start!r}")
    with np.errstate(all="ignore"):
        if not np.isfinite(obj.value(x0)):
            where = ", ".join(f"{v:g}" for v in x0)
            raise ValueError(f"the function is not finite at the start point ({where}): the scipy methods need "
                             "a start where it has a value; move the start")
    counts = {"f": 0, "g": 0, "h": 0}

    def fun(p):
        counts["f"] += 1
        return float(obj.value(p))

    def jac(p):
        counts["g"] += 1
        return np.asarray(obj.grad(p), dtype=float)

    def hess(p):
        counts["h"] += 1
        return np.asarray(obj.hess(p), dtype=float)

    path, tally = [x0.copy()], [(0, 0, 0)]

    def callback(xk, *args):
        path.append(np.array(xk, dtype=float))
        tally.append((counts["f"], counts["g"], counts["h"]))

    kwargs = {"method": method, "callback": callback, "options": {"maxiter": int(max_iter)}}
    if method != "Nelder-Mead":
        kwargs["jac"] = jac
    if method == "Newton-CG":
        if obj.hess is None:
            raise ValueError(f"{obj.title} has no exact Hessian for Newton-CG")
        kwargs["hess"] = hess
    with np.errstate(all="ignore"):
        res = minimize(fun, x0, **kwargs)
        params = np.array(path)
        loss = obj.value(params)
    keep = np.isfinite(loss) & np.isfinite(params).all(-1)
    if not keep.all():  # stop the path where it stopped being finite
        last = int(np.argmin(keep))
        params, loss, tally = params[:last], loss[:last], tally[:last]
    t = np.asarray(tally)
    return BaselinePath(method, params, loss, t[:, 0], t[:, 1], t[:, 2], bool(res.success), str(res.message))
