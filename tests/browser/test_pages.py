"""Every page, opened by URL in a real browser: its charts are drawn, nothing went wrong."""

from __future__ import annotations

import pytest

from .harness import (
    CHART,
    EXCEPTION,
    PAGES,
    SIDEBAR,
    open_page,
    sidebar_link,
    unexpected_console_errors,
    wait_for_charts,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) before any test body runs
    expect = None

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_page_renders_its_charts(server, page, watch, path):
    title, n_charts = PAGES[path]
    open_page(page, server.url, path)

    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    charts = page.locator(CHART)
    # Streamlit attaches the charts one by one after the run: wait a little for all of them
    # (a wrong count fails here with the count seen), then for every one to be drawn.
    expect(charts).to_have_count(n_charts, timeout=15_000)
    wait_for_charts(page, n_charts)
    for i in range(n_charts):
        chart = charts.nth(i)
        assert chart.locator("canvas, svg").count() >= 1, f"chart {i} has no canvas or svg"
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, f"chart {i}: {box}"
    # The page's own title, and the app's navigation with the page marked as the current one.
    assert page.locator("h1").first.inner_text().strip() == title
    for other_title, _ in PAGES.values():
        assert sidebar_link(page, other_title).is_visible()
    assert page.locator(f"{SIDEBAR} [data-testid='stMultiSelect']").is_visible()

    assert unexpected_console_errors(watch, server.url, [path]) == []
