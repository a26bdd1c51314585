"""What one view may ask of the shared server: work and memory per engine call.

``work`` counts the gradient coordinates a run spec computes (runs x steps x parameters x
samples per gradient); a call over ``MAX_WORK`` is refused at once by ``check`` with a message
that says what to lower, and the page keeps its controls. ``cost`` turns work into estimated
seconds: the pool computes cheap jobs in the calling thread when its workers are busy and gives
every job a deadline from it. ``record_every`` thins a run's record to a memory budget.
"""

from __future__ import annotations

from engine import RunSpec, get_objective

MAX_WORK = 2e8  # gradient coordinates per engine call: 2-4 s of a core (benchmarks/LOAD.md)
SECONDS_PER_UNIT = 3e-8  # s per gradient coordinate (the sparse problem, the slowest measured)
SECONDS_PER_STEP = 3e-5  # s per step of the engine's loop, whatever the size
RECORD_BUDGET = 4_000_000  # numbers one full-record call may keep (32 MB)


def _objective(spec: RunSpec):
    return get_objective(spec.objective, **dict(spec.objective_options))


def work(spec: RunSpec) -> float:
    """Gradient coordinates the spec computes: runs x steps x parameters x samples per gradient
    (the minibatch of a sampled objective; 1 for an analytic function)."""
    obj = _objective(spec)
    return float(spec.runs) * spec.steps * obj.dim * int(obj.options.get("batch_size", 1))


def cost(spec: RunSpec) -> float:
    """Estimated seconds of a core for the spec."""
    return work(spec) * SECONDS_PER_UNIT + spec.steps * SECONDS_PER_STEP


def check(spec: RunSpec) -> None:
    """Refuse, at once and with a ``ValueError`` that says what to lower, a spec over ``MAX_WORK``."""
    asked = work(spec)
    if asked <= MAX_WORK:
        return
    obj = _objective(spec)
    batch = int(obj.options.get("batch_size", 1))
    raise ValueError(
        f"this view asks for {spec.runs:,} runs x {spec.steps:,} steps of a problem with {obj.dim} parameters"
        + (f" and {batch} samples per gradient" if batch > 1 else "")
        + f" in one computation ({asked:.2g} gradient coordinates), more than a shared server "
        f"allows ({MAX_WORK:.2g}). Lower the seeds, the learning rates, the steps, the dimension "
        "or the batch size.")


def deadline(seconds: float) -> float:
    """How long a job estimated at ``seconds`` may run in a worker before it is stopped."""
    return max(10.0, 4.0 * seconds)


def record_every(steps: int, runs: int, dim: int, arrays: int = 4, budget: int = RECORD_BUDGET) -> int:
    """Record every k-th step so that one call keeps at most ``budget`` numbers: 1 for the usual
    2-D views; many seeds of a 200-parameter problem get a thinner (still smooth) record."""
    return max(1, -(-steps * runs * dim * arrays // budget))


def thinned(spec: RunSpec) -> RunSpec:
    """The spec recorded every k-th step (``record_every``) if it records everything."""
    if spec.record != "full" or spec.every != 1:
        return spec
    every = record_every(spec.steps, spec.runs, _objective(spec).dim)
    return spec if every == 1 else spec.replace(every=every)
