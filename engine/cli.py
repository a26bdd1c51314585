"""``python -m engine``: run a configuration and write it as CSV or JSON.

The command line reproduces a dashboard run outside the dashboard. It builds the
same ``simulate`` calls the views make and writes what they return::

    python -m engine --experiment chapter --format json --output chapter.json
    python -m engine --objective quadratic --objective-option cond=100 \\
        --optimizer sgd,momentum,adam --set lr=0.01 --steps 300 --start=-2.5,1.5
    python -m engine --optimizer adam --noise 0.3 --steps 2000 --record loss \\
        --set lr=1e-4:1e-1:1920 --log --output sweep.csv      # a 1920-run sweep
    python -m engine --list                                    # names and defaults

Runs. Every list-valued input (``--seed 0:10``, ``--set lr=a,b,c``, ``--set
lr=lo:hi:n``) is an axis, and the runs of one optimiser are the grid of its axes
(swept hyperparameters in the order given, the seed innermost): ``--set
lr=0.001,0.01 --seed 0:3`` makes 6 runs. ``--set NAME=VALUE`` applies to every
selected optimiser that has ``NAME``; ``--set adam.lr=0.01`` to Adam only.

Output. CSV is tidy: one row per (optimizer, run, recorded step) with the
columns ``optimizer, run, seed, step, loss, x0 .. x{D-1}`` (no ``x`` columns with
``--record loss``) followed by every hyperparameter of the run (defaults
included; empty where an optimiser does not have it). Floats are written with
``repr``, so reading them back gives the engine's numbers exactly. JSON holds
``config`` (everything needed to rerun, with ``argv``) and ``results``: one entry
per optimiser with the trace's arrays in the engine's axis order (``loss`` is
``(recorded steps, runs)``, ``params``/``grads``/``eff_lr`` are ``(.., runs, D)``).

Invalid input exits with status 2 and a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from . import tables
from .experiments import EXPERIMENTS
from .objectives import OBJECTIVES, get_objective
from .optimizers import OPTIMIZERS, OptimizerSpec, get_optimizer
from .schedules import OPTIONS as SCHEDULE_OPTIONS
from .schedules import SCHEDULES
from .simulate import MAX_RUNS, Trace, simulate
from .spec import RunSpec
from .values import FALSE_WORDS, TRUE_WORDS, finite, short

__all__ = ["UsageError", "build_parser", "main", "run_config"]

PROG = "python -m engine"
_SCHEDULE_OPTIONS = tuple(SCHEDULE_OPTIONS)


class UsageError(ValueError):
    """Invalid command-line input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the usage and exit; main() reports it
        raise UsageError(message)


# ---------------------------------------------------------------------------
# Parsing values
# ---------------------------------------------------------------------------


def _number(text: str, what: str) -> float:
    try:
        return finite(text, what)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _key_value(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise UsageError(f"{what} expects KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _int(text: str, what: str) -> int:
    value = _number(text, what)
    if not value.is_integer():
        raise UsageError(f"{what}: {text!r} is not a whole number")
    return int(value)


def _seeds(text: str) -> list[int]:
    """``3``, ``0:10`` (0..9), ``0:10:2`` or ``1,5,7``."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise UsageError(f"--seed range must be START:STOP or START:STOP:STEP, got {text!r}")
        bounds = [_int(p, "--seed") for p in parts]
        if len(bounds) == 3 and bounds[2] < 1:
            raise UsageError(f"--seed range step must be >= 1, got {text!r}")
        if len(range(*bounds)) > MAX_RUNS:  # counted before a list is made
            raise UsageError(f"--seed {text!r} makes {len(range(*bounds)):,} runs; the cap is {MAX_RUNS:,}")
        seeds = list(range(*bounds))
        if not seeds:
            raise UsageError(f"--seed range {text!r} is empty (STOP is exclusive)")
    else:
        seeds = [_int(p, "--seed") for p in text.split(",")]
    if min(seeds) < 0:
        raise UsageError(f"--seed must be whole numbers >= 0, got {text!r}")
    return seeds


def _hyper_value(text: str, name: str, kind: str, log: bool):
    """A scalar, or a list for ``a,b,c`` and ``lo:hi:n`` (``--log``: log-spaced)."""
    what = f"--set {name}"
    if kind == "bool":
        if ":" in text:
            raise UsageError(f"{what}: a range lo:hi:n needs a numeric hyperparameter")
        words = [w.strip().lower() for w in text.split(",")]
        bad = [w for w in words if w not in TRUE_WORDS | FALSE_WORDS]
        if bad:
            raise UsageError(f"{what} must be true or false, got {bad[0]!r}")
        values = [w in TRUE_WORDS for w in words]
        return values if "," in text else values[0]
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise UsageError(f"{what}: a range is lo:hi:n, got {text!r}")
        lo, hi = _number(parts[0], what), _number(parts[1], what)
        n = _int(parts[2], what)
        if not 1 <= n <= MAX_RUNS:  # checked before the values are made
            raise UsageError(f"{what}: a range needs 1 <= n <= {MAX_RUNS:,} (the cap of runs), got {text!r}")
        if log:
            if lo <= 0 or hi <= 0:
                raise UsageError(f"{what}: --log needs lo and hi > 0, got {text!r}")
            # logspace of the exponents: lr=1e-4:1e-1:1920 --log is np.logspace(-4, -1, 1920)
            return np.logspace(np.log10(lo), np.log10(hi), n).tolist()
        return np.linspace(lo, hi, n).tolist()
    if "," in text:
        return [_number(p, what) for p in text.split(",")]
    return _number(text, what)


def _is_list(value) -> bool:
    return isinstance(value, list)


# ---------------------------------------------------------------------------
# The configuration
# ---------------------------------------------------------------------------


@dataclass
class Config:
    """A resolved command line: what ``run_config`` runs and JSON records."""

    objective: str = "rosenbrock"
    objective_options: dict[str, Any] = field(default_factory=dict)  # numbers, or text
    optimizers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    steps: int = 500
    start: list[float] | None = None
    noise: float = 0.0
    seed: list[int] = field(default_factory=lambda: [0])
    schedule: str = "constant"
    schedule_options: dict[str, float] = field(default_factory=dict)
    clip_norm: float | None = None
    clip_value: float | None = None
    every: int = 1
    record: str = "full"
    experiment: str | None = None

    def specs(self) -> list[RunSpec]:
        """One spec per optimiser: every list-valued input an axis of its grid (the swept
        hyperparameters in the order given, the seed innermost)."""
        out = []
        for name, hyper in self.optimizers:
            grid = {k: v for k, v in hyper.items() if _is_list(v)}
            if len(self.seed) > 1:
                grid["seed"] = self.seed
            out.append(RunSpec.of(
                self.objective, name, self.steps, self.start, self.noise, self.seed[0],
                objective_options=self.objective_options, grid=grid, schedule=self.schedule,
                schedule_options=self.schedule_options, clip_norm=self.clip_norm,
                clip_value=self.clip_value, record=self.record, every=self.every,
                **{k: v for k, v in hyper.items() if not _is_list(v)}))
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment, "objective": self.objective,
            "objective_options": self.objective_options,
            "optimizers": [{"name": n, "hyper": h} for n, h in self.optimizers],
            "steps": self.steps, "start": self.start, "noise": self.noise,
            "seed": self.seed[0] if len(self.seed) == 1 else self.seed,
            "schedule": self.schedule, "schedule_options": self.schedule_options,
            "clip_norm": self.clip_norm, "clip_value": self.clip_value,
            "every": self.every, "record": self.record,
        }


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run gradient-descent optimisers on a test objective (Optimiser Lab's engine) "
                    "and write the trace as CSV or JSON.",
        epilog="Examples:\n"
               "  python -m engine --experiment chapter --format json -o chapter.json\n"
               "  python -m engine --optimizer sgd,adam --set lr=0.01 --start=-1,0.5 --steps 300\n"
               "  python -m engine --optimizer adam --noise 0.3 --steps 2000 --record loss \\\n"
               "      --set lr=1e-4:1e-1:1920 --log -o sweep.csv\n"
               "  python -m engine --list")
    p.add_argument("--list", action="store_true",
                   help="print the optimisers (with hyperparameters and defaults), objectives, "
                        "schedules and experiments, then exit")
    p.add_argument("--experiment", "--preset", dest="experiment", choices=list(EXPERIMENTS),
                   help="start from a named experiment (other options override it)")
    p.add_argument("--objective", help="objective name (default rosenbrock)")
    p.add_argument("--objective-option", action="append", default=[], metavar="KEY=VALUE",
                   help="objective option, e.g. cond=100 for quadratic (repeatable)")
    p.add_argument("--optimizer", action="append", default=[], metavar="NAME[,NAME...]",
                   help="optimiser(s) to run (repeatable or comma-separated; default adam)")
    p.add_argument("--set", action="append", default=[], dest="hyper",
                   metavar="[OPT.]NAME=VALUE",
                   help="hyperparameter: a number, true/false, a list a,b,c or a range lo:hi:n "
                        "(repeatable; OPT. limits it to one optimiser)")
    p.add_argument("--log", action="store_true",
                   help="ranges lo:hi:n in --set are log-spaced (np.logspace) instead of linear")
    p.add_argument("--steps", help="number of update steps (default 500)")
    p.add_argument("--start", metavar="X,Y",
                   help="start point, D comma-separated numbers (write --start=-1,0.5 "
                        "when it begins with a minus sign; default the objective's)")
    p.add_argument("--noise", help="std of the Gaussian gradient noise (default 0)")
    p.add_argument("--seed", help="noise seed: N, a range START:STOP[:STEP] (STOP exclusive) "
                                  "or a list a,b,c; several seeds make several runs (default 0)")
    p.add_argument("--schedule", choices=list(SCHEDULES), help="learning-rate schedule")
    p.add_argument("--schedule-option", action="append", default=[], metavar="KEY=VALUE",
                   help=f"schedule option ({', '.join(_SCHEDULE_OPTIONS)}; repeatable)")
    p.add_argument("--clip-norm", help="clip each run's gradient to this norm")
    p.add_argument("--clip-value", help="clip each gradient coordinate to +-this value")
    p.add_argument("--every", help="record every k-th step (and the last; default 1)")
    p.add_argument("--record", choices=["full", "loss"],
                   help="full: parameters and loss (default); loss: the loss only")
    p.add_argument("--format", choices=["csv", "json"],
                   help="output format (default: json if --output ends in .json, else csv)")
    p.add_argument("-o", "--output", default="-", help="output file, or - for stdout (default)")
    # argparse takes "-1,0.5" for an option; numbers (lists) that start with a minus are values.
    p._negative_number_matcher = re.compile(r"^-\.?\d[\d.,:eE+-]*$")
    return p


def _objective_option(objective: str, key: str, value: str):
    """A number, or the text itself for a text option (e.g. the expression of ``custom``).

    Unknown objectives and option names are left to ``get_objective``, whose message
    lists the choices.
    """
    family = OBJECTIVES.get(objective)
    option = family.options.get(key) if family is not None else None
    if option is None or getattr(option, "text", False):
        return value
    return _number(value, f"--objective-option {key}")


def _optimizer_names(values: Sequence[str]) -> list[str]:
    names = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if not name:
                raise UsageError(f"--optimizer: empty name in {value!r}")
            get_optimizer(name)  # ValueError naming the choices
            if name not in names:
                names.append(name)
    return names


def _resolve_hypers(names: list[str], base: dict[str, dict[str, Any]], settings: Sequence[str],
                    log: bool) -> list[tuple[str, dict[str, Any]]]:
    hypers = {n: dict(base.get(n, {})) for n in names}
    used_log = False
    for text in settings:
        key, raw = _key_value(text, "--set")
        target, dot, name = key.rpartition(".")
        if dot and target not in hypers:
            raise UsageError(f"--set {key}: {target!r} is not among the optimizers run "
                             f"({', '.join(names)})")
        targets = [target] if dot else names
        specs: list[OptimizerSpec] = [OPTIMIZERS[t] for t in targets if name in OPTIMIZERS[t].hypers]
        if not specs:
            which = targets[0] if dot else ", ".join(names)
            takes = "; ".join(f"{t}: {', '.join(OPTIMIZERS[t].hypers)}" for t in targets)
            raise UsageError(f"--set {key}: no hyperparameter {name!r} in {which} ({takes})")
        for spec in specs:
            hypers[spec.name][name] = _hyper_value(raw, name, spec.hypers[name].kind, log)
        used_log |= ":" in raw
    if log and not used_log:
        raise UsageError("--log applies to a range lo:hi:n in --set, and there is none")
    return [(n, hypers[n]) for n in names]


def config_from_args(args: argparse.Namespace) -> Config:
    """The experiment's values, then every explicit option (all validated here or by the engine)."""
    cfg = Config()
    base_hypers: dict[str, dict[str, Any]] = {}
    names = ["adam"]
    if args.experiment:
        experiment = EXPERIMENTS[args.experiment]
        cfg.experiment = experiment.name
        cfg.objective = experiment.objective
        cfg.objective_options = dict(experiment.objective_options)
        cfg.steps = experiment.steps
        cfg.start = None if experiment.start is None else [float(v) for v in experiment.start]
        cfg.noise = float(experiment.noise)
        cfg.seed = [int(experiment.seed)]
        names = [name for name, _ in experiment.runs]
        base_hypers = {name: dict(h) for name, h in experiment.runs}
    if args.objective is not None:
        cfg.objective = args.objective
        if args.experiment and args.objective != EXPERIMENTS[args.experiment].objective:
            cfg.objective_options = {}
    for text in args.objective_option:
        key, value = _key_value(text, "--objective-option")
        cfg.objective_options[key] = _objective_option(cfg.objective, key, value)
    if args.optimizer:
        names = _optimizer_names(args.optimizer)
    cfg.optimizers = _resolve_hypers(names, base_hypers, args.hyper, args.log)
    if args.steps is not None:
        cfg.steps = _int(args.steps, "--steps")
    if args.start is not None:
        cfg.start = [_number(v, "--start") for v in args.start.split(",")]
    if cfg.start is None:  # recorded explicitly, so that the JSON config is complete
        objective = get_objective(cfg.objective, **cfg.objective_options)
        cfg.start = [float(v) for v in objective.start]
    if args.noise is not None:
        cfg.noise = _number(args.noise, "--noise")
    if args.seed is not None:
        cfg.seed = _seeds(args.seed)
    if args.schedule is not None:
        cfg.schedule = args.schedule
    for text in args.schedule_option:
        key, value = _key_value(text, "--schedule-option")
        if key not in _SCHEDULE_OPTIONS:
            raise UsageError(f"--schedule-option: unknown option {key!r}; "
                             f"choose from {', '.join(_SCHEDULE_OPTIONS)}")
        cfg.schedule_options[key] = _number(value, f"--schedule-option {key}")
    if args.clip_norm is not None:
        cfg.clip_norm = _number(args.clip_norm, "--clip-norm")
    if args.clip_value is not None:
        cfg.clip_value = _number(args.clip_value, "--clip-value")
    if args.every is not None:
        cfg.every = _int(args.every, "--every")
    if args.record is not None:
        cfg.record = args.record
    return cfg


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def run_config(cfg: Config) -> list[Trace]:
    """One ``simulate`` call per optimiser (every run of an optimiser in one batch)."""
    return [simulate(spec) for spec in cfg.specs()]


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def write_csv(traces: Sequence[Trace], out: TextIO) -> None:
    """Tidy rows: ``optimizer, run, seed, step, loss, x0.., <hyperparameters>`` (``engine.tables``)."""
    tables.write_traces(traces, out)


def _trace_json(tr: Trace) -> dict[str, Any]:
    out = {
        "optimizer": tr.optimizer, "runs": tr.runs, "seed": tr.seed.tolist(),
        "hyper": {k: v.tolist() for k, v in tr.hyper.items()},
        "t": tr.t.tolist(), "loss": tr.loss.tolist(),
        "final_loss": tr.final_loss.tolist(), "final_params": tr.final_params.tolist(),
        "stopped_at": tr.stopped_at.tolist(),
    }
    for key in ("params", "grads", "eff_lr"):
        arr = getattr(tr, key)
        if arr is not None:
            out[key] = arr.tolist()
    return out


def write_json(cfg: Config, traces: Sequence[Trace], out: TextIO, argv: Sequence[str]) -> None:
    doc = {"config": {**cfg.as_json(), "argv": list(argv), "numpy": np.__version__},
           "results": [_trace_json(tr) for tr in traces]}
    out.write(json.dumps(doc))  # dumps uses the C encoder; dump(fh) the pure-Python one
    out.write("\n")


def _fmt(value) -> str:
    if isinstance(value, str):
        return repr(value)
    return str(value) if isinstance(value, bool) else short(value)


def write_list(out: TextIO) -> None:
    """The names the command line accepts, with defaults."""
    w = out.write
    w("Optimizers (--optimizer NAME; hyperparameters --set NAME=VALUE or --set OPTIMIZER.NAME=VALUE):\n")
    for name, spec in OPTIMIZERS.items():
        hypers = " ".join(f"{k}={_fmt(h.default)}" for k, h in spec.hypers.items())
        w(f"  {name:<10} {spec.title:<16} {hypers}\n")
    w("Objectives (--objective NAME; options --objective-option KEY=VALUE):\n")
    for name, family in OBJECTIVES.items():
        opts = " ".join(f"{k}={_fmt(o.default)}" + ("" if getattr(o, "text", False)
                                                     else f" [{_fmt(o.low)}..{_fmt(o.high)}]")
                        for k, o in family.options.items())
        dim = "D=dim" if "dim" in family.options else "D=2"
        w(f"  {name:<10} {family.title:<34} {dim:<6} {opts}".rstrip() + "\n")
    w(f"Schedules (--schedule NAME; options --schedule-option KEY=VALUE: "
      f"{', '.join(_SCHEDULE_OPTIONS)}):\n")
    for name, title in SCHEDULES.items():
        w(f"  {name:<14} {title}\n")
    w("Experiments (--experiment NAME):\n")
    for name, experiment in EXPERIMENTS.items():
        w(f"  {name:<10} {experiment.description}\n")


def _emit(text_writer, path: str, stdout: TextIO) -> None:
    if path == "-":
        text_writer(stdout)
        return
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            text_writer(fh)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for invalid input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help
            return int(e.code or 0)
        if args.list:
            write_list(stdout)
            return 0
        cfg = config_from_args(args)
        fmt = args.format or ("json" if args.output.lower().endswith(".json") else "csv")
        traces = run_config(cfg)  # everything is computed before a file is opened
        if fmt == "json":
            _emit(lambda fh: write_json(cfg, traces, fh, argv), args.output, stdout)
        else:
            _emit(lambda fh: write_csv(traces, fh), args.output, stdout)
    except ValueError as e:  # UsageError and the engine's own validation
        message = " ".join(str(e).split())
        stderr.write(f"{PROG}: error: {message}\n")
        return 2
    except BrokenPipeError:  # e.g. | head: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0
