"""Every chart in the browser, through one small Streamlit component.

The component (``ui/views/components/stepper``) embeds a Vega-Lite spec with the Vega libraries
shipped beside it (no CDN: a classroom network or an offline laptop works), fits it to its frame
(the page's first chart to the screen as well, growing on a big one; side-by-side views stacked
on a phone), gives it a text alternative and the ⋯ menu that saves it as PNG or SVG. A player
(``step_through``) also drives the chart's ``step`` param with play, pause, step forward/back,
first/last, a scrubber and a speed menu: a frame only updates that param, so nothing goes back to
the server, the chart is not re-embedded (no flicker) and zoom/pan survive. A plain chart
(``chart``) is the same component without the controls.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from .theme import STEP, ChartStyle, with_style

_ASSETS = str(Path(__file__).parent / "components" / "stepper")
_PLAYER = components.declare_component("optimiser_lab_stepper", path=_ASSETS)
_CHART = components.declare_component("optimiser_lab_chart", path=_ASSETS)
DIGITS = 6  # significant digits kept in the data sent to the browser


def _significant(x: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """``x`` rounded to ``digits`` significant digits, vectorised (the shortest repr of each
    result is at most ``digits`` digits long, so the JSON stays small)."""
    out = np.array(x, dtype=float)
    ok = np.isfinite(out) & (out != 0)
    if ok.any():
        v = out[ok]
        keep = digits - 1 - np.floor(np.log10(np.abs(v))).astype(int)  # decimals kept
        r = np.empty_like(v)
        up, down = (keep >= 0) & (keep <= 22), (keep < 0) & (keep >= -22)  # 10**k is exact for |k| <= 22
        r[up] = np.round(v[up] * 10.0 ** keep[up]) / 10.0 ** keep[up]
        r[down] = np.round(v[down] / 10.0 ** -keep[down]) * 10.0 ** -keep[down]
        rest = ~(up | down)  # tiny magnitudes: the slow, exact way
        r[rest] = [float(f"{a:.{digits}g}") for a in v[rest]]
        out[ok] = r
    return out


def columns(frame: pd.DataFrame) -> dict[str, list]:
    """A DataFrame as JSON-ready columns: floats to ``DIGITS`` significant digits, non-finite
    values as ``None`` (JSON has no NaN; Vega-Lite drops them like missing values)."""
    out = {}
    for name, col in frame.items():
        values = col.to_numpy()
        if values.dtype.kind == "f":
            rounded = _significant(values)
            finite = np.isfinite(rounded)
            if finite.all():
                out[str(name)] = rounded.tolist()
            else:
                obj = rounded.astype(object)
                obj[~finite] = None
                out[str(name)] = obj.tolist()
        elif values.dtype.kind in "iub":
            out[str(name)] = values.tolist()
        else:
            out[str(name)] = [None if v is None or v != v else str(v) for v in values.tolist()]
    return out


def spec_for_browser(spec: dict) -> dict:
    """The spec with its DataFrames inline, by columns (``{"columns": {...}}`` in ``datasets``: the
    component makes rows of them), and the ``step`` param unbound (the component draws its own
    controls)."""
    out = dict(spec)
    out["datasets"] = {name: {"columns": columns(d)} if isinstance(d, pd.DataFrame) else d
                       for name, d in spec.get("datasets", {}).items()}
    out["params"] = [{k: v for k, v in p.items() if k != "bind"} if p.get("name") == STEP else p
                     for p in spec.get("params", [])]
    if not out["params"]:
        del out["params"]
    return out


def rows(spec: dict) -> dict:
    """The spec with its column datasets made rows again (what the component embeds)."""
    out = dict(spec)
    out["datasets"] = {}
    for name, d in spec.get("datasets", {}).items():
        if isinstance(d, dict) and "columns" in d:
            cols = d["columns"]
            keys = list(cols)
            d = [dict(zip(keys, vals)) for vals in zip(*cols.values())] if keys else []
        out["datasets"][name] = d
    return out


def spec_json(spec: dict, style: ChartStyle) -> str:
    """What the component receives: the styled spec with its data, as compact JSON."""
    return json.dumps(with_style(spec_for_browser(spec), style), separators=(",", ":"), allow_nan=False)


def _args(spec: str, style: ChartStyle, fit: str, description: str) -> dict:
    theme = getattr(st.context.theme, "type", None) or "light"
    return {"spec": spec, "theme": theme, "font_size": style.font_size + 2, "fit": fit, "description": description}


def step_through(spec: str, steps: int, style: ChartStyle, key: str, fit: str = "width",
                 description: str = "", pick: bool = False):
    """A chart (``spec_json``) that filters on a ``step`` param, with step-through controls.
    ``fit``: ``"screen"`` for the page's first chart (it fills the screen below its top),
    ``"width"`` for the others (as wide as their frame, at most a screen high). With ``pick``,
    a click on the map's shading returns ``{"start": [x, y], "nonce": ...}`` (else None): the
    centre of the contour cell clicked; a click anywhere else returns nothing."""
    return _PLAYER(**_args(spec, style, fit, description), steps=int(steps), pick=bool(pick), key=key, default=None)


def chart(spec: str, style: ChartStyle, key: str, fit: str = "width", description: str = "") -> None:
    """A chart (``spec_json``) without controls."""
    _CHART(**_args(spec, style, fit, description), steps=0, key=key, default=None)
