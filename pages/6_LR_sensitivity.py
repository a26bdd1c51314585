"""Learning-rate sensitivity: final loss against learning rate, every optimiser on equal terms."""

import numpy as np
import streamlit as st

from engine import OPTIMIZERS
from ui.frame import page
from ui.views import charts, claims, frames, snippets

CEILING_FACTOR = 10.0  # the y axis stops at 10x the starting gap; diverged runs sit there

with page.open("sensitivity") as view:
    s = view.settings
    objective = s.objective_obj()
    n_points = int(view.widget("lrs.points"))
    n_seeds = int(view.widget("lrs.seeds"))
    show = view.widget("lrs.best")
    seeds = tuple(range(s.seed, s.seed + n_seeds))
    lrs = {o: np.logspace(np.log10(OPTIMIZERS[o].hypers["lr"].low), np.log10(OPTIMIZERS[o].hypers["lr"].high),
                          n_points) for o in s.optimizers}
    # the final loss only: one recorded step per run
    specs = view.specs(rows=1, per={o: {"grid": {"lr": lrs[o], "seed": seeds}} for o in s.optimizers}, record="loss")
    traces = view.run(specs)
    ceiling = max(float(objective.value(np.asarray(s.start)) - objective.fmin), 1e-12) * CEILING_FACTOR
    frame, best = frames.sensitivity_frames(traces, lrs, n_seeds, objective, ceiling)
    view.explain(
        "For each chosen optimiser, one vectorised run per (learning rate, seed): the final loss "
        "gap f(θ) − f* after the same number of steps, the median over seeds as a line and the "
        "10–90% quantiles as a band. The comparison is fair by construction: the same step "
        "budget, the same start, the same seeds (so the same gradient noise), the other "
        "hyperparameters from the sidebar, and the loss itself as the score. The diamond marks "
        "each optimiser's best learning rate; the shaded span is every learning rate next to it whose "
        "median final loss is within 2× of that best; crosses mark learning rates where runs diverged.",
        "How wide the shaded span is: a wide span means a rough guess of the learning rate works. "
        + (claims.sensitivity_claim(frame, best, frames.LOG_FLOOR).text if not best.empty else ""))
    if best.empty:
        st.warning("Every run diverged at every learning rate: try fewer steps or a gentler objective.")
    else:
        view.chart(lambda: charts.sensitivity_chart(frame, best, view.style, ceiling), key="sensitivity")
        view.table(frames.sensitivity_table(best), "sensitivity_table",
                   {"best η": "{:.3g}", "median final f − f*": "{:.3g}", "2× range from": "{:.3g}",
                    "2× range to": "{:.3g}", "width (decades)": "{:.2f}"}, index=False)
        st.caption(f"{n_points} learning rates × {n_seeds} seeds × {len(s.optimizers)} optimisers, "
                   f"{s.steps} steps each: one engine call per optimiser.")
        if show and objective.dim == 2:
            best_lr = dict(zip(best["series"], best["best_lr"]))
            best_traces = view.run(view.specs(tuple(best_lr), per={o: {"lr": float(lr)} for o, lr in best_lr.items()}))
            labels = {o: f"{frames.title(o)} (η = {lr:.3g})" for o, lr in best_lr.items()}
            view.divergence(best_traces, labels)
            path = frames.path_frame(best_traces, objective, labels=labels)
            view.player(lambda: charts.trajectory_chart(path, objective, s.steps, view.style,
                                                        title="Each optimiser at its own best learning rate"),
                        s.steps, key="sensitivity_paths")
        elif show:
            st.caption("Paths need a 2-D objective.")
        view.share({"sensitivity": frame, "best": best}, snippets.sensitivity_snippet(specs))
    st.markdown("#### Update rules")
    view.formulas(s.optimizers)
