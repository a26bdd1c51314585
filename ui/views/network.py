"""The Neural network page's frames and charts: decision boundaries that train, metric curves,
and the effective learning rate per layer.

A run's parameters are recorded at about ``FRAMES`` steps (``View.spec(rows=FRAMES)``); at each frame the network
(``engine.network.Network``) gives the class probabilities on a ``GRID`` x ``GRID`` grid over the
input plane, and its train and test loss and accuracy. The effective learning rate of a layer is
summarised by its median and 10%-90% quantiles over the layer's weights, not one line per weight.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import Trace
from engine.owndata import BOX

from .charts import Datasets, top_level
from .claims import pct
from .frames import _alive, levels, levels_png, title
from .theme import STEP, ChartStyle, legend_columns, legend_of, log_axis, n, q, series_color, step_param

FRAMES = 25  # recorded frames of a run (the boundary's step-through)
GRID = 28  # cells per side of a boundary map
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73")  # Okabe-Ito: blue, orange, green


def _grid(net):
    (x0, x1), (y0, y1) = net.bounds
    xs = x0 + (np.arange(GRID) + 0.5) * (x1 - x0) / GRID
    ys = y0 + (np.arange(GRID) + 0.5) * (y1 - y0) / GRID
    X, Y = np.meshgrid(xs, ys)
    return np.column_stack([X.ravel(), Y.ravel()])


# The experiments (the page's "Experiment" control): the runs each makes, as changes to the page's run
# of an optimiser. "tuned": each optimiser over a grid of learning rates wide enough that its best (by
# final training loss) lies inside it at the page's defaults; "adamw": decoupled decay and the schedule
# each shown apart (Adam + L2 and AdamW at a constant eta, then AdamW with warm-up + cosine).
TUNED_GRIDS = {"momentum": tuple(np.logspace(-3, 2, 11)), "adam": tuple(np.logspace(-4, 1, 11))}
DECAY = {"lr": 0.01, "weight_decay": 0.05}
SCHEDULE = "warmup_cosine"
VARIANT_COLOR = "adam_raw"  # the theme's colour for a variant drawn beside an optimiser


@dataclass(frozen=True)
class Experiment:
    """The runs of one view of the page: series -> (optimiser, changes to its run), their legend
    labels and colours (an optimiser's name in the theme's table), and the tuning grids."""

    runs: Mapping[str, tuple[str, Mapping]]
    labels: Mapping[str, str] = field(default_factory=dict)
    colors: Mapping[str, str] = field(default_factory=dict)
    grids: Mapping[str, tuple] = field(default_factory=dict)


def experiment(preset: str, chosen, steps: int) -> Experiment:
    """The runs of ``preset`` ("none": the ``chosen`` optimisers at the page's learning rates)."""
    if preset == "tuned":
        return Experiment({o: (o, {"lr": grid}) for o, grid in TUNED_GRIDS.items()}, grids=TUNED_GRIDS)
    if preset == "adamw":
        cosine = {**DECAY, "schedule": SCHEDULE, "schedule_options": {"warmup": max(1, steps // 10)}}
        return Experiment({"adam": ("adam", DECAY), "adamw": ("adamw", DECAY), "adamw_cos": ("adamw", cosine)},
                          labels={"adam": "Adam + L2", "adamw": "AdamW", "adamw_cos": "AdamW with warm-up + cosine"},
                          colors={"adamw_cos": VARIANT_COLOR})
    return Experiment({o: (o, {}) for o in chosen})


def _series(traces: Mapping[str, Trace], runs: Mapping[str, int] | None, labels: Mapping[str, str] | None,
            colors: Mapping[str, str] | None = None):
    """Each series' name, trace, the run shown (``runs``, default 0), its legend label, its colour's
    optimiser (``colors``, default its own), and which of its recorded steps come before that run's
    stop (``frames._alive``)."""
    for name, tr in traces.items():
        r = (runs or {}).get(name, 0)
        yield (name, tr, r, (labels or {}).get(name, title(tr.optimizer)), (colors or {}).get(name, tr.optimizer),
               _alive(tr, tr.t)[:, r])


def boundary_frame(traces: Mapping[str, Trace], net, runs: Mapping[str, int] | None = None,
                   labels: Mapping[str, str] | None = None, colors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per (series, frame, grid cell, row-major): the predicted class and its probability
    (for two classes, ``p`` is the probability of class 1)."""
    points = _grid(net)
    out = []
    for name, tr, r, label, color, alive in _series(traces, runs, labels, colors):
        params = tr.params[alive, r]
        probs = net.predict_proba(params, points)  # (F, G, C)
        p = probs[..., 1] if net.n_classes == 2 else probs.max(-1)
        cls = probs.argmax(-1)
        g = p.shape[1]
        out.append(pd.DataFrame({"series": name, "label": label, "optimizer": color,
                                 "step": np.repeat(tr.t[alive], g),
                                 "p": np.round(p.ravel(), 3), "cls": cls.ravel()}))  # 3 decimals: the shade
    return pd.concat(out, ignore_index=True)


def metrics_frame(traces: Mapping[str, Trace], net, runs: Mapping[str, int] | None = None,
                  labels: Mapping[str, str] | None = None, colors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Train and test loss and accuracy at every frame: rows (series, step, split)."""
    out = []
    for name, tr, r, label, color, alive in _series(traces, runs, labels, colors):
        m = net.metrics(tr.params[alive, r])
        for split in ("train", "test"):
            out.append(pd.DataFrame({"series": name, "label": label, "optimizer": color,
                                     "step": tr.t[alive], "split": split,
                                     "loss": np.maximum(m[f"{split}_loss"], 1e-12),
                                     "accuracy": m[f"{split}_accuracy"]}))
    return pd.concat(out, ignore_index=True)


def layer_lr_frame(traces: Mapping[str, Trace], net, runs: Mapping[str, int] | None = None,
                   labels: Mapping[str, str] | None = None, colors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The effective learning rate of each layer at every recorded update: median and the 10% and
    90% quantiles over the layer's weights and biases."""
    out = []
    for name, tr, r, label, color, alive in _series(traces, runs, labels, colors):
        eff = tr.eff_lr[:, r]  # (updates, P): row i made recorded step i + 1
        keep = alive[1:]
        for layer, cut in net.layers:
            lo, med, hi = np.quantile(eff[keep][:, cut], (0.1, 0.5, 0.9), axis=1)
            out.append(pd.DataFrame({"series": name, "label": label, "optimizer": color,
                                     "layer": layer, "step": tr.t[1:][keep],
                                     "median": np.maximum(med, 1e-12), "lo": np.maximum(lo, 1e-12),
                                     "hi": np.maximum(hi, 1e-12)}))
    return pd.concat(out, ignore_index=True)


def points_frame(net) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"x": net.X_train[:, 0], "y": net.X_train[:, 1], "cls": net.y_train,
                                    "set": "train"}),
                      pd.DataFrame({"x": net.X_test[:, 0], "y": net.X_test[:, 1], "cls": net.y_test,
                                    "set": "test"})], ignore_index=True)


def _fill_expr(colors) -> str:
    """A Vega expression: the colour of ``datum.cls`` mixed with white, ``datum.sure`` of the way."""
    def mix(hex_color: str) -> str:
        r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
        k = "(0.12 + 0.55 * datum.sure)"
        return f"rgb(255 - {255 - r} * {k}, 255 - {255 - g} * {k}, 255 - {255 - b} * {k})"
    expr = mix(colors[-1])
    for i in range(len(colors) - 2, -1, -1):
        expr = f"(datum.cls === {i} ? {mix(colors[i])} : {expr})"
    return expr


def boundary_chart(boundary: pd.DataFrame, points: pd.DataFrame, net, steps: int, style: ChartStyle,
                   titles: Mapping[str, str | dict]) -> dict:
    """One map per series, side by side, played together: the shading is the network's predicted
    class (its probability as the shade), the dots are the training points and the crosses the
    test points, coloured by their true class. ``titles``: each map's title (a Vega-Lite title:
    text, or text and subtitle)."""
    data = Datasets()
    (x0, x1), (y0, y1) = net.bounds
    w, h = (x1 - x0) / GRID, (y1 - y0) / GRID
    classes = list(range(net.n_classes))
    colors = list(CLASS_COLORS[: net.n_classes])
    cls_scale = {"domain": classes, "range": colors}
    xy = {"x": q("x", scale={"domain": [x0, x1], "nice": False}, title="x₁"),
          "y": q("y", scale={"domain": [y0, y1], "nice": False}, title="x₂")}
    pts = data.frame(points, "points", ("x", "y", "cls", "set"))
    size = int(style.map_height * (0.62 if len(titles) > 2 else 0.75))
    views = []
    for name, text in titles.items():
        part = boundary[boundary["series"] == name]
        source = data.frame(part, f"boundary_{name}", ("step", "p", "cls"))
        col, row = f"((datum.i - 1) % {GRID})", f"floor((datum.i - 1) / {GRID})"
        cells = {
            "data": source,
            "transform": [{"filter": f"(datum.step <= {STEP})"},
                          {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}]},
                          {"filter": "(datum.step === datum.last)"},
                          {"window": [{"op": "row_number", "as": "i"}]},
                          {"calculate": f"{x0!r} + {col} * {w!r}", "as": "x"},
                          {"calculate": f"{x0!r} + ({col} + 1.05) * {w!r}", "as": "x2"},
                          {"calculate": f"{y0!r} + {row} * {h!r}", "as": "y"},
                          {"calculate": f"{y0!r} + ({row} + 1.05) * {h!r}", "as": "y2"},
                          # how sure the network is: 0 on the boundary, 1 far from it
                          {"calculate": ("abs(2 * datum.p - 1)" if net.n_classes == 2
                                         else f"(datum.p - {1 / net.n_classes!r}) / {1 - 1 / net.n_classes!r}"),
                           "as": "sure"},
                          # the class's colour, paler where it is less sure: opaque, so the cells'
                          # overlaps (no seams between them) do not darken
                          {"calculate": _fill_expr(colors), "as": "fill"}],
            "mark": {"type": "rect"},
            "encoding": {**xy, "x2": {"field": "x2"}, "y2": {"field": "y2"},
                         "color": {"field": "fill", "type": "nominal", "scale": None, "legend": None},
                         "tooltip": [q("p", format=".3f", title="p(class 1)" if net.n_classes == 2 else "p")]},
        }
        train = {"data": pts, "transform": [{"filter": "datum.set === 'train'"}],
                 "mark": {"type": "circle", "clip": True, "size": style.point_size * 0.5, "opacity": 0.9,
                          "stroke": "white",
                          "strokeWidth": 0.5},
                 "encoding": {**xy, "color": n("cls", scale=cls_scale, legend=None)}}
        test = {"data": pts, "transform": [{"filter": "datum.set === 'test'"}],
                "mark": {"type": "point", "clip": True, "shape": "cross", "size": style.point_size * 0.8,
                         "filled": True,
                         "stroke": "black", "strokeWidth": 0.6},
                "encoding": {**xy, "color": n("cls", scale=cls_scale, legend=None)}}
        views.append({"layer": [cells, train, test], "width": size, "height": size, "title": text})
    return top_level({"hconcat": views}, data, [step_param(steps)],
                     description="The decision boundary of each optimiser's network as it trains: the shading is "
                                 "the predicted class, darker where the network is surer; dots are training "
                                 "points, crosses test points, coloured by their true class.")


def curves_chart(frame: pd.DataFrame, y: str, y_title: str, style: ChartStyle, log_y: bool, title_text: str) -> dict:
    """Train (solid) and test (dashed) ``y`` against the step, one colour per optimiser."""
    from .charts import curve_chart

    return curve_chart(frame, y, y_title, style, log_y=log_y, strokedash="split", title=title_text,
                       height=int(style.height * 0.8))


def layer_lr_chart(frame: pd.DataFrame, style: ChartStyle) -> dict:
    """Each layer's median effective learning rate (a line per optimiser and layer, dashed by
    layer) with its 10%-90% band over the layer's weights."""
    data = Datasets()
    labels = list(dict.fromkeys(frame["label"]))
    opts = [frame.loc[frame["label"] == lab, "optimizer"].iloc[0] for lab in labels]
    source = data.frame(frame, "layer_lr", ("label", "layer", "step", "median", "lo", "hi"))
    color = series_color(labels, opts, columns=legend_columns(labels, style, wide=True))
    x = q("step", title="step")
    layers = list(dict.fromkeys(frame["layer"]))
    dash = n("layer", scale={"domain": layers, "range": [[1, 0], [6, 3], [2, 2]][: len(layers)]},
             legend={"title": "layer", "orient": "top", "direction": "horizontal"})
    band = {"mark": {"type": "area", "opacity": 0.12},
            "encoding": {"x": x, "y": q("lo", scale={"type": "log"}, title="effective learning rate"),
                         "y2": {"field": "hi"}, "color": color, "detail": [n("layer")]}}
    line = {"mark": {"type": "line", "strokeWidth": style.line_width},
            "encoding": {"x": x, "y": q("median", scale={"type": "log"}), "color": color, "strokeDash": dash,
                         "tooltip": [n("label", title="optimiser"), n("layer"), q("step"),
                                     q("median", format=".3g"), q("lo", format=".3g", title="10%"),
                                     q("hi", format=".3g", title="90%")]}}
    view = {"data": source, "layer": [band, line], "height": int(style.height * 0.8), "width": "container",
            "title": "Effective learning rate per layer (median, 10%-90% band)"}
    return top_level(view, data, description="The effective learning rate of each layer against the step, per "
                                             "optimiser: the median over the layer's weights and a band from "
                                             "their 10% to their 90% quantile, on a log scale.")


# ---------------------------------------------------------------------------
# One's own data: the editor
# ---------------------------------------------------------------------------


def own_points_frame(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """A data set's points in order (``row`` from 1, as the file and the notices count them)."""
    return pd.DataFrame({"row": np.arange(1, len(y) + 1), "x": X[:, 0], "y": X[:, 1], "cls": y.astype(int)})


def editor_chart(points: pd.DataFrame, style: ChartStyle, adding: int, title: str) -> dict:
    """The plane with one's own points, coloured by class: a click in it adds a point (the page
    draws it with ``pick``); the last point added is ringed (undo removes it)."""
    data = Datasets()
    (x0, x1), (y0, y1) = BOX
    cls_scale = {"domain": [0, 1, 2], "range": list(CLASS_COLORS)}
    xy = {"x": q("x", scale={"domain": [x0, x1], "nice": False}, title="x₁"),
          "y": q("y", scale={"domain": [y0, y1], "nice": False}, title="x₂")}
    source = data.frame(points, "own_points", ("row", "x", "y", "cls"))
    dots = {"data": source, "mark": {"type": "circle", "clip": True, "size": style.point_size, "opacity": 0.9,
                                     "stroke": "white", "strokeWidth": 0.5},
            "encoding": {**xy, "color": n("cls", scale=cls_scale, legend=None),
                         "tooltip": [q("row", title="row"), q("x", format=".2f", title="x₁"),
                                     q("y", format=".2f", title="x₂"), n("cls", title="class")]}}
    last = {"data": source, "transform": [{"joinaggregate": [{"op": "max", "field": "row", "as": "last"}]},
                                          {"filter": "datum.row === datum.last"}],
            "mark": {"type": "point", "clip": True, "size": style.point_size * 3, "strokeWidth": 2,
                     "color": "black"},
            "encoding": xy}
    size = int(style.map_height * 0.75)
    view = {"layer": [dots, last], "width": size, "height": size,
            "title": {"text": title, "subtitle": f"a click adds a {('blue', 'orange', 'green')[adding]} point; "
                                                 "ringed: the last one"}}
    return top_level(view, data, description="Your data on the plane: each point coloured by its class; a click "
                                             "on the plane adds a point of the chosen class.")


# ---------------------------------------------------------------------------
# The loss landscape (engine.landscape)
# ---------------------------------------------------------------------------

LINE_POINTS = 41  # points on a line between two solutions (alpha from -0.5 to 1.5, every 0.05)
RANDOM = "random"  # the plane of the random slice in the paths frame (the others: a series' own)


def landscape_paths(traces: Mapping[str, Trace], specs: Mapping, runs: Mapping[str, int] | None = None
                    ) -> tuple[dict, list[str]]:
    """``{series: (spec, run, recorded weights)}`` of the runs a landscape draws (``View.landscape``),
    and the series left out because they diverged (their weights are no solution)."""
    out, left = {}, []
    for name, tr, r, _, _, alive in _series(traces, runs, None):
        if tr.stopped_at[r] >= 0:
            left.append(name)
            continue
        out[name] = (specs[name], r, tr.params[alive, r])
    return out, left


def landscape_frames(land, traces: Mapping[str, Trace], runs: Mapping[str, int] | None = None,
                     labels: Mapping[str, str] | None = None, colors: Mapping[str, str] | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two frames of a ``Landscape``: every path's points on each plane it is drawn on (``plane``:
    ``RANDOM`` or the series whose principal plane it is; ``x``, ``y`` its coordinates there), and
    the loss along each line from the first series' solution (``alpha``, ``loss``, and ``straight``,
    the straight line between the two end losses, the barrier's baseline)."""
    rows, lines = [], []
    for name, tr, _, label, color, alive in _series(traces, runs, labels, colors):
        if name not in land.finals:
            continue
        steps = tr.t[alive]
        for plane, coords in ((RANDOM, land.random.coords[name]), (name, land.planes[name].coords[name])):
            rows.append(pd.DataFrame({"plane": plane, "series": name, "label": label, "optimizer": color,
                                      "step": steps, "x": coords[:, 0], "y": coords[:, 1]}))
        if name in land.lines:
            first = next(iter(land.finals))
            a, loss = np.asarray(land.alphas), np.asarray(land.lines[name])
            l0, l1 = land.finals[first], land.finals[name]
            lines.append(pd.DataFrame({"series": name, "label": label, "optimizer": color, "alpha": a,
                                       "loss": np.maximum(loss, 1e-12),
                                       "straight": np.where((a >= 0) & (a <= 1), (1 - a) * l0 + a * l1, np.nan)}))
    empty = pd.DataFrame(columns=["series", "label", "optimizer", "alpha", "loss", "straight"])
    return pd.concat(rows, ignore_index=True), (pd.concat(lines, ignore_index=True) if lines else empty)


FINE = 4  # image pixels per grid step: the log-loss interpolated between grid points, so that bands show as contours


def fine(z: np.ndarray, k: int = FINE) -> np.ndarray:
    """``z`` on a grid ``k`` times finer, ``log10(z)`` interpolated linearly along each axis between
    the grid's points (a contour plot's usual reading between them); the grid's own points keep
    their values."""
    logz = np.log10(np.maximum(np.asarray(z, dtype=float), 1e-300))
    g_b, g_a = logz.shape
    ta, tb = np.linspace(0, g_a - 1, (g_a - 1) * k + 1), np.linspace(0, g_b - 1, (g_b - 1) * k + 1)
    rows = np.array([np.interp(ta, np.arange(g_a), r) for r in logz])
    return 10.0 ** np.array([np.interp(tb, np.arange(g_b), c) for c in rows.T]).T


def _loss_image(plane, data: Datasets, key: str) -> tuple[dict, tuple, tuple]:
    """A plane's grid of losses as one shaded image (light is low: ``frames.levels`` of the loss, as a
    map's shading, on a grid ``FINE`` times finer), each pixel centred on its point; and the plane's
    box."""
    a, b = np.asarray(plane.a), np.asarray(plane.b)
    da, db = (a[-1] - a[0]) / (len(a) - 1) / FINE / 2, (b[-1] - b[0]) / (len(b) - 1) / FINE / 2
    png, _ = levels_png(levels(fine(plane.loss))[::-1])
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    box = (float(a[0]), float(a[-1])), (float(b[0]), float(b[-1]))
    layer = {"data": data.ref(("loss", key), "contour-loss", lambda: pd.DataFrame(
        [{"url": url, "x": a[0] - da, "x2": a[-1] + da, "y": b[0] - db, "y2": b[-1] + db}])),
        "mark": {"type": "image", "aspect": False, "aria": False, "clip": True},
        "encoding": {"x": {"field": "x", "type": "quantitative"}, "x2": {"field": "x2"},
                     "y": {"field": "y", "type": "quantitative"}, "y2": {"field": "y2"}, "url": n("url")}}
    return layer, box[0], box[1]


def _plane_view(plane, frame: pd.DataFrame, which: str, data: Datasets, style: ChartStyle, size: int,
                axes: tuple[str, str], title: dict, legend: bool) -> dict:
    """One plane: its loss shaded, the paths on it (a line through the recorded points, the start
    a ring), the centre marked (a cross: the solution the plane is drawn around)."""
    image, (x0, x1), (y0, y1) = _loss_image(plane, data, which)
    part = frame[frame["plane"] == which]
    labels, opts = legend_of(part)
    xy = {"x": q("x", scale={"domain": [x0, x1], "nice": False}, title=axes[0]),
          "y": q("y", scale={"domain": [y0, y1], "nice": False}, title=axes[1])}
    color = series_color(labels, opts, legend=legend, title=None, columns=legend_columns(labels, style))
    quiet = series_color(labels, opts, legend=False)
    source = data.frame(part, f"landscape_{which}", ("series", "label", "optimizer", "step", "x", "y"))
    line = {"data": source, "mark": {"type": "line", "clip": True, "strokeWidth": style.line_width},
            "encoding": {**xy, "color": color, "detail": n("series"), "order": q("step")}}
    dots = {"data": source, "mark": {"type": "circle", "clip": True, "size": style.point_size / 2, "opacity": 0.9},
            "encoding": {**xy, "color": quiet,
                         "tooltip": [n("label", title="optimiser"), q("step"), q("x", format=".3g", title=axes[0]),
                                     q("y", format=".3g", title=axes[1])]}}
    start = {"data": source, "transform": [{"filter": "datum.step === 0"}],
             "mark": {"type": "point", "clip": True, "size": style.point_size * 2, "strokeWidth": 2,
                      "filled": False},
             "encoding": {**xy, "color": quiet}}
    centre = {"data": {"values": [{"x": 0.0, "y": 0.0}]},
              "mark": {"type": "point", "shape": "cross", "filled": True, "size": style.point_size * 2.5,
                       "color": "black", "opacity": 0.9}, "encoding": xy}
    return {"layer": [image, line, dots, start, centre], "width": size, "height": size, "title": title}


def slice_chart(land, frame: pd.DataFrame, lines: pd.DataFrame, first_label: str, style: ChartStyle) -> dict:
    """The random slice around the first series' solution with every path's shadow on it, beside the
    training loss along the straight line from that solution to each other's (when there are
    others): the line's ends marked, the straight line between the end losses dashed."""
    data = Datasets()
    size = int(style.map_height * 0.8)
    views = [_plane_view(land.random, frame, RANDOM, data, style, size, ("a (direction 1)", "b (direction 2)"),
                         {"text": f"A random slice through {first_label}'s solution",
                          "subtitle": "+: the solution; ring: each path's start"}, legend=True)]
    stretch = []
    if not lines.empty:
        labels, opts = legend_of(lines)
        color = series_color(labels, opts, legend=False)
        x = q("alpha", title=f"α (0: {first_label}, 1: the other)", axis={"values": [-0.5, 0, 0.5, 1, 1.5]},
              scale={"domain": [float(lines["alpha"].min()), float(lines["alpha"].max())], "nice": False})
        y = q("loss", scale={"type": "log"}, axis=log_axis("training loss"))
        source = data.frame(lines, "line", ("series", "label", "alpha", "loss", "straight"))
        curve = {"mark": {"type": "line", "strokeWidth": style.line_width, "clip": True},
                 "encoding": {"x": x, "y": y, "color": color, "detail": n("series"),
                              "tooltip": [n("label", title="to"), q("alpha", format=".2f", title="α"),
                                          q("loss", format=".4g", title="training loss")]}}
        straight = {"transform": [{"filter": "isValid(datum.straight)"}],
                    "mark": {"type": "line", "strokeWidth": style.line_width / 2, "strokeDash": [6, 4],
                             "clip": True},
                    "encoding": {"x": x, "y": q("straight", scale={"type": "log"}), "color": color,
                                 "detail": n("series")}}
        ends = {"transform": [{"filter": "datum.alpha === 0 || datum.alpha === 1"}],
                "mark": {"type": "point", "filled": True, "opacity": 1, "size": style.point_size * 2,
                         "stroke": "black", "strokeWidth": 1},
                "encoding": {"x": x, "y": y, "color": color,
                             "tooltip": [n("label", title="to"), q("alpha", title="α"),
                                         q("loss", format=".4g", title="training loss")]}}
        views.append({"data": source, "layer": [curve, straight, ends], "height": size, "width": int(size * 0.8),
                      "title": {"text": "The line between two solutions",
                                "subtitle": "dashed: straight between its ends"}})
        stretch = [1]
    body = {"hconcat": views} if len(views) > 1 else views[0]
    return top_level(body, data, stretch=stretch,
                     description=f"The training loss on a random plane through {first_label}'s solution, shaded "
                                 "light where it is low, with each optimiser's path projected onto it"
                                 + ("; beside it, the training loss along the straight line between the solutions."
                                    if stretch else "."))


def planes_chart(land, frame: pd.DataFrame, style: ChartStyle) -> dict:
    """Each series' principal plane (the two principal directions of its path) with its path in it."""
    data = Datasets()
    names = list(dict.fromkeys(frame.loc[frame["plane"] != RANDOM, "plane"]))
    size = int(style.map_height * (0.62 if len(names) > 2 else 0.75))
    views = []
    for name in names:
        plane = land.planes[name]
        label = frame.loc[frame["series"] == name, "label"].iloc[0]
        e1, e2 = plane.explained
        views.append(_plane_view(plane, frame, name, data, style, size, (f"PC1 ({pct(e1)})", f"PC2 ({pct(e2)})"),
                                 {"text": label, "subtitle": f"its two directions explain {pct(e1 + e2)} of the path's "
                                                             "variance"},
                                 legend=False))
    body = {"hconcat": views} if len(views) > 1 else views[0]
    return top_level(body, data, description="Each optimiser's path in the plane of its own two principal directions, "
                                             "over the training loss in that plane (light where it is low).")
