#!/usr/bin/env python
"""What the eye waits for: from a touch until the screen stops changing, in real Chromium.

A rerun's server time (``page_latency.py``) is a fraction of what a student waits for: the browser
then receives the page, mounts its elements and draws every chart. This script times what a person
sees, independently of how the app draws: Chromium's screencast (CDP ``Page.startScreencast``)
sends a frame only when the screen changes, so the last frame after an input is when the screen
has settled (no new frame for ``--quiet`` s, 1.2 by default). Timestamps are the frames' own
(``metadata.timestamp``, wall clock) against the wall-clock time the input was sent.

Measured at 1280x720, one student, a warm server (every page and every value used visited once
first, so that the server answers from its caches and the browser's share is what is left):

* **page switch**: a click on a sidebar link, cycling Trajectories -> Loss curves -> Bias correction
  (one, two and five charts), each page shown before in the tab (its charts are kept drawn, and
  put back);
* **first visit**: a click from Trajectories to Bias correction in a new tab (its five charts
  drawn anew);
* **control**: on Trajectories, the seed typed + Enter, the noise slider moved by a key, a click on
  the map (which moves the start), each between two values;
* **memory**: the browser (all its processes, resident) and the page's JS heap with Bias
  correction's five charts drawn, in a browser of its own; and the same after a visit to every
  page (the charts kept for a return at their most);
* **drag**: on Trajectories with six optimisers x 2000 steps, the start dot dragged for two seconds,
  a pointer move at every animation frame (events made in the page, so that the input's own rate
  is not what is measured): previews drawn per second, and the twin's and the drawing's time per
  preview (median); and the screen's frames per second (screencast) during a drag sent through
  CDP as fast as it goes.

The **floor** is ``floor_app.py`` (two pages, 20 sidebar number inputs, one 2000-point
Vega-Lite chart drawn by Streamlit itself), measured in the same run, interleaved with the app:
its page switch and its number input + Enter. Each figure is the median of ``--repeats`` (at
least 5) with its range, and the ratio to the floor.

    python benchmarks/browser_latency.py                        # this tree and the floor
    python benchmarks/browser_latency.py --compare 15d749b      # a revision too, in the same run
    python benchmarks/browser_latency.py --json out.json --repeats 7

Needs Playwright and Debian's chromium (``/usr/bin/chromium``), as the browser tests do.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import snapshot  # noqa: E402

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from ui.frame.registry import PAGES  # noqa: E402

VIEWPORT = {"width": 1280, "height": 720}
VERBOSE = False
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SWITCH_PAGES = ("Trajectories", "Loss curves", "Bias correction")
# every page but the home page, in the sidebar's order (the memory after a tour of them)
TOUR = tuple(p.title for p in PAGES.values() if p.script != "dashboard.py")
FIVE_CHARTS = "Bias_correction"
FIRST_VISIT = "Bias correction"
# A caret blinks for ever in a focused input: not something a student waits for.
NO_CARET = "*{caret-color: transparent !important}"


@dataclass
class Target:
    name: str
    root: Path
    script: str
    options: tuple[str, ...] = ()  # more `streamlit run` options
    proc: subprocess.Popen | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        log = open(Path(tempfile.gettempdir()) / f"browser-latency-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", self.script, "--server.headless", "true",
             "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *self.options], cwd=self.root, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: the server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Screencast:
    """The timestamps of the frames Chromium sends when the screen changes."""

    def __init__(self, page):
        self.page = page
        self.frames: list[float] = []
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Page.screencastFrame", self._frame)
        self.cdp.send("Page.startScreencast", {"format": "jpeg", "quality": 30, "everyNthFrame": 1})

    def _frame(self, event) -> None:
        self.frames.append(float(event.get("metadata", {}).get("timestamp") or time.time()))
        with contextlib.suppress(Exception):
            self.cdp.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})

    def settle(self, t0: float, quiet: float, limit: float = 20.0) -> float:
        """Seconds from ``t0`` to the last frame before ``quiet`` s without one."""
        while True:
            self.page.wait_for_timeout(100)
            now = time.time()
            last = max([f for f in self.frames if f > t0], default=t0)
            if now - last >= quiet or now - t0 > limit:
                return last - t0


@dataclass
class Figures:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, what: str, seconds: float) -> None:
        self.samples.setdefault(what, []).append(seconds)

    def median(self, what: str) -> float:
        return statistics.median(self.samples[what])


def open_app(browser, target: Target, path: str = ""):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(120_000)  # a shared machine can be slow; a figure is what settles, not this
    page = context.new_page()
    page.goto(f"{target.url}/{path}")
    page.wait_for_selector(IDLE, timeout=120_000)
    page.add_style_tag(content=NO_CARET)
    page.wait_for_timeout(1500)
    return context, page


def link(page, title: str):
    return (page.locator("[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink'], "
                         "[data-testid='stSidebarNav'] a")
            .filter(has_text=title).locator("visible=true").first)


def timed(page, cast: Screencast, act, quiet: float, what: str = "") -> float:
    """Settle time of one input: ``act`` gets ready (finds what it clicks) and returns the
    function that sends the input."""
    send = act()
    page.wait_for_timeout(300)
    t0 = time.time()
    send()
    seconds = cast.settle(t0, quiet)
    if VERBOSE:
        n = sum(1 for f in cast.frames if f > t0)
        print(f"    {what:30s} {seconds:5.2f} s, {n} frames", file=sys.stderr, flush=True)
    return seconds


def click_link(page, title):
    def ready():
        target = link(page, title)
        target.wait_for(state="visible")  # a slow page may still be drawing its sidebar
        box = target.bounding_box()
        return lambda: page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return ready


def type_enter(page, label: str, value: str):
    """The value typed (before the clock starts), then Enter. The input is found once, here: a
    locator's ``press`` and ``blur`` would each look it up again by its label inside the timed
    window (Playwright's label query walks the whole page on the page's main thread: tens of ms
    on a large page, queued behind the rerun's drawing), which is the harness's time, not the
    student's."""
    def ready():
        box = page.get_by_label(label, exact=True).first.element_handle()
        box.fill(value)  # focuses it

        def send():
            page.keyboard.press("Enter")
            box.evaluate("e => e.blur()")  # a focused input repaints its caret for ever: no screen would settle
        return send
    return ready


def slider_key(page, label: str, key: str):
    def ready():
        thumb = page.get_by_role("slider", name=label).first
        thumb.focus()
        return lambda: page.keyboard.press(key)
    return ready


def first_chart_box(page):
    for sel in ("[data-optlab-chart]", "iframe[title='ui.views.stepper.optimiser_lab_stepper']"):
        loc = page.locator(sel)
        if loc.count():
            return loc.first.bounding_box()
    raise RuntimeError("no chart on the page")


def map_click(page, fx: float, fy: float):
    def ready():
        box = first_chart_box(page)
        return lambda: page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    return ready


def measure_app(browser, target: Target, figures: Figures, repeats: int, quiet: float) -> None:
    context, page = open_app(browser, target, "Trajectories")
    cast = Screencast(page)
    pages = [*SWITCH_PAGES[1:], SWITCH_PAGES[0]]  # from Trajectories: Loss curves, Bias correction, ...
    for warm in range(2):  # the first round warms the server's caches and the browser
        for _ in range(1 if warm == 0 else repeats):
            for title in pages:
                s = timed(page, cast, click_link(page, title), quiet, f"{target.name}: {title}")
                if warm:
                    figures.add(f"switch to {title}", s)
    # on Trajectories now: controls, each between two values (both cached after the first round)
    controls = {
        "seed + Enter": lambda k: type_enter(page, "Seed", str(1 + k % 2)),
        "noise slider key": lambda k: slider_key(page, "Gradient noise (std)", "ArrowRight" if k % 2 else "ArrowLeft"),
        "click on the map": lambda k: map_click(page, 0.22 + 0.04 * (k % 2), 0.55),
    }
    for what, act in controls.items():
        for k in range(2 + repeats):
            s = timed(page, cast, act(k), quiet, f"{target.name}: {what}")
            if k >= 2:
                figures.add(what, s)
    context.close()


def measure_first_visit(browser, target: Target, figures: Figures, repeats: int, quiet: float) -> None:
    """A switch to a page this tab has not shown yet (its charts drawn anew; the server's caches
    warm): a new tab each time, opened on Trajectories."""
    for _ in range(repeats):
        context, page = open_app(browser, target, "Trajectories")
        cast = Screencast(page)
        figures.add(f"first visit to {FIRST_VISIT}", timed(page, cast, click_link(page, FIRST_VISIT), quiet,
                                                        f"{target.name}: first {FIRST_VISIT}"))
        context.close()


def measure_floor(browser, target: Target, figures: Figures, repeats: int, quiet: float) -> None:
    context, page = open_app(browser, target, "")
    cast = Screencast(page)
    for k in range(2 + repeats):
        for title in ("Page B", "Page A"):
            s = timed(page, cast, click_link(page, title), quiet, f"floor: {title}")
            if k >= 2:
                figures.add("switch", s)
    for k in range(2 + repeats):
        s = timed(page, cast, type_enter(page, "Input 0", str(k % 2)), quiet, "floor: input")
        if k >= 2:
            figures.add("number input + Enter", s)
    context.close()


DRAG_QUERY = "Trajectories?opt=sgd,momentum,nesterov,rmsprop,adam,adamw&steps=2000"
# In the page: press on the start dot, move at every animation frame for ``ms``, release; the
# previews drawn and the time each took (the twin, the drawing).
IN_PAGE_DRAG = """async (ms) => {
  const el = document.querySelector('[data-optlab-chart][data-live]'); const L = el.__chart.live;
  const canvas = el.querySelector('.ol-drawn canvas.marks'); const r = canvas.getBoundingClientRect();
  const p = L.toPixels(L.meta.maps[0], L.meta.start); const x = r.left + p[0], y = r.top + p[1];
  const ev = (type, dx, dy) => canvas.dispatchEvent(new PointerEvent(type, {clientX: x + dx, clientY: y + dy,
    button: 0, buttons: type === 'pointerup' ? 0 : 1, pointerId: 7, bubbles: true, cancelable: true}));
  ev('pointerdown', 0, 0);
  await new Promise((done) => setTimeout(done, 300));  // the twin loaded and prepared
  const before = L.frames; L.computeMs = []; const t0 = performance.now(); let k = 0;
  await new Promise((done) => { const step = () => { k += 1; ev('pointermove', 3 * Math.sin(k / 9) * 20, k % 40);
    if (performance.now() - t0 < ms) requestAnimationFrame(step); else done(); }; requestAnimationFrame(step); });
  const seconds = (performance.now() - t0) / 1000, frames = L.frames - before;
  const med = (a) => a.slice().sort((u, v) => u - v)[Math.floor(a.length / 2)];
  const twin = med(L.computeMs.map((m) => m[0])), draw = med(L.computeMs.map((m) => m[1]));
  L.dragged = true; ev('pointerup', 0, 0);
  return {previews_per_second: frames / seconds, moves_per_second: k / seconds, twin_ms: twin, draw_ms: draw,
          series: L.meta.series.length, steps: L.meta.steps};
}"""


def measure_drag(browser, target: Target, quiet: float) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{target.url}/{DRAG_QUERY}")
    page.wait_for_selector("[data-optlab-chart][data-live]", timeout=120_000)
    page.wait_for_function("() => document.querySelector('[data-optlab-chart][data-live]').dataset.fitted",
                           timeout=120_000)
    page.wait_for_timeout(1000)
    out = page.evaluate(IN_PAGE_DRAG, 2000)
    page.wait_for_timeout(3000)  # the release's rerun
    # the screen during a drag sent through CDP as fast as it goes
    cast = Screencast(page)
    x, y = page.evaluate("""() => { const el = document.querySelector('[data-optlab-chart][data-live]');
      const L = el.__chart.live; const r = el.querySelector('.ol-drawn canvas.marks').getBoundingClientRect();
      const p = L.toPixels(L.meta.maps[0], L.meta.start); return [r.left + p[0], r.top + p[1]]; }""")
    cdp = page.context.new_cdp_session(page)

    def mouse(kind, px, py, buttons=1):
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": px, "y": py, "button": "left", "buttons": buttons,
                                               "clickCount": 1})
    mouse("mouseMoved", x, y, 0)
    mouse("mousePressed", x, y)
    page.wait_for_timeout(300)
    t0 = time.time()
    k = 0
    while time.time() - t0 < 2.0:
        k += 1
        mouse("mouseMoved", x + (k % 60), y + (k % 25))
    t1 = time.time()
    frames = sum(1 for f in cast.frames if t0 <= f <= t1)
    mouse("mouseReleased", x, y, 0)
    out.update(screen_frames_per_second=frames / (t1 - t0), cdp_moves_per_second=k / (t1 - t0))
    context.close()
    return out


def browser_memory(target: Target, path: str, tour: tuple[str, ...] = ()) -> dict:
    """A browser of its own on ``path``, settled (after a visit to each page of ``tour``, by its
    sidebar link, and back to the first): resident bytes of all its processes, the page's JS heap."""
    from playwright.sync_api import sync_playwright

    marker = f"--optlab-bench-{free_port()}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, marker], headless=True)
        try:
            context, page = open_app(browser, target, path)
            cast = Screencast(page)
            cast.settle(time.time(), 2.0)
            for title in tour:
                if link(page, title).count():  # (an older revision may not have every page)
                    timed(page, cast, click_link(page, title), 1.0)
            if tour:
                page.wait_for_timeout(1500)  # the charts left behind are shelved after a second
            heap = page.context.new_cdp_session(page).send("Runtime.getHeapUsage")
            procs = [p for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]
            tree = {q.pid: q for p in procs for q in [p, *p.children(recursive=True)]}
            pss = 0
            for q in tree.values():
                with contextlib.suppress(psutil.Error):
                    pss += q.memory_full_info().pss  # shared pages counted once, split between processes
            context.close()
        finally:
            browser.close()
    return {"browser_pss_mb": pss / 2**20, "js_heap_used_mb": heap["usedSize"] / 2**20}


def summary(figures: Figures) -> dict:
    return {k: {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}
            for k, v in figures.samples.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compare", metavar="REV", help="also measure the app as committed at REV")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quiet", type=float, default=1.2, help="seconds without a frame that count as settled")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--verbose", action="store_true", help="each sample as it is taken")
    ap.add_argument("--drag", action=argparse.BooleanOptionalAction, default=True,
                    help="measure a drag of the start dot on this tree (default: on)")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    if args.repeats < 5:
        ap.error("--repeats: at least 5")
    from playwright.sync_api import sync_playwright

    apps = [Target("this tree", ROOT, "dashboard.py")]
    if args.compare:
        d, commit = snapshot(args.compare)
        apps.insert(0, Target(f"at {commit[:10]}", d, "dashboard.py"))
    # Streamlit's own navigation (the project's config hides it: the app draws its own)
    floor = Target("floor", ROOT, "benchmarks/floor_app.py", ("--client.showSidebarNavigation", "true"))
    results: dict = {}
    for t in [floor, *apps]:
        t.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            figs = {t.name: Figures() for t in [floor, *apps]}
            for _r in range(2):  # interleaved: the machine's drift hits every target alike
                measure_floor(browser, floor, figs[floor.name], (args.repeats + 1) // 2, args.quiet)
                for t in apps:
                    measure_app(browser, t, figs[t.name], (args.repeats + 1) // 2, args.quiet)
                    measure_first_visit(browser, t, figs[t.name], (args.repeats + 1) // 2, args.quiet)
            browser.close()
        for t in apps:
            results[t.name] = {"latency": summary(figs[t.name]), "memory": browser_memory(t, FIVE_CHARTS),
                               "memory_after_every_page": browser_memory(t, FIVE_CHARTS, (*TOUR, FIRST_VISIT))}
        if args.drag:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                results[apps[-1].name]["drag"] = measure_drag(browser, apps[-1], args.quiet)
                browser.close()
        results["floor"] = {"latency": summary(figs[floor.name]), "memory": browser_memory(floor, "")}
    finally:
        for t in [floor, *apps]:
            t.stop()
    fl = results["floor"]["latency"]
    print(f"floor (floor_app.py): switch {fl['switch']['median']:.2f} s, "
          f"control {fl['number input + Enter']['median']:.2f} s; memory "
          f"{results['floor']['memory']['browser_pss_mb']:.0f} MB")
    for t in apps:
        print(f"\n{t.name}: until the screen settles (median, range, / floor)")
        for what, s in results[t.name]["latency"].items():
            base = fl["switch" if what.startswith("switch") else "number input + Enter"]["median"]
            print(f"  {what:28s} {s['median']:5.2f} s  ({s['min']:.2f}-{s['max']:.2f}, n={s['n']})  "
                  f"{s['median'] / base:4.1f}x")
        m = results[t.name]["memory"]
        print(f"  memory with five charts: browser {m['browser_pss_mb']:.0f} MB (proportional set), "
              f"JS heap {m['js_heap_used_mb']:.0f} MB")
        m = results[t.name]["memory_after_every_page"]
        print(f"  the same after a visit to every page: browser {m['browser_pss_mb']:.0f} MB, "
              f"JS heap {m['js_heap_used_mb']:.0f} MB")
        d = results[t.name].get("drag")
        if d:
            print(f"  drag, {d['series']} optimisers x {d['steps']} steps: {d['previews_per_second']:.0f} previews/s "
                  f"(moves {d['moves_per_second']:.0f}/s; per preview: twin {d['twin_ms']:.1f} ms, drawing "
                  f"{d['draw_ms']:.1f} ms); screen {d['screen_frames_per_second']:.0f} frames/s during a CDP drag "
                  f"({d['cdp_moves_per_second']:.0f} moves/s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
