"""What one view may ask of the shared server, by what it really costs.

``cost(spec)`` estimates the seconds of a core a run spec takes, from what the engine will do:
each optimiser's work per step (its registry row's ``step_seconds``, and ``swept_seconds`` per
run when its decay rates differ from run to run), the objective's (an analytic function's few
operations, a typed function's counted operations, a sampled minibatch's rows, a network's
layers), the number of runs and parameters, and what is recorded.
The constants were measured on this project's 2-core machine with ``python
benchmarks/bench_cost.py``, which prints the model against the measured time for every
optimiser and objective family (the model is meant to be at or above it).

A view (one page's run for one student) may spend at most ``VIEW_SECONDS`` of estimated engine
time on what is not already cached; ``check`` refuses the rest at once, before any of it is
computed, with a message that says what to lower, and the page keeps its controls. Every job
also gets a deadline from its estimate (``deadline``), past which its worker is stopped.
``record_every`` thins a run's record to a memory budget (``RECORD_BUDGET`` numbers per run
spec) and ``VIEW_BYTES`` bounds the traces one view holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine import OPTIMIZERS, RunSpec, get_objective
from engine.landscape import evaluations
from engine.simulate import MAX_RUNS, MAX_STEP_NUMBERS

VIEW_SECONDS = 8.0  # estimated engine seconds one view may compute (the rest of 10 s: the page)
VIEW_BYTES = 120_000_000  # bytes of traces one view may hold
RECORD_BUDGET = 1_000_000  # numbers one full-record run spec keeps (8 MB; six optimisers: 48 MB)

# Each optimiser's seconds per step of one run on Rosenbrock are in its registry row
# (``OptimizerSpec.step_seconds``).
# s per run x parameter per step: the update, and a full record's share (divided by ``every``)
UPDATE_COORDINATE, RECORD_COORDINATE, LOSS_COORDINATE = 0.07e-6, 0.12e-6, 0.03e-6
ANALYTIC_STEP = 20e-6  # another analytic function's value and gradient, beyond Rosenbrock's
TYPED_STEP, TYPED_OP, TYPED_OP_RUN = 60e-6, 1.6e-6, 5e-9  # a typed function: per step, operation, operation x run
SAMPLE_STEP, SAMPLE_ELEMENT = 30e-6, 8e-9  # a minibatch gradient: per step, per run x sample x parameter
# A network's minibatch gradient (benchmarks/bench_network.py): per step, per run, per run x sample x
# hidden unit, per run x sample x multiply-add.
NET_STEP, NET_RUN, NET_UNIT, NET_MAC = 89e-6, 2.1e-6, 14e-9, 0.34e-9
MARGIN = 1.2
# A network's loss landscape (engine.landscape): seconds per weight vector evaluated, a forward pass
# over the training rows: per vector, per row, per row x hidden unit, per row x multiply-add (tanh;
# relu takes a third to a half of it; benchmarks/bench_cost.py prints the model against the time).
LAND_VECTOR, LAND_ROW, LAND_UNIT, LAND_MAC = 11e-6, 42e-9, 16e-9, 0.35e-9
LANDSCAPE_SECONDS = 3.0  # the most one view's landscape may take, whatever is left of the view's budget
MIN_GRID = 7  # a smaller landscape than 7 x 7 is not drawn


def _objective(spec: RunSpec):
    return get_objective(spec.objective, **dict(spec.objective_options))


def objective_step(obj, runs: int) -> float:
    """Seconds one step of ``runs`` runs spends on the objective's gradient."""
    if obj.network is not None:
        net = obj.network
        batch = int(obj.options["batch_size"])
        units = sum(net.sizes[1:-1])
        macs = sum(a * b for a, b in zip(net.sizes[:-1], net.sizes[1:]))
        return NET_STEP + runs * (NET_RUN + batch * (units * NET_UNIT + macs * NET_MAC))
    if obj.stochastic:
        return SAMPLE_STEP + runs * int(obj.options["batch_size"]) * obj.dim * SAMPLE_ELEMENT
    if obj.eval_cost:
        return TYPED_STEP + obj.eval_cost * (TYPED_OP + runs * TYPED_OP_RUN)
    return 0.0 if obj.name == "rosenbrock" else ANALYTIC_STEP


NOT_HYPERS = frozenset({"lr", "seed", "noise"})  # a grid's axes that are not decay rates or flags


def swept(spec: RunSpec) -> bool:
    """Whether a hyperparameter other than η differs from run to run (a map over it)."""
    return any(name not in NOT_HYPERS and isinstance(value, tuple) and len(value) > 1
               for name, value in (*spec.hyper, *spec.grid))


def cost(spec: RunSpec) -> float:
    """Estimated seconds of a core for ``simulate(spec)``."""
    obj = _objective(spec)
    runs = spec.runs
    per_coordinate = (UPDATE_COORDINATE + RECORD_COORDINATE / spec.every if spec.record == "full"
                      else LOSS_COORDINATE)
    if swept(spec):  # each run pays its own powers of its decay rates
        per_coordinate += OPTIMIZERS[spec.optimizer].swept_seconds
    step = OPTIMIZERS[spec.optimizer].step_seconds + objective_step(obj, runs) + runs * obj.dim * per_coordinate
    return MARGIN * spec.steps * step


def evaluation_seconds(obj) -> float:
    """Seconds of one evaluation of a network's training loss at one weight vector."""
    net = obj.network
    units = sum(net.sizes[1:-1])
    macs = sum(a * b for a, b in zip(net.sizes[:-1], net.sizes[1:]))
    return LAND_VECTOR + net.X_train.shape[0] * (LAND_ROW + units * LAND_UNIT + macs * LAND_MAC)


def landscape_cost(obj, grid: int, paths: int, line_points: int) -> float:
    """Estimated seconds of ``engine.landscape.landscape`` on the network ``obj`` (the weight
    vectors it evaluates, ``evaluations``, each at its real cost)."""
    return MARGIN * evaluations(grid, paths, line_points) * evaluation_seconds(obj)


def landscape_grid(obj, wanted: int, paths: int, line_points: int, seconds: float) -> int:
    """The largest odd grid, at most ``wanted`` (raised to odd) and at least ``MIN_GRID``, whose
    landscape costs at most ``seconds``; 0 when not even ``MIN_GRID`` does."""
    grid = int(wanted) + 1 - int(wanted) % 2
    while grid >= MIN_GRID and landscape_cost(obj, grid, paths, line_points) > seconds:
        grid -= 2
    return grid if grid >= MIN_GRID else 0


def landscape_bytes(obj, grid: int, paths: int, line_points: int) -> int:
    """Bytes of a landscape: its grids and lines, its planes' directions and coordinates."""
    grid = int(grid) + 1 - int(grid) % 2
    return 8 * ((1 + paths) * (grid * grid + 2 * grid + 2 * obj.dim + 2 * 200) + paths * (line_points + 2))


def replay_cost(spec: RunSpec) -> float:
    """A replay of ``spec``'s gradients: its optimiser's work, no objective."""
    obj = _objective(spec)
    return MARGIN * spec.steps * (OPTIMIZERS[spec.optimizer].step_seconds + spec.runs * obj.dim * 0.18e-6)


def baseline_cost(objective: str, options: tuple, method: str, max_iter: int) -> float:
    """A scipy path, at most ``max_iter`` iterations: each a few evaluations of the function (and
    its gradient; Newton-CG its Hessian too), plus scipy's own work per evaluation."""
    obj = get_objective(objective, **dict(options))
    evaluation = 60e-6 + (obj.eval_cost or 20) * TYPED_OP
    per_iteration = {"Nelder-Mead": 2.0, "Newton-CG": 6.0}.get(method, 3.0)
    return MARGIN * max_iter * per_iteration * evaluation


def recorded_bytes(spec: RunSpec) -> int:
    """Bytes of the trace ``simulate(spec)`` returns."""
    obj = _objective(spec)
    n_rec = spec.steps // spec.every + 2
    per_step = 4 * obj.dim + 1 if spec.record == "full" else 1
    state = spec.steps * obj.dim * 3 if spec.record_state else 0
    return 8 * spec.runs * (n_rec * per_step + state)


def _describe(spec: RunSpec) -> str:
    obj = _objective(spec)
    batch = int(obj.options.get("batch_size", 1)) if obj.stochastic else 1
    text = (f"{spec.runs:,} run{'s' if spec.runs > 1 else ''} x {spec.steps:,} steps of "
            f"{OPTIMIZERS[spec.optimizer].title if spec.optimizer in OPTIMIZERS else spec.optimizer} "
            f"on a problem with {obj.dim} parameters")
    if batch > 1:
        text += f" and {batch} samples per gradient"
    if obj.eval_cost:
        text += f" (your function: {obj.eval_cost} operations per evaluation)"
    return text


class OverBudget(ValueError):
    """A view that asks for more than a shared server gives one view."""


def check(costs: Iterable[tuple[str, float, int]], spent: float = 0.0, held: int = 0) -> tuple[float, int]:
    """Refuse (a ``ValueError`` that says what to lower) jobs ``(what, seconds, bytes)`` that would
    take the view past ``VIEW_SECONDS`` of estimated engine time or ``VIEW_BYTES`` of traces,
    given what it has already ``spent`` and ``held``. Returns the new totals."""
    costs = list(costs)
    seconds = spent + sum(c for _, c, _ in costs)
    nbytes = held + sum(b for _, _, b in costs)
    if seconds > VIEW_SECONDS or nbytes > VIEW_BYTES:
        what, worst, _ = max(costs, key=lambda c: c[1])
        over = (f"about {seconds:.0f} s of the server's computing" if seconds > VIEW_SECONDS else
                f"{nbytes / 1e6:.0f} MB of results")
        allowed = f"{VIEW_SECONDS:.0f} s" if seconds > VIEW_SECONDS else f"{VIEW_BYTES / 1e6:.0f} MB"
        raise OverBudget(
            f"this view would take {over}, more than the {allowed} a shared server gives one view "
            f"(the largest part: {what}, about {worst:.1f} s). Lower the steps, the seeds, the learning "
            "rates per optimiser, the number of optimisers, the dimension or the batch size, or write "
            "a shorter function.")
    return seconds, nbytes


def spec_cost(spec: RunSpec) -> tuple[str, float, int]:
    """``(what, seconds, bytes)`` of a spec for ``check``; a spec wider than the engine takes at
    once (one step of its runs x parameters x samples per gradient, or its runs) is refused here,
    however quick (the engine would refuse it only after the view's other runs)."""
    obj = _objective(spec)
    batch = int(obj.options.get("batch_size", 1)) if obj.stochastic else 1
    numbers = spec.runs * obj.dim * batch
    if numbers > MAX_STEP_NUMBERS or spec.runs > MAX_RUNS:
        raise OverBudget(
            f"one step of this view would hold {numbers:,} numbers ({spec.runs:,} runs x {obj.dim} parameters x "
            f"{batch} samples per gradient), more than the {MAX_STEP_NUMBERS:,} (in at most {MAX_RUNS:,} runs) a "
            "shared server gives one view at once. Lower the seeds, the learning rates (or cells) per optimiser, "
            "the dimension or the batch size.")
    return _describe(spec), cost(spec), recorded_bytes(spec)


def deadline(seconds: float) -> float:
    """How long a job estimated at ``seconds`` may run in a worker before it is stopped: the
    estimate with room for a busy machine, at least 5 s, at most the view's whole allowance twice."""
    return min(max(5.0, 3.0 * seconds), 2.5 * VIEW_SECONDS)


def record_every(steps: int, runs: int, dim: int, arrays: int = 4, budget: int = RECORD_BUDGET) -> int:
    """Record every k-th step so that one call keeps at most ``budget`` numbers: 1 for the usual
    2-D views; many seeds of a 200-parameter problem get a thinner (still smooth) record."""
    return max(1, -(-steps * runs * dim * arrays // budget))


def thinned(spec: RunSpec, rows: int | None = None) -> RunSpec:
    """The spec recorded at most every ``record_every`` steps (a full record), and with ``rows`` at
    most that many recorded steps of any record (a view that needs only a summary, or frames of an
    animation): the one rule by which every view thins what its runs record."""
    every = spec.every
    if spec.record == "full":
        every = max(every, record_every(spec.steps, spec.runs, _objective(spec).dim))
    if rows:
        every = max(every, -(-int(spec.steps) // int(rows)))
    return spec if every == spec.every else spec.replace(every=every)
