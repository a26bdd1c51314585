"""The Neural network page's frames, from engine traces: the shading is the network's own
probabilities, the curves its metrics, the layers' summaries the quantiles of their weights'
effective learning rates."""

from __future__ import annotations

import numpy as np

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
