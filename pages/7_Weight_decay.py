"""Weight decay: Adam with L2 (coupled) against AdamW (decoupled)."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import OPTIMIZERS, get_objective
from ui import charts, frames, mapspec, page, snippets, stepper
from ui.compute import simulate_cached
from ui.page_fields import PAGE_FIELDS
from ui.page_fields import WD_COND as COND
from ui.page_fields import WD_LAMBDA as WD
from ui.page_fields import WD_LR as LR
from ui.page_fields import WD_NOISE as NOISE
from ui.page_fields import WD_STEPS as STEPS

SERIES = {"adam": "Adam + L2 (coupled)", "adamw": "AdamW (decoupled)"}

with page.view("weight_decay", PAGE_FIELDS["weight_decay"]) as ctx:
    s = ctx.settings
    page.explain(
        "Weight decay pulls every weight towards zero. **Adam + L2** adds λθ to the gradient, so "
        "the pull then goes through Adam's per-weight scaling: a weight with large gradients has "
        "a large √v̂, and its pull is divided by it. **AdamW** shrinks the weights directly, "
        "θ ← θ − ηλθ, the same for every weight whatever its gradients (Loshchilov & Hutter, 2019). "
        "Here: f = ½(x−1)² + κ/2 (y−1)², minimum at (1, 1), so y's gradients are κ times larger. "
        "Both optimisers use the same η, λ and start.",
        "Where each run settles. Adam + L2 settles at the L2-regularised minimum (the cross): "
        "x, with the small gradients, is pulled far from 1, y hardly at all. AdamW settles "
        "elsewhere: its pull is more even across the two weights.")
    c = st.columns(5)
    wd = ctx.widget(WD, c[0])
    lr = ctx.widget(LR, c[1])
    cond = ctx.widget(COND, c[2])
    steps = int(ctx.widget(STEPS, c[3]))
    noise = ctx.widget(NOISE, c[4])
    options = (("cond", cond),)
    objective = get_objective("scaled", **dict(options))
    traces = {}
    for opt in SERIES:
        hyper = {**s.hyper(opt), "lr": lr, "weight_decay": wd}
        traces[opt] = simulate_cached("scaled", options, opt, tuple(hyper.items()), steps, None, noise, (s.seed,))
    page.divergence_notice(traces, SERIES)
    l2 = np.array([1.0 / (1.0 + wd), cond / (cond + wd)])  # argmin f + λ/2 |θ|²
    path = frames.path_frame(traces, objective, labels=SERIES)

    def paths_chart():
        cross = mapspec.point_layer([(l2[0], l2[1], "L2-regularised minimum")], tooltip_format=".4f",
                                    shape="cross", size=ctx.style.point_size * 4, color="black")
        return mapspec.trajectory_chart(path, objective, steps, ctx.style, title="Paths towards (1, 1), pulled to 0",
                                        extra=[cross])

    cols = st.columns([3, 2])
    with cols[0]:
        stepper.step_through(paths_chart, steps, ctx.style, key="wd_paths", view=ctx.state())
    # Effective regularisation: how far each weight ends up pulled from its optimum, averaged
    # over the last tenth of the run (noise makes single iterates jitter).
    rows = []
    for opt, tr in traces.items():
        tail = tr.params[-max(steps // 10, 1):, 0].mean(0)
        for j, name in enumerate("xy"):
            rows.append({"series": opt, "label": SERIES[opt], "optimizer": opt, "weight": name,
                         "final": tail[j], "pull": 1.0 - tail[j]})
    for j, name in enumerate("xy"):
        rows.append({"series": "l2", "label": "L2 minimum (exact)", "optimizer": "sgd", "weight": name,
                     "final": l2[j], "pull": 1.0 - l2[j]})
    pulls = pd.DataFrame(rows)
    with cols[1]:
        page.chart(lambda: charts.pull_chart(pulls, ctx.style), ctx, key="wd_pull")
    table = pulls.pivot(index="label", columns="weight", values="final").rename(
        columns={"x": "final x", "y": "final y"})
    st.dataframe(table.style.format("{:.4f}"), key="wd_table")
    runs = [snippets.Run(opt, opt, {**s.hyper(opt), "lr": lr, "weight_decay": wd}) for opt in SERIES]
    page.share_panel(ctx, {"paths": lambda: frames.path_frame(traces, objective, labels=SERIES, max_points=steps + 1),
                           "pull": pulls},
                     snippets.runs_snippet("scaled", dict(options), runs, steps, None, noise, (s.seed,)))
    st.markdown("#### The two update rules")
    cols = st.columns(2)
    for col, opt in zip(cols, SERIES):
        with col:
            st.markdown(f"**{SERIES[opt]}**")
            st.latex(page.rule_latex(OPTIMIZERS[opt].latex))
            if opt == "adam":
                st.latex(r"g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}"
                         rf"\qquad \lambda = {wd:g},\ \eta = {lr:g}")
            else:
                st.latex(rf"g_t = \nabla f(\theta_{{t-1}})\qquad \lambda = {wd:g},\ \eta = {lr:g}")
