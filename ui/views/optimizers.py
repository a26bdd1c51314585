"""What the dashboard shows of each optimiser beyond its engine row: one row per optimiser.

The engine's row (``engine.OPTIMIZERS``) holds what the optimiser is (title, hyperparameters and
their symbols, update rule, cost per step, how its effective learning rate behaves). ``VIEWS``
is the only table of the dashboard keyed by optimiser, and holds how it is drawn:

* ``color``: its colour on every chart of every page (the first eight from the Okabe-Ito
  palette, safe for the common colour-vision deficiencies; the rest from Paul Tol's muted one);
* ``rows``: the step explainer's rows between g_t and Δθ_t, in the order the update computes
  them: ``rows(ctx)`` gives ``(label, f)`` pairs, ``f(ctx)`` a value per update and coordinate
  (``ctx`` is ``explain._Ctx``: the updates' g, state after the update, hyperparameters, steps);
* ``direction``: the running direction its arrow shows, pointing the way the step goes, and
  its name in the arrows' legend (``None`` and ``""`` for an optimiser without one).

``check`` names every optimiser of a registry that the table lacks (the tests call it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

Row = tuple[str, Callable]  # label, f(ctx) -> (n, D) or (n, 1) array, or a scalar


@dataclass(frozen=True)
class OptimizerView:
    color: str
    rows: Callable[..., list[Row]] = lambda ctx: []
    direction: Callable | None = None
    direction_name: str = ""


# -- the formulas the rows share --------------------------------------------------------------


def bias(ctx, beta: str) -> np.ndarray:
    """1 − βᵗ at the updates' steps."""
    return 1.0 - ctx.h(beta) ** ctx.t


def adam_bias(ctx, beta: str) -> np.ndarray | float:
    """Adam's and AdamW's correction: 1 − βᵗ, or 1 with ``bias_correction`` off."""
    return bias(ctx, beta) if ctx.h("bias_correction") else 1.0


M_ROW = ("m_t = β₁m + (1−β₁)g", lambda c: c.s("m"))
V_ROW = ("v_t = β₂v + (1−β₂)g²", lambda c: c.s("v"))
RMS_ROW = ("v_t = ρv + (1−ρ)g²", lambda c: c.s("v"))
BUFFER_ROW = ("b_t = μb + g", lambda c: c.s("buf"))


def _adam_rows(ctx) -> list[Row]:
    corrected = bool(ctx.h("bias_correction"))
    second = "v_max" if ctx.h("amsgrad") else "v"
    rows = [M_ROW, V_ROW]
    if ctx.h("amsgrad"):
        rows.append(("max(v) (AMSGrad)", lambda c: c.s("v_max")))
    if corrected:
        rows += [("1 − β₁ᵗ", lambda c: adam_bias(c, "beta1")), ("1 − β₂ᵗ", lambda c: adam_bias(c, "beta2")),
                 ("m̂_t = m_t/(1 − β₁ᵗ)", lambda c: c.s("m") / adam_bias(c, "beta1")),
                 ("v̂_t = v_t/(1 − β₂ᵗ)", lambda c: c.s(second) / adam_bias(c, "beta2"))]
    rows.append(("√v̂_t + ε" if corrected else "√v_t + ε",
                 lambda c: np.sqrt(c.s(second) / adam_bias(c, "beta2")) + c.h("eps")))
    return rows


def _rmsprop_rows(ctx) -> list[Row]:
    if not ctx.h("centered"):
        return [RMS_ROW, ("√v_t + ε", lambda c: np.sqrt(c.s("v")) + c.h("eps"))]
    # clamped at 0 as the engine does (a rounding error below 0 would be a NaN)
    return [RMS_ROW, ("ḡ_t = ρḡ + (1−ρ)g", lambda c: c.s("g_avg")),
            ("√(v_t − ḡ_t²) + ε", lambda c: np.sqrt(np.maximum(c.s("v") - c.s("g_avg") ** 2, 0.0)) + c.h("eps"))]


def lion_c(c) -> np.ndarray:
    """c_t = β₁ m_{t−1} + (1−β₁) g_t. m_{t−1} is the state recorded at the step before (m_0 = 0);
    where the record skips that step, it is recovered from m_t = β₂ m_{t−1} + (1−β₂) g_t (not
    with β₂ = 0, where m_t = g_t holds nothing of m_{t−1})."""
    b1, b2 = c.h("beta1"), c.h("beta2")
    m, t = c.tr.state["m"][:, 0], c.t[:, 0]
    before = np.maximum(c.i - 1, 0)
    recorded = np.where(c.i > 0, c.tr.t_update[before] == t - 1, t == 1)
    m_before = np.where((c.i > 0)[:, None], m[before], 0.0)
    with np.errstate(all="ignore"):
        recovered = (c.s("m") - (1 - b2) * c.g) / b2 if b2 > 0 else np.full_like(c.g, np.nan)
    m_prev = np.where(recorded[:, None], m_before, recovered)
    return b1 * m_prev + (1 - b1) * c.g


def _look_ahead(c) -> np.ndarray:
    """Nesterov's g_t + μ b_t."""
    return c.g + c.h("momentum") * c.s("buf")


def _m_hat(c) -> np.ndarray:
    return -c.s("m") / bias(c, "beta1")


def _adam_m_hat(c) -> np.ndarray:
    return -c.s("m") / adam_bias(c, "beta1")


_NADAM_ROWS = [M_ROW, V_ROW, ("1 − β₁ᵗ", lambda c: bias(c, "beta1")), ("1 − β₂ᵗ", lambda c: bias(c, "beta2")),
               ("v̂_t = v_t/(1 − β₂ᵗ)", lambda c: c.s("v") / bias(c, "beta2"))]

VIEWS: Mapping[str, OptimizerView] = {
    "sgd": OptimizerView("#555555"),  # g_t and Δθ_t say it all
    "momentum": OptimizerView("#D55E00", lambda ctx: [BUFFER_ROW],  # vermillion: the chapter's red
                              lambda c: -c.s("buf"), "−b"),
    "nesterov": OptimizerView("#E69F00", lambda ctx: [BUFFER_ROW, ("g + μb_t", _look_ahead)],
                              lambda c: -_look_ahead(c), "−(g + μb)"),
    "adagrad": OptimizerView("#009E73", lambda ctx: [("G_t = G + g²", lambda c: c.s("sum_sq")),
                                                     ("√G_t + ε", lambda c: np.sqrt(c.s("sum_sq")) + c.h("eps"))]),
    # reddish purple: apart from momentum's vermillion where their paths overlap
    "rmsprop": OptimizerView("#CC79A7", _rmsprop_rows),
    "adam": OptimizerView("#0072B2", _adam_rows, _adam_m_hat, "−m̂"),  # blue: the chapter's Adam
    "adamw": OptimizerView("#56B4E9", _adam_rows, _adam_m_hat, "−m̂"),
    "nadam": OptimizerView("#882255", lambda ctx: _NADAM_ROWS, _m_hat, "−m̂"),
    "radam": OptimizerView("#44AA99", lambda ctx: _NADAM_ROWS, _m_hat, "−m̂"),
    "adamax": OptimizerView("#999933", lambda ctx: [M_ROW, ("u_t = max(β₂u, |g| + ε)", lambda c: c.s("u")),
                                                    ("1 − β₁ᵗ", lambda c: bias(c, "beta1"))], _m_hat, "−m̂"),
    "adadelta": OptimizerView("#AA4499", lambda ctx: [RMS_ROW, ("u_t = ρu + (1−ρ)Δx²", lambda c: c.s("acc_delta"))]),
    "lion": OptimizerView("#B8860B", lambda ctx: [("c_t = β₁m + (1−β₁)g", lion_c),
                                                  ("sign(c_t)", lambda c: np.sign(lion_c(c))),
                                                  ("m_t = β₂m + (1−β₂)g", lambda c: c.s("m"))],
                          lambda c: -lion_c(c), "−c"),
}


def check(registry: Mapping) -> None:
    """A ``ValueError`` naming every optimiser of ``registry`` that ``VIEWS`` lacks."""
    missing = sorted(set(registry) - set(VIEWS))
    if missing:
        raise ValueError(f"ui/views/optimizers.py VIEWS has no row for {', '.join(missing)}: "
                         "its colour, its step explainer's rows and its running direction")
