"""Learning rates: each parameter's effective learning rate against the step."""

import streamlit as st

from ui.frame import page
from ui.state import session
from ui.state.fields import SHARED_FIELDS
from ui.views import charts, claims, frames, snippets

COMPARE = ("adagrad", "rmsprop", "adam")

with page.open("learning_rates") as view:
    s = view.settings
    objective = s.objective_obj()
    if not set(COMPARE) <= set(s.optimizers):
        st.button("Compare AdaGrad, RMSProp and Adam", key="compare_adaptive",
                  on_click=session.set_value, args=(SHARED_FIELDS["opt"], COMPARE),
                  help="Sets the optimisers in the sidebar to AdaGrad, RMSProp and Adam.")
    specs = view.specs()
    traces = view.run(specs)
    view.divergence(traces)
    names = ["x", "y"] if objective.dim == 2 else None
    view.explain(
        "The **effective learning rate** is the factor that multiplies each parameter's update "
        "direction: η for SGD and momentum, η / (√G + ε) for AdaGrad, η / (√v + ε) for RMSProp, "
        "η / (√v̂ + ε) for Adam. One line per optimiser and parameter (solid x, dashed y), on a "
        "log scale.\n\n"
        "**Why they differ.** AdaGrad divides by the root of the *sum* of all squared gradients "
        "so far: the sum can only grow, so its learning rate can only fall (like 1/√t while the "
        "gradients keep one size), and when the first gradients are large they dominate the sum and "
        "learning all but stops. RMSProp and Adam divide by a *moving average* of recent squared "
        "gradients: it forgets (RMSProp's over about 1/(1 − ρ) steps, Adam's over about 1/(1 − β₂)), "
        "so their learning rate follows the current gradient size, and rises when gradients shrink. "
        "A parameter whose recent gradients are smaller gets the larger rate.",
        "**In this run:** " + claims.learning_rate_claim(traces, names).text
        + ("" if "adagrad" in s.optimizers else
           " Press **Compare AdaGrad, RMSProp and Adam** to add a rate that can only fall."))
    eff = frames.eff_lr_frame(traces, param_names=names, max_points=800, most=4)
    if objective.dim > 6:
        st.caption(f"{objective.dim} parameters: four of them are shown.")
    view.chart(lambda: charts.curve_chart(eff, "eff_lr", "effective learning rate", view.style, strokedash="param"),
               key="eff_lr")
    view.table(frames.eff_lr_table(traces, names), "eff_lr_table", index=False)
    view.share({"effective_lr": view.later(frames.eff_lr_frame, specs, objective=False, param_names=names,
                                           max_points=s.steps)},
               snippets.runs_snippet(specs))
    st.markdown("#### Update rules")
    view.formulas(s.optimizers)
