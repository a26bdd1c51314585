"""Colours and type sizes shared by every chart (no Streamlit import).

One colour per optimiser, the same on every page. The first eight come from the
Okabe-Ito palette (safe for the common colour-vision deficiencies); the rest
from Paul Tol's muted palette. Line dash tells runs of one optimiser apart
where a view needs it (parameters, with/without bias correction).
"""

from __future__ import annotations

from dataclasses import dataclass

OPTIMIZER_COLORS = {
    "momentum": "#D55E00",  # vermillion: the chapter's SGD+Momentum red
    "rmsprop": "#CC79A7",  # reddish purple: distinct from momentum's vermillion where paths overlap
    "adam": "#0072B2",  # blue: the chapter's Adam
    "sgd": "#555555",
    "adagrad": "#009E73",
    "nesterov": "#E69F00",
    "adamw": "#56B4E9",
    "lion": "#B8860B",
    "nadam": "#882255",
    "radam": "#44AA99",
    "adamax": "#999933",
    "adadelta": "#AA4499",
}

# Variants drawn beside an optimiser (Adam without bias correction, raw moments).
OPTIMIZER_COLORS.update({"adam_nobc": "#7F3C8D", "adam_raw": "#7F3C8D"})
# scipy baselines (drawn dashed beside the first-order optimisers).
OPTIMIZER_COLORS.update({"BFGS": "#6A3D9A", "L-BFGS-B": "#33A02C", "Newton-CG": "#E31A1C",
                         "Nelder-Mead": "#FB9A99"})

START_COLOR = "#000000"
MINIMUM_COLOR = "#FFD700"


@dataclass(frozen=True)
class ChartStyle:
    """Sizes used by the chart builders; ``presentation`` is for projection."""

    font_size: int = 13
    title_size: int = 15
    line_width: float = 2.0
    point_size: int = 60
    height: int = 380
    map_height: int = 460

    @classmethod
    def presentation(cls) -> ChartStyle:
        return cls(font_size=22, title_size=26, line_width=4.0, point_size=180, height=520,
                   map_height=560)


def color_scale(names):
    """An Altair-ready ``(domain, range)`` pair for the given optimiser names."""
    names = list(names)
    return names, [OPTIMIZER_COLORS.get(n, "#333333") for n in names]
