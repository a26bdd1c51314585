"""Fixtures shared by more than one test folder.

``shared_chromium``: the one headless chromium of the session. Playwright's sync API runs its
event loop in the test's thread, so a second ``sync_playwright()`` while the first is open fails
("using Playwright Sync API inside the asyncio loop"): the browser tests (tests/browser) and the
reverse-proxy tests (tests/deploy) must share one. Each folder's ``browser`` fixture first decides
whether it may run (skip on a developer machine, fail in CI), then asks for this one.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shared_chromium():
    from tests.browser.harness import chromium

    with chromium() as b:
        yield b
