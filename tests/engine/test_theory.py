"""Theory of the momentum methods on a quadratic (``engine.theory``), held to the roots of each
recursion (found here by ``numpy.roots``, one eigenvalue at a time) and to the engine's runs."""

from __future__ import annotations

import numpy as np
import pytest

from engine import OPTIMIZERS, get_objective, simulate
from engine.theory import HEAVY_BALL, NESTEROV, SGD, curvatures

KAPPAS = (4.0, 10.0, 100.0, 1000.0)


def radius(name: str, eta: float, mu: float, lam: float) -> float:
    """The largest root modulus of one eigen-direction's recursion, from its 2x2 matrix: the state
    (θ, b) of torch's buffer form, written out step by step here, not from ``engine.theory``."""
    if name == "sgd":
        return abs(1 - eta * lam)
    if name == "momentum":  # b' = μb + λθ; θ' = θ − ηb'
        matrix = [[1 - eta * lam, -eta * mu], [lam, mu]]
    else:  # nesterov: b' = μb + λθ; θ' = θ − η(λθ + μb')
        matrix = [[1 - eta * lam * (1 + mu), -eta * mu * mu], [lam, mu]]
    return float(np.abs(np.linalg.eigvals(np.array(matrix))).max())


LAWS = {"sgd": SGD, "momentum": HEAVY_BALL, "nesterov": NESTEROV}


@pytest.mark.parametrize("name", sorted(LAWS))
def test_each_optimisers_row_holds_its_theory(name):
    assert OPTIMIZERS[name].theory is LAWS[name]
    assert all(OPTIMIZERS[o].theory is None for o in OPTIMIZERS if o not in LAWS)


@pytest.mark.parametrize("kappa", KAPPAS)
@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_rate_is_the_largest_root_of_the_recursion(name, kappa):
    law = LAWS[name]
    rng = np.random.default_rng(int(kappa))
    for eta, mu in zip(rng.uniform(0.01, 3.0, 20) / kappa, rng.uniform(0, 0.999, 20)):
        mu = 0.0 if name == "sgd" else mu
        expected = max(radius(name, eta, mu, lam) for lam in (1.0, kappa))
        assert law.rate(eta, mu, (1.0, kappa)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("kappa", KAPPAS)
@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_stability_edge_is_where_the_rate_reaches_one(name, kappa):
    law = LAWS[name]
    for mu in ((0.0,) if name == "sgd" else (0.0, 0.5, 0.9, 0.99)):
        edge = float(law.edge(mu, kappa))
        assert max(radius(name, edge * 0.999, mu, lam) for lam in (1.0, kappa)) < 1
        assert max(radius(name, edge * 1.001, mu, lam) for lam in (1.0, kappa)) > 1


@pytest.mark.parametrize("kappa", KAPPAS)
@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_optimum_has_the_lowest_rate_a_fine_search_finds(name, kappa):
    law = LAWS[name]
    eta_star, mu_star = law.optimum(1.0, kappa)
    best = max(radius(name, eta_star, mu_star or 0.0, lam) for lam in (1.0, kappa))
    etas = np.geomspace(0.05 / kappa, 3.0 / kappa, 160)
    mus = (0.0,) if name == "sgd" else np.linspace(0.0, 0.999, 160)
    searched = min(max(radius(name, e, u, lam) for lam in (1.0, kappa)) for e in etas for u in mus)
    assert best <= searched + 1e-12
    if name == "momentum":  # the classical rate (√κ − 1)/(√κ + 1)
        assert best == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1), rel=1e-6)
    if name == "nesterov":
        assert best == pytest.approx(1 - 2 / np.sqrt(3 * kappa + 1), rel=1e-6)


def test_curvatures_are_the_quadratics_eigenvalues_and_none_elsewhere():
    assert curvatures(get_objective("quadratic", cond=30.0, angle=25.0)) == pytest.approx((1.0, 30.0))
    assert curvatures(get_objective("scaled", cond=7.0)) == pytest.approx((1.0, 7.0))
    for name in ("rosenbrock", "beale", "saddle", "sparse2d"):
        assert curvatures(get_objective(name)) is None


@pytest.mark.parametrize("angle", [0.0, 30.0])
@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_engine_converges_inside_the_edge_and_grows_beyond_it(name, angle):
    """The engine's runs (no noise, torch's conventions) on a turned quadratic: just inside the
    edge f falls, just beyond it f grows, and at the optimum f falls at the optimal rate."""
    kappa = 50.0
    objective = get_objective("quadratic", cond=kappa, angle=angle)
    law = LAWS[name]
    mus = (0.0,) if name == "sgd" else (0.0, 0.6, 0.95)
    steps = 400
    for mu in mus:
        hyper = {} if name == "sgd" else {"momentum": mu}
        edge = float(law.edge(mu, kappa))
        inside = simulate(objective, name, steps, lr=edge * 0.98, record="loss", **hyper)
        beyond = simulate(objective, name, steps, lr=edge * 1.02, record="loss", **hyper)
        assert inside.final_loss[0] < inside.loss[0, 0] and not inside.diverged[0]
        assert beyond.diverged[0] or beyond.final_loss[0] > beyond.loss[0, 0]
    eta, mu = law.optimum(1.0, kappa)
    run = simulate(objective, name, 60, lr=eta, record="loss", **({} if mu is None else {"momentum": mu}))
    rate = float(law.rate(eta, mu, (1.0, kappa)))
    # the loss is quadratic in the distance: it falls like rate**(2t), up to a polynomial factor
    # where the roots coincide
    measured = (run.loss[-1, 0] / run.loss[20, 0]) ** (1 / (2 * 40))
    assert measured == pytest.approx(rate, rel=0.05)
