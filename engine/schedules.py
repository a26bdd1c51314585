"""Learning-rate schedules as factor arrays: ``lr_t = lr * factor[t - 1]`` for steps t = 1..T.

The forms are torch's ``StepLR`` and ``CosineAnnealingLR`` (with ``eta_min =
min_factor * lr``), and the Transformer recipe: linear warm-up from ``lr /
warmup`` to ``lr`` over ``warmup`` steps, then cosine decay to ``min_factor * lr``.
"""

from __future__ import annotations

import numpy as np

from .values import Option, finite

__all__ = ["OPTIONS", "SCHEDULES", "USES", "schedule_factors"]

SCHEDULES = {
    "constant": "Constant",
    "step": "Step decay",
    "cosine": "Cosine",
    "warmup_cosine": "Linear warm-up, then cosine",
}


# The options of ``schedule_factors``, with their defaults (torch's where torch has one), the
# bounds a control offers and which schedules use them: the command line, the simulator and the
# dashboard read this table.
OPTIONS: dict[str, Option] = {
    "step_size": Option(0, 0, 100_000, "Step decay: every", integer=True,
                        help="Multiply η by γ every this many steps (0: a third of the run)."),
    "gamma": Option(0.1, 0.0, 1.0, "Step decay: γ", help="The factor of each decay, in (0, 1]."),
    "warmup": Option(0, 0, 100_000, "Warm-up steps", integer=True,
                     help="Linear warm-up from η/warm-up to η (0: a tenth of the run)."),
    "min_factor": Option(0.0, 0.0, 1.0, "Cosine: final fraction of η",
                         help="Where the cosine ends, as a fraction of η."),
}
USES = {"constant": (), "step": ("step_size", "gamma"), "cosine": ("min_factor",),
        "warmup_cosine": ("warmup", "min_factor")}


def _number(name, value):
    return finite(value, f"schedule option {name}")


def _whole(name, value):
    """A whole number >= 0 (0 means: pick the default)."""
    number = _number(name, value)
    if isinstance(value, bool) or not number.is_integer() or number < 0:
        raise ValueError(f"schedule option {name} must be a whole number >= 0, got {value!r}")
    return int(number)


def schedule_factors(name: str, steps: int, *, step_size: int = 0, gamma: float = 0.1,
                     warmup: int = 0, min_factor: float = 0.0) -> np.ndarray:
    """Multipliers of the base learning rate, one per step (shape ``(steps,)``).

    ``step``: ``gamma ** (t // step_size)`` for the 0-based step index ``t``
    (``step_size=0``: a third of the run). ``cosine``: ``min_factor + (1 -
    min_factor) (1 + cos(pi t / steps)) / 2``. ``warmup_cosine``: ``(t + 1) / warmup``
    for the first ``warmup`` steps (``warmup=0``: a tenth of the run), then the
    cosine over the remaining steps. Invalid options raise ``ValueError``.

    >>> schedule_factors("step", 4, step_size=2, gamma=0.5).tolist()
    [1.0, 1.0, 0.5, 0.5]
    >>> schedule_factors("warmup_cosine", 4, warmup=2).tolist()[:2]
    [0.5, 1.0]
    """
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(f"Unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}")
    min_factor = _number("min_factor", min_factor)
    if not (0.0 <= min_factor <= 1.0):
        raise ValueError(f"min_factor must be in [0, 1], got {min_factor!r}")
    t = np.arange(steps, dtype=float)  # 0-based index of the step
    if name == "constant":
        return np.ones(steps)
    if name == "step":
        step_size = _whole("step_size", step_size) or max(steps // 3, 1)
        gamma = _number("gamma", gamma)
        if not (0.0 < gamma <= 1.0):
            raise ValueError(f"gamma must be in (0, 1], got {gamma!r}")
        return gamma ** (t // step_size)
    if name == "cosine":
        return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + np.cos(np.pi * t / max(steps, 1)))
    warmup = _whole("warmup", warmup) or max(steps // 10, 1)
    if warmup > steps:
        raise ValueError(f"warmup ({warmup}) is longer than the run ({steps} steps)")
    rest = max(steps - warmup, 1)
    decay = min_factor + (1.0 - min_factor) * 0.5 * (1.0 + np.cos(np.pi * (t - warmup) / rest))
    return np.where(t < warmup, (t + 1) / warmup, decay)
