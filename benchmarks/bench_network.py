"""The network objective's cost: a page's default view, and a per-step cost model.

    python benchmarks/bench_network.py [--repeats 3] [--json out.json] [--no-model]

(a) The default view a page makes: four optimisers (SGD with momentum, RMSprop, Adam,
    AdamW; engine defaults) x one seed x ``--steps`` steps of ``get_objective("network")``
    with its default options (two moons, 300 points, one hidden layer of 16 tanh units,
    batch 32), the parameters recorded every ``--every`` steps, and for every recorded
    frame the metrics (train/test loss and accuracy) and the class probabilities on a
    ``--grid`` x ``--grid`` grid over the input box. Timed twice: recording every
    ``--every`` steps (``simulate(..., every=k)``, what a page showing frames needs), and
    recording every step (``record="full"``, ``every=1``; the simulator then evaluates the
    full training loss at every step) with the frames taken from it.
(b) The per-step cost of ``simulate(..., record="loss", every=steps)`` (stepping only)
    over runs B, batch size, width, depth and activation, and a least-squares fit (on the
    tanh rows; relu is cheaper) ``seconds/step = c0 + c1 B + c2 B batch units + c3 B batch
    macs`` where ``units`` is the number of hidden units and ``macs`` the multiply-adds of
    one forward pass of one sample (sum of n_in x n_out over the layers).
(c) The cost of evaluating recorded frames: ``predict_proba`` of 101 frames on the grid and
    ``metrics`` of 101 frames, per frame x point x hidden unit, over widths, depths and
    data sizes (tanh).

CPU time of this process (``time.process_time``), the garbage collector off during each
timed call. The machine is a shared 2-core VM: the load average is printed; read the
medians. This is a script, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # the engine package

from engine import get_objective, simulate  # noqa: E402

OPTIMIZERS = ("momentum", "rmsprop", "adam", "adamw")
TARGET_S = 2.0


def cpu(fn, *args, **kw):
    """``(CPU seconds, result)`` of one call, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        out = fn(*args, **kw)
        return time.process_time() - t0, out
    finally:
        gc.enable()


def grid_points(box, n):
    (x0, x1), (y0, y1) = box
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def default_view(obj, steps, every, grid, full):
    """One page view; returns CPU seconds per part."""
    net = obj.network
    points = grid_points(net.bounds, grid)
    parts = {"simulate": 0.0, "metrics": 0.0, "grid": 0.0}
    for name in OPTIMIZERS:
        if full:
            sec, trace = cpu(simulate, obj, name, steps, seed=0)
            frames = trace.params[::every, 0]
        else:
            sec, trace = cpu(simulate, obj, name, steps, seed=0, every=every)
            frames = trace.params[:, 0]
        parts["simulate"] += sec
        parts["metrics"] += cpu(net.metrics, frames)[0]
        parts["grid"] += cpu(net.predict_proba, frames, points)[0]
    parts["total"] = sum(parts.values())
    parts["frames"] = int(frames.shape[0])
    return parts


def bench_view(steps, every, grid, repeats):
    obj = get_objective("network")
    simulate(obj, "adam", 20)  # warm: imports, first BLAS calls
    out = {}
    for label, full in (("every_k", False), ("full_every_step", True)):
        runs = [default_view(obj, steps, every, grid, full) for _ in range(repeats)]
        out[label] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        out[label]["total_all"] = [r["total"] for r in runs]
    trace = simulate(obj, "adam", steps, seed=0, every=every)
    m = obj.network.metrics(trace.final_params)
    out["adam_final"] = {k: float(v[0]) for k, v in m.items()}
    out["config"] = {"steps": steps, "every": every, "grid": grid, "optimizers": OPTIMIZERS,
                     "options": dict(obj.options), "params": obj.dim, "train_points": obj.n_samples}
    return out


def per_step(B, batch, width, depth, activation, steps):
    obj = get_objective("network", batch_size=batch, width=width, depth=depth,
                        activation=activation)
    simulate(obj, "adam", 5, seed=np.arange(B), record="loss", every=5)
    sec, _ = cpu(simulate, obj, "adam", steps, seed=np.arange(B), record="loss", every=steps)
    sizes = obj.network.sizes
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    return {"B": B, "batch": batch, "width": width, "depth": depth, "activation": activation,
            "params": obj.dim, "units": sum(sizes[1:-1]), "macs": macs,
            "s_per_step": sec / steps}


def bench_model(steps):
    rows = [per_step(B, batch, width, depth, "tanh", steps)
            for B, batch, width, depth in itertools.product((1, 8, 32), (8, 32, 128), (4, 16, 32), (1, 2))]
    rows += [per_step(B, batch, 16, depth, "relu", steps)
             for B, batch, depth in itertools.product((1, 8, 32), (8, 32, 128), (1, 2))]
    tanh = [r for r in rows if r["activation"] == "tanh"]

    def design(rs):
        return np.array([[1.0, r["B"], r["B"] * r["batch"] * r["units"], r["B"] * r["batch"] * r["macs"]]
                         for r in rs])

    y = np.array([r["s_per_step"] for r in tanh])
    # Relative least squares: every configuration counts alike, fast ones too.
    coef = np.linalg.lstsq(design(tanh) / y[:, None], np.ones_like(y), rcond=None)[0]
    for r, fit in zip(rows, design(rows) @ coef):
        r["fit_s_per_step"] = float(fit)
        r["fit_ratio"] = float(r["s_per_step"] / fit)
    return {"rows": rows, "coef": {"c0": coef[0], "c1_per_run": coef[1],
                                   "c2_per_run_sample_unit": coef[2], "c3_per_run_sample_mac": coef[3]},
            "steps": steps}


def bench_frames(grid):
    rows = []
    for depth, width, n_points in itertools.product((1, 2), (4, 16, 32), (300, 2000)):
        obj = get_objective("network", depth=depth, width=width, n_points=n_points)
        net = obj.network
        frames = np.asarray(obj.start) + 0.3 * np.random.default_rng(0).standard_normal((101, obj.dim))
        points = grid_points(net.bounds, grid)
        units = sum(net.sizes[1:-1])
        sec_grid = cpu(net.predict_proba, frames, points)[0]
        sec_metrics = cpu(net.metrics, frames)[0]
        rows.append({"depth": depth, "width": width, "n_points": n_points, "units": units,
                     "grid_s": sec_grid, "metrics_s": sec_metrics,
                     "grid_s_per_point_unit": sec_grid / (101 * len(points) * units),
                     "metrics_s_per_point_unit": sec_metrics / (101 * n_points * units)})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--every", type=int, default=20)
    ap.add_argument("--grid", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model-steps", type=int, default=200)
    ap.add_argument("--no-model", action="store_true", help="skip the cost model (b)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    load_before = os.getloadavg()
    result = {"environment": {"python": platform.python_version(), "numpy": np.__version__,
                              "cpus": os.cpu_count(), "load_before": load_before}}
    result["view"] = view = bench_view(args.steps, args.every, args.grid, args.repeats)
    if not args.no_model:
        result["model"] = bench_model(args.model_steps)
        result["frames"] = bench_frames(args.grid)
    result["environment"]["load_after"] = os.getloadavg()

    env = result["environment"]
    print(f"Python {env['python']}, numpy {env['numpy']}, {env['cpus']} CPUs; load average "
          f"{' '.join(f'{v:.2f}' for v in env['load_before'])} -> "
          f"{' '.join(f'{v:.2f}' for v in env['load_after'])}")
    cfg = view["config"]
    print(f"\n(a) default view: {', '.join(cfg['optimizers'])} x 1 seed x {cfg['steps']} steps, "
          f"{cfg['params']} parameters, {cfg['train_points']} training points, frames every "
          f"{cfg['every']} steps, {cfg['grid']}x{cfg['grid']} grid; CPU s, median of {args.repeats} "
          f"(target {TARGET_S:g} s)")
    for label in ("every_k", "full_every_step"):
        v = view[label]
        print(f"  {label:<16} total {v['total']:.3f}  (simulate {v['simulate']:.3f}, metrics "
              f"{v['metrics']:.3f}, grid {v['grid']:.3f}; {v['frames']} frames per optimiser; "
              f"all totals {', '.join(f'{t:.3f}' for t in v['total_all'])})")
    print("  adam final:", ", ".join(f"{k} {v:.3f}" for k, v in view["adam_final"].items()))
    if "model" in result:
        model = result["model"]
        c = model["coef"]
        print(f"\n(b) seconds per step (simulate adam, stepping only, {model['steps']} steps):")
        print(f"  fit: {c['c0']:.3g} + {c['c1_per_run']:.3g} B + {c['c2_per_run_sample_unit']:.3g} "
              f"B batch units + {c['c3_per_run_sample_mac']:.3g} B batch macs")
        print("   act  depth width   B batch    P   measured  fit/measured")
        for r in model["rows"]:
            print(f"  {r['activation']:>4} {r['depth']:>5} {r['width']:>5} {r['B']:>3} {r['batch']:>5} "
                  f"{r['params']:>4} {r['s_per_step'] * 1e6:8.1f}us {1 / r['fit_ratio']:6.2f}")
    if "frames" in result:
        print(f"\n(c) evaluating 101 recorded frames (tanh): predict_proba on the {args.grid}x{args.grid} grid, "
              "metrics on all the points")
        print("  depth width points   grid s  ns/(frame point unit)  metrics s  ns/(frame point unit)")
        for r in result["frames"]:
            print(f"  {r['depth']:>5} {r['width']:>5} {r['n_points']:>6} {r['grid_s']:8.3f} "
                  f"{r['grid_s_per_point_unit'] * 1e9:12.2f} {r['metrics_s']:15.3f} "
                  f"{r['metrics_s_per_point_unit'] * 1e9:12.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
