"""Every page of the app, one row each: the only place to add a page (beside its script).

A row holds what the app needs (id, title, icon, script, summary, the page's own controls) and
what its tests and caps need to know (the charts it draws at the default settings and what the
first one shows, a control that changes what is plotted, URL values that make it quick, and the
URL values at its caps). Navigation, the home page's map of views, the AppTest and browser test
lists, the worst-case caps table, the screenshot list and the README's table of pages come from
here or are checked against it.

Adding a page: write ``pages/N_Title.py`` (``with frame.page("id") as view: ...``) and add a row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine import EXPERIMENTS, OBJECTIVES, OPTIMIZERS, SCHEDULES
from engine.baselines import BASELINES
from engine.schedules import OPTIONS as SCHEDULE_OPTIONS
from ui.state.fields import (
    PRESENT,
    SHARED_FIELDS,
    Choice,
    DataSet,
    Field,
    Flag,
    MultiChoice,
    Number,
    Point,
    log_grid,
    option_field,
)
from ui.state.lesson import MAX_STEPS as MAX_LESSON_STEPS
from ui.state.lesson import LessonField, PageRules
from ui.state.owndata import starting_data
from ui.views.analysis import MEASURES

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    icon: str
    script: str  # from the repository root; Streamlit derives the URL path from its file name
    summary: str
    fields: tuple[Field, ...] = ()
    # What the tests need to know
    charts: int = 1  # charts drawn at the default settings (Vega-Lite elements and players)
    first_marks: frozenset = frozenset()  # marks the first chart must have
    first_fields: frozenset = frozenset()  # fields it must encode
    changes: tuple[str, Any] | None = None  # a control (widget key, value) that changes what is plotted
    rules: bool = True  # shows the update rules with the current values
    objective: bool = True  # runs the sidebar's objective (its notices are shown on the page)
    small: tuple = ()  # URL values that make the page quick ((key, value), ...)
    worst: tuple = ()  # URL values at the page's caps
    field_by_key: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "field_by_key", {f.key: f for f in self.fields})

    @property
    def url_path(self) -> str:
        """The page's URL path: the script's name without its number prefix (``""``: home)."""
        if self.script == "dashboard.py":
            return ""
        return Path(self.script).stem.split("_", 1)[1]

    def field(self, key: str) -> Field:
        return self.field_by_key[key]


def _lr(key: str, default: float, label: str, low: float = 1e-4, high: float = 10.0) -> Number:
    return Number(key, default, label, low=low, high=high, log=True, grid=log_grid(low, high))


def _own_lr(key: str, optimizer: str, default: float, label: str) -> Number:
    """A page's own learning rate for ``optimizer``: the page's default (for its problem), the
    optimiser's bounds (its row in the engine's table)."""
    h = OPTIMIZERS[optimizer].hypers["lr"]
    return Number(key, default, label, h.help, low=h.low, high=h.high, log=True, grid=log_grid(h.low, h.high))


def _option(key: str, objective: str, name: str, label: str, help: str | None = None,
            high: float | None = None, step: float | None = None) -> Field:
    """A page's control of one of its objective's options: default, bounds and choices from the
    engine's table (``high``: a lower cap, for the view's cost), the page's label."""
    return option_field(key, OBJECTIVES[objective].options[name], label, help, high=high, step=step)


def _schedule_field(key: str, option: str, default, low: float, high: float, help: str = "",
                    step: float = 0.0) -> Field:
    """A schedule option's control: its label from the engine's table, the dashboard's default,
    bounds and help (the engine's 0 = "automatic" is not offered)."""
    o = SCHEDULE_OPTIONS[option]
    return Number(key, default, o.label, help, low=low, high=high, integer=o.integer, step=step)


LINK_POINTS = 1175  # random points in three classes whose text just fits a link (tests/robust/test_caps.py)


def _largest_link_data() -> str:
    """About the largest data set a link carries (``fields.MAX_DATA_URL``): the page's worst case."""
    from engine.owndata import encode_data

    return encode_data(np.random.default_rng(0).uniform(-2, 2, (LINK_POINTS, 2)), np.arange(LINK_POINTS) % 3)


SPARSE_OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")
# Each near its own best final loss on the default sparse problem (tests/app/test_claims.py checks it).
_SPARSE_LR = {"sgd": 0.3, "adagrad": 0.7, "rmsprop": 0.02, "adam": 0.03}
EXPLAIN = Flag("explain", False, "Explain step",
               "Arrows on the map for the step shown (−g, the running direction, the step taken) and, beside "
               "it, the first optimiser's update rule with that step's numbers. They follow Play.")
NETWORK_OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")
NETWORK_LR = {"sgd": 0.5, "momentum": 0.1, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01, "adamw": 0.01}
MAX = {"steps": str(int(SHARED_FIELDS["steps"].high)), "opt": "sgd,momentum,nesterov,adagrad,rmsprop,adam"}

PAGES: dict[str, Page] = {p.id: p for p in (
    Page("home", "Home", ":material/home:", "dashboard.py",
         "The chapter's figure, live: SGD+Momentum, RMSProp and Adam on noisy Rosenbrock.",
         fields=(Number("home.seed", EXPERIMENTS["chapter"].seed, "Noise seed for this figure",
                        "The chapter used seed 0. Another seed draws other gradient noise: does the "
                        "ranking of the three optimisers survive?", low=0, high=1_000_000, integer=True), EXPLAIN,
                 Point("home.start", None, "Start point", "Where the three runs start: drag the black dot on a map.")),
         first_marks=frozenset({"image", "line"}), first_fields=frozenset({"x", "y", "url"}),
         changes=("w:home.seed", 3), rules=False, objective=False),
    Page("trajectories", "Trajectories", ":material/route:", "pages/1_Trajectories.py",
         "Where does each optimiser go? Paths over the contour map, with a step scrubber.",
         fields=(EXPLAIN, Flag("traj.3d", False, "3-D view",
                               "Below the map: the objective as a surface you can rotate, with the paths on it.")),
         first_marks=frozenset({"image", "line", "point"}), first_fields=frozenset({"x", "y", "label", "step", "gap"}),
         changes=("w:steps", 100), small=(("steps", "120"),), worst=(*MAX.items(), ("explain", "1"))),
    Page("loss", "Loss curves", ":material/trending_down:", "pages/2_Loss_curves.py",
         "How fast does the loss fall? Loss and distance to the minimum, over several seeds.",
         fields=(Number("seeds", 10, "Seeds (runs per optimiser)",
                        "Each optimiser runs once per seed: seed, seed+1, ... The band spans the 10% to "
                        "90% quantiles, the line is the median.", low=1, high=50, integer=True),),
         charts=2, first_marks=frozenset({"area", "line"}), first_fields=frozenset({"median", "lo", "hi", "step"}),
         changes=("w:noise", 1.0), small=(("steps", "120"), ("seeds", "3")),
         worst=(*MAX.items(), ("seeds", "50"))),
    Page("learning_rates", "Learning rates", ":material/tune:", "pages/3_Learning_rates.py",
         "Why do adaptive methods adapt? The effective learning rate of every parameter.",
         first_marks=frozenset({"line"}), first_fields=frozenset({"eff_lr", "step", "param"}),
         changes=("w:steps", 100), small=(("steps", "120"),), worst=tuple(MAX.items())),
    Page("bias_correction", "Bias correction", ":material/balance:", "pages/4_Bias_correction.py",
         "What does Adam's bias correction fix? m and v against their corrected versions.",
         fields=(Number("first", 60, "Steps shown in the moment charts",
                        "The correction matters in the first steps; this zooms the moment charts.",
                        low=5, high=1000, integer=True), EXPLAIN),
         charts=5, first_marks=frozenset({"line"}), first_fields=frozenset({"value", "step", "param"}),
         changes=("w:first", 20), small=(("steps", "120"),), worst=(("steps", MAX["steps"]), ("first", "1000"))),
    Page("sparse", "Sparse gradients", ":material/grain:", "pages/5_Sparse_gradients.py",
         "Why AdaGrad for rare features? Frequency against learning rate and error.",
         fields=(Number("sp.steps", 600, "Steps", "Few steps: the rarest features fire only a handful of times.",
                        low=20, high=5000, integer=True),
                 _option("sp.dim", "sparse", "dim", "Features (parameters)", high=100),
                 _option("sp.freq", "sparse", "freq_min", "Rarest feature's frequency",
                         "Frequencies are log-spaced from 1 down to this."),
                 Number("sp.seeds", 5, "Seeds", "Runs per optimiser (each samples its own rows).",
                        low=1, high=20, integer=True),
                 _option("sp.rare", "sparse2d", "freq_rare", "2-D map: rare feature's frequency"),
                 *(_own_lr(f"sp.{o}", o, _SPARSE_LR[o], f"{OPTIMIZERS[o].title} learning rate")
                   for o in SPARSE_OPTIMIZERS)),
         charts=3, first_marks=frozenset({"line", "point"}), first_fields=frozenset({"freq", "eff_lr"}),
         changes=("w:sp.steps", 100), small=(("sp.steps", "80"),), objective=False,
         worst=(("sp.steps", "5000"), ("sp.dim", "100"), ("sp.seeds", "20"))),
    Page("sensitivity", "LR sensitivity", ":material/query_stats:", "pages/6_LR_sensitivity.py",
         "How forgiving is each optimiser? Final loss against learning rate, on equal terms.",
         fields=(Number("lrs.points", 25, "Learning rates per optimiser",
                        "Log-spaced over each optimiser's slider range.", low=5, high=60, integer=True),
                 Number("lrs.seeds", 5, "Seeds per learning rate", "The same seeds for every optimiser.",
                        low=1, high=20, integer=True),
                 Flag("lrs.best", False, "Paths at each best η",
                      "Below the curves: each optimiser's path at its own best learning rate (2-D objectives).")),
         first_marks=frozenset({"rect", "area", "line", "point"}), first_fields=frozenset({"lr", "median", "lo", "hi"}),
         changes=("w:lrs.points", 10), small=(("steps", "120"), ("lrs.points", "6"), ("lrs.seeds", "2")),
         worst=(*MAX.items(), ("lrs.points", "60"), ("lrs.seeds", "20"), ("lrs.best", "1"))),
    Page("hypermaps", "Hyperparameter maps", ":material/grid_on:", "pages/12_Hyperparameter_maps.py",
         "Where does each optimiser work? The outcome over η and its main second hyperparameter.",
         fields=(Number("hm.n", 20, "Cells per axis", "η and the second hyperparameter each take this many values "
                        "over their slider ranges (η log-spaced, a decay rate β by 1 − β log-spaced).",
                        low=5, high=40, integer=True),
                 Number("hm.seeds", 5, "Seeds per cell", "Each cell is the median of this many runs (seeds seed, "
                        "seed + 1, ...: the same gradient noise for every optimiser; one run without noise).",
                        low=1, high=10, integer=True),
                 Number("hm.steps", 500, "Steps per run", "Every run of every map takes this many steps.",
                        low=10, high=5000, integer=True),
                 Choice("hm.measure", "gap", "Colour shows", "What each cell's colour measures (light is good).",
                        options=MEASURES, labels=("Final f − f* (median over seeds)",
                                                  "Steps to reach the tolerance (median)",
                                                  "Share of seeds that diverged")),
                 Number("hm.tol", 1e-3, "Tolerance on f − f*", "A run has reached it at the first step with "
                        "f − f* at most this.", low=1e-12, high=10.0, log=True, grid=log_grid(1e-12, 10.0)),
                 # the run on the path map: a cell clicked on a map (not drawn as controls; the link keeps it)
                 Choice("hm.pick", "best", "Run on the path map", options=("best", *OPTIMIZERS),
                        labels=("The first optimiser's best cell", *(o.title for o in OPTIMIZERS.values()))),
                 Number("hm.lr", 1e-3, "Its learning rate η", low=1e-6, high=10.0, log=True,
                        grid=log_grid(1e-6, 10.0)),
                 Number("hm.h2", 0.9, "Its second hyperparameter", low=0.0, high=0.9999)),
         first_marks=frozenset({"rect", "image", "line"}),
         first_fields=frozenset({"value", "x0", "y0", "status", "x", "y"}),
         changes=("w:hm.n", 10), small=(("hm.steps", "60"), ("hm.n", "6"), ("hm.seeds", "1")),
         worst=(("opt", MAX["opt"]), ("hm.n", "40"), ("hm.seeds", "10"), ("hm.steps", "5000"))),
    Page("weight_decay", "Weight decay", ":material/compress:", "pages/7_Weight_decay.py",
         "Adam + L2 or AdamW? Where each settles, and how hard it pulls each weight.",
         fields=(Number("wd.lambda", 0.5, "Weight decay λ (both)", "The same λ for Adam's L2 term and AdamW's decay.",
                        low=0.0, high=2.0, step=0.05),
                 _lr("wd.lr", 0.01, "Learning rate η (both)", high=0.5),
                 _option("wd.cond", "scaled", "cond", "Scale ratio κ",
                         "How much larger the second weight's gradients are."),
                 Number("wd.steps", 3000, "Steps", low=100, high=5000, integer=True),
                 Number("wd.noise", 0.0, "Gradient noise", "Noise changes AdamW's equilibrium (its decay is "
                        "weighed against the normalised gradient).", low=0.0, high=2.0, step=0.05), EXPLAIN,
                 Point("wd.start", None, "Start point", "Where both runs start: drag the black dot on the map.")),
         charts=2, first_marks=frozenset({"image", "line", "point"}), first_fields=frozenset({"x", "y", "label"}),
         changes=("w:wd.lambda", 1.0), rules=False, small=(("wd.steps", "150"),), worst=(("wd.steps", "5000"),),
         objective=False),
    Page("schedules", "Schedules", ":material/schedule:", "pages/8_Schedules.py",
         "Warm-up, decay and clipping: the learning rate over time, and its effect.",
         fields=(Choice("sch", "warmup_cosine", "Schedule", "How the learning rate changes over the run.",
                        options=tuple(SCHEDULES), labels=tuple(SCHEDULES.values())),
                 _schedule_field("sch.warmup", "warmup", 200, 1, 5000, "Linear warm-up from η/warm-up to η."),
                 _schedule_field("sch.every", "step_size", 500, 1, 5000, "Multiply η by γ every this many steps."),
                 _schedule_field("sch.gamma", "gamma", 0.5, 0.01, 1.0, step=0.01),
                 _schedule_field("sch.min", "min_factor", 0.0, 0.0, 1.0, step=0.01),
                 Choice("clip", "none", "Gradient clipping", "Clip each run's noisy gradient before the update "
                        "(torch's clip_grad_norm_ / clip_grad_value_).", options=("none", "norm", "value"),
                        labels=("None", "By norm", "By value")),
                 Number("clip.at", 10.0, "Clip threshold", low=1e-3, high=1e4, log=True, grid=log_grid(1e-3, 1e4)),
                 EXPLAIN),
         charts=2, first_marks=frozenset({"image", "line", "point"}),
         first_fields=frozenset({"x", "y", "variant", "gap"}), changes=("w:sch", "cosine"),
         small=(("steps", "120"),), worst=tuple(MAX.items())),
    Page("baselines", "Second order", ":material/functions:", "pages/9_Second_order.py",
         "BFGS, Newton-CG and Nelder-Mead on the same map, counted in evaluations.",
         fields=(MultiChoice("so.methods", tuple(BASELINES), "scipy methods", options=tuple(BASELINES),
                             labels=tuple(BASELINES), max_items=len(BASELINES)),
                 Number("so.iter", 500, "Iteration limit", low=5, high=5000, integer=True)),
         charts=2, first_marks=frozenset({"image", "line"}), first_fields=frozenset({"x", "y", "family"}),
         changes=("w:so.iter", 10), rules=False, small=(("steps", "120"),),
         worst=(*MAX.items(), ("so.iter", "5000"))),
    Page("network", "Neural network", ":material/hub:", "pages/11_Neural_network.py",
         "Does the lesson hold when a model learns from data? A small network, trained side by side.",
         fields=(Choice("nn.preset", "none", "Experiment", "A comparison the chapter makes, run here.",
                        options=("none", "tuned", "adamw"),
                        labels=("Your choice (below)", "SGD+Momentum vs Adam, each tuned",
                                "AdamW, warm-up + cosine vs Adam + L2")),
                 _option("nn.data", "network", "dataset", "Data set"),
                 _option("nn.width", "network", "width", "Hidden units per layer"),
                 _option("nn.depth", "network", "depth", "Hidden layers"),
                 _option("nn.act", "network", "activation", "Activation"),
                 _option("nn.batch", "network", "batch_size", "Batch size", "Training points per gradient, drawn "
                         "at random (the same draws for every optimiser)."),
                 Number("nn.steps", 600, "Steps", low=50, high=3000, integer=True),
                 _option("nn.noise", "network", "input_noise", "Input noise",
                         "How far the points scatter from their shape.", step=0.05),
                 _option("nn.flip", "network", "label_noise", "Label noise", "Fraction of the labels flipped at "
                         "random: a network that fits them has memorised noise (watch the test loss).", step=0.05),
                 MultiChoice("nn.opt", ("momentum", "adam"), "Optimisers on this network",
                             help="This page's own choice (with its own learning rates below); the other "
                                  "hyperparameters are the sidebar's.", options=NETWORK_OPTIMIZERS,
                             labels=tuple(OPTIMIZERS[o].title for o in NETWORK_OPTIMIZERS), max_items=4),
                 *(_own_lr(f"nn.lr.{o}", o, NETWORK_LR[o], f"{OPTIMIZERS[o].title} learning rate")
                   for o in NETWORK_OPTIMIZERS),
                 DataSet("nn.points", starting_data(), "Your data", "Your own points and their classes (drawn, or "
                         "from a CSV file), carried by the link when they fit; a copy of the two moons to start with."),
                 Choice("nn.class", "0", "A click adds a point of class", "The class of the points your clicks "
                        "add to your data.", options=("0", "1", "2"),
                        labels=("Blue (class 0)", "Orange (class 1)", "Green (class 2)")),
                 Flag("nn.land", True, "Loss landscape", "Below the curves: the training loss around the trained "
                      "weights (a random slice and each path's own plane) and along the line between two "
                      "solutions."),
                 Number("nn.grid", 31, "Landscape grid (points per side)", "Lowered to what the server's budget "
                        "allows on a large network; an even number is raised by one.", low=9, high=61,
                        integer=True)),
         charts=6, first_marks=frozenset({"rect", "circle", "point"}),
         first_fields=frozenset({"p", "cls", "fill", "x", "y"}),
         changes=("w:nn.steps", 200), small=(("nn.steps", "100"), ("nn.grid", "9")), objective=False,
         worst=(("nn.steps", "3000"), ("nn.width", "32"), ("nn.depth", "2"), ("nn.batch", "256"),
                ("nn.opt", "sgd,momentum,rmsprop,adam"), ("nn.grid", "61"), ("nn.data", "own"),
                ("nn.points", _largest_link_data()))),
    Page("guide", "Practical guide", ":material/menu_book:", "pages/10_Practical_guide.py",
         "The chapter's advice per task, each as a one-click experiment.",
         charts=0, rules=False, objective=False),
)}

HOME = PAGES["home"]
BY_SCRIPT = {p.script: p for p in PAGES.values()}


def view_fields(page: Page) -> dict[str, Field]:
    """The controls of a page's view: the shared ones, presentation mode, its own."""
    return {**SHARED_FIELDS, PRESENT.key: PRESENT, **page.field_by_key}


# The shared controls a lesson step may hide, as the sidebar groups them (the objective with its
# options; an optimiser choice with every optimiser's panel).
SHARED_HIDEABLE = {"f": "Objective and its options", "start": "Start point", "opt": "Optimisers and their settings",
                   "steps": "Steps", "noise": "Gradient noise", "seed": "Seed"}


def hideable(page: Page) -> dict[str, str]:
    """The controls a lesson step on ``page`` may hide (key -> label): the shared groups the page
    shows, and each of its own controls."""
    shared = {k: v for k, v in SHARED_HIDEABLE.items() if page.objective or k not in ("f", "start")}
    return {**shared, **{f.key: f.label for f in page.fields}}


@functools.cache
def lesson_rules(page_id: str) -> PageRules | None:
    """What a lesson step on the page ``page_id`` may hold (``None``: no such page)."""
    page = PAGES.get(page_id)
    return None if page is None else PageRules(page.title, view_fields(page), hideable(page))


# The lesson a link carries (ui.state.lesson), and which of its steps is shown (1 = the first).
LESSON = LessonField("lesson", None, "Lesson", "A whole lesson: its steps, their views and notes.",
                     rules_of=lesson_rules)
LESSON_STEP = Number("ls", 1, "Lesson step", "Which step of the link's lesson is shown.", low=1,
                     high=MAX_LESSON_STEPS, integer=True)
LESSON_FIELDS: dict[str, Field] = {LESSON.key: LESSON, LESSON_STEP.key: LESSON_STEP}


def page_fields(page: Page) -> dict[str, Field]:
    """Every control a page validates in its URL: its view's (``view_fields``) and the lesson's."""
    return {**view_fields(page), **LESSON_FIELDS}


ALL_FIELDS: dict[str, Field] = {**SHARED_FIELDS, **{f.key: f for p in PAGES.values() for f in p.fields}}
