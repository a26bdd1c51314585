"""Learning rates: each parameter's effective learning rate against the step."""

import streamlit as st

from engine import OPTIMIZERS
from ui.frame import page
from ui.state import session
from ui.state.fields import SHARED_FIELDS
from ui.views import charts, frames, snippets

COMPARE = ("adagrad", "rmsprop", "adam")


def look_for(shown) -> str:
    """What to look for in the lines that are drawn (the text names only optimisers on the chart)."""
    parts = []
    kind = {o: OPTIMIZERS[o].effective_lr for o in shown}  # how each one's rate behaves: its registry row
    for title in [frames.title(o) for o in shown if kind[o] == "falling"]:
        parts.append(f"{title}'s lines only go down: its sum of squared gradients only grows.")
    adaptive = [frames.title(o) for o in shown if kind[o] == "adaptive"]
    if adaptive:
        parts.append(f"{' and '.join(adaptive)} level off, and each parameter gets its own level: the parameter "
                     "with the smaller gradients gets the larger learning rate.")
    constant = [frames.title(o) for o in shown if kind[o] == "constant"]
    if constant:
        parts.append(f"{', '.join(constant)}: one flat line at η for every parameter (no adaptation).")
    if "adagrad" not in shown:
        parts.append("Press **Compare AdaGrad, RMSProp and Adam** to see a rate that can only fall.")
    return " ".join(parts)

with page.open("learning_rates") as view:
    s = view.settings
    objective = s.objective_obj()
    view.explain(
        "The **effective learning rate** is the factor that multiplies each parameter's update "
        "direction: η for SGD and momentum, η / (√G + ε) for AdaGrad, η / (√v + ε) for RMSProp, "
        "η / (√v̂ + ε) for Adam. One line per optimiser and parameter (solid x, dashed y), on a "
        "log scale.\n\n"
        "**Why they differ.** AdaGrad divides by the root of the *sum* of all squared gradients "
        "so far: the sum only grows, so its learning rate can only fall, roughly like 1/√t, and "
        "learning eventually stops. RMSProp and Adam divide by a *moving average* of recent "
        "squared gradients: it forgets, so their learning rate settles at a level set by the "
        "current gradient size and can rise again when gradients shrink.",
        look_for(s.optimizers))
    if not set(COMPARE) <= set(s.optimizers):
        st.button("Compare AdaGrad, RMSProp and Adam", key="compare_adaptive",
                  on_click=session.set_value, args=(SHARED_FIELDS["opt"], COMPARE),
                  help="Sets the optimisers in the sidebar to AdaGrad, RMSProp and Adam.")
    specs = view.specs()
    traces = view.run(specs)
    view.divergence(traces)
    names = ["x", "y"] if objective.dim == 2 else None
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
