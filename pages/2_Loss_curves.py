"""Loss curves: the gap to the minimum value and the distance to the nearest minimum, over seeds."""

import streamlit as st

from ui.frame import page
from ui.views import charts, frames, snippets

with page.open("loss") as view:
    s = view.settings
    objective = s.objective_obj()
    st.latex(objective.latex)
    view.explain(
        "The loss gap f(θ) − f* (how far the function value is above its minimum) and the "
        "distance from θ to the nearest minimum, against the step, both on log scales. With "
        "gradient noise every run is different: each optimiser runs with several seeds, and "
        "the line is the median run with a band from the 10% to the 90% quantile. Every "
        "optimiser sees the same noise for the same seed.",
        "A straight line falling on a log scale is a constant rate of progress. Curves that "
        "flatten early have hit the noise floor: the learning rate sets how close to the "
        "minimum a run can settle. A wide band means the result depends on luck.")
    n_seeds = int(view.widget("seeds"))
    seeds = tuple(range(s.seed, s.seed + n_seeds))
    if s.noise == 0 and n_seeds > 1:
        st.caption("Gradient noise is 0, so every seed gives the same run; raise the noise in "
                   "the sidebar to see a spread.")
    specs = view.specs(seed=seeds)
    traces = view.run(specs)
    view.divergence(traces)
    cols = view.stage_columns(2)
    for col, metric, label, key in ((cols[0], "gap", "f(θ) − f*", "loss_gap"),
                                    (cols[1], "dist", "distance to nearest minimum", "loss_dist")):
        view.chart(lambda m=metric, t=label: charts.band_chart(
            frames.band_frame(traces, objective, m, max_points=600), t, view.style, title=t), key=key, container=col)
    final = frames.final_frame(traces)
    view.table(frames.final_summary(final), "loss_table",
               {"median final f": "{:.4g}", "10% quantile": "{:.4g}", "90% quantile": "{:.4g}"})
    view.share({"runs": view.later(frames.path_frame, specs, max_points=s.steps + 1), "summary": final},
               snippets.runs_snippet(specs))
    st.markdown("#### Update rules")
    view.formulas(s.optimizers)
