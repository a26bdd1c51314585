"""Second-order and derivative-free baselines: scipy.optimize.minimize on the same problem."""

import streamlit as st

from ui.frame import page
from ui.state import session
from ui.state.fields import SHARED_FIELDS
from ui.views import charts, claims, frames, snippets

with page.open("baselines") as view:
    s = view.settings
    objective = s.objective_obj()
    methods = view.widget("so.methods")
    max_iter = int(view.widget("so.iter"))
    if s.noise > 0:
        view.controls.button("Set the noise to 0", key="zero_noise", on_click=session.set_value,
                    args=(SHARED_FIELDS["noise"], 0.0), help="First-order runs then also see exact gradients.")
        st.caption(f"The first-order runs use gradient noise {s.noise:g} (sidebar); the scipy methods do not.")
    if objective.stochastic:
        st.info("This objective samples data at every step; the scipy methods see its full-batch "
                "function instead.", icon=":material/info:")
    paths = {m: view.baseline(m, max_iter) for m in methods}
    specs = view.specs()
    traces = view.run(specs)
    view.divergence(traces)
    view.explain(
        "Classical optimisers from `scipy.optimize.minimize`, from the same start: **BFGS** and "
        "**L-BFGS-B** build a curvature estimate from past gradients, **Newton-CG** uses the exact "
        "Hessian, **Nelder-Mead** uses function values only. They assume exact values and "
        "gradients, so they get no noise; their line searches spend extra evaluations, so the "
        "loss is drawn against the number of evaluations (function + gradient + Hessian), and a "
        "first-order step counts as one gradient evaluation.",
        "How many evaluations each method needs. " + claims.baselines_claim(traces, paths, objective).text
        + " The curvature-aware methods' advantage fades with noisy gradients, many parameters and "
        "minibatches, which is why deep learning uses first-order methods.")
    both = frames.baselines_frame(traces, paths, objective)
    cols = view.stage_columns(2)
    if objective.dim == 2:  # (no legend: the curves beside it name the colours)
        view.chart(lambda: charts.trajectory_chart(both, objective, s.steps, view.style, dash="family", scrub=False,
                                                   height=int(view.style.map_height * 0.8), legend=False,
                                                   title="Paths: first-order solid, scipy dashed"),
                   key="so_paths", container=cols[0])
    view.chart(lambda: charts.curve_chart(both, "gap", "f(θ) − f*", view.style, x="evals", log_x=True,
                                          x_title="evaluations (log scale)", strokedash="family",
                                          title="Loss gap against evaluations"),
               key="so_loss", container=cols[1] if objective.dim == 2 else None)
    table = frames.evaluations_table(traces, paths)
    view.table(table, "so_table", {"final f": "{:.4g}"}, index=False)
    view.share({"runs": both, "evaluations": table},
               snippets.runs_snippet(specs) + snippets.baselines_snippet(s.objective, dict(s.objective_options),
                                                                          methods, s.start, max_iter))
