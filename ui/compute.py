"""Cached engine calls, keyed on small hashable arguments.

``st.cache_data`` pickles what it returns, so every session gets its own copy of
a trace: nothing computed here is shared mutably between sessions. Keys are
names, floats, ints and tuples, never large arrays (see NOTES: arrays of 500k+
elements are hashed from a sample).
"""

from __future__ import annotations

import streamlit as st

from engine import Trace, get_objective
from engine.baselines import BaselinePath, scipy_path

from . import workers
from .params import Settings

workers.POOL.start()  # the engine's worker boots while the first page draws

# Bounded: a class shares one server (at most this many results, each dropped after 30 minutes).
CACHE = {"max_entries": 64, "ttl": 1800, "show_spinner": False}


# One engine call may ask for at most this many gradient coordinates (runs x steps x parameters x
# samples per gradient): 2-4 s of a core on this project's machine (2-3e-8 s each on the sparse
# problem, less with minibatches), a view of six optimisers at most about half a minute. The
# fields' own caps allowed far more on the larger problems: an LR sweep of 60 rates x 20 seeds
# on the 200-parameter sparse problem with 256 samples per gradient was hours of computing
# (measured: 9.6 s for 20 of its 5000 steps and one of its six optimisers), Loss curves at its
# caps minutes. Every 2-D view, and every default, is far below it (the largest 2-D sweep: 1.2e7).
MAX_WORK = 2e8


def work(objective: str, objective_options: tuple, steps: int, runs: int) -> float:
    """Gradient coordinates an engine call computes: runs x steps x parameters x samples per
    gradient (the sparse problem's minibatch; 1 for an analytic function)."""
    obj = get_objective(objective, **dict(objective_options))
    return float(runs) * steps * obj.dim * int(obj.options.get("batch_size", 1))


def check_work(objective: str, objective_options: tuple, steps: int, runs: int) -> None:
    """Refuse, at once and with a ``ValueError`` that says what to lower (the page shows it and
    keeps its controls), an engine call over ``MAX_WORK``."""
    asked = work(objective, objective_options, steps, runs)
    if asked <= MAX_WORK:
        return
    obj = get_objective(objective, **dict(objective_options))  # cached: the one ``work`` built
    batch = int(obj.options.get("batch_size", 1))
    raise ValueError(
        f"this view asks for {runs:,} runs x {steps:,} steps of a problem with {obj.dim} parameters"
        + (f" and {batch} samples per gradient" if batch > 1 else "")
        + f" in one computation ({asked:.2g} gradient coordinates), more than a shared server "
        f"allows ({MAX_WORK:.2g}). Lower the seeds, the learning rates, the steps, the dimension "
        "or the batch size.")


@st.cache_data(**CACHE)
def simulate_cached(objective: str, objective_options: tuple, optimizer: str, hyper: tuple,
                    steps: int, start: tuple | None, noise: float, seeds: tuple,
                    every: int = 1, record: str = "full", record_state: bool = False,
                    schedule: str = "constant", schedule_options: tuple = (),
                    clip_norm: float | None = None, clip_value: float | None = None,
                    sweep: tuple = ()) -> Trace:
    """``engine.simulate`` on hashable arguments, computed in an engine worker process
    (``ui.workers``: the server's second core). ``sweep`` is ``((name, values), ...)``
    of hyperparameters given per run (tuples), overriding ``hyper``. Refuses a call over
    ``MAX_WORK`` (``check_work``)."""
    runs = max([len(seeds), *(len(v) for _, v in sweep)])
    check_work(objective, objective_options, steps, runs)
    return workers.POOL.run(workers.simulate_job, objective, objective_options, optimizer, hyper, steps,
                            start, noise, seeds, every, record, record_state, schedule, schedule_options,
                            clip_norm, clip_value, sweep)


@st.cache_data(**CACHE)
def replay_cached(optimizer: str, source: tuple, hyper: tuple, record_state: bool = True) -> Trace:
    """Replay ``optimizer`` on the gradients of the (cached) run described by ``source``
    (the positional arguments of ``simulate_cached``)."""
    base = simulate_cached(*source)
    return workers.POOL.run(workers.replay_job, optimizer, base.grads, base.start, hyper, record_state)


RECORD_BUDGET = 4_000_000  # numbers one full-record call may keep (32 MB): a class shares the server


def record_every(steps: int, runs: int, dim: int, arrays: int = 4, budget: int = RECORD_BUDGET) -> int:
    """Record every k-th step so that one call keeps at most ``budget`` numbers: 1 for the
    usual 2-D views; many seeds of a 200-parameter problem get a thinner (still smooth) record."""
    return max(1, -(-steps * runs * dim * arrays // budget))


def run_settings(settings: Settings, optimizers=None, seeds=None, **kw) -> dict[str, Trace]:
    """One trace per optimiser for the shared settings (``seeds``: several runs each)."""
    seeds = tuple(seeds) if seeds is not None else (settings.seed,)
    if "every" not in kw:
        dim = settings.objective_obj().dim
        kw["every"] = record_every(settings.steps, len(seeds), dim)
    out = {}
    for opt in optimizers or settings.optimizers:
        out[opt] = simulate_cached(settings.objective, settings.objective_options, opt,
                                   tuple(settings.hyper(opt).items()), settings.steps,
                                   settings.start, settings.noise, seeds, **kw)
    return out


@st.cache_data(**CACHE)
def baseline_cached(objective: str, objective_options: tuple, method: str, start: tuple,
                    max_iter: int) -> BaselinePath:
    """A scipy.optimize path (deterministic: cached like the engine's runs)."""
    obj = get_objective(objective, **dict(objective_options))
    return scipy_path(obj, method, start, max_iter)
