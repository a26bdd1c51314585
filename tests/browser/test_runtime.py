"""The chart runtime in a real browser: one per tab, charts in the page's own document, updated in
place, nothing sent again for a chart that did not change, no text jumping while charts are drawn.

* The Vega libraries load once per tab, however many charts and pages: no chart is an iframe.
* A control that changes a chart's data updates the drawn view: it is not embedded again, and the
  player's step, the map's zoom and the page's scroll stay where the student left them.
* A rerun that changes nothing about a chart sends nothing for it (Streamlit sends a reference to
  the message the browser already holds), and the chart does not redraw.
* Text below a chart does not move while the chart is drawn, on a page's first visit and after.
* Coming back to a page puts its charts back as they were left (kept drawn off the page), not
  drawn anew; with new data, updated in place.
"""

from __future__ import annotations

import pytest

from .harness import (
    CHART,
    IDLE,
    PLAYER,
    SIDEBAR,
    enter_number,
    open_page,
    sidebar_link,
    vega,
    wait_for_charts,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) before any test body runs
    expect = None

pytestmark = pytest.mark.browser

VEGA_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
LOADED = """(files) => files.map((f) => performance.getEntriesByType('resource')
  .filter((e) => e.name.endsWith('/app/static/vega/' + f)).length)"""


def test_the_vega_libraries_load_once_for_every_chart_of_every_page(server, page, watch):
    open_page(page, server.url, "Bias_correction", charts=5)
    assert page.locator("iframe").count() == 0  # every chart is in the page's own document
    assert page.locator(CHART).count() == 5
    for title in ("Loss curves", "Trajectories", "Bias correction"):
        sidebar_link(page, title).click()
        expect(page.locator("h1").first).to_have_text(title, timeout=90_000)
        wait_for_charts(page)
    assert page.evaluate(LOADED, list(VEGA_FILES)) == [1, 1, 1]
    assert page.locator("script[src*='app/static/vega/']").count() == 3


def test_a_first_visit_embeds_each_chart_once(server, page):
    """A chart no one has drawn in this tab yet is embedded at sizes fitted with its guessed axes
    and legend, then resized in place through its size signals (side-by-side views share one
    height signal): a second embed would cost the student a second compile and draw."""
    for path, n in (("", 1), ("Trajectories", 1), ("Schedules", 2)):
        open_page(page, server.url, path, charts=n)
        embeds = page.locator(CHART).evaluate_all("els => els.map((el) => el.dataset.embeds)")
        assert embeds == ["1"] * n, (path, embeds)


MAP_DOMAIN = "(view) => [view.scale('concat_0_x').domain(), view.scale('concat_0_y').domain()]"


def test_a_control_updates_the_drawn_chart_in_place(server, page):
    open_page(page, server.url, "Trajectories", "steps=400", charts=1)
    player = page.locator(PLAYER).first
    embeds = player.get_attribute("data-embeds")
    # the student's place: step 150, the map zoomed in (the wheel over it), the page scrolled down
    player.locator(".ol-scrub").fill("150")
    player.locator(".ol-scrub").dispatch_event("input")
    box = player.locator("canvas.marks").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(500)
    zoomed = vega(player, MAP_DOMAIN)
    assert zoomed[0] != [-1.5, 1.5], "the wheel did not zoom the map"
    page.locator("[data-testid='stMain']").evaluate("el => el.scrollBy(0, 120)")
    scrolled = page.locator("[data-testid='stMain']").evaluate("el => el.scrollTop")
    enter_number(page, "Seed", "5", charts=1)
    page.wait_for_function("(el) => el.dataset.updated === '1'", arg=player.element_handle(), timeout=15_000)
    assert player.get_attribute("data-embeds") == embeds  # drawn in place, not embedded again
    assert player.get_attribute("data-step") == "150"
    assert vega(player, "(view) => view.signal('step')") == 150
    assert vega(player, MAP_DOMAIN) == zoomed
    assert page.locator("[data-testid='stMain']").evaluate("el => el.scrollTop") == scrolled


def _go(page, title: str, charts: int) -> None:
    sidebar_link(page, title).click()
    expect(page.locator("h1").first).to_have_text(title, timeout=90_000)
    wait_for_charts(page, charts)


def _back_after_changing(page, label: str, value: str):
    """On Loss curves, the shared number input ``label`` set to ``value``; then back on
    Trajectories: its player."""
    _go(page, "Loss curves", 2)
    enter_number(page, label, value, charts=2)
    _go(page, "Trajectories", 1)
    return page.locator(PLAYER).first


def test_coming_back_to_a_page_shows_its_charts_as_they_were_left(server, page):
    """A page switch unmounts every element of the page left. Its charts are kept drawn, off the
    page, and put back when the student comes back: the same drawing (not embedded again: drawing
    a page's charts anew was most of a page switch's time in the browser), the player's step and
    the map's zoom as left. When a shared control changed meanwhile, the kept chart takes its new
    data in place; when its structure changed, it is drawn anew and opens at its last step."""
    open_page(page, server.url, "Trajectories", "steps=400", charts=1)
    player = page.locator(PLAYER).first
    player.locator(".ol-scrub").fill("150")
    player.locator(".ol-scrub").dispatch_event("input")
    box = player.locator("canvas.marks").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(500)
    zoomed = vega(player, MAP_DOMAIN)
    assert zoomed[0] != [-1.5, 1.5], "the wheel did not zoom the map"
    player.evaluate("el => { el.__kept = true; }")
    digests = vega(player, "(view, c) => JSON.stringify(c.datasetDigests)")

    _go(page, "Loss curves", 2)
    _go(page, "Trajectories", 1)
    player = page.locator(PLAYER).first
    assert player.evaluate("el => el.__kept === true"), "the chart was drawn anew"
    assert player.get_attribute("data-embeds") == "1"
    assert player.get_attribute("data-step") == "150"
    assert vega(player, "(view) => view.signal('step')") == 150
    assert vega(player, MAP_DOMAIN) == zoomed

    player = _back_after_changing(page, "Seed", "5")  # a shared control changed: new runs for the map
    page.wait_for_function("(el) => el.dataset.updated === '1'", arg=player.element_handle(), timeout=15_000)
    assert player.evaluate("el => el.__kept === true")
    assert player.get_attribute("data-embeds") == "1"  # updated in place
    assert vega(player, "(view, c) => JSON.stringify(c.datasetDigests)") != digests
    assert vega(player, "(view) => view.signal('step')") == 150

    player = _back_after_changing(page, "Steps", "300")  # a new structure, drawn anew in the kept chart
    page.wait_for_function("(el) => el.dataset.embeds === '2'", arg=player.element_handle(), timeout=15_000)
    assert player.evaluate("el => el.__kept === true")
    assert player.get_attribute("data-step") == "300"  # at its last step, as a new chart opens


def test_a_rerun_that_changes_nothing_about_a_chart_sends_nothing_for_it(server, page):
    received: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda p: received.append(p if isinstance(p, bytes) else p.encode())))
    open_page(page, server.url, "Trajectories", "steps=300", charts=1)
    chart = page.locator(CHART).first
    structure = vega(chart, "(view, c) => c.structure").encode()
    assert any(structure in frame for frame in received)  # the first run sent it
    state = (chart.get_attribute("data-embeds"), chart.get_attribute("data-updated"))
    received.clear()
    # opening an optimiser's panel reruns the page (its sliders are drawn); the chart is the same
    page.locator(f"{SIDEBAR} [data-testid='stExpander']").filter(has_text="Adam").first.locator("summary").click()
    expect(page.locator(SIDEBAR).get_by_role("slider").first).to_be_visible(timeout=90_000)
    page.wait_for_selector(IDLE, timeout=90_000)
    page.wait_for_timeout(1000)
    assert received, "the rerun sent nothing at all"
    assert not any(structure in frame for frame in received), "the unchanged chart was sent again"
    assert (chart.get_attribute("data-embeds"), chart.get_attribute("data-updated")) == state


# Every animation frame: the top of the first text block below the page's first chart (None until
# there is one, or while the page is not yet the one titled ``title``), until ``window.__stopTops()``.
TRACK_TOPS = """(title) => {
  window.__tops = [];
  let on = true;
  window.__stopTops = () => { on = false; return window.__tops; };
  const frame = () => {
    if (!on) return;
    const h1 = document.querySelector("[data-testid='stMain'] h1");
    const chart = h1 && h1.innerText.trim() === title ? document.querySelector('[data-optlab-chart]') : null;
    let top = null;
    if (chart) {
      const below = [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stMarkdownContainer']")]
        .find((el) => chart.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
      if (below && below.getBoundingClientRect().height > 0) top = Math.round(below.getBoundingClientRect().top);
    }
    window.__tops.push([chart ? !!chart.dataset.fitted : false, top]);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}"""


@pytest.mark.parametrize("title", ["Trajectories", "Loss curves", "Bias correction"])
def test_text_below_the_first_chart_does_not_move_while_charts_are_drawn(server, browser, title):
    """On the page's first visit in this tab and on a later one: from the moment the text below
    the first chart is shown, its place does not change."""
    from .harness import VIEWPORT, Watch

    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        Watch().attach(page)
        open_page(page, server.url, "Learning_rates", charts=1)
        for visit in ("first", "again"):
            page.evaluate(TRACK_TOPS, title)
            sidebar_link(page, title).click()
            expect(page.locator("h1").first).to_have_text(title, timeout=90_000)
            wait_for_charts(page)
            page.wait_for_timeout(1000)
            tops = [t for _, t in page.evaluate("() => window.__stopTops()") if t is not None]
            assert tops, f"{visit} visit: no text below the chart"
            assert max(tops) - min(tops) <= 1, f"{visit} visit: the text moved from {tops[0]} to {sorted(set(tops))}"
            sidebar_link(page, "Learning rates").click()
            expect(page.locator("h1").first).to_have_text("Learning rates", timeout=90_000)
            wait_for_charts(page)
    finally:
        context.close()
