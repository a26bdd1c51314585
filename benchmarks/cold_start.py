#!/usr/bin/env python
"""Cold start: from launching ``streamlit run dashboard.py`` to the home page's charts drawn in a
real browser.

Each repeat: a browser (Debian's chromium through Playwright, already running, a new context: an
empty browser cache, like a student's first visit) waits; the clock starts when the server process
is launched; ``/_stcore/health`` is polled every 50 ms; as soon as it answers ``ok`` the browser
opens ``/``; the clock stops when the home page's charts are drawn (every
``[data-testid='stVegaLiteChart']`` and every component iframe holds Vega's ``canvas.marks`` or
``svg.marks``, no skeleton placeholder is left; the home page shows the chapter's three maps as one
chart in the step-through component since commit 64c6bc9, as three stVegaLiteChart before) and the
app is idle (``[data-testid='stApp'][data-test-script-state='notRunning']``). Milestones are
reported too: server healthy, page loaded (``load`` event), charts drawn. The median over the
repeats is the result (the first repeat may pay for a cold OS file cache; all values are printed).

    python benchmarks/cold_start.py --repeats 5 --json cold_start.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHART = "[data-testid='stVegaLiteChart']"  # the app's chart component marks its element so too
# From commit 64c6bc9 to the in-document chart runtime the charts were drawn inside component
# iframes; a --snapshot of such a revision is measured through them.
COMPONENT = "iframe[data-testid='stCustomComponentV1']"
SKELETON = "[data-testid='stSkeleton']"
EXCEPTION = "[data-testid='stException']"
# True when no placeholder is left and every chart (stVegaLiteChart, or a Vega view inside a
# component's iframe, served by the same server so readable) has drawn its marks.
DRAWN_JS = """([vegaSel, frameSel, skeletonSel, atLeast]) => {
  if (document.querySelector(skeletonSel)) return false;
  const drawn = (root) => !!(root && root.querySelector('canvas.marks, svg.marks'));
  const vega = [...document.querySelectorAll(vegaSel)];
  const frames = [...document.querySelectorAll(frameSel)];
  if (vega.length + frames.length < atLeast) return false;
  return vega.every(drawn) && frames.every((f) => {
    try { return drawn(f.contentDocument); } catch (e) { return false; }
  });
}"""
PANELS_JS = """([vegaSel, frameSel]) => {
  const count = (root) => root ? root.querySelectorAll('canvas.marks, svg.marks').length : 0;
  let n = 0;
  document.querySelectorAll(vegaSel).forEach((c) => { n += count(c); });
  document.querySelectorAll(frameSel).forEach((f) => { try { n += count(f.contentDocument); } catch (e) {} });
  return n;
}"""


def one(browser, app_dir: Path, timeout_s: float, at_least: int = 1) -> dict:
    port = load.free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"optimiser-lab-cold-{port}.log"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(load.server_command(port), cwd=app_dir, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out: dict = {"port": port}
    try:
        deadline = t0 + timeout_s
        while not load.health(port, timeout=1.0):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-2000:]}")
            if time.perf_counter() > deadline:
                raise TimeoutError("no health answer")
            time.sleep(0.05)
        out["healthy_s"] = time.perf_counter() - t0
        page.goto(f"http://{load.HOST}:{port}/", wait_until="load",
                  timeout=max(1.0, deadline - time.perf_counter()) * 1000)
        out["page_loaded_s"] = time.perf_counter() - t0
        page.wait_for_function(DRAWN_JS, arg=[CHART, COMPONENT, SKELETON, at_least],
                               timeout=max(1.0, deadline - time.perf_counter()) * 1000, polling=50)
        out["charts_drawn_s"] = time.perf_counter() - t0
        page.wait_for_selector(IDLE, timeout=max(1.0, deadline - time.perf_counter()) * 1000)
        out["idle_and_drawn_s"] = time.perf_counter() - t0
        out["charts"] = page.locator(CHART).count() + page.locator(COMPONENT).count()
        out["drawn_views"] = page.evaluate(PANELS_JS, [CHART, COMPONENT])
        out["exceptions"] = page.locator(EXCEPTION).count()
        out["console_errors"] = console_errors[:5]
        out["server_rss_mb"] = load.rss_tree(proc.pid) / 2**20
    except Exception as err:  # a failed repeat is a result too: reported, not raised
        out["error"] = f"{type(err).__name__}: {err}"[:500]
    finally:
        out["server_alive_at_end"] = proc.poll() is None  # False: stopped by someone else
        context.close()
        load.stop_server(proc)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=180.0, help="s per repeat")
    ap.add_argument("--charts", type=int, default=1,
                    help="wait for at least this many charts on the home page (stVegaLiteChart elements "
                         "plus component iframes; the home page has 1 since commit 64c6bc9, 3 before)")
    ap.add_argument("--json", type=Path)
    load.add_app_args(ap)
    args = ap.parse_args(argv)
    app_dir, app = load.resolve_app(args)
    env = {**load.environment(), "app": app}
    print(f"# Cold start: {env}\n", flush=True)
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(args.repeats):
                for attempt in range(1, 4):
                    try:
                        r = one(browser, app_dir, args.timeout, args.charts)
                    except Exception as err:  # report and go on: one failed repeat is a result too
                        r = {"error": f"{type(err).__name__}: {err}"[:500]}
                    r["attempt"] = attempt
                    if "idle_and_drawn_s" in r or r.get("server_alive_at_end", True):
                        break
                    # the server was stopped by someone else (seen on this shared machine): again
                    print(f"  repeat {i + 1}: the server was stopped from outside; measuring again", flush=True)
                r["load_avg"] = tuple(round(x, 2) for x in os.getloadavg())
                runs.append(r)
                print(f"  repeat {i + 1}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                                       for k, v in r.items() if k != "port"), flush=True)
        finally:
            browser.close()
    ok = [r for r in runs if "idle_and_drawn_s" in r]
    keys = ("healthy_s", "page_loaded_s", "charts_drawn_s", "idle_and_drawn_s")
    summary = {k: statistics.median(r[k] for r in ok) for k in keys} if ok else {}
    print()
    print("| milestone (from launching `streamlit run`) | median | min | max |")
    print("|---|---|---|---|")
    names = {"healthy_s": "server answers /_stcore/health", "page_loaded_s": "browser: page `load` event",
             "charts_drawn_s": "home page's charts drawn",
             "idle_and_drawn_s": "... and the app idle (script finished)"}
    for k in keys:
        if ok:
            lo, hi = min(r[k] for r in ok), max(r[k] for r in ok)
            print(f"| {names[k]} | {summary[k]:.2f} s | {lo:.2f} s | {hi:.2f} s |")
    print(f"\n{len(ok)} of {len(runs)} repeats reached the drawn charts; exceptions shown: "
          f"{sum(r.get('exceptions', 0) for r in ok)}.")
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "runs": runs, "median": summary}, indent=1))
        print(f"saved {args.json}")
    return 0 if len(ok) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
