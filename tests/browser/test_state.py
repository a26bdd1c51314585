"""The view's state in a real browser: deep links, page switches, bad links."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .harness import (
    CHART,
    EXCEPTION,
    IDLE,
    MAIN,
    PLAYER,
    RERUN_TIMEOUT,
    RUN_COUNTER,
    SIDEBAR,
    VIEWPORT,
    enter_number,
    number_input,
    open_page,
    path_of,
    query_of,
    runs,
    sidebar_link,
    unexpected_console_errors,
    wait_for_charts,
    wait_rerun,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) before any test body runs
    expect = None

pytestmark = pytest.mark.browser


def selected_optimisers(page) -> list[str]:
    tags = page.locator(f"{SIDEBAR} [data-testid='stMultiSelect'] [data-tag]").locator("visible=true")
    return [tags.nth(i).get_attribute("aria-label") for i in range(tags.count())]


def expander_titles(page) -> list[str]:
    summaries = page.locator(f"{SIDEBAR} [data-testid='stExpander'] summary")
    return [t.replace("keyboard_arrow_right", "").strip() for t in summaries.all_inner_texts()]


def link_notices(page) -> list[str]:
    """The notices about the link's values (icon ``link_off``; divergence notices have another)."""
    texts = page.locator("[data-testid='stMain'] [data-testid='stAlertContentWarning']").all_inner_texts()
    return [t.removeprefix("link_off").strip() for t in texts if t.startswith("link_off")]


def test_deep_link_is_the_first_request_after_a_server_start(fresh_server, page, watch):
    """NOTES.md: with a ``pages/`` folder a deep link as the very first request of a fresh
    server can run the page without the shared controls. Here the first request is one."""
    query = "steps=300&adam.lr=0.05&seeds=3&opt=sgd,adam"
    open_page(page, fresh_server.url, "Loss_curves", query)
    expect(page.locator(CHART)).to_have_count(2, timeout=15_000)
    wait_for_charts(page, 2)

    assert path_of(page) == "Loss_curves"
    assert page.locator("h1").first.inner_text().strip() == "Loss curves"
    assert page.locator(EXCEPTION).count() == 0
    # The shared sidebar controls are there, with the link's values.
    expect(page.locator(SIDEBAR)).to_be_visible()
    expect(number_input(page, "Steps", SIDEBAR)).to_have_value("300")
    assert selected_optimisers(page) == ["SGD", "Adam"]
    assert "Adam · η = 0.05" in expander_titles(page)
    # The page's own control, too.
    expect(number_input(page, "Seeds (runs per optimiser)")).to_have_value("3")
    assert link_notices(page) == []
    # The URL still reproduces the view.
    assert query_of(page) == {"steps": "300", "adam.lr": "0.05", "seeds": "3", "opt": "sgd,adam"}
    assert unexpected_console_errors(watch, fresh_server.url, ["Loss_curves"]) == []


def scrubber(page):
    """The Trajectories step-through scrubber."""
    return page.locator(PLAYER).first.locator("input.ol-scrub")


def switch_page(page, title: str) -> None:
    """Follow the sidebar link to ``title`` and wait for that page, idle and drawn.

    Not by counting runs: a view already computed reruns in a few tens of milliseconds, and the
    frontend may then never set its "running" state (React batches it away), so no run is seen."""
    sidebar_link(page, title).click()
    expect(page.locator("h1").first).to_have_text(title, timeout=RERUN_TIMEOUT)
    page.wait_for_selector(IDLE, timeout=RERUN_TIMEOUT)
    wait_for_charts(page)


def test_values_survive_page_switches(server, page, watch):
    open_page(page, server.url, "Trajectories")
    steps = number_input(page, "Steps", SIDEBAR)
    expect(steps).to_have_value("2000")

    enter_number(page, "Steps", "250")
    expect(steps).to_have_value("250")
    assert query_of(page).get("steps") == "250"
    # The step-through scrubber follows the new number of steps: the rerun really used it.
    expect(scrubber(page)).to_have_attribute("max", "250")

    switch_page(page, "Loss curves")
    assert path_of(page) == "Loss_curves"
    expect(number_input(page, "Steps", SIDEBAR)).to_have_value("250")
    assert query_of(page).get("steps") == "250"

    switch_page(page, "Trajectories")
    assert path_of(page) == "Trajectories"
    expect(number_input(page, "Steps", SIDEBAR)).to_have_value("250")
    assert query_of(page).get("steps") == "250"
    expect(scrubber(page)).to_have_attribute("max", "250")

    assert page.locator(EXCEPTION).count() == 0
    assert unexpected_console_errors(watch, server.url, ["Trajectories", "Loss_curves"]) == []


def test_two_visitors_do_not_share_values(server, browser, page):
    """Values are per browser session: one visitor's change is not another's."""
    open_page(page, server.url, "Learning_rates", charts=1)
    steps = enter_number(page, "Steps", "120")
    expect(steps).to_have_value("120")

    other = browser.new_context(viewport=VIEWPORT)
    try:
        visitor = other.new_page()
        visitor.add_init_script(RUN_COUNTER)
        open_page(visitor, server.url, "Learning_rates", charts=1)
        expect(number_input(visitor, "Steps", SIDEBAR)).to_have_value("2000")
        assert "steps" not in query_of(visitor)
    finally:
        other.close()
    expect(steps).to_have_value("120")


def test_a_bad_link_value_falls_back_to_its_default_with_a_notice(server, page, watch):
    open_page(page, server.url, "Trajectories", "steps=abc&adam.lr=-1&bogus=1", charts=1)
    assert page.locator(EXCEPTION).count() == 0

    notices = link_notices(page)
    assert len(notices) == 3, notices
    text = "\n".join(notices)
    assert "steps" in text and "abc" in text
    assert "adam.lr" in text and "-1" in text
    assert "bogus" in text
    # The defaults are in force, and the bad values are gone from the URL.
    expect(number_input(page, "Steps", SIDEBAR)).to_have_value("2000")
    assert "Adam · η = 0.01" in expander_titles(page)
    assert not {"steps", "adam.lr", "bogus"} & set(query_of(page))
    assert unexpected_console_errors(watch, server.url, ["Trajectories"]) == []


# Every way a link's text could become a link or an image in a notice (tests/robust/test_holes.py
# checks the same forms in every notice's Markdown; this is what the browser makes of them).
HOSTILE_TEXT = {
    "bare URL": "[Your session expired: log in again](http://evil.example/phish)",
    "https URL": "log in at https://evil.example/login now",
    "www name": "visit www.evil.example today",
    "e-mail": "write to help@evil.example",
    "mailto": "mailto:help@evil.example",
    "markdown link": "[log in again](https://evil.example/login)",
    "markdown image": "![t](http://evil.example/track.png)",
    "autolink": "<http://evil.example/login>",
    "HTML": "<a href='http://evil.example'>log in</a><img src='http://evil.example/t.png'>",
}


def test_no_text_from_a_link_renders_as_a_link_or_an_image(server, page, watch):
    """``?opt=[Your session expired: log in again](http://<host>/phish)`` showed the brackets
    escaped but the bare URL inside them as a live link (GitHub-style autolinks): a crafted link
    put "log in again" beside a clickable address in the app's own notice. Each form goes in a
    value the page checks and in a parameter name it does not know."""
    fields = ["opt", "steps", "noise", "seed", "adam.lr", "sgd.lr", "momentum.lr", "rmsprop.lr", "start"]
    values = dict(zip(fields, HOSTILE_TEXT.values()))
    query = "&".join(f"{k}={quote(v)}" for k, v in values.items())
    query += "&" + "&".join(f"{quote(v)}=1" for v in HOSTILE_TEXT.values())
    open_page(page, server.url, "Trajectories", query, charts=1)
    assert page.locator(EXCEPTION).count() == 0
    notices = link_notices(page)
    assert len(notices) == 2 * len(HOSTILE_TEXT), notices
    alerts = page.locator(f"{MAIN} [data-testid='stAlert']")
    found = {tag: alerts.locator(tag).count() for tag in ("a", "img", "iframe", "svg image")}
    assert not any(found.values()), (found, [a.inner_html() for a in alerts.all()])
    text = "\n".join(notices)
    for kind, hostile in HOSTILE_TEXT.items():  # shown, as the text it is (word joiners aside)
        shown = text.replace("\u2060", "")
        assert " ".join(hostile.split())[:40] in shown, (kind, shown)
    assert unexpected_console_errors(watch, server.url, ["Trajectories"]) == []


def test_a_hyperparameter_change_keeps_its_panel_open_and_its_label_current(server, page):
    """The panel once closed itself at every change, and its label showed the value before it."""
    open_page(page, server.url, "Trajectories", "steps=100", charts=1)
    panel = page.locator(f"{SIDEBAR} [data-testid='stExpander']").filter(has_text="Adam").first
    panel.locator("summary").click()  # a rerun: an open panel draws its sliders
    thumb = panel.get_by_role("slider").first  # Adam's learning rate, the panel's first control
    expect(thumb).to_be_visible()
    page.wait_for_selector(IDLE, timeout=RERUN_TIMEOUT)
    page.wait_for_timeout(300)
    before = runs(page)
    thumb.focus()
    thumb.press("ArrowRight")
    wait_rerun(page, before, charts=1)
    assert query_of(page)["adam.lr"] == "0.015"  # one stop up from 0.01
    expect(panel.locator("summary")).to_contain_text("η = 0.015")  # the label: this rerun's value
    expect(panel.get_by_role("slider").first).to_be_visible()  # still open


def test_a_heavy_view_says_what_it_computes_while_it_does(server, page):
    """A view estimated at a second or more of engine work shows a progress message naming it
    (a seed no other test uses: nothing is cached). Every message shown is recorded as it appears
    (a mutation observer installed before the page loads): on an idle machine the work can take
    well under its estimate and the message be up for less than a polling assertion's interval."""
    page.add_init_script("""
      window.__spinners = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll("[data-testid='stSpinner']")) {
          const text = el.innerText || el.textContent || "";
          if (text && !window.__spinners.includes(text)) window.__spinners.push(text);
        }
      }).observe(document, {childList: true, subtree: true, characterData: true});
    """)
    page.goto(f"{server.url}/LR_sensitivity?lrs.points=60&lrs.seeds=20&steps=5000&seed=4871")
    wait_for_charts(page, None, 1)
    shown = page.evaluate("() => window.__spinners")
    assert any("Computing" in t and "engine run" in t for t in shown), shown
    expect(page.locator("[data-testid='stSpinner']")).to_have_count(0)
