"""The dashboard's controls as data: names, defaults, bounds, URL parsing (no Streamlit).

Every control has a short URL name (``f``, ``opt``, ``adam.lr``, ``steps``...). A
URL value is text from anyone: ``parse`` turns it into a value or raises
``ValueError`` with a sentence the page shows, and the control falls back to its
default. ``fmt`` writes a value back into the URL so that parsing it again gives
the same value (round trip).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine import OBJECTIVES, OPTIMIZERS, get_objective
from engine.expr import MAX_LENGTH, parse_function

MAX_URL_VALUE = 200  # characters; longer values are refused before parsing


def _fmt_float(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x)) if abs(x) < 1e15 else repr(x)


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
            value = float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{raw!r} is not a finite number")
        if self.integer:
            if not value.is_integer():
                raise ValueError(f"{raw!r} is not a whole number")
            value = int(value)
        if not (self.low <= value <= self.high):
            raise ValueError(f"{raw} is outside [{self.low:g}, {self.high:g}]")
        return value

    def fmt(self, value):
        return str(int(value)) if self.integer else _fmt_float(value)


@dataclass(frozen=True)
class Flag(Field):
    def parse(self, raw):
        low = raw.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{raw!r} is not true or false")

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
    """Free text checked by ``check`` (e.g. the parser of user functions)."""

    max_length: int = 200

    def parse(self, raw):
        if len(raw) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        if self.key == "f.expr":
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
            values = tuple(float(p) for p in parts)
        except ValueError:
            raise ValueError(f"{raw!r} is not {self.dim} numbers") from None
        if not all(math.isfinite(v) and abs(v) <= self.limit for v in values):
            raise ValueError(f"{raw!r} must be finite and within +-{self.limit:g}")
        return values

    def fmt(self, value):
        return ",".join(_fmt_float(v) for v in value)


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
MAX_STEPS = 5000
MAX_OPTIMIZERS = 6

# Log-scale sliders snap to 1-1.5-2-3-5-7 per decade (values from a URL are kept exactly).
_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)


def log_grid(low: float, high: float) -> list[float]:
    out = []
    for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for m in _MANTISSAS:
            v = float(f"{m}e{e}")
            if low * (1 - 1e-12) <= v <= high * (1 + 1e-12):
                out.append(v)
    return out


# Decay rates live near 1: stops spaced evenly in log(1 - beta).
BETA_GRID = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)


def hyper_key(opt: str, name: str) -> str:
    return f"{opt}.{name}"


def objective_key(name: str) -> str:
    return f"f.{name}"


def _hyper_fields():
    out = {}
    for opt, spec in OPTIMIZERS.items():
        for name, h in spec.hypers.items():
            key = hyper_key(opt, name)
            default = UI_DEFAULTS.get(key, h.default)
            if h.kind == "bool":
                out[key] = Flag(key, bool(default), h.label, h.help)
            elif h.log:
                out[key] = Number(key, float(default), h.label, h.help, low=h.low, high=h.high,
                                  log=True, grid=tuple(log_grid(h.low, h.high)))
            elif h.kind == "unit":
                grid = tuple(v for v in BETA_GRID if h.low <= v <= h.high)
                out[key] = Number(key, float(default), h.label, h.help, low=h.low, high=h.high,
                                  grid=grid)
            else:
                out[key] = Number(key, float(default), h.label, h.help, low=h.low, high=h.high,
                                  step=(h.high - h.low) / 100)
    return out


def _objective_option_fields():
    out = {}
    for fam in OBJECTIVES.values():
        for opt, o in fam.options.items():
            key = objective_key(opt)
            if key in out:  # options shared by several objectives (sparse ones) share a field
                continue
            if o.text:
                out[key] = Text(key, o.default, o.label, o.help, max_length=MAX_LENGTH)
                continue
            grid = tuple(log_grid(o.low, o.high)) if o.log else ()
            wide = o.high - o.low > 100 and not o.integer and not o.log
            out[key] = Number(key, o.default, o.label, o.help, low=o.low, high=o.high,
                              integer=o.integer, log=o.log, grid=grid,
                              step=0.5 if wide else 0.0 if o.integer else (o.high - o.low) / 90,
                              widget="number" if wide else "slider")
    return out


def shared_fields() -> dict[str, Field]:
    fields: dict[str, Field] = {
        "f": Choice("f", "rosenbrock", "Objective", "The function the optimisers minimise.",
                    options=tuple(OBJECTIVES), labels=tuple(f.title for f in OBJECTIVES.values())),
        "opt": MultiChoice("opt", DEFAULT_OPTIMIZERS, "Optimisers",
                           f"Up to {MAX_OPTIMIZERS} at once, all from the same start.",
                           options=tuple(OPTIMIZERS),
                           labels=tuple(s.title for s in OPTIMIZERS.values()),
                           max_items=MAX_OPTIMIZERS),
        "steps": Number("steps", 2000, "Steps", "Number of updates for every run.",
                        low=10, high=MAX_STEPS, integer=True),
        "noise": Number("noise", 0.3, "Gradient noise (std)",
                        "Standard deviation of the Gaussian noise added to every gradient "
                        "coordinate: a stand-in for minibatch noise.", low=0.0, high=5.0,
                        step=0.05),
        "seed": Number("seed", 0, "Seed", "Seed of the gradient noise; the same seed gives "
                       "every optimiser the same noise.", low=0, high=1_000_000, integer=True),
        "start": Point("start", None, "Start point", "Where every run starts (x, y)."),
    }
    fields.update(_objective_option_fields())
    fields.update(_hyper_fields())
    return fields


SHARED_FIELDS = shared_fields()


@dataclass(frozen=True)
class Settings:
    """A resolved, validated view of the shared controls (hashable: a cache key)."""

    objective: str
    objective_options: tuple  # ((name, value), ...) of the current objective
    optimizers: tuple
    hypers: tuple  # ((opt, ((name, value), ...)), ...) for every optimiser in the registry
    steps: int
    noise: float
    seed: int
    start: tuple
    extra: tuple = field(default=())

    def hyper(self, opt: str) -> dict:
        return dict(dict(self.hypers)[opt])

    def objective_obj(self):
        return get_objective(self.objective, **dict(self.objective_options))


def settings_from_values(values: dict[str, Any]) -> Settings:
    """Build ``Settings`` from a mapping of control values (defaults filled in)."""
    def get(key):
        return values.get(key, SHARED_FIELDS[key].default)

    objective = get("f")
    fam = OBJECTIVES[objective]
    options = tuple((o, get(objective_key(o))) for o in fam.options)
    try:
        obj = get_objective(objective, **dict(options))
    except ValueError:  # e.g. bounds with xmin >= xmax: the family's defaults
        options = tuple((o, SHARED_FIELDS[objective_key(o)].default) for o in fam.options)
        obj = get_objective(objective, **dict(options))
    opts = tuple(get("opt"))
    hypers = tuple((o, tuple((n, get(hyper_key(o, n))) for n in spec.hypers))
                   for o, spec in OPTIMIZERS.items())
    start = get("start")
    start = tuple(obj.start) if start is None or len(start) != obj.dim else tuple(start)
    return Settings(objective, options, opts, hypers, int(get("steps")), float(get("noise")),
                    int(get("seed")), start)


def start_problem(objective, start) -> str | None:
    """Why ``start`` does not suit ``objective`` (outside twice its plot box), or None."""
    if start is None:
        return None
    if len(start) != objective.dim:
        return f"has {len(start)} coordinates; {objective.title} has {objective.dim}"
    for v, (lo, hi) in zip(start, objective.bounds):
        pad = hi - lo
        if not (lo - pad <= v <= hi + pad):
            return f"({', '.join(f'{s:g}' for s in start)}) is far outside the plot of {objective.title}"
    return None
