"""Bias correction: Adam with and without it, on the same gradients."""

import numpy as np
import pandas as pd
import streamlit as st

from ui import charts, frames, mapspec, page, snippets, stepper
from ui.compute import replay_cached, simulate_cached
from ui.page_fields import BIAS_FIRST as FIRST
from ui.page_fields import PAGE_FIELDS

BETA2S = (0.9, 0.99, 0.999, 0.9999)
LABEL_ON, LABEL_OFF = "Adam (bias-corrected)", "Adam (no correction)"


with page.view("bias_correction", PAGE_FIELDS["bias_correction"]) as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    hyper = s.hyper("adam")
    b1, b2, lr = hyper["beta1"], hyper["beta2"], hyper["lr"]
    page.explain(
        "Adam's moving averages start at zero: after one step m₁ = (1−β₁)g₁ and v₁ = (1−β₂)g₁², "
        "far smaller than the gradient they estimate. Dividing by 1−βᵗ undoes that start "
        "(m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)). Here Adam runs twice on **the same gradients**: once with "
        "the correction and once without. Adam's settings come from the sidebar (Adam's panel).",
        f"Without the correction the first step is (1−β₁)/√(1−β₂) = "
        f"{(1 - b1) / np.sqrt(1 - b2) if b2 < 1 else float('inf'):.3g} times the corrected one "
        f"(β₁ = {b1:g}, β₂ = {b2:g}): too big when β₂ is close to 1, because v is biased towards "
        "zero for about 1/(1−β₂) steps. The gap closes as t grows and both runs behave alike.")
    first = int(ctx.widget(FIRST, st.columns(3)[0]))
    hyper_on = tuple({**hyper, "bias_correction": True}.items())
    source = (s.objective, s.objective_options, "adam", hyper_on, s.steps, s.start, s.noise,
              (s.seed,), 1, "full", True)
    on = simulate_cached(*source)
    off_same = replay_cached("adam", source, tuple({**hyper, "bias_correction": False}.items()))
    n = min(first, s.steps)
    t = np.arange(1, n + 1)
    m, v = on.state["m"][:n, 0], on.state["v"][:n, 0]
    names = ["x", "y"] if objective.dim == 2 else [f"w{j + 1}" for j in range(objective.dim)]
    shown = names[:2]

    def moments(raw, corrected, what):
        rows = []
        for j, p in enumerate(shown):
            rows.append(pd.DataFrame({"step": t, "value": raw[:, j], "series": f"{what}",
                                      "param": p, "label": f"{what} (raw)", "optimizer": "adam_raw"}))
            rows.append(pd.DataFrame({"step": t, "value": corrected[:, j], "series": f"{what}_hat",
                                      "param": p, "label": f"{what}̂ (corrected)", "optimizer": "adam"}))
        return pd.concat(rows, ignore_index=True)

    m_df = moments(m, m / (1 - b1 ** t)[:, None], "m")
    v_df = moments(v, v / (1 - b2 ** t)[:, None], "v")
    v_df["value"] = np.maximum(v_df["value"], frames.LOG_FLOOR)
    cols = st.columns(2)
    with cols[0]:
        page.chart(lambda: charts.curve_chart(
            m_df, "value", "first moment", ctx.style, log_y=False, strokedash="param", legend_title=None,
            title="m against m̂ (the mean of g)"), ctx, key="bias_m")
    with cols[1]:
        page.chart(lambda: charts.curve_chart(
            v_df, "value", "second moment", ctx.style, strokedash="param", legend_title=None,
            title="v against v̂ (the mean of g², log scale)"), ctx, key="bias_v")

    # The step actually taken, on the same gradients.
    step_rows = []
    for label, opt, tr in ((LABEL_ON, "adam", on), (LABEL_OFF, "adam_nobc", off_same)):
        size = np.sqrt((tr.delta[:n, 0] ** 2).sum(-1))
        step_rows.append(pd.DataFrame({"step": t, "size": np.maximum(size, frames.LOG_FLOOR),
                                       "series": label, "label": label, "optimizer": opt}))
    page.chart(lambda: charts.curve_chart(
        pd.concat(step_rows, ignore_index=True), "size", "|Δθ| (step length)", ctx.style, legend_title=None,
        title="Step length over the first steps, same gradients"), ctx, key="bias_step")

    # Both trajectories (each with its own gradients, the same noise).
    if objective.dim == 2:
        off_own = simulate_cached(s.objective, s.objective_options, "adam",
                                  tuple({**hyper, "bias_correction": False}.items()), s.steps,
                                  s.start, s.noise, (s.seed,))
        traces = {"on": on, "off": off_own}
        labels = {"on": LABEL_ON, "off": LABEL_OFF}
        page.divergence_notice(traces, labels)
        path = frames.path_frame(traces, objective, labels=labels)
        path.loc[path["series"] == "off", "optimizer"] = "adam_nobc"
        stepper.step_through(lambda: mapspec.trajectory_chart(
            path, objective, s.steps, ctx.style, title="Both trajectories (same noise)"), s.steps, ctx.style,
            key="bias_paths", view=ctx.state())
        st.caption(f"Final f: corrected {on.final_loss[0]:.4g}, uncorrected {off_own.final_loss[0]:.4g}.")

    # How the effect grows with beta2: the same start, one run per (beta2, correction).
    st.markdown("#### How the effect grows with β₂")
    sweep_b2 = tuple(b for b in BETA2S for _ in (0, 1))
    sweep_bc = tuple(bool(i) for _ in BETA2S for i in (1, 0))
    n_sweep = min(max(n, 10), s.steps)
    sweep = simulate_cached(s.objective, s.objective_options, "adam", tuple(hyper.items()), n_sweep,
                            s.start, s.noise, (s.seed,),
                            sweep=(("beta2", sweep_b2), ("bias_correction", sweep_bc)))
    size = np.sqrt((sweep.delta ** 2).sum(-1))  # (n, runs)
    rows = []
    for r, (b, bc) in enumerate(zip(sweep_b2, sweep_bc)):
        label = f"β₂ = {b:g}"
        rows.append(pd.DataFrame({"step": np.arange(1, n_sweep + 1), "size": np.maximum(size[:, r], 1e-12),
                                  "label": label, "series": label, "optimizer": "adam",
                                  "correction": "corrected" if bc else "no correction"}))
    beta_df = pd.concat(rows, ignore_index=True)
    page.chart(lambda: charts.beta2_chart(beta_df, ctx.style), ctx, key="bias_beta2")
    ratios = [f"β₂ = {b:g}: first step {(1 - b1) / np.sqrt(1 - b):.2f}× the corrected one" for b in BETA2S]
    st.caption("Without correction, " + "; ".join(ratios) + ".")
    page.share_panel(ctx, {"moments": pd.concat([m_df, v_df], ignore_index=True),
                           "step_length": pd.concat(step_rows, ignore_index=True), "beta2": beta_df},
                     snippets.bias_snippet(s.objective, dict(s.objective_options), hyper, s.steps, s.start, s.noise,
                                           s.seed))
    st.markdown("#### Update rules")
    page.formula_panel(("adam",), s, columns=1)
