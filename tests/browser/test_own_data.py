"""Your own data on the Neural network page, in a real browser: a click on the plane adds a point
of the chosen class where it was clicked (and the link carries it); with one's own data the page's
key chart is on a projector's first screen, the plane to draw on first when nothing can be trained
yet, and nothing is drawn past its frame."""

from __future__ import annotations

import numpy as np
import pytest

from engine.owndata import decode_data, encode_data
from ui.frame.registry import PAGES as REGISTRY
from ui.state import owndata

from .harness import CHART, PLAYER, open_page, query_of, runs, vega, wait_rerun
from .test_geometry import FITTED, SETTLE_MS, TRUNCATED, _drawn_problems

pytestmark = pytest.mark.browser

PATH = REGISTRY["network"].url_path
CHARTS = REGISTRY["network"].charts + 1  # and the editor
EDITOR = f".st-key-nn_editor {CHART}"
SMALL = "nn.steps=100&nn.grid=9"


def _points(page) -> tuple[np.ndarray, np.ndarray]:
    return decode_data(query_of(page).get("nn.points") or owndata.starting_data(), complete=False)


def test_a_click_on_the_plane_adds_a_point_of_the_chosen_class_where_it_was_clicked(server, page):
    open_page(page, server.url, PATH, f"nn.data=own&nn.class=2&{SMALL}", charts=CHARTS)
    X0, y0 = _points(page)
    editor = page.locator(EDITOR).first
    editor.scroll_into_view_if_needed()
    page.wait_for_timeout(SETTLE_MS)
    plot = editor.locator("canvas.marks, svg.marks").first.bounding_box()
    before = runs(page)
    # beside the plot (its axis labels): nothing happens
    page.mouse.click(plot["x"] + 3, plot["y"] + plot["height"] * 0.5)
    page.wait_for_timeout(1500)
    assert runs(page) == before
    # in the plot, right of its middle and above it
    page.mouse.click(plot["x"] + plot["width"] * 0.7, plot["y"] + plot["height"] * 0.3)
    wait_rerun(page, before, charts=CHARTS)
    X, y = _points(page)
    assert len(y) == len(y0) + 1 and y[-1] == 2  # one more point, green, last
    np.testing.assert_array_equal(X[:-1], X0)
    assert 0.0 < X[-1, 0] < 2.0 and 0.0 < X[-1, 1] < 2.0, X[-1]  # where it was clicked: right and up
    # the view trains on it: the boundary maps show the green class
    player = page.locator(PLAYER).first
    classes = vega(player, "(view, chart) => { const n = Object.keys(chart.spec.datasets)"
                           ".find((k) => k.startsWith('points'));"
                           " return [...new Set(view.data(n).map((r) => r.cls))]; }")
    assert sorted(classes) == [0, 1, 2]


@pytest.mark.parametrize("draft", [False, True], ids=["trained", "draft"])
def test_with_ones_own_data_the_key_chart_is_on_a_projectors_first_screen(server, browser, draft):
    query = f"present=1&nn.data=own&{SMALL}"
    if draft:  # nothing to train yet: the plane to draw on is the first chart
        query += "&nn.points=" + encode_data([[0.5, 0.5], [-0.5, -0.5]], [0, 1], complete=False)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        open_page(page, server.url, PATH, query, charts=1 if draft else CHARTS)
        page.wait_for_timeout(SETTLE_MS)
        page.wait_for_function(FITTED, arg=CHART, timeout=30_000)
        first = page.locator(CHART).first
        box = first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720 + 1, box
        assert (first.locator(".ol-bar:not([hidden])").count() == 0) == draft  # the player, or the editor
        assert _drawn_problems(page) == []
        assert page.evaluate(TRUNCATED) == []
    finally:
        context.close()
