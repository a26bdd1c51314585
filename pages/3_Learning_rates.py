"""Learning rates: each parameter's effective learning rate against the step."""

import numpy as np
import streamlit as st

from ui import charts, controls, frames, page
from ui.compute import run_settings
from ui.params import SHARED_FIELDS

COMPARE = ("adagrad", "rmsprop", "adam")


def _compare():
    controls.put(SHARED_FIELDS["opt"], COMPARE)
    st.session_state.pop(controls.wkey("opt"), None)


with page.view("learning_rates") as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    page.explain(
        "The **effective learning rate** is the factor that multiplies each parameter's update "
        "direction: η for SGD and momentum, η / (√G + ε) for AdaGrad, η / (√v + ε) for RMSProp, "
        "η / (√v̂ + ε) for Adam. One line per optimiser and parameter (solid x, dashed y), on a "
        "log scale.\n\n"
        "**Why they differ.** AdaGrad divides by the root of the *sum* of all squared gradients "
        "so far: the sum only grows, so its learning rate can only fall, roughly like 1/√t, and "
        "learning eventually stops. RMSProp and Adam divide by a *moving average* of recent "
        "squared gradients: it forgets, so their learning rate settles at a level set by the "
        "current gradient size and can rise again when gradients shrink.",
        "AdaGrad's lines only go down. RMSProp's and Adam's level off, and each parameter gets "
        "its own level: the parameter with the smaller gradients gets the larger learning rate.")
    if not set(COMPARE) <= set(s.optimizers):
        st.button("Compare AdaGrad, RMSProp and Adam", on_click=_compare, key="compare_adaptive",
                  help="Sets the optimisers in the sidebar to AdaGrad, RMSProp and Adam.")
    traces = run_settings(s)
    page.divergence_notice(traces)
    names = ["x", "y"] if objective.dim == 2 else None
    eff = frames.eff_lr_frame(traces, param_names=names, max_points=800)
    if objective.dim > 6:
        keep = {f"w{j + 1}" for j in np.linspace(0, objective.dim - 1, 4).astype(int)}
        eff = eff[eff["param"].isin(keep)]
        st.caption(f"{objective.dim} parameters: four of them are shown.")
    page.chart(lambda: charts.curve_chart(eff, "eff_lr", "effective learning rate", ctx.style,
                                          strokedash="param"), ctx, key="eff_lr")
    rows = []
    for opt, tr in traces.items():
        first, last = tr.eff_lr[0, 0], tr.eff_lr[-1, 0]
        if names:
            row = {**{f"first step ({n})": f"{v:.3g}" for n, v in zip(names, first)},
                   **{f"last step ({n})": f"{v:.3g}" for n, v in zip(names, last)}}
        else:  # many parameters: the spread
            row = {"first step (min)": f"{first.min():.3g}", "first step (max)": f"{first.max():.3g}",
                   "last step (min)": f"{last.min():.3g}", "last step (max)": f"{last.max():.3g}"}
        rows.append({"optimiser": frames.title(opt), **row})
    st.dataframe(rows, key="eff_lr_table", hide_index=True)
    page.share_panel(ctx, {"effective_lr": lambda: frames.eff_lr_frame(traces, param_names=names, max_points=s.steps)},
                     page.settings_snippet(s))
    st.markdown("#### Update rules")
    page.formula_panel(s.optimizers, s)
