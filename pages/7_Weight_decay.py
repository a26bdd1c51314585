"""Weight decay: Adam with L2 (coupled) against AdamW (decoupled)."""

import numpy as np
import streamlit as st

from engine import OPTIMIZERS, get_objective
from ui.frame import page, panels
from ui.views import charts, claims, explain, frames, snippets

SERIES = {"adam": "Adam + L2 (coupled)", "adamw": "AdamW (decoupled)"}

with page.open("weight_decay") as view:
    s = view.settings
    wd = view.widget("wd.lambda")
    lr = view.widget("wd.lr")
    cond = view.widget("wd.cond")
    steps = int(view.widget("wd.steps"))
    noise = view.widget("wd.noise")
    objective = get_objective("scaled", cond=cond)
    explaining = view.explaining()
    start = view.start("wd.start")
    specs = view.specs(tuple(SERIES), objective="scaled", objective_options={"cond": cond}, steps=steps, start=start,
                       noise=noise, record_state=explaining, lr=lr, weight_decay=wd)
    traces = view.run(specs)
    view.divergence(traces, SERIES)
    l2 = np.array([1.0 / (1.0 + wd), cond / (cond + wd)])  # argmin f + λ/2 |θ|²
    view.explain(
        "Weight decay pulls every weight towards zero. **Adam + L2** adds λθ to the gradient, so "
        "the pull then goes through Adam's per-weight scaling: a weight with large gradients has "
        "a large √v̂, and its pull is divided by it. **AdamW** shrinks the weights directly, "
        "θ ← θ − ηλθ, the same for every weight whatever its gradients (Loshchilov & Hutter, 2019). "
        "Here: f = ½(x−1)² + κ/2 (y−1)², minimum at (1, 1), so y's gradients are κ times larger. "
        "Both optimisers use the same η, λ and start. A run of Adam + L2 that converges ends at the "
        "L2-regularised minimum (the cross), the minimum of f + λ/2 |θ|², whatever the scaling; AdamW's "
        "decay is weighed against Adam's normalised step, which changes as the gradients shrink, so "
        "where it ends depends on the run (and on the noise).",
        "How hard each method pulls each weight, and whether each run has settled. "
        + claims.weight_decay_claim(traces, SERIES, l2, steps).text)
    path = frames.path_frame(traces, objective, labels=SERIES)
    # beside the pull chart, or (explaining a step) alone on the first screen, its numbers beside it
    cols = view.stage_columns([3, 2]) if not explaining else [None, None]
    cross = charts.cross_layer(l2, "L2-regularised minimum", view.style)
    arrows = explain.step_explainer(traces, objective.bounds, labels=SERIES) if explaining else None
    view.player(lambda: charts.trajectory_chart(path, objective, steps, view.style, extra=[cross], explain=arrows,
                                                title="Paths towards (1, 1), pulled to 0",
                                                live=view.live(specs, tune=False)),
                steps, key="wd_paths", container=cols[0], pick_start=True, start_field="wd.start")
    pulls = frames.pull_frame(traces, SERIES, l2)
    view.chart(lambda: charts.pull_chart(pulls, view.style), key="wd_pull", container=cols[1])
    if arrows is not None:
        view.arrows_caption(arrows)
    view.table(frames.pull_table(pulls, steps), "wd_table", "{:.4f}")
    view.share({"paths": view.later(frames.path_frame, specs, labels=SERIES, max_points=steps + 1),
                "pull": pulls}, snippets.runs_snippet(specs))
    st.markdown("#### The two update rules")
    cols = st.columns(2)
    for col, opt in zip(cols, SERIES):
        with col:
            st.markdown(f"**{SERIES[opt]}**")
            st.latex(panels.rule_latex(OPTIMIZERS[opt].latex))
            if opt == "adam":
                st.latex(r"g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}"
                         rf"\qquad \lambda = {wd:g},\ \eta = {lr:g}")
            else:
                st.latex(rf"g_t = \nabla f(\theta_{{t-1}})\qquad \lambda = {wd:g},\ \eta = {lr:g}")
