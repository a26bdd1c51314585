"""Every sentence true for the run it sits beside: each page's text, at its defaults and at the
settings a lesson uses, held to the quantity behind it, computed here from the engine.

The text is read from the page (AppTest); the runs are made again here with ``engine.simulate``
from the same settings, and the quantity each word names (a rate rising or levelling off, a gap
closing, who ends lowest, a width, a tie, a count) is computed from them, not taken from the
page's own claim functions. A sentence that names an optimiser is checked against that
optimiser's run, whatever its exact wording.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine import OPTIMIZERS, replay, simulate
from ui.frame.registry import ALL_FIELDS
from ui.state.settings import settings_from_values

from .conftest import no_exception, open_page
from .measure import best_and_region, hypermap, page_constant, quarters, sweep

LR_PAGE = "pages/3_Learning_rates.py"


def _settings(query: dict[str, str]):
    return settings_from_values({k: ALL_FIELDS[k].clean(v) for k, v in query.items()})


def _texts(at) -> str:
    """Everything the page says in prose: markdown, notes, captions."""
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption]
    return "\n".join(parts)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*(])|\n+", text) if s.strip()]


def _about(text: str, name: str) -> list[str]:
    """The sentences that name ``name`` (as a word: Adam is not AdamW)."""
    pattern = re.compile(rf"(?<![\w+]){re.escape(name)}(?![\w])")
    return [s for s in _sentences(text) if pattern.search(s)]


# ---------------------------------------------------------------------------
# Learning rates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", [{}, {"opt": "adagrad,rmsprop,adam"},
                                   {"opt": "sgd,adagrad,adam", "f": "quadratic", "noise": "0", "steps": "500"}],
                         ids=["defaults", "compare", "quadratic"])
def test_learning_rates_say_what_each_rate_did_in_this_run(query):
    at = open_page(LR_PAGE, query)
    no_exception(at)
    text = _texts(at)
    s = _settings(query)
    for opt in s.optimizers:
        tr = simulate(s.spec(opt))
        eff = tr.eff_lr[:, 0]  # (updates, 2)
        first, last = eff[0], eff[-1]
        late = np.array([quarters(eff[:, j]) for j in range(eff.shape[1])])
        name = OPTIMIZERS[opt].title
        said = _about(text, name)
        assert said, f"nothing is said about {name}"
        for sentence in said:
            if re.search(r"level(s|led)? off|settles? at a level", sentence):
                assert np.all(np.abs(np.log(late)) < np.log(1.3)), (name, late, sentence)
            if "still rising" in sentence:
                assert np.any(late > 1.1), (name, late, sentence)
            if "still falling" in sentence:
                assert np.any(late < 1 / 1.1), (name, late, sentence)
            if re.search(r"\brose\b", sentence) and not re.search(r"\bfell\b", sentence):
                assert np.all(last > first), (name, first, last, sentence)
            if re.search(r"\bfell\b", sentence) and not re.search(r"\brose\b", sentence):
                assert np.all(last < first), (name, first, last, sentence)
            if "flat" in sentence:
                assert np.ptp(eff) <= 1e-12 * eff.max(), (name, sentence)
        if opt == "adagrad":
            # "falls (roughly) like 1/√t" is a claim about this run unless it is said under a condition
            for sentence in _about(text, "1/√t"):
                if not re.search(r"1/√t (while|if|when)", sentence):
                    t = tr.t_update
                    half = t > t[-1] / 2
                    slope = np.polyfit(np.log(t[half]), np.log(eff[half, 0]), 1)[0]
                    assert -0.7 < slope < -0.3, (slope, sentence)
            said_by = re.search(r"fall came by step (\d+)", text)
            if said_by:
                k = int(said_by.group(1))
                fall = np.log(eff[-1] / eff[0])
                assert np.all(np.log(eff[tr.t_update == k][0] / eff[0]) <= 0.8 * fall)  # 80% of the fall, or more
            said_loss = re.search(r"loss after (\d+) steps: ([0-9.e+-]+)", text)
            if said_loss:
                assert int(said_loss.group(1)) == s.steps
                assert float(said_loss.group(2)) == pytest.approx(tr.final_loss[0], rel=0.05)


# ---------------------------------------------------------------------------
# Bias correction
# ---------------------------------------------------------------------------

BC_PAGE = "pages/4_Bias_correction.py"


@pytest.mark.parametrize("query", [{}, {"adam.beta2": "0.9"}, {"first": "20", "steps": "300"}],
                         ids=["defaults", "beta2", "short"])
def test_bias_correction_says_how_far_apart_the_steps_are_and_how_the_runs_end(query):
    at = open_page(BC_PAGE, query)
    no_exception(at)
    text = _texts(at)
    s = _settings(query)
    shown = min(int(ALL_FIELDS["first"].clean(query.get("first", str(ALL_FIELDS["first"].default)))), s.steps)
    on = simulate(s.spec("adam", bias_correction=True))
    same = replay("adam", on.grads, on.start, return_trace=True, **{**s.hyper("adam"), "bias_correction": False})
    off = simulate(s.spec("adam", bias_correction=False))
    size_on = np.sqrt((on.delta[:, 0] ** 2).sum(-1))
    ratio = np.sqrt((same.delta[:, 0] ** 2).sum(-1)) / size_on  # uncorrected / corrected, step by step
    f_on, f_off = on.final_loss[0], off.final_loss[0]
    for value, step in re.findall(r"([0-9.]+)× at step (\d+)", text):
        assert float(value) == pytest.approx(ratio[int(step) - 1], rel=0.06), (value, step)
    for sentence in _sentences(text):
        if re.search(r"(closes|closed)", sentence) and not re.search(r"step \d+|not closed", sentence):
            # a gap said to close, with no step named, must have closed where the charts end
            assert abs(np.log(ratio[shown - 1])) < np.log(1.1), (ratio[shown - 1], sentence)
        if re.search(r"(behave|end) alike|about the same loss", sentence) and "not" not in sentence:
            assert abs(f_on - f_off) <= 0.1 * max(f_on, f_off), (f_on, f_off, sentence)
    said = re.search(r"within (\d+)% of each other from step (\d+)", text)
    if said:
        k, tol = int(said.group(2)), 1 + int(said.group(1)) / 100
        assert np.all(np.abs(np.log(ratio[k - 1:])) <= np.log(tol) + 1e-12)
        assert k == 1 or abs(np.log(ratio[k - 2])) > np.log(tol)
    lower = re.search(r"(uncorrected|corrected) run ends lower, f = ([0-9.e-]+) against ([0-9.e-]+)", text)
    if f_off < 0.9 * f_on or f_on < 0.9 * f_off:
        assert lower, "the page does not say which run ends lower"
        winner, loser = (f_off, f_on) if lower.group(1) == "uncorrected" else (f_on, f_off)
        assert winner < loser
        assert float(lower.group(2)) == pytest.approx(winner, rel=0.06)
        assert float(lower.group(3)) == pytest.approx(loser, rel=0.06)


# ---------------------------------------------------------------------------
# Weight decay
# ---------------------------------------------------------------------------

WD_PAGE = "pages/7_Weight_decay.py"
WD_LABELS = {"adam": "Adam + L2", "adamw": "AdamW"}


def _wd_runs(query):
    s = _settings(query)
    field = {k: ALL_FIELDS[k].clean(query[k]) if k in query else ALL_FIELDS[k].default
             for k in ("wd.lambda", "wd.lr", "wd.cond", "wd.steps", "wd.noise")}
    runs = {o: simulate("scaled", o, int(field["wd.steps"]), None, field["wd.noise"], s.seed,
                        objective_options={"cond": field["wd.cond"]},
                        **{**s.hyper(o), "lr": field["wd.lr"], "weight_decay": field["wd.lambda"]})
            for o in WD_LABELS}
    return runs


@pytest.mark.parametrize("query", [{}, {"wd.steps": "5000"}, {"wd.noise": "0.5"}],
                         ids=["defaults", "5000 steps", "noisy"])
def test_weight_decay_says_settled_only_of_a_settled_run(query):
    at = open_page(WD_PAGE, query)
    no_exception(at)
    text = _texts(at)
    runs = _wd_runs(query)
    for opt, tr in runs.items():
        p = tr.params[:, 0]
        k = len(p) // 20
        moved = np.abs(p[-k:].mean(0) - p[-2 * k:-k].mean(0))
        spread = p[-k:].std(0)
        tail = p[-len(p) // 10:].mean(0)
        still = moved > np.maximum(np.maximum(2e-4, 0.04 * np.abs(1 - tail)), 2 * spread)
        calm = moved < np.maximum(np.maximum(1e-4, 0.02 * np.abs(1 - tail)), spread)
        for sentence in _about(text, WD_LABELS[opt]):
            if re.search(r"\bsettle", sentence) and not re.search(r"not settled|settles only|has not", sentence):
                assert np.all(calm), (opt, moved, sentence)
            if re.search(r"not settled|still moving", sentence):
                assert np.any(still), (opt, moved, sentence)
        pulls = re.search(rf"{re.escape(WD_LABELS[opt])}[^*]*\*\*[^.]*pulls x by ([0-9.e-]+) and y by ([0-9.e-]+)",
                          text)
        if pulls:
            assert float(pulls.group(1)) == pytest.approx(1 - tail[0], rel=0.06, abs=1e-4)
            assert float(pulls.group(2)) == pytest.approx(1 - tail[1], rel=0.06, abs=1e-4)
    # a column named "final" holds the last iterate; the mean of a tail says so
    table = at.dataframe[0].value if at.dataframe else at.table[0].value
    for column in table.columns:
        if "final" in str(column):
            axis = 0 if "x" in str(column) else 1
            for label, value in table[column].items():
                opt = next((o for o, name in WD_LABELS.items() if str(label).startswith(name + " (")), None)
                if opt:
                    assert float(value) == pytest.approx(runs[opt].final_params[0, axis], abs=1e-4), (column, label)


# ---------------------------------------------------------------------------
# Sparse gradients
# ---------------------------------------------------------------------------

SPARSE_PAGE = "pages/5_Sparse_gradients.py"
SPARSE_OPTS = ("sgd", "adagrad", "rmsprop", "adam")


def _sparse_setup(query):
    def value(key):
        return ALL_FIELDS[key].clean(query[key]) if key in query else ALL_FIELDS[key].default

    s = _settings(query)
    lrs = {o: value(f"sp.{o}") for o in SPARSE_OPTS}
    steps, dim, freq, rare, n = (int(value("sp.steps")), int(value("sp.dim")), value("sp.freq"), value("sp.rare"),
                                 int(value("sp.seeds")))
    seeds = np.arange(s.seed, s.seed + n)
    many = {o: simulate("sparse", o, steps, None, 0.0, seeds, objective_options={"dim": dim, "freq_min": freq},
                        **{**s.hyper(o), "lr": lrs[o]}) for o in SPARSE_OPTS}
    two = {o: simulate("sparse2d", o, steps, None, 0.0, s.seed, objective_options={"freq_rare": rare},
                       **{**s.hyper(o), "lr": lrs[o]}) for o in SPARSE_OPTS}
    return s, lrs, many, two, (dim, freq, rare, steps)


def _pairs(segment: str) -> dict[str, float]:
    """``Title 0.0031, Title 0.0095`` -> {title: number}."""
    return {name: float(v) for name, v in re.findall(r"([A-Z][\w+ ]*?) ([0-9.e-]+)(?:,|;|$|\.)", segment)}


@pytest.mark.parametrize("query", [{}, {"sp.rare": "0.01", "sp.steps": "300"}, {"sp.sgd": "0.1", "sp.adam": "0.01"}],
                         ids=["defaults", "rarer", "old rates"])
def test_sparse_gradients_say_what_the_rare_weights_did(query):
    from engine import get_objective

    at = open_page(SPARSE_PAGE, query)
    no_exception(at)
    text = _texts(at)
    _, _, many, two, (dim, freq, rare_p, steps) = _sparse_setup(query)
    obj = get_objective("sparse", dim=dim, freq_min=freq)
    order = np.argsort(obj.feature_freq, kind="stable")
    rare = order[: max(round(dim / 4), 1)]
    w_star = np.asarray(obj.minima[0])
    rare_err = {o: float(np.median(np.median(np.abs(tr.final_params - w_star), axis=0)[rare]))
                for o, tr in many.items()}
    # "rare weights barely move" under SGD: on both problems they must have covered less than half the way
    for sentence in _about(text, "SGD"):
        if re.search(r"barely move|hardly move|stay(s)? (high|put)", sentence):
            moved = 1 - rare_err["sgd"] / float(np.median(np.abs(w_star[rare])))
            assert moved < 0.5, (moved, sentence)
            obj2 = get_objective("sparse2d", freq_rare=rare_p)
            done = two["sgd"].final_params[0, 1] / obj2.minima[0][1]
            assert done < 0.5, (done, sentence)
    said = re.search(r"median error after (\d+) steps is ([^;]*);", text)
    assert said and int(said.group(1)) == steps, text
    listed = _pairs(said.group(2))
    for o in SPARSE_OPTS:
        assert listed[OPTIMIZERS[o].title] == pytest.approx(rare_err[o], rel=0.06), (o, listed)
    lowest = re.search(r"(\w+) ends lowest on the rare features", text)
    if lowest:
        assert lowest.group(1) == OPTIMIZERS[min(rare_err, key=rare_err.get)].title
    # the map: each end point, and who ends closest
    obj2 = get_objective("sparse2d", freq_rare=rare_p)
    dist = {o: float(np.linalg.norm(tr.final_params[0] - np.asarray(obj2.minima[0]))) for o, tr in two.items()}
    for name, x, y in re.findall(r"([A-Z][\w+ ]*?) at \(([-0-9.]+), ([-0-9.]+)\)", text):
        o = next(k for k in SPARSE_OPTS if OPTIMIZERS[k].title == name)
        assert (float(x), float(y)) == pytest.approx(tuple(two[o].final_params[0]), abs=0.006), name
    closest = re.search(r"(\w+) ends closest to the minimum", text)
    if closest:
        assert closest.group(1) == OPTIMIZERS[min(dist, key=dist.get)].title


def test_sparse_default_learning_rates_are_each_near_their_best():
    """The page says the defaults are each near that optimiser's best on the default problem: each
    default's median final loss is within 2.5x of the best of 25 rates over the optimiser's range."""
    s, lrs, many, _, (dim, freq, _, steps) = _sparse_setup({})
    seeds = np.arange(s.seed, s.seed + 5)
    for o in SPARSE_OPTS:
        h = OPTIMIZERS[o].hypers["lr"]
        grid = np.logspace(np.log10(h.low), np.log10(h.high), 25)
        tr = simulate("sparse", o, steps, None, 0.0, np.tile(seeds, 25), record="loss", every=steps,
                      objective_options={"dim": dim, "freq_min": freq}, **{**s.hyper(o), "lr": np.repeat(grid, 5)})
        best = np.median(np.where(tr.diverged, np.inf, tr.final_loss).reshape(25, 5), axis=1).min()
        assert np.median(many[o].final_loss[:5]) <= 2.5 * best, (o, lrs[o], np.median(many[o].final_loss), best)


# ---------------------------------------------------------------------------
# LR sensitivity (at the defaults and at the practical guide's prototyping preset)
# ---------------------------------------------------------------------------

SENS_PAGE = "pages/6_LR_sensitivity.py"


def _preset_query(preset_id):
    from ui.state.guide import GUIDE

    return dict(next(p for p in GUIDE if p.id == preset_id).values)


@pytest.mark.parametrize("query", [{}, "prototyping"], ids=["defaults", "prototyping preset"])
def test_lr_sensitivity_states_each_width_and_calls_the_widest(query):
    query = _preset_query(query) if isinstance(query, str) else query
    at = open_page(SENS_PAGE, query)
    no_exception(at)
    text = _texts(at)
    s = _settings(query)
    n_lrs, n_seeds = ALL_FIELDS["lrs.points"].default, ALL_FIELDS["lrs.seeds"].default
    found = {o: sweep(s, o, n_lrs, n_seeds) for o in s.optimizers}
    width = {o: float(np.log10(f[0][f[3]] / f[0][f[2]])) for o, f in found.items()}
    for sentence in _sentences(text):  # a general word about a kind of optimiser, held to this run
        if re.search(r"[Aa]daptive methods are (often )?forgiving", sentence):
            adaptive = [o for o in s.optimizers if o not in ("sgd", "momentum", "nesterov")]
            assert all(width[o] > 0 for o in adaptive), (width, sentence)
    for o in s.optimizers:
        name = OPTIMIZERS[o].title
        said = re.search(rf"{re.escape(name)} ([0-9.]+) decades( \(only its best rate\))?", text)
        assert said, (name, text)
        assert float(said.group(1)) == pytest.approx(width[o], abs=0.006), (name, width)
        assert bool(said.group(2)) == (width[o] == 0)
        lrs, _, _, hi, diverged = found[o]
        next_diverged = hi + 1 < len(lrs) and diverged[hi + 1]
        assert (f"{name}'s span ends one grid step below a learning rate where runs diverge" in text) == next_diverged
    widest = re.search(r"Widest: ([^.]*?)(, a tie)?\.", text)
    top = max(width.values())
    leaders = {OPTIMIZERS[o].title for o, w in width.items() if w >= top - 1e-9}
    if widest:
        assert set(re.split(r", | and ", widest.group(1))) == leaders
        assert bool(widest.group(2)) == (len(leaders) > 1)
    else:
        assert "All tie" in text and len(leaders) == len(width)


# ---------------------------------------------------------------------------
# Second order
# ---------------------------------------------------------------------------

SO_PAGE = "pages/9_Second_order.py"


@pytest.mark.parametrize("query", [{}, {"noise": "0", "f": "beale"}], ids=["defaults", "beale"])
def test_second_order_counts_what_each_method_needed(query):
    from engine.baselines import BASELINES, scipy_path

    at = open_page(SO_PAGE, query)
    no_exception(at)
    text = _texts(at)
    s = _settings(query)
    obj = s.objective_obj()
    needed = {}
    for m in BASELINES:
        p = scipy_path(obj, m, s.start, ALL_FIELDS["so.iter"].default)
        below = np.flatnonzero(p.loss - obj.fmin < 1e-6)
        needed[m] = int(p.evaluations[below[0]]) if below.size else None
    for sentence in _sentences(text):
        if re.search(r"\btens of evaluations", sentence):
            assert all(n is not None and n < 100 for n in needed.values()), (needed, sentence)
    for m, n in needed.items():
        if n is None:
            assert re.search(rf"{re.escape(m)} not within", text), (m, text)
        else:
            said = re.search(rf"{re.escape(m)} (\d+) evaluations", text)
            assert said and int(said.group(1)) == n, (m, n, text)
    for o in s.optimizers:
        tr = simulate(s.spec(o))
        below = np.flatnonzero(tr.loss[:, 0] - obj.fmin < 1e-6)
        name = OPTIMIZERS[o].title
        if below.size:
            assert re.search(rf"{re.escape(name)} {tr.t[below[0]]} steps", text), (name, text)
        else:
            assert re.search(rf"{re.escape(name)} not within {s.steps} steps", text), (name, text)


# ---------------------------------------------------------------------------
# Home (the chapter's figure) and Schedules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_home_ranks_the_chapters_runs_as_they_end(seed):
    from engine import EXPERIMENTS

    at = open_page("dashboard.py", {"home.seed": str(seed)})
    no_exception(at)
    text = _texts(at)
    runs = {o: simulate(spec) for o, spec in EXPERIMENTS["chapter"].specs(seed=seed).items()}
    final = {OPTIMIZERS[o].title: float(tr.final_loss[0]) for o, tr in runs.items()}
    said = re.search(r"lowest first: (.*?\))\.(?:\s|$)", text)
    assert said, text
    listed = re.findall(r"([A-Z][\w +]*?) \(f = ([0-9.e-]+)", said.group(1))
    assert [n for n, _ in listed] == sorted(final, key=final.get)
    for name, value in listed:
        assert float(value) == pytest.approx(final[name], rel=0.06)
    lowest = min(final, key=final.get)
    for sentence in _sentences(text):
        if re.search(r"ends (closest|lowest)", sentence):  # said of the run with the lowest final f
            assert lowest.split()[-1] in sentence, (lowest, sentence)
    floor = re.search(r"valley floor \(\|y − x²\| < ([0-9.]+)\) within (\d+) steps", text)
    if floor:
        limit, by = float(floor.group(1)), int(floor.group(2))
        for tr in runs.values():
            p = tr.params[: by + 1, 0]
            assert np.any(np.abs(p[:, 1] - p[:, 0] ** 2) < limit)
    for o, tr in runs.items():
        step = np.median(np.abs(tr.delta[:, 0]), axis=0) / float(tr.hyper["lr"][0])
        said_step = re.search(rf"{re.escape(OPTIMIZERS[o].title)}'s median step is ([0-9.]+)(?:–[0-9.]+)?× its η",
                              text)
        if said_step:
            assert float(said_step.group(1)) == pytest.approx(step.min(), rel=0.06)
    if re.search(r"Adam.*still on its way", text):
        loss = runs["adam"].loss[:, 0]
        n = len(loss)
        assert np.median(loss[3 * n // 4:]) < np.median(loss[n // 2:3 * n // 4])


SCH_PAGE = "pages/8_Schedules.py"


@pytest.mark.parametrize("query", [{}, "transformers", "rnn"], ids=["defaults", "transformers", "rnn"])
def test_schedules_say_which_run_ends_lower(query):
    query = _preset_query(query) if isinstance(query, str) else query
    at = open_page(SCH_PAGE, query)
    no_exception(at)
    text = _texts(at)
    s = _settings(query)
    value = {k: ALL_FIELDS[k].clean(query[k]) if k in query else ALL_FIELDS[k].default
             for k in ("sch", "sch.warmup", "sch.every", "sch.gamma", "sch.min", "clip", "clip.at")}
    from engine.schedules import USES

    keys = {"warmup": "sch.warmup", "step_size": "sch.every", "gamma": "sch.gamma", "min_factor": "sch.min"}
    options = {name: value[keys[name]] for name in USES[value["sch"]]}
    options = {k: int(v) if k in ("warmup", "step_size") else v for k, v in options.items()}
    clip = {"clip_norm": value["clip.at"]} if value["clip"] == "norm" else \
        {"clip_value": value["clip.at"]} if value["clip"] == "value" else {}
    fmin = s.objective_obj().fmin
    for o in s.optimizers:
        on = simulate(s.spec(o, schedule=value["sch"], schedule_options=options, **clip))
        off = simulate(s.spec(o))
        name = OPTIMIZERS[o].title
        said = re.search(rf"{re.escape(name)} ends (lower|higher) with [^(]*\(f − f\* = ([0-9.e-]+) against "
                         r"([0-9.e-]+)\)", text)
        if on.diverged[0] or off.diverged[0]:
            for tr in (on, off):
                if tr.diverged[0]:
                    assert f"diverges at step {int(tr.stopped_at[0])}" in text, (name, text)
            continue
        a, b = on.final_loss[0] - fmin, off.final_loss[0] - fmin
        if abs(a - b) <= 0.05 * max(a, b):
            assert f"{name} ends about the same either way" in text
            continue
        assert said, (name, text)
        assert said.group(1) == ("lower" if a < b else "higher")
        assert float(said.group(2)) == pytest.approx(a, rel=0.06)
        assert float(said.group(3)) == pytest.approx(b, rel=0.06)


# ---------------------------------------------------------------------------
# Neural network
# ---------------------------------------------------------------------------

NN_PAGE = "pages/11_Neural_network.py"


def _nn_setup(query):
    from engine import get_objective

    def value(key):
        return ALL_FIELDS[key].clean(query[key]) if key in query else ALL_FIELDS[key].default

    options = {"dataset": value("nn.data"), "width": int(value("nn.width")), "depth": int(value("nn.depth")),
               "activation": value("nn.act"), "batch_size": int(value("nn.batch"))}
    if options["dataset"] == "own":
        options["data"] = value("nn.points")
    else:
        options.update(input_noise=float(value("nn.noise")), label_noise=float(value("nn.flip")))
    s = _settings(query)
    net = get_objective("network", **options).network

    def run(opt, every=1, **hyper):
        return simulate("network", opt, int(value("nn.steps")), None, 0.0, s.seed, objective_options=options,
                        every=every, **{**s.hyper(opt), "lr": value(f"nn.lr.{opt}"), **hyper})

    return net, run


def _right(net, params) -> int:
    """Test points the network with ``params`` classifies correctly."""
    return round(float(net.metrics(params[None])["test_accuracy"][0]) * net.X_test.shape[0])


def _boundary_titles(at) -> list[str]:
    """Each boundary map's title, as one line ("label: test N%")."""
    from .conftest import charts, is_player, spec

    player = next(spec(c) for c in charts(at) if is_player(c))
    return [v["title"] if isinstance(v["title"], str) else f"{v['title']['text']}: {v['title']['subtitle']}"
            for v in player["hconcat"]]


def test_network_tuned_grids_hold_each_best_inside_and_a_tie_is_called_a_tie():
    at = open_page(NN_PAGE, {"nn.preset": "tuned"})
    no_exception(at)
    text = _texts(at)
    net, run = _nn_setup({})
    n = int(re.search(r"(?:ran|run) at (\d+) learning rates", text).group(1))
    right = {}
    for title in _boundary_titles(at):
        name, lr = re.match(r"(.*), η = ([0-9.e+-]+):", title).groups()
        opt = next(o for o in ("momentum", "adam") if OPTIMIZERS[o].title == name)
        grid_said = re.search(rf"{re.escape(name)} at η = [0-9.e+-]+ \(of ([0-9.e+-]+)–([0-9.e+-]+)\)", text)
        grid = (np.logspace(np.log10(float(grid_said.group(1))), np.log10(float(grid_said.group(2))), n)
                if grid_said else {"momentum": np.logspace(-2, 0, 5), "adam": np.logspace(-3, -1, 5)}[opt])
        tr = run(opt, lr=grid)
        finished = np.where(tr.diverged, np.inf, tr.final_loss)
        best = int(np.argmin(finished))
        assert float(lr) == pytest.approx(grid[best], rel=0.01), (name, lr, grid[best])
        if best in (0, len(grid) - 1):  # tuned only if the best is inside its grid, or the text says it is not
            assert f"{name}'s best is the" in text, (name, grid[best], "on the edge of", grid)
        right[name] = _right(net, tr.final_params[best])
    (a, ra), (b, rb) = right.items()
    higher = [s for s in _sentences(text) if "ends with the higher test accuracy" in s]
    if ra == rb:
        assert "tie" in text and not higher, (right, text)
    else:  # the one named before "ends with the higher" is the one with more test points right
        winner, loser = (a, b) if ra > rb else (b, a)
        assert higher, (right, text)
        for sentence in higher:
            said = sentence.split("ends with the higher")[0]
            assert winner in said and (loser not in said or said.rindex(winner) > said.rindex(loser)), sentence


def test_network_adamw_experiment_shows_each_factor_apart():
    at = open_page(NN_PAGE, {"nn.preset": "adamw"})
    no_exception(at)
    text = _texts(at)
    titles = [t.split(": test")[0] for t in _boundary_titles(at)]
    plain = [t for t in titles if t.startswith("AdamW") and "cosine" not in t]
    assert any(t.startswith("Adam + L2") for t in titles) and plain, titles  # decay apart from the schedule
    net, run = _nn_setup({})
    steps = ALL_FIELDS["nn.steps"].default
    decay = {"lr": 0.01, "weight_decay": 0.05}
    runs = {"Adam + L2": run("adam", **decay), "AdamW": run("adamw", **decay),
            "AdamW with warm-up + cosine": run("adamw", **decay, schedule="warmup_cosine",
                                               schedule_options={"warmup": steps // 10})}
    right = {k: _right(net, tr.final_params[0]) for k, tr in runs.items()}
    for sentence in _sentences(text):
        for a, b, label in (("AdamW", "Adam + L2", "Decoupling"),
                            ("AdamW with warm-up + cosine", "AdamW", "The schedule")):
            if sentence.startswith(label):
                if right[a] == right[b]:
                    assert "tie on test accuracy" in sentence, (right, sentence)
                else:
                    winner = a if right[a] > right[b] else b
                    said = "AdamW with a constant η" if label == "The schedule" and winner == "AdamW" else winner
                    assert f"{said} ends with the higher test accuracy ({max(right[a], right[b])} of" in sentence


def test_network_layers_are_said_apart_only_when_they_are():
    at = open_page(NN_PAGE, {})
    no_exception(at)
    text = _texts(at)
    net, run = _nn_setup({})
    for opt in ALL_FIELDS["nn.opt"].default:
        tr = run(opt)
        last = {name: float(np.median(tr.eff_lr[-1, 0, cut])) for name, cut in net.layers}
        spread = max(last.values()) / min(last.values())
        name = OPTIMIZERS[opt].title
        for sentence in _sentences(text):
            if re.search(r"how far apart the layers'? lines are", sentence):
                assert opt in ("sgd", "momentum") or spread >= 1.5, (name, last, sentence)
        said = re.search(rf"{re.escape(name)}'s rate in the ([\w ]+) layer ends ([0-9.]+)× that in the ([\w ]+) layer",
                         text)
        if said:
            assert float(said.group(2)) == pytest.approx(last[said.group(1)] / last[said.group(3)], rel=0.06)
        if f"{name}'s layers end within 10%" in text:
            assert spread < 1.1


OWN_RING = "nn.points"  # a data set of one's own for the landscape's claims: a ring around a blob


def _ring() -> str:
    from engine.owndata import encode_data

    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    rng = np.random.default_rng(2)
    X = np.r_[np.column_stack([1.5 * np.cos(t), 1.5 * np.sin(t)]), rng.normal(0, 0.3, (20, 2))]
    return encode_data(np.clip(X, -2, 2), np.r_[np.zeros(40), np.ones(20)])


def _number_after(text: str, pattern: str) -> float:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return float(found.group(1))


@pytest.mark.parametrize("query", [{}, {"nn.opt": "sgd,momentum,adam"}, {"nn.data": "own", "nn.points": "ring"},
                                   {"nn.act": "relu", "nn.steps": "300"}], ids=["defaults", "three", "own", "relu"])
def test_network_landscape_says_what_the_run_shows(query):
    """Each number and word of 'What the landscape shows', recomputed here from the engine's runs:
    the losses along the straight line between two solutions (its barrier), the principal plane's
    explained variance (an SVD here), the random plane's share (least squares here), the lower
    solution."""
    from engine.landscape import directions
    from ui.views import network
    from ui.views.claims import BARRIER, BARRIER_ABS

    query = {k: (_ring() if v == "ring" else v) for k, v in query.items()}
    at = open_page(NN_PAGE, query)
    no_exception(at)
    text = next(m.value for m in at.markdown if m.value.startswith("**What the landscape shows.**"))
    net, run = _nn_setup(query)
    steps = int(ALL_FIELDS["nn.steps"].clean(query["nn.steps"]) if "nn.steps" in query else
                ALL_FIELDS["nn.steps"].default)
    opts = ALL_FIELDS["nn.opt"].clean(query["nn.opt"]) if "nn.opt" in query else ALL_FIELDS["nn.opt"].default
    traces = {o: run(o, every=-(-steps // network.FRAMES)) for o in opts}  # the page's recorded frames
    names = {o: OPTIMIZERS[o].title for o in opts}
    finals = {o: float(net.value(tr.final_params[0])) for o, tr in traces.items()}
    first = opts[0]
    theta0 = traces[first].final_params[0]
    # the lower solution
    if len(opts) > 1:
        low = min(finals, key=finals.get)
        said = re.search(r"([\w +]+)'s solution has the (?:lower|lowest) training loss \(([0-9.e-]+) against", text)
        if max(finals.values()) - finals[low] > 0.05 * max(finals.values()):
            assert said and said.group(1).strip() == names[low], (finals, text)
            assert float(said.group(2)) == pytest.approx(finals[low], rel=0.06)
        else:
            assert not said and "about the same training loss" in text
    # the barrier on each line: (1 - a) theta0 + a theta_k, a on the page's grid in [0, 1]
    alphas = np.round(np.linspace(0.0, 1.0, 21), 12)
    for o in opts[1:]:
        thetak = traces[o].final_params[0]
        losses = np.array([net.value((1 - a) * theta0 + a * thetak) for a in alphas])
        height = max(float((losses - ((1 - alphas) * losses[0] + alphas * losses[-1])).max()), 0.0)
        part = re.split(r"\.(?=\s|$)", text.split(f"to {names[o]}'s the loss")[1])[0] + "."  # its sentence
        barrier = height > max(BARRIER * max(losses[0], losses[-1]), BARRIER_ABS)
        assert ("a barrier between them" in part) == barrier, (height, losses[[0, -1]], part)
        assert ("no barrier" in part) == (not barrier), part
        if "rises to" in part:  # the highest loss between the two solutions, where the chart shows it
            top = re.search(r"rises to ([0-9.e-]+) \(at α = ([0-9.-]+)\)", part)
            assert float(top.group(1)) == pytest.approx(losses.max(), rel=0.06), (part, losses)
            assert float(top.group(2)) == pytest.approx(alphas[np.argmax(losses)], abs=0.051), (part, losses)
        if "above the straight line" in part and "never" not in part:
            said = _number_after(part, r"([0-9.e-]+) above the straight line")
            assert said == pytest.approx(height, rel=0.06, abs=5e-4), (said, height, part)
        else:
            assert height == 0.0, (height, part)
    # each path's principal plane: an SVD of its recorded points less the solution, centred
    for o, tr in traces.items():
        m = tr.params[:, 0] - tr.final_params[0]
        sv = np.linalg.svd(m - m.mean(0), compute_uv=False)
        share = float((sv[:2] ** 2).sum() / (sv ** 2).sum())
        clause = re.search(r"principal directions explain (.*?) variance", text).group(1)
        said = _number_after(clause, rf"([0-9.]+)% of {re.escape(names[o])}'s")
        assert said == pytest.approx(100 * share, abs=0.051 if share < 0.095 else 0.51), (o, share, said)
    if all(
        (lambda sv: (sv[:2] ** 2).sum() / (sv ** 2).sum())(np.linalg.svd(
            (m := tr.params[:, 0] - tr.final_params[0]) - m.mean(0), compute_uv=False)) >= 0.9
        for tr in traces.values()):
        assert "nearly whole" in text
    # the random plane: each path's squared distance from its solution that its shadow keeps
    d1, d2 = directions(net, theta0)
    basis = np.stack([d1, d2], axis=1)
    for o, tr in traces.items():
        m = tr.params[:, 0] - tr.final_params[0]
        coef = np.linalg.solve(basis.T @ basis, basis.T @ m.T)
        kept = float(((basis @ coef) ** 2).sum() / (m ** 2).sum())
        clause = re.search(r"random plane keep (.*?) movement", text).group(1)
        said = _number_after(clause, rf"([0-9.]+)% of {re.escape(names[o])}'s")
        assert said == pytest.approx(100 * kept, abs=0.051 if kept < 0.095 else 0.51), (o, kept, said)
        if "miss most of a path" in text:
            assert kept < 0.5


# ---------------------------------------------------------------------------
# Trajectories (at the defaults and at the vision preset): the final losses it states
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", [{}, "vision"], ids=["defaults", "vision preset"])
def test_trajectories_state_each_final_loss(query):
    query = _preset_query(query) if isinstance(query, str) else query
    at = open_page("pages/1_Trajectories.py", query)
    no_exception(at)
    text = _texts(at)
    s = _settings(query)
    for o in s.optimizers:
        said = re.search(rf"\*\*{re.escape(OPTIMIZERS[o].title)}\*\* f = ([0-9.e+-]+)", text)
        assert said, (o, text)
        assert float(said.group(1)) == pytest.approx(simulate(s.spec(o)).final_loss[0], rel=1e-3)


# ---------------------------------------------------------------------------
# Hyperparameter maps: each map's best cell, ties, edges, good region and its shape, the widest,
# and theory on a quadratic
# ---------------------------------------------------------------------------

HM_PAGE = "pages/12_Hyperparameter_maps.py"
HM_LESSON = {"f": "quadratic", "quadratic.cond": "100", "noise": "0", "opt": "sgd,momentum,nesterov",
             "hm.measure": "steps", "hm.tol": "1e-6", "hm.steps": "1000"}


def _look_for(at) -> str:
    return next(i.value for i in at.info if "What to look for" in i.value)


def _map_claim(text: str, name: str) -> str:
    """The part of the text about one optimiser's map: from its bold name to the next bold name."""
    start = text.index(f"**{name}**:")
    rest = text[start + len(name) + 5:]
    nxt = re.search(r"\*\*[^*]+\*\*:|Widest span|All span|With gradient noise", rest)
    return rest[:nxt.start()] if nxt else rest


@pytest.mark.parametrize("query", [{}, HM_LESSON, {"opt": "adam,lion,adagrad", "hm.measure": "steps",
                                                    "hm.tol": "0.05", "hm.n": "12", "hm.steps": "300"},
                                   {"hm.measure": "diverged", "hm.n": "10", "f": "beale", "opt": "nesterov,rmsprop"}],
                         ids=["defaults", "theory lesson", "steps", "diverged"])
def test_hyperparameter_maps_say_where_each_optimiser_works_in_this_run(query):
    from ui.views.analysis import GOOD
    from ui.views.claims import band_word

    at = open_page(HM_PAGE, query)
    no_exception(at)
    text = _look_for(at)
    s = _settings(query)
    value = {k: ALL_FIELDS[k].clean(query[k]) if k in query else ALL_FIELDS[k].default
             for k in ("hm.n", "hm.seeds", "hm.steps", "hm.measure", "hm.tol")}
    n, steps, measure, tol = int(value["hm.n"]), int(value["hm.steps"]), value["hm.measure"], value["hm.tol"]
    n_seeds = 1 if s.noise == 0 else int(value["hm.seeds"])  # (no noise: every seed the same run)
    recorded = page_constant(HM_PAGE, "RECORDED")
    spans = {}
    for o in s.optimizers:
        name = OPTIMIZERS[o].title
        m = hypermap(s, o, n, n_seeds, steps, tol, recorded)
        best, region = best_and_region(m, measure, GOOD.get(measure))
        said = _map_claim(text, name)
        if best is None:
            assert said.strip().startswith("no cell"), said
            continue
        i, j = best
        cell = re.match(r" best at η = ([0-9.e+-]+)(?:, \S+ = ([0-9.]+))?", said)
        assert cell, said
        assert float(cell.group(1)) == pytest.approx(m["lrs"][i], rel=0.05), (name, said)
        if m["ys"] is not None:  # the value of a decay rate: 1 − β to two digits
            assert 1 - float(cell.group(2)) == pytest.approx(1 - m["ys"][j], rel=0.05), (name, said)
        ranked = m["gap"] if measure == "diverged" else m[measure]
        ties = int((ranked <= ranked[best] * 1.05).sum()) - 1
        told = re.search(r"(\d+) other cells? within 5% of it", said)
        assert (int(told.group(1)) if told else 0) == ties, (name, said)
        on_edge = i in (0, len(m["lrs"]) - 1) or (m["ys"] is not None and j in (0, len(m["ys"]) - 1))
        assert ("on the map's edge" in said) == on_edge, (name, said)
        good = re.search(r"joined to the best one\): (\d+) of (\d+), spanning ([0-9.]+) decades", said)
        assert int(good.group(1)) == len(region) and int(good.group(2)) == ranked.size, (name, said)
        cols = sorted({c[0] for c in region})
        spans[o] = float(np.log10(m["lrs"][cols[-1]] / m["lrs"][cols[0]]))
        assert float(good.group(3)) == pytest.approx(spans[o], abs=0.051), (name, said)
        rows = sorted({c[1] for c in region})
        whole = len(region) == ranked.size > 1
        assert ("the whole map" in said) == whole, (name, said)
        if m["ys"] is not None and len(rows) > 1 and not whole:  # the band's shape, from each row's centre η
            centre = [np.mean([np.log10(m["lrs"][a]) for a, b in region if b == r]) for r in rows]
            slope = np.polyfit(np.log10(1 - m["ys"][rows]), centre, 1)[0]
            words = {"diagonal": "a diagonal band", "leaning": "a band that leans:", "upright": "an upright band",
                     "rising": "leans the other way:", "leaning back": "leans a little the other way"}
            assert words[band_word(slope)] in said, (name, slope, said)
        law = OPTIMIZERS[o].theory
        if law is not None and s.objective in ("quadratic", "scaled"):
            kappa = float(dict(s.objective_options)["cond"])
            ys = m["ys"] if m["ys"] is not None else np.zeros(1)
            agree = 0
            for r, mu in enumerate(ys):
                bad = np.flatnonzero(~(m["gap"][:, r] < m["start_gap"]))
                over = np.flatnonzero(m["lrs"] > law.edge(mu, kappa))
                agree += (bad.size == over.size == 0) or (bad.size and over.size and abs(bad[0] - over[0]) <= 1)
            told = re.search(r"within one cell of that edge in (\d+) of (\d+) rows?", said)
            assert told and (int(told.group(1)), int(told.group(2))) == (agree, len(ys)), (name, said)
            eta, mu = law.optimum(1.0, kappa)
            star = (int(np.argmin(np.abs(np.log(m["lrs"] / eta)))),
                    0 if m["ys"] is None else int(np.argmin(np.abs(np.log((1 - m["ys"]) / (1 - mu))))))
            far = max(abs(a - b) for a, b in zip(star, best))
            told = re.search(r"the best cell here is (that cell|(\d+) cells? from it)", said)
            assert told and (0 if told.group(1) == "that cell" else int(told.group(2))) == far, (name, said)
            if query is HM_LESSON and o != "sgd":  # the lesson: the fewest steps next to theory's optimum
                assert far <= 1
    if len(spans) > 1:
        top = max(spans.values())
        leaders = {OPTIMIZERS[o].title for o, v in spans.items() if v >= top - 1e-9}
        widest = re.search(r"Widest span of good η: (.+?) \(([0-9.]+) decades\)(, a tie)?\.", text)
        if len(leaders) == len(spans):
            assert "a tie." in text and re.search(r"All span [0-9.]+ decades of good η", text), text
        else:
            assert widest and set(re.split(r", | and ", widest.group(1))) == leaders, (leaders, text)
            assert bool(widest.group(3)) == (len(leaders) > 1)


def test_hyperparameter_maps_default_lesson_is_visible():
    """At the defaults momentum's good cells make a diagonal band (η/(1 − μ) traded off), as the
    page's general sentence promises a map can show; the theory lesson's momentum and Nesterov
    reach the tolerance at most one cell from theory's optimum, and SGD, slower, somewhere."""
    text = _look_for(open_page(HM_PAGE))
    assert "a diagonal band" in _map_claim(text, OPTIMIZERS["momentum"].title)
    text = _look_for(open_page(HM_PAGE, HM_LESSON))
    for o in ("momentum", "nesterov"):
        said = _map_claim(text, OPTIMIZERS[o].title)
        assert re.search(r"the best cell here is (that cell|1 cell from it)", said), said
        assert "in 20 of 20 rows" in said, said
    assert "no cell" not in _map_claim(text, "SGD")
