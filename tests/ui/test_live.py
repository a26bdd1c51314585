"""A map's live preview (ui/views/live.py): what the browser is told is enough to recompute, from
a dragged start, exactly the paths the server then computes.

The description of a chart's runs, its noise sent once per seed, its colours and views; and the
twin (static/optlab/twin.js, in node), given that description and a new start, computing the
engine's own run from that start bit for bit (Rosenbrock: + - * / only)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import numpy as np

from engine import RunSpec, get_objective, simulate
from tests.node import require_node
from ui.views import charts, frames, live
from ui.views.theme import OPTIMIZER_COLORS, ChartStyle

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "js" / "run_twin.js"
ROSEN = get_objective("rosenbrock")


def _specs(optimizers=("momentum", "rmsprop", "adam"), steps=300, noise=0.3, seed=0, start=(-1.0, 0.5)):
    hyper = {"momentum": {"lr": 1e-3, "momentum": 0.9}, "rmsprop": {"lr": 5e-3}, "adam": {"lr": 1e-2},
             "sgd": {"lr": 1e-3}, "adagrad": {"lr": 0.1}}
    return {o: RunSpec.of("rosenbrock", o, steps, start=start, noise=noise, seed=seed, **hyper[o])
            for o in optimizers}


def _chart(specs, **kw):
    traces = {k: simulate(s) for k, s in specs.items()}
    path = frames.path_frame(traces, ROSEN)
    grids = {o: {"lr": (1e-4, 1e-3, 1e-2, 0.1)} for o in specs}
    return charts.map_and_progress(path, ROSEN, next(iter(specs.values())).steps, ChartStyle(),
                                   live=live.Live(specs, grids), **kw)


def test_a_map_tells_the_browser_each_series_run_once_per_seed_of_noise():
    specs = _specs()
    meta = _chart(specs)["usermeta"]["live"]
    assert [s["key"] for s in meta["series"]] == list(specs)
    assert [s["color"] for s in meta["series"]] == [OPTIMIZER_COLORS[o] for o in specs]
    assert all(s["views"] == [0] for s in meta["series"]) and meta["maps"] == [0] and meta["loss"]["view"] == 1
    refs = {s["twin"]["runs"][0]["noise"] for s in meta["series"]}
    assert len(refs) == 1 and len(meta["noise"]) == 1  # one seed: its draws once, for every series
    assert len(meta["noise"][refs.pop()]) == 2 * 300
    assert meta["start"] == [-1.0, 0.5] and meta["box"] == [[-1.5, 1.5], [-0.5, 1.5]]
    assert meta["image"].startswith("data:image/png;base64,")
    assert meta["minima"] == [[1.0, 1.0]] and meta["fmin"] == 0.0


def test_a_map_whose_objective_cannot_be_twinned_has_no_preview():
    assert not live.twinnable({"sgd": RunSpec.of("sparse", "sgd", 10)}, get_objective("sparse"))
    assert live.twinnable(_specs(), ROSEN)
    path = frames.path_frame({}, ROSEN)
    assert live.describe(live.Live({}, {}), path, ROSEN, ChartStyle(), maps=[0]) is None


def _twin_from(meta: dict, start, tmp_path: Path) -> list[np.ndarray]:
    """Each series' run 0 from ``start``, as the chart component computes it (noise filled in from
    the shared table), by the twin in node."""
    node = require_node()
    cases = []
    for s in meta["series"]:
        spec = dict(s["twin"])
        spec["runs"] = [{**r, "noise": meta["noise"][r["noise"]] if isinstance(r["noise"], str) else r["noise"]}
                        for r in spec["runs"]]
        cases.append({"spec": spec, "overrides": {"start": list(start)}, "full": True})
    (tmp_path / "cases.json").write_text(json.dumps({"cases": cases}))
    subprocess.run([node, str(RUNNER), str(tmp_path / "cases.json"), str(tmp_path / "out.json")], check=True,
                   timeout=120)
    results = json.loads((tmp_path / "out.json").read_text())["results"]
    return [np.frombuffer(base64.b64decode(r[0]["data"]["params"]), "<f8") for r in results]


def test_the_preview_from_a_dragged_start_is_the_servers_run_from_it_bit_for_bit(tmp_path):
    specs = _specs()
    meta = _chart(specs)["usermeta"]["live"]
    dragged = (-0.664, 0.2)  # where a release would put the start (rounded as a click's point)
    previews = _twin_from(meta, dragged, tmp_path)
    for (key, spec), preview in zip(specs.items(), previews):
        server = simulate(spec.replace(start=dragged)).params[:, 0].ravel()
        assert preview.shape == server.shape
        assert np.array_equal(preview, server), f"{key}: the preview is not the server's run"


def test_the_sliders_beside_the_player_tune_eta_and_each_optimisers_averaging_coefficients():
    specs = _specs(("sgd", "momentum", "adam"))
    grids = {o: {n: (1e-3, 1e-2, 0.5, 0.9, 0.99) for n in live.TUNED} for o in specs}
    traces = {k: simulate(s) for k, s in specs.items()}
    chart = charts.map_and_progress(frames.path_frame(traces, ROSEN), ROSEN, 300, ChartStyle(),
                                    live=live.Live(specs, grids))
    tune = {t["optimizer"]: t for t in chart["usermeta"]["live"]["tune"]}
    assert {o: [h["name"] for h in t["hypers"]] for o, t in tune.items()} == {
        "sgd": ["lr"], "momentum": ["lr", "momentum"], "adam": ["lr", "beta1", "beta2"]}
    adam = {h["name"]: h for h in tune["adam"]["hypers"]}
    assert adam["beta2"]["symbol"] == "β₂" and adam["beta2"]["value"] == 0.999
    assert 0.999 in adam["beta2"]["grid"] and adam["beta2"]["grid"] == sorted(adam["beta2"]["grid"])


EXPLAINED = [("sgd", {}), ("momentum", {}), ("nesterov", {}), ("adagrad", {}), ("rmsprop", {}),
             ("rmsprop", {"centered": True}), ("adam", {}), ("adam", {"amsgrad": True}),
             ("adam", {"bias_correction": False}), ("adamw", {}), ("nadam", {}), ("radam", {}), ("adamax", {}),
             ("adadelta", {}), ("lion", {}), ("lion", {"beta2": 0.0})]


def test_the_panel_and_the_direction_computed_in_the_browser_are_the_servers(tmp_path):
    """While a start is dragged the panel's rows and the running-direction arrow come from the
    browser (chart.js ``EXPLAIN``, on the twin's run): the same rows, labels and numbers as
    ``ui.views.explain.rows_over`` and ``VIEWS[...].direction`` on the engine's run."""
    from engine import OPTIMIZERS
    from engine.twin import twin_spec
    from ui.views import explain
    from ui.views.optimizers import VIEWS

    assert {o for o, _ in EXPLAINED} == set(OPTIMIZERS)  # every optimiser is checked
    node = require_node()
    steps = [1, 2, 3, 17, 40]
    cases, expected = [], []
    for opt, options in EXPLAINED:
        spec = RunSpec.of("beale", opt, 40, start=(1.0, 1.0), noise=0.2, seed=3, record_state=True, **options)
        tr = simulate(spec)
        rows = np.array(steps) - 1
        labels, values = explain.rows_over(opt, tr, rows, np.array(steps))
        ctx = explain._Ctx(tr, rows, np.array(steps))
        towards = VIEWS[opt].direction
        with np.errstate(all="ignore"):
            direction = towards(ctx) if towards else None
        cases.append({"spec": twin_spec(spec), "steps": steps})
        expected.append((labels, values, direction))
    (tmp_path / "cases.json").write_text(json.dumps({"cases": cases}))
    subprocess.run([node, str(ROOT / "tests" / "js" / "run_explain.mjs"), str(tmp_path / "cases.json"),
                    str(tmp_path / "out.json")], check=True, timeout=120, cwd=ROOT)
    results = json.loads((tmp_path / "out.json").read_text())["results"]
    for (opt, options), (labels, values, direction), got in zip(EXPLAINED, expected, results):
        for k, t in enumerate(steps):
            shown = got[str(t)]
            assert shown["labels"] == labels, (opt, options, t)
            js = np.array([[np.nan if v is None else v for v in row] for row in shown["values"]], dtype=float)
            np.testing.assert_allclose(js, values[k], rtol=1e-12, atol=0, equal_nan=True,
                                       err_msg=f"{opt} {options} at step {t}")
            if direction is None:
                assert shown["direction"] is None, opt
            else:
                np.testing.assert_allclose(np.array(shown["direction"], dtype=float), direction[k], rtol=1e-12,
                                           err_msg=f"{opt} {options}: direction at step {t}")
