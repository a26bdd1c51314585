"""Every page, opened by URL in a real browser: its charts are drawn, nothing went wrong."""

from __future__ import annotations

import re

import pytest

from .harness import (
    CHART,
    EXCEPTION,
    PAGES,
    ROOT,
    SIDEBAR,
    chart_count,
    open_page,
    sidebar_link,
    timeout_error,
    unexpected_console_errors,
    wait_for_charts,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_page_renders_its_charts(server, page, watch, path):
    title, n_charts = PAGES[path]
    open_page(page, server.url, path, at_least=min(1, n_charts))

    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    # Streamlit attaches the charts one by one after the run: give all of them a moment (a
    # wrong count then fails below with the count seen).
    try:
        wait_for_charts(page, n_charts, timeout=15_000)
    except timeout_error():
        pass
    assert chart_count(page) == n_charts
    for i, chart in enumerate(page.locator(CHART).all()):
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, f"chart {i}: {box}"
    # The page's own title, the app's navigation to the six core views, the shared controls.
    assert page.locator("h1").first.inner_text().strip() == title
    for other_title, _ in PAGES.values():
        assert sidebar_link(page, other_title).is_visible()
    shared = page.locator(f"{SIDEBAR} [data-testid='stMultiSelect'] label").get_by_text("Optimisers", exact=True)
    assert shared.is_visible()

    assert unexpected_console_errors(watch, server.url, [path]) == []


def test_every_page_is_covered():
    """Every script in ``pages/`` is one of the pages above (Streamlit's URL rule: the file name
    without its number prefix and ``.py``), so none goes untested in the browser."""
    paths = {re.sub(r"^\d+_", "", f.stem) for f in (ROOT / "pages").glob("*.py")}
    assert paths | {""} == set(PAGES)


@pytest.mark.parametrize("path", ["Trajectories", "Loss_curves"])
def test_every_chart_has_a_text_alternative_and_a_menu_that_saves_it(server, page, path):
    """What a screen reader says of a chart, and the ⋯ menu the README promises (PNG or SVG)."""
    _, n_charts = PAGES[path]
    open_page(page, server.url, path, charts=n_charts)
    for chart in page.locator(CHART).all():
        marks = chart.locator("canvas.marks, svg.marks")
        label = marks.get_attribute("aria-label")
        assert marks.get_attribute("role") == "img" and len(label) > 30, label
        menu = chart.locator(".vega-embed summary")
        assert "PNG" in menu.get_attribute("aria-label")  # a name for the ⋯ button
        menu.click()
        actions = chart.locator(".vega-actions a").all_inner_texts()
        assert any("PNG" in a for a in actions) and any("SVG" in a for a in actions), actions


# Each concatenated view's path strokes, read from the drawn scenegraph: {group mark name: [colours]}.
PATH_COLOURS = """(view) => {
  const out = {};
  const walk = (item, group) => {
    for (const mark of item.items || []) {
      if (mark.marktype === 'group') { for (const g of mark.items) walk(g, mark.name); continue; }
      if (mark.marktype !== 'line') continue;
      for (const it of mark.items) if (it.stroke) (out[group] = out[group] || []).push(it.stroke);
    }
  };
  walk(view.scenegraph().root.items[0], 'root');
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...new Set(v)]]));
}"""


def test_each_map_of_the_chapters_figure_draws_its_run_in_its_optimisers_colour(server, page):
    """Three maps side by side, each with its own colour scale: shared, the first map's table once
    coloured all three paths SGD + Momentum's vermillion."""
    from ui.views.theme import OPTIMIZER_COLORS

    from .harness import vega

    open_page(page, server.url, "", charts=1)
    colours = vega(page.locator(CHART).first, PATH_COLOURS)
    drawn = [[c for name, cs in colours.items() if name.startswith(f"concat_{i}_") for c in cs] for i in range(3)]
    want = [OPTIMIZER_COLORS[o] for o in ("momentum", "rmsprop", "adam")]
    assert [[c.lower() for c in d] for d in drawn] == [[w.lower()] for w in want], drawn
