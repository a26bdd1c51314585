#!/usr/bin/env python
"""Server time of one run of every page at its default settings, cold and cached; then a profile
of the heaviest page.

Part 1 (the real server, one browser-less session over the websocket, see ``load.py``), per page:

* **first run after start**: a fresh ``streamlit run`` server per page, the page opened by its URL as
  the first request: imports, first use of numpy/pandas/altair, an empty ``st.cache_data``;
* **cache cleared**: the same page again after ``BackMsg.clear_cache`` (what ``C`` in the app menu
  does): the page's computations with a warm process;
* **cached**: the median of ``--repeats`` identical reruns (nothing changed: every ``st.cache_data``
  call is a hit; what is left is the page's own drawing, charts and serialisation).

Each is reported as wall time (send -> ``script_finished``, on 127.0.0.1) and the server's CPU time
for the run (psutil, user + system, the server process): on a shared, loaded machine the CPU time
is the steadier number. Also the bytes the run sent to the browser.

Part 2 profiles the page whose cache-cleared run costs the most server CPU (or ``--profile PAGE``):
the app run in-process with ``streamlit.testing.v1.AppTest`` (entrypoint, then a switch to the
page, as a deep link), cProfile enabled in the script thread, once with empty caches and once
cached; printed as the cumulative time of the app's own functions and the libraries they call.

    python benchmarks/page_latency.py --json page_latency.json
    python benchmarks/page_latency.py --pages Loss_curves,Schedules --profile Loss_curves
    python benchmarks/page_latency.py --compare main --rounds 3     # before (main) and after (this tree)

``--compare REV_OR_DIR`` measures the app of another checkout (a git revision, exported with
``git archive`` as ``load.py --snapshot`` does, or a directory) and this one in the same run: each
page on one, then on the other (a fresh server each time), the order alternating from page to
page and round to round, so that the machine's drift and noise hit both; it reports both figures
per page, their ratio after/before and the median ratio over the pages (no profile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import psutil
from streamlit.proto.BackMsg_pb2 import BackMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

PAGE_FILES = {"": "dashboard.py", "Trajectories": "pages/1_Trajectories.py", "Loss_curves": "pages/2_Loss_curves.py",
              "Learning_rates": "pages/3_Learning_rates.py", "Bias_correction": "pages/4_Bias_correction.py",
              "Sparse_gradients": "pages/5_Sparse_gradients.py", "LR_sensitivity": "pages/6_LR_sensitivity.py",
              "Weight_decay": "pages/7_Weight_decay.py", "Schedules": "pages/8_Schedules.py",
              "Second_order": "pages/9_Second_order.py", "Practical_guide": "pages/10_Practical_guide.py",
              "Neural_network": "pages/11_Neural_network.py", "Hyperparameter_maps": "pages/12_Hyperparameter_maps.py"}


def cpu_of(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


async def _measure_page(port: int, pid: int, page: str, repeats: int) -> dict:
    s = load.Session(port, 0)
    await s.connect()
    out: dict = {"page": page or "home"}

    async def timed(coro_factory):
        c0 = cpu_of(pid)
        r = await coro_factory()
        await asyncio.sleep(0.05)  # the last messages leave the server after script_finished
        return r, cpu_of(pid) - c0

    r, cpu = await timed(lambda: s.open(page, ""))
    out["first"] = {"wall": r.latency, "cpu": cpu, "kb": r.bytes / 1024, "status": r.status,
                    "charts": r.charts, "exceptions": r.exceptions}
    cached = []
    for _ in range(repeats):
        r, cpu = await timed(lambda: s.rerun("rerun", "same"))
        cached.append((r.latency, cpu, r.bytes / 1024, r.status))
    msg = BackMsg(clear_cache=True)
    await s.ws.send(msg.SerializeToString())
    r, cpu = await timed(lambda: s.rerun("rerun", "after clear_cache"))
    out["cleared"] = {"wall": r.latency, "cpu": cpu, "kb": r.bytes / 1024, "status": r.status}
    r2, cpu2 = await timed(lambda: s.rerun("rerun", "same"))
    cached.append((r2.latency, cpu2, r2.bytes / 1024, r2.status))
    out["cached"] = {"wall": statistics.median(c[0] for c in cached if c[0] is not None),
                     "cpu": statistics.median(c[1] for c in cached),
                     "kb": statistics.median(c[2] for c in cached),
                     "status": ",".join(sorted({c[3] for c in cached})), "n": len(cached)}
    await s.close()
    return out


def measure(app_dir: Path, pages: list[str], repeats: int, log=print, attempts: int = 3) -> list[dict]:
    return [measure_page(app_dir, page, repeats, log, attempts) for page in pages]


def measure_page(app_dir: Path, page: str, repeats: int, log=print, attempts: int = 3, tag: str = "") -> dict:
    """One page on a fresh server (``attempts`` tries if someone else stops it)."""
    for attempt in range(1, attempts + 1):
        with load.running_server(app_dir) as srv:
            time.sleep(0.5)
            try:
                res = load.run_async(lambda p=page, s=srv: _measure_page(s.port, s.pid, p, repeats))
            except (OSError, load.websockets.ConnectionClosed) as err:
                res = {"page": page or "home", "problem": f"{type(err).__name__}: {err}"}
            res["server_start_s"] = srv.healthy - srv.launched
            res["rss_mb"] = load.rss_tree(srv.pid) / 2**20
            died = not srv.alive()
        if not died and "problem" not in res:
            break
        # The server was stopped by someone else (seen on this shared machine): measure again.
        log(f"  /{page}: the server stopped during the measurement ({res.get('problem', 'exit')}); "
            f"attempt {attempt} of {attempts}", flush=True)
    res["attempts"] = attempt
    if "problem" in res:
        return res
    log(f"  {tag}/{page}: first {res['first']['wall']:.2f} s ({res['first']['cpu']:.2f} CPU s), "
        f"cleared {res['cleared']['wall']:.2f} s ({res['cleared']['cpu']:.2f}), "
        f"cached {res['cached']['wall']:.2f} s ({res['cached']['cpu']:.2f}); "
        f"{res['cached']['kb']:.0f} KB", flush=True)
    return res


def table(rows: list[dict]) -> str:
    out = ["| page | first run after server start: wall (server CPU) | cache cleared: wall (CPU) "
           "| cached rerun: wall (CPU) | sent per run | charts | status |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "problem" in r:
            out.append(f"| {r['page']} | — | — | — | — | — | {r['problem'][:80]} |")
            continue
        f, c, k = r["first"], r["cleared"], r["cached"]

        def cell(d):
            return "—" if d["wall"] is None else f"{d['wall']:.2f} s ({d['cpu']:.2f} s)"
        status = {f["status"], c["status"], *k["status"].split(",")}
        out.append(f"| {r['page']} | {cell(f)} | {cell(c)} | {cell(k)} | {k['kb']:.0f} KB | {f['charts']} "
                   f"| {'ok' if status == {'ok'} else ', '.join(sorted(status))} |")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# --compare: another checkout and this one, page by page in the same run
# ---------------------------------------------------------------------------

METRICS = (("cleared", "wall"), ("cleared", "cpu"), ("cached", "wall"), ("cached", "cpu"),
           ("first", "wall"), ("first", "cpu"))


def compare_app(target: str) -> tuple[Path, str]:
    """``target`` as an app: a directory (as ``--app-dir``), else a git revision (as ``--snapshot``)."""
    as_dir = Path(target).is_dir()
    return load.resolve_app(argparse.Namespace(app_dir=Path(target) if as_dir else None,
                                               snapshot=None if as_dir else target))


def compare(before: Path, after: Path, pages: list[str], repeats: int, rounds: int, log=print) -> list[dict]:
    """Each page measured on both apps (a fresh server each time), one right after the other, the
    order alternating from page to page and round to round, so that drift and noise hit both. Per
    page and metric: the median over rounds of each side, and the median of the paired ratios
    after/before (one per round)."""
    out = []
    for i, page in enumerate(pages):
        runs = {"before": [], "after": []}
        for r in range(rounds):
            order = ("before", "after") if (i + r) % 2 == 0 else ("after", "before")
            for side in order:
                runs[side].append(measure_page(before if side == "before" else after, page, repeats, log,
                                               tag=f"{side:6s} "))
        row = {"page": page or "home", "before": runs["before"], "after": runs["after"]}
        ok = [(b, a) for b, a in zip(runs["before"], runs["after"]) if "problem" not in b and "problem" not in a]
        if not ok:
            row["problem"] = next(r["problem"] for r in runs["before"] + runs["after"] if "problem" in r)
        for phase, what in METRICS:
            key = f"{phase}_{what}"
            pairs = [(b[phase][what], a[phase][what]) for b, a in ok
                     if b[phase][what] is not None and a[phase][what] is not None]
            if pairs:
                row[key] = {"before": statistics.median(p[0] for p in pairs),
                            "after": statistics.median(p[1] for p in pairs),
                            "ratio": statistics.median(p[1] / p[0] for p in pairs if p[0] > 0) if any(
                                p[0] > 0 for p in pairs) else None}
        row["status"] = sorted({st for b, a in ok for st in (b["first"]["status"], a["first"]["status"],
                                                             b["cleared"]["status"], a["cleared"]["status"],
                                                             *b["cached"]["status"].split(","),
                                                             *a["cached"]["status"].split(","))})
        out.append(row)
    return out


def compare_table(rows: list[dict]) -> str:
    """Per page and metric ``before -> after (ratio)``; the last row: the median ratio over the pages."""
    out = ["| page | " + " | ".join(f"{phase} {'CPU' if what == 'cpu' else what}" for phase, what in METRICS)
           + " | status |", "|---" * (len(METRICS) + 2) + "|"]
    ratios: dict[str, list[float]] = {f"{p}_{w}": [] for p, w in METRICS}
    for r in rows:
        cells = []
        for phase, what in METRICS:
            d = r.get(f"{phase}_{what}")
            if d is None:
                cells.append("—")
                continue
            if d["ratio"] is not None:
                ratios[f"{phase}_{what}"].append(d["ratio"])
            cells.append(f"{d['before']:.2f} → {d['after']:.2f} s ({_ratio(d['ratio'])})")
        status = r.get("problem", "")[:60] or ("ok" if r["status"] == ["ok"] else ", ".join(r["status"]))
        out.append(f"| {r['page']} | " + " | ".join(cells) + f" | {status} |")
    medians = [ratios[f"{p}_{w}"] for p, w in METRICS]
    out.append("| **median ratio** | " + " | ".join(f"**{_ratio(statistics.median(xs))}**" if xs else "—"
                                                   for xs in medians) + " | |")
    return "\n".join(out)


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}x"


# ---------------------------------------------------------------------------
# Profile (AppTest in-process, cProfile in the script thread)
# ---------------------------------------------------------------------------

GROUPS = (  # (label, predicate on (filename, function name)) for the cost breakdown
    ("engine: simulate / replay (numpy)", lambda f, n: "/engine/" in f and n in ("simulate", "replay", "scipy_path")),
    ("ui.frames: DataFrames for the charts", lambda f, n: f.endswith("ui/frames.py") and n[0] not in "_<"),
    ("ui.frames.band_frame: quantile bands", lambda f, n: f.endswith("ui/frames.py") and n == "band_frame"),
    ("ui.charts: building Altair charts", lambda f, n: f.endswith("ui/charts.py") and n[0] not in "_<"),
    ("altair: to_dict (+ schema validation)", lambda f, n: "/altair/" in f and n == "to_dict"),
    ("altair: jsonschema validation", lambda f, n: "/altair/" in f and n in ("validate_jsonschema", "_validate")),
    ("streamlit: st.altair_chart / vega_lite_chart", lambda f, n: "/streamlit/elements/vega_charts.py" in f
     and n in ("altair_chart", "_altair_chart", "vega_lite_chart", "_vega_lite_chart")),
    ("streamlit: Arrow serialisation of chart data", lambda f, n: "/streamlit/" in f and n in
     ("convert_pandas_df_to_arrow_bytes", "convert_anything_to_arrow_bytes")),
    ("streamlit: st.cache_data (hash, pickle, lookup)", lambda f, n: "/streamlit/runtime/caching/" in f
     and n in ("__call__",) and "cache_utils" in f),
    ("pickle.loads (cache hits: copies of the traces)", lambda f, n: n == "<built-in method _pickle.loads>"),
    ("pickle.dumps (cache misses: storing traces)", lambda f, n: n == "<built-in method _pickle.dumps>"),
    ("st.latex / st.markdown", lambda f, n: "/streamlit/elements/" in f and n in ("latex", "markdown")),
    ("st.dataframe", lambda f, n: "/streamlit/elements/arrow.py" in f and n == "dataframe"),
    ("ui.page.share_panel (CSV, snippets)", lambda f, n: f.endswith("ui/page.py") and n == "share_panel"),
    ("pandas DataFrame.to_csv (download data)", lambda f, n: "/pandas/" in f and n == "to_csv"),
    ("ui.controls.shared_sidebar (all widgets)", lambda f, n: f.endswith("ui/controls.py") and n == "shared_sidebar"),
)


def _outermost(raw: dict, matches: dict) -> tuple[float, int]:
    """Cumulative time and calls of the ``matches`` not called (transitively) from another match."""
    memo: dict = {}

    def inside(k, depth=0, seen=frozenset()):
        if k in memo:
            return memo[k]
        res = False
        if depth <= 40:
            for caller in raw.get(k, (0, 0, 0, 0, {}))[4]:
                if caller in seen or caller == k:
                    continue
                if caller in matches or inside(caller, depth + 1, seen | {k}):
                    res = True
                    break
        memo[k] = res
        return res

    ct, calls = 0.0, 0
    for k, v in matches.items():
        if not inside(k):
            ct += v[3]
            calls += v[1]
    return ct, calls


def _func_table(stats: pstats.Stats, app_dir: Path) -> tuple[list[tuple], list[tuple]]:
    """(groups: [(label, cumtime, calls)], top app + library functions by cumtime)."""
    raw = stats.stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    groups = []
    for label, pred in GROUPS:
        # cumulative time of the outermost matching calls only: drop entries called from another match
        matches = {k: v for k, v in raw.items() if pred(k[0], k[2])}
        ct, calls = _outermost(raw, matches)
        groups.append((label, ct, calls))
    top = sorted(((v[3], v[2], v[1], f"{Path(k[0]).name}:{k[1]}({k[2]})", k[0]) for k, v in raw.items()),
                 reverse=True)
    return groups, top


def profile_page(app_dir: Path, page: str, repeats: int = 2) -> dict:
    """Run ``page`` with AppTest under cProfile: once with empty caches, then cached."""
    os.chdir(app_dir)
    sys.path.insert(0, str(app_dir))
    import streamlit as st
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    prof = {"p": None}
    orig = script_runner.ScriptRunner._run_script

    def profiled(self, rerun_data):
        p = prof["p"]
        if p is None:
            return orig(self, rerun_data)
        p.enable()
        try:
            return orig(self, rerun_data)
        finally:
            p.disable()

    script_runner.ScriptRunner._run_script = profiled
    results = {}
    try:
        def fresh():
            at = AppTest.from_file(str(app_dir / "dashboard.py"), default_timeout=600)
            if page:
                at.switch_page(PAGE_FILES[page])
            return at

        # warm the process (imports, first use) without measuring
        fresh().run()
        for label in ("empty caches", "cached"):
            if label == "empty caches":
                st.cache_data.clear()
                st.cache_resource.clear()
            at = fresh()
            p = cProfile.Profile()
            prof["p"] = p
            t0 = time.perf_counter()
            c0 = time.process_time()
            at.run()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            prof["p"] = None
            exc = [e.value for e in at.exception]
            s = io.StringIO()
            stats = pstats.Stats(p, stream=s)
            groups, top = _func_table(stats, app_dir)
            stats.sort_stats("cumulative").print_stats(40)
            results[label] = {"wall": wall, "cpu": cpu, "exceptions": exc, "groups": groups,
                              "top": [(round(ct, 4), round(tt, 4), n, name) for ct, tt, n, name, _ in top[:60]],
                              "pstats_text": s.getvalue()}
    finally:
        script_runner.ScriptRunner._run_script = orig
    return results


def print_profile(page: str, prof: dict) -> str:
    out = [f"Profile of /{page or ''} (AppTest, in-process, cProfile in the script thread; cProfile "
           "slows Python-heavy code, so read the shares, not the absolute times):", ""]
    for label, r in prof.items():
        out.append(f"**{label}**: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU (profiled)"
                   + (f"; exceptions: {r['exceptions']}" if r["exceptions"] else ""))
        out += ["", "| where (outermost calls) | time incl. callees | calls |", "|---|---|---|"]
        for name, ct, calls in r["groups"]:
            if ct >= 0.005:
                out.append(f"| {name} | {ct:.3f} s ({100 * ct / max(r['wall'], 1e-9):.0f}%) | {calls} |")
        out += ["", "Top functions by cumulative time:", "", "| cumulative | own | calls | function |",
                "|---|---|---|---|"]
        for ct, tt, n, name in r["top"][:30]:
            out.append(f"| {ct:.3f} | {tt:.3f} | {n} | `{name}` |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", default=",".join(load.LESSON_PATH),
                    help="URL paths, comma separated ('' or 'home' for the home page)")
    ap.add_argument("--repeats", type=int, default=3, help="identical reruns for the cached time")
    ap.add_argument("--profile", default="auto", help="page to profile, 'auto' (the heaviest), or 'none'")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--compare", metavar="REV_OR_DIR",
                    help="also measure the app of that git revision (git archive) or directory, alternating "
                         "page by page with this one (or --app-dir / --snapshot), and report after/before ratios")
    ap.add_argument("--rounds", type=int, default=1, help="--compare: measurements of each page on each side")
    load.add_app_args(ap)
    args = ap.parse_args(argv)
    app_dir, app = load.resolve_app(args)
    pages = ["" if p in ("", "home", "/") else p.strip("/") for p in args.pages.split(",")]
    env = {**load.environment(), "app": app}
    if args.compare:
        before_dir, before = compare_app(args.compare)
        env.update(before=before, after=app)
        print(f"# Page latency, before -> after: {env}\n", flush=True)
        rows = compare(before_dir, app_dir, pages, args.repeats, args.rounds)
        env["loadavg_after"] = tuple(round(x, 2) for x in os.getloadavg())
        print()
        print(f"Before: {before}. After: {app}. Ratio: after / before (below 1: after is faster); "
              f"{args.rounds} round(s), seconds of wall time and of the server's CPU.\n")
        print(compare_table(rows))
        if args.profile not in ("auto", "none"):
            print("(--profile is not run with --compare)")
        if args.json:
            args.json.write_text(json.dumps({"environment": env, "compare": rows}, indent=1, default=str))
            print(f"\nsaved {args.json}")
        return 0
    print(f"# Page latency: {env}\n", flush=True)
    rows = measure(app_dir, pages, args.repeats)
    env["loadavg_after"] = tuple(round(x, 2) for x in os.getloadavg())
    print()
    print(table(rows))
    out = {"environment": env, "pages": rows}
    target = None
    if args.profile == "auto":
        target = max((r for r in rows if "cleared" in r), key=lambda r: r["cleared"]["cpu"])["page"]
    elif args.profile != "none":
        target = args.profile
    if target is not None:
        target = "" if target == "home" else target
        print(f"\n# Profiling /{target} ...\n", flush=True)
        prof = profile_page(app_dir, target)
        text = print_profile(target, prof)
        print(text)
        out["profile"] = {"page": target or "home", **{k: {kk: vv for kk, vv in v.items()}
                                                        for k, v in prof.items()}}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
        print(f"\nsaved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
