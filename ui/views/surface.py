"""The objective as a 3-D surface with the paths on it (Plotly: Altair and Vega-Lite draw no 3-D).

Plotly is imported here only, when a page draws the view. The surface is f − f* on a log scale
(the same shading as the maps: a valley's floor would be invisible on a linear one), the paths
are drawn on it in their optimiser's colour, and a slider with Play/Pause moves every path to
the same step (Plotly's own animation: frames at evenly spaced steps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import Objective

from .frames import LOG_FLOOR
from .theme import OPTIMIZER_COLORS, ChartStyle

GRID = 60  # cells per side of the surface
FRAMES = 40  # steps Play draws
SLIDER_STOPS = 8  # intervals of the slider (a power of two: see below)


def surface_figure(path: pd.DataFrame, objective: Objective, bounds, steps: int, style: ChartStyle,
                   height: int | None = None):
    """A ``plotly.graph_objects.Figure``: the surface over ``bounds`` and run 1 of every series of
    ``path`` (``frames.path_frame``) on it, with a step slider."""
    import plotly.graph_objects as go

    (x0, x1), (y0, y1) = bounds
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(objective.value(np.stack([X, Y], axis=-1)), dtype=float) - objective.fmin
    Z = np.where(np.isfinite(Z), np.maximum(Z, LOG_FLOOR), np.nan)
    font = {"size": style.font_size + 2}
    surface = go.Surface(x=xs, y=ys, z=np.log10(Z), colorscale="Greys", showscale=False, opacity=0.85,
                         name=objective.title, hovertemplate="x %{x:.3f}<br>y %{y:.3f}<br>log₁₀(f − f*) %{z:.2f}"
                                                             "<extra></extra>")
    runs = path[path["run"] == 0] if "run" in path else path
    series = list(dict.fromkeys(runs["series"]))

    def lines(upto: int) -> list:
        out = []
        for name in series:
            part = runs[(runs["series"] == name) & (runs["step"] <= upto)]
            colour = OPTIMIZER_COLORS.get(part["optimizer"].iloc[0] if len(part) else "", "#333333")
            label = part["label"].iloc[0] if len(part) else name
            z = np.log10(np.maximum(part["gap"].to_numpy(), LOG_FLOOR)) + 0.02  # just above the surface
            out.append(go.Scatter3d(x=part["x"], y=part["y"], z=z, mode="lines", name=label,
                                    line={"color": colour, "width": 2 * style.line_width},
                                    hovertemplate=f"{label}<br>step %{{text}}<extra></extra>",
                                    text=part["step"]))
        return out

    stops = sorted({int(s) for s in np.rint(np.linspace(0, steps, FRAMES + 1))})
    frames = [go.Frame(data=lines(s), traces=list(range(1, len(series) + 1)), name=str(s)) for s in stops]
    fig = go.Figure(data=[surface, *lines(steps)], frames=frames)
    small = {"size": max(style.font_size - 2, 11)}
    # The slider stops at SLIDER_STOPS of the frames (Play goes through all of them), each labelled:
    # Plotly labels every k-th stop when they do not all fit, and 2^n intervals keep the last one.
    marks = [stops[k] for k in sorted({int(k) for k in np.rint(np.linspace(0, len(stops) - 1, SLIDER_STOPS + 1))})]
    slider = {"active": len(marks) - 1, "x": 0, "len": 0.94, "y": 0, "yanchor": "top", "pad": {"t": 10, "b": 10},
              # the step shown at the right, above the rail: the Play and Pause buttons are at its left
              "currentvalue": {"prefix": "step ", "font": font, "xanchor": "right", "offset": 12},
              "font": small, "ticklen": 6,
              "steps": [{"label": str(s), "method": "animate",
                         "args": [[str(s)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                             "transition": {"duration": 0}}]} for s in marks]}
    play = {"type": "buttons", "direction": "left", "showactive": False, "x": 0, "y": 0, "xanchor": "left",
            "yanchor": "top", "pad": {"t": 8, "r": 8}, "font": small,
            "buttons": [{"label": "▶ Play", "method": "animate",
                         "args": [None, {"frame": {"duration": 120, "redraw": True}, "fromcurrent": True}]},
                        {"label": "❚❚ Pause", "method": "animate",
                         "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}}]}]}
    tick = {"tickfont": small, "nticks": 5}
    fig.update_layout(
        height=height or min(int(style.map_height * 1.1), 600), margin={"l": 0, "r": 0, "t": 50, "b": 0},
        font=font, legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": font},
        scene={"xaxis": {"title": {"text": "x", "font": font}, **tick},
               "yaxis": {"title": {"text": "y", "font": font}, **tick},
               # its name is said above the scene: beside the axis it ran into the tick labels
               "zaxis": {"title": {"text": ""}, **tick, "nticks": 4}, "aspectmode": "manual",
               "aspectratio": {"x": 1.4, "y": 1.4 * (y1 - y0) / (x1 - x0), "z": 0.7},
               # low and close, looking a little below the middle: the box fills the room between
               # the legend and the slider with every tick label inside it
               "camera": {"eye": {"x": 1.35, "y": -1.35, "z": 0.5}, "center": {"x": 0, "y": 0, "z": -0.25}}},
        annotations=[{"text": "height: log₁₀(f − f*)", "xref": "paper", "yref": "paper", "x": 1, "y": 1,
                      "xanchor": "right", "yanchor": "bottom", "showarrow": False, "font": font}],
        sliders=[slider], updatemenus=[play])
    return fig
