#!/usr/bin/env python
"""Hostile links: what one crafted URL costs the shared server, and what it does to other students.

The hosted demo is public, so anyone can craft a link. For each case (a page path and a query
string) this script starts a fresh ``streamlit run dashboard.py`` (as ``load.py`` does; ``--app-dir``
or ``--snapshot REV`` measure another checkout, so "before" and "after" use the same cases), opens
the link in one browser-less websocket session and measures:

* **wall**: send -> the run's final ``script_finished``, with a time limit per case (``--limit``,
  default 120 s); a run still going then is "over the limit", and the server is stopped (the next
  case gets a fresh one, as every case does);
* **CPU**: seconds of the Streamlit process and, apart, of its children (the engine workers and
  multiprocessing's resource tracker) during the case (psutil, user + system; the ordinary view's
  reruns below are included, a few tenths of a second each: ``--no-ordinary`` leaves them out);
* **memory**: peak resident set of the server + children, sampled every 0.1 s (also each apart);
* **what the page showed**: exceptions, ``st.error`` alerts, notices (``st.warning``), a notice
  whose markdown carries a live link or image (markdown injection: a link text that reads like
  the app's own message), and contour maps drawn blank (every cell the same shade);
* **another student meanwhile**: a second session shows Trajectories at its defaults and, every
  second while the case runs, moves its seed (a new view: the engine computes it, as for a student
  working through the lesson); reported as the max and p95 wait of those reruns, and their
  median before the case (baseline). A rerun still waiting when the case ends counts with the
  time it had waited so far (a lower bound, marked ">=").

The memory case opens, on one fresh server, 16 links (16 tabs, one after the other) of the
heaviest sparse Loss-curves view, each with its own data seed, and reports the resident set after
the first, the peak, the end, and after ``--idle`` seconds with every tab closed. Its number of
steps is the largest the app accepts (found first, on a separate server, by bisection with one
optimiser: a refused view shows an error at once).

    python benchmarks/hostile.py --quick                   # a few cheap cases (smoke run)
    python benchmarks/hostile.py --limit 60 --json out.json
    python benchmarks/hostile.py --cases lrs_div,memory --snapshot HEAD~3
    python benchmarks/hostile.py --list                    # the cases and their links
    python benchmarks/hostile.py --functions               # the typed functions' tree sizes

The typed functions (``DIV``, ``POW``, ``HESS`` below) are built to cost the most that the parser's
limits allow (``engine.expr``: 200 characters, 120 nodes, 24 levels). Evaluating a function walks
its derivative trees node by node, one numpy call per node, so the cost of a gradient is the size
of its trees, and the Hessian (built when the function is parsed) is the derivative of those.
The only traffic is to 127.0.0.1; every server is this script's own and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import psutil
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

ALL_OPTIMIZERS = "sgd,momentum,nesterov,adagrad,rmsprop,adam"


def _alternate(n: int) -> str:
    return "/".join("xy"[i % 2] for i in range(n))


# The function (128 characters, at the 120-node limit): f is log(x) (the minimum search,
# L-BFGS-B from 4 starts, runs to scipy's cap of 15,000 evaluations per start on it), and the
# factor (x-x), which the simplifier does not fold, keeps a 57-leaf division chain in every
# derivative: the gradient trees have 3,900 nodes, the Hessian 237,000.
DIV = "log(x)+(x-x)*(" + _alternate(57) + ")"
# A chain of 21 powers with non-constant exponents on a 33-leaf division chain (162 characters,
# 120 nodes, 23 levels): d(a^b) = a^b (b' log a + b a'/a) copies its base three times, so the
# gradient trees reach 10,700 nodes (2.8x DIV's) and the Hessian 1.26 million. Its minimum
# search stops early (its gradient is not finite left of x = 0): the runs are its cost.
POW = "log(x)+(x-x)*" + "(" * 21 + _alternate(33) + "".join(")^" + "xy"[i % 2] for i in range(21))
# The largest Hessian found (165 characters): 23 powers on a 37-leaf chain; gradient 13,000
# nodes, Hessian 1.68 million (parsing it, which builds the Hessian, takes seconds of a core).
HESS = "(" * 23 + _alternate(37) + "".join(")^" + "xy"[i % 2] for i in range(23))
TYPED = {"DIV": DIV, "POW": POW, "HESS": HESS}

MEMORY_LINKS = 16
MEMORY_PARAMS = {"f": "sparse", "f.dim": 200, "f.n_samples": 20000, "f.batch_size": 256, "seeds": 50,
                 "opt": ALL_OPTIMIZERS}


def query(params: dict) -> str:
    """A query string as a browser sends it (``+``, ``^``, spaces and brackets encoded)."""
    return urlencode(params, quote_via=quote, safe=",()*/")


@dataclass(frozen=True)
class Case:
    name: str
    page: str  # URL path
    params: dict
    what: str  # what the case tries
    kind: str = "view"  # "view" or "memory"
    quick: bool = False  # in the --quick set

    @property
    def query(self) -> str:
        return query(self.params)

    @property
    def link(self) -> str:
        return f"/{self.page}?{self.query}" if self.params else f"/{self.page}"


def _custom(expr: str, **more) -> dict:
    return {"f": "custom", "f.expr": expr, **more}


LRS_MAX = {"lrs.points": 60, "lrs.seeds": 20, "steps": 5000, "opt": ALL_OPTIMIZERS}
HM_MAX = {"hm.n": 40, "hm.seeds": 10, "hm.steps": 5000, "opt": ALL_OPTIMIZERS}
CASES: tuple[Case, ...] = (
    Case("lrs_div", "LR_sensitivity", _custom(DIV, **LRS_MAX),
         "the issue's 128-character function, LR sensitivity at the page's maximum settings"),
    Case("lrs_pow", "LR_sensitivity", _custom(POW, **LRS_MAX),
         "the largest gradient trees (POW), LR sensitivity at the maximum settings"),
    Case("traj_div", "Trajectories", _custom(DIV), "the issue's function, Trajectories at default settings"),
    Case("traj_pow", "Trajectories", _custom(POW), "POW, Trajectories at default settings"),
    Case("loss_div", "Loss_curves", _custom(DIV, seeds=50, steps=5000, opt=ALL_OPTIMIZERS),
         "the issue's function, Loss curves at the maximum settings"),
    Case("sched_div", "Schedules", _custom(DIV, steps=5000, opt=ALL_OPTIMIZERS, clip="norm"),
         "the issue's function, Schedules (every run twice) at the maximum settings"),
    Case("bias_div", "Bias_correction", _custom(DIV, steps=5000, first=1000),
         "the issue's function, Bias correction (a replay, a sweep) at the maximum settings"),
    Case("lr_div", "Learning_rates", _custom(DIV, steps=5000, opt=ALL_OPTIMIZERS),
         "the issue's function, Learning rates at the maximum settings"),
    # From (1, 1), where both are finite (from the default start they raise so_logx's traceback).
    Case("so_hess", "Second_order", _custom(HESS, start="1,1", **{"so.iter": 5000}),
         "the largest Hessian (HESS), Second order (Newton-CG evaluates it) at 5000 iterations"),
    Case("so_div", "Second_order", _custom(DIV, start="1,1", **{"so.iter": 5000}),
         "the issue's function, Second order at 5000 iterations"),
    Case("lrs_sparse", "LR_sensitivity", {"f": "sparse", "f.dim": 200, "f.batch_size": 256, **LRS_MAX},
         "hours of computing on the 200-parameter sparse problem: the work cap should refuse it", quick=True),
    Case("hm_div", "Hyperparameter_maps", _custom(DIV, **HM_MAX),
         "the issue's function, Hyperparameter maps (40 x 40 cells x 10 seeds per optimiser) at the maximum "
         "settings"),
    Case("hm_sparse", "Hyperparameter_maps", {"f": "sparse", "f.dim": 200, "f.batch_size": 256, **HM_MAX},
         "the 200-parameter sparse problem on every map at the maximum settings: the work cap should refuse it"),
    Case("so_logx", "Second_order", _custom("log(x)"), "a typed function not finite at the start"),
    Case("so_xpowy", "Second_order", _custom("x^y"), "a typed function not finite at the start"),
    Case("so_sqrt", "Second_order", _custom("sqrt(x)+y^2"), "a typed function not finite at the start",
         quick=True),
    Case("map_sqrt", "Trajectories", _custom("sqrt(x)+y^2", start="1,1"),
         "a typed function NaN in part of the box (finite at the start)", quick=True),
    Case("notice_link", "Trajectories", {"opt": "[Your session expired: log in again](http://example.invalid/login)"},
         "markdown link injected into a link notice", quick=True),
    Case("notice_image", "Trajectories", {"opt": "![t](http://example.invalid/track.png)"},
         "markdown image (a tracking pixel) injected into a link notice", quick=True),
    Case("notice_key", "Trajectories", {"x`[log in](http://example.invalid/login)`": "1"},
         "markdown link injected through a parameter's name"),
    Case("memory", "Loss_curves", MEMORY_PARAMS,
         f"{MEMORY_LINKS} links of the heaviest sparse Loss-curves view, each with its own data seed",
         kind="memory"),
)
CASE_BY_NAME = {c.name: c for c in CASES}

ORDINARY_PAGE = "Trajectories"  # the other student's view (defaults), its seed moved every second


# ---------------------------------------------------------------------------
# What a run showed
# ---------------------------------------------------------------------------


class _Recorder:
    """The session's websocket, keeping every message received (for ``shown``)."""

    def __init__(self, ws):
        self._ws = ws
        self.messages: list[bytes] = []

    async def recv(self):
        data = await self._ws.recv()
        self.messages.append(data)
        return data

    def __getattr__(self, name):
        return getattr(self._ws, name)


class RecordingSession(load.Session):
    async def connect(self) -> None:
        await super().connect()
        self.ws = _Recorder(self.ws)

    def take_messages(self) -> list[bytes]:
        out, self.ws.messages = self.ws.messages, []
        return out


_CODE_SPAN = re.compile(r"`[^`]*`")
_LIVE_LINK = re.compile(r"(?<!\\)!?\[[^\]]*\]\(\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def live_links(markdown: str) -> list[str]:
    """Markdown links or images in ``markdown`` that would be rendered live (outside code spans,
    not escaped)."""
    text = _CODE_SPAN.sub("", markdown)
    return [m.group(0) for m in _LIVE_LINK.finditer(text)]


def _contour_summary(columns: dict) -> dict | None:
    if "levels" in columns and "url" in columns:  # the map's shading as one image, with what it shows
        levels, undefined = columns["levels"][0], columns["undefined"][0]
        return {"cells": None, "levels": levels, "cells_without_f": undefined, "blank": levels <= 1}
    level = columns.get("level")
    if level is None:
        return None
    values = [v for v in level if v is not None]
    f = columns.get("f", [])
    return {"cells": len(level), "levels": len(set(values)), "cells_without_f": sum(v is None for v in f),
            "blank": len(set(values)) <= 1}


def _arrow_columns(data: bytes) -> dict:
    import pyarrow as pa

    table = pa.ipc.open_stream(data).read_all()
    return {name: table.column(name).to_pylist() for name in table.column_names if name in ("level", "f")}


def contour_maps(kind: str, proto) -> list[dict]:
    """A summary of each contour layer's data in a chart (the shading's image row, or a dataset with
    a ``level`` column)."""
    out = []
    try:
        if kind == "vega_lite_chart":
            spec = json.loads(proto.spec) if proto.spec else {}
            sets = [d.get("columns", {}) if isinstance(d, dict) else {} for d in (spec.get("datasets") or {}).values()]
            sets += [_arrow_columns(d.data.data) for d in proto.datasets]
        else:
            spec = load.component_spec(proto) or {}
            sets = [d.get("columns", {}) if isinstance(d, dict) else {} for d in (spec.get("datasets") or {}).values()]
    except (ValueError, KeyError, AttributeError, ImportError) as err:
        return [{"problem": f"unreadable chart: {err}"}]
    for columns in sets:
        summary = _contour_summary(columns)
        if summary is not None:
            out.append(summary)
    return out


def shown(messages: list[bytes]) -> dict:
    """Exceptions, alerts (by kind), notices with live markdown links, and contour maps of a run's
    messages (from its last ``new_session`` on, as the page shows them)."""
    out = {"exceptions": [], "errors": [], "warnings": [], "infos": [], "live_links": [], "maps": []}
    for data in messages:
        m = ForwardMsg()
        m.ParseFromString(data)
        kind = m.WhichOneof("type")
        if kind == "new_session":
            out = {k: [] for k in out}
        if kind != "delta" or m.delta.WhichOneof("type") != "new_element":
            continue
        el = m.delta.new_element
        et = el.WhichOneof("type")
        proto = getattr(el, et)
        if et == "exception" and not proto.is_warning:
            first = (proto.stack_trace[-1].strip() if proto.stack_trace else "")[:160]
            out["exceptions"].append(f"{proto.type}: {proto.message[:300]}" + (f" (at {first})" if first else ""))
        elif et == "alert":
            body = proto.body
            if proto.format == Alert.ERROR:
                out["errors"].append(body[:400])
            elif proto.format == Alert.WARNING:
                out["warnings"].append(body[:400])
            elif proto.format == Alert.INFO:
                out["infos"].append(body[:100])
            out["live_links"] += live_links(body)
        elif et in ("vega_lite_chart", "bidi_component"):
            out["maps"] += contour_maps(et, proto)
    out["notices"] = [w for w in out["warnings"] if w.startswith("The link")]
    return out


# ---------------------------------------------------------------------------
# The server, watched
# ---------------------------------------------------------------------------


def _own(pid: int) -> tuple[int, float]:
    """(resident bytes, CPU seconds) of one process."""
    try:
        p = psutil.Process(pid)
        t = p.cpu_times()
        return p.memory_info().rss, t.user + t.system
    except psutil.Error:
        return 0, 0.0


def children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def usage(pid: int) -> dict:
    """Resident bytes and CPU seconds of the server and (summed) of its children, now."""
    rss, cpu = _own(pid)
    c_rss, c_cpu = 0, 0.0
    for c in children(pid):
        with contextlib.suppress(psutil.Error):
            c_rss += c.memory_info().rss
            t = c.cpu_times()
            c_cpu += t.user + t.system
    return {"rss": rss, "cpu": cpu, "children_rss": c_rss, "children_cpu": c_cpu}


class Watch:
    """Samples the server's and its children's resident sets every ``interval`` s, in a thread.
    CPU is read at ``__enter__`` and at ``stop`` (children that exited meanwhile are not counted)."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.peak = {"total": 0, "server": 0, "children": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="hostile-watch")

    def _sample(self) -> None:
        u = usage(self.pid)
        for k, v in (("total", u["rss"] + u["children_rss"]), ("server", u["rss"]), ("children", u["children_rss"])):
            self.peak[k] = max(self.peak[k], v)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> Watch:
        self.start = usage(self.pid)
        self._thread.start()
        return self

    def stop(self) -> dict:
        """CPU seconds since ``__enter__``: (server, children); stops the sampling."""
        end = usage(self.pid)
        self._sample()
        self._stop.set()
        self._thread.join(5)
        self.end = end
        return {"server_cpu_s": end["cpu"] - self.start["cpu"],
                "children_cpu_s": max(end["children_cpu"] - self.start["children_cpu"], 0.0)}

    def __exit__(self, *exc) -> None:
        self._stop.set()


@contextlib.contextmanager
def server(app_dir: Path):
    """A fresh server (``load.running_server``); on exit, also any of its children still alive
    after it stopped (an engine worker in a long job), by their process ids."""
    kids: list[psutil.Process] = []
    try:
        with load.running_server(app_dir) as srv:
            try:
                yield srv
            finally:
                kids = children(srv.pid)
    finally:
        _, alive = psutil.wait_procs(kids, timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()


# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------


@dataclass
class Ordinary:
    """The other student's reruns."""

    baseline: list = field(default_factory=list)  # s, before the case
    waits: list = field(default_factory=list)  # s, finished during the case
    pending: float | None = None  # s waited by a rerun still unfinished when the case ended
    failures: list = field(default_factory=list)

    def summary(self) -> dict:
        waits = self.waits + ([self.pending] if self.pending is not None else [])
        return {"reruns": len(self.waits), "max_s": max(waits) if waits else None,
                "p95_s": load.percentile(waits, 0.95), "max_is_lower_bound": self.pending is not None
                and self.pending >= max(self.waits, default=0.0),
                "baseline_median_s": statistics.median(self.baseline) if self.baseline else None,
                "failures": self.failures}


async def _ordinary_prepare(port: int, o: Ordinary, limit: float) -> tuple[RecordingSession, int]:
    s = RecordingSession(port, 1, rerun_timeout=limit)
    await s.connect()
    r = await s.open(ORDINARY_PAGE, "")  # first run after start: imports, the worker's first job
    s.take_messages()
    if not r.ok:
        o.failures.append(f"open: {r.status} {r.exceptions[:1]}")
    seed = 0
    for _ in range(3):
        seed += 1
        r = await _move_seed(s, seed)
        if r is not None and r.ok:
            o.baseline.append(r.latency)
    return s, seed


async def _move_seed(s: RecordingSession, seed: int):
    if "w:seed" not in s.widgets:
        return await s.rerun("rerun", "same")
    r = await s.set("w:seed", seed)
    s.take_messages()
    return r


async def _ordinary_loop(s: RecordingSession, seed: int, o: Ordinary, done: asyncio.Event) -> None:
    """A rerun with a new seed every second (or right after the previous one, if it took longer)
    until ``done``."""
    while not done.is_set():
        t0 = time.perf_counter()
        seed += 1
        task = asyncio.ensure_future(_move_seed(s, seed))
        while not task.done():
            await asyncio.wait([task], timeout=0.1)
            if done.is_set() and not task.done():
                o.pending = time.perf_counter() - t0  # the case is over: this one is still waiting
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                return
        r = task.result()
        if r.ok and r.latency is not None:
            o.waits.append(r.latency)
        else:
            o.failures.append(f"{r.status}: {r.exceptions[:1]}")
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), max(0.0, 1.0 - (time.perf_counter() - t0)))


def run_case(case: Case, app_dir: Path, limit: float, ordinary: bool = True, log=print) -> dict:
    """One case on a fresh server: the link opened, with the ordinary view alongside."""
    res: dict = {"case": case.name, "page": case.page, "link": case.link, "what": case.what,
                 "limit_s": limit, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    with server(app_dir) as srv:
        res["server_start_s"] = round(srv.healthy - srv.launched, 2)

        async def main():
            o = Ordinary()
            probe = seed = None
            if ordinary:
                probe, seed = await _ordinary_prepare(srv.port, o, limit)
            s = RecordingSession(srv.port, 0, rerun_timeout=limit)
            await s.connect()
            done = asyncio.Event()
            with Watch(srv.pid) as watch:
                loop = asyncio.ensure_future(_ordinary_loop(probe, seed, o, done)) if probe else None
                r = await s.open(case.page, case.query)
                done.set()
                if loop is not None:
                    await loop
                cpu = watch.stop()
            out = {"status": r.status, "wall_s": r.latency, "chained_runs": r.chained_runs, **cpu,
                   "peak_rss_mb": watch.peak["total"] / 2**20, "peak_server_rss_mb": watch.peak["server"] / 2**20,
                   "peak_children_rss_mb": watch.peak["children"] / 2**20,
                   "rss_before_mb": (watch.start["rss"] + watch.start["children_rss"]) / 2**20,
                   "shown": shown(s.take_messages()), "ordinary": o.summary() if probe else None,
                   "bytes": r.bytes}
            await s.close()
            if probe is not None:
                await probe.close()
            return out

        try:
            res.update(load.run_async(main))
        except (OSError, load.websockets.ConnectionClosed, load.websockets.InvalidHandshake) as err:
            res.update(status="connection", problem=f"{type(err).__name__}: {err}")
        res["server_alive"] = srv.alive()
        if not srv.alive():
            res["server_log_tail"] = srv.log_tail(12)
    res["over_limit"] = res.get("status") == "timeout"
    res["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    log(row(res), flush=True)
    return res


# ---------------------------------------------------------------------------
# The memory case
# ---------------------------------------------------------------------------


def _refused(sh: dict) -> bool:
    return bool(sh["errors"]) or bool(sh["exceptions"])


def largest_steps(app_dir: Path, limit: float, log=print) -> tuple[int | None, list]:
    """The largest number of steps (10..2000, the page's default at most) for which the memory
    link is accepted, by bisection on a server of its own, with the link's own optimisers (the
    budget counts the whole view) and a data seed not used by the measurement. Each try uses its
    own data seed, so no try is accepted because an earlier one left its runs in the cache."""
    tried = []
    with server(app_dir) as srv:
        async def accepted(steps: int) -> bool:
            s = RecordingSession(srv.port, 0, rerun_timeout=limit)
            await s.connect()
            params = {**MEMORY_PARAMS, "f.data_seed": 9000 + len(tried), "steps": steps}
            r = await s.open("Loss_curves", query(params))
            sh = shown(s.take_messages())
            await s.close()
            ok = r.ok and not _refused(sh)
            tried.append({"steps": steps, "accepted": ok, "status": r.status, "wall_s": r.latency,
                          "errors": sh["errors"][:1], "notices": sh["notices"][:3]})
            log(f"    steps={steps}: {'accepted' if ok else 'refused'} ({r.status}, "
                f"{r.latency or 0:.1f} s) {(sh['errors'] or sh['exceptions'] or [''])[0][:120]}", flush=True)
            return ok

        async def bisect():
            if await accepted(2000):
                return 2000
            lo, hi = 10, 2000  # largest accepted in [lo, hi): lo accepted?
            if not await accepted(lo):
                return None
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if await accepted(mid):
                    lo = mid
                else:
                    hi = mid
            return lo

        steps = load.run_async(bisect)
    return steps, tried


def run_memory(case: Case, app_dir: Path, limit: float, links: int, idle: float, log=print) -> dict:
    res: dict = {"case": case.name, "page": case.page, "what": case.what, "limit_s": limit,
                 "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    log("  finding the largest accepted number of steps ...", flush=True)
    steps, tried = largest_steps(app_dir, limit, log)
    res["steps_search"] = tried
    res["steps"] = steps
    if steps is None:
        res.update(status="refused", link=Case("", case.page, {**case.params, "steps": 10}, "").link)
        log(memory_row(res), flush=True)
        return res
    params = {**case.params, "steps": steps} if steps != 2000 else dict(case.params)
    res["link"] = Case("", case.page, {**params, "f.data_seed": "K"}, "").link.replace("=K", "=<K>")
    per_link = []
    with server(app_dir) as srv:
        async def main():
            with Watch(srv.pid) as watch:
                for k in range(1, links + 1):
                    s = RecordingSession(srv.port, k, rerun_timeout=limit)
                    await s.connect()
                    r = await s.open(case.page, query({**params, "f.data_seed": k}))
                    sh = shown(s.take_messages())
                    await s.close()
                    u = usage(srv.pid)
                    per_link.append({"data_seed": k, "status": r.status, "wall_s": r.latency,
                                     "refused": _refused(sh), "errors": sh["errors"][:1],
                                     "exceptions": sh["exceptions"][:1], "notices": sh["notices"][:2],
                                     "server_rss_mb": u["rss"] / 2**20,
                                     "children_rss_mb": u["children_rss"] / 2**20,
                                     "peak_so_far_mb": watch.peak["total"] / 2**20})
                    log(f"    link {k}: {r.status} {r.latency or 0:.1f} s, server {u['rss'] / 2**20:.0f} MB + "
                        f"children {u['children_rss'] / 2**20:.0f} MB", flush=True)
                    if r.status != "ok":
                        break
                end = usage(srv.pid)
                await asyncio.sleep(idle)
                after = usage(srv.pid)
                cpu = watch.stop()
            return watch, end, after, cpu

        watch, end, after, cpu = load.run_async(main)
        res["server_alive"] = srv.alive()
    res.update(status="ok" if all(p["status"] == "ok" for p in per_link) else "failed", links=per_link,
               peak_rss_mb=watch.peak["total"] / 2**20, peak_server_rss_mb=watch.peak["server"] / 2**20,
               peak_children_rss_mb=watch.peak["children"] / 2**20,
               first_link_peak_mb=per_link[0]["peak_so_far_mb"] if per_link else None,
               end_server_rss_mb=end["rss"] / 2**20, end_children_rss_mb=end["children_rss"] / 2**20,
               idle_s=idle, idle_server_rss_mb=after["rss"] / 2**20,
               idle_children_rss_mb=after["children_rss"] / 2**20, **cpu,
               wall_s=sum(p["wall_s"] or 0 for p in per_link))
    res["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    log(memory_row(res), flush=True)
    return res


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _s(x, unit=" s", nd=1):
    return "—" if x is None else f"{x:.{nd}f}{unit}"


HEAD = ("| case | result | wall | server CPU | workers CPU | peak RSS (server + children) "
        "| exception | st.error | notices (live links) | maps | ordinary view: max / p95 (reruns; before) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|")


def row(r: dict) -> str:
    if "shown" not in r:
        return f"| {r['case']} | {r.get('status')}: {r.get('problem', '')[:80]} | | | | | | | | | |"
    sh = r["shown"]
    result = ("over the limit" if r["over_limit"] else "finished" if r["status"] == "ok" else r["status"])
    if not r.get("server_alive", True):
        result += ", server died"
    wall = f">{r['limit_s']:.0f} s" if r["over_limit"] else _s(r["wall_s"])
    exc = "; ".join(e[:90] for e in sh["exceptions"][:1]) or "no"
    err = "; ".join(e[:90] for e in sh["errors"][:1]) or "no"
    notes = f"{len(sh['notices'])}" + (f" ({len(sh['live_links'])}: `{sh['live_links'][0][:40]}`)"
                                       if sh["live_links"] else "")
    maps = ", ".join(("**blank**" if m.get("blank") else f"{m['levels']} levels")
                     + (f", {m['cells_without_f']} cells NaN" if m.get("cells_without_f") else "")
                     for m in sh["maps"] if "cells" in m) or "—"
    o = r.get("ordinary")
    if o:
        ge = ">=" if o["max_is_lower_bound"] else ""
        ordv = (f"{ge}{_s(o['max_s'])} / {_s(o['p95_s'])} ({o['reruns']}; {_s(o['baseline_median_s'], ' s', 2)})"
                + (f" {len(o['failures'])} failed" if o["failures"] else ""))
    else:
        ordv = "—"
    return (f"| {r['case']} | {result} | {wall} | {_s(r['server_cpu_s'])} | {_s(r['children_cpu_s'])} "
            f"| {r['peak_rss_mb']:.0f} MB ({r['peak_server_rss_mb']:.0f} + {r['peak_children_rss_mb']:.0f}) "
            f"| {exc} | {err} | {notes} | {maps} | {ordv} |")


MEMORY_HEAD = ("| case | links | steps (largest accepted) | result | wall (all links) | peak RSS: after the first "
               "link / overall (server + children) | end: server + children | idle after: server + children |\n"
               "|---|---|---|---|---|---|---|---|")


def memory_row(r: dict) -> str:
    if r.get("steps") is None or "links" not in r:
        return f"| {r['case']} | 0 | none accepted | {r.get('status')} | | | | |"
    return (f"| {r['case']} | {len(r['links'])} | {r['steps']} | {r['status']} | {_s(r['wall_s'], ' s', 0)} "
            f"| {_s(r['first_link_peak_mb'], ' MB', 0)} / {r['peak_rss_mb']:.0f} MB ({r['peak_server_rss_mb']:.0f} + "
            f"{r['peak_children_rss_mb']:.0f}) | {r['end_server_rss_mb']:.0f} + {r['end_children_rss_mb']:.0f} MB "
            f"| {r['idle_server_rss_mb']:.0f} + {r['idle_children_rss_mb']:.0f} MB ({r['idle_s']:.0f} s) |")


def markdown(results: list[dict]) -> str:
    views = [r for r in results if "idle_s" not in r and "steps_search" not in r]
    mem = [r for r in results if "steps_search" in r]
    out = []
    if views:
        out += [HEAD, *(row(r) for r in views)]
    if mem:
        out += ["", MEMORY_HEAD, *(memory_row(r) for r in mem)]
    out += ["", "Links:", ""]
    out += [f"- `{r['case']}`: `{r['link']}`" for r in results if r.get("link")]
    return "\n".join(out)


def function_sizes(app_dir: Path) -> list[dict]:
    """Tree sizes of the typed functions, with the engine of ``app_dir`` (parsed in this process)."""
    sys.path.insert(0, str(app_dir))
    from engine import expr

    out = []
    for name, text in TYPED.items():
        t0 = time.process_time()
        try:
            f = expr.parse_function(text)
        except ValueError as err:
            out.append({"name": name, "chars": len(text), "refused": str(err)})
            continue
        size = getattr(expr, "_size", None)
        d = {"name": name, "chars": len(text), "parse_cpu_s": round(time.process_time() - t0, 2)}
        if size is not None and hasattr(f, "grad_trees"):
            d.update(nodes=size(f.tree), grad_nodes=sum(size(t) for t in f.grad_trees),
                     hess_nodes=sum(size(t) for r in f.hess_trees for t in r))
        out.append(d)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", help=f"comma-separated case names (default: all): {', '.join(CASE_BY_NAME)}")
    ap.add_argument("--quick", action="store_true", help="only the cheap cases (a smoke run): "
                    + ", ".join(c.name for c in CASES if c.quick))
    ap.add_argument("--limit", type=float, default=120.0, help="time limit per case (per link in the memory case), s")
    ap.add_argument("--no-ordinary", action="store_true", help="no second session alongside the case")
    ap.add_argument("--memory-links", type=int, default=MEMORY_LINKS, help="links in the memory case")
    ap.add_argument("--idle", type=float, default=60.0, help="idle time before the memory case's last reading, s")
    ap.add_argument("--list", action="store_true", help="print the cases and their links, and exit")
    ap.add_argument("--functions", action="store_true", help="print the typed functions' tree sizes, and exit")
    ap.add_argument("--json", type=Path, help="save every result here")
    load.add_app_args(ap)
    args = ap.parse_args(argv)
    if args.list:
        for c in CASES:
            print(f"{c.name:13s} {c.what}\n              {c.link}")
        return 0
    if args.cases:
        unknown = [n for n in args.cases.split(",") if n.strip() not in CASE_BY_NAME]
        if unknown:
            ap.error(f"unknown case(s) {', '.join(unknown)}; --list shows them")
        cases = [CASE_BY_NAME[n.strip()] for n in args.cases.split(",") if n.strip()]
    else:
        cases = [c for c in CASES if c.quick or not args.quick]
    app_dir, app = load.resolve_app(args)
    if args.functions:
        for d in function_sizes(app_dir):
            print(d)
        return 0
    env = {**load.environment(), "app": app, "limit_s": args.limit}
    print(f"# Hostile links: {env}", flush=True)
    print(f"# {len(cases)} case(s), a fresh server each, limit {args.limit:g} s\n", flush=True)
    print(HEAD, flush=True)
    results = []
    for c in cases:
        if c.kind == "memory":
            results.append(run_memory(c, app_dir, args.limit, args.memory_links, args.idle))
        else:
            results.append(run_case(c, app_dir, args.limit, ordinary=not args.no_ordinary))
    env["loadavg_after"] = tuple(round(x, 2) for x in os.getloadavg())
    print()
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "args": {k: str(v) for k, v in vars(args).items()},
                                         "cases": results}, indent=1, default=str))
        print(f"\nsaved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
