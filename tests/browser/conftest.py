"""Fixtures for the real-browser tests: the app's server, Debian's chromium, a watched page.

* ``server``: one ``streamlit run dashboard.py`` for the whole session (most tests).
* ``fresh_server``: a server of its own, started for one test, for "first request after
  a server start" behaviour (deep links).
* ``browser``: the session's one chromium (``tests/conftest.py``, shared with tests/deploy);
  ``page``: a new context and page per test, with
  its console errors, failed responses and script runs recorded (``harness.Watch``).

Without playwright or /usr/bin/chromium the tests are skipped on a developer machine, but
fail when ``CI=true``: in CI the browser tests must run.

``test_screenshots.py`` (rewrites docs/screenshots) is collected only with ``SCREENSHOTS=1``.
"""

from __future__ import annotations

import os

import pytest

from .harness import VIEWPORT, Watch, browser_problem, running_server

collect_ignore = [] if os.environ.get("SCREENSHOTS") == "1" else ["test_screenshots.py"]


def require_browser() -> None:
    problem = browser_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"real-browser tests cannot run in CI: {problem}. `.ci/run` must install "
                    "Debian's chromium and requirements-dev.txt.", pytrace=False)
    pytest.skip(f"real-browser tests need a browser: {problem}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    require_browser()
    with running_server(tmp_path_factory.mktemp("server")) as srv:
        yield srv


@pytest.fixture
def fresh_server(tmp_path):
    """A server nobody has talked to yet: the test's first request is its first request."""
    require_browser()
    with running_server(tmp_path) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser(request):
    require_browser()
    return request.getfixturevalue("shared_chromium")


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, watch):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    watch.attach(pg)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def tab(browser):
    """``tab(width, height)``: a new tab in a browser context shared, per screen size, by the tests
    that only open views and measure them (geometry, plot areas). The context's HTTP cache is kept,
    so Streamlit's and Vega's scripts are fetched and compiled once per screen size rather than once
    per test (about 0.8 s of each page load on this machine); each tab is still a Streamlit session
    of its own, with its own chart runtime and sessionStorage. The caller closes the tab."""
    contexts = {}

    def new_tab(width: int, height: int):
        if (width, height) not in contexts:
            contexts[width, height] = browser.new_context(viewport={"width": width, "height": height})
            contexts[width, height].set_default_timeout(30_000)
        return contexts[width, height].new_page()

    yield new_tab
    for context in contexts.values():
        context.close()
