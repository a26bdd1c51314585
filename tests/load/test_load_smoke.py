"""A small load test in CI: 3 browser-less sessions at once against the real server.

The full load test is ``benchmarks/load.py`` (N = 1, 10, 30, 60, with timings and memory; see
``benchmarks/LOAD.md``). Here only counts and errors are asserted, never timings: every session
opens a page by its link, changes a control, follows a sidebar link to the next page and changes a
control there, and every one of those runs ends without an exception, a failed connection or a
timeout.
"""

from __future__ import annotations

import pytest

from .bench_load import ROOT, load

SESSIONS = 3
CHANGES = (1, 1)  # open, 1 change, switch, 1 change: 4 runs a session


@pytest.fixture(scope="module")
def level():
    # run_level runs its asyncio loop in a thread of its own (load.run_async): it works even where
    # the browser tests' Playwright (sync API) holds this thread's event loop.
    return load.run_level(SESSIONS, ROOT, think=(0.1, 0.3), ramp=0.5, seed=1, rerun_timeout=180,
                          level_timeout=600, keep_runs=True, changes=CHANGES)


def test_every_run_of_every_session_finishes_without_error(level):
    assert not level.server_died, level.errors
    assert level.errors == [], "\n".join(level.errors)
    assert level.exceptions == 0
    assert level.connection_errors == 0
    assert level.timeouts == 0
    assert level.sessions_completed == SESSIONS
    assert level.runs == SESSIONS * (1 + sum(CHANGES) + len(CHANGES) - 1)
    assert level.runs_ok == level.runs


def test_sessions_open_change_and_switch_pages(level):
    runs = level.runs_detail
    by_session = {}
    for r in runs:
        by_session.setdefault(r["session"], []).append(r)
    assert sorted(by_session) == list(range(SESSIONS))
    for rs in by_session.values():
        actions = [r["action"] for r in rs]
        assert actions[0] == "open", actions
        assert actions.count("switch") == 1, actions
        assert {"change", "preset"} & set(actions), actions
        switch = actions.index("switch")
        # the switch lands on the next page of the lesson path
        before, after = rs[switch - 1]["page"], rs[switch]["page"]
        path = load.LESSON_PATH
        assert after == path[(path.index(before) + 1) % len(path)], (before, after)
        # every page drew its charts (the guide page has none)
        for r in rs:
            assert r["charts"] > 0 or r["page"] == "Practical_guide", r
    # the sessions did not all do the same thing
    assert len({r["page"] for r in runs}) >= 3


def test_memory_and_counts_are_reported(level):
    assert level.rss_peak_mb > 50
    assert level.per_page and level.per_action
