"""The dashboard's controls as data: names, defaults, bounds, URL parsing (no Streamlit).

Every control has a short URL name (``f``, ``opt``, ``adam.lr``, ``quadratic.cond``,
``steps``...). A URL value is text from anyone: ``parse`` turns it into a value or raises
``ValueError`` with a sentence the page shows, and the control falls back to its default.
``fmt`` writes a value back into the URL so that parsing it again gives the same value.

The shared controls (every page's sidebar) are built here from the engine's registries:
one field per objective option, named ``<objective>.<option>`` (each objective has its own
defaults: the badly scaled quadratic's ``scaled.cond`` is 100, the ill-conditioned one's
``quadratic.cond`` 10), and one per hyperparameter, ``<optimizer>.<name>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine import OBJECTIVES, OPTIMIZERS
from engine.expr import MAX_LENGTH, parse_function
from engine.owndata import decode_data, encode_data
from engine.values import exact, finite, parse_bool

MAX_URL_VALUE = 200  # characters; longer values are refused before parsing
MAX_DATA_URL = 4000  # characters of a data set in a link (about 1,100 points; the whole URL stays under 5 kB)
MAX_STEPS = 5000
MAX_OPTIMIZERS = 6


@dataclass(frozen=True)
class Field:
    key: str
    default: Any
    label: str = ""
    help: str = ""

    def parse(self, raw: str) -> Any:
        raise NotImplementedError

    def fmt(self, value: Any) -> str:
        return str(value)

    def clean(self, raw: str) -> Any:
        if len(raw) > MAX_URL_VALUE:
            raise ValueError(f"is longer than {MAX_URL_VALUE} characters")
        return self.parse(raw.strip())


@dataclass(frozen=True)
class Number(Field):
    """A number in ``[low, high]``. ``grid`` (for log-scale and beta-like values) makes
    the widget a slider over those stops; a URL value off the grid is kept exactly."""

    low: float = 0.0
    high: float = 1.0
    integer: bool = False
    log: bool = False
    step: float = 0.0
    grid: tuple = ()
    widget: str = "slider"  # or "number" (a typed number, for wide ranges)

    def parse(self, raw):
        try:
            value = finite(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a finite number") from None
        if self.integer:
            if not value.is_integer():
                raise ValueError(f"{raw!r} is not a whole number")
            value = int(value)
        if not (self.low <= value <= self.high):
            raise ValueError(f"{raw} is outside [{self.low:g}, {self.high:g}]")
        return value

    def fmt(self, value):
        return str(int(value)) if self.integer else exact(value)


@dataclass(frozen=True)
class Flag(Field):
    def parse(self, raw):
        return parse_bool(raw, repr(raw))

    def fmt(self, value):
        return "1" if value else "0"


@dataclass(frozen=True)
class Choice(Field):
    options: tuple = ()
    labels: tuple = ()

    def parse(self, raw):
        if raw not in self.options:
            raise ValueError(f"{raw!r} is not one of {', '.join(self.options)}")
        return raw

    def label_of(self, value):
        return dict(zip(self.options, self.labels or self.options)).get(value, value)


@dataclass(frozen=True)
class MultiChoice(Field):
    options: tuple = ()
    labels: tuple = ()
    max_items: int = 6

    def parse(self, raw):
        items = [s.strip() for s in raw.split(",") if s.strip()]
        unknown = [s for s in items if s not in self.options]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} not in {', '.join(self.options)}")
        if not items:
            raise ValueError("is empty")
        items = list(dict.fromkeys(items))  # drop repeats, keep order
        if len(items) > self.max_items:
            raise ValueError(f"lists {len(items)} items; at most {self.max_items}")
        return tuple(items)

    def fmt(self, value):
        return ",".join(value)

    def label_of(self, value):
        return dict(zip(self.options, self.labels or self.options)).get(value, value)


@dataclass(frozen=True)
class Text(Field):
    """Free text; ``function``: a typed ``f(x, y)``, checked by the engine's parser."""

    max_length: int = 200
    function: bool = False

    def parse(self, raw):
        if len(raw) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        if self.function:
            parse_function(raw)  # raises ExprError (a ValueError) with the reason
        return raw


@dataclass(frozen=True)
class Point(Field):
    """A start point ``x,y`` (``None``: the objective's default start)."""

    dim: int = 2
    limit: float = 1000.0

    def parse(self, raw):
        parts = raw.split(",")
        if len(parts) != self.dim:
            raise ValueError(f"{raw!r} is not {self.dim} numbers separated by commas")
        try:
            values = tuple(finite(p) for p in parts)
        except ValueError:
            raise ValueError(f"{raw!r} is not {self.dim} finite numbers") from None
        if not all(abs(v) <= self.limit for v in values):
            raise ValueError(f"{raw!r} must be within +-{self.limit:g}")
        return values

    def fmt(self, value):
        return ",".join(exact(v) for v in value)


@dataclass(frozen=True)
class DataSet(Field):
    """One's own data set, as the text of ``engine.owndata.encode_data``. A draft passes (a data set
    being drawn: fewer than 10 points, one class), each row checked, and ``""`` is the draft with no
    point; a link carries it when it is at most ``max_length`` characters. ``parse`` returns the
    canonical text (decoding and encoding again gives it back)."""

    max_length: int = MAX_DATA_URL

    def clean(self, raw: str) -> Any:
        if len(raw) > self.max_length:
            raise ValueError(f"is longer than {self.max_length:,} characters (a data set too large for a link)")
        return self.parse(raw.strip())

    def parse(self, raw):
        if raw == "":
            return encode_data([], [], complete=False)
        X, y = decode_data(raw, complete=False)
        return encode_data(X, y, complete=False)


# ---------------------------------------------------------------------------
# Slider stops
# ---------------------------------------------------------------------------

# Log-scale sliders snap to 1-1.5-2-3-5-7 per decade (values from a URL are kept exactly).
_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)


def log_grid(low: float, high: float) -> tuple[float, ...]:
    out = []
    for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for m in _MANTISSAS:
            v = float(f"{m}e{e}")
            if low * (1 - 1e-12) <= v <= high * (1 + 1e-12):
                out.append(v)
    return tuple(out)


# Decay rates live near 1: stops spaced evenly in log(1 - beta).
BETA_GRID = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)


def option_field(key: str, option, label: str | None = None, help: str | None = None,
                 high: float | None = None, step: float | None = None) -> Field:
    """The control of an engine ``Option`` (an objective's or a schedule's): its default, bounds,
    choices and help; a page may give its own label, help and slider step, and cap ``high`` lower
    (a view's cost)."""
    label = label or option.label
    help = option.help if help is None else help
    if option.text:
        return Text(key, option.default, label, help, max_length=MAX_LENGTH, function=True)
    if option.choices:
        return Choice(key, option.default, label, help, options=tuple(option.choices),
                      labels=tuple(option.labels))
    high = option.high if high is None else min(high, option.high)
    grid = log_grid(option.low, high) if option.log else ()
    wide = high - option.low > 100 and not option.integer and not option.log
    return Number(key, option.default, label, help, low=option.low, high=high,
                  integer=option.integer, log=option.log, grid=grid,
                  step=step if step is not None else 0.5 if wide else 0.0 if option.integer
                  else (high - option.low) / 90,
                  widget="number" if wide else "slider")


# ---------------------------------------------------------------------------
# The shared controls
# ---------------------------------------------------------------------------

# The first view reproduces the chapter's figure: its optimisers and settings.
DEFAULT_OPTIMIZERS = ("momentum", "rmsprop", "adam")
UI_DEFAULTS = {
    "sgd.lr": 0.001,  # 0.01 diverges at once on the default Rosenbrock start
    "nesterov.lr": 0.001,
    "momentum.lr": 0.001,
    "rmsprop.lr": 0.005,
    "adam.lr": 0.01,
}
# Objectives with a page of their own, not offered in the shared sidebar.
OWN_PAGE_OBJECTIVES: frozenset[str] = frozenset({"network"})
SIDEBAR_OBJECTIVES = tuple(k for k in OBJECTIVES if k not in OWN_PAGE_OBJECTIVES)


def hyper_key(opt: str, name: str) -> str:
    return f"{opt}.{name}"


def objective_key(objective: str, option: str) -> str:
    return f"{objective}.{option}"


def _hyper_field(key: str, h) -> Field:
    default = UI_DEFAULTS.get(key, h.default)
    if h.kind == "bool":
        return Flag(key, bool(default), h.label, h.help)
    if h.log:
        return Number(key, float(default), h.label, h.help, low=h.low, high=h.high, log=True,
                      grid=log_grid(h.low, h.high))
    if h.kind == "unit":
        return Number(key, float(default), h.label, h.help, low=h.low, high=h.high,
                      grid=tuple(v for v in BETA_GRID if h.low <= v <= h.high))
    return Number(key, float(default), h.label, h.help, low=h.low, high=h.high, step=(h.high - h.low) / 100)


def _shared_fields() -> dict[str, Field]:
    fields: dict[str, Field] = {
        "f": Choice("f", "rosenbrock", "Objective", "The function the optimisers minimise.",
                    options=SIDEBAR_OBJECTIVES, labels=tuple(OBJECTIVES[k].title for k in SIDEBAR_OBJECTIVES)),
        "opt": MultiChoice("opt", DEFAULT_OPTIMIZERS, "Optimisers",
                           f"Up to {MAX_OPTIMIZERS} at once, all from the same start.",
                           options=tuple(OPTIMIZERS), labels=tuple(s.title for s in OPTIMIZERS.values()),
                           max_items=MAX_OPTIMIZERS),
        "steps": Number("steps", 2000, "Steps", "Number of updates for every run.",
                        low=10, high=MAX_STEPS, integer=True),
        "noise": Number("noise", 0.3, "Gradient noise (std)",
                        "Standard deviation of the Gaussian noise added to every gradient "
                        "coordinate: a stand-in for minibatch noise.", low=0.0, high=5.0, step=0.05),
        "seed": Number("seed", 0, "Seed", "Seed of the gradient noise; the same seed gives "
                       "every optimiser the same noise.", low=0, high=1_000_000, integer=True),
        "start": Point("start", None, "Start point", "Where every run starts (x, y)."),
    }
    for name in SIDEBAR_OBJECTIVES:
        for option, o in OBJECTIVES[name].options.items():
            fields[objective_key(name, option)] = option_field(objective_key(name, option), o)
    for opt, spec in OPTIMIZERS.items():
        for name, h in spec.hypers.items():
            fields[hyper_key(opt, name)] = _hyper_field(hyper_key(opt, name), h)
    return fields


SHARED_FIELDS: dict[str, Field] = _shared_fields()
PRESENT = Flag("present", False, "Presentation mode",
               "Large type and thick lines for projection; the sidebar starts collapsed.")


def objective_fields(objective: str) -> dict[str, Field]:
    """The option controls of one objective, by option name."""
    return {o: SHARED_FIELDS[objective_key(objective, o)] for o in OBJECTIVES[objective].options}


def legacy_option_key(raw_key: str, objective: str) -> str | None:
    """The field an old link's flat ``f.<option>`` means: that option of the link's objective
    (links made before the options had a namespace per objective), or None."""
    if not raw_key.startswith("f."):
        return None
    option = raw_key[2:]
    return objective_key(objective, option) if option in OBJECTIVES[objective].options else None
