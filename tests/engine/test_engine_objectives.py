"""Objectives: analytic gradients against finite differences, scipy and the listed minima."""

from __future__ import annotations

import numpy as np
import pytest
from engine_testlib import points_in_bounds
from scipy.optimize import rosen, rosen_der

from engine import OBJECTIVES, contour_grid, get_objective


def central_differences(f, points, h=1e-6):
    """Central differences of ``f`` (last-axis coordinates) at each point: ``(n, D)``."""
    cols = []
    for e in np.eye(points.shape[-1]):
        cols.append((f(points + h * e) - f(points - h * e)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_finite_differences(objective, seed):
    points = points_in_bounds(objective, 6, seed)
    analytic = objective.grad(points)
    numeric = central_differences(objective.value, points)
    assert analytic.shape == points.shape
    scale = np.maximum(1.0, np.abs(numeric))
    np.testing.assert_array_less(np.abs(analytic - numeric) / scale, 1e-6)


def test_value_and_grad_broadcast_over_leading_axes(objective):
    """One function serves a (B, D) batch and an (H, W, D) grid."""
    points = points_in_bounds(objective, 12, 5)
    grid = points.reshape(3, 4, objective.dim)
    np.testing.assert_array_equal(objective.value(grid).reshape(-1), objective.value(points))
    np.testing.assert_array_equal(objective.grad(grid).reshape(12, -1), objective.grad(points))
    single = objective.value(points[0])
    assert np.ndim(single) == 0
    assert single == pytest.approx(objective.value(points)[0], rel=1e-13, abs=1e-13)


def test_rosenbrock_matches_scipy():
    rosenbrock = get_objective("rosenbrock")
    for p in points_in_bounds(rosenbrock, 20, 3):
        assert rosenbrock.value(p) == pytest.approx(rosen(p), rel=1e-14, abs=1e-14)
        np.testing.assert_allclose(rosenbrock.grad(p), rosen_der(p), rtol=1e-13, atol=1e-12)


def test_listed_minima_have_fmin_and_flat_gradient(objective):
    if objective.minima == ():
        pytest.skip(f"{objective.name} has no known minimum")
    for m in objective.minima:
        m = np.asarray(m, dtype=float)
        assert m.shape == (objective.dim,)
        assert objective.value(m) == pytest.approx(objective.fmin, abs=1e-6)
        assert np.abs(objective.grad(m)).max() < 1e-3
        assert objective.distance_to_minimum(m) == pytest.approx(0.0, abs=1e-12)


def test_fmin_is_a_lower_bound_inside_bounds(objective):
    points = points_in_bounds(objective, 2000, 9)
    assert objective.value(points).min() >= objective.fmin - 1e-9


def test_metadata_is_consistent(objective):
    assert len(objective.bounds) == objective.dim
    assert all(lo < hi for lo, hi in objective.bounds)
    start = np.asarray(objective.start, dtype=float)
    assert start.shape == (objective.dim,)
    assert np.isfinite(objective.value(start))
    assert objective.latex and objective.title and objective.description


def test_nearest_minimum_picks_the_closest():
    himmelblau = get_objective("himmelblau")
    minima = np.asarray(himmelblau.minima)
    probes = minima + 0.1
    np.testing.assert_array_equal(himmelblau.nearest_minimum(probes), minima)
    np.testing.assert_allclose(himmelblau.distance_to_minimum(probes), np.sqrt(0.02))


def test_quadratic_has_the_requested_condition_number():
    q = get_objective("quadratic", cond=80.0, angle=25.0)
    hessian = central_differences(q.grad, np.zeros((1, 2)), h=1e-3)[0]
    eig = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))
    np.testing.assert_allclose(eig, [1.0, 80.0], rtol=1e-8)
    stiff = np.linalg.eigh(hessian)[1][:, 1]  # the y axis (curvature cond), turned by 25 degrees
    a = np.deg2rad(25.0)
    assert abs(stiff @ [-np.sin(a), np.cos(a)]) == pytest.approx(1.0, abs=1e-8)


def test_contour_grid_evaluates_the_function():
    obj = get_objective("beale")
    xs, ys, z = contour_grid(obj, n=7)
    assert z.shape == (7, 7) and xs.shape == ys.shape == (7,)
    assert (xs[0], xs[-1]) == obj.bounds[0] and (ys[0], ys[-1]) == obj.bounds[1]
    assert z[2, 5] == obj.value(np.array([xs[5], ys[2]]))


# ---------------------------------------------------------------------------
# Sparse-gradient objectives
# ---------------------------------------------------------------------------

SPARSE = [(n, {}) for n in OBJECTIVES if get_objective(n).feature_freq is not None] + [
    ("sparse", {"dim": 9, "freq_min": 0.02, "n_samples": 400, "data_seed": 3}),
]


def sparse_ids(case):
    return case[0] + ("-options" if case[1] else "")


def design_matrix(obj):
    """Recover the binary features ``X`` by probing: the sample gradient of row i at
    ``w* + e_j`` is ``x_i x_ij``, whose j-th entry is ``x_ij``."""
    w_star = np.asarray(obj.minima[0])
    rows = np.arange(obj.n_samples)
    X = np.empty((obj.n_samples, obj.dim))
    for j in range(obj.dim):
        w = np.broadcast_to(w_star + np.eye(obj.dim)[j], (obj.n_samples, obj.dim))
        X[:, j] = obj.sample_grad(w, rows[:, None])[:, j]
    binary = np.round(X)
    np.testing.assert_allclose(X, binary, rtol=0, atol=1e-12)  # w* + e_j - w* is e_j to rounding
    return binary


@pytest.mark.parametrize("case", SPARSE, ids=sparse_ids)
def test_sparse_sample_gradients(case):
    obj = get_objective(case[0], **case[1])
    assert obj.stochastic and obj.n_samples > 0
    X = design_matrix(obj)
    assert set(np.unique(X).tolist()) <= {0.0, 1.0}
    w_star = np.asarray(obj.minima[0])
    rows = np.arange(obj.n_samples)[:, None]
    for seed in range(3):
        w = points_in_bounds(obj, 1, seed)
        per_row = obj.sample_grad(np.broadcast_to(w, (obj.n_samples, obj.dim)), rows)
        # exactly zero for every feature absent from the sampled row
        assert (per_row[X == 0] == 0.0).all()
        # x_i (x_i . (w - w*)): the least-squares sample gradient
        np.testing.assert_allclose(per_row, X * (X @ (w[0] - w_star))[:, None], rtol=1e-12, atol=1e-12)
        # averaged over every row it is the full gradient
        np.testing.assert_allclose(per_row.mean(0), obj.grad(w)[0], rtol=1e-10, atol=1e-12)
        # a batch of all rows at once gives the same mean
        np.testing.assert_allclose(obj.sample_grad(w, rows.T), obj.grad(w), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(obj.feature_freq, X.mean(0), rtol=0, atol=1e-15)
    assert (X.sum(0) >= 1).all(), "every feature fires at least once"
    assert obj.value(w_star) == 0.0 and (obj.grad(w_star) == 0.0).all()


def test_sparse_features_fire_with_very_different_frequencies():
    obj = get_objective("sparse")
    freq = np.asarray(obj.feature_freq)
    assert freq.max() == 1.0 and freq.min() < 0.05
    assert get_objective("sparse2d").feature_freq[1] < 0.1


def test_simulated_sparse_gradients_are_exactly_zero_when_a_feature_is_absent():
    from engine import simulate

    obj = get_objective("sparse")
    trace = simulate(obj, "sgd", 400, seed=3, lr=0.05)
    zero = trace.grads[:, 0, :] == 0.0
    # rare features have an exactly-zero gradient on most steps, the dense one never
    assert zero[:, 0].mean() < 0.01
    rare = obj.feature_freq < 0.1
    assert (zero[:, rare].mean(0) > 0.8).all()
    # the zero fraction follows the feature frequency
    np.testing.assert_allclose(zero.mean(0), 1 - obj.feature_freq, atol=0.08)


@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_matches_finite_differences_of_the_gradient(objective, seed):
    if objective.hess is None:
        pytest.skip(f"{objective.name} has no Hessian")
    points = points_in_bounds(objective, 4, seed)
    analytic = objective.hess(points)
    assert analytic.shape == (4, objective.dim, objective.dim)
    cols = [(objective.grad(points + 1e-6 * e) - objective.grad(points - 1e-6 * e)) / 2e-6
            for e in np.eye(objective.dim)]
    numeric = np.stack(cols, axis=-1)  # d grad_i / d x_j
    scale = np.maximum(1.0, np.abs(numeric))
    np.testing.assert_array_less(np.abs(analytic - numeric) / scale, 1e-5)
    np.testing.assert_allclose(analytic, np.swapaxes(analytic, -1, -2), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("expr", ["log(x)", "x^y", "sqrt(x)+y^2"])
def test_a_baseline_from_a_start_where_the_function_is_not_finite_is_refused(expr):
    """It was an IndexError (a traceback with the server's paths on the Second order page)."""
    from engine.baselines import BASELINES, scipy_path

    obj = get_objective("custom", expr=expr)
    for method in BASELINES:
        with pytest.raises(ValueError, match="not finite at the start point"):
            scipy_path(obj, method, start=(-1.0, 1.5))


def test_built_objectives_are_kept_within_a_byte_budget(monkeypatch):
    """Each data seed of the large sparse problem is another 32 MB data set: sixteen links with
    different seeds once kept 500 MB of them in the server for good."""
    from engine import objectives

    monkeypatch.setattr(objectives, "MAX_BUILT_BYTES", 10_000_000)
    built = [get_objective("sparse", dim=100, n_samples=2000, data_seed=k) for k in range(8)]
    assert all(o.nbytes == 8 * 2000 * 100 for o in built)
    kept = [o for o in objectives._built.values() if o.name == "sparse"]
    assert sum(o.nbytes for o in objectives._built.values()) <= 10_000_000 and len(kept) < 8
    assert get_objective("sparse", dim=100, n_samples=2000, data_seed=7) is built[-1]  # the latest is kept
