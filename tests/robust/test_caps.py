"""Resource caps: one URL cannot make the server run without bound.

Three layers are checked:

- every control that sets an amount of work has a finite bound in its field (steps, runs,
  seeds, sweep sizes, parameters, samples, iterations, list lengths, text length), and a URL
  asking for more is refused with a notice and replaced by the default;
- the engine has its own caps (``MAX_STEPS``, ``MAX_RUNS``, ``MAX_RECORDED``; the parser's
  ``MAX_LENGTH``, ``MAX_NODES``, ``MAX_DEPTH``) and refuses anything beyond them with a
  ``ValueError`` at once, before computing;
- the largest engine call each page can make within the UI caps fits the engine's caps, so no
  URL that the controls accept ends in "cannot be computed" for lack of memory;
- one engine call is also bounded in work (``budget.MAX_WORK``: runs x steps x parameters x
  samples per gradient): on the larger problems the fields allowed hours of computing, and such
  a view is now refused at once, with a message that says what to lower.
"""

from __future__ import annotations

import ast
import importlib
import time

import numpy as np
import pytest

from engine import EXPERIMENTS, OBJECTIVES, RunSpec, get_objective, replay, simulate
from engine import expr as engine_expr
from engine.expr import ExprError, parse_function
from ui.compute import budget as compute
from ui.frame.registry import ALL_FIELDS, PAGES
from ui.state import fields as params
from ui.state.fields import MAX_URL_VALUE, SHARED_FIELDS, MultiChoice, Number, Text

from .conftest import ROOT, n_charts, no_exception, notices, open_page, time_limit

engine_simulate = importlib.import_module("engine.simulate")  # the module (``engine.simulate`` is the function)
SHARED = SHARED_FIELDS
BIAS_FIRST = PAGES["bias_correction"].field("first")
LOSS_SEEDS = PAGES["loss"].field("seeds")
LRS_POINTS, LRS_SEEDS = PAGES["sensitivity"].field("lrs.points"), PAGES["sensitivity"].field("lrs.seeds")
SO_ITER, SO_METHODS = PAGES["baselines"].field("so.iter"), PAGES["baselines"].field("so.methods")
SPARSE_DIM, SPARSE_SEEDS = PAGES["sparse"].field("sp.dim"), PAGES["sparse"].field("sp.seeds")
SPARSE_STEPS, WD_STEPS = PAGES["sparse"].field("sp.steps"), PAGES["weight_decay"].field("wd.steps")

# The controls that set an amount of work, and the most each may ask for.
WORK = {
    "steps": 5000, "seeds": 50, "sp.steps": 5000, "sp.dim": 100, "sp.seeds": 20, "lrs.points": 60,
    "lrs.seeds": 20, "wd.steps": 5000, "so.iter": 5000, "sch.warmup": 5000, "sch.every": 5000,
    "first": 1000, "sparse.dim": 200, "sparse.n_samples": 20000, "sparse.batch_size": 256,
    "sparse2d.n_samples": 20000, "sparse2d.batch_size": 256,
}


# --------------------------------------------------------------------------------------------
# The fields
# --------------------------------------------------------------------------------------------


def test_every_number_field_is_bounded():
    for key, f in ALL_FIELDS.items():
        if isinstance(f, Number):
            assert np.isfinite([f.low, f.high]).all() and f.low <= f.default <= f.high, key


@pytest.mark.parametrize(("key", "most"), WORK.items())
def test_work_controls_have_their_caps(key, most):
    f = ALL_FIELDS[key]
    assert isinstance(f, Number) and f.integer, key
    assert f.high == most, f"{key}: cap {f.high}, expected {most} (update WORK and the worst cases below)"
    with pytest.raises(ValueError):
        f.clean(str(int(f.high) + 1))
    with pytest.raises(ValueError):
        f.clean("1" + "0" * 199)


def test_lists_and_text_have_caps():
    assert SHARED["steps"].high == params.MAX_STEPS <= engine_simulate.MAX_STEPS
    assert SHARED["opt"].max_items == params.MAX_OPTIMIZERS
    for key, f in ALL_FIELDS.items():
        if isinstance(f, MultiChoice):
            assert f.max_items <= len(f.options), key
            with pytest.raises(ValueError):
                f.clean(",".join(list(f.options) * 2 + ["x"]))
        if isinstance(f, Text):
            assert f.max_length <= MAX_URL_VALUE, key
    assert SHARED["custom.expr"].max_length == engine_expr.MAX_LENGTH
    with pytest.raises(ValueError, match="longer"):
        SHARED["custom.expr"].clean("x+" * 100 + "x")
    with pytest.raises(ValueError, match="longer"):
        SHARED["steps"].clean(" " * (MAX_URL_VALUE + 1))


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


def test_engine_caps_exist():
    assert engine_simulate.MAX_STEPS >= params.MAX_STEPS
    assert engine_simulate.MAX_RUNS > 0 and engine_simulate.MAX_RECORDED > 0
    assert engine_expr.MAX_LENGTH > 0 and engine_expr.MAX_NODES > 0 and engine_expr.MAX_DEPTH > 0


@pytest.mark.parametrize(("what", "call"), [
    ("steps", lambda: simulate("rosenbrock", "sgd", engine_simulate.MAX_STEPS + 1)),
    ("runs", lambda: simulate("rosenbrock", "sgd", 10, seed=np.arange(engine_simulate.MAX_RUNS + 1))),
    ("runs (lr sweep)", lambda: simulate("rosenbrock", "adam", 10,
                                         lr=np.full(engine_simulate.MAX_RUNS + 1, 0.01))),
    ("recorded", lambda: simulate("rosenbrock", "adam", engine_simulate.MAX_STEPS, seed=np.arange(200))),
    ("recorded (many parameters)", lambda: simulate(get_objective("sparse", dim=200), "sgd", 5000,
                                                    seed=np.arange(50))),
    ("replay steps", lambda: replay("sgd", np.zeros((engine_simulate.MAX_STEPS + 1, 1, 1)), [0.0])),
    ("objective option", lambda: get_objective("sparse", dim=201)),
    ("objective option", lambda: get_objective("sparse", n_samples=20001)),
    ("function length", lambda: parse_function("x+" * 100 + "x")),
    ("function size", lambda: parse_function("+".join(["x*y"] * 45))),
    ("function depth", lambda: parse_function("(" * 30 + "x" + ")" * 30)),
    ("custom objective", lambda: get_objective("custom", expr="x" * (engine_expr.MAX_LENGTH + 1))),
])
def test_engine_refuses_beyond_its_caps_at_once(what, call):
    t0 = time.perf_counter()
    with time_limit(10), pytest.raises(ValueError) as err:
        call()
    assert str(err.value).strip()
    assert time.perf_counter() - t0 < 2.0, f"{what}: refused only after {time.perf_counter() - t0:.1f} s"
    if "function" in what:
        assert isinstance(err.value, ExprError)


def test_engine_accepts_its_caps_exactly():
    """The caps are limits, not off-by-one refusals (cheap calls at the boundary)."""
    runs = engine_simulate.MAX_RUNS
    tr = simulate("rosenbrock", "sgd", 2, seed=np.arange(runs), record="loss")
    assert tr.runs == runs
    tr = simulate("rosenbrock", "sgd", engine_simulate.MAX_STEPS, record="loss",
                  every=engine_simulate.MAX_STEPS)
    assert tr.steps == engine_simulate.MAX_STEPS


# --------------------------------------------------------------------------------------------
# The worst case the UI allows, page by page, against the engine's caps
# --------------------------------------------------------------------------------------------

def page_constant(path: str, name: str):
    """A module-level constant of a page script (read from its source: a page cannot be imported)."""
    tree = ast.parse((ROOT / path).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} has no {name}: update the worst cases in this file")


SPARSE_ROWS = page_constant("pages/5_Sparse_gradients.py", "RECORDED_ROWS")  # every = max(1, steps // rows)
SPARSE_EVERY = max(1, int(SPARSE_STEPS.high) // SPARSE_ROWS)
MAX_DIM = max(2, int(SHARED["sparse.dim"].high))  # the sparse family's "dim" option is the largest objective
assert set(OBJECTIVES) >= {"sparse"}
STEPS = int(SHARED["steps"].high)
CHAPTER = EXPERIMENTS["chapter"]

# Each page's largest single engine call within the UI caps: (runs, steps, parameters, record, every).
# Mirrors the run specs of dashboard.py and pages/*.py (reviewed by hand; every page of the registry
# must be here).
def _shared(runs, dim):
    """A run of the shared settings (``View.specs``): it thins the record to a numbers budget."""
    return (runs, STEPS, dim, "full", compute.record_every(STEPS, runs, dim))


WORST_CALLS = {
    "home": (1, CHAPTER.steps, 2, "full", 1),
    "trajectories": _shared(1, 2),  # 2-D objectives only (no map otherwise)
    "loss": _shared(int(LOSS_SEEDS.high), MAX_DIM),
    "learning_rates": _shared(1, MAX_DIM),
    "bias_correction": (8, max(int(BIAS_FIRST.high), 10), MAX_DIM, "full", 1),  # the beta2 sweep
    "bias_correction (main run)": (1, STEPS, MAX_DIM, "full", 1),
    "sparse": (int(SPARSE_SEEDS.high), int(SPARSE_STEPS.high), int(SPARSE_DIM.high), "full", SPARSE_EVERY),
    "sensitivity": (int(LRS_POINTS.high) * int(LRS_SEEDS.high), STEPS, MAX_DIM, "loss", STEPS),
    "weight_decay": (1, int(WD_STEPS.high), 2, "full", 1),
    "schedules": _shared(1, MAX_DIM),
    "baselines": _shared(1, MAX_DIM),
    "guide": None,  # no computation
}


def test_every_page_has_a_worst_case():
    assert {k.split(" ")[0] for k in WORST_CALLS} == set(PAGES)
    assert SO_ITER.high <= 5000 and len(SO_METHODS.options) <= 10  # scipy baselines: bounded iterations


@pytest.mark.parametrize("page", [p for p, c in WORST_CALLS.items() if c])
def test_the_worst_case_the_ui_allows_fits_the_engine_caps(page):
    runs, steps, dim, record, every = WORST_CALLS[page]
    n_rec = steps // every + 2  # as the engine counts
    floats = runs * n_rec * (4 * dim if record == "full" else 1)
    assert runs <= engine_simulate.MAX_RUNS, f"{page}: {runs} runs > MAX_RUNS"
    assert steps <= engine_simulate.MAX_STEPS
    assert floats <= engine_simulate.MAX_RECORDED, (
        f"{page}: the controls allow {runs} runs x {n_rec} recorded steps x {dim} parameters = {floats:,} "
        f"numbers in one engine call, over MAX_RECORDED = {engine_simulate.MAX_RECORDED:,}: such a URL "
        "passes every field check and then fails with 'cannot be computed'")
    engine_simulate._check_size(runs, dim, steps, every, record)  # the engine's own rule agrees


# What one view may hold in memory at once: the target for the whole server (30 sessions)
# is 700 MB; a single URL must not ask for more than that on its own.
VIEW_BUDGET_BYTES = 700e6
MAX_OPTS = params.MAX_OPTIMIZERS
# Per page: the engine calls of one view at the caps, as (how many calls, runs, steps, parameters,
# record, every, optimiser-state arrays recorded), from dashboard.py and pages/*.py.
VIEW_CALLS = {
    "home": [(3, 1, CHAPTER.steps, 2, "full", 1, 0)],
    "trajectories": [(MAX_OPTS, *_shared(1, 2), 0)],
    "loss": [(MAX_OPTS, *_shared(int(LOSS_SEEDS.high), MAX_DIM), 0)],
    "learning_rates": [(MAX_OPTS, *_shared(1, MAX_DIM), 0)],
    "bias_correction": [(2, 1, STEPS, MAX_DIM, "full", 1, 3), (1, 1, STEPS, 2, "full", 1, 0),
                        (1, 8, max(int(BIAS_FIRST.high), 10), MAX_DIM, "full", 1, 0)],
    "sparse": [(4, int(SPARSE_SEEDS.high), int(SPARSE_STEPS.high), int(SPARSE_DIM.high), "full", SPARSE_EVERY, 0),
               (4, 1, int(SPARSE_STEPS.high), 2, "full", SPARSE_EVERY, 0)],
    "sensitivity": [(MAX_OPTS, int(LRS_POINTS.high) * int(LRS_SEEDS.high), STEPS, MAX_DIM, "loss", STEPS, 0),
                    (MAX_OPTS, 1, STEPS, 2, "full", 1, 0)],
    "weight_decay": [(2, 1, int(WD_STEPS.high), 2, "full", 1, 0)],
    "schedules": [(2 * MAX_OPTS, *_shared(1, MAX_DIM), 0)],
    "baselines": [(MAX_OPTS, *_shared(1, MAX_DIM), 0)],
    "guide": [],
}


def _recorded(runs, steps, dim, record, every, n_state) -> int:
    """Floats a call may keep: what the UI allows, but never more than the engine accepts."""
    n_rec = steps // every + 2
    kept = runs * n_rec * (4 * dim if record == "full" else 1)
    kept = min(kept, engine_simulate.MAX_RECORDED)
    return kept + runs * steps * dim * n_state


@pytest.mark.parametrize("page", VIEW_CALLS)
def test_one_view_at_the_caps_fits_the_memory_budget(page):
    assert set(VIEW_CALLS) == set(PAGES)
    total = sum(n * _recorded(*call) for n, *call in VIEW_CALLS[page]) * 8
    assert total <= VIEW_BUDGET_BYTES, (
        f"{page}: one URL within the controls' caps can make the view hold {total / 1e6:,.0f} MB of traces "
        f"(over {VIEW_BUDGET_BYTES / 1e6:,.0f} MB; st.cache_data keeps a pickled copy as well)")


# The same, end to end: the largest URL the fields accept renders the page instead of an error.
WORST_URLS = {
    "pages/2_Loss_curves.py": {"f": "sparse", "sparse.dim": str(int(SHARED["sparse.dim"].high)),
                               "seeds": str(int(LOSS_SEEDS.high)), "steps": str(STEPS), "opt": "sgd"},
    "pages/5_Sparse_gradients.py": {"sp.seeds": str(int(SPARSE_SEEDS.high)), "sp.dim": str(int(SPARSE_DIM.high)),
                                    "sp.steps": str(int(SPARSE_STEPS.high))},
}


@pytest.mark.parametrize("path", WORST_URLS)
def test_the_largest_url_the_fields_accept_is_computed(path):
    at = open_page(path, WORST_URLS[path])
    no_exception(at)
    assert not any("(`" in n for n in notices(at)), notices(at)  # every value was accepted
    errors = [e.value for e in at.error]
    assert not errors, errors
    assert n_charts(at) >= 1


# --------------------------------------------------------------------------------------------
# A URL asking for more than the caps: refused with a notice, the default used
# --------------------------------------------------------------------------------------------

OVER = {
    "pages/2_Loss_curves.py": {"steps": str(STEPS + 1), "seeds": str(int(LOSS_SEEDS.high) + 1),
                               "opt": ",".join(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
                                                "adamw"]),
                               "sparse.dim": "201", "sparse.n_samples": "20001", "sparse.batch_size": "257",
                               "custom.expr": "x+" * 100 + "x", "adam.lr": "1e6"},
    "pages/5_Sparse_gradients.py": {"sp.steps": "5001", "sp.dim": "101", "sp.seeds": "21"},
    "pages/6_LR_sensitivity.py": {"lrs.points": "61", "lrs.seeds": "21", "steps": "1e9"},
    "pages/7_Weight_decay.py": {"wd.steps": "5001"},
    "pages/8_Schedules.py": {"sch.warmup": "5001", "sch.every": "99999999999"},
    "pages/9_Second_order.py": {"so.iter": "5001", "so.methods": ",".join(SO_METHODS.options) + ",BFGS,x"},
    "pages/4_Bias_correction.py": {"first": "1001"},
}


@pytest.mark.parametrize("path", OVER)
def test_a_url_over_the_caps_is_refused_with_a_notice(path):
    query = OVER[path]
    at = open_page(path, query)
    no_exception(at)
    said = notices(at)
    for key in query:
        assert any(f"(`{key}`)" in n and "replaced by the default" in n for n in said), (key, said)
        assert at.session_state[f"v:{key}"] == ALL_FIELDS[key].default, key
        assert key not in at.query_params
    assert n_charts(at) >= 1


# --------------------------------------------------------------------------------------------
# Work: the fields' caps bound memory; one engine call is also bounded in computing
# --------------------------------------------------------------------------------------------

HEAVY_SPARSE = {"f": "sparse", "sparse.dim": str(int(SHARED["sparse.dim"].high)),
                "sparse.batch_size": str(int(SHARED["sparse.batch_size"].high)),
                "sparse.n_samples": str(int(SHARED["sparse.n_samples"].high))}


def test_work_counts_runs_steps_parameters_and_samples_per_gradient():
    sparse = tuple(sorted({"dim": 50, "batch_size": 8}.items()))
    assert compute.work(RunSpec.of("sparse", "sgd", 100, seed=(0, 1, 2), objective_options=dict(sparse))) \
        == 3 * 100 * 50 * 8
    assert compute.work(RunSpec.of("rosenbrock", "sgd", 100, seed=(0, 1, 2))) == 3 * 100 * 2
    largest_2d_sweep = int(LRS_POINTS.high) * int(LRS_SEEDS.high)
    compute.check(RunSpec.of("rosenbrock", "sgd", STEPS, seed=tuple(range(largest_2d_sweep))))  # fits
    with pytest.raises(ValueError, match="more than a shared server allows"):
        compute.check(RunSpec.of("sparse", "sgd", 5000, objective_options=dict(sparse),
                                 seed=tuple(range(int(compute.MAX_WORK // (5000 * 50 * 8)) + 1))))


@pytest.mark.parametrize(("path", "query"), [
    # 60 rates x 20 seeds x 5000 steps on 200 parameters, 256 samples a gradient: hours of computing
    ("pages/6_LR_sensitivity.py", {**HEAVY_SPARSE, "lrs.points": "60", "lrs.seeds": "20", "steps": "5000"}),
    ("pages/2_Loss_curves.py", {**HEAVY_SPARSE, "seeds": str(int(LOSS_SEEDS.high)), "steps": "5000"}),
])
def test_a_view_over_the_work_cap_is_refused_at_once_and_keeps_its_controls(path, query):
    t0 = time.monotonic()
    at = open_page(path, query)
    assert time.monotonic() - t0 < 30  # refused before computing (the view itself: minutes to hours)
    no_exception(at)
    errors = [e.value for e in at.error]
    assert any("more than a shared server allows" in e for e in errors), errors
    assert any(w.key == "w:steps" for w in at.number_input)  # the controls are still there to lower
