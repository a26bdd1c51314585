"""A student's own data set for the Neural network page, as the page keeps it (no Streamlit).

The data set is one value, the text of ``engine.owndata.encode_data`` (the page's ``nn.points``
control): in the student's session, and in the link when it fits (``fields.MAX_DATA_URL``). While
it is drawn it may be a draft (fewer than ``MIN_POINTS`` points, or one class); ``problem`` says
what it still needs before a network can learn it. It starts as a copy of the two moons
(``starting_data``, the control's default: a link leaves it out), and changes by a click
(``add_point``), ``undo``, ``cleared`` or an uploaded file (``from_file``: read, checked, moved
into the plane, and said how).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.network import make_data
from engine.owndata import (
    BOX,
    MAX_POINTS,
    MIN_POINTS,
    check_data,
    decode_data,
    encode_data,
    fit_to_box,
    parse_csv,
)

START_POINTS = 100  # the starting copy of the two moons: few enough to edit point by point
CLASS_NAMES = ("blue", "orange", "green")  # ui.views.network.CLASS_COLORS, in words


def starting_data() -> str:
    """A copy of the two moons (100 points, the page's default noise, data seed 0), in the plane."""
    X, y = make_data("moons", START_POINTS, 0.15, 0.0, 0)
    (x0, x1), (y0, y1) = BOX
    return encode_data(np.clip(X, [x0, y0], [x1, y1]), y)


def points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a data set or draft (none for ``""``)."""
    if not text:
        return np.zeros((0, 2)), np.zeros(0, dtype=int)
    return decode_data(text, complete=False)


def cleared() -> str:
    """The draft with no points."""
    return encode_data(np.zeros((0, 2)), np.zeros(0), complete=False)


def add_point(text: str, point, cls: int) -> str:
    """The draft with one more point of class ``cls`` (the point rounded to the data set's grid);
    unchanged when it is full or the point is not a point of the plane."""
    X, y = points(text)
    try:
        p = np.array(point, dtype=float).reshape(1, 2)
        return encode_data(np.vstack([X, p]), np.append(y, int(cls)), complete=False)
    except (TypeError, ValueError):
        return text


def undo(text: str) -> str:
    """The draft without its last point."""
    X, y = points(text)
    return encode_data(X[:-1], y[:-1], complete=False) if len(y) else text


def problem(text: str) -> str | None:
    """What the draft still needs before a network can learn it (None: it is a data set)."""
    X, y = points(text)
    n, used = len(y), sorted(set(y.tolist()))
    if n < MIN_POINTS:
        more = MIN_POINTS - n
        return (f"Your data has {n} point{'s' if n != 1 else ''}: add at least {more} more (a network needs "
                f"{MIN_POINTS} to learn from).")
    if len(used) < 2:
        other = CLASS_NAMES[1 if used == [0] else 0]
        return f"Every point is {CLASS_NAMES[used[0]]}: add some of another class ({other}, say)."
    if used != list(range(len(used))):
        missing = next(k for k in range(max(used) + 1) if k not in used)
        return (f"There is no {CLASS_NAMES[missing]} point: with {CLASS_NAMES[max(used)]} points, the classes "
                f"before it must have points too (add a {CLASS_NAMES[missing]} one).")
    check_data(X, y)  # every rule else holds for a draft already
    return None


@dataclass(frozen=True)
class Upload:
    """A file made into a data set: its text, and what was done to it, in a sentence."""

    text: str
    note: str


def from_file(data: bytes, name: str = "the file") -> Upload:
    """The data set of a CSV file (``engine.owndata.parse_csv``), moved into the plane if it leaves
    it, or a ``ValueError`` naming the line at fault."""
    parsed = parse_csv(data)
    moved, scale, centre = fit_to_box(parsed.points)
    text = encode_data(moved, parsed.classes)
    classes = ", ".join(f"{CLASS_NAMES[k]} = {label!r}" for k, label in enumerate(parsed.labels))
    note = f"Read {len(moved):,} points from {name} (classes: {classes})."
    if scale != 1.0:
        lo, hi = parsed.points.min(0), parsed.points.max(0)
        note += (f" They spanned x from {lo[0]:.4g} to {hi[0]:.4g} and y from {lo[1]:.4g} to {hi[1]:.4g}, so they "
                 f"were centred on ({centre[0]:.4g}, {centre[1]:.4g}) and scaled by one factor (×{scale:.3g}, "
                 "both axes) into the plane.")
    return Upload(text, note)


def counts(text: str) -> str:
    """The draft's points per class, in words: "48 blue, 52 orange"."""
    _, y = points(text)
    if not len(y):
        return "no points"
    return ", ".join(f"{int((y == k).sum())} {CLASS_NAMES[k]}" for k in range(3) if (y == k).any())


__all__ = ["CLASS_NAMES", "MAX_POINTS", "START_POINTS", "Upload", "add_point", "cleared", "counts", "from_file",
           "points", "problem", "starting_data", "undo"]
