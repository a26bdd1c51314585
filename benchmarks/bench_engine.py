"""Engine speed and memory against the chapter's own loop, as ratios measured in one run.

    python benchmarks/bench_engine.py [--json results.json]
    python benchmarks/bench_engine.py --compare main [--rounds 7]   # two engines, ratios

``--compare REV_OR_DIR`` times another tree's engine (a git revision, exported with ``git
archive``, or a directory) against this tree's instead: each in a worker process of its own
running the same harness (public ``engine.simulate`` / ``engine.get_objective`` calls: the sweep
(a), the single runs (b), a typed function and the sparse problem), case by case, the order
alternating between rounds; it reports after/before as the median of the paired rounds.

(a) A 1920-run learning-rate sweep of Adam on noisy Rosenbrock (noise 0.3,
    ``lr = np.logspace(-4, -1, 1920)``, seed 0, 2000 steps, the loss recorded at
    every step) in one ``simulate(..., record="loss")`` call, against the
    chapter-style loop doing the same work one run at a time: the chapter's
    ``Adam`` class on a dict of parameters, its ``rosenbrock_grad`` plus
    ``default_rng(0).normal(0, 0.3, 2)``, and the loss computed and kept every
    step. The chapter loop is timed on an evenly spaced subset of the runs and
    extrapolated linearly to all of them (its cost per run does not depend on lr).
(b) One 2000-step run with full recording (``simulate(..., record="full")``) for
    each configuration of the chapter's figure, against the chapter's own
    ``run_optimiser``. Engine and chapter are timed alternately, repeatedly.
(c) Peak memory of the sweep, in a fresh interpreter: tracemalloc's peak, and
    the resident-set growth (peak and retained; psutil, if installed).

Timings use ``time.perf_counter`` with the garbage collector off during each
timed call (as ``timeit`` does). The machine may be shared and noisy: read the
ratios, not the absolute times. This is a script, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# The engine package: this tree's, or (a ``--compare`` worker) the tree the parent names.
_TREE = (Path(sys.argv[sys.argv.index("--harness-worker") + 1]) if "--harness-worker" in sys.argv[:-1]
         else HERE.parent)
sys.path[:0] = [str(_TREE)]

# The chapter's own code, verbatim: the one copy the tests also check against the chapter.
_spec = importlib.util.spec_from_file_location("chapter", HERE.parent / "tests" / "data" / "chapter_ch312.py")
chapter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chapter)

from engine import simulate  # noqa: E402

SWEEP = {"runs": 1920, "steps": 2000, "noise": 0.3, "seed": 0, "lr": (-4, -1)}
FIGURE = [  # (engine name, chapter class, the chapter's kwargs)
    ("momentum", chapter.SGDMomentum, {"lr": 0.001, "momentum": 0.9}),
    ("rmsprop", chapter.RMSProp, {"lr": 0.005, "rho": 0.9}),
    ("adam", chapter.Adam, {"lr": 0.01}),
]


def timed(fn, *args, **kw):
    """``(seconds, result)`` of one call, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn(*args, **kw)
        return time.perf_counter() - t0, result
    finally:
        gc.enable()


# ---------------------------------------------------------------------------
# (a) the sweep
# ---------------------------------------------------------------------------


def sweep_lrs(runs):
    return np.logspace(*SWEEP["lr"], runs)


def engine_sweep(runs, steps):
    return simulate("rosenbrock", "adam", steps, (-1.0, 0.5), SWEEP["noise"], SWEEP["seed"],
                    record="loss", lr=sweep_lrs(runs))


def chapter_sweep_run(lr, steps):
    """One run of the sweep the chapter's way: dict params, its Adam, the loss every step."""
    rng = np.random.default_rng(SWEEP["seed"])
    params = {"w": np.array([-1.0, 0.5])}
    opt = chapter.Adam(params, lr=lr)
    losses = [chapter.rosenbrock(params["w"])]
    for _ in range(steps):
        g = chapter.rosenbrock_grad(params["w"]) + rng.normal(0, SWEEP["noise"], 2)
        opt.step({"w": g})
        losses.append(chapter.rosenbrock(params["w"]))
    return np.array(losses)


def bench_sweep(runs, steps, subset, repeats):
    """Engine repeats interleaved with slices of the chapter subset (drift hits both).

    The chapter loop's cost per run does not depend on the learning rate (the same
    operations on two numbers), so the median time of the timed runs times ``runs``
    estimates the whole sweep; the best-case estimate uses the fastest timed run.
    """
    lrs = sweep_lrs(runs)
    idx = np.linspace(0, runs - 1, subset).round().astype(int)
    engine_s, chapter_s, chapter_losses, paired, trace = [], [], {}, [], None
    for chunk in np.array_split(idx, repeats):
        sec, trace = timed(engine_sweep, runs, steps)
        engine_s.append(sec)
        chunk_s = []
        for i in chunk:
            sec, losses = timed(chapter_sweep_run, lrs[i], steps)
            chunk_s.append(sec)
            chapter_losses[int(i)] = losses
        chapter_s += chunk_s
        paired.append(statistics.median(chunk_s) * runs / engine_s[-1])
    per_run = statistics.median(chapter_s)
    # The two compute the same numbers (up to rounding) on runs that did not diverge.
    ok = [i for i in chapter_losses if trace.stopped_at[i] < 0]
    rel = max((abs(chapter_losses[i][-1] - trace.loss[-1, i]) / max(abs(trace.loss[-1, i]), 1e-300)
               for i in ok), default=float("nan"))
    return {
        "runs": runs, "steps": steps,
        "engine_s": engine_s, "engine_median_s": statistics.median(engine_s),
        "engine_min_s": min(engine_s),
        "chapter_subset_runs": subset, "chapter_subset_s": sum(chapter_s),
        "chapter_per_run_median_s": per_run, "chapter_per_run_min_s": min(chapter_s),
        "chapter_extrapolated_s": per_run * runs,
        "speedup_paired": paired, "speedup_paired_median": statistics.median(paired),
        "speedup_median": per_run * runs / statistics.median(engine_s),
        "speedup_best": min(chapter_s) * runs / min(engine_s),
        "diverged_runs": int((trace.stopped_at >= 0).sum()),
        "final_loss_max_rel_diff": float(rel), "compared_runs": len(ok),
    }


# ---------------------------------------------------------------------------
# (b) one run, full recording
# ---------------------------------------------------------------------------


def engine_single(name, kwargs, steps):
    return simulate("rosenbrock", name, steps, (-1.0, 0.5), SWEEP["noise"], SWEEP["seed"],
                    record="full", **kwargs)


def bench_single(steps, repeats):
    rows = []
    for name, cls, kwargs in FIGURE:
        engine_single(name, kwargs, steps)  # warm-up (imports, caches)
        chapter.run_optimiser(cls, kwargs, steps)
        eng, chap = [], []
        for _ in range(repeats):
            sec, trace = timed(engine_single, name, kwargs, steps)
            eng.append(sec)
            sec, hist = timed(chapter.run_optimiser, cls, kwargs, steps)
            chap.append(sec)
        paired = [e / c for e, c in zip(eng, chap)]
        rows.append({
            "optimizer": name, "steps": steps, "repeats": repeats,
            "engine_median_s": statistics.median(eng), "engine_min_s": min(eng),
            "chapter_median_s": statistics.median(chap), "chapter_min_s": min(chap),
            "ratio_paired_median": statistics.median(paired),
            "ratio_median": statistics.median(eng) / statistics.median(chap),
            "ratio_min": min(eng) / min(chap),
            "path_max_abs_diff": float(np.abs(trace.params[:, 0] - hist).max()),
        })
    return rows


# ---------------------------------------------------------------------------
# (c) memory of the sweep, in a fresh interpreter
# ---------------------------------------------------------------------------


def memory_child(runs, steps):
    """Runs in a subprocess: RSS first (no tracemalloc overhead), then tracemalloc."""
    import resource
    import tracemalloc

    out = {}
    try:
        import psutil
    except ImportError:
        psutil = None
    engine_sweep(8, 10)  # imports and first-call allocations outside the measurement
    gc.collect()
    if psutil is not None:
        proc = psutil.Process()
        before = proc.memory_info().rss
        trace = engine_sweep(runs, steps)
        after = proc.memory_info().rss
        # ru_maxrss is the process's lifetime peak, in KiB on Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out.update(rss_before_mb=before / 2**20, rss_retained_mb=(after - before) / 2**20,
                   rss_peak_growth_mb=(peak - before) / 2**20)
        del trace
        gc.collect()
    tracemalloc.start()
    trace = engine_sweep(runs, steps)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out.update(tracemalloc_peak_mb=peak / 2**20, tracemalloc_retained_mb=current / 2**20,
               result_loss_mb=trace.loss.nbytes / 2**20, psutil=psutil is not None)
    return out


def bench_memory(runs, steps):
    done = subprocess.run([sys.executable, __file__, "--memory-child", str(runs), str(steps)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


# ---------------------------------------------------------------------------
# --compare: the same harness on the engine of two trees, interleaved
# ---------------------------------------------------------------------------

# Each is a call of the public API only (``engine.simulate`` with keywords, ``engine.get_objective``),
# which a restructured engine keeps: (name, function of (runs, steps)).
def _harness(runs, steps):
    from engine import get_objective

    lrs = sweep_lrs(runs)
    custom = get_objective("custom", expr="x**2 + 10*sin(y)")
    sparse = get_objective("sparse", dim=20)
    cases = {"(a) sweep: adam, loss only": lambda: simulate(
        "rosenbrock", "adam", steps, (-1.0, 0.5), SWEEP["noise"], SWEEP["seed"], record="loss", lr=lrs)}
    for name, _, kwargs in FIGURE:
        cases[f"(b) one run, full record: {name}"] = (
            lambda n=name, k=kwargs: simulate("rosenbrock", n, steps, (-1.0, 0.5), SWEEP["noise"],
                                              SWEEP["seed"], record="full", **k))
    cases["typed function: adam, 5 seeds"] = lambda: simulate(
        custom, "adam", steps, None, SWEEP["noise"], np.arange(5), lr=0.05)
    cases["sparse (20 parameters): adagrad, 5 seeds"] = lambda: simulate(
        sparse, "adagrad", steps, None, 0.0, np.arange(5), lr=0.5)
    return cases


def harness_worker(runs, steps):
    """A ``--compare`` worker: JSON lines on stdin (``{"case": name, "repeats": k}``), the timings
    and a digest of the result's final losses on stdout."""
    import hashlib

    import engine

    cases = _harness(runs, steps)
    print(json.dumps({"ready": str(Path(engine.__file__).resolve().parent), "cases": list(cases)}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        fn = cases[ask["case"]]
        try:
            secs = []
            for _ in range(ask["repeats"]):
                sec, trace = timed(fn)
                secs.append(sec)
            final = np.asarray(trace.final_loss, dtype=float)
            out = {"seconds": secs, "final_loss": final.tolist(),
                   "digest": hashlib.sha1(final.tobytes()).hexdigest()[:12]}
        except Exception as err:  # a tree whose API differs: reported, the other cases go on
            out = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(out), flush=True)


class _Worker:
    def __init__(self, tree: Path, runs: int, steps: int):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--runs", str(runs), "--steps", str(steps), "--harness-worker", str(tree)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tree)
        self.hello = json.loads(self.proc.stdout.readline() or "{}")
        if "ready" not in self.hello:
            raise RuntimeError(f"the harness did not start in {tree}")

    def ask(self, case: str, repeats: int) -> dict:
        self.proc.stdin.write(json.dumps({"case": case, "repeats": repeats}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def compare_tree(target: str) -> tuple[Path, str]:
    """A directory, or a git revision of this repository (``git archive``, as ``load.py --snapshot``)."""
    if Path(target).is_dir():
        d = Path(target).resolve()
        head = _git("-C", str(d), "rev-parse", "--short", "HEAD")
        return d, f"directory {d}" + (f" at {head}" if head else "")
    sys.path.insert(0, str(HERE))
    import load  # benchmarks/load.py: its snapshot helper

    d, commit = load.snapshot(target)
    return d, f"commit {commit[:10]} ({target}, clean snapshot)"


def bench_compare(before: Path, after: Path, runs: int, steps: int, rounds: int, repeats: int, sweep_repeats: int):
    """Each case in rounds; in each round the two trees' workers time it one after the other (the
    order alternating from round to round), ``repeats`` calls each (``sweep_repeats`` for the
    sweep). The ratio of a round is after/before of the medians of its calls; reported: the median
    and the range of those paired ratios."""
    workers = {"before": _Worker(before, runs, steps), "after": _Worker(after, runs, steps)}
    try:
        cases = [c for c in workers["after"].hello["cases"] if c in workers["before"].hello["cases"]]
        for w in workers.values():  # warm-up: imports, first-call allocations, the typed function's build
            for c in cases:
                w.ask(c, 1)
        rows = []
        for c in cases:
            k = sweep_repeats if c.startswith("(a)") else repeats
            times = {"before": [], "after": []}
            paired, digests, finals, errors = [], {}, {}, {}
            for r in range(rounds):
                order = ("before", "after") if r % 2 == 0 else ("after", "before")
                got = {side: workers[side].ask(c, k) for side in order}
                if any("error" in g for g in got.values()):
                    errors = {side: g["error"] for side, g in got.items() if "error" in g}
                    break
                for side, g in got.items():
                    times[side] += g["seconds"]
                    digests[side], finals[side] = g["digest"], np.asarray(g["final_loss"])
                paired.append(statistics.median(got["after"]["seconds"]) / statistics.median(got["before"]["seconds"]))
            row = {"case": c, "calls_each": k * rounds, "errors": errors}
            if paired:
                a, b = finals["after"], finals["before"]
                row.update(
                    before_median_s=statistics.median(times["before"]),
                    after_median_s=statistics.median(times["after"]),
                    before_min_s=min(times["before"]), after_min_s=min(times["after"]),
                    ratio_paired_median=statistics.median(paired), ratio_min=min(paired), ratio_max=max(paired),
                    same_result=digests["after"] == digests["before"],
                    final_loss_max_abs_diff=float(np.nanmax(np.abs(a - b))) if a.shape == b.shape and a.size else None)
            rows.append(row)
        return {"engines": {side: w.hello["ready"] for side, w in workers.items()}, "rows": rows}
    finally:
        for w in workers.values():
            w.close()


def compare_markdown(res) -> str:
    env = res["environment"]
    load = " -> ".join(" ".join(f"{x:.2f}" for x in la) for la in (env["load_before"], res["load_after"]))
    out = [f"Before: {res['before']}. After: {res['after']}. Python {env['python']}, numpy "
           f"{env['numpy']}, {env['cpus']} CPUs; load average {load}"
           + f"; {res['runs']} runs x {res['steps']} steps in (a), {res['steps']} steps elsewhere.",
           "",
           "| case | before | after | after / before (median of paired rounds; range) | same result |",
           "|---|---|---|---|---|"]
    ratios = []
    for r in res["rows"]:
        if r["errors"]:
            out.append(f"| {r['case']} | | | failed: {'; '.join(f'{k}: {v[:80]}' for k, v in r['errors'].items())} | |")
            continue
        ratios.append(r["ratio_paired_median"])
        same = "yes (bit for bit)" if r["same_result"] else (
            f"no (final losses differ by up to {r['final_loss_max_abs_diff']:.1e})"
            if r["final_loss_max_abs_diff"] is not None else "no")
        out.append(f"| {r['case']} | {r['before_median_s'] * 1e3:.1f} ms (best {r['before_min_s'] * 1e3:.1f}) "
                   f"| {r['after_median_s'] * 1e3:.1f} ms (best {r['after_min_s'] * 1e3:.1f}) "
                   f"| **{r['ratio_paired_median']:.3f}** ({r['ratio_min']:.3f}-{r['ratio_max']:.3f}) "
                   f"| {same} |")
    if ratios:
        out += ["", f"Median ratio over the cases: **{statistics.median(ratios):.3f}** (below 1: the after tree is "
                f"faster). Each tree's engine runs in a worker process of its own, the two timed one after the "
                f"other, case by case, the order alternating between rounds ({res['rounds']} rounds)."]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _git(*args):
    try:
        done = subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def environment():
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "machine": platform.machine(), "cpus": os.cpu_count(),
           "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
           "load_before": list(os.getloadavg())}
    env["engine_commit"] = _git("rev-parse", "--short", "HEAD")
    env["engine_dirty"] = bool(_git("status", "--porcelain", "--", "engine"))
    try:
        env["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                          if line.startswith("model name"))
    except (OSError, StopIteration):
        env["cpu"] = platform.processor() or "unknown"
    return env


def markdown(res):
    s, m, env = res["sweep"], res["memory"], res["environment"]
    load = " -> ".join(" ".join(f"{x:.2f}" for x in la) for la in (env["load_before"], res["load_after"]))
    commit = env["engine_commit"] or "unknown"
    if env["engine_dirty"]:
        commit += " with uncommitted changes under engine/"
    lines = [
        f"Engine at commit {commit}. "
        f"Python {env['python']}, numpy {env['numpy']}, {env['cpus']} CPUs ({env['cpu']})"
        + (f", OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}" if env["OPENBLAS_CORETYPE"] else
           ", OPENBLAS_CORETYPE not set") + f"; load average {load} (before -> after).",
        "",
        "| measurement | engine | chapter loop | ratio (median of paired runs) | target |",
        "|---|---|---|---|---|",
        f"| (a) Adam lr sweep, {s['runs']} runs x {s['steps']} steps, noisy Rosenbrock, loss "
        f"every step | {s['engine_median_s']:.3f} s (median of {len(s['engine_s'])}; best "
        f"{s['engine_min_s']:.3f} s) | {s['chapter_extrapolated_s']:.1f} s (extrapolated: "
        f"{s['chapter_subset_runs']} of the runs timed, median "
        f"{s['chapter_per_run_median_s'] * 1e3:.1f} ms per run, x {s['runs']}) | "
        f"**{s['speedup_paired_median']:.0f}x faster** (range "
        f"{min(s['speedup_paired']):.0f}-{max(s['speedup_paired']):.0f}x) | >= 300x |",
    ]
    for r in res["single"]:
        lines.append(
            f"| (b) one run, {r['steps']} steps, full recording: {r['optimizer']} | "
            f"{r['engine_median_s'] * 1e3:.1f} ms (median of {r['repeats']}; best "
            f"{r['engine_min_s'] * 1e3:.1f}) | {r['chapter_median_s'] * 1e3:.1f} ms (best "
            f"{r['chapter_min_s'] * 1e3:.1f}) | **{r['ratio_paired_median']:.2f}x** the chapter's "
            f"time (best/best {r['ratio_min']:.2f}x) | <= 1.5x |")
    mem = f"tracemalloc peak {m['tracemalloc_peak_mb']:.1f} MB"
    if m.get("psutil"):
        mem += (f"; resident set +{m['rss_peak_growth_mb']:.1f} MB at peak, "
                f"+{m['rss_retained_mb']:.1f} MB retained")
    lines.append(f"| (c) memory of the sweep (a) | {mem} (the loss array returned is "
                 f"{m['result_loss_mb']:.1f} MB) | | | reported |")
    lines += [
        "",
        "Paired: each engine timing is divided by the chapter timing taken right next to it "
        "(for (a), by the median of the chapter runs timed after that engine sweep, times "
        f"{s['runs']}), and the median of those ratios is reported, so that drift in the "
        "machine's speed cancels.",
        "",
        f"(a) checks: {s['diverged_runs']} of {s['runs']} engine runs diverged and were stopped; "
        f"on the {s['compared_runs']} timed runs that did not, the final losses of engine and "
        f"chapter loop differ by at most {s['final_loss_max_rel_diff']:.1e} (relative).",
        "(b) checks: the engine's path equals the chapter's to within "
        + ", ".join(f"{r['path_max_abs_diff']:.0e} ({r['optimizer']})" for r in res["single"])
        + ".",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="also write the measurements as JSON")
    ap.add_argument("--runs", type=int, default=SWEEP["runs"], help="runs in the sweep")
    ap.add_argument("--steps", type=int, default=SWEEP["steps"], help="steps per run")
    ap.add_argument("--subset", type=int, default=72,
                    help="chapter-loop runs timed in (a), extrapolated to --runs")
    ap.add_argument("--sweep-repeats", type=int, default=9, help="engine repeats in (a)")
    ap.add_argument("--repeats", type=int, default=21, help="repeats per side in (b)")
    ap.add_argument("--compare", metavar="REV_OR_DIR",
                    help="time the engine of that git revision (or directory) against this tree's, "
                         "interleaved, instead of the chapter comparison; ratios after/before")
    ap.add_argument("--rounds", type=int, default=7, help="--compare: rounds per case (the order alternates)")
    ap.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    ap.add_argument("--harness-worker", metavar="TREE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(*args.memory_child)))
        return
    if args.harness_worker:
        harness_worker(args.runs, args.steps)
        return
    if args.compare:
        before, desc = compare_tree(args.compare)
        after = HERE.parent
        dirty = " with uncommitted changes under engine/" if _git("status", "--porcelain", "--", "engine") else ""
        res = {"environment": environment(), "before": desc,
               "after": f"this tree {after} at {_git('rev-parse', '--short', 'HEAD')}{dirty}",
               "runs": args.runs, "steps": args.steps, "rounds": args.rounds,
               "command": " ".join(["python", "benchmarks/bench_engine.py", *sys.argv[1:]])}
        print(f"comparing {res['before']} -> {res['after']} ...", file=sys.stderr, flush=True)
        res.update(bench_compare(before, after, args.runs, args.steps, args.rounds,
                                 max(1, args.repeats // args.rounds), max(1, args.sweep_repeats // args.rounds)))
        res["load_after"] = list(os.getloadavg())
        print(compare_markdown(res))
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
        return
    res = {"environment": environment(),
           "command": " ".join(["python", "benchmarks/bench_engine.py", *sys.argv[1:]])}
    print("(b) single runs ...", file=sys.stderr, flush=True)
    res["single"] = bench_single(args.steps, args.repeats)
    print("(a) sweep (engine repeats and the chapter-loop subset) ...", file=sys.stderr, flush=True)
    res["sweep"] = bench_sweep(args.runs, args.steps, min(args.subset, args.runs),
                               args.sweep_repeats)
    print("(c) memory, in a fresh interpreter ...", file=sys.stderr, flush=True)
    res["memory"] = bench_memory(args.runs, args.steps)
    res["load_after"] = list(os.getloadavg())
    print(markdown(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
