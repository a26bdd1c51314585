"""Test objectives: vectorised values and analytic gradients, with their metadata.

Every function takes coordinates on the last axis, so one function serves a
``(B, D)`` batch of runs and an ``(H, W, D)`` plotting grid::

    >>> import numpy as np
    >>> rosen = get_objective("rosenbrock")
    >>> float(rosen.value(np.array([1.0, 1.0])))
    0.0
    >>> rosen.grad(np.array([[-1.0, 0.5]])).tolist()
    [[-204.0, -100.0]]

Metadata sits beside the function as data, in the manner of scipy's global
optimisation benchmarks: plotting ``bounds``, the list of ``minima``, the
minimum value ``fmin``, a default ``start`` and the LaTeX of the formula.
Evaluation counts are kept by the simulator, not here.

The sparse-gradient objectives are least-squares regressions on binary features
that fire with very different frequencies; their stochastic gradient (one sample
per step by default) is exactly zero for every feature that did not fire.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .expr import parse_function
from .network import ACTIVATIONS, DATASETS, OWN, build_network
from .values import Option

__all__ = ["OBJECTIVES", "Objective", "Option", "contour_grid", "get_objective"]


def _readonly(a):
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Objective:
    """A differentiable test function and what a plot or a test needs to know of it."""

    name: str
    title: str
    latex: str
    dim: int
    value: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    bounds: tuple  # ((lo, hi), ...) per coordinate, for plots
    minima: tuple  # tuple of points (global minima; several for Himmelblau)
    fmin: float
    start: tuple
    description: str
    options: Mapping[str, Any] = field(default_factory=dict)
    # Sparse-gradient problems: a stochastic gradient from sampled rows.
    sample_grad: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    n_samples: int = 0
    feature_freq: np.ndarray | None = None
    # Exact Hessian (..., D, D), for Newton-type baselines; None where not provided.
    hess: Callable[[np.ndarray], np.ndarray] | None = None
    minima_estimated: bool = False  # True when the minimum was found numerically (your own function)
    # Optional fused (value, grad) with the same arithmetic as value and grad (a sweep that
    # records the loss every step then evaluates shared terms once).
    value_and_grad: Callable[[np.ndarray], tuple] | None = None
    # The network family's model and data (engine.network.Network: metrics, predict_proba, ...).
    network: Any = None
    # Numpy operations of one evaluation of value and gradient (a typed function's; 0: a few)
    eval_cost: int = 0
    # False when the lowest point found lies on the edge of the plot box (no minimum inside it)
    minimum_inside: bool = True
    nbytes: int = 0  # bytes of the data it holds (a sampled problem's data set), for caches
    # True when f is exactly quadratic (its Hessian is the same everywhere): what theory says of
    # the momentum methods on a quadratic applies (``engine.theory``)
    constant_hessian: bool = False

    @property
    def stochastic(self) -> bool:
        return self.sample_grad is not None

    def distance_to_minimum(self, params) -> np.ndarray:
        """Euclidean distance from each point (last axis) to the nearest listed minimum."""
        p = np.asarray(params, dtype=float)[..., None, :]
        return np.sqrt(((p - np.asarray(self.minima)) ** 2).sum(-1)).min(-1)

    def nearest_minimum(self, params) -> np.ndarray:
        p = np.asarray(params, dtype=float)[..., None, :]
        idx = ((p - np.asarray(self.minima)) ** 2).sum(-1).argmin(-1)
        return np.asarray(self.minima)[idx]


# ---------------------------------------------------------------------------
# 2-D functions
# ---------------------------------------------------------------------------


def rosenbrock(p):
    """``(1-x)^2 + 100 (y-x^2)^2``; equals ``scipy.optimize.rosen`` in 2-D."""
    x, y = p[..., 0], p[..., 1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _coordinates_last(out):
    """A ``(2, ...)`` buffer seen as ``(..., 2)``: each coordinate stays contiguous (a ``(B, 2)``
    result is Fortran-ordered, as the simulator keeps its parameters), so that the next
    ``p[..., 0]`` is a contiguous read."""
    return out.T if out.ndim <= 2 else np.moveaxis(out, 0, -1)


def _pair(gx, gy):
    """Stack two coordinate arrays on a new last axis (faster than np.stack on tiny arrays)."""
    out = np.empty((2, *np.shape(gx)))
    out[0] = gx
    out[1] = gy
    return _coordinates_last(out)


def _xy_gradient(formula):
    """A vectorised gradient from a formula in ``(x, y)`` that uses only + - * /.

    A single point ``(1, 2)`` is computed with Python floats: a lone run then pays no
    numpy call per arithmetic operation, which is most of a small run's cost. The
    arithmetic is the same in both branches (IEEE doubles, the same operations in the
    same order), so a run in a batch still equals the same run alone, bit for bit.
    """
    def grad(p):
        if p.shape == (1, 2):
            ((x, y),) = p.tolist()
            gx, gy = formula(x, y)
            return np.array([[gx, gy]])
        gx, gy = formula(p[..., 0], p[..., 1])
        return _pair(gx, gy)

    return functools.update_wrapper(grad, formula)


@_xy_gradient
def rosenbrock_grad(x, y):
    """``(2(x-1) - 400 x (y - x^2), 200 (y - x^2))``."""
    r = y - x * x
    return 2.0 * (x - 1.0) - 400.0 * x * r, 200.0 * r


def rosenbrock_value_and_grad(p):
    """``(rosenbrock(p), rosenbrock_grad(p))`` for a batch, sharing ``y - x^2`` (bit for bit the same).

    The same operations in the same order, written into the result's buffers (a sweep of
    thousands of runs spends a good part of each step allocating and copying)."""
    if np.ndim(p) < 2:  # one point
        return rosenbrock(p), rosenbrock_grad(p)
    x, y = p[..., 0], p[..., 1]
    r = x * x
    np.subtract(y, r, out=r)  # r = y - x^2
    out = np.empty((2, *np.shape(x)))
    gx, gy = out
    np.multiply(r, 200.0, out=gy)
    np.multiply(x, 400.0, out=gx)
    gx *= r  # 400 x r
    a = x - 1.0
    a *= 2.0
    np.subtract(a, gx, out=gx)  # 2 (x - 1) - 400 x r
    a = 1.0 - x
    a *= a
    r *= r
    r *= 100.0
    a += r  # (1 - x)^2 + 100 r^2
    return a, _coordinates_last(out)


def _beale_terms(x, y):
    y2 = y * y
    return 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * (y2 * y)


def beale(p):
    a, b, c = _beale_terms(p[..., 0], p[..., 1])
    return a * a + b * b + c * c


@_xy_gradient
def beale_grad(x, y):
    a, b, c = _beale_terms(x, y)
    y2 = y * y
    gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y2 - 1.0) + 2.0 * c * (y2 * y - 1.0)
    gy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y2
    return gx, gy


def himmelblau(p):
    x, y = p[..., 0], p[..., 1]
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


@_xy_gradient
def himmelblau_grad(x, y):
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def saddle(p):
    """``x^2/2 + y^4/4 - y^2/2``: a saddle at the origin, bounded below, minima at (0, +-1)."""
    x, y = p[..., 0], p[..., 1]
    return 0.5 * x * x + 0.25 * y**4 - 0.5 * y * y


@_xy_gradient
def saddle_grad(x, y):
    return 1.0 * x, y * y * y - y


def rastrigin(p):
    return 10.0 * p.shape[-1] + (p * p - 10.0 * np.cos(2 * np.pi * p)).sum(-1)


def rastrigin_grad(p):
    return 2.0 * p + 20.0 * np.pi * np.sin(2 * np.pi * p)


def _quadratic(cond=10.0, angle=0.0, center=(0.0, 0.0)):
    """``0.5 (theta-c)^T A (theta-c)``, eigenvalues 1 and ``cond``, axes turned by ``angle`` degrees.

    Written coordinate by coordinate, not as ``(theta - c) @ A``: a BLAS product of a ``(B, 2)``
    batch sums in an order that depends on ``B``, and a run in a batch must equal the same run
    alone, bit for bit."""
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    hess = _readonly(rot @ np.diag([1.0, float(cond)]) @ rot.T)
    (h00, h01), (h10, h11) = hess.tolist()
    cx, cy = (float(v) for v in center)

    @_xy_gradient
    def grad(x, y):
        dx, dy = x - cx, y - cy
        return h00 * dx + h01 * dy, h10 * dx + h11 * dy

    def value(p):
        dx, dy = p[..., 0] - cx, p[..., 1] - cy
        return 0.5 * (dx * (h00 * dx + h01 * dy) + dy * (h10 * dx + h11 * dy))

    return value, grad, _constant_hess(hess)


# ---------------------------------------------------------------------------
# Sparse-gradient least squares
# ---------------------------------------------------------------------------


def _sparse_problem(freq, optimum, n_samples, data_seed, batch_size):
    """Features ``x_ij in {0, 1}`` firing with probability ``freq[j]``; ``y = X w*``.

    ``f(w) = mean_i (x_i . w - y_i)^2 / 2 = (w-w*)^T H (w-w*) / 2`` with
    ``H = X^T X / N``, so the optimum is ``w*`` exactly and ``f(w*) = 0``.
    The stochastic gradient of a sampled row ``i`` is ``x_i (x_i . w - y_i)``:
    exactly zero for every feature absent from the row.
    """
    freq = np.asarray(freq, dtype=float)
    optimum = np.asarray(optimum, dtype=float)
    rng = np.random.default_rng(data_seed)
    X = (rng.random((n_samples, freq.size)) < freq).astype(float)
    for j in np.flatnonzero(X.sum(0) == 0):  # every feature fires at least once
        X[rng.integers(n_samples), j] = 1.0
    X = _readonly(X)
    hess = _readonly(X.T @ X / n_samples)
    w_star = _readonly(optimum)

    def rows_times_hess(d):
        # One vector-matrix product per point (a stacked matmul), not one (B, D) @ (D, D)
        # product: BLAS sums in a different order for different B, and a run in a batch
        # must equal the same run alone to the last bit.
        return np.matmul(d[..., None, :], hess)[..., 0, :]

    def value(w):
        d = w - w_star
        return 0.5 * (rows_times_hess(d) * d).sum(-1)

    def grad(w):
        return rows_times_hess(w - w_star)

    def sample_grad(w, idx):
        """``w`` (B, D); ``idx`` (B or 1, batch) row indices -> (B, D)."""
        rows = X[idx]  # (B|1, b, D)
        resid = (rows @ (w - w_star)[..., None])[..., 0]  # (B, b)
        return (rows * resid[..., None]).mean(axis=1)

    return value, grad, sample_grad, _readonly(X.mean(0)), batch_size, _constant_hess(hess)


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    title: str
    build: Callable[..., Objective]
    options: Mapping[str, Option]


def _symbolic_hess(formula):
    """The exact Hessian of a 2-D formula, by symbolic differentiation (engine.expr)."""
    return parse_function(formula).hess


def _constant_hess(matrix):
    def hess(p):
        p = np.asarray(p)
        return np.broadcast_to(matrix, (*p.shape[:-1], *matrix.shape))
    return hess


def _fixed(name, title, latex, value, grad, bounds, minima, fmin, start, description, formula,
           value_and_grad=None):
    """A 2-D function without options; ``formula`` (engine.expr syntax) gives its Hessian."""
    def build():
        return Objective(name, title, latex, 2, value, grad, bounds, tuple(minima), fmin,
                         start, description, hess=_symbolic_hess(formula), value_and_grad=value_and_grad)
    return _Family(title, build, MappingProxyType({}))


def _build_quadratic(cond=10.0, angle=0.0):
    value, grad, hess = _quadratic(cond, angle)
    return Objective(
        "quadratic", "Ill-conditioned quadratic",
        r"f(\theta) = \tfrac12\,\theta^\top R\,\mathrm{diag}(1, \kappa)\,R^\top\theta"
        rf"\qquad \kappa = {cond:g},\ \text{{axes turned }}{angle:g}^\circ",
        2, value, grad, ((-3.0, 3.0), (-2.0, 2.0)), ((0.0, 0.0),), 0.0, (-2.5, 1.5),
        "A long narrow valley: curvature differs by the condition number between the two "
        "axes, so one learning rate cannot suit both.",
        MappingProxyType({"cond": float(cond), "angle": float(angle)}), hess=hess, constant_hessian=True)


def _build_scaled(cond=100.0):
    value, grad, hess = _quadratic(cond, 0.0, (1.0, 1.0))
    return Objective(
        "scaled", "Badly scaled quadratic (minimum off the origin)",
        r"f(x, y) = \tfrac12 (x-1)^2 + \tfrac{\kappa}{2} (y-1)^2" + rf"\qquad \kappa = {cond:g}",
        2, value, grad, ((-0.5, 1.5), (-0.5, 1.5)), ((1.0, 1.0),), 0.0, (-0.3, 1.4),
        "Two weights whose gradients differ in scale by the factor kappa, with the minimum at "
        "(1, 1): weight decay, which pulls towards 0, shows how it treats each of them.",
        MappingProxyType({"cond": float(cond)}), hess=hess, constant_hessian=True)


def _build_custom(expr="x**2 + 3*y**2", xmin=-3.0, xmax=3.0, ymin=-3.0, ymax=3.0):
    if not (xmin < xmax and ymin < ymax):
        raise ValueError("the plot bounds must have xmin < xmax and ymin < ymax")
    fn = parse_function(expr)
    bounds = ((float(xmin), float(xmax)), (float(ymin), float(ymax)))
    minimum, fmin, inside = _estimate_minimum(fn, bounds)
    start = (xmin + 0.15 * (xmax - xmin), ymax - 0.15 * (ymax - ymin))
    where = ("was searched for numerically inside the plot bounds" if inside else
             "was searched for inside the plot bounds and lies on their edge: the function may have no "
             "minimum there (it keeps falling outside the box)")
    return Objective(
        "custom", "Your function", fn.latex, 2, fn.value, fn.grad, bounds, (minimum,), fmin,
        start, f"Your own function. Its gradient is exact (symbolic differentiation); its minimum {where}.",
        MappingProxyType({"expr": expr, "xmin": float(xmin), "xmax": float(xmax),
                          "ymin": float(ymin), "ymax": float(ymax)}),
        hess=fn.hess, minima_estimated=True, value_and_grad=fn.value_and_grad, eval_cost=fn.cost,
        minimum_inside=inside)


MINIMUM_STARTS = 3  # local searches from the lowest grid points of different basins
MINIMUM_EVALUATIONS = 60  # per search: the search is bounded (a typed function can be costly)


def _estimate_minimum(fn, bounds, n=81):
    """The lowest point in ``bounds``: a grid search, then a few bounded L-BFGS-B searches from the
    lowest grid points at least a tenth of the box apart. Returns ``(point, f, inside)``,
    ``inside`` False when the lowest point lies on the edge of the box."""
    from scipy.optimize import minimize

    (x0, x1), (y0, y1) = bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        z = np.where(np.isfinite(v := fn.value(grid)), v, np.inf)
    if not np.isfinite(z).any():
        raise ValueError("the function is not finite anywhere inside the plot bounds")
    best_p, best_f = grid[np.argmin(z)], float(np.min(z))
    span = np.array([x1 - x0, y1 - y0])
    starts: list[np.ndarray] = []
    for i in np.argsort(z):
        if not np.isfinite(z[i]) or len(starts) == MINIMUM_STARTS:
            break
        if all((np.abs(grid[i] - s) / span).max() > 0.1 for s in starts):
            starts.append(grid[i])

    def fun(p):
        value, grad = fn.value_and_grad(p)
        return float(value), np.asarray(grad, dtype=float)

    for start in starts:
        with np.errstate(all="ignore"):
            res = minimize(fun, start, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxfun": MINIMUM_EVALUATIONS, "maxiter": MINIMUM_EVALUATIONS})
        if np.isfinite(res.fun) and res.fun < best_f:
            best_p, best_f = res.x, float(res.fun)
    edge = 1e-6 * span
    inside = bool(((best_p > np.array([x0, y0]) + edge) & (best_p < np.array([x1, y1]) - edge)).all())
    return tuple(float(v) for v in best_p), best_f, inside


def _build_sparse(dim=20, freq_min=0.01, n_samples=2000, batch_size=1, data_seed=0):
    dim = int(dim)
    freq = np.logspace(0.0, np.log10(freq_min), dim)
    optimum = np.round(np.random.default_rng(1000 + data_seed).uniform(-1.0, 1.0, dim), 3)
    value, grad, sample_grad, observed, batch_size, hess = _sparse_problem(
        freq, optimum, int(n_samples), data_seed, int(batch_size))
    return Objective(
        "sparse", "Sparse features (many parameters)",
        r"f(w) = \frac{1}{2N}\sum_{i=1}^{N} (x_i^\top w - y_i)^2,\quad x_{ij}\sim"
        r"\mathrm{Bernoulli}(p_j),\ p_j \text{ from } 1 \text{ down to } " + f"{freq_min:g}",
        dim, value, grad, tuple((-2.0, 2.0) for _ in range(dim)), (tuple(optimum),), 0.0,
        tuple(0.0 for _ in range(dim)),
        f"Linear regression on {dim} binary features; feature j fires in a fraction p_j of "
        "the samples. One sample per step: a feature that did not fire gets a gradient of "
        "exactly zero.",
        MappingProxyType({"dim": dim, "freq_min": float(freq_min), "n_samples": int(n_samples),
                          "batch_size": batch_size, "data_seed": int(data_seed)}),
        sample_grad, int(n_samples), observed, hess=hess, nbytes=8 * int(n_samples) * len(observed))


def _build_sparse2d(freq_rare=0.05, n_samples=2000, batch_size=1, data_seed=0):
    value, grad, sample_grad, observed, batch_size, hess = _sparse_problem(
        [1.0, freq_rare], [1.0, 2.0], int(n_samples), data_seed, int(batch_size))
    return Objective(
        "sparse2d", "Sparse features (2-D)",
        r"f(w) = \frac{1}{2N}\sum_{i=1}^{N} (x_{i1} w_1 + x_{i2} w_2 - y_i)^2,\quad "
        rf"x_{{i1}} = 1,\ x_{{i2}}\sim\mathrm{{Bernoulli}}({freq_rare:g})",
        2, value, grad, ((-1.0, 3.0), (-0.5, 3.5)), ((1.0, 2.0),), 0.0, (0.0, 0.0),
        f"A dense feature that is always on and a rare one that fires in {freq_rare:.0%} of "
        "samples. The rare weight's gradient is zero on most steps.",
        MappingProxyType({"freq_rare": float(freq_rare), "n_samples": int(n_samples),
                          "batch_size": batch_size, "data_seed": int(data_seed)}),
        sample_grad, int(n_samples), observed, hess=hess, nbytes=8 * int(n_samples) * len(observed))


_DATASET_TITLES = {"moons": "two moons", "circles": "circles", "spirals": "two spirals",
                   "xor": "XOR", "blobs": "three blobs", OWN: "your own data"}


def _build_network(**options):
    """A small MLP classifier (``engine.network``): ``P`` weights, the mean training
    cross-entropy as the loss, mini-batch gradients for ``simulate``.

    There is no known minimum: ``minima`` is empty and ``fmin = 0`` is only the lower bound of
    a cross-entropy (approached when the training data can be separated). ``bounds`` are a box
    for the weights; the input plane's box is ``network.bounds``. ``start`` is the seeded
    initialisation, so every optimiser with the same options starts from the same weights.
    """
    net = build_network(**{k: v for k, v in options.items() if k != "batch_size"})
    dim = net.n_params
    data = "your own data" if net.dataset == OWN else f"the {_DATASET_TITLES[net.dataset]} data set"
    units = " x ".join(str(w) for w in net.sizes[1:-1])
    return Objective(
        "network", f"Neural network ({_DATASET_TITLES[net.dataset]}, {units} {net.activation} units)",
        net.latex(), dim, net.value, net.grad, tuple((-2.0, 2.0) for _ in range(dim)), (), 0.0,
        tuple(net.init().tolist()),
        f"A multilayer perceptron with {len(net.sizes) - 2} hidden layer(s) of {units} "
        f"{net.activation} units and {dim} weights classifies {net.X_train.shape[0]} training "
        f"points of {data} ({net.X_test.shape[0]} more are held "
        "out). The loss is the mean cross-entropy; each step's gradient comes from a mini-batch of "
        "training points. It has no known minimum.",
        MappingProxyType(dict(options)), net.sample_grad, net.X_train.shape[0],
        value_and_grad=net.value_and_grad, network=net,
        nbytes=8 * 3 * (net.X_train.shape[0] + net.X_test.shape[0]) if net.dataset == OWN else 0)


_NETWORK_OPTIONS = MappingProxyType({
    "dataset": Option("moons", 0, 0, "data set", choices=(*DATASETS, OWN),
                      labels=(*(_DATASET_TITLES[d][:1].upper() + _DATASET_TITLES[d][1:] for d in DATASETS),
                              "Your own data"),
                      help="Two moons, circles, two spirals, XOR (two classes), three blobs, or your own "
                           "points (the option data)."),
    "n_points": Option(300, 50, 2000, "points", integer=True,
                       help="Points generated, training and test together."),
    "input_noise": Option(0.15, 0.0, 1.0, "input noise",
                          help="Standard deviation of the noise added to each coordinate "
                               "(the points lie in [-2, 2] x [-2, 2])."),
    "label_noise": Option(0.0, 0.0, 0.5, "label noise",
                          help="Fraction of the labels reassigned to another class at random."),
    "test_fraction": Option(0.2, 0.1, 0.5, "test fraction",
                            help="Fraction of the points held out to measure generalisation."),
    "data_seed": Option(0, 0, 10_000, "data seed", integer=True,
                        help="Seed of the data set and of its train/test split (not of the runs)."),
    "depth": Option(1, 1, 2, "hidden layers", integer=True, help="One or two hidden layers."),
    "width": Option(16, 4, 32, "units per layer", integer=True,
                    help="Units in each hidden layer."),
    "activation": Option("tanh", 0, 0, "activation", choices=ACTIVATIONS, labels=("tanh", "ReLU"),
                         help="tanh (Glorot initialisation) or relu (He initialisation)."),
    "batch_size": Option(32, 1, 256, "batch size", integer=True,
                         help="Training points per stochastic gradient, drawn with replacement."),
    "init_seed": Option(0, 0, 10_000, "init seed", integer=True,
                        help="Seed of the initial weights: the same for every optimiser."),
    "data": Option("", 0, 0, "your data", text=True,
                   help="Your own points and classes as text (engine.owndata.encode_data), with the data set "
                        "'own': at most 2,000 points in [-2, 2] x [-2, 2], two or three classes."),
})

_SPARSE_COMMON = {
    "n_samples": Option(2000, 50, 20000, "samples N", integer=True,
                        help="Size of the synthetic data set."),
    "batch_size": Option(1, 1, 256, "batch size", integer=True,
                         help="Samples per stochastic gradient; 1 gives the sparsest gradients."),
    "data_seed": Option(0, 0, 10_000, "data seed", integer=True,
                        help="Seed of the synthetic data set (not of the runs)."),
}

OBJECTIVES: Mapping[str, _Family] = MappingProxyType({
    "rosenbrock": _fixed(
        "rosenbrock", "Rosenbrock", r"f(x, y) = (1-x)^2 + 100\,(y - x^2)^2",
        rosenbrock, rosenbrock_grad, ((-1.5, 1.5), (-0.5, 1.5)), [(1.0, 1.0)], 0.0, (-1.0, 0.5),
        "A curved, flat-bottomed valley: easy to reach, slow to follow to the minimum at (1, 1).",
        "(1-x)^2 + 100*(y-x^2)^2", rosenbrock_value_and_grad),
    "beale": _fixed(
        "beale", "Beale",
        r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        beale, beale_grad, ((-4.5, 4.5), (-4.5, 4.5)), [(3.0, 0.5)], 0.0, (1.0, 1.5),
        "Flat plateaus and steep ridges; gradients span many orders of magnitude.",
        "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2"),
    "himmelblau": _fixed(
        "himmelblau", "Himmelblau", r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        himmelblau, himmelblau_grad, ((-5.0, 5.0), (-5.0, 5.0)),
        [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)], 0.0,
        (0.0, 0.0), "Four equally deep minima: which one a run finds depends on its path.",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"),
    "quadratic": _Family("Ill-conditioned quadratic", _build_quadratic, MappingProxyType({
        "cond": Option(10.0, 1.0, 1000.0, "condition number", log=True,
                       help="Ratio of the largest to the smallest curvature."),
        "angle": Option(0.0, 0.0, 90.0, "rotation (degrees)",
                        help="Turn the valley away from the axes: per-parameter methods lose their edge."),
    })),
    "scaled": _Family("Badly scaled quadratic", _build_scaled, MappingProxyType({
        "cond": Option(100.0, 1.0, 1000.0, "condition number", log=True,
                       help="Ratio of the two curvatures (and of the two gradient scales)."),
    })),
    "saddle": _fixed(
        "saddle", "Saddle (bounded below)", r"f(x, y) = \tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2",
        saddle, saddle_grad, ((-2.0, 2.0), (-1.6, 1.6)), [(0.0, 1.0), (0.0, -1.0)], -0.25,
        (-1.5, 0.01), "A saddle point at the origin between two minima: the gradient nearly "
                      "vanishes on the way, and escaping it takes curvature or noise.",
        "0.5*x^2 + 0.25*y^4 - 0.5*y^2"),
    "rastrigin": _fixed(
        "rastrigin", "Rastrigin", r"f(x, y) = 20 + \sum_{i}\left(x_i^2 - 10\cos 2\pi x_i\right)",
        rastrigin, rastrigin_grad, ((-5.12, 5.12), (-5.12, 5.12)), [(0.0, 0.0)], 0.0, (-3.3, 2.7),
        "A bowl covered in local minima: a gradient method stops in the first one it meets.",
        "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)"),
    "sparse2d": _Family("Sparse features (2-D)", _build_sparse2d, MappingProxyType({
        "freq_rare": Option(0.05, 0.005, 1.0, "rare feature frequency", log=True,
                            help="Fraction of samples in which the rare feature fires."),
        **_SPARSE_COMMON})),
    "sparse": _Family("Sparse features (many parameters)", _build_sparse, MappingProxyType({
        "dim": Option(20, 2, 200, "parameters D", integer=True,
                      help="Number of features (and weights)."),
        "freq_min": Option(0.01, 0.001, 1.0, "rarest frequency", log=True,
                           help="Frequency of the rarest feature; the others are log-spaced up to 1."),
        **_SPARSE_COMMON})),
    "custom": _Family("Your own function", _build_custom, MappingProxyType({
        "expr": Option("x**2 + 3*y**2", 0, 0, "f(x, y)", text=True,
                       help="Numbers, x, y, + - * / ** ^, parentheses and sin cos tan exp log sqrt "
                            "abs tanh sinh cosh atan, pi, e."),
        **{k: Option(d, -1000.0, 1000.0, k, help="Plot bounds of your function.")
           for k, d in (("xmin", -3.0), ("xmax", 3.0), ("ymin", -3.0), ("ymax", 3.0))},
    })),
    "network": _Family("Neural network (classification)", _build_network, _NETWORK_OPTIONS),
})


def _check_options(name, family, options):
    unknown = set(options) - set(family.options)
    if unknown:
        raise ValueError(f"Objective {name!r} has no option {', '.join(sorted(unknown))}"
                         + (f"; it takes: {', '.join(family.options)}" if family.options
                            else "; it takes none"))
    return {key: opt.check(options.get(key, opt.default), f"{name}: option {key}")
            for key, opt in family.options.items()}


MAX_BUILT = 64  # objectives kept built (an objective is immutable: every caller shares it)
MAX_BUILT_BYTES = 100_000_000  # and the bytes of their data (a sampled problem holds its data set)
_built: OrderedDict = OrderedDict()
_built_lock = threading.Lock()


def _build(name, items):
    """The objective for ``name`` and its validated options, built once and kept while there is room
    (least recently used first out, by count and by the bytes of its data, ``Objective.nbytes``)."""
    key = (name, items)
    if ("dataset", OWN) in items:  # one person's data: not kept in this process-wide memo (cheap to build)
        return OBJECTIVES[name].build(**dict(items))
    with _built_lock:
        if key in _built:
            _built.move_to_end(key)
            return _built[key]
    obj = OBJECTIVES[name].build(**dict(items))
    with _built_lock:
        _built[key] = obj
        while len(_built) > MAX_BUILT or (len(_built) > 1
                                          and sum(o.nbytes for o in _built.values()) > MAX_BUILT_BYTES):
            _built.popitem(last=False)
        return _built.setdefault(key, obj)


def get_objective(name: str, **options) -> Objective:
    """The objective ``name`` with its options (validated; cached, immutable).

    ``get_objective("custom", expr="x**2 + 10*sin(y)", xmin=-3, xmax=3, ymin=-3, ymax=3)``
    is a function typed by a user: parsed by ``engine.expr`` (never evaluated as code),
    with exact derivatives. Invalid text raises ``ValueError`` (``ExprError``).
    """
    if isinstance(name, Objective):
        return name
    try:
        family = OBJECTIVES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown objective {name!r}; choose one of: {', '.join(OBJECTIVES)}") from None
    return _build(name, tuple(sorted(_check_options(name, family, options).items())))


def contour_grid(objective: Objective, n: int = 200, bounds=None):
    """``(xs, ys, Z)`` on an ``n x n`` grid over the plot bounds of a 2-D objective."""
    if objective.dim != 2:
        raise ValueError(f"{objective.name} has {objective.dim} parameters; maps need 2")
    (x0, x1), (y0, y1) = bounds or objective.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    return xs, ys, objective.value(grid)
