"""Small rules about values, written once for the engine, the command line and the dashboard.

* ``finite(value, what)``: a finite float, or a ``ValueError`` naming ``what``;
* ``TRUE_WORDS`` / ``FALSE_WORDS`` and ``parse_bool``: the words read as true or false;
* ``short(v)`` and ``latex_number(v)``: a number as a person reads it (``0.001``, ``1e-05``,
  ``2.5e+04``; in LaTeX ``2.5 \\cdot 10^{4}``), and ``exact(v)``: a float written so that reading it
  back gives the same float (URLs, CSV, generated code);
* ``Option``: one option of an objective or a schedule (default, bounds, label, help), with the
  check that every caller applies to it.

>>> short(0.001), short(1e-05), short(25000.0), short(0.5)
('0.001', '1e-05', '2.5e+04', '0.5')
>>> latex_number(1e-08), latex_number(2.5e4), latex_number(0.9)
('10^{-8}', '2.5 \\\\cdot 10^{4}', '0.9')
>>> parse_bool("Yes"), parse_bool("off")
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "Option", "exact", "finite", "latex_number", "parse_bool", "short"]

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def parse_bool(text: str, what: str = "the value") -> bool:
    word = str(text).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{what}: {text!r} is not true or false")


def finite(value: Any, what: str = "the value") -> float:
    """``value`` as a finite float (text is parsed); ``ValueError`` for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def short(v: float) -> str:
    """A number for a label: plain from 10^-3 to 10^4, else in e-notation with at most three
    significant digits (``1e-05``, ``2.5e+04``)."""
    v = float(v)
    if v == 0:
        return "0"
    if abs(v) < 1e-3 or abs(v) >= 1e4:
        mantissa, exponent = f"{v:.2e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    return f"{v:g}"


def latex_number(v) -> str:
    """A value for LaTeX: e-notation reads like a subtraction there, so it becomes a power of ten;
    booleans read on/off."""
    if isinstance(v, bool):
        return "on" if v else "off"
    text = short(v)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = rf"10^{{{int(exponent)}}}"
    return power if float(mantissa) == 1 else rf"{mantissa} \cdot {power}"


def exact(v: float) -> str:
    """A float written for a round trip: ``float(exact(v)) == v`` (whole numbers without ``.0``)."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


@dataclass(frozen=True)
class Option:
    """One option of an objective family or a schedule: its default, bounds and UI text.

    ``text``: free text (a typed function); ``choices``: one of a few names (a data set), each
    shown as its ``labels`` entry; otherwise a number in ``[low, high]`` (``integer``: a whole
    number; ``log``: a log-scale control)."""

    default: Any
    low: float = 0.0
    high: float = 0.0
    label: str = ""
    log: bool = False
    integer: bool = False
    help: str = ""
    text: bool = False
    choices: Sequence[str] = ()
    labels: Sequence[str] = ()

    def check(self, value: Any, what: str) -> Any:
        """``value`` validated (and typed) for this option, or a ``ValueError`` naming ``what``."""
        if self.choices:
            if value not in self.choices:
                raise ValueError(f"{what} must be one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.text:
            if not isinstance(value, str):
                raise ValueError(f"{what} must be text, got {value!r}")
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{what} must be a number, got {value!r}") from None
        if not (self.low <= number <= self.high):  # NaN and infinities too
            raise ValueError(f"{what} = {number:g} is outside [{self.low:g}, {self.high:g}]")
        if self.integer:
            if not number.is_integer():
                raise ValueError(f"{what} must be a whole number, got {number:g}")
            return int(number)
        return number
