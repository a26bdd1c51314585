"""Step-through playback of a Vega-Lite chart in the browser (a small Streamlit component).

The component (``ui/components/stepper``) embeds the chart with the Vega libraries
shipped beside it (no CDN: a classroom network or an offline laptop works) and
drives its ``step`` param with play, pause, step forward/back, first/last, a
scrubber and a speed menu. A frame only updates that param: nothing goes back to
the server, the chart is not re-embedded (no flicker) and zoom/pan survive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from .charts import with_style
from .style import ChartStyle

_COMPONENT = components.declare_component(
    "optimiser_lab_stepper", path=str(Path(__file__).parent / "views" / "components" / "stepper"))
DIGITS = 6  # significant digits kept in the data sent to the browser

try:  # the lock Streamlit holds while it changes Altair's process-wide settings
    from streamlit.elements.vega_charts import _altair_globals_lock as _ALTAIR_LOCK
    from streamlit.elements.vega_charts import _to_arrow_dataset as _STREAMLIT_TRANSFORMER
except ImportError:  # another Streamlit: at least our own sessions take turns
    _ALTAIR_LOCK = threading.Lock()
    _STREAMLIT_TRANSFORMER = None


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


def _to_columns(data, datasets: dict) -> dict:
    """Altair data transformer: the chart's DataFrames, each as columns under a content-hashed
    name (a dataset used by several layers is sent once). The component turns them into rows.
    Altair's own inline transformer builds a dict per row and is most of a map's server time."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    digest = hashlib.sha1(repr([(str(k), str(t)) for k, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    name = "data-" + digest.hexdigest()[:16]
    if name not in datasets:
        datasets[name] = {"columns": columns(frame)}
    return {"name": name}


@contextlib.contextmanager
def altair_transformer(name: str, no_theme: bool = False, **options):
    """Altair's data transformer ``name`` switched on for this thread's ``to_dict`` calls.

    Altair's data transformer is one setting for the whole process, and ``st.altair_chart``
    switches it (to its Arrow side channel) in other sessions' threads under Streamlit's lock:
    without taking the same lock, a chart here could go out without its data, or leave the
    setting switched for everyone (found by the load test, ``tests/load``).

    Leaving ``enable(...)`` restores the registry as it was on entry, and ``st.altair_chart``
    registers its transformer *before* it takes the lock: so its name is registered here first,
    or the first Altair chart of a fresh server, drawn while a step-through chart is being
    serialised, would find its transformer gone (``NoSuchEntryPoint: to_arrow_dataset``, seen
    in CI). ``no_theme``: Altair's theme switched off as ``st.altair_chart`` does (Streamlit's
    own theme applies in the browser)."""
    with _ALTAIR_LOCK:
        if _STREAMLIT_TRANSFORMER is not None:
            alt.data_transformers.register("to_arrow_dataset", _STREAMLIT_TRANSFORMER)
        alt.data_transformers.register("optimiser_lab_columns", _to_columns)
        off = no_theme and alt.theme.active == "default"
        theme = alt.theme.enable("none") if off else contextlib.nullcontext()
        with theme, alt.data_transformers.enable(name, **options):
            yield


def spec_for_browser(chart: alt.TopLevelMixin | dict) -> dict:
    """The chart's Vega-Lite spec with its data inline, by columns (``{"columns": {...}}`` in
    ``datasets``: the component makes rows of them), and the ``step`` param unbound (the
    component draws its own controls). ``chart``: an Altair chart, or a spec dict with
    DataFrames in its ``datasets`` (``mapspec``)."""
    if isinstance(chart, dict):
        spec = dict(chart)
        spec["datasets"] = {name: {"columns": columns(d)} if isinstance(d, pd.DataFrame) else d
                            for name, d in chart.get("datasets", {}).items()}
    else:
        datasets: dict = {}
        with altair_transformer("optimiser_lab_columns", datasets=datasets):
            spec = chart.to_dict(validate=False)  # validated in the tests (tests/app), not per view
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    spec["params"] = [{k: v for k, v in p.items() if k != "bind"} if p.get("name") == "step" else p
                      for p in spec.get("params", [])]
    if not spec["params"]:
        del spec["params"]
    return spec


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


def _spec_json(chart: alt.TopLevelMixin | dict, style: ChartStyle) -> str:
    return json.dumps(with_style(spec_for_browser(chart), style), separators=(",", ":"), allow_nan=False)


@st.cache_data(max_entries=24, ttl=1800, show_spinner=False)
def _cached_spec_json(view: tuple, key: str, style: tuple, _build: Callable[[], alt.TopLevelMixin]) -> str:
    """The spec of the chart ``_build()`` draws in the view ``view`` (every value of the page,
    see ``ViewContext.state``): built and serialised once for all sessions showing that view.
    A string, immutable: sharing it between sessions is safe. At most 24 kept (0.1-1 MB each)."""
    return _spec_json(_build(), ChartStyle(*style))


def step_through(build: Callable[[], alt.TopLevelMixin | dict], steps: int, style: ChartStyle, key: str,
                 view: tuple) -> None:
    """Render a chart that filters on a ``step`` param, with step-through controls.

    ``build``: a function that builds the chart (Altair, or a ``mapspec`` dict); ``view``: the page's values
    (``ViewContext.state()``). The built spec is cached for that view, so a rerun or another
    student on the same view skips Altair (most of a page's server time)."""
    spec = _cached_spec_json(view, key, dataclasses.astuple(style), build)
    theme = getattr(st.context.theme, "type", None) or "light"
    _COMPONENT(spec=spec, steps=int(steps), theme=theme, font_size=style.font_size + 2, key=key, default=None)
