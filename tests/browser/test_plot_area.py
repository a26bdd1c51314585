"""No squeezed chart: on every page at its defaults, every practical-guide preset and every
Neural network experiment, at 1280x720 (normal and presentation) and 1920x1080 (both), each
chart's plot area (inside its axes) takes at least half of its drawing's width and height.

A legend with long labels beside a plot, or too many rows of it under a short one, takes the
room the data needs: the Neural network's loss curves were plotted about 10 px wide. Only
``plot_areas`` knows how charts are mounted (each chart's element holds its Vega view in
``__chart.view``); the rest of this file reads its numbers.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ui.frame.registry import PAGES as REGISTRY
from ui.state.guide import GUIDE

from .harness import CHART, open_page

pytestmark = pytest.mark.browser

SHARE = 0.5  # of the drawing's width and height, at least, inside the axes

# Per chart (page order): its drawing's box (axes, titles and legends included) and the plot area
# of each of its views (the whole view, or each view of a concatenation), in CSS pixels.
_PLOT_AREAS = r"""(charts) => charts.map((c) => {
  const view = c.__chart && c.__chart.view;
  const drawn = view && view.container() && view.container().querySelector('canvas.marks, svg.marks');
  if (!drawn) return null;
  const r = drawn.getBoundingClientRect();
  const [ox, oy] = view.origin();
  const top = view.scenegraph().root.items[0];
  const views = [];
  for (const mark of top.items || []) {
    // a concatenation's views (a line's groups per series are scopes too, inside one view)
    if (mark.marktype === 'group' && /_group$/.test(mark.name || '')) {
      for (const g of mark.items) views.push([ox + g.x, oy + g.y, g.width, g.height]);
    }
  }
  if (!views.length) views.push([ox, oy, view.width(), view.height()]);
  return {box: [r.width, r.height], plots: views};
})"""


def plot_areas(page) -> list[dict | None]:
    """Each chart on ``page``, in page order: ``{"box": [w, h], "plots": [[x, y, w, h], ...]}``
    (``None`` for a chart not drawn yet), from the chart's own Vega view."""
    return page.evaluate(_PLOT_AREAS, page.locator(CHART).element_handles())


def _settled(page, tries: int = 40) -> list[dict]:
    """``plot_areas`` once two readings 400 ms apart agree (the charts have fitted their room)."""
    last = None
    for _ in range(tries):
        now = plot_areas(page)
        if now == last and all(now):
            return now
        last = now
        page.wait_for_timeout(400)
    raise AssertionError(f"the charts did not settle: {last}")


def _covered(intervals) -> float:
    """Length of the union of ``(start, length)`` intervals."""
    total, end = 0.0, float("-inf")
    for start, length in sorted(intervals):
        stop = start + length
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def squeezed(chart: dict) -> list[str]:
    """What is too small in one chart: the plots' extent against the drawing, across and down,
    and each view's own extent across the way its views are laid out."""
    (w, h), plots = chart["box"], chart["plots"]
    problems = []
    across, down = _covered([(x, pw) for x, _, pw, _ in plots]), _covered([(y, ph) for _, y, _, ph in plots])
    if across < SHARE * w:
        problems.append(f"plots {across:.0f} px wide in a drawing {w:.0f} px wide")
    if down < SHARE * h:
        problems.append(f"plots {down:.0f} px high in a drawing {h:.0f} px high")
    # views side by side: their x-ranges do not overlap (else they are stacked)
    side_by_side = len(plots) > 1 and across >= 0.99 * sum(p[2] for p in plots)
    for i, (_, _, pw, ph) in enumerate(plots):
        if side_by_side and ph < SHARE * h:
            problems.append(f"view {i + 1} plotted {ph:.0f} px high in a drawing {h:.0f} px high")
        if not side_by_side and len(plots) > 1 and pw < SHARE * w:
            problems.append(f"view {i + 1} plotted {pw:.0f} px wide in a drawing {w:.0f} px wide")
    return problems


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


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize(("name", "path", "query", "n_charts"), VIEWS, ids=[v[0] for v in VIEWS])
def test_every_chart_plots_on_at_least_half_its_drawing(server, browser, name, path, query, n_charts, screen):
    width, height, present = SCREENS[screen]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        query = "&".join(q for q in (query, "present=1" if present else "") if q)
        open_page(page, server.url, path, query, charts=n_charts, at_least=1)
        charts = _settled(page)
        problems = [f"chart {i + 1}: {p}" for i, chart in enumerate(charts) for p in squeezed(chart)]
        assert not problems, problems
    finally:
        context.close()
