"""User-typed functions f(x, y): a whitelisted parser and exact symbolic derivatives.

The text is never passed to ``eval``, ``exec`` or any other interpreter. A small
tokenizer accepts only numbers, the variables ``x`` and ``y``, the operators
``+ - * / ** ^``, parentheses and a fixed set of functions and constants;
anything else is refused with a message that points at it. A recursive-descent
parser builds a tree of plain tuples, bounded in length, size and depth. The
gradient and Hessian are derived from that tree by the rules of calculus
(symbolic differentiation), then evaluated with numpy, vectorised over the last
axis like every other objective::

    >>> f = parse_function("x**2 + 10*sin(y)")
    >>> import numpy as np
    >>> f.value(np.array([1.0, 0.0])).item(), f.grad(np.array([1.0, 0.0])).tolist()
    (1.0, [2.0, 10.0])
    >>> parse_function("__import__('os')")
    Traceback (most recent call last):
    ...
    engine.expr.ExprError: unexpected character '_' at position 1
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .values import latex_number

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_NODES", "MAX_OPS", "ExprError", "ParsedFunction", "Program",
           "parse_function"]

MAX_LENGTH = 200  # characters
MAX_NODES = 120  # tree nodes after parsing
MAX_DEPTH = 24
MAX_NUMBER = 1e6  # literal numbers above this are refused
MAX_EXPONENT = 50  # |constant exponent| above this is refused (overflow for any useful x)
MAX_OPS = 400  # numpy operations of one evaluation of the function and its gradient
MAX_HESSIAN_OPS = 1500  # of its Hessian (Newton-CG)


class ExprError(ValueError):
    """The text is not a function this tool accepts; the message says why."""


# name -> (numpy function, derivative rule d/du as a tree builder, LaTeX)
def _u():
    return ("var", "u")


FUNCTIONS: dict[str, tuple[Callable, Callable, str]] = {
    "sin": (np.sin, lambda u: ("call", "cos", u), r"\sin"),
    "cos": (np.cos, lambda u: ("neg", ("call", "sin", u)), r"\cos"),
    "tan": (np.tan, lambda u: ("/", ("num", 1.0), ("**", ("call", "cos", u), ("num", 2.0))), r"\tan"),
    "exp": (np.exp, lambda u: ("call", "exp", u), r"\exp"),
    "log": (np.log, lambda u: ("/", ("num", 1.0), u), r"\log"),
    "sqrt": (np.sqrt, lambda u: ("/", ("num", 0.5), ("call", "sqrt", u)), r"\sqrt"),
    "abs": (np.abs, lambda u: ("call", "sign", u), r"\operatorname{abs}"),
    "tanh": (np.tanh, lambda u: ("-", ("num", 1.0), ("**", ("call", "tanh", u), ("num", 2.0))), r"\tanh"),
    "sinh": (np.sinh, lambda u: ("call", "cosh", u), r"\sinh"),
    "cosh": (np.cosh, lambda u: ("call", "sinh", u), r"\cosh"),
    "atan": (np.arctan, lambda u: ("/", ("num", 1.0), ("+", ("num", 1.0), ("**", u, ("num", 2.0)))),
             r"\arctan"),
    "sign": (np.sign, lambda u: ("num", 0.0), r"\operatorname{sign}"),
}
_USER_FUNCTIONS = tuple(k for k in FUNCTIONS if k != "sign")  # sign appears only in derivatives
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z]+)"
                    r"|(?P<op>\*\*|[-+*/^(),]))")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].lstrip()[:1]
            where = len(text) - len(text[pos:].lstrip())
            raise ExprError(f"unexpected character {bad!r} at position {where + 1}")
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


class _Parser:
    """expr := term (('+'|'-') term)* ; term := unary (('*'|'/') unary)* ;
    unary := ('+'|'-') unary | power ; power := atom (('**'|'^') unary)? ;
    atom := number | x | y | constant | function '(' expr ')' | '(' expr ')'."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, -1)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None:
            raise ExprError("the expression ends too early" + (f": expected {value!r}" if value else ""))
        if value is not None and tok[1] != value:
            raise ExprError(f"expected {value!r} at position {tok[2] + 1}, found {tok[1]!r}")
        self.i += 1
        return tok

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"the expression is nested more than {MAX_DEPTH} levels deep")

    def expr(self):
        self.nest()
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            node = (op, node, self.term())
        self.depth -= 1
        return node

    def term(self):
        node = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            node = (op, node, self.unary())
        return node

    def unary(self):
        if self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            self.nest()
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if op == "-" else inner
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] in ("**", "^"):
            self.take()
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            return ("**", base, exponent)
        return base

    def atom(self):
        kind, value, pos = self.take()
        if kind == "num":
            number = float(value)
            if not math.isfinite(number) or number > MAX_NUMBER:
                raise ExprError(f"the number {value} at position {pos + 1} is too large (limit {MAX_NUMBER:g})")
            return ("num", number)
        if kind == "name":
            if value in VARIABLES:
                return ("var", value)
            if value in CONSTANTS:
                return ("num", CONSTANTS[value])
            if value in _USER_FUNCTIONS:
                self.take("(")
                arg = self.expr()
                self.take(")")
                return ("call", value, arg)
            raise ExprError(f"unknown name {value!r} at position {pos + 1}; use x, y, pi, e or "
                            f"{', '.join(_USER_FUNCTIONS)}")
        if value == "(":
            node = self.expr()
            self.take(")")
            return node
        raise ExprError(f"unexpected {value!r} at position {pos + 1}")


def _size(node) -> int:
    if node[0] in ("num", "var"):
        return 1
    if node[0] == "call":
        return 1 + _size(node[2])
    return 1 + sum(_size(c) for c in node[1:])


def _check_exponents(node):
    if node[0] == "**" and node[2][0] == "num" and abs(node[2][1]) > MAX_EXPONENT:
        raise ExprError(f"the exponent {node[2][1]:g} is too large (limit {MAX_EXPONENT})")
    for child in node[1:]:
        if isinstance(child, tuple):
            _check_exponents(child)


# ---------------------------------------------------------------------------
# Simplification (constant folding and identities) keeps derivative trees small.
# ---------------------------------------------------------------------------


def _num(node):
    return node[1] if node[0] == "num" else None


def _memo(fn):
    """``fn(node, *args)`` computed once per node object within one top-level call: derivative trees
    share their subtrees (a product rule uses each factor twice), and walking them as trees would
    take exponential time."""
    def top(node, *args):
        memo: dict = {}

        def call(n, *a):
            key = (id(n), a)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = (n, fn(n, *a, recurse=call))  # the node is kept: its id stays its own
            return hit[1]

        return call(node, *args)

    return top


@_memo
def _simplify(node, recurse=None):
    kind = node[0]
    if kind in ("num", "var"):
        return node
    if kind == "call":
        arg = recurse(node[2])
        if _num(arg) is not None and node[1] in ("sign",):
            return ("num", float(np.sign(arg[1])))
        return ("call", node[1], arg)
    if kind == "neg":
        inner = recurse(node[1])
        if _num(inner) is not None:
            return ("num", -inner[1])
        if inner[0] == "neg":
            return inner[1]
        return ("neg", inner)
    a, b = recurse(node[1]), recurse(node[2])
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None and kind in "+-*":
        return ("num", {"+": na + nb, "-": na - nb, "*": na * nb}[kind])
    if kind == "+":
        if na == 0:
            return b
        if nb == 0:
            return a
    if kind == "-":
        if nb == 0:
            return a
        if na == 0:
            return recurse(("neg", b))
    if kind == "*":
        if na == 0 or nb == 0:
            return ("num", 0.0)
        if na == 1:
            return b
        if nb == 1:
            return a
    if kind == "/":
        if na == 0:
            return ("num", 0.0)
        if nb == 1:
            return a
    if kind == "**":
        if nb == 0:
            return ("num", 1.0)
        if nb == 1:
            return a
    return (kind, a, b)


# ---------------------------------------------------------------------------
# Calculus
# ---------------------------------------------------------------------------


@_memo
def _diff(node, var, recurse=None):
    kind = node[0]
    if kind == "num":
        return ("num", 0.0)
    if kind == "var":
        return ("num", 1.0 if node[1] == var else 0.0)
    if kind == "neg":
        return ("neg", recurse(node[1], var))
    if kind == "call":
        _, name, u = node
        outer = _substitute(FUNCTIONS[name][1](_u()), u)
        return ("*", outer, recurse(u, var))
    _, a, b = node
    da, db = recurse(a, var), recurse(b, var)
    if kind in "+-":
        return (kind, da, db)
    if kind == "*":
        return ("+", ("*", da, b), ("*", a, db))
    if kind == "/":
        return ("/", ("-", ("*", da, b), ("*", a, db)), ("**", b, ("num", 2.0)))
    # power
    if _num(b) is not None:
        return ("*", ("*", b, ("**", a, ("num", b[1] - 1.0))), da)
    # a**b = exp(b log a): d = a**b (db log a + b da / a)
    return ("*", node, ("+", ("*", db, ("call", "log", a)), ("/", ("*", b, da), a)))


def _substitute(node, u):
    if node == ("var", "u"):
        return u
    if node[0] in ("num", "var"):
        return node
    if node[0] == "call":
        return ("call", node[1], _substitute(node[2], u))
    return (node[0], *(_substitute(c, u) for c in node[1:]))


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def _latex(node, parent=0):
    kind = node[0]
    if kind == "num":
        v = node[1]
        for name, c in CONSTANTS.items():
            if v == c:
                return r"\pi" if name == "pi" else "e"
        return latex_number(v)
    if kind == "var":
        return node[1]
    if kind == "call":
        if node[1] == "sqrt":  # KaTeX's \sqrt takes its argument in braces
            return rf"\sqrt{{{_latex(node[2])}}}"
        if node[1] == "abs":
            return rf"\left|{_latex(node[2])}\right|"
        return rf"{FUNCTIONS[node[1]][2]}\left({_latex(node[2])}\right)"
    prec = _PRECEDENCE[kind]
    if kind == "neg":
        out = "-" + _latex(node[1], prec)
    elif kind == "/":
        out = rf"\frac{{{_latex(node[1])}}}{{{_latex(node[2])}}}"
        prec = 5
    elif kind == "**":
        out = f"{{{_latex(node[1], prec + 1)}}}^{{{_latex(node[2])}}}"
    elif kind == "*":
        out = rf"{_latex(node[1], prec)} \cdot {_latex(node[2], prec + 1)}"
    else:
        out = f"{_latex(node[1], prec)} {kind} {_latex(node[2], prec + 1)}"
    return rf"\left({out}\right)" if prec < parent else out


# ---------------------------------------------------------------------------
# Evaluation: the trees as one program of numpy operations, each distinct subexpression once
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """Operations in order (``("num", v)``, ``("var", "x")``, ``(op, i, j)`` on earlier results,
    ``("call", name, i)``...), each distinct subexpression once, and the positions of the
    results. A derivative repeats its function's subexpressions; evaluated once each, the
    function and its gradient cost about as many numpy operations as the program is long."""

    ops: tuple
    outputs: tuple

    @classmethod
    def of(cls, roots) -> Program:
        position: dict = {}
        ops: list = []
        seen: dict = {}

        def visit(node):
            hit = seen.get(id(node))
            if hit is not None:
                return hit[1]
            kind = node[0]
            if kind in ("num", "var"):
                key = node
            elif kind == "call":
                key = ("call", node[1], visit(node[2]))
            elif kind == "neg":
                key = ("neg", visit(node[1]))
            else:
                key = (kind, visit(node[1]), visit(node[2]))
            if key not in position:
                position[key] = len(ops)
                ops.append(key)
            seen[id(node)] = (node, position[key])
            return position[key]

        outputs = tuple(visit(r) for r in roots)
        return cls(tuple(ops), outputs)

    def __len__(self) -> int:
        return len(self.ops)

    def run(self, x, y) -> list:
        """The outputs at ``x, y`` (arrays of one shape, or numbers): the arithmetic of evaluating
        each tree node by node, in the same order."""
        vals: list = [None] * len(self.ops)
        for i, op in enumerate(self.ops):
            kind = op[0]
            if kind == "num":
                # numpy scalars, not Python floats: 1/0 or a huge power gives inf (a stopped run),
                # not an exception, also in parts of the function that do not depend on x and y
                v = np.float64(op[1])
            elif kind == "var":
                v = x if op[1] == "x" else y
            elif kind == "neg":
                v = -vals[op[1]]
            elif kind == "call":
                v = FUNCTIONS[op[1]][0](vals[op[2]])
            else:
                a, b = vals[op[1]], vals[op[2]]
                if kind == "+":
                    v = a + b
                elif kind == "-":
                    v = a - b
                elif kind == "*":
                    v = a * b
                elif kind == "/":
                    v = a / b
                else:
                    v = np.power(a, b) if not isinstance(b, float) or not float(b).is_integer() else a ** int(b)
            vals[i] = v
        return [vals[o] for o in self.outputs]


@dataclass(frozen=True)
class ParsedFunction:
    """A parsed ``f(x, y)`` with exact first and second derivatives (vectorised).

    ``cost``: the operations of one evaluation of the function and its gradient (what a step of
    a run pays, per run). The Hessian is derived when it is first asked for (Newton-CG only)."""

    text: str
    tree: tuple
    grad_trees: tuple
    both: Program  # value, d/dx, d/dy

    @property
    def cost(self) -> int:
        return len(self.both)

    @functools.cached_property
    def _value(self) -> Program:
        return Program.of([self.tree])

    @functools.cached_property
    def _grad(self) -> Program:
        return Program.of(self.grad_trees)

    @functools.cached_property
    def _hess(self) -> Program:
        rows = [tuple(_simplify(_diff(g, v)) for v in VARIABLES) for g in self.grad_trees]
        program = Program.of([h for row in rows for h in row])
        if len(program) > MAX_HESSIAN_OPS:
            raise ExprError(f"this function's second derivatives take {len(program)} operations, more than the "
                            f"{MAX_HESSIAN_OPS} a shared server computes for Newton-CG")
        return program

    def _eval(self, program: Program, p) -> list:
        p = np.asarray(p, dtype=float)
        # Overflow and log/sqrt of negatives give inf/NaN, which the simulator turns into a
        # stopped run; they are not errors here.
        with np.errstate(all="ignore"):
            out = program.run(p[..., 0], p[..., 1])
        return [np.broadcast_to(np.asarray(v, dtype=float), p.shape[:-1]).astype(float) for v in out]

    def value(self, p):
        return self._eval(self._value, p)[0]

    def grad(self, p):
        return np.stack(self._eval(self._grad, p), axis=-1)

    def value_and_grad(self, p):
        value, gx, gy = self._eval(self.both, p)
        return value, np.stack([gx, gy], axis=-1)

    def hess(self, p):
        h = self._eval(self._hess, p)
        return np.stack([np.stack(h[:2], axis=-1), np.stack(h[2:], axis=-1)], axis=-2)

    @property
    def latex(self) -> str:
        return "f(x, y) = " + _latex(self.tree)


def parse_function(text: str) -> ParsedFunction:
    """Parse ``text`` as a function of ``x`` and ``y``; raise ``ExprError`` if it is not one."""
    if not isinstance(text, str):
        raise ExprError("the function must be text")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the function is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExprError("the function is empty: type something like x**2 + 3*y**2")
    tokens = _tokens(text)
    parser = _Parser(tokens)
    tree = parser.expr()
    if parser.i != len(tokens):
        _, value, pos = tokens[parser.i]
        raise ExprError(f"unexpected {value!r} at position {pos + 1}")
    if _size(tree) > MAX_NODES:
        raise ExprError(f"the function is too large ({_size(tree)} terms; the limit is {MAX_NODES})")
    tree = _simplify(tree)
    _check_exponents(tree)  # after folding: x**(10*10) and x**-51 are caught too
    grads = tuple(_simplify(_diff(tree, v)) for v in VARIABLES)
    both = Program.of([tree, *grads])
    if len(both) > MAX_OPS:
        raise ExprError(f"this function and its gradient take {len(both)} operations to evaluate, more than "
                        f"the {MAX_OPS} a shared server computes at every step: write it shorter")
    return ParsedFunction(text, tree, grads, both)
