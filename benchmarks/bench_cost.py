#!/usr/bin/env python
"""How well the shared server's cost model (``ui.compute.budget.cost``) predicts what a run spec
really costs: every optimiser and every objective family, small and large batches of runs,
typed functions of growing size, recorded fully or loss only; and how well
``budget.landscape_cost`` predicts a network's loss landscape (``engine.landscape``: grids of
weight vectors, each evaluated over the training rows), over grids, widths, depths, activations,
paths and data sizes (one's own data up to 2,000 points).

For each spec it prints the CPU seconds ``simulate`` took (the best of ``--repeats``, one core),
the model's estimate and their ratio. The model should never be far below 1 (a view it lets
through would cost more than the budget says); a ratio far above 1 only refuses views early.

    python benchmarks/bench_cost.py                 # the table
    python benchmarks/bench_cost.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import OPTIMIZERS, RunSpec, get_objective, simulate  # noqa: E402
from engine.landscape import landscape  # noqa: E402
from engine.network import make_data  # noqa: E402
from engine.owndata import encode_data  # noqa: E402
from ui.compute import budget  # noqa: E402

TYPED = {
    "small": "x**2 + 3*y**2",
    "medium": "sin(x)*cos(y) + 0.1*(x^2+y^2) + exp(-(x-1)^2-(y+1)^2)",
    "large": "x" + "/y/x" * 29 + "/y",
}


def cases() -> list[tuple[str, RunSpec]]:
    out = []
    for opt in OPTIMIZERS:
        for runs in (1, 500):
            out.append((f"{opt} rosenbrock x{runs}", RunSpec.of("rosenbrock", opt, 1000, noise=0.3,
                                                                seed=tuple(range(runs)))))
    for name in ("beale", "himmelblau", "quadratic", "saddle", "rastrigin", "scaled"):
        for runs in (1, 500):
            out.append((f"adam {name} x{runs}", RunSpec.of(name, "adam", 1000, noise=0.3, seed=tuple(range(runs)))))
    for size, text in TYPED.items():
        for runs in (1, 200):
            out.append((f"adam typed {size} x{runs}", RunSpec.of(
                "custom", "adam", 500, noise=0.3, seed=tuple(range(runs)), objective_options={"expr": text})))
    for dim, batch, runs in ((20, 1, 5), (200, 1, 20), (200, 32, 20), (100, 256, 10), (200, 256, 50)):
        out.append((f"sgd sparse D{dim} b{batch} x{runs}", RunSpec.of(
            "sparse", "sgd", 300, seed=tuple(range(runs)), objective_options={"dim": dim, "batch_size": batch})))
    out.append(("adam sweep 1920 loss", RunSpec.of("rosenbrock", "adam", 1000, noise=0.3, record="loss",
                                                   grid={"lr": tuple(10 ** (-4 + 3 * i / 1919) for i in range(1920))})))
    for opt, spec in OPTIMIZERS.items():  # a hyperparameter map's grid (the Hyperparameter maps page)
        lrs, ys = spec.map_axes(40)
        grid = {"lr": tuple(lrs), **({spec.main.name: tuple(ys)} if ys is not None else {}), "seed": (0, 1, 2, 3)}
        out.append((f"{opt} map {len(lrs) * len(ys if ys is not None else [0]) * 4} loss", RunSpec.of(
            "rosenbrock", opt, 300, noise=0.3, record="loss", grid=grid)))
    for width, depth, batch, runs in ((16, 1, 32, 1), (32, 2, 128, 1), (16, 1, 32, 20), (32, 2, 256, 10)):
        out.append((f"adam network {depth}x{width} b{batch} x{runs}", RunSpec.of(
            "network", "adam", 500, seed=tuple(range(runs)), every=10,
            objective_options={"width": width, "depth": depth, "batch_size": batch}, lr=0.01)))
    return out


def landscape_cases() -> list[tuple[str, dict, int, int]]:
    """(name, network options, grid, paths) of landscapes over the shapes that set their cost."""
    X, y = make_data("moons", 2000, 0.15, 0.0, 0)
    own = encode_data(X.clip(-2, 2), y)
    out = []
    for width, depth, act, grid, paths in ((16, 1, "tanh", 31, 2), (16, 1, "relu", 31, 2), (4, 2, "tanh", 31, 4),
                                           (32, 2, "tanh", 21, 4), (32, 2, "relu", 21, 4), (32, 1, "tanh", 41, 3)):
        options = {"width": width, "depth": depth, "activation": act}
        out.append((f"landscape {depth}x{width} {act} g{grid} p{paths}", options, grid, paths))
        if width == 32 and depth == 2:
            out.append((f"landscape own 2000 {depth}x{width} {act} g9 p{paths}", {**options, "dataset": "own",
                                                                                   "data": own}, 9, paths))
    return out


def measure_landscape(options: dict, grid: int, paths: int, repeats: int) -> tuple[float, float]:
    """(CPU seconds of the best of ``repeats``, the model's estimate) for one landscape."""
    obj = get_objective("network", **options)
    runs = {f"run{k}": simulate(obj, "adam", 100, every=4, seed=k, lr=0.01).params[:, 0] for k in range(paths)}
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        landscape(obj.network, runs, grid)
        times.append(time.process_time() - t0)
    return min(times), budget.landscape_cost(obj, grid, paths, 41)


def measure(spec: RunSpec, repeats: int) -> float:
    simulate(spec.replace(steps=min(spec.steps, 20)))  # builds the objective (cached) outside the timing
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        simulate(spec)
        times.append(time.process_time() - t0)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--landscape", action="store_true", help="the landscape cases only")
    args = ap.parse_args(argv)
    rows = []
    print(f"{'case':<36} {'measured s':>10} {'model s':>9} {'model/measured':>15}")
    for name, spec in ([] if args.landscape else cases()):
        measured = measure(spec, args.repeats)
        model = budget.cost(spec)
        rows.append({"case": name, "measured": measured, "model": model, "ratio": model / max(measured, 1e-9)})
        print(f"{name:<36} {measured:>10.3f} {model:>9.3f} {model / max(measured, 1e-9):>15.2f}", flush=True)
    for name, options, grid, paths in landscape_cases():
        measured, model = measure_landscape(options, grid, paths, args.repeats)
        rows.append({"case": name, "measured": measured, "model": model, "ratio": model / max(measured, 1e-9)})
        print(f"{name:<36} {measured:>10.3f} {model:>9.3f} {model / max(measured, 1e-9):>15.2f}", flush=True)
    ratios = [r["ratio"] for r in rows]
    print(f"\nmodel/measured: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, max {max(ratios):.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
