"""AppTest helpers: run the real app (entrypoint + page) without a browser."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.views import stepper

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def open_page(path: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    """Start the app at ``dashboard.py`` (with ``query`` in the URL), then switch to ``path``."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    if path and path != "dashboard.py":
        # A deep link: the page is the first thing this session runs.
        at.switch_page(path)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at


def _is_component_chart(e) -> bool:
    return e.type == "bidi_component" and e.proto.component_name == "optimiser_lab_chart"


def charts(at: AppTest) -> list:
    """Every chart on the page, in page order: the chart component's (and any Streamlit Vega-Lite
    chart)."""
    return [e for e in at._tree if e.type == "vega_lite_chart" or _is_component_chart(e)]  # page order


def chart_args(chart) -> dict:
    """What the chart component is told besides the spec: key, fit, steps, pick, description..."""
    return stepper.decode(chart.proto.bytes)["args"]


def is_player(chart) -> bool:
    """A chart drawn with the step-through player's controls."""
    return _is_component_chart(chart) and chart_args(chart)["steps"] > 0


def spec(chart) -> dict:
    if _is_component_chart(chart):
        # data inline, by columns in "datasets": as rows, like the component embeds it
        return stepper.decode(chart.proto.bytes)["spec"]
    return json.loads(chart.proto.spec)


def data_digest(at: AppTest) -> str:
    """A digest of every chart's data: changes when what is plotted changes."""
    h = hashlib.sha256()
    for c in charts(at):
        if _is_component_chart(c):
            h.update(c.proto.bytes)
            continue
        for d in c.proto.datasets:
            h.update(d.data.SerializeToString())
        h.update(c.proto.spec.encode())
    return h.hexdigest()


def marks(s: dict) -> list[str]:
    """Every mark type in a (possibly layered / concatenated) Vega-Lite spec."""
    out = []
    if "mark" in s:
        m = s["mark"]
        out.append(m["type"] if isinstance(m, dict) else m)
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in s.get(key, []):
            out.extend(marks(sub))
    return out


def params(s: dict) -> list[dict]:
    """Every param of a (compound) spec."""
    out = list(s.get("params", []))
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in s.get(key, []):
            out.extend(params(sub))
    return out


def fields(s: dict) -> set[str]:
    out = set()
    for ch in s.get("encoding", {}).values():
        items = ch if isinstance(ch, list) else [ch]
        for item in items:
            if isinstance(item, dict) and "field" in item:
                out.add(item["field"])
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in s.get(key, []):
            out |= fields(sub)
    return out


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def app():
    return open_page
