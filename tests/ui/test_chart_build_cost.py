"""Chart building stays cheap: counts, not timings.

Copying an Altair ``LayerChart`` re-runs its constructor, which deep-copies every sub-chart (and
every unset field of every channel): the home figure once took 87 layer constructions. The
layered Altair builders give layers every property at construction and keep them flat; the
maps, the heaviest charts, are written as spec dicts (``ui.mapspec``) and build no Altair
object at all.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from engine import get_objective, simulate
from ui import charts, frames, mapspec, stepper
from ui.style import ChartStyle


@pytest.fixture
def schema_objects(monkeypatch):
    """Counts of Altair objects constructed: layered charts, and every schema object."""
    count = {"layers": 0, "objects": 0}
    layer_init, base_init = alt.LayerChart.__init__, alt.utils.schemapi.SchemaBase.__init__

    def counting_layer(self, *args, **kwargs):
        count["layers"] += 1
        layer_init(self, *args, **kwargs)

    def counting_base(self, *args, **kwargs):
        count["objects"] += 1
        base_init(self, *args, **kwargs)

    monkeypatch.setattr(alt.LayerChart, "__init__", counting_layer)
    monkeypatch.setattr(alt.utils.schemapi.SchemaBase, "__init__", counting_base)
    return count


@pytest.fixture
def traces():
    obj = get_objective("rosenbrock")
    return {o: simulate(obj, o, 200, None, 0.1, np.array([0, 1, 2]), lr=1e-3) for o in ("sgd", "adam")}


@pytest.fixture
def path(traces):
    return frames.path_frame(traces, get_objective("rosenbrock"))


def test_a_map_and_its_progress_curve_build_no_altair_object(schema_objects, path):
    spec = mapspec.map_and_progress(path, get_objective("rosenbrock"), 200, ChartStyle())
    stepper._spec_json(spec, ChartStyle())
    assert schema_objects == {"layers": 0, "objects": 0}


def test_the_loss_bands_build_no_altair_object(schema_objects, traces):
    band = frames.band_frame(traces, get_objective("rosenbrock"), "gap")
    stepper._spec_json(mapspec.band_chart(band, "gap", ChartStyle()), ChartStyle())
    assert schema_objects == {"layers": 0, "objects": 0}


def test_a_layered_altair_chart_builds_each_layer_about_once(schema_objects, path):
    stepper._spec_json(charts.xy_chart(path, "x", "y", "x", "y", ChartStyle(), log_x=False, log_y=False),
                       ChartStyle())
    assert 1 <= schema_objects["layers"] <= 4, schema_objects  # built, and copied a few times: not dozens


def test_the_counter_sees_altair_objects(schema_objects):
    """The fixture can fail the first test: an Altair chart is counted."""
    alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    assert schema_objects["objects"] > 0
