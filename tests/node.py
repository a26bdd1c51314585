"""Node.js for the tests that run the app's JavaScript outside the browser (the browser twin, the
chart component's functions): skipped on a developer machine without ``node``, a failure in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the JavaScript tests cannot run in CI without node: `.ci/run` must install "
                        "Debian's nodejs.", pytrace=False)
        pytest.skip("the JavaScript tests need node (Debian: apt-get install nodejs)")
    return node
