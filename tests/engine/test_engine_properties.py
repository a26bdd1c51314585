"""Property tests (hypothesis): invariants that hold for any gradients and hyperparameters."""

from __future__ import annotations

import numpy as np
import pytest
from engine_testlib import OPTIMIZER_NAMES, noise_stream
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine import OPTIMIZERS, get_objective, replay, simulate
from engine.simulate import DIVERGENCE_BOUND

PROFILE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TWO_D = ["rosenbrock", "beale", "himmelblau", "quadratic", "saddle", "rastrigin", "sparse2d"]

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def gradient_sequences(max_steps=25, max_runs=3, max_dim=3):
    """``(T, B, D)`` gradients with zeros, tiny and large values mixed."""
    shapes = st.tuples(st.integers(1, max_steps), st.integers(1, max_runs), st.integers(1, max_dim))
    elements = st.one_of(finite, st.just(0.0), st.floats(-1e-6, 1e-6))
    return shapes.flatmap(lambda s: arrays(float, s, elements=elements))


def hyper_value(h):
    if h.kind == "bool":
        return st.booleans()
    if h.log:
        return st.floats(np.log10(h.low), np.log10(h.high)).map(lambda e: float(10.0**e))
    return st.floats(h.low, h.high, exclude_max=h.kind == "unit")


@st.composite
def optimizer_and_hypers(draw, names=tuple(OPTIMIZER_NAMES)):
    name = draw(st.sampled_from(names))
    spec = OPTIMIZERS[name]
    return name, {k: draw(hyper_value(h)) for k, h in spec.hypers.items()}


# ---------------------------------------------------------------------------
# Effective learning rates
# ---------------------------------------------------------------------------


@PROFILE
@given(grads=gradient_sequences(), lr=st.floats(1e-4, 10.0), eps=st.floats(1e-12, 1e-2))
def test_adagrad_effective_lr_never_increases(grads, lr, eps):
    trace = replay("adagrad", grads, np.zeros(grads.shape[-1]), return_trace=True, lr=lr, eps=eps)
    assert (np.diff(trace.eff_lr, axis=0) <= 0).all()
    np.testing.assert_allclose(trace.eff_lr[0], lr / (np.abs(grads[0]) + eps), rtol=1e-12)


@PROFILE
@given(grads=gradient_sequences(), lr=st.floats(1e-4, 1.0),
       beta2=st.floats(0.0, 0.9999), eps=st.floats(1e-12, 1e-2))
def test_amsgrad_effective_lr_never_increases_without_bias_correction(grads, lr, beta2, eps):
    trace = replay("adam", grads, np.zeros(grads.shape[-1]), return_trace=True, lr=lr, beta2=beta2,
                   eps=eps, amsgrad=True, bias_correction=False, record_state=True)
    assert (np.diff(trace.eff_lr, axis=0) <= 0).all()
    assert (np.diff(trace.state["v_max"], axis=0) >= 0).all()


@PROFILE
@given(grads=gradient_sequences(), beta2=st.floats(0.5, 0.9999))
def test_amsgrad_with_bias_correction_grows_no_faster_than_the_correction(grads, beta2):
    """torch's AMSGrad bias-corrects max(v_t): the running max never falls, so eff_lr can grow
    at most by sqrt((1 - b2^t) / (1 - b2^(t-1))) per step (and does, after one large gradient)."""
    lr, eps = 1e-3, 1e-8
    trace = replay("adam", grads, np.zeros(grads.shape[-1]), return_trace=True, lr=lr, beta2=beta2,
                   eps=eps, amsgrad=True, record_state=True)
    assert (np.diff(trace.state["v_max"], axis=0) >= 0).all()
    t = np.arange(1, grads.shape[0] + 1)[:, None, None]
    scale = lr / trace.eff_lr - eps  # sqrt(max v) / sqrt(1 - b2^t)
    unscaled = scale * np.sqrt(1 - beta2**t)  # sqrt(max v)
    # Recovering sqrt(max v) by subtracting eps cancels catastrophically where it is far below
    # eps (gradients of 1e-23): compare only where eps does not swamp it.
    clear = (scale[1:] > 1e3 * eps) & (scale[:-1] > 1e3 * eps)
    assert (np.diff(unscaled, axis=0) >= -1e-9 * unscaled[1:])[clear].all()


def test_amsgrad_effective_lr_can_grow_with_bias_correction():
    """The torch convention, pinned down: one large gradient, then zeros."""
    g = np.zeros((4, 1, 1))
    g[0] = 1.0
    eff = replay("adam", g, [0.0], return_trace=True, amsgrad=True).eff_lr[:, 0, 0]
    assert (np.diff(eff) > 0).all()
    np.testing.assert_allclose(eff, 1e-3 / (np.sqrt(1e-3 / (1 - 0.999 ** np.arange(1, 5))) + 1e-8))


@PROFILE
@given(case=optimizer_and_hypers(), objective=st.sampled_from(TWO_D), noise=st.floats(0.0, 2.0),
       seed=st.integers(0, 2**32))
def test_effective_lr_is_positive_and_finite_while_running(case, objective, noise, seed):
    name, hyper = case
    trace = simulate(objective, name, 30, noise=noise, seed=seed, **hyper)
    going = (trace.stopped_at < 0) | (trace.t_update[:, None] < trace.stopped_at)
    assert np.isfinite(trace.eff_lr).all()
    assert (trace.eff_lr[going] > 0).all()


# ---------------------------------------------------------------------------
# Lion
# ---------------------------------------------------------------------------


@PROFILE
@given(k=st.integers(4, 20), grid=arrays(np.int64, (3, 2), elements=st.integers(-64, 64)),
       noise=st.one_of(st.just(0.0), st.floats(0.01, 3.0)), seed=st.integers(0, 1000),
       objective=st.sampled_from(TWO_D))
def test_lion_moves_each_coordinate_by_exactly_lr(k, grid, noise, seed, objective):
    """With lr = 2^-k and a start on the lr grid every update is exact in floating point."""
    lr = 2.0**-k
    trace = simulate(objective, "lion", 30, start=grid * lr, noise=noise, seed=seed, lr=lr)
    going = (trace.stopped_at < 0) | (trace.t_update[:, None] < trace.stopped_at)
    moved = np.abs(trace.delta[going])
    assert np.isin(moved, [0.0, lr]).all()  # exactly lr (or 0 when the momentum is exactly 0)
    if noise > 0:  # noisy gradients: the interpolated momentum is never exactly 0
        assert (moved == lr).all()
    np.testing.assert_array_equal(trace.eff_lr[going], lr)


@PROFILE
@given(lr=st.floats(1e-6, 0.1), start=arrays(float, (2, 2), elements=st.floats(-3, 3)),
       grads_seed=st.integers(0, 1000))
def test_lion_moves_each_coordinate_by_lr_up_to_rounding(lr, start, grads_seed):
    g = np.random.default_rng(grads_seed).normal(size=(20, 2, 2))
    path = replay("lion", g, start, lr=lr)
    step = np.abs(np.diff(path, axis=0))
    ulp = np.spacing(np.maximum(np.abs(path[1:]), np.abs(path[:-1])))
    assert (np.abs(step - lr) <= ulp).all()


# ---------------------------------------------------------------------------
# Divergence and immutability
# ---------------------------------------------------------------------------


def unguarded_stop(name, hyper, objective, start, noise, seed, steps):
    """The first step at which a plain loop over the optimiser's update leaves the bound."""
    spec = OPTIMIZERS[name]
    lr = hyper["lr"]
    transform = spec.make(**{k: v for k, v in hyper.items() if k != "lr"})
    obj = get_objective(objective)
    z = noise_stream(seed, noise, steps, obj.dim)
    p = np.asarray(start, dtype=float)[None, :]
    state = transform.init(p)
    with np.errstate(all="ignore"):
        for t in range(steps):
            p, state, _ = transform.update(obj.grad(p) + z[t], state, p, lr)
            if not (np.abs(p) < DIVERGENCE_BOUND).all():
                return t + 1
    return -1


@PROFILE
@given(case=optimizer_and_hypers(), objective=st.sampled_from(["rosenbrock", "beale", "himmelblau",
                                                                 "quadratic", "rastrigin"]),
       lr_exp=st.floats(-3, 3), noise=st.floats(0.0, 5.0), seed=st.integers(0, 1000),
       record=st.sampled_from([{}, {"every": 4}, {"record": "loss"}]))
def test_divergence_is_flagged_and_never_leaks(case, objective, lr_exp, noise, seed, record):
    name, hyper = case
    hyper = {**hyper, "lr": float(10.0**lr_exp)}
    steps = 40
    start = get_objective(objective).start
    trace = simulate(objective, name, steps, noise=noise, seed=seed, **record, **hyper)
    for field in ("params", "loss", "grads", "eff_lr", "delta", "final_params", "final_loss"):
        arr = getattr(trace, field)
        if arr is not None:
            assert np.isfinite(arr).all(), field
            if field in ("params", "final_params"):
                assert (np.abs(arr) < DIVERGENCE_BOUND).all()
    assert trace.stopped_at[0] == unguarded_stop(name, hyper, objective, start, noise, seed, steps)
    event("diverged" if trace.diverged[0] else "stayed bounded")


@settings(max_examples=15, deadline=None)
@given(case=optimizer_and_hypers(), record=st.sampled_from([{}, {"every": 3}, {"record": "loss"}]))
def test_traces_are_read_only(case, record):
    name, hyper = case
    trace = simulate("himmelblau", name, 9, noise=0.1, seed=[0, 1], record_state=True, **record, **hyper)
    for field in ("params", "loss", "grads", "eff_lr", "delta", "final_params", "final_loss", "stopped_at",
                  "t", "start", "seed", "noise", "lr_factors", "n_grad"):
        arr = getattr(trace, field)
        if arr is None:
            continue
        with pytest.raises(ValueError, match="read-only"):
            arr.flat[0] = 1.0
    for mapping in (trace.hyper, trace.state):
        for arr in mapping.values():
            with pytest.raises(ValueError, match="read-only"):
                arr.flat[0] = 1
        with pytest.raises(TypeError):
            mapping["new"] = 1


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(case=optimizer_and_hypers(), objective=st.sampled_from(TWO_D),
       seeds=arrays(np.int64, 3, elements=st.integers(0, 50)), noise=st.floats(0.0, 1.0),
       jitter=arrays(float, (3, 2), elements=st.floats(-0.5, 0.5)), lr_scale=st.floats(0.25, 4.0))
def test_any_batch_equals_its_runs_alone(case, objective, seeds, noise, jitter, lr_scale):
    name, hyper = case
    start = np.asarray(get_objective(objective).start) + jitter
    lrs = hyper["lr"] * np.array([1.0, lr_scale, 1.0 / lr_scale])
    batch = simulate(objective, name, 25, start, noise, seeds, **{**hyper, "lr": lrs})
    for r in range(3):
        alone = simulate(objective, name, 25, start[r], noise, seeds[r], **{**hyper, "lr": lrs[r]})
        np.testing.assert_array_equal(batch.params[:, r:r + 1], alone.params)
        np.testing.assert_array_equal(batch.eff_lr[:, r:r + 1], alone.eff_lr)
        np.testing.assert_array_equal(batch.stopped_at[r], alone.stopped_at[0])
