"""Lessons in a real browser: a three-step lesson built by clicking, its link opened in a new
browser context (another visitor), stepped through with a clicker's keys and the arrows, a
question revealed; the keys leave inputs and a chart's player alone."""

from __future__ import annotations

import pytest

from ui.frame.registry import LESSON

from .harness import (
    CHART,
    EXCEPTION,
    IDLE,
    RERUN_TIMEOUT,
    SIDEBAR,
    open_page,
    path_of,
    query_of,
    sidebar_link,
    unexpected_console_errors,
    wait_for_charts,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) before any test body runs
    expect = None

pytestmark = pytest.mark.browser

LISTENING = "() => document.documentElement.dataset.optlabLesson"  # the presenter's keys, by step


def visible(locator):
    """Streamlit draws a control with a tooltip twice (one copy hidden): the visible one."""
    return locator.locator("visible=true").first


def add_to_lesson(page, steps: int) -> None:
    visible(page.locator(SIDEBAR).get_by_role("button", name="Add to lesson")).click()
    label = f"Lesson · {steps} step{'' if steps == 1 else 's'}"
    expect(page.locator(f"{SIDEBAR} [data-testid='stExpander'] summary").filter(has_text=label)).to_be_visible(
        timeout=RERUN_TIMEOUT)


def lesson_link(page) -> str:
    return page.locator(f"{SIDEBAR} [data-testid='stCode'] code").filter(has_text="lesson=").first.inner_text().strip()


def edit(page, label: str, text: str, key: str = "Enter") -> None:
    """Type into the lesson panel's input ``label``; wait until the link holds it."""
    before = lesson_link(page)
    box = page.locator(f"{SIDEBAR} [aria-label='{label}']")
    box.fill(text)
    box.press(key)
    expect(page.locator(f"{SIDEBAR} [data-testid='stCode'] code").filter(has_text="lesson=").first) \
        .not_to_have_text(before, timeout=RERUN_TIMEOUT)


def go_to(page, title: str) -> None:
    sidebar_link(page, title).click()
    expect(page.locator("h1").first).to_have_text(title, timeout=RERUN_TIMEOUT)
    page.wait_for_selector(IDLE, timeout=RERUN_TIMEOUT)
    wait_for_charts(page)


def bar(page):
    return page.locator(".st-key-lesson_bar [data-testid='stMarkdownContainer']").first


def at_step(page, k: int, n: int, title: str) -> None:
    """The presenter shows step ``k`` of ``n`` titled ``title``, idle, its keys listening."""
    expect(bar(page)).to_contain_text(f"Step {k} of {n}", timeout=RERUN_TIMEOUT)
    expect(page.locator("h1").first).to_have_text(title, timeout=RERUN_TIMEOUT)
    page.wait_for_selector(IDLE, timeout=RERUN_TIMEOUT)
    page.wait_for_function(f"() => ({LISTENING})() === '{k}'", timeout=RERUN_TIMEOUT)


def build_three_steps(page, server) -> str:
    open_page(page, server.url, "Trajectories", "steps=120&opt=sgd,adam")
    add_to_lesson(page, 1)
    edit(page, "Title", "Who overshoots?")
    edit(page, "Question before the charts (optional)", "Which path overshoots across the valley?")
    edit(page, "Note for the class", "Press Play.\nMomentum swings across the valley.", key="Control+Enter")
    go_to(page, "Loss curves")
    add_to_lesson(page, 2)
    edit(page, "Title", "Curves over seeds")
    go_to(page, "Learning rates")
    add_to_lesson(page, 3)
    edit(page, "Title", "Rates")
    return lesson_link(page)


def test_a_lesson_built_by_clicking_is_taught_from_its_link_with_the_keyboard(server, browser, page, watch):
    url = build_three_steps(page, server)
    assert url.startswith(server.url + "/Trajectories?") and len(url) < 1000
    lesson = LESSON.clean(query_of_url(url)["lesson"])
    assert [s.title for s in lesson.steps] == ["Who overshoots?", "Curves over seeds", "Rates"]

    # Another visitor (a new browser context: no session, no cookie) opens the link.
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        student = other.new_page()
        student.goto(url)
        at_step(student, 1, 3, "Who overshoots?")
        expect(student.locator(".st-key-lesson_question")).to_contain_text("Which path overshoots across the valley?")
        assert student.locator(CHART).count() == 0  # predict first
        expect(student.get_by_text("Momentum swings across the valley.")).to_have_count(0)

        student.keyboard.press("PageDown")  # a clicker's forward key: first it reveals
        wait_for_charts(student, count=1)
        expect(student.get_by_text("Momentum swings across the valley.")).to_be_visible()
        assert path_of(student) == "Trajectories"

        student.keyboard.press("PageDown")
        at_step(student, 2, 3, "Curves over seeds")
        assert path_of(student) == "Loss_curves" and query_of(student)["ls"] == "2"
        wait_for_charts(student, count=2)

        student.keyboard.press("ArrowRight")  # no control has focus: the arrows move too
        at_step(student, 3, 3, "Rates")
        assert path_of(student) == "Learning_rates"
        student.keyboard.press("PageDown")  # the last step: nowhere to go
        student.wait_for_timeout(500)
        assert student.evaluate(LISTENING) == "3"

        student.keyboard.press("ArrowLeft")
        at_step(student, 2, 3, "Curves over seeds")
        student.keyboard.press("PageUp")
        at_step(student, 1, 3, "Who overshoots?")
        wait_for_charts(student, count=1)  # revealed once, revealed still
        assert student.locator(EXCEPTION).count() == 0
        assert unexpected_console_errors(watch, server.url, ["Trajectories", "Loss_curves", "Learning_rates"]) == []
    finally:
        other.close()


def query_of_url(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


def stays_at_step_one(page) -> None:
    """No move: long enough for a key's rerun to have opened step 2 (another page) if it had moved."""
    page.wait_for_timeout(1500)
    page.wait_for_selector(IDLE, timeout=RERUN_TIMEOUT)
    assert page.evaluate(LISTENING) == "1" and path_of(page) == "Trajectories"


def test_keys_leave_inputs_and_a_charts_player_alone(server, browser):
    """Typing in a number keeps the lesson where it is; in a chart's player the arrows move the
    player's step, and PageDown still moves the lesson."""
    from ui.state.lesson import Lesson, Step, encode

    lesson = Lesson("Keys", (Step("trajectories", (("steps", "120"),), "One"),
                             Step("loss", (("steps", "120"),), "Two"), Step("loss", (("steps", "130"),), "Three")))
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        open_page(page, server.url, "Trajectories", f"steps=120&lesson={encode(lesson)}", charts=1)
        at_step(page, 1, 3, "One")
        steps = visible(page.locator(f"{SIDEBAR} input[type=number][aria-label='Steps']"))
        for key in ("PageDown", "ArrowRight"):  # one at a time: a forward and a back key would cancel out
            steps.focus()
            steps.press(key)
            stays_at_step_one(page)

        player = page.locator(CHART).first
        scrub = player.locator("input.ol-scrub")
        expect(scrub).to_have_value("120")
        back = player.locator("button[data-act='back']")
        back.click()  # focus in the player
        back.click()
        expect(scrub).to_have_value("118")
        page.keyboard.press("ArrowRight")  # the player's, not the lesson's
        expect(scrub).to_have_value("119")
        stays_at_step_one(page)
        page.keyboard.press("PageDown")
        at_step(page, 2, 3, "Two")
    finally:
        context.close()
