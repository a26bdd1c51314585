"""Schedules and clipping: how the learning rate changes over a run, and what clipping does."""

import streamlit as st

from engine import SCHEDULES, schedule_factors
from engine.schedules import USES
from ui.frame import page
from ui.views import charts, claims, explain, frames, snippets

# The line dashes' legend, one row above the charts (short: it must fit a phone's width)
VARIANT_ON, VARIANT_OFF = "with schedule / clipping", "without"
# The page's controls of the schedule options (the engine's table says which schedule uses which).
OPTION_KEYS = {"warmup": "sch.warmup", "step_size": "sch.every", "gamma": "sch.gamma", "min_factor": "sch.min"}

with page.open("schedules") as view:
    s = view.settings
    objective = s.objective_obj()
    schedule = view.widget("sch")
    options = {name: view.widget(OPTION_KEYS[name]) for name in USES[schedule]}
    if "warmup" in options:
        options["warmup"] = min(int(options["warmup"]), s.steps)
    if "step_size" in options:
        options["step_size"] = int(options["step_size"])
    clip = view.widget("clip")
    clip_at = view.widget("clip.at") if clip != "none" else None
    changed = {"schedule": schedule, "schedule_options": options,
               "clip_norm": clip_at if clip == "norm" else None, "clip_value": clip_at if clip == "value" else None}
    explaining = view.explaining() if objective.dim == 2 else False
    specs = {}
    for o, spec in view.specs(**({"record_state": True} if explaining else {})).items():
        specs[f"{o}|on"], specs[f"{o}|off"] = spec.replace(**changed), spec
    traces = view.run(specs)
    labels = {k: frames.title(k.split("|")[0]) for k in traces}
    variant = {k: VARIANT_ON if k.endswith("|on") else VARIANT_OFF for k in traces}
    view.divergence(traces, {k: f"{labels[k]} ({'with' if k.endswith('|on') else 'without'} the schedule and "
                                f"clipping)" for k in traces})
    changes = " and ".join([SCHEDULES[schedule].lower()] * (schedule != "constant")
                           + ([f"clipping by {clip} at {clip_at:g}"] if clip != "none" else [])) or "no change"
    view.explain(
        "A **schedule** multiplies the learning rate by a factor that changes with the step: step "
        "decay (torch's StepLR), cosine decay (CosineAnnealingLR), or a linear **warm-up** followed "
        "by cosine decay, the recipe used to train Transformers. **Gradient clipping** caps the "
        "gradient before the update, by its length (norm) or coordinate by coordinate (value): "
        "the chapter's advice for RNNs, whose gradients can explode. Each chosen optimiser runs "
        "twice on the same noise: with your schedule and clipping (solid) and without (dashed).",
        "A schedule is a trade: warm-up keeps the first steps small, decay shrinks the noise-driven "
        "jitter at the end, but a smaller η also slows the walk. "
        + claims.schedule_claim({o: (traces[f"{o}|on"], traces[f"{o}|off"]) for o in s.optimizers}, objective,
                                changes).text
        + " The Practical guide's Transformers preset shows decay lowering the final loss on a bowl with noisy "
        "gradients (on most seeds), its RNN preset clipping turning SGD's divergence into convergence.")
    path = frames.path_frame(traces, objective, labels=labels, max_points=1200, variant=variant)
    if objective.dim == 2:  # paths and loss gap, played together
        if not explaining:
            view.player(lambda: charts.map_and_progress(path, objective, s.steps, view.style, dash="variant",
                                                        live=view.live(specs)),
                        s.steps, key="schedule_paths", pick_start=True)
        else:  # the update's numbers take the loss curve's place beside the map
            arrows = explain.step_explainer(traces, view.map_box(path, objective), labels=labels)
            view.player(lambda: charts.trajectory_chart(path, objective, s.steps, view.style, dash="variant",
                                                        zoom=True, explain=arrows, live=view.live(specs)),
                        s.steps, key="schedule_paths", pick_start=True)
            view.arrows_caption(arrows)
    else:
        view.chart(lambda: charts.curve_chart(path, "gap", "f(θ) − f*", view.style, strokedash="variant",
                                              title="Loss gap"), key="schedule_loss")
    curve = frames.schedule_frame(schedule_factors(schedule, s.steps, **options))
    st.markdown(f"**{SCHEDULES[schedule]}**: the learning rate of step t is η × factor(t); base η: "
                + ", ".join(f"{frames.title(o)} {s.hyper(o)['lr']:g}" for o in s.optimizers) + ".")
    view.chart(lambda: charts.curve_chart(curve, "factor", "η_t / η", view.style, log_y=False, legend_title=None,
                                          height=int(view.style.height * 0.6)), key="schedule_curve")
    view.share({"runs": path, "schedule": curve}, snippets.runs_snippet(specs))
    st.markdown("#### Update rules")
    view.formulas(s.optimizers)
    st.latex(r"\eta_t = \eta \cdot \mathrm{factor}(t)\qquad "
             r"\text{clip by norm: } g \leftarrow g\,\min\!\left(1, \frac{c}{\lVert g\rVert}\right)\qquad "
             r"\text{by value: } g_i \leftarrow \max(-c, \min(c, g_i))")
    st.caption("Momentum keeps torch's buffer form (b = μb + g, step η_t b): under a schedule the "
               "buffer does not carry old learning rates, unlike the chapter's v = μv − ηg form.")
