"""The charts' one dialect: colours, type sizes, encodings, log axes and the step param.

Every chart of the app is a Vega-Lite spec written as plain dicts (``ui.views.charts``); what
they share lives here. One colour per optimiser, the same on every page (its row of
``optimizers.VIEWS``), beside those of the variants and scipy baselines some views draw. Line
dash tells runs of one optimiser apart where a view needs it (parameters, with/without bias
correction). ``ChartStyle`` holds the type sizes and line
widths; ``presentation`` is for projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .optimizers import VIEWS

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"  # Altair 6.0's schema (read by vega-lite 6.5)
STEP = "step"  # the param the step-through player drives
CONTOUR_LEVELS = 18
LOG_AXIS = {"format": "~e", "tickCount": 6}  # log scales: powers of ten

# Each optimiser's colour is in its row of ``optimizers.VIEWS``.
OPTIMIZER_COLORS = {name: view.color for name, view in VIEWS.items()}

# Variants drawn beside an optimiser (Adam without bias correction, raw moments).
OPTIMIZER_COLORS.update({"adam_nobc": "#7F3C8D", "adam_raw": "#7F3C8D"})
# scipy baselines, drawn dashed beside the first-order optimisers: dark colours far from the
# Okabe-Ito reds and pinks of the defaults (momentum, RMSProp), told apart from the back of a room.
OPTIMIZER_COLORS.update({"BFGS": "#332288", "L-BFGS-B": "#117733", "Newton-CG": "#000000",
                         "Nelder-Mead": "#8C510A"})

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


def style_config(style: ChartStyle) -> dict:
    """Top-level type sizes: axis, legend, title (readable from the back when presenting)."""
    fs = style.font_size
    return {"axis": {"labelFontSize": fs, "titleFontSize": fs + 1, "grid": True, "gridOpacity": 0.4,
                     "labelOverlap": "greedy", "labelSeparation": 6, "labelFlush": True},
            "legend": {"labelFontSize": fs, "titleFontSize": fs, "symbolStrokeWidth": style.line_width,
                       "symbolSize": style.point_size * 2, "labelLimit": 400},
            "title": {"fontSize": style.title_size, "anchor": "start", "subtitleFontSize": fs,
                      "subtitleColor": "#555"},
            "header": {"labelFontSize": fs, "titleFontSize": fs},
            "text": {"fontSize": fs},
            "view": {"strokeWidth": 0}}


def with_style(spec: dict, style: ChartStyle) -> dict:
    """The spec with the style's config merged in (a new top-level dict; the layers are shared)."""
    spec = dict(spec)
    config = dict(spec.get("config", {}))
    for key, values in style_config(style).items():
        config[key] = {**config.get(key, {}), **values}
    spec["config"] = config
    return spec


# ---------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------


def q(field: str, **kw) -> dict:
    return {"field": field, "type": "quantitative", **kw}


def n(field: str, **kw) -> dict:
    return {"field": field, "type": "nominal", **kw}


def log_axis(title: str) -> dict:
    return {"title": title, **LOG_AXIS}


def log_scale(**kw) -> dict:
    return {"type": "log", **kw}


def legend_of(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The legend's labels in order of appearance, and each one's optimiser."""
    first = ~frame["label"].duplicated()
    return frame["label"][first].tolist(), frame["optimizer"][first].tolist()


def color_scale(labels: Sequence[str], optimizers: Sequence[str]) -> dict:
    """Each label in its optimiser's colour."""
    return {"domain": list(labels), "range": [OPTIMIZER_COLORS.get(o, "#333333") for o in optimizers]}


PROJECTED = 18  # a type size from which a style is for projection (a wide screen), not a phone


def legend_columns(labels: Sequence[str], style: ChartStyle, wide: bool = False) -> int:
    """How many columns of a legend of ``labels`` fit under its chart at the style's type size: a
    legend wider than its chart takes the width of the plot (the chart component fits the whole
    drawing to its box). The room: 340 px with the screen style (a phone's column; a half-width
    chart at 1280 px with the sidebar open is about 400), with the projection style 480 px (a
    half-width chart on a 1280 px projector) or 700 for a ``wide`` (full-width) chart."""
    room = (700 if wide else 480) if style.font_size >= PROJECTED else 340
    longest = max((len(str(label)) for label in labels), default=1)
    per = longest * 0.55 * style.font_size + 1.5 * style.font_size + 10  # text, symbol, gap
    return max(1, min(len(labels), int(room // per)))


def series_color(labels: Sequence[str], optimizers: Sequence[str], legend: bool = True,
                 title: str | None = "Optimiser", columns: int = 2, field: str = "label") -> dict:
    """Colour by legend label; each label's colour is its optimiser's."""
    legend_spec = ({"title": title, "orient": "bottom", "columns": min(len(labels), columns)}
                   if legend else None)
    return n(field, scale=color_scale(labels, optimizers), legend=legend_spec)


DASHES = ([1, 0], [8, 4], [2, 3], [12, 3, 2, 3])  # solid first: the first value of a dashed field


def dash(frame: pd.DataFrame, field: str, legend: dict | None = None) -> dict:
    """Line dash by ``field``: its values in order of appearance, the first solid, then dashed,
    dotted...: the same mapping on every chart of a view, and the one its text describes."""
    values = list(dict.fromkeys(frame[field].tolist()))
    return n(field, scale={"domain": values, "range": [DASHES[i % len(DASHES)] for i in range(len(values))]},
             legend=legend)


def step_param(steps: int, bind: bool = True) -> dict:
    """The ``step`` param: a slider in the chart, or (unbound) driven by the player's controls."""
    param = {"name": STEP, "value": int(steps)}
    if bind:
        param["bind"] = {"input": "range", "min": 0, "max": int(steps), "step": 1, "name": "Step "}
    return param


def until_step() -> dict:
    """A filter: the rows up to the current step."""
    return {"filter": f"(datum.step <= {STEP})"}
