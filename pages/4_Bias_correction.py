"""Bias correction: Adam with and without it, on the same gradients."""

import numpy as np
import pandas as pd
import streamlit as st

from ui.frame import page
from ui.views import charts, claims, explain, frames, snippets

BETA2S = (0.9, 0.99, 0.999, 0.9999)
LABELS = {"on": "Adam (bias-corrected)", "off": "Adam (no correction)"}

with page.open("bias_correction") as view:
    s = view.settings
    objective = s.objective_obj()
    hyper = s.hyper("adam")
    b1, b2 = hyper["beta1"], hyper["beta2"]
    first = int(view.widget("first"))
    n = min(first, s.steps)
    on_spec = s.spec("adam", bias_correction=True, record_state=True)
    off_hyper = {**hyper, "bias_correction": False}
    on = view.run({"on": on_spec})["on"]
    off_same = view.replay("adam", off_hyper, on_spec)
    explaining = view.explaining() if objective.dim == 2 else False
    if objective.dim == 2:  # both trajectories, each with its own gradients (the same noise)
        off_spec = s.spec("adam", bias_correction=False, record_state=explaining)
        traces = {"on": on, "off": view.run({"off": off_spec})["off"]}
    view.explain(
        "Adam's moving averages start at zero: after one step m₁ = (1−β₁)g₁ and v₁ = (1−β₂)g₁², "
        "far smaller than the gradient they estimate. Dividing by 1−βᵗ undoes that start "
        "(m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)). Here Adam runs twice on **the same gradients**: once with "
        "the correction and once without. Adam's settings come from the sidebar (Adam's panel).",
        f"Without the correction the first step is (1−β₁)/√(1−β₂) = "
        f"{(1 - b1) / np.sqrt(1 - b2) if b2 < 1 else float('inf'):.3g} times the corrected one "
        f"(β₁ = {b1:g}, β₂ = {b2:g}): too big when β₂ is close to 1, because v is biased towards "
        "zero for about 1/(1−β₂) steps. **In this run:** "
        + claims.bias_correction_claim(on, off_same, n, traces["off"] if objective.dim == 2 else None).text)
    names = ["x", "y"] if objective.dim == 2 else [f"w{j + 1}" for j in range(objective.dim)]
    m_df, v_df = frames.moment_frames(on, b1, b2, n, names[:2])
    cols = view.stage_columns(2)
    view.chart(lambda: charts.curve_chart(m_df, "value", "first moment", view.style, log_y=False, strokedash="param",
                                          legend_title=None, title="m against m̂ (the mean of g)"),
               key="bias_m", container=cols[0])
    view.chart(lambda: charts.curve_chart(v_df, "value", "second moment", view.style, strokedash="param",
                                          legend_title=None, title="v against v̂ (the mean of g², log scale)"),
               key="bias_v", container=cols[1])
    steps_df = frames.step_length_frame({LABELS["on"]: ("adam", on), LABELS["off"]: ("adam_nobc", off_same)}, n)
    view.chart(lambda: charts.curve_chart(steps_df, "size", "|Δθ| (step length)", view.style, legend_title=None,
                                          title="Step length over the first steps, same gradients"), key="bias_step")

    if objective.dim == 2:
        view.divergence(traces, LABELS)
        path = frames.path_frame(traces, objective, labels=LABELS, optimizers={"off": "adam_nobc"})
        arrows = (explain.step_explainer(traces, view.map_box(path, objective), labels=LABELS)
                  if explaining else None)
        view.player(lambda: charts.trajectory_chart(path, objective, s.steps, view.style, explain=arrows,
                                                    title="Both trajectories (same noise)",
                                                    live=view.live({"on": on_spec, "off": off_spec})),
                    s.steps, key="bias_paths", pick_start=True)
        if arrows is not None:
            view.arrows_caption(arrows)
        st.caption(f"Final f: corrected {on.final_loss[0]:.4g}, uncorrected {traces['off'].final_loss[0]:.4g}.")

    st.markdown("#### How the effect grows with β₂")
    n_sweep = min(max(n, 10), s.steps)
    sweep = view.run({"sweep": s.spec("adam", steps=n_sweep,
                                      grid={"beta2": BETA2S, "bias_correction": (True, False)})})["sweep"]
    beta_df = frames.beta2_frame(sweep)
    view.chart(lambda: charts.beta2_chart(beta_df, view.style), key="bias_beta2")
    ratios = [f"β₂ = {b:g}: first step {(1 - b1) / np.sqrt(1 - b):.2f}× the corrected one" for b in BETA2S]
    st.caption("Without correction, " + "; ".join(ratios) + ".")
    view.share({"moments": pd.concat([m_df, v_df], ignore_index=True), "step_length": steps_df, "beta2": beta_df},
               snippets.replay_snippet(on_spec, off_hyper))
    st.markdown("#### Update rules")
    view.formulas(("adam",), columns=1)
