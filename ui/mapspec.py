"""The trajectory maps (and the loss bands) as Vega-Lite spec dicts, written directly (no
Altair chart objects).

A map (paths over the shaded contour, start and minima marked, a ``step`` param that the
step-through player drives) is the heaviest chart of the app, on seven pages, and it is
built on every view that misses the cache. Altair copies each chart object several times as
it composes and serialises a layered chart (each copy walks every unset field of every
channel: about 0.12 s for the Trajectories figure, most of a cache miss's chart time). The
same spec as dicts takes a few milliseconds.

A spec from here holds its paths and contour as DataFrames in its top-level ``datasets`` (the
layers refer to them by name; the few marked points are inline); the caller serialises them:
``page.chart`` as Arrow (Streamlit does it), ``stepper.step_through`` as rounded columns.
``tests/app`` validates every page's specs against the Vega-Lite schema, these included.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import altair as alt
import numpy as np
import pandas as pd

from engine import Objective

from .charts import CONTOUR_LEVELS, LOG_AXIS, color_scale, contour_frame, legend_of
from .style import MINIMUM_COLOR, START_COLOR, ChartStyle

STEP = "step"  # the name of the param the player drives
MAP_COLUMNS = ("series", "label", "run", "step", "x", "y", "loss")  # what a map uses of a path frame


class Datasets:
    """The named datasets of one spec: each added once (by a key), referred to by name."""

    def __init__(self) -> None:
        self.frames: dict[str, pd.DataFrame] = {}
        self._names: dict[Hashable, str] = {}

    def ref(self, key: Hashable, hint: str, make: Callable[[], pd.DataFrame]) -> dict:
        if key not in self._names:
            name = f"{hint}-{len(self.frames)}"
            self.frames[name] = make()
            self._names[key] = name
        return {"name": self._names[key]}

    def frame(self, frame: pd.DataFrame, hint: str, columns: Sequence[str]) -> dict:
        """The ``columns`` of a DataFrame that lives for the whole build (its identity is part of
        the key): only what the spec uses, less to send."""
        wanted = set(columns)
        keep = [c for c in frame.columns if c in wanted]  # in the frame's order: one key per set
        return self.ref(("frame", id(frame), tuple(keep)), hint, lambda: frame[keep])


def q(field: str, **kw) -> dict:
    return {"field": field, "type": "quantitative", **kw}


def n(field: str, **kw) -> dict:
    return {"field": field, "type": "nominal", **kw}


def log_axis(title: str) -> dict:
    """``charts.log_axis`` as a dict."""
    return {"title": title, **LOG_AXIS}


def series_color(labels: Sequence[str], optimizers: Sequence[str], legend: bool = True,
                 title: str | None = "Optimiser", columns: int = 2) -> dict:
    """Colour by legend label; each label's colour is its optimiser's (``charts.series_color``)."""
    scale = color_scale(labels, optimizers)
    legend_spec = ({"title": title, "orient": "bottom", "columns": min(len(labels), columns)}
                   if legend else None)
    return n("label", scale=scale, legend=legend_spec)


def step_param(steps: int, bind: bool = True) -> dict:
    """The ``step`` param (``charts.step_param``): a slider in the chart, or the player's."""
    param = {"name": STEP, "value": int(steps)}
    if bind:
        param["bind"] = {"input": "range", "min": 0, "max": int(steps), "step": 1, "name": "Step "}
    return param


def _until_step() -> dict:
    return {"filter": f"(datum.step <= {STEP})"}


def contour_layer(objective: Objective, data: Datasets, n_cells: int = 70, bounds=None) -> dict:
    """The shaded contour (``charts.contour_frame``: light is low), one rectangle per cell.

    Only each cell's ``level`` and ``f`` are sent; the browser places the cells (row-major, as
    ``contour_frame`` orders them) from their row number. Their corners were two thirds of the
    map's numbers: the largest part of every map's payload and of its serialisation."""
    (x0, x1), (y0, y1) = bounds or objective.bounds
    key = ("contour", objective.name, objective.latex, n_cells, (x0, x1, y0, y1))
    w, h = (x1 - x0) / n_cells, (y1 - y0) / n_cells
    col, row = f"((datum.i - 1) % {n_cells})", f"floor((datum.i - 1) / {n_cells})"
    return {
        "data": data.ref(key, "contour", lambda: contour_frame(objective, n_cells, bounds)[["level", "f"]]),
        "transform": [  # corners as in contour_frame: cells overlap by half a cell, so no seams show
            {"window": [{"op": "row_number", "as": "i"}]},
            {"calculate": f"{x0!r} + {col} * {w!r}", "as": "x"},
            {"calculate": f"{x0!r} + ({col} + 1.5) * {w!r}", "as": "x2"},
            {"calculate": f"{y0!r} + {row} * {h!r}", "as": "y"},
            {"calculate": f"{y0!r} + ({row} + 1.5) * {h!r}", "as": "y2"},
        ],
        "mark": {"type": "rect", "opacity": 0.9},
        "encoding": {
            "x": q("x", scale={"domain": [x0, x1], "nice": False}, title="x"), "x2": {"field": "x2"},
            "y": q("y", scale={"domain": [y0, y1], "nice": False}, title="y"), "y2": {"field": "y2"},
            "color": q("level", scale={"scheme": "greys", "domain": [0, CONTOUR_LEVELS + 4]}, legend=None),
            "tooltip": [q("f", title="f", format=".4g")],
        },
    }


def point_layer(points: Sequence[tuple[float, float, str]], tooltip_format: str = ".4g", **mark) -> dict:
    """A few marked points ``(x, y, what)``, their data inline; ``what`` names each in the tooltip."""
    return {
        "data": {"values": [{"x": float(x), "y": float(y), "what": what} for x, y, what in points]},
        "mark": {"type": "point", "filled": True, "opacity": 1, **mark},
        "encoding": {"x": q("x"), "y": q("y"),
                     "tooltip": [n("what", title=""), q("x", format=tooltip_format),
                                 q("y", format=tooltip_format)]},
    }


def markers(objective: Objective, start, style: ChartStyle) -> list[dict]:
    """The minima (gold diamonds) and the start (black dot)."""
    return [point_layer([(x, y, "minimum") for x, y in objective.minima], shape="diamond",
                        size=style.point_size * 3, color=MINIMUM_COLOR, stroke="black", strokeWidth=1),
            point_layer([(start[0], start[1], "start")], shape="circle", size=style.point_size * 2,
                        color=START_COLOR)]


def trajectory_view(path: pd.DataFrame, objective: Objective, style: ChartStyle, data: Datasets, *,
                    title=None, scrub: bool = True, bounds=None, contour_n: int = 70,
                    height: int | None = None, width=None, fit_width: bool = False,
                    dash: str | None = None, zoom: bool = False, legend: bool = True,
                    extra: Sequence[dict] = (), columns: Sequence[str] = ()) -> dict:
    """Paths over the contour map (one layered view); with ``scrub`` they grow up to the
    ``step`` param, which the enclosing spec defines. ``zoom``: scroll to zoom, drag to pan.
    ``extra``: more layers on top; ``columns``: more of ``path``'s columns to send (for
    another view of the same data)."""
    labels, opts = legend_of(path)
    (x0, x1), (y0, y1) = bounds or objective.bounds
    xy = {"x": q("x", scale={"domain": [x0, x1], "nice": False}),
          "y": q("y", scale={"domain": [y0, y1], "nice": False})}
    source = data.frame(path, "path", [*MAP_COLUMNS, *([dash] if dash else []), *columns])
    color, quiet = series_color(labels, opts, legend=legend), series_color(labels, opts, legend=False)
    tooltip = [n("label", title="optimiser"), q("step"), q("x", format=".4f"), q("y", format=".4f"),
               q("loss", format=".4g", title="f")]
    detail = n("run")
    dashed = {"strokeDash": n(dash, legend={"title": None, "orient": "bottom", "columns": 1})} if dash else {}
    grow = [_until_step()] if scrub else []
    line = {"data": source,
            "mark": {"type": "line", "clip": True, "strokeWidth": style.line_width,
                     **({"opacity": 0.9} if scrub else {})},
            "encoding": {**xy, "color": color, "detail": detail, "order": q("step"), **dashed}}
    if grow:
        line["transform"] = grow
    if zoom:  # (one zoomable map per spec: the param's name is the spec's)
        line["params"] = [{"name": "zoom", "select": {"type": "interval"}, "bind": "scales"}]
    points = {"data": source, "mark": {"type": "circle", "clip": True, "opacity": 0.01,
                                       "size": style.point_size / 3},
              "encoding": {**xy, "color": quiet, "tooltip": tooltip}}
    if grow:
        points["transform"] = grow
    layers = [contour_layer(objective, data, contour_n, bounds), line, points]
    if scrub:  # the head of each path: its point at the current step
        layers.append({
            "data": source,
            "mark": {"type": "point", "clip": True, "filled": True, "opacity": 1,
                     "size": style.point_size * 2.5, "stroke": "white", "strokeWidth": 1.5},
            "encoding": {**xy, "color": quiet, "detail": detail, "tooltip": tooltip},
            "transform": [_until_step(),
                          {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}],
                           "groupby": ["series", "run", *([dash] if dash else [])]},
                          {"filter": "(datum.step === datum.last)"}]})
    first = path["step"].to_numpy() == 0
    start = tuple(path.loc[first, ["x", "y"]].iloc[0]) if first.any() else objective.start
    layers += markers(objective, start, style)
    layers += list(extra)
    height = height or style.map_height
    # Equal scales on both axes where the page allows it: a map should not be stretched.
    if width is None:
        width = "container" if fit_width else int(np.clip(height * (x1 - x0) / (y1 - y0), 0.8 * height, 2.0 * height))
    view = {"layer": layers, "height": height, "width": width}
    if title:
        view["title"] = title
    return view


def progress_view(path: pd.DataFrame, metric: str, title: str, style: ChartStyle, data: Datasets,
                  height: int, width: int, dash: str | None = None, columns: Sequence[str] = ()) -> dict:
    """A log-scale curve of ``metric`` that fills in up to the ``step`` param (the whole run
    stays faintly visible), with a marker at the current step. ``columns``: as in
    ``trajectory_view``."""
    labels, opts = legend_of(path)
    enc = {"x": q("step", title="step"),
           "y": q(metric, scale={"type": "log"}, axis=log_axis(title)),
           "color": series_color(labels, opts, legend=False), "detail": n("run"),
           **({"strokeDash": n(dash, legend=None)} if dash else {})}
    ghost = {"mark": {"type": "line", "strokeWidth": style.line_width / 2, "opacity": 0.2}, "encoding": enc}
    done = {"mark": {"type": "line", "strokeWidth": style.line_width}, "encoding": enc,
            "transform": [_until_step()]}
    head = {"mark": {"type": "point", "filled": True, "opacity": 1, "size": style.point_size * 1.5},
            "encoding": {**enc, "tooltip": [n("label", title="optimiser"), q("step"),
                                            q(metric, format=".4g", title=title)]},
            "transform": [_until_step(),
                          {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}],
                           "groupby": ["series", "run"]},
                          {"filter": "(datum.step === datum.last)"}]}
    used = ["series", "label", "run", "step", metric, *([dash] if dash else []), *columns]
    return {"data": data.frame(path, "path", used), "layer": [ghost, done, head],
            "height": height, "width": width, "title": title}


def top_level(view: dict, data: Datasets, params: Sequence[dict] = ()) -> dict:
    """A finished spec: the view (a layer or a concatenation), its params and its datasets."""
    spec = {"$schema": alt.SCHEMA_URL, **view, "datasets": dict(data.frames)}
    if params:
        spec["params"] = list(params)
    return spec


def trajectory_chart(path: pd.DataFrame, objective: Objective, steps: int, style: ChartStyle,
                     scrub: bool = True, **view) -> dict:
    """One map as a finished spec; with ``scrub`` it has a ``step`` slider (the player's, in
    the step-through component). ``view``: ``trajectory_view``'s options."""
    data = Datasets()
    body = trajectory_view(path, objective, style, data, scrub=scrub, **view)
    return top_level(body, data, [step_param(steps)] if scrub else [])


def map_and_progress(path: pd.DataFrame, objective: Objective, steps: int, style: ChartStyle,
                     metric: str = "gap", metric_title: str = "f(θ) − f*", dash: str | None = None) -> dict:
    """The paths over the map beside the loss gap, both moved by one ``step`` param (for the
    step-through player); the map zooms and pans."""
    data = Datasets()
    height = style.map_height
    body = {"hconcat": [trajectory_view(path, objective, style, data, zoom=True, dash=dash, columns=[metric]),
                        progress_view(path, metric, metric_title, style, data, height=height - 40,
                                      width=int(height * 0.75), dash=dash, columns=MAP_COLUMNS)],
            "resolve": {"scale": {"color": "shared"}}}
    return top_level(body, data, [step_param(steps)])


def band_chart(band: pd.DataFrame, y_title: str, style: ChartStyle, title: str | None = None,
               height: int | None = None) -> dict:
    """Median line and a quantile band per series, log y (``frames.band_frame``): the Loss curves
    page's two charts, the heaviest page under a class's load, as a dict for the same reason as
    the maps (Altair's building and serialising was a third of the page's server time)."""
    labels, opts = legend_of(band)
    data = Datasets()
    source = data.frame(band, "band", ("label", "step", "median", "lo", "hi", "runs"))
    x = q("step", title="step")
    # The same legend on both layers: with ``legend: null`` on the band (the first layer) Vega-Lite
    # drew no legend at all, and the page did not say which colour was which optimiser.
    color = series_color(labels, opts)
    color["legend"] = {**color["legend"], "symbolType": "stroke", "symbolOpacity": 1}
    area = {"mark": {"type": "area", "opacity": 0.2},
            "encoding": {"x": x, "color": color,
                         "y": q("lo", scale={"type": "log"}, axis=log_axis(y_title)),
                         "y2": {"field": "hi"}}}
    line = {"mark": {"type": "line", "strokeWidth": style.line_width},
            "encoding": {"x": x, "color": color,
                         "y": q("median", scale={"type": "log"}),
                         "tooltip": [n("label", title="optimiser"), q("step"), q("median", format=".4g"),
                                     q("lo", format=".4g", title="10%"), q("hi", format=".4g", title="90%"),
                                     q("runs")]}}
    view = {"data": source, "layer": [area, line], "height": height or style.height, "width": "container"}
    if title:
        view["title"] = title
    return top_level(view, data)
