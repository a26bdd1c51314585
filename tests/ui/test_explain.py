"""The step explainer's arrows and panel (``ui.views.explain``), from engine traces: what each
arrow is, that a huge gradient's arrow stays on the map, that a stopped run has none after its
last good step, and that the panel's rows are the engine's numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import OPTIMIZERS, simulate
from ui.views.explain import LONGEST, STEP_KIND, step_explainer

BOX = ((-1.5, 1.5), (-0.5, 1.5))
SIDE = 2.0


def _shafts(ex):
    a = ex.arrows[ex.arrows["part"] == "shaft"]
    return a, np.hypot(a["x2"] - a["x"], a["y2"] - a["y"])


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_the_step_arrow_is_the_step_taken_at_its_stated_scale(optimizer):
    tr = simulate("rosenbrock", optimizer, 30, noise=0.3, record_state=True)
    ex = step_explainer({optimizer: tr}, BOX)
    a = ex.arrows[(ex.arrows["part"] == "shaft") & (ex.arrows["kind"] == ex.legend[STEP_KIND]) & ~ex.arrows["cut"]]
    scale = ex.scales[STEP_KIND]
    assert float(ex.legend[STEP_KIND].rsplit("×", 1)[1]) == pytest.approx(scale)  # the scale is stated
    for _, row in a.iterrows():
        t = int(row["step"])
        np.testing.assert_allclose([row["x"], row["y"]], tr.params[t - 1, 0], rtol=1e-9, atol=1e-12)  # from θ_{t−1}
        np.testing.assert_allclose([row["x2"] - row["x"], row["y2"] - row["y"]], scale * tr.delta[t - 1, 0],
                                   rtol=1e-9, atol=1e-12)
    kinds = set(ex.arrows["kind"])
    assert len(kinds) == (3 if optimizer not in ("sgd", "adagrad", "rmsprop", "adadelta") else 2), kinds


def test_a_huge_gradient_draws_an_arrow_cut_to_a_third_of_the_map():
    tr = simulate("rosenbrock", "adam", 40, noise=0.1, record_state=True)
    grads = np.array(tr.grads)
    grads[5] *= 1e6  # one gradient a million times the others
    huge = dataclasses.replace(tr, grads=grads)
    ex = step_explainer({"adam": huge}, BOX)
    a, length = _shafts(ex)
    assert (length <= LONGEST * SIDE + 1e-9).all()
    assert a.loc[a["step"] == 6, "cut"].any()


def test_a_stopped_run_has_no_arrows_or_numbers_after_its_last_good_step():
    tr = simulate("rosenbrock", "sgd", 50, lr=0.05, record_state=True)
    stop = int(tr.stopped_at[0])
    assert stop > 0
    ex = step_explainer({"sgd": tr}, BOX)
    assert ex.arrows["step"].max() < stop
    assert max(ex.panel["steps"]) < stop
    assert f"stopped at step {stop}" in ex.panel["note"]
    assert all(np.isfinite(ex.arrows[c]).all() for c in ("x", "y", "x2", "y2"))


def test_the_panel_rows_are_the_engines_state():
    tr = simulate("rosenbrock", "adam", 12, noise=0.3, record_state=True)
    panel = step_explainer({"adam": tr}, BOX).panel
    rows = {label: k for k, label in enumerate(panel["labels"])}
    for k, t in enumerate(panel["steps"]):
        values = np.array(panel["values"][k], dtype=float)
        np.testing.assert_allclose(values[rows["g_t gradient"]], tr.grads[t - 1, 0], rtol=1e-5)
        m_row = next(r for label, r in rows.items() if label.startswith("m_t"))
        np.testing.assert_allclose(values[m_row], tr.state["m"][t - 1, 0], rtol=1e-5)
        hat = next(r for label, r in rows.items() if label.startswith("m̂_t"))
        np.testing.assert_allclose(values[hat], tr.state["m"][t - 1, 0] / (1 - 0.9 ** t), rtol=1e-5)
        np.testing.assert_allclose(values[rows["Δθ_t step"]], tr.delta[t - 1, 0], rtol=1e-5)
