"""Classroom features in a real browser: presentation mode, step-through playback, the
copy-link round trip and the CSV downloads (what AppTest cannot see)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from .harness import (
    EXCEPTION,
    MAIN,
    PLAYER,
    SIDEBAR,
    VIEWPORT,
    enter_number,
    number_input,
    open_page,
    query_of,
    runs,
    unexpected_console_errors,
    wait_for_charts,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) before any test body runs
    expect = None

pytestmark = pytest.mark.browser


def _paragraph_px(page) -> float:
    """Font size of the first paragraph of the page's explanation, in CSS pixels."""
    return page.locator(f"{MAIN} [data-testid='stMarkdownContainer'] p").first.evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)")


def test_presentation_mode_from_the_url(server, page, watch):
    open_page(page, server.url, "Loss_curves", "steps=200", charts=2)
    normal = _paragraph_px(page)
    open_page(page, server.url, "Loss_curves", "steps=200&present=1", charts=2)
    assert page.locator("style#presentation-mode").count() == 1
    assert _paragraph_px(page) >= 1.35 * normal  # readable from the back of a room
    # the sidebar starts collapsed when the link asks for presentation mode
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    # and the link keeps asking for it
    assert query_of(page).get("present") == "1"
    assert page.locator(EXCEPTION).count() == 0
    assert unexpected_console_errors(watch, server.url, ["Loss_curves"]) == []


def test_presentation_mode_switch_in_the_app(server, page):
    open_page(page, server.url, "Learning_rates", "steps=200", charts=1)
    before = runs(page)
    page.locator(SIDEBAR).get_by_text("Presentation mode").click()
    # the rerun's result, not its count: under load the run counter once missed a short rerun that
    # had happened (the URL and the page were in presentation mode, the count was still 1)
    page.wait_for_function("() => new URL(location.href).searchParams.get('present') === '1'"
                           " && document.querySelector('style#presentation-mode') !== null", timeout=90_000)
    wait_for_charts(page, 1)
    assert runs(page) >= before
    assert query_of(page).get("present") == "1"
    assert page.locator("style#presentation-mode").count() == 1


def _player(page):
    return page.locator(PLAYER).first


def _step(page) -> int:
    return int(_player(page).get_attribute("data-step"))


def test_play_pause_and_step_through(server, page, watch):
    open_page(page, server.url, "Trajectories", "steps=400", charts=1)
    frame = _player(page)
    expect(frame.locator(".ol-label")).to_have_text("step 400 / 400")
    before = runs(page)
    frame.get_by_role("button", name="First step").click()
    assert _step(page) == 0
    frame.get_by_role("button", name="One step forward").click()
    frame.get_by_role("button", name="One step forward").click()
    assert _step(page) == 2
    frame.get_by_role("button", name="One step back").click()
    assert _step(page) == 1
    frame.locator(".ol-speed").select_option(index=4)  # the fastest: the whole run in about 2 s
    frame.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => document.querySelector(\"{PLAYER}\").dataset.step > 20")
    frame.get_by_role("button", name="Pause").click()
    paused = _step(page)
    page.wait_for_timeout(600)
    assert _step(page) == paused > 1  # it stays where it was paused
    frame.get_by_role("button", name="Play").click()  # plays on to the end and stops there
    page.wait_for_function(
        f"() => document.querySelector(\"{PLAYER}\").dataset.playing === '0'", timeout=15_000)
    assert _step(page) == 400
    # the keyboard works too, while the player has the focus (here its Play button, just clicked)
    page.keyboard.press("Home")
    assert _step(page) == 0
    page.keyboard.press("ArrowRight")
    assert _step(page) == 1
    page.keyboard.press("End")
    assert _step(page) == 400
    assert runs(page) == before, "playback never goes back to the server"
    assert unexpected_console_errors(watch, server.url, ["Trajectories"]) == []


def _share_panel(page):
    page.locator(MAIN).get_by_text("Share, download, reproduce").click()
    return page.locator(f"{MAIN} [data-testid='stExpanderDetails']").last


def test_copy_link_reopens_the_same_view(server, browser, page):
    open_page(page, server.url, "Trajectories", "", charts=1)
    enter_number(page, "Steps", "321", charts=1)
    panel = _share_panel(page)
    link = panel.locator("[data-testid='stCode'] code").first.inner_text().strip()
    assert "steps=321" in link
    finals = page.locator(MAIN).get_by_text("Final loss after").inner_text()

    other = browser.new_context(viewport=VIEWPORT)  # another student, another session
    try:
        page2 = other.new_page()
        page2.goto(link)
        page2.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
        page2.wait_for_selector(PLAYER, timeout=90_000)
        expect(number_input(page2, "Steps", SIDEBAR)).to_have_value("321")
        expect(page2.locator(MAIN).get_by_text("Final loss after")).to_have_text(finals)
        assert page2.locator(EXCEPTION).count() == 0
    finally:
        other.close()


def test_downloaded_csv_matches_the_shown_runs(server, page):
    open_page(page, server.url, "Trajectories", "steps=150&opt=sgd,adam", charts=1)
    finals = page.locator(MAIN).get_by_text("Final loss after").inner_text()
    shown = {name: float(v) for name, v in re.findall(r"(SGD|Adam) f = ([-0-9.e+]+)", finals)}
    panel = _share_panel(page)
    with page.expect_download() as info:
        panel.get_by_role("button", name="paths.csv").click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert {r["label"] for r in rows} == {"SGD", "Adam"}
    for name, value in shown.items():
        mine = [r for r in rows if r["label"] == name]
        assert len(mine) == 151  # every step, start included
        last = max(mine, key=lambda r: int(r["step"]))
        assert int(last["step"]) == 150
        assert f"{float(last['loss']):.4g}" == f"{value:.4g}"
