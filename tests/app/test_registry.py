"""The page registry is the one list of pages, and every objective has its own options.

The navigation, the test lists, the screenshots and the README's table come from the registry or
are checked against it here; objective options are named per objective (``quadratic.cond``), so
each objective's controls start at that objective's own defaults, and an old link's flat name
(``f.cond``) still means the linked objective's option.
"""

from __future__ import annotations

import re

import pytest

from engine import OBJECTIVES, get_objective
from tests.browser.screenshots import file_name
from ui.frame.registry import PAGES, ROOT
from ui.state.fields import SHARED_FIELDS, SIDEBAR_OBJECTIVES, objective_fields
from ui.state.settings import settings_from_values

from .conftest import no_exception, open_page


def test_every_page_script_is_one_row_and_every_row_has_its_script():
    scripts = {"dashboard.py", *(f"pages/{f.name}" for f in (ROOT / "pages").glob("*.py"))}
    assert scripts == {p.script for p in PAGES.values()}
    # Streamlit's URL rule: the file name without its number prefix and ``.py``
    for p in PAGES.values():
        if p.script != "dashboard.py":
            assert p.url_path == re.sub(r"^\d+_", "", (ROOT / p.script).stem)
    assert len({p.url_path for p in PAGES.values()}) == len(PAGES)


def test_page_controls_have_keys_of_their_own():
    """No page control takes a shared one's key, and two pages share a key only by sharing the
    very same control (the step explainer's toggle: on one page, on them all)."""
    seen: dict = {}
    for p in PAGES.values():
        keys = [f.key for f in p.fields]
        assert len(keys) == len(set(keys)), p.id
        assert not set(keys) & set(SHARED_FIELDS), (p.id, set(keys) & set(SHARED_FIELDS))
        for f in p.fields:
            assert seen.setdefault(f.key, f) is f, (p.id, f.key)


def test_the_readme_lists_every_page_in_the_registry_order():
    readme = (ROOT / "README.md").read_text()
    table = re.findall(r"^\| \*\*(.+?)\*\* \|", readme, re.M)
    assert table == [p.title for p in PAGES.values()]


def test_every_page_has_a_screenshot_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for p in PAGES.values():
        name = file_name(p.url_path)
        assert (ROOT / "docs" / "screenshots" / name).exists(), name
        assert f"docs/screenshots/{name}" in readme, name


@pytest.mark.parametrize("objective", SIDEBAR_OBJECTIVES)
def test_every_objectives_sidebar_defaults_are_its_engine_defaults(objective):
    settings = settings_from_values({"f": objective})
    engine_defaults = {k: o.default for k, o in OBJECTIVES[objective].options.items()}
    assert dict(settings.objective_options) == engine_defaults
    assert settings.objective_obj() is get_objective(objective)
    assert {k: f.default for k, f in objective_fields(objective).items()} == engine_defaults


def test_the_badly_scaled_quadratic_runs_with_its_own_condition_number():
    """Both quadratics have a ``cond``: once they shared one control, and the badly scaled one ran
    with the ill-conditioned one's default (10, not 100)."""
    at = open_page("pages/1_Trajectories.py", {"f": "scaled", "steps": "50"})
    no_exception(at)
    assert at.select_slider(key="w:scaled.cond").value == 100.0
    assert at.session_state["v:scaled.cond"] == 100.0


def test_an_old_link_with_a_flat_option_name_still_works():
    at = open_page("pages/1_Trajectories.py", {"f": "quadratic", "f.cond": "50", "steps": "50"})
    no_exception(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.session_state["v:quadratic.cond"] == 50.0
    assert at.query_params["quadratic.cond"] in ("50", ["50"])  # the link is rewritten in today's names
    assert "f.cond" not in at.query_params


def test_a_flat_option_name_the_objective_does_not_have_is_named():
    at = open_page("pages/1_Trajectories.py", {"f": "rosenbrock", "f.cond": "50", "steps": "50"})
    assert any("`f.cond`" in w.value and "not one this page knows" in w.value for w in at.warning)


def test_option_controls_of_another_objective_are_kept_when_switching():
    at = open_page("pages/1_Trajectories.py", {"f": "quadratic", "quadratic.cond": "300", "steps": "50"})
    at.selectbox(key="w:f").set_value("scaled").run()
    no_exception(at)
    assert at.session_state["v:scaled.cond"] == 100.0  # its own default, not the quadratic's 300
    assert at.session_state["v:quadratic.cond"] == 300.0
