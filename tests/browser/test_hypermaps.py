"""Hyperparameter maps in the browser: a click on a cell of a map draws that cell's run on the path
map beside the maps (the white dot moves there), the link keeps it, and a click beside the cells
does nothing."""

from __future__ import annotations

import pytest

from engine import OPTIMIZERS

from .harness import CHART, open_page, query_of, runs, vega, wait_rerun

pytestmark = pytest.mark.browser

QUERY = "hm.n=8&hm.steps=80&hm.seeds=1"
# The page position of a cell's centre in view 0 (the first map), from that view's own scales.
CELL_AT = """(view, chart, [lr, a]) => {
  const root = view.scenegraph().root.items[0];
  const group = root.items.find((m) => m.name === 'concat_0_group').items[0];
  const [ox, oy] = view.origin();
  const r = chart.root.querySelector('canvas.marks').getBoundingClientRect();
  return [r.left + ox + root.x + group.x + view.scale('concat_0_x')(lr),
          r.top + oy + root.y + group.y + view.scale('concat_0_y')(a)];
}"""
def _shown(chart):
    return vega(chart, "(view, chart) => { const name = Object.keys(chart.spec.datasets).find((n) => "
                       "n.startsWith('framed')); return view.data(name).filter((r) => r.kind === 'shown')"
                       ".map((r) => [r.series, r.lr, r.h2]); }")


def test_a_click_on_a_cell_draws_its_run_and_the_link_keeps_it(server, page):
    open_page(page, server.url, "Hyperparameter_maps", QUERY, charts=1)
    chart = page.locator(CHART).first
    lrs, ys = OPTIMIZERS["momentum"].map_axes(8)
    i, j = 2, 5  # a cell of the first map (momentum) that is not its best one
    assert _shown(chart)[0][:2] != ["momentum", pytest.approx(lrs[i], rel=1e-5)]
    # beside the cells (the title's row): nothing happens
    before = runs(page)
    box = chart.locator("canvas.marks").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)
    page.wait_for_timeout(1500)
    assert runs(page) == before and "hm.pick" not in query_of(page)
    x, y = vega(chart, CELL_AT, [float(lrs[i]), float(1 - ys[j])])
    page.mouse.click(x, y)
    wait_rerun(page, before, charts=1)
    query = query_of(page)
    assert query["hm.pick"] == "momentum"
    assert float(query["hm.lr"]) == pytest.approx(lrs[i], rel=1e-12)  # the cell's exact values
    assert float(query["hm.h2"]) == pytest.approx(ys[j], rel=1e-12)
    page.wait_for_timeout(500)
    chart = page.locator(CHART).first
    assert _shown(chart) == [["momentum", pytest.approx(lrs[i], rel=1e-5), pytest.approx(ys[j], rel=1e-5)]]
    label = vega(chart, "(view, chart) => { const name = Object.keys(chart.spec.datasets).find((n) => "
                        "n.startsWith('path')); return view.data(name)[0].label; }")
    assert label.startswith("SGD + Momentum, η = ")
    # the link reopens the same cell's run
    open_page(page, server.url, "Hyperparameter_maps", "&".join(f"{k}={v}" for k, v in query.items()), charts=1)
    assert _shown(page.locator(CHART).first) == [["momentum", pytest.approx(lrs[i], rel=1e-5),
                                                  pytest.approx(ys[j], rel=1e-5)]]


# Each view's plotted width and height (the pixel ranges of its x and y scales).
VIEW_SIZES = """(view, chart) => { const out = []; for (let i = 0; ; i++) {
  let x, y;
  try { x = view.scale('concat_' + i + '_x'); y = view.scale('concat_' + i + '_y'); } catch (e) { return out; }
  if (!x || !y) return out;
  const span = (s) => Math.abs(s.range()[1] - s.range()[0]);
  out.push([span(x), span(y)]); } }"""


def test_on_a_phone_the_maps_stack_each_readable(server, browser):
    """On a 390 px phone the maps go one under another, each nearly as wide as the screen allows
    (the chart takes more than a screen's height), not all shrunk into the first screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        open_page(page, server.url, "Hyperparameter_maps", QUERY, charts=1)
        page.wait_for_timeout(1500)
        chart = page.locator(CHART).first
        sizes = vega(chart, VIEW_SIZES)
        assert len(sizes) == 4, sizes  # three maps and the path map, stacked
        assert all(w >= 150 and h >= 150 for w, h in sizes), sizes
        assert chart.bounding_box()["height"] > 844  # a page to scroll, not one screen
    finally:
        context.close()
