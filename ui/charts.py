"""Altair chart builders: pure ``f(frame, ...) -> alt.Chart`` (no Streamlit).

Tests read them through ``chart.to_dict()``. Every builder takes a ``ChartStyle``
so that presentation mode scales fonts and lines in the chart itself. The trajectory
maps, the heaviest charts, are written as spec dicts in ``mapspec`` (their data: here).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from engine import Objective, contour_grid

from .style import OPTIMIZER_COLORS, ChartStyle

CONTOUR_LEVELS = 18


def color_scale(labels: Sequence[str], optimizers: Sequence[str]) -> dict:
    """The colour scale of a legend: each label in its optimiser's colour (Vega-Lite's dict)."""
    return {"domain": list(labels), "range": [OPTIMIZER_COLORS.get(o, "#333333") for o in optimizers]}


def series_color(labels: Sequence[str], optimizers: Sequence[str], title: str | None = "Optimiser",
                 field: str = "label", legend: bool = True, columns: int = 2) -> alt.Color:
    """Colour by legend label; each label's colour is its optimiser's colour."""
    scale = alt.Scale(**color_scale(labels, optimizers))
    if not legend:
        return alt.Color(f"{field}:N", scale=scale, legend=None)
    return alt.Color(f"{field}:N", scale=scale, legend=alt.Legend(title=title, orient="bottom",
                                                                  columns=min(len(labels), columns)))


def legend_of(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The legend's labels in order of appearance, and each one's optimiser."""
    first = ~frame["label"].duplicated()
    return frame["label"][first].tolist(), frame["optimizer"][first].tolist()


def style_config(style: ChartStyle) -> dict:
    """Top-level type sizes: axis, legend, title (readable from the back when presenting)."""
    fs = style.font_size
    return {"axis": {"labelFontSize": fs, "titleFontSize": fs + 1, "grid": True, "gridOpacity": 0.4},
            "legend": {"labelFontSize": fs, "titleFontSize": fs, "symbolStrokeWidth": style.line_width,
                       "symbolSize": style.point_size * 2, "labelLimit": 400},
            "title": {"fontSize": style.title_size, "anchor": "start"},
            "header": {"labelFontSize": fs, "titleFontSize": fs},
            "text": {"fontSize": fs},
            "view": {"strokeWidth": 0}}


def with_style(spec: dict, style: ChartStyle) -> dict:
    """A spec dict (``chart.to_dict()``) with the style's config merged in. On the dict, not on
    the Altair chart: copying a layered chart re-builds all of it."""
    config = spec.setdefault("config", {})
    for key, values in style_config(style).items():
        config[key] = {**config.get(key, {}), **values}
    return spec


# ---------------------------------------------------------------------------
# Maps (their specs: ``mapspec``)
# ---------------------------------------------------------------------------


def contour_frame(objective: Objective, n: int = 70, bounds=None) -> pd.DataFrame:
    """Cells of an ``n x n`` grid with ``level``: ``log10(f - f*)`` cut into bands (shaded levels)."""
    (x0, x1), (y0, y1) = bounds or objective.bounds
    xs, ys, z = contour_grid(objective, n + 1, ((x0, x1), (y0, y1)))
    # cells overlap by a hair so that no seams show between them
    dx, dy = (x1 - x0) / n * 0.5, (y1 - y0) / n * 0.5
    # cell centres' values: average of the four corners
    zc = 0.25 * (z[:-1, :-1] + z[1:, :-1] + z[:-1, 1:] + z[1:, 1:])
    logz = np.log10(np.maximum(zc - objective.fmin, 1e-12) + 1e-3 * max(np.ptp(zc), 1e-12))
    lo, hi = np.percentile(logz, [0.5, 99.5])
    band = np.clip(np.floor((logz - lo) / max(hi - lo, 1e-12) * CONTOUR_LEVELS), 0, CONTOUR_LEVELS - 1)
    gx0, gy0 = np.meshgrid(xs[:-1], ys[:-1])
    gx1, gy1 = np.meshgrid(xs[1:], ys[1:])
    return pd.DataFrame({"x": gx0.ravel(), "x2": gx1.ravel() + dx, "y": gy0.ravel(), "y2": gy1.ravel() + dy,
                         "level": band.ravel().astype(np.int8), "f": zc.ravel()})


def step_param(steps: int, name: str = "step", label: str = "Step ") -> alt.Parameter:
    """A slider bound in the browser: scrubbing re-filters the data with no server round-trip
    (the step-through component replaces the slider with its own controls)."""
    return alt.param(name=name, value=int(steps),
                     bind=alt.binding_range(min=0, max=int(steps), step=1, name=label))


# ---------------------------------------------------------------------------
# Curves
# ---------------------------------------------------------------------------


def _title(title) -> dict:
    """``title=`` for a chart's constructor, or nothing. Layered charts get every property at
    construction: a later ``.properties()`` copies the layer, and copying an Altair layer
    re-runs its constructor, which deep-copies every sub-chart (about 3x the build time)."""
    return {"title": title} if title else {}


LOG_AXIS = {"format": "~e", "tickCount": 6}  # log scales: powers of ten (Altair here, dicts in mapspec)


def log_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, **LOG_AXIS)


def curve_chart(frame: pd.DataFrame, y: str, y_title: str, style: ChartStyle, log_y: bool = True,
                x: str = "step", x_title: str = "step", strokedash: str | None = None,
                legend_title: str | None = "Optimiser", log_x: bool = False,
                title: str | None = None, height: int | None = None, scrub_steps: int | None = None,
                tooltip_extra: Sequence[alt.Tooltip] = ()) -> alt.Chart:
    """Lines of ``y`` against ``x``, one per series (and per ``strokedash`` value)."""
    labels, opts = legend_of(frame)
    enc = {
        "x": alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(type="log") if log_x else alt.Undefined),
        "y": alt.Y(f"{y}:Q", scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False),
                   axis=log_axis(y_title) if log_y else alt.Axis(title=y_title)),
        "color": series_color(labels, opts, title=legend_title),
        "tooltip": [alt.Tooltip("label:N", title="series"), alt.Tooltip(f"{x}:Q"),
                    alt.Tooltip(f"{y}:Q", format=".4g", title=y_title), *tooltip_extra],
    }
    detail = ["series"]
    if strokedash:
        enc["strokeDash"] = alt.StrokeDash(f"{strokedash}:N", legend=alt.Legend(orient="bottom", columns=1))
        detail.append(strokedash)
    if "run" in frame.columns:
        detail.append("run")
    enc["detail"] = [alt.Detail(f"{d}:N") for d in detail]
    chart = alt.Chart(frame).mark_line(strokeWidth=style.line_width, clip=True).encode(**enc)
    if scrub_steps is not None:
        param = step_param(scrub_steps)
        rule = alt.Chart(pd.DataFrame({"s": [0]})).mark_rule(color="#444", strokeDash=[4, 3]).encode(
            x=alt.X("s2:Q")).transform_calculate(s2=param)
        return alt.layer(chart.add_params(param), rule, height=height or style.height, width="container",
                         **_title(title))
    return chart.properties(height=height or style.height, width="container", **_title(title))


def beta2_chart(frame: pd.DataFrame, style: ChartStyle) -> alt.Chart:
    """Step length against step for several beta2, corrected (solid) and not (dashed)."""
    order = list(dict.fromkeys(frame["label"]))
    return alt.Chart(frame).mark_line(strokeWidth=style.line_width).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y("size:Q", scale=alt.Scale(type="log"), axis=log_axis("|Δθ| (step length)")),
        color=alt.Color("label:O", sort=order,
                        scale=alt.Scale(domain=order, range=["#56B4E9", "#009E73", "#E69F00", "#D55E00"]),
                        legend=alt.Legend(title="β₂", orient="bottom")),
        strokeDash=alt.StrokeDash("correction:N", legend=alt.Legend(title=None, orient="bottom")),
        detail="series:N",
        tooltip=["label:N", "correction:N", "step:Q", alt.Tooltip("size:Q", format=".4g")],
    ).properties(height=style.height, width="container")


def xy_chart(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, style: ChartStyle,
             title: str | None = None, log_x: bool = True, log_y: bool = True,
             tooltip_extra: Sequence = ()) -> alt.LayerChart:
    """Points joined by lines, one series per optimiser (e.g. per-parameter summaries)."""
    labels, opts = legend_of(frame)
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", scale=alt.Scale(type="log", nice=False, padding=12) if log_x else alt.Scale(zero=False),
                axis=log_axis(x_title) if log_x else alt.Axis(title=x_title)),
        y=alt.Y(f"{y}:Q", scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False),
                axis=log_axis(y_title) if log_y else alt.Axis(title=y_title)),
        color=series_color(labels, opts),
        detail="series:N",
    )
    tooltip = [alt.Tooltip("label:N", title="optimiser"), alt.Tooltip(f"{x}:Q", format=".3g", title=x_title),
               alt.Tooltip(f"{y}:Q", format=".3g", title=y_title), *tooltip_extra]
    return alt.layer(
        base.mark_line(strokeWidth=style.line_width / 2, opacity=0.6, clip=True).encode(order=f"{x}:Q"),
        base.mark_point(filled=True, size=style.point_size * 1.5, clip=True).encode(tooltip=tooltip),
        height=style.height, width="container", **_title(title))


def sensitivity_chart(frame: pd.DataFrame, best: pd.DataFrame, style: ChartStyle, ceiling: float) -> alt.LayerChart:
    """Final loss (median line, quantile band) against learning rate; each optimiser's best
    learning rate marked and the range within 2x of its best loss shaded."""
    labels, opts = legend_of(frame)
    # One colour encoding, legend included, on every layer: a layer with ``legend=None`` on the
    # shared scale hides the legend of all of them (it did: the chart had no legend).
    color = no_legend = series_color(labels, opts)
    color.legend = alt.Legend(title="Optimiser", orient="bottom", columns=min(len(labels), 2),
                              symbolType="circle", symbolOpacity=1)  # not the pale shading's swatch
    x = alt.X("lr:Q", scale=alt.Scale(type="log", nice=False), axis=log_axis("learning rate η"))
    y_scale = alt.Scale(type="log", domainMax=ceiling)
    base = alt.Chart(frame).encode(x=x)
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("lo:Q", scale=y_scale, axis=log_axis("final f(θ) − f*")), y2="hi:Q", color=no_legend)
    line = base.mark_line(strokeWidth=style.line_width, point=alt.OverlayMarkDef(size=style.point_size / 2)).encode(
        y=alt.Y("median:Q", scale=y_scale), color=color,
        tooltip=[alt.Tooltip("label:N", title="optimiser"), alt.Tooltip("lr:Q", format=".3g", title="η"),
                 alt.Tooltip("median:Q", format=".4g", title="median final f − f*"),
                 alt.Tooltip("diverged:Q", title="diverged runs")])
    crosses = base.transform_filter(alt.datum.diverged > 0).mark_point(
        shape="cross", size=style.point_size * 1.5, filled=True).encode(
        y=alt.Y("top:Q", scale=y_scale), color=no_legend,
        tooltip=[alt.Tooltip("label:N", title="optimiser"), alt.Tooltip("lr:Q", format=".3g", title="η"),
                 alt.Tooltip("diverged:Q", title="diverged runs")])
    b = alt.Chart(best)
    good = b.mark_rect(opacity=0.15).encode(x="edge_lo:Q", x2="edge_hi:Q", color=no_legend)
    star = b.mark_point(shape="diamond", filled=True, size=style.point_size * 3, stroke="black",
                        strokeWidth=1, opacity=1).encode(
        x="best_lr:Q", y=alt.Y("best_loss:Q", scale=y_scale), color=no_legend,
        tooltip=[alt.Tooltip("label:N", title="optimiser"), alt.Tooltip("best_lr:Q", format=".3g", title="best η"),
                 alt.Tooltip("best_loss:Q", format=".4g", title="median final f − f*"),
                 alt.Tooltip("lr_lo:Q", format=".3g", title="within 2x from η"),
                 alt.Tooltip("lr_hi:Q", format=".3g", title="to η")])
    return alt.layer(good, band, line, crosses, star, height=style.height + 60, width="container")


def pull_chart(frame: pd.DataFrame, style: ChartStyle) -> alt.Chart:
    """How far weight decay pulled each weight from its optimum (1 - final), per method."""
    labels, opts = legend_of(frame)
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("weight:N", title="weight", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("label:N", sort=labels),
        y=alt.Y("pull:Q", title="pull towards 0 (1 − final value)"),
        color=series_color(labels, opts, title=None, columns=1),
        tooltip=[alt.Tooltip("label:N", title=""), "weight:N", alt.Tooltip("final:Q", format=".4f"),
                 alt.Tooltip("pull:Q", format=".4f")],
    ).properties(height=style.map_height - 60, width="container",
                 title="Effective regularisation of each weight")
