"""One chart dialect and public Streamlit only.

Every chart is a Vega-Lite spec written as dicts (``ui.views.charts``): no page builds an Altair
object, so Altair's deep copies (once most of a page's server time) and its process-wide data
transformer (once switched under Streamlit's private lock) are gone. The app imports Streamlit's
documented modules only, so an upgrade cannot break it through a private name.
"""

from __future__ import annotations

import ast

import altair as alt
import pytest

from tests.app.conftest import ROOT, no_exception, open_page
from ui.frame.registry import PAGES

APP_SOURCES = sorted([ROOT / "dashboard.py", *(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").glob("*.py")])
PUBLIC_STREAMLIT = {"streamlit", "streamlit.components.v1"}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                yield node.module, a.name


def test_the_app_imports_only_public_streamlit_and_no_altair():
    found = []
    for path in APP_SOURCES:
        for module, name in _imports(path):
            top = module.split(".")[0]
            if top == "altair" or (top == "streamlit" and (module not in PUBLIC_STREAMLIT
                                                           or (name or "").startswith("_"))):
                found.append(f"{path.relative_to(ROOT)}: {module}{'.' + name if name else ''}")
    assert not found, found


def test_the_checker_sees_a_private_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from streamlit.elements.vega_charts import _altair_globals_lock\nimport altair as alt\n")
    assert {m for m, _ in _imports(bad)} == {"streamlit.elements.vega_charts", "altair"}


@pytest.fixture
def altair_objects(monkeypatch):
    """How many Altair schema objects are constructed (every chart, channel and axis is one)."""
    count = {"objects": 0}
    base_init = alt.utils.schemapi.SchemaBase.__init__

    def counting(self, *args, **kwargs):
        count["objects"] += 1
        base_init(self, *args, **kwargs)

    monkeypatch.setattr(alt.utils.schemapi.SchemaBase, "__init__", counting)
    return count


@pytest.mark.parametrize("page", [p for p in PAGES.values() if p.charts], ids=lambda p: p.id)
def test_no_page_builds_an_altair_object(altair_objects, page):
    at = open_page(page.script, dict(page.small))
    no_exception(at)
    assert altair_objects["objects"] == 0


def test_the_counter_sees_altair_objects(altair_objects):
    alt.Chart().mark_line().encode(x="a:Q")
    assert altair_objects["objects"] > 0
