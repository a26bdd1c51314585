"""The step-through chart's serialisation never unregisters Streamlit's Altair transformer.

``st.altair_chart`` registers ``to_arrow_dataset`` outside Streamlit's Altair lock and enables
it inside. ``alt.data_transformers.enable(...)`` used as a context restores the registry as it
was on entry, so a registration made by another thread meanwhile was wiped, and the next
``st.altair_chart`` failed with ``NoSuchEntryPoint`` (first seen in CI on a fresh server).
"""

from __future__ import annotations

import threading

import altair as alt
import pandas as pd
import pytest

from ui import stepper


def _streamlit_register():
    from streamlit.elements.vega_charts import _to_arrow_dataset
    alt.data_transformers.register("to_arrow_dataset", _to_arrow_dataset)


@pytest.fixture
def fresh_registry():
    saved = alt.data_transformers._get_state()
    alt.data_transformers.register("to_arrow_dataset", None)  # as in a fresh server process
    yield
    alt.data_transformers._set_state(saved)


def test_registration_made_while_a_step_through_spec_is_serialised_survives(fresh_registry, monkeypatch):
    chart = alt.Chart(pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})).mark_line().encode(x="x", y="y")
    inside, release = threading.Event(), threading.Event()
    real_to_dict = alt.Chart.to_dict

    def slow_to_dict(self, *args, **kwargs):
        inside.set()
        release.wait(10)
        return real_to_dict(self, *args, **kwargs)

    monkeypatch.setattr(alt.Chart, "to_dict", slow_to_dict)
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("spec", stepper.spec_for_browser(chart)))
    worker.start()
    assert inside.wait(10)
    _streamlit_register()  # another session's st.altair_chart, before it takes the lock
    release.set()
    worker.join(10)
    assert "to_arrow_dataset" in alt.data_transformers.names()
    with alt.data_transformers.enable("to_arrow_dataset", datasets={}):  # what st.altair_chart does next
        pass
    assert out["spec"]["datasets"], "the step-through spec lost its data"
