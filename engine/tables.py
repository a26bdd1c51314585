"""Tables as CSV, written once for the command line and the dashboard's downloads.

``write_csv`` writes named columns; floats with ``repr`` (reading them back gives the same
numbers), booleans as ``True``/``False``, missing values (``None``, NaN) empty, text quoted where
CSV needs it. A column may be one
value for every row (``Same(value)``), formatted once. ``write_traces`` lays traces out as tidy
rows, one per (optimizer, run, recorded step), through ``write_csv``, one block per run.

>>> import io
>>> out = io.StringIO()
>>> write_csv({"name": ["a", "b, c"], "x": [0.1, 2.0], "ok": Same(True)}, out)
>>> print(out.getvalue(), end="")
name,x,ok
a,0.1,True
"b, c",2.0,True
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from .simulate import Trace

__all__ = ["Same", "write_csv", "write_traces"]

_CHUNK = 20_000  # rows per write: a sweep's table can be millions of rows


@dataclass(frozen=True)
class Same:
    """A column that holds one value in every row."""

    value: Any


def _text(value) -> str:
    if isinstance(value, float):
        return repr(value) if value == value else ""  # NaN: an empty cell, as CSV readers expect
    if value is None:
        return ""
    text = str(value)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cells(column) -> Sequence[str]:
    values = column.tolist() if isinstance(column, np.ndarray) else list(column)
    kinds = set(map(type, values))
    if kinds == {float} and not np.isnan(values).any():  # numeric columns at C speed
        return list(map(repr, values))
    if kinds <= {int, bool}:
        return list(map(str, values))
    return [_text(v) for v in values]


def write_csv(columns: Mapping[str, Sequence | Same], out: TextIO, header: bool = True) -> None:
    """``columns`` (name -> values of one length, or ``Same``) as CSV rows, with a header row."""
    if header:
        out.write(",".join(_text(name) for name in columns) + "\n")
    lengths = {len(c) for c in columns.values() if not isinstance(c, Same)}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    n = lengths.pop() if lengths else 1
    # Neighbouring ``Same`` columns are joined once: a row is then a few pieces, not many cells.
    pieces: list[str | Sequence[str]] = []
    for column in columns.values():
        if isinstance(column, Same):
            text = _text(column.value)
            if pieces and isinstance(pieces[-1], str):
                pieces[-1] += "," + text
            else:
                pieces.append(text)
        else:
            pieces.append(_cells(column))
    for i in range(0, n, _CHUNK):
        m = min(_CHUNK, n - i)
        rows = zip(*(itertools.repeat(p, m) if isinstance(p, str) else p[i:i + m] for p in pieces))
        out.write("\n".join(map(",".join, rows)) + "\n")


def write_traces(traces: Sequence[Trace], out: TextIO) -> None:
    """Tidy rows ``optimizer, run, seed, step, loss, x0 .. x{D-1}`` (no ``x`` columns for a
    loss-only record), then every hyperparameter of the runs (empty where an optimiser does not
    have it)."""
    dim = traces[0].dim
    full = traces[0].params is not None
    hyper_names: list[str] = []
    for tr in traces:
        hyper_names += [k for k in tr.hyper if k not in hyper_names]
    header = True
    for tr in traces:
        steps = tr.t.tolist()
        for r in range(tr.runs):
            columns: dict[str, Any] = {"optimizer": Same(tr.optimizer), "run": Same(r),
                                       "seed": Same(int(tr.seed[r])), "step": steps,
                                       "loss": tr.loss[:, r]}
            if full:
                columns.update({f"x{i}": tr.params[:, r, i] for i in range(dim)})
            columns.update({k: Same(tr.hyper[k][r].item() if k in tr.hyper else "") for k in hyper_names})
            write_csv(columns, out, header=header)
            header = False
