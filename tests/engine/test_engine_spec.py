"""The run spec: one frozen, hashable value that ``simulate`` runs and its ``repr`` rebuilds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from engine_testlib import OPTIMIZER_NAMES
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OBJECTIVES, RunSpec, get_objective, simulate
from engine.spec import plain

TRACE_FIELDS = ("t", "params", "loss", "grads", "eff_lr", "delta", "stopped_at", "final_loss")


def same_trace(a, b) -> None:
    for name in TRACE_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def rebuilt(spec: RunSpec) -> RunSpec:
    """The spec its repr describes (the repr is Python that calls ``RunSpec.of``)."""
    return eval(repr(spec), {"RunSpec": RunSpec})


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_simulating_a_spec_equals_simulating_its_arguments(optimizer):
    kwargs = {"start": (-1.0, 0.5), "noise": 0.3, "seed": (0, 3), "schedule": "cosine"}
    spec = RunSpec.of("rosenbrock", optimizer, 40, **kwargs)
    same_trace(simulate(spec), simulate("rosenbrock", optimizer, 40, **kwargs))


@pytest.mark.parametrize("objective", sorted(k for k in OBJECTIVES if k != "custom"))
def test_every_objective_round_trips_through_a_spec(objective):
    obj = get_objective(objective)
    spec = RunSpec.of(obj, "adam", 20, noise=0.1)
    assert spec.objective == objective and dict(spec.objective_options) == dict(obj.options)
    assert rebuilt(spec) == spec and hash(rebuilt(spec)) == hash(spec)
    same_trace(simulate(spec), simulate(obj, "adam", 20, noise=0.1))


def test_a_typed_function_and_its_options_are_part_of_the_spec():
    spec = RunSpec.of("custom", "sgd", 30, objective_options={"expr": "x**2 + 10*sin(y)", "xmax": 4.0}, lr=0.01)
    assert rebuilt(spec) == spec
    assert simulate(spec).objective == "custom"
    other = spec.replace(objective_options={"expr": "x**2 + 10*sin(y)", "xmax": 5.0})
    assert other != spec


def test_numpy_values_become_plain_hashable_values():
    spec = RunSpec.of("rosenbrock", "adam", np.int64(10), seed=np.arange(3), lr=np.array([0.1, 0.2, 0.3]),
                      start=np.zeros((3, 2)), amsgrad=np.bool_(True))
    assert spec.seed == (0, 1, 2) and type(spec.seed[0]) is int
    assert spec.hyper == (("lr", (0.1, 0.2, 0.3)), ("amsgrad", True))
    assert spec.start == ((0.0, 0.0),) * 3 and spec.steps == 10 and type(spec.steps) is int
    hash(spec)
    assert spec.runs == 3


def test_the_same_run_written_two_ways_is_one_key():
    a = RunSpec.of("quadratic", "sgd", 50, objective_options={"cond": 20.0, "angle": 0.0}, lr=0.01)
    b = RunSpec.of(get_objective("quadratic", angle=0.0, cond=20.0), "sgd", 50, lr=0.01)
    assert a == b and hash(a) == hash(b)
    assert a != a.replace(lr=0.02)
    assert {a: 1}[b] == 1


def test_a_grid_is_every_combination_with_the_first_axis_outermost():
    lrs, seeds = (0.1, 0.01, 0.001), (4, 5)
    spec = RunSpec.of("beale", "adam", 30, noise=0.2, grid={"lr": lrs, "seed": seeds})
    assert spec.runs == 6
    trace = simulate(spec)
    np.testing.assert_array_equal(trace.hyper["lr"], np.repeat(lrs, 2))
    np.testing.assert_array_equal(trace.seed, np.tile(seeds, 3))
    same_trace(trace, simulate("beale", "adam", 30, noise=0.2, seed=np.tile(seeds, 3), lr=np.repeat(lrs, 2)))


def test_replace_changes_fields_and_merges_hyperparameters():
    spec = RunSpec.of("rosenbrock", "adam", 100, lr=0.01, beta1=0.8)
    moved = spec.replace(steps=50, lr=0.1)
    assert moved.steps == 50 and dict(moved.hyper) == {"lr": 0.1, "beta1": 0.8}
    assert dict(spec.replace(hyper={"eps": 1e-6}).hyper) == {"eps": 1e-6}
    assert spec.replace() == spec


def test_the_repr_leaves_defaults_out():
    assert repr(RunSpec.of("rosenbrock", "sgd", 10)) == "RunSpec.of('rosenbrock', 'sgd', 10)"
    spec = RunSpec.of("rosenbrock", "sgd", 10, record="loss", every=10, lr=0.5)
    assert repr(spec) == "RunSpec.of('rosenbrock', 'sgd', 10, record='loss', every=10, lr=0.5)"


def test_a_spec_is_frozen():
    spec = RunSpec.of("rosenbrock", "sgd", 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.steps = 20


def test_simulate_takes_a_spec_alone():
    with pytest.raises(TypeError):
        simulate(RunSpec.of("rosenbrock", "sgd", 10), "adam")


def test_invalid_values_are_refused_by_simulate_not_by_the_spec():
    spec = RunSpec.of("rosenbrock", "sgd", 10, lr=-1.0)  # a description can hold anything
    with pytest.raises(ValueError, match="lr"):
        simulate(spec)


floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(steps=st.integers(1, 10**5), noise=st.one_of(floats, st.tuples(floats, floats)),
       seed=st.one_of(st.integers(0, 2**40), st.tuples(st.integers(0, 9), st.integers(0, 9))),
       lr=st.one_of(floats, st.lists(floats, min_size=1, max_size=4)), flag=st.booleans(),
       start=st.one_of(st.none(), st.tuples(floats, floats)), every=st.integers(1, 50),
       schedule=st.sampled_from(["constant", "cosine", "step"]), text=st.text(max_size=30))
def test_any_spec_is_rebuilt_exactly_by_its_repr(steps, noise, seed, lr, flag, start, every, schedule, text):
    spec = RunSpec.of("custom", "adam", steps, start, noise, seed, objective_options={"expr": text},
                      schedule=schedule, every=every, schedule_options={"gamma": 0.5}, lr=lr, amsgrad=flag)
    again = rebuilt(spec)
    assert again == spec and hash(again) == hash(spec) and repr(again) == repr(spec)


def test_plain_converts_nested_values():
    assert plain({"b": np.float64(1.5), "a": [np.int32(1), (2, 3)]}) == (("a", (1, (2, 3))), ("b", 1.5))
    assert plain(np.array(2.0)) == 2.0 and type(plain(np.array(2.0))) is float
