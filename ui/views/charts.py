"""Every chart of the app, as a Vega-Lite spec written in plain dicts (one dialect: ``theme``).

A builder takes tidy frames (``ui.views.frames``) and a ``ChartStyle`` and returns a finished
spec: its data as DataFrames in the top-level ``datasets`` (the layers refer to them by name; a
few marked points are inline), which the caller serialises (``st.vega_lite_chart`` sends them as
Arrow, the step-through player as rounded columns). Maps (paths over the shaded contour, start
and minima marked) and loss curves that fill in up to the ``step`` param are driven by the
player. ``tests/app`` validates every page's specs against the Vega-Lite schema.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from engine import OPTIMIZERS, Objective, Trace

from . import analysis, frames, live
from .explain import ARROW_DASHES, HEAD, HEAD_ANGLE, LONGEST, VECTOR
from .explain import only as explain_only
from .theme import (
    MINIMUM_COLOR,
    SCHEMA_URL,
    START_COLOR,
    STEP,
    ChartStyle,
    legend_columns,
    legend_of,
    log_axis,
    n,
    q,
    series_color,
    step_param,
    until_step,
)
from .theme import dash as dash_by

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


def contour_layer(objective: Objective, data: Datasets, n_cells: int = 70, bounds=None) -> dict:
    """The shaded contour (``frames.contour_png``: light is low) as one image over the map's box,
    with how many levels it shows and how many of its cells are blank (f undefined there)."""
    (x0, x1), (y0, y1) = bounds or objective.bounds
    key = ("contour", objective.name, objective.latex, n_cells, (x0, x1, y0, y1))

    def image() -> pd.DataFrame:
        png, shows = frames.contour_png(objective, n_cells, bounds)
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        return pd.DataFrame([{"url": url, "x": x0, "x2": x1, "y": y0, "y2": y1, **shows}])

    return {
        "data": data.ref(key, "contour", image),
        "mark": {"type": "image", "aspect": False, "aria": False},
        "encoding": {
            "x": q("x", scale={"domain": [x0, x1], "nice": False}, title="x"), "x2": {"field": "x2"},
            "y": q("y", scale={"domain": [y0, y1], "nice": False}, title="y"), "y2": {"field": "y2"},
            "url": n("url"),
        },
    }


def point_layer(points: Sequence[tuple[float, float, str]], tooltip_format: str = ".4g", data: Datasets | None = None,
                **mark) -> dict:
    """A few marked points ``(x, y, what)``, their data inline (or, with ``data``, one of the spec's
    datasets: a new point is then new data, drawn in place); ``what`` names each in the tooltip."""
    rows = [{"x": float(x), "y": float(y), "what": what} for x, y, what in points]
    source = ({"values": rows} if data is None else
              data.ref(("points", tuple((r["x"], r["y"], r["what"]) for r in rows)), "points",
                       lambda: pd.DataFrame(rows)))
    return {
        "data": source,
        "mark": {"type": "point", "filled": True, "opacity": 1, **mark},
        "encoding": {"x": q("x"), "y": q("y"),
                     "tooltip": [n("what", title=""), q("x", format=tooltip_format),
                                 q("y", format=tooltip_format)]},
    }


def markers(objective: Objective, start, style: ChartStyle, data: Datasets | None = None) -> list[dict]:
    """The minima (gold diamonds) and the start (black dot): the start as data of the spec's own, so
    that a map whose start moves is updated in place, not drawn anew."""
    return [point_layer([(x, y, "minimum") for x, y in objective.minima], shape="diamond",
                        size=style.point_size * 3, color=MINIMUM_COLOR, stroke="black", strokeWidth=1),
            point_layer([(start[0], start[1], "start")], shape="circle", size=style.point_size * 2,
                        color=START_COLOR, data=data)]


def trajectory_view(path: pd.DataFrame, objective: Objective, style: ChartStyle, data: Datasets, *,
                    title=None, scrub: bool = True, bounds=None, contour_n: int = 70,
                    height: int | None = None, width=None, fit_width: bool = False,
                    dash: str | None = None, zoom: bool = False, legend: bool = True,
                    extra: Sequence[dict] = (), columns: Sequence[str] = (), explain=None) -> dict:
    """Paths over the contour map (one layered view); with ``scrub`` they grow up to the
    ``step`` param, which the enclosing spec defines. ``zoom``: scroll to zoom, drag to pan.
    ``extra``: more layers on top; ``columns``: more of ``path``'s columns to send (for
    another view of the same data)."""
    labels, opts = legend_of(path)
    # A typed function's box is its author's guess: the map follows runs that leave it.
    bounds, outside = frames.map_box(path, bounds or objective.bounds, follow=objective.minima_estimated)
    (x0, x1), (y0, y1) = bounds
    xy = {"x": q("x", scale={"domain": [x0, x1], "nice": False}),
          "y": q("y", scale={"domain": [y0, y1], "nice": False})}
    source = data.frame(path, "path", [*MAP_COLUMNS, *([dash] if dash else []), *columns])
    # the legend under the map, in one row with the dashes' (a map needs its height; "Optimiser" goes
    # without saying)
    color = series_color(labels, opts, legend=legend, title=None, columns=legend_columns(labels, style))
    if legend:  # the legend shows lines, whatever marks share the colour
        color["legend"] = {**color["legend"], "symbolType": "stroke", "symbolOpacity": 1}
    quiet = color  # the hover points and the heads: the same colour, one legend (a second, empty one conflicted)
    tooltip = [n("label", title="optimiser"), q("step"), q("x", format=".4f"), q("y", format=".4f"),
               q("loss", format=".4g", title="f")]
    detail = n("run")
    dashed = ({"strokeDash": dash_by(path, dash, legend={"title": None, "orient": "top", "direction": "horizontal"}
                                     if legend else None)}
              if dash else {})
    grow = [until_step()] if scrub else []
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
            "transform": [until_step(),
                          {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}],
                           "groupby": ["series", "run", *([dash] if dash else [])]},
                          {"filter": "(datum.step === datum.last)"}]})
    first = path["step"].to_numpy() == 0
    start = tuple(path.loc[first, ["x", "y"]].iloc[0]) if first.any() else objective.start
    layers += markers(objective, start, style, data)
    layers += list(extra)
    if explain is not None and len(explain.arrows):
        layers.append(arrow_layer(explain, labels, opts, style, data))
    height = height or style.map_height
    # Equal scales on both axes where the page allows it: a map should not be stretched.
    if width is None:
        width = "container" if fit_width else int(np.clip(height * (x1 - x0) / (y1 - y0), 0.8 * height, 2.0 * height))
    view = {"layer": layers, "height": height, "width": width}
    if explain is not None:  # the arrows' dashes have a legend of their own
        view["resolve"] = {"scale": {"strokeDash": "independent"}, "legend": {"strokeDash": "independent"}}
    if outside:  # said on the map itself: the paths it cannot show
        note = f"{', '.join(outside)} {'leaves' if len(outside) == 1 else 'leave'} the plotted box"
        title = title if isinstance(title, dict) else {"text": title or ""}
        title = {**title, "subtitle": [*([title["subtitle"]] if isinstance(title.get("subtitle"), str)
                                        else title.get("subtitle", [])), note]}
    if title:
        view["title"] = title
    return view


def _switch(field: str, cases: Mapping[str, str], default: str = "null") -> str:
    """A Vega expression: ``cases[value]`` (expressions) for the value of ``datum[field]``."""
    out = default
    for value, then in reversed(list(cases.items())):
        out = f"datum.{field} === {json.dumps(value, ensure_ascii=False)} ? {then} : {out}"
    return f"({out})"


def arrow_layer(explain, labels: Sequence[str], opts: Sequence[str], style: ChartStyle, data: Datasets) -> dict:
    """The step explainer's arrows (``explain.step_explainer``) at the player's step: for each
    series the update that led to the step shown (its last one, once a run has stopped),
    coloured by series, dashed by kind, with the kinds' scales in the legend.

    The data holds one row per series and step (θ_{t−1} and each kind's drawn vector); the
    browser makes the few rows of the step shown into a shaft and two barbs per kind (the
    barbs at ``HEAD`` of the map's box, ``HEAD_ANGLE`` degrees off the shaft): a third of the
    bytes of sending the segments, for every step instead of every third."""
    kinds = [k for k in ARROW_DASHES if k in explain.legend]
    (x0, x1), (y0, y1) = explain.box
    w, h = float(x1 - x0), float(y1 - y0)
    longest = LONGEST * min(w, h) * (1 - 1e-6)
    c, s = float(np.cos(np.deg2rad(HEAD_ANGLE))), float(np.sin(np.deg2rad(HEAD_ANGLE)))
    ux, uy = f"(datum.vx / {w!r})", f"(datum.vy / {h!r})"  # the vector in boxes
    barb_x = f"({ux} * {c!r} - {uy} * {s!r} * datum.part) / datum.u * {HEAD * w!r}"
    barb_y = f"({ux} * {s!r} * datum.part + {uy} * {c!r}) / datum.u * {HEAD * h!r}"
    names = [label for _, label, _ in explain.series]
    # Their legend is in the panel beside the map (``Explainer.panel["arrows"]``): a second legend
    # under the map took the width the map needs.
    return {
        "data": data.frame(explain.arrows, "arrows", explain.arrows.columns),
        "transform": [
            {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}], "groupby": ["i"]},
            {"filter": f"datum.step === min({STEP}, datum.last)"},
            {"fold": [VECTOR[k][0] for k in kinds], "as": ["k", "vx"]},
            {"calculate": _switch("k", {VECTOR[k][0]: f"datum.{VECTOR[k][1]}" for k in kinds}), "as": "vy"},
            {"filter": "isValid(datum.vx) && isValid(datum.vy) && isFinite(datum.vx) && isFinite(datum.vy)"},
            {"calculate": _switch("k", {VECTOR[k][0]: json.dumps(explain.legend[k], ensure_ascii=False)
                                        for k in kinds}), "as": "kind"},
            {"calculate": f"{json.dumps(names, ensure_ascii=False)}[datum.i]", "as": "label"},
            {"calculate": f"sqrt({ux} * {ux} + {uy} * {uy})", "as": "u"},
            {"calculate": f"sqrt(datum.vx * datum.vx + datum.vy * datum.vy) >= {longest!r}", "as": "cut"},
            {"calculate": "[0, 1, -1]", "as": "part"},  # the shaft, then a barb either side
            {"flatten": ["part"]},
            {"filter": "datum.part === 0 || datum.u > 0"},
            {"calculate": f"datum.x + datum.vx + (datum.part === 0 ? 0 : {barb_x})", "as": "x2"},
            {"calculate": f"datum.y + datum.vy + (datum.part === 0 ? 0 : {barb_y})", "as": "y2"},
            {"calculate": "datum.part === 0 ? datum.x : datum.x + datum.vx", "as": "x"},
            {"calculate": "datum.part === 0 ? datum.y : datum.y + datum.vy", "as": "y"},
        ],
        "mark": {"type": "rule", "clip": True, "strokeWidth": style.line_width, "strokeCap": "round"},
        "encoding": {
            "x": q("x"), "y": q("y"), "x2": {"field": "x2"}, "y2": {"field": "y2"},
            "color": series_color(labels, opts, legend=False),
            "strokeDash": n("kind", scale={"domain": [explain.legend[k] for k in kinds],
                                           "range": [ARROW_DASHES[k] for k in kinds]}, legend=None),
            "detail": [n("part"), n("kind")],
            "tooltip": [n("label", title="optimiser"), n("kind", title="arrow"), q("step"),
                        n("cut", title="cut to a third of the map")],
        },
    }


def progress_view(path: pd.DataFrame, metric: str, title: str, style: ChartStyle, data: Datasets,
                  height: int, width: int, dash: str | None = None, columns: Sequence[str] = ()) -> dict:
    """A log-scale curve of ``metric`` that fills in up to the ``step`` param (the whole run
    stays faintly visible), with a marker at the current step. ``columns``: as in
    ``trajectory_view``."""
    labels, opts = legend_of(path)
    enc = {"x": q("step", title="step"),
           "y": q(metric, scale={"type": "log"}, axis=log_axis(title)),
           "color": series_color(labels, opts, legend=False), "detail": n("run"),
           **({"strokeDash": dash_by(path, dash)} if dash else {})}
    ghost = {"mark": {"type": "line", "strokeWidth": style.line_width / 2, "opacity": 0.2}, "encoding": enc}
    done = {"mark": {"type": "line", "strokeWidth": style.line_width}, "encoding": enc,
            "transform": [until_step()]}
    head = {"mark": {"type": "point", "filled": True, "opacity": 1, "size": style.point_size * 1.5},
            "encoding": {**enc, "tooltip": [n("label", title="optimiser"), q("step"),
                                            q(metric, format=".4g", title=title)]},
            "transform": [until_step(),
                          {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}],
                           "groupby": ["series", "run"]},
                          {"filter": "(datum.step === datum.last)"}]}
    used = ["series", "label", "run", "step", metric, *([dash] if dash else []), *columns]
    return {"data": data.frame(path, "path", used), "layer": [ghost, done, head],
            "height": height, "width": width}  # (its axis says what it is)


def top_level(view: dict, data: Datasets, params: Sequence[dict] = (), description: str = "",
              stretch: Sequence[int] = (), panel: Mapping | None = None, live: Mapping | None = None,
              phone_screens: float = 0) -> dict:
    """A finished spec: the view (a layer or a concatenation), its params and its datasets, its
    text alternative (``description``: what a screen reader says), the concatenated views
    that take the width left over by maps (``stretch``, for the chart component), and how many
    screens' height a concatenation stacked on a phone may take (``phone_screens``, else one)."""
    spec = {"$schema": SCHEMA_URL, **view, "datasets": dict(data.frames)}
    concat = view.get("hconcat") or view.get("vconcat") or []
    if any(_is_map(v) for v in concat) and "resolve" not in view:
        # each view keeps its own colours (a map of one run, the loss of all): shared, the first
        # view's label -> colour table would colour every other view's runs
        spec["resolve"] = {"scale": {"color": "independent"}}
    if description:
        spec["description"] = description
    meta = {}
    if stretch:
        meta["stretch"] = list(stretch)
    if panel:  # the step explainer's numbers: the chart component shows them beside the chart
        meta["explain"] = dict(panel)
    if live:  # the runs as the browser twin reads them: drag the start, the paths follow
        meta["live"] = dict(live)
    if phone_screens:
        meta["phone_screens"] = float(phone_screens)
    if meta:
        spec["usermeta"] = meta
    if params:
        spec["params"] = list(params)
    return spec


def _live(runs: live.Live | None, path: pd.DataFrame, objective: Objective, style: ChartStyle,
          data: Datasets, **where) -> dict | None:
    """``usermeta.live`` for the maps just built in ``data`` (``ui.views.live.describe``): their box
    and shading come from the contour image among the datasets."""
    if runs is None or not runs.runs:
        return None
    shading = next((f for name, f in data.frames.items() if name.startswith("contour")), None)
    if shading is None:
        return None
    row = shading.iloc[0]
    box = ((float(row["x"]), float(row["x2"])), (float(row["y"]), float(row["y2"])))
    return live.describe(runs, path, objective, style, box=box, image=row["url"], **where)


def _is_map(view: dict) -> bool:
    """A view with a contour layer (``contour_layer``)."""
    return any(str(layer.get("data", {}).get("name", "")).startswith("contour") for layer in view.get("layer", [view]))


def _names(frame: pd.DataFrame) -> str:
    labels = legend_of(frame)[0]
    return ", ".join(labels[:-1]) + (f" and {labels[-1]}" if len(labels) > 1 else labels[-1] if labels else "")


def trajectory_chart(path: pd.DataFrame, objective: Objective, steps: int, style: ChartStyle,
                     scrub: bool = True, live: live.Live | None = None, **view) -> dict:
    """One map as a finished spec; with ``scrub`` it has a ``step`` slider (the player's, in
    the step-through component). ``view``: ``trajectory_view``'s options (``explain``: a
    ``explain.Explainer``, its arrows on the map and its panel beside it). ``live``: the runs
    of the map's series, for the browser to recompute while the start is dragged."""
    data = Datasets()
    body = trajectory_view(path, objective, style, data, scrub=scrub, **view)
    explain = view.get("explain")
    preview = _live(live, path, objective, style, data, maps=[0], dash=view.get("dash"), explain=explain)
    return top_level(body, data, [step_param(steps)] if scrub else [], panel=explain.panel if explain else None,
                     live=preview,
                     description=f"A map of {objective.title}: the paths of {_names(path)} over its contour, "
                                 "from the start (a black dot) towards the minimum (a gold diamond).")


def map_and_progress(path: pd.DataFrame, objective: Objective, steps: int, style: ChartStyle,
                     metric: str = "gap", metric_title: str = "f(θ) − f*", dash: str | None = None,
                     explain=None, live: live.Live | None = None) -> dict:
    """The paths over the map beside the loss gap, both moved by one ``step`` param (for the
    step-through player); the map zooms and pans."""
    data = Datasets()
    height = style.map_height
    body = {"hconcat": [trajectory_view(path, objective, style, data, zoom=True, dash=dash, columns=[metric],
                                        explain=explain),
                        progress_view(path, metric, metric_title, style, data, height=height,
                                      width=int(height * 0.75), dash=dash, columns=MAP_COLUMNS)],
            "resolve": {"scale": {"color": "shared"}}}
    preview = _live(live, path, objective, style, data, maps=[0], dash=dash, explain=explain,
                    loss_view=1 if metric == "gap" else None)
    return top_level(body, data, [step_param(steps)], stretch=[1], panel=explain.panel if explain else None,
                     live=preview,
                     description=f"A map of {objective.title} with the paths of {_names(path)}, and beside it "
                                 f"their {metric_title} against the step on a log scale.")


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
    color = series_color(labels, opts, columns=legend_columns(labels, style))
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
    return top_level(view, data, description=f"{title or y_title} against the step on a log scale for "
                                                f"{_names(band)}: the median of the runs and a band from their "
                                                "10% to their 90% quantile.")


# ---------------------------------------------------------------------------
# Curves, points and bars
# ---------------------------------------------------------------------------


def _view(layer_or_mark: dict, style: ChartStyle, title=None, height: int | None = None) -> dict:
    view = {**layer_or_mark, "height": height or style.height, "width": "container"}
    if title:
        view["title"] = title
    return view


def _scale(log: bool) -> dict:
    return {"type": "log"} if log else {"zero": False}


def _axis(title: str, log: bool) -> dict:
    return log_axis(title) if log else {"title": title}


def curve_chart(frame: pd.DataFrame, y: str, y_title: str, style: ChartStyle, log_y: bool = True,
                x: str = "step", x_title: str = "step", strokedash: str | None = None,
                legend_title: str | None = "Optimiser", log_x: bool = False, title=None,
                height: int | None = None, tooltip_extra: Sequence[dict] = ()) -> dict:
    """Lines of ``y`` against ``x``, one per series (and per ``strokedash`` value)."""
    labels, opts = legend_of(frame)
    data = Datasets()
    detail = ["series", *([strokedash] if strokedash else []), *(["run"] if "run" in frame.columns else [])]
    encoding = {
        "x": q(x, title=x_title, **({"scale": {"type": "log"}} if log_x else {})),
        "y": q(y, scale=_scale(log_y), axis=_axis(y_title, log_y)),
        "color": series_color(labels, opts, title=legend_title, columns=legend_columns(labels, style)),
        "tooltip": [n("label", title="series"), q(x), q(y, format=".4g", title=y_title), *tooltip_extra],
        "detail": [n(d) for d in detail],
    }
    if strokedash:  # one row above the view (two legends side by side under it can be wider than the chart,
        # and a legend beside the plot takes its width)
        encoding["strokeDash"] = dash_by(frame, strokedash, legend={"title": None, "orient": "top",
                                                                    "direction": "horizontal"})
    used = {"series", "label", x, y, *detail, *(t["field"] for t in tooltip_extra)}
    line = {"data": data.frame(frame, "curve", used), "mark": {"type": "line", "strokeWidth": style.line_width,
                                                               "clip": True}, "encoding": encoding}
    return top_level(_view(line, style, title, height), data,
                     description=f"{title or y_title}: {y_title} against {x_title} for {_names(frame)}"
                                 + (f", {strokedash} by line dash" if strokedash else "") + ".")


def beta2_chart(frame: pd.DataFrame, style: ChartStyle) -> dict:
    """Step length against step for several beta2, corrected (solid) and not (dashed)."""
    order = list(dict.fromkeys(frame["label"]))
    data = Datasets()
    line = {"data": data.frame(frame, "beta2", ("label", "series", "correction", "step", "size")),
            "mark": {"type": "line", "strokeWidth": style.line_width},
            "encoding": {
                "x": q("step", title="step"),
                "y": q("size", scale={"type": "log"}, axis=log_axis("|Δθ| (step length)")),
                "color": {"field": "label", "type": "ordinal", "sort": order,
                          "scale": {"domain": order, "range": ["#56B4E9", "#009E73", "#E69F00", "#D55E00"]},
                          "legend": {"title": "β₂", "orient": "bottom",
                                     "columns": legend_columns(order, style, wide=True)}},
                "strokeDash": dash_by(frame, "correction", legend={"title": None, "orient": "top",
                                                                    "direction": "horizontal"}),
                "detail": n("series"),
                "tooltip": [n("label"), n("correction"), q("step"), q("size", format=".4g")]}}
    return top_level(_view(line, style), data, description="The length of Adam's step against the step for "
                     "several β₂, with bias correction (solid) and without (dashed), on a log scale.")


def xy_chart(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, style: ChartStyle,
             title=None, log_x: bool = True, log_y: bool = True, tooltip_extra: Sequence[dict] = ()) -> dict:
    """Points joined by lines, one series per optimiser (e.g. per-parameter summaries)."""
    labels, opts = legend_of(frame)
    data = Datasets()
    source = data.frame(frame, "xy", {"series", "label", x, y, *(t["field"] for t in tooltip_extra)})
    xy = {"x": q(x, scale={"type": "log", "nice": False, "padding": 12} if log_x else {"zero": False},
                 axis=_axis(x_title, log_x)),
          "y": q(y, scale=_scale(log_y), axis=_axis(y_title, log_y)),
          "color": series_color(labels, opts, columns=legend_columns(labels, style)), "detail": n("series")}
    tooltip = [n("label", title="optimiser"), q(x, format=".3g", title=x_title), q(y, format=".3g", title=y_title),
               *tooltip_extra]
    layers = [{"mark": {"type": "line", "strokeWidth": style.line_width / 2, "opacity": 0.6, "clip": True},
               "encoding": {**xy, "order": q(x)}},
              {"mark": {"type": "point", "filled": True, "size": style.point_size * 1.5, "clip": True},
               "encoding": {**xy, "tooltip": tooltip}}]
    return top_level(_view({"data": source, "layer": layers}, style, title), data,
                     description=f"{title or y_title}: {y_title} against {x_title} for {_names(frame)}, one point "
                                 "per parameter.")


def sensitivity_chart(frame: pd.DataFrame, best: pd.DataFrame, style: ChartStyle, ceiling: float) -> dict:
    """Final loss (median line, quantile band) against learning rate; each optimiser's best
    learning rate marked and the range within 2x of its best loss shaded."""
    labels, opts = legend_of(frame)
    data = Datasets()
    # One colour encoding, legend included, on every layer: a layer with ``legend: null`` on the
    # shared scale hides the legend of all of them.
    color = series_color(labels, opts, columns=legend_columns(labels, style, wide=True))
    color["legend"] = {**color["legend"], "symbolType": "circle", "symbolOpacity": 1}
    x = q("lr", scale={"type": "log", "nice": False}, axis=log_axis("learning rate η"))
    y_scale = {"type": "log", "domainMax": ceiling}
    runs = data.frame(frame, "sensitivity", ("series", "label", "lr", "median", "lo", "hi", "diverged", "top"))
    bests = data.frame(best, "best", ("series", "label", "best_lr", "best_loss", "lr_lo", "lr_hi",
                                      "edge_lo", "edge_hi"))
    name, lr = n("label", title="optimiser"), q("lr", format=".3g", title="η")
    layers = [
        {"data": bests, "mark": {"type": "rect", "opacity": 0.15},
         "encoding": {"x": q("edge_lo"), "x2": {"field": "edge_hi"}, "color": color}},
        {"data": runs, "mark": {"type": "area", "opacity": 0.18},
         "encoding": {"x": x, "y": q("lo", scale=y_scale, axis=log_axis("final f(θ) − f*")), "y2": {"field": "hi"},
                      "color": color}},
        {"data": runs, "mark": {"type": "line", "strokeWidth": style.line_width,
                                "point": {"size": style.point_size / 2}},
         "encoding": {"x": x, "y": q("median", scale=y_scale), "color": color,
                      "tooltip": [name, lr, q("median", format=".4g", title="median final f − f*"),
                                  q("diverged", title="diverged runs")]}},
        {"data": runs, "transform": [{"filter": "datum.diverged > 0"}],
         "mark": {"type": "point", "shape": "cross", "size": style.point_size * 1.5, "filled": True},
         "encoding": {"x": x, "y": q("top", scale=y_scale), "color": color,
                      "tooltip": [name, lr, q("diverged", title="diverged runs")]}},
        {"data": bests, "mark": {"type": "point", "shape": "diamond", "filled": True, "size": style.point_size * 3,
                                 "stroke": "black", "strokeWidth": 1, "opacity": 1},
         "encoding": {"x": q("best_lr"), "y": q("best_loss", scale=y_scale), "color": color,
                      "tooltip": [name, q("best_lr", format=".3g", title="best η"),
                                  q("best_loss", format=".4g", title="median final f − f*"),
                                  q("lr_lo", format=".3g", title="within 2x from η"),
                                  q("lr_hi", format=".3g", title="to η")]}},
    ]
    return top_level(_view({"layer": layers}, style, height=style.height + 60), data,
                     description=f"The final loss gap against the learning rate for {_names(frame)}: the median "
                                 "over seeds and a band, each optimiser's best learning rate as a diamond and the "
                                 "range within 2x of its best loss shaded; crosses where runs diverged.")


def pull_chart(frame: pd.DataFrame, style: ChartStyle) -> dict:
    """How far weight decay pulled each weight from its optimum (1 - final), per method."""
    labels, opts = legend_of(frame)
    data = Datasets()
    bars = {"data": data.frame(frame, "pull", ("label", "weight", "final", "pull")),
            "mark": {"type": "bar"},
            "encoding": {"x": n("weight", title="weight", axis={"labelAngle": 0}),
                         "xOffset": n("label", sort=labels),
                         "y": q("pull", title="pull towards 0 (1 − position)"),
                         "color": series_color(labels, opts, title=None, columns=1),
                         "tooltip": [n("label", title=""), n("weight"), q("final", format=".4f"),
                                     q("pull", format=".4f")]}}
    title = {"text": "Effective regularisation of each weight",
             "subtitle": "position: the mean over the last 10% of the steps"}
    return top_level(_view(bars, style, title, style.map_height - 60), data,
                     description=f"Bars: how far weight decay pulled each weight from its optimum, for "
                                 f"{_names(frame)}.")


def chapter_figure(traces: Mapping[str, Trace], objective: Objective, experiment, style: ChartStyle,
                   explain=None, live: live.Live | None = None) -> dict:
    """The chapter's figure: one map per run of the experiment, side by side like the chapter's
    (one colour each, named in its title with its final f and its hyperparameters), played together."""
    height = int(style.map_height * 0.45)
    data = Datasets()
    views, paths = [], []
    for opt, hyper in experiment.runs:
        path = frames.path_frame({opt: traces[opt]}, objective, max_points=800)
        paths.append(path)
        settings = ", ".join(f"{OPTIMIZERS[opt].hypers[k].text} = {v:g}" for k, v in hyper.items())
        views.append(trajectory_view(
            path, objective, style, data, contour_n=60, legend=False, height=height, width=int(height * 1.5),
            title={"text": frames.title(opt), "subtitle": [f"final f = {traces[opt].final_loss[0]:.4f}", settings]},
            explain=explain_only(explain, opt) if explain is not None else None))
    preview = _live(live, pd.concat(paths, ignore_index=True), objective, style, data, explain=explain,
                    maps=list(range(len(views))), views={opt: [i] for i, (opt, _) in enumerate(experiment.runs)})
    return top_level({"hconcat": views}, data, [step_param(experiment.steps)], panel=explain.panel if explain else None,
                     live=preview,
                     description=f"The chapter's figure: three maps of {objective.title}, one per optimiser "
                                 f"({', '.join(frames.title(o) for o, _ in experiment.runs)}), each with its path "
                                 "and its final f.")


def cross_layer(point, what: str, style: ChartStyle) -> dict:
    """A black cross marking one point of a map (e.g. a regularised minimum)."""
    return point_layer([(point[0], point[1], what)], tooltip_format=".4f", shape="cross",
                       size=style.point_size * 4, color="black")


# ---------------------------------------------------------------------------
# Hyperparameter maps
# ---------------------------------------------------------------------------

STATUS_COLORS = {"diverged": "#7a7a7a", "not reached": "#dcdcdc"}  # beside viridis: grey, then light grey
TALL = 1.7  # a map's height over its width


def _decay_ticks(lo: float, hi: float) -> list[float]:
    """1 − β at β = 0, 0.9, 0.99, ... within [lo, hi] (the axis shows β)."""
    return [10.0 ** -k for k in range(0, 13) if lo * (1 - 1e-9) <= 10.0 ** -k <= hi * (1 + 1e-9)]


def hypermap_view(opt: str, cells: pd.DataFrame, marks: pd.DataFrame, lines: pd.DataFrame, points: pd.DataFrame,
                  fill: dict, tooltip: list[dict], style: ChartStyle, data: Datasets, side: int,
                  fill_legend: bool, status_legend: bool) -> dict:
    """One optimiser's map: its cells coloured by ``fill`` (a quantitative scale shared by every
    map of the chart), the diverged (or not reached) ones grey, its best cell framed, the run on
    the path map dotted, and theory's edge and optimum where they are known."""
    main, symbol = analysis.main_of(opt)
    own = cells[cells["series"] == opt]
    x_domain = [float(own["x0"].min()), float(own["x1"].max())]
    x = q("x0", scale={"type": "log", "domain": x_domain, "nice": False}, axis=log_axis("η"))
    if main is None:
        y = q("y0", scale={"domain": [0, 1], "nice": False, "zero": False}, axis=None)
    else:
        lo, hi = float(own["y0"].min()), float(own["y1"].max())
        scale = {"domain": [lo, hi], "nice": False, "zero": False}
        # the symbol above the axis's labels, level (a rotated title beside them takes a map's width)
        axis = {"title": symbol, "titleAngle": 0, "titleAlign": "right", "titleBaseline": "bottom", "titleX": 0,
                "titleY": -style.font_size * 0.4}
        if main.scale == "decay":  # 1 − β on a log axis, β near 1 at the top, labelled by β
            axis.update(values=_decay_ticks(lo, hi), labelExpr="format(1 - datum.value, '.6~g')")
            scale.update(type="log", reverse=True)
        else:
            scale.update(type="log" if main.scale == "log" else "linear")
        y = q("y0", scale=scale, axis=axis)
    mine = {"filter": {"field": "series", "equal": opt}}
    source = data.frame(cells, "cells", ("series", "lr", "h2", "x0", "x1", "y0", "y1", "value", "gap", "steps",
                                         "diverged", "status"))
    edges = {"x": x, "x2": {"field": "x1"}, "y": y, "y2": {"field": "y1"}}
    # only the outcomes this chart has, one above the other: a legend wider than its map widens its view
    shown = [k for k in STATUS_COLORS if (cells["status"] == k).any()] or ["diverged"]
    status = n("status", scale={"domain": shown, "range": [STATUS_COLORS[k] for k in shown]},
               legend={"title": None, "orient": "bottom", "direction": "vertical"} if status_legend else None)
    layers = [
        {"data": source, "transform": [mine, {"filter": "isValid(datum.value) && isFinite(datum.value)"}],
         "mark": {"type": "rect"},
         "encoding": {**edges, "fill": {"field": "value", **fill, **({} if fill_legend else {"legend": None})},
                      "tooltip": tooltip}},
        {"data": source, "transform": [mine, {"filter": "datum.status !== ''"}],
         "mark": {"type": "rect"},
         "encoding": {**edges, "color": status, "tooltip": [n("status", title="outcome"), *tooltip[1:]]}},
    ]
    framed = data.frame(marks, "framed", ("series", "kind", "lr", "h2", "x0", "x1", "y0", "y1"))
    layers.append({"data": framed, "transform": [mine, {"filter": "datum.kind === 'best'"}],
                   "mark": {"type": "rect", "filled": False, "stroke": "black", "strokeWidth": style.line_width * 1.25},
                   "encoding": {**edges, "tooltip": {"value": "best cell"}}})
    centre = [{"calculate": "sqrt(datum.x0 * datum.x1)", "as": "xc"},
              {"calculate": ("(datum.y0 + datum.y1) / 2" if main is None or main.scale == "linear"
                             else "sqrt(datum.y0 * datum.y1)"), "as": "yc"}]
    layers.append({"data": framed, "transform": [mine, {"filter": "datum.kind === 'shown'"}, *centre],
                   "mark": {"type": "point", "filled": True, "fill": "white", "stroke": "black", "strokeWidth": 1.5,
                            "size": style.point_size * 1.5, "opacity": 1},
                   "encoding": {"x": q("xc"), "y": q("yc"), "tooltip": {"value": "the run on the path map"}}})
    if (lines["series"] == opt).any():
        layers.append({"data": data.frame(lines, "edge", ("series", "eta", "y", "what")), "transform": [mine],
                       "mark": {"type": "line", "clip": True, "color": "black", "strokeDash": [8, 4],
                                "strokeWidth": style.line_width},
                       "encoding": {"x": q("eta"), "y": q("y"), "order": q("y"),
                                    "tooltip": [n("what", title="theory")]}})
    if (points["series"] == opt).any():
        layers.append({"data": data.frame(points, "optimum", ("series", "eta", "y", "h2", "what")), "transform": [mine],
                       "mark": {"type": "point", "shape": "cross", "filled": True, "clip": True, "color": "black",
                                "stroke": "white", "strokeWidth": 1, "size": style.point_size * 3, "opacity": 1},
                       "encoding": {"x": q("eta"), "y": q("y"),
                                    "tooltip": [n("what", title="theory"), q("eta", format=".3g", title="η*"),
                                                *([q("h2", format=".4g", title=f"{symbol}*")] if main else [])]}})
    # a little taller than wide: the titles, axes and legends take the height the plot needs
    return {"layer": layers, "width": side, "height": int(side * TALL), "title": frames.title(opt)}


def _decades(domain: Sequence[float], most: int = 4) -> list[float]:
    """Labels for a log colour scale over ``domain``: its powers of ten, every k-th so that at most
    ``most`` are left (a label per tick would overlap); its two ends when it holds fewer than two."""
    lo, hi = float(domain[0]), float(domain[-1])
    powers = [10.0 ** k for k in range(int(np.ceil(np.log10(lo) - 1e-9)), int(np.floor(np.log10(hi) + 1e-9)) + 1)]
    if len(powers) < 2:
        return [float(f"{lo:.2g}"), float(f"{hi:.2g}")]
    k = -(-len(powers) // most)
    return powers[::k]


def _lines(text: str, width: int) -> str | list[str]:
    """``text`` broken at spaces into lines of at most about ``width`` characters (Vega's multi-line
    title: a list); one line when it fits. A formula stays whole: an operator keeps its neighbours
    (f − f*)."""
    words: list[str] = []
    for word in text.split(" "):
        if words and (word in ("−", "≤", "=", "+") or words[-1].endswith(("−", "≤", "=", "+"))):
            words[-1] += " " + word
        else:
            words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines[0] if len(lines) == 1 else lines


def hypermap_chart(cells: pd.DataFrame, marks: pd.DataFrame, lines: pd.DataFrame, points: pd.DataFrame,
                   measure: str, measure_title: str, domain: Sequence[float], style: ChartStyle,
                   path: pd.DataFrame | None = None, objective: Objective | None = None,
                   steps: int = 0, path_title=None) -> dict:
    """Every chosen optimiser's map of the outcome over (η, its main hyperparameter), side by side,
    on one colour scale (``domain``: the measure's range over all of them, log for the loss and
    the steps, 0-1 for the share that diverged; light is good) with one legend; and, with a
    ``path``, the run of one cell over the objective's map beside them, driven by the ``step``
    param (the player's)."""
    data = Datasets()
    share = measure == "diverged"
    fill = {"type": "quantitative",
            "scale": {"type": "linear" if share else "log", "domain": [float(v) for v in domain], "clamp": True,
                      "scheme": "orangered" if share else "viridis", "reverse": not share, "nice": False},
            # the title in lines no wider than the gradient: a legend wider than its map widens its view
            # (the first map's), which pushes the other maps away
            "legend": {"title": _lines(measure_title, 20), "orient": "bottom", "direction": "horizontal",
                       "titleLimit": 600, "format": ".0%" if share else "~e", "gradientLength": style.font_size * 9,
                       **({} if share else {"values": _decades(domain)})}}
    tooltip = [q("value", format=".0%" if share else ".3g", title=measure_title), q("lr", format=".3g", title="η")]
    side = int(style.map_height * 0.6)
    views = []
    series = list(dict.fromkeys(cells["series"]))
    for k, opt in enumerate(series):
        _, symbol = analysis.main_of(opt)
        tips = [*tooltip, *([q("h2", format=".6~g", title=symbol)] if symbol else []),
                q("gap", format=".3g", title="median final f − f*"),
                *([q("steps", format=".4~g", title="median steps")] if measure == "steps" else []),
                q("diverged", format=".0%", title="seeds diverged")]
        views.append(hypermap_view(opt, cells, marks, lines, points, fill, tips, style, data, side=side,
                                   fill_legend=k == 0, status_legend=k == len(series) - 1))
    names = ", ".join(frames.title(o) for o in series)
    description = (f"Maps of the {measure_title} over a grid of the learning rate η (log scale) and each "
                   f"optimiser's main hyperparameter, for {names}, on one colour scale; the best cell of each is "
                   "framed in black.")
    params = []
    if path is not None and objective is not None:
        views.append(trajectory_view(path, objective, style, data, title=path_title, legend=False,
                                     height=int(side * TALL), width=side))
        params = [step_param(steps)]
        description += f" Beside them, the run of one cell over a map of {objective.title}."
    # Every map has the same colour scale (the same domain and scheme), each its own: its legend is drawn
    # once, under the first map, as the outcomes' (diverged) under the last; a legend of the whole chart
    # would take a row of its own, which the chart component cannot foresee when it reserves the
    # chart's height (the maps were drawn at half their size).
    body = {"hconcat": views, "resolve": {"scale": {"fill": "independent", "color": "independent"},
                                          "legend": {"fill": "independent", "color": "independent"}}}
    # on a phone the maps stack one under another: each keeps a readable size (about two thirds of a
    # screen's height each, a page to scroll) rather than all of them shrinking into one screen
    return top_level(body, data, params, description=description, phone_screens=0.65 * len(views))
