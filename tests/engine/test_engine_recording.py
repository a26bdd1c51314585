"""Schedules, gradient clipping, what is recorded (every k, loss only), divergence, immutability."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from engine_testlib import OPTIMIZER_NAMES, noise_stream

from engine import SCHEDULES, get_objective, replay, schedule_factors, simulate

# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCHEDULES))
@pytest.mark.parametrize("steps", [1, 2, 7, 100])
def test_schedule_shapes_and_range(name, steps):
    f = schedule_factors(name, steps)
    assert f.shape == (steps,)
    assert np.isfinite(f).all() and (f > 0).all() and (f <= 1).all()


def test_step_schedule_values():
    np.testing.assert_allclose(schedule_factors("step", 7, step_size=3, gamma=0.1),
                               [1, 1, 1, 0.1, 0.1, 0.1, 0.01], rtol=1e-15)
    # the default step size is a third of the run
    np.testing.assert_array_equal(schedule_factors("step", 9, gamma=0.5),
                                  [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])


def test_cosine_schedule_values():
    f = schedule_factors("cosine", 8)
    assert f[0] == 1.0
    assert f[4] == pytest.approx(0.5, abs=1e-15)  # half way: cos(pi/2) = 0
    assert f[2] == pytest.approx((1 + np.sqrt(0.5)) / 2, rel=1e-15)
    assert (np.diff(f) < 0).all()
    g = schedule_factors("cosine", 8, min_factor=0.2)
    np.testing.assert_allclose(g, 0.2 + 0.8 * f, rtol=1e-15)
    assert g[4] == pytest.approx(0.6, rel=1e-15)


def test_warmup_cosine_schedule_values():
    f = schedule_factors("warmup_cosine", 12, warmup=4, min_factor=0.1)
    np.testing.assert_allclose(f[:4], [0.25, 0.5, 0.75, 1.0], rtol=1e-15)
    assert f[4] == 1.0  # the cosine starts at the top
    assert f[8] == pytest.approx(0.1 + 0.9 * 0.5, rel=1e-15)  # half-way through the 8 cosine steps
    assert (np.diff(f[4:]) < 0).all() and f[-1] > 0.1
    # default warm-up: a tenth of the run
    assert (np.diff(schedule_factors("warmup_cosine", 100)[:10]) > 0).all()


def test_schedule_scales_the_learning_rate_of_each_step():
    g = np.ones((6, 1, 1))
    factors = np.array([1.0, 0.5, 0.25, 2.0, 0.0, 1.0])
    steps = np.diff(replay("sgd", g, [0.0], schedule=factors, lr=0.1), axis=0)[:, 0, 0]
    np.testing.assert_allclose(steps, -0.1 * factors, rtol=1e-15)
    trace = simulate("quadratic", "sgd", 6, schedule=factors, lr=0.1)
    np.testing.assert_array_equal(trace.eff_lr[:, 0, 0], 0.1 * factors)
    np.testing.assert_array_equal(trace.lr_factors, factors)


# ---------------------------------------------------------------------------
# Clipping
# ---------------------------------------------------------------------------


def raw_gradients(trace, obj, seeds, noise):
    """The gradient each step would have had before clipping, from the trace's own path."""
    z = np.stack([noise_stream(int(s), noise, trace.steps, obj.dim) for s in seeds], axis=1)
    return obj.grad(trace.params[:-1]) + z


@pytest.mark.parametrize(("optimizer", "lr", "c"), [("sgd", 1e-3, 5.0), ("momentum", 1e-3, 5.0),
                                                    ("adam", 0.05, 100.0)])
def test_clip_norm_caps_each_runs_gradient_norm(optimizer, lr, c):
    obj = get_objective("rosenbrock")
    seeds = [0, 1, 2]
    trace = simulate(obj, optimizer, 60, noise=0.5, seed=seeds, clip_norm=c, lr=lr)
    norms = np.linalg.norm(trace.grads, axis=-1)
    assert (norms <= c + 1e-12).all()
    raw = raw_gradients(trace, obj, seeds, 0.5)
    raw_norm = np.linalg.norm(raw, axis=-1, keepdims=True)
    # torch's clip_grad_norm_: g * min(1, c / (|g| + 1e-6)), per run
    np.testing.assert_allclose(trace.grads, raw * np.minimum(1.0, c / (raw_norm + 1e-6)), rtol=1e-12)
    assert (raw_norm[..., 0] > c).any() and (raw_norm[..., 0] < c).any()  # both branches seen


def test_clip_value_caps_each_coordinate():
    obj = get_objective("rosenbrock")
    trace = simulate(obj, "adam", 60, noise=0.5, seed=[3, 4], clip_value=2.0, lr=1e-2)
    assert (np.abs(trace.grads) <= 2.0).all()
    raw = raw_gradients(trace, obj, [3, 4], 0.5)
    np.testing.assert_allclose(trace.grads, np.clip(raw, -2.0, 2.0), rtol=1e-12)
    assert (np.abs(raw) > 2.0).any()


def test_clip_value_then_norm():
    obj = get_objective("quadratic")
    trace = simulate(obj, "sgd", 5, start=[-2.5, 1.5], clip_value=3.0, clip_norm=1.0, lr=0.01)
    raw = obj.grad(trace.params[:-1])
    v = np.clip(raw, -3.0, 3.0)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    np.testing.assert_allclose(trace.grads, v * np.minimum(1.0, 1.0 / (n + 1e-6)), rtol=1e-12)


# ---------------------------------------------------------------------------
# Recording: loss only, every k-th step
# ---------------------------------------------------------------------------

RECORD_CASES = [("rosenbrock", "adam", {"lr": [1e-3, 1e-2, 0.5]}),  # the last run diverges
                ("sparse", "adagrad", {"lr": [0.05, 0.5]}),
                ("beale", "sgd", {"lr": [1e-4, 1e-2]})]


@pytest.mark.parametrize(("objective_name", "optimizer", "hyper"), RECORD_CASES,
                         ids=[c[0] for c in RECORD_CASES])
def test_loss_only_record_equals_the_full_records_loss(objective_name, optimizer, hyper):
    full = simulate(objective_name, optimizer, 120, noise=0.2, seed=5, **hyper)
    loss = simulate(objective_name, optimizer, 120, noise=0.2, seed=5, record="loss", **hyper)
    assert loss.params is None and loss.grads is None and loss.eff_lr is None
    np.testing.assert_array_equal(loss.loss, full.loss)
    np.testing.assert_array_equal(loss.final_params, full.final_params)
    np.testing.assert_array_equal(loss.stopped_at, full.stopped_at)


@pytest.mark.parametrize("every", [2, 7, 120, 13])
@pytest.mark.parametrize(("objective_name", "optimizer", "hyper"), RECORD_CASES,
                         ids=[c[0] for c in RECORD_CASES])
def test_every_k_subsamples_the_full_record(objective_name, optimizer, hyper, every):
    T = 120
    full = simulate(objective_name, optimizer, T, noise=0.2, seed=5, **hyper)
    sub = simulate(objective_name, optimizer, T, noise=0.2, seed=5, every=every, **hyper)
    rows = sorted(set(range(0, T + 1, every)) | {T})
    np.testing.assert_array_equal(sub.t, rows)
    np.testing.assert_array_equal(sub.params, full.params[rows])
    np.testing.assert_array_equal(sub.loss, full.loss[rows])
    updates = [r - 1 for r in rows[1:]]  # row i: the update that produced params[i + 1]
    for name in ("grads", "eff_lr", "delta"):
        np.testing.assert_array_equal(getattr(sub, name), getattr(full, name)[updates], err_msg=name)
    np.testing.assert_array_equal(sub.stopped_at, full.stopped_at)
    loss_only = simulate(objective_name, optimizer, T, noise=0.2, seed=5, every=every, record="loss", **hyper)
    np.testing.assert_array_equal(loss_only.loss, full.loss[rows])


# ---------------------------------------------------------------------------
# Divergence
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("record", [{"record": "full"}, {"every": 3}, {"record": "loss"}])
def test_a_diverging_run_is_stopped_and_held(record):
    lrs = np.array([1e-3, 0.05, 1.0])
    trace = simulate("rosenbrock", "sgd", 60, lr=lrs, **record)
    stopped = trace.stopped_at
    assert stopped[0] == -1 and (stopped[1:] > 0).all()
    # the unguarded step-by-step path of each run: where does it first leave |theta| < 1e6?
    obj = get_objective("rosenbrock")
    for r, lr in enumerate(lrs):
        p = np.array([-1.0, 0.5])
        first = -1
        with np.errstate(all="ignore"):
            for t in range(60):
                p = p - lr * obj.grad(p)
                if not (np.abs(p) < 1e6).all():
                    first = t + 1
                    break
        assert stopped[r] == first
    for name in ("params", "loss", "grads", "eff_lr", "delta", "final_params", "final_loss"):
        arr = getattr(trace, name)
        if arr is not None:
            assert np.isfinite(arr).all(), name
    assert trace.n_grad.tolist() == [60, *stopped[1:].tolist()]
    full = simulate("rosenbrock", "sgd", 60, lr=lrs)
    for r in (1, 2):  # from the stop on, a run holds its values of step stopped_at - 1
        after = trace.t >= stopped[r]
        assert (trace.loss[after, r] == full.loss[stopped[r] - 1, r]).all()
        assert (trace.final_params[r] == full.params[stopped[r] - 1, r]).all()
        np.testing.assert_array_equal(trace.loss[~after, r], full.loss[trace.t[~after], r])
        if trace.params is not None:
            assert (trace.params[after, r] == full.params[stopped[r] - 1, r]).all()
            assert (trace.delta[after[1:], r] == 0).all() and (trace.eff_lr[after[1:], r] == 0).all()
            assert (trace.eff_lr[~after[1:], r] > 0).all()


# ---------------------------------------------------------------------------
# Immutability
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trace():
    return simulate("rosenbrock", "adam", 20, noise=0.1, seed=[1, 2], record_state=True)


ARRAY_FIELDS = ["params", "loss", "grads", "eff_lr", "delta", "final_params", "final_loss", "stopped_at",
                "start", "seed", "noise", "lr_factors", "n_grad", "t"]


@pytest.mark.parametrize("copy", ["original", "pickled"])
def test_traces_are_read_only(trace, copy):
    if copy == "pickled":  # st.cache_data hands out pickled copies
        trace = pickle.loads(pickle.dumps(trace))
    for name in ARRAY_FIELDS:
        arr = getattr(trace, name)
        with pytest.raises(ValueError, match="read-only"):
            arr[...] = 0
    for mapping in (trace.hyper, trace.state):
        assert len(mapping) > 0
        with pytest.raises(ValueError, match="read-only"):
            next(iter(mapping.values()))[...] = 0
        with pytest.raises(TypeError):
            mapping["lr"] = np.zeros(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.params = None
    assert set(trace.state) == {"m", "v", "v_max"}


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_record_state_shapes(optimizer):
    trace = simulate("himmelblau", optimizer, 10, seed=[0, 1, 2], noise=0.1, record_state=True)
    for name, arr in trace.state.items():
        assert arr.shape == (10, 3, 2), name
        assert np.isfinite(arr).all()


def half_defined():
    """``y^2 - sqrt(1 - x)``: finite at x = 1 with an infinite gradient there, NaN beyond."""

    def value(p):
        return p[..., 1] ** 2 - np.sqrt(1.0 - p[..., 0])

    def grad(p):
        return np.stack([0.5 / np.sqrt(1.0 - p[..., 0]), 2.0 * p[..., 1]], axis=-1)

    return dataclasses.replace(get_objective("quadratic"), name="half_defined", value=value, grad=grad,
                               hess=None)


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_an_infinite_gradient_stops_the_run_in_every_record_mode(optimizer):
    obj = half_defined()
    start = np.array([[1.0, 1.0], [0.5, 0.5]])  # run 0 starts on the infinite gradient
    with np.errstate(all="ignore"):
        traces = [simulate(obj, optimizer, 8, start, lr=0.1, **record)
                  for record in ({}, {"every": 3}, {"record": "loss"})]
    for trace in traces:
        assert trace.stopped_at[0] == 1
        for name in ("params", "loss", "grads", "eff_lr", "delta", "final_params", "final_loss"):
            arr = getattr(trace, name)
            assert arr is None or np.isfinite(arr).all(), name
        np.testing.assert_array_equal(trace.final_params[0], start[0])
    np.testing.assert_array_equal(traces[2].loss, traces[0].loss)
    np.testing.assert_array_equal(traces[1].stopped_at, traces[0].stopped_at)
