"""``python -m engine``: what it writes is what ``simulate`` returns, and bad input exits 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import OBJECTIVES, OPTIMIZERS, get_objective, run_experiment, simulate
from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*argv):
    """``main`` in-process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def rows_of(rows, optimizer):
    return [r for r in rows if r["optimizer"] == optimizer]


def column(rows, name, runs):
    """A CSV column as an array ``(steps, runs)`` (rows are ordered by run, then step)."""
    return np.array([float(r[name]) for r in rows]).reshape(runs, -1).T


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


def test_csv_round_trip_equals_simulate(tmp_path):
    path = tmp_path / "runs.csv"
    status, out, err = run_cli("--optimizer", "sgd,adam", "--set", "lr=0.01", "--steps", 40,
                               "--noise", 0.3, "--seed", "0:3", "--output", path)
    assert (status, out, err) == (0, "", "")
    rows = read_csv(path.read_text())
    assert list(rows[0])[:7] == ["optimizer", "run", "seed", "step", "loss", "x0", "x1"]
    for opt in ("sgd", "adam"):
        trace = simulate("rosenbrock", opt, 40, noise=0.3, seed=np.arange(3), lr=0.01)
        got = rows_of(rows, opt)
        assert len(got) == 3 * 41
        assert [int(r["run"]) for r in got[::41]] == [0, 1, 2]
        assert [int(r["seed"]) for r in got[::41]] == [0, 1, 2]
        assert [int(r["step"]) for r in got[:41]] == trace.t.tolist()
        # repr-formatted floats read back to the engine's numbers exactly
        assert np.array_equal(column(got, "loss", 3), trace.loss)
        assert np.array_equal(column(got, "x0", 3), trace.params[..., 0])
        assert np.array_equal(column(got, "x1", 3), trace.params[..., 1])
        for name, values in trace.hyper.items():  # defaults included, one value per run
            assert [r[name] for r in got[::41]] == [str(v) for v in values.tolist()]
    assert {r["beta1"] for r in rows_of(rows, "sgd")} == {""}  # not an SGD hyperparameter


def test_json_round_trip_equals_simulate():
    status, out, _ = run_cli("--objective", "quadratic", "--objective-option", "cond=50",
                             "--optimizer", "rmsprop", "--set", "lr=1e-3:1e-1:5", "--log",
                             "--set", "centered=true", "--steps", 60, "--every", 7,
                             "--start=-2,1", "--noise", 0.1, "--seed", 4, "--format", "json")
    assert status == 0
    doc = json.loads(out)
    trace = simulate(get_objective("quadratic", cond=50), "rmsprop", 60, (-2.0, 1.0), 0.1, 4,
                     every=7, lr=np.logspace(-3, -1, 5), centered=True)
    (result,) = doc["results"]
    assert result["optimizer"] == "rmsprop" and result["runs"] == 5
    for key in ("t", "loss", "params", "grads", "eff_lr", "final_loss", "final_params",
                "stopped_at", "seed"):
        assert np.array_equal(np.array(result[key]), getattr(trace, key)), key
    for name, values in trace.hyper.items():
        assert np.array_equal(np.array(result["hyper"][name]), values), name
    config = doc["config"]
    assert config["objective"] == "quadratic" and config["objective_options"] == {"cond": 50.0}
    assert config["start"] == [-2.0, 1.0] and config["every"] == 7 and config["seed"] == 4
    assert config["argv"][:2] == ["--objective", "quadratic"]


def test_loss_only_sweep_has_no_coordinates():
    status, out, _ = run_cli("--optimizer", "adam", "--set", "lr=1e-4:1e-1:6", "--log",
                             "--noise", 0.3, "--steps", 30, "--record", "loss")
    assert status == 0
    rows = read_csv(out)
    assert "x0" not in rows[0]
    trace = simulate("rosenbrock", "adam", 30, noise=0.3, record="loss",
                     lr=np.logspace(-4, -1, 6))
    assert np.array_equal(column(rows, "loss", 6), trace.loss)
    assert np.array_equal(np.array([float(r["lr"]) for r in rows[::31]]), np.logspace(-4, -1, 6))


def test_runs_are_the_grid_of_swept_values_and_seeds():
    status, out, _ = run_cli("--optimizer", "momentum", "--set", "lr=0.001,0.002",
                             "--set", "momentum=0.5,0.9", "--seed", "0:6:2", "--noise", 0.3,
                             "--steps", 5, "--record", "loss")
    assert status == 0
    first = read_csv(out)[::6]
    assert [(float(r["lr"]), float(r["momentum"]), int(r["seed"])) for r in first] == [
        (lr, mu, s) for lr in (0.001, 0.002) for mu in (0.5, 0.9) for s in (0, 2, 4)]
    assert [int(r["run"]) for r in first] == list(range(12))


def test_scoped_set_and_preset_hypers():
    status, out, _ = run_cli("--preset", "chapter", "--optimizer", "adam,momentum",
                             "--set", "adam.lr=0.05", "--steps", 10, "--format", "json")
    assert status == 0
    results = {r["optimizer"]: r for r in json.loads(out)["results"]}
    assert list(results) == ["adam", "momentum"]
    assert results["adam"]["hyper"]["lr"] == [0.05]
    assert results["momentum"]["hyper"]["lr"] == [0.001]  # from the preset


def test_objective_options_numbers_and_text():
    status, out, _ = run_cli("--objective", "quadratic", "--objective-option", "cond=100",
                             "--objective-option", "angle=30", "--optimizer", "sgd",
                             "--steps", 20, "--record", "loss")
    assert status == 0
    trace = simulate(get_objective("quadratic", cond=100, angle=30), "sgd", 20, record="loss")
    assert np.array_equal(column(read_csv(out), "loss", 1), trace.loss)

    text = [(name, key, opt.default) for name, family in OBJECTIVES.items()
            for key, opt in family.options.items() if getattr(opt, "text", False)]
    if not text:
        pytest.skip("no objective takes a text option")
    name, key, default = text[0]
    status, out, err = run_cli("--objective", name, "--objective-option", f"{key}={default}",
                               "--steps", 5, "--format", "json")
    assert status == 0, err
    assert json.loads(out)["config"]["objective_options"] == {key: default}


def test_schedule_and_clipping_reach_simulate():
    status, out, _ = run_cli("--optimizer", "sgd", "--set", "lr=0.002", "--steps", 30,
                             "--schedule", "step", "--schedule-option", "step_size=10",
                             "--schedule-option", "gamma=0.5", "--clip-norm", 5,
                             "--clip-value", 50, "--noise", 0.3)
    assert status == 0
    trace = simulate("rosenbrock", "sgd", 30, noise=0.3, schedule="step",
                     schedule_options={"step_size": 10, "gamma": 0.5}, clip_norm=5.0,
                     clip_value=50.0, lr=0.002)
    rows = read_csv(out)
    assert np.array_equal(column(rows, "loss", 1), trace.loss)
    assert np.array_equal(column(rows, "x1", 1), trace.params[..., 1])


# ---------------------------------------------------------------------------
# The chapter's figure
# ---------------------------------------------------------------------------


def test_chapter_preset_final_losses_equal_run_experiment(tmp_path):
    expected = run_experiment("chapter")
    status, out, _ = run_cli("--preset", "chapter", "--format", "json")
    assert status == 0
    doc = json.loads(out)
    assert [r["optimizer"] for r in doc["results"]] == list(expected)
    for result in doc["results"]:
        assert result["final_loss"] == expected[result["optimizer"]].final_loss.tolist()
        assert result["loss"][-1] == expected[result["optimizer"]].final_loss.tolist()
    assert doc["config"]["steps"] == 2000 and doc["config"]["noise"] == 0.3

    path = tmp_path / "chapter.csv"
    assert run_cli("--preset", "chapter", "-o", path)[0] == 0
    rows = read_csv(path.read_text())
    for opt, trace in expected.items():
        last = rows_of(rows, opt)[-1]
        assert int(last["step"]) == 2000
        assert float(last["loss"]) == trace.final_loss[0]


# ---------------------------------------------------------------------------
# Invalid input: exit 2, one line, no traceback
# ---------------------------------------------------------------------------


BAD = {
    "unknown optimizer": (["--optimizer", "adamm"], "Unknown optimizer"),
    "unknown objective": (["--objective", "rosen"], "Unknown objective"),
    "unknown preset": (["--preset", "book"], "invalid choice"),
    "unknown flag": (["--lr", "0.1"], "unrecognized arguments"),
    "steps not a number": (["--steps", "many"], "--steps"),
    "steps fractional": (["--steps", "2.5"], "whole number"),
    "steps zero": (["--steps", "0"], "steps must be between"),
    "negative lr": (["--set", "lr=-0.1"], "must be > 0"),
    "beta out of range": (["--set", "beta1=1.2"], "[0, 1)"),
    "unknown hyper": (["--optimizer", "sgd", "--set", "beta1=0.9"], "no hyperparameter"),
    "scope not run": (["--optimizer", "sgd", "--set", "adam.lr=0.1"], "not among"),
    "set without value": (["--set", "lr"], "KEY=VALUE"),
    "bad list": (["--set", "lr=0.1,abc"], "must be a number"),
    "bad range": (["--set", "lr=0.1:1"], "lo:hi:n"),
    "log of zero": (["--set", "lr=0:1:3", "--log"], "--log"),
    "log without range": (["--log"], "--log"),
    "bool hyper": (["--set", "amsgrad=maybe"], "true or false"),
    "start wrong length": (["--start", "1,2,3"], "start must have shape"),
    "start not numbers": (["--start", "a,b"], "must be a number"),
    "negative noise": (["--noise=-1"], "noise"),
    "nan noise": (["--noise", "nan"], "finite"),
    "negative seed": (["--seed=-1"], "seed"),
    "empty seed range": (["--seed", "5:2"], "empty"),
    "objective option": (["--objective-option", "cond=5"], "no option"),
    "option out of range": (["--objective", "quadratic", "--objective-option", "cond=0"],
                            "outside"),
    "schedule option": (["--schedule", "step", "--schedule-option", "decay=2"], "unknown option"),
    "schedule value": (["--schedule", "step", "--schedule-option", "gamma=2"], "gamma"),
    "every beyond steps": (["--steps", "10", "--every", "20"], "every"),
    "clip norm": (["--clip-norm", "0"], "clip_norm"),
    "record": (["--record", "some"], "invalid choice"),
    "too many runs": (["--set", "lr=0.001:0.1:60000", "--steps", "1"], "cap"),
    "unwritable output": (["--steps", "2", "--output", "/nonexistent-dir/out.csv"],
                          "cannot write"),
}


@pytest.mark.parametrize("argv, needle", BAD.values(), ids=BAD.keys())
def test_invalid_input_exits_2_with_one_line(argv, needle):
    status, out, err = run_cli(*argv)
    assert status == 2
    assert out == ""
    assert err.startswith("python -m engine: error: ") and err.count("\n") == 1
    assert needle in err


def test_no_file_is_written_when_the_run_fails(tmp_path):
    path = tmp_path / "out.csv"
    assert run_cli("--set", "lr=-1", "-o", path)[0] == 2
    assert not path.exists()


def test_list_shows_every_optimizer_with_defaults_and_every_objective():
    status, out, _ = run_cli("--list")
    assert status == 0
    lines = out.splitlines()
    for name, spec in OPTIMIZERS.items():
        (line,) = [ln for ln in lines if ln.split()[:1] == [name]]
        for hyper in spec.hypers:
            assert f"{hyper}=" in line
    assert "lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08" in out
    for name in OBJECTIVES:
        assert any(ln.split()[:1] == [name] for ln in lines)
    assert "chapter" in out


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "--objective-option" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# As a program
# ---------------------------------------------------------------------------


def _python_m_engine(*argv):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_python_m_engine_writes_the_chapter_preset_and_rejects_bad_input():
    done = _python_m_engine("--preset", "chapter", "--record", "loss", "--every", "500")
    assert done.returncode == 0, done.stderr
    rows = read_csv(done.stdout)
    expected = run_experiment("chapter")
    for opt, trace in expected.items():
        assert float(rows_of(rows, opt)[-1]["loss"]) == trace.final_loss[0]

    bad = _python_m_engine("--optimizer", "adam", "--set", "lr=0")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "Invalid lr for adam" in bad.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["--set", "lr=1e-4:1e-1:1000000000", "--log"], "1 <= n <= 50,000"),
    (["--set", "lr=1e-4:1e-1:1000000000"], "1 <= n <="),
    (["--seed", "0:10000000000"], "10,000,000,000 runs"),
    (["--set", "lr=1e-4:1e-1:40000", "--log", "--seed", "0:40000"], "runs is more than the cap"),
])
def test_an_oversized_request_is_refused_before_anything_is_allocated(argv, message):
    """These died with a MemoryError traceback before any cap was checked."""
    import time

    t0 = time.perf_counter()
    status, _, err = run_cli(*argv, "--steps", "10", "--record", "loss")
    assert status == 2 and message in err and "Traceback" not in err
    assert time.perf_counter() - t0 < 5
