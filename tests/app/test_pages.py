"""AppTest smoke and behaviour tests for every page (the real scripts, no browser)."""

from __future__ import annotations

import collections
import re
from urllib.parse import parse_qsl

import altair as alt
import pytest
from altair.utils.schemapi import validate_jsonschema

from ui.frame.registry import BY_SCRIPT as REGISTRY_BY_SCRIPT
from ui.frame.registry import PAGES as REGISTRY

from .conftest import (
    chart_args,
    charts,
    data_digest,
    fields,
    is_player,
    marks,
    no_exception,
    open_page,
    params,
    spec,
)

# Every page of the registry with charts: its script, the charts at the default settings, the
# marks and fields its first chart must have, a control that must change what is plotted, and
# whether it shows the update rules with values.
PAGES = [(p.script, p.charts, set(p.first_marks), set(p.first_fields), p.changes, p.rules)
         for p in REGISTRY.values() if p.charts]


VEGA_LITE_SCHEMA = alt.vegalite.v6.schema.core.load_schema()


def _set(at, key, value):
    for w in list(at.number_input) + list(at.slider) + list(at.select_slider) + list(at.selectbox):
        if w.key == key:
            widget = w
            break
    else:
        raise AssertionError(f"no widget {key}")
    widget.set_value(value)
    at.run()


@pytest.mark.parametrize(("path", "n_charts", "mark_set", "field_set", "control", "_"), PAGES,
                         ids=[p[0] for p in PAGES])
def test_page_renders_its_charts(path, n_charts, mark_set, field_set, control, _):
    at = open_page(path)
    no_exception(at)
    found = charts(at)
    assert len(found) == n_charts
    first = spec(found[0])
    assert mark_set <= set(marks(first)), marks(first)
    assert field_set <= fields(first), fields(first)
    # Valid Vega-Lite: the app skips Altair's validation per view (it is slow), so it is done here
    for c in found:
        validate_jsonschema(spec(c), VEGA_LITE_SCHEMA)
        # a text alternative for screen readers: in the spec (Vega's aria label) and the component's
        args = chart_args(c)
        assert len(spec(c).get("description", "")) > 30 and args["description"] == spec(c)["description"]
    # the explanation and what to look for are on every page
    assert any("What to look for" in i.value for i in at.info)


@pytest.mark.parametrize(("path", "n_charts", "mark_set", "field_set", "control", "_"), PAGES,
                         ids=[p[0] for p in PAGES])
def test_changing_a_control_changes_the_data(path, n_charts, mark_set, field_set, control, _):
    at = open_page(path)
    before = data_digest(at)
    key, value = control
    _set(at, key, value)
    no_exception(at)
    assert len(charts(at)) == n_charts
    assert data_digest(at) != before


@pytest.mark.parametrize("path", [p[0] for p in PAGES if p[5]])
def test_update_rules_are_rendered_with_values(path):
    at = open_page(path)
    latex = [x.value for x in at.latex]
    assert any(r"\theta_t" in v for v in latex)
    # the values are inline maths in a line of text (they wrap in a narrow column)
    text = [x.value for x in at.markdown]
    assert any(re.search(r"\$\\eta = [0-9.e+-]+\$", v) for v in text)


def test_sidebar_controls_survive_several_runs_and_page_switches():
    at = open_page("dashboard.py")
    at.number_input(key="w:steps").set_value(321).run()
    at.switch_page("pages/1_Trajectories.py").run()
    no_exception(at)
    assert at.number_input(key="w:steps").value == 321
    at.run()  # a plain rerun keeps everything
    assert at.number_input(key="w:steps").value == 321
    at.switch_page("pages/2_Loss_curves.py").run()
    assert at.number_input(key="w:steps").value == 321
    assert at.query_params["steps"] == ["321"] or at.query_params["steps"] == "321"
    at.switch_page("dashboard.py").run()
    assert at.number_input(key="w:steps").value == 321


OWN_PROBLEM = [p.script for p in REGISTRY.values() if not p.objective]
SIDEBAR_PROBLEM = [p.script for p in REGISTRY.values() if p.objective]


@pytest.mark.parametrize("script", OWN_PROBLEM)
def test_a_page_with_its_own_problem_does_not_show_the_shared_objective(script):
    """Weight decay, Sparse gradients and Neural network (and the chapter's figure, and the guide)
    run problems of their own: the sidebar's objective, its options and the start point did
    nothing there, yet were shown. They are hidden, and say so; their values are kept for the
    other pages."""
    at = open_page("pages/1_Trajectories.py", {"f": "quadratic", "quadratic.cond": "50", "start": "1,1", "steps": "50"})
    at.switch_page(script).run()
    no_exception(at)
    keys = {w.key for w in [*at.selectbox, *at.number_input, *at.slider, *at.select_slider, *at.text_input]}
    shown = sorted(k for k in keys if k in ("w:f", "w:start.x", "w:start.y") or k.startswith("w:quadratic."))
    assert shown == [], shown
    assert any("problem of its own" in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    at.switch_page("pages/1_Trajectories.py").run()
    assert at.selectbox(key="w:f").value == "quadratic" and at.number_input(key="w:start.x").value == 1.0
    assert at.select_slider(key="w:quadratic.cond").value == 50


@pytest.mark.parametrize("script", SIDEBAR_PROBLEM)
def test_a_page_that_runs_the_sidebars_objective_shows_it(script):
    at = open_page(script, dict(REGISTRY_BY_SCRIPT[script].small))
    assert at.selectbox(key="w:f").value == "rosenbrock"
    assert not any("problem of its own" in c.value for c in at.sidebar.caption)


def test_the_url_reproduces_the_view():
    query = {"f": "beale", "opt": "sgd,adam", "steps": "150", "adam.lr": "0.05", "seed": "7",
             "noise": "0.5", "start": "1,1"}
    at = open_page("pages/1_Trajectories.py", query)
    no_exception(at)
    assert not at.warning
    assert at.selectbox(key="w:f").value == "beale"
    assert list(at.multiselect(key="w:opt").value) == ["sgd", "adam"]
    assert at.number_input(key="w:steps").value == 150
    assert "Adam  ·  η = 0.05" in [e.label for e in at.expander]
    assert at.number_input(key="w:start.x").value == 1.0
    # what the page writes back is what it was given
    written = {k: at.query_params[k] for k in query}
    assert {k: (v[0] if isinstance(v, list) else v) for k, v in written.items()} == query


def test_an_optimisers_panel_draws_its_sliders_only_while_it_is_open():
    """A closed panel costs the browser nothing; opening it (a rerun) shows its controls at the
    link's values, and a value set while it was closed stays in the URL."""
    at = open_page("pages/1_Trajectories.py", {"opt": "sgd,adam", "adam.lr": "0.05", "sgd.lr": "0.002"})
    no_exception(at)
    assert not [w.key for w in at.select_slider if w.key.startswith(("w:adam.", "w:sgd."))]
    at.session_state["panel_adam"] = True  # what a click on the panel's title sets
    at.run()
    assert {"w:adam.lr", "w:adam.beta1", "w:adam.beta2"} <= {w.key for w in at.select_slider}
    assert at.select_slider(key="w:adam.lr").value == 0.05
    assert not [w.key for w in at.select_slider if w.key.startswith("w:sgd.")]  # still closed
    assert at.query_params["sgd.lr"] in ("0.002", ["0.002"])


def test_the_same_url_gives_the_same_numbers():
    query = {"opt": "adam", "steps": "80", "seed": "3"}
    a = open_page("pages/1_Trajectories.py", query)
    b = open_page("pages/1_Trajectories.py", query)
    assert data_digest(a) == data_digest(b)


@pytest.mark.parametrize(("key", "raw"), [
    ("steps", "abc"), ("steps", "1e9"), ("steps", "nan"), ("adam.lr", "-1"), ("adam.lr", "inf"),
    ("opt", "adam,warp"), ("f", "nope"), ("noise", "-0.1"), ("start", "1"), ("adam.beta2", "1.0"),
    ("seed", "2.5"), ("adam.amsgrad", "maybe"), ("steps", "9" * 500),
])
def test_a_bad_url_value_falls_back_with_a_notice(key, raw):
    at = open_page("pages/1_Trajectories.py", {key: raw})
    no_exception(at)
    notices = [w.value for w in at.warning]
    assert any(f"`{key}`" in n and "replaced by the default" in n for n in notices), notices
    assert len(charts(at)) == 1  # the view is still there
    assert key not in at.query_params  # the default is not written back


def test_unknown_url_parameter_is_named_in_a_notice():
    at = open_page("pages/2_Loss_curves.py", {"bogus": "1"})
    no_exception(at)
    assert any("`bogus`" in w.value for w in at.warning)


def test_a_start_far_outside_the_map_falls_back():
    at = open_page("pages/1_Trajectories.py", {"start": "900,900"})
    no_exception(at)
    assert any("start point" in w.value for w in at.warning)


def test_a_diverging_run_is_named_and_drawn():
    at = open_page("pages/1_Trajectories.py", {"opt": "sgd,adam", "sgd.lr": "0.5", "steps": "200"})
    no_exception(at)
    assert any("SGD" in w.value and "diverged at step" in w.value for w in at.warning)
    assert len(charts(at)) == 1


@pytest.mark.parametrize("objective", ["rosenbrock", "beale", "himmelblau", "quadratic", "saddle",
                                       "rastrigin", "sparse2d"])
def test_every_2d_objective_has_a_map(objective):
    at = open_page("pages/1_Trajectories.py", {"f": objective, "steps": "100"})
    no_exception(at)
    assert len(charts(at)) == 1


def test_many_parameter_objective_explains_why_there_is_no_map():
    at = open_page("pages/1_Trajectories.py", {"f": "sparse", "steps": "100"})
    no_exception(at)
    assert any("no map" in w.value for w in at.warning)
    at.switch_page("pages/2_Loss_curves.py").run()
    no_exception(at)
    assert len(charts(at)) == 2


def test_changing_the_objective_resets_the_start_point():
    at = open_page("pages/1_Trajectories.py", {"start": "0.5,0.5"})
    assert at.number_input(key="w:start.x").value == 0.5
    at.selectbox(key="w:f").set_value("himmelblau").run()
    no_exception(at)
    assert at.number_input(key="w:start.x").value == 0.0  # Himmelblau's own start
    assert "start" not in at.query_params


def test_reset_button_restores_the_defaults():
    at = open_page("pages/1_Trajectories.py", {"steps": "123", "opt": "sgd"})
    at.button(key="reset_all").click().run()
    no_exception(at)
    assert at.number_input(key="w:steps").value == 2000
    assert list(at.multiselect(key="w:opt").value) == ["momentum", "rmsprop", "adam"]


def test_learning_rates_compare_button_selects_the_adaptive_trio():
    at = open_page("pages/3_Learning_rates.py")
    at.button(key="compare_adaptive").click().run()
    no_exception(at)
    assert list(at.multiselect(key="w:opt").value) == ["adagrad", "rmsprop", "adam"]
    s = spec(charts(at)[0])
    assert {"AdaGrad", "RMSProp", "Adam"} <= set(s["encoding"]["color"]["scale"]["domain"])


def test_trajectories_step_through_drives_a_browser_side_param():
    at = open_page("pages/1_Trajectories.py", {"steps": "120"})
    (chart,) = charts(at)
    args = chart_args(chart)
    assert args["steps"] == 120
    s = spec(chart)
    step = [p for p in params(s) if p["name"] == "step"]
    assert step and step[0]["value"] == 120 and "bind" not in step[0]  # the component has its own controls
    assert any(p.get("select", {}).get("type") == "interval" and p.get("bind") == "scales" for p in params(s))
    assert len(s["hconcat"]) == 2  # the map and the loss gap, moved by the same step


@pytest.mark.parametrize(("path", "query"), [
    ("pages/4_Bias_correction.py", {"steps": "150"}), ("pages/5_Sparse_gradients.py", {"sp.steps": "150"}),
    ("pages/6_LR_sensitivity.py", {"steps": "150", "lrs.best": "1"}),
    ("pages/7_Weight_decay.py", {"wd.steps": "150"})])
def test_every_trajectory_map_plays_in_the_step_through_player(path, query):
    at = open_page(path, query)
    no_exception(at)
    maps = [c for c in charts(at) if any(p["name"] == "step" for p in params(spec(c)))]  # step-indexed
    assert maps and all("image" in marks(spec(c)) for c in maps)  # the maps (their shading)
    assert all(is_player(c) for c in maps)
    for c in maps:
        assert chart_args(c)["steps"] == 150
        step = [p for p in params(spec(c)) if p["name"] == "step"]
        assert step and step[0]["value"] == 150 and "bind" not in step[0]  # the player's controls


def test_schedules_play_paths_and_loss_together():
    at = open_page("pages/8_Schedules.py", {"steps": "150"})
    stepped = [c for c in charts(at) if is_player(c)]
    assert len(stepped) == 1
    s = spec(stepped[0])
    assert len(s["hconcat"]) == 2 and "variant" in fields(s)
    # solid = with the schedule, dashed = without, as the page's text says (the legend once said the opposite)
    dash = s["hconcat"][0]["layer"][1]["encoding"]["strokeDash"]["scale"]
    assert dash["domain"] == ["with schedule / clipping", "without"] and dash["range"][0] == [1, 0]


def test_links_to_other_pages_carry_only_shared_values():
    at = open_page("pages/2_Loss_curves.py", {"seeds": "4", "steps": "90", "present": "1"})
    links = list(at.get("page_link"))
    assert len(links) >= 11  # the sidebar's navigation (and the home page's map when on home)
    for link in links:
        query = dict(parse_qsl(link.proto.query_string))
        assert "seeds" not in query
        assert query.get("steps") == "90" and query.get("present") == "1"


def test_the_sidebar_navigation_has_no_tooltips():
    """A page link with ``help`` mounts a tooltip for each link on every rerun: the sidebar's 13
    tooltips cost 0.2-0.3 s of a page switch in Chromium (0.61-0.74 s -> 0.41-0.45 s;
    ``python benchmarks/browser_latency.py``). The pages' summaries are on the home page."""
    at = open_page("pages/2_Loss_curves.py", {})
    links = list(at.sidebar.get("page_link"))
    assert len(links) >= 12
    assert all(not link.proto.help for link in links), [link.proto.help for link in links if link.proto.help]


def _color_legends(s: dict) -> list:
    out = []
    enc = s.get("encoding", {})
    if "color" in enc and "field" in enc["color"]:
        out.append(enc["color"].get("legend", "default"))
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in s.get(key, []):
            out.extend(_color_legends(sub))
    return out


def test_lr_sensitivity_names_its_colours():
    """Every layer shares the optimiser colour scale; one ``legend: null`` among them hides the
    legend of all (the chart once had none)."""
    at = open_page("pages/6_LR_sensitivity.py", {"lrs.points": "6", "lrs.seeds": "2"})
    legends = _color_legends(spec(charts(at)[0]))
    assert legends and None not in legends, legends


def test_loss_curves_name_their_colours():
    """The band layer once carried ``legend: null``, and the page drew no legend at all."""
    at = open_page("pages/2_Loss_curves.py", {"seeds": "3", "steps": "60"})
    for chart in charts(at):
        legends = _color_legends(spec(chart))
        assert len(legends) == 2 and None not in legends, legends
        assert legends[0] == legends[1]


EXPLAINED = [p.script for p in REGISTRY.values() if "explain" in p.field_by_key]
EXPLAIN_BYTES = 2_000_000  # an explained player's JSON at the page's defaults


@pytest.mark.parametrize("script", EXPLAINED)
def test_explain_step_puts_arrows_on_the_map_and_the_numbers_beside_it(script):
    at = open_page(script, {"explain": "1"})
    no_exception(at)
    players = [spec(c) for c in charts(at) if is_player(c)]
    explained = [s for s in players if "explain" in s.get("usermeta", {})]
    assert explained, "no player carries the step explainer's panel"
    panel = explained[0]["usermeta"]["explain"]
    assert panel["steps"] and len(panel["values"]) == len(panel["steps"])
    assert {"g_t gradient", "Δθ_t step"} <= set(panel["labels"])
    assert len(panel["arrows"]) >= 2 and all("×" in a["label"] for a in panel["arrows"])  # scales stated
    assert any(name.startswith("arrows") for name in explained[0]["datasets"])
    assert any("Explain step" in c.value for c in at.caption)
    off = open_page(script)
    assert not any("explain" in spec(c).get("usermeta", {}) for c in charts(off) if is_player(c))


@pytest.mark.parametrize("script", EXPLAINED)
def test_explain_step_explains_every_step_the_player_can_show(script):
    """At the defaults (2000 or 3000 steps) the explained steps were thinned to every third: the
    player showed step 25 and the panel the update at step 24, steps 1 and 2 showed "the start",
    and Adam's first step, the bias-correction lesson, could not be shown. The panel picks the
    last explained step up to the player's (binary search over ``steps``): every step must be
    there, and every series' arrows at it."""
    at = open_page(script, {"explain": "1"})
    player = next(c for c in charts(at) if is_player(c) and "explain" in spec(c).get("usermeta", {}))
    steps = chart_args(player)["steps"]
    shown = spec(player)
    validate_jsonschema(shown, VEGA_LITE_SCHEMA)
    panel = shown["usermeta"]["explain"]
    assert panel["steps"] == list(range(1, steps + 1)), (steps, panel["steps"][:5])
    arrows = next(rows for name, rows in shown["datasets"].items() if name.startswith("arrows"))
    series = {r.get("series", r.get("i")) for r in arrows}
    per_step = collections.Counter(r["step"] for r in arrows)
    assert set(per_step) == set(range(1, steps + 1)), sorted(set(range(1, steps + 1)) - set(per_step))[:5]
    assert min(per_step.values()) >= len(series) >= 1
    # Every step costs bytes: the player's JSON stays under what the thinned one took (2.0-6.3 MB
    # at the defaults before; 0.75-1.6 MB now: a row per series and step, four printed digits).
    assert len(player.proto.bytes) < EXPLAIN_BYTES
