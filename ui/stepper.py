"""Step-through playback of a Vega-Lite chart in the browser (a small Streamlit component).

The component (``ui/components/stepper``) embeds the chart with the Vega libraries
shipped beside it (no CDN: a classroom network or an offline laptop works) and
drives its ``step`` param with play, pause, step forward/back, first/last, a
scrubber and a speed menu. A frame only updates that param: nothing goes back to
the server, the chart is not re-embedded (no flicker) and zoom/pan survive.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from pathlib import Path

import altair as alt
import streamlit as st
import streamlit.components.v1 as components

from .charts import styled
from .style import ChartStyle

_COMPONENT = components.declare_component(
    "optimiser_lab_stepper", path=str(Path(__file__).parent / "components" / "stepper"))
DIGITS = 6  # significant digits kept in the data sent to the browser

try:  # the lock Streamlit holds while it changes Altair's process-wide settings
    from streamlit.elements.vega_charts import _altair_globals_lock as _ALTAIR_LOCK
    from streamlit.elements.vega_charts import _to_arrow_dataset as _STREAMLIT_TRANSFORMER
except ImportError:  # another Streamlit: at least our own sessions take turns
    _ALTAIR_LOCK = threading.Lock()
    _STREAMLIT_TRANSFORMER = None


def _round(value):
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def spec_for_browser(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec with its data inline, rounded, and the ``step`` param unbound
    (the component draws its own controls).

    Altair's data transformer is one setting for the whole process, and ``st.altair_chart``
    switches it (to its Arrow side channel) in other sessions' threads under Streamlit's lock:
    without taking the same lock, a chart here could go out without its data, or leave the
    setting switched for everyone (found by the load test, ``tests/load``).

    Leaving ``enable(...)`` restores the registry as it was on entry, and ``st.altair_chart``
    registers its transformer *before* it takes the lock: so its name is registered here first,
    or the first Altair chart of a fresh server, drawn while a step-through chart is being
    serialised, would find its transformer gone (``NoSuchEntryPoint: to_arrow_dataset``, seen
    in CI)."""
    with _ALTAIR_LOCK:
        if _STREAMLIT_TRANSFORMER is not None:
            alt.data_transformers.register("to_arrow_dataset", _STREAMLIT_TRANSFORMER)
        with alt.data_transformers.enable("default", max_rows=None):
            spec = chart.to_dict(validate=False)  # validated in the tests (tests/ui), not per view
    for p in spec.get("params", []):
        if p.get("name") == "step":
            p.pop("bind", None)
    spec["datasets"] = {k: _round(v) for k, v in spec.get("datasets", {}).items()}
    return spec


def _spec_json(chart: alt.TopLevelMixin, style: ChartStyle) -> str:
    return json.dumps(spec_for_browser(styled(chart, style)), separators=(",", ":"), allow_nan=False)


@st.cache_data(max_entries=32, ttl=1800, show_spinner=False)
def _cached_spec_json(view: tuple, key: str, style: tuple, _build: Callable[[], alt.TopLevelMixin]) -> str:
    """The spec of the chart ``_build()`` draws in the view ``view`` (every value of the page,
    see ``ViewContext.state``): built and serialised once for all sessions showing that view.
    A string, immutable: sharing it between sessions is safe. At most 32 kept (about 1 MB each)."""
    return _spec_json(_build(), ChartStyle(*style))


def step_through(chart, steps: int, style: ChartStyle, key: str, view: tuple | None = None) -> None:
    """Render a chart that filters on a ``step`` param, with step-through controls.

    ``chart``: the chart, or a function that builds it; with ``view`` (the page's values,
    ``ViewContext.state()``) the built spec is cached for that view, so a rerun or another
    student on the same view skips Altair (most of a page's server time)."""
    if callable(chart) and view is not None:
        spec = _cached_spec_json(view, key, dataclasses.astuple(style), chart)
    else:
        spec = _spec_json(chart() if callable(chart) else chart, style)
    theme = getattr(st.context.theme, "type", None) or "light"
    _COMPONENT(spec=spec, steps=int(steps), theme=theme, font_size=style.font_size + 2, key=key, default=None)
