"""The network's loss landscape (Li et al. 2018): slices, principal planes, lines between solutions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import get_objective, simulate
from engine.landscape import (
    LINE,
    barrier,
    directions,
    evaluations,
    filter_normalized,
    kept,
    landscape,
    line_losses,
    pca_plane,
    plane_losses,
    project,
    weight_slices,
)
from engine.owndata import encode_data

OWN = encode_data(np.random.default_rng(5).uniform(-1.5, 1.5, (40, 2)), np.arange(40) % 3)
NETWORKS = {
    "moons 1x16 tanh": {"n_points": 100},
    "blobs 2x8 relu": {"dataset": "blobs", "depth": 2, "width": 8, "activation": "relu", "n_points": 100},
    "own 3 classes 1x5": {"dataset": "own", "data": OWN, "width": 5},
}


def _runs(options, steps=120):
    obj = get_objective("network", **options)
    return obj.network, {o: simulate(obj, o, steps, every=6, lr=lr) for o, lr in (("momentum", 0.1), ("adam", 0.02))}


@pytest.fixture(scope="module", params=list(NETWORKS), ids=list(NETWORKS))
def trained(request):
    return _runs(NETWORKS[request.param])


def test_the_slice_at_its_centre_is_the_final_loss(trained):
    net, traces = trained
    tr = traces["adam"]
    theta = tr.final_params[0]
    d1, d2 = directions(net, theta)
    z = plane_losses(net, theta, d1, d2, np.array([-0.5, 0.0, 0.5]), np.array([0.0, 0.25]))
    assert z.shape == (2, 3)
    assert z[0, 1] == tr.final_loss[0] == net.value(theta)  # bit for bit


def test_the_line_at_its_ends_is_the_two_final_losses(trained):
    net, traces = trained
    a, b = traces["momentum"], traces["adam"]
    alphas = np.array([-0.5, 0.0, 0.3, 1.0, 1.5])
    z = line_losses(net, a.final_params[0], b.final_params[0], alphas)
    assert z[1] == a.final_loss[0] and z[3] == b.final_loss[0]


def test_a_batch_of_weight_vectors_equals_each_one_alone(trained):
    net, traces = trained
    theta = traces["adam"].final_params[0]
    d1, d2 = directions(net, theta, seed=3)
    a, b = np.linspace(-1, 1, 4), np.linspace(-0.5, 0.5, 3)
    z = plane_losses(net, theta, d1, d2, a, b)
    for j, bj in enumerate(b):
        for i, ai in enumerate(a):
            w = np.empty(net.n_params)
            w[...] = theta
            w += ai * d1
            w += bj * d2
            assert z[j, i] == net.value(w)


def test_directions_are_filter_normalised_and_leave_biases_alone(trained):
    net, traces = trained
    theta = traces["adam"].final_params[0]
    d1, d2 = directions(net, theta, seed=7)
    assert not np.allclose(d1, d2)
    np.testing.assert_array_equal(d1, directions(net, theta, seed=7)[0])  # seeded
    assert not np.allclose(d1, directions(net, theta, seed=8)[0])
    for d in (d1, d2):
        for w, b, n_in, n_out in weight_slices(net):
            np.testing.assert_allclose(np.linalg.norm(d[w].reshape(n_in, n_out), axis=0),
                                       np.linalg.norm(theta[w].reshape(n_in, n_out), axis=0), rtol=1e-12)
            assert not d[b].any()


def test_weight_slices_cover_every_parameter_once():
    net = get_objective("network", depth=2, width=6, dataset="blobs").network
    covered = np.zeros(net.n_params, int)
    for w, b, n_in, n_out in weight_slices(net):
        covered[w] += 1
        covered[b] += 1
        assert w.stop - w.start == n_in * n_out and b.stop - b.start == n_out
    assert (covered == 1).all()


def test_a_zero_filter_gets_a_zero_direction():
    net = get_objective("network", width=4).network
    theta = net.init()
    w, *_ = weight_slices(net)[0]
    theta[w] = 0.0
    d = filter_normalized(net, theta, np.random.default_rng(0))
    assert not d[w].any() and np.isfinite(d).all()


@pytest.mark.parametrize("seed", range(4))
def test_the_principal_plane_explains_variance_and_reconstructs_the_path(seed):
    rng = np.random.default_rng(seed)
    steps = rng.standard_normal((30, 50)) * np.r_[5.0, 2.0, np.full(48, 0.1)]  # two strong directions
    path = np.cumsum(steps, axis=0)
    v1, v2, coords, explained = pca_plane(path)
    assert 0 <= explained[1] <= explained[0] <= 1 and explained[0] + explained[1] <= 1 + 1e-12
    np.testing.assert_allclose([v1 @ v1, v2 @ v2, v1 @ v2], [1, 1, 0], atol=1e-12)
    m = path - path[-1]
    centred = m - m.mean(0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    # the centred coordinates are the first two principal components (up to sign)...
    np.testing.assert_allclose(np.abs(coords - coords.mean(0)), np.abs(u[:, :2] * s[:2]), atol=1e-9)
    # ...their reconstruction leaves out exactly the other components' variance...
    rebuilt = (coords - coords.mean(0)) @ np.stack([v1, v2])
    assert ((centred - rebuilt) ** 2).sum() == pytest.approx((s[2:] ** 2).sum(), rel=1e-9)
    np.testing.assert_allclose(explained, s[:2] ** 2 / (s ** 2).sum(), rtol=1e-12)
    # ...the solution is the origin and the path starts on the negative side of both axes
    np.testing.assert_allclose(coords[-1], 0, atol=1e-12)
    assert (coords[0] <= 0).all()


def test_a_path_that_did_not_move_has_nothing_to_explain():
    v1, _, coords, explained = pca_plane(np.ones((5, 8)))
    assert explained == (0.0, 0.0) and not coords.any() and np.isfinite(v1).all()


def test_projection_recovers_coordinates_in_a_skewed_plane():
    rng = np.random.default_rng(1)
    d1, d2 = rng.standard_normal(20), rng.standard_normal(20)
    c = rng.standard_normal(20)
    ab = rng.standard_normal((6, 2))
    pts = c + ab[:, :1] * d1 + ab[:, 1:] * d2
    np.testing.assert_allclose(project(pts, c, d1, d2), ab, atol=1e-12)
    assert kept(pts, c, d1, d2) == pytest.approx(1.0)
    q, _ = np.linalg.qr(np.stack([d1, d2, rng.standard_normal(20)], axis=1))
    normal = q[:, 2]  # orthogonal to the plane
    off = pts + 100.0 * normal  # mostly off the plane: its shadow keeps the in-plane part only
    inside = ((pts - c) ** 2).sum()
    assert kept(off, c, d1, d2) == pytest.approx(inside / (inside + 6 * 100.0 ** 2), rel=1e-9)


@pytest.mark.parametrize(("losses", "height", "alpha"), [
    ([1.0, 1.0, 2.0, 1.0, 1.0], 1.0, 0.5),  # a bump in the middle
    ([1.0, 0.5, 0.4, 0.3, 0.2], 0.0, 0.0),  # falls all the way: no barrier
    ([1.0, 0.4, 0.3, 0.4, 0.5], 0.0, 0.0),  # a valley between: below the line
    ([0.2, 0.9, 1.0, 1.0, 1.0], 0.5, 0.25),  # the rise above the line from 0.2 to 1.0 (0.4 at 0.25)
])
def test_a_barrier_is_the_rise_above_the_line_between_the_ends(losses, height, alpha):
    alphas = np.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    z = np.r_[9.0, losses, 9.0]  # outside [0, 1]: not counted
    h, a = barrier(alphas, z)
    assert h == pytest.approx(height) and a == pytest.approx(alpha)


def test_the_landscape_of_two_runs(trained):
    net, traces = trained
    paths = {k: tr.params[:, 0] for k, tr in traces.items()}
    land = landscape(net, paths, grid=8, line_points=9)
    grid = 9  # raised to odd
    assert land.random.loss.shape == (grid, grid) and land.random.a[grid // 2] == 0.0
    assert land.random.loss[grid // 2, grid // 2] == traces["momentum"].final_loss[0]
    assert land.finals == {k: float(tr.final_loss[0]) for k, tr in traces.items()}
    np.testing.assert_allclose(land.random.coords["momentum"][-1], 0, atol=1e-9)
    for name, plane in land.planes.items():
        c = plane.coords[name]
        assert plane.a.min() < c[:, 0].min() and plane.a.max() > c[:, 0].max()  # the path lies inside its box
        assert plane.b.min() < c[:, 1].min() and plane.b.max() > c[:, 1].max()
        assert 0 <= sum(plane.explained) <= 1 and 0 <= plane.kept[name] <= 1 + 1e-12
    assert set(land.lines) == {"adam"} and land.alphas[0] == LINE[0] and land.alphas[-1] == LINE[1]
    line = land.lines["adam"]
    assert line[land.alphas == 0][0] == land.finals["momentum"] and line[land.alphas == 1][0] == land.finals["adam"]
    assert land.barriers["adam"] == barrier(land.alphas, line)


def test_the_cost_model_counts_every_weight_vector_evaluated(monkeypatch):
    net, traces = _runs(NETWORKS["moons 1x16 tanh"], steps=30)
    counted = []
    value = type(net).value

    def counting(self, p):
        counted.append(int(np.prod(np.shape(p)[:-1])))
        return value(self, p)

    monkeypatch.setattr(type(net), "value", counting)
    paths = {k: tr.params[:, 0] for k, tr in traces.items()}
    paths["again"] = paths["adam"]
    landscape(net, paths, grid=10, line_points=15)
    assert sum(counted) == evaluations(10, 3, 15)
    assert max(counted) == 11 * 11  # a plane in one batched call


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"grid": 2}, "grid must be 3 to 101"),
    ({"grid": 500}, "grid must be 3 to 101"),
    ({"line_points": 1000}, "line_points 3 to 401"),
    ({"span": 0.0}, "span must be in"),
    ({"span": np.nan}, "span must be in"),
    ({"paths": {}}, "at least one path"),
    ({"paths": {"a": np.zeros((3, 7))}}, "finite weights of shape"),
    ({"paths": {"a": np.full((3, 65), np.nan)}}, "finite weights of shape"),
])
def test_the_landscape_refuses_what_it_cannot_draw(kwargs, message):
    net = get_objective("network", n_points=60).network
    args = {"paths": {"a": np.tile(net.init(), (3, 1))}, **kwargs}
    with pytest.raises(ValueError, match=message):
        landscape(net, **args)


def test_the_landscape_is_a_frozen_value():
    net = get_objective("network", n_points=60).network
    land = landscape(net, {"a": np.tile(net.init(), (3, 1))}, grid=3, line_points=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        land.alphas = None
