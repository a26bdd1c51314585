"""The lesson presenter's key listener (ui/views/components/presenter/presenter.js): it parses, and
its pure functions pass their Node tests (tests/js/presenter.test.mjs). Without ``node`` these are
skipped on a developer machine and fail when ``CI=true``. The keys in a real page:
tests/browser/test_lesson.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.node import require_node

ROOT = Path(__file__).resolve().parents[2]
PRESENTER_JS = ROOT / "ui" / "views" / "components" / "presenter" / "presenter.js"


def test_the_presenter_javascript_parses():
    done = subprocess.run([require_node(), "--check", str(PRESENTER_JS)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_presenter_keys_pass_their_node_tests():
    done = subprocess.run([require_node(), "--test", str(ROOT / "tests" / "js" / "presenter.test.mjs")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 5" in done.stdout
