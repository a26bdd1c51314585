"""Loss curves: the gap to the minimum value and the distance to the nearest minimum, over seeds."""

import numpy as np
import streamlit as st

from ui import frames, mapspec, page
from ui.compute import run_settings
from ui.page_fields import LOSS_SEEDS as SEEDS
from ui.page_fields import PAGE_FIELDS

with page.view("loss", PAGE_FIELDS["loss"]) as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    st.latex(objective.latex)
    page.explain(
        "The loss gap f(θ) − f* (how far the function value is above its minimum) and the "
        "distance from θ to the nearest minimum, against the step, both on log scales. With "
        "gradient noise every run is different: each optimiser runs with several seeds, and "
        "the line is the median run with a band from the 10% to the 90% quantile. Every "
        "optimiser sees the same noise for the same seed.",
        "A straight line falling on a log scale is a constant rate of progress. Curves that "
        "flatten early have hit the noise floor: the learning rate sets how close to the "
        "minimum a run can settle. A wide band means the result depends on luck.")
    n_seeds = ctx.widget(SEEDS, st.columns(3)[0])
    seeds = tuple(range(s.seed, s.seed + int(n_seeds)))
    if s.noise == 0 and n_seeds > 1:
        st.caption("Gradient noise is 0, so every seed gives the same run; raise the noise in "
                   "the sidebar to see a spread.")
    traces = run_settings(s, seeds=seeds)
    page.divergence_notice(traces)
    cols = st.columns(2)
    for col, metric, label, key in ((cols[0], "gap", "f(θ) − f*", "loss_gap"),
                                    (cols[1], "dist", "distance to nearest minimum", "loss_dist")):
        with col:
            page.chart(lambda m=metric, t=label: mapspec.band_chart(
                frames.band_frame(traces, objective, m, max_points=600), t, ctx.style, title=t), ctx, key=key)
    final = frames.final_frame(traces)
    summary = final.groupby("label", sort=False).agg(
        median_final_f=("final_loss", "median"),
        q10=("final_loss", lambda v: np.quantile(v, 0.1)),
        q90=("final_loss", lambda v: np.quantile(v, 0.9)),
        diverged=("stopped_at", lambda v: int((v >= 0).sum())))
    summary.columns = ["median final f", "10% quantile", "90% quantile", "diverged runs"]
    summary.index.name = "optimiser"
    st.dataframe(summary.style.format({"median final f": "{:.4g}", "10% quantile": "{:.4g}",
                                       "90% quantile": "{:.4g}"}), key="loss_table")
    page.share_panel(ctx, {"runs": lambda: frames.path_frame(traces, objective, max_points=s.steps + 1),
                           "summary": final}, page.settings_snippet(s, seeds=seeds))
    st.markdown("#### Update rules")
    page.formula_panel(s.optimizers, s)
