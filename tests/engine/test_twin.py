"""The browser twin (static/optlab/twin.js) computes what the engine computes.

A table over the optimiser registry x every 2-D objective x variants (noise, each option of each
optimiser, divergence, each schedule, clipping) runs ``engine.simulate`` and the twin (one ``node``
process for the whole table, reading a JSON file of ``engine.twin.twin_spec`` descriptions and
writing one of results) for 2000 steps, and compares every recorded array: parameters, loss,
gradients, effective learning rates, steps, the optimiser's state, and ``stopped_at``.

* Bit for bit (``==`` on every float64) wherever the objective uses + - * / sqrt, powers, exp and
  log (the twin's pow, exp and log are glibc's, which numpy calls). That is every built-in
  objective but Rastrigin, and typed functions without sin, cos, tan, tanh, sinh, cosh, atan.
* Elsewhere (Rastrigin, typed functions with sin, cos, tan, tanh, sinh, cosh, atan: V8's Math
  functions differ from glibc's, and tanh from numpy's own, in the last bit for a few percent of
  arguments), the
  path and the loss within ``TOLERANCE`` relative to their largest magnitude, the per-step
  quantities (gradients, effective learning rates, steps, state) within ``DERIVED_TOLERANCE``:
  they magnify the path's last-bit differences by the curvature (Rastrigin's reaches 400) and by
  cancellation near a minimum. Not every run: where a path magnifies last-bit differences step
  after step (RMSProp circling a minimum, SGD at lr 0.01 on Rastrigin, a run blowing up), no twin
  whose sin differs from glibc's can follow it to the end, as the engine's own run from a start
  one ulp away does not (``test_a_chaotic_run_parts_from_itself_too``). So: every run agrees over
  its first ``PREFIX`` steps, and at least ``SHARE`` of the runs over all of them. The table holds
  no blowing-up run on these objectives (divergence is compared bit for bit on the others) and
  runs the SGD family on Rastrigin below its stability limit.

Without ``node`` these tests are skipped on a developer machine and fail when ``CI=true``
(``.ci/run`` installs Debian's nodejs).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import subprocess
from base64 import b64decode
from pathlib import Path

import numpy as np
import pytest
from engine_testlib import points_in_bounds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import OBJECTIVES, OPTIMIZERS, RunSpec, get_objective, simulate
from engine.expr import parse_function
from engine.twin import FORMAT, TWIN_OBJECTIVES, _op, twin_spec
from tests.node import require_node

ROOT = Path(__file__).resolve().parents[2]
TWIN_JS = ROOT / "static" / "optlab" / "twin.js"
RUNNER = ROOT / "tests" / "js" / "run_twin.js"
STEPS = 2000
TOLERANCE = 1e-12  # path and loss, relative to their largest magnitude, where sin, cos, ... are involved
DERIVED_TOLERANCE = 1e-10  # gradients, effective learning rates, steps, state, likewise
PREFIX = 100  # steps over which every run agrees within TOLERANCE...
SHARE = 0.9  # ...and the share of the runs that agree over all of them

# Typed functions: one with + - * / sqrt and powers, one with exp and log, one with the functions
# the twin takes from V8 (sin, cos, tanh), which differ from glibc's and numpy's in the last bit.
ARITHMETIC = "(x*x + y*y)/10 + sqrt(1 + (x - 2*y)**2) - x*y/(1 + y**2) + (x/3)**3 + sqrt(x*x + 2)**1.5"
EXP_LOG = "3*exp(-(x*x + y*y)/4) - log(1 + x*x + 2*y*y) + x/5 + exp(y/3)/4"
TRANSCENDENTAL = "sin(x)*cos(y) + exp(-(x*x + y*y)/8) + log(1 + x*x + y*y)/2 + (1 + y*y)**0.75/4 + tanh(x - y)/3"
EXACT_CALLS = {"sqrt", "abs", "sign", "exp", "log"}  # computed as glibc does, besides + - * / and pow

OBJECTIVE_CASES = [
    ("rosenbrock", {}), ("beale", {}), ("himmelblau", {}), ("saddle", {}), ("rastrigin", {}),
    ("quadratic", {"cond": 250.0, "angle": 30.0}), ("scaled", {}),
    ("sparse2d", {}), ("sparse2d", {"freq_rare": 0.2, "n_samples": 100, "batch_size": 3, "data_seed": 2}),
    ("custom", {"expr": ARITHMETIC}), ("custom", {"expr": EXP_LOG}), ("custom", {"expr": TRANSCENDENTAL}),
]
SCHEDULE_CASES = [
    {"schedule": "step", "schedule_options": {"step_size": 500, "gamma": 0.5}},
    {"schedule": "cosine", "schedule_options": {"min_factor": 0.05}},
    {"schedule": "warmup_cosine", "schedule_options": {"warmup": 150}},
    {"clip_norm": 1.0},
    {"clip_value": 0.5},
    {"schedule": "cosine", "clip_value": 2.0, "clip_norm": 0.7},
]
# Options of each optimiser, taken by the third run of each case (hyperparameters per run)...
OPTION_RUN = {
    "momentum": {"momentum": 0.5}, "nesterov": {"momentum": 0.5}, "adagrad": {"eps": 1e-6},
    "rmsprop": {"rho": 0.99}, "adam": {"weight_decay": 0.1, "bias_correction": False},
    "adamw": {"weight_decay": 0.1, "bias_correction": False}, "nadam": {"beta2": 0.99},
    "radam": {"beta2": 0.6}, "adamax": {"beta1": 0.5}, "adadelta": {"rho": 0.5}, "lion": {"weight_decay": 0.5},
}
# ...and those that change which state the engine records, by every run of a case of their own: in
# a batch they apply to every run, and a run without them records another state than alone
# (v_max, g_avg, buf; NAdam's mu_product becomes a per-run array when momentum_decay is one).
OPTION_CASES = {
    "momentum": {"momentum": 0.0}, "nesterov": {"momentum": 0.0}, "rmsprop": {"centered": True},
    "adam": {"amsgrad": True}, "adamw": {"amsgrad": True, "weight_decay": 0.0}, "nadam": {"momentum_decay": 0.0},
}
# A learning rate that blows up (1e5 for the others)
DIVERGING_LR = {"adagrad": 1e7, "adam": 2e5, "adamw": 2e5, "nadam": 2e5, "adamax": 2e5, "adadelta": 1e8}
# The SGD family on Rastrigin below the stability limit 2 / max f'' = 2 / (2 + 40 pi^2) ~ 5e-3
# (with momentum 0.9, 2 (1 + mu) / max f'' ~ 9.6e-3): their default 0.01 is chaotic there.
STABLE_LR = {("rastrigin", "sgd"): 1e-3, ("rastrigin", "momentum"): 1e-3, ("rastrigin", "nesterov"): 1e-3}


def start_twin(cases: list[dict], tmp_path: Path, twin_js: Path = TWIN_JS):
    """Start the twin on ``[{"spec": ..., "overrides": ..., "full": ...}]``: one node process for all
    (tests/js/run_twin.js: hashes of every array, the arrays themselves with ``full``)."""
    node = require_node()
    cases_file, results_file = tmp_path / "cases.json", tmp_path / "results.json"
    cases_file.write_text(json.dumps({"cases": cases}))
    return subprocess.Popen([node, str(RUNNER), str(cases_file), str(results_file), str(twin_js)]), results_file


def twin_results(started) -> list:
    process, results_file = started
    assert process.wait(timeout=600) == 0, "the twin's runner failed"
    return json.loads(results_file.read_text())["results"]


def run_twin(cases: list[dict], tmp_path: Path, twin_js: Path = TWIN_JS) -> list:
    return twin_results(start_twin(cases, tmp_path, twin_js))


def engine_arrays(trace, r: int) -> dict[str, np.ndarray]:
    """Run ``r``'s recorded arrays, named as tests/js/run_twin.js names the twin's."""
    out = {"params": trace.params[:, r], "loss": trace.loss[:, r], "grads": trace.grads[:, r],
           "eff_lr": trace.eff_lr[:, r], "delta": trace.delta[:, r]}
    out.update({"state." + name: values[:, r] for name, values in trace.state.items()})
    return {name: np.ascontiguousarray(a, dtype="<f8") for name, a in out.items()}


def sha256(a: np.ndarray) -> str:
    return hashlib.sha256(a.tobytes()).hexdigest()


def ulps(a: np.ndarray, b: np.ndarray) -> float:
    """The largest distance in units in the last place between two float64 arrays of one shape
    (0 for +0.0 and -0.0, and for two NaNs)."""
    if np.array_equal(a, b, equal_nan=True):
        return 0
    ia, ib = (np.where(x.view(np.int64) < 0, np.int64(-(2**63)) - x.view(np.int64), x.view(np.int64))
              for x in (a, b))  # the doubles in order on a line of integers
    same_side = (ia >= 0) == (ib >= 0)
    with np.errstate(over="ignore"):
        near = np.where(same_side, np.abs(ia - ib), 0).max()
    far = (np.abs(ia[~same_side].astype(float)) + np.abs(ib[~same_side].astype(float))).max(initial=0.0)
    return max(int(near), far)


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """max |b - a| / max |a|: the difference relative to the array's largest magnitude."""
    scale = np.abs(a).max()
    return float(np.abs(b - a).max() / scale) if scale > 0 else float(np.abs(b).max())


@dataclasses.dataclass
class Difference:
    """How a twin run differs from the engine's. ``ulps`` and ``relative`` per array are known
    when the twin sent its arrays (``None`` for an array whose hash differs but was not sent)."""

    same_names: bool
    stopped: tuple[int, int]  # (engine, twin)
    ulps: dict[str, float | None]
    relative: dict[str, float]
    agree: int | None = None  # how many leading points of the path agree within TOLERANCE

    @property
    def equal(self) -> bool:
        return self.same_names and self.stopped[0] == self.stopped[1] and not any(
            u is None or u > 0 for u in self.ulps.values())

    @property
    def worst_relative(self) -> float:
        return max(self.relative.values(), default=0.0)

    @property
    def worst_derived(self) -> float:
        return max((v for k, v in self.relative.items() if k not in ("params", "loss")), default=0.0)

    @property
    def within(self) -> bool:
        """Within the tolerances over every step (where sin, cos, ... are involved)."""
        return (self.stopped[0] == self.stopped[1] and max(self.relative["params"], self.relative["loss"]) <= TOLERANCE
                and self.worst_derived <= DERIVED_TOLERANCE)


def compare(trace, r: int, result: dict) -> Difference:
    """The engine's run ``r`` against the twin's ``result``."""
    mine = engine_arrays(trace, r)
    names = set(mine) & set(result["sha256"])
    ulp, rel, agree = {}, {}, None
    for name in sorted(names):
        if result["sha256"][name] == sha256(mine[name]):
            ulp[name], rel[name] = 0, 0.0
            agree = len(mine[name]) if name == "params" else agree
        elif result.get("data"):
            theirs = np.frombuffer(b64decode(result["data"][name]), dtype="<f8").reshape(mine[name].shape)
            ulp[name], rel[name] = ulps(mine[name], theirs), relative(mine[name], theirs)
            if name == "params":
                apart = np.abs(theirs - mine[name]).max(-1) > TOLERANCE * np.abs(mine[name]).max()
                agree = int(apart.argmax()) if apart.any() else len(apart)
        else:
            ulp[name] = None
    return Difference(set(mine) == set(result["sha256"]), (int(trace.stopped_at[r]), result["stopped_at"]),
                      ulp, rel, agree)


def arithmetic(objective: str, options) -> bool:
    """Whether an objective is computed with + - * / sqrt and powers only (bit for bit in the twin)."""
    if objective == "rastrigin":
        return False
    if objective == "custom":
        ops = parse_function(dict(options)["expr"]).both.ops
        return {op[1] for op in ops if op[0] == "call"} <= EXACT_CALLS
    return True


def exact(run: RunSpec) -> bool:
    """Whether the twin must equal the engine bit for bit on this run."""
    return arithmetic(run.objective, run.objective_options)


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


def _default_lr(objective: str, optimizer: str) -> float:
    return STABLE_LR.get((objective, optimizer), OPTIMIZERS[optimizer].hypers["lr"].default)


def _starts(objective: str, options: dict, n: int, seed: int) -> list:
    obj = get_objective(objective, **options)
    return [tuple(obj.start), *map(tuple, points_in_bounds(obj, n - 1, seed).tolist())]


def _label(objective, options):
    if objective == "custom":
        return {ARITHMETIC: "custom[arithmetic]", EXP_LOG: "custom[exp,log]"}.get(options["expr"],
                                                                                 "custom[transcendental]")
    return objective + ("" if not options else "[" + ",".join(f"{k}={v}" for k, v in options.items()) + "]")


def table() -> list[tuple[str, RunSpec]]:
    """``(id, RunSpec)``: every optimiser x every 2-D objective, four runs each (the objective's
    start, plain; a random start with noise; another with the optimiser's options and noise of
    another seed; the start with a learning rate that blows up, on arithmetic objectives); the
    options that change the state recorded, on every other objective (plain, and blowing up);
    every schedule and clipping variant by every optimiser, on objectives taken in turn so that
    each meets each variant."""
    cases = []
    for o, (objective, options) in enumerate(OBJECTIVE_CASES):
        label = _label(objective, options)
        for i, optimizer in enumerate(OPTIMIZERS):
            lr, big = _default_lr(objective, optimizer), DIVERGING_LR.get(optimizer, 1e5)
            n = 4 if arithmetic(objective, options) else 3  # the fourth run blows up
            starts = _starts(objective, options, 4, seed=o)
            hyper = {"lr": [lr, lr, lr, big][:n]}
            for name, value in OPTION_RUN.get(optimizer, {}).items():
                default = OPTIMIZERS[optimizer].hypers[name].default
                hyper[name] = [default, default, value, default][:n]
            cases.append((f"{optimizer}-{label}", RunSpec.of(
                objective, optimizer, STEPS, start=[starts[0], starts[1], starts[2], starts[0]][:n],
                noise=[0.0, 0.3, 0.3, 0.0][:n], seed=[0, 1, 2, 0][:n], objective_options=options,
                record_state=True, **hyper)))
            if optimizer in OPTION_CASES and (o + i) % 2 == 0:
                flags = OPTION_CASES[optimizer]
                cases.append((f"{optimizer}-{label}-{','.join(f'{k}={v}' for k, v in flags.items())}", RunSpec.of(
                    objective, optimizer, STEPS, start=[starts[0], starts[3]][:n - 2], objective_options=options,
                    record_state=True, **{"lr": [lr, big][:n - 2], **flags})))
    for i, optimizer in enumerate(OPTIMIZERS):
        for j, variant in enumerate(SCHEDULE_CASES):
            objective, options = OBJECTIVE_CASES[(i + j) % len(OBJECTIVE_CASES)]
            lr = _default_lr(objective, optimizer)
            starts = _starts(objective, options, 2, seed=100 + i)
            name = variant.get("schedule", "constant") + "".join(
                f",{k}={v}" for k, v in variant.items() if k.startswith("clip"))
            cases.append((f"{optimizer}-{_label(objective, options)}-{name}", RunSpec.of(
                objective, optimizer, STEPS, start=starts, noise=[0.0, 0.5], seed=[3, 4], objective_options=options,
                record_state=True, lr=lr, **variant)))
    return cases


TABLE = table()


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Every case of the table, engine and twin: ``{id: [Difference per run]}``. Exact cases are
    compared by hashes first (arrays sent only where one differs); where sin, cos, ... are
    involved, the twin sends its arrays."""
    require_node()
    tmp = tmp_path_factory.mktemp("twin")
    specs = [twin_spec(run) for _, run in TABLE]
    started = start_twin([{"spec": spec, "full": not exact(run)} for spec, (_, run) in zip(specs, TABLE)], tmp)
    traces = [simulate(run) for _, run in TABLE]  # meanwhile
    out, again = {}, []
    for k, ((case, run), result, trace) in enumerate(zip(TABLE, twin_results(started), traces)):
        if "error" in result:
            raise AssertionError(f"{case}: the twin failed: {result['error']}")
        out[case] = [compare(trace, r, res) for r, res in enumerate(result)]
        if not all(d.equal for d in out[case]) and exact(run):
            again.append((k, trace))
    if again:  # the arrays of the runs that differ, for the report
        full = run_twin([{"spec": specs[k], "full": True} for k, _ in again], tmp)
        for (k, trace), result in zip(again, full):
            out[TABLE[k][0]] = [compare(trace, r, res) for r, res in enumerate(result)]
    _summarise(out)
    return out


def _summarise(out) -> None:
    """The figures of the README (printed: ``pytest -s`` shows them)."""
    runs = dict(TABLE)
    exact_runs = [(c, d) for c, ds in out.items() if exact(runs[c]) for d in ds]
    other = [(c, d) for c, ds in out.items() if not exact(runs[c]) for d in ds]
    equal = sum(d.equal for _, d in exact_runs)
    print(f"\ntwin vs engine, {len(out)} cases, {STEPS} steps. Arithmetic objectives: {len(exact_runs)} runs "
          f"({sum(d.stopped[0] >= 0 for _, d in exact_runs)} stopped by divergence), {equal} equal bit for bit")
    calm = [(c, d) for c, d in other if d.within]
    rough = [(c, d) for c, d in other if not d.within]
    if calm:
        path = max(calm, key=lambda cd: max(cd[1].relative["params"], cd[1].relative["loss"]))
        derived = max(calm, key=lambda cd: cd[1].worst_derived)
        print(f"sin, cos, tanh ...: {len(other)} runs, {len(calm)} within the tolerances over all "
              f"{STEPS} steps ({sum(d.equal for _, d in calm)} of them equal bit for bit): path and loss within "
              f"{max(path[1].relative['params'], path[1].relative['loss']):.1e} relative ({path[0]}), "
              f"per-step quantities within {derived[1].worst_derived:.1e} ({derived[0]}); {len(rough)} part "
              f"({', '.join(c for c, _ in rough)}), the earliest after {min((d.agree for _, d in rough), default=0)}"
              " steps")
    stops = {}
    for c, d in exact_runs:
        if d.stopped[0] >= 0:
            stops.setdefault(runs[c].optimizer, []).append(d.stopped[0])
    print("stopped by divergence, per optimiser (steps): " + "; ".join(
        f"{k} {len(v)} ({min(v)}-{max(v)})" for k, v in stops.items()))


@pytest.mark.parametrize("case", [case for case, _ in TABLE])
def test_twin_equals_the_engine(compared, case):
    run = dict(TABLE)[case]
    for r, diff in enumerate(compared[case]):
        where = f"{case}, run {r}"
        assert diff.same_names, f"{where}: the twin records other state than the engine"
        if exact(run):
            assert diff.equal, f"{where}: not bit for bit: stopped {diff.stopped}, ulps {diff.ulps}"
        else:  # and at least SHARE of these runs within the tolerances over every step (below)
            assert diff.agree > PREFIX, f"{where}: parts from the engine at step {diff.agree}: {diff.relative}"


def test_the_table_covers_the_registry_and_diverges(compared):
    """Every optimiser, every 2-D objective the engine has, runs stopped by divergence; and with
    sin, cos, ..., at least SHARE of the runs within the tolerances over all their steps."""
    runs = dict(TABLE)
    assert {run.optimizer for run in runs.values()} == set(OPTIMIZERS)
    two_d = {name for name in OBJECTIVES if name != "network" and get_objective(name).dim == 2}
    assert two_d == set(TWIN_OBJECTIVES)
    assert {run.objective for run in runs.values()} == two_d
    for optimizer in OPTIMIZERS:
        stopped = [d for case, diffs in compared.items() if runs[case].optimizer == optimizer for d in diffs
                   if d.stopped[0] >= 0]
        assert len(stopped) >= 2, f"{optimizer}: only {len(stopped)} runs diverged"
    other = [(case, d) for case, diffs in compared.items() if not exact(runs[case]) for d in diffs]
    parting = [case for case, d in other if not d.within]
    assert len(other) - len(parting) >= SHARE * len(other), f"{len(parting)} of {len(other)} part: {parting}"


# ---------------------------------------------------------------------------------------------
# The comparison can fail, chaos, the API the browser uses
# ---------------------------------------------------------------------------------------------


def test_the_comparison_notices_one_operation_in_another_order(tmp_path):
    """Adam's step written ``(lr / bc1) * (m / denom)`` instead of ``((lr / bc1) * m) / denom``:
    the same mathematics, other roundings, and the test sees it."""
    source = TWIN_JS.read_text()
    original = "out.p[k] = pk[k] - ((lr / bc1) * m) / denom;"
    assert source.count(original) == 1
    mutant = tmp_path / "twin.js"
    mutant.write_text(source.replace(original, "out.p[k] = pk[k] - (lr / bc1) * (m / denom);"))
    run = RunSpec.of("rosenbrock", "adam", STEPS, noise=0.3, record_state=True, lr=0.01)
    trace = simulate(run)
    spec = {"spec": twin_spec(run), "full": True}
    assert compare(trace, 0, run_twin([spec], tmp_path, TWIN_JS)[0][0]).equal
    diff = compare(trace, 0, run_twin([spec], tmp_path, mutant)[0][0])
    assert not diff.equal and diff.ulps["params"] > 0


def _nudged(point):
    return tuple(np.nextafter(np.asarray(point, dtype=float), np.inf).tolist())


def test_a_chaotic_run_parts_from_itself_too(tmp_path):
    """SGD at lr 0.01 on Rastrigin steps twice beyond the stability limit: every last-bit
    difference grows. The engine's own run from a start one ulp away parts from it as the twin's
    does (whose sin differs from glibc's in the last bit), after the same few steps in which both
    agree; so the table runs the SGD family on Rastrigin below the limit."""
    run = RunSpec.of("rastrigin", "sgd", 300, start=(-3.3, 2.7), lr=0.01)
    engine = simulate(run).params[:, 0]
    nudged = simulate(run.replace(start=_nudged((-3.3, 2.7)))).params[:, 0]
    result = run_twin([{"spec": twin_spec(run), "full": True}], tmp_path)[0][0]
    twin = np.frombuffer(b64decode(result["data"]["params"]), dtype="<f8").reshape(301, 2)

    def parted(a, b):  # the first step at which two paths differ by more than 1e-6
        far = np.abs(a - b).max(-1) > 1e-6
        return int(far.argmax()) if far.any() else None

    assert parted(engine, nudged) is not None and parted(engine, twin) is not None
    assert np.abs(twin[:6] - engine[:6]).max() <= TOLERANCE * np.abs(engine[:6]).max()


def test_a_prepared_spec_takes_another_start_and_hyperparameters(tmp_path):
    """The browser's use: a spec prepared once, then run with the start and learning rate a student
    drags; each equals the engine's run at those values (bit for bit on Himmelblau)."""
    run = RunSpec.of("himmelblau", "adam", STEPS, noise=0.2, seed=5, start=(0.0, 0.0), record_state=True)
    moves = [((1.5, -2.0), {"lr": 0.05}), ((-4.0, 4.5), {"lr": 0.2, "beta1": 0.8}), ((3.0, 2.0), {})]
    results = run_twin([{"spec": twin_spec(run), "overrides": {"start": s, "hyper": h}} for s, h in moves], tmp_path)
    for (start, hyper), result in zip(moves, results):
        trace = simulate(run.replace(start=start, **hyper))
        assert compare(trace, 0, result[0]).equal, (start, hyper)


def test_a_start_where_the_objective_is_not_finite_is_refused_by_both(tmp_path):
    run = RunSpec.of("custom", "sgd", 10, objective_options={"expr": "log(x)"}, start=(1.0, 0.0))
    result = run_twin([{"spec": twin_spec(run), "overrides": {"start": [-1.0, 0.0]}}], tmp_path)[0]
    assert "not finite at the start point" in result["error"]
    with pytest.raises(ValueError, match="not finite at the start point"):
        simulate(run.replace(start=(-1.0, 0.0)))


def test_the_twin_has_every_optimiser_and_objective_kind(tmp_path):
    node = require_node()
    script = (f"const t = require({json.dumps(str(TWIN_JS))}); console.log(JSON.stringify({{format: t.FORMAT, "
              "optimizers: Object.keys(t.OPTIMIZERS), objectives: Object.keys(t.OBJECTIVES)}))")
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    have = json.loads(done.stdout)
    assert have["format"] == FORMAT
    assert {spec.factory.__name__ for spec in OPTIMIZERS.values()} <= set(have["optimizers"])
    assert set(TWIN_OBJECTIVES.values()) <= set(have["objectives"])


def test_twin_js_is_valid_javascript():
    subprocess.run([require_node(), "--check", str(TWIN_JS)], check=True)


@pytest.mark.parametrize(("objective", "options"), [("sparse", {}), ("network", {"n_points": 60})])
def test_objectives_with_more_than_two_parameters_are_refused(objective, options):
    with pytest.raises(ValueError, match="cannot be twinned"):
        twin_spec(RunSpec.of(objective, "adam", 10, objective_options=options))


def test_a_spec_is_plain_json():
    run = RunSpec.of("custom", "nadam", 50, objective_options={"expr": "x*x + exp(y)/3"}, noise=0.1,
                     schedule="cosine", clip_norm=1.0)
    spec = twin_spec(run)
    assert json.loads(json.dumps(spec, allow_nan=False)) == spec
    assert len(spec["lr_factors"]) == 50 and len(spec["runs"][0]["noise"]) == 100
    # a constant that is not finite (the parser's limits keep typed functions from making one) as text
    assert [_op(("num", v)) for v in (math.inf, -math.inf)] == [["num", "Infinity"], ["num", "-Infinity"]]


# ---------------------------------------------------------------------------------------------
# The twin's pow, exp and log are glibc's (numpy's)
# ---------------------------------------------------------------------------------------------


def twin_function(name: str, args: np.ndarray, tmp_path: Path) -> np.ndarray:
    """``OptLabTwin[name]`` of each row of ``args`` (one or two columns), in node."""
    data = tmp_path / f"{name}.bin"
    np.ascontiguousarray(args, dtype="<f8").tofile(data)
    n = args.shape[1]
    script = (f"const t = require({json.dumps(str(TWIN_JS))});"
              f"const b = require('fs').readFileSync({json.dumps(str(data))});"
              "const a = new Float64Array(b.buffer, b.byteOffset, b.length / 8);"
              f"const r = new Float64Array(a.length / {n});"
              f"for (let i = 0; i < r.length; i++) r[i] = t.{name}(" + ", ".join(f"a[{n} * i + {j}]" for j in range(n))
              + "); process.stdout.write(Buffer.from(r.buffer));")
    done = subprocess.run([require_node(), "-e", script], capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype="<f8")


def assert_same_bits(got, want, args):
    same = (got.view(np.int64) == want.view(np.int64)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), f"{(~same).sum()} of {len(want)} differ, e.g. at {args[~same][0].tolist()}"


@pytest.mark.parametrize("name", ["exp", "log"])
def test_exp_and_log_are_numpys_bit_for_bit(tmp_path, name):
    """Over the whole range, near the edges of their paths (1 +- 1/16 for log, the subnormal and
    overflow range for exp), and special values. V8's Math.exp differs on about 8% of these."""
    rng = np.random.default_rng(1)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 5e-324, 2.0**-1022, 1.7976931348623157e308]
    if name == "exp":
        x = np.concatenate([rng.uniform(-750, 710, 100000), rng.normal(0, 1, 50000), rng.uniform(-746, -700, 20000),
                            10.0 ** rng.uniform(-320, -10, 10000), special, [709.782712893384, -745.1332191019412]])
    else:
        x = np.concatenate([np.exp(rng.uniform(-745, 709, 100000)), rng.uniform(0.93, 1.07, 50000),
                            rng.uniform(0, 1e-308, 10000), -rng.uniform(0, 5, 1000), special,
                            [0.9375, 1.064697265625, np.nextafter(1.064697265625, 0), np.nextafter(0.9375, 0)]])
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x)
    assert_same_bits(twin_function(name, x[:, None], tmp_path), want, x[:, None])


def test_pow_is_numpys_bit_for_bit(tmp_path):
    """On Adam's bias corrections (beta in [0, 1) to the power of every step), NAdam's momentum
    schedule 0.96^(t psi), and powers a typed function can meet (negative bases, subnormals, huge
    and tiny exponents, results that under- and overflow, special values)."""
    rng = np.random.default_rng(0)
    x, y = [], []

    def add(a, b):
        a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        x.append(a.ravel())
        y.append(b.ravel())

    add(rng.uniform(0, 1, 40)[:, None], np.arange(1.0, 2001.0))
    add(0.96, np.arange(1.0, 2002.0) * rng.uniform(0, 0.05, 20)[:, None])
    add(rng.uniform(-10, 10, 40000), rng.integers(-50, 51, 40000))
    add(np.exp(rng.uniform(-745, 709, 40000)), rng.uniform(-3, 3, 40000))
    add(rng.uniform(0.5, 1.5, 40000), rng.uniform(-3000, 3000, 40000))
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.0, -2.0, 0.5, 5e-324, -1e-310, 1e308,
                        3.0, 2.0**-70, 2.0**64, 2.0**63 + 2.0**11])
    add(*np.meshgrid(special, special))
    args = np.stack([np.concatenate(x), np.concatenate(y)], 1)
    with np.errstate(all="ignore"):
        want = np.power(args[:, 0], args[:, 1])
    assert_same_bits(twin_function("pow", args, tmp_path), want, args)


# ---------------------------------------------------------------------------------------------
# Properties: random starts and learning rates
# ---------------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(optimizer=st.sampled_from(["momentum", "rmsprop", "adam", "lion", "nadam"]),
       objective=st.sampled_from([("rosenbrock", {}), ("beale", {}), ("custom", {"expr": ARITHMETIC})]),
       runs=st.lists(st.tuples(st.floats(-0.95, 0.95), st.floats(-0.95, 0.95), st.floats(-5.0, 0.0)),
                     min_size=1, max_size=4),
       noise=st.sampled_from([0.0, 0.5]))
def test_random_starts_and_learning_rates_are_bit_for_bit(tmp_path_factory, optimizer, objective, runs, noise):
    """Starts anywhere in the plot box, learning rates from 1e-5 to 1 (some blow up)."""
    name, options = objective
    (x0, x1), (y0, y1) = get_objective(name, **options).bounds
    starts = [(x0 + (x1 - x0) * (u + 1) / 2, y0 + (y1 - y0) * (v + 1) / 2) for u, v, _ in runs]
    run = RunSpec.of(name, optimizer, 400, start=starts, noise=noise, seed=list(range(len(runs))),
                     objective_options=options, record_state=True, lr=[10.0 ** e for _, _, e in runs])
    trace = simulate(run)
    result = run_twin([{"spec": twin_spec(run)}], tmp_path_factory.mktemp("prop"))[0]
    for r, res in enumerate(result):
        diff = compare(trace, r, res)
        assert diff.equal, (r, diff)
