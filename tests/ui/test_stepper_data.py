"""The step-through chart's data: rounded columns on the server, rows in the browser."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ui.views import charts, stepper

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=1, max_size=50))
def test_significant_rounds_like_the_format_spec(values):
    got = stepper._significant(np.array(values))
    for v, r in zip(values, got):
        want = float(f"{v:.{stepper.DIGITS}g}")
        # the same, or (a tie decided the other way after an inexact scaling) one unit of the
        # last kept digit away
        unit = 10.0 ** (math.floor(math.log10(abs(want))) - stepper.DIGITS + 1) if want else 0.0
        assert r == want or abs(r - want) <= 1.000001 * unit, (v, r, want)
        assert len(repr(abs(float(r))).replace(".", "").split("e")[0].strip("0")) <= stepper.DIGITS + 1


def test_columns_keep_types_and_turn_non_finite_into_null():
    frame = pd.DataFrame({"x": [0.123456789, np.nan, np.inf, -1e-9], "step": [0, 1, 2, 3],
                          "label": ["Adam", "SGD", "Adam", None], "ok": [True, False, True, True]})
    cols = stepper.columns(frame)
    assert cols["x"] == [0.123457, None, None, -1e-9]
    assert cols["step"] == [0, 1, 2, 3]
    assert cols["label"] == ["Adam", "SGD", "Adam", None]
    assert cols["ok"] == [True, False, True, True]
    json.dumps(cols, allow_nan=False)  # valid JSON


def test_a_dataset_used_by_several_layers_is_sent_once_and_rows_come_back():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0], "label": list("abc")})
    data = charts.Datasets()
    layers = [{"data": data.frame(frame, "f", ("x", "y", "label")), "mark": mark} for mark in ("line", "point")]
    spec = stepper.spec_for_browser(charts.top_level({"layer": layers}, data))
    assert len(spec["datasets"]) == 1 and layers[0]["data"] == layers[1]["data"]
    (rows,) = stepper.rows(spec)["datasets"].values()
    assert rows == frame.to_dict("records")
