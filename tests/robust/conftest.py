"""Shared helpers of the robustness tests: pages, their URL fields, chart digests, time limits.

The AppTest helpers of ``tests/app`` are reused (``open_page`` starts at ``dashboard.py`` and
switches to the page, as a deep link does). A chart is whatever the page draws with data: a
Vega-Lite element (``st.altair_chart``) or a custom component instance that carries a chart
spec (the step-through player), so the digests follow the data whichever way it is drawn.
"""

from __future__ import annotations

import contextlib
import hashlib
import signal

from hypothesis import HealthCheck, settings

from tests.app.conftest import ROOT, no_exception, open_page
from ui.frame.registry import BY_SCRIPT, PAGES
from ui.frame.registry import page_fields as _page_fields

__all__ = [
    "FUZZ",
    "PAGE_ID",
    "PAGE_SCRIPTS",
    "ROOT",
    "chart_elements",
    "data_digest",
    "n_charts",
    "no_exception",
    "notices",
    "open_page",
    "page_fields",
    "time_limit",
]

# Deterministic in CI: the same examples on every run (no example database needed).
FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

PAGE_ID = {p.script: p.id for p in PAGES.values()}
PAGE_SCRIPTS = sorted(PAGE_ID, key=lambda p: (p != "dashboard.py", p))


def all_page_scripts() -> list[str]:
    """Every page script on disk (the entrypoint and ``pages/*.py``)."""
    return ["dashboard.py", *sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))]


def page_fields(path: str) -> dict:
    """The URL fields the page at ``path`` validates: the shared ones, presentation mode and its own."""
    return _page_fields(BY_SCRIPT[path])


def chart_elements(at) -> list:
    """Every chart the run drew: Vega-Lite elements and the chart component's."""
    out = list(at.get("vega_lite_chart"))
    out += [c for c in at.get("bidi_component") if c.proto.component_name == "optimiser_lab_chart"]
    return out


def n_charts(at) -> int:
    return len(chart_elements(at))


def data_digest(at) -> str:
    """A digest of every chart's data and spec: equal digests mean the same numbers were drawn."""
    h = hashlib.sha256()
    for c in chart_elements(at):
        if hasattr(c.proto, "datasets"):
            for d in c.proto.datasets:
                h.update(d.data.SerializeToString())
            h.update(c.proto.spec.encode())
        else:
            h.update(c.proto.bytes)
    return h.hexdigest()


def notices(at) -> list[str]:
    return [w.value for w in at.warning]


class TimeLimit(Exception):
    """A call ran over its time limit (a hang, as far as these tests are concerned)."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (raise ``TimeLimit``) if the block runs longer than ``seconds`` (main thread only)."""
    def _raise(signum, frame):
        raise TimeLimit(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def assert_pages_are_known() -> None:
    on_disk = set(all_page_scripts())
    assert on_disk == set(PAGE_ID), f"pages on disk {sorted(on_disk)} != registry {sorted(PAGE_ID)}"

