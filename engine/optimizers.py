"""Gradient-descent optimisers as pure ``(init, update)`` pairs over batched arrays.

Every optimiser works on parameters shaped ``(B, D)``: ``B`` independent runs of a
``D``-parameter problem. Hyperparameters are keyword arguments that are either
Python scalars or arrays shaped ``(B, 1)`` (one value per run), so a learning-rate
sweep is one call. State is an immutable ``NamedTuple`` of arrays; ``update``
returns new arrays and never mutates its inputs.

``update(g, state, params, lr)`` returns ``(new_params, new_state, eff_lr)`` where
``lr`` is the (possibly scheduled) learning rate of this step and ``eff_lr`` is the
*effective per-parameter learning rate*: the factor that multiplies the update
direction (``lr`` for SGD and momentum, ``lr / (sqrt(G) + eps)`` for AdaGrad,
``lr / (sqrt(v_hat) + eps)`` for Adam, ...). It is derived from the state, never
from ``step / grad``. Where it costs an operation the step itself does not need (Adam's
``lr / denom``), ``eff_lr`` is returned unevaluated, as a ``functools.partial`` of the
ufunc that computes it: ``effective_lr(eff_lr)`` evaluates either form, and a run that
records the loss only never pays for it.

Numerics follow PyTorch's ``torch.optim`` for the same algorithm (checked against
reference trajectories produced by torch 2.13 in ``tests/data``). Each factory's
docstring states its update rule and every convention that changes a trajectory.
Lion is not in ``torch.optim``; it follows the paper (Chen et al., 2023).

To add an optimiser: write one factory here and add one entry to ``OPTIMIZERS``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from . import theory

__all__ = ["EFFECTIVE_LR", "OPTIMIZERS", "Hyper", "Main", "OptimizerSpec", "effective_lr", "get_optimizer",
           "validate_hypers"]


# ---------------------------------------------------------------------------
# Shared pieces (composed, not copied)
# ---------------------------------------------------------------------------


def _ema(avg, x, decay):
    """Exponential moving average ``decay*avg + (1-decay)*x`` (torch's mul/add form).

    The sum is taken in place into the fresh product (the same arithmetic, one allocation
    fewer: a sweep of thousands of runs spends much of its time allocating)."""
    out = decay * avg
    out += (1.0 - decay) * x
    return out


_POW_BLOCK = 256


def _np_power(base, exponent):
    """numpy's ``power`` on two contiguous arrays of one shape: elementwise the same result
    for any shape (a broadcast scalar exponent takes other paths, e.g. 2 -> square)."""
    base, exponent = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
    return np.power(np.ascontiguousarray(base), np.ascontiguousarray(exponent))


@functools.lru_cache(maxsize=512)
def _power_block(base: float, scale: float, block: int) -> tuple:
    """``base ** (k * scale)`` for ``k`` in one block of step counts, by ``_np_power``."""
    k = np.arange(block * _POW_BLOCK, (block + 1) * _POW_BLOCK) * scale
    return tuple(_np_power(base, k).tolist())


def _pow(base, count, scale=1.0):
    """``base ** (count * scale)`` by numpy's ``power`` whether ``base``/``scale`` are scalars
    or ``(B, 1)`` columns.

    Python's ``float ** x`` (C ``pow``) and numpy's vectorised ``power`` (SIMD, e.g.
    AVX-512) may differ in the last bit, which would make a run in a batch differ
    from the same run alone. Scalars therefore go through numpy too, from a cached
    table of whole blocks of steps (one ufunc call per step would cost more than
    the rest of a single run's update).
    """
    if type(base) is float and type(scale) is float:  # count is the state's int step count
        block, i = divmod(count, _POW_BLOCK)
        return _power_block(base, scale, block)[i]
    return _np_power(base, count * np.asarray(scale, dtype=float))


def _bias_corrections(beta1, beta2, count, enabled=True):
    """``(1 - beta1**t, 1 - beta2**t)``; ``(1, 1)`` when bias correction is off."""
    if not enabled:
        return 1.0, 1.0
    return 1.0 - _pow(beta1, count), 1.0 - _pow(beta2, count)


def _coupled_decay(weight_decay):
    """Coupled L2 (torch's ``weight_decay`` in SGD/Adam): ``g -> g + wd * theta``."""
    if not np.any(weight_decay):
        return lambda g, params: g
    return lambda g, params: g + weight_decay * params


def _decoupled_decay(weight_decay):
    """Decoupled decay (torch's AdamW): ``theta -> theta * (1 - lr*wd)`` before the step."""
    if not np.any(weight_decay):
        return lambda params, lr: params
    return lambda params, lr: params * (1.0 - lr * weight_decay)


def _lazy(ufunc, a, b):
    """``ufunc(a, b)``, computed only if someone asks (see ``effective_lr``)."""
    return functools.partial(ufunc, a, b)


def effective_lr(eff):
    """The effective learning rate an ``update`` returned: a value, or ``_lazy`` to compute."""
    return eff() if isinstance(eff, functools.partial) else eff


def _as_flag(x):
    """A boolean hyperparameter that may be a scalar or a ``(B, 1)`` array."""
    return np.asarray(x, dtype=bool)


# ---------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------


class EmptyState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    buf: np.ndarray  # b: torch's momentum_buffer


class AdagradState(NamedTuple):
    count: int
    sum_sq: np.ndarray  # G: sum of squared gradients


class RMSPropState(NamedTuple):
    count: int
    v: np.ndarray  # square_avg
    g_avg: np.ndarray  # grad_avg (used when centered)


class AdamState(NamedTuple):
    count: int
    m: np.ndarray  # exp_avg
    v: np.ndarray  # exp_avg_sq
    v_max: np.ndarray  # max_exp_avg_sq (used by AMSGrad)


class NAdamState(NamedTuple):
    count: int
    m: np.ndarray
    v: np.ndarray
    mu_product: Any  # running product of the momentum schedule mu_t


class AdamaxState(NamedTuple):
    count: int
    m: np.ndarray
    u: np.ndarray  # exp_inf: exponentially weighted infinity norm


class AdadeltaState(NamedTuple):
    count: int
    v: np.ndarray  # square_avg
    acc_delta: np.ndarray


class LionState(NamedTuple):
    count: int
    m: np.ndarray


class Transform(NamedTuple):
    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple]


def _zeros(p):
    return np.zeros_like(p, dtype=float)


# ---------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------


def sgd(momentum=0.0, nesterov=False, weight_decay=0.0) -> Transform:
    r"""SGD, heavy-ball momentum and Nesterov momentum in torch's form.

    ``b_t = mu * b_{t-1} + g_t`` (``b_0 = 0``, no dampening), then
    ``theta_t = theta_{t-1} - lr * b_t``; Nesterov steps along ``g_t + mu * b_t``.
    Convention: this is torch's buffer form. The chapter's ``v = mu*v - lr*g;
    theta += v`` gives the same path while ``lr`` is constant and a different one
    once ``lr`` follows a schedule (torch's buffer does not carry old learning
    rates). ``weight_decay`` is coupled L2 (added to the gradient), as in torch.
    The effective learning rate is ``lr`` for every parameter.
    """
    use_momentum = np.any(momentum) or np.any(nesterov)
    decay = _coupled_decay(weight_decay)

    def init(params):
        return MomentumState(0, _zeros(params)) if use_momentum else EmptyState(0)

    def update(g, state, params, lr):
        g = decay(g, params)
        if not use_momentum:
            return params - lr * g, EmptyState(state.count + 1), lr
        buf = momentum * state.buf + g
        direction = g + momentum * buf if nesterov else buf
        return params - lr * direction, MomentumState(state.count + 1, buf), lr

    return Transform(init, update)


def adagrad(eps=1e-10) -> Transform:
    r"""AdaGrad (Duchi et al., 2011) as ``torch.optim.Adagrad``.

    ``G_t = G_{t-1} + g_t^2``, ``theta_t = theta_{t-1} - lr * g_t / (sqrt(G_t) + eps)``.
    Conventions: eps is added *outside* the square root (the chapter writes it
    inside); the accumulator starts at 0 (Keras and optax start at 0.1, which
    shrinks the first steps); no ``lr_decay``. Effective learning rate
    ``lr / (sqrt(G_t) + eps)``: it can only fall.
    """

    def init(params):
        return AdagradState(0, _zeros(params))

    def update(g, state, params, lr):
        sum_sq = state.sum_sq + g * g
        eff = lr / (np.sqrt(sum_sq) + eps)
        return params - eff * g, AdagradState(state.count + 1, sum_sq), eff

    return Transform(init, update)


def rmsprop(rho=0.9, eps=1e-8, centered=False) -> Transform:
    r"""RMSProp (Hinton, 2012) as ``torch.optim.RMSprop`` (torch calls ``rho`` alpha).

    ``v_t = rho v_{t-1} + (1-rho) g_t^2``; ``theta_t = theta_{t-1} - lr g_t / (sqrt(v_t) + eps)``.
    Centered: also ``a_t = rho a_{t-1} + (1-rho) g_t`` and the denominator is
    ``sqrt(v_t - a_t^2) + eps`` (the difference clamped at 0 against rounding, where
    torch would take the root of a tiny negative number and get NaN).
    Conventions: eps outside the square root, ``v_0 = 0``
    (so the first step is ``lr / sqrt(1-rho)`` times ``sign(g)``: about 3.2 lr for
    rho = 0.9). Default ``rho = 0.9`` is the chapter's (torch's default alpha is 0.99).
    Effective learning rate ``lr / (sqrt(v_t) + eps)`` (the centered denominator when centered).
    """
    centered = _as_flag(centered)
    any_centered = bool(np.any(centered))

    def init(params):
        return RMSPropState(0, _zeros(params), _zeros(params))

    def update(g, state, params, lr):
        v = _ema(state.v, g * g, rho)
        if any_centered:
            g_avg = _ema(state.g_avg, g, rho)
            var = np.where(centered, v - g_avg * g_avg, v)
            denom = np.sqrt(np.maximum(var, 0.0)) + eps
        else:
            g_avg = state.g_avg
            denom = np.sqrt(v) + eps
        eff = lr / denom
        return params - eff * g, RMSPropState(state.count + 1, v, g_avg), eff

    return Transform(init, update)


def adam(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
         bias_correction=True, decoupled=False) -> Transform:
    r"""Adam (Kingma & Ba, 2014) as ``torch.optim.Adam``; AdamW when ``decoupled``.

    ``m_t = b1 m + (1-b1) g``, ``v_t = b2 v + (1-b2) g^2``,
    ``m_hat = m_t / (1-b1^t)``, ``v_hat = v_t / (1-b2^t)``,
    ``theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)``.
    Conventions that change trajectories:

    * eps is added outside the square root and *after* bias correction, as in
      torch (``denom = sqrt(v)/sqrt(1-b2^t) + eps``);
    * ``weight_decay`` is coupled L2 for Adam (``g += wd * theta`` before the
      moments, so it is rescaled by the adaptive denominator), decoupled for
      AdamW (``theta *= 1 - lr*wd`` before the Adam step, torch's form: the decay
      is multiplied by the learning rate, and by a schedule if there is one);
    * AMSGrad keeps the running maximum of ``v_t`` (not of ``v_hat``), as torch,
      and bias-corrects that maximum: ``denom = sqrt(max v)/sqrt(1-b2^t) + eps``.
      So the effective learning rate can still *grow* while ``1 - b2^t`` grows
      (e.g. after one large gradient); it never grows with ``bias_correction=False``
      (Reddi et al.'s original AMSGrad);
    * ``bias_correction=False`` is not a torch option: it drops both corrections
      (``m_hat = m``, ``v_hat = v``), the teaching counterfactual.

    Effective learning rate ``lr / (sqrt(v_hat) + eps)``, the factor on ``m_hat``.
    """
    amsgrad = _as_flag(amsgrad)
    any_amsgrad = bool(np.any(amsgrad))
    bias_correction = _as_flag(bias_correction)
    all_corrected = bool(bias_correction.all())
    coupled = _coupled_decay(0.0 if decoupled else weight_decay)
    decoupled = _decoupled_decay(weight_decay if decoupled else 0.0)

    def init(params):
        return AdamState(0, _zeros(params), _zeros(params), _zeros(params))

    def update(g, state, params, lr):
        count = state.count + 1
        params = decoupled(params, lr)
        g = coupled(g, params)
        m = _ema(state.m, g, beta1)
        v = _ema(state.v, g * g, beta2)
        bc1, bc2 = _bias_corrections(beta1, beta2, count)
        if not all_corrected:
            bc1 = np.where(bias_correction, bc1, 1.0)
            bc2 = np.where(bias_correction, bc2, 1.0)
        if any_amsgrad:
            v_max = np.maximum(state.v_max, v)
            v_used = np.where(amsgrad, v_max, v)
        else:
            v_max, v_used = state.v_max, v
        denom = np.sqrt(v_used)  # sqrt(v) / sqrt(1 - b2^t) + eps, in place in fresh arrays
        denom /= np.sqrt(bc2)
        denom += eps
        step = lr / bc1
        step = step * m if np.ndim(step) == 0 else np.multiply(step, m, out=step)
        step /= denom
        return params - step, AdamState(count, m, v, v_max), _lazy(np.divide, lr, denom)

    return Transform(init, update)


def nadam(beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3) -> Transform:
    r"""NAdam (Dozat, 2016) as ``torch.optim.NAdam``.

    Momentum schedule ``mu_t = b1 (1 - 0.5 * 0.96^(t psi))`` with ``psi =
    momentum_decay``; ``denom = sqrt(v_t / (1-b2^t)) + eps``;
    ``theta_t = theta_{t-1} - lr (1-mu_t)/(1-prod mu) g/denom
    - lr mu_{t+1}/(1 - prod mu * mu_{t+1}) m_t/denom``.
    Conventions: torch's momentum schedule (``psi = 0.004``), eps outside the
    square root. Effective learning rate ``lr / denom``.
    """

    def init(params):
        return NAdamState(0, _zeros(params), _zeros(params), 1.0)

    def update(g, state, params, lr):
        count = state.count + 1
        mu = beta1 * (1.0 - 0.5 * _pow(0.96, count, momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * _pow(0.96, count + 1, momentum_decay))
        mu_product = state.mu_product * mu
        m = _ema(state.m, g, beta1)
        v = _ema(state.v, g * g, beta2)
        denom = np.sqrt(v / (1.0 - _pow(beta2, count))) + eps
        eff = lr / denom
        new_params = (params - eff * g * ((1.0 - mu) / (1.0 - mu_product))
                      - eff * m * (mu_next / (1.0 - mu_product * mu_next)))
        return new_params, NAdamState(count, m, v, mu_product), eff

    return Transform(init, update)


def radam(beta1=0.9, beta2=0.999, eps=1e-8) -> Transform:
    r"""RAdam (Liu et al., 2020) as ``torch.optim.RAdam``.

    ``rho_inf = 2/(1-b2) - 1``, ``rho_t = rho_inf - 2 t b2^t / (1-b2^t)``. While
    ``rho_t <= 5`` the step is momentum-SGD on ``m_hat`` (``lr * m_hat``); after it
    is ``lr * r_t * m_hat * sqrt(1-b2^t) / (sqrt(v_t) + eps)`` with the variance
    rectification ``r_t``. Convention (torch): eps is added to ``sqrt(v_t)``
    *before* bias correction, unlike Adam. Effective learning rate: ``lr`` during
    the warm-up, ``lr r_t sqrt(1-b2^t) / (sqrt(v_t) + eps)`` after.
    """

    def init(params):
        return AdamState(0, _zeros(params), _zeros(params), _zeros(params))

    def update(g, state, params, lr):
        count = state.count + 1
        m = _ema(state.m, g, beta1)
        v = _ema(state.v, g * g, beta2)
        bc1, bc2 = _bias_corrections(beta1, beta2, count)
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * count * _pow(beta2, count) / bc2
        rectified = rho_t > 5.0
        with np.errstate(invalid="ignore", divide="ignore"):  # both branches are computed
            # np.divide, not /: for one run these are Python floats, and at beta2 = 0.6 (rho_inf = 4)
            # the branch not taken divides by zero
            rect = np.sqrt(np.where(
                rectified,
                np.divide((rho_t - 4) * (rho_t - 2) * rho_inf, (rho_inf - 4) * (rho_inf - 2) * rho_t),
                1.0))
        eff = np.where(rectified, lr * rect * np.sqrt(bc2) / (np.sqrt(v) + eps), lr)
        eff = np.broadcast_to(eff, np.broadcast_shapes(np.shape(eff), params.shape))
        return params - (m / bc1) * eff, AdamState(count, m, v, state.v_max), eff

    return Transform(init, update)


def adamax(beta1=0.9, beta2=0.999, eps=1e-8) -> Transform:
    r"""Adamax (Kingma & Ba, 2014, section 7) as ``torch.optim.Adamax``.

    ``u_t = max(b2 u_{t-1}, |g_t| + eps)``, ``theta_t = theta_{t-1} - lr/(1-b1^t) * m_t / u_t``.
    Convention (torch): eps is added to ``|g|`` inside the max. Effective learning
    rate ``lr / u_t``, the factor on ``m_hat``.
    """

    def init(params):
        return AdamaxState(0, _zeros(params), _zeros(params))

    def update(g, state, params, lr):
        count = state.count + 1
        m = _ema(state.m, g, beta1)
        u = np.maximum(beta2 * state.u, np.abs(g) + eps)
        bc1 = 1.0 - _pow(beta1, count)
        return params - (lr / bc1) * m / u, AdamaxState(count, m, u), _lazy(np.divide, lr, u)

    return Transform(init, update)


def adadelta(rho=0.9, eps=1e-6) -> Transform:
    r"""Adadelta (Zeiler, 2012) as ``torch.optim.Adadelta``.

    ``v_t = rho v + (1-rho) g^2``; ``delta_t = sqrt(D_{t-1} + eps) / sqrt(v_t + eps) * g_t``;
    ``D_t = rho D + (1-rho) delta_t^2``; ``theta_t = theta_{t-1} - lr * delta_t``.
    Conventions (torch): eps *inside* both square roots, a learning rate ``lr``
    (default 1.0, which is the original method). Effective learning rate
    ``lr sqrt(D_{t-1} + eps) / sqrt(v_t + eps)``.
    """

    def init(params):
        return AdadeltaState(0, _zeros(params), _zeros(params))

    def update(g, state, params, lr):
        v = _ema(state.v, g * g, rho)
        ratio = np.sqrt(state.acc_delta + eps) / np.sqrt(v + eps)
        delta = ratio * g
        acc_delta = _ema(state.acc_delta, delta * delta, rho)
        return params - lr * delta, AdadeltaState(state.count + 1, v, acc_delta), _lazy(np.multiply, lr, ratio)

    return Transform(init, update)


def lion(beta1=0.9, beta2=0.99, weight_decay=0.0) -> Transform:
    r"""Lion (Chen et al., 2023), following the paper (it is not in ``torch.optim``).

    ``c_t = b1 m + (1-b1) g``; ``theta_t = theta_{t-1}(1 - lr wd) - lr sign(c_t)``;
    ``m_t = b2 m + (1-b2) g``. Every coordinate moves by exactly ``lr`` (or 0):
    the effective learning rate is ``lr`` and the direction is a sign.
    Weight decay is decoupled and multiplied by ``lr``, as in the paper.
    """

    decay = _decoupled_decay(weight_decay)

    def init(params):
        return LionState(0, _zeros(params))

    def update(g, state, params, lr):
        params = decay(params, lr)
        direction = np.sign(_ema(state.m, g, beta1))
        m = _ema(state.m, g, beta2)
        return params - lr * direction, LionState(state.count + 1, m), lr

    return Transform(init, update)


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: its default, validity rule and UI range.

    ``kind``: ``"lr"`` (finite, > 0), ``"unit"`` (in [0, 1)), ``"nonneg"`` (finite,
    >= 0), ``"pos"`` (finite, >= 1e-30) or ``"bool"``. ``low``/``high`` are the UI slider
    bounds (the engine accepts any valid value); ``log`` asks for a log-scale slider.
    ``symbol`` is LaTeX (the update rules), ``text`` the same in plain text (chart titles).
    """

    default: float | bool
    kind: str
    symbol: str
    label: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    help: str = ""
    text: str = ""

    def __post_init__(self):
        if not self.text:  # a flag is named by its label
            object.__setattr__(self, "text", self.label)


def _lr(default, low=1e-5, high=1.0, help=""):
    return Hyper(default, "lr", r"\eta", "learning rate", low, high, log=True,
                 help=help or "Step size: the scale of every update.", text="η")


def _beta(default, symbol, text, label, low=0.0, high=0.9999, help=""):
    return Hyper(default, "unit", symbol, label, low, high, help=help, text=text)


def _eps(default):
    return Hyper(default, "pos", r"\varepsilon", "epsilon", 1e-12, 1e-2, log=True,
                 help="Added to the denominator so that it is never zero.", text="ε")


def _wd(default, coupled):
    how = ("added to the gradient (coupled L2), so it is rescaled by the adaptive denominator"
           if coupled else "applied to the weights directly (decoupled), scaled by lr only")
    return Hyper(default, "nonneg", r"\lambda", "weight decay", 0.0, 0.5,
                 help=f"Pulls the weights towards 0: {how}.", text="λ")


_MOMENTUM = _beta(0.9, r"\mu", "μ", "momentum", 0.0, 0.999,
                  help="Fraction of the previous velocity kept at each step.")
_BETA1 = _beta(0.9, r"\beta_1", "β₁", "beta1", help="Decay of the first-moment (mean) average.")
_BETA2 = _beta(0.999, r"\beta_2", "β₂", "beta2", help="Decay of the second-moment (squared gradient) average.")
# How an optimiser's effective learning rate behaves over a run (``OptimizerSpec.effective_lr``).
EFFECTIVE_LR = {
    "constant": "η for every parameter, whatever the gradients",
    "falling": "divided by an accumulated sum of squared gradients: it can only fall",
    "adaptive": "divided by a moving average of gradient sizes: it settles at a level per parameter",
}


SCALES = ("decay", "log", "linear")


@dataclass(frozen=True)
class Main:
    """The hyperparameter that, beside η, most decides where an optimiser works: what a map of
    its outcome over (η, this) sweeps (``name`` None: η alone, and ``why`` says why).

    ``scale`` spaces its axis: ``"decay"`` for a decay rate near 1 (the axis is 1 − value on a
    log scale, so that 0.9, 0.99 and 0.999, memories of 10, 100 and 1000 steps, are evenly
    spaced), ``"log"`` or ``"linear"``. The range is the hyperparameter's slider range."""

    name: str | None
    scale: str = "decay"
    why: str = ""

    def values(self, hyper: Hyper, n: int) -> np.ndarray:
        """``n`` values over ``hyper``'s range, spaced by the scale, in increasing order."""
        lo, hi = float(hyper.low), float(hyper.high)
        if self.scale == "decay":
            return 1.0 - np.logspace(np.log10(1.0 - lo), np.log10(1.0 - hi), n)
        if self.scale == "log":
            return np.logspace(np.log10(lo), np.log10(hi), n)
        return np.linspace(lo, hi, n)


@dataclass(frozen=True)
class OptimizerSpec:
    """A registry entry: everything the engine, tests and dashboard need."""

    name: str
    title: str
    factory: Callable[..., Transform]
    hypers: Mapping[str, Hyper]
    latex: str
    summary: str
    fixed: Mapping[str, Any] = field(default_factory=dict)  # factory args not shown as hypers
    torch_name: str | None = None
    # Seconds per step of one run on Rosenbrock (its update, the noise, the record), measured with
    # ``python benchmarks/bench_cost.py``: the dashboard's budget estimates a job from it.
    step_seconds: float = 0.0
    # Seconds more per run x parameter per step when one of its decay rates differs from run to
    # run (a map over it): each run then pays its own powers beta^t (bias corrections); measured
    # with ``python benchmarks/bench_cost.py``.
    swept_seconds: float = 0.0
    effective_lr: str = "constant"  # a key of ``EFFECTIVE_LR``
    main: Main | None = None  # beside η, the hyperparameter that most decides where it works
    theory: theory.QuadraticTheory | None = None  # its recursion on a quadratic, where it is known

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: h.default for k, h in self.hypers.items()}

    def map_axes(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The axes of a map of this optimiser at ``n`` values each: η log-spaced over its slider
        range, and its ``main`` hyperparameter spaced by its scale (None: η alone)."""
        h = self.hypers["lr"]
        lrs = np.logspace(np.log10(h.low), np.log10(h.high), n)
        if self.main is None or self.main.name is None:
            return lrs, None
        return lrs, self.main.values(self.hypers[self.main.name], n)

    def make(self, **hyper) -> Transform:
        """The transform for validated hyperparameters (``lr`` is passed per step)."""
        args = {k: v for k, v in hyper.items() if k != "lr"}
        return self.factory(**self.fixed, **args)


_MOMENTUM_MAIN = Main("momentum", why="μ sets how much of the past each step carries: with b = μb + g a steady "
                                  "gradient g moves θ by about η/(1 − μ) times g per step, so η and μ trade "
                                  "off along a diagonal.")
_BETA2_MAIN = Main("beta2", why="β₂ sets how long the gradient's scale remembers (about 1/(1 − β₂) steps): the "
                                "decay practitioners change (0.999 to 0.98 or 0.95 for steadier training). β₁ "
                                "averages the gradient but, bias-corrected, leaves the step's size alone.")

_ADAM_LATEX = (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ "
               r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\ "
               r"\hat m_t = \frac{m_t}{1-\beta_1^t} \\ \hat v_t = \frac{v_t}{1-\beta_2^t} \\ ")


def _adam_hypers(weight_decay: Hyper) -> dict[str, Hyper]:
    """Adam's and AdamW's hyperparameters: the same but for the kind of weight decay."""
    return {
        "lr": _lr(0.001), "beta1": _BETA1, "beta2": _BETA2, "eps": _eps(1e-8), "weight_decay": weight_decay,
        "amsgrad": Hyper(False, "bool", r"\text{AMSGrad}", "AMSGrad",
                         help="Divide by the running maximum of v, so the scale never shrinks "
                              "(apart from the bias correction of that maximum)."),
        "bias_correction": Hyper(True, "bool", r"\text{bias correction}", "bias correction",
                                 help="Divide m and v by (1 - beta^t) to undo their start at zero."),
    }


def _spec(name, title, factory, hypers, latex, summary, **kw):
    return OptimizerSpec(name, title, factory, MappingProxyType(dict(hypers)), latex, summary,
                         MappingProxyType(kw.pop("fixed", {})), **kw)


OPTIMIZERS: Mapping[str, OptimizerSpec] = MappingProxyType({s.name: s for s in [
    _spec("sgd", "SGD", sgd, {"lr": _lr(0.01)},
          r"\theta_t = \theta_{t-1} - \eta\, g_t",
          "The same step size for every parameter, straight down the (noisy) gradient.",
          torch_name="SGD", step_seconds=16e-6, theory=theory.SGD,
          main=Main(None, why="SGD has η alone: its map is a strip over η.")),
    _spec("momentum", "SGD + Momentum", sgd, {"lr": _lr(0.01), "momentum": _MOMENTUM},
          r"b_t = \mu\, b_{t-1} + g_t \\ \theta_t = \theta_{t-1} - \eta\, b_t",
          "A velocity that accumulates past gradients: fast along consistent directions, damped across oscillations.",
          torch_name="SGD", step_seconds=17e-6, main=_MOMENTUM_MAIN, theory=theory.HEAVY_BALL),
    _spec("nesterov", "Nesterov", sgd, {"lr": _lr(0.01), "momentum": _MOMENTUM},
          r"b_t = \mu\, b_{t-1} + g_t \\ \theta_t = \theta_{t-1} - \eta\,(g_t + \mu\, b_t)",
          "Momentum that looks ahead: the step uses the gradient plus the next velocity.",
          fixed={"nesterov": True}, torch_name="SGD", step_seconds=18e-6, main=_MOMENTUM_MAIN, theory=theory.NESTEROV),
    _spec("adagrad", "AdaGrad", adagrad, {"lr": _lr(0.01, high=10.0), "eps": _eps(1e-10)},
          r"G_t = G_{t-1} + g_t^2 \\ \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t}+\varepsilon}\, g_t",
          "Divides each parameter's step by the root of its summed squared gradients: rare features get big steps, and every step shrinks for ever.",
          torch_name="Adagrad", step_seconds=18e-6, effective_lr="falling",
          main=Main(None, why="AdaGrad has no decay rate (its sum never forgets), and ε only keeps the "
                              "denominator off zero (far below √G): η alone.")),
    _spec("rmsprop", "RMSProp", rmsprop,
          {"lr": _lr(0.01), "rho": _beta(0.9, r"\rho", "ρ", "rho", 0.0, 0.9999,
                                         help="Decay of the moving average of squared gradients."),
           "eps": _eps(1e-8),
           "centered": Hyper(False, "bool", r"\text{centered}", "centered",
                             help="Divide by the gradient's standard deviation instead of its RMS.")},
          r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2 \\ \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t}+\varepsilon}\, g_t",
          "AdaGrad with a memory that fades: the step adapts to recent gradient size and does not die out.",
          torch_name="RMSprop", step_seconds=16e-6, effective_lr="adaptive",
          main=Main("rho", why="ρ sets how many recent squared gradients the scale averages (about 1/(1 − ρ)).")),
    _spec("adam", "Adam", adam, _adam_hypers(_wd(0.0, coupled=True)),
          _ADAM_LATEX + r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t}+\varepsilon}\,\hat m_t",
          "Momentum (first moment) divided by an RMSProp-style scale (second moment), both bias-corrected.",
          torch_name="Adam", step_seconds=24e-6, swept_seconds=0.05e-6, effective_lr="adaptive", main=_BETA2_MAIN),
    _spec("adamw", "AdamW", adam, _adam_hypers(_wd(0.01, coupled=False)),
          _ADAM_LATEX + r"\theta_t = (1-\eta\lambda)\,\theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t}+\varepsilon}\,\hat m_t",
          "Adam with weight decay applied to the weights directly, not through the adaptive gradient scale.",
          fixed={"decoupled": True}, torch_name="AdamW", step_seconds=24e-6, swept_seconds=0.05e-6,
          effective_lr="adaptive", main=_BETA2_MAIN),
    _spec("nadam", "NAdam", nadam,
          {"lr": _lr(0.002), "beta1": _BETA1, "beta2": _BETA2, "eps": _eps(1e-8),
           "momentum_decay": Hyper(4e-3, "nonneg", r"\psi", "momentum decay", 0.0, 0.05,
                                   help="Speed of the momentum schedule mu_t.", text="ψ")},
          r"\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right) \\ "
          r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t}+\varepsilon}"
          r"\left(\frac{(1-\mu_t)\, g_t}{1-\prod_{i\le t}\mu_i} + \frac{\mu_{t+1}\, m_t}{1-\prod_{i\le t+1}\mu_i}\right)",
          "Adam with Nesterov's look-ahead applied to the first moment.",
          torch_name="NAdam", step_seconds=30e-6, swept_seconds=0.05e-6, effective_lr="adaptive", main=_BETA2_MAIN),
    _spec("radam", "RAdam", radam,
          {"lr": _lr(0.001), "beta1": _BETA1, "beta2": _BETA2, "eps": _eps(1e-8)},
          r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t} \\ "
          r"\theta_t = \theta_{t-1} - \eta\, \hat m_t \cdot \begin{cases} r_t\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\varepsilon} & \rho_t > 5 \\ 1 & \text{otherwise}\end{cases}",
          "Adam that switches its adaptive scale on only once the variance estimate is trustworthy.",
          torch_name="RAdam", step_seconds=46e-6, swept_seconds=0.1e-6, effective_lr="adaptive",
          main=Main("beta2", why="β₂ sets how long the scale remembers, and how long RAdam steps with momentum "
                                 "alone (while ρ_t ≤ 5) before it adapts.")),
    _spec("adamax", "Adamax", adamax,
          {"lr": _lr(0.002), "beta1": _BETA1, "beta2": _BETA2, "eps": _eps(1e-8)},
          r"u_t = \max(\beta_2 u_{t-1},\ |g_t| + \varepsilon) \\ \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{u_t}",
          "Adam with the infinity norm: the scale is a decaying maximum of |g|.",
          torch_name="Adamax", step_seconds=17e-6, swept_seconds=0.04e-6, effective_lr="adaptive",
          main=Main("beta2", why="β₂ sets how fast its scale u, a decaying maximum of |g|, forgets a large "
                                 "gradient.")),
    _spec("adadelta", "Adadelta", adadelta,
          {"lr": _lr(1.0, low=1e-3, high=10.0),
           "rho": _beta(0.9, r"\rho", "ρ", "rho", 0.0, 0.9999, help="Decay of both moving averages."),
           "eps": _eps(1e-6)},
          r"v_t = \rho v_{t-1} + (1-\rho) g_t^2 \\ \Delta_t = \frac{\sqrt{D_{t-1}+\varepsilon}}{\sqrt{v_t+\varepsilon}}\, g_t \\ "
          r"D_t = \rho D_{t-1} + (1-\rho)\Delta_t^2 \\ \theta_t = \theta_{t-1} - \eta\,\Delta_t",
          "Step sizes in the units of the parameters: a ratio of two moving RMS values, no hand-set scale.",
          torch_name="Adadelta", step_seconds=20e-6, effective_lr="adaptive",
          main=Main("rho", why="ρ is the memory of both of its averages, the only scale it has besides η.")),
    _spec("lion", "Lion", lion,
          {"lr": _lr(1e-4, low=1e-6, high=0.1), "beta1": _BETA1,
           "beta2": _beta(0.99, r"\beta_2", "β₂", "beta2", help="Decay of the momentum kept between steps."),
           "weight_decay": _wd(0.0, coupled=False)},
          r"c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ \theta_t = (1-\eta\lambda)\theta_{t-1} - \eta\,\mathrm{sign}(c_t) \\ "
          r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
          "Only the sign of an interpolated momentum: every parameter moves by exactly the learning rate.",
          torch_name=None, step_seconds=14e-6,
          main=Main("beta2", why="β₂ is the momentum Lion keeps between steps (a memory of about 1/(1 − β₂) "
                                 "steps, the analogue of μ; the paper's tuning advice concerns it); β₁ only "
                                 "weighs this step's gradient in the sign it takes.")),
]})


def get_optimizer(name: str) -> OptimizerSpec:
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None


def _check(name, value, hyper: Hyper, opt_name):
    arr = np.asarray(value)
    if arr.dtype.kind == "c":  # numpy would drop the imaginary part (with a warning)
        raise ValueError(f"{opt_name}: {name} must be a real number, got {value!r}")
    if hyper.kind == "bool":
        if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{opt_name}: {name} must be True or False, got {value!r}")
        return arr.astype(bool)
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{opt_name}: {name} must be a number, got {value!r}") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{opt_name}: {name} must be finite, got {value!r}")
    rules = {
        "lr": (arr > 0, "must be > 0"),
        # eps below 1e-30 only adds overflow: lr / (sqrt(0) + 1e-320) is inf
        "pos": (arr >= 1e-30, "must be at least 1e-30"),
        "nonneg": (arr >= 0, "must be >= 0"),
        "unit": ((arr >= 0) & (arr < 1), "must be in [0, 1)"),
    }
    ok, message = rules[hyper.kind]
    if not ok.all():
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        raise ValueError(f"Invalid {name} for {opt_name}: {float(bad)!r} {message}")
    return arr


def validate_hypers(spec: OptimizerSpec, hyper: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Defaults filled in, unknown names refused, every value checked.

    Returns arrays (0-d or 1-d); the caller broadcasts them onto the runs axis.
    """
    unknown = set(hyper) - set(spec.hypers)
    if unknown:
        raise ValueError(f"{spec.name} has no hyperparameter {', '.join(sorted(unknown))}; "
                         f"it takes: {', '.join(spec.hypers)}")
    out = {}
    for name, h in spec.hypers.items():
        value = hyper.get(name, h.default)
        arr = _check(name, value, h, spec.name)
        if arr.ndim > 1:
            raise ValueError(f"{spec.name}: {name} must be a scalar or a 1-D array over runs, "
                             f"got shape {arr.shape}")
        out[name] = arr
    return out
