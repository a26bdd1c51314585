"""Optimiser Lab: the home page (the chapter's figure, live, and a map of the views).

Run with ``streamlit run dashboard.py``.
"""

import streamlit as st

from engine import EXPERIMENTS, get_objective
from ui.frame import lesson, page
from ui.frame.registry import PAGES
from ui.state.lesson_plan import FIFTEEN_MINUTES
from ui.views import charts, claims, explain, frames, snippets

CHAPTER = EXPERIMENTS["chapter"]

with page.open("home") as view:
    start = view.start("home.start")
    shown = start if start is not None else CHAPTER.start
    st.markdown(
        "Gradient descent takes steps against the gradient; **optimisers** differ in how "
        "big each step is and how it remembers the past. Below is the chapter's experiment, "
        "computed live: three optimisers on the Rosenbrock valley with noisy gradients "
        f"(noise {CHAPTER.noise}, {CHAPTER.steps} steps from "
        f"({shown[0]:g}, {shown[1]:g}){'' if start is None else ', moved from the chapter’s (-1, 0.5)'}). "
        "The minimum is the gold diamond at (1, 1); drag the black start dot to start the runs elsewhere.")
    objective = get_objective(CHAPTER.objective)
    seed = int(view.widget("home.seed"))
    explaining = view.explaining()
    specs = CHAPTER.specs(seed=seed, **({"start": start} if start is not None else {}))
    if explaining:
        specs = {k: spec.replace(record_state=True) for k, spec in specs.items()}
    traces = view.run(specs)
    arrows = explain.step_explainer(traces, objective.bounds) if explaining else None
    view.player(lambda: charts.chapter_figure(traces, objective, CHAPTER, view.style, explain=arrows,
                                              live=view.live(specs, tune=False)),
                CHAPTER.steps, key="chapter", pick_start=True, start_field="home.start")
    if arrows is not None:
        view.arrows_caption(arrows)
    view.divergence(traces)
    st.info("**What to look for.** " + claims.chapter_claim(traces).text + " (See the Learning rates page.)",
            icon=":material/visibility:")

    if lesson.active() is None:
        st.markdown("### Teach the 15-minute lesson")
        st.markdown(
            f"The README's lesson, ready to project: {len(FIFTEEN_MINUTES.steps)} steps from this figure to a small "
            "network, each a view with a note for the class and, where the class should predict first, a "
            "question whose charts wait for **Reveal**. **PageDown** and **PageUp** (a presentation clicker) "
            "move through it.")
        st.button("Teach the 15-minute lesson", key="teach_fifteen", type="primary", icon=":material/co_present:",
                  on_click=lesson.begin, args=(FIFTEEN_MINUTES,))
        st.markdown("Or send the class its link, to follow at their own pace (copy it with the button at the "
                    "right of the box):")
        st.code(lesson.link(FIFTEEN_MINUTES, lesson.app_root(PAGES["home"])), language=None, wrap_lines=True)
        st.caption("Build your own from any view with **Add to lesson** in the sidebar.")

    st.markdown("### The views")
    for p in list(PAGES.values())[1:]:
        page.link_to(p, view, label=f"**{p.title}** — {p.summary}")
    st.caption("Every control lives in the sidebar and in the address bar: copy the URL to share "
               "exactly this view.")
    view.share({"paths": view.later(frames.path_frame, specs, max_points=CHAPTER.steps + 1)},
               snippets.runs_snippet(specs))
