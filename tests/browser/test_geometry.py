"""Every page as a projector, a desktop and a phone show it: measured, not looked at.

At 1280x720 in presentation mode the first chart (the one the page's lesson is about) lies
wholly on the first screen; at 1920x1080 it grows to use the room; at 1280x720 with the sidebar
open it starts on the first screen. On every screen, including a 390 px phone, every chart is
drawn inside its box and inside the page, and no button or checkbox label is cut short. On a
phone the sidebar starts collapsed. A projected view on a phone (``?present=1``, a lesson followed
on a phone) keeps these too, and so does every step of the README's lesson under its presenter bar.
On the projector's and the laptop's loads, no chart is squeezed either (``plots``: each plot area
takes at least half its drawing; ``test_plot_area`` checks every other view and screen).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from ui.frame.lesson import link
from ui.frame.registry import PAGES as REGISTRY
from ui.state.lesson_plan import FIFTEEN_MINUTES

from .harness import CHART, IDLE, PAGES, SIDEBAR, open_page, wait_for_charts
from .plots import squeezed_charts

pytestmark = pytest.mark.browser

CHARTS = CHART  # in page order
# Every chart has fitted its drawing to its room and its box has taken the drawing's height (the
# component sets ``data-fitted`` to that height once it has).
FITTED = """(sel) => [...document.querySelectorAll(sel)].every((c) => {
  const want = Number(c.dataset.fitted);
  return want > 0 && Math.abs(c.getBoundingClientRect().height - want) <= 2;
})"""
SETTLE_MS = 300  # after that, for a refit on a resize (the component waits 250 ms for it to end)

# Everything drawn in a chart (Vega's svg or canvas, the ⋯ menu's icon, the panel's arrow samples):
# its box against the chart's box and the page's width.
# [chart, left, right, container width, room to the page's right, bottom, box height]
DRAWN = """(charts) => {
  const out = [];
  const width = document.documentElement.clientWidth;
  charts.forEach((el, i) => {
    const box = el.getBoundingClientRect();
    for (const d of el.querySelectorAll('svg, canvas')) {
      const r = d.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;  // not shown (a closed menu's contents)
      out.push([i, r.left - box.left, r.right - box.left, box.width, width - box.left, r.bottom - box.top,
                box.height]);
    }
  });
  return out;
}"""

# The plotted height of every single-view chart (Vega's ``height`` signal: the plot area, without
# axes, titles or legends); concatenations (a height signal of 0) are left out.
PLOT_HEIGHTS = """(charts) => charts.map((c) => {
  const view = c.__chart && c.__chart.view;
  try { return view ? view.signal('height') : null; } catch (e) { return null; }
}).filter((h) => typeof h === 'number' && h > 0)"""
MIN_PHONE_PLOT = 120  # px of plot area on a 390x844 phone

# Text of buttons and labels cut short (an ellipsis, or text wider than its box that is hidden).
TRUNCATED = """() => [...new Set([...document.querySelectorAll('button *, label *')].filter(e => e.clientWidth > 0
  && (e.innerText || '').trim() && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
  .map(e => e.innerText.trim().slice(0, 40)))]"""

SCREENS = {"projector": (1280, 720, True), "laptop": (1280, 720, False), "big projector": (1920, 1080, True),
           "phone": (390, 844, False), "phone presenting": (390, 844, True)}


@contextmanager
def _opened(tab, server, path, screen):
    """The page as ``screen`` shows it, drawn and fitted, in a tab closed afterwards."""
    width, height, present = SCREENS[screen]
    page = tab(width, height)
    try:
        _title, n_charts = PAGES[path]
        open_page(page, server.url, path, "present=1" if present else "", charts=n_charts)
        page.wait_for_timeout(SETTLE_MS)
        page.wait_for_function(FITTED, arg=CHART, timeout=30_000)
        yield page
    finally:
        page.close()


def _first_chart_box(page):
    charts = page.locator(CHARTS)
    return charts.first.bounding_box() if charts.count() else None


def _drawn_problems(page) -> list[str]:
    handles = page.locator(CHARTS).element_handles()
    problems = []
    for i, left, right, container, room, bottom, box_height in page.evaluate(DRAWN, handles):
        if left < -2 or right > container + 2:
            problems.append(f"chart {i + 1} drawn from {left:.0f} to {right:.0f} in a box {container:.0f} wide")
        if right > room + 2:
            problems.append(f"chart {i + 1} drawn to {right:.0f}, past the page ({room:.0f})")
        if bottom > box_height + 2:
            problems.append(f"chart {i + 1} drawn down to {bottom:.0f} in a box {box_height:.0f} high")
    return problems


PATHS = [p for p in PAGES if PAGES[p][1]]  # pages with charts


@pytest.mark.parametrize("path", PATHS, ids=[p or "home" for p in PATHS])
def test_on_a_projector_the_first_chart_is_wholly_on_the_first_screen_and_grows_on_a_bigger_one(
        server, tab, path):
    with _opened(tab, server, path, "projector") as page:
        box = _first_chart_box(page)
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720 + 1, box
        small = box["width"] * box["height"]
        assert _drawn_problems(page) == []
        assert page.evaluate(TRUNCATED) == []
        assert squeezed_charts(page) == []
    with _opened(tab, server, path, "big projector") as page:
        box = _first_chart_box(page)
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1080 + 1, box
        assert box["width"] * box["height"] >= 1.5 * small, (box, small)  # it uses the room
        assert _drawn_problems(page) == []
        assert squeezed_charts(page) == []


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_on_a_laptop_the_first_chart_starts_on_the_first_screen_and_nothing_is_cut(server, tab, path):
    with _opened(tab, server, path, "laptop") as page:
        box = _first_chart_box(page)
        if PAGES[path][1]:
            assert box and 0 <= box["y"] < 720 - 100, box  # it starts on the first screen, visibly
            assert squeezed_charts(page) == []
        assert _drawn_problems(page) == []
        assert page.evaluate(TRUNCATED) == []


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_on_a_phone_nothing_is_drawn_past_the_screen_and_the_sidebar_starts_closed(server, tab, path):
    with _opened(tab, server, path, "phone") as page:
        assert page.locator(SIDEBAR).get_attribute("data-collapsed") == "true"
        assert _drawn_problems(page) == []
        # a chart stacked below another is not squeezed into what is left of the first screen
        heights = page.evaluate(PLOT_HEIGHTS, page.locator(CHART).element_handles())
        assert all(h >= MIN_PHONE_PLOT for h in heights), heights
        assert page.evaluate(TRUNCATED) == []


@pytest.mark.parametrize("path", PATHS, ids=[p or "home" for p in PATHS])
def test_presented_on_a_phone_nothing_is_drawn_past_the_screen(server, tab, path):
    """A projected view (``?present=1``, a lesson's steps) followed on a phone: its charts take the
    phone's type sizes (the Trajectories map's legend at the projector's was drawn 406 px wide in a
    358 px box, and its axes left the map 41 px), so nothing is drawn past them and plots keep room."""
    with _opened(tab, server, path, "phone presenting") as page:
        assert _drawn_problems(page) == []
        heights = page.evaluate(PLOT_HEIGHTS, page.locator(CHART).element_handles())
        assert all(h >= MIN_PHONE_PLOT for h in heights), heights
        assert page.evaluate(TRUNCATED) == []


LESSON_STEPS = list(range(len(FIFTEEN_MINUTES.steps)))
MIN_SHOWN = 400  # px of the first chart on the first screen, in a lesson, when the view is taller than a screen


@contextmanager
def _lesson_step(tab, server, k: int, screen: str, lesson: bool = True):
    """Step ``k`` (0-based) of the 15-minute lesson as ``screen`` shows it, its question revealed;
    ``lesson`` False: the same view on its own (the step's page and values, no lesson)."""
    width, height, _ = SCREENS[screen]
    step = FIFTEEN_MINUTES.steps[k]
    page = tab(width, height)
    try:
        url = link(FIFTEEN_MINUTES, server.url + "/", step=k)
        page.goto(url if lesson else url.split("&lesson=")[0].split("?lesson=")[0])
        page.wait_for_selector(IDLE, timeout=90_000)
        if lesson:
            page.wait_for_selector(".st-key-lesson_bar", timeout=90_000)
            if step.question:
                page.locator(".st-key-lesson_reveal button").locator("visible=true").first.click()
        wait_for_charts(page, count=REGISTRY[step.page].charts, timeout=90_000)
        page.wait_for_timeout(SETTLE_MS)
        page.wait_for_function(FITTED, arg=CHART, timeout=30_000)
        yield page
    finally:
        page.close()


@pytest.mark.parametrize("k", LESSON_STEPS, ids=[f"{k + 1}-{s.page}" for k, s in enumerate(FIFTEEN_MINUTES.steps)])
def test_in_a_lesson_the_first_chart_stays_on_the_projected_first_screen(server, tab, k):
    """Where the view fits the projected first screen on its own, it still fits under the presenter
    bar, the step's title and its note; where it does not (Explain step's panel is taller than 720
    px), the lesson still starts it on the first screen with most of it shown."""
    with _lesson_step(tab, server, k, "projector", lesson=False) as page:
        alone = _first_chart_box(page)
    fits_alone = alone["y"] + alone["height"] <= 720 + 1
    with _lesson_step(tab, server, k, "projector") as page:
        bar = page.locator(".st-key-lesson_bar").bounding_box()
        box = _first_chart_box(page)
        assert bar and bar["y"] >= 0 and box["y"] >= bar["y"] + bar["height"], (bar, box)
        if fits_alone:
            assert box["y"] + box["height"] <= 720 + 1, (alone, box)
            assert box["height"] >= 300, box  # not squeezed to fit: a chart the back row can read
        else:
            assert box["y"] <= 720 - MIN_SHOWN, (alone, box)
        assert _drawn_problems(page) == []
        assert page.evaluate(TRUNCATED) == []


@pytest.mark.parametrize("k", [1, 7], ids=["2-trajectories", "8-network"])
def test_in_a_lesson_on_a_phone_the_bar_wraps_and_nothing_is_cut(server, tab, k):
    with _lesson_step(tab, server, k, "phone") as page:
        for button in ("lesson_prev", "lesson_next", "lesson_leave"):
            box = page.locator(f".st-key-{button} button").locator("visible=true").first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (button, box)
        assert _drawn_problems(page) == []
        assert page.evaluate(TRUNCATED) == []
