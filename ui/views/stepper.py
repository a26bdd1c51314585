"""Every chart in the browser, through one Streamlit component that runs in the page's own document.

The component (``ui/views/components/chart``: ``chart.js`` and ``chart.css``) is a Components v2
component: no iframe. The browser evaluates its module once per tab and loads the Vega libraries
once, from the app's static files (``static/vega/``, served by Streamlit at ``app/static/vega/``
because ``.streamlit/config.toml`` turns static serving on); every chart of every page shares
them. A chart is sent as JSON bytes (``Built``, then ``draw``): its digest first (an unchanged
chart is recognised without being parsed), its arguments, a digest of its structure (the spec
without its data) and of each of its datasets, then the spec with its data. The component fits
the chart to its frame (the page's first chart to the screen as well, growing on a big one;
side-by-side views stacked on a phone), reserves its box before drawing, and on a rerun updates
the drawn view's data in place when only data changed (the player's step and the zoom are kept),
embedding it again only when its structure changed. It gives each chart a text alternative and
the ⋯ menu that saves it as PNG or SVG. A player (``steps`` > 0) drives the chart's ``step`` param
with play, pause, step forward/back, first/last, a scrubber, a speed menu and keys: a frame only
sets that signal, so nothing goes back to the server.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from .theme import STEP, ChartStyle, with_style

COMPONENT_DIR = Path(__file__).parent / "components" / "chart"
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


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Built:
    """A chart ready for the component: its text alternative and the payload's body (its structure's
    digest, its datasets' digests, the styled spec with its data by columns), with a digest of the
    whole. Immutable: one is shared by every student who shows the same view."""

    description: str
    body: bytes
    digest: str


def build(spec: dict, style: ChartStyle) -> Built:
    """``spec`` (a ``ui.views.charts`` spec) styled and serialised once: each dataset's JSON is made
    once, digested and placed in the spec's JSON as it is."""
    description = " ".join(str(spec.get("description") or "A chart.").split())
    styled = with_style(spec_for_browser(spec), style)
    datasets = {name: _json(d) for name, d in styled.pop("datasets", {}).items()}
    # The structure: everything but the data, the text alternative and the explain panel's numbers
    # (the component takes those without drawing the chart again).
    structure = _digest(_json({k: v for k, v in styled.items() if k not in ("usermeta", "description")}))
    rest = _json(styled)
    inline = ",".join(f"{_json(name)}:{text}" for name, text in datasets.items())
    spec_text = rest[:-1] + ("," if rest != "{}" else "") + '"datasets":{' + inline + "}}"
    body = (f'"structure":"{structure}","datasets":'
            + _json({name: _digest(text) for name, text in datasets.items()})
            + ',"spec":' + spec_text).encode()
    whole = hashlib.sha1(description.encode() + b"\n" + body, usedforsecurity=False).hexdigest()
    return Built(description, body, whole)


def payload(built: Built, args: dict) -> bytes:
    """What the component receives: ``{"digest", "args", "structure", "datasets", "spec"}`` as bytes,
    the digest first."""
    args_json = _json(args)
    digest = _digest(built.digest + args_json)
    return b'{"digest":"' + digest.encode() + b'","args":' + args_json.encode() + b"," + built.body + b"}"


def decode(data: bytes) -> dict:
    """A payload as the component reads it, its datasets made rows (for the tests)."""
    out = json.loads(data)
    out["spec"] = rows(out["spec"])
    return out


@functools.cache
def _component():
    return st.components.v2.component(
        "optimiser_lab_chart", js=(COMPONENT_DIR / "chart.js").read_text(encoding="utf-8"),
        css=(COMPONENT_DIR / "chart.css").read_text(encoding="utf-8"), isolate_styles=False)


def _ignore() -> None:
    """A click is read from the component's result in the run it starts."""


@dataclass(frozen=True)
class Clicked:
    """What a click on a chart sent, in the run it started (else None for each): ``point``, the
    data coordinates under the pointer in a plotted box (``{"point": [x, y], "view": i}``);
    ``datum``, the chosen fields of the mark clicked (``{"datum": {field: value}}``)."""

    point: dict | None = None
    datum: dict | None = None
    tuned: dict | None = None  # a released slider beside the player: {"optimizer", "name", "value"}


def draw(built: Built, style: ChartStyle, key: str, fit: str = "width", steps: int = 0, pick: bool = False,
         select: tuple[str, ...] = (), tune: bool = False) -> Clicked:
    """Draw ``built``: ``fit`` ``"screen"`` for the page's first chart (it fills the screen below its
    top), ``"width"`` for the others (as wide as their frame, at most a screen high). With
    ``steps`` > 0, the player's controls drive its ``step`` param. With ``pick``, a click inside a
    plotted box (a map's, when the chart has maps) sends the point under the pointer, its scales
    inverted; with ``select``, a click on a mark whose data has those fields sends their values; with
    ``tune``, a released slider of the live preview sends its value."""
    theme = getattr(st.context.theme, "type", None) or "light"
    args = {"key": key, "theme": theme, "font_size": style.font_size + 2, "fit": fit,
            "description": built.description, "steps": int(steps), "pick": bool(pick), "select": list(select)}
    callbacks = {}
    if pick:
        callbacks["on_pick_change"] = _ignore
    if select:
        callbacks["on_select_change"] = _ignore
    if tune:
        callbacks["on_tune_change"] = _ignore
    result = _component()(key=key, data=payload(built, args), **callbacks)
    return Clicked(getattr(result, "pick", None) if pick else None, getattr(result, "select", None) if select else None,
                   getattr(result, "tune", None) if tune else None)
