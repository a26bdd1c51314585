"""'Reproduce in Python': short scripts that recompute a view's runs with the engine.

Each run is its ``RunSpec``, written as its ``repr`` (the Python that rebuilds it exactly:
floats by ``repr``, a typed function as a string literal), so running the script from the
repository root gives the same numbers as the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine import RunSpec


def _specs(specs: Mapping[str, RunSpec]) -> list[str]:
    return ["specs = {", *(f"    {name!r}: {spec!r}," for name, spec in specs.items()), "}"]


def runs_snippet(specs: Mapping[str, RunSpec]) -> str:
    """Every run of the view, and each one's median final loss."""
    return "\n".join([
        "import numpy as np",
        "",
        "from engine import RunSpec, simulate",
        "",
        *_specs(specs),
        "traces = {name: simulate(spec) for name, spec in specs.items()}",
        "for name, trace in traces.items():",
        "    status = f'diverged at step {trace.stopped_at.max()}' if trace.diverged.any() else 'ok'",
        "    print(name, 'final f =', np.median(trace.final_loss), status)",
    ]) + "\n"


def sensitivity_snippet(specs: Mapping[str, RunSpec]) -> str:
    """A learning-rate sweep per optimiser (a grid of learning rates x seeds): each one's best
    learning rate by the median final loss."""
    return "\n".join([
        "import numpy as np",
        "",
        "from engine import RunSpec, get_objective, simulate",
        "",
        *_specs(specs),
        "for name, spec in specs.items():",
        "    trace = simulate(spec)",
        "    objective = get_objective(spec.objective, **dict(spec.objective_options))",
        "    lrs, seeds = dict(spec.grid)['lr'], dict(spec.grid)['seed']",
        "    gap = np.where(trace.diverged, np.inf, trace.final_loss - objective.fmin).reshape(len(lrs), len(seeds))",
        "    median = np.median(gap, axis=1)",
        "    print(name, 'best lr', lrs[np.argmin(median)], 'median final f - f*', median.min())",
    ]) + "\n"


def replay_snippet(spec: RunSpec, hyper: Mapping[str, Any]) -> str:
    """A run, then the same gradients replayed by the same optimiser with other hyperparameters."""
    kwargs = ", ".join(f"{k}={v!r}" for k, v in hyper.items())
    return "\n".join([
        "from engine import RunSpec, replay, simulate",
        "",
        f"spec = {spec!r}",
        "on = simulate(spec)",
        "# the same gradients, replayed",
        f"off = replay({spec.optimizer!r}, on.grads, on.start, return_trace=True, record_state=True, {kwargs})",
        "print('m_1 =', on.state['m'][0, 0], ' first step with / without:', abs(on.delta[0, 0]), abs(off.delta[0, 0]))",
        "print('final f (first run):', on.final_loss[0])",
    ]) + "\n"


def baselines_snippet(objective: str, options: Mapping[str, Any], methods: Sequence[str], start, max_iter: int) -> str:
    """scipy.optimize paths from the same start."""
    return "\n".join([
        "",
        "from engine import get_objective",
        "from engine.baselines import scipy_path",
        "",
        f"objective = get_objective({objective!r}, **{dict(options)!r})",
        f"for method in {list(methods)!r}:",
        f"    path = scipy_path(objective, method, start={tuple(float(v) for v in start)!r}, max_iter={int(max_iter)})",
        "    print(method, 'final f =', path.loss[-1], 'evaluations:', path.evaluations[-1])",
    ]) + "\n"


def network_snippet(specs: Mapping[str, RunSpec], runs: Mapping[str, int], landscape: Sequence[str] = (),
                    grid: int = 0, line_points: int = 41) -> str:
    """The Neural network page's runs (``runs``: name -> the run of its spec shown), each one's final
    training loss and test accuracy, and (with a ``grid``) the loss landscape around the runs named
    in ``landscape``. One's own data set is written once, as ``DATA``."""
    first = next(iter(specs.values()))
    data = dict(first.objective_options).get("data", "")
    spec_lines = _specs(specs)
    if data:
        spec_lines = [line.replace(repr(data), "DATA") for line in spec_lines]
    lines = ["from engine import RunSpec, get_objective, simulate"]
    if grid:
        lines.append("from engine.landscape import landscape")
    lines.append("")
    if data:
        lines += ["# your data set (engine.owndata.decode_data(DATA) gives its points and classes)",
                  f"DATA = {data!r}", ""]
    lines += [*spec_lines,
              "traces = {name: simulate(spec) for name, spec in specs.items()}",
              "net = get_objective('network', **dict(next(iter(specs.values())).objective_options)).network",
              f"runs = {dict(runs)!r}  # the run of each spec shown",
              "for name, trace in traces.items():",
              "    r = runs.get(name, 0)",
              "    print(name, 'final training loss', trace.final_loss[r],",
              "          'test accuracy', net.metrics(trace.final_params[r])['test_accuracy'])"]
    if grid and landscape:
        lines += [f"paths = {{name: traces[name].params[:, runs.get(name, 0)] for name in {list(landscape)!r}}}",
                  f"land = landscape(net, paths, grid={grid}, line_points={line_points})",
                  "print('barriers (height, alpha):', dict(land.barriers))"]
    return "\n".join(lines) + "\n"


def hypermap_snippet(specs: Mapping[str, RunSpec], n_seeds: int, tol: float) -> str:
    """A map per optimiser (a grid of η x its main hyperparameter x seeds, one call each): each one's
    best cell by the median final loss, and by the median steps to reach ``tol``."""
    return "\n".join([
        "import numpy as np",
        "",
        "from engine import RunSpec, get_objective, simulate",
        "",
        *_specs(specs),
        f"n_seeds, tol = {n_seeds}, {tol!r}",
        "for name, spec in specs.items():",
        "    trace = simulate(spec)",
        "    objective = get_objective(spec.objective, **dict(spec.objective_options))",
        "    grid = dict(spec.grid)",
        "    second = [k for k in grid if k not in ('lr', 'seed')]",
        "    lrs, ys = grid['lr'], grid[second[0]] if second else (None,)",
        "    shape = (len(lrs), len(ys), n_seeds)",
        "    gap = np.where(trace.diverged, np.inf, trace.final_loss - objective.fmin)",
        "    median = np.median(gap.reshape(shape), axis=2)",
        "    i, j = np.unravel_index(np.argmin(median), median.shape)",
        "    print(name, 'best by final loss: lr', lrs[i], *(second + [ys[j]]), 'median final f - f*', median[i, j])",
        "    reached = (trace.loss - objective.fmin <= tol) & ~trace.diverged",
        "    first = np.where(reached.any(0), trace.t[reached.argmax(0)], np.inf)",
        "    steps = np.median(first.reshape(shape), axis=2)",
        "    i, j = np.unravel_index(np.argmin(steps), steps.shape)",
        "    print(name, 'fewest steps to tol: lr', lrs[i], *(second + [ys[j]]), 'median steps', steps[i, j])",
    ]) + "\n"
