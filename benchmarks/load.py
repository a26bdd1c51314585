#!/usr/bin/env python
"""Load test: many concurrent sessions of the real app, driven over Streamlit's websocket.

Starts ``streamlit run dashboard.py`` (headless, on 127.0.0.1 and a free port), then drives N
sessions at once without a browser. Each session speaks the browser's protocol on
``/_stcore/stream`` (subprotocol ``streamlit``; binary protobuf ``BackMsg`` up, ``ForwardMsg``
down), the way ``streamlit/static`` does it:

* a run is asked for with ``BackMsg.rerun_script`` (a ``ClientState``): ``query_string``,
  ``widget_states``, and either ``page_name`` (the URL path, for the first run of a tab, as a
  deep link) or ``page_script_hash`` (every later run; a page switch sends the target page's hash
  and the link's query string, like a click on an ``st.page_link``);
* a run's end is the ``ForwardMsg.script_finished`` whose status is not
  ``FINISHED_EARLY_FOR_RERUN`` (that one ends a run that chains into another, e.g.
  ``st.switch_page`` from a preset button);
* the widget ids are read from the previous run's ``delta.new_element`` messages: each element
  proto carries ``id``, and a keyed widget's id ends with ``-<key>`` (``w:steps``, ``w:adam.lr``...);
  the value sent is built from that proto (options, min/max/step, data type) like the frontend
  builds it (slider: ``double_array_value``; select_slider and multiselect: the formatted options as
  ``string_array_value``; selectbox: ``string_value``; number_input: ``int_value``/``double_value``;
  checkbox: ``bool_value``; button: ``trigger_value``);
* the current page's hash comes from ``ForwardMsg.navigation``, the URL's query string from
  ``page_info_changed`` (the app rewrites it on every run), the links from ``page_link`` elements.

Like the frontend, a session resends the widget values it has set while the widgets stay on the
page (the frontend also resends the untouched ones at their current values; the server keeps
those anyway). It sends no ``cached_message_hashes``, so every message comes in full, as to a
browser with an empty message cache.

A session is one student following a lesson (``lesson_plan``): open a page from a link with a
query string, change two controls, follow the sidebar link to the next page of the lesson path,
change two controls, follow the next link, change one control: 8 runs, with a think time between
actions. Sessions start spread over a ramp. Which controls and which values are drawn from a
per-session random generator (seeded: the same session index does the same lesson every time);
values stay within what the widgets offer, moving by a few notches from the current value, so
runs mix cache hits (the same value as another student) and misses.

Reported per level N: runs asked for and finished without error, latency (send -> final
``script_finished``) p50/p95/max, the server's resident memory (psutil: the server process and
its children, sampled every 0.25 s; peak during the level and at its end), and errors: exception
elements (``st.exception`` / uncaught exceptions shown in the app), compile errors,
``page_not_found``, failed connections and timeouts. Counted apart: ``st.error`` alerts, and runs
that drew a chart whose data did not arrive (a Vega-Lite spec naming a dataset that neither its
inline ``datasets`` nor the message's Arrow datasets carry: the chart would be drawn empty).

    python benchmarks/load.py                          # N = 1, 10, 30, 60
    python benchmarks/load.py --levels 30 --json out.json
    python benchmarks/load.py --help
    python benchmarks/load.py --url http://127.0.0.1:8501 --pid PID --levels 30   # a running address

With ``--url`` no server is started: the sessions go to that address (e.g. ``deploy/classroom.py``'s
proxy), and each first loads the page over HTTP, as a browser does, and sends the cookies it was given
(the proxy's sticky-session cookie) with its websocket. ``--pid`` names the process whose tree's memory
and CPU are reported (e.g. the classroom launcher: nginx, every replica and their workers).

Everything is bounded: runs per session, a timeout per run, and a time limit per level.
The only traffic is to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

# URL path of every page, in the order of the lesson (sidebar order).
LESSON_PATH = ("", "Trajectories", "Loss_curves", "Learning_rates", "Bias_correction",
               "Sparse_gradients", "LR_sensitivity", "Weight_decay", "Schedules", "Second_order",
               "Practical_guide")

# Links a teacher might hand out: (page, query string). Session i opens OPENING_LINKS[i % len].
OPENING_LINKS = (
    ("", ""),
    ("Trajectories", "steps=300&noise=0.5"),
    ("Loss_curves", ""),
    ("Learning_rates", "opt=adagrad,rmsprop,adam"),
    ("Bias_correction", ""),
    ("Trajectories", ""),
    ("Sparse_gradients", ""),
    ("LR_sensitivity", ""),
    ("Weight_decay", ""),
    ("Schedules", ""),
    ("Second_order", ""),
    ("Practical_guide", ""),
    ("", "home.seed=3"),
    ("Loss_curves", "noise=1&seeds=5"),
)

# Sidebar controls a lesson asks students to touch (the page's own controls, in the main area,
# are always candidates too).
SHARED_MOVES = ("w:adam.lr", "w:noise", "w:steps", "w:seed", "w:opt", "w:momentum.lr",
                "w:rmsprop.lr", "w:adam.beta1", "w:f")
# Widgets never touched: resets, notice dismissal, presentation mode, free text, the start point.
SKIP_KEYS = ("reset_all", "dismiss_notices", "w:present", "w:custom.expr", "w:start.x", "w:start.y")

RERUN_TIMEOUT = 120.0  # s, one run (send -> final script_finished)
LEVEL_TIMEOUT = 1200.0  # s, one level, all sessions
SERVER_START_TIMEOUT = 90.0


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
            "--server.port", str(port), "--server.address", HOST, "--browser.gatherUsageStats",
            "false", "--server.fileWatcherType", "none"]


def health(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    launched: float  # perf_counter at Popen
    healthy: float  # perf_counter when /_stcore/health first said ok
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


@contextlib.contextmanager
def running_server(app_dir: Path = ROOT, port: int | None = None,
                   log_path: Path | None = None) -> Iterator[Server]:
    """``streamlit run dashboard.py`` in ``app_dir``, until /_stcore/health says ok; stopped on exit
    (this process only: SIGTERM, then SIGKILL after 10 s)."""
    port = port or free_port()
    if log_path is None:
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"optimiser-lab-load-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        launched = time.perf_counter()
        proc = subprocess.Popen(server_command(port), cwd=app_dir, stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = launched + SERVER_START_TIMEOUT
        while not health(port, timeout=1.0):
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}:\n"
                                   f"{log_path.read_text(errors='replace')[-3000:]}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no health answer after {SERVER_START_TIMEOUT:.0f} s")
            time.sleep(0.05)
        yield Server(port, proc, launched, time.perf_counter(), log_path)
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate a server this script started (if it still runs); kill it after ``grace`` s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


def snapshot(rev: str) -> tuple[Path, str]:
    """The app as committed at ``rev`` (``git archive`` into a temporary directory), so that a
    measurement is not of files someone is editing. Returns (directory, full commit id)."""
    import shutil
    import tempfile

    commit = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    out = Path(tempfile.mkdtemp(prefix=f"optimiser-lab-{commit[:7]}-"))
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    import atexit
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    return out, commit


def add_app_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--app-dir", type=Path, default=None,
                   help="directory holding dashboard.py (default: this working tree)")
    g.add_argument("--snapshot", metavar="REV",
                   help="measure the app as committed at REV (git archive to a temporary directory)")


def resolve_app(args) -> tuple[Path, str]:
    """(app directory, description) from --app-dir / --snapshot."""
    if args.snapshot:
        d, commit = snapshot(args.snapshot)
        return d, f"commit {commit[:10]} (clean snapshot)"
    d = (args.app_dir or ROOT).resolve()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "dashboard.py", "pages", "ui", "engine"],
                           cwd=d, capture_output=True, text=True).stdout.strip() if (d / ".git").exists() else ""
    head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=d, capture_output=True,
                          text=True).stdout.strip()
    return d, f"working tree {d} at {head or '?'}" + (" with uncommitted app changes" if dirty else "")


def rss_tree(pid: int) -> int:
    """Resident bytes of a process and all its children (0 if it is gone, or for pid 0: nothing measured)."""
    if not pid:
        return 0
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for q in procs:
        with contextlib.suppress(psutil.Error):
            total += q.memory_info().rss
    return total


def cpu_seconds(pid: int) -> float:
    try:
        p = psutil.Process(pid)
        t = p.cpu_times()
        out = t.user + t.system
        for c in p.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                ct = c.cpu_times()
                out += ct.user + ct.system
        return out
    except psutil.Error:
        return float("nan")


class MemoryMonitor:
    """Samples the server's resident set in a thread (every ``interval`` s)."""

    def __init__(self, pid: int, interval: float = 0.25):
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.perf_counter()
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - t0, rss_tree(self.pid)))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemoryMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def now(self) -> int:
        return rss_tree(self.pid)

    @property
    def peak(self) -> int:
        return max((b for _, b in self.samples), default=0)


# ---------------------------------------------------------------------------
# One browser-less session
# ---------------------------------------------------------------------------


@dataclass
class Widget:
    id: str
    kind: str  # the Element oneof: slider, number_input, selectbox, ...
    proto: object
    in_sidebar: bool

    @property
    def key(self) -> str:
        """The user key (``w:steps``); ids of keyed widgets end with ``-<key>``."""
        return self.id.split("-", 2)[2] if self.id.startswith("$$ID-") and self.id.count("-") >= 2 else ""


@dataclass
class RunResult:
    session: int
    index: int  # the run's number in its session
    action: str  # open / change / switch / preset
    page: str  # URL path of the page that was shown at the end of the run
    detail: str  # what was done: link, widget key and value
    sent_at: float  # seconds since the level started
    latency: float | None  # s, send -> final script_finished; None on timeout / failure
    status: str  # ok / exception / compile_error / page_not_found / timeout / connection / no_target
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    charts: int = 0  # vega_lite_chart + custom components (the trajectory map)
    chart_problems: list[str] = field(default_factory=list)  # charts whose data did not arrive
    chained_runs: int = 0  # script_finished(FINISHED_EARLY_FOR_RERUN) before the final one

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Session:
    """One tab of the app, over the websocket."""

    def __init__(self, port: int | None, index: int, rerun_timeout: float = RERUN_TIMEOUT,
                 url: str | None = None):
        self.port, self.index, self.rerun_timeout = port, index, rerun_timeout
        # ``url``: an address to go through (a proxy): load the page first and keep its cookies
        self.url = url.rstrip("/") if url else None
        self.base = self.url or f"http://{HOST}:{port}"
        self.cookies: dict[str, str] = {}
        self.ws = None
        self.page_hash = ""  # the page the last run showed (Navigation.page_script_hash)
        self.page = ""  # its URL path
        self.query = ""  # the URL's query string, as the app last set it
        self.pages: dict[str, str] = {}  # URL path -> page_script_hash (Navigation.app_pages)
        self.widgets: dict[str, Widget] = {}  # user key -> widget, from the last run
        self.links: dict[str, tuple[str, str]] = {}  # URL path -> (page hash, query string)
        self.sent: dict[str, WidgetState] = {}  # widget id -> the value this tab set
        self.known: dict[str, tuple[str, object]] = {}  # user key -> (widget id, value it shows)
        self.runs: list[RunResult] = []
        self.t0 = time.perf_counter()
        self.finished = False  # the lesson ran to its end

    async def connect(self) -> None:
        headers = {}
        if self.url:
            await asyncio.to_thread(self._load_page)
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(
            "ws" + self.base[len("http"):] + "/_stcore/stream", subprotocols=["streamlit"],
            max_size=None, open_timeout=30, ping_interval=None, close_timeout=5,
            additional_headers=headers or None)

    def _load_page(self) -> None:
        """GET the app's page as a browser does before it opens the websocket (sending the cookies
        it holds), and keep the cookies it is given."""
        from http.cookies import SimpleCookie

        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        with urllib.request.urlopen(urllib.request.Request(self.base + "/", headers=headers), timeout=30) as resp:
            for header in resp.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    # -- runs ---------------------------------------------------------------

    async def rerun(self, action: str, detail: str, *, page_name: str | None = None,
                    page_hash: str | None = None, query: str | None = None,
                    states: list[WidgetState] | None = None) -> RunResult:
        msg = BackMsg()
        rs = msg.rerun_script
        if query is not None:  # the address bar shows the link's query string
            self.query = query
        rs.query_string = self.query
        if page_name is not None:  # first run of a tab: the URL path names the page
            rs.page_name = page_name
        else:
            rs.page_script_hash = page_hash or self.page_hash
        for s in states if states is not None else self.sent.values():
            rs.widget_states.widgets.add().CopyFrom(s)
        rs.context_info.timezone = "Europe/London"
        rs.context_info.locale = "en-GB"
        rs.context_info.url = f"{self.base}/{page_name or ''}"
        result = RunResult(self.index, len(self.runs), action, self.page, detail,
                           time.perf_counter() - self.t0, None, "timeout")
        sent = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
            await asyncio.wait_for(self._receive_run(result), self.rerun_timeout)
            result.latency = time.perf_counter() - sent
        except TimeoutError:
            result.status = "timeout"
        except websockets.ConnectionClosed as err:
            result.status = "connection"
            result.exceptions.append(f"connection closed: {err}")
        result.page = self.page
        self.runs.append(result)
        return result

    async def _receive_run(self, result: RunResult) -> None:
        started = False
        widgets: dict[str, Widget] = {}
        links: dict[str, tuple[str, str]] = {}
        status = "ok"
        while True:
            data = await self.ws.recv()
            result.messages += 1
            result.bytes += len(data)
            m = ForwardMsg()
            m.ParseFromString(data)
            kind = m.WhichOneof("type")
            if kind == "new_session":
                started = True
                widgets, links = {}, {}
                result.exceptions.clear()
                result.error_alerts.clear()
                result.chart_problems.clear()
                result.charts = 0
                status = "ok"
            elif kind == "navigation":
                nav = m.navigation
                self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
                if nav.page_script_hash:
                    self.page_hash = nav.page_script_hash
                    self.page = next((p.url_pathname for p in nav.app_pages
                                      if p.page_script_hash == nav.page_script_hash), self.page)
            elif kind == "page_info_changed":
                self.query = m.page_info_changed.query_string
            elif kind == "page_not_found":
                status = "page_not_found"
                result.exceptions.append(f"page not found: {m.page_not_found.page_name}")
            elif kind == "session_event" and m.session_event.WhichOneof("type") == \
                    "script_compilation_exception":
                exc = m.session_event.script_compilation_exception
                status = "compile_error"
                result.exceptions.append(f"{exc.type}: {exc.message}"[:500])
            elif kind == "delta" and m.delta.WhichOneof("type") == "new_element":
                el = m.delta.new_element
                et = el.WhichOneof("type")
                proto = getattr(el, et)
                in_sidebar = bool(m.metadata.delta_path) and m.metadata.delta_path[0] == 1
                if et == "exception":
                    if not proto.is_warning:
                        status = "exception" if status == "ok" else status
                        result.exceptions.append(f"{proto.type}: {proto.message}"[:500])
                elif et == "alert":
                    if proto.format == 1:  # Alert.ERROR
                        result.error_alerts.append(proto.body[:300])
                elif et in ("vega_lite_chart", "bidi_component"):
                    result.charts += 1
                    result.chart_problems += chart_problems(et, proto)
                elif et == "page_link":
                    links[proto.page] = (proto.page_script_hash, proto.query_string)
                elif hasattr(proto, "id") and proto.id:
                    w = Widget(proto.id, et, proto, in_sidebar)
                    if w.key:
                        widgets[w.key] = w
            elif kind == "script_finished" and started:
                if m.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    result.chained_runs += 1
                    continue
                if m.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR and status == "ok":
                    status = "compile_error"
                break
        result.status = status
        # The frontend drops the state of widgets that are no longer drawn, and keeps the value
        # each widget shows: the one the server set (``set_value``), else the one last chosen.
        ids = {w.id for w in widgets.values()}
        self.sent = {i: s for i, s in self.sent.items() if i in ids}
        known = {}
        for key, w in widgets.items():
            if w.kind not in MOVABLE:
                continue
            if getattr(w.proto, "set_value", False) or key not in self.known or self.known[key][0] != w.id:
                known[key] = (w.id, current_value(w))
            else:
                known[key] = self.known[key]
        self.known = known
        self.widgets, self.links = widgets, links

    # -- actions ------------------------------------------------------------

    async def open(self, page: str, query: str) -> RunResult:
        return await self.rerun("open", f"/{page}?{query}" if query else f"/{page}",
                                page_name=page, query=query, states=[])

    async def switch(self, page: str) -> RunResult:
        """Follow the sidebar link to ``page`` (its hash and query string, as the link says)."""
        if page not in self.links:
            r = RunResult(self.index, len(self.runs), "switch", self.page, f"no link to /{page}",
                          time.perf_counter() - self.t0, None, "no_target")
            self.runs.append(r)
            return r
        page_hash, query = self.links[page]
        self.sent.clear()
        return await self.rerun("switch", f"/{page}?{query}" if query else f"/{page}",
                                page_hash=page_hash, query=query, states=[])

    async def set(self, key: str, value) -> RunResult:
        w = self.widgets[key]
        state = widget_state(w, value)
        self.sent[w.id] = state
        states = list(self.sent.values())
        if w.kind == "button":  # a trigger is sent once
            del self.sent[w.id]
        else:
            self.known[key] = (w.id, value)
        action = "preset" if w.kind == "button" else "change"
        return await self.rerun(action, f"{key}={value!r}"[:120], states=states)

    def current(self, key: str):
        """The value the widget ``key`` shows now (as the frontend would send it)."""
        w = self.widgets[key]
        if key in self.known and self.known[key][0] == w.id:
            return self.known[key][1]
        return current_value(w)


# ---------------------------------------------------------------------------
# Charts: did their data arrive?
# ---------------------------------------------------------------------------


def _data_names(node, out: set[str]) -> set[str]:
    """Names of the datasets a Vega-Lite spec refers to (``{"data": {"name": ...}}``)."""
    if isinstance(node, dict):
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            out.add(data["name"])
        for k, v in node.items():
            if k != "datasets":
                _data_names(v, out)
    elif isinstance(node, list):
        for v in node:
            _data_names(v, out)
    return out


def component_spec(proto) -> dict | None:
    """The Vega-Lite spec the app's chart component (a ``bidi_component``) was sent, or None."""
    if getattr(proto, "component_name", "") != "optimiser_lab_chart" or not proto.bytes:
        return None
    return json.loads(proto.bytes).get("spec")


def chart_problems(kind: str, proto) -> list[str]:
    """Datasets a chart's spec names but that the message does not carry (the chart would be drawn
    empty). ``vega_lite_chart``: inline ``datasets`` or Arrow ``proto.datasets``; the app's chart
    component (``bidi_component``): the Vega-Lite spec in its JSON payload, with inline datasets."""
    try:
        if kind == "vega_lite_chart":
            spec = json.loads(proto.spec) if proto.spec else {}
            have = set(spec.get("datasets") or {}) | {d.name for d in proto.datasets}
        else:
            spec = component_spec(proto)
            if spec is None:
                return []
            have = set(spec.get("datasets") or {})
    except (ValueError, AttributeError) as err:
        return [f"{kind}: unreadable spec ({err})"]
    missing = _data_names(spec, set()) - have
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    return [f"{kind} {str(title or '')[:40]!r}: {len(missing)} dataset(s) named in the spec are missing"] \
        if missing else []


# ---------------------------------------------------------------------------
# Widget values on the wire
# ---------------------------------------------------------------------------


def current_value(w: Widget):
    p = w.proto
    if w.kind == "checkbox":
        return p.value if p.set_value else p.default
    if w.kind == "number_input":
        v = p.value if p.set_value else p.default
        return int(v) if p.data_type == NumberInput.INT else float(v)
    if w.kind == "slider" and p.type == Slider.SELECT_SLIDER:
        return p.raw_value[0] if p.set_value and p.raw_value else p.options[int(p.default[0])]
    if w.kind == "slider":
        v = (p.value if p.set_value and p.value else p.default)[0]
        return int(v) if p.data_type == Slider.INT else float(v)
    if w.kind == "selectbox":
        return p.raw_value if p.set_value else p.options[p.default]
    if w.kind == "multiselect":
        return list(p.raw_values) if p.set_value else [p.options[i] for i in p.default]
    if w.kind == "button":
        return False
    raise TypeError(f"no value for a {w.kind}")


def widget_state(w: Widget, value) -> WidgetState:
    s = WidgetState(id=w.id)
    p = w.proto
    if w.kind == "checkbox":
        s.bool_value = bool(value)
    elif w.kind == "number_input":
        if p.data_type == NumberInput.INT:
            s.int_value = int(value)
        else:
            s.double_value = float(value)
    elif w.kind == "slider" and p.type == Slider.SELECT_SLIDER:
        s.string_array_value.data[:] = [str(value)]
    elif w.kind == "slider":
        s.double_array_value.data[:] = [float(value)]
    elif w.kind == "selectbox":
        s.string_value = str(value)
    elif w.kind == "multiselect":
        s.string_array_value.data[:] = [str(v) for v in value]
    elif w.kind == "button":
        s.trigger_value = True
    else:
        raise TypeError(f"cannot set a {w.kind}")
    return s


def _snap(v: float, lo: float, hi: float, step: float) -> float:
    v = min(max(v, lo), hi)
    if step > 0:
        v = lo + round((v - lo) / step) * step
        v = min(max(v, lo), hi)
    return float(f"{v:.12g}")


def next_value(w: Widget, current, rng: random.Random):
    """A new value a student might pick: a few notches from the current one, inside the widget."""
    p = w.proto
    if w.kind == "checkbox":
        return not current
    if w.kind == "button":
        return True
    if w.kind == "slider" and p.type == Slider.SELECT_SLIDER:
        opts = list(p.options)
        i = opts.index(current) if current in opts else int(p.default[0])
        j = min(max(i + rng.choice((-2, -1, 1, 2)), 0), len(opts) - 1)
        if j == i:
            j = i - 1 if i > 0 else i + 1
        return opts[j]
    if w.kind == "slider":
        step = p.step or (p.max - p.min) / 100
        v = _snap(current + rng.choice((-1, 1)) * rng.randint(1, 6) * step, p.min, p.max, step)
        if v == current:
            v = _snap(current - step if current > p.min else current + step, p.min, p.max, step)
        return int(v) if p.data_type == Slider.INT else v
    if w.kind == "number_input":
        lo = p.min if p.has_min else -1e9
        hi = p.max if p.has_max else 1e9
        if p.data_type == NumberInput.INT:
            if "seed" in w.key:
                v = current + rng.randint(1, 3)
            else:
                v = round(current * rng.choice((0.5, 0.75, 1.5, 2.0)))
            v = int(min(max(v, lo), hi))
            if v == current:
                v = int(min(max(current + (1 if current < hi else -1), lo), hi))
            return v
        step = p.step or 0.1
        return _snap(current + rng.choice((-1, 1)) * rng.randint(1, 5) * step, lo, hi, 0)
    if w.kind == "selectbox":
        others = [o for o in p.options if o != current]
        return rng.choice(others) if others else current
    if w.kind == "multiselect":
        cur = list(current)
        cap = p.max_selections or len(p.options)
        addable = [o for o in p.options if o not in cur]
        if addable and (len(cur) < 2 or (len(cur) < cap and rng.random() < 0.6)):
            return [*cur, rng.choice(addable)]
        cur.pop(rng.randrange(len(cur)))
        return cur
    raise TypeError(f"cannot move a {w.kind}")


MOVABLE = ("checkbox", "number_input", "slider", "selectbox", "multiselect")


def pick_move(session: Session, rng: random.Random) -> tuple[str, object] | None:
    """Which control to change next and to what: a page's own control (main area) half of the time,
    otherwise one of the sidebar controls a lesson uses; on the guide page, a preset button."""
    ws = session.widgets
    presets = [k for k, w in ws.items() if w.kind == "button" and k.startswith("preset_")]
    if presets:
        return rng.choice(presets), True
    local = [k for k, w in ws.items() if not w.in_sidebar and w.kind in MOVABLE
             and k not in SKIP_KEYS and not w.proto.disabled]
    shared = [k for k in SHARED_MOVES if k in ws and not ws[k].proto.disabled]
    pool = local if local and (not shared or rng.random() < 0.5) else shared
    if not pool:
        return None
    key = rng.choice(pool)
    return key, next_value(ws[key], session.current(key), rng)


# ---------------------------------------------------------------------------
# A lesson, and a level of N sessions
# ---------------------------------------------------------------------------


async def lesson(session: Session, rng: random.Random, think: tuple[float, float],
                 changes: tuple[int, ...] = (2, 2, 1)) -> None:
    """Open a link, then for each page of ``changes``: change that many controls, then follow the
    link to the next page of the lesson path (the last page has no switch after it)."""
    page, query = OPENING_LINKS[session.index % len(OPENING_LINKS)]
    await session.connect()
    r = await session.open(page, query)
    if r.status in ("timeout", "connection"):
        return
    for n_page, n_changes in enumerate(changes):
        for _ in range(n_changes):
            await asyncio.sleep(rng.uniform(*think))
            move = pick_move(session, rng)
            if move is None:
                continue
            r = await session.set(*move)
            if r.status in ("timeout", "connection"):
                return
        if n_page == len(changes) - 1:
            break
        await asyncio.sleep(rng.uniform(*think))
        here = session.page if session.page in LESSON_PATH else ""
        target = LESSON_PATH[(LESSON_PATH.index(here) + 1) % len(LESSON_PATH)]
        r = await session.switch(target)
        if r.status in ("timeout", "connection"):
            return


def run_async(make_coro):
    """``asyncio.run(make_coro())`` in a thread of its own, so that it works whatever event loop the
    calling thread holds (e.g. Playwright's sync API in the same pytest process)."""
    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(make_coro())
        except BaseException as err:  # handed back to the caller
            result["error"] = err

    worker = threading.Thread(target=target, name="load-asyncio")
    worker.start()
    worker.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def percentile(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass
class LevelResult:
    sessions: int
    sessions_completed: int  # every planned run finished without error
    runs: int
    runs_ok: int
    latency_p50: float | None
    latency_p95: float | None
    latency_max: float | None
    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float  # all sessions still connected, right after the last run
    rss_after_close_mb: float  # 3 s after every session disconnected
    exceptions: int  # runs with an exception element / compile error / page not found
    error_alerts: int  # runs showing an st.error
    charts_without_data: int  # runs that drew a chart whose data did not arrive
    connection_errors: int
    timeouts: int
    wall_s: float
    server_cpu_s: float
    mb_received: float
    load_before: tuple
    load_after: tuple
    server_died: bool = False  # the server stopped during the level (not by this script)
    attempts: int = 1
    per_page: dict = field(default_factory=dict)
    per_action: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    chart_problems: list = field(default_factory=list)
    runs_detail: list = field(default_factory=list)


def _lat_summary(rs: list[RunResult]) -> dict:
    lat = [r.latency for r in rs if r.ok and r.latency is not None]
    return {"runs": len(rs), "ok": sum(r.ok for r in rs), "p50": percentile(lat, 0.5),
            "p95": percentile(lat, 0.95), "max": max(lat) if lat else None,
            "mean_kb": statistics.fmean(r.bytes for r in rs) / 1024 if rs else None}


async def _run_level(port: int | None, n: int, think: tuple[float, float], ramp: float, seed: int,
                     rerun_timeout: float, level_timeout: float,
                     changes: tuple[int, ...] = (2, 2, 1), url: str | None = None) -> tuple[list[Session], list[str]]:
    sessions = [Session(port, i, rerun_timeout, url=url) for i in range(n)]
    problems: list[str] = []

    async def one(s: Session) -> None:
        rng = random.Random(seed * 100_003 + s.index)
        await asyncio.sleep(rng.uniform(0, ramp) if n > 1 else 0)
        try:
            await lesson(s, rng, think, changes)
            s.finished = True
        except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed, TimeoutError) as err:
            s.runs.append(RunResult(s.index, len(s.runs), "connect", s.page, repr(err)[:200],
                                    time.perf_counter() - s.t0, None, "connection"))
        except Exception as err:  # a bug in this script: report, do not hide
            problems.append(f"session {s.index}: {type(err).__name__}: {err}")
            s.runs.append(RunResult(s.index, len(s.runs), "client-error", s.page, repr(err)[:200],
                                    time.perf_counter() - s.t0, None, "client_error"))

    t0 = time.perf_counter()
    for s in sessions:
        s.t0 = t0
    tasks = [asyncio.create_task(one(s)) for s in sessions]
    _, pending = await asyncio.wait(tasks, timeout=level_timeout)
    for t in pending:
        t.cancel()
    if pending:
        problems.append(f"level time limit ({level_timeout:.0f} s): {len(pending)} sessions cancelled")
        await asyncio.gather(*pending, return_exceptions=True)
    return sessions, problems


async def warm_up(port: int | None, rerun_timeout: float = RERUN_TIMEOUT, url: str | None = None) -> None:
    """The teacher's check before class: one session opens every page of the lesson path at its
    defaults (the server imports each page's modules and computes the default views). Through a
    proxy (``url``) that warms the one replica this session lands on."""
    s = Session(port, 10_000, rerun_timeout, url=url)
    await s.connect()
    for page in LESSON_PATH:
        await s.open(page, "")
    await s.close()


@dataclass
class External:
    """An address this script did not start (``--url``), and the process whose tree is measured."""

    url: str
    pid: int | None
    port: int | None = None

    def alive(self) -> bool:
        return self.pid is None or psutil.pid_exists(self.pid)

    def log_tail(self, n: int = 30) -> str:
        return ""


@contextlib.contextmanager
def target(app_dir: Path, url: str | None, pid: int | None):
    """A fresh server of this script's own, or the running address ``url`` (memory: ``pid``'s tree)."""
    if url is None:
        with running_server(app_dir) as srv:
            yield srv
    else:
        yield External(url, pid)


def run_level(n: int, app_dir: Path = ROOT, think=(1.0, 3.0), ramp: float = 5.0, seed: int = 0,
              rerun_timeout: float = RERUN_TIMEOUT, level_timeout: float = LEVEL_TIMEOUT,
              keep_runs: bool = False, changes: tuple[int, ...] = (2, 2, 1),
              warm: bool = False, url: str | None = None, pid: int | None = None) -> LevelResult:
    """A fresh server, ``n`` sessions following ``lesson`` at once, measured. ``warm``: after
    ``warm_up`` (not measured), as a server that is already running when the class starts.
    ``url``: drive that running address instead (memory and CPU of ``pid``'s process tree, 0 without)."""
    with target(app_dir, url, pid) as srv:
        if warm:
            run_async(lambda: warm_up(srv.port, rerun_timeout, url=url))
        load_before = os.getloadavg()
        mem_pid = srv.pid or 0  # 0: nothing to measure (--url without --pid)
        rss_start = rss_tree(mem_pid)
        cpu0 = cpu_seconds(mem_pid) if mem_pid else 0.0
        t0 = time.perf_counter()
        with MemoryMonitor(mem_pid) as mon:
            async def main():
                sessions, problems = await _run_level(srv.port, n, think, ramp, seed,
                                                      rerun_timeout, level_timeout, changes, url=url)
                rss_end = rss_tree(mem_pid)
                await asyncio.gather(*(s.close() for s in sessions))
                return sessions, problems, rss_end
            sessions, problems, rss_end = run_async(main)
            wall = time.perf_counter() - t0
            time.sleep(3.0)
            rss_closed = rss_tree(mem_pid)
        cpu = cpu_seconds(mem_pid) - cpu0 if mem_pid else 0.0
        died = not srv.alive()
        if died:
            code = srv.proc.returncode if hasattr(srv, "proc") else "?"
            problems.append(f"the server stopped during the level (exit {code}; "
                            f"a signal from outside this script?):\n{srv.log_tail(8)}")
        load_after = os.getloadavg()
    runs = [r for s in sessions for r in s.runs]
    planned_ok = [s for s in sessions if s.finished and s.runs and all(r.ok for r in s.runs)]
    errors = [f"session {r.session} run {r.index} ({r.action} {r.detail}) on /{r.page}: {r.status}: "
              + "; ".join(r.exceptions)[:400] for r in runs if not r.ok] + problems
    alerts = [f"session {r.session} run {r.index} on /{r.page}: {a[:200]}" for r in runs for a in r.error_alerts]
    by_page: dict[str, list[RunResult]] = {}
    by_action: dict[str, list[RunResult]] = {}
    for r in runs:
        by_page.setdefault(r.page, []).append(r)
        by_action.setdefault(r.action, []).append(r)
    lat = [r.latency for r in runs if r.ok and r.latency is not None]
    res = LevelResult(
        sessions=n, sessions_completed=len(planned_ok), runs=len(runs), runs_ok=sum(r.ok for r in runs),
        latency_p50=percentile(lat, 0.5), latency_p95=percentile(lat, 0.95),
        latency_max=max(lat) if lat else None,
        rss_start_mb=rss_start / 2**20, rss_peak_mb=max(mon.peak, rss_end) / 2**20,
        rss_end_mb=rss_end / 2**20, rss_after_close_mb=rss_closed / 2**20,
        exceptions=sum(r.status in ("exception", "compile_error", "page_not_found") for r in runs),
        error_alerts=sum(bool(r.error_alerts) for r in runs),
        charts_without_data=sum(bool(r.chart_problems) for r in runs),
        connection_errors=sum(r.status in ("connection", "client_error") for r in runs),
        timeouts=sum(r.status == "timeout" for r in runs),
        wall_s=wall, server_cpu_s=cpu, mb_received=sum(r.bytes for r in runs) / 2**20,
        load_before=tuple(round(x, 2) for x in load_before),
        load_after=tuple(round(x, 2) for x in load_after),
        per_page={(p or "home"): _lat_summary(rs) for p, rs in sorted(by_page.items())},
        per_action={a: _lat_summary(rs) for a, rs in sorted(by_action.items())},
        errors=errors + [f"st.error: {a}" for a in alerts],
        chart_problems=[f"session {r.session} run {r.index} ({r.action} {r.detail}) on /{r.page}: "
                        + "; ".join(r.chart_problems) for r in runs if r.chart_problems],
        runs_detail=[asdict(r) for r in runs] if keep_runs else [],
        server_died=died,
    )
    return res


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _s(x: float | None, unit: str = " s", nd: int = 2) -> str:
    return "—" if x is None else f"{x:.{nd}f}{unit}"


def markdown_table(results: list[LevelResult]) -> str:
    head = ("| N sessions | runs ok / asked | sessions clean | p50 | p95 | max | RSS peak | RSS end "
            "| exceptions | charts without data | st.error | conn. errors | timeouts | wall "
            "| server CPU (per run) | load avg before → after |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for r in results:
        rows.append(
            f"| {r.sessions} | {r.runs_ok} / {r.runs} | {r.sessions_completed} / {r.sessions} "
            f"| {_s(r.latency_p50)} | {_s(r.latency_p95)} | {_s(r.latency_max)} "
            f"| {r.rss_peak_mb:.0f} MB | {r.rss_end_mb:.0f} MB ({r.rss_after_close_mb:.0f} after close) "
            f"| {r.exceptions} | {r.charts_without_data} | {r.error_alerts} | {r.connection_errors} | {r.timeouts} "
            f"| {r.wall_s:.0f} s | {r.server_cpu_s:.0f} s = {100 * r.server_cpu_s / max(r.wall_s, 1e-9):.0f}% "
            f"of a core ({r.server_cpu_s / max(r.runs, 1):.2f} s) "
            f"| {r.load_before[0]:.1f} → {r.load_after[0]:.1f} |")
    return "\n".join([head, *rows])


def page_table(r: LevelResult) -> str:
    out = [f"Per page at N = {r.sessions} (page shown at the end of the run):", "",
           "| page | runs ok / asked | p50 | p95 | max | mean payload |", "|---|---|---|---|---|---|"]
    for page, d in r.per_page.items():
        out.append(f"| {page} | {d['ok']} / {d['runs']} | {_s(d['p50'])} | {_s(d['p95'])} | {_s(d['max'])} "
                   f"| {_s(d['mean_kb'], ' KB', 0)} |")
    out += ["", "| action | runs ok / asked | p50 | p95 | max |", "|---|---|---|---|---|"]
    for a, d in r.per_action.items():
        out.append(f"| {a} | {d['ok']} / {d['runs']} | {_s(d['p50'])} | {_s(d['p95'])} | {_s(d['max'])} |")
    return "\n".join(out)


def environment() -> dict:
    import streamlit

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except OSError:
            return ""
    return {"python": platform.python_version(), "streamlit": streamlit.__version__,
            "websockets": websockets.__version__, "cpus": os.cpu_count(),
            "machine": platform.machine(), "loadavg": tuple(round(x, 2) for x in os.getloadavg()),
            "repo_head": git("rev-parse", "--short=10", "HEAD")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", default="1,10,30,60", help="session counts, comma separated")
    ap.add_argument("--think", default="1,3", help="think time between actions, uniform MIN,MAX s")
    ap.add_argument("--ramp", type=float, default=5.0, help="sessions start spread over this many s")
    ap.add_argument("--seed", type=int, default=0, help="seed of the lessons' choices")
    ap.add_argument("--warm", action="store_true",
                    help="before each level, one session opens every page (not measured): a server "
                         "already running when the class starts")
    ap.add_argument("--attempts", type=int, default=2,
                    help="repeat a level whose server was stopped from outside (up to this many tries)")
    ap.add_argument("--rerun-timeout", type=float, default=RERUN_TIMEOUT)
    ap.add_argument("--level-timeout", type=float, default=LEVEL_TIMEOUT)
    add_app_args(ap)
    ap.add_argument("--url", help="drive this running address (e.g. deploy/classroom.py's proxy) instead of "
                                  "starting a server per level")
    ap.add_argument("--pid", type=int, help="with --url: report the memory and CPU of this process and its "
                                            "children (e.g. the classroom launcher's pid)")
    ap.add_argument("--json", type=Path, help="save every result (and every run) here")
    args = ap.parse_args(argv)
    if args.url and (args.app_dir or args.snapshot):
        ap.error("--url drives a running address: --app-dir/--snapshot do not apply")
    if args.pid and not args.url:
        ap.error("--pid needs --url (without it the measured server is the one this script starts)")
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    think = tuple(float(x) for x in args.think.split(","))
    app_dir, app = resolve_app(args) if not args.url else (ROOT, f"running at {args.url} (pid {args.pid})")
    env = {**environment(), "app": app}
    print(f"# Load test: {env}", flush=True)
    print(f"# lesson: open a link, 2 changes, switch, 2 changes, switch, 1 change (8 runs); think "
          f"{think[0]:g}-{think[1]:g} s; ramp {args.ramp:g} s; "
          + ("the running address, not restarted between levels" if args.url else "a fresh server per level")
          + (", warmed up (every page opened once, not measured)" if args.warm else "") + "\n", flush=True)
    results = []
    for n in levels:
        for attempt in range(1, args.attempts + 1):
            print(f"## N = {n} ..." + (f" (attempt {attempt})" if attempt > 1 else ""), flush=True)
            r = run_level(n, app_dir, think, args.ramp, args.seed, args.rerun_timeout,
                          args.level_timeout, keep_runs=bool(args.json), warm=args.warm,
                          url=args.url, pid=args.pid)
            r.attempts = attempt
            if not r.server_died:
                break
            print("   ! the server stopped during the level: " + r.errors[-1].splitlines()[0], flush=True)
        results.append(r)
        print(markdown_table([r]).splitlines()[-1], flush=True)
        for e in (r.errors + r.chart_problems)[:10]:
            print("   !", e, flush=True)
    print()
    print(markdown_table(results))
    for r in results:
        print()
        print(page_table(r))
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "args": {k: str(v) for k, v in vars(args).items()},
                                         "levels": [asdict(r) for r in results]}, indent=1))
        print(f"\nsaved {args.json}")
    errors = sum(r.exceptions + r.connection_errors + r.timeouts + r.charts_without_data for r in results)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
