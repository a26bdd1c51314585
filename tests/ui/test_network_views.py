"""The Neural network page's frames, from engine traces: the shading is the network's own
probabilities, the curves its metrics, the layers' summaries the quantiles of their weights'
effective learning rates."""

from __future__ import annotations

import numpy as np
import pytest

from engine import get_objective, simulate
from ui.views import network

OPTIONS = {"dataset": "moons", "n_points": 120, "width": 8, "batch_size": 16}


def _traces():
    obj = get_objective("network", **OPTIONS)
    traces = {o: simulate(obj, o, 60, every=-(-60 // network.FRAMES), lr=lr) for o, lr in (("momentum", 0.1),
                                                                                          ("adam", 0.01))}
    return obj.network, traces


def test_the_boundary_is_the_networks_probability_on_the_grid_at_each_frame():
    net, traces = _traces()
    frame = network.boundary_frame(traces, net)
    tr = traces["adam"]
    part = frame[frame["series"] == "adam"]
    assert len(part) == len(tr.t) * network.GRID ** 2
    last = part[part["step"] == tr.t[-1]]
    want = net.predict_proba(tr.params[-1, 0], network._grid(net))[:, 1]
    np.testing.assert_allclose(last["p"].to_numpy(), want, rtol=0, atol=5e-4)  # sent to 3 decimals
    assert set(last["cls"]) <= {0, 1}


def test_the_metrics_are_the_networks_at_each_frame():
    net, traces = _traces()
    frame = network.metrics_frame(traces, net)
    tr = traces["momentum"]
    m = net.metrics(tr.params[:, 0])
    got = frame[(frame["series"] == "momentum") & (frame["split"] == "test")]
    np.testing.assert_allclose(got["accuracy"].to_numpy(), m["test_accuracy"])
    np.testing.assert_allclose(got["loss"].to_numpy(), np.maximum(m["test_loss"], 1e-12))


def test_each_layers_summary_is_the_quantiles_of_its_weights_effective_rates():
    net, traces = _traces()
    frame = network.layer_lr_frame(traces, net)
    assert set(frame["layer"]) == {name for name, _ in net.layers}
    tr = traces["adam"]
    cut = dict(net.layers)["hidden 1"]
    got = frame[(frame["series"] == "adam") & (frame["layer"] == "hidden 1")]
    np.testing.assert_allclose(got["median"].to_numpy(), np.median(tr.eff_lr[:, 0, cut], axis=1))
    sgd = frame[(frame["series"] == "momentum")]
    assert np.allclose(sgd["median"], 0.1) and np.allclose(sgd["lo"], sgd["hi"])  # one η for every weight


# ---------------------------------------------------------------------------
# The loss landscape's frames and charts
# ---------------------------------------------------------------------------


def _landscape(traces, net, grid=7):
    from engine.landscape import landscape

    paths, left = network.landscape_paths(traces, {k: f"spec {k}" for k in traces})
    return landscape(net, {k: w for k, (_, _, w) in paths.items()}, grid, line_points=9), paths, left


def test_the_landscape_draws_the_runs_that_did_not_diverge():
    _, traces = _traces()
    obj = get_objective("network", **OPTIONS)
    traces["sgd"] = simulate(obj, "sgd", 60, every=-(-60 // network.FRAMES), lr=1e6)  # diverges at once
    paths, left = network.landscape_paths(traces, {k: f"spec {k}" for k in traces})
    assert list(paths) == ["momentum", "adam"] and left == ["sgd"]
    spec, run, weights = paths["adam"]
    assert (spec, run) == ("spec adam", 0) and np.array_equal(weights, traces["adam"].params[:, 0])


def test_the_landscape_frames_are_the_landscapes_own_numbers():
    net, traces = _traces()
    land, _, _ = _landscape(traces, net)
    frame, lines = network.landscape_frames(land, traces, labels={"adam": "Adam (mine)"})
    for name in ("momentum", "adam"):
        on_random = frame[(frame["plane"] == network.RANDOM) & (frame["series"] == name)]
        np.testing.assert_array_equal(on_random[["x", "y"]].to_numpy(), land.random.coords[name])
        own = frame[(frame["plane"] == name) & (frame["series"] == name)]
        np.testing.assert_array_equal(own[["x", "y"]].to_numpy(), land.planes[name].coords[name])
        np.testing.assert_array_equal(own["step"].to_numpy(), traces[name].t)
    assert set(frame.loc[frame["series"] == "adam", "label"]) == {"Adam (mine)"}
    assert set(lines["series"]) == {"adam"}
    inside = lines["alpha"].between(0, 1)
    l0, l1 = land.finals["momentum"], land.finals["adam"]
    np.testing.assert_allclose(lines.loc[inside, "straight"], (1 - lines.loc[inside, "alpha"]) * l0
                               + lines.loc[inside, "alpha"] * l1)
    assert lines.loc[~inside, "straight"].isna().all()  # the barrier's baseline only between the ends
    np.testing.assert_array_equal(lines["loss"].to_numpy(), np.maximum(land.lines["adam"], 1e-12))


def test_the_shading_keeps_the_grids_values_at_its_points_and_interpolates_between():
    z = np.array([[1.0, 10.0, 100.0], [1e-3, 1.0, 1e3]])
    f = network.fine(z, 4)
    assert f.shape == (5, 9)
    np.testing.assert_allclose(f[::4, ::4], z, rtol=1e-12)
    np.testing.assert_allclose(f[0, :5], np.logspace(0, 1, 5), rtol=1e-12)  # log-linear between


def test_the_landscape_charts_centre_each_pixel_on_its_point_and_are_maps():
    import base64
    import struct

    from ui.views.theme import ChartStyle

    net, traces = _traces()
    land, _, _ = _landscape(traces, net, grid=7)
    frame, lines = network.landscape_frames(land, traces)
    chart = network.slice_chart(land, frame, lines, "SGD + Momentum", ChartStyle())
    image_name = next(k for k in chart["datasets"] if k.startswith("contour"))  # the chart component's "map"
    row = chart["datasets"][image_name].iloc[0]
    a = land.random.a
    half = (a[1] - a[0]) / network.FINE / 2
    assert row["x"] == pytest.approx(a[0] - half) and row["x2"] == pytest.approx(a[-1] + half)
    png = base64.b64decode(row["url"].split(",", 1)[1])
    assert struct.unpack(">II", png[16:24]) == ((len(a) - 1) * network.FINE + 1,) * 2
    assert chart["usermeta"]["stretch"] == [1] and len(chart["hconcat"]) == 2
    planes = network.planes_chart(land, frame, ChartStyle())
    assert len(planes["hconcat"]) == 2
    assert all(v["title"]["subtitle"].endswith("of the path's variance") for v in planes["hconcat"])
