"""What a page says about its run, worded from the run (pure: numpy, no Streamlit).

A page's text is of two kinds. General facts hold for every run and are phrased as such
("AdaGrad's sum can only grow, so its rate can only fall"). Everything else (who ends lowest, a
rate rising or levelling, a gap closing, a width, a tie, a count) depends on the run, and is
worded here from the traces the page draws: each function returns a ``Claim``, the text and
the numbers it was worded from. When the run does not show a lesson's usual claim, the text says
what it shows instead.

The words have fixed meanings (the tests hold the text to them):

* a rate **rose** / **fell** from its first update to its last; it **levelled off** when the
  median of the run's last quarter is within ``LEVEL`` (a factor) of the median of the quarter
  before, else it is **still rising** / **still falling** at the end;
* a run has **settled** when its mean over the last twentieth moved less than ``SETTLED`` of its
  distance from the optimum (or less than ``SETTLED_ABS``) since the twentieth before;
* two numbers are a **tie** when they differ by less than ``TIE`` (relative), or, for
  accuracies, by less than one test point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine import OPTIMIZERS, Trace

LEVEL = 1.25  # a rate whose last quarter is within this factor of the quarter before has levelled off
EARLY = 0.9  # the share of a fall "most of" means
SETTLED = 0.02  # of the distance still to go: a run moving less than this has settled
SETTLED_ABS = 1e-4  # or less than this, absolutely
TIE = 0.05  # relative difference below which two losses are a tie


@dataclass(frozen=True)
class Claim:
    """A page's sentence(s) about its run, and the numbers they were worded from."""

    text: str
    facts: Mapping = field(default_factory=dict)


def num(v: float) -> str:
    """A number as the text writes it: two significant digits (``4.9e-05``, ``0.0015``, ``3.2``)."""
    v = float(v)
    if not np.isfinite(v):
        return "∞" if v > 0 else "−∞" if v < 0 else "not a number"
    text = f"{v:.2g}"
    return f"{float(text):.0f}" if "e+" in text and abs(v) < 1e6 else text


def title(opt: str) -> str:
    return OPTIMIZERS[opt].title if opt in OPTIMIZERS else opt


def and_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------------------
# Learning rates
# ---------------------------------------------------------------------------

ADAPTIVE = ("adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "adadelta")


@dataclass(frozen=True)
class Course:
    """How one positive series (a parameter's effective learning rate) went over a run."""

    first: float
    last: float
    kind: str  # "flat", "rose" or "fell" (first update to last)
    end: str  # "levelled off", "still rising" or "still falling" (last quarter against the one before)
    end_ratio: float  # median of the last quarter / median of the quarter before
    most_by: int  # the step by which EARLY of the fall (or rise) had happened


def course(values: np.ndarray, steps: np.ndarray) -> Course:
    """The ``Course`` of ``values`` (one per recorded update, at ``steps``)."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    first, last = float(y[0]), float(y[-1])
    if y.max() <= y.min() * (1 + 1e-9):
        return Course(first, last, "flat", "levelled off", 1.0, int(steps[0]))
    q = max(n // 4, 1)
    late = float(np.median(y[n - q:]) / max(np.median(y[max(n - 2 * q, 0):n - q] if n >= 2 else y), 1e-300))
    end = "still rising" if late > LEVEL else "still falling" if late < 1 / LEVEL else "levelled off"
    total = np.log(last / first) if first > 0 and last > 0 else 0.0
    part = np.log(np.maximum(y, 1e-300) / first) / total if total else np.ones(n)
    reached = np.flatnonzero(part >= EARLY)
    return Course(first, last, "rose" if last > first else "fell", end, late,
                  int(steps[reached[0]]) if reached.size else int(steps[-1]))


def _rates_of(trace: Trace, names: Sequence[str]) -> dict[str, Course]:
    """Each shown parameter's course over run 0's updates before its stop (if it diverged)."""
    steps = trace.t_update
    stop = trace.stopped_at[0]
    alive = steps < stop if stop >= 0 else np.ones(len(steps), bool)
    eff = trace.eff_lr[alive, 0]
    if not len(eff):
        return {}
    index = _shown_params(trace.dim, names)
    return {name: course(eff[:, j], steps[alive]) for name, j in index.items()}


def _shown_params(dim: int, names: Sequence[str] | None, most: int = 4) -> dict[str, int]:
    """The parameters the chart draws (``frames.eff_lr_frame``: all up to 6, else ``most``)."""
    names = list(names or (["x", "y"] if dim == 2 else [f"w{j + 1}" for j in range(dim)]))
    keep = range(dim) if dim <= 6 else np.linspace(0, dim - 1, most).astype(int)
    return {names[j]: int(j) for j in keep}


def learning_rate_claim(traces: Mapping[str, Trace], names: Sequence[str] | None = None) -> Claim:
    """What each optimiser's effective learning rate did in this run: flat, rose or fell, and
    whether it levelled off; how far apart its parameters ended; AdaGrad's early fall."""
    sentences, facts = [], {}
    finals = {o: float(tr.final_loss[0]) for o, tr in traces.items()}
    for opt, tr in traces.items():
        courses = _rates_of(tr, names)
        facts[opt] = courses
        name = title(tr.optimizer)
        if not courses:
            sentences.append(f"**{name}** diverged at its first step.")
            continue
        stopped = (f" (until it diverged at step {int(tr.stopped_at[0])})" if tr.stopped_at[0] >= 0 else "")
        if all(c.kind == "flat" for c in courses.values()):
            lr = next(iter(courses.values())).first
            sentences.append(f"**{name}**: flat at η = {num(lr)} for every parameter (no adaptation).")
            continue
        kinds = {c.kind for c in courses.values()}
        ends = {c.end for c in courses.values()}
        if len(courses) <= 2:
            values = ", ".join(f"{p} {num(c.first)} → {num(c.last)}" for p, c in courses.items())
        else:
            lo = min(c.first for c in courses.values()), max(c.first for c in courses.values())
            hi = min(c.last for c in courses.values()), max(c.last for c in courses.values())
            values = (f"the {len(courses)} parameters shown from {num(lo[0])}–{num(lo[1])} "
                      f"to {num(hi[0])}–{num(hi[1])}")
        if len(kinds) == 1:
            what = f"{kinds.pop()} ({values})"
        else:
            what = "; ".join(f"{p} {c.kind} from {num(c.first)} to {num(c.last)}" for p, c in courses.items())
        if len(ends) == 1:
            end = ends.pop()
            ratios = [c.end_ratio for c in courses.values()]
            change = max(ratios, key=lambda r: abs(np.log(r)))
            how = (f"{end} at the end (its last quarter ×{change:.2g} the quarter before)"
                   if end != "levelled off" else "levelled off over the last half")
        else:
            how = "; ".join(f"{p} {c.end}" for p, c in courses.items())
        text = f"**{name}**{stopped}: {what}; {how}."
        lasts = [c.last for c in courses.values()]
        if len(courses) > 1 and max(lasts) > min(lasts) * 1.1:
            top = max(courses, key=lambda p: courses[p].last)
            text += f" Its parameters end {max(lasts) / min(lasts):.2g}× apart ({top} highest)."
        if tr.optimizer == "adagrad" and "fell" in {c.kind for c in courses.values()}:
            by = max(c.most_by for c in courses.values())
            if by <= 0.1 * tr.steps:
                text += (f" Most of its fall came by step {by} of {tr.steps}: the large gradients of the first steps "
                         "dominate its sum.")
            others = {o: f for o, f in finals.items() if o != opt}
            text += f" Its loss after {tr.steps} steps: {num(finals[opt])}"
            text += (f" (the others: {', '.join(f'{title(traces[o].optimizer)} {num(f)}' for o, f in others.items())})."
                     if others else ".")
        sentences.append(text)
    return Claim(" ".join(sentences), {"courses": facts, "final_loss": finals})


# ---------------------------------------------------------------------------
# Bias correction
# ---------------------------------------------------------------------------

CLOSE = 1.1  # an uncorrected step within this factor of the corrected one: the gap has closed


def _step_lengths(trace: Trace) -> np.ndarray:
    return np.sqrt((trace.delta[:, 0] ** 2).sum(-1))


def bias_correction_claim(on: Trace, off_same: Trace, shown: int, off_run: Trace | None = None) -> Claim:
    """How the uncorrected step compares with the corrected one on the same gradients (``off_same``,
    a replay of ``on``'s gradients), step by step: at step 1, at its largest, at the moment charts'
    edge (``shown``) and at the end, and from when it stays within ``CLOSE``; and which of the two
    runs (each with its own gradients, ``off_run``) ends lower."""
    a, b = _step_lengths(on), _step_lengths(off_same)
    n = min(len(a), len(b))
    ok = a[:n] > 0
    ratio = np.where(ok, b[:n] / np.where(ok, a[:n], 1.0), 1.0)
    peak = int(np.argmax(ratio))
    edge = min(shown, n) - 1
    far = np.flatnonzero(np.abs(np.log(ratio)) > np.log(CLOSE))
    closed = int(far[-1]) + 2 if far.size else 1  # the first step from which it stays within CLOSE
    facts = {"ratio": ratio, "peak_step": peak + 1, "closed_at": closed if closed <= n else None}
    within = f"{round((CLOSE - 1) * 100)}%"
    parts = [f"On the same gradients the uncorrected step is {ratio[0]:.2g}× the corrected one at step 1"]
    if 0 < peak < n - 1 and ratio[peak] > max(ratio[0] * 1.05, CLOSE):
        parts.append(f"{ratio[peak]:.2g}× at step {peak + 1} (its largest)")
    if edge not in (0, peak) and edge < n - 1:
        apart = abs(np.log(ratio[edge])) > np.log(CLOSE)
        parts.append(f"{'still ' if apart else ''}{ratio[edge]:.2g}× at step {edge + 1} (the right edge of the charts "
                     "above)")
    parts.append(f"{ratio[-1]:.2g}× at step {n}")
    text = ", ".join(parts[:-1]) + " and " + parts[-1] + "."
    if closed <= n:
        text += f" The two steps stay within {within} of each other from step {closed} on."
    else:
        text += f" The gap has not closed by step {n}: the two steps still differ by more than {within}."
    if off_run is not None:
        f_on, f_off = float(on.final_loss[0]), float(off_run.final_loss[0])
        facts.update(final_on=f_on, final_off=f_off)
        if abs(f_on - f_off) <= TIE * max(abs(f_on), abs(f_off)):
            text += f" Both runs end at about the same loss (f = {num(f_on)} and {num(f_off)})."
        elif f_off < f_on:
            text += (f" The runs do not end alike: here the uncorrected run ends lower, f = {num(f_off)} against "
                     f"{num(f_on)} ({f_on / max(f_off, 1e-300):.2g}× lower). Bigger early steps are a risk (they "
                     "can overshoot or diverge), not always a loss.")
        else:
            text += (f" The runs do not end alike: the corrected run ends lower, f = {num(f_on)} against "
                     f"{num(f_off)} ({f_off / max(f_on, 1e-300):.2g}× lower).")
    return Claim(text, facts)


# ---------------------------------------------------------------------------
# Weight decay
# ---------------------------------------------------------------------------

TAIL = 10  # the table's "where it is": the mean of the last 1/TAIL of the steps (noise makes iterates jitter)


def tail_mean(trace: Trace, parts: int = TAIL) -> np.ndarray:
    """Run 0's mean position over the last ``1/parts`` of its recorded steps."""
    p = trace.params[:, 0]
    return p[-max(len(p) // parts, 1):].mean(0)


def drift(trace: Trace) -> np.ndarray:
    """How far run 0 moved at the end: its mean over the last twentieth of the recorded steps minus
    its mean over the twentieth before, per weight."""
    p = trace.params[:, 0]
    k = max(len(p) // 20, 1)
    return p[-k:].mean(0) - p[-2 * k:-k].mean(0)


def jitter(trace: Trace) -> np.ndarray:
    """Run 0's spread (standard deviation) over the last twentieth of its recorded steps, per weight."""
    p = trace.params[:, 0]
    return p[-max(len(p) // 20, 1):].std(0)


def settled(trace: Trace, optimum) -> np.ndarray:
    """Per weight: has run 0 settled? Its ``drift`` is below ``SETTLED`` of its distance from
    ``optimum``, or below ``SETTLED_ABS``, or (with noise) within its own ``jitter``."""
    d = np.abs(drift(trace))
    return (d < SETTLED_ABS) | (d < SETTLED * np.abs(np.asarray(optimum) - tail_mean(trace))) | (d < jitter(trace))


def weight_decay_claim(traces: Mapping[str, Trace], labels: Mapping[str, str], l2: np.ndarray,
                       steps: int) -> Claim:
    """Where Adam + L2 and AdamW are after ``steps`` steps: whether each has settled (and where),
    how hard each pulls each weight towards 0, and whose pull is more even across the weights."""
    one = np.ones(2)
    pull = {o: one - tail_mean(tr) for o, tr in traces.items()}
    still = {o: ~settled(tr, one) for o, tr in traces.items()}
    facts = {"pull": pull, "moving": still, "drift": {o: drift(tr) for o, tr in traces.items()}}
    sentences = [f"After {steps} steps (positions: the mean of the last {100 // TAIL}% of the steps):"]
    for o, tr in traces.items():
        p = pull[o]
        at_l2 = np.all(np.abs(tail_mean(tr) - l2) < 1e-3)
        where = " at the L2-regularised minimum (the cross)" if at_l2 else ""
        if not still[o].any():
            spread = jitter(tr)
            noisy = f" (it jitters by about {num(spread.max())})" if spread.max() > SETTLED_ABS else ""
            state = f"has settled{where}{noisy}"
        else:
            moving = [n for n, m in zip("xy", still[o]) if m]
            d = facts["drift"][o]
            towards = all(np.sign(d[j]) == np.sign(1 - tail_mean(tr)[j]) for j, m in enumerate(still[o]) if m)
            state = (f"has not settled: {' and '.join(moving)} still "
                     f"{'moving towards the optimum 1' if towards else 'moving'} "
                     f"({', '.join(f'{n} by {num(abs(d[j]))}' for j, n in enumerate('xy') if still[o][j])} "
                     f"over the last 5% of the steps){where}")
        ratio = abs(p[0]) / max(abs(p[1]), 1e-300)
        sentences.append(f"**{labels[o]}** {state}; it pulls x by {num(p[0])} and y by {num(p[1])} "
                         f"(x {ratio:.2g}× as much as y).")
    if len(traces) == 2:
        (a, pa), (b, pb) = pull.items()
        spread = {o: abs(np.log(max(abs(p[0]), 1e-300) / max(abs(p[1]), 1e-300))) for o, p in pull.items()}
        if abs(spread[a] - spread[b]) < 0.1:
            sentences.append("Their pulls are about equally even across the two weights.")
        else:
            even = min(spread, key=spread.get)
            sentences.append(f"{labels[even]}'s pull is the more even across the two weights.")
        for j, n in enumerate("xy"):
            if abs(pa[j] - pb[j]) <= TIE * max(abs(pa[j]), abs(pb[j])):
                sentences.append(f"On {n} both pull about the same ({num(pa[j])}).")
            else:
                hard = a if abs(pa[j]) > abs(pb[j]) else b
                sentences.append(f"On {n}, {labels[hard]} pulls harder ({num(max(abs(pa[j]), abs(pb[j])))} against "
                                 f"{num(min(abs(pa[j]), abs(pb[j])))}).")
        if any(still[o].any() for o in traces):
            sentences.append("A run that has not settled may still change these numbers: try more steps.")
    return Claim(" ".join(sentences), facts)


# ---------------------------------------------------------------------------
# Sparse gradients
# ---------------------------------------------------------------------------


def _rare_groups(freq: np.ndarray, share: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the rarest and the most frequent ``share`` of the features (at least one each)."""
    k = max(round(share * len(freq)), 1)
    order = np.argsort(freq, kind="stable")
    rare, common = np.zeros(len(freq), bool), np.zeros(len(freq), bool)
    rare[order[:k]], common[order[-k:]] = True, True
    return rare, common


def sparse_claim(traces: Mapping[str, Trace], objective, steps: int) -> Claim:
    """Per optimiser on the many-feature problem: the median error (over seeds, then over the
    features) of the rarest and of the most frequent quarter of the weights after the run, who is
    lowest on the rare ones, and how much larger a rate each gives its rarest weights than its
    most frequent ones (the effective rate's median over the second half of the run and seeds)."""
    freq = np.asarray(objective.feature_freq)
    w_star = np.asarray(objective.minima[0])
    rare, common = _rare_groups(freq)
    err, rate = {}, {}
    for o, tr in traces.items():
        e = np.median(np.abs(tr.final_params - w_star), axis=0)
        err[o] = (float(np.median(e[rare])), float(np.median(e[common])))
        half = np.median(tr.eff_lr[tr.eff_lr.shape[0] // 2:], axis=(0, 1))
        rate[o] = float(np.median(half[rare]) / max(np.median(half[common]), 1e-300))
    order = sorted(err, key=lambda o: err[o][0])
    lo, hi = freq[rare].min(), freq[rare].max()
    text = (f"On the rarest quarter of the features ({int(rare.sum())} of {len(freq)}, firing in {lo:.2%}–{hi:.2%} "
            f"of the samples) the median error after {steps} steps is "
            + ", ".join(f"{title(o)} {num(err[o][0])}" for o in order)
            + "; on the most frequent quarter "
            + ", ".join(f"{title(o)} {num(err[o][1])}" for o in order) + ".")
    best = order[0]
    if len(order) > 1:
        second = order[1]
        if err[second][0] <= err[best][0] * (1 + TIE):
            text += f" {title(best)} and {title(second)} tie on the rare features."
        else:
            times = err[second][0] / max(err[best][0], 1e-300)
            text += f" {title(best)} ends lowest on the rare features, {times:.2g}× below the next ({title(second)})."
    if "sgd" in err and best != "sgd":
        times = err["sgd"][0] / max(err[best][0], 1e-300)
        text += f" SGD's rare weights end {times:.2g}× further off than {title(best)}'s."
    adaptive = [o for o in rate if not 1 / 1.1 <= rate[o] <= 1.1]  # a zero rate (no step at all) is no tie
    if adaptive:
        text += " Rate of the rarest weights against the most frequent ones: " + ", ".join(
            f"{title(o)} {rate[o]:.2g}×" for o in adaptive) + "."
    same = [title(o) for o in rate if o not in adaptive]
    if same:
        text += f" {and_list(same)} {'gives' if len(same) == 1 else 'give'} every weight about the same rate."
    return Claim(text, {"error": err, "rate_ratio": rate, "rare": rare, "common": common})


def sparse_map_claim(traces: Mapping[str, Trace], objective, steps: int) -> Claim:
    """Where each optimiser ends on the 2-D map, its loss gap, and who ends closest to the minimum."""
    w_star = np.asarray(objective.minima[0])
    end = {o: tr.final_params[0] for o, tr in traces.items()}
    gap = {o: float(tr.final_loss[0] - objective.fmin) for o, tr in traces.items()}
    dist = {o: float(np.linalg.norm(end[o] - w_star)) for o in traces}
    order = sorted(dist, key=dist.get)
    text = (f"After {steps} steps: " + "; ".join(
        f"{title(o)} at ({end[o][0]:.2f}, {end[o][1]:.2f}), f − f* = {num(gap[o])}" for o in order) + ".")
    if len(order) > 1 and dist[order[1]] > dist[order[0]] * (1 + TIE):
        text += f" {title(order[0])} ends closest to the minimum ({w_star[0]:g}, {w_star[1]:g})."
        if order[0] == "sgd":
            text += (" With two weights SGD's one rate is limited only by the always-on feature, so it can be "
                     "large; with many features firing together, as above, they limit it together.")
    far = [o for o in order if abs(end[o][1] - w_star[1]) > 0.5 * abs(w_star[1] - objective.start[1])]
    if far:
        text += (f" {and_list([title(o) for o in far])} {'has' if len(far) == 1 else 'have'} not yet covered half "
                 "the way along the rare weight.")
    return Claim(text, {"end": end, "gap": gap, "distance": dist})


# ---------------------------------------------------------------------------
# Learning-rate sensitivity
# ---------------------------------------------------------------------------


def sensitivity_claim(frame, best, floor: float = 1e-12) -> Claim:
    """From ``frames.sensitivity_frames``: each optimiser's best learning rate and how wide its span
    within 2x of the best loss is (in decades, and in steps of its grid: 0 is the best rate alone),
    who is widest (or a tie), a best rate or a span on the edge of its grid, a best loss at the
    ``floor`` (losses are clipped there), and a span that ends just below where runs diverge."""
    rows = {r["series"]: r for r in best.to_dict("records")}
    facts, parts, notes = {}, [], []
    for o, r in rows.items():
        grid = frame.loc[frame["series"] == o].sort_values("lr")
        lrs = grid["lr"].to_numpy()
        step = float(np.log10(lrs[1] / lrs[0])) if len(lrs) > 1 else 0.0
        width = float(r["decades"])
        facts[o] = {"width": width, "grid_step": step, "best_lr": float(r["best_lr"])}
        span = ("only its best rate" if width < step / 2 else
                f"η {num(r['lr_lo'])}–{num(r['lr_hi'])}")
        parts.append(f"{title(o)} {width:.2f} decades ({span})")
        i_best = int(np.argmin(np.abs(np.log(lrs / r["best_lr"]))))
        if i_best in (0, len(lrs) - 1):
            side = "smallest" if i_best == 0 else "largest"
            notes.append(f"{title(o)}'s best rate is the {side} one tried: a better one may lie beyond its range.")
        i_lo = int(np.argmin(np.abs(np.log(lrs / r["lr_lo"]))))
        i_hi = int(np.argmin(np.abs(np.log(lrs / r["lr_hi"]))))
        if i_best not in (0, len(lrs) - 1) and (i_lo == 0 or i_hi == len(lrs) - 1):
            notes.append(f"{title(o)}'s span reaches the {'smallest' if i_lo == 0 else 'largest'} rate tried: "
                         "it may be wider.")
        if r["best_loss"] <= floor * (1 + 1e-9):
            notes.append(f"{title(o)} reaches the floor of {num(floor)} (lower losses count as {num(floor)}) "
                         "across its span.")
        above = grid["diverged"].to_numpy()[i_hi + 1:] if i_hi + 1 < len(lrs) else np.array([])
        if above.size and above[0] > 0:
            notes.append(f"{title(o)}'s span ends one grid step below a learning rate where runs diverge.")
    order = sorted(rows, key=lambda o: -facts[o]["width"])
    text = "Width of the span within 2× of each best loss: " + ", ".join(
        parts[list(rows).index(o)] for o in order) + "."
    steps = {round(f["grid_step"], 3) for f in facts.values()}
    if len(steps) == 1:
        text += f" (A grid step is {steps.pop():.2f} decades here.)"
    if len(order) > 1:
        top = [o for o in order if facts[o]["width"] >= facts[order[0]]["width"] - 1e-9]
        if len(top) == len(order):
            text += " All tie."
        elif len(top) > 1:
            text += f" Widest: {and_list([title(o) for o in top])}, a tie."
        else:
            text += f" Widest: {title(top[0])}."
    text += "".join(" " + n for n in notes)
    return Claim(text, facts)


# ---------------------------------------------------------------------------
# Second order
# ---------------------------------------------------------------------------

REACHED = 1e-6  # the loss gap a method "reaches the minimum" at


def baselines_claim(traces: Mapping[str, Trace], paths: Mapping, objective, threshold: float = REACHED) -> Claim:
    """How many evaluations each scipy method needed to bring f − f* below ``threshold`` (or where
    it stopped), and how many steps each first-order run needed (or that it did not get there)."""
    needed, parts = {}, []
    for m, p in paths.items():
        below = np.flatnonzero(np.asarray(p.loss) - objective.fmin < threshold)
        needed[m] = int(p.evaluations[below[0]]) if below.size else None
        parts.append(f"{m} {needed[m]} evaluations" if below.size else
                     f"{m} not within its {int(p.evaluations[-1])} evaluations (it ends at f − f* = "
                     f"{num(p.loss[-1] - objective.fmin)})")
    first = []
    for o, tr in traces.items():
        below = np.flatnonzero(tr.loss[:, 0] - objective.fmin < threshold)
        needed[o] = int(tr.t[below[0]]) if below.size else None
        first.append(f"{title(tr.optimizer)} {needed[o]} steps" if below.size else
                     f"{title(tr.optimizer)} not within {tr.steps} steps (it ends at f − f* = "
                     f"{num(tr.final_loss[0] - objective.fmin)})")
    text = ""
    if parts:
        text += f"To bring f − f* below {num(threshold)} here: " + "; ".join(parts) + "."
    if first:
        text += " The first-order runs (one gradient evaluation per step): " + "; ".join(first) + "."
    return Claim(text.strip(), {"needed": needed})


# ---------------------------------------------------------------------------
# Home: the chapter's figure (Rosenbrock)
# ---------------------------------------------------------------------------

FLOOR = 0.1  # on Rosenbrock's valley floor: |y − x²| below this


def chapter_claim(traces: Mapping[str, Trace]) -> Claim:
    """The chapter's figure on Rosenbrock: by which step every run is on the valley floor, the
    ranking by final f, each run's median step against its η, and whether Adam's rate and loss are
    still moving at the end."""
    facts = {"floor": {}, "final": {}, "step_over_lr": {}}
    for o, tr in traces.items():
        p = tr.params[:, 0]
        on = np.flatnonzero(np.abs(p[:, 1] - p[:, 0] ** 2) < FLOOR)
        facts["floor"][o] = int(tr.t[on[0]]) if on.size else None
        facts["final"][o] = float(tr.final_loss[0])
        facts["step_over_lr"][o] = np.median(np.abs(tr.delta[:, 0]), axis=0) / float(np.asarray(tr.hyper["lr"])[0])
    order = sorted(traces, key=lambda o: facts["final"][o])
    reached = [s for s in facts["floor"].values() if s is not None]
    text = ""
    if len(reached) == len(traces):
        text += (f"All {len(traces)} reach the valley floor (|y − x²| < {FLOOR:g}) within {max(reached)} steps; "
                 "the difference is the long walk along it. ")
    steps = next(iter(traces.values())).steps
    text += f"After {steps} steps, lowest first: " + ", ".join(
        f"{title(o)} (f = {num(facts['final'][o])})" for o in order) + "."
    a, b = order[0], order[1] if len(order) > 1 else None
    if b and facts["final"][b] <= facts["final"][a] * (1 + TIE):
        text += f" {title(a)} and {title(b)} tie."
    for o in order:
        ratio = facts["step_over_lr"][o]
        text += (f" {title(o)}'s median step is {num(ratio.min())}–{num(ratio.max())}× its η"
                 if not np.isclose(ratio.min(), ratio.max(), rtol=0.1) else f" {title(o)}'s median step is "
                 f"{num(ratio.mean())}× its η") + "."
    if "adam" in traces:
        tr = traces["adam"]
        rate = course(tr.eff_lr[:, 0, 0], tr.t_update)
        loss = tr.loss[:, 0]
        n = len(loss)
        late = float(np.median(loss[3 * n // 4:]) / np.median(loss[n // 2:3 * n // 4]))
        b2 = float(np.asarray(tr.hyper["beta2"])[0])
        state = "has levelled off" if rate.end == "levelled off" else "is " + rate.end
        text += (f" Adam's second moment remembers about 1/(1 − β₂) = {1 / (1 - b2):.0f} steps, the steep start "
                 f"included: its effective learning rate {state} at the end")
        text += (f", and its loss is still falling (its last quarter {late:.2g}× the quarter before): after "
                 f"{steps} steps it is still on its way." if late < 1 / LEVEL else
                 ", and its loss has levelled off." if late <= LEVEL else ", and its loss is rising at the end.")
        facts["adam_loss_late"] = late
    return Claim(text.strip(), facts)


# ---------------------------------------------------------------------------
# Schedules and clipping
# ---------------------------------------------------------------------------


def schedule_claim(pairs: Mapping[str, tuple[Trace, Trace]], objective, what: str) -> Claim:
    """Per optimiser ``{opt: (with, without)}``: the final f − f* with the schedule/clipping
    (``what``) and without, which is lower (or a tie), and a run that diverged."""
    parts, facts = [], {}
    for o, (on, off) in pairs.items():
        f_on, f_off = float(on.final_loss[0] - objective.fmin), float(off.final_loss[0] - objective.fmin)
        facts[o] = (f_on, f_off)
        name = title(o)
        if on.stopped_at[0] >= 0 or off.stopped_at[0] >= 0:
            said = []
            for label, tr in ((f"with {what}", on), ("without", off)):
                said.append(f"diverges at step {int(tr.stopped_at[0])} {label}" if tr.stopped_at[0] >= 0 else
                            f"ends at f − f* = {num(tr.final_loss[0] - objective.fmin)} {label}")
            parts.append(f"{name} {' and '.join(said)}")
        elif abs(f_on - f_off) <= TIE * max(f_on, f_off):
            parts.append(f"{name} ends about the same either way (f − f* = {num(f_on)})")
        else:
            parts.append(f"{name} ends {'lower' if f_on < f_off else 'higher'} with {what} "
                         f"(f − f* = {num(f_on)} against {num(f_off)})")
    return Claim("In this run: " + "; ".join(parts) + ".", facts)


# ---------------------------------------------------------------------------
# Neural network
# ---------------------------------------------------------------------------


def _right(accuracy: float, n_test: int) -> int:
    return round(accuracy * n_test)


def accuracy_comparison(a: str, b: str, acc: Mapping[str, float], loss: Mapping[str, float], n_test: int,
                        labels: Mapping[str, str]) -> str:
    """Who of ``a`` and ``b`` ends with the higher test accuracy (a tie when both get the same
    number of test points right), and the lower test loss."""
    ra, rb = _right(acc[a], n_test), _right(acc[b], n_test)
    if ra == rb:
        text = f"a tie on test accuracy ({labels[a]} and {labels[b]} both get {ra} of {n_test} test points right)"
    else:
        hi = a if ra > rb else b
        text = (f"{labels[hi]} ends with the higher test accuracy ({max(ra, rb)} of {n_test} test points right "
                f"against {min(ra, rb)})")
    la, lb = loss[a], loss[b]
    if abs(la - lb) <= TIE * max(la, lb):
        text += f"; test losses about equal ({num(la)} and {num(lb)})"
    else:
        low = a if la < lb else b
        text += f"; {labels[low]} has the lower test loss ({num(min(la, lb))} against {num(max(la, lb))})"
    return text


def tuned_claim(traces: Mapping[str, Trace], grids: Mapping[str, tuple], runs: Mapping[str, int],
                acc: Mapping[str, float], loss: Mapping[str, float], n_test: int, steps: int, batch: int) -> Claim:
    """Each optimiser at its best learning rate of its grid (lowest final training loss): which,
    whether it lies on the grid's edge, and who generalises better here (or a tie)."""
    chosen, edges = {}, []
    for o in traces:
        grid = np.asarray(grids[o])
        chosen[o] = float(grid[runs[o]])
        if runs[o] in (0, len(grid) - 1):
            edges.append(f"{title(o)}'s best is the {'smallest' if runs[o] == 0 else 'largest'} rate of its grid: "
                         "a better one may lie beyond it.")
    labels = {o: title(o) for o in traces}
    n = {len(g) for g in grids.values()}
    text = (f"Each optimiser ran at {n.pop() if len(n) == 1 else 'several'} learning rates on the same budget "
            f"({steps} steps, batch {batch}, the same initial weights and batches) and is shown at the one with the "
            "lowest final training loss: " + "; ".join(
                f"{labels[o]} at η = {num(chosen[o])} (of {num(min(grids[o]))}–{num(max(grids[o]))})"
                for o in traces) + ".")
    text += "".join(" " + e for e in edges)
    if len(traces) == 2:
        a, b = list(traces)
        text += " Here: " + accuracy_comparison(a, b, acc, loss, n_test, labels) + "."
    return Claim(text, {"chosen": chosen, "edges": edges})


def decay_claim(acc: Mapping[str, float], loss: Mapping[str, float], n_test: int, labels: Mapping[str, str],
                lr: float, weight_decay: float) -> Claim:
    """The AdamW experiment, one factor at a time: decoupling the decay (AdamW against Adam + L2,
    both at a constant η) and the schedule (AdamW with warm-up + cosine against a constant η)."""
    text = (f"All three use η = {lr:g} and λ = {weight_decay:g}. Decoupling the decay (AdamW against Adam + L2, "
            "both with a constant η): " + accuracy_comparison("adamw", "adam", acc, loss, n_test, labels)
            + ". The schedule (AdamW with warm-up + cosine against a constant η): "
            + accuracy_comparison("adamw_cos", "adamw", acc, loss, n_test,
                                  {**labels, "adamw": "AdamW with a constant η"})
            + ".")
    return Claim(text, {})


def layer_claim(frame, traces: Mapping[str, Trace], names: Mapping[str, str] | None = None) -> Claim:
    """From ``network.layer_lr_frame``: how far apart each adaptive optimiser's layers end (their
    median effective learning rates at the last recorded step); one level for SGD and momentum.
    ``names``: what to call each series (default: its optimiser's title)."""
    parts, facts = [], {}
    for name, tr in traces.items():
        rows = frame[frame["series"] == name]
        if rows.empty:
            continue
        last = rows[rows["step"] == rows["step"].max()].set_index("layer")["median"]
        label = (names or {}).get(name, title(tr.optimizer))
        if tr.optimizer not in ADAPTIVE:
            parts.append(f"{label} has one η for every weight, the same for every layer")
            continue
        spread = float(last.max() / max(last.min(), 1e-300))
        facts[name] = spread
        if len(last) < 2:
            continue
        if spread < 1.1:
            parts.append(f"{label}'s layers end within 10% of each other (their lines overlap)")
        else:
            parts.append(f"{label}'s rate in the {last.idxmax()} layer ends {spread:.2g}× that in the "
                         f"{last.idxmin()} layer")
    return Claim(("At the end of this run: " + "; ".join(parts) + ".") if parts else "", facts)
