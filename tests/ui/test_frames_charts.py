"""Trace -> frame -> chart, checked through the frames and ``chart.to_dict()``."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from engine import get_objective, simulate
from ui.views import charts, frames
from ui.views.theme import CONTOUR_LEVELS, OPTIMIZER_COLORS, ChartStyle, with_style

ROSEN = get_objective("rosenbrock")
CONTOUR_HALF = CONTOUR_LEVELS // 2


def test_path_frame_has_one_row_per_recorded_step_and_run():
    tr = simulate(ROSEN, "adam", 50, seed=np.arange(3), noise=0.1)
    df = frames.path_frame({"adam": tr}, ROSEN)
    assert len(df) == 51 * 3
    assert set(df["step"]) == set(range(51))
    assert np.allclose(df["loss"], ROSEN.value(df[["x", "y"]].to_numpy()))
    assert (df["gap"] > 0).all() and (df["dist"] > 0).all()


def test_path_frame_stops_at_divergence():
    tr = simulate(ROSEN, "sgd", 100, lr=np.array([1e-4, 0.5]))
    assert tr.stopped_at[1] > 0
    df = frames.path_frame({"sgd": tr}, ROSEN)
    last = df[df["run"] == 1]["step"].max()
    assert last == tr.stopped_at[1] - 1
    assert np.isfinite(df[["x", "y", "loss"]].to_numpy()).all()
    msgs = frames.divergence_messages({"sgd": tr})
    assert msgs and "1 of 2 runs diverged" in msgs[0]


def test_thinning_keeps_first_last_and_bounds_size():
    idx = frames.keep_index(2001, 500)
    assert idx[0] == 0 and idx[-1] == 2000 and len(idx) <= 502


def test_band_frame_brackets_the_median():
    tr = simulate(ROSEN, "rmsprop", 40, seed=np.arange(8), noise=0.5)
    band = frames.band_frame({"rmsprop": tr}, ROSEN, "gap")
    assert (band["lo"] <= band["median"]).all() and (band["median"] <= band["hi"]).all()
    assert (band["runs"] == 8).all()


@pytest.mark.parametrize("metric", ["gap", "dist"])
def test_band_frame_is_the_quantiles_of_the_drawn_runs_step_by_step(metric):
    """The same numbers as pandas' grouped quantiles of ``path_frame`` (what a chart of the runs
    shows), with runs that stop at different steps leaving the band one by one."""
    traces = {"sgd": simulate(ROSEN, "sgd", 300, (-1.5, 2.0), 0.0, np.arange(5),  # stop at 6, 8, 10 or not
                              lr=np.array([1e-4, 2e-3, 2.1e-3, 2.3e-3, 2.5e-3])),
              "adam": simulate(ROSEN, "adam", 300, None, 0.5, np.arange(4))}
    stops = traces["sgd"].stopped_at
    assert len(set(stops[stops >= 0])) >= 2 and (stops < 0).any()  # stopped at different steps, and not all
    path = frames.path_frame(traces, ROSEN, max_points=120)
    g = path.groupby(["series", "step"], sort=False)[metric]
    expected = pd.DataFrame({"median": g.median(), "runs": g.count(), "lo": g.quantile(0.1),
                             "hi": g.quantile(0.9)}).reset_index()
    band = frames.band_frame(traces, ROSEN, metric, max_points=120)
    pd.testing.assert_frame_equal(band[["series", "step", "median", "runs", "lo", "hi"]], expected,
                                  check_dtype=False, rtol=1e-12)
    assert set(band["runs"]) > {5, 4}  # the band thins as runs stop


def test_band_frame_refuses_an_unknown_metric():
    with pytest.raises(ValueError, match="metric"):
        frames.band_frame({"adam": simulate(ROSEN, "adam", 5)}, ROSEN, "loss")


def test_trajectory_chart_spec():
    tr = simulate(ROSEN, "momentum", 30, lr=1e-3)
    df = frames.path_frame({"momentum": tr}, ROSEN)
    d = with_style(charts.trajectory_chart(df, ROSEN, 30, ChartStyle()), ChartStyle())
    line = next(layer for layer in d["layer"] if layer.get("mark", {}).get("type") == "line")
    assert line["encoding"]["color"]["scale"]["range"] == [OPTIMIZER_COLORS["momentum"]]
    step = [p for p in d.get("params", []) + line.get("params", []) if p["name"] == "step"]
    assert step and step[0]["bind"]["input"] == "range" and step[0]["bind"]["max"] == 30
    assert d["config"]["axis"]["labelFontSize"] == ChartStyle().font_size


def test_presentation_style_scales_fonts_and_lines():
    big, small = ChartStyle.presentation(), ChartStyle()
    assert big.font_size >= 20 > small.font_size and big.line_width > small.line_width


def test_contour_levels_follow_log_of_the_gap():
    df = frames.contour_frame(ROSEN, n=30)
    assert df.sort_values("f")["level"].is_monotonic_increasing  # bands follow the height
    assert df["level"].nunique() > 8
    # log scale: the lowest tenth of the range of f covers many bands, not one
    low = df[df["f"] < df["f"].min() + 0.1 * (df["f"].max() - df["f"].min())]
    assert low["level"].nunique() > CONTOUR_HALF


def _decode_png(png: bytes) -> np.ndarray:
    """The test's own reader of an 8-bit grey + alpha PNG (filter 0 rows): (height, width, 2)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(png[pos + 8 + length:pos + 12 + length], "big")
        if kind == b"IHDR":
            w, h, depth, colour = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big"), body[8], body[9]
            assert (depth, colour) == (8, 4)
            size = (h, w)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(size[0], 1 + 2 * size[1])
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(size[0], size[1], 2)


@pytest.mark.parametrize(("objective", "n_cells", "bounds"), [
    ("rosenbrock", 70, None), ("beale", 60, None), ("rosenbrock", 13, ((-2.0, 0.5), (0.25, 3.0))),
])
def test_the_map_shades_each_cell_as_contour_frame_levels_it(objective, n_cells, bounds):
    """The map's shading is one image over the box: pixel (row, col) is contour_frame's cell (col,
    n - 1 - row) (row 0 at the top), in Vega's greys from light (level 0) to dark."""
    obj = get_objective(objective)
    layer = charts.contour_layer(obj, charts.Datasets(), n_cells, bounds)
    (x0, x1), (y0, y1) = bounds or obj.bounds
    assert layer["mark"]["type"] == "image" and layer["mark"]["aspect"] is False
    enc = layer["encoding"]
    assert enc["x"]["scale"]["domain"] == [x0, x1] and enc["y"]["scale"]["domain"] == [y0, y1]
    png, shows = frames.contour_png(obj, n_cells, bounds)
    pixels = _decode_png(png)
    level = frames.contour_frame(obj, n_cells, bounds)["level"].to_numpy().reshape(n_cells, n_cells)
    grey, alpha = pixels[..., 0][::-1], pixels[..., 1][::-1]  # back to contour_frame's order
    assert (alpha[level >= 0] == frames.CONTOUR_ALPHA).all() and (alpha[level < 0] == 0).all()
    # darker for a higher level, the same grey for the same level
    order = np.argsort(level.ravel(), kind="stable")
    assert (np.diff(grey.ravel()[order].astype(int)) <= 0).all()
    for lv in np.unique(level):
        assert np.unique(grey[level == lv]).size == 1
    assert grey[level == level.min()][0] == frames.GREYS[0]  # level 0: the scheme's lightest
    assert shows == {"levels": np.unique(level[level >= 0]).size, "undefined": int((level < 0).sum())}


def test_a_function_undefined_in_part_of_the_box_is_shaded_where_it_is_defined():
    """``sqrt(x) + y^2`` is NaN for x < 0: every cell once got level 0 (a blank map, no notice)."""
    obj = get_objective("custom", expr="sqrt(x) + y^2")
    df = frames.contour_frame(obj, n=40)
    left = df["x2"] < 0
    assert (df.loc[left, "level"] == -1).all() and df.loc[left, "f"].isna().all()
    assert df.loc[df["x"] > 0, "level"].nunique() > 8  # shaded where it has values
    assert 0.4 < frames.undefined_share(obj) < 0.6
    assert frames.undefined_share(get_objective("rosenbrock")) == 0.0


def test_a_map_follows_runs_that_leave_a_typed_functions_box_and_says_when_others_do():
    typed = get_objective("custom", expr="x + 0.1*y^2", xmin=-1, xmax=1, ymin=-1, ymax=1)
    tr = simulate(typed, "sgd", 60, start=(0.5, 0.5), lr=0.1)  # walks off to x < -1
    path = frames.path_frame({"sgd": tr}, typed)
    (x0, _), _ = frames.map_box(path, typed.bounds, follow=True)[0]
    assert x0 < path["x"].min() and frames.map_box(path, typed.bounds, follow=True)[1] == []
    spec = charts.trajectory_chart(path, typed, 60, ChartStyle())
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"][0] == x0  # the contour covers the walk
    box, leaving = frames.map_box(path, typed.bounds, follow=False)
    assert box == typed.bounds and leaving == ["SGD"]
    fixed = get_objective("quadratic")
    far = frames.path_frame({"sgd": simulate(fixed, "sgd", 30, start=(-2.5, 1.5), lr=0.21)}, fixed)
    title = charts.trajectory_chart(far, fixed, 30, ChartStyle(), title="Paths")["title"]
    assert "SGD leaves the plotted box" in title["subtitle"]


def test_frames_of_the_first_steps_put_each_update_at_its_own_step_in_a_thinned_record():
    """``moment_frames``, ``step_length_frame`` and ``beta2_frame`` numbered the updates 1..n: right
    only while a record keeps every step. With every third recorded, update k is step 3k."""
    full = simulate("rosenbrock", "adam", 30, noise=0.3, record_state=True)
    thin = simulate("rosenbrock", "adam", 30, noise=0.3, record_state=True, every=3)
    m_full, v_full = frames.moment_frames(full, 0.9, 0.999, 30, ["x", "y"])
    m_thin, v_thin = frames.moment_frames(thin, 0.9, 0.999, 30, ["x", "y"])
    for a, b in ((m_full, m_thin), (v_full, v_thin)):
        assert set(b["step"]) == set(range(3, 31, 3))
        merged = b.merge(a, on=["step", "series", "param"], suffixes=("", "_full"))
        assert len(merged) == len(b)
        np.testing.assert_allclose(merged["value"], merged["value_full"], rtol=1e-12)  # m̂ with its own t
    lengths = frames.step_length_frame({"thin": ("adam", thin), "full": ("adam", full)}, 30)
    thin_rows, full_rows = lengths[lengths["series"] == "thin"], lengths[lengths["series"] == "full"]
    assert thin_rows["step"].tolist() == list(range(3, 31, 3))
    np.testing.assert_allclose(thin_rows["size"].to_numpy(),
                               full_rows.set_index("step").loc[thin_rows["step"], "size"].to_numpy())
    sweep = simulate("rosenbrock", "adam", 30, noise=0.3, every=3, grid={"beta2": (0.9, 0.999)})
    assert set(frames.beta2_frame(sweep)["step"]) == set(range(3, 31, 3))
