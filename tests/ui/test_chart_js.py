"""The chart component's JavaScript: it parses, and its pure functions pass their Node tests
(``tests/js/chart.test.mjs``, run with ``node --test``). Without ``node`` these are skipped on a
developer machine and fail when ``CI=true``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.node import require_node

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_JS = [ROOT / "ui" / "views" / "components" / "chart" / "chart.js", ROOT / "static" / "optlab" / "twin.js"]


@pytest.mark.parametrize("path", PRODUCT_JS, ids=lambda p: p.name)
def test_the_product_javascript_parses(path):
    node = require_node()
    done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_chart_components_functions_pass_their_node_tests():
    node = require_node()
    done = subprocess.run([node, "--test", str(ROOT / "tests" / "js" / "chart.test.mjs")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass " in done.stdout
