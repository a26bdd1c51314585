"""Live maps in a real browser: drag the start, slide η and μ, and every path follows, computed in
the browser by the engine's twin, with nothing sent to the server until the pointer is released.

* Pressing on the start marker and dragging redraws every path from the pointer's point at each
  frame; no script run starts and no websocket message goes out while dragging. On release the
  new start is in the URL, and the server's run from it is the path the preview drew.
* Pressing elsewhere on the map and dragging still pans it (no preview).
* The η slider beside the player previews the change and, released, puts it in the URL.
"""

from __future__ import annotations

import re

import pytest

from .harness import PLAYER, open_page, query_of, runs, vega, wait_rerun

pytestmark = pytest.mark.browser

# The start marker's place on the page, and a point ``dx, dy`` pixels from it.
MARKER = """(el) => { const L = el.__chart.live; const i = L.meta.maps[0];
  const p = L.toPixels(i, L.meta.start); const r = el.querySelector('.ol-drawn canvas.marks').getBoundingClientRect();
  return [r.left + p[0], r.top + p[1]]; }"""
# Each series' last drawn point in the server's chart (the path dataset), run 0: {series: [x, y]}.
SERVER_ENDS = """(view, chart) => { const name = Object.keys(chart.spec.datasets).find((n) => n.startsWith('path'));
  const out = {}; for (const d of view.data(name)) if (d.run === 0 && (!(d.series in out) || d.step > out[d.series][2]))
    out[d.series] = [d.x, d.y, d.step]; return out; }"""
# The preview's last point of each series (run 0), at the steps the chart draws.
PREVIEW_ENDS = """(view, chart) => { const L = chart.live; const out = {};
  for (const s of L.meta.series) { const run = L.results.get(s.key)[0]; const t = s.drawn[s.drawn.length - 1];
    out[s.key] = [run.params[2 * t], run.params[2 * t + 1], t]; } return out; }"""


def _mouse(page):
    cdp = page.context.new_cdp_session(page)

    def send(kind: str, x: float, y: float, buttons: int = 1) -> None:
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                               "buttons": buttons, "clickCount": 1})
    return send


class Quiet:
    """Nothing went to the server between ``__init__`` and ``check``."""

    def __init__(self, page):
        self.page, self.sent = page, []
        self.runs = runs(page)
        page.on("websocket", lambda ws: ws.on("framesent", lambda p: self.sent.append(p)))

    def check(self, what: str) -> None:
        assert runs(self.page) == self.runs, f"{what}: a script run started"


def test_dragging_the_start_recomputes_every_path_in_the_browser(server, page, watch):
    open_page(page, server.url, "Trajectories", "steps=300", charts=1)
    player = page.locator(PLAYER).first
    assert player.get_attribute("data-live") is not None
    x, y = player.evaluate(MARKER)
    mouse = _mouse(page)
    before_frames, before_runs = watch.frames_sent, runs(page)
    mouse("mouseMoved", x, y, 0)
    mouse("mousePressed", x, y)
    seen = set()
    for k in range(1, 31):
        mouse("mouseMoved", x + 4 * k, y - 2 * k)
        if k % 10 == 0:
            page.wait_for_timeout(120)
            seen.add(player.get_attribute("data-previewed"))
            assert player.get_attribute("data-dragging") == "1"
    assert len(seen) == 3, f"the preview did not follow the pointer: {seen}"
    assert page.locator(f"{PLAYER} .ol-live").count() == 2  # the map's overlay and the loss view's
    assert runs(page) == before_runs and watch.frames_sent == before_frames, "dragging talked to the server"
    preview = vega(player, PREVIEW_ENDS)
    previewed = [float(v) for v in player.get_attribute("data-previewed").split(",")]
    note = player.locator(".ol-livenote").inner_text()  # what the teacher reads: the browser's numbers
    assert note.startswith("Preview, computed in your browser")
    mouse("mouseReleased", x + 120, y - 60, 0)
    wait_rerun(page, before_runs, charts=1)
    page.wait_for_function("(el) => el.querySelectorAll('.ol-live').length === 0", arg=player.element_handle(),
                           timeout=30_000)
    assert [float(v) for v in query_of(page)["start"].split(",")] == previewed
    server = vega(player, SERVER_ENDS)
    assert set(server) == set(preview)
    # the final f the preview showed is the one the page now states from the server's run
    finals = page.locator("[data-testid='stMain']").get_by_text("Final loss after").inner_text()
    pattern = r"(SGD \+ Momentum|RMSProp|Adam) f = ([-0-9.e+]+)"
    shown, stated = dict(re.findall(pattern, note)), dict(re.findall(pattern, finals))
    assert set(shown) == {"SGD + Momentum", "RMSProp", "Adam"} and set(stated) == set(shown), (note, finals)
    for label, value in shown.items():
        assert float(value) == pytest.approx(float(stated[label]), rel=1e-3), (label, note, finals)
    for key, (px, py, pt) in preview.items():
        sx, sy, st = server[key]
        close = sx == pytest.approx(px, rel=1e-5, abs=1e-9) and sy == pytest.approx(py, rel=1e-5, abs=1e-9)
        assert st == pt and close, (key, server[key], preview[key])  # the chart's data: 6 significant digits


def test_dragging_elsewhere_on_the_map_still_pans_it(server, page):
    open_page(page, server.url, "Trajectories", "steps=200", charts=1)
    player = page.locator(PLAYER).first
    x, y = player.evaluate(MARKER)
    domain = "(view) => view.scale('concat_0_x').domain()"
    before = vega(player, domain)
    mouse = _mouse(page)
    start_runs = runs(page)
    mouse("mouseMoved", x + 150, y + 40, 0)
    mouse("mousePressed", x + 150, y + 40)
    for k in range(1, 11):
        mouse("mouseMoved", x + 150 + 6 * k, y + 40)
    mouse("mouseReleased", x + 210, y + 40, 0)
    page.wait_for_timeout(800)
    assert vega(player, domain) != before, "dragging the map did not pan it"
    assert player.get_attribute("data-previewed") is None
    assert runs(page) == start_runs


def test_the_eta_slider_previews_its_value_and_sends_it_on_release(server, page, watch):
    open_page(page, server.url, "Trajectories", "steps=300&opt=momentum,adam", charts=1)
    player = page.locator(PLAYER).first
    tune = player.locator(".ol-tune")
    tune.locator("select").select_option("adam")
    eta = tune.locator("input[data-name='lr']")
    before_runs = runs(page)
    value = float(tune.locator("output").first.inner_text())
    eta.focus()
    eta.evaluate("(el) => { el.value = String(Number(el.value) + 2);"
                 " el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_timeout(300)
    assert page.locator(f"{PLAYER} .ol-live").count() >= 1  # previewed
    assert runs(page) == before_runs
    shown = float(tune.locator("output").first.inner_text())
    assert shown > value
    eta.evaluate("(el) => el.dispatchEvent(new Event('change', {bubbles: true}))")
    wait_rerun(page, before_runs, charts=1)
    assert float(query_of(page)["adam.lr"]) == pytest.approx(shown, rel=1e-3)
