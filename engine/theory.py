"""What theory says of the momentum methods on a quadratic (pure numpy).

On ``f(θ) = ½ θᵀAθ`` every eigen-direction of ``A`` (eigenvalue λ) evolves on its own, and with
gradients without noise and a constant η the iterates follow a linear recursion whose
characteristic polynomial is ``z² − a z + b``:

* gradient descent (SGD): ``θ ← θ − ηλθ``: ``a = 1 − ηλ``, ``b = 0``;
* heavy-ball momentum in torch's form (``b ← μb + g``, ``θ ← θ − ηb``; the same iteration as
  Polyak's heavy ball with step α = η): ``a = 1 + μ − ηλ``, ``b = μ``;
* Nesterov in torch's form (the step along ``g + μb``; the same iteration as Sutskever's
  ``y = θ + μ(θ − θ₋₁)``, ``θ ← y − η∇f(y)``): ``a = (1 + μ)(1 − ηλ)``, ``b = μ(1 − ηλ)``.

The run converges iff both roots lie inside the unit circle for every eigenvalue (Jury's
conditions ``|b| < 1``, ``1 − a + b > 0``, ``1 + a + b > 0``), and it converges as fast as its
largest root's modulus, the *rate*. With eigenvalues in ``[m, L]`` (``κ = L/m``):

* SGD is stable for ``0 < η < 2/L``; the rate is lowest at ``η* = 2/(L + m)``;
* heavy ball is stable for ``0 ≤ μ < 1`` and ``0 < η < 2(1 + μ)/L``; the rate is lowest,
  ``(√κ − 1)/(√κ + 1)``, at ``η* = 4/(√L + √m)²``, ``μ* = ((√κ − 1)/(√κ + 1))²`` (Polyak, 1964);
* Nesterov is stable for ``0 ≤ μ < 1`` and ``0 < η < 2(1 + μ)/((1 + 2μ)L)``; the rate is lowest,
  ``1 − 2/√(3κ + 1)``, at ``η* = 4/(3L + m)``, ``μ* = (√(3κ + 1) − 2)/(√(3κ + 1) + 2)``
  (Lessard, Recht & Packard, 2016).

For a 2-D quadratic the spectrum is its two eigenvalues ``m`` and ``L``; the optima above, found
for the whole interval, are also those of the two end points (the rate is largest at the ends).
``tests/engine/test_theory.py`` checks every formula against the roots and against the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["HEAVY_BALL", "NESTEROV", "SGD", "QuadraticTheory", "curvatures"]


def _radius(a, b) -> np.ndarray:
    """The largest modulus of the roots of ``z² − a z + b`` (elementwise)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    root = np.sqrt((a * a - 4 * b).astype(complex))
    return np.maximum(np.abs((a + root) / 2), np.abs((a - root) / 2))


@dataclass(frozen=True)
class QuadraticTheory:
    """One method's recursion on a quadratic: its stability edge, its best (η, μ) and its rate.

    ``coefficients(η, μ, λ)`` gives ``(a, b)`` of the characteristic polynomial ``z² − a z + b``;
    ``edge(μ, L)`` the largest stable η (the run diverges beyond it); ``optimum(m, L)`` the
    ``(η*, μ*)`` of the lowest worst-case rate (``μ*`` None for a method without μ).
    ``edge_text`` and ``optimum_text`` say the same in plain text, for a chart's tooltip."""

    name: str
    coefficients: Callable
    edge: Callable[[np.ndarray, float], np.ndarray]
    optimum: Callable[[float, float], tuple[float, float | None]]
    edge_text: str
    optimum_text: str
    source: str

    def rate(self, eta, mu, eigenvalues) -> np.ndarray:
        """The worst root modulus over ``eigenvalues`` (broadcast over ``eta`` and ``mu``): the
        factor by which the distance to the minimum shrinks per step, eventually; ≥ 1 diverges."""
        eta, mu = np.asarray(eta, dtype=float), np.asarray(0.0 if mu is None else mu, dtype=float)
        return np.max([_radius(*self.coefficients(eta, mu, float(lam))) for lam in eigenvalues], axis=0)


def _sqrt_kappa(m: float, L: float) -> float:
    return float(np.sqrt(L / m))


SGD = QuadraticTheory(
    "gradient descent",
    coefficients=lambda eta, mu, lam: (1.0 - eta * lam, 0.0 * eta),
    edge=lambda mu, L: np.full(np.shape(mu), 2.0 / L),
    optimum=lambda m, L: (2.0 / (L + m), None),
    edge_text="stable while η < 2/L", optimum_text="η* = 2/(L + m)", source="")

HEAVY_BALL = QuadraticTheory(
    "heavy-ball momentum",
    coefficients=lambda eta, mu, lam: (1.0 + mu - eta * lam, mu + 0.0 * eta),
    edge=lambda mu, L: 2.0 * (1.0 + np.asarray(mu, dtype=float)) / L,
    optimum=lambda m, L: (4.0 / (np.sqrt(L) + np.sqrt(m)) ** 2,
                          ((_sqrt_kappa(m, L) - 1.0) / (_sqrt_kappa(m, L) + 1.0)) ** 2),
    edge_text="stable while η < 2(1 + μ)/L", optimum_text="η* = 4/(√L + √m)², μ* = ((√κ − 1)/(√κ + 1))²",
    source="Polyak (1964)")

NESTEROV = QuadraticTheory(
    "Nesterov momentum",
    coefficients=lambda eta, mu, lam: ((1.0 + mu) * (1.0 - eta * lam), mu * (1.0 - eta * lam)),
    edge=lambda mu, L: 2.0 * (1.0 + np.asarray(mu, dtype=float)) / ((1.0 + 2.0 * np.asarray(mu, dtype=float)) * L),
    optimum=lambda m, L: (4.0 / (3.0 * L + m),
                          (np.sqrt(3.0 * L / m + 1.0) - 2.0) / (np.sqrt(3.0 * L / m + 1.0) + 2.0)),
    edge_text="stable while η < 2(1 + μ)/((1 + 2μ)L)",
    optimum_text="η* = 4/(3L + m), μ* = (√(3κ + 1) − 2)/(√(3κ + 1) + 2)", source="Lessard, Recht & Packard (2016)")


def curvatures(objective) -> tuple[float, float] | None:
    """``(m, L)``: the smallest and largest eigenvalue of a quadratic objective's (constant)
    Hessian; None for an objective that is not exactly quadratic."""
    if not getattr(objective, "constant_hessian", False) or objective.hess is None:
        return None
    eig = np.linalg.eigvalsh(np.asarray(objective.hess(np.asarray(objective.start, dtype=float))))
    return float(eig.min()), float(eig.max())
