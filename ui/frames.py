"""Traces -> tidy DataFrames for the charts (pure: numpy and pandas, no Streamlit).

Rows after a run's stop are left out, so a diverged run is drawn up to the last
step where it was still finite and bounded. Long runs are thinned to at most
``max_points`` rows per run (the first, last and stop steps are always kept).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from engine import OPTIMIZERS, Objective, Trace

LOG_FLOOR = 1e-12  # gaps below this are drawn at this value on log axes


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
    """Distance to the nearest minimum, floored for log axes."""
    return np.maximum(objective.distance_to_minimum(params), LOG_FLOOR)


def path_frame(traces: Mapping[str, Trace], objective: Objective, max_points: int = 1500,
               labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per (series, run, recorded step): position, loss, gap to f*, distance to a minimum.

    ``traces`` maps a series name (usually the optimiser) to its trace; ``labels``
    gives the legend text (default: the optimiser's title).
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
            "optimizer": tr.optimizer,
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
                 param_names=None) -> pd.DataFrame:
    """Effective per-parameter learning rate of one run: one row per (series, step, parameter)."""
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
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
