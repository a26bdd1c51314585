"""The simulator: many runs of one optimiser on one objective in a single vectorised loop.

``simulate`` draws the noisy gradients and steps every run together; ``replay``
applies an optimiser to a given gradient sequence. Both go through ``_run``, the
one loop that calls the optimiser's ``update``. The loop is over steps only: the
runs axis is a numpy axis.

Gradient noise is Gaussian and depends on a run's seed alone:
``np.random.default_rng(seed).normal(0, noise, (steps, D))`` in step order. Runs
with the same seed see the same noise whatever the optimiser (common random
numbers), a run computed in a batch equals the same run computed alone, and the
chapter's experiment is reproduced exactly. The sparse objectives also sample
their data rows from the seed, through a separate stream
(``SeedSequence([1, seed])``) so that the Gaussian stream stays as above.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from math import isfinite

import numpy as np

from .objectives import Objective, get_objective
from .optimizers import effective_lr, get_optimizer, validate_hypers
from .schedules import OPTIONS as SCHEDULE_OPTIONS
from .schedules import schedule_factors
from .spec import RunSpec

__all__ = [
    "DIVERGENCE_BOUND",
    "MAX_RECORDED",
    "MAX_RUNS",
    "MAX_STEPS",
    "MAX_STEP_NUMBERS",
    "RunSpec",
    "Trace",
    "replay",
    "simulate",
]

MAX_STEPS = 100_000
MAX_RUNS = 50_000
MAX_RECORDED = 40_000_000  # floats kept in one trace (320 MB); ask for every=k or loss only
MAX_STEP_NUMBERS = 20_000_000  # numbers one step's gradient holds (runs x parameters x batch: 160 MB)
DIVERGENCE_BOUND = 1e6  # |theta| beyond this (or non-finite) stops a run
LOSS_BOUND = 1e100


@dataclass(frozen=True, eq=False)
class Trace:
    """The immutable record of ``B`` runs (every array is read-only).

    ``t`` holds the recorded step numbers (``0, every, 2*every, ..., steps``);
    ``params[i]`` and ``loss[i]`` are the state after step ``t[i]``. The per-update
    arrays (``grads``, ``eff_lr``, ``delta``) have one row per recorded update:
    row ``i`` is the update that produced ``params[i + 1]``. ``grads`` are the
    gradients the optimiser saw (noise added, clipped; before any weight decay);
    ``delta`` is the change it made, ``theta_t - theta_{t-1}``, and ``state`` (with
    ``record_state``) its state after that update.
    ``stopped_at[r]`` is the update step at which run ``r`` diverged and was
    stopped (``-1`` if it did not): its parameters left ``+-DIVERGENCE_BOUND`` (or
    were not finite), its loss reached ``LOSS_BOUND`` (or was not finite), or the
    gradient of that update was not finite. From that step on its ``params`` and
    ``loss`` hold its last good values and its ``grads``, ``eff_lr``, ``delta`` and
    ``state`` rows are 0.
    ``hyper`` and ``state`` are read-only mappings; a pickled copy is read-only too.
    """

    objective: str
    optimizer: str
    hyper: Mapping[str, np.ndarray]
    steps: int
    t: np.ndarray
    loss: np.ndarray
    final_params: np.ndarray
    final_loss: np.ndarray
    stopped_at: np.ndarray
    start: np.ndarray
    seed: np.ndarray
    noise: np.ndarray
    lr_factors: np.ndarray
    n_grad: np.ndarray
    params: np.ndarray | None = None
    grads: np.ndarray | None = None
    eff_lr: np.ndarray | None = None
    delta: np.ndarray | None = None
    state: Mapping[str, np.ndarray] = field(default_factory=lambda: FrozenMap())

    def __setstate__(self, state):
        # Unpickled numpy arrays come back writeable: freeze them again.
        for key, value in state.items():
            object.__setattr__(self, key, _freeze(value))

    @property
    def runs(self) -> int:
        return self.final_params.shape[0]

    @property
    def dim(self) -> int:
        return self.final_params.shape[1]

    @property
    def diverged(self) -> np.ndarray:
        return self.stopped_at >= 0

    @property
    def t_update(self) -> np.ndarray:
        """Step number of each row of the per-update arrays."""
        return self.t[1:]


class FrozenMap(Mapping):
    """A read-only ``{name: array}`` mapping that, unlike ``MappingProxyType``, pickles."""

    def __init__(self, data=()):
        self._data = {k: _freeze(v) for k, v in dict(data).items()}

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return f"FrozenMap({self._data!r})"

    def __setstate__(self, state):
        self.__init__(state["_data"])


def _freeze(a):
    if isinstance(a, np.ndarray):
        a.flags.writeable = False
    return a


def _as_runs(name, value, dtype=float):
    arr = np.asarray(value)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array over runs, got shape {arr.shape}")
    _refuse_complex(name, arr, value)
    try:
        return arr.astype(dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None


def _n_runs(sizes: Mapping[str, int]) -> int:
    empty = [k for k, v in sizes.items() if v == 0]
    if empty:
        raise ValueError(f"{empty[0]} is empty: give one value, or one per run")
    n = {s for s in sizes.values() if s != 1}
    if len(n) > 1:
        detail = ", ".join(f"{k}: {v}" for k, v in sizes.items() if v != 1)
        raise ValueError(f"Arrays over runs must have one length (or 1); got {detail}")
    return n.pop() if n else 1


def _scalar_or_column(arr: np.ndarray, dim: int | None = None, order="C"):
    """A python scalar for a size-1 array (fast in numpy ops), else one value per run:
    a ``(B, 1)`` column, or with ``dim`` a ``(B, dim)`` array in the parameters' memory
    ``order`` (numpy's broadcasting of a column over a short last axis, or an operation
    that mixes memory orders, is several times slower)."""
    if arr.size == 1:
        return arr.reshape(()).item()
    col = arr.reshape(-1, 1)
    return col if dim is None else np.array(np.broadcast_to(col, (col.shape[0], dim)), order=order)


def _order(runs: int, dim: int) -> str:
    """Memory order of a batch's ``(B, D)`` arrays: in 2-D, each coordinate contiguous over the
    runs (Fortran order), so that the objectives' ``p[..., 0]`` and ``p[..., 1]`` are contiguous
    reads and the optimisers' elementwise updates keep that order. Not for more parameters: a
    sum over them would then run in another order, and a run in a batch would no longer equal
    the same run alone, bit for bit."""
    return "F" if runs > 1 and dim == 2 else "C"


def _check_int(name, value, low, high):
    try:
        whole = not isinstance(value, (bool, np.bool_, str, bytes)) and float(value).is_integer()
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if not (low <= value <= high):
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _refuse_complex(name, arr: np.ndarray, value) -> None:
    if arr.dtype.kind == "c":  # numpy would drop the imaginary part (with only a warning)
        raise ValueError(f"{name} must be real, got {value!r}")


def _float_array(name, value) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None
    _refuse_complex(name, arr, value)
    try:
        return arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None


def _start_points(objective: Objective, start) -> np.ndarray:
    arr = _float_array("start", objective.start if start is None else start)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != objective.dim:
        raise ValueError(f"start must have shape ({objective.dim},) or (runs, {objective.dim}) "
                         f"for {objective.name}, got {np.shape(start)}")
    if not np.isfinite(arr).all():
        raise ValueError("start must be finite")
    if (np.abs(arr) >= DIVERGENCE_BOUND).any():
        raise ValueError(f"start must lie within +-{DIVERGENCE_BOUND:g}")
    return arr


def _lr_factors(steps, schedule, schedule_options):
    if isinstance(schedule, str):
        options = dict(schedule_options or {})
        unknown = set(options) - set(SCHEDULE_OPTIONS)
        if unknown:
            raise ValueError(f"Unknown schedule option {', '.join(sorted(map(str, unknown)))}; "
                             f"the options are: {', '.join(SCHEDULE_OPTIONS)}")
        return schedule_factors(schedule, steps, **options)
    factors = _float_array("schedule", schedule)
    if factors.shape != (steps,) or not np.isfinite(factors).all() or (factors < 0).any():
        raise ValueError(f"a schedule array must hold {steps} finite factors >= 0")
    return factors


def _clip(g, clip_norm, clip_value):
    """torch's ``clip_grad_norm_`` (per run: ``g * min(1, c / (|g| + 1e-6))``) and ``clip_grad_value_``."""
    if clip_value is not None:
        g = np.clip(g, -clip_value, clip_value)
    if clip_norm is not None:
        norm = np.sqrt((g * g).sum(-1, keepdims=True))
        g = g * np.minimum(1.0, clip_norm / (norm + 1e-6))
    return g


def _check_clip(name, value):
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = np.nan
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0 (or None for no clipping), got {value!r}")
    return value


BLOCK_NUMBERS = 2_000_000  # random numbers drawn at a time (16 MB): a long run's noise is not all held at once


class _Blocks:
    """The per-step rows of a run's random draws, made a block of steps at a time (``make(n)``
    gives the next ``n`` steps' rows): memory bounded whatever the run's length, and the same
    numbers as drawing every step at once (a generator's stream does not depend on how it is cut).
    Steps are asked for in order."""

    def __init__(self, make, steps: int, per_step: int):
        self.make, self.steps = make, steps
        self.block = max(1, min(steps, BLOCK_NUMBERS // max(per_step, 1)))
        self.first, self.rows = 0, make(self.block)

    def __getitem__(self, t: int):
        i = t - self.first
        if i >= len(self.rows):
            self.first, i = t, 0
            self.rows = self.make(min(self.block, self.steps - t))
        return self.rows[i]


def _stack_broadcast(values, shape):
    """Stack per-step values that are all scalars, or all arrays broadcastable to ``shape``
    (an optimiser returns the same kind of effective learning rate at every step)."""
    if np.ndim(values[0]) == 0:
        return np.broadcast_to(np.asarray(values, dtype=float)[:, None, None],
                               (len(values), *shape)).copy()
    if np.shape(values[0]) == shape:
        return np.stack(values)
    return np.stack([np.broadcast_to(v, shape) for v in values])


def _run(spec, hyper, grad_fn: Callable[[np.ndarray, int], np.ndarray], params0, steps,
         factors, *, clip_norm=None, clip_value=None, value_fn=None, record="full", every=1,
         record_state=False, value_grad_fn=None):
    """The loop over steps shared by ``simulate`` and ``replay``.

    Returns a dict of raw arrays; the callers wrap them in a ``Trace``.
    """
    runs, dim = params0.shape
    order = _order(runs, dim)
    cols = {k: _scalar_or_column(v, dim, order) for k, v in hyper.items()}
    lr = cols.pop("lr")
    transform = spec.make(**cols)
    update = transform.update
    params = params0.copy(order=order)
    state = transform.init(params)
    alive = np.ones((runs, 1), dtype=bool)
    stopped_at = np.full(runs, -1)
    any_stopped = False

    rec_params, rec_grads, rec_eff, rec_delta, rec_state = [params], [], [], [], []
    t_rec = np.unique(np.r_[np.arange(0, steps + 1, every), steps])
    # Loss every step with a fused (value, grad): the loss of step t is taken with the gradient
    # of step t + 1 (the same parameters), and the last one after the loop.
    fused = record == "loss" and every == 1 and value_grad_fn is not None
    if record == "loss":  # written in place: a sweep's loss table can be large
        rec_loss = np.empty((len(t_rec), runs))
        if not fused:
            rec_loss[0] = value_fn(params)
        n_loss = 1
    # The learning rate of each step: lr itself when there is no schedule (1.0 * lr is lr),
    # Python floats for one run, else one (B, D) product per step.
    constant = bool((factors == 1.0).all())
    lr_list = (lr * factors).tolist() if np.ndim(lr) == 0 else None
    factor_list = factors.tolist()
    clipping = clip_norm is not None or clip_value is not None
    full = record == "full"
    # With every step recorded, divergence is found afterwards from the recorded
    # parameters (same result, no per-step check); otherwise it is checked here.
    check = not (full and every == 1)
    max_all, sum_all = np.maximum.reduce, np.add.reduce  # a.max(), a.sum() less the method's overhead
    with np.errstate(all="ignore"):
        for t in range(steps):
            if fused:
                rec_loss[t], g = value_grad_fn(params, t)
            else:
                g = grad_fn(params, t)
            if clipping:
                g = _clip(g, clip_norm, clip_value)
            if check and any_stopped:
                g = np.where(alive, g, 0.0)  # a stopped run may sit where its gradient is not finite
            lr_t = lr if constant else lr_list[t] if lr_list is not None else factor_list[t] * lr
            new_params, state, eff = update(g, state, params, lr_t)
            if check:
                if any_stopped:
                    new_params = np.where(alive, new_params, params)
                # A non-finite gradient stops a run too: Lion's sign() would step on finitely.
                if not (max_all(np.abs(new_params), None) < DIVERGENCE_BOUND and isfinite(sum_all(g, None))):
                    bad = (~(np.abs(new_params) < DIVERGENCE_BOUND).all(-1, keepdims=True)
                           | ~np.isfinite(g).all(-1, keepdims=True)) & alive
                    stopped_at[bad[:, 0]] = t + 1
                    alive &= ~bad
                    any_stopped = True
                    new_params = np.where(alive, new_params, params)
            s = t + 1
            if s % every == 0 or s == steps:
                if full:
                    rec_params.append(new_params)
                    rec_grads.append(g)
                    rec_eff.append(effective_lr(eff))
                    if every > 1:
                        rec_delta.append(new_params - params)
                    if record_state:
                        rec_state.append(state)
                elif not fused:
                    rec_loss[n_loss] = value_fn(new_params)
                    n_loss += 1
            params = new_params
        if fused:
            rec_loss[steps] = value_fn(params)

    out = {"t": t_rec, "final_params": params, "stopped_at": stopped_at}
    if record == "full":
        out["params"] = np.stack(rec_params)
        out["grads"] = np.stack(rec_grads)
        out["eff_lr"] = _stack_broadcast(rec_eff, (runs, dim))
        # With every step recorded, the step taken is the same subtraction done afterwards.
        with np.errstate(all="ignore"):  # a diverged run's inf - inf is held afterwards
            out["delta"] = np.diff(out["params"], axis=0) if every == 1 else np.stack(rec_delta)
        if record_state and rec_state:
            out["state"] = {name: np.stack([getattr(s, name) for s in rec_state])
                            for name in rec_state[0]._fields
                            if np.shape(getattr(rec_state[0], name)) == (runs, dim)}
    else:
        out["loss"] = rec_loss
    return out


def _sanitise(out, value_fn):
    """Loss checks, then: nothing non-finite after a run's stop reaches the caller."""
    t = out["t"]
    stopped_at = out["stopped_at"]
    with np.errstate(all="ignore"):
        loss = out["loss"] if "loss" in out else value_fn(out["params"])
        # A loss that overflows while the parameters stay bounded also stops a run.
        bad = ~((loss < LOSS_BOUND) & (loss > -LOSS_BOUND))  # NaN too, with no temporary |loss|
        if "params" in out:
            bad |= ~(np.abs(out["params"]) < DIVERGENCE_BOUND).all(-1)
            # a non-finite gradient, effective learning rate or optimiser state (say g**2 overflowing
            # in v): the update it belongs to (row i -> params[i + 1]) stops the run
            bad[1:] |= ~np.isfinite(out["grads"]).all(-1)
            bad[1:] |= ~np.isfinite(out["eff_lr"]).all(-1)
            for arr in out.get("state", {}).values():
                bad[1:] |= ~np.isfinite(arr).all(-1)
        any_bad = bad.any(0)
        first = np.where(any_bad, bad.argmax(0), -1) if any_bad.any() else np.full(len(stopped_at), -1)
    found = np.where(first > 0, t[np.maximum(first, 0)], -1)
    earlier = (found > 0) & ((stopped_at < 0) | (found < stopped_at))
    stopped_at = np.where(earlier, found, stopped_at)
    out["stopped_at"] = stopped_at
    if (first == 0).any():
        raise ValueError("the objective is not finite at the start point")
    if (stopped_at < 0).all():  # nothing stopped: nothing to hold (the usual case, and a sweep's table is big)
        out["loss"] = loss
        return out
    after = t[None, :] >= np.where(stopped_at >= 0, stopped_at, np.iinfo(int).max)[:, None]  # (B, n)
    # Runs stopped inside the loop were frozen there; runs found here are held now.
    held = after & earlier[:, None]
    if after.any():
        last_good = np.where(held, 0, np.arange(len(t))[None, :]).max(1)  # index before the stop
        run_idx = np.nonzero(held)
        loss = loss.copy()
        loss[run_idx[1], run_idx[0]] = loss[last_good[run_idx[0]], run_idx[0]]
        if "params" in out:
            params = out["params"].copy()
            params[run_idx[1], run_idx[0]] = params[last_good[run_idx[0]], run_idx[0]]
            out["params"] = params
            out["final_params"] = params[-1]
            upd = after[:, 1:].T  # (n-1, B): updates at or after the stop
            for key in ("grads", "eff_lr", "delta"):
                out[key] = np.where(upd[..., None], 0.0, out[key])
            for key, arr in out.get("state", {}).items():
                out["state"][key] = np.where(upd[..., None], 0.0, arr)
    out["loss"] = loss
    return out


def _trace(objective_name, spec, hyper, steps, out, start, seed, noise, factors, value_fn):
    out = _sanitise(out, value_fn)
    runs = out["final_params"].shape[0]
    stopped_at = out["stopped_at"]
    n_grad = np.where(stopped_at >= 0, stopped_at, steps)
    hyper_runs = FrozenMap({k: np.broadcast_to(v, (runs,)).copy() for k, v in hyper.items()})
    arrays = {k: _freeze(np.ascontiguousarray(v)) for k, v in out.items() if k != "state"}
    state = FrozenMap(out.get("state", {}))
    return Trace(
        objective=objective_name, optimizer=spec.name, hyper=hyper_runs, steps=steps,
        t=arrays["t"], loss=arrays["loss"], final_params=arrays["final_params"],
        final_loss=_freeze(out["loss"][-1].copy()), stopped_at=arrays["stopped_at"],
        start=_freeze(np.broadcast_to(start, (runs, start.shape[1])).copy()),
        seed=_freeze(np.broadcast_to(seed, (runs,)).copy()),
        noise=_freeze(np.broadcast_to(noise, (runs,)).astype(float)),
        lr_factors=_freeze(factors.copy()), n_grad=_freeze(n_grad),
        params=arrays.get("params"), grads=arrays.get("grads"), eff_lr=arrays.get("eff_lr"),
        delta=arrays.get("delta"), state=state)


def _validate_common(steps, record, every):
    steps = _check_int("steps", steps, 1, MAX_STEPS)
    every = _check_int("every", every, 1, max(steps, 1))
    if record not in ("full", "loss"):
        raise ValueError(f"record must be 'full' or 'loss', got {record!r}")
    return steps, every


def _check_size(runs, dim, steps, every, record, batch=1):
    n_rec = steps // every + 2
    floats = runs * n_rec * (4 * dim if record == "full" else 1)
    if runs > MAX_RUNS:
        raise ValueError(f"{runs} runs is more than the cap of {MAX_RUNS}")
    if runs * dim * batch > MAX_STEP_NUMBERS:
        raise ValueError(
            f"one step of {runs} runs x {dim} parameters x {batch} samples per gradient holds "
            f"{runs * dim * batch:,} numbers (cap {MAX_STEP_NUMBERS:,}): fewer runs or a smaller batch")
    if floats > MAX_RECORDED:
        raise ValueError(
            f"recording {runs} runs x {n_rec} steps x {dim} parameters needs {floats:,} numbers "
            f"(cap {MAX_RECORDED:,}): record every k-th step (every=k) or the loss only "
            "(record='loss')")


def simulate(spec=None, /, *args, **kwargs) -> Trace:
    """Run an optimiser on an objective for ``steps`` steps; many runs at once.

    ``spec`` is a ``RunSpec``, or the arguments of ``RunSpec.of`` (the one place the run
    signature is written): ``simulate("rosenbrock", "adam", 2000, lr=np.logspace(-4, -1, 1920))``
    is a learning-rate sweep of 1920 runs. ``start`` (``(D,)`` or ``(B, D)``; default the
    objective's start), ``seed`` and ``noise`` (scalars or ``(B,)``) and every hyperparameter
    (scalar or ``(B,)``) broadcast into the runs axis; ``grid`` sweeps every combination of
    its axes.

    ``objective`` is a name (options in ``objective_options``) or an ``Objective`` from
    ``get_objective(name, **options)``. ``schedule`` is a name from ``SCHEDULES`` (options in
    ``schedule_options``) or an array of ``steps`` learning-rate factors. ``clip_value`` then
    ``clip_norm`` clip the noisy gradient per run (torch's ``clip_grad_value_``/
    ``clip_grad_norm_``). ``record="full"`` keeps params, loss, grads, effective learning rates
    and steps every ``every`` steps (and the optimiser state with ``record_state``);
    ``record="loss"`` keeps the loss only. Raises ``ValueError`` on invalid input.
    """
    if isinstance(spec, RunSpec):
        if args or kwargs:
            raise TypeError("simulate(spec) takes a RunSpec alone, or the arguments of RunSpec.of")
        return _simulate(spec)
    if spec is None:  # simulate(objective=..., optimizer=..., ...)
        spec = kwargs.pop("objective", None)
    # An ``Objective`` object is used as given (it may not be one the registry builds).
    return _simulate(RunSpec.of(spec, *args, **kwargs), spec if isinstance(spec, Objective) else None)


def _simulate(run: RunSpec, obj: Objective | None = None) -> Trace:
    if run.grid and run.runs > MAX_RUNS:  # before the grid is spread out
        raise ValueError(f"{run.runs} runs is more than the cap of {MAX_RUNS}")
    hyper, seed, noise = run.per_run()
    start = None if run.start is None else np.asarray(run.start)
    schedule = np.asarray(run.schedule) if isinstance(run.schedule, tuple) else run.schedule
    record, record_state = run.record, run.record_state
    if obj is None:
        obj = get_objective(run.objective, **dict(run.objective_options))
    spec = get_optimizer(run.optimizer)
    steps, every = _validate_common(run.steps, record, run.every)
    hyper = validate_hypers(spec, hyper)
    start_arr = _start_points(obj, start)
    seed_arr = _as_runs("seed", seed, dtype=float)
    if not (np.isfinite(seed_arr).all() and (seed_arr >= 0).all()
            and (seed_arr == np.round(seed_arr)).all() and (seed_arr < 2**63).all()):
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    seed_arr = seed_arr.astype(np.int64)
    noise_arr = _as_runs("noise", noise)
    if not (np.isfinite(noise_arr).all() and (noise_arr >= 0).all()):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    clip_norm = _check_clip("clip_norm", run.clip_norm)
    clip_value = _check_clip("clip_value", run.clip_value)
    sizes = {"start": start_arr.shape[0], "seed": seed_arr.size, "noise": noise_arr.size,
             **{k: v.size for k, v in hyper.items()}}
    runs = _n_runs(sizes)
    _check_size(runs, obj.dim, steps, every, record, int(obj.options.get("batch_size", 1)) if obj.stochastic else 1)
    factors = _lr_factors(steps, schedule, dict(run.schedule_options))
    params0 = np.broadcast_to(start_arr, (runs, obj.dim)).copy()

    # Random streams: one generator per distinct seed, shared by the runs that use it.
    seeds, inverse = np.unique(np.broadcast_to(seed_arr, (runs,)), return_inverse=True)
    shared = seeds.size == 1
    noise_col = _scalar_or_column(noise_arr)
    add_noise = bool(noise_arr.any())
    order = _order(runs, obj.dim)  # the memory layout _run gives the parameters
    if add_noise:
        generators = [np.random.default_rng(int(s)) for s in seeds]

        def noise_block(n):
            z = np.stack([g.standard_normal((n, obj.dim)) for g in generators], axis=1)  # (n, U, D)
            z = z if shared else z[:, inverse]
            if np.ndim(noise_col) == 0:
                z = z * noise_col  # == default_rng(seed).normal(0, noise, (T, D)) bit for bit
            if not shared and order == "F":  # each z[t] laid out as the parameters
                z = np.ascontiguousarray(z.transpose(0, 2, 1)).transpose(0, 2, 1)
            return z
    if obj.stochastic:
        batch = obj.options["batch_size"]
        samplers = [np.random.default_rng(np.random.SeedSequence([1, int(s)])) for s in seeds]

        def index_block(n):
            idx = np.stack([g.integers(0, obj.n_samples, (n, batch)) for g in samplers], axis=1)
            return idx if shared else idx[:, inverse]  # (n, 1 or B, batch)

        idx = _Blocks(index_block, steps, runs * batch)

    if obj.stochastic:
        sample_grad = obj.sample_grad

        def base(p, t):
            return sample_grad(p, idx[t])
    else:
        objective_grad = obj.grad

        def base(p, t):
            return objective_grad(p)

    if not add_noise:
        noisy = None
    elif shared and runs > 1 and obj.dim <= 4 and np.ndim(noise_col) == 0:
        # One noise row for every run: added one coordinate at a time (the same additions;
        # numpy broadcasts a (1, D) row over (B, D) several times more slowly).
        def row_block(n):
            z = noise_block(n)[:, 0]
            return list(zip(*(z[:, k].tolist() for k in range(obj.dim))))

        rows = _Blocks(row_block, steps, obj.dim)

        def noisy(g, t):
            for k, zk in enumerate(rows[t]):
                g[:, k] += zk
            return g
    elif np.ndim(noise_col) == 0:  # the noise is already scaled
        z = _Blocks(noise_block, steps, runs * obj.dim)

        def noisy(g, t):
            return g + z[t]
    else:
        z = _Blocks(noise_block, steps, runs * obj.dim)
        scale = _scalar_or_column(noise_arr, obj.dim, order)

        def noisy(g, t):
            return g + z[t] * scale

    if noisy is None:
        grad_fn = base
    else:

        def grad_fn(p, t):
            return noisy(base(p, t), t)

    value_grad_fn = None
    if obj.value_and_grad is not None and not obj.stochastic:
        value_and_grad = obj.value_and_grad

        def value_grad_fn(p, t):
            value, g = value_and_grad(p)
            return value, (g if noisy is None else noisy(g, t))

    out = _run(spec, hyper, grad_fn, params0, steps, factors, clip_norm=clip_norm,
               clip_value=clip_value, value_fn=obj.value, record=record, every=every,
               record_state=record_state, value_grad_fn=value_grad_fn)
    return _trace(obj.name, spec, hyper, steps, out, start_arr, seed_arr, noise_arr, factors,
                  obj.value)


def replay(optimizer: str, grads, start, *, schedule="constant", schedule_options=None,
           record_state: bool = False, return_trace: bool = False, **hyper):
    """Apply ``optimizer`` to a given gradient sequence ``grads`` of shape ``(T, runs, D)``.

    Returns the path ``(T + 1, runs, D)`` (or the full ``Trace`` with
    ``return_trace=True``; its loss is 0, there being no objective). The update
    code is the one ``simulate`` uses, so replaying a trace's ``grads`` with the
    same optimiser gives back its ``params``.
    """
    spec = get_optimizer(optimizer)
    g_all = _float_array("grads", grads)
    if g_all.ndim != 3:
        raise ValueError(f"grads must have shape (steps, runs, D), got {g_all.shape}")
    if not np.isfinite(g_all).all():
        raise ValueError("grads must be finite")
    steps, runs, dim = g_all.shape
    steps, _ = _validate_common(steps, "full", 1)
    hyper = validate_hypers(spec, hyper)
    start_arr = _float_array("start", start)
    start_arr = start_arr[None, :] if start_arr.ndim == 1 else start_arr
    if start_arr.ndim != 2 or start_arr.shape[-1] != dim or start_arr.shape[0] not in (1, runs):
        raise ValueError(f"start must have shape ({dim},) or ({runs}, {dim}), got {np.shape(start)}")
    if not np.isfinite(start_arr).all():
        raise ValueError("start must be finite")
    if (np.abs(start_arr) >= DIVERGENCE_BOUND).any():
        raise ValueError(f"start must lie within +-{DIVERGENCE_BOUND:g}")
    runs = _n_runs({"grads": runs, **{k: v.size for k, v in hyper.items()}})
    if g_all.shape[1] != runs:
        g_all = np.broadcast_to(g_all, (steps, runs, dim))
    _check_size(runs, dim, steps, 1, "full")
    factors = _lr_factors(steps, schedule, schedule_options)
    params0 = np.broadcast_to(start_arr, (runs, dim)).copy()
    out = _run(spec, hyper, lambda p, t: g_all[t], params0, steps, factors,
               record_state=record_state)

    def zero_loss(p):
        return np.zeros(p.shape[:-1])

    trace = _trace("replay", spec, hyper, steps, out, start_arr, np.zeros(1, dtype=np.int64),
                   np.zeros(1), factors, zero_loss)
    return trace if return_trace else trace.params
