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
FRAMES = 40  # steps the slider stops at


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
    small = {"size": max(style.font_size - 4, 10)}
    every = max(1, len(stops) // 8)  # a label on every few stops: a projector's type does not fit 40
    slider = {"active": len(stops) - 1, "currentvalue": {"prefix": "step ", "font": font}, "pad": {"t": 10},
              "font": small, "ticklen": 4, "x": 0.2, "len": 0.8,
              "steps": [{"label": str(s) if k % every == 0 or k == len(stops) - 1 else " ", "method": "animate",
                         "args": [[str(s)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                             "transition": {"duration": 0}}]} for k, s in enumerate(stops)]}
    play = {"type": "buttons", "showactive": False, "x": 0, "y": 0, "xanchor": "left", "yanchor": "top",
            "pad": {"t": 40}, "font": font,
            "buttons": [{"label": "▶ Play", "method": "animate",
                         "args": [None, {"frame": {"duration": 120, "redraw": True}, "fromcurrent": True}]},
                        {"label": "❚❚ Pause", "method": "animate",
                         "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}}]}]}
    tick = {"tickfont": small, "nticks": 6}
    fig.update_layout(
        height=height or min(int(style.map_height * 1.1), 600), margin={"l": 0, "r": 0, "t": 50, "b": 0},
        font=font, legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": font},
        scene={"xaxis": {"title": {"text": "x", "font": font}, **tick},
               "yaxis": {"title": {"text": "y", "font": font}, **tick},
               "zaxis": {"title": {"text": "log₁₀(f − f*)", "font": font}, **tick}, "aspectmode": "manual",
               "aspectratio": {"x": 1.4, "y": 1.4 * (y1 - y0) / (x1 - x0), "z": 0.7},
               "camera": {"eye": {"x": 0.9, "y": -1.35, "z": 0.85}}},
        sliders=[slider], updatemenus=[play])
    return fig
