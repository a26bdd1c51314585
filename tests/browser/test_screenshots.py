"""Opt-in: ``SCREENSHOTS=1 python -m pytest tests/browser -k screenshots`` rewrites the README's
screenshots (``docs/screenshots``) with the test setup. Without ``SCREENSHOTS=1`` this module
is not collected (see ``conftest.py``): a normal run never touches the committed PNGs."""

from __future__ import annotations

import pytest

from .harness import PAGES
from .screenshots import MAX_BYTES, OUT_DIR, SCREEN, file_name, take

pytestmark = pytest.mark.browser


def test_screenshots(server, browser):
    written = take(browser, server.url)
    assert [f.name for f in written] == [file_name(p) for p in PAGES]
    for f in written:
        data = f.read_bytes()
        assert f.parent == OUT_DIR
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) <= MAX_BYTES, f"{f.name}: {len(data)} bytes"
        width = int.from_bytes(data[16:20], "big")  # the IHDR chunk
        assert width == SCREEN["width"]  # a projector's 1280x720
