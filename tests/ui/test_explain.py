"""The step explainer's arrows and panel (``ui.views.explain``), from engine traces: what each
arrow is, that a huge gradient's arrow stays on the map, that a stopped run has none after its
last good step, and that the panel's rows are the engine's numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import OPTIMIZERS, simulate
from ui.views.explain import DIRECTION_KIND, GRAD_KIND, LONGEST, STEP_KIND, VECTOR, only, step_explainer

BOX = ((-1.5, 1.5), (-0.5, 1.5))
SIDE = 2.0


def _lr(optimizer: str) -> float:
    """A learning rate at which no run diverges in 30 steps."""
    return min(OPTIMIZERS[optimizer].hypers["lr"].default, 1e-3)


def _vectors(ex, kind):
    """Each row's drawn vector of ``kind`` (NaN where its series has none) and its length."""
    cx, cy = VECTOR[kind]
    v = ex.arrows[[cx, cy]].to_numpy()
    return v, np.hypot(v[:, 0], v[:, 1])


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_the_step_arrow_is_the_step_taken_at_its_stated_scale(optimizer):
    tr = simulate("rosenbrock", optimizer, 30, start=(0.0, 0.0), noise=0.3, record_state=True, lr=_lr(optimizer))
    ex = step_explainer({optimizer: tr}, BOX)
    scale = ex.scales[STEP_KIND]
    assert float(ex.legend[STEP_KIND].rsplit("×", 1)[1]) == pytest.approx(scale)  # the scale is stated
    assert ex.arrows["step"].tolist() == list(range(1, 31))  # every step
    v, length = _vectors(ex, STEP_KIND)
    for row, drawn, size in zip(ex.arrows.itertuples(), v, length):
        t = int(row.step)
        np.testing.assert_allclose([row.x, row.y], tr.params[t - 1, 0], rtol=1e-9, atol=1e-12)  # from θ_{t−1}
        if size < LONGEST * SIDE * 0.999:  # not cut: the step at its scale, to 1e-4 of the map
            np.testing.assert_allclose(drawn, scale * tr.delta[t - 1, 0], rtol=0, atol=1e-4 * SIDE)
    kinds = set(ex.legend)
    assert len(kinds) == (3 if optimizer not in ("sgd", "adagrad", "rmsprop", "adadelta") else 2), kinds


def test_a_huge_gradient_draws_an_arrow_cut_to_a_third_of_the_map():
    tr = simulate("rosenbrock", "adam", 40, noise=0.1, record_state=True)
    grads = np.array(tr.grads)
    grads[5] *= 1e6  # one gradient a million times the others
    huge = dataclasses.replace(tr, grads=grads)
    ex = step_explainer({"adam": huge}, BOX)
    for kind in ex.legend:
        _, length = _vectors(ex, kind)
        assert (length[np.isfinite(length)] <= LONGEST * SIDE + 1e-4).all(), kind
    _, length = _vectors(ex, GRAD_KIND)
    assert length[ex.arrows["step"] == 6][0] == pytest.approx(LONGEST * SIDE, abs=1e-4)


def test_a_stopped_run_has_no_arrows_or_numbers_after_its_last_good_step():
    tr = simulate("rosenbrock", "sgd", 50, lr=0.05, record_state=True)
    stop = int(tr.stopped_at[0])
    assert stop > 0
    ex = step_explainer({"sgd": tr}, BOX)
    assert ex.arrows["step"].max() == stop - 1
    assert max(ex.panel["steps"]) == stop - 1
    assert f"stopped at step {stop}" in ex.panel["note"]
    assert all(np.isfinite(ex.arrows[c]).all() for c in ("x", "y", "sx", "sy", "gx", "gy"))


def test_every_series_has_its_arrows_at_every_step_and_one_map_keeps_its_own():
    traces = {o: simulate("rosenbrock", o, 25, start=(0.0, 0.0), noise=0.3, record_state=True, lr=_lr(o))
              for o in ("momentum", "sgd", "adam")}
    ex = step_explainer(traces, BOX, labels={"sgd": "plain SGD"})
    assert [s[:2] for s in ex.series] == [("momentum", "SGD + Momentum"), ("sgd", "plain SGD"), ("adam", "Adam")]
    for i in range(3):
        assert ex.arrows.loc[ex.arrows["i"] == i, "step"].tolist() == list(range(1, 26))
    direction, _ = _vectors(ex, DIRECTION_KIND)
    assert np.isnan(direction[ex.arrows["i"] == 1]).all()  # SGD has no running direction
    assert np.isfinite(direction[ex.arrows["i"] != 1]).all()
    assert set(only(ex, "adam").arrows["i"]) == {2}


PRINTED = 5e-4  # the panel holds what it prints: four significant digits


def test_the_panel_rows_are_the_engines_state():
    tr = simulate("rosenbrock", "adam", 12, noise=0.3, record_state=True)
    panel = step_explainer({"adam": tr}, BOX).panel
    rows = {label: k for k, label in enumerate(panel["labels"])}
    for k, t in enumerate(panel["steps"]):
        values = np.array(panel["values"][k], dtype=float)
        np.testing.assert_allclose(values[rows["g_t gradient"]], tr.grads[t - 1, 0], rtol=PRINTED)
        m_row = next(r for label, r in rows.items() if label.startswith("m_t"))
        np.testing.assert_allclose(values[m_row], tr.state["m"][t - 1, 0], rtol=PRINTED)
        hat = next(r for label, r in rows.items() if label.startswith("m̂_t"))
        np.testing.assert_allclose(values[hat], tr.state["m"][t - 1, 0] / (1 - 0.9 ** t), rtol=PRINTED)
        np.testing.assert_allclose(values[rows["Δθ_t step"]], tr.delta[t - 1, 0], rtol=PRINTED)


def _rows(panel: dict, label_start: str) -> np.ndarray:
    r = next(k for k, label in enumerate(panel["labels"]) if label.startswith(label_start))
    return np.array([step[r] for step in panel["values"]], dtype=float)


def test_lion_with_beta2_0_has_its_interpolation_its_sign_and_its_arrow():
    """With β₂ = 0 (the slider allows it) m_{t−1} was recovered by dividing by β₂: the c_t and
    sign(c_t) rows showed "—" and the running-direction arrow was dropped."""
    tr = simulate("rosenbrock", "lion", 20, noise=0.3, record_state=True, beta2=0.0, lr=1e-3)
    ex = step_explainer({"lion": tr}, BOX)
    c, sign = _rows(ex.panel, "c_t"), _rows(ex.panel, "sign(c_t)")
    g = np.asarray(tr.grads[:, 0])
    m_prev = np.vstack([np.zeros((1, 2)), g[:-1]])  # β₂ = 0: m_{t−1} = g_{t−1}
    np.testing.assert_allclose(c, 0.9 * m_prev + 0.1 * g, rtol=PRINTED, atol=1e-12)
    np.testing.assert_array_equal(sign, -np.sign(tr.delta[:, 0]))  # the step is −η sign(c_t)
    direction, _ = _vectors(ex, DIRECTION_KIND)
    assert DIRECTION_KIND in ex.legend and np.isfinite(direction).all()


def test_centred_rmsprops_denominator_is_the_engines_clamped_one():
    """The engine takes √max(v − ḡ², 0): a gradient that never changes makes v − ḡ² a rounding
    error below 0 (from step 17 here), where the panel showed "—" (the run then takes steps of
    η/ε and is stopped at step 48)."""
    tr = simulate("custom", "rmsprop", 100, objective_options={"expr": "0.1*x + 0.3*y"}, noise=0.0,
                  record_state=True, rho=0.1, centered=True, lr=1e-3)
    panel = step_explainer({"rmsprop": tr}, BOX).panel
    n = len(panel["steps"])
    assert (tr.state["v"][:n, 0] - tr.state["g_avg"][:n, 0] ** 2 < 0).any()  # the case is there
    denominator = _rows(panel, "√(v_t − ḡ_t²) + ε")
    np.testing.assert_allclose(denominator, 1e-3 / np.asarray(tr.eff_lr[:n, 0]), rtol=PRINTED)
