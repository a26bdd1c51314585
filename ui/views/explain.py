"""One step, explained: the update at step t drawn as arrows and filled in with its numbers.

``step_explainer(traces, bounds)`` turns traces recorded with ``record_state`` into

* **arrows** from θ_{t−1} for the first run of every series at every step of the run (the
  player can show any step, and the arrows must be those of the step it shows): the step
  actually taken Δθ_t = θ_t − θ_{t−1}, the negative gradient −g_t (noise included, as the
  optimiser saw it), and the optimiser's running direction where it has one (−b_t for Momentum,
  −(g_t + μ b_t) for Nesterov, −m̂_t for the Adam family, Lion's −c_t = −(β₁ m_{t−1} + (1−β₁) g_t)).
  Each kind has its own scale, a round number chosen so that its typical arrow is about a
  seventh of the map (a gradient 100× the step stays readable, and the step stays visible);
  the legend states it. An arrow longer than a third of the map is cut to that length (a huge
  gradient) and said to be; a stopped run has no arrows after its last good step. One row per
  series and step (θ_{t−1} and each kind's drawn vector, to ``ARROW_DIGITS`` digits of the map):
  the chart draws the shafts and heads of the step shown (``charts.arrow_layer``).
* **a panel** for the first series: its update rule's quantities, per coordinate, at every step
  (g_t, the moments or buffers, the bias corrections, m̂_t and v̂_t, the denominator, the
  effective learning rate, Δθ_t), which the chart component shows for the player's step.

Every number comes from the trace (the engine's own state after each update); the derived rows
(bias corrections, m̂, v̂, denominators) are the formulas the panel prints, applied to it, for
all steps at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import OPTIMIZERS, Trace

from .frames import _alive
from .optimizers import VIEWS

STEP_KIND, GRAD_KIND, DIRECTION_KIND = "step", "gradient", "direction"
KIND_TITLES = {STEP_KIND: "Δθ step taken", GRAD_KIND: "−g gradient", DIRECTION_KIND: "running direction"}
VECTOR = {STEP_KIND: ("sx", "sy"), GRAD_KIND: ("gx", "gy"), DIRECTION_KIND: ("dx", "dy")}  # arrow columns
TYPICAL = 1 / 7  # of the map's smaller side: a kind's 90th-percentile arrow
LONGEST = 1 / 3  # of the map's smaller side: longer arrows are cut to this
HEAD = 0.03  # arrowhead barbs, of the map's box
HEAD_ANGLE = 155  # degrees between the shaft and each barb
ARROW_DIGITS = 4  # an arrow's vector is sent to 1/10^4 of the map's side: finer than a pixel
PANEL_DIGITS = 4  # significant digits of the panel's numbers: what it prints
ARROW_DASHES = {STEP_KIND: [1, 0], GRAD_KIND: [7, 4], DIRECTION_KIND: [2, 3]}  # solid, dashed, dotted


@dataclass(frozen=True)
class Explainer:
    arrows: pd.DataFrame  # one row per (series, step): i, step, x, y (θ_{t−1}), each kind's drawn vector
    series: tuple  # (name, label, optimizer) of the series ``arrows["i"]`` numbers
    box: tuple  # the map's box ((x0, x1), (y0, y1)): the heads are drawn in its proportions
    scales: dict  # kind -> the factor its arrows are drawn at
    legend: dict  # kind -> its legend text (with the scale)
    panel: dict  # what the chart component shows beside the map (see ``panel``)


# ---------------------------------------------------------------------------
# One update's quantities, per optimiser
# ---------------------------------------------------------------------------

class _Ctx:
    """The updates of run 0 at per-update rows ``i`` (steps ``t``), all at once: per-coordinate
    quantities are ``(n, D)`` arrays, per-step ones ``(n, 1)``."""

    def __init__(self, tr: Trace, i: np.ndarray, t: np.ndarray):
        self.tr, self.i = tr, i
        self.t = np.asarray(t, dtype=float)[:, None]
        self.g = tr.grads[i, 0]
        self.delta = tr.delta[i, 0]
        self.eff = tr.eff_lr[i, 0]

    def h(self, name: str) -> float:
        return float(np.asarray(self.tr.hyper[name]).reshape(-1)[0])

    def s(self, name: str) -> np.ndarray:
        return self.tr.state[name][self.i, 0]

    @property
    def lr_t(self) -> np.ndarray:
        return self.h("lr") * self.tr.lr_factors[self.t.astype(int) - 1]


def rows_over(optimizer: str, tr: Trace, i: np.ndarray, t: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The panel's rows for the per-update rows ``i`` (steps ``t``) of run 0: their labels and
    their values, ``(len(i), rows, D)``."""
    ctx = _Ctx(tr, i, t)
    shape = (len(i), tr.params.shape[-1])
    rows = [("g_t gradient", lambda c: c.g), *VIEWS[optimizer].rows(ctx),
            ("η_t learning rate", lambda c: c.lr_t), ("effective η", lambda c: c.eff),
            ("Δθ_t step", lambda c: c.delta)]
    with np.errstate(all="ignore"):
        values = [np.broadcast_to(np.asarray(fn(ctx), dtype=float), shape) for _, fn in rows]
    return [label for label, _ in rows], np.stack(values, axis=1) if values else np.empty((len(i), 0, shape[1]))


# ---------------------------------------------------------------------------
# Arrows and the panel
# ---------------------------------------------------------------------------


def _nice(x: float) -> float:
    """The largest 1, 2 or 5 times a power of ten at most ``x``."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    p = 10.0 ** np.floor(np.log10(x))
    return float(max(m for m in (1.0, 2.0, 5.0) if m * p <= x * (1 + 1e-9)) * p)


def _scale_text(s: float) -> str:
    return f"×{s:.0e}".replace("e+0", "e").replace("e-0", "e-") if (s >= 1e4 or s < 1e-3) else f"×{s:g}"


def _updates(tr: Trace) -> tuple[np.ndarray, np.ndarray]:
    """(steps, per-update rows) of run 0: every recorded update before its stop."""
    t = tr.t_update
    alive = _alive(tr, t)[:, 0]
    return t[alive], np.flatnonzero(alive)


def step_explainer(traces: Mapping[str, Trace], bounds, labels: Mapping[str, str] | None = None) -> Explainer:
    """Arrows for every series and the panel for the first one (see the module docstring).
    ``traces`` must be recorded with ``record_state`` and full records; ``bounds`` is the map's box."""
    (x0, x1), (y0, y1) = bounds
    side = min(x1 - x0, y1 - y0)
    series, vectors = [], {STEP_KIND: [], GRAD_KIND: [], DIRECTION_KIND: []}
    for name, tr in traces.items():
        if tr.params is None or tr.params.shape[-1] != 2:
            continue
        steps, rows = _updates(tr)
        ctx = _Ctx(tr, rows, steps)
        k = len(series)
        series.append((name, (labels or {}).get(name, OPTIMIZERS[tr.optimizer].title), tr.optimizer))
        start = tr.params[rows + 1, 0] - ctx.delta  # θ_{t−1}
        towards = VIEWS[tr.optimizer].direction
        with np.errstate(all="ignore"):
            direction = towards(ctx) if towards else None
        for kind, v in ((STEP_KIND, ctx.delta), (GRAD_KIND, -ctx.g), (DIRECTION_KIND, direction)):
            vectors[kind].append((k, steps, start, v))
    scales, legend = {}, {}
    for kind, items in vectors.items():
        lengths = np.concatenate([np.hypot(*v.T) for *_, v in items if v is not None] or [np.empty(0)])
        if not any(v is not None for *_, v in items):
            continue
        finite = lengths[np.isfinite(lengths) & (lengths > 0)]
        scales[kind] = _nice(TYPICAL * side / np.quantile(finite, 0.9)) if finite.size else 1.0
        dirs = sorted({VIEWS[series[k][2]].direction_name for k, *_ in items} - {""})
        what = f"{KIND_TITLES[kind]} ({', '.join(dirs)})" if kind == DIRECTION_KIND else KIND_TITLES[kind]
        legend[kind] = f"{what} {_scale_text(scales[kind])}"
    decimals = int(np.ceil(ARROW_DIGITS - np.log10(side)))
    frames = []
    for k in range(len(series)):
        steps, start = vectors[STEP_KIND][k][1], vectors[STEP_KIND][k][2]
        cols = {"i": np.full(len(steps), k), "step": steps.astype(int), "x": start[:, 0], "y": start[:, 1]}
        for kind in legend:
            v = vectors[kind][k][3]
            drawn = np.full(start.shape, np.nan) if v is None else v * scales[kind]
            with np.errstate(all="ignore"):
                length = np.hypot(*drawn.T)
                cut = length > LONGEST * side
                drawn[cut] *= (LONGEST * side / length[cut])[:, None]
            drawn = np.round(drawn, decimals)
            cols[VECTOR[kind][0]], cols[VECTOR[kind][1]] = drawn[:, 0], drawn[:, 1]
        frame = pd.DataFrame(cols)
        frames.append(frame[np.isfinite(start).all(axis=1)])
    columns = ["i", "step", "x", "y", *(c for kind in legend for c in VECTOR[kind])]
    arrows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    first = next(iter(traces.items()), None)
    shown = panel(*first, labels=labels) if first else {}
    if shown:
        shown["arrows"] = [{"label": legend[k], "dash": ARROW_DASHES[k]} for k in ARROW_DASHES if k in legend]
    return Explainer(arrows[columns], tuple(series), ((x0, x1), (y0, y1)), scales, legend, shown)


def panel(name: str, tr: Trace, labels: Mapping[str, str] | None = None) -> dict:
    """The chart component's panel: ``{"title", "coords", "labels", "steps", "values"}`` with
    ``values[k][r][j]`` the value of row ``r`` for coordinate ``j`` at ``steps[k]``: every step
    of run 1 up to its stop (the component shows the last one up to the player's step)."""
    if tr.params is None or tr.grads is None:
        return {}
    steps, rows = _updates(tr)
    d = tr.params.shape[-1]
    coords = ["x", "y"] if d == 2 else [f"w{j + 1}" for j in range(d)]
    row_labels, values = rows_over(tr.optimizer, tr, rows, steps)
    title = (labels or {}).get(name, OPTIMIZERS[tr.optimizer].title)
    stop = int(tr.stopped_at[0])
    return {"title": title, "optimizer": tr.optimizer, "coords": coords, "labels": row_labels,
            "steps": [int(t) for t in steps], "values": _shown(values),
            "note": (f"Run 1 stopped at step {stop}: no update after step {stop - 1}." if stop >= 0 else "")}


def _shown(values: np.ndarray) -> list:
    """``values`` as the panel shows them, ``PANEL_DIGITS`` significant digits (the component
    prints ``toPrecision(4)``): nested lists, ``None`` where not finite. Rounded once here, the
    printed digits are the engine number's own (no second rounding), and the JSON is shorter."""
    out = np.asarray(values, dtype=float)
    ok = np.isfinite(out) & (out != 0)
    v = out[ok]
    keep = PANEL_DIGITS - 1 - np.floor(np.log10(np.abs(v))).astype(int)  # decimals kept
    r = np.empty_like(v)
    up, down = (keep >= 0) & (keep <= 22), (keep < 0) & (keep >= -22)  # 10**k is exact for |k| <= 22
    r[up] = np.round(v[up] * 10.0 ** keep[up]) / 10.0 ** keep[up]
    r[down] = np.round(v[down] / 10.0 ** -keep[down]) * 10.0 ** -keep[down]
    rest = ~(up | down)
    r[rest] = [float(f"{a:.{PANEL_DIGITS}g}") for a in v[rest]]
    out[ok] = r
    shown = out.astype(object)
    shown[~np.isfinite(out)] = None
    return shown.tolist()


def only(explainer: Explainer, series: str) -> Explainer:
    """The arrows of one series (for a figure with one map per series); the panel is kept."""
    k = next((k for k, (name, *_) in enumerate(explainer.series) if name == series), -1)
    return dataclasses.replace(explainer, arrows=explainer.arrows[explainer.arrows["i"] == k])
