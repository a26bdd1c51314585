"""Schedules and clipping: how the learning rate changes over a run, and what clipping does."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import SCHEDULES, schedule_factors
from ui import charts, frames, mapspec, page, stepper
from ui.compute import record_every, simulate_cached
from ui.page_fields import CLIP, CLIP_AT, GAMMA, MIN_FACTOR, PAGE_FIELDS, SCHEDULE, STEP_SIZE, WARMUP

VARIANT_ON, VARIANT_OFF = "with schedule / clipping", "constant η, no clipping"

with page.view("schedules", PAGE_FIELDS["schedules"]) as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    page.explain(
        "A **schedule** multiplies the learning rate by a factor that changes with the step: step "
        "decay (torch's StepLR), cosine decay (CosineAnnealingLR), or a linear **warm-up** followed "
        "by cosine decay, the recipe used to train Transformers. **Gradient clipping** caps the "
        "gradient before the update, by its length (norm) or coordinate by coordinate (value): "
        "the chapter's advice for RNNs, whose gradients can explode. Each chosen optimiser runs "
        "twice on the same noise: with your schedule and clipping (solid) and without (dashed).",
        "A schedule is a trade. Warm-up keeps the first steps small; decay shrinks the noise-driven "
        "jitter at the end; but a smaller η also slows the walk: on Rosenbrock's long valley, Adam "
        "with cosine decay ends further from the minimum than with a constant η. The Practical "
        "guide's Transformers preset shows decay winning on a bowl with noisy gradients. Clipping "
        "matters where gradients are huge: the RNN preset turns SGD's divergence into convergence.")
    c = st.columns(4)
    schedule = ctx.widget(SCHEDULE, c[0])
    options = {}
    if schedule == "warmup_cosine":
        options["warmup"] = min(int(ctx.widget(WARMUP, c[1])), s.steps)
    if schedule == "step":
        options["step_size"] = int(ctx.widget(STEP_SIZE, c[1]))
        options["gamma"] = ctx.widget(GAMMA, c[2])
    if schedule in ("cosine", "warmup_cosine"):
        options["min_factor"] = ctx.widget(MIN_FACTOR, c[2])
    clip = ctx.widget(CLIP, c[3])
    clip_at = ctx.widget(CLIP_AT, c[3]) if clip != "none" else None
    factors = schedule_factors(schedule, s.steps, **options)
    t = np.arange(1, s.steps + 1)
    curve = pd.DataFrame({"series": "factor", "label": "η_t / η", "optimizer": "sgd", "step": t, "factor": factors})
    curve = curve.iloc[frames.keep_index(len(curve), 2000)]
    st.markdown(f"**{SCHEDULES[schedule]}**: the learning rate of step t is η × factor(t); base η: "
                + ", ".join(f"{frames.title(o)} {s.hyper(o)['lr']:g}" for o in s.optimizers) + ".")
    page.chart(lambda: charts.curve_chart(curve, "factor", "factor(t) = η_t / η", ctx.style, log_y=False,
                                  legend_title=None, height=220), ctx, key="schedule_curve")
    traces, labels, variant = {}, {}, {}
    for opt in s.optimizers:
        hyper = tuple(s.hyper(opt).items())
        common = (s.objective, s.objective_options, opt, hyper, s.steps, s.start, s.noise, (s.seed,),
                  record_every(s.steps, 1, objective.dim))
        traces[f"{opt}|on"] = simulate_cached(
            *common, schedule=schedule, schedule_options=tuple(sorted(options.items())),
            clip_norm=clip_at if clip == "norm" else None, clip_value=clip_at if clip == "value" else None)
        traces[f"{opt}|off"] = simulate_cached(*common)
        for key, v in ((f"{opt}|on", VARIANT_ON), (f"{opt}|off", VARIANT_OFF)):
            labels[key] = frames.title(opt)
            variant[key] = v
    page.divergence_notice(traces, {k: f"{labels[k]} ({variant[k]})" for k in traces})
    path = frames.path_frame(traces, objective, labels=labels, max_points=1200)
    path["variant"] = path["series"].map(variant)
    if objective.dim == 2:  # paths and loss gap, played together
        stepper.step_through(lambda: mapspec.map_and_progress(path, objective, s.steps, ctx.style, dash="variant"),
                             s.steps, ctx.style, key="schedule_paths", view=ctx.state())
    else:
        page.chart(lambda: charts.curve_chart(path, "gap", "f(θ) − f*", ctx.style, strokedash="variant",
                                      title="Loss gap"), ctx, key="schedule_loss")
    extra = {"schedule": schedule, "schedule_options": options}
    if clip != "none":
        extra[f"clip_{clip}"] = clip_at
    page.share_panel(ctx, {"runs": path, "schedule": curve}, page.settings_snippet(s, extra=extra))
    st.markdown("#### Update rules")
    page.formula_panel(s.optimizers, s)
    st.latex(r"\eta_t = \eta \cdot \mathrm{factor}(t)\qquad "
             r"\text{clip by norm: } g \leftarrow g\,\min\!\left(1, \frac{c}{\lVert g\rVert}\right)\qquad "
             r"\text{by value: } g_i \leftarrow \max(-c, \min(c, g_i))")
    st.caption("Momentum keeps torch's buffer form (b = μb + g, step η_t b): under a schedule the "
               "buffer does not carry old learning rates, unlike the chapter's v = μv − ηg form.")
