"""URL parsing of the controls: round trips and refusals (pure, no Streamlit)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OPTIMIZERS
from ui.state.fields import MAX_URL_VALUE, SHARED_FIELDS, Flag, MultiChoice, Number, Point, log_grid
from ui.state.settings import settings_from_values, start_problem

NUMBERS = [f for f in SHARED_FIELDS.values() if isinstance(f, Number)]


@pytest.mark.parametrize("field", NUMBERS, ids=[f.key for f in NUMBERS])
def test_number_defaults_are_valid_and_round_trip(field):
    assert field.low <= field.default <= field.high
    assert field.parse(field.fmt(field.default)) == field.default


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(NUMBERS), u=st.floats(0, 1))
def test_number_values_round_trip_through_the_url(field, u):
    value = field.low + u * (field.high - field.low)
    value = round(value) if field.integer else value
    value = min(max(value, field.low), field.high)
    assert field.parse(field.fmt(value)) == value


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(list(SHARED_FIELDS.values())), raw=st.text(max_size=60))
def test_any_text_parses_to_a_valid_value_or_raises_value_error(field, raw):
    try:
        value = field.clean(raw)
    except ValueError as err:
        assert str(err)
        return
    if isinstance(field, Number):
        assert math.isfinite(value) and field.low <= value <= field.high
    elif isinstance(field, MultiChoice):
        assert 1 <= len(value) <= field.max_items and set(value) <= set(field.options)
    elif isinstance(field, Point):
        assert len(value) == field.dim and all(math.isfinite(v) for v in value)
    elif isinstance(field, Flag):
        assert value in (True, False)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e400", "0x10", "", " ", "1,2"])
def test_numbers_refuse_non_finite_and_junk(raw):
    with pytest.raises(ValueError):
        SHARED_FIELDS["noise"].clean(raw)


def test_long_values_are_refused_before_parsing():
    with pytest.raises(ValueError, match="longer than"):
        SHARED_FIELDS["opt"].clean("adam," * MAX_URL_VALUE)


def test_optimizer_list_drops_repeats_and_caps_length():
    f = SHARED_FIELDS["opt"]
    assert f.parse("adam,adam,sgd") == ("adam", "sgd")
    with pytest.raises(ValueError, match="at most"):
        f.parse(",".join(list(OPTIMIZERS)[: f.max_items + 1]))


def test_every_hyperparameter_of_every_optimizer_is_a_control():
    for opt, spec in OPTIMIZERS.items():
        for name in spec.hypers:
            assert f"{opt}.{name}" in SHARED_FIELDS


def test_log_grid_spans_the_range_in_nice_steps():
    grid = log_grid(1e-4, 1.0)
    assert grid[0] == 1e-4 and grid[-1] == 1.0
    assert all(b > a for a, b in itertools.pairwise(grid))
    assert 0.001 in grid and 0.005 in grid and 0.01 in grid  # the chapter's learning rates


def test_default_settings_reproduce_the_chapter():
    s = settings_from_values({})
    assert s.objective == "rosenbrock" and s.optimizers == ("momentum", "rmsprop", "adam")
    assert (s.hyper("momentum")["lr"], s.hyper("rmsprop")["lr"], s.hyper("adam")["lr"]) == (0.001, 0.005, 0.01)
    assert s.start == (-1.0, 0.5) and s.noise == 0.3 and s.seed == 0 and s.steps == 2000
    hash(s)  # a cache key


def test_start_problem_flags_points_far_off_the_map():
    obj = settings_from_values({}).objective_obj()
    assert start_problem(obj, (0.0, 0.0)) is None
    assert "far outside" in start_problem(obj, (100.0, 0.0))
