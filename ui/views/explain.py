"""One step, explained: the update at step t drawn as arrows and filled in with its numbers.

``step_explainer(traces, path, bounds)`` turns traces recorded with ``record_state`` into

* **arrows** from θ_{t−1} for the first run of every series at every step the map draws: the
  step actually taken Δθ_t = θ_t − θ_{t−1}, the negative gradient −g_t (noise included, as the
  optimiser saw it), and the optimiser's running direction where it has one (−b_t for Momentum,
  −(g_t + μ b_t) for Nesterov, −m̂_t for the Adam family, Lion's −c_t = −(β₁ m_{t−1} + (1−β₁) g_t)).
  Each kind has its own scale, a round number chosen so that its typical arrow is about a
  seventh of the map (a gradient 100× the step stays readable, and the step stays visible);
  the legend states it. An arrow longer than a third of the map is cut to that length (a huge
  gradient) and said to be; a stopped run has no arrows after its last good step.
* **a panel** for the first series: its update rule's quantities, per coordinate, at every drawn
  step (g_t, the moments or buffers, the bias corrections, m̂_t and v̂_t, the denominator, the
  effective learning rate, Δθ_t), which the chart component shows for the player's step.

Every number comes from the trace (the engine's own state after each update); the derived rows
(bias corrections, m̂, v̂, denominators) are the formulas the panel prints, applied to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import OPTIMIZERS, Trace

from .frames import _alive, _drawn_steps

STEP_KIND, GRAD_KIND, DIRECTION_KIND = "step", "gradient", "direction"
KIND_TITLES = {STEP_KIND: "Δθ step taken", GRAD_KIND: "−g gradient", DIRECTION_KIND: "running direction"}
TYPICAL = 1 / 7  # of the map's smaller side: a kind's 90th-percentile arrow
LONGEST = 1 / 3  # of the map's smaller side: longer arrows are cut to this
HEAD = 0.03  # arrowhead barbs, of the map's box
MAX_PANEL_STEPS = 1500
ARROW_DASHES = {STEP_KIND: [1, 0], GRAD_KIND: [7, 4], DIRECTION_KIND: [2, 3]}  # solid, dashed, dotted


@dataclass(frozen=True)
class Explainer:
    arrows: pd.DataFrame  # series, label, optimizer, step, kind, part, x, y, x2, y2, cut
    scales: dict  # kind -> the factor its arrows are drawn at
    legend: dict  # kind -> its legend text (with the scale)
    panel: dict  # what the chart component shows beside the map (see ``panel``)


# ---------------------------------------------------------------------------
# One update's quantities, per optimiser
# ---------------------------------------------------------------------------

Row = tuple[str, Callable]  # label, f(ctx) -> (D,) array or a scalar


class _Ctx:
    """The update that made step ``t`` of run 0 (``i``: its row in the per-update arrays)."""

    def __init__(self, tr: Trace, i: int, t: int):
        self.tr, self.i, self.t = tr, i, t
        self.g = tr.grads[i, 0]
        self.delta = tr.delta[i, 0]
        self.eff = tr.eff_lr[i, 0]

    def h(self, name: str) -> float:
        return float(np.asarray(self.tr.hyper[name]).reshape(-1)[0])

    def s(self, name: str) -> np.ndarray:
        return self.tr.state[name][self.i, 0]

    @property
    def lr_t(self) -> float:
        return self.h("lr") * float(self.tr.lr_factors[self.t - 1])


def _bias(ctx: _Ctx, beta: str) -> float:
    """1 − βᵗ at the update's step."""
    return 1.0 - ctx.h(beta) ** ctx.t


def _bc(ctx: _Ctx, beta: str) -> float:
    """Adam's and AdamW's correction: 1 − βᵗ, or 1 with ``bias_correction`` off."""
    return _bias(ctx, beta) if ctx.h("bias_correction") else 1.0


def _adam_rows(ctx: _Ctx) -> list[Row]:
    corrected = bool(ctx.h("bias_correction"))
    second = "v_max" if ctx.h("amsgrad") else "v"
    rows = [("m_t = β₁m + (1−β₁)g", lambda c: c.s("m")), ("v_t = β₂v + (1−β₂)g²", lambda c: c.s("v"))]
    if ctx.h("amsgrad"):
        rows.append(("max(v) (AMSGrad)", lambda c: c.s("v_max")))
    if corrected:
        rows += [("1 − β₁ᵗ", lambda c: _bc(c, "beta1")), ("1 − β₂ᵗ", lambda c: _bc(c, "beta2")),
                 ("m̂_t = m_t/(1 − β₁ᵗ)", lambda c: c.s("m") / _bc(c, "beta1")),
                 ("v̂_t = v_t/(1 − β₂ᵗ)", lambda c: c.s(second) / _bc(c, "beta2"))]
    rows.append(("√v̂_t + ε" if corrected else "√v_t + ε",
                 lambda c: np.sqrt(c.s(second) / _bc(c, "beta2")) + c.h("eps")))
    return rows


def _rows(optimizer: str, ctx: _Ctx) -> list[Row]:
    """The quantities between g_t and Δθ_t, in the order the update computes them."""
    if optimizer in ("adam", "adamw"):
        return _adam_rows(ctx)
    if optimizer in ("momentum", "nesterov"):
        rows = [("b_t = μb + g", lambda c: c.s("buf"))]
        if optimizer == "nesterov":
            rows.append(("g + μb_t", lambda c: c.g + c.h("momentum") * c.s("buf")))
        return rows
    if optimizer == "adagrad":
        return [("G_t = G + g²", lambda c: c.s("sum_sq")), ("√G_t + ε", lambda c: np.sqrt(c.s("sum_sq")) + c.h("eps"))]
    if optimizer == "rmsprop":
        if ctx.h("centered"):
            return [("v_t = ρv + (1−ρ)g²", lambda c: c.s("v")), ("ḡ_t = ρḡ + (1−ρ)g", lambda c: c.s("g_avg")),
                    ("√(v_t − ḡ_t²) + ε", lambda c: np.sqrt(c.s("v") - c.s("g_avg") ** 2) + c.h("eps"))]
        return [("v_t = ρv + (1−ρ)g²", lambda c: c.s("v")), ("√v_t + ε", lambda c: np.sqrt(c.s("v")) + c.h("eps"))]
    if optimizer in ("nadam", "radam"):
        return [("m_t = β₁m + (1−β₁)g", lambda c: c.s("m")), ("v_t = β₂v + (1−β₂)g²", lambda c: c.s("v")),
                ("1 − β₁ᵗ", lambda c: _bias(c, "beta1")), ("1 − β₂ᵗ", lambda c: _bias(c, "beta2")),
                ("v̂_t = v_t/(1 − β₂ᵗ)", lambda c: c.s("v") / _bias(c, "beta2"))]
    if optimizer == "adamax":
        return [("m_t = β₁m + (1−β₁)g", lambda c: c.s("m")), ("u_t = max(β₂u, |g| + ε)", lambda c: c.s("u")),
                ("1 − β₁ᵗ", lambda c: _bias(c, "beta1"))]
    if optimizer == "adadelta":
        return [("v_t = ρv + (1−ρ)g²", lambda c: c.s("v")), ("u_t = ρu + (1−ρ)Δx²", lambda c: c.s("acc_delta"))]
    if optimizer == "lion":
        return [("c_t = β₁m + (1−β₁)g", _lion_c), ("sign(c_t)", lambda c: np.sign(_lion_c(c))),
                ("m_t = β₂m + (1−β₂)g", lambda c: c.s("m"))]
    return []  # sgd: g_t and Δθ_t say it all


def _lion_c(c: _Ctx) -> np.ndarray:
    """c_t = β₁ m_{t−1} + (1−β₁) g_t, with m_{t−1} recovered from m_t = β₂ m_{t−1} + (1−β₂) g_t
    (the record may keep every k-th step only)."""
    b1, b2 = c.h("beta1"), c.h("beta2")
    m_prev = (c.s("m") - (1 - b2) * c.g) / b2
    return b1 * m_prev + (1 - b1) * c.g


def _direction(optimizer: str, ctx: _Ctx) -> np.ndarray | None:
    """The running direction an arrow shows (pointing the way the step goes), or None."""
    if optimizer == "momentum":
        return -ctx.s("buf")
    if optimizer == "nesterov":
        return -(ctx.g + ctx.h("momentum") * ctx.s("buf"))
    if optimizer in ("adam", "adamw"):
        return -ctx.s("m") / _bc(ctx, "beta1")
    if optimizer in ("nadam", "radam", "adamax"):
        return -ctx.s("m") / _bias(ctx, "beta1")
    if optimizer == "lion":
        return -_lion_c(ctx)
    return None


DIRECTION_NAMES = {"momentum": "−b", "nesterov": "−(g + μb)", "adam": "−m̂", "adamw": "−m̂", "nadam": "−m̂",
                   "radam": "−m̂", "adamax": "−m̂", "lion": "−c"}


def rows_at(optimizer: str, tr: Trace, i: int, t: int) -> list[tuple[str, np.ndarray]]:
    """The panel's rows for update row ``i`` (step ``t``) of run 0: label and per-coordinate values."""
    ctx = _Ctx(tr, i, t)
    d = tr.params.shape[-1]
    rows = [("g_t gradient", lambda c: c.g), *_rows(optimizer, ctx),
            ("η_t learning rate", lambda c: c.lr_t), ("effective η", lambda c: c.eff),
            ("Δθ_t step", lambda c: c.delta)]
    out = []
    with np.errstate(all="ignore"):
        for label, fn in rows:
            out.append((label, np.broadcast_to(np.asarray(fn(ctx), dtype=float), (d,)).copy()))
    return out


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


def _updates(tr: Trace, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """(steps, update rows) the map draws for run 0, step 0 and stopped steps left out."""
    idx = _drawn_steps(tr, max_points)
    t = tr.t[idx]
    keep = (t >= 1) & _alive(tr, t)[:, 0]
    return t[keep], idx[keep] - 1


def step_explainer(traces: Mapping[str, Trace], bounds, labels: Mapping[str, str] | None = None,
                   max_points: int = MAX_PANEL_STEPS) -> Explainer:
    """Arrows for every series and the panel for the first one (see the module docstring).
    ``traces`` must be recorded with ``record_state`` and full records; ``bounds`` is the map's box."""
    (x0, x1), (y0, y1) = bounds
    side = min(x1 - x0, y1 - y0)
    span = np.array([x1 - x0, y1 - y0])
    vectors: dict[str, list] = {STEP_KIND: [], GRAD_KIND: [], DIRECTION_KIND: []}
    for name, tr in traces.items():
        if tr.params is None or tr.params.shape[-1] != 2:
            continue
        steps, rows = _updates(tr, max_points)
        for t, i in zip(steps, rows):
            ctx = _Ctx(tr, int(i), int(t))
            theta = tr.params[i + 1, 0]
            start = theta - ctx.delta
            vectors[STEP_KIND].append((name, tr, t, start, ctx.delta))
            vectors[GRAD_KIND].append((name, tr, t, start, -ctx.g))
            d = _direction(tr.optimizer, ctx)
            if d is not None:
                vectors[DIRECTION_KIND].append((name, tr, t, start, d))
    scales, legend, parts = {}, {}, []
    for kind, items in vectors.items():
        if not items:
            continue
        lengths = np.array([np.linalg.norm(v) for *_, v in items])
        finite = lengths[np.isfinite(lengths) & (lengths > 0)]
        scale = _nice(TYPICAL * side / np.quantile(finite, 0.9)) if finite.size else 1.0
        scales[kind] = scale
        dirs = sorted({DIRECTION_NAMES.get(tr.optimizer, "") for _, tr, *_ in items} - {""})
        what = f"{KIND_TITLES[kind]} ({', '.join(dirs)})" if kind == DIRECTION_KIND else KIND_TITLES[kind]
        legend[kind] = f"{what} {_scale_text(scale)}"
        for name, tr, t, start, v in items:
            if not (np.isfinite(v).all() and np.isfinite(start).all()):
                continue
            drawn = v * scale
            length = float(np.linalg.norm(drawn))
            cut = length > LONGEST * side
            if cut:
                drawn = drawn * (LONGEST * side / length)
            end = start + drawn
            rows = [("shaft", start, end)]
            if length > 0:
                u = (drawn / span) / np.linalg.norm(drawn / span)  # in screen-like units
                for sign in (1, -1):
                    a = np.deg2rad(155 * sign)
                    barb = np.array([u[0] * np.cos(a) - u[1] * np.sin(a), u[0] * np.sin(a) + u[1] * np.cos(a)])
                    rows.append(("head", end, end + barb * HEAD * span))  # HEAD of the box, either way
            for part, a, b in rows:
                parts.append({"series": name, "label": (labels or {}).get(name, OPTIMIZERS[tr.optimizer].title),
                              "optimizer": tr.optimizer, "step": int(t), "kind": legend[kind], "part": part,
                              "x": float(a[0]), "y": float(a[1]), "x2": float(b[0]), "y2": float(b[1]),
                              "cut": bool(cut)})
    arrows = pd.DataFrame(parts, columns=["series", "label", "optimizer", "step", "kind", "part", "x", "y",
                                          "x2", "y2", "cut"])
    first = next(iter(traces.items()), None)
    shown = panel(*first, labels=labels, max_points=max_points) if first else {}
    if shown:
        shown["arrows"] = [{"label": legend[k], "dash": ARROW_DASHES[k]} for k in ARROW_DASHES if k in legend]
    return Explainer(arrows, scales, legend, shown)


def panel(name: str, tr: Trace, labels: Mapping[str, str] | None = None, max_points: int = MAX_PANEL_STEPS) -> dict:
    """The chart component's panel: ``{"title", "coords", "labels", "steps", "values"}`` with
    ``values[k][r][j]`` the value of row ``r`` for coordinate ``j`` at ``steps[k]``."""
    if tr.params is None or tr.grads is None:
        return {}
    steps, rows = _updates(tr, max_points)
    d = tr.params.shape[-1]
    coords = ["x", "y"] if d == 2 else [f"w{j + 1}" for j in range(d)]
    row_labels, values = [], []
    for t, i in zip(steps, rows):
        filled = rows_at(tr.optimizer, tr, int(i), int(t))
        row_labels = [label for label, _ in filled]
        values.append([[_round(v) for v in vals] for _, vals in filled])
    title = (labels or {}).get(name, OPTIMIZERS[tr.optimizer].title)
    stop = int(tr.stopped_at[0])
    return {"title": title, "optimizer": tr.optimizer, "coords": coords, "labels": row_labels,
            "steps": [int(t) for t in steps], "values": values,
            "note": (f"Run 1 stopped at step {stop}: no update after step {stop - 1}." if stop >= 0 else "")}


def _round(v: float) -> float | None:
    return float(f"{v:.6g}") if np.isfinite(v) else None


def only(explainer: Explainer, series: str) -> Explainer:
    """The arrows of one series (for a figure with one map per series); the panel is kept."""
    return dataclasses.replace(explainer, arrows=explainer.arrows[explainer.arrows["series"] == series])
