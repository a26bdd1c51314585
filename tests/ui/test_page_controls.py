"""The pages' own controls and runs go through the one path every page uses (issue 21).

A page builds its runs from the settings through the frame (``View.spec``/``View.specs``: the
shared hyperparameters and seed, the record thinned by one rule), never with ``RunSpec`` of its
own; and a page-local control that sets an engine option takes its default and bounds from the
engine's table (a narrower cap is stated here, with its reason).
"""

from __future__ import annotations

import ast

import pytest

from engine import OBJECTIVES, OPTIMIZERS
from ui.frame.registry import PAGES, ROOT

SCRIPTS = [p.script for p in PAGES.values()]

# page control -> (objective, option); the value is the engine's unless capped here
OBJECTIVE_OPTIONS = {
    "nn.data": ("network", "dataset"), "nn.width": ("network", "width"), "nn.depth": ("network", "depth"),
    "nn.act": ("network", "activation"), "nn.noise": ("network", "input_noise"),
    "nn.flip": ("network", "label_noise"), "nn.batch": ("network", "batch_size"),
    "sp.dim": ("sparse", "dim"), "sp.freq": ("sparse", "freq_min"), "sp.rare": ("sparse2d", "freq_rare"),
    "wd.cond": ("scaled", "cond"),
}
CAPS = {"sp.dim": {"high": 100}}  # the view's cost: 100 features x 20 seeds x 5000 steps (tests/robust)
# page learning-rate control -> optimiser: its bounds are the optimiser's (its default is the page's)
LEARNING_RATES = {**{f"nn.lr.{o}": o for o in ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")},
                  **{f"sp.{o}": o for o in ("sgd", "adagrad", "rmsprop", "adam")}}


def _page_field(key):
    return next(p.field(key) for p in PAGES.values() if key in p.field_by_key)


@pytest.mark.parametrize("key", OBJECTIVE_OPTIONS)
def test_a_control_of_an_engine_option_takes_the_engine_default_and_bounds(key):
    field = _page_field(key)
    objective, name = OBJECTIVE_OPTIONS[key]
    option = OBJECTIVES[objective].options[name]
    assert field.default == option.default, (field.default, option.default)
    if option.choices:
        assert tuple(field.options) == tuple(option.choices)
        return
    low, high = CAPS.get(key, {}).get("low", option.low), CAPS.get(key, {}).get("high", option.high)
    assert (field.low, field.high) == (low, high), ((field.low, field.high), (low, high))
    assert (field.integer, field.log) == (option.integer, option.log)


@pytest.mark.parametrize("key", LEARNING_RATES)
def test_a_learning_rate_control_has_its_optimisers_bounds(key):
    field, h = _page_field(key), OPTIMIZERS[LEARNING_RATES[key]].hypers["lr"]
    assert (field.low, field.high) == (h.low, h.high)
    assert h.low <= field.default <= h.high


def _tree(script):
    return ast.parse((ROOT / script).read_text())


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_page_builds_a_run_spec_or_thins_a_record_itself(script):
    tree = _tree(script)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & {"RunSpec", "thinned", "record_every"}, names & {"RunSpec", "thinned", "record_every"}
    keywords = {k.arg for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords}
    assert "every" not in keywords  # how often a run records is the frame's rule (View.spec)


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_page_reads_a_value_out_of_a_title(script):
    """A data set's name comes from its control, not from splitting the objective's title."""
    for node in ast.walk(_tree(script)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split":
            target = node.func.value
            assert not (isinstance(target, ast.Attribute) and target.attr == "title"), ast.unparse(node)
