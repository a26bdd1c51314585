"""Hyperparameter maps: where each optimiser works, over η and its main second hyperparameter."""

import streamlit as st

from engine import OPTIMIZERS
from ui.frame import page
from ui.state import session
from ui.views import analysis, charts, claims, frames, snippets

RECORDED = 1_000_000  # losses one map keeps (8 MB): beyond it "steps to reach" counts every k-th step
CEILING_FACTOR = 10.0  # the colour scale of the final loss stops at 10x the starting gap
# A lesson the theory can be checked on: momentum on an ill-conditioned quadratic without noise
THEORY_LESSON = (("f", "quadratic"), ("quadratic.cond", 100.0), ("noise", 0.0), ("start", None),
                 ("opt", ("sgd", "momentum", "nesterov")), ("hm.measure", "steps"), ("hm.tol", 1e-6),
                 ("hm.steps", 1000), ("hm.pick", "best"))


def load_lesson() -> None:
    for key, value in THEORY_LESSON:
        session.set_value(view.fields[key], value)
    for axis in "xy":  # the start's own widgets follow the new objective's start
        st.session_state.pop(session.wkey(f"start.{axis}"), None)


def show_cell(maps, clicked) -> None:
    """A click on a cell: its run goes on the path map (the cell's exact η and value, kept in the
    link), and the view is drawn again."""
    datum = clicked.get("datum") if isinstance(clicked, dict) else None
    if not isinstance(datum, dict) or datum.get("series") not in maps:
        return
    m = maps[datum["series"]]
    try:
        lr = float(datum.get("lr"))
        h2 = None if datum.get("h2") is None else float(datum["h2"])
    except (TypeError, ValueError):
        return
    if not lr > 0:
        return
    i, j = analysis.nearest_cell(m, lr, h2)
    session.set_value(view.fields["hm.pick"], m.optimizer)
    session.set_value(view.fields["hm.lr"], float(m.lrs[i]))
    if m.ys is not None:
        session.set_value(view.fields["hm.h2"], float(m.ys[j]))
    st.rerun()


with page.open("hypermaps") as view:
    s = view.settings
    objective = s.objective_obj()
    n = int(view.widget("hm.n"))
    n_seeds = int(view.widget("hm.seeds"))
    steps = int(view.widget("hm.steps"))
    measure = view.widget("hm.measure")
    tol = float(view.widget("hm.tol") if measure == "steps" else view.value("hm.tol"))
    view.used |= {"hm.pick", "hm.lr", "hm.h2"}  # the run on the path map: chosen by a click, kept in the link
    one_run = s.noise == 0 and not objective.stochastic  # every seed would give the same run: one per cell
    if one_run:
        n_seeds = 1
    seeds = tuple(range(s.seed, s.seed + n_seeds))
    axes = {o: OPTIMIZERS[o].map_axes(n) for o in s.optimizers}

    def grid(o):
        lrs, ys = axes[o]
        return {"lr": lrs, **({OPTIMIZERS[o].main.name: ys} if ys is not None else {}), "seed": seeds}

    # one engine call per optimiser: its whole grid x seeds, the loss at most RECORDED times a map
    specs = {o: view.spec(o, rows=max(1, RECORDED // (n * n * n_seeds)), steps=steps, grid=grid(o), record="loss")
             for o in s.optimizers}
    traces = view.run(specs)
    maps = {o: analysis.hyper_map(traces[o], *axes[o], n_seeds, objective.fmin, tol, floor=frames.LOG_FLOOR)
            for o in s.optimizers}
    first = s.optimizers[0]

    # the run on the path map: a clicked cell, else the first optimiser's best cell
    pick = view.value("hm.pick")
    if pick in maps:
        shown = (pick, float(view.value("hm.lr")),
                 float(view.value("hm.h2")) if analysis.main_of(pick)[0] is not None else None)
    else:
        cell = maps[first].best(measure)
        shown = None if cell is None else (first, float(maps[first].lrs[cell[0]]),
                                           None if maps[first].ys is None else float(maps[first].ys[cell[1]]))

    claim = claims.hypermap_claim(maps, measure, objective, s.noise)
    measure_title = frames.MEASURE_TITLES[measure].format(tol=claims.num(tol))
    cells, framed = frames.hypermap_frames(maps, measure, shown)
    lines, points = frames.hypermap_theory(maps, objective)
    domain = frames.hypermap_domain(maps, measure, CEILING_FACTOR)
    path, path_title = None, None
    if objective.dim == 2 and shown is not None:  # the run of the shown cell, on the map beside the maps
        opt, lr, h2 = shown
        main, symbol = analysis.main_of(opt)
        path_trace = view.run({opt: view.spec(opt, steps=steps, lr=lr, **({main.name: h2} if main else {}))})[opt]
        named = f"η = {claims.num(lr)}" + (f", {symbol} = {claims.value_text(opt, h2)}" if main else "")
        path = frames.path_frame({opt: path_trace}, objective, labels={opt: f"{frames.title(opt)}, {named}"},
                                 max_points=1000)
        ending = (f"diverged at step {int(path_trace.stopped_at[0])}" if path_trace.diverged[0]
                  else f"final f − f* = {claims.num(path_trace.final_loss[0] - objective.fmin)}")
        path_title = "The white dot's path"

    def build():
        return charts.hypermap_chart(cells, framed, lines, points, measure, measure_title, domain, view.style,
                                     path=path, objective=objective, steps=steps, path_title=path_title)

    select = ("series", "lr", "h2")
    clicked = (view.player(build, steps, key="hypermaps", select=select) if path is not None
               else view.chart(build, key="hypermaps", select=select))
    show_cell(maps, clicked.datum)
    if objective.dim != 2:
        st.caption(f"{objective.title} has {objective.dim} parameters: no map of the runs' paths.")

    mains = " ".join(f"**{frames.title(o)}**: {OPTIMIZERS[o].main.why}" for o in s.optimizers)
    view.explain(
        f"Each small map is one optimiser: every cell is {n_seeds} run{'s' if n_seeds > 1 else ''} of {steps} "
        + ("steps (without gradient noise every seed gives the same run, so one is enough; the same start for "
           "every optimiser" if one_run else
           "steps (the same start, the same seeds and so the same gradient noise for every optimiser")
        + ", the other hyperparameters from the sidebar) at one learning rate η (across, log scale) and one "
        "value of the optimiser's **main second hyperparameter** (up; a decay rate β is spaced by 1 − β, so "
        "0.9, 0.99 and 0.999, memories of 10, 100 and 1000 steps, are evenly spaced). One engine call computes "
        "each map. "
        "The colour is the median over the seeds, on one scale for every map (light is good); grey cells "
        "diverged (half or more of their seeds), light grey ones did not reach the tolerance. The black frame "
        "marks each map's best cell (by the final loss when the colour is the share that diverged). Hover a "
        "cell for its numbers; **click it to draw that run's "
        "path** (seed " + str(s.seed) + ") on the map beside the maps; ▶ Play runs it. " + mains
        + (" On a quadratic, the dashed line is theory's stability edge and the cross theory's fastest (η, μ)."
           if not lines.empty else ""),
        "Where the light cells lie and their shape: a band that leans means η and the second hyperparameter "
        "trade off (tuning η alone misses most of it); an upright band means the second hardly matters. "
        "**In this run:** " + claim.text)
    st.caption("Black frame: each map's best cell. White dot: the run on the path map"
               + (f" ({frames.title(shown[0])}, {named}, seed {s.seed}: {ending}). " if path is not None else ". ")
               + (f"Steps are counted every {maps[first].every} steps. " if measure == "steps"
                  and maps[first].every > 1 else "")
               + f"{n} × {n} cells × {n_seeds} seed{'s' if n_seeds > 1 else ''} × {len(maps)} optimisers, "
               f"{steps} steps each: one engine call per optimiser.")
    if pick in maps:
        st.button("Show the best cell's run", key="hm_best", on_click=session.set_value,
                  args=(view.fields["hm.pick"], "best"),
                  help="The path map goes back to the first optimiser's best cell.")
    if dict(THEORY_LESSON)["f"] != s.objective or "momentum" not in s.optimizers:
        st.button("Momentum on a quadratic, with the theory", key="hm_theory", on_click=load_lesson,
                  help="An ill-conditioned quadratic (κ = 100) without noise, SGD, momentum and Nesterov "
                       "for 1000 steps, coloured by the steps to reach f − f* ≤ 1e-6: the maps beside "
                       "theory's stability edge and optimum.")
    view.table(frames.hypermap_table(maps, measure), "hypermap_table",
               {"best η": "{:.3g}", "median final f − f*": "{:.3g}",
                "median steps to tol": "{:.4g}", "η span (decades)": "{:.2f}"}, index=False)
    view.share({"maps": view.later(frames.hypermap_csv, specs, objective=False, axes=axes, n_seeds=n_seeds,
                                   fmin=float(objective.fmin), tol=tol)},
               snippets.hypermap_snippet(specs, n_seeds, tol))
    st.markdown("#### Update rules")
    view.formulas(s.optimizers)
