"""The Trajectories step scrubber is a Vega-Lite param bound to a range input: it runs in the
browser, with no server round-trip (AppTest cannot see this; only a browser can)."""

from __future__ import annotations

import time

import pytest

from .harness import CHART, EXCEPTION, open_page, runs, script_state, unexpected_console_errors

pytestmark = pytest.mark.browser

SET_RANGE = """(el, value) => {
    el.value = String(value);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
}"""


def test_step_scrubber_redraws_the_chart_without_a_rerun(server, page, watch):
    open_page(page, server.url, "Trajectories", charts=1)
    chart = page.locator(CHART).first
    scrubber = chart.locator("input[type=range][name=step]")
    assert scrubber.count() == 1
    assert scrubber.locator("xpath=..").inner_text().strip().startswith("Step")  # its label
    assert scrubber.get_attribute("min") == "0"
    assert scrubber.get_attribute("max") == "2000"  # the default number of steps
    assert scrubber.input_value() == "2000"  # starts at the end: the whole paths

    time.sleep(1.0)  # let Vega finish its first paint before the "before" picture
    before = chart.screenshot()
    # The picture is stable on its own, so a difference below is the scrubber's doing.
    page.wait_for_timeout(300)
    assert chart.screenshot() == before
    runs_before, frames_before = runs(page), watch.frames_sent

    scrubber.evaluate(SET_RANGE, 25)
    # Vega redraws on its next animation frame; give a wrongly triggered rerun time to show.
    page.wait_for_timeout(1500)

    assert scrubber.input_value() == "25"
    assert chart.locator(".vega-bind span").last.inner_text().strip() == "25"  # Vega's own readout
    after = chart.screenshot()
    assert after != before, "moving the Step slider did not change the chart"
    # No rerun, and not a single message to the server.
    assert runs(page) == runs_before
    assert script_state(page) == "notRunning"
    assert watch.frames_sent == frames_before

    # Back to the end: the full paths again (not byte-identical to the first picture:
    # Vega's antialiasing of a redraw differs in a few pixels).
    scrubber.evaluate(SET_RANGE, 2000)
    page.wait_for_timeout(1000)
    assert chart.locator(".vega-bind span").last.inner_text().strip() == "2000"
    assert chart.screenshot() != after
    assert runs(page) == runs_before and watch.frames_sent == frames_before

    assert page.locator(EXCEPTION).count() == 0
    assert unexpected_console_errors(watch, server.url, ["Trajectories"]) == []
