"""Typed functions are evaluated as programs with each subexpression once: the same numbers as
evaluating their trees node by node, at a cost the server can count and bound."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expr import FUNCTIONS, MAX_OPS, ExprError, parse_function


def tree_value(node, x, y):
    """The reference: a tree evaluated node by node (the engine's evaluator before programs)."""
    kind = node[0]
    if kind == "num":
        return np.float64(node[1])
    if kind == "var":
        return x if node[1] == "x" else y
    if kind == "neg":
        return -tree_value(node[1], x, y)
    if kind == "call":
        return FUNCTIONS[node[1]][0](tree_value(node[2], x, y))
    a, b = tree_value(node[1], x, y), tree_value(node[2], x, y)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if kind == "/":
        return a / b
    return np.power(a, b) if not isinstance(b, float) or not float(b).is_integer() else a ** int(b)


atoms = st.sampled_from(["x", "y", "2", "0.5", "pi", "e", "3"])


def expressions(depth: int = 3):
    if depth == 0:
        return atoms
    sub = expressions(depth - 1)
    return st.one_of(
        atoms,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "^"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos", "exp", "log", "sqrt", "abs", "tanh", "atan"]), sub)
        .map(lambda t: f"{t[0]}({t[1]})"),
        sub.map(lambda e: f"-{e}"),
    )


POINTS = np.random.default_rng(0).uniform(-2, 2, (64, 2))


def _same(a, b):
    a, b = np.broadcast_to(np.asarray(a, dtype=float), (len(POINTS),)), np.broadcast_to(np.asarray(b, dtype=float),
                                                                                      (len(POINTS),))
    np.testing.assert_array_equal(a, b)  # NaN where NaN, bit for bit elsewhere


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(text=expressions())
def test_a_program_computes_what_the_trees_compute(text):
    try:
        fn = parse_function(text)
    except ExprError:
        return
    x, y = POINTS[:, 0], POINTS[:, 1]
    with np.errstate(all="ignore"):
        _same(fn.value(POINTS), tree_value(fn.tree, x, y))
        for k, tree in enumerate(fn.grad_trees):
            _same(fn.grad(POINTS)[:, k], tree_value(tree, x, y))
        value, grad = fn.value_and_grad(POINTS)
        _same(value, fn.value(POINTS))
        np.testing.assert_array_equal(grad, fn.grad(POINTS))


def test_each_subexpression_is_computed_once():
    fn = parse_function("sin(x*y) + sin(x*y)^2")
    names = [op for op in fn.both.ops if op[0] == "call" and op[1] == "sin"]
    assert len(names) == 1  # sin(x*y) once, for the function and for both partial derivatives


def test_the_longest_division_chain_has_a_bounded_cost():
    """A chain of divisions as long as the parser allows: its derivative trees once reached
    thousands of nodes (evaluated node by node, minutes of a server's core for one link); as a
    program it is a few hundred operations."""
    text = "x" + "/y/x" * 29 + "/y"
    fn = parse_function(text)
    assert 300 < fn.cost <= MAX_OPS
    with pytest.raises(ExprError, match="too large"):
        parse_function(text + "/x/y")


def test_a_function_whose_gradient_is_too_costly_is_refused_with_a_reason(monkeypatch):
    from engine import expr

    monkeypatch.setattr(expr, "MAX_OPS", 50)
    with pytest.raises(ExprError, match="operations"):
        parse_function("+".join(f"sin(x*y+{k})^3" for k in range(9)))
    parse_function("sin(x*y)^3")  # a small one still passes


@pytest.mark.parametrize("text", ["sqrt(x) + y^2", "abs(x) + sqrt(abs(y))", "x^2*1e6 + 1e-7*y",
                                  "exp(-x^2) + log(1+y^2)"])
def test_the_latex_of_a_function_is_katex(text):
    latex = parse_function(text).latex
    assert r"\sqrt\left" not in latex and "e+" not in latex and "e-0" not in latex
    assert latex.count("{") == latex.count("}") and latex.count(r"\left") == latex.count(r"\right")
    assert not re.search(r"\\sqrt[^{]", latex)
