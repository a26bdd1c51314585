"""A chart's plot areas (inside its axes) against its drawing: what ``test_plot_area`` checks on
every view, and ``test_geometry`` on the loads it makes anyway (one page load serves both).

Only ``plot_areas`` knows how charts are mounted (each chart's element holds its Vega view in
``__chart.view``); the rest reads its numbers.
"""

from __future__ import annotations

from .harness import CHART

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


def settled(page, tries: int = 40) -> list[dict]:
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


def squeezed_charts(page) -> list[str]:
    """Every squeezed chart on ``page`` once its charts have settled, as ``"chart i: problem"``."""
    return [f"chart {i + 1}: {p}" for i, chart in enumerate(settled(page)) for p in squeezed(chart)]
