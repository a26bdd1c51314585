"""Neural network: optimisers training a small multilayer perceptron on 2-D data, side by side."""

import streamlit as st

from engine import get_objective
from engine.network import OWN
from ui.frame import owndata as own_data
from ui.frame import page
from ui.frame.registry import NETWORK_OPTIMIZERS
from ui.state import owndata
from ui.views import analysis, claims, network, snippets
from ui.views.frames import title

with page.open("network") as view:
    s = view.settings
    preset = view.widget("nn.preset")
    dataset = view.widget("nn.data")
    options = {"dataset": dataset, "width": int(view.widget("nn.width")), "depth": int(view.widget("nn.depth")),
               "activation": view.widget("nn.act")}
    if dataset == OWN:  # the noises do nothing to one's own points: no controls for them
        options["data"] = data = own_data.data(view)
    else:
        options.update(input_noise=float(view.widget("nn.noise")), label_noise=float(view.widget("nn.flip")))
    options["batch_size"] = int(view.widget("nn.batch"))
    steps = int(view.widget("nn.steps"))
    chosen = tuple(view.widget("nn.opt"))
    lrs = {o: float(view.widget(f"nn.lr.{o}")) for o in NETWORK_OPTIMIZERS}
    grid = int(view.widget("nn.grid")) if view.widget("nn.land") else 0
    missing = owndata.problem(data) if dataset == OWN else None
    if missing:  # a draft: nothing to learn yet, the plane to draw on first
        with view.alerts:
            st.info(missing, icon=":material/draw:")
        own_data.panel(view, data, first=True)
        view.explain("Your own data: click the plane to add points of the chosen class, or upload a CSV file of "
                     "points (x, y, class). Once there are enough points of two or three classes, every optimiser "
                     "trains the same network on them, from the same weights.",
                     "Where you put the points decides what the network must learn: a line between two clouds, a "
                     "ring around a blob, a checkerboard. Mislabel a few points and watch the test loss.")
    else:
        obj = get_objective("network", **options)
        net = obj.network
        n_test = net.X_test.shape[0]

        def spec(opt: str, **changes):  # this page's network and steps, its own learning rates, the sidebar's rest
            return view.spec(opt, rows=network.FRAMES, objective="network", objective_options=options, steps=steps,
                             start=None, noise=0.0, **{"lr": lrs[opt], **changes})

        exp = network.experiment(preset, chosen, steps)
        specs = {k: spec(o, **changes) for k, (o, changes) in exp.runs.items()}
        labels, runs = dict(exp.labels), {}
        traces = view.run(specs)
        view.divergence(traces, labels or None)
        if exp.grids:  # each optimiser at its own best learning rate, by final training loss
            for o, tr in traces.items():
                runs[o] = analysis.best_run(tr)
                labels[o] = f"{title(o)}, η = {exp.grids[o][runs[o]]:.3g}"
        metrics = network.metrics_frame(traces, net, runs, labels, exp.colors)
        last = metrics["step"] == metrics.groupby("series")["step"].transform("max")
        final = metrics[last].set_index(["series", "split"])  # each series' last frame
        acc = {k: float(final.loc[(k, "test"), "accuracy"]) for k in traces}
        test_loss = {k: float(final.loc[(k, "test"), "loss"]) for k in traces}
        titles = {k: {"text": labels.get(k, title(k)), "subtitle": f"test accuracy {acc[k]:.0%}"} for k in traces}
        layer_lr = network.layer_lr_frame(traces, net, runs, labels, exp.colors)
        view.explain(
            f"A network with {len(net.sizes) - 2} hidden layer(s) of {net.sizes[1]} {net.activation} units "
            f"({net.n_params} weights) learns to classify {net.X_train.shape[0]} points of the data set "
            f"“{view.page.field('nn.data').label_of(net.dataset)}”; {n_test} more are held out to "
            "test it. Every optimiser starts from the same weights and sees the same mini-batches. The maps "
            "show each network's predicted class (darker where it is surer) as it trains: press Play.",
            "Whether the boundary follows the data or the noise. A test loss that rises while the train loss "
            "falls is overfitting (" + ("mislabel a few of your points" if dataset == OWN else "raise the label noise")
            + " to provoke it). SGD and momentum use one η for every "
            "weight; adaptive methods can give each layer its own effective learning rate. "
            + claims.layer_claim(layer_lr, traces, exp.labels).text)
        boundary = network.boundary_frame(traces, net, runs, labels, exp.colors)
        points = network.points_frame(net)
        view.player(lambda: network.boundary_chart(boundary, points, net, steps, view.style, titles), steps,
                    key="nn_boundary")
        if dataset == OWN:
            own_data.panel(view, data)
        if preset == "tuned":
            st.markdown(
                "**What this run shows.** "
                + claims.tuned_claim(traces, exp.grids, runs, acc, test_loss, n_test, steps,
                                     options["batch_size"]).text
                + " The chapter's claim (SGD with momentum often generalises better than Adam, given more tuning) "
                "is about large networks trained for long on images or text; a toy network on 2-D points may or "
                "may not agree, and it can change with the data seed: try another.")
        elif preset == "adamw":
            st.markdown(
                "**What this run shows.** Adam + L2 adds λθ to the gradient (coupled); AdamW shrinks the weights "
                "directly (decoupled). "
                + claims.decay_claim(acc, test_loss, n_test, labels, network.DECAY["lr"],
                                     network.DECAY["weight_decay"]).text
                + " The chapter recommends AdamW with warm-up and cosine decay for transformers; on this small "
                "problem the difference is what the numbers above say, no more.")
        cols = st.columns(2)
        view.chart(lambda: network.curves_chart(metrics, "loss", "cross-entropy (log scale)", view.style, True,
                                                "Train (solid) and test (dashed) loss"), key="nn_loss",
                   container=cols[0])
        view.chart(lambda: network.curves_chart(metrics, "accuracy", "accuracy", view.style, False,
                                                "Train (solid) and test (dashed) accuracy"), key="nn_accuracy",
                   container=cols[1])
        gap = {k: float(final.loc[(k, "test"), "loss"] - final.loc[(k, "train"), "loss"]) for k in traces}
        st.caption("Generalisation gap (test loss − train loss) at the end: "
                   + ", ".join(f"{labels.get(k, title(k))} {gap[k]:+.3f}" for k in traces) + ".")
        view.chart(lambda: network.layer_lr_chart(layer_lr, view.style), key="nn_layer_lr")
        st.caption("The band shows the spread of the effective learning rate within each layer.")
        tables = {"metrics": metrics, "layer_lr": layer_lr}
        paths, left_out = network.landscape_paths(traces, specs, runs) if grid else ({}, [])
        land, fit = view.landscape(obj, paths, grid, network.LINE_POINTS) if paths else (None, 0)
        if grid:
            st.markdown("#### The network's loss landscape")
            named = {k: labels.get(k, title(traces[k].optimizer)) for k in traces}
            if land is None:
                st.info("The loss landscape is left out: " + ("every run diverged." if not paths else
                        "even its smallest grid would take more than this view has left of the server's budget "
                        "(lower the steps, the units or the number of optimisers)."), icon=":material/block:")
            else:
                frame, lines = network.landscape_frames(land, traces, runs, labels, exp.colors)
                first = named[next(iter(paths))]
                view.chart(lambda: network.slice_chart(land, frame, lines, first, view.style), key="nn_slice")
                view.chart(lambda: network.planes_chart(land, frame, view.style), key="nn_planes")
                st.markdown("**What the landscape shows.** " + claims.landscape_claim(land, named, net.n_params).text)
                st.caption(
                    f"After Li et al., “Visualizing the Loss Landscape of Neural Nets” (2018): the training loss on "
                    f"{fit} × {fit} grids (shaded light where it is low). The random slice moves θ* along two random "
                    "directions, each unit's incoming weights scaled to that unit's own size in θ* (biases not "
                    "moved). A path drawn on a plane is its shadow: the shading is the loss on the plane, while the "
                    "path runs off the plane by what the plane does not keep, so a shadow can cross contours the "
                    "path never climbed, and seem to cut across a ridge it went around. The second row draws each "
                    "path in the plane of its own two principal directions, where most of it lies. The line "
                    "chart is the loss on the straight line from one solution to another: a rise above the "
                    "dashed straight line between its ends is a barrier between them."
                    + (f" Grid lowered from {grid if grid % 2 else grid + 1} to {fit} to fit the server's budget."
                       if fit < grid else "")
                    + (f" Left out (diverged): {', '.join(named[k] for k in left_out)}." if left_out else ""))
                tables["landscape_line"] = lines
        if dataset == OWN:
            X, y = owndata.points(data)
            tables["your_data"] = network.own_points_frame(X, y)
        view.share(tables, snippets.network_snippet(specs, runs, list(paths) if land is not None else (), fit),
                   own_data.link_note(view, data) if dataset == OWN else "")
        st.markdown("#### Update rules")
        view.formulas(list(dict.fromkeys(tr.optimizer for tr in traces.values())),
                      overrides={o: {"lr": lrs[o]} for o in NETWORK_OPTIMIZERS})
