"""Layered charts are built once: no re-building cascade (a count, not a timing).

Copying an Altair ``LayerChart`` re-runs its constructor, which deep-copies every sub-chart, and
a nested layer repeats that at each level: the home figure once took 45 layer constructions to
build and 42 more to serialise (about 3x its server time). The builders now give layers every
property at construction and keep them flat.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pytest

from engine import get_objective, simulate
from ui import charts, frames, stepper
from ui.style import ChartStyle


@pytest.fixture
def layer_inits(monkeypatch):
    count = {"n": 0}
    original = alt.LayerChart.__init__

    def counting(self, *args, **kwargs):
        count["n"] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(alt.LayerChart, "__init__", counting)
    return count


def test_a_map_and_its_progress_curve_build_each_layer_about_once(layer_inits):
    obj = get_objective("rosenbrock")
    traces = {o: simulate(obj, o, 200, None, 0.1, np.array([0]), lr=1e-3) for o in ("sgd", "adam")}
    path = frames.path_frame(traces, obj)
    chart = charts.map_and_progress(path, obj, 200, ChartStyle())
    stepper._spec_json(chart, ChartStyle())
    # two layers (map, progress curve), each built and copied a few times: not dozens
    assert layer_inits["n"] <= 10, layer_inits["n"]
