"""Neural network: optimisers training a small multilayer perceptron on 2-D data, side by side."""

import numpy as np
import streamlit as st

from engine import get_objective
from ui.frame import page
from ui.frame.registry import NETWORK_OPTIMIZERS
from ui.views import analysis, network, snippets
from ui.views.frames import title

TUNED = {"momentum": np.logspace(-2, 0, 5), "adam": np.logspace(-3, -1, 5)}  # the preset's grids

with page.open("network") as view:
    s = view.settings
    preset = view.widget("nn.preset")
    options = {"dataset": view.widget("nn.data"), "width": int(view.widget("nn.width")),
               "depth": int(view.widget("nn.depth")), "activation": view.widget("nn.act"),
               "input_noise": float(view.widget("nn.noise")), "label_noise": float(view.widget("nn.flip")),
               "batch_size": int(view.widget("nn.batch"))}
    steps = int(view.widget("nn.steps"))
    chosen = tuple(view.widget("nn.opt"))
    lrs = {o: float(view.widget(f"nn.lr.{o}")) for o in NETWORK_OPTIMIZERS}
    net = get_objective("network", **options).network

    def spec(opt: str, **changes):  # this page's network and steps, its own learning rates, the sidebar's rest
        return view.spec(opt, rows=network.FRAMES, objective="network", objective_options=options, steps=steps,
                         start=None, noise=0.0, **{"lr": lrs[opt], **changes})

    labels, runs, said = {}, {}, ""
    if preset == "tuned":
        specs = {o: spec(o, lr=grid) for o, grid in TUNED.items()}
    elif preset == "adamw":
        lam = 0.05
        specs = {"adamw": spec("adamw", lr=0.01, weight_decay=lam, schedule="warmup_cosine",
                               schedule_options={"warmup": max(1, steps // 10)}),
                 "adam": spec("adam", lr=0.01, weight_decay=lam)}
        labels = {"adamw": f"AdamW (λ = {lam:g}), warm-up + cosine", "adam": f"Adam + L2 (λ = {lam:g}), constant η"}
    else:
        specs = {o: spec(o) for o in chosen}
    view.explain(
        f"A network with {len(net.sizes) - 2} hidden layer(s) of {net.sizes[1]} {net.activation} units "
        f"({net.n_params} weights) learns to classify {net.X_train.shape[0]} points of the data set "
        f"“{view.page.field('nn.data').label_of(net.dataset)}”; {net.X_test.shape[0]} more are held out to "
        "test it. Every optimiser starts from the same weights and sees the same mini-batches. The maps "
        "show each network's predicted class (darker where it is surer) as it trains: press Play.",
        "Whether the boundary follows the data or the noise. A test loss that rises while the train loss "
        "falls is overfitting (raise the label noise to provoke it). Adaptive methods give each layer "
        "its own effective learning rate: see how far apart the layers' lines are.")
    traces = view.run(specs)
    view.divergence(traces, labels or None)
    if preset == "tuned":  # each optimiser at its own best learning rate, by final training loss
        for o, tr in traces.items():
            runs[o] = analysis.best_run(tr)
            labels[o] = f"{title(o)}, η = {TUNED[o][runs[o]]:.3g}"
    metrics = network.metrics_frame(traces, net, runs, labels)
    last = metrics["step"] == metrics.groupby("series")["step"].transform("max")
    final = metrics[last].set_index(["series", "split"])  # each series' last frame
    acc = {k: float(final.loc[(k, "test"), "accuracy"]) for k in traces}
    train_acc = {k: float(final.loc[(k, "train"), "accuracy"]) for k in traces}
    titles = {k: f"{labels.get(k, title(k))}: test {acc[k]:.0%}" for k in traces}
    boundary = network.boundary_frame(traces, net, runs, labels)
    points = network.points_frame(net)
    view.player(lambda: network.boundary_chart(boundary, points, net, steps, view.style, titles), steps,
                key="nn_boundary")
    best = max(acc, key=acc.get)
    if preset == "tuned":
        st.markdown(
            f"**What this run shows.** Each optimiser was run at 5 learning rates on the same budget "
            f"({steps} steps, batch {options['batch_size']}, the same initial weights and batches) and is shown "
            f"at the one with the lowest final training loss. Here **{titles[best]}** ends with the higher "
            f"test accuracy ({', '.join(f'{labels[k]}: {acc[k]:.1%}' for k in traces)}). The chapter's claim "
            "(SGD with momentum often generalises better than Adam, given more tuning) is about large "
            "networks trained for long on images or text; a toy network on 2-D points may or may not "
            "agree, and it can change with the data seed: try another.")
    elif preset == "adamw":
        st.markdown(
            f"**What this run shows.** Both use η = 0.01 and the same λ; AdamW decays the weights directly "
            f"and follows a warm-up + cosine schedule, Adam adds λθ to the gradient (coupled L2). Test "
            f"accuracy here: {', '.join(f'{labels[k]} {acc[k]:.1%}' for k in traces)}; final train accuracy "
            f"{', '.join(f'{labels[k]} {train_acc[k]:.1%}' for k in traces)}. The chapter recommends AdamW with "
            "warm-up and cosine decay for transformers; on this small problem the difference is what the "
            "numbers above say, no more.")
    cols = st.columns(2)
    view.chart(lambda: network.curves_chart(metrics, "loss", "cross-entropy (log scale)", view.style, True,
                                            "Train (solid) and test (dashed) loss"), key="nn_loss", container=cols[0])
    view.chart(lambda: network.curves_chart(metrics, "accuracy", "accuracy", view.style, False,
                                            "Train (solid) and test (dashed) accuracy"), key="nn_accuracy",
               container=cols[1])
    gap = {k: float(final.loc[(k, "test"), "loss"] - final.loc[(k, "train"), "loss"]) for k in traces}
    st.caption("Generalisation gap (test loss − train loss) at the end: "
               + ", ".join(f"{labels.get(k, title(k))} {gap[k]:+.3f}" for k in traces) + ".")
    layer_lr = network.layer_lr_frame(traces, net, runs, labels)
    view.chart(lambda: network.layer_lr_chart(layer_lr, view.style), key="nn_layer_lr")
    st.caption("SGD and Momentum use one η for every weight (a flat line); AdaGrad, RMSProp and Adam divide it "
               "by each weight's gradient history, so each layer gets its own level, and the band shows the "
               "spread within the layer.")
    view.share({"metrics": metrics, "layer_lr": layer_lr}, snippets.runs_snippet(specs))
    st.markdown("#### Update rules")
    view.formulas(list(dict.fromkeys(tr.optimizer for tr in traces.values())),
                  overrides={o: {"lr": lrs[o]} for o in NETWORK_OPTIMIZERS})
