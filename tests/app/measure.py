"""Quantities the claim tests compute from the engine's runs, written here once for the tests
(not taken from ``ui.views``: the tests hold the app's words to these)."""

from __future__ import annotations

import numpy as np

from engine import OPTIMIZERS, simulate


def span(final_gap: np.ndarray, lrs: np.ndarray, n_seeds: int, ceiling: float, diverged: np.ndarray):
    """``(best, lo, hi)``: the index of the learning rate with the lowest median final gap (a
    diverged run scores ``ceiling``; gaps are floored at 1e-12 as the chart draws them) and the
    contiguous indices around it whose median is within 2x of it."""
    gap = np.clip(np.where(diverged, ceiling, final_gap), 1e-12, ceiling).reshape(len(lrs), n_seeds)
    med = np.median(gap, axis=1)
    best = int(np.argmin(med))
    lo = hi = best
    while lo > 0 and med[lo - 1] <= 2 * med[best]:
        lo -= 1
    while hi < len(lrs) - 1 and med[hi + 1] <= 2 * med[best]:
        hi += 1
    return best, lo, hi


def sweep(s, opt: str, n_lrs: int, n_seeds: int):
    """The LR sensitivity page's sweep for ``opt`` with settings ``s``, run here: ``(lrs, best, lo,
    hi, diverged per rate)``."""
    obj = s.objective_obj()
    h = OPTIMIZERS[opt].hypers["lr"]
    lrs = np.logspace(np.log10(h.low), np.log10(h.high), n_lrs)
    seeds = np.arange(s.seed, s.seed + n_seeds)
    tr = simulate(obj, opt, s.steps, s.start, s.noise, np.tile(seeds, n_lrs), record="loss", every=s.steps,
                  **{**s.hyper(opt), "lr": np.repeat(lrs, n_seeds)})
    ceiling = 10 * float(obj.value(np.asarray(s.start)) - obj.fmin)
    best, lo, hi = span(tr.final_loss - obj.fmin, lrs, n_seeds, ceiling, tr.diverged)
    return lrs, best, lo, hi, tr.diverged.reshape(n_lrs, n_seeds).any(1)


def quarters(values: np.ndarray) -> float:
    """Median of the last quarter of a series over the median of the quarter before."""
    n = len(values)
    q = max(n // 4, 1)
    return float(np.median(values[n - q:]) / np.median(values[n - 2 * q:n - q]))
