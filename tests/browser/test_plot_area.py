"""No squeezed chart: on every page at its defaults, every practical-guide preset and every
Neural network experiment, at 1280x720 (normal and presentation) and 1920x1080 (both), each
chart's plot area (inside its axes) takes at least half of its drawing's width and height.

A legend with long labels beside a plot, or too many rows of it under a short one, takes the
room the data needs: the Neural network's loss curves were plotted about 10 px wide. The
measuring is in ``plots``. A page at its defaults on a projector (1280x720 and 1920x1080
presenting) and on a laptop (1280x720) is checked by ``test_geometry``, which loads exactly those
views for its own checks; here, every other view and screen.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ui.frame.registry import PAGES as REGISTRY
from ui.state.guide import GUIDE

from .harness import open_page
from .plots import squeezed, squeezed_charts

pytestmark = pytest.mark.browser


def test_squeezed_finds_a_legend_that_took_the_width():
    """The check itself: the Neural network's loss chart as it was drawn (a 10 px plot)."""
    assert squeezed({"box": [560, 420], "plots": [[40, 30, 10, 300]]})
    assert not squeezed({"box": [560, 420], "plots": [[40, 30, 480, 300]]})
    assert squeezed({"box": [1200, 500], "plots": [[40, 30, 500, 400], [640, 30, 500, 120]]})
    assert not squeezed({"box": [1200, 500], "plots": [[40, 30, 500, 400], [640, 30, 500, 400]]})


# Every view to check: (name, URL path, query, charts drawn)
VIEWS = [(p.id, p.url_path, "", p.charts) for p in REGISTRY.values() if p.charts]
VIEWS += [(f"guide-{g.id}", REGISTRY[g.page].url_path, urlencode(dict(g.values)), REGISTRY[g.page].charts)
          for g in GUIDE]  # (a preset draws as many charts as its page at the defaults)
_EXPERIMENT = REGISTRY["network"].field("nn.preset")
VIEWS += [(f"network-{e}", REGISTRY["network"].url_path, f"nn.preset={e}", REGISTRY["network"].charts)
          for e in _EXPERIMENT.options if e != _EXPERIMENT.default]
SCREENS = {"1280x720": (1280, 720, False), "1280x720 present": (1280, 720, True),
           "1920x1080": (1920, 1080, False), "1920x1080 present": (1920, 1080, True)}


# (view, screen) loaded by test_geometry, which checks the plot areas there
GEOMETRY_LOADS = {"1280x720", "1280x720 present", "1920x1080 present"}
CASES = [pytest.param(*view, screen, id=f"{view[0]}-{screen}") for screen in SCREENS for view in VIEWS
         if not (view[2] == "" and screen in GEOMETRY_LOADS)]


@pytest.mark.parametrize(("name", "path", "query", "n_charts", "screen"), CASES)
def test_every_chart_plots_on_at_least_half_its_drawing(server, tab, name, path, query, n_charts, screen):
    width, height, present = SCREENS[screen]
    page = tab(width, height)
    try:
        query = "&".join(q for q in (query, "present=1" if present else "") if q)
        open_page(page, server.url, path, query, charts=n_charts, at_least=1)
        problems = squeezed_charts(page)
        assert not problems, problems
    finally:
        page.close()
