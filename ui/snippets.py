"""'Reproduce in Python': short scripts that recompute a view's runs with the engine API.

Values are written with ``repr`` (exact floats; a user's function text becomes a
string literal), so running the snippet from the repository root gives the same
numbers as the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Run:
    """One ``simulate`` call: a name for it, the optimiser and its arguments."""

    name: str
    optimizer: str
    hyper: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)  # schedule, clip_norm, ...


def _kw(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def runs_snippet(objective: str, options: Mapping[str, Any], runs: Sequence[Run], steps: int,
                 start, noise: float, seeds: Sequence[int]) -> str:
    seeds = [int(s) for s in seeds]
    seed_expr = repr(seeds[0]) if len(seeds) == 1 else f"np.array({seeds!r})"
    start_expr = "None" if start is None else repr(tuple(float(v) for v in start))
    lines = [
        "import numpy as np",
        "",
        "from engine import get_objective, simulate",
        "",
        f"objective = get_objective({objective!r}{', ' + _kw(options) if options else ''})",
        "traces = {",
    ]
    for r in runs:
        args = _kw({**r.hyper, **r.extra})
        lines.append(f"    {r.name!r}: simulate(objective, {r.optimizer!r}, {int(steps)}, start={start_expr}, "
                     f"noise={float(noise)!r}, seed={seed_expr}, {args}),")
    lines += [
        "}",
        "for name, trace in traces.items():",
        "    status = f'diverged at step {trace.stopped_at.max()}' if trace.diverged.any() else 'ok'",
        "    print(name, 'final f =', np.median(trace.final_loss), status)",
    ]
    return "\n".join(lines) + "\n"


def sensitivity_snippet(objective: str, options: Mapping[str, Any], hypers: Mapping[str, Mapping[str, Any]],
                        steps: int, start, noise: float, seeds: Sequence[int], points: int) -> str:
    """A learning-rate sweep per optimiser: one vectorised call each."""
    start_expr = "None" if start is None else repr(tuple(float(v) for v in start))
    return "\n".join([
        "import numpy as np",
        "",
        "from engine import OPTIMIZERS, get_objective, simulate",
        "",
        f"objective = get_objective({objective!r}{', ' + _kw(options) if options else ''})",
        f"seeds = np.array({[int(s) for s in seeds]!r})",
        f"hypers = {dict((k, dict(v)) for k, v in hypers.items())!r}  # everything but the learning rate",
        "for opt, hyper in hypers.items():",
        "    h = OPTIMIZERS[opt].hypers['lr']",
        f"    lrs = np.logspace(np.log10(h.low), np.log10(h.high), {int(points)})",
        f"    trace = simulate(objective, opt, {int(steps)}, start={start_expr}, noise={float(noise)!r},",
        f"                     seed=np.tile(seeds, len(lrs)), record='loss', every={int(steps)},",
        "                     lr=np.repeat(lrs, len(seeds)), **hyper)",
        "    gap = np.where(trace.diverged, np.inf, trace.final_loss - objective.fmin).reshape(len(lrs), len(seeds))",
        "    median = np.median(gap, axis=1)",
        "    print(opt, 'best lr', lrs[np.argmin(median)], 'median final f - f*', median.min())",
    ]) + "\n"


def bias_snippet(objective: str, options: Mapping[str, Any], hyper: Mapping[str, Any], steps: int, start,
                 noise: float, seed: int) -> str:
    """Adam with bias correction, then replayed without it on the same gradients."""
    on = {**hyper, "bias_correction": True}
    off = {**hyper, "bias_correction": False}
    return "\n".join([
        "from engine import get_objective, replay, simulate",
        "",
        f"objective = get_objective({objective!r}{', ' + _kw(options) if options else ''})",
        f"on = simulate(objective, 'adam', {int(steps)}, start={tuple(float(v) for v in start)!r}, "
        f"noise={float(noise)!r}, seed={int(seed)},",
        f"              record_state=True, {_kw(on)})",
        "# the same gradients, without the correction",
        f"off = replay('adam', on.grads, on.start, return_trace=True, record_state=True, {_kw(off)})",
        "print('m_1 =', on.state['m'][0, 0], ' first step with / without:', abs(on.delta[0, 0]), abs(off.delta[0, 0]))",
        "print('final f (corrected run):', on.final_loss[0])",
    ]) + "\n"
