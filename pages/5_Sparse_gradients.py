"""Sparse gradients: rare features, and why per-parameter learning rates help them."""

import streamlit as st

from engine import get_objective
from ui.frame import page
from ui.frame.registry import SPARSE_OPTIMIZERS as OPTS
from ui.views import charts, claims, frames, snippets
from ui.views.theme import n

RECORDED_ROWS = 500  # the charts need summaries: at most this many recorded steps per run

with page.open("sparse") as view:
    s = view.settings
    view.controls.caption("This page has a problem of its own: the sidebar's objective, steps, noise and "
                          "start do not apply (sparse features, no added noise); its seed and the optimisers' "
                          "other hyperparameters do.")
    steps = int(view.widget("sp.steps"))
    dim = int(view.widget("sp.dim"))
    n_seeds = int(view.widget("sp.seeds"))
    freq = view.widget("sp.freq")
    rare = view.widget("sp.rare")
    lrs = {o: view.widget(f"sp.{o}") for o in OPTS}
    seeds = tuple(range(s.seed, s.seed + n_seeds))

    def specs(objective: str, options: dict, seed) -> dict:  # this page's problem, the sidebar's hyperparameters
        return view.specs(OPTS, rows=RECORDED_ROWS, per={o: {"lr": lrs[o]} for o in OPTS}, objective=objective,
                          objective_options=options, steps=steps, start=None, noise=0.0, seed=seed)

    many = specs("sparse", {"dim": dim, "freq_min": freq}, seeds)
    objective = get_objective("sparse", dim=dim, freq_min=freq)
    traces = view.run(many)
    view.divergence(traces)
    defaults = all(lrs[o] == view.page.field(f"sp.{o}").default for o in OPTS)
    view.explain(
        "A linear regression whose binary features fire with very different frequencies: feature "
        "j is 1 in a fraction p_j of the samples, from always down to rarely. Each step uses one "
        "sample, so a feature that did not fire gets a gradient of **exactly zero**: the rare "
        "weights hear about their error only now and then. SGD gives every weight the same learning "
        "rate, and how large it may be is set by the features that fire together in a sample; AdaGrad "
        "divides by the root of each weight's summed squared gradients, so a rare weight, which has "
        "summed little, keeps a larger rate. RMSProp and Adam also scale each weight by its own "
        "gradient history, but their averages forget between firings. Learning rates (this view's own, "
        "in the sidebar): " + ", ".join(f"{frames.title(o)} {lrs[o]:g}" for o in OPTS)
        + (" (the defaults: each near that optimiser's best final loss on the default problem)." if defaults
           else ".") + " This page has its own problem and settings (the sidebar's \"This view\"): the shared "
        "objective, steps, noise and start do not apply.",
        claims.sparse_claim(traces, objective, steps).text)
    per_param = frames.per_parameter_frame(traces, objective)
    cols = view.stage_columns(2)
    extra = [n("param")]
    view.chart(lambda: charts.xy_chart(per_param, "freq", "eff_lr", "feature frequency", "effective learning rate",
                                       view.style, title="Learning rate each weight gets", tooltip_extra=extra),
               key="sparse_lr", container=cols[0])
    view.chart(lambda: charts.xy_chart(per_param, "freq", "error", "feature frequency", "|w − w*| after the run",
                                       view.style, title=f"Error of each weight after {steps} steps",
                                       tooltip_extra=extra), key="sparse_err", container=cols[1])
    st.caption("Effective learning rate: median over the second half of the run and over seeds. "
               "Error: median over seeds.")

    st.markdown("#### The 2-D case on a map")
    st.markdown(f"Two weights: one feature is always on, the other fires in {rare:.1%} of samples. "
                "The valley is long in the rare direction: its gradient is small and usually zero.")
    obj2 = get_objective("sparse2d", freq_rare=rare)
    traces2 = view.run(specs("sparse2d", {"freq_rare": rare}, s.seed))
    view.divergence(traces2)
    st.markdown(claims.sparse_map_claim(traces2, obj2, steps).text)
    path = frames.path_frame(traces2, obj2)
    view.player(lambda: charts.trajectory_chart(path, obj2, steps, view.style), steps, key="sparse_map")
    view.share({"per_parameter": per_param, "paths_2d": path}, snippets.runs_snippet(many))
    st.markdown("#### Update rules")
    view.formulas(OPTS, overrides={o: {"lr": lrs[o]} for o in OPTS})
