"""The Neural network page's frames and charts: decision boundaries that train, metric curves,
and the effective learning rate per layer.

A run's parameters are recorded at about ``FRAMES`` steps (``View.spec(rows=FRAMES)``); at each frame the network
(``engine.network.Network``) gives the class probabilities on a ``GRID`` x ``GRID`` grid over the
input plane, and its train and test loss and accuracy. The effective learning rate of a layer is
summarised by its median and 10%-90% quantiles over the layer's weights, not one line per weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import Trace

from .charts import Datasets, top_level
from .frames import _alive, title
from .theme import STEP, ChartStyle, legend_columns, n, q, series_color, step_param

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
