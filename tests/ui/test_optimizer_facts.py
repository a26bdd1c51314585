"""One place per optimiser: its facts live in its engine row (``engine.OPTIMIZERS``: title, the
symbols of its hyperparameters, its cost per step, how its effective learning rate behaves) or in
the dashboard's one table keyed by it (``ui.views.optimizers.VIEWS``: colour, the step
explainer's rows and running direction). An optimiser missing from either fell back silently
(a grey line, no panel rows, a hyperparameter named by its key, a Learning rates text that
skipped it); here every table must cover the registry."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pytest

from engine import OPTIMIZERS, get_objective, simulate
from engine.experiments import Experiment
from engine.optimizers import EFFECTIVE_LR
from tests.app.conftest import open_page
from ui.compute import budget
from ui.views import charts, explain, optimizers
from ui.views.theme import ChartStyle, color_scale


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimiser_has_its_facts_in_its_row_and_the_views_table(name):
    spec = OPTIMIZERS[name]
    assert spec.step_seconds > 0 and spec.effective_lr in EFFECTIVE_LR
    assert spec.main is not None and spec.main.why, "beside η, its main hyperparameter (a map's second axis)"
    for key, hyper in spec.hypers.items():
        assert hyper.text and "\\" not in hyper.text, key  # plain text, for chart titles
    view = optimizers.VIEWS[name]
    assert color_scale(["x"], [name])["range"] == [view.color]
    assert (view.direction is None) == (view.direction_name == "")


def test_every_optimiser_has_a_colour_of_its_own():
    colours = [optimizers.VIEWS[o].color for o in OPTIMIZERS]
    assert len(set(colours)) == len(colours)


def test_the_views_table_covers_the_registry_and_names_what_is_missing():
    optimizers.check(OPTIMIZERS)  # the real registry: nothing missing
    extra = MappingProxyType({**OPTIMIZERS, "sgdw": dataclasses.replace(OPTIMIZERS["sgd"], name="sgdw")})
    with pytest.raises(ValueError, match="sgdw"):
        optimizers.check(extra)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimiser_is_explained_by_its_own_rows(name):
    tr = simulate("quadratic", name, 6, noise=0.1, record_state=True)
    ex = explain.step_explainer({name: tr}, get_objective("quadratic").bounds)
    labels = ex.panel["labels"]
    assert labels[0] == "g_t gradient" and labels[-1] == "Δθ_t step"
    assert len(labels) > 4 or name == "sgd", labels  # SGD alone has nothing between g and Δθ
    values = np.array(ex.panel["values"], dtype=float)
    assert np.isfinite(values).all(), labels
    assert (explain.DIRECTION_KIND in ex.legend) == (optimizers.VIEWS[name].direction is not None)


def test_the_budget_costs_each_optimiser_from_its_row(monkeypatch):
    from engine import RunSpec

    spec = RunSpec.of("rosenbrock", "lion", 1000, record="loss")
    before = budget.cost(spec)
    slower = dataclasses.replace(OPTIMIZERS["lion"], step_seconds=1e-3)
    monkeypatch.setattr(budget, "OPTIMIZERS", {**OPTIMIZERS, "lion": slower})
    assert budget.cost(spec) > before + 1.0  # 1000 steps x 1 ms more


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_chapter_figures_titles_name_each_hyperparameter_by_its_symbol(name):
    """The figure wrote ``momentum_decay = 0.004`` for NAdam: its symbol (ψ) was not in the
    chart module's own table of symbols."""
    hyper = {k: h.default for k, h in OPTIMIZERS[name].hypers.items() if h.kind != "bool"}
    experiment = Experiment("one", "one run", "quadratic", ((name, hyper),), 5)
    traces = {name: simulate("quadratic", name, 5, **hyper)}
    spec = charts.chapter_figure(traces, get_objective("quadratic"), experiment, ChartStyle())
    subtitle = spec["hconcat"][0]["title"]["subtitle"][1]
    for key, h in OPTIMIZERS[name].hypers.items():
        if h.kind != "bool":
            assert f"{h.text} = " in subtitle and key not in subtitle, subtitle


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_learning_rates_says_what_every_optimisers_rate_does(name):
    """Adadelta was in neither of the page's hand lists (adaptive, constant): with it alone the
    page's 'what to look for' said nothing about the line on the chart."""
    at = open_page("pages/3_Learning_rates.py", {"opt": name, "steps": "30"})
    look = next(i.value for i in at.info if "What to look for" in i.value)
    assert OPTIMIZERS[name].title in look, look
