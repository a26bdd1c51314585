"""Learning-rate sensitivity: final loss against learning rate, every optimiser on equal terms."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import OPTIMIZERS
from ui import analysis, charts, frames, mapspec, page, snippets, stepper
from ui.compute import simulate_cached
from ui.page_fields import LRS_POINTS as POINTS
from ui.page_fields import LRS_SEEDS as SEEDS
from ui.page_fields import LRS_SHOW as SHOW
from ui.page_fields import PAGE_FIELDS

CEILING_FACTOR = 10.0  # the y axis stops at 10x the starting gap; diverged runs sit there


def sweep(s, opt, lrs, seeds):
    lr_runs = tuple(float(v) for v in np.repeat(lrs, len(seeds)))
    seed_runs = tuple(int(v) for v in np.tile(seeds, len(lrs)))
    hyper = tuple((k, v) for k, v in s.hyper(opt).items() if k != "lr")
    return simulate_cached(s.objective, s.objective_options, opt, hyper, s.steps, s.start, s.noise,
                           seed_runs, every=s.steps, record="loss", sweep=(("lr", lr_runs),))


with page.view("sensitivity", PAGE_FIELDS["sensitivity"]) as ctx:
    s = ctx.settings
    objective = s.objective_obj()
    page.explain(
        "For each chosen optimiser, one vectorised run per (learning rate, seed): the final loss "
        "gap f(θ) − f* after the same number of steps, the median over seeds as a line and the "
        "10–90% quantiles as a band. The comparison is fair by construction: the same step "
        "budget, the same start, the same seeds (so the same gradient noise), the other "
        "hyperparameters from the sidebar, and the loss itself as the score. The diamond marks "
        "each optimiser's best learning rate; the shaded span is every learning rate whose median "
        "final loss is within 2× of that best; crosses mark learning rates where runs diverged.",
        "How wide the shaded span is. A wide span means the optimiser is forgiving: a rough "
        "guess of the learning rate works. Adaptive methods are often forgiving; plain SGD's "
        "good range is narrow and sits just below where it diverges.")
    c = st.columns(3)
    n_points = int(ctx.widget(POINTS, c[0]))
    n_seeds = int(ctx.widget(SEEDS, c[1]))
    seeds = np.arange(s.seed, s.seed + n_seeds)
    start_gap = float(objective.value(np.asarray(s.start)) - objective.fmin)
    ceiling = max(start_gap, 1e-12) * CEILING_FACTOR
    rows, best_rows, traces = [], [], {}
    for opt in s.optimizers:
        h = OPTIMIZERS[opt].hypers["lr"]
        lrs = np.logspace(np.log10(h.low), np.log10(h.high), n_points)
        tr = sweep(s, opt, lrs, seeds)
        traces[opt] = tr
        sens = analysis.sensitivity(tr, lrs, n_seeds, objective.fmin, ceiling, floor=frames.LOG_FLOOR)
        rows.append(pd.DataFrame({
            "series": opt, "label": frames.title(opt), "optimizer": opt, "lr": lrs, "median": sens.median,
            "lo": sens.lo, "hi": sens.hi, "diverged": sens.diverged, "top": ceiling}))
        if sens.best is not None:
            lo, hi = sens.span
            half = np.sqrt(lrs[1] / lrs[0])  # the shaded span reaches half a grid step beyond its ends
            best_rows.append({"series": opt, "label": frames.title(opt), "optimizer": opt,
                              "best_lr": sens.best_lr, "best_loss": sens.median[sens.best],
                              "lr_lo": lrs[lo], "lr_hi": lrs[hi], "edge_lo": lrs[lo] / half,
                              "edge_hi": lrs[hi] * half, "decades": sens.decades})
    frame = pd.concat(rows, ignore_index=True)
    best = pd.DataFrame(best_rows)
    if best.empty:
        st.warning("Every run diverged at every learning rate: try fewer steps or a gentler objective.")
    else:
        page.chart(lambda: charts.sensitivity_chart(frame, best, ctx.style, ceiling), ctx, key="sensitivity")
        table = best[["label", "best_lr", "best_loss", "lr_lo", "lr_hi", "decades"]].rename(columns={
            "label": "optimiser", "best_lr": "best η", "best_loss": "median final f − f*",
            "lr_lo": "2× range from", "lr_hi": "2× range to", "decades": "width (decades)"})
        st.dataframe(table.style.format({"best η": "{:.3g}", "median final f − f*": "{:.3g}",
                                         "2× range from": "{:.3g}", "2× range to": "{:.3g}",
                                         "width (decades)": "{:.2f}"}), key="sensitivity_table",
                     hide_index=True)
        st.caption(f"{n_points} learning rates × {n_seeds} seeds × {len(s.optimizers)} optimisers, "
                   f"{s.steps} steps each: one engine call per optimiser.")
        show = ctx.widget(SHOW, c[2])
        if show and objective.dim == 2:
            best_traces = {}
            for r in best_rows:
                hyper = {**s.hyper(r["series"]), "lr": float(r["best_lr"])}
                best_traces[r["series"]] = simulate_cached(
                    s.objective, s.objective_options, r["series"], tuple(hyper.items()), s.steps,
                    s.start, s.noise, (s.seed,))
            labels = {r["series"]: f"{r['label']} (η = {r['best_lr']:.3g})" for r in best_rows}
            page.divergence_notice(best_traces, labels)
            path = frames.path_frame(best_traces, objective, labels=labels)
            stepper.step_through(lambda: mapspec.trajectory_chart(
                path, objective, s.steps, ctx.style, title="Each optimiser at its own best learning rate"),
                s.steps, ctx.style, key="sensitivity_paths", view=ctx.state())
        elif show:
            st.caption("Paths need a 2-D objective.")
    if not best.empty:
        code = snippets.sensitivity_snippet(
            s.objective, dict(s.objective_options), {o: {k: v for k, v in s.hyper(o).items() if k != "lr"}
                                                     for o in s.optimizers},
            s.steps, s.start, s.noise, seeds, n_points)
        page.share_panel(ctx, {"sensitivity": frame, "best": best}, code)
    st.markdown("#### Update rules")
    page.formula_panel(s.optimizers, s)
