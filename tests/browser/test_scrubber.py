"""Step scrubbers run in the browser, with no server round-trip (AppTest cannot see this).

* Every trajectory map (Trajectories here, and Bias correction's map of both runs; Home,
  Schedules, Sparse gradients, LR sensitivity and Weight decay use the same player): the chart
  component's player (its own controls: a range input labelled "Step", play/pause, step
  buttons) drives the chart's ``step`` param.

Each test moves the scrubber, then checks that the chart's picture changed, that no script
run started (the page never went to "running") and that not one websocket message went to
the server.
"""

from __future__ import annotations

import pytest

from .harness import (
    EXCEPTION,
    PLAYER,
    open_page,
    runs,
    script_state,
    unexpected_console_errors,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) before any test body runs
    expect = None

pytestmark = pytest.mark.browser

SET_RANGE = """(el, value) => {
    el.value = String(value);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
}"""
REDRAW_MS = 1000  # Vega redraws on its next frame; a wrongly triggered rerun would show by then


def stable_picture(page, chart) -> bytes:
    """A screenshot of ``chart`` once Vega has finished painting (two equal in a row), so
    that a later difference is the scrubber's doing."""
    page.wait_for_timeout(500)
    shot = chart.screenshot()
    for _ in range(5):
        page.wait_for_timeout(300)
        again = chart.screenshot()
        if again == shot:
            return shot
        shot = again
    raise AssertionError("the chart keeps changing on its own")


class NoRoundTrip:
    """Asserts that nothing went to the server between ``__init__`` and ``check``."""

    def __init__(self, page, watch):
        self.page, self.watch = page, watch
        self.runs, self.frames = runs(page), watch.frames_sent

    def check(self) -> None:
        assert runs(self.page) == self.runs, "the scrubber started a script run"
        assert script_state(self.page) == "notRunning"
        assert self.watch.frames_sent == self.frames, "the scrubber sent a message to the server"


@pytest.mark.parametrize(("path", "n_charts"), [("Trajectories", 1), ("Bias_correction", 5)])
def test_step_through_runs_in_the_browser(server, page, watch, path, n_charts):
    open_page(page, server.url, path, charts=n_charts)
    frame = page.locator(PLAYER).first
    chart, scrub = frame.locator(".ol-view"), frame.locator("input.ol-scrub")
    expect(scrub).to_have_attribute("aria-label", "Step")
    expect(scrub).to_have_attribute("min", "0")
    expect(scrub).to_have_attribute("max", "2000")  # the default number of steps
    expect(scrub).to_have_value("2000")  # starts at the end: the whole paths
    body = frame

    before = stable_picture(page, chart)
    quiet = NoRoundTrip(page, watch)

    scrub.evaluate(SET_RANGE, 25)
    page.wait_for_timeout(REDRAW_MS)
    expect(body).to_have_attribute("data-step", "25")
    expect(frame.locator(".ol-label")).to_have_text("step 25 / 2000")
    after = chart.screenshot()
    assert after != before, "moving the Step slider did not change the chart"
    quiet.check()

    # The buttons too: one step forward, then play for a moment and pause.
    frame.get_by_role("button", name="One step forward").click()
    expect(body).to_have_attribute("data-step", "26")
    frame.get_by_role("button", name="Play").click()
    page.wait_for_timeout(800)
    frame.get_by_role("button", name="Pause").click()
    played = int(body.get_attribute("data-step"))
    assert 26 < played <= 2000, played
    expect(body).to_have_attribute("data-playing", "0")
    page.wait_for_timeout(300)
    assert int(body.get_attribute("data-step")) == played  # paused means paused
    frame.get_by_role("button", name="Last step").click()
    expect(body).to_have_attribute("data-step", "2000")
    page.wait_for_timeout(REDRAW_MS)
    assert chart.screenshot() != after
    quiet.check()

    assert page.locator(EXCEPTION).count() == 0
    assert unexpected_console_errors(watch, server.url, [path]) == []
