"""A data set of one's own for the network family: points on the plane and their classes.

Given as arrays, ``check_data(points, classes)`` validates them and names the first bad row
(counted from 1) in its ``ValueError``::

    >>> check_data([[0.0, 0.5], [1.0, float("nan")]], [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: row 2: x₂ is not a finite number (nan)

Rules: ``MIN_POINTS`` to ``MAX_POINTS`` points ``(n, 2)``, every coordinate finite and inside
the network's plane ``BOX`` (``[-2, 2]^2``), every class a whole number 0, 1 or 2, and the classes
used are ``0, 1`` (two classes) or ``0, 1, 2`` (three), each with at least one point.

A data set travels as text (a run spec's option, a link's value): ``encode_data`` rounds every
coordinate to the nearest multiple of ``QUANTUM`` (0.01, a 401 x 401 grid over the box; a point
moves by at most 0.005, an eighth of a percent of the plane's width) and packs the grid indices
(two bytes each, low bytes then high bytes, so that zlib finds the runs of equal high bytes) and
the classes (a byte each) after a version byte and the count, zlib-compressed and written in
base64url without padding. About 3.5 characters a point: 300 points in about 1,050 characters.
``decode_data`` reverses it and refuses anything else with a ``ValueError`` (it never inflates
more than the largest data set's bytes). Point order is kept: a row of the text is a row of the
arrays, so the train/test split (a permutation of the rows) is the same wherever it is decoded.

>>> text = encode_data([[0.123, -1.0], [1.5, 0.25], [-0.5, 0.5]] * 4, [0, 1, 1] * 4)
>>> X, y = decode_data(text)
>>> X[0].tolist(), y[:3].tolist(), encode_data(X, y) == text
([0.12, -1.0], [0, 1, 1], True)

``parse_csv(text)`` reads a CSV file of such points (``x, y, class``; a header line, a ``;`` or tab
separator and a decimal comma after ``;`` are recognised), refusing with the line named;
``fit_to_box`` moves and scales points that leave the plane into it, one factor for both axes.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
import re
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["BOX", "MAX_CLASSES", "MAX_FILE_BYTES", "MAX_POINTS", "MIN_POINTS", "QUANTUM", "Parsed",
           "check_data", "decode_data", "encode_data", "fit_to_box", "parse_csv", "quantise"]

BOX = ((-2.0, 2.0), (-2.0, 2.0))  # the input plane of the network family
MIN_POINTS = 10
MAX_POINTS = 2000
MAX_CLASSES = 3
QUANTUM = 0.01  # coordinates are kept on this grid (from -2 to 2: 401 values)
_STEPS = 100  # 1 / QUANTUM: a coordinate is (index - 200) / 100, exactly the decimal it looks like
_TOP = 400  # the largest grid index (the box's width / QUANTUM)
_VERSION = 1
_AXES = ("x₁", "x₂")
MAX_FILE_BYTES = 200_000  # an uploaded file: 2,000 rows of up to 100 characters
FIT = 1.8  # points that leave the plane are scaled to fill [-FIT, FIT] (a margin inside the box)


def _row(i: int) -> str:
    return f"row {i + 1}"


def check_data(points, classes, complete: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: ``points`` as floats ``(n, 2)`` and ``classes`` as integers ``(n,)``, checked
    (module docstring), or a ``ValueError`` that names the first row at fault. With ``complete``
    False, a draft (a data set being drawn) passes too: the rules of each row and the most points
    apply, not the fewest points nor the classes used."""
    try:
        X = np.array(points, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("the points must be numbers, two per row") from None
    try:
        c = np.array(classes, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("the classes must be numbers, one per row") from None
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"the points must have two coordinates per row (an array of shape (n, 2)), got shape "
                         f"{X.shape}")
    if c.ndim != 1 or c.shape[0] != X.shape[0]:
        raise ValueError(f"there must be one class per point: {X.shape[0]} points, classes of shape {c.shape}")
    n = X.shape[0]
    if n > MAX_POINTS:
        raise ValueError(f"a data set may have at most {MAX_POINTS:,} points; this one has {n:,} "
                         f"(row {MAX_POINTS + 1:,} is the first too many)")
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{_row(i)}: {_AXES[j]} is not a finite number ({X[i, j]})")
    (x0, x1), (y0, y1) = BOX
    outside = (X[:, 0] < x0) | (X[:, 0] > x1) | (X[:, 1] < y0) | (X[:, 1] > y1)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(f"{_row(i)}: the point ({X[i, 0]:g}, {X[i, 1]:g}) lies outside the plane "
                         f"[{x0:g}, {x1:g}] x [{y0:g}, {y1:g}]")
    known = np.isin(c, np.arange(MAX_CLASSES))
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise ValueError(f"{_row(i)}: the class {c[i]:g} is unknown (classes are 0, 1 or 2)")
    y = c.astype(int)
    if not complete:
        return X, y
    if n < MIN_POINTS:
        raise ValueError(f"a data set needs at least {MIN_POINTS} points; this one has {n}")
    used = np.unique(y)
    if used.size < 2:
        raise ValueError(f"every point is of class {used[0]}: a classifier needs two or three classes")
    missing = [k for k in range(int(used.max()) + 1) if k not in used]
    if missing:
        raise ValueError(f"class {missing[0]} has no point: the classes must be 0 and 1, or 0, 1 and 2")
    return X, y


def quantise(points) -> np.ndarray:
    """``points`` rounded to the nearest multiple of ``QUANTUM`` (the values a data set keeps)."""
    return (np.round(np.asarray(points, dtype=float) * _STEPS) / _STEPS) + 0.0  # + 0.0: no -0.0


def encode_data(points, classes, complete: bool = True) -> str:
    """The data set as text (module docstring): checked (``check_data``; a draft with ``complete``
    False), rounded to ``QUANTUM``."""
    X, y = check_data(np.reshape(points, (-1, 2)) if np.size(points) == 0 else points, classes, complete)
    q = (np.round(X * _STEPS).astype(np.int64) + _TOP // 2).astype("<u2")  # 0 .. 400
    n = X.shape[0]
    planar = b"".join(np.ascontiguousarray(q[:, j]).view(np.uint8).reshape(n, 2).T.tobytes() for j in range(2))
    raw = bytes([_VERSION]) + n.to_bytes(2, "little") + planar + y.astype(np.uint8).tobytes()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


_TEXT = re.compile(r"[A-Za-z0-9_-]*")


def max_text_length(n: int = MAX_POINTS) -> int:
    """A bound on the length of ``encode_data``'s text for ``n`` points (zlib's worst case)."""
    raw = 3 + 5 * n
    return 4 * (raw + raw // 1000 + 64) // 3 + 4


def decode_data(text: str, complete: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from ``encode_data``'s text, checked like ``check_data`` (a draft with ``complete``
    False); anything else is a ``ValueError``."""
    if not isinstance(text, str):
        raise ValueError(f"a data set must be text, got {type(text).__name__}")
    if not text:
        raise ValueError("the data set is empty")
    if len(text) > max_text_length() or not _TEXT.fullmatch(text):
        raise ValueError("is not a data set (the text of one is letters, digits, - and _ only)"
                         if len(text) <= max_text_length() else "is longer than any data set")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("is not a data set (not base64url text)") from None
    most = 3 + 5 * MAX_POINTS
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(packed, most + 1)
    except zlib.error:
        raise ValueError("is not a data set (its bytes do not inflate)") from None
    if len(raw) > most or inflate.unconsumed_tail or not inflate.eof or inflate.unused_data:
        raise ValueError("is not a data set (its bytes are not one whole data set)")
    if len(raw) < 3 or raw[0] != _VERSION:
        raise ValueError("is not a data set of a version this app reads")
    n = int.from_bytes(raw[1:3], "little")
    if len(raw) != 3 + 5 * n:
        raise ValueError(f"is not a data set (it says {n} points, and holds bytes for another number)")
    body = np.frombuffer(raw, dtype=np.uint8, offset=3)
    q = np.stack([body[2 * n * j:2 * n * (j + 1)].reshape(2, n).T.copy().view("<u2")[:, 0] for j in range(2)],
                 axis=1).astype(np.int64)
    if (q > _TOP).any():
        i = int(np.flatnonzero((q > _TOP).any(axis=1))[0])
        raise ValueError(f"{_row(i)}: the point lies outside the plane")
    X = (q - _TOP // 2) / _STEPS + 0.0
    return check_data(X.reshape(n, 2), body[4 * n:].astype(int), complete)


# ---------------------------------------------------------------------------
# A CSV file of points
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only: no "1_000", "١٢"


@dataclass(frozen=True)
class Parsed:
    """A CSV file's points as read (before any scaling), their classes 0..C-1, and the file's own
    class labels in that order (``labels[k]`` is class k)."""

    points: np.ndarray
    classes: np.ndarray
    labels: tuple[str, ...]
    header: tuple[str, ...] | None


def _number(text: str, sep: str) -> float | None:
    t = text.strip()
    if sep == ";":
        t = t.replace(",", ".")
    if not _NUMBER.fullmatch(t):
        return None
    return float(t)


def _label_order(labels: list[str]) -> list[str]:
    """Distinct labels in class order: numerically when every label is a number (``-1`` before
    ``1``, ``1.0`` the same as ``1``), else as text."""
    values = [_number(v, ",") for v in labels]
    if all(v is not None and math.isfinite(v) for v in values):
        return sorted(labels, key=lambda v: float(v))
    return sorted(labels)


def parse_csv(data: bytes | str) -> Parsed:
    """The points of a CSV file: three columns, ``x``, ``y`` and the class (any labels, at most
    three different ones; numbers are ordered numerically, text alphabetically, and become classes
    0, 1, 2). An optional header line (its first two fields not numbers) is skipped; empty lines
    too. The separator is ``,``, ``;`` (then ``1,5`` is 1.5) or a tab, from the first line.
    Anything else is a ``ValueError`` naming the line (counted from 1, as an editor counts)."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"the file has {len(data):,} bytes; at most {MAX_FILE_BYTES:,} are read "
                             f"({MAX_POINTS:,} rows of points)")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ValueError(f"the file is not UTF-8 text (byte {err.start + 1} is not)") from None
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"the file has {len(data):,} characters; at most {MAX_FILE_BYTES:,} are read")
    if "\x00" in data:
        raise ValueError("the file is not text (it holds a NUL byte)")
    lines = data.splitlines()
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        raise ValueError("the file is empty")
    sep = ";" if first.count(";") >= 2 else "\t" if first.count("\t") >= 2 else ","
    points, labels, header = [], [], None
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=sep, strict=True)
    try:
        for number, fields in enumerate(reader, start=1):
            if not "".join(fields).strip():
                continue
            fields = [f.strip() for f in fields]
            if len(fields) != 3:
                raise ValueError(f"line {number}: {len(fields)} fields; a row needs three: x, y and its class")
            x, y = _number(fields[0], sep), _number(fields[1], sep)
            if header is None and not points and x is None and y is None:
                header = tuple(fields)
                continue
            for name, value, text in (("x", x, fields[0]), ("y", y, fields[1])):
                if value is None:
                    raise ValueError(f"line {number}: {name} is not a number ({text[:20]!r})")
                if not math.isfinite(value):
                    raise ValueError(f"line {number}: {name} is not a finite number ({text[:20]!r})")
            if not fields[2]:
                raise ValueError(f"line {number}: the class is empty")
            if len(points) == MAX_POINTS:
                raise ValueError(f"line {number}: more than {MAX_POINTS:,} points; at most {MAX_POINTS:,} are read")
            label = _canonical(fields[2])
            if label not in labels and len(set(labels)) == MAX_CLASSES:
                known = ", ".join(repr(v) for v in _label_order(list(dict.fromkeys(labels))))
                raise ValueError(f"line {number}: a fourth class ({fields[2][:20]!r}); at most three ({known})")
            points.append((x, y))
            labels.append(label)
    except csv.Error as err:
        raise ValueError(f"line {reader.line_num}: not CSV ({err})") from None
    if not points:
        raise ValueError("the file has no rows of points")
    order = _label_order(list(dict.fromkeys(labels)))
    if len(order) < 2:
        raise ValueError(f"every point is of class {order[0]!r}: a classifier needs two or three classes")
    if len(points) < MIN_POINTS:
        raise ValueError(f"the file has {len(points)} points; a data set needs at least {MIN_POINTS}")
    index = {v: k for k, v in enumerate(order)}
    return Parsed(np.array(points, dtype=float), np.array([index[v] for v in labels], dtype=int),
                  tuple(order), header)


def _canonical(label: str) -> str:
    """A class label as compared: ``1``, ``1.0`` and ``+1`` are one label; text is kept as written."""
    v = _number(label, ",")
    if v is not None and math.isfinite(v):
        return repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))
    return label


def fit_to_box(points) -> tuple[np.ndarray, float, tuple[float, float]]:
    """``(moved, scale, centre)``: points inside the plane ``BOX`` are kept (scale 1, centre 0);
    points that leave it are centred on their bounding box's centre and scaled by one factor for
    both axes (shapes keep their proportions) to fill ``[-FIT, FIT]`` on the wider axis, then
    rounded to ``QUANTUM``: ``moved = (points - centre) * scale``."""
    X = np.asarray(points, dtype=float)
    (x0, x1), (y0, y1) = BOX
    if ((X[:, 0] >= x0) & (X[:, 0] <= x1) & (X[:, 1] >= y0) & (X[:, 1] <= y1)).all():
        return quantise(X), 1.0, (0.0, 0.0)
    lo, hi = X.min(0), X.max(0)
    with np.errstate(over="ignore", invalid="ignore"):
        centre = lo / 2 + hi / 2
        half = float(np.max(hi / 2 - lo / 2))
    if not math.isfinite(half) or half > 1e150:
        raise ValueError(f"the points span too wide a range to scale into the plane (x from {lo[0]:g} to "
                         f"{hi[0]:g}, y from {lo[1]:g} to {hi[1]:g})")
    scale = FIT / half if half > 0 else 1.0
    moved = np.clip(quantise((X - centre) * scale), x0, x1)
    return moved, scale, (float(centre[0]), float(centre[1]))
