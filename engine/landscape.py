"""The loss landscape of a network around trained weights (Li et al., "Visualizing the Loss
Landscape of Neural Nets", NeurIPS 2018): pure numpy, every loss from the network's batched
evaluation (``Network.value`` over many weight vectors in one call).

* **A random slice**: the training loss on a grid of ``theta* + a d1 + b d2``, where ``d1`` and
  ``d2`` are random directions, **filter-normalised**: drawn from a standard normal, then each
  filter (here a unit's incoming weight vector: a column of its layer's ``W``) scaled to the norm
  of the same filter of ``theta*``, so that a step of 1 along a direction moves every unit by its
  own size, whatever the scale of its weights. Biases are not moved (their entries of the
  directions are 0), as in the authors' code (``ignore='biasbn'``). ``a = b = 0`` is ``theta*``.
  A path ``theta_t`` is drawn on the slice by its least-squares coordinates in the plane.
* **The plane of a path**: the two principal directions of ``theta_t - theta_T`` (the path's
  recorded points less its end; PCA, centred, by SVD), with the share of the points' variance
  each explains. The path's coordinates there are its projection: where the two directions
  explain most of the variance, the path drawn is nearly the path itself.
* **A line between two solutions**: the loss at ``(1 - alpha) theta_a + alpha theta_b``, equal to
  the two final losses at ``alpha = 0`` and ``1``; its **barrier** is the most it rises above
  the straight line between those two losses for ``alpha`` in ``[0, 1]`` (Frankle et al. 2020).

A projected path is a shadow: the loss drawn under it is the loss *in the plane*, and the path
itself lies off the plane (by what its directions do not explain). It can cross contour lines it
never climbed, because at each of its points the true loss is the loss at the point itself, not at
its shadow.

>>> from engine import get_objective
>>> net = get_objective("network", n_points=60).network
>>> theta = net.init()
>>> d1, d2 = directions(net, theta, seed=0)
>>> z = plane_losses(net, theta, d1, d2, np.array([-1.0, 0.0, 1.0]), np.array([0.0]))
>>> bool(z[0, 1] == net.value(theta))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .simulate import FrozenMap

__all__ = ["DIRECTION_SEED", "Landscape", "Plane", "barrier", "directions", "evaluations", "filter_normalized",
           "landscape", "line_losses", "pca_plane", "plane_losses", "project", "weight_slices"]

DIRECTION_SEED = 0  # the random slice's directions: the same plane for every run of the same network
PAD = 0.25  # a principal plane's box: the path's extent and this share of it on each side
LINE = (-0.5, 1.5)  # the line between two solutions: alpha from here to there (the ends at 0 and 1)


def weight_slices(net) -> list[tuple[slice, slice, int, int]]:
    """Each layer's ``(W, b, n_in, n_out)``: the slices of its weights (row-major ``(n_in, n_out)``)
    and of its biases in the flat parameter vector."""
    out = []
    for (_, cut), (n_in, n_out) in zip(net.layers, net.shapes):
        w = slice(cut.start, cut.start + n_in * n_out)
        out.append((w, slice(w.stop, cut.stop), n_in, n_out))
    return out


def filter_normalized(net, theta, rng) -> np.ndarray:
    """A random direction ``(P,)`` with each filter (a unit's incoming weights: a column of ``W``)
    scaled to the norm of the same filter of ``theta``; biases 0."""
    theta = np.asarray(theta, dtype=float)
    d = rng.standard_normal(net.n_params)
    for w, b, n_in, n_out in weight_slices(net):
        dw = d[w].reshape(n_in, n_out)
        norms = np.linalg.norm(theta[w].reshape(n_in, n_out), axis=0)
        dw *= norms / np.maximum(np.linalg.norm(dw, axis=0), 1e-300)
        d[b] = 0.0
    return d


def directions(net, theta, seed: int = DIRECTION_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Two filter-normalised random directions around ``theta``, from ``seed``."""
    rng = np.random.default_rng(seed)
    return filter_normalized(net, theta, rng), filter_normalized(net, theta, rng)


def plane_losses(net, centre, d1, d2, a, b) -> np.ndarray:
    """The training loss at ``centre + a_i d1 + b_j d2``: ``(len(b), len(a))`` (row j, column i), from
    one batched evaluation of the ``len(a) x len(b)`` weight vectors."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    weights = np.empty((b.size, a.size, net.n_params))
    weights[...] = centre
    weights += a[None, :, None] * np.asarray(d1, dtype=float)  # in place: one (b, a, P) array
    weights += b[:, None, None] * np.asarray(d2, dtype=float)
    return net.value(weights)


def project(points, centre, d1, d2) -> np.ndarray:
    """Least-squares coordinates ``(T, 2)`` of ``points - centre`` in the plane of ``d1`` and ``d2``
    (they need not be orthogonal)."""
    basis = np.stack([d1, d2], axis=1)  # (P, 2)
    coords, *_ = np.linalg.lstsq(basis, (np.asarray(points) - centre).T, rcond=None)
    return coords.T


def kept(points, centre, d1, d2) -> float:
    """The share of the points' squared distance from ``centre`` that their projection onto the
    plane keeps: ``sum |proj(theta_t - c)|^2 / sum |theta_t - c|^2`` (1: they lie in the plane)."""
    m = np.asarray(points) - centre
    total = float((m * m).sum())
    if total == 0.0:
        return 1.0
    basis = np.stack([d1, d2], axis=1)
    proj = project(points, centre, d1, d2) @ basis.T
    return float((proj * proj).sum() / total)


@dataclass(frozen=True)
class Plane:
    """A plane of weight space spanned by ``d1``, ``d2``, a grid of losses on it (``loss[j, i]`` at
    ``a[i], b[j]``), and paths in it (``coords``). ``explained``: the share of the path's variance
    along each direction (a principal plane; NaN for a random one); ``kept[name]``: the share of
    that path's squared distance from its own solution that its projection onto the plane keeps."""

    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray  # (len(b), len(a))
    coords: Mapping[str, np.ndarray]  # name -> (T, 2)
    explained: tuple[float, float]
    kept: Mapping[str, float]
    d1: np.ndarray = field(repr=False, default=None)
    d2: np.ndarray = field(repr=False, default=None)


def pca_plane(path) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float]]:
    """The two principal directions of ``path - path[-1]`` (``path``: ``(T, P)``, its last point the
    solution), the path's coordinates ``(T, 2)`` along them (the solution at the origin), and the
    share of the centred points' variance each explains (0 for a path that did not move). Signs:
    the path starts at a negative coordinate on each axis (it runs left to right, bottom to top)."""
    path = np.asarray(path, dtype=float)
    m = path - path[-1]
    centred = m - m.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    total = float((s * s).sum())
    v = np.zeros((2, path.shape[1]))
    k = min(2, vt.shape[0])
    v[:k] = vt[:k]
    coords = m @ v.T
    sign = np.where(coords[0] > 0, -1.0, 1.0)
    v *= sign[:, None]
    coords *= sign
    share = [float(s[i] ** 2 / total) if total > 0 and i < s.size else 0.0 for i in range(2)]
    return v[0], v[1], coords, (share[0], share[1])


def line_losses(net, theta_a, theta_b, alphas) -> np.ndarray:
    """The training loss at ``(1 - alpha) theta_a + alpha theta_b`` for each ``alpha`` (one batched
    evaluation); exactly ``value(theta_a)`` at 0 and ``value(theta_b)`` at 1."""
    alphas = np.asarray(alphas, dtype=float)[:, None]
    return net.value((1.0 - alphas) * np.asarray(theta_a) + alphas * np.asarray(theta_b))


def barrier(alphas, losses) -> tuple[float, float]:
    """``(height, alpha)``: the most the loss rises above the straight line between its values at
    ``alpha = 0`` and ``1``, over ``alpha`` in ``[0, 1]``, and where (0 at an end: no rise)."""
    alphas, losses = np.asarray(alphas, dtype=float), np.asarray(losses, dtype=float)
    inside = (alphas >= 0) & (alphas <= 1)
    l0, l1 = losses[alphas == 0][0], losses[alphas == 1][0]
    rise = losses[inside] - ((1 - alphas[inside]) * l0 + alphas[inside] * l1)
    i = int(np.argmax(rise))
    return float(max(rise[i], 0.0)), float(alphas[inside][i]) if rise[i] > 0 else 0.0


def _box(values, pad: float = PAD) -> tuple[float, float]:
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo
    if span <= 0:
        span = max(abs(lo), 1e-3)
    return lo - pad * span, hi + pad * span


def evaluations(grid: int, paths: int, line_points: int) -> int:
    """Weight vectors ``landscape`` evaluates: a random slice and one principal plane per path
    (``grid`` x ``grid`` each, ``grid`` made odd), a line per path after the first, and the finals."""
    grid = int(grid) + 1 - int(grid) % 2
    return grid * grid * (1 + paths) + (line_points + 2) * max(paths - 1, 0) + paths


@dataclass(frozen=True)
class Landscape:
    """What ``landscape`` computes: the random slice around the first path's solution (every path
    projected onto it), each path's principal plane, and the lines from the first path's solution
    to each other's (``alphas``, ``lines[name]``; ``barriers[name]`` = ``(height, alpha)``). Its
    mappings are read-only and it pickles (a worker computes it)."""

    random: Plane
    planes: Mapping[str, Plane]
    alphas: np.ndarray
    lines: Mapping[str, np.ndarray]
    barriers: Mapping[str, tuple[float, float]]
    finals: Mapping[str, float]  # each path's final training loss


def landscape(net, paths: Mapping[str, np.ndarray], grid: int = 31, span: float = 1.0, line_points: int = 41,
              seed: int = DIRECTION_SEED) -> Landscape:
    """The landscape of ``net`` around ``paths`` (name -> recorded weights ``(T, P)``, the last row the
    solution; the first path's solution is the slice's centre): ``grid`` x ``grid`` losses on the
    random slice (``a, b`` in ``[-span, span]``; an even ``grid`` is raised by one, so that the centre
    is on it) and on each principal plane, ``line_points`` on each line (``alpha`` over ``LINE``,
    with 0 and 1 among them)."""
    if not paths:
        raise ValueError("a landscape needs at least one path")
    grid, line_points = int(grid), int(line_points)
    if not (3 <= grid <= 101) or not (3 <= line_points <= 401):
        raise ValueError(f"grid must be 3 to 101 and line_points 3 to 401, got {grid} and {line_points}")
    if not (np.isfinite(span) and 0 < span <= 10):
        raise ValueError(f"span must be in (0, 10], got {span}")
    paths = {k: np.asarray(v, dtype=float) for k, v in paths.items()}
    for name, p in paths.items():
        if p.ndim != 2 or p.shape[1] != net.n_params or not np.isfinite(p).all():
            raise ValueError(f"the path {name!r} must be finite weights of shape (T, {net.n_params})")
    first = next(iter(paths))
    centre = paths[first][-1]
    d1, d2 = directions(net, centre, seed)
    grid += 1 - grid % 2  # odd: the centre (a = b = 0) is a point of the grid
    ab = span * np.linspace(-1.0, 1.0, grid)
    ab[grid // 2] = 0.0
    random = Plane(ab, ab, plane_losses(net, centre, d1, d2, ab, ab),
                   FrozenMap({k: project(p, centre, d1, d2) for k, p in paths.items()}), (np.nan, np.nan),
                   FrozenMap({k: kept(p, p[-1], d1, d2) for k, p in paths.items()}), d1, d2)
    planes = {}
    for name, p in paths.items():
        v1, v2, coords, explained = pca_plane(p)
        a, b = np.linspace(*_box(coords[:, 0]), grid), np.linspace(*_box(coords[:, 1]), grid)
        planes[name] = Plane(a, b, plane_losses(net, p[-1], v1, v2, a, b), FrozenMap({name: coords}), explained,
                             FrozenMap({name: kept(p, p[-1], v1, v2)}), v1, v2)
    alphas = np.union1d(np.round(np.linspace(*LINE, line_points), 12), [0.0, 1.0])  # 0 and 1 exactly
    lines = {k: line_losses(net, centre, p[-1], alphas) for k, p in paths.items() if k != first}
    return Landscape(random, FrozenMap(planes), alphas, FrozenMap(lines),
                     FrozenMap({k: barrier(alphas, v) for k, v in lines.items()}),
                     FrozenMap({k: float(net.value(p[-1])) for k, p in paths.items()}))
