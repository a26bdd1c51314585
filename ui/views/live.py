"""A map's live preview: what the chart component needs to recompute its runs in the browser.

``describe`` turns the runs a map draws (its series: name -> ``RunSpec``) into ``usermeta.live``:
each series' run as the browser twin reads it (``engine.twin.twin_spec``: the twin computes what
the engine computes, bit for bit where the objective allows), its colour, dash and the views it is
drawn on, and what the overlay draws besides (the map's shading, its box, the minima, the start,
the loss view). The gradient noise is sent once per seed (each series of one seed sees the same
draws). A map whose runs cannot be twinned (an objective the twin lacks) has no live preview.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from engine import OPTIMIZERS, Objective, RunSpec
from engine.twin import TWIN_OBJECTIVES, twin_spec

from .explain import ARROW_DASHES, HEAD, HEAD_ANGLE, LONGEST
from .frames import LOG_FLOOR, title
from .theme import DASHES, OPTIMIZER_COLORS, ChartStyle

# What the sliders beside the player tune: the learning rate, and the averaging coefficients of the
# optimiser's running averages (momentum's μ, RMSProp's and Adadelta's ρ, the β's of Adam's family
# and Lion), whichever the optimiser has.
TUNED = ("lr", "momentum", "rho", "beta1", "beta2")


@dataclass(frozen=True)
class Live:
    """The runs a map draws (series name -> ``RunSpec``) and the stops of each tuned
    hyperparameter's sidebar control (optimiser -> name -> values): what a chart builder needs
    to describe its live preview."""

    runs: Mapping[str, RunSpec]
    grids: Mapping[str, Mapping[str, Sequence[float]]]


def tune(optimizers: Sequence[str], values: Mapping[str, Mapping[str, float]],
         grids: Mapping[str, Mapping[str, Sequence[float]]]) -> list[dict]:
    """The sliders of each optimiser: per hyperparameter its symbol, the stops its sidebar control
    offers (with the current value) and the current value."""
    out = []
    for o in dict.fromkeys(optimizers):
        hypers = []
        for name in TUNED:
            h = OPTIMIZERS[o].hypers.get(name)
            grid = grids.get(o, {}).get(name)
            if h is None or not grid or name not in values.get(o, {}):
                continue
            value = float(values[o][name])
            hypers.append({"name": name, "symbol": h.text, "value": value, "grid": sorted(set(grid) | {value})})
        if hypers:
            out.append({"optimizer": o, "title": title(o), "hypers": hypers})
    return out


def twinnable(runs: Mapping[str, RunSpec], objective: Objective) -> bool:
    """Whether every run of a map can be recomputed in the browser."""
    return objective.dim == 2 and objective.name in TWIN_OBJECTIVES and bool(runs)


def describe(live: Live, path: pd.DataFrame, objective: Objective, style: ChartStyle, *,
             maps: Sequence[int], views: Mapping[str, Sequence[int]] | None = None, box=None,
             image: str | None = None, loss_view: int | None = None, dash: str | None = None,
             explain=None) -> dict | None:
    """``usermeta.live`` for a chart whose map views ``maps`` draw ``live.runs`` (each series on every map,
    or on ``views[series]``), with the loss gap on ``loss_view`` (or none); ``box``: the maps' box,
    ``image``: the shading's data URL, ``dash``: the path frame's column a line dash tells apart,
    ``explain``: the step explainer (``explain.Explainer``) whose arrows the preview redraws at the
    same scales."""
    runs = live.runs
    if not twinnable(runs, objective):
        return None
    noise: dict[str, list] = {}
    series = []
    dashes = {}
    if dash and dash in path:
        order = list(dict.fromkeys(path[dash].tolist()))
        dashes = {v: DASHES[i % len(DASHES)] for i, v in enumerate(order)}
    for key, spec in runs.items():
        rows = path[path["series"] == key]
        described = twin_spec(spec)
        for run in described["runs"]:
            if run["noise"] is not None:
                ref = hashlib.sha1(json.dumps(run["noise"]).encode(), usedforsecurity=False).hexdigest()[:16]
                noise.setdefault(ref, run["noise"])
                run["noise"] = ref
        optimizer = rows["optimizer"].iloc[0] if len(rows) else spec.optimizer
        drawn = sorted(set(rows["step"].tolist())) if len(rows) else []
        series.append({
            "key": key,
            "drawn": drawn,  # the steps the chart draws (a long run is thinned): the preview draws the same
            "label": rows["label"].iloc[0] if len(rows) else key,
            "color": OPTIMIZER_COLORS.get(optimizer, "#333333"),
            "dash": dashes.get(rows[dash].iloc[0]) if dash and len(rows) else None,
            "views": list(views[key]) if views else list(maps),
            "twin": described,
        })
    first = next(iter(runs.values()))
    start = first.start if first.start is not None else objective.start
    optimizers = [s["twin"]["optimizer"]["name"] for s in series]
    values = {s["twin"]["optimizer"]["name"]: s["twin"]["runs"][0]["hyper"] for s in series}
    (x0, x1), (y0, y1) = box or objective.bounds
    return {
        "series": series, "noise": noise, "maps": list(maps), "steps": first.steps,
        "start": [float(start[0]), float(start[1])], "box": [[x0, x1], [y0, y1]],
        "minima": [[float(x), float(y)] for x, y in objective.minima], "fmin": float(objective.fmin),
        "image": image, "line": style.line_width, "point": style.point_size,
        "loss": None if loss_view is None else {"view": loss_view, "floor": LOG_FLOOR},
        "tune": tune(optimizers, values, live.grids),
        "arrows": None if explain is None or not explain.scales else _arrows(explain),
    }


def _arrows(explain) -> dict:
    """How the step explainer draws its arrows, for the preview to draw them alike."""
    (x0, x1), (y0, y1) = explain.box
    return {"scales": dict(explain.scales), "dashes": {k: ARROW_DASHES[k] for k in explain.scales},
            "longest": LONGEST * min(x1 - x0, y1 - y0), "head": HEAD, "angle": HEAD_ANGLE}
