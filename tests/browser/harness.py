"""The real-browser harness: start the app's server, drive Debian's chromium, wait for reruns.

Shared by the pytest fixtures (``conftest.py``), the tests and the README screenshot
script (``screenshots.py``). No pytest import here: the screenshot script runs alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the screenshot script runs alone
    sys.path.insert(0, str(ROOT))
from ui.frame.registry import PAGES as REGISTRY  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}

# Page URL path -> (title, charts drawn at the default settings), from the page registry: one
# chart per ``View.chart`` or ``View.player`` call.
PAGES = {p.url_path: (p.title, p.charts) for p in REGISTRY.values()}

APP = "[data-testid='stApp']"
IDLE = f"{APP}[data-test-script-state='notRunning']"
# Every chart is drawn by the app's chart component, in the page's own document: a plain chart, or
# a player (a chart with its step-through controls showing). Its element holds ``__chart`` (the
# component's Chart: ``view``, the Vega view; ``spec``, the spec drawn with its data as rows) and
# the data attributes ``step``, ``playing``, ``fitted`` (its height once its drawing is fitted).
CHART = "[data-optlab-chart]"
PLAYER = "[data-optlab-chart]:has(> .ol-bar:not([hidden]))"
EXCEPTION = "[data-testid='stException']"
SKELETON = "[data-testid='stSkeleton']"
SIDEBAR = "[data-testid='stSidebar']"
MAIN = "[data-testid='stMain']"

SERVER_START_TIMEOUT = 60.0  # s, until /_stcore/health answers "ok"
RERUN_TIMEOUT = 90_000  # ms, one script run (the first run of a page computes its charts)


class MissingBrowser(RuntimeError):
    """Playwright or the system chromium is not installed."""


def browser_problem() -> str | None:
    """Why the real-browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package `playwright` is not installed (pip install -r requirements-dev.txt)"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium; never `playwright install`)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _health(url: str) -> str:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.read().decode(errors="replace").strip()
    except (urllib.error.URLError, OSError):
        return ""


def start_server(log_dir: Path | None = None) -> Server:
    """``streamlit run dashboard.py`` on a free port, cwd = the repository root; returns once
    ``/_stcore/health`` says ``ok``. The caller must ``stop()`` it."""
    port = free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="optlab-browser-"))
    log_path = log_dir / f"streamlit-{port}.log"
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py",
           "--server.headless", "true", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    server = Server(port, proc, log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{server.log()}")
        if _health(server.url) == "ok":
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {SERVER_START_TIMEOUT:.0f} s:\n"
                       f"{server.log()}")


@contextmanager
def running_server(log_dir: Path | None = None):
    server = start_server(log_dir)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium():
    """One headless Debian chromium driven by Playwright."""
    problem = browser_problem()
    if problem:
        raise MissingBrowser(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# ---------------------------------------------------------------------------
# A page under test: console errors, script runs, websocket traffic
# ---------------------------------------------------------------------------

# Counts every transition of the app's script state to "running" (a rerun started), even one
# too short for a polling wait to see. Installed before any page script runs.
RUN_COUNTER = """
(() => {
  window.__stRuns = 0;
  window.__stStates = [];
  let last = null;
  const seen = (state) => {
    if (state === 'running' && last !== 'running') window.__stRuns += 1;
    if (state && state !== last) window.__stStates.push(state);
    if (state) last = state;
  };
  new MutationObserver((records) => {
    // Replay every state the attribute went through in this batch (the old value of each
    // change), then the current one: a run shorter than one batch is still counted.
    for (const r of records) {
      if (r.type === 'attributes' && r.attributeName === 'data-test-script-state'
          && r.target.getAttribute('data-testid') === 'stApp') {
        seen(r.oldValue);
      }
    }
    const app = document.querySelector("[data-testid='stApp']");
    if (app) seen(app.getAttribute('data-test-script-state'));
  }).observe(document, {attributes: true, attributeOldValue: true, childList: true, subtree: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""


@dataclass
class Watch:
    """What a page did besides drawing: console errors, failed responses, sent websocket frames."""

    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, resource url)
    page_errors: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (status, url) of responses >= 400
    frames_sent: int = 0

    def attach(self, page) -> None:
        page.add_init_script(RUN_COUNTER)
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        page.on("response", lambda r: self.failed.append((r.status, r.url)) if r.status >= 400 else None)
        page.on("websocket", self._websocket)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.console_errors.append((msg.text, (msg.location or {}).get("url", "")))

    def _websocket(self, ws) -> None:
        def sent(_payload) -> None:
            self.frames_sent += 1
        ws.on("framesent", sent)


def base_path_probes(base_url: str, path: str) -> set[str]:
    """The two URLs Streamlit's frontend probes on a deep link before it finds the base path.

    On a page URL such as ``/Trajectories`` the frontend cannot know whether the app is
    served under a base path ``/Trajectories``: it first asks
    ``/Trajectories/_stcore/health`` and ``/Trajectories/_stcore/host-config``, gets 404
    (Chromium logs "Failed to load resource ... 404"), then retries at the root and
    connects. That is Streamlit's expected behaviour, not an app error, so exactly these two
    URLs are tolerated; the root ("/") has no such probe.
    """
    path = path.strip("/")
    if not path:
        return set()
    return {f"{base_url}/{path}/_stcore/health", f"{base_url}/{path}/_stcore/host-config"}


def unexpected_console_errors(watch: Watch, base_url: str, paths) -> list[str]:
    """Every console or page error except the 404s of the base-path probes of ``paths``."""
    tolerated = set()
    for p in paths:
        tolerated |= base_path_probes(base_url, p)
    probe_404 = {url for status, url in watch.failed if status == 404 and url in tolerated}
    out = []
    for text, url in watch.console_errors:
        if url in probe_404 and "404" in text:
            continue
        out.append(f"console error: {text} ({url})" if url else f"console error: {text}")
    out += [f"page error: {e}" for e in watch.page_errors]
    out += [f"HTTP {status}: {url}" for status, url in watch.failed if url not in tolerated]
    return out


def runs(page) -> int:
    """How many script runs this page has started (see RUN_COUNTER)."""
    return page.evaluate("() => window.__stRuns || 0")


def script_state(page) -> str | None:
    return page.locator(APP).first.get_attribute("data-test-script-state")


# True when the page shows no placeholder and its charts are drawn (Vega draws a canvas or an svg
# of class "marks") and fitted (the component marks a chart ``data-fitted`` once it is).
CHARTS_READY = """([chartSel, skeletonSel, count, atLeast]) => {
    if (document.querySelector(skeletonSel)) return false;
    const charts = [...document.querySelectorAll(chartSel)];
    if (count !== null ? charts.length !== count : charts.length < atLeast) return false;
    return charts.every((c) => !!c.querySelector('canvas.marks, svg.marks') && !!c.dataset.fitted);
}"""


def chart_count(page) -> int:
    """Charts on the page: plain charts and players."""
    return page.locator(CHART).count()


def wait_for_charts(page, count: int | None = None, at_least: int = 1,
                    timeout: float = RERUN_TIMEOUT) -> None:
    """Wait until the page's charts are drawn: exactly ``count`` of them (at least ``at_least``
    when ``count`` is None), each with its marks, and no placeholder left. Streamlit attaches
    the chart component and the content of large messages a little after the script run ends:
    "notRunning" alone does not mean "drawn"."""
    page.wait_for_function(CHARTS_READY, arg=[CHART, SKELETON, count, at_least], timeout=timeout)


def server_health(base_url: str) -> str:
    return _health(base_url) or "no answer"


def describe(page, base_url: str | None = None) -> str:
    """Where the page is, for a failure message."""
    try:
        main = page.locator(MAIN)
        text = main.first.inner_text(timeout=2000)[:600] if main.count() else "(no stMain)"
        states = page.evaluate("() => (window.__stStates || []).join(' > ')")
        health = f" server /_stcore/health: {server_health(base_url)}" if base_url else ""
        return (f"url={page.url} runs={runs(page)} states seen: {states} state={script_state(page)!r} "
                f"charts={chart_count(page)} placeholders={page.locator(SKELETON).count()} "
                f"exceptions={page.locator(EXCEPTION).count()}{health}\nmain text: {text!r}")
    except Exception as err:  # a description must never hide the real failure
        return f"(no description: {err})"


def timeout_error():
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    return PlaywrightTimeout


def wait_rerun(page, before: int, charts: int | None = None, at_least: int = 1,
               timeout: float = RERUN_TIMEOUT) -> None:
    """Wait for the script run that an interaction started to finish and draw: at least one
    run started since ``before = runs(page)`` was taken, the app is ``notRunning`` again and
    the charts are drawn (see ``wait_for_charts``)."""
    try:
        page.wait_for_function(
            """([sel, n]) => (window.__stRuns || 0) > n && document.querySelector(sel) !== null""",
            arg=[IDLE, before], timeout=timeout)
        wait_for_charts(page, charts, at_least, timeout=timeout)
    except timeout_error() as err:
        base = f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}"
        raise AssertionError(f"no finished rerun within {timeout / 1000:.0f} s: {describe(page, base)}") from err


def number_input(page, label: str, where: str = ""):
    """The visible number input with this label (``where``: a container selector)."""
    return page.locator(f"{where} input[type=number][aria-label='{label}']".strip()).locator(
        "visible=true").first


def enter_number(page, label: str, value: str, charts: int | None = None):
    """Type ``value`` into the sidebar's number input ``label``, press Enter, and wait for the
    rerun it starts to finish and draw (``charts``: as ``wait_rerun``); returns the input."""
    box = number_input(page, label, SIDEBAR)
    before = runs(page)
    box.fill(value)
    box.press("Enter")
    wait_rerun(page, before, charts=charts)
    return box


def open_page(page, base_url: str, path: str = "", query: str = "", charts: int | None = None,
              at_least: int = 1, timeout: float = RERUN_TIMEOUT) -> None:
    """Load a page URL and wait for its first script run and its charts."""
    url = f"{base_url}/{path.strip('/')}"
    if query:
        url += "?" + query.lstrip("?")
    page.goto(url)
    # Before the first run the app's state is "initial", and charts exist only after a run:
    # "notRunning" with the charts drawn means the first run is over.
    try:
        page.wait_for_selector(IDLE, timeout=timeout)
        wait_for_charts(page, charts, at_least, timeout=timeout)
    except timeout_error() as err:
        raise AssertionError(f"{url} did not finish drawing within {timeout / 1000:.0f} s: "
                             f"{describe(page, base_url)}") from err


def query_of(page) -> dict[str, str]:
    """The page's current URL query string as a dict (last value of each key)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}


def path_of(page) -> str:
    return urlsplit(page.url).path.strip("/")


def sidebar_link(page, title: str):
    """The sidebar's page link with this title (Streamlit renders each link twice, one
    copy hidden for its tooltip: take the visible one)."""
    return (page.locator(f"{SIDEBAR} a[data-testid='stPageLink-NavLink']")
            .filter(has_text=title).locator("visible=true").first)



def vega(locator, script: str, arg=None):
    """Evaluate ``script`` (a function of the chart's Vega view and its ``Chart``) on the chart
    ``locator`` points at: ``vega(chart, "(view, chart) => view.signal('step')")``."""
    return locator.evaluate(f"(el, arg) => ({script})(el.__chart.view, el.__chart, arg)", arg)
