"""The floor for ``browser_latency.py``: the smallest Streamlit app that does what a page of the
dashboard does, so that what Streamlit itself costs in the browser is measured in the same run.

Two pages (``st.navigation``), 20 number inputs in the sidebar, one 2000-point Vega-Lite line
chart drawn by Streamlit's own chart element. ``streamlit run benchmarks/floor_app.py``.
"""

import numpy as np
import pandas as pd
import streamlit as st


def _page(name: str):
    def run() -> None:
        for i in range(20):
            st.sidebar.number_input(f"Input {i}", value=float(i), key=f"n{i}")
        x = np.arange(2000)
        frame = pd.DataFrame({"x": x, "y": np.sin(x / 50 + st.session_state["n0"])})
        st.title(f"Page {name}")
        st.vega_lite_chart(frame, {"mark": "line", "encoding": {"x": {"field": "x", "type": "quantitative"},
                                                                "y": {"field": "y", "type": "quantitative"}}},
                           width="stretch")
    run.__name__ = f"page_{name.lower()}"  # st.Page tells callables apart by name
    return run


st.navigation([st.Page(_page("A"), title="Page A", url_path="a", default=True),
               st.Page(_page("B"), title="Page B", url_path="b")]).run()
