"""The Hyperparameter maps page through AppTest: the run on the path map is the link's cell, the
theory lesson's button, one run per cell without noise, maps without a path map on a problem of
many parameters, and the snippet that recomputes each best cell."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from engine import OPTIMIZERS, simulate

from .conftest import ROOT, chart_args, charts, no_exception, open_page, spec

PAGE = "pages/12_Hyperparameter_maps.py"
SMALL = {"hm.n": "6", "hm.steps": "80", "hm.seeds": "2"}


def _datasets(at) -> dict:
    return spec(charts(at)[0])["datasets"]


def _named(datasets: dict, hint: str) -> list[dict]:
    return next(rows for name, rows in datasets.items() if name.startswith(hint))


def test_the_path_map_shows_the_linked_cell_and_the_link_keeps_it():
    query = {**SMALL, "opt": "momentum,adam", "hm.pick": "adam", "hm.lr": "0.01", "hm.h2": "0.99"}
    at = open_page(PAGE, query)
    no_exception(at)
    data = _datasets(at)
    shown = [r for r in _named(data, "framed") if r["kind"] == "shown"]
    assert len(shown) == 1 and shown[0]["series"] == "adam"  # the white dot: the cell that holds (0.01, 0.99)
    lrs, _ = OPTIMIZERS["adam"].map_axes(6)
    assert shown[0]["lr"] == pytest.approx(lrs[np.argmin(np.abs(np.log(lrs / 0.01)))], rel=1e-5)
    path = _named(data, "path")
    assert {r["label"] for r in path} == {"Adam, η = 0.01, β₂ = 0.99"}
    # the run drawn is that run, seed 0, with the sidebar's other hyperparameters
    tr = simulate("rosenbrock", "adam", 80, noise=0.3, seed=0, lr=0.01, beta2=0.99)
    last = max(path, key=lambda r: r["step"])
    assert last["x"] == pytest.approx(tr.final_params[0, 0], rel=1e-5)
    assert chart_args(charts(at)[0])["select"] == ["series", "lr", "h2"]
    link = next(c.value for c in at.code if c.value.startswith("http"))
    assert "hm.pick=adam" in link and "hm.lr=0.01" in link and "hm.h2=0.99" in link
    assert any(b.key == "hm_best" for b in at.button)  # back to the best cell
    at.button(key="hm_best").click().run()
    shown = [r for r in _named(_datasets(at), "framed") if r["kind"] == "shown"]
    best = [r for r in _named(_datasets(at), "framed") if r["kind"] == "best" and r["series"] == "momentum"]
    assert shown[0]["series"] == "momentum" and shown[0]["lr"] == best[0]["lr"] and shown[0]["h2"] == best[0]["h2"]


def test_the_theory_button_loads_momentum_on_a_quadratic_with_the_theory_drawn():
    at = open_page(PAGE, SMALL)
    at.button(key="hm_theory").click().run()
    no_exception(at)
    assert at.session_state["v:f"] == "quadratic" and at.session_state["v:noise"] == 0.0
    assert tuple(at.session_state["v:opt"]) == ("sgd", "momentum", "nesterov")
    data = _datasets(at)
    assert {r["series"] for r in _named(data, "edge")} == {"sgd", "momentum", "nesterov"}
    assert {r["series"] for r in _named(data, "optimum")} == {"sgd", "momentum", "nesterov"}
    caption = " ".join(c.value for c in at.caption)
    assert "× 1 seed ×" in caption  # no noise: every seed the same run, one per cell
    assert not any(b.key == "hm_theory" for b in at.button)


def test_a_problem_of_many_parameters_has_maps_and_no_path_map():
    at = open_page(PAGE, {**SMALL, "f": "sparse", "sparse.dim": "10", "opt": "sgd,adagrad"})
    no_exception(at)
    assert len(charts(at)) == 1 and chart_args(charts(at)[0])["steps"] == 0
    assert not any(name.startswith("path") for name in _datasets(at))
    assert any("no map of the runs' paths" in c.value for c in at.caption)


def test_the_snippet_finds_the_same_best_cells_as_the_page():
    at = open_page(PAGE, {**SMALL, "opt": "sgd,momentum,lion"})
    look = next(i.value for i in at.info if "What to look for" in i.value)
    code = next(c.value for c in at.code if "from engine import" in c.value)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for o in ("sgd", "momentum", "lion"):
        said = re.search(rf"\*\*{re.escape(OPTIMIZERS[o].title)}\*\*: best at η = ([0-9.e+-]+)", look).group(1)
        printed = re.search(rf"^{o} best by final loss: lr ([0-9.e+-]+)", out.stdout, re.M).group(1)
        assert float(printed) == pytest.approx(float(said), rel=0.05), (o, said, printed)
