"""Second-order and derivative-free baselines: scipy.optimize.minimize on the same problem."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import OPTIMIZERS
from ui import charts, controls, frames, mapspec, page
from ui.compute import baseline_cached, run_settings
from ui.page_fields import PAGE_FIELDS
from ui.page_fields import SO_ITER as MAX_ITER
from ui.page_fields import SO_METHODS as METHODS
from ui.params import SHARED_FIELDS


def _zero_noise():
    controls.put(SHARED_FIELDS["noise"], 0.0)
    st.session_state.pop(controls.wkey("noise"), None)


with page.view("baselines", PAGE_FIELDS["baselines"]) as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    page.explain(
        "Classical optimisers from `scipy.optimize.minimize`, from the same start: **BFGS** and "
        "**L-BFGS-B** build a curvature estimate from past gradients, **Newton-CG** uses the exact "
        "Hessian, **Nelder-Mead** uses function values only. They assume exact values and "
        "gradients, so they get no noise; their line searches spend extra evaluations, so the "
        "loss is drawn against the number of evaluations (function + gradient + Hessian), and a "
        "first-order step counts as one gradient evaluation.",
        "How many evaluations each method needs. On a smooth 2-D problem the curvature-aware "
        "methods reach the minimum in tens of evaluations where first-order methods take "
        "thousands of steps. Their advantage fades with noise, many parameters and minibatches, "
        "which is why deep learning uses first-order methods.")
    c = st.columns([3, 1, 1])
    methods = ctx.widget(METHODS, c[0])
    max_iter = int(ctx.widget(MAX_ITER, c[1]))
    if s.noise > 0:
        c[2].button("Set the noise to 0", on_click=_zero_noise, key="zero_noise",
                    help="First-order runs then also see exact gradients.")
        st.caption(f"The first-order runs use gradient noise {s.noise:g} (sidebar); the scipy methods do not.")
    if objective.stochastic:
        st.info("This objective samples data at every step; the scipy methods see its full-batch "
                "function instead.", icon=":material/info:")
    paths = {m: baseline_cached(s.objective, s.objective_options, m, s.start, max_iter) for m in methods}
    traces = run_settings(s)
    page.divergence_notice(traces)
    first = frames.path_frame(traces, objective, max_points=1500)
    first["evals"] = first["step"].clip(lower=1)
    first["family"] = "first-order"
    rows = []
    for m, p in paths.items():
        df = pd.DataFrame({"series": m, "label": m, "optimizer": m, "run": 0, "seed": 0,
                           "step": np.arange(len(p.loss)), "loss": p.loss,
                           "gap": np.maximum(p.loss - objective.fmin, frames.LOG_FLOOR),
                           "dist": np.maximum(objective.distance_to_minimum(p.params), frames.LOG_FLOOR),
                           "evals": np.maximum(p.evaluations, 1), "family": "scipy"})
        if objective.dim == 2:
            df["x"], df["y"] = p.params[:, 0], p.params[:, 1]
        rows.append(df)
    both = pd.concat([first, *rows], ignore_index=True)
    cols = st.columns(2)
    if objective.dim == 2:
        with cols[0]:
            page.chart(lambda: mapspec.trajectory_chart(both, objective, s.steps, ctx.style, dash="family", scrub=False,
                                               height=int(ctx.style.map_height * 0.8), fit_width=True),
                       ctx, key="so_paths")
    with cols[1] if objective.dim == 2 else st.container():
        page.chart(lambda: charts.curve_chart(both, "gap", "f(θ) − f*", ctx.style, x="evals", log_x=True,
                                      x_title="evaluations (log scale)", strokedash="family",
                                      title="Loss gap against evaluations"), ctx, key="so_loss")
    table = pd.DataFrame([{"method": m, "iterations": len(p.loss) - 1, "function evals": int(p.nfev[-1]),
                           "gradient evals": int(p.njev[-1]), "Hessian evals": int(p.nhev[-1]),
                           "final f": float(p.loss[-1]), "converged": p.success} for m, p in paths.items()]
                         + [{"method": OPTIMIZERS[o].title, "iterations": t.steps, "function evals": 0,
                             "gradient evals": int(t.n_grad[0]), "Hessian evals": 0,
                             "final f": float(t.final_loss[0]), "converged": None} for o, t in traces.items()])
    st.dataframe(table.style.format({"final f": "{:.4g}"}), key="so_table", hide_index=True)
    code = page.settings_snippet(s) + "\n".join([
        "",
        "from engine.baselines import scipy_path",
        "",
        f"for method in {list(methods)!r}:",
        f"    path = scipy_path(objective, method, start={tuple(s.start)!r}, max_iter={max_iter})",
        "    print(method, 'final f =', path.loss[-1], 'evaluations:', path.evaluations[-1])",
    ]) + "\n"
    page.share_panel(ctx, {"runs": both, "evaluations": table}, code)
