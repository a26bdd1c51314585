"""Small numerical summaries the views show (pure numpy, no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import Trace


def best_run(trace: Trace) -> int:
    """The run of a batch (a sweep) with the lowest final loss among those that did not diverge
    (the first run when all diverged)."""
    finished = np.where(trace.stopped_at >= 0, np.inf, trace.final_loss)
    return int(np.argmin(finished)) if np.isfinite(finished).any() else 0


@dataclass(frozen=True)
class Sensitivity:
    """Final loss against learning rate for one optimiser (``n_lr`` rates x ``n_seeds`` seeds)."""

    lrs: np.ndarray
    median: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    diverged: np.ndarray  # runs that diverged, per learning rate
    best: int | None  # index of the best learning rate (None: nothing finished)
    span: tuple[int, int] | None  # contiguous indices around the best within 2x of its loss

    @property
    def best_lr(self) -> float:
        return float(self.lrs[self.best])

    @property
    def decades(self) -> float:
        """Width of the 2x span in decades of learning rate (0 for a single grid point)."""
        lo, hi = self.span
        return float(np.log10(self.lrs[hi] / self.lrs[lo]))


def sensitivity(trace: Trace, lrs: np.ndarray, n_seeds: int, fmin: float, ceiling: float,
                floor: float = 1e-12, within: float = 2.0) -> Sensitivity:
    """Summarise a sweep whose runs are ``lr``-major (``np.repeat(lrs, n_seeds)``).

    A diverged run scores ``ceiling``: worse than any finished run, and still a number.
    """
    n = len(lrs)
    gap = np.where(trace.diverged, ceiling, trace.final_loss - fmin).reshape(n, n_seeds)
    gap = np.clip(gap, floor, ceiling)
    med = np.median(gap, axis=1)
    best, span = None, None
    if (med < ceiling).any():
        best = int(np.argmin(med))
        good = med <= within * med[best]
        lo = hi = best
        while lo > 0 and good[lo - 1]:
            lo -= 1
        while hi < n - 1 and good[hi + 1]:
            hi += 1
        span = (lo, hi)
    return Sensitivity(np.asarray(lrs), med, np.quantile(gap, 0.1, axis=1), np.quantile(gap, 0.9, axis=1),
                       trace.diverged.reshape(n, n_seeds).sum(1), best, span)
