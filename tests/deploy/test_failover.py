"""One replica killed outright: new sessions go to the other, the survivor's sessions keep working,
a session that was on the lost replica moves to the survivor (its cookie with it), and the
launcher restarts the lost replica, which then takes sessions again."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.load.bench_load import load

from .conftest import nginx_problem, require, start_classroom, stop_classroom

COOKIE = "optlab_replica"


@pytest.fixture
def room(tmp_path):
    require(nginx_problem(), "the failover tests")
    room = start_classroom(tmp_path / "classroom")
    yield room
    left = stop_classroom(room)
    for pid in left:
        os.killpg(pid, signal.SIGKILL)
    assert not left, f"processes outlived the launcher: {left}"


async def session_on(url: str, replica: str | None, index: int, page: str = "Trajectories", query: str = "steps=100"):
    """A browser-less session that holds the sticky cookie for ``replica`` (None: a new browser),
    has loaded the page and opened ``page`` over the websocket."""
    s = load.Session(None, index, rerun_timeout=120, url=url)
    if replica:
        s.cookies[COOKIE] = replica
    await s.connect()
    r = await s.open(page, query)
    return s, r


def test_a_killed_replica_loses_only_its_own_sessions(room):
    before = {r["name"]: r for r in room.state()["replicas"]}

    async def scenario():
        survivor, r = await session_on(room.url, "r0", 0)
        assert r.ok and survivor.cookies[COOKIE] == "r0", (r, survivor.cookies)
        lost, r = await session_on(room.url, "r1", 1)
        assert r.ok and lost.cookies[COOKIE] == "r1", (r, lost.cookies)

        os.killpg(before["r1"]["pid"], signal.SIGKILL)  # the replica and its engine workers

        # the survivor's session goes on: a control change and a page switch
        key, value = load.pick_move(survivor, load.random.Random(0))
        assert (await survivor.set(key, value)).ok
        assert (await survivor.switch("Loss_curves")).ok, survivor.runs[-1]
        # the lost session's websocket is gone (a browser would reconnect, as below)
        assert (await lost.rerun("change", "after the kill")).status == "connection"
        await lost.close()

        # a browser that was on r1 reloads: served by r0, its cookie moved there
        moved, r = await session_on(room.url, "r1", 2)
        assert r.ok and moved.cookies[COOKIE] == "r0", (r, moved.cookies)
        # a new browser: served by r0 as well, while r1 is down
        new, r = await session_on(room.url, None, 3, page="Loss_curves", query="")
        assert r.ok and new.cookies[COOKIE] == "r0", (r, new.cookies)
        for s in (survivor, moved, new):
            await s.close()

    load.run_async(scenario)

    # the launcher restarts r1 (new process, same port) and marks it up again
    deadline = time.monotonic() + 90
    while True:
        r1 = room.replica("r1")
        if r1["restarts"] == 1 and r1["state"] == "healthy" and not r1["down"] and r1["pid"] != before["r1"]["pid"]:
            break
        assert time.monotonic() < deadline, (r1, room.output())
        time.sleep(0.5)
    assert r1["port"] == before["r1"]["port"]
    assert room.replica("r0")["pid"] == before["r0"]["pid"] and room.replica("r0")["restarts"] == 0

    async def after_restart():
        # the moved browser stays on r0 (its session lives there now); r1 takes sessions again
        moved, r = await session_on(room.url, "r0", 4)
        assert r.ok and moved.cookies[COOKIE] == "r0"
        back, r = await session_on(room.url, "r1", 5)
        assert r.ok and back.cookies[COOKIE] == "r1", (r, back.cookies)
        for s in (moved, back):
            await s.close()

    load.run_async(after_restart)
    assert "r1 (port" in room.output() and "exited with -9" in room.output(), room.output()
