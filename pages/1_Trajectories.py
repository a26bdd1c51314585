"""Trajectories: every chosen optimiser's path over the objective's contour map."""

import streamlit as st

from ui.frame import page
from ui.views import charts, explain, frames, snippets

with page.open("trajectories") as view:
    s = view.settings
    objective = s.objective_obj()
    st.latex(objective.latex)
    view.explain(
        f"Each coloured line is one optimiser's path on **{objective.title}**, all from the same "
        "start (black dot) with the same gradient noise. The shading is the height of the "
        "function on a log scale: light is low. Drag the step slider above the map to replay "
        "the runs, or press **Play**; hover a path for its step, position and loss. Beside the "
        "map, the loss gap fills in as the runs go.",
        "Where the paths bend. Plain SGD and momentum follow the steepest slope and can zig-zag "
        "across a narrow valley; RMSProp and Adam rescale each coordinate, which can let them head "
        "more directly along it. Press Play and watch the loss gap: where a path turns, its curve "
        "changes slope.")
    if objective.dim != 2:
        st.warning(f"{objective.title} has {objective.dim} parameters and no map. Pick a 2-D "
                   "objective, or see the Sparse gradients page.")
    else:
        explaining = view.explaining()
        specs = view.specs(record_state=True) if explaining else view.specs()
        traces = view.run(specs)
        view.divergence(traces)
        path = frames.path_frame(traces, objective, max_points=1000)
        arrows = explain.step_explainer(traces, view.map_box(path, objective)) if explaining else None
        if arrows is None:
            view.player(lambda: charts.map_and_progress(path, objective, s.steps, view.style, live=view.live(specs)),
                        s.steps, key="trajectories", pick_start=True)
        else:  # the update's numbers take the loss curve's place beside the map
            view.player(lambda: charts.trajectory_chart(path, objective, s.steps, view.style, zoom=True,
                                                        explain=arrows, live=view.live(specs)),
                        s.steps, key="trajectories", pick_start=True)
        st.caption("Play, pause and step with the buttons or the keyboard (space, ← →, Home, End). "
                   "Click the map to start the runs there, or drag the black start dot: every path follows as "
                   "you drag. The sliders above the map change η and the averaging coefficients live. Scroll on "
                   "the map to zoom, drag elsewhere to pan; the ⋯ "
                   "menu saves the chart as PNG or SVG.")
        if arrows is not None:
            view.arrows_caption(arrows)
        if view.widget("traj.3d"):
            view.surface(path, objective, s.steps, key="trajectories_3d")
        finals = " · ".join(f"**{frames.title(o)}** f = {t.final_loss[0]:.4g}" for o, t in traces.items())
        st.markdown(f"Final loss after {s.steps} steps: {finals}")
        view.share({"paths": view.later(frames.path_frame, specs, max_points=s.steps + 1)},
                   snippets.runs_snippet(specs))
    st.markdown("#### Update rules")
    view.formulas(s.optimizers)
