"""Charts keep their data when several sessions draw at the same time (a regression test).

Found by the load test (``benchmarks/LOAD.md``): ``ui/stepper.py`` ``spec_for_browser`` called
``chart.to_dict()`` under ``alt.data_transformers.disable_max_rows()`` without Streamlit's
``_altair_globals_lock``, while ``st.altair_chart`` in other sessions' threads switches Altair's
process-wide data transformer to its Arrow side channel under that lock. The step-through chart
(home page, Trajectories) was then sent with datasets missing, and the interleaved enter/exit of
the two transformer contexts could leave the global transformer switched for good: afterwards
every step-through chart, even for a lone visitor, was drawn empty until the server restarted
(seen at commit 4f479a3: 8 of 12 charts incomplete during the burst below, 3 of 3 empty after
it). Fixed in da9d39a (the stepper takes the same lock).
"""

from __future__ import annotations

import asyncio

from .bench_load import ROOT, load


async def _burst(port: int) -> tuple[list, list, list]:
    async def stepper_page(i: int) -> list:
        s = load.Session(port, i, rerun_timeout=180)
        await s.connect()
        runs = [await s.open("Trajectories", f"seed={i}")]
        for k in range(3):
            runs.append(await s.set("w:seed", 10 * i + k + 1))
        await s.close()
        return runs

    async def altair_page(i: int, page: str) -> list:
        s = load.Session(port, 10 + i, rerun_timeout=180)
        await s.connect()
        runs = [await s.open(page, "")]
        for k in range(4):
            runs.append(await s.set("w:seed", k + 1))
        await s.close()
        return runs

    results = await asyncio.gather(*(stepper_page(i) for i in range(3)),
                                   *(altair_page(i, p) for i, p in enumerate(
                                       ("Schedules", "Weight_decay", "Bias_correction", "Second_order"))))
    during = [r for rs in results for r in rs]
    after = []
    for page in ("", "Trajectories"):  # a lone visitor afterwards
        s = load.Session(port, 99, rerun_timeout=180)
        await s.connect()
        after.append(await s.open(page, ""))
        await s.close()
    return during, after, results


def test_step_through_charts_keep_their_data_under_concurrent_sessions(tmp_path):
    with load.running_server(ROOT, log_path=tmp_path / "server.log") as srv:
        during, after, _ = load.run_async(lambda: _burst(srv.port))  # its own thread and loop
    for r in during + after:
        assert r.status == "ok", (r.detail, r.status, r.exceptions)
    assert all(r.charts >= 1 for r in during + after)
    problems = [f"{r.page} {r.detail}: {p}" for r in during for p in r.chart_problems]
    assert problems == [], "charts sent without their data while other sessions drew:\n" + "\n".join(problems)
    problems = [f"/{r.page}: {p}" for r in after for p in r.chart_problems]
    assert problems == [], "after the burst, a lone visitor gets empty charts:\n" + "\n".join(problems)
