"""Small numerical summaries the views show (pure numpy, no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import OPTIMIZERS, Trace


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


# ---------------------------------------------------------------------------
# Hyperparameter maps: the outcome over a grid of (η, the optimiser's main hyperparameter)
# ---------------------------------------------------------------------------

MEASURES = ("gap", "steps", "diverged")
# A cell within this factor of the best one is good: a decade of final loss (one step of its log
# colour scale), twice the fewest steps.
GOOD = {"gap": 10.0, "steps": 2.0}
TIE = 0.05  # relative: cells within it of the best tie with it


@dataclass(frozen=True)
class HyperMap:
    """One optimiser's runs over a grid of ``lrs`` x ``ys`` (its main hyperparameter; None: η
    alone), several seeds per cell, summarised per cell (arrays ``(len(lrs), len(ys) or 1)``):

    * ``gap``: the median over seeds of the final f − f* (a diverged run counts as ∞, so a cell
      where half or more of the seeds diverged is ∞), floored at ``floor``;
    * ``steps``: the median over seeds of the first recorded step from which f − f* stays ≤ ``tol``
      to the end of the run (∞ for a run that does not get there, or diverged), counted every
      ``every`` steps;
    * ``diverged``: the share of its seeds that diverged.

    A cell is **unstable** when half or more of its seeds diverged or its median final f − f* is
    no lower than at the start (a run may grow without leaving the engine's bounds in its steps).
    """

    optimizer: str
    lrs: np.ndarray
    ys: np.ndarray | None
    gap: np.ndarray
    steps: np.ndarray
    diverged: np.ndarray
    every: int
    tol: float
    start_gap: float  # f − f* at the start (every run starts there)

    @property
    def shape(self) -> tuple[int, int]:
        return self.gap.shape

    @property
    def unstable(self) -> np.ndarray:
        return ~(self.gap < self.start_gap)

    def values(self, measure: str) -> np.ndarray:
        """What a cell's colour shows: ``gap``, ``steps`` or the ``diverged`` share."""
        return {"gap": self.gap, "steps": self.steps, "diverged": self.diverged}[measure]

    def ranked(self, measure: str) -> np.ndarray:
        """What ranks the cells (lower is better): the measure itself, but the final gap for the
        ``diverged`` share (its best cell is the best final loss)."""
        return self.gap if measure == "diverged" else self.values(measure)

    def best(self, measure: str) -> tuple[int, int] | None:
        """The best cell ``(i, j)`` (lowest ranked value; ties by the lower final gap, then the first
        in grid order), None when no cell has a finite value."""
        rank = self.ranked(measure)
        if not np.isfinite(rank).any():
            return None
        order = np.lexsort((self.gap.ravel(), rank.ravel()))
        return tuple(int(v) for v in np.unravel_index(order[0], self.shape))

    def ties(self, measure: str) -> np.ndarray:
        """Cells within ``TIE`` of the best one (the best included)."""
        rank = self.ranked(measure)
        best = self.best(measure)
        if best is None:
            return np.zeros(self.shape, bool)
        return rank <= rank[best] * (1 + TIE)

    def good(self, measure: str) -> np.ndarray:
        """The good region: the cells within ``GOOD[measure]`` of the best one's value (for the
        ``diverged`` share: where no seed diverged) that connect to the best cell through such
        cells (side by side or corner to corner)."""
        best = self.best(measure)
        if best is None:
            return np.zeros(self.shape, bool)
        if measure == "diverged":
            ok = self.diverged == 0
        else:
            rank = self.ranked(measure)
            ok = rank <= rank[best] * GOOD[measure]
        return _connected(ok, best)

    def on_edge(self, cell: tuple[int, int]) -> list[str]:
        """Which edges of the grid ``cell`` lies on: "smallest η", "largest η", and (a map) "smallest
        <main>" / "largest <main>"."""
        i, j = cell
        out = []
        if i == 0:
            out.append("smallest η")
        if i == len(self.lrs) - 1:
            out.append("largest η")
        if self.ys is not None and len(self.ys) > 1:
            if j == 0:
                out.append("smallest")
            if j == len(self.ys) - 1:
                out.append("largest")
        return out

    def span(self, region: np.ndarray) -> float:
        """The decades of η a region spans (0 for a single column)."""
        cols = np.flatnonzero(region.any(axis=1))
        return float(np.log10(self.lrs[cols[-1]] / self.lrs[cols[0]])) if cols.size else 0.0

    def tilt(self, region: np.ndarray, axis: np.ndarray) -> tuple[float, list[tuple[float, float]]] | None:
        """How the region's η moves with the main hyperparameter: the slope of log10 of each row's
        centre η (the geometric mean of its cells' η) against log10 of the row's ``axis`` value
        (1 − β for a decay rate), least squares over the rows the region reaches, and each of
        those rows as ``(value, centre η)``. None with fewer than two rows."""
        if self.ys is None:
            return None
        rows = [j for j in range(self.shape[1]) if region[:, j].any()]
        if len(rows) < 2:
            return None
        centre = [10 ** float(np.mean(np.log10(self.lrs[region[:, j]]))) for j in rows]
        slope = float(np.polyfit(np.log10(axis[rows]), np.log10(centre), 1)[0])
        return slope, [(float(self.ys[j]), c) for j, c in zip(rows, centre)]


def main_of(opt: str):
    """The optimiser's ``Main`` row (its main hyperparameter, None: η alone) and its symbol."""
    main = OPTIMIZERS[opt].main
    if main is None or main.name is None:
        return None, ""
    return main, OPTIMIZERS[opt].hypers[main.name].text


def axis_value(opt: str, values):
    """Where values of ``opt``'s main hyperparameter sit on its map's axis: 1 − β for a decay rate
    (drawn on a log axis), the value itself otherwise; 0.5 (the strip's middle) for η alone."""
    main, _ = main_of(opt)
    if main is None:
        return np.full(np.shape(values), 0.5)
    values = np.asarray(values, dtype=float)
    return 1.0 - values if main.scale == "decay" else values


def nearest_cell(hmap: HyperMap, lr: float, h2: float | None) -> tuple[int, int]:
    """The cell of ``hmap`` whose η and main value lie nearest (on the map's axes)."""
    i = int(np.argmin(np.abs(np.log10(hmap.lrs) - np.log10(lr))))
    if hmap.ys is None or h2 is None:
        return i, 0
    main, _ = main_of(hmap.optimizer)
    a, b = axis_value(hmap.optimizer, hmap.ys), axis_value(hmap.optimizer, h2)
    far = np.abs(np.log10(np.maximum(a, 1e-300)) - np.log10(max(float(b), 1e-300))) if main.scale != "linear" \
        else np.abs(a - b)
    return i, int(np.argmin(far))


def _connected(ok: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """The cells of ``ok`` reached from ``start`` through neighbours in ``ok`` (side by side or
    corner to corner: a diagonal band one cell wide is one region)."""
    out = np.zeros(ok.shape, bool)
    if not ok[start]:
        return out
    stack = [start]
    out[start] = True
    while stack:
        i, j = stack.pop()
        for a, b in ((i + di, j + dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)):
            if 0 <= a < ok.shape[0] and 0 <= b < ok.shape[1] and ok[a, b] and not out[a, b]:
                out[a, b] = True
                stack.append((a, b))
    return out


def hyper_map(trace: Trace, lrs: np.ndarray, ys: np.ndarray | None, n_seeds: int, fmin: float, tol: float,
              floor: float = 1e-12) -> HyperMap:
    """Summarise one engine call over the grid ``lrs`` x ``ys`` x ``n_seeds`` seeds (the runs in
    that order, η outermost, as ``RunSpec``'s grid spreads them) into a ``HyperMap``."""
    shape = (len(lrs), 1 if ys is None else len(ys), n_seeds)
    diverged = trace.diverged.reshape(shape)
    with np.errstate(invalid="ignore"):
        final = np.where(trace.diverged, np.inf, np.maximum(trace.final_loss - fmin, floor)).reshape(shape)
        # from the first recorded step on which the gap stays within tol to the end (a path that
        # swings through the minimum on its way has not reached it; a run that diverged never has)
        within = (trace.loss - fmin <= tol) & ~trace.diverged[None, :]
    stays = np.logical_and.accumulate(within[::-1], axis=0)[::-1]
    first = np.where(stays[-1], trace.t[np.argmax(stays, axis=0)], np.inf).reshape(shape)
    return HyperMap(trace.optimizer, np.asarray(lrs, float), None if ys is None else np.asarray(ys, float),
                    np.median(final, axis=2), np.median(first, axis=2), diverged.mean(axis=2),
                    int(trace.t[1] - trace.t[0]) if len(trace.t) > 1 else 1, float(tol),
                    float(max(trace.loss[0, 0] - fmin, floor)))
