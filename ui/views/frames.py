"""Traces -> tidy DataFrames for the charts (pure: numpy and pandas, no Streamlit).

Rows after a run's stop are left out, so a diverged run is drawn up to the last
step where it was still finite and bounded. Long runs are thinned to at most
``max_points`` rows per run (the first, last and stop steps are always kept).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from engine import OPTIMIZERS, Objective, Trace, contour_grid
from engine.baselines import BaselinePath
from engine.theory import curvatures

from . import analysis, claims
from .theme import CONTOUR_LEVELS

LOG_FLOOR = 1e-12  # gaps below this are drawn at this value on log axes


def levels(z: np.ndarray, fmin: float = 0.0) -> np.ndarray:
    """Shaded levels of values ``z``: ``log10(z - fmin)`` cut into ``CONTOUR_LEVELS`` bands between its
    0.5% and 99.5% quantiles (0 the lowest); ``-1`` where ``z`` is not finite."""
    defined = np.isfinite(z)
    band = np.full(z.shape, -1.0)
    if defined.any():
        zd = z[defined]
        logz = np.log10(np.maximum(zd - fmin, 1e-12) + 1e-3 * max(np.ptp(zd), 1e-12))
        lo, hi = np.percentile(logz, [0.5, 99.5])
        band[defined] = np.clip(np.floor((logz - lo) / max(hi - lo, 1e-12) * CONTOUR_LEVELS), 0, CONTOUR_LEVELS - 1)
    return band


def contour_frame(objective: Objective, n: int = 70, bounds=None) -> pd.DataFrame:
    """Cells of an ``n x n`` grid with ``level``: ``log10(f - f*)`` cut into bands (shaded levels);
    ``-1`` where f is not finite (not defined there, e.g. ``sqrt(x)`` for x < 0: left blank)."""
    (x0, x1), (y0, y1) = bounds or objective.bounds
    xs, ys, z = contour_grid(objective, n + 1, ((x0, x1), (y0, y1)))
    # cells overlap by a hair so that no seams show between them
    dx, dy = (x1 - x0) / n * 0.5, (y1 - y0) / n * 0.5
    # cell centres' values: average of the four corners
    with np.errstate(all="ignore"):
        zc = 0.25 * (z[:-1, :-1] + z[1:, :-1] + z[:-1, 1:] + z[1:, 1:])
    defined = np.isfinite(zc)
    band = levels(zc, objective.fmin)
    gx0, gy0 = np.meshgrid(xs[:-1], ys[:-1])
    gx1, gy1 = np.meshgrid(xs[1:], ys[1:])
    return pd.DataFrame({"x": gx0.ravel(), "x2": gx1.ravel() + dx, "y": gy0.ravel(), "y2": gy1.ravel() + dy,
                         "level": band.ravel().astype(np.int8), "f": np.where(defined, zc, np.nan).ravel()})


# Vega's "greys" scheme: the stops a linear colour scale interpolates, from low to high.
GREYS = (0xE2, 0xD4, 0xC4, 0xB1, 0x9D, 0x88, 0x75, 0x62, 0x4D, 0x35, 0x1E)
CONTOUR_ALPHA = 230  # the shading's opacity, 0.9


def png_grey_alpha(grey: np.ndarray, alpha: np.ndarray) -> bytes:
    """An 8-bit grey + alpha PNG of two ``(height, width)`` uint8 arrays (row 0 at the top)."""
    h, w = grey.shape
    pixels = np.stack([grey, alpha], axis=-1).astype(np.uint8).reshape(h, 2 * w)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), pixels], axis=1).tobytes()  # filter 0 per row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 4, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def contour_png(objective: Objective, n: int = 70, bounds=None) -> tuple[bytes, dict]:
    """The shaded contour as one ``n x n`` image (``contour_frame``'s levels: light is low), in
    Vega's "greys" scheme over [0, CONTOUR_LEVELS + 4] at opacity 0.9, transparent where f is not
    defined; row 0 is the box's top. One image is drawn at once where ``n²`` rectangles took
    most of a map's every frame. Also what it shows: distinct levels, cells left blank."""
    return levels_png(contour_frame(objective, n, bounds)["level"].to_numpy().reshape(n, n)[::-1])


def levels_png(level: np.ndarray) -> tuple[bytes, dict]:
    """Shaded ``levels`` (row 0 at the top) as a grey + alpha PNG, as a map's shading is drawn, and
    what it shows (distinct levels, cells left blank)."""
    t = np.clip(level, 0, None) / (CONTOUR_LEVELS + 4) * (len(GREYS) - 1)
    grey = np.round(np.interp(t, np.arange(len(GREYS)), GREYS)).astype(np.uint8)
    alpha = np.where(level >= 0, CONTOUR_ALPHA, 0).astype(np.uint8)
    defined = level[level >= 0]
    return png_grey_alpha(grey, alpha), {"levels": int(np.unique(defined).size), "undefined": int((level < 0).sum())}


def map_box(path: pd.DataFrame, bounds, follow: bool = False, limit: float = 1000.0):
    """The box a map shows, and the legend labels of paths that leave it. With ``follow`` the box
    grows to hold every path (a tenth more on each side, within ``limit``), so none leaves it."""
    (x0, x1), (y0, y1) = bounds
    if path.empty or "x" not in path:
        return bounds, []
    px, py = path["x"].to_numpy(), path["y"].to_numpy()
    if follow:
        lo_x, hi_x = max(min(x0, px.min()), -limit), min(max(x1, px.max()), limit)
        lo_y, hi_y = max(min(y0, py.min()), -limit), min(max(y1, py.max()), limit)
        if (lo_x, hi_x, lo_y, hi_y) != (x0, x1, y0, y1):
            pad_x, pad_y = 0.1 * (hi_x - lo_x), 0.1 * (hi_y - lo_y)
            x0, x1 = max(lo_x - pad_x * (lo_x < x0), -limit), min(hi_x + pad_x * (hi_x > x1), limit)
            y0, y1 = max(lo_y - pad_y * (lo_y < y0), -limit), min(hi_y + pad_y * (hi_y > y1), limit)
    out = (px < x0) | (px > x1) | (py < y0) | (py > y1)
    leaving = list(dict.fromkeys(path.loc[out, "label"].tolist()))
    return ((float(x0), float(x1)), (float(y0), float(y1))), leaving


def undefined_share(objective: Objective, n: int = 70) -> float:
    """The share of the plot box where the objective is not finite (0 for a function defined
    everywhere in it)."""
    if objective.dim != 2:
        return 0.0
    with np.errstate(all="ignore"):
        _, _, z = contour_grid(objective, n)
    return float(1.0 - np.isfinite(z).mean())


def title(opt: str) -> str:
    return OPTIMIZERS[opt].title if opt in OPTIMIZERS else opt


def keep_index(n: int, max_points: int, extra=()) -> np.ndarray:
    """Indices ``0..n-1`` thinned to about ``max_points``, always keeping first and last."""
    stride = max(1, int(np.ceil(n / max_points)))
    extra = [int(e) for e in extra if 0 <= e < n]
    return np.unique(np.r_[np.arange(0, n, stride), n - 1, extra].astype(int))


def _alive(trace: Trace, t: np.ndarray) -> np.ndarray:
    """(len(t), runs) mask: step t is before the run's stop."""
    stop = np.where(trace.stopped_at >= 0, trace.stopped_at, np.iinfo(np.int64).max)
    return t[:, None] < stop[None, :]


def _drawn_steps(trace: Trace, max_points: int) -> np.ndarray:
    """Indices of the recorded steps a chart draws: thinned to about ``max_points``, always with
    each stopped run's last good step (``path_frame`` and ``band_frame`` draw the same steps)."""
    return keep_index(len(trace.t), max_points,
                      extra=np.searchsorted(trace.t, trace.stopped_at[trace.stopped_at > 0] - 1))


def _gap(loss: np.ndarray, objective: Objective) -> np.ndarray:
    """f - f*, floored for log axes."""
    return np.maximum(loss - objective.fmin, LOG_FLOOR)


def _dist(params: np.ndarray, objective: Objective) -> np.ndarray:
    """Distance to the nearest minimum, floored for log axes (NaN where none is known)."""
    if not objective.minima:
        return np.full(np.shape(params)[:-1], np.nan)
    return np.maximum(objective.distance_to_minimum(params), LOG_FLOOR)


def path_frame(traces: Mapping[str, Trace], objective: Objective, max_points: int = 1500,
               labels: Mapping[str, str] | None = None,
               optimizers: Mapping[str, str] | None = None,
               variant: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per (series, run, recorded step): position, loss, gap to f*, distance to a minimum.

    ``traces`` maps a series name (usually the optimiser) to its trace; ``labels``
    gives the legend text (default: the optimiser's title), ``optimizers`` the colour's name
    where it is not the trace's optimiser (a variant drawn beside it, e.g. ``adam_nobc``), and
    ``variant`` a ``variant`` column (what a line dash tells apart).
    """
    frames = []
    for name, tr in traces.items():
        idx = _drawn_steps(tr, max_points)
        t = tr.t[idx]
        params = tr.params[idx]  # (n, B, D)
        loss = tr.loss[idx]
        alive = _alive(tr, t)
        n, runs = loss.shape
        data = {
            "series": name,
            "label": (labels or {}).get(name, title(tr.optimizer)),
            "optimizer": (optimizers or {}).get(name, tr.optimizer),
            "run": np.tile(np.arange(runs), n),
            "seed": np.tile(tr.seed, n),
            "step": np.repeat(t, runs),
            "loss": loss.ravel(),
            "gap": _gap(loss, objective).ravel(),
            "dist": _dist(params, objective).ravel(),
        }
        if objective.dim == 2:
            data["x"] = params[..., 0].ravel()
            data["y"] = params[..., 1].ravel()
        if variant is not None:
            data["variant"] = variant[name]
        df = pd.DataFrame(data)
        frames.append(df[alive.ravel()])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def band_frame(traces: Mapping[str, Trace], objective: Objective, metric: str, max_points: int = 1500,
               q: tuple[float, float] = (0.1, 0.9)) -> pd.DataFrame:
    """Median and a quantile band of ``metric`` (``"gap"`` or ``"dist"``, as in ``path_frame``)
    over each series' runs, per recorded step: the steps ``path_frame`` keeps, and at each only
    the runs not yet stopped. Computed on the trace's arrays (the same numbers as pandas'
    grouped quantiles of ``path_frame``, ``tests/ui``, at a fraction of the cost)."""
    if metric not in ("gap", "dist"):
        raise ValueError(f"metric must be 'gap' or 'dist', got {metric!r}")
    out = []
    for name, tr in traces.items():
        idx = _drawn_steps(tr, max_points)
        t = tr.t[idx]
        values = _gap(tr.loss[idx], objective) if metric == "gap" else _dist(tr.params[idx], objective)
        alive = _alive(tr, t)
        runs = alive.sum(axis=1)
        some = runs > 0
        values = np.where(alive, values, np.nan)[some]
        if tr.runs == 1 or alive[some].all():
            lo, median, hi = np.quantile(values, (q[0], 0.5, q[1]), axis=1)
        else:  # stopped runs left out, step by step
            lo, median, hi = np.nanquantile(values, (q[0], 0.5, q[1]), axis=1)
        out.append(pd.DataFrame({"series": name, "label": title(tr.optimizer), "optimizer": tr.optimizer,
                                 "step": t[some], "median": median, "runs": runs[some], "lo": lo, "hi": hi,
                                 "metric": metric}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def eff_lr_frame(traces: Mapping[str, Trace], run: int = 0, max_points: int = 1000,
                 param_names=None, most: int | None = None) -> pd.DataFrame:
    """Effective per-parameter learning rate of one run: one row per (series, step, parameter);
    with ``most``, of more than 6 parameters only ``most`` of them, evenly spread."""
    frames = []
    for name, tr in traces.items():
        t = tr.t_update
        idx = keep_index(len(t), max_points)
        t = t[idx]
        eff = tr.eff_lr[idx, run]  # (n, D)
        alive = _alive(tr, t)[:, run]
        d = eff.shape[1]
        names = list(param_names or (["x", "y"] if d == 2 else [f"w{j + 1}" for j in range(d)]))
        df = pd.DataFrame({
            "series": name,
            "label": title(tr.optimizer),
            "optimizer": tr.optimizer,
            "step": np.repeat(t, d),
            "param": np.tile(names, len(t)),
            "eff_lr": np.maximum(eff.ravel(), LOG_FLOOR),
        })
        frames.append(df[np.repeat(alive, d)])
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    dim = next(iter(traces.values())).dim if traces else 0
    if most is not None and dim > 6 and not out.empty:
        keep = {f"w{j + 1}" for j in np.linspace(0, dim - 1, most).astype(int)}
        out = out[out["param"].isin(keep)]
    return out


def eff_lr_table(traces: Mapping[str, Trace], param_names=None) -> pd.DataFrame:
    """Each optimiser's effective learning rate at the first and the last step (per parameter in
    2-D, their spread with more parameters)."""
    rows = []
    for opt, tr in traces.items():
        first, last = tr.eff_lr[0, 0], tr.eff_lr[-1, 0]
        if param_names:
            row = {**{f"first step ({n})": f"{v:.3g}" for n, v in zip(param_names, first)},
                   **{f"last step ({n})": f"{v:.3g}" for n, v in zip(param_names, last)}}
        else:
            row = {"first step (min)": f"{first.min():.3g}", "first step (max)": f"{first.max():.3g}",
                   "last step (min)": f"{last.min():.3g}", "last step (max)": f"{last.max():.3g}"}
        rows.append({"optimiser": title(opt), **row})
    return pd.DataFrame(rows)


def final_summary(final: pd.DataFrame) -> pd.DataFrame:
    """Per optimiser (``final_frame``'s labels): the median and the 10% and 90% quantiles of the
    final loss, and how many runs diverged."""
    grouped = final.groupby("label", sort=False)
    summary = pd.DataFrame({
        "median final f": grouped["final_loss"].median(),
        "10% quantile": grouped["final_loss"].quantile(0.1),
        "90% quantile": grouped["final_loss"].quantile(0.9),
        "diverged runs": grouped["stopped_at"].agg(lambda v: int((v >= 0).sum())),
    })
    summary.index.name = "optimiser"
    return summary


def _first_updates(trace: Trace, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(steps, per-update rows) of the recorded updates at steps 1..n (every one of them, or
    every k-th of a thinned record)."""
    rows = np.flatnonzero(trace.t_update <= n)
    return trace.t_update[rows], rows


def moment_frames(trace: Trace, beta1: float, beta2: float, n: int, names) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adam's raw moments m and v of run 0 over the first ``n`` steps beside their bias-corrected
    m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ), for the parameters ``names`` (the first ones)."""
    t, rows = _first_updates(trace, n)
    out = []
    for what, raw, decay in (("m", trace.state["m"][rows, 0], beta1), ("v", trace.state["v"][rows, 0], beta2)):
        corrected = raw / (1 - decay ** t)[:, None]
        rows = []
        for j, p in enumerate(names):
            rows.append(pd.DataFrame({"step": t, "value": raw[:, j], "series": what, "param": p,
                                      "label": f"{what} (raw)", "optimizer": "adam_raw"}))
            rows.append(pd.DataFrame({"step": t, "value": corrected[:, j], "series": f"{what}_hat", "param": p,
                                      "label": f"{what}̂ (corrected)", "optimizer": "adam"}))
        frame = pd.concat(rows, ignore_index=True)
        if what == "v":
            frame["value"] = np.maximum(frame["value"], LOG_FLOOR)
        out.append(frame)
    return out[0], out[1]


def step_length_frame(traces: Mapping[str, tuple[str, Trace]], n: int) -> pd.DataFrame:
    """|Δθ| of run 0 over the first ``n`` steps: ``{label: (colour's optimiser, trace)}``."""
    out = []
    for label, (opt, tr) in traces.items():
        t, rows = _first_updates(tr, n)
        size = np.maximum(np.sqrt((tr.delta[rows, 0] ** 2).sum(-1)), LOG_FLOOR)
        out.append(pd.DataFrame({"step": t, "size": size, "series": label, "label": label, "optimizer": opt}))
    return pd.concat(out, ignore_index=True)


def beta2_frame(sweep: Trace) -> pd.DataFrame:
    """|Δθ| against the step for each run of a sweep over β₂ and bias correction."""
    size = np.sqrt((sweep.delta ** 2).sum(-1))  # (n, runs)
    t = sweep.t_update
    rows = []
    for r, (b, bc) in enumerate(zip(sweep.hyper["beta2"], sweep.hyper["bias_correction"])):
        label = f"β₂ = {float(b):g}"
        rows.append(pd.DataFrame({"step": t, "size": np.maximum(size[:, r], LOG_FLOOR), "label": label,
                                  "series": label, "optimizer": "adam",
                                  "correction": "corrected" if bc else "no correction"}))
    return pd.concat(rows, ignore_index=True)


def per_parameter_frame(traces: Mapping[str, Trace], objective: Objective) -> pd.DataFrame:
    """Per weight of a sparse problem: its feature's frequency, the effective learning rate it
    got (median over the second half of the run and over seeds) and its final error (median over
    seeds)."""
    w_star = np.asarray(objective.minima[0])
    rows = []
    for o, tr in traces.items():
        half = tr.eff_lr[tr.eff_lr.shape[0] // 2:]  # (n/2, runs, D)
        rows.append(pd.DataFrame({
            "series": o, "label": title(o), "optimizer": o, "freq": objective.feature_freq,
            "param": [f"w{j + 1}" for j in range(objective.dim)],
            "eff_lr": np.maximum(np.median(half, axis=(0, 1)), LOG_FLOOR),
            "error": np.maximum(np.median(np.abs(tr.final_params - w_star), axis=0), 1e-6)}))
    return pd.concat(rows, ignore_index=True)


def sensitivity_frames(traces: Mapping[str, Trace], lrs: Mapping[str, np.ndarray], n_seeds: int,
                       objective: Objective, ceiling: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Learning-rate sweeps (runs learning-rate major, ``n_seeds`` seeds each) as the chart's two
    tables: per (optimiser, learning rate) the median and band of the final gap and the diverged
    runs; per optimiser its best learning rate and the span within 2x of its loss."""
    rows, best_rows = [], []
    for opt, tr in traces.items():
        grid = np.asarray(lrs[opt])
        sens = analysis.sensitivity(tr, grid, n_seeds, objective.fmin, ceiling, floor=LOG_FLOOR)
        rows.append(pd.DataFrame({"series": opt, "label": title(opt), "optimizer": opt, "lr": grid,
                                  "median": sens.median, "lo": sens.lo, "hi": sens.hi,
                                  "diverged": sens.diverged, "top": ceiling}))
        if sens.best is not None:
            lo, hi = sens.span
            half = np.sqrt(grid[1] / grid[0])  # the shaded span reaches half a grid step beyond its ends
            best_rows.append({"series": opt, "label": title(opt), "optimizer": opt, "best_lr": sens.best_lr,
                              "best_loss": sens.median[sens.best], "lr_lo": grid[lo], "lr_hi": grid[hi],
                              "edge_lo": grid[lo] / half, "edge_hi": grid[hi] * half, "decades": sens.decades})
    return pd.concat(rows, ignore_index=True), pd.DataFrame(best_rows)


def sensitivity_table(best: pd.DataFrame) -> pd.DataFrame:
    """The best learning rates as a table a student reads."""
    table = best[["label", "best_lr", "best_loss", "lr_lo", "lr_hi", "decades"]].rename(columns={
        "label": "optimiser", "best_lr": "best η", "best_loss": "median final f − f*",
        "lr_lo": "2× range from", "lr_hi": "2× range to", "decades": "width (decades)"})
    return table


def pull_frame(traces: Mapping[str, Trace], labels: Mapping[str, str], l2: np.ndarray) -> pd.DataFrame:
    """How far weight decay pulled each weight of a 2-D run from its optimum 1 (``1 - final``,
    the final value averaged over the last tenth of the run: noise makes single iterates jitter),
    beside the exact L2-regularised minimum ``l2``."""
    rows = []
    for opt, tr in traces.items():
        tail = claims.tail_mean(tr)
        for j, name in enumerate("xy"):
            rows.append({"series": opt, "label": labels[opt], "optimizer": opt, "weight": name,
                         "final": tail[j], "pull": 1.0 - tail[j]})
    for j, name in enumerate("xy"):
        rows.append({"series": "l2", "label": "L2 minimum (exact)", "optimizer": "sgd", "weight": name,
                     "final": l2[j], "pull": 1.0 - l2[j]})
    return pd.DataFrame(rows)


def pull_table(pulls: pd.DataFrame, steps: int) -> pd.DataFrame:
    """Where each run is (the mean of its last tenth, as ``pull_frame``), beside the L2 minimum."""
    first = steps - max((steps + 1) // claims.TAIL, 1) + 1
    return pulls.pivot(index="label", columns="weight", values="final").rename(
        columns={"x": f"x (mean of steps {first}–{steps})", "y": f"y (mean of steps {first}–{steps})"})


def schedule_frame(factors: np.ndarray, max_points: int = 2000) -> pd.DataFrame:
    """A schedule's learning-rate factor per step (steps 1..T), thinned to ``max_points``."""
    t = np.arange(1, len(factors) + 1)
    curve = pd.DataFrame({"series": "factor", "label": "η_t / η", "optimizer": "sgd", "step": t, "factor": factors})
    return curve.iloc[keep_index(len(curve), max_points)]


def baselines_frame(traces: Mapping[str, Trace], paths: Mapping[str, BaselinePath],
                    objective: Objective) -> pd.DataFrame:
    """The first-order runs and the scipy paths in one frame, against evaluations (a first-order
    step is one gradient evaluation), each with its ``family``."""
    first = path_frame(traces, objective, max_points=1500)
    first["evals"] = first["step"].clip(lower=1)
    first["family"] = "first-order"
    rows = []
    for m, p in paths.items():
        df = pd.DataFrame({"series": m, "label": m, "optimizer": m, "run": 0, "seed": 0,
                           "step": np.arange(len(p.loss)), "loss": p.loss, "gap": _gap(p.loss, objective),
                           "dist": _dist(p.params, objective), "evals": np.maximum(p.evaluations, 1),
                           "family": "scipy"})
        if objective.dim == 2:
            df["x"], df["y"] = p.params[:, 0], p.params[:, 1]
        rows.append(df)
    return pd.concat([first, *rows], ignore_index=True)


def evaluations_table(traces: Mapping[str, Trace], paths: Mapping[str, BaselinePath]) -> pd.DataFrame:
    """Iterations, evaluations and final f of every scipy method and first-order run."""
    return pd.DataFrame(
        [{"method": m, "iterations": len(p.loss) - 1, "function evals": int(p.nfev[-1]),
          "gradient evals": int(p.njev[-1]), "Hessian evals": int(p.nhev[-1]), "final f": float(p.loss[-1]),
          "converged": p.success} for m, p in paths.items()]
        + [{"method": title(o), "iterations": t.steps, "function evals": 0, "gradient evals": int(t.n_grad[0]),
            "Hessian evals": 0, "final f": float(t.final_loss[0]), "converged": None} for o, t in traces.items()])


def final_frame(traces: Mapping[str, Trace]) -> pd.DataFrame:
    """One row per (series, run): final loss, where it stopped, its hyperparameters."""
    rows = []
    for name, tr in traces.items():
        for r in range(tr.runs):
            rows.append({"series": name, "label": title(tr.optimizer), "run": r,
                         "seed": int(tr.seed[r]), "final_loss": float(tr.final_loss[r]),
                         "stopped_at": int(tr.stopped_at[r]),
                         **{k: float(v[r]) for k, v in tr.hyper.items()}})
    return pd.DataFrame(rows)


def divergence_messages(traces: Mapping[str, Trace], labels: Mapping[str, str] | None = None) -> list[str]:
    """Plain sentences naming every run that diverged and where it was stopped."""
    out = []
    for name, tr in traces.items():
        stopped = tr.stopped_at[tr.stopped_at >= 0]
        if stopped.size == 0:
            continue
        label = (labels or {}).get(name, title(tr.optimizer))
        if tr.runs == 1:
            s = int(stopped[0])
            out.append(f"**{label}** diverged at step {s} (its parameters left ±1e6 or stopped "
                       f"being finite); it is drawn up to step {s - 1}. Try a smaller learning rate.")
        else:
            out.append(f"**{label}**: {stopped.size} of {tr.runs} runs diverged (first at step "
                       f"{int(stopped.min())}); each is drawn up to its last good step.")
    return out


# ---------------------------------------------------------------------------
# Hyperparameter maps
# ---------------------------------------------------------------------------

MEASURE_TITLES = {"gap": "median final f − f*", "steps": "median steps to f − f* ≤ {tol}",
                  "diverged": "seeds that diverged"}


def _edges(centres: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's two edges, halfway (geometrically on a log axis) to its neighbours."""
    c = np.log10(centres) if log else np.asarray(centres, dtype=float)
    if len(c) > 1:
        mid = (c[1:] + c[:-1]) / 2
        lo, hi = np.r_[2 * c[0] - mid[0], mid], np.r_[mid, 2 * c[-1] - mid[-1]]
    else:
        lo, hi = c - 0.5, c + 0.5
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    return (10 ** lo, 10 ** hi) if log else (lo, hi)


def hypermap_frames(maps: Mapping[str, analysis.HyperMap], measure: str,
                    shown: tuple[str, float, float | None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The maps as two tables for a chart: one row per cell (its η and main value, its edges on
    the map's axes, the measure's ``value`` where finite, the three outcomes and a ``status``:
    "diverged", "not reached" or ""), and the framed cells (``kind`` "best" per map, "shown" for
    the run drawn on the path map)."""
    rows, marks = [], []
    for opt, m in maps.items():
        n_lr, n_y = m.shape
        x0, x1 = _edges(m.lrs, log=True)
        main, _ = analysis.main_of(opt)
        if m.ys is None:
            y0, y1, ys = np.zeros(1), np.ones(1), np.full(1, np.nan)
        else:
            a = analysis.axis_value(opt, m.ys)
            y0, y1 = _edges(a, log=main.scale != "linear")
            ys = m.ys
        ii, jj = np.meshgrid(np.arange(n_lr), np.arange(n_y), indexing="ij")
        ii, jj = ii.ravel(), jj.ravel()
        value = m.values(measure).ravel()
        if measure == "steps":
            value = np.maximum(value, 1.0)  # drawn on a log scale (the tooltip's steps are the real ones)
        gap, steps, div = m.gap.ravel(), m.steps.ravel(), m.diverged.ravel()
        status = np.where(~np.isfinite(value) & (div >= 0.5), "diverged",
                          np.where(~np.isfinite(value), "not reached", ""))
        rows.append(pd.DataFrame({
            "series": opt, "label": title(opt), "optimizer": opt, "lr": m.lrs[ii], "h2": ys[jj],
            "x0": x0[ii], "x1": x1[ii], "y0": y0[jj], "y1": y1[jj],
            "value": np.where(np.isfinite(value), value, np.nan), "gap": np.where(np.isfinite(gap), gap, np.nan),
            "steps": np.where(np.isfinite(steps), steps, np.nan), "diverged": div, "status": status}))
        cells = [("best", m.best(measure))]
        if shown is not None and shown[0] == opt:
            cells.append(("shown", analysis.nearest_cell(m, shown[1], shown[2])))
        for kind, cell in cells:
            if cell is None:
                continue
            i, j = cell
            marks.append({"series": opt, "kind": kind, "lr": m.lrs[i], "h2": ys[j], "x0": x0[i], "x1": x1[i],
                          "y0": y0[j], "y1": y1[j]})
    cols = ["series", "kind", "lr", "h2", "x0", "x1", "y0", "y1"]
    return pd.concat(rows, ignore_index=True), pd.DataFrame(marks, columns=cols)


def hypermap_theory(maps: Mapping[str, analysis.HyperMap], objective: Objective) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What theory says on a quadratic, drawn over the maps of the optimisers it covers: the
    stability edge (a line of η against the main value; vertical on a strip) and the optimum
    (η*, μ*) (one point per map). Empty tables on any other objective."""
    lines, points = [], []
    mL = curvatures(objective)
    for opt, m in maps.items():
        law = OPTIMIZERS[opt].theory
        if law is None or mL is None:
            continue
        m_min, L = mL
        eta_star, h_star = law.optimum(m_min, L)
        if m.ys is None:
            edge = float(law.edge(0.0, L))
            lines += [{"series": opt, "eta": edge, "y": y, "what": f"stability edge ({law.edge_text})"}
                      for y in (0.0, 1.0)]
            points.append({"series": opt, "eta": eta_star, "y": 0.5, "h2": np.nan,
                           "what": f"theory's optimum ({law.optimum_text})"})
            continue
        a = analysis.axis_value(opt, m.ys)
        grid = np.logspace(np.log10(a.min()), np.log10(a.max()), 80)
        mu = 1.0 - grid
        lines += [{"series": opt, "eta": float(e), "y": float(y), "what": f"stability edge ({law.edge_text})"}
                  for e, y in zip(law.edge(mu, L), grid)]
        points.append({"series": opt, "eta": eta_star, "y": float(analysis.axis_value(opt, h_star)), "h2": h_star,
                       "what": f"theory's optimum ({law.optimum_text})"})
    return (pd.DataFrame(lines, columns=["series", "eta", "y", "what"]),
            pd.DataFrame(points, columns=["series", "eta", "y", "h2", "what"]))


def hypermap_table(maps: Mapping[str, analysis.HyperMap], measure: str) -> pd.DataFrame:
    """Each map's best cell and good region, as a table a student reads."""
    rows = []
    for opt, m in maps.items():
        best = m.best(measure)
        _, symbol = analysis.main_of(opt)
        good = m.good(measure)
        row = {"optimiser": title(opt), "best η": m.lrs[best[0]] if best else np.nan,
               "best of its second": (f"{symbol} = {claims.value_text(opt, m.ys[best[1]])}" if best and symbol
                                      else "(η alone)" if best else ""),
               "median final f − f*": m.gap[best] if best else np.nan}
        if measure == "steps":
            row["median steps to tol"] = m.steps[best] if best else np.nan
        row.update({"good cells": f"{int(good.sum())} of {good.size}", "η span (decades)": m.span(good)})
        rows.append(row)
    return pd.DataFrame(rows)


def hypermap_export(maps: Mapping[str, analysis.HyperMap]) -> pd.DataFrame:
    """Every cell of every map with its three outcomes (the CSV of the share panel)."""
    rows = []
    for opt, m in maps.items():
        main, _ = analysis.main_of(opt)
        ii, jj = np.meshgrid(np.arange(m.shape[0]), np.arange(m.shape[1]), indexing="ij")
        rows.append(pd.DataFrame({
            "optimizer": opt, "lr": m.lrs[ii.ravel()],
            "hyperparameter": main.name if main else "",
            "value": m.ys[jj.ravel()] if m.ys is not None else np.nan,
            "median_final_gap": m.gap.ravel(), "median_steps_to_tol": m.steps.ravel(),
            "tolerance": m.tol, "diverged_share": m.diverged.ravel()}))
    return pd.concat(rows, ignore_index=True)


def hypermap_domain(maps: Mapping[str, analysis.HyperMap], measure: str, ceiling_factor: float) -> tuple[float, float]:
    """The colour scale's range, shared by every map: the measure's finite values over all of
    them (a final loss capped at ``ceiling_factor`` times the largest starting gap); 0-1 for the
    share that diverged."""
    if measure == "diverged":
        return 0.0, 1.0
    values = np.concatenate([m.values(measure).ravel() for m in maps.values()])
    values = values[np.isfinite(values)]
    if measure == "steps":
        values = np.maximum(values, 1.0)  # a log scale: a run that starts within the tolerance counts as 1
    if not values.size:
        return 1.0, 10.0
    lo, hi = float(values.min()), float(values.max())
    if measure == "gap":
        hi = min(hi, ceiling_factor * max(m.start_gap for m in maps.values()))
    if hi <= lo * 1.0001:
        lo, hi = lo / 2, hi * 2
    return lo, hi


def hypermap_csv(traces: Mapping[str, Trace], axes: Mapping[str, tuple], n_seeds: int, fmin: float,
                 tol: float) -> pd.DataFrame:
    """The share panel's table of every cell (``hypermap_export``), from the maps' traces."""
    return hypermap_export({o: analysis.hyper_map(tr, *axes[o], n_seeds, fmin, tol, floor=LOG_FLOOR)
                            for o, tr in traces.items()})
