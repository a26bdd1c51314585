"""Accessibility: axe-core (WCAG 2.0/2.1, levels A and AA) on every page finds no serious or
critical violation of the app's own making.

axe-core is test-only JavaScript (``tests/browser/axe``, installed by ``.ci/run`` with ``npm ci``);
without it the test is skipped on a developer machine and fails in CI. Violations that come from
Streamlit's own elements and cannot be fixed from the app are listed in ``STREAMLIT`` with why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import PAGES, open_page

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), html: n.html.slice(0, 160)})),
  }));
}"""

# Streamlit's own elements that the app cannot change, each with the reason (rule id -> selector
# fragments of the nodes it may flag). Nothing of the app's own making is listed here.
STREAMLIT: dict[str, tuple[str, ...]] = {}


def _axe_script() -> Path:
    if AXE.exists():
        return AXE
    why = "axe-core is not installed: npm ci --prefix tests/browser/axe"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (.ci/run must install it)", pytrace=False)
    pytest.skip(why)


def _ours(violation: dict) -> list[dict]:
    allowed = STREAMLIT.get(violation["id"], ())
    return [n for n in violation["nodes"] if not any(a in n["target"] or a in n["html"] for a in allowed)]


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_no_serious_accessibility_violation(server, tab, path):
    script = _axe_script()
    page = tab(1280, 720)
    try:
        open_page(page, server.url, path, charts=PAGES[path][1] or None, at_least=0)
        page.wait_for_timeout(500)
        page.add_script_tag(path=str(script))
        found = page.evaluate(RUN, TAGS)
        problems = [(v["id"], v["help"], nodes) for v in found if (nodes := _ours(v))]
        assert problems == [], "\n".join(f"{rule}: {help_} at {[n['target'] for n in nodes][:6]}"
                                         f" e.g. {nodes[0]['html']}" for rule, help_, nodes in problems)
    finally:
        page.close()
