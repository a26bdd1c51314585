"""Invalid input raises ValueError with a message a user can act on."""

from __future__ import annotations

import numpy as np
import pytest

from engine import get_objective, replay, run_experiment, schedule_factors, simulate
from engine.simulate import MAX_RECORDED, MAX_RUNS, MAX_STEPS


def sim(**kw):
    args = {"objective": "rosenbrock", "optimizer": "adam", "steps": 10, **kw}
    return simulate(**args)


BAD_SIMULATE = [
    ("unknown optimizer", {"optimizer": "adamz"}, "Unknown optimizer 'adamz'; choose one of: sgd"),
    ("optimizer not a str", {"optimizer": ["adam"]}, "Unknown optimizer"),
    ("unknown objective", {"objective": "rosen"}, "Unknown objective 'rosen'; choose one of: rosenbrock"),
    ("unknown hyper", {"momentum": 0.9}, "adam has no hyperparameter momentum; it takes: lr, beta1"),
    ("lr zero", {"lr": 0.0}, "Invalid lr for adam: 0.0 must be > 0"),
    ("lr negative in a sweep", {"lr": np.array([0.1, -1.0])}, "Invalid lr for adam: -1.0 must be > 0"),
    ("lr nan", {"lr": float("nan")}, "lr must be finite"),
    ("lr text", {"lr": "fast"}, "lr must be a number"),
    ("lr 2-D", {"lr": np.full((2, 2), 0.1)}, "lr must be a scalar or a 1-D array over runs"),
    ("beta1 one", {"beta1": 1.0}, "Invalid beta1 for adam: 1.0 must be in [0, 1)"),
    ("beta2 negative", {"beta2": -0.1}, "Invalid beta2 for adam: -0.1 must be in [0, 1)"),
    ("momentum one", {"optimizer": "momentum", "momentum": 1.0},
     "momentum for momentum: 1.0 must be in [0, 1)"),
    ("rho too big", {"optimizer": "rmsprop", "rho": 1.5}, "Invalid rho for rmsprop: 1.5 must be in [0, 1)"),
    ("eps zero", {"eps": 0.0}, "Invalid eps for adam: 0.0 must be at least 1e-30"),
    ("weight decay negative", {"optimizer": "adamw", "weight_decay": -0.1}, "weight_decay for adamw"),
    ("flag not boolean", {"amsgrad": 2}, "amsgrad must be True or False"),
    ("noise negative", {"noise": -0.1}, "noise must be a finite number >= 0"),
    ("noise infinite", {"noise": np.inf}, "noise must be a finite number >= 0"),
    ("steps fractional", {"steps": 2.5}, "steps must be a whole number, got 2.5"),
    ("steps None", {"steps": None}, "steps must be a whole number, got None"),
    ("steps text", {"steps": "many"}, "steps must be a whole number"),
    ("steps boolean", {"steps": True}, "steps must be a whole number"),
    ("steps zero", {"steps": 0}, f"steps must be between 1 and {MAX_STEPS}"),
    ("steps huge", {"steps": 10**9}, f"steps must be between 1 and {MAX_STEPS}, got 1000000000"),
    ("steps infinite", {"steps": float("inf")}, "steps must be a whole number"),
    ("start wrong length", {"start": [1.0, 2.0, 3.0]},
     "start must have shape (2,) or (runs, 2) for rosenbrock"),
    ("start 3-D", {"start": np.zeros((2, 2, 2))}, "start must have shape (2,) or (runs, 2)"),
    ("start not finite", {"start": [np.nan, 0.0]}, "start must be finite"),
    ("start text", {"start": "origin"}, "start must be numeric"),
    ("start far away", {"start": [2e6, 0.0]}, "start must lie within"),
    ("runs mismatch", {"lr": [0.1, 0.2], "seed": [1, 2, 3]},
     "Arrays over runs must have one length (or 1); got seed: 3, lr: 2"),
    ("start/seed mismatch", {"start": np.zeros((3, 2)), "seed": [1, 2]}, "got start: 3, seed: 2"),
    ("too many runs", {"lr": np.full(MAX_RUNS + 1, 0.1), "record": "loss"},
     f"{MAX_RUNS + 1} runs is more than the cap of {MAX_RUNS}"),
    ("too many numbers", {"steps": 20_000, "lr": np.full(1000, 0.1)},
     f"(cap {MAX_RECORDED:,}): record every k-th step (every=k) or the loss only"),
    ("seed negative", {"seed": -1}, "seed must be a whole number >= 0"),
    ("seed fractional", {"seed": 1.5}, "seed must be a whole number >= 0"),
    ("every zero", {"every": 0}, "every must be between 1 and 10"),
    ("every beyond the run", {"every": 11}, "every must be between 1 and 10"),
    ("record unknown", {"record": "params"}, "record must be 'full' or 'loss'"),
    ("schedule unknown", {"schedule": "exponential"},
     "Unknown schedule 'exponential'; choose one of: constant"),
    ("schedule option unknown", {"schedule": "step", "schedule_options": {"decay": 0.5}},
     "Unknown schedule option decay; the options are: step_size"),
    ("schedule gamma zero", {"schedule": "step", "schedule_options": {"gamma": 0}},
     "gamma must be in (0, 1]"),
    ("schedule step size fractional", {"schedule": "step", "schedule_options": {"step_size": 2.5}},
     "step_size must be a whole number"),
    ("schedule min_factor text", {"schedule": "cosine", "schedule_options": {"min_factor": "low"}},
     "min_factor must be a number"),
    ("schedule min_factor > 1", {"schedule": "cosine", "schedule_options": {"min_factor": 2}},
     "min_factor must be in [0, 1]"),
    ("warmup longer than the run", {"schedule": "warmup_cosine", "schedule_options": {"warmup": 11}},
     "warmup (11) is longer than the run (10 steps)"),
    ("schedule array wrong length", {"schedule": np.ones(5)}, "a schedule array must hold 10 finite factors"),
    ("schedule array negative", {"schedule": -np.ones(10)},
     "a schedule array must hold 10 finite factors >= 0"),
    ("clip_norm zero", {"clip_norm": 0}, "clip_norm must be a finite number > 0"),
    ("clip_norm text", {"clip_norm": "some"}, "clip_norm must be a finite number > 0"),
    ("clip_value negative", {"clip_value": -1}, "clip_value must be a finite number > 0"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), BAD_SIMULATE, ids=[c[0] for c in BAD_SIMULATE])
def test_simulate_refuses(case, kwargs, message):
    with pytest.raises(ValueError) as info:
        sim(**kwargs)
    assert message in str(info.value)


BAD_REPLAY = [
    ("grads 2-D", {"grads": np.zeros((3, 2))}, "grads must have shape (steps, runs, D), got (3, 2)"),
    ("grads not finite", {"grads": np.full((3, 1, 2), np.nan)}, "grads must be finite"),
    ("grads text", {"grads": "abc"}, "grads must be numeric"),
    ("no steps", {"grads": np.zeros((0, 1, 2))}, "steps must be between 1"),
    ("start wrong length", {"start": [0.0, 0.0, 0.0]}, "start must have shape (2,) or (2, 2), got (3,)"),
    ("start wrong runs", {"start": np.zeros((3, 2))}, "start must have shape (2,) or (2, 2), got (3, 2)"),
    ("start scalar", {"start": 1.0}, "start must have shape (2,) or (2, 2), got ()"),
    ("start far away", {"start": [1e7, 0.0]}, "start must lie within"),
    ("hyper length", {"lr": [0.1, 0.2, 0.3]},
     "Arrays over runs must have one length (or 1); got grads: 2, lr: 3"),
    ("unknown optimizer", {"optimizer": "sgdx"}, "Unknown optimizer 'sgdx'"),
    ("lr negative", {"lr": -1}, "Invalid lr for adam"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), BAD_REPLAY, ids=[c[0] for c in BAD_REPLAY])
def test_replay_refuses(case, kwargs, message):
    args = {"optimizer": "adam", "grads": np.zeros((3, 2, 2)), "start": [0.0, 0.0], **kwargs}
    with pytest.raises(ValueError) as info:
        replay(**args)
    assert message in str(info.value)


BAD_OBJECTIVES = [
    ("quadratic", {"cond": 0.5}, "quadratic: option cond = 0.5 is outside [1, 1000]"),
    ("quadratic", {"cond": float("nan")}, "option cond = nan is outside"),
    ("quadratic", {"scale": 2}, "Objective 'quadratic' has no option scale; it takes: cond, angle"),
    ("rosenbrock", {"cond": 2}, "has no option cond; it takes none"),
    ("sparse", {"dim": 2.5}, "option dim must be a whole number, got 2.5"),
    ("sparse", {"dim": "many"}, "option dim must be a number"),
    ("sparse", {"dim": 10_000}, "option dim = 10000 is outside [2, 200]"),
    ("nope", {}, "Unknown objective 'nope'"),
]


@pytest.mark.parametrize(("name", "options", "message"), BAD_OBJECTIVES,
                         ids=[f"{n}-{m[:20]}" for n, _, m in BAD_OBJECTIVES])
def test_objective_options_are_checked(name, options, message):
    with pytest.raises(ValueError) as info:
        get_objective(name, **options)
    assert message in str(info.value)


def test_unknown_experiment():
    with pytest.raises(ValueError, match="Unknown experiment 'x'; choose one of: chapter"):
        run_experiment("x")


def test_schedule_factors_refuses_unknown_names():
    with pytest.raises(ValueError, match="Unknown schedule"):
        schedule_factors("linear", 10)


def test_valid_edge_values_are_accepted():
    """The boundaries of the rules are on the right side."""
    sim(beta1=0.0, beta2=0.0, noise=0.0, steps=1, every=1)
    sim(optimizer="momentum", momentum=0.0)
    sim(optimizer="adamw", weight_decay=0.0)
    sim(steps=np.int64(3), seed=np.uint32(7), start=np.array([0.5, 0.5]))
    sim(steps=5.0, every=5)  # a float that is a whole number
    sim(amsgrad=np.array([True, False]), bias_correction=[1, 0])
    sim(schedule="step", schedule_options={"step_size": 0})  # 0: the default step size
    sim(lr=np.full(MAX_RUNS, 0.1), record="loss", steps=2)  # exactly the cap



def test_radam_takes_a_beta2_that_makes_rho_inf_a_whole_number():
    """beta2 = 0.6 makes rho_inf exactly 4: the rectification's branch that is not taken divides by
    (rho_inf - 4) = 0, which for one run (Python floats) raised ZeroDivisionError."""
    one = sim(optimizer="radam", beta2=0.6)
    two = sim(optimizer="radam", beta2=[0.6, 0.6])  # arrays gave inf in the unused branch, no error
    np.testing.assert_array_equal(one.params[:, 0], two.params[:, 0])

def test_a_failed_call_leaves_the_callers_arrays_alone():
    factors = np.ones(10)
    lr = np.array([0.1, 0.2])
    sim(schedule=factors, lr=lr)
    assert factors.flags.writeable and lr.flags.writeable


@pytest.mark.parametrize("kwargs", [{"noise": 1j}, {"start": [1j, 0.0]}, {"lr": 0.1 + 1j}, {"seed": 2j},
                                    {"amsgrad": 1j}], ids=["noise", "start", "lr", "seed", "flag"])
def test_complex_numbers_are_refused_not_truncated(kwargs):
    """numpy would silently drop the imaginary part (with only a warning): found by the fuzz test."""
    with pytest.raises(ValueError, match="real"):
        simulate("rosenbrock", "adam", 3, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"steps": "100"}, "steps must be a whole number, got '100'"),
    ({"lr": []}, "lr is empty"),
    ({"seed": np.array([], dtype=int)}, "seed is empty"),
])
def test_text_for_a_number_and_empty_arrays_are_refused(kwargs, message):
    """``steps="100"`` was accepted as a string and ``lr=[]`` returned a trace of no runs."""
    with pytest.raises(ValueError, match=message):
        sim(**kwargs)


def test_a_step_too_large_to_hold_is_refused_before_anything_is_allocated():
    """50,000 seeds of the sparse problem with 256 samples per gradient asked for 19 GiB."""
    import time

    from engine.simulate import MAX_STEP_NUMBERS

    obj = get_objective("sparse", dim=200, batch_size=256, n_samples=2000)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="one step of 50000 runs"):
        simulate(obj, "sgd", 10, seed=np.arange(50_000), record="loss", every=10)
    assert time.perf_counter() - t0 < 2.0 and 50_000 * 200 * 256 > MAX_STEP_NUMBERS
