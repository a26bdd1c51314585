"""Hyperparameter maps: the numbers of a map (``analysis.hyper_map``), its frames and chart, and the
map of the momentum methods on a quadratic against theory (``engine.theory``)."""

from __future__ import annotations

from types import SimpleNamespace

import altair as alt
import numpy as np
import pytest
from altair.utils.schemapi import validate_jsonschema

from engine import OPTIMIZERS, RunSpec, get_objective, simulate
from engine.theory import curvatures
from ui.views import analysis, charts, claims, frames, stepper
from ui.views.theme import ChartStyle

ROSEN = get_objective("rosenbrock")
SCHEMA = alt.vegalite.v6.schema.core.load_schema()


def one_map(objective, opt, n, seeds, steps, noise=0.3, tol=1e-3, **options):
    lrs, ys = OPTIMIZERS[opt].map_axes(n)
    grid = {"lr": lrs, **({OPTIMIZERS[opt].main.name: ys} if ys is not None else {}), "seed": tuple(range(seeds))}
    trace = simulate(RunSpec.of(objective, opt, steps, noise=noise, grid=grid, record="loss", **options))
    obj = get_objective(objective) if isinstance(objective, str) else objective
    return analysis.hyper_map(trace, lrs, ys, seeds, obj.fmin, tol)


def test_a_cell_is_the_median_of_its_runs_at_its_grid_values():
    """Cell (i, j) holds the runs at η = lrs[i] and μ = ys[j] (the grid's order), each the same run
    as alone, bit for bit; a diverged run counts as ∞."""
    m = one_map("rosenbrock", "momentum", 5, 3, 200)
    assert m.shape == (5, 5)
    for i, j in [(0, 0), (1, 3), (2, 4), (4, 1)]:
        finals = []
        for seed in range(3):
            tr = simulate(ROSEN, "momentum", 200, noise=0.3, seed=seed, lr=m.lrs[i], momentum=m.ys[j], record="loss")
            finals.append(np.inf if tr.diverged[0] else max(tr.final_loss[0] - ROSEN.fmin, 1e-12))
        assert m.gap[i, j] == np.median(finals), (i, j)
    assert np.isinf(m.gap[-1]).all() and (m.diverged[-1] == 1).all()  # η = 1 diverges at every μ


def test_steps_count_from_when_the_loss_stays_within_the_tolerance():
    """A run that dips below the tolerance and comes back out has not reached it then; one that
    diverges never has."""
    loss = np.array([[10.0, 10.0, 10.0], [0.5, 0.5, 5.0], [2.0, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 9.0]])
    trace = SimpleNamespace(optimizer="sgd", t=np.arange(0, 10, 2), loss=loss, final_loss=loss[-1],
                            diverged=np.array([False, False, True]))
    m = analysis.hyper_map(trace, np.array([0.1, 0.2, 0.3]), None, 1, 0.0, tol=1.0)
    assert m.steps[:, 0].tolist() == [6.0, 2.0, np.inf]
    assert m.every == 2 and m.start_gap == 10.0 and m.diverged[:, 0].tolist() == [0, 0, 1]


def _synthetic(gap: np.ndarray, opt: str = "momentum") -> analysis.HyperMap:
    n_lr, n_y = gap.shape
    lrs = np.logspace(-4, 0, n_lr)
    ys = None if n_y == 1 and OPTIMIZERS[opt].main.name is None else 1 - np.logspace(0, -3, n_y)
    return analysis.HyperMap(opt, lrs, ys, gap, gap * 100, np.isinf(gap).astype(float), 1, 1e-3, 10.0)


def test_a_diagonal_band_is_one_good_region_and_said_to_be_diagonal():
    gap = np.full((8, 8), 5.0)
    for j in range(8):  # the good η falls one cell per row as μ grows (1 − μ falls a grid step)
        gap[7 - j, j] = 0.01
    gap[5, 2] = 0.005  # the best
    m = _synthetic(gap)
    assert m.best("gap") == (5, 2)
    good = m.good("gap")  # corner to corner: one region
    assert good.sum() == 8 and m.span(good) == pytest.approx(4.0)
    slope, rows = m.tilt(good, analysis.axis_value("momentum", m.ys))
    assert slope == pytest.approx(4 / 3) and claims.band_word(slope) == "diagonal" and len(rows) == 8


def test_an_upright_band_a_lone_best_ties_and_the_edges():
    gap = np.full((6, 6), 5.0)
    gap[2, :] = 0.02
    gap[2, 5] = 0.01
    m = _synthetic(gap)
    assert m.best("gap") == (2, 5) and m.on_edge((2, 5)) == ["largest"]
    good = m.good("gap")
    assert good[2].all() and good.sum() == 6 and m.span(good) == 0.0
    assert claims.band_word(m.tilt(good, analysis.axis_value("momentum", m.ys))[0]) == "upright"
    lone = np.full((6, 6), 5.0)
    lone[0, 0], lone[3, 3], lone[3, 4] = 0.01, 0.0102, 0.5
    m = _synthetic(lone)
    assert m.best("gap") == (0, 0) and m.good("gap").sum() == 1 and m.ties("gap").sum() == 2
    assert m.on_edge((0, 0)) == ["smallest η", "smallest"]
    steps = _synthetic(lone)
    # fewest steps: ties are broken by the lower final loss
    steps = analysis.HyperMap("momentum", m.lrs, m.ys, lone, np.where(lone < 1, 40.0, np.inf), m.diverged, 1, 1e-3,
                              10.0)
    assert steps.best("steps") == (0, 0) and steps.ties("steps").sum() == 3


def test_a_map_good_everywhere_is_the_whole_map_not_a_band():
    m = _synthetic(np.full((5, 5), 0.01))
    text = claims.hypermap_claim({"momentum": m}, "diverged", ROSEN, 0.3).text
    assert "25 of 25" in text and "the whole map" in text and "band" not in text


def test_a_map_with_nothing_finished_has_no_best():
    m = _synthetic(np.full((4, 4), np.inf))
    assert m.best("gap") is None and not m.good("gap").any()
    text = claims.hypermap_claim({"momentum": m}, "gap", ROSEN, 0.3).text
    assert "no cell finished without diverging" in text


def test_the_frames_place_each_cell_around_its_values_and_frame_the_best_and_shown():
    maps = {"momentum": one_map("rosenbrock", "momentum", 6, 1, 100), "sgd": one_map("rosenbrock", "sgd", 6, 1, 100)}
    shown = ("momentum", float(maps["momentum"].lrs[2]), float(maps["momentum"].ys[4]))
    cells, marks = frames.hypermap_frames(maps, "gap", shown)
    assert len(cells) == 36 + 6
    mom = cells[cells["series"] == "momentum"]
    assert (mom["x0"] < mom["lr"]).all() and (mom["lr"] < mom["x1"]).all()
    a = 1 - mom["h2"]  # 1 − μ: the axis of a decay rate
    assert (mom["y0"] < a).all() and (a < mom["y1"]).all()
    strip = cells[cells["series"] == "sgd"]
    assert (strip["y0"] == 0).all() and (strip["y1"] == 1).all() and strip["h2"].isna().all()
    assert (cells["status"] == "diverged").sum() == int(sum(np.isinf(m.gap).sum() for m in maps.values()))
    assert cells.loc[cells["status"] != "", "value"].isna().all()
    kinds = marks.groupby("series")["kind"].apply(set).to_dict()
    assert kinds == {"momentum": {"best", "shown"}, "sgd": {"best"}}
    row = marks[(marks["kind"] == "shown")].iloc[0]
    assert row["lr"] == shown[1] and row["h2"] == shown[2]


@pytest.mark.parametrize("measure", ["gap", "steps", "diverged"])
def test_the_chart_is_valid_vega_lite_on_one_colour_scale(measure):
    obj = get_objective("quadratic", cond=30.0)
    maps = {o: one_map(obj, o, 6, 1, 300, noise=0.0, tol=1e-4) for o in ("sgd", "momentum", "adam")}
    cells, marks = frames.hypermap_frames(maps, measure, None)
    lines, points = frames.hypermap_theory(maps, obj)
    assert set(lines["series"]) == set(points["series"]) == {"sgd", "momentum"}  # theory: no Adam
    domain = frames.hypermap_domain(maps, measure, 10.0)
    path = frames.path_frame({"momentum": simulate(obj, "momentum", 300)}, obj)
    spec = charts.hypermap_chart(cells, marks, lines, points, measure, "t", domain, ChartStyle(), path=path,
                                 objective=obj, steps=300)
    validate_jsonschema(stepper.rows(stepper.spec_for_browser(spec)), SCHEMA)  # as the browser gets it
    heat = spec["hconcat"][:3]
    fills = [v["layer"][0]["encoding"]["fill"] for v in heat]
    assert all(f["scale"] == fills[0]["scale"] for f in fills) and fills[0]["scale"]["domain"] == list(domain)
    assert [f.get("legend", {}) is not None for f in fills] == [True, False, False]  # one legend
    assert spec["params"][0]["name"] == "step" and charts._is_map(spec["hconcat"][3])
    # the fields a click sends are in the cells' data
    assert {"series", "lr", "h2"} <= set(cells.columns)
    assert spec["usermeta"]["phone_screens"] == pytest.approx(0.65 * 4)  # stacked on a phone: a page to scroll
    legend = fills[0]["legend"]
    if measure != "diverged":  # labels at powers of ten inside the scale, never one per tick
        assert all(domain[0] <= v <= domain[1] for v in legend["values"]) and 2 <= len(legend["values"]) <= 4


def test_the_legend_title_is_in_lines_no_wider_than_its_gradient_and_a_formula_stays_whole():
    assert charts._lines("median final f − f*", 20) == "median final f − f*"
    assert charts._lines("median steps to f − f* ≤ 1e-06", 20) == ["median steps to", "f − f* ≤ 1e-06"]
    assert charts._decades((74.0, 1000.0)) == [100.0, 1000.0]
    assert charts._decades((1e-12, 1e3)) == [1e-12, 1e-8, 1e-4, 1.0]
    assert charts._decades((0.5, 3.0)) == [0.5, 3.0]  # no two powers of ten inside: its ends


def test_no_theory_off_the_quadratics():
    maps = {"momentum": one_map("rosenbrock", "momentum", 5, 1, 50)}
    lines, points = frames.hypermap_theory(maps, ROSEN)
    assert lines.empty and points.empty and claims.theory_check(maps["momentum"], ROSEN) is None


# ---------------------------------------------------------------------------
# Theory against the map: what the page draws over the maps on a quadratic
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n", [16, 24])
@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov"])
def test_the_computed_map_follows_theorys_edge_and_its_best_cell_is_next_to_the_optimum(opt, kappa, n):
    """No noise, 1000 steps, colour by the steps to reach f − f* ≤ 1e-6 (as the page's lesson):
    in every row of μ the first unstable cell is the first beyond 2(1 + μ)/L (Nesterov:
    2(1 + μ)/((1 + 2μ)L); SGD 2/L), give or take one cell; the fewest steps are at most one cell
    from theory's (η*, μ*)."""
    obj = get_objective("quadratic", cond=kappa, angle=20.0)
    m = one_map(obj, opt, n, 1, 1000, noise=0.0, tol=1e-6)
    law, (lo, L) = OPTIMIZERS[opt].theory, curvatures(obj)
    ys = m.ys if m.ys is not None else np.zeros(1)
    for j, mu in enumerate(ys):
        unstable = np.flatnonzero(~(m.gap[:, j] < m.start_gap))  # diverged, or ends no lower than it started
        beyond = np.flatnonzero(m.lrs > law.edge(mu, L))
        assert unstable.size and beyond.size
        assert abs(int(unstable[0]) - int(beyond[0])) <= 1, (mu, m.lrs[unstable[0]], law.edge(mu, L))
        assert np.all(~(m.gap[unstable[0] + 1:, j] < m.start_gap))  # and unstable beyond it
    best = m.best("steps")
    if opt == "sgd" and kappa == 1000.0:  # too slow to reach 1e-6 in 1000 steps anywhere
        assert best is None
        return
    eta, mu = law.optimum(lo, L)
    star = analysis.nearest_cell(m, eta, mu)
    assert max(abs(a - b) for a, b in zip(best, star)) <= 1, (best, star, m.lrs[best[0]], eta)
