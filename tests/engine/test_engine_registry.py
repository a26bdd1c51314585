"""Registry x objectives: shapes, finiteness and progress for every optimiser; registry metadata."""

from __future__ import annotations

import numpy as np
import pytest
from engine_testlib import OBJECTIVE_NAMES, OPTIMIZER_NAMES

from engine import OPTIMIZERS, get_objective, simulate
from engine.optimizers import EFFECTIVE_LR, SCALES, effective_lr, validate_hypers

T = 25
SEEDS = np.array([0, 1, 2])


@pytest.mark.parametrize("objective_name", OBJECTIVE_NAMES)
@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_every_optimizer_on_every_objective_has_documented_shapes(optimizer, objective_name):
    obj = get_objective(objective_name)
    trace = simulate(obj, optimizer, T, noise=0.1, seed=SEEDS)
    B, D = len(SEEDS), obj.dim
    assert trace.params.shape == (T + 1, B, D)
    assert trace.loss.shape == (T + 1, B)
    for name in ("grads", "eff_lr", "delta"):
        assert getattr(trace, name).shape == (T, B, D), name
    assert trace.final_params.shape == (B, D) and trace.final_loss.shape == (B,)
    assert trace.stopped_at.shape == (B,) and trace.t.tolist() == list(range(T + 1))
    for name in ("params", "loss", "grads", "eff_lr", "delta", "final_params", "final_loss"):
        assert np.isfinite(getattr(trace, name)).all(), name
    np.testing.assert_array_equal(trace.params[0], np.broadcast_to(obj.start, (B, D)))
    np.testing.assert_array_equal(trace.final_params, trace.params[-1])
    np.testing.assert_allclose(trace.loss, obj.value(trace.params), rtol=1e-14, atol=0)
    # eff_lr > 0 while a run is going; a stopped run's rows are 0 from its stop on
    going = (trace.stopped_at < 0) | (trace.t_update[:, None] < trace.stopped_at)  # (T, B)
    assert (trace.eff_lr[going] > 0).all()
    assert (trace.eff_lr[~going] == 0).all() and (trace.delta[~going] == 0).all()


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_defaults_make_progress_on_the_convex_quadratic(optimizer):
    obj = get_objective("quadratic")
    trace = simulate(obj, optimizer, 500)
    assert not trace.diverged.any()
    assert trace.final_loss[0] < trace.loss[0, 0]
    assert trace.loss.max() <= trace.loss[0, 0] * 1.5  # no blow-up on the way


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_registry_entry_is_complete(optimizer):
    spec = OPTIMIZERS[optimizer]
    assert spec.name == optimizer and spec.title and spec.summary
    assert spec.latex and spec.latex.count("{") == spec.latex.count("}")
    assert "lr" in spec.hypers
    assert spec.step_seconds > 0, "its cost per step: python benchmarks/bench_cost.py"
    assert spec.effective_lr in EFFECTIVE_LR
    assert all(h.text for h in spec.hypers.values())
    validate_hypers(spec, {})  # the defaults are valid
    # beside η, the hyperparameter a map of the optimiser sweeps (Main(None, why=...): η alone)
    assert spec.main is not None, "its main hyperparameter: a Main(...) in its row"
    assert spec.main.why, "why that one (or why η alone)"
    lrs, ys = spec.map_axes(7)
    assert np.all(np.diff(np.log(lrs)) > 0) and lrs[0] == pytest.approx(spec.hypers["lr"].low)
    if spec.main.name is None:
        assert ys is None
    else:
        h = spec.hypers[spec.main.name]
        assert spec.main.scale in SCALES and h.kind != "bool"
        assert spec.main.scale != "decay" or h.kind == "unit"
        assert np.all(np.diff(ys) > 0) and ys[0] == pytest.approx(h.low) and ys[-1] == pytest.approx(h.high)
        validate_hypers(spec, {"lr": np.repeat(lrs, 7), spec.main.name: np.tile(ys, 7)})
    for name, h in spec.hypers.items():
        if h.kind == "bool":
            assert isinstance(h.default, bool), name
            continue
        assert h.low <= h.default <= h.high, f"{name}: default outside the UI range"
        assert h.low < h.high, name
        if h.log:
            assert h.low > 0, f"{name}: a log slider needs a positive lower end"
        assert h.symbol and h.label and h.help, name
    spec.make(**{k: v for k, v in spec.defaults.items()})  # the factory takes the hypers


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        OPTIMIZERS["mine"] = OPTIMIZERS["sgd"]
    with pytest.raises(TypeError):
        OPTIMIZERS["adam"].hypers["lr"] = None


def test_chapter_defaults():
    """Defaults are the chapter's where it gives them (issue 2)."""
    adam = OPTIMIZERS["adam"].defaults
    assert (adam["lr"], adam["beta1"], adam["beta2"], adam["eps"]) == (1e-3, 0.9, 0.999, 1e-8)
    assert OPTIMIZERS["rmsprop"].defaults["rho"] == 0.9
    assert OPTIMIZERS["momentum"].defaults["momentum"] == 0.9


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_update_never_mutates_its_inputs(optimizer):
    spec = OPTIMIZERS[optimizer]
    hyper = {k: v for k, v in spec.defaults.items() if k != "lr"}
    transform = spec.make(**hyper)
    rng = np.random.default_rng(0)
    params = rng.normal(size=(3, 4))
    state = transform.init(params)
    for _ in range(3):  # a non-trivial state
        params, state, _ = transform.update(rng.normal(size=(3, 4)), state, params, 0.01)
    g = rng.normal(size=(3, 4))
    before = [np.copy(a) for a in (g, params, *state)]
    for a in (g, params, *state):
        if isinstance(a, np.ndarray):
            a.flags.writeable = False  # an in-place write raises
    transform.update(g, state, params, 0.01)
    for a, b in zip((g, params, *state), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_effective_lr_evaluates_to_a_positive_factor_per_parameter(optimizer):
    """``update`` may return its effective learning rate unevaluated (Adam's ``lr / denom``):
    ``effective_lr`` gives the value, a scalar or one factor per run and parameter."""
    spec = OPTIMIZERS[optimizer]
    transform = spec.make(**{k: v for k, v in spec.defaults.items() if k != "lr"})
    rng = np.random.default_rng(3)
    params = rng.normal(size=(3, 4))
    state = transform.init(params)
    for _ in range(3):
        params, state, eff = transform.update(rng.normal(size=(3, 4)), state, params, 0.01)
        value = effective_lr(eff)
        assert np.shape(value) in ((), (3, 4))
        assert np.isfinite(value).all() and (np.asarray(value) > 0).all()
    assert effective_lr(0.5) == 0.5



def test_the_schedule_options_table_is_schedule_factors_keywords():
    import inspect

    from engine.schedules import OPTIONS, SCHEDULES, USES, schedule_factors
    keywords = {n: p.default for n, p in inspect.signature(schedule_factors).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keywords == {n: o.default for n, o in OPTIONS.items()}
    assert set(USES) == set(SCHEDULES) and {o for used in USES.values() for o in used} == set(OPTIONS)
