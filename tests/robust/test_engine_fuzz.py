"""Engine fuzzing: any input gives finite, flagged results or a ``ValueError`` with a message.

``simulate`` and ``replay`` are called with hypothesis-drawn optimiser and objective names,
hyperparameters (valid, invalid, NaN, inf, negative, huge, arrays of any shape, text, None),
starts, steps, noise, seeds, schedules, clipping and record modes. Every call either returns a
``Trace`` whose arrays are all finite and read-only, with every run that left the bounds
flagged in ``stopped_at``, or raises ``ValueError`` with a non-empty message; never another
exception, a hang (a time limit) or a NaN.

The user-function parser refuses hostile text (code, dunders, attribute access, lambdas, very
long or deeply nested input, unicode, control characters) with ``ExprError`` quickly; random
expressions from a small grammar parse, evaluate without raising, and their gradient matches
central finite differences wherever the function is finite and smooth.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra.numpy import arrays

from engine import OBJECTIVES, OPTIMIZERS, SCHEDULES, Trace, get_objective, replay, simulate
from engine.expr import FUNCTIONS, MAX_LENGTH, ExprError, ParsedFunction, parse_function
from engine.simulate import DIVERGENCE_BOUND, LOSS_BOUND, MAX_STEPS

from .conftest import FUZZ, time_limit

CALL_LIMIT = 20.0  # seconds: far above any call drawn here (steps <= 200, runs <= 5)

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

any_float = st.floats(allow_nan=True, allow_infinity=True)
special = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, -0.0, 1e300, -1e300, 1e-320,
                           1.0, 0.5, 0.9999999, 2**63, -(2**63)])
junk = st.sampled_from([None, "abc", "", "1e-3", b"\x00", [], [[1.0, 2.0], [3.0, 4.0]], {}, (1, "a"),
                        object(), True, False, 1j])


def float_arrays(max_len=5):
    return arrays(np.float64, st.integers(0, max_len), elements=st.one_of(any_float, special))


def number_like(low=0.0, high=1.0):
    """Valid-looking, invalid and hostile values for one numeric input."""
    return st.one_of(st.floats(low, high, allow_nan=False), special, any_float, float_arrays(),
                     arrays(np.float64, (2, 2), elements=st.floats(low, high)), junk,
                     st.lists(st.floats(low, high), min_size=1, max_size=4))


def valid_hyper(h, runs):
    """A value ``validate_hypers`` accepts (extremes included), scalar or one per run."""
    if h.kind == "bool":
        one = st.booleans()
        many = arrays(np.bool_, st.just(runs))
    else:
        low = {"lr": 0.0, "pos": 0.0, "nonneg": 0.0, "unit": 0.0}[h.kind]
        high = 0.9999999 if h.kind == "unit" else 1e300
        edge = [v for v in (1e-320, 1e-12, h.low, h.high, h.default, 1e6, 1e300, 0.0, 0.9999999)
                if (v > low or (v == low and h.kind in ("nonneg", "unit"))) and v <= high]
        one = st.one_of(st.floats(max(h.low, 1e-320), h.high), st.sampled_from(edge))
        many = arrays(np.float64, st.just(runs), elements=one)
    return st.one_of(one, one, many)


def invalid_hyper():
    return st.one_of(special, any_float, float_arrays(), arrays(np.float64, (2, 2), elements=st.floats(0, 1)),
                     junk, st.lists(st.floats(0, 1), min_size=1, max_size=4))


INPUTS = ("objective", "optimizer", "steps", "start", "noise", "seed", "hyper", "unknown_hyper", "record",
          "every", "schedule", "clip_norm", "clip_value")


@st.composite
def simulate_calls(draw):
    """A call of ``simulate``: valid in every input but (at most) two, drawn invalid or hostile."""
    broken = draw(st.sets(st.sampled_from(INPUTS), max_size=2))

    def pick(name, valid, invalid):
        return draw(invalid if name in broken else valid)

    runs = draw(st.integers(1, 4))
    name = draw(st.sampled_from(list(OBJECTIVES)))
    options = {}
    for key, opt in OBJECTIVES[name].options.items():
        if draw(st.booleans()):
            options[key] = draw(expressions() if opt.text else
                                st.one_of(st.floats(opt.low, opt.high), st.sampled_from([opt.low, opt.high]))
                                .map(lambda v, o=opt: int(v) if o.integer else v))
    try:
        obj = get_objective(name, **options)
    except ValueError:  # e.g. a grammatical function that is not finite anywhere in its box
        obj = get_objective(name)
    objective = pick("objective", st.just(obj), st.one_of(
        st.sampled_from(["nope", "", "ROSENBROCK", None, 3]),
        st.just(("options", name, {**options, "bogus": 1})),
        st.builds(lambda o: ("options", "custom", {"expr": o}), st.sampled_from(HOSTILE_TEXT))))
    optimizer = pick("optimizer", st.sampled_from(list(OPTIMIZERS)), st.sampled_from(["nope", "", "ADAM", None, 1]))
    spec = OPTIMIZERS.get(optimizer, OPTIMIZERS["sgd"]) if isinstance(optimizer, str) else OPTIMIZERS["sgd"]
    steps = pick("steps", st.integers(1, 200), st.sampled_from(
        [0, -1, 1.5, math.nan, math.inf, "x", None, MAX_STEPS + 1, 10**12, 2**63, -(2**63), "1e3", [10]]))
    n = steps if type(steps) is int and 1 <= steps <= 200 else 10
    dim = obj.dim
    coords = st.floats(-5, 5)
    kwargs = dict(
        start=pick("start", st.one_of(
            st.none(), st.lists(coords, min_size=dim, max_size=dim),
            arrays(np.float64, st.just((runs, dim)), elements=coords),
            arrays(np.float64, st.just(dim), elements=st.sampled_from([-999_999.0, 999_999.0, 0.0])),
        ), st.one_of(arrays(np.float64, st.just(dim), elements=st.one_of(any_float, special)),
                     float_arrays(), arrays(np.float64, (2, 2, 2)), junk)),
        noise=pick("noise", st.one_of(st.floats(0, 3), st.sampled_from([0.0, 1e-320, 1e6, 1e300]),
                                      arrays(np.float64, st.just(runs), elements=st.floats(0, 1e300))),
                   st.one_of(st.sampled_from([-1.0, math.nan, math.inf, -1e-300]), float_arrays(), junk)),
        seed=pick("seed", st.one_of(st.integers(0, 2**63 - 1), arrays(np.int64, st.just(runs),
                                                                      elements=st.integers(0, 2**62))),
                  st.one_of(st.sampled_from([-1, 2**63, 2**70, 1.5, math.nan, math.inf]), float_arrays(), junk)),
        record=pick("record", st.sampled_from(["full", "full", "loss"]), st.sampled_from(["bogus", None, "FULL", 1])),
        every=pick("every", st.integers(1, n), st.sampled_from([0, -1, 2.5, n + 1, 10**9, math.nan, None, "2"])),
        record_state=draw(st.booleans()),
        clip_norm=pick("clip_norm", st.one_of(st.none(), st.floats(1e-300, 1e300), st.sampled_from([1e-300, 1e300])),
                       st.one_of(st.sampled_from([0.0, -1.0, math.nan, math.inf]), junk)),
        clip_value=pick("clip_value", st.one_of(st.none(), st.floats(1e-300, 1e300)),
                        st.one_of(st.sampled_from([0.0, -1.0, math.nan, math.inf]), junk)),
    )
    schedule = draw(st.sampled_from([*SCHEDULES, "array"]))
    if "schedule" in broken:
        kwargs["schedule"], kwargs["schedule_options"] = draw(st.one_of(
            st.tuples(st.sampled_from(["bogus", "", None, 3]), st.none()),
            st.tuples(st.one_of(float_arrays(8), arrays(np.float64, st.just(n), elements=special)), st.none()),
            st.tuples(st.sampled_from(list(SCHEDULES)), st.fixed_dictionaries({}, optional={
                k: st.one_of(special, junk, st.integers(-5, 10**6))
                for k in ("step_size", "gamma", "warmup", "min_factor", "bogus")}))))
    elif schedule == "array":
        kwargs["schedule"] = draw(arrays(np.float64, st.just(n), elements=st.floats(0, 1e6)))
    else:
        kwargs["schedule"] = schedule
        kwargs["schedule_options"] = draw(st.fixed_dictionaries({}, optional={
            "step_size": st.integers(0, 300), "gamma": st.floats(1e-9, 1.0), "warmup": st.integers(0, n),
            "min_factor": st.floats(0.0, 1.0)}))
    for hname, h in spec.hypers.items():
        if draw(st.booleans()):
            kwargs[hname] = draw(invalid_hyper() if "hyper" in broken else valid_hyper(h, runs))
    if "unknown_hyper" in broken:
        kwargs[draw(st.sampled_from(["bogus", "beta3", "momentum", "LR", "weight_decay"]))] = 0.1
    return objective, optimizer, steps, kwargs


@st.composite
def replay_calls(draw):
    broken = draw(st.sets(st.sampled_from(("optimizer", "grads", "start", "hyper")), max_size=1))
    spec = draw(st.sampled_from(list(OPTIMIZERS.values())))
    steps, runs, dim = draw(st.integers(1, 60)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    big = st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 1e300, -1e300, 1e-320]))
    grads = draw(arrays(np.float64, st.just((steps, runs, dim)), elements=big) if "grads" not in broken
                 else st.one_of(arrays(np.float64, st.just((steps, runs, dim)), elements=special),
                                arrays(np.float64, st.integers(0, 4).map(lambda k: (2,) * k)), junk))
    start = draw(st.one_of(arrays(np.float64, st.just(dim), elements=st.floats(-5, 5)),
                           arrays(np.float64, st.just((runs, dim)), elements=st.floats(-5, 5)))
                 if "start" not in broken else st.one_of(arrays(np.float64, st.integers(0, 4), elements=special),
                                                        junk))
    hyper = {k: draw(invalid_hyper() if "hyper" in broken else valid_hyper(h, runs))
             for k, h in spec.hypers.items() if draw(st.booleans())}
    optimizer = spec.name if "optimizer" not in broken else draw(st.sampled_from(["nope", "", None]))
    return optimizer, grads, start, hyper


# A small grammar of valid functions of x and y (every operator parenthesised).
_LEAVES = st.sampled_from(["x", "y", "0", "1", "2", "0.5", "3", "10", "pi", "e", "1e-3", "x", "y"])
_USER = sorted(k for k in FUNCTIONS if k != "sign")


def _extend(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(["^", "**"]), st.sampled_from(["2", "3", "-1", "0.5", "(-2)"]))
        .map(lambda t: f"({t[0]}){t[1]}{t[2]}"),
        st.tuples(st.sampled_from(_USER), inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda s: f"-{s}"),
    )


def expressions():
    return st.recursive(_LEAVES, _extend, max_leaves=10)


# The same grammar with every leaf a function of x or y: no constant-only sub-expression (those are
# fuzzed above), so the derivative check is not cut short by how constants are evaluated.
_VAR_LEAVES = st.sampled_from(["x", "y", "(x + 0.5)", "(y - 1)", "(2*x - y)", "(0.3*y)", "(x*y)"])


def variable_expressions():
    return st.recursive(_VAR_LEAVES, _extend, max_leaves=8)


HOSTILE_TEXT = [
    "__import__('os').system('id')", "os.system('id')", "x.__class__", "x.__class__.__mro__",
    "().__class__.__bases__[0].__subclasses__()", "lambda: 0", "lambda x: x", "eval('1')", "exec('1')",
    "open('/etc/passwd')", "compile('1','','eval')", "globals()", "x if y else 1", "[x for x in y]",
    "{x: y}", "x; y", "x, y", "x = 1", "x == y", "x @ y", "x % y", "x // y", "x & y", "~x", "not x",
    "`x`", "'x'", '"x"', "x[0]", "x.real", "sin.__globals__", "getattr(x, 'a')", "np.exp(x)",
    "math.sin(x)", "z + x", "X + y", "sinx", "sin x", "sin()", "sin(x, y)", "()", "(", ")", "x +", "+",
    "**x", "x ** ** y", "1e999 * x", "9" * 200, "x" * 201, "(" * 150, "(" * 100 + "x" + ")" * 100,
    "-" * 199 + "x", "x" + "**x" * 60, "sin(" * 40 + "x" + ")" * 40, "x" + "+x" * 99, "x\x00+y",
    "x\u202e+y", "\x1b[31mx", "ｘ**2", "x²", "𝑥 + y", "x\u200b+y", "İ", "ß", "€", "😀", "x**100",
    "2**1000000", "", "   ", "\t\n",
]


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _arrays(trace: Trace, groups=("hyper",)):
    for f in dataclasses.fields(trace):
        value = getattr(trace, f.name)
        if isinstance(value, np.ndarray):
            yield f.name, value
    for group in groups:
        for k, v in getattr(trace, group).items():
            yield f"{group}[{k}]", v


def check_trace(trace: Trace) -> None:
    """Every array finite and read-only (the recorded optimiser state is checked on its own, in
    ``test_recorded_optimizer_state_is_finite``), shapes consistent, divergence flagged."""
    assert isinstance(trace, Trace)
    for name, a in _arrays(trace):
        assert isinstance(a, np.ndarray), name
        assert np.isfinite(np.asarray(a, dtype=float)).all(), f"{name} is not finite: {a!r}"
        assert not a.flags.writeable, f"{name} is writeable"
    runs, n = trace.runs, len(trace.t)
    assert trace.loss.shape == (n, runs)
    assert trace.t[0] == 0 and trace.t[-1] == trace.steps
    assert trace.stopped_at.shape == (runs,)
    assert ((trace.stopped_at == -1) | ((trace.stopped_at >= 1) & (trace.stopped_at <= trace.steps))).all()
    assert (trace.n_grad == np.where(trace.stopped_at >= 0, trace.stopped_at, trace.steps)).all()
    going = trace.stopped_at < 0
    # A run that was not flagged stayed inside the bounds all along.
    assert (np.abs(trace.loss[:, going]) < LOSS_BOUND).all()
    assert (np.abs(trace.final_params[going]) < DIVERGENCE_BOUND).all()
    assert np.array_equal(trace.final_loss, trace.loss[-1])
    if trace.params is not None:
        assert trace.params.shape == (n, runs, trace.dim)
        assert (np.abs(trace.params[:, going]) < DIVERGENCE_BOUND).all()
        for r in np.nonzero(~going)[0]:  # a flagged run holds still and reports no updates after its stop
            after = trace.t >= trace.stopped_at[r]
            held = trace.params[after, r]
            assert (held == held[0]).all()
            upd = after[1:]
            for key in ("grads", "eff_lr", "delta"):
                assert (getattr(trace, key)[upd, r] == 0).all(), key


def call_or_value_error(fn, *args, **kwargs):
    """``fn(...)`` under a time limit: its result, or None after a ValueError with a message."""
    try:
        with time_limit(CALL_LIMIT):
            out = fn(*args, **kwargs)
    except ValueError as err:
        assert str(err).strip(), f"ValueError without a message from {fn.__name__}"
        _event(f"{fn.__name__}: ValueError")
        return None
    _event(f"{fn.__name__}: returned")
    return out


def _event(text: str) -> None:
    if currently_in_test_context():  # (statistics for --hypothesis-show-statistics)
        event(text)


def _resolve(objective):
    if isinstance(objective, tuple):
        _, name, options = objective
        return get_objective(name, **options)
    return objective


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=300)
@given(call=simulate_calls())
@example(call=("rosenbrock", "sgd", 200, {"lr": 1.0}))  # diverges at once
@example(call=("rosenbrock", "adam", 50, {"lr": 1e300, "eps": 1e-300}))
@example(call=("beale", "lion", 100, {"lr": 0.1, "noise": 1e300}))
@example(call=("rastrigin", "adagrad", 100, {"eps": 1e-300, "start": [0.0, 0.0]}))
@example(call=("quadratic", "adam", 100, {"start": [0.0, 0.0], "lr": 1e300, "noise": 0.0}))
@example(call=("saddle", "rmsprop", 100, {"lr": np.array([1e-3, 1.0, 1e300]), "record": "loss", "every": 7}))
@example(call=("himmelblau", "momentum", 64, {"momentum": 0.999, "lr": 1.0, "schedule": "step",
                                              "schedule_options": {"gamma": 1.0}, "clip_value": 1e300}))
def test_simulate_gives_finite_flagged_traces_or_a_value_error(call):
    objective, optimizer, steps, kwargs = call
    obj = call_or_value_error(_resolve, objective)
    if obj is None and isinstance(objective, tuple):
        return
    trace = call_or_value_error(simulate, obj if obj is not None else objective, optimizer, steps, **kwargs)
    if trace is not None:
        check_trace(trace)


def check_state(trace: Trace) -> None:
    for name, a in trace.state.items():
        assert not a.flags.writeable, name
        assert np.isfinite(a).all(), (f"state[{name}] is not finite while the runs were not flagged: "
                                      f"stopped_at={trace.stopped_at.tolist()}, {name}[-1]={a[-1].tolist()}")


@pytest.mark.parametrize(("optimizer", "hyper"), [
    ("adam", {"eps": 1e-320}), ("rmsprop", {"eps": 1e-320}), ("adagrad", {"eps": 1e-320}),
    ("adamax", {"eps": 1e-320}), ("sgd", {"lr": 1e300}),
])
def test_effective_learning_rate_is_finite_for_valid_extreme_hyperparameters(optimizer, hyper):
    """Valid (if extreme) hyperparameters at a point where the gradient is exactly 0 (the start is
    the minimum, no noise): lr / (sqrt(0) + eps) must not reach the trace as inf while the run is
    not flagged."""
    trace = call_or_value_error(simulate, "quadratic", optimizer, 3, start=[0.0, 0.0], **hyper)
    if trace is not None:
        check_trace(trace)
    grads = np.zeros((3, 1, 2))
    trace = call_or_value_error(replay, optimizer, grads, [0.0, 0.0], return_trace=True, **hyper)
    if trace is not None:
        check_trace(trace)


@settings(FUZZ, max_examples=60)
@given(optimizer=st.sampled_from(list(OPTIMIZERS)), noise=st.sampled_from([1e6, 1e100, 1e155, 1e200, 1e300]),
       seed=st.integers(0, 100), steps=st.integers(1, 30))
@example(optimizer="adagrad", noise=1e155, seed=0, steps=1)
@example(optimizer="adam", noise=1e155, seed=0, steps=5)
def test_recorded_optimizer_state_is_finite(optimizer, noise, seed, steps):
    """A trace's ``state`` (``record_state=True``, as the bias-correction view records it) is finite
    too: an accumulator that overflows must stop (flag) the run, not leave inf in the record
    while the run carries on with zero steps."""
    trace = call_or_value_error(simulate, "rosenbrock", optimizer, steps, noise=noise, seed=seed,
                                record_state=True)
    if trace is not None:
        check_trace(trace)
        check_state(trace)


@settings(FUZZ, max_examples=150)
@given(call=replay_calls())
def test_replay_gives_finite_flagged_traces_or_a_value_error(call):
    optimizer, grads, start, hyper = call
    trace = call_or_value_error(replay, optimizer, grads, start, return_trace=True, record_state=True, **hyper)
    if trace is not None:
        check_trace(trace)


@settings(FUZZ, max_examples=150)
@given(name=st.sampled_from([*OBJECTIVES, "nope", None, 3]), data=st.data())
def test_get_objective_accepts_or_refuses_options_with_a_message(name, data):
    family = OBJECTIVES.get(name) if isinstance(name, str) else None
    options = {}
    for key, opt in (family.options.items() if family else ()):
        if data.draw(st.booleans()):
            options[key] = data.draw(st.one_of(st.floats(opt.low, opt.high), special, junk, expressions(),
                                               st.sampled_from(HOSTILE_TEXT)) if opt.text
                                     else st.one_of(st.floats(opt.low, opt.high), special, junk))
    if data.draw(st.booleans()):
        options["bogus"] = 1.0
    obj = call_or_value_error(get_objective, name, **options)
    if obj is not None:
        p = np.asarray(obj.start, dtype=float)
        assert np.isfinite(obj.value(p)) and np.isfinite(obj.grad(p)).all()


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_refused_quickly(text):
    t0 = time.perf_counter()
    with time_limit(5), pytest.raises(ExprError) as err:
        parse_function(text)
    assert isinstance(err.value, ValueError) and str(err.value).strip()
    assert time.perf_counter() - t0 < 0.5, "refusing hostile text must be quick"
    with time_limit(5), pytest.raises(ValueError):
        get_objective("custom", expr=text)


@pytest.mark.parametrize("text", ["x**(-51)", "y^(-100)", "x^(10*10)", "x**(25+26)", "x**(2*(-30))"])
def test_the_exponent_limit_holds_for_negative_and_computed_exponents(text):
    """``MAX_EXPONENT``: a constant exponent beyond +-50 is refused, however it is written."""
    with pytest.raises(ExprError, match="exponent"):
        parse_function(text)


@settings(FUZZ, max_examples=200)
@given(text=st.one_of(st.text(max_size=MAX_LENGTH + 20),
                      st.text(alphabet="xy0123456789.eE+-*/^()sincoexptalgqrbhpi ,_[]'\"\\", max_size=80)))
def test_any_text_parses_or_is_refused_and_never_raises_anything_else(text):
    t0 = time.perf_counter()
    try:
        with time_limit(5):
            fn = parse_function(text)
    except ExprError as err:
        assert str(err).strip()
        return
    assert time.perf_counter() - t0 < 0.5
    _evaluates_without_raising(fn)
    call_or_value_error(get_objective, "custom", expr=text)


@pytest.mark.parametrize("text", ["(1 / 0) + x", "x + (0)**(-1)", "x + (2-2)**(-3)", "x + (1000000)**(50 * 50)",
                                  "y + e**(50*50)", "x + 10**400"])
def test_constant_subexpressions_evaluate_without_raising(text):
    """A function the parser accepts evaluates to numbers (inf/NaN allowed), never an exception,
    and the custom objective built from it exists or is refused with a ValueError."""
    try:
        fn = parse_function(text)
    except ExprError:
        return
    _evaluates_without_raising(fn)
    call_or_value_error(get_objective, "custom", expr=text)


POINTS = [(0.37, -0.61), (1.13, 0.29), (-0.83, 1.41), (0.05, 0.77), (-1.7, -0.45), (2.3, 1.9)]


def _evaluates_without_raising(fn: ParsedFunction):
    p = np.array([[0.0, 0.0], [1.0, -1.0], [1e308, -1e308], [np.nan, 1.0], *POINTS])
    for q in (p, p[0], p[4]):  # a batch, and single points (the lone-run path)
        assert np.shape(fn.value(q)) == q.shape[:-1]
        assert np.shape(fn.grad(q)) == q.shape
        assert np.shape(fn.hess(q)) == (*q.shape, 2)


@settings(FUZZ, max_examples=150)
@given(text=expressions())
def test_grammar_expressions_parse_and_evaluate_without_raising(text):
    try:
        fn = parse_function(text)
    except ExprError as err:  # only the size limits may refuse a grammatical expression
        assert any(w in str(err) for w in ("nested", "too large", "long", "exponent")), (text, err)
        return
    _evaluates_without_raising(fn)
    call_or_value_error(get_objective, "custom", expr=text)


@settings(FUZZ, max_examples=200)
@given(text=variable_expressions(), point=st.sampled_from(POINTS))
def test_the_gradient_of_a_parsed_function_matches_central_finite_differences(text, point):
    try:
        fn = parse_function(text)
    except ExprError as err:
        assert any(w in str(err) for w in ("nested", "too large", "long", "exponent")), (text, err)
        return
    p = np.array(point)
    f0, g = float(fn.value(p)), fn.grad(p)
    if not (np.isfinite(f0) and np.isfinite(g).all() and abs(f0) < 1e8):
        return
    checked = 0
    for i in range(2):
        fd = []
        for h in (1e-5, 5e-6):
            e = np.zeros(2)
            e[i] = h
            fp, fm = float(fn.value(p + e)), float(fn.value(p - e))
            fd.append((fp - fm) / (2 * h))
        if not np.isfinite(fd).all() or abs(fd[0] - fd[1]) > 1e-4 * (1 + abs(fd[1])):
            continue  # not smooth (or not finite) around p: no finite-difference claim
        assert abs(g[i] - fd[1]) <= 1e-4 * (1 + abs(g[i])), (text, point, i, g[i], fd)
        checked += 1
    _event(f"coordinates checked: {checked}")
