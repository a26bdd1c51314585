"""Trajectories: every chosen optimiser's path over the objective's contour map."""

import streamlit as st

from ui import charts, frames, page
from ui.compute import run_settings

with page.view("trajectories") as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    st.latex(objective.latex)
    page.explain(
        f"Each coloured line is one optimiser's path on **{objective.title}**, all from the same "
        "start (black dot) with the same gradient noise. The shading is the height of the "
        "function on a log scale: light is low. Drag the **Step** slider under the map to replay "
        "the runs; hover a path for its step, position and loss.",
        "Where the paths bend. Plain SGD and momentum follow the steepest slope and can zig-zag "
        "across a narrow valley; RMSProp and Adam rescale each coordinate, so they head more "
        "directly along it, at steps about the size of the learning rate.")
    if objective.dim != 2:
        st.warning(f"{objective.title} has {objective.dim} parameters and no map. Pick a 2-D "
                   "objective, or see the Sparse gradients page.")
    else:
        traces = run_settings(s)
        page.divergence_notice(traces)
        path = frames.path_frame(traces, objective, max_points=1500)
        chart = charts.trajectory_chart(path, objective, s.steps, ctx.style)
        page.chart(chart, ctx, key="trajectories")
        finals = " · ".join(f"**{frames.title(o)}** f = {t.final_loss[0]:.4g}" for o, t in traces.items())
        st.markdown(f"Final loss after {s.steps} steps: {finals}")
    st.markdown("#### Update rules")
    page.formula_panel(s.optimizers, s)
