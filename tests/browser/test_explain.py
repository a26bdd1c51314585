"""One step, explained, in the browser: the panel's numbers are the engine's at the step the
player shows (for every optimiser, read from the page at three steps), it follows the scrubber
without a rerun, it is legible when projected; a click on the map moves the start (the URL and
the path's first point follow), a click outside the plotted box does nothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import OPTIMIZERS, simulate
from ui.frame.registry import PAGES as REGISTRY
from ui.state.fields import SHARED_FIELDS
from ui.state.settings import settings_from_values

from .harness import PLAYER, open_page, query_of, runs, vega, wait_rerun

pytestmark = pytest.mark.browser

STEPS = 60
SHOWN = (1, 7, 40)  # steps the scrubber is moved to
PANEL_CELLS = """(chart) => {
  const panel = chart.querySelector('.ol-panel');
  if (!panel || panel.hidden) return null;
  const labels = [...panel.querySelectorAll('tbody th')].map((th) => th.textContent);
  const rows = {};
  for (const td of panel.querySelectorAll('td')) {
    const label = labels[Number(td.dataset.row)];
    const value = td.dataset.value === '' ? null : Number(td.dataset.value);
    (rows[label] = rows[label] || [])[Number(td.dataset.coord)] = value;
  }
  return {step: Number(panel.dataset.step), rows, size: parseFloat(getComputedStyle(panel).fontSize)};
}"""


# The arrows' rules as drawn at the player's step (Vega's scenegraph: the rule marks whose data
# has an arrow's kind), one entry per shaft or barb.
ARROWS_DRAWN = """(chart) => {
  const out = [];
  const walk = (node) => {
    if (!node) return;
    if (node.marktype === 'rule') {
      for (const item of node.items || []) {
        const d = item.datum || {};
        if (d.kind !== undefined) out.push({kind: d.kind, step: d.step, label: d.label, part: d.part});
      }
    }
    for (const item of node.items || []) walk(item);
  };
  walk(chart.__chart.view.scenegraph().root);
  return out;
}"""


def _engine_trace(optimizer: str):
    """The run the page computes for ``optimizer`` at its defaults and ``STEPS`` steps, by the
    engine (the defaults come from the sidebar's fields)."""
    values = {k: f.default for k, f in SHARED_FIELDS.items()}
    values.update(opt=(optimizer,), steps=STEPS)
    return simulate(settings_from_values(values).spec(optimizer, record_state=True))


def _scrub(player, step: int) -> None:
    player.locator(".ol-scrub").fill(str(step))
    player.locator(".ol-scrub").dispatch_event("input")


def _expected(tr, t: int) -> dict[str, np.ndarray]:
    """What some rows must show at step ``t``, from the engine's trace (run 1)."""
    i = t - 1
    out = {"g_t gradient": tr.grads[i, 0], "Δθ_t step": tr.delta[i, 0], "effective η": tr.eff_lr[i, 0]}
    state = {"buf": "b_t", "m": "m_t", "v": "v_t", "sum_sq": "G_t", "u": "u_t"}
    for key, prefix in state.items():
        if key in tr.state:
            out[prefix] = tr.state[key][i, 0]
    if tr.optimizer in ("adam", "adamw"):
        b1 = float(tr.hyper["beta1"][0])
        out["m̂_t"] = tr.state["m"][i, 0] / (1 - b1 ** t)
    return out


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_the_panel_shows_the_engines_numbers_at_the_players_step(server, page, optimizer):
    open_page(page, server.url, "Trajectories", f"opt={optimizer}&steps={STEPS}&explain=1", charts=1)
    frame = page.locator(PLAYER).first
    before = runs(page)
    tr = _engine_trace(optimizer)
    for t in SHOWN:
        _scrub(frame, t)
        shown = frame.evaluate(PANEL_CELLS)
        assert shown is not None, "no panel"
        assert shown["step"] == t
        for label, want in _expected(tr, t).items():
            got = [v for k, v in shown["rows"].items() if k.startswith(label)]
            assert got, f"{optimizer}: no row {label!r} in {sorted(shown['rows'])}"
            np.testing.assert_allclose(np.array(got[0], dtype=float), want, rtol=5e-4, atol=1e-12,  # 4 digits
                                       err_msg=f"{optimizer}, {label}, step {t}")
    assert runs(page) == before, "the panel followed the scrubber through a rerun"


EXPLAINED_PATHS = [p.url_path for p in REGISTRY.values() if "explain" in p.field_by_key]


@pytest.mark.parametrize("path", EXPLAINED_PATHS, ids=[p or "home" for p in EXPLAINED_PATHS])
def test_the_panel_explains_the_step_the_player_shows_at_the_defaults(server, page, path):
    """At the default 2000 steps the panel showed "the start (step 0)" at steps 1 and 2 and the
    update at step 24 while the player showed step 25: the explained steps were thinned."""
    open_page(page, server.url, path, "explain=1", at_least=1)
    frame = page.locator(PLAYER).first
    last = int(frame.locator(".ol-scrub").get_attribute("max"))
    for t in (1, 2, 25, last - 1, last):
        _scrub(frame, t)
        shown = frame.evaluate(PANEL_CELLS)
        assert shown is not None and shown["step"] == t, (path, t, shown and shown["step"])
        title = frame.locator(".ol-ptitle").inner_text()
        assert title.endswith(f"the update at step {t}"), title
        assert shown["rows"]["g_t gradient"][0] is not None


def test_the_arrows_and_the_panel_are_legible_on_a_projector(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        open_page(page, server.url, "Trajectories", "present=1&explain=1", charts=1)
        frame = page.locator(PLAYER).first
        _scrub(frame, 25)
        shown = frame.evaluate(PANEL_CELLS)
        assert shown["size"] >= 18, shown["size"]  # px: read from the back of a room
        box = frame.bounding_box()
        panel = frame.locator(".ol-panel").bounding_box()
        assert panel["x"] + panel["width"] <= box["x"] + box["width"] + 1, (panel, box)  # not cut at the right
        assert panel["y"] + panel["height"] <= 720, panel  # on the first screen
        # the arrows at step 25: three kinds, each with its scale in the legend, for every series
        drawn = frame.evaluate(ARROWS_DRAWN)
        kinds = {d["kind"] for d in drawn}
        assert len(kinds) == 3 and all("×" in k for k in kinds), kinds
        assert {d["step"] for d in drawn} == {25}
        assert {d["label"] for d in drawn} == {"SGD + Momentum", "RMSProp", "Adam"}
        page.screenshot(path=str(server.log_path.parent / "explain-projector.png"))
    finally:
        context.close()


def _path_start(player) -> list[float]:
    return vega(player, "(view, chart) => { const name = Object.keys(chart.spec.datasets)"
                        ".find((n) => n.startsWith('path')); const d = view.data(name).find(r => r.step === 0);"
                        " return [d.x, d.y]; }")


def test_a_click_on_the_map_starts_the_runs_there_and_a_click_beside_it_does_nothing(server, page):
    open_page(page, server.url, "Trajectories", f"steps={STEPS}", charts=1)
    frame = page.locator(PLAYER).first
    canvas = frame.locator("canvas.marks").bounding_box()
    # beside the map (the y axis's labels): nothing happens
    before = runs(page)
    page.mouse.click(canvas["x"] + 4, canvas["y"] + canvas["height"] * 0.4)
    page.wait_for_timeout(1500)
    assert runs(page) == before and "start" not in query_of(page)
    # on the map, left of its middle: the start moves there
    page.mouse.click(canvas["x"] + canvas["width"] * 0.3, canvas["y"] + canvas["height"] * 0.35)
    wait_rerun(page, before, charts=1)
    start = [float(v) for v in query_of(page)["start"].split(",")]
    (x0, x1), (y0, y1) = ((-1.5, 1.5), (-0.5, 1.5))  # Rosenbrock's box
    assert x0 <= start[0] <= x1 and y0 <= start[1] <= y1, start
    assert start != [-1.0, 0.5]
    frame = page.locator(PLAYER).first
    page.wait_for_timeout(500)
    assert _path_start(frame) == pytest.approx(start, abs=1e-6)


def test_the_3d_view_draws_the_paths_in_their_colours_on_a_surface_that_rotates(server, browser, watch):
    from ui.views.theme import OPTIMIZER_COLORS

    from .harness import unexpected_console_errors

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        watch.attach(page)
        open_page(page, server.url, "Trajectories", "present=1&traj.3d=1", charts=1)
        plot = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first
        plot.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('.js-plotly-plot canvas') !== null", timeout=30_000)
        traces = plot.evaluate("(p) => p.data.map((t) => ({type: t.type, name: t.name, "
                               "color: t.line && t.line.color}))")
        assert traces[0]["type"] == "surface"
        lines = {t["name"]: t["color"] for t in traces[1:]}
        assert lines == {"SGD + Momentum": OPTIMIZER_COLORS["momentum"], "RMSProp": OPTIMIZER_COLORS["rmsprop"],
                         "Adam": OPTIMIZER_COLORS["adam"]}
        assert plot.evaluate("(p) => p._fullLayout.font.size") >= 18  # legible when projected
        eye = "(p) => JSON.stringify(p._fullLayout.scene.camera.eye)"
        before = plot.evaluate(eye)
        box = plot.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.45, steps=8)
        page.mouse.up()
        page.wait_for_timeout(300)
        assert plot.evaluate(eye) != before, "dragging did not rotate the surface"
        assert unexpected_console_errors(watch, server.url, ["Trajectories"]) == []
    finally:
        context.close()


PLOTLY_CONTROLS = """(p) => {
  const box = (el) => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const texts = [...p.querySelectorAll('.slider-label')].filter((el) => el.textContent.trim())
    .map((el) => ({what: el.textContent.trim(), box: box(el)}));
  const buttons = [...p.querySelectorAll('.updatemenu-button')]
    .map((el) => ({what: el.textContent.trim(), box: box(el)}));
  return {plot: box(p), items: [...buttons, ...texts]};
}"""


def test_the_3d_views_controls_are_legible_on_a_projector(server, browser):
    """At 1280x720 when presenting, the Play/Pause buttons covered the "step 2000" label, the
    slider's last label was cut ("200") and Pause hung out of the figure. Every control and label
    must be whole, inside the figure and clear of the others; the last step is labelled."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        open_page(page, server.url, "Trajectories", "present=1&traj.3d=1", charts=1)
        plot = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first
        plot.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('.js-plotly-plot .slider-label') !== null",
                               timeout=30_000)
        shown = plot.evaluate(PLOTLY_CONTROLS)
        x0, y0, x1, y1 = shown["plot"]
        items = shown["items"]
        labels = [i["what"] for i in items]
        assert "2000" in labels and "step 2000" in labels and "▶ Play" in labels, labels
        for item in items:
            left, top, right, bottom = item["box"]
            assert x0 - 1 <= left and right <= x1 + 1 and y0 - 1 <= top and bottom <= y1 + 1, (item, shown["plot"])
        for a, b in itertools.combinations(items, 2):
            (al, at, ar, ab), (bl, bt, br, bb) = a["box"], b["box"]
            apart = ar <= bl + 1 or br <= al + 1 or ab <= bt + 1 or bb <= at + 1
            assert apart, f"{a['what']!r} {a['box']} overlaps {b['what']!r} {b['box']}"
        ticks = plot.evaluate("(p) => ['xaxis', 'yaxis', 'zaxis'].map((a) => p._fullLayout.scene[a].tickfont.size)")
        assert min(ticks) >= 18, ticks
        page.screenshot(path=str(server.log_path.parent / "surface-projector.png"))
    finally:
        context.close()
