"""Every page's own controls (beside the shared ones), in one place.

Pages import their fields from here; presets and the URL tests find them here too.
Each field's key is its URL name.
"""

from __future__ import annotations

from engine import EXPERIMENTS, SCHEDULES
from engine.baselines import BASELINES

from .params import Choice, Field, Flag, MultiChoice, Number, log_grid

# Home: the chapter's figure
HOME_SEED = Number("home.seed", EXPERIMENTS["chapter"].seed, "Noise seed for this figure",
                   "The chapter used seed 0. Another seed draws other gradient noise: does the "
                   "ranking of the three optimisers survive?", low=0, high=1_000_000, integer=True)

# Loss curves
LOSS_SEEDS = Number("seeds", 10, "Seeds (runs per optimiser)",
                    "Each optimiser runs once per seed: seed, seed+1, ... The band spans the 10% to "
                    "90% quantiles, the line is the median.", low=1, high=50, integer=True)

# Bias correction
BIAS_FIRST = Number("first", 60, "Steps shown in the moment charts",
                    "The correction matters in the first steps; this zooms the moment charts.",
                    low=5, high=1000, integer=True)

# Sparse gradients
SPARSE_OPTS = ("sgd", "adagrad", "rmsprop", "adam")
_SPARSE_LR = {"sgd": 0.1, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.01}
_SPARSE_TITLES = {"sgd": "SGD", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam"}
SPARSE_LRS = tuple(Number(f"sp.{o}", _SPARSE_LR[o], f"{_SPARSE_TITLES[o]} learning rate", low=1e-4, high=10.0,
                          log=True, grid=tuple(log_grid(1e-4, 10.0))) for o in SPARSE_OPTS)
SPARSE_STEPS = Number("sp.steps", 600, "Steps", "Few steps: the rarest features fire only a handful of times.",
                      low=20, high=5000, integer=True)
SPARSE_DIM = Number("sp.dim", 20, "Features (parameters)", low=2, high=100, integer=True)
SPARSE_FREQ = Number("sp.freq", 0.01, "Rarest feature's frequency", "Frequencies are log-spaced from 1 "
                     "down to this.", low=0.001, high=0.5, log=True, grid=tuple(log_grid(0.001, 0.5)))
SPARSE_SEEDS = Number("sp.seeds", 5, "Seeds", "Runs per optimiser (each samples its own rows).",
                      low=1, high=20, integer=True)
SPARSE_RARE = Number("sp.rare", 0.05, "2-D map: rare feature's frequency", low=0.005, high=1.0, log=True,
                     grid=tuple(log_grid(0.005, 1.0)))

# Learning-rate sensitivity
LRS_POINTS = Number("lrs.points", 25, "Learning rates per optimiser",
                    "Log-spaced over each optimiser's slider range.", low=5, high=60, integer=True)
LRS_SEEDS = Number("lrs.seeds", 5, "Seeds per learning rate", "The same seeds for every optimiser.",
                   low=1, high=20, integer=True)
LRS_SHOW = Flag("lrs.best", False, "Show the paths at each optimiser's best learning rate")

# Weight decay
WD_LAMBDA = Number("wd.lambda", 0.5, "Weight decay λ (both)", "The same λ for Adam's L2 term and AdamW's decay.",
                   low=0.0, high=2.0, step=0.05)
WD_LR = Number("wd.lr", 0.01, "Learning rate η (both)", low=1e-4, high=0.5, log=True,
               grid=tuple(log_grid(1e-4, 0.5)))
WD_COND = Number("wd.cond", 100.0, "Scale ratio κ", "How much larger the second weight's gradients are.",
                 low=1.0, high=1000.0, log=True, grid=tuple(log_grid(1.0, 1000.0)))
WD_STEPS = Number("wd.steps", 3000, "Steps", low=100, high=5000, integer=True)
WD_NOISE = Number("wd.noise", 0.0, "Gradient noise", "Noise changes AdamW's equilibrium (its decay is "
                  "weighed against the normalised gradient).", low=0.0, high=2.0, step=0.05)

# Schedules and clipping
SCHEDULE = Choice("sch", "warmup_cosine", "Schedule", "How the learning rate changes over the run.",
                  options=tuple(SCHEDULES), labels=tuple(SCHEDULES.values()))
WARMUP = Number("sch.warmup", 200, "Warm-up steps", "Linear warm-up from η/warm-up to η.", low=1, high=5000,
                integer=True)
STEP_SIZE = Number("sch.every", 500, "Step decay: every", "Multiply η by γ every this many steps.",
                   low=1, high=5000, integer=True)
GAMMA = Number("sch.gamma", 0.5, "Step decay: γ", low=0.01, high=1.0, step=0.01)
MIN_FACTOR = Number("sch.min", 0.0, "Cosine: final fraction of η", low=0.0, high=1.0, step=0.01)
CLIP = Choice("clip", "none", "Gradient clipping", "Clip each run's noisy gradient before the update "
              "(torch's clip_grad_norm_ / clip_grad_value_).", options=("none", "norm", "value"),
              labels=("None", "By norm", "By value"))
CLIP_AT = Number("clip.at", 10.0, "Clip threshold", low=1e-3, high=1e4, log=True, grid=tuple(log_grid(1e-3, 1e4)))

# Second-order baselines
SO_METHODS = MultiChoice("so.methods", tuple(BASELINES), "scipy methods", options=tuple(BASELINES),
                         labels=tuple(BASELINES), max_items=len(BASELINES))
SO_ITER = Number("so.iter", 500, "Iteration limit", low=5, high=5000, integer=True)

PAGE_FIELDS: dict[str, tuple[Field, ...]] = {
    "home": (HOME_SEED,),
    "trajectories": (),
    "loss": (LOSS_SEEDS,),
    "learning_rates": (),
    "bias_correction": (BIAS_FIRST,),
    "sparse": (SPARSE_STEPS, SPARSE_DIM, SPARSE_FREQ, SPARSE_SEEDS, SPARSE_RARE, *SPARSE_LRS),
    "sensitivity": (LRS_POINTS, LRS_SEEDS, LRS_SHOW),
    "weight_decay": (WD_LAMBDA, WD_LR, WD_COND, WD_STEPS, WD_NOISE),
    "schedules": (SCHEDULE, WARMUP, STEP_SIZE, GAMMA, MIN_FACTOR, CLIP, CLIP_AT),
    "baselines": (SO_METHODS, SO_ITER),
    "guide": (),
}
FIELDS: dict[str, Field] = {f.key: f for fields in PAGE_FIELDS.values() for f in fields}
