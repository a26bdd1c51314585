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


def page_constant(path: str, name: str):
    """A module-level constant of a page script (read from its source: a page cannot be imported)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[2] / path).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} has no {name}")


def hypermap(s, opt: str, n: int, n_seeds: int, steps: int, tol: float, recorded: int) -> dict:
    """The Hyperparameter maps page's map of ``opt`` with settings ``s``, run here as one batch of
    explicit per-run arrays: per cell (η x main value) the median over seeds of the final f − f*
    (a diverged run ∞, floored at 1e-12), of the first recorded step from which f − f* stays
    within ``tol`` (the loss recorded as the page thins it), the share that diverged."""
    obj = s.objective_obj()
    lrs, ys = OPTIMIZERS[opt].map_axes(n)
    n_y = 1 if ys is None else len(ys)
    seeds = np.arange(s.seed, s.seed + n_seeds)
    hyper = {**s.hyper(opt), "lr": np.repeat(lrs, n_y * n_seeds)}
    if ys is not None:
        hyper[OPTIMIZERS[opt].main.name] = np.tile(np.repeat(ys, n_seeds), len(lrs))
    runs = len(lrs) * n_y * n_seeds
    every = -(-steps // max(1, recorded // runs))
    tr = simulate(obj, opt, steps, s.start, s.noise, np.tile(seeds, len(lrs) * n_y), record="loss", every=every,
                  **hyper)
    shape = (len(lrs), n_y, n_seeds)
    gap = np.where(tr.diverged, np.inf, np.maximum(tr.final_loss - obj.fmin, 1e-12)).reshape(shape)
    first = np.full(runs, np.inf)
    for r in range(runs):
        if tr.diverged[r]:
            continue
        out = np.flatnonzero(tr.loss[:, r] - obj.fmin > tol)
        if out.size == 0:
            first[r] = tr.t[0]
        elif out[-1] < len(tr.t) - 1:
            first[r] = tr.t[out[-1] + 1]
    return {"lrs": lrs, "ys": ys, "gap": np.median(gap, axis=2), "steps": np.median(first.reshape(shape), axis=2),
            "diverged": tr.diverged.reshape(shape).mean(axis=2), "start_gap": float(tr.loss[0, 0] - obj.fmin)}


def best_and_region(m: dict, measure: str, good: float | None):
    """The best cell (lowest value, then lowest final gap) and the cells within ``good`` times its
    value (where no seed diverged, for the share) connected to it, corner to corner included."""
    value = m["gap"] if measure == "diverged" else m[measure]
    if not np.isfinite(value).any():
        return None, None
    cells = sorted(np.ndindex(value.shape), key=lambda c: (value[c], m["gap"][c]))
    best = cells[0]
    ok = (m["diverged"] == 0) if measure == "diverged" else value <= good * value[best]
    region, todo = {best}, [best]
    while todo:
        i, j = todo.pop()
        for a in (i - 1, i, i + 1):
            for b in (j - 1, j, j + 1):
                if 0 <= a < ok.shape[0] and 0 <= b < ok.shape[1] and ok[a, b] and (a, b) not in region:
                    region.add((a, b))
                    todo.append((a, b))
    return best, region
