"""Batch invariance, common random numbers and replay == simulate."""

from __future__ import annotations

import numpy as np
import pytest
from engine_testlib import OPTIMIZER_NAMES, noise_stream

from engine import OPTIMIZERS, get_objective, replay, simulate

FIELDS = ("params", "loss", "grads", "eff_lr", "delta", "stopped_at", "final_loss")


def run_of(arr, r):
    """Run ``r`` of a trace array, keeping the runs axis (axis 1, or 0 for per-run arrays)."""
    return arr[:, r:r + 1] if arr.ndim >= 2 else arr[r:r + 1]


def per_run_hypers(optimizer, runs):
    """A different value of every hyperparameter for each run (within valid ranges)."""
    spec = OPTIMIZERS[optimizer]
    out = {}
    for name, h in spec.hypers.items():
        if h.kind == "bool":
            out[name] = np.arange(runs) % 2 == 1
        elif name == "lr":
            out[name] = h.default * np.linspace(0.5, 2.0, runs)
        elif h.kind == "unit":
            out[name] = np.linspace(max(h.default - 0.1, 0.0), h.default, runs)
        else:
            out[name] = h.default * np.linspace(1.0, 3.0, runs) + (h.default == 0) * 0.01 * np.arange(runs)
    return out


CASES = [("rosenbrock", {}, 0.3), ("sparse", {"dim": 6, "n_samples": 200, "batch_size": 2}, 0.05),
         ("himmelblau", {}, 1.0), ("quadratic", {"cond": 50.0, "angle": 30.0}, 0.5)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_a_batch_equals_each_run_alone(optimizer, case):
    name, options, noise = case
    obj = get_objective(name, **options)
    B, T = 4, 60
    rng = np.random.default_rng(11)
    start = np.asarray(obj.start) + 0.3 * rng.normal(size=(B, obj.dim))
    seeds = np.array([5, 0, 5, 123])  # a repeated seed too
    noises = noise * np.array([1.0, 0.5, 0.0, 2.0])
    hyper = per_run_hypers(optimizer, B)
    batch = simulate(obj, optimizer, T, start, noises, seeds, **hyper)
    for r in range(B):
        alone = simulate(obj, optimizer, T, start[r], noises[r], seeds[r],
                         **{k: v[r] for k, v in hyper.items()})
        for field in FIELDS:
            got = run_of(getattr(batch, field), r)
            np.testing.assert_array_equal(got, getattr(alone, field), err_msg=f"run {r}: {field}")
        for k in hyper:
            assert batch.hyper[k][r] == alone.hyper[k][0]


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_replaying_the_recorded_gradients_gives_back_the_path(optimizer):
    obj = get_objective("beale")
    B = 3
    start = np.array([[1.0, 1.5], [-1.0, 1.0], [2.0, -0.5]])
    hyper = per_run_hypers(optimizer, B)
    trace = simulate(obj, optimizer, 80, start, 0.5, [1, 2, 3], schedule="cosine", **hyper)
    path = replay(optimizer, trace.grads, trace.start, schedule="cosine", **trace.hyper)
    if trace.diverged.any():  # not expected here, but the comparison would then be moot
        pytest.fail(f"unexpected divergence: {trace.stopped_at}")
    np.testing.assert_array_equal(path, trace.params)
    again = replay(optimizer, trace.grads, trace.start, return_trace=True, schedule="cosine", **trace.hyper)
    np.testing.assert_array_equal(again.eff_lr, trace.eff_lr)
    np.testing.assert_array_equal(again.delta, trace.delta)


@pytest.mark.parametrize("objective_name", ["rosenbrock", "quadratic", "rastrigin"])
def test_noise_is_the_documented_stream_whatever_the_optimizer(objective_name):
    """Common random numbers: grads - grad(params) is default_rng(seed).normal(0, noise, (T, D))."""
    obj = get_objective(objective_name)
    T, seeds, noise = 50, np.array([0, 3, 3, 8]), np.array([0.3, 0.3, 1.0, 0.01])
    seen = {}
    for optimizer in OPTIMIZER_NAMES:
        lr = OPTIMIZERS[optimizer].defaults["lr"] * 0.1
        trace = simulate(obj, optimizer, T, noise=noise, seed=seeds, lr=lr)
        assert not trace.diverged.any(), optimizer
        seen[optimizer] = trace.grads - obj.grad(trace.params[:-1])
    for r, (seed, s) in enumerate(zip(seeds, noise)):
        want = noise_stream(int(seed), float(s), T, obj.dim)
        for optimizer, z in seen.items():
            np.testing.assert_allclose(z[:, r], want, rtol=1e-9, atol=1e-12, err_msg=optimizer)


def test_sparse_runs_with_one_seed_sample_the_same_rows_whatever_the_optimizer():
    obj = get_objective("sparse2d")
    T = 200
    rows = {}
    for optimizer in ("sgd", "adagrad", "adam"):
        trace = simulate(obj, optimizer, T, seed=[4, 4, 9], lr=0.05)
        # the rare feature fired exactly where its gradient is non-zero (noise is off)
        rows[optimizer] = trace.grads[..., 1] != 0.0
        np.testing.assert_array_equal(rows[optimizer][:, 0], rows[optimizer][:, 1])
        assert (rows[optimizer][:, 0] != rows[optimizer][:, 2]).any()
    np.testing.assert_array_equal(rows["sgd"], rows["adagrad"])
    np.testing.assert_array_equal(rows["sgd"], rows["adam"])


def test_replay_broadcasts_one_gradient_sequence_over_a_sweep():
    g = np.random.default_rng(0).normal(size=(30, 1, 2))
    lrs = np.array([1e-3, 1e-2, 1e-1])
    sweep = replay("adam", g, [0.0, 0.0], lr=lrs)
    assert sweep.shape == (31, 3, 2)
    for i, lr in enumerate(lrs):
        np.testing.assert_array_equal(sweep[:, i:i + 1], replay("adam", g, [0.0, 0.0], lr=lr))


def test_powers_are_the_same_for_a_scalar_and_a_column():
    """beta**t (bias corrections, NAdam's schedule): one run alone and in a batch must agree
    to the last bit, including t = 2 (numpy turns a scalar exponent of 2 into a square)."""
    from engine.optimizers import _pow

    bases = [0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.123456789]
    column = np.array(bases)[:, None]
    for count in [1, 2, 3, 7, 255, 256, 257, 2000, 99_999]:
        got = _pow(column, count)
        for i, b in enumerate(bases):
            assert _pow(b, count) == got[i, 0], (b, count)
        psi = np.array([[4e-3], [0.0], [0.05]])
        got = _pow(0.96, count, psi)
        for i, s in enumerate(psi[:, 0].tolist()):
            assert _pow(0.96, count, s) == got[i, 0], (s, count)
        assert _pow(0.9, count) == pytest.approx(0.9**count, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize(("objective", "options", "seeds"), [
    ("rosenbrock", {}, (3,)), ("rosenbrock", {}, (3, 3, 3)), ("beale", {}, (1, 2, 3)),
    ("sparse", {"dim": 5, "n_samples": 100, "batch_size": 3}, (0, 4)),
])
def test_random_draws_made_block_by_block_are_the_same_numbers(monkeypatch, objective, options, seeds):
    """A long run's noise and minibatches are drawn a block of steps at a time (bounded memory):
    the same numbers as drawing every step at once."""
    import importlib

    simulate_module = importlib.import_module("engine.simulate")

    obj = get_objective(objective, **options)
    whole = simulate(obj, "adam", 50, noise=0.4, seed=np.array(seeds), lr=0.01)
    monkeypatch.setattr(simulate_module, "BLOCK_NUMBERS", 7)  # blocks of a few steps
    cut = simulate(obj, "adam", 50, noise=0.4, seed=np.array(seeds), lr=0.01)
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(cut, field), getattr(whole, field), err_msg=field)
