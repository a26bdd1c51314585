"""Two replicas behind nginx on loopback (``deploy/classroom.py``): sticky sessions, the websocket,
deep links in Chromium and the load smoke test, all through the proxy."""

from __future__ import annotations

import re
import urllib.request

import pytest
import websockets

from tests.browser import harness
from tests.load.bench_load import load

from .conftest import require

COOKIE = "optlab_replica"


def get(url: str, cookie: str | None = None) -> tuple[int, str, str | None]:
    """(status, body, the replica the sticky cookie names) of a GET through the proxy."""
    req = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        sticky = [c for c in resp.headers.get_all("Set-Cookie") or [] if c.startswith(f"{COOKIE}=")]
        value = re.match(rf"{COOKIE}=([^;]*)", sticky[0]).group(1) if sticky else None
        return resp.status, resp.read().decode(errors="replace"), value


def test_new_browsers_are_spread_and_each_sticks_to_its_replica(classroom):
    state = classroom.state()
    assert [r["name"] for r in state["replicas"]] == ["r0", "r1"]
    assert all(r["state"] == "healthy" for r in state["replicas"]), state
    # idle replicas: least_conn takes turns, so new browsers land on both
    first = {get(classroom.url + "/")[2] for _ in range(6)}
    assert first == {"r0", "r1"}, first
    for name in ("r0", "r1"):
        for path in ("/", "/Trajectories?steps=100", "/_stcore/health", "/_stcore/host-config"):
            status, _, served = get(classroom.url + path, cookie=name)
            assert status == 200 and served == name, (path, name, served)
        assert get(classroom.url + "/_stcore/health", cookie=name)[1] == "ok"


def test_the_websocket_goes_through_the_proxy_to_the_cookies_replica(classroom):
    ws_url = classroom.url.replace("http", "ws") + "/_stcore/stream"

    async def handshake(name):
        async with websockets.connect(ws_url, subprotocols=["streamlit"], open_timeout=30,
                                      additional_headers={"Cookie": f"{COOKIE}={name}"}) as ws:
            cookies = ws.response.headers.get_all("Set-Cookie")
            return ws.response.status_code, ws.subprotocol, cookies

    for name in ("r0", "r1"):
        status, proto, cookies = load.run_async(lambda n=name: handshake(n))
        assert status == 101 and proto == "streamlit"
        assert any(c.startswith(f"{COOKIE}={name};") for c in cookies), cookies


def test_load_smoke_through_the_proxy(classroom):
    sessions = 4
    level = load.run_level(sessions, think=(0.1, 0.3), ramp=0.5, seed=1, rerun_timeout=180, level_timeout=600,
                           keep_runs=True, changes=(1, 1), url=classroom.url, pid=classroom.pid)
    assert level.errors == [], "\n".join(level.errors)
    assert level.sessions_completed == sessions
    assert level.runs == level.runs_ok == sessions * 4
    assert not level.server_died
    # memory is that of the launcher's tree: two replicas at least
    assert level.rss_peak_mb > 2 * 100, level.rss_peak_mb
    # the sessions were spread over both replicas (a websocket is logged when it closes)
    streams = [line for line in classroom.access_log() if '"GET /_stcore/stream' in line and " 101 " in line]
    served = [re.search(r"served_by=(\w*)", line).group(1) for line in streams]
    assert {"r0", "r1"} <= set(served), served


@pytest.fixture(scope="module")
def browser(request):
    require(harness.browser_problem(), "the reverse-proxy browser tests")
    return request.getfixturevalue("shared_chromium")  # one sync Playwright per session


@pytest.mark.browser
@pytest.mark.parametrize("path, query, charts", [("Trajectories", "steps=100", 1),
                                                 ("Loss_curves", "noise=1&seeds=5", 2)])
def test_deep_links_through_the_proxy_in_chromium(classroom, browser, path, query, charts):
    context = browser.new_context(viewport=harness.VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        watch = harness.Watch()
        watch.attach(page)
        harness.open_page(page, classroom.url, path, query, charts=charts)
        assert page.locator(harness.EXCEPTION).count() == 0, harness.describe(page, classroom.url)
        assert harness.path_of(page) == path
        want = dict(kv.split("=") for kv in query.split("&"))
        assert {k: harness.query_of(page).get(k) for k in want} == want, page.url
        sticky = [c for c in context.cookies() if c["name"] == COOKIE]
        assert len(sticky) == 1 and sticky[0]["value"] in ("r0", "r1"), context.cookies()
        assert harness.unexpected_console_errors(watch, classroom.url, [path]) == []
        # a rerun over the proxied websocket: switch to the next page by its sidebar link
        before = harness.runs(page)
        harness.sidebar_link(page, "Learning rates").click()
        harness.wait_rerun(page, before, at_least=1)
        assert harness.path_of(page) == "Learning_rates"
        assert page.locator(harness.EXCEPTION).count() == 0
        assert [c["value"] for c in context.cookies() if c["name"] == COOKIE] == [sticky[0]["value"]]
    finally:
        context.close()
