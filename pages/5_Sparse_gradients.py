"""Sparse gradients: rare features, and why per-parameter learning rates help them."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import get_objective
from ui import charts, frames, mapspec, page, snippets, stepper
from ui.compute import simulate_cached
from ui.page_fields import PAGE_FIELDS
from ui.page_fields import SPARSE_DIM as DIM
from ui.page_fields import SPARSE_FREQ as FREQ
from ui.page_fields import SPARSE_LRS as LRS
from ui.page_fields import SPARSE_OPTS as OPTS
from ui.page_fields import SPARSE_RARE as RARE
from ui.page_fields import SPARSE_SEEDS as SEEDS
from ui.page_fields import SPARSE_STEPS as STEPS

RECORDED_ROWS = 500  # the charts need summaries: at most this many recorded steps per run


def run(objective, options, opt, lr, s, steps, seeds):
    hyper = {**s.hyper(opt), "lr": lr}
    return simulate_cached(objective, options, opt, tuple(hyper.items()), steps, None, 0.0, seeds,
                           every=max(1, steps // RECORDED_ROWS))


with page.view("sparse", PAGE_FIELDS["sparse"]) as ctx:
    s = ctx.settings
    page.explain(
        "A linear regression whose binary features fire with very different frequencies: feature "
        "j is 1 in a fraction p_j of the samples, from always down to rarely. Each step uses one "
        "sample, so a feature that did not fire gets a gradient of **exactly zero**: the rare "
        "weights hear about their error only now and then. This page has its own problem and "
        "settings (below); the other hyperparameters come from the sidebar.",
        "SGD gives every weight the same learning rate, so rare weights barely move: their error "
        "stays high (left of the error chart, where the frequencies are low). AdaGrad divides by "
        "the root of each weight's summed squared gradients: rare weights have summed little, so they keep a large "
        "learning rate and catch up. RMSProp's average forgets between firings, which makes its "
        "rare-feature steps erratic.")
    with st.expander("This page's problem and learning rates", expanded=True):
        st.caption("The sidebar's objective, steps, noise and start do not apply on this page (its "
                   "problem is fixed: sparse features, no added noise); its seed and the optimisers' "
                   "other hyperparameters do.")
        c = st.columns(3)
        steps = int(ctx.widget(STEPS, c[0]))
        dim = int(ctx.widget(DIM, c[1]))
        n_seeds = int(ctx.widget(SEEDS, c[2]))
        c = st.columns(3)
        freq = ctx.widget(FREQ, c[0])
        rare = ctx.widget(RARE, c[1])
        c = st.columns(len(OPTS))
        lrs = {o: ctx.widget(f, c[i]) for i, (o, f) in enumerate(zip(OPTS, LRS))}
    options = (("dim", dim), ("freq_min", freq))
    objective = get_objective("sparse", **dict(options))
    seeds = tuple(range(s.seed, s.seed + n_seeds))
    traces = {o: run("sparse", options, o, lrs[o], s, steps, seeds) for o in OPTS}
    page.divergence_notice(traces)
    w_star = np.asarray(objective.minima[0])
    rows = []
    for o, tr in traces.items():
        half = tr.eff_lr[tr.eff_lr.shape[0] // 2:]  # (n/2, runs, D): the second half of the run
        typical = np.median(half, axis=(0, 1))
        err = np.median(np.abs(tr.final_params - w_star), axis=0)
        rows.append(pd.DataFrame({"series": o, "label": frames.title(o), "optimizer": o,
                                  "freq": objective.feature_freq, "param": [f"w{j + 1}" for j in range(dim)],
                                  "eff_lr": np.maximum(typical, frames.LOG_FLOOR),
                                  "error": np.maximum(err, 1e-6)}))
    per_param = pd.concat(rows, ignore_index=True)
    cols = st.columns(2)
    extra = [charts.alt.Tooltip("param:N")]
    with cols[0]:
        page.chart(lambda: charts.xy_chart(
            per_param, "freq", "eff_lr", "feature frequency", "effective learning rate", ctx.style,
            title="Learning rate each weight gets", tooltip_extra=extra), ctx, key="sparse_lr")
    with cols[1]:
        page.chart(lambda: charts.xy_chart(
            per_param, "freq", "error", "feature frequency", "|w − w*| after the run", ctx.style,
            title=f"Error of each weight after {steps} steps", tooltip_extra=extra), ctx,
            key="sparse_err")
    st.caption("Effective learning rate: median over the second half of the run and over seeds. "
               "Error: median over seeds.")

    st.markdown("#### The 2-D case on a map")
    st.markdown(f"Two weights: one feature is always on, the other fires in {rare:.1%} of samples. "
                "The valley is long in the rare direction: its gradient is small and usually zero.")
    options2 = (("freq_rare", rare),)
    obj2 = get_objective("sparse2d", **dict(options2))
    traces2 = {o: run("sparse2d", options2, o, lrs[o], s, steps, (s.seed,)) for o in OPTS}
    page.divergence_notice(traces2)
    path = frames.path_frame(traces2, obj2)
    stepper.step_through(lambda: mapspec.trajectory_chart(path, obj2, steps, ctx.style), steps, ctx.style,
                         key="sparse_map", view=ctx.state())
    runs = [snippets.Run(o, o, {**s.hyper(o), "lr": lrs[o]}) for o in OPTS]
    page.share_panel(ctx, {"per_parameter": per_param, "paths_2d": path},
                     snippets.runs_snippet("sparse", dict(options), runs, steps, None, 0.0, seeds))
    st.markdown("#### Update rules")
    page.formula_panel(OPTS, s, overrides={o: {"lr": lrs[o]} for o in OPTS})
