"""A small multilayer perceptron on 2-D classification data, as an objective family.

The parameters of one network are one flat vector of ``P`` numbers; a batch of runs
is ``(B, P)``. Packing, layer by layer from the input: the weights ``W`` of shape
``(n_in, n_out)`` in row-major order, then the biases ``b`` (``n_out``). A layer maps
``h -> h @ W + b``; hidden layers apply ``tanh`` or ``relu``, the output layer
gives logits: one unit and a sigmoid for two classes, ``C`` units and a softmax
for ``C > 2``. The loss is the mean cross-entropy over the training set, computed
stably (``logaddexp`` for the sigmoid, log-sum-exp for the softmax)::

    >>> net = build_network("moons", n_points=200)
    >>> net.sizes, net.n_params
    ((2, 16, 1), 65)
    >>> [name for name, _ in net.layers]
    ['hidden 1', 'output']
    >>> p = net.init()
    >>> net.value(p).shape, net.grad(p[None]).shape
    ((), (1, 65))

Gradients are exact (backpropagation), vectorised over runs. ``sample_grad(p, idx)``
is the mean gradient over the training rows ``idx`` (shape ``(B or 1, batch)``), the
call ``engine.simulate`` makes with rows it draws, with replacement, from the run's
seed; so a batch may be larger than the training set.

Batch invariance: every product is a stacked matmul with one ``(n, n_in) @ (n_in,
n_out)`` product per run (numpy calls BLAS once per run, with the same shapes
whatever ``B``), and every sum runs over one run's own rows. A run computed in a
batch of ``B`` equals the same run computed alone, bit for bit.

Initialisation (``init``, seeded): hidden weights Glorot/Xavier normal
(``std = sqrt(2 / (n_in + n_out))``) for ``tanh`` and He normal (``std = sqrt(2 /
n_in)``) for ``relu``; the output layer's weights Glorot normal in both cases; every
bias 0. (PyTorch's ``nn.Linear`` default is a different, uniform initialisation.)

Data (``make_data``): points in the box ``[-2, 2]^2`` without noise (``BOX``), labels
balanced over the classes; or one's own (``dataset="own"``, ``data`` the text of
``engine.owndata.encode_data``: at most 2,000 points in the box, two or three classes), to which
no noise is added. Input noise is Gaussian, added to both coordinates;
label noise reassigns a fraction of the labels, each to another class drawn
uniformly (for two classes, a flip). Points, input noise, label noise and the
train/test split each come from their own stream of the data seed, so that
raising the noise moves the same points and flips a superset of the same labels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .owndata import BOX, decode_data

__all__ = ["ACTIVATIONS", "BOX", "DATASETS", "OWN", "Network", "build_network", "make_data",
           "split_indices"]

DATASETS = ("moons", "circles", "spirals", "xor", "blobs")  # generated
OWN = "own"  # one's own data set, given as text (``engine.owndata``)
N_CLASSES = {"moons": 2, "circles": 2, "spirals": 2, "xor": 2, "blobs": 3}
ACTIVATIONS = ("tanh", "relu")
_CHUNK = 1 << 20  # floats in one layer's activations when many runs or grid points are evaluated
# OpenBLAS runs a gemm on several threads above M*N*K = 4 * 65536; on a shared 2-core server that
# costs more CPU than it saves, so evaluations (no gradient) take their points in blocks below it.
_SINGLE_THREAD_MNK = 1 << 18


def _readonly(a, dtype=float):
    a = np.array(a, dtype=dtype)
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _clean_points(dataset, y, rng):
    """Noise-free points of classes ``y``, inside ``[-1.8, 1.8]^2``."""
    n = y.size
    if dataset == "moons":  # sklearn's make_moons, centred and scaled by 1.2
        t = rng.uniform(0.0, np.pi, n)
        x0 = np.where(y == 0, np.cos(t), 1.0 - np.cos(t))
        x1 = np.where(y == 0, np.sin(t), 0.5 - np.sin(t))
        return np.stack([(x0 - 0.5) * 1.2, (x1 - 0.25) * 1.2], axis=-1)
    if dataset == "circles":  # sklearn's make_circles (factor 0.5), radii 1.6 and 0.8
        t = rng.uniform(0.0, 2.0 * np.pi, n)
        r = np.where(y == 0, 1.6, 0.8)
        return np.stack([r * np.cos(t), r * np.sin(t)], axis=-1)
    if dataset == "spirals":  # two arms of 1.5 turns, the second turned by pi
        t = rng.uniform(0.1, 1.0, n)
        a = 3.0 * np.pi * t + np.pi * y
        return np.stack([1.8 * t * np.cos(a), 1.8 * t * np.sin(a)], axis=-1)
    if dataset == "xor":  # class = the signs of x and y differ; 0.15 from the axes
        m = rng.uniform(0.15, 1.8, (n, 2))
        s = rng.choice([-1.0, 1.0], n)
        return m * np.stack([s, np.where(y == 0, s, -s)], axis=-1)
    if dataset == "blobs":  # three Gaussian blobs (std 0.35) on a circle of radius 1.1
        angle = np.deg2rad(90.0 + 120.0 * y)
        centre = 1.1 * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
        return centre + 0.35 * rng.standard_normal((n, 2))
    raise ValueError(f"Unknown data set {dataset!r}; choose one of: {', '.join(DATASETS)}")


def make_data(dataset="moons", n_points=300, input_noise=0.15, label_noise=0.0, seed=0):
    """``(X, y)``: ``n_points`` points ``(n, 2)`` and integer labels ``(n,)`` from ``seed``.

    >>> X, y = make_data("blobs", 9, seed=1)
    >>> X.shape, y.tolist()
    ((9, 2), [0, 1, 2, 0, 1, 2, 0, 1, 2])
    """
    n, n_classes = int(n_points), N_CLASSES.get(dataset, 2)
    points_ss, noise_ss, label_ss, _ = np.random.SeedSequence(int(seed)).spawn(4)
    y = np.arange(n) % n_classes
    X = _clean_points(dataset, y, np.random.default_rng(points_ss))
    X = X + input_noise * np.random.default_rng(noise_ss).standard_normal((n, 2))
    rng = np.random.default_rng(label_ss)
    order, shift = rng.permutation(n), rng.integers(1, n_classes, n)  # drawn whatever the fraction
    flip = order[:round(label_noise * n)]
    y = y.copy()
    y[flip] = (y[flip] + shift[flip]) % n_classes
    return X, y


def split_indices(n_points, test_fraction=0.2, seed=0):
    """``(train, test)`` row indices: a permutation from the data seed's own stream."""
    n = int(n_points)
    n_test = round(test_fraction * n)
    order = np.random.default_rng(np.random.SeedSequence(int(seed)).spawn(4)[3]).permutation(n)
    return order[n_test:], order[:n_test]


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def _tanh(z):
    """``tanh(z)`` in place, as ``2 / (1 + exp(-2z)) - 1`` (the exponent capped at 40, where the
    result is already -1): two to three times faster than ``np.tanh`` on large arrays here
    (numpy has no SIMD float64 tanh on this CPU), within 4e-16 of it."""
    z *= -2.0
    np.minimum(z, 40.0, out=z)
    np.exp(z, out=z)
    z += 1.0
    np.divide(2.0, z, out=z)
    z -= 1.0
    return z


def _softmax(z):
    """``softmax(z)`` over the last axis, in place (shifted by the maximum: no overflow)."""
    z -= z.max(-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(-1, keepdims=True)
    return z


def _glorot(n_in, n_out):
    return np.sqrt(2.0 / (n_in + n_out))


def _he(n_in, n_out):
    return np.sqrt(2.0 / n_in)


@dataclass(frozen=True, eq=False)
class Network:
    """A multilayer perceptron with its data; every method is vectorised over runs.

    ``p`` is ``(..., P)``: one network ``(P,)``, a batch ``(B, P)`` or any leading
    shape, and results keep that leading shape. ``layers`` names the slices of the
    flat vector (``"hidden 1"``, ``"hidden 2"``, ``"output"``; each covers W then b);
    ``shapes`` gives each layer's ``(n_in, n_out)``. ``bounds`` is the input box for a
    plot of the plane (not of the parameters). Data arrays are read-only.
    """

    dataset: str
    activation: str
    sizes: tuple  # (2, width, [width,] n_out)
    n_classes: int
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    init_seed: int = 0
    bounds: tuple = BOX

    def __post_init__(self):
        shapes = tuple(itertools.pairwise(self.sizes))
        cuts, names, start = [], [], 0
        for i, (n_in, n_out) in enumerate(shapes):
            w = slice(start, start + n_in * n_out)
            b = slice(w.stop, w.stop + n_out)
            cuts.append((w, b, n_in, n_out))
            names.append("output" if i == len(shapes) - 1 else f"hidden {i + 1}")
            start = b.stop
        set_ = object.__setattr__
        set_(self, "shapes", shapes)
        set_(self, "n_params", start)
        set_(self, "layers", tuple((name, slice(w.start, b.stop)) for name, (w, b, _, _)
                                   in zip(names, cuts)))
        set_(self, "_cuts", tuple(cuts))
        set_(self, "_tanh", self.activation == "tanh")
        set_(self, "_binary", self.n_classes == 2)
        from scipy.special import expit  # here, not at import: scipy.special loads in 0.5 s

        set_(self, "_expit", expit)
        # Targets as floats (n, n_out): the label for two classes, one-hot for more.
        set_(self, "_t_train", self._targets(self.y_train))
        set_(self, "_t_test", self._targets(self.y_test))
        # Inputs and targets side by side: sample_grad takes a mini-batch with one indexing.
        set_(self, "_rows_train", _readonly(np.concatenate([self.X_train, self._t_train], axis=1)))

    # -- packing -----------------------------------------------------------

    def _targets(self, y):
        y = np.asarray(y)
        return _readonly(y[:, None] if self._binary else np.eye(self.n_classes)[y])

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    def unpack(self, p):
        """``[(W, b), ...]`` per layer for a batch ``p`` ``(B, P)``: views, ``W`` ``(B, n_in,
        n_out)`` and ``b`` ``(B, 1, n_out)``."""
        B = p.shape[0]
        return [(p[:, w].reshape(B, n_in, n_out), p[:, b].reshape(B, 1, n_out))
                for w, b, n_in, n_out in self._cuts]

    def init(self, seed=None):
        """The seeded initial weights ``(P,)`` (``seed`` defaults to ``init_seed``)."""
        rng = np.random.default_rng(self.init_seed if seed is None else int(seed))
        hidden = _glorot if self._tanh else _he
        out = np.zeros(self.n_params)
        for i, (w, _, n_in, n_out) in enumerate(self._cuts):
            scale = (_glorot if i == len(self._cuts) - 1 else hidden)(n_in, n_out)
            out[w] = scale * rng.standard_normal(n_in * n_out)
        return out

    # -- forward and backward ---------------------------------------------

    def _forward(self, params, X):
        """Hidden activations and logits ``(B, n, n_out)`` for ``X`` ``(n, 2)`` or ``(B|1, n, 2)``."""
        acts = [X]
        h = X
        for W, b in params[:-1]:
            h = np.matmul(h, W)
            h += b
            _tanh(h) if self._tanh else np.maximum(h, 0.0, out=h)
            acts.append(h)
        W, b = params[-1]
        z = np.matmul(h, W)
        z += b
        return acts, z

    def _loss(self, z, t):
        """Per-row cross-entropy ``(B, n)`` of logits ``z`` against targets ``t`` (stable)."""
        if self._binary:
            return (np.logaddexp(0.0, z) - t * z)[..., 0]
        m = z.max(-1, keepdims=True)
        lse = np.log(np.exp(z - m).sum(-1)) + m[..., 0]
        return lse - (z * t).sum(-1)

    def _probs(self, z):
        """Class probabilities ``(B, n, C)`` from logits (``z`` is overwritten)."""
        if self._binary:
            s = self._expit(z, out=z)
            return np.concatenate([1.0 - s, s], axis=-1)
        return _softmax(z)

    def _backward(self, params, acts, z, t, g, loss=False):
        """The mean gradient over the rows behind ``acts``, written into ``g`` ``(B, P)`` (and the
        mean loss). ``z`` is overwritten."""
        n = z.shape[-2]
        value = self._loss(z, t).mean(-1) if loss else None
        dz = self._expit(z, out=z) if self._binary else _softmax(z)
        dz -= t
        dz *= 1.0 / n
        B = g.shape[0]
        for i in range(len(params) - 1, -1, -1):
            w, b, n_in, n_out = self._cuts[i]
            h = acts[i]
            # Written straight into g: one BLAS call per run, whatever the batch.
            np.matmul(h.mT, dz, out=g[:, w].reshape(B, n_in, n_out))
            np.add.reduce(dz, axis=-2, out=g[:, b])
            if i:
                dh = np.matmul(dz, params[i][0].mT)
                if self._tanh:  # d tanh = 1 - tanh^2
                    dz = np.multiply(h, h, out=h)
                    np.subtract(1.0, dz, out=dz)
                    dz *= dh
                else:
                    dz = dh
                    dz *= h > 0.0
        return value

    # -- public, vectorised over runs --------------------------------------

    def _flat(self, p):
        p = np.asarray(p, dtype=float)
        if p.shape[-1:] != (self.n_params,):
            raise ValueError(f"parameters must have shape (..., {self.n_params}), got {p.shape}")
        return p.reshape(-1, self.n_params), p.shape[:-1]

    def _logits(self, params, X):
        """Logits ``(B, n, n_out)`` at points ``X`` ``(n, 2)``, in blocks of points that keep
        each product on one BLAS thread (a point's logits do not depend on its block)."""
        step = max(1, _SINGLE_THREAD_MNK // max(a * b for a, b in self.shapes))
        if X.shape[0] <= step:
            return self._forward(params, X)[1]
        out = np.empty((params[0][0].shape[0], X.shape[0], self.n_out))
        for i in range(0, X.shape[0], step):
            out[:, i:i + step] = self._forward(params, X[i:i + step])[1]
        return out

    def _chunks(self, B, rows):
        """Slices of the runs axis that keep one layer's activations near ``_CHUNK`` floats
        (a run's numbers do not depend on the chunk)."""
        step = max(1, _CHUNK // max(1, rows * max(self.sizes[1:])))
        return [slice(i, i + step) for i in range(0, B, step)] or [slice(0, 0)]

    def _mean_loss(self, p2, X, t):
        out = np.empty(p2.shape[0])
        for c in self._chunks(p2.shape[0], X.shape[0]):
            z = self._logits(self.unpack(p2[c]), X)
            out[c] = self._loss(z, t).mean(-1)
        return out

    def value(self, p):
        """Mean training cross-entropy, shape ``p.shape[:-1]``."""
        p2, lead = self._flat(p)
        return self._mean_loss(p2, self.X_train, self._t_train).reshape(lead)

    def grad(self, p):
        """Exact gradient of ``value`` (full training set), the shape of ``p``."""
        return self.value_and_grad(p)[1]

    def value_and_grad(self, p):
        """``(value(p), grad(p))`` from one forward pass."""
        p2, lead = self._flat(p)
        B = p2.shape[0]
        vals, grads = np.empty(B), np.empty((B, self.n_params))
        for c in self._chunks(B, self.X_train.shape[0]):
            params = self.unpack(p2[c])
            acts, z = self._forward(params, self.X_train)
            vals[c] = self._backward(params, acts, z, self._t_train, grads[c], loss=True)
        return vals.reshape(lead), grads.reshape(*lead, self.n_params)

    def sample_grad(self, p, idx):
        """Mean gradient over training rows ``idx`` ``(B or 1, batch)`` for ``p`` ``(B, P)``: ``(B, P)``.

        With ``idx`` of shape ``(1, batch)`` every run sees the same rows."""
        if p.ndim != 2:
            p2, lead = self._flat(p)
            return self.sample_grad(p2, np.asarray(idx).reshape(-1, np.shape(idx)[-1])).reshape(
                *lead, self.n_params)
        params = self.unpack(p)
        rows = self._rows_train[idx]  # (B|1, batch, 2 + n_out)
        acts, z = self._forward(params, rows[..., :2])
        g = np.empty((p.shape[0], self.n_params))
        self._backward(params, acts, z, rows[..., 2:], g)
        return g

    def logits(self, p, points):
        """Output logits ``(..., G, n_out)`` at ``points`` ``(G, 2)``."""
        p2, lead = self._flat(p)
        points = np.asarray(points, dtype=float)
        out = np.empty((p2.shape[0], points.shape[0], self.n_out))
        for c in self._chunks(p2.shape[0], points.shape[0]):
            out[c] = self._logits(self.unpack(p2[c]), points)
        return out.reshape(*lead, *out.shape[1:])

    def predict_proba(self, p, points):
        """Class probabilities ``(..., G, C)`` at ``points`` ``(G, 2)`` (``C = 2`` for two classes:
        ``[1 - sigmoid, sigmoid]``), e.g. to shade a decision boundary on a grid."""
        p2, lead = self._flat(p)
        points = np.asarray(points, dtype=float)
        out = np.empty((p2.shape[0], points.shape[0], self.n_classes))
        for c in self._chunks(p2.shape[0], points.shape[0]):
            out[c] = self._probs(self._logits(self.unpack(p2[c]), points))
        return out.reshape(*lead, *out.shape[1:])

    def _loss_and_accuracy(self, p2, X, t, y):
        """Mean cross-entropy and accuracy ``(B,)`` on one data set, from one forward pass."""
        loss, acc = np.empty(p2.shape[0]), np.empty(p2.shape[0])
        for c in self._chunks(p2.shape[0], X.shape[0]):
            z = self._logits(self.unpack(p2[c]), X)
            loss[c] = self._loss(z, t).mean(-1)
            pred = (z[..., 0] > 0.0) if self._binary else z.argmax(-1)
            acc[c] = (pred == y).mean(-1)
        return loss, acc

    def metrics(self, p):
        """``{"train_loss", "test_loss", "train_accuracy", "test_accuracy"}``, each of shape
        ``p.shape[:-1]`` (mean cross-entropy; fraction of points classified right, a tie of
        logit 0 counting as class 0). ``train_loss`` equals ``value(p)`` bit for bit."""
        p2, lead = self._flat(p)
        train = self._loss_and_accuracy(p2, self.X_train, self._t_train, self.y_train)
        test = self._loss_and_accuracy(p2, self.X_test, self._t_test, self.y_test)
        return {"train_loss": train[0].reshape(lead), "test_loss": test[0].reshape(lead),
                "train_accuracy": train[1].reshape(lead), "test_accuracy": test[1].reshape(lead)}

    def latex(self) -> str:
        phi = r"\tanh" if self._tanh else r"\operatorname{relu}"
        depth = len(self.sizes) - 2
        dims = r",\ ".join(rf"W_{i + 1}\in\mathbb{{R}}^{{{a}\times {b}}}"
                           for i, (a, b) in enumerate(self.shapes))
        hidden = r"h_0 = x,\ h_l = " + phi + r"(W_l^\top h_{l-1} + b_l)\ (l = 1"
        hidden += r")" if depth == 1 else r", 2)"
        out = rf"z = W_{depth + 1}^\top h_{depth} + b_{depth + 1}"
        if self._binary:
            loss = (r"L(\theta) = \frac{1}{N}\sum_{i=1}^{N}\Big[\log\big(1 + e^{z(x_i)}\big)"
                    r" - y_i\, z(x_i)\Big],\ p(y{=}1\mid x) = \sigma(z)")
        else:
            loss = (r"L(\theta) = \frac{1}{N}\sum_{i=1}^{N}\Big[\log\sum_{c} e^{z_c(x_i)}"
                    r" - z_{y_i}(x_i)\Big],\ p(y{=}c\mid x) = \operatorname{softmax}(z)_c")
        return rf"{hidden},\quad {out},\quad {dims}\qquad {loss}"


def build_network(dataset="moons", n_points=300, input_noise=0.15, label_noise=0.0,
                  test_fraction=0.2, data_seed=0, depth=1, width=16, activation="tanh",
                  init_seed=0, data="") -> Network:
    """The network and its data (no validation of the numbers here: ``get_objective`` checks the
    options). With ``dataset="own"`` the points are ``data``'s (``n_points`` and the noises do not
    apply); ``data`` is refused with a generated data set."""
    if dataset not in (*DATASETS, OWN):
        raise ValueError(f"Unknown data set {dataset!r}; choose one of: {', '.join((*DATASETS, OWN))}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of: {', '.join(ACTIVATIONS)}")
    if dataset == OWN:
        if not data:
            raise ValueError("the data set 'own' needs its points: give them as data (engine.owndata.encode_data)")
        X, y = decode_data(data)
        n_points, n_classes = X.shape[0], int(y.max()) + 1
    else:
        if data:
            raise ValueError(f"data is for the data set 'own'; {dataset!r} makes its own points")
        X, y = make_data(dataset, n_points, input_noise, label_noise, data_seed)
        n_classes = N_CLASSES[dataset]
    train, test = split_indices(n_points, test_fraction, data_seed)
    sizes = (2, *([int(width)] * int(depth)), 1 if n_classes == 2 else n_classes)
    return Network(dataset, activation, sizes, n_classes,
                   _readonly(X[train]), _readonly(y[train], int), _readonly(X[test]),
                   _readonly(y[test], int), int(init_seed))
