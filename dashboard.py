"""Optimiser Lab: the home page (the chapter's figure, live, and a map of the views).

Run with ``streamlit run dashboard.py``.
"""

import streamlit as st

from engine import EXPERIMENTS, get_objective
from ui import frames, mapspec, page, snippets, stepper
from ui.compute import simulate_cached
from ui.page_fields import HOME_SEED, PAGE_FIELDS

CHAPTER = EXPERIMENTS["chapter"]

with page.view("home", PAGE_FIELDS["home"]) as ctx:
    st.markdown(
        "Gradient descent takes steps against the gradient; **optimisers** differ in how "
        "big each step is and how it remembers the past. Below is the chapter's experiment, "
        "computed live: three optimisers on the Rosenbrock valley with noisy gradients "
        f"(noise {CHAPTER.noise}, {CHAPTER.steps} steps from "
        f"({CHAPTER.start[0]:g}, {CHAPTER.start[1]:g})). The minimum is the gold diamond at (1, 1).")
    objective = get_objective(CHAPTER.objective)
    seed = int(ctx.widget(HOME_SEED, st.columns(3)[0]))
    traces = {opt: simulate_cached(CHAPTER.objective, (), opt, tuple(hyper.items()), CHAPTER.steps,
                                   CHAPTER.start, CHAPTER.noise, (seed,))
              for opt, hyper in CHAPTER.runs}

    def figure():
        """One figure of three panels, like the chapter's (one colour per optimiser, named in
        each title), fitted to the page's width, with Play to watch the three runs side by side."""
        height = int(ctx.style.map_height * 0.45)
        data = mapspec.Datasets()
        panels = []
        for opt, hyper in CHAPTER.runs:
            path = frames.path_frame({opt: traces[opt]}, objective, max_points=800)
            settings = ", ".join(f"{k} = {v:g}" for k, v in hyper.items())
            panels.append(mapspec.trajectory_view(
                path, objective, ctx.style, data, contour_n=60, legend=False, height=height,
                width=int(height * 1.5),
                title={"text": f"{frames.title(opt)}: final f = {traces[opt].final_loss[0]:.4f}",
                       "subtitle": settings}))
        return mapspec.top_level({"hconcat": panels}, data, [mapspec.step_param(CHAPTER.steps)])

    stepper.step_through(figure, CHAPTER.steps, ctx.style, key="chapter", view=ctx.state())
    page.divergence_notice(traces)
    st.info(
        "**What to look for.** All three reach the valley floor quickly; the difference is the "
        "long walk along it. Momentum builds up speed along the valley and ends closest. "
        "RMSProp divides each step by a short memory of recent squared gradients (ρ = 0.9), so "
        "its steps stay close to η all the way. Adam's second moment remembers the steep start "
        "for about 1/(1 − β₂) = 1000 steps: its effective learning rate stays small, and after "
        "2000 steps it is still on its way (see the Learning rates page).", icon=":material/visibility:")

    st.markdown("### The views")
    for info in page.PAGES[1:]:
        if not (page.ROOT / info.path).exists():
            continue
        st.page_link(info.path, label=f"**{info.title}** — {info.summary}", icon=info.icon,
                     query_params=ctx.shared_query())
    st.caption("Every control lives in the sidebar and in the address bar: copy the URL to share "
               "exactly this view.")
    runs = [snippets.Run(opt, opt, hyper) for opt, hyper in CHAPTER.runs]
    page.share_panel(ctx, {"paths": lambda: frames.path_frame(traces, objective, max_points=CHAPTER.steps + 1)},
                     snippets.runs_snippet(CHAPTER.objective, {}, runs, CHAPTER.steps, CHAPTER.start,
                                           CHAPTER.noise, (seed,)))
