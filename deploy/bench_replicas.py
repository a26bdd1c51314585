#!/usr/bin/env python
"""1 replica against 2 (or any list) behind nginx, measured with the load script in the same run.

    python deploy/bench_replicas.py                                  # 30 and 60 sessions, 1 and 2 replicas, twice
    python deploy/bench_replicas.py --levels 30 --replicas 1,2,4 --repeats 3 --json out.json

For each level and repeat, each replica count gets a fresh ``deploy/classroom.py`` on loopback (a
cold start, like ``benchmarks/load.py``'s fresh server per level), then ``benchmarks/load.py``'s
lesson is driven through the proxy (``--url``) at the stress pace (think 1-3 s) with the same seed,
so 1 and 2 replicas see the same students doing the same things. The order of the replica counts
alternates between repeats (1,2 then 2,1) so that a drift of the shared machine's load does not
favour one. Memory is the launcher's whole tree: nginx, every replica and its engine workers, and
the launcher itself (reported apart). Sessions per replica are counted from nginx's access log.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import load  # noqa: E402  (benchmarks/ is a folder of scripts)

READY_TIMEOUT = 180.0


def start(replicas: int, run_dir: Path) -> tuple[subprocess.Popen, str]:
    port = load.free_port()
    with open(run_dir / "launcher.out", "wb") as out:
        proc = subprocess.Popen([sys.executable, str(HERE / "classroom.py"), "--replicas", str(replicas),
                                 "--port", str(port), "--address", "127.0.0.1", "--run-dir", str(run_dir)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((run_dir / "launcher.out").read_text()[-3000:])
        try:
            if json.loads((run_dir / "state.json").read_text())["ready"]:
                return proc, f"http://127.0.0.1:{port}"
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"not ready in {READY_TIMEOUT:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def sessions_per_replica(run_dir: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    path = run_dir / "nginx-access.log"
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        if '"GET /_stcore/stream' in line and " 101 " in line:
            name = re.search(r"served_by=(\w*)", line).group(1) or "?"
            out[name] = out.get(name, 0) + 1
    return dict(sorted(out.items()))


def one(n: int, replicas: int, seed: int, think: tuple[float, float], ramp: float) -> dict:
    run_dir = Path(tempfile.mkdtemp(prefix=f"optlab-bench-{replicas}r-{n}s-"))
    proc, url = start(replicas, run_dir)
    try:
        launcher_mb = load.psutil.Process(proc.pid).memory_info().rss / 2**20
        r = load.run_level(n, think=think, ramp=ramp, seed=seed, url=url, pid=proc.pid)
        state = json.loads((run_dir / "state.json").read_text())
    finally:
        stop(proc)
    time.sleep(1.0)  # the access log has every websocket once nginx is stopped
    res = asdict(r)
    res.update(replicas=replicas, launcher_mb=launcher_mb, split=sessions_per_replica(run_dir),
               engine_workers_per_replica=state["engine_workers_per_replica"],
               restarts=sum(x["restarts"] for x in state["replicas"]), run_dir=str(run_dir))
    return res


def row(x: dict) -> str:
    def s(v):
        return "—" if v is None else f"{v:.2f} s"
    errors = x["exceptions"] + x["connection_errors"] + x["timeouts"] + x["charts_without_data"]
    split = "/".join(str(v) for v in x["split"].values())
    return (f"| {x['sessions']} | {x['replicas']} ({x['engine_workers_per_replica']} worker each) | "
            f"{x['runs_ok']} / {x['runs']} | {s(x['latency_p50'])} | {s(x['latency_p95'])} | {s(x['latency_max'])} | "
            f"{x['rss_peak_mb']:.0f} MB | {errors} | {split} | {x['server_cpu_s']:.0f} s / {x['wall_s']:.0f} s | "
            f"{x['load_before'][0]:.1f} |")


HEAD = ("| sessions | replicas | runs ok | p50 | p95 | max | memory peak (all) | errors | sessions per replica "
        "| CPU / wall | load avg before |\n|---|---|---|---|---|---|---|---|---|---|---|")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="30,60")
    ap.add_argument("--replicas", default="1,2")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--think", default="1,3")
    ap.add_argument("--ramp", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    levels = [int(v) for v in args.levels.split(",")]
    counts = [int(v) for v in args.replicas.split(",")]
    think = tuple(float(v) for v in args.think.split(","))
    print(f"# {load.environment()} cores usable: {len(os.sched_getaffinity(0))}", flush=True)
    print(HEAD, flush=True)
    results = []
    for n in levels:
        for k in range(args.repeats):
            for replicas in counts if k % 2 == 0 else counts[::-1]:
                x = one(n, replicas, args.seed, think, args.ramp)
                x["repeat"] = k
                results.append(x)
                print(row(x), flush=True)
                for e in x["errors"][:5]:
                    print("   !", e, flush=True)
                if args.json:
                    args.json.write_text(json.dumps(results, indent=1, default=str))
    print("\n" + HEAD)
    for x in sorted(results, key=lambda x: (x["sessions"], x["replicas"], x["repeat"])):
        print(row(x))
    return 0


if __name__ == "__main__":
    sys.exit(main())
