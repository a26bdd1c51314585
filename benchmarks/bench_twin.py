"""The browser twin's speed: six optimisers x 2000 steps in Node, against the numpy engine.

    python benchmarks/bench_twin.py [--json twin.json] [--rounds 7] [--repeats 20]

What the dashboard will do on every pointer move: recompute each shown optimiser's run with the
twin (static/optlab/twin.js) from a moved start point, or with a slid hyperparameter. Each case
is six runs of 2000 steps, one per optimiser (``--optimizers``: by default the three the
dashboard shows first and the three Adam variants, the costliest per step), every step recorded
in full with the optimiser's state, as ``engine.simulate(spec)`` with ``record_state=True`` does:

(a) noisy Rosenbrock, the start moved at every call (a dragged start point);
(b) the same with the learning rate changed at every call (a slider);
(c) the same with beta2 changed at every call: Adam's, NAdam's and RAdam's tables of beta2^t
    are recomputed with the twin's glibc pow (the slider that costs most);
(d) a typed function, ``x**2 + 10*sin(y)`` (the README's example), the start moved.

The twin runs in one Node process for the whole script (`node`, the one the tests use), which
times its own calls with ``process.hrtime``; the engine runs the same six runs in this process
(``simulate`` on the same ``RunSpec``s), timed with ``time.perf_counter`` and the garbage
collector off. The two alternate, case by case, in ``--rounds`` rounds; the ratio is engine /
twin, the median of the paired rounds. Before timing, the script checks that the twin and the
engine compute the same runs (bit for bit on Rosenbrock). A cold first call (after ``prepare``,
before the JIT has seen the code) is reported too. This is a script, not a test: it asserts
nothing. The machine may be shared and noisy: the load average is printed.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from engine import OPTIMIZERS as REGISTRY  # noqa: E402
from engine import RunSpec, get_objective, simulate  # noqa: E402
from engine.twin import twin_spec  # noqa: E402

TWIN_JS = ROOT / "static" / "optlab" / "twin.js"
OPTIMIZERS = ("momentum", "rmsprop", "adam", "adamw", "nadam", "radam")
STEPS = 2000
CASES = {  # name -> (objective, objective options, what changes at every call)
    "(a) start moved": ("rosenbrock", {}, "start"),
    "(b) learning rate changed": ("rosenbrock", {}, "lr"),
    "(c) beta2 changed": ("rosenbrock", {}, "beta2"),
    "(d) typed function, start moved": ("custom", {"expr": "x**2 + 10*sin(y)"}, "start"),
}

# The Node side: reads one JSON command per line, answers one JSON line. "prepare" decodes the specs
# of a case; "time" calls run() for every spec `repeats` times, each time with the start, lr or beta2
# changed a little, and returns each call's milliseconds; "hash" returns the SHA-256 of each run's params.
NODE_HELPER = r"""
const twin = require(process.argv[1]);
const crypto = require("crypto");
const readline = require("readline");
const models = {};
let calls = 0;
function once(name, change) {
  const t0 = process.hrtime.bigint();
  for (const m of models[name]) {
    const r = m.spec.runs[0];
    const k = ++calls % 1000;
    const over = {};
    if (change === "start") over.start = [r.start[0] + 1e-4 * k, r.start[1] - 1e-4 * k];
    else if (change === "lr") over.hyper = {lr: r.hyper.lr * (1 + 1e-4 * k)};
    else if (change === "beta2" && "beta2" in r.hyper) over.hyper = {beta2: r.hyper.beta2 - 1e-6 * k};
    m.run(0, over);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
readline.createInterface({input: process.stdin}).on("line", (line) => {
  const ask = JSON.parse(line);
  let out;
  if (ask.cmd === "prepare") {
    const specs = JSON.parse(require("fs").readFileSync(ask.file, "utf8"));
    const t0 = process.hrtime.bigint();
    models[ask.name] = specs.map((s) => twin.prepare(s));
    const prepare = Number(process.hrtime.bigint() - t0) / 1e6;
    out = {prepare_ms: prepare, cold_ms: once(ask.name, "none")};
  } else if (ask.cmd === "time") {
    out = {ms: Array.from({length: ask.repeats}, () => once(ask.name, ask.change))};
  } else if (ask.cmd === "hash") {
    out = {sha256: models[ask.name].map((m) => {
      const p = m.run(0).params;
      return crypto.createHash("sha256").update(Buffer.from(p.buffer, p.byteOffset, p.byteLength)).digest("hex");
    })};
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
"""


class Node:
    """The one Node process that runs the twin."""

    def __init__(self, node: str):
        self.proc = subprocess.Popen([node, "-e", NODE_HELPER, str(TWIN_JS)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def specs_of(objective, options, optimizers):
    start = get_objective(objective, **options).start
    return [RunSpec.of(objective, name, STEPS, start=start, noise=0.3, seed=0, objective_options=options,
                       record_state=True, lr=REGISTRY[name].hypers["lr"].default) for name in optimizers]


def engine_once(runs, change, k):
    """The engine's six runs, with the same kind of change as the twin's call ``k``."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for run in runs:
            if change == "start":
                x, y = run.start
                run = run.replace(start=(x + 1e-4 * k, y - 1e-4 * k))
            elif change == "lr":
                run = run.replace(lr=dict(run.hyper)["lr"] * (1 + 1e-4 * k))
            elif change == "beta2" and "beta2" in REGISTRY[run.optimizer].hypers:
                run = run.replace(beta2=0.999 - 1e-6 * k)
            simulate(run)
        return time.perf_counter() - t0
    finally:
        gc.enable()


def bench(node: Node, optimizers, rounds: int, repeats: int, engine_repeats: int):
    tmp = Path(tempfile.mkdtemp(prefix="bench_twin_"))
    rows = []
    for name, (objective, options, change) in CASES.items():
        runs = specs_of(objective, options, optimizers)
        t0 = time.perf_counter()
        specs = [twin_spec(run) for run in runs]
        spec_ms = (time.perf_counter() - t0) * 1e3 / len(runs)
        text = json.dumps(specs)
        (tmp / "specs.json").write_text(text)
        first = node.ask(cmd="prepare", name=name, file=str(tmp / "specs.json"))
        # the twin computes what the engine computes (these runs use arithmetic only but (d))
        twin_hashes = node.ask(cmd="hash", name=name)["sha256"]
        engine_hashes = [hashlib.sha256(np.ascontiguousarray(simulate(run).params[:, 0]).tobytes()).hexdigest()
                         for run in runs]
        same = sum(a == b for a, b in zip(twin_hashes, engine_hashes))
        node.ask(cmd="time", name=name, change=change, repeats=repeats)  # warm-up
        engine_once(runs, change, 0)
        twin_ms, engine_ms, paired = [], [], []
        for r in range(rounds):
            order = ("twin", "engine") if r % 2 == 0 else ("engine", "twin")
            got = {}
            for side in order:
                if side == "twin":
                    got[side] = node.ask(cmd="time", name=name, change=change, repeats=repeats)["ms"]
                else:
                    got[side] = [engine_once(runs, change, r * engine_repeats + i + 1) * 1e3
                                 for i in range(engine_repeats)]
            twin_ms += got["twin"]
            engine_ms += got["engine"]
            paired.append(statistics.median(got["engine"]) / statistics.median(got["twin"]))
        rows.append({
            "case": name, "objective": objective, "options": options, "change": change,
            "optimizers": list(optimizers), "steps": STEPS,
            "twin_median_ms": statistics.median(twin_ms), "twin_p90_ms": float(np.percentile(twin_ms, 90)),
            "twin_max_ms": max(twin_ms), "twin_calls": len(twin_ms),
            "twin_cold_ms": first["cold_ms"], "twin_prepare_ms": first["prepare_ms"],
            "engine_median_ms": statistics.median(engine_ms), "engine_calls": len(engine_ms),
            "ratio_paired_median": statistics.median(paired), "ratio_min": min(paired), "ratio_max": max(paired),
            "spec_ms_per_run": spec_ms, "spec_kb_per_run": len(text) / len(runs) / 1024,
            "same_params": f"{same} of {len(runs)}",
        })
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def environment(node: Node):
    env = {"python": platform.python_version(), "numpy": np.__version__, "node": node.version,
           "cpus": os.cpu_count(), "load_before": list(os.getloadavg())}
    try:
        env["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                          if line.startswith("model name"))
    except (OSError, StopIteration):
        env["cpu"] = platform.processor() or "unknown"
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    env["commit"] = done.stdout.strip()
    return env


def markdown(res) -> str:
    env = res["environment"]
    load = " -> ".join(" ".join(f"{x:.2f}" for x in la) for la in (env["load_before"], res["load_after"]))
    lines = [
        f"Twin at commit {env['commit']}. Node {env['node']}, Python {env['python']}, numpy {env['numpy']}, "
        f"{env['cpus']} CPUs ({env['cpu']}); load average {load} (before -> after). Six runs per call: "
        f"{', '.join(res['rows'][0]['optimizers'])}, {STEPS} steps each, noise 0.3, every step recorded "
        "with the optimiser's state.",
        "",
        "| case | twin per call (median; p90; max) | first call after prepare | engine, same six runs | "
        "engine / twin (median of paired rounds; range) | same params as the engine |",
        "|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['case']} | **{r['twin_median_ms']:.2f} ms**; {r['twin_p90_ms']:.2f}; {r['twin_max_ms']:.1f} "
            f"({r['twin_calls']} calls) | {r['twin_cold_ms']:.1f} ms (prepare {r['twin_prepare_ms']:.1f} ms) | "
            f"{r['engine_median_ms']:.0f} ms ({r['engine_calls']} calls) | **{r['ratio_paired_median']:.0f}x** "
            f"({r['ratio_min']:.0f}-{r['ratio_max']:.0f}x) | {r['same_params']} bit for bit |")
    spec = res["rows"][0]
    lines += ["", f"A run's spec (engine/twin.py `twin_spec`, noise included): {spec['spec_kb_per_run']:.0f} kB "
              f"of JSON, {spec['spec_ms_per_run']:.0f} ms on the server (one engine run of the probe that "
              "draws the noise)."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="also write the measurements as JSON")
    ap.add_argument("--rounds", type=int, default=7, help="rounds per case (engine and twin alternate)")
    ap.add_argument("--repeats", type=int, default=20, help="twin calls per round")
    ap.add_argument("--engine-repeats", type=int, default=2, help="engine calls (of six runs) per round")
    ap.add_argument("--optimizers", default=",".join(OPTIMIZERS), help="six (or any) optimisers, comma-separated")
    args = ap.parse_args(argv)
    node_path = shutil.which("node")
    if node_path is None:
        sys.exit("bench_twin.py needs node (Debian: apt-get install nodejs)")
    node = Node(node_path)
    try:
        res = {"environment": environment(node),
               "command": " ".join(["python", "benchmarks/bench_twin.py", *sys.argv[1:]])}
        res["rows"] = bench(node, tuple(args.optimizers.split(",")), args.rounds, args.repeats, args.engine_repeats)
        res["load_after"] = list(os.getloadavg())
    finally:
        node.close()
    print(markdown(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
