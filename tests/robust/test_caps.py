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
    "sparse2d.n_samples": 20000, "sparse2d.batch_size": 256, "nn.grid": 61,
    "hm.n": 40, "hm.seeds": 10, "hm.steps": 5000,
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


def test_a_data_set_in_a_link_is_bounded_and_the_worst_link_carries_about_the_largest():
    from engine.owndata import decode_data, encode_data, max_text_length
    from ui.frame.panels import current_url
    from ui.state.fields import MAX_DATA_URL

    field = PAGES["network"].field("nn.points")
    text = dict(PAGES["network"].worst)["nn.points"]
    assert len(text) <= MAX_DATA_URL == field.max_length and field.clean(text) == text
    n = len(decode_data(text)[1])
    rng = np.random.default_rng(0)
    assert len(encode_data(rng.uniform(-2, 2, (n + 40, 2)), np.arange(n + 40) % 3)) > MAX_DATA_URL  # about the most
    with pytest.raises(ValueError, match="too large for a link"):
        field.clean(text + "A" * (MAX_DATA_URL - len(text) + 1))
    url = current_url("https://optimiser-lab.example.org/Neural_network", dict(PAGES["network"].worst))
    assert len(url) < 8_000  # under the request-line limits of servers and proxies (8 kB and more)
    assert max_text_length() > MAX_DATA_URL  # the engine reads every data set; a link carries a part of them


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

NN_STEPS = PAGES["network"].field("nn.steps")
NN_DIM = get_objective("network", depth=int(PAGES["network"].field("nn.depth").high),
                       width=int(PAGES["network"].field("nn.width").high)).dim
NN_EVERY = -(-int(NN_STEPS.high) // 25)  # ui.views.network: 25 frames of a run
NN_TUNED_LRS = range(5)  # pages/11_Neural_network.py: TUNED, five learning rates per optimiser
HM_N, HM_SEEDS, HM_STEPS = (int(PAGES["hypermaps"].field(k).high) for k in ("hm.n", "hm.seeds", "hm.steps"))
HM_RUNS = HM_N * HM_N * HM_SEEDS  # a map: cells x seeds, one engine call per optimiser
HM_EVERY = -(-HM_STEPS // max(1, page_constant("pages/12_Hyperparameter_maps.py", "RECORDED") // HM_RUNS))


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
    "network": (len(NN_TUNED_LRS), int(NN_STEPS.high), NN_DIM, "full", NN_EVERY),  # the tuned experiment
    "hypermaps": (HM_RUNS, HM_STEPS, MAX_DIM, "loss", HM_EVERY),  # a map (the loss only, thinned)
    "hypermaps (path)": (1, HM_STEPS, 2, "full", 1),  # the clicked cell's run on the map beside
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
    # the tuned experiment (two optimisers x its learning rates) holds more than four chosen ones
    "network": [(2, len(NN_TUNED_LRS), int(NN_STEPS.high), NN_DIM, "full", NN_EVERY, 0)],
    "hypermaps": [(MAX_OPTS, HM_RUNS, HM_STEPS, MAX_DIM, "loss", HM_EVERY, 0), (1, 1, HM_STEPS, 2, "full", 1, 0)],
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
def test_the_largest_url_the_fields_accept_is_computed_or_refused_by_the_budget(path):
    """Never an engine cap's "cannot be computed": what the fields accept fits the engine's caps,
    and a view too costly for a shared server is refused by its budget, with what to lower."""
    at = open_page(path, WORST_URLS[path])
    no_exception(at)
    assert not any("(`" in n for n in notices(at)), notices(at)  # every value was accepted
    errors = [e.value for e in at.error]
    assert all(e.startswith("Too much for a shared server") for e in errors), errors
    assert errors or n_charts(at) >= 1


# Few steps of many runs on the widest sampled problem: cheap enough for the budget's seconds, but one
# step holds more numbers than the engine takes at once (runs x parameters x samples per gradient).
WIDE_STEP = {"f": "sparse", "sparse.dim": str(int(SHARED["sparse.dim"].high)),
             "sparse.batch_size": str(int(SHARED["sparse.batch_size"].high)), "steps": "10", "opt": "sgd"}
WIDE_STEP_URLS = {"pages/6_LR_sensitivity.py": {**WIDE_STEP, "lrs.points": "25", "lrs.seeds": "20"},
                  "pages/12_Hyperparameter_maps.py": {**WIDE_STEP, "opt": "momentum", "hm.n": "10", "hm.seeds": "5",
                                                      "noise": "0.3"}}


def test_a_step_wider_than_the_engine_takes_is_refused_by_the_budget():
    spec = RunSpec.of("sparse", "sgd", 10, seed=tuple(range(500)), objective_options={"dim": 200, "batch_size": 256})
    assert compute.cost(spec) < compute.VIEW_SECONDS  # not too long: too wide
    with pytest.raises(compute.OverBudget, match="a shared server gives one view at once"):
        compute.spec_cost(spec)
    with pytest.raises(ValueError, match="cap"):  # what the engine itself would say
        simulate(spec)


@pytest.mark.parametrize("path", WIDE_STEP_URLS)
def test_a_url_whose_step_is_too_wide_is_refused_by_the_budget_not_the_engine(path):
    at = open_page(path, WIDE_STEP_URLS[path])
    no_exception(at)
    errors = [e.value for e in at.error]
    assert errors and all(e.startswith("Too much for a shared server") for e in errors), errors


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
    "pages/12_Hyperparameter_maps.py": {"hm.n": "41", "hm.seeds": "11", "hm.steps": "5001", "hm.tol": "1e-13",
                                        "hm.lr": "11", "hm.h2": "1"},
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
# Cost: every view's engine work is estimated before it starts and bounded (ui.compute.budget)
# --------------------------------------------------------------------------------------------

HEAVY_SPARSE = {"f": "sparse", "sparse.dim": str(int(SHARED["sparse.dim"].high)),
                "sparse.batch_size": str(int(SHARED["sparse.batch_size"].high)),
                "sparse.n_samples": str(int(SHARED["sparse.n_samples"].high))}
# A typed function as costly as the parser lets one be (a chain of divisions and powers).
COSTLY = "log(x)+(x-x)*((((((((((x/y/x/y/x/y/x/y/x/y/x/y/x/y/x/y/x/y/x/y/x/y/x/y/x/y)^x)^y)^x)^y)^x)^y)^x)^y)^x)"


def test_cost_grows_with_what_a_run_does():
    base = RunSpec.of("rosenbrock", "adam", 1000)
    assert compute.cost(base.replace(steps=2000)) == pytest.approx(2 * compute.cost(base))
    assert compute.cost(base.replace(seed=tuple(range(100)))) > 2 * compute.cost(base)
    typed = base.replace(objective="custom", objective_options={"expr": COSTLY})
    assert get_objective("custom", expr=COSTLY).eval_cost > 100
    assert compute.cost(typed) > 10 * compute.cost(base)  # counted by its operations
    # a map over a decay rate: each run pays its own powers of it (Adam's bias corrections), momentum none
    lrs = tuple(np.logspace(-4, -1, 400))
    only_lr = RunSpec.of("rosenbrock", "adam", 500, record="loss", grid={"lr": lrs, "seed": (0, 1)})
    mapped = RunSpec.of("rosenbrock", "adam", 500, record="loss", grid={"lr": lrs[:200], "beta2": (0.9, 0.99),
                                                                         "seed": (0, 1)})
    assert mapped.runs == only_lr.runs and compute.cost(mapped) > 1.5 * compute.cost(only_lr)
    assert compute.cost(mapped.replace(optimizer="momentum", grid={"lr": lrs[:200], "momentum": (0.9, 0.99),
                                                                    "seed": (0, 1)})) == pytest.approx(
        compute.cost(only_lr.replace(optimizer="momentum")))
    sparse = RunSpec.of("sparse", "sgd", 1000, objective_options={"dim": 200, "batch_size": 256})
    assert compute.cost(sparse) > 2 * compute.cost(sparse.replace(objective_options={"dim": 200, "batch_size": 1}))


def test_a_landscape_costs_its_weight_vectors_and_its_grid_is_lowered_to_fit():
    small, large = get_objective("network"), get_objective("network", width=32, depth=2)
    per_small, per_large = compute.evaluation_seconds(small), compute.evaluation_seconds(large)
    assert per_large > 3 * per_small  # 2 x 32 units against 16: the forward pass's real cost
    assert compute.landscape_cost(small, 31, 2, 41) == pytest.approx(
        compute.MARGIN * (31 * 31 * 3 + 43 + 2) * per_small)
    assert compute.landscape_cost(small, 31, 4, 41) > compute.landscape_cost(small, 31, 2, 41)
    assert compute.landscape_grid(small, 31, 2, 41, compute.LANDSCAPE_SECONDS) == 31  # the default fits
    fit = compute.landscape_grid(large, 61, 4, 41, 1.0)  # lowered, odd, within the seconds given
    assert compute.MIN_GRID <= fit < 61 and fit % 2 == 1
    assert compute.landscape_cost(large, fit, 4, 41) <= 1.0 < compute.landscape_cost(large, fit + 2, 4, 41)
    assert compute.landscape_grid(large, 61, 4, 41, 0.01) == 0  # not even the smallest: none
    assert compute.landscape_grid(small, 30, 2, 41, 10.0) == 31  # an even grid is made odd (its centre on it)


def test_a_view_over_the_budget_is_refused_whole_before_anything_is_computed():
    cheap = compute.spec_cost(RunSpec.of("rosenbrock", "adam", 100))
    heavy = compute.spec_cost(RunSpec.of("rosenbrock", "adam", 100_000, seed=tuple(range(500))))
    assert compute.check([cheap])[0] == cheap[1]
    with pytest.raises(ValueError, match="more than the 8 s a shared server gives one view"):
        compute.check([cheap, heavy])
    with pytest.raises(ValueError, match="MB of results"):
        compute.check([("a big record", 0.1, compute.VIEW_BYTES + 1)])
    # what the view already spent counts
    with pytest.raises(ValueError):
        compute.check([cheap], spent=compute.VIEW_SECONDS)


@pytest.fixture
def engine_jobs(monkeypatch):
    """The engine jobs the pages send to the pool (kind, estimated cost), and the view totals."""
    from ui.compute import runs

    jobs, totals = [], []
    run = runs.POOL.run

    def counting(kind, payload, cost=0.0, deadline=None):
        jobs.append((kind, cost))
        return run(kind, payload, cost=cost, deadline=deadline)

    check = compute.check

    def recording(costs, spent=0.0, held=0):
        out = check(costs, spent, held)
        totals.append(out)
        return out

    monkeypatch.setattr(runs.POOL, "run", counting)
    monkeypatch.setattr(compute, "check", recording)
    runs.TRACES.clear()
    runs.BASELINES.clear()
    return jobs, totals


@pytest.mark.parametrize(("path", "query"), [
    # 60 rates x 20 seeds x 5000 steps on 200 parameters, 256 samples a gradient: hours of computing
    ("pages/6_LR_sensitivity.py", {**HEAVY_SPARSE, "lrs.points": "60", "lrs.seeds": "20", "steps": "5000"}),
    ("pages/2_Loss_curves.py", {**HEAVY_SPARSE, "seeds": str(int(LOSS_SEEDS.high)), "steps": "5000"}),
    # a costly typed function: minutes of a core per link before the budget counted its operations
    ("pages/6_LR_sensitivity.py", {"f": "custom", "custom.expr": COSTLY, "lrs.points": "60", "lrs.seeds": "20",
                                   "steps": "5000", "opt": "sgd,momentum,nesterov,adagrad,rmsprop,adam"}),
    ("pages/1_Trajectories.py", {"f": "custom", "custom.expr": COSTLY, "steps": "5000",
                                 "opt": "sgd,momentum,nesterov,adagrad,rmsprop,adam"}),
], ids=["sweep-sparse", "loss-sparse", "sweep-typed", "trajectories-typed"])
def test_a_view_over_the_budget_is_refused_at_once_and_keeps_its_controls(engine_jobs, path, query):
    jobs, _ = engine_jobs
    t0 = time.monotonic()
    at = open_page(path, query)
    assert time.monotonic() - t0 < 30  # refused before computing (the view itself: minutes to hours)
    no_exception(at)
    errors = [e.value for e in at.error]
    assert any("a shared server gives one view" in e for e in errors), errors
    assert not [j for j in jobs if j[0] == "simulate"]  # nothing was computed
    assert any(w.key == "w:steps" for w in at.number_input)  # the controls are still there to lower


@pytest.mark.parametrize("page", [p for p in PAGES.values() if p.charts], ids=lambda p: p.id)
def test_the_worst_link_of_every_page_is_computed_within_the_budget_or_refused(engine_jobs, page):
    """At each page's caps (the registry's ``worst`` URL values), and with a costly typed function
    where the page runs the sidebar's objective: every engine job the view sends was counted, and
    their estimated total stays within the view's budget, or the view is refused with a message."""
    jobs, totals = engine_jobs
    query = dict(page.worst)
    if page.objective:
        query.update({"f": "custom", "custom.expr": COSTLY, "start": "0.5,0.5"})
    at = open_page(page.script, query)
    no_exception(at)
    assert not any("(`" in n for n in notices(at)), notices(at)  # every value of the link was accepted
    errors = [e.value for e in at.error]
    assert all("a shared server gives one view" in e for e in errors), errors
    assert all(seconds <= compute.VIEW_SECONDS and nbytes <= compute.VIEW_BYTES for seconds, nbytes in totals)
    counted = totals[-1][0] if totals else 0.0
    assert sum(cost for _, cost in jobs) <= counted + 1e-9  # no job beyond what the budget counted
