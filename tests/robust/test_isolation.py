"""Isolation and determinism: sessions never see each other's results; the same URL gives the
same numbers in every session and after a restart; cached results cannot be changed.

- Two sessions with different settings run interleaved (AppTest) and at the same time (the real
  server): each one's chart data equals what it draws when it runs alone.
- ``ui.compute.runs`` caches return traces nobody can change: writing into one raises, and so does
  forcing one writeable, so every session can share the same one.
- The same URL in two fresh sessions (cache cleared in between) draws bit-identical charts; the
  real server, started twice, sends the same chart bytes for the same links (and the same bytes
  as an AppTest session draws); ``python -m engine`` writes the same bytes twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from engine import RunSpec, Trace
from ui.compute import runs
from ui.frame.page import clear_caches

from ..load.bench_load import load
from .conftest import ROOT, data_digest, n_charts, no_exception, open_page

PAGE = "pages/3_Learning_rates.py"
A = {"opt": "adam,rmsprop", "steps": "150", "seed": "3", "noise": "0.4"}
B = {"opt": "sgd,momentum", "steps": "90", "seed": "11", "noise": "1.5", "f": "beale"}
A2 = {**A, "steps": "170"}  # A after its steps control is changed


def _solo(query, path=PAGE):
    at = open_page(path, query)
    no_exception(at)
    assert n_charts(at) >= 1
    return data_digest(at)


@pytest.fixture(scope="module")
def solo():
    return {"A": _solo(A), "B": _solo(B), "A2": _solo(A2)}


def test_the_two_settings_draw_different_data(solo):
    assert len(set(solo.values())) == 3


def test_interleaved_sessions_never_see_each_others_results(solo):
    a = open_page(PAGE, A)
    b = open_page(PAGE, B)
    assert data_digest(a) == solo["A"] and data_digest(b) == solo["B"]
    for _ in range(2):
        a.run()
        b.run()
        assert data_digest(a) == solo["A"] and data_digest(b) == solo["B"]
    a.number_input(key="w:steps").set_value(170).run()
    b.run()
    assert data_digest(a) == solo["A2"]
    assert data_digest(b) == solo["B"]
    a.switch_page("pages/2_Loss_curves.py").run()
    b.run()
    no_exception(a)
    assert data_digest(b) == solo["B"]
    assert b.session_state["v:steps"] == 90 and a.session_state["v:steps"] == 170


def test_concurrent_sessions_never_see_each_others_results(solo, tmp_path):
    """Two sessions of the real server rerunning at the same time on a fresh server: both compute,
    at once, through the shared caches (results and chart specs), in the server's own script
    threads. (Not AppTest in two threads: AppTest resets process-wide Streamlit state on every
    run, ``Runtime._instance`` and ``PagesManager.uses_pages_directory``, so two of them race
    each other, not the app: seen in CI as a page link that "could not find" its page.)"""
    results: dict[str, list[str]] = {"A": [], "B": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    with _server(tmp_path) as port:
        def session(name, query):
            try:
                start.wait(timeout=60)
                for _ in range(4):  # each a new session, while the other one runs
                    results[name].append(_server_digest(port, *_url(PAGE, query))[0])
            except BaseException as err:  # reported below, in the test's thread
                errors.append(err)

        threads = [threading.Thread(target=session, args=(n, q)) for n, q in (("A", A), ("B", B))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    assert not errors, errors
    assert results["A"] == [solo["A"]] * 4  # what an AppTest session draws alone
    assert results["B"] == [solo["B"]] * 4


# --------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------

SPEC = RunSpec.of("rosenbrock", "adam", 60, (-1.0, 0.5), 0.3, (0, 1, 2), lr=0.05)


def _trace_arrays(tr: Trace):
    for name in ("t", "loss", "final_params", "final_loss", "stopped_at", "start", "seed", "noise",
                 "lr_factors", "n_grad", "params", "grads", "eff_lr", "delta"):
        a = getattr(tr, name)
        if a is not None:
            yield name, a
    for group in ("hyper", "state"):
        for k, v in getattr(tr, group).items():
            yield f"{group}[{k}]", v


def _equal(t1: Trace, t2: Trace) -> bool:
    a1, a2 = dict(_trace_arrays(t1)), dict(_trace_arrays(t2))
    return a1.keys() == a2.keys() and all(
        a1[k].dtype == a2[k].dtype and a1[k].tobytes() == a2[k].tobytes() for k in a1)


@pytest.mark.parametrize("call", [
    lambda: runs.trace(SPEC),
    lambda: runs.trace(SPEC.replace(record_state=True)),  # with the optimiser state
    lambda: runs.trace(SPEC.replace(record="loss", every=60, grid={"lr": (0.01, 0.02, 0.05)})),
    lambda: runs.replay("adam", {"bias_correction": False}, SPEC.replace(record_state=True)),
], ids=["simulate", "simulate+state", "sweep", "replay"])
def test_cached_traces_are_equal_read_only_copies(call):
    t1, t2 = call(), call()
    assert isinstance(t1, Trace) and _equal(t1, t2)
    for name, a in _trace_arrays(t1):
        assert not a.flags.writeable, name
        with pytest.raises(ValueError):
            a[...] = 0
    with pytest.raises((AttributeError, TypeError)):
        t1.hyper["lr"] = np.zeros(3)  # the mappings are read-only too
    with pytest.raises(AttributeError):
        t1.steps = 1  # a frozen dataclass
    # Even a copy forced writeable and changed does not reach what the cache returns next.
    loss = t1.loss
    try:
        loss.flags.writeable = True
    except ValueError:
        pass  # not even forcible: better still
    else:
        loss[...] = np.nan
    t3 = call()
    assert _equal(t2, t3)
    assert not np.isnan(t3.loss).any()


def test_cached_results_are_shared_and_nobody_can_change_them():
    """A cached trace is handed to every session without a copy (one trace for a class, not one
    per student), so its arrays must be unchangeable for everyone: not even forcibly writeable."""
    t1, t2 = runs.trace(SPEC), runs.trace(SPEC)
    assert t1 is t2
    for name, a in _trace_arrays(t1):
        with pytest.raises(ValueError):
            a.flags.writeable = True
        assert not a.flags.owndata, name  # the memory belongs to an immutable buffer


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------

DETERMINISM = [
    ("dashboard.py", {"home.seed": "4"}),
    ("pages/2_Loss_curves.py", {"steps": "200", "seeds": "4", "opt": "sgd,adam,lion", "noise": "0.8", "seed": "9"}),
    ("pages/5_Sparse_gradients.py", {"sp.steps": "150", "sp.seeds": "2", "seed": "2"}),
    ("pages/8_Schedules.py", {"steps": "300", "sch": "step", "clip": "norm", "clip.at": "1", "opt": "momentum"}),
]


@pytest.mark.parametrize(("path", "query"), DETERMINISM, ids=[p for p, _ in DETERMINISM])
def test_the_same_url_gives_the_same_numbers_in_two_fresh_sessions(path, query):
    clear_caches()
    first = open_page(path, query)
    clear_caches()  # the second session computes everything again
    second = open_page(path, query)
    no_exception(first)
    assert n_charts(first) >= 1
    assert data_digest(first) == data_digest(second)


# The real server, started twice: the same links draw the same bytes over the websocket.
SERVER_URLS = [DETERMINISM[1], DETERMINISM[3]]


def _url(path: str, query: dict) -> tuple[str, str]:
    """The URL path Streamlit gives a page script (``pages/2_Loss_curves.py`` -> ``Loss_curves``) and the query."""
    name = "" if path == "dashboard.py" else re.sub(r"^\d+_", "", Path(path).stem)
    return name, urllib.parse.urlencode(query)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(log_dir):
    """``streamlit run dashboard.py`` on a free port until it answers; stopped (this process only) on exit."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(log_dir / f"server-{port}.log", "wb")  # closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None, (log_dir / f"server-{port}.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not answer in 90 s"
            time.sleep(0.1)
        yield port
    finally:
        load.stop_server(proc, grace=15)
        log.close()


def _server_digest(port: int, page: str, query: str) -> tuple[str, int]:
    """Open ``/page?query`` in a new websocket session; the digest of every chart's data, and the count."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    h, n = hashlib.sha256(), 0
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                 open_timeout=30) as ws:
        ws.send(msg.SerializeToString())
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            m = ForwardMsg()
            m.ParseFromString(ws.recv(timeout=180))
            kind = m.WhichOneof("type")
            if kind == "delta" and m.delta.WhichOneof("type") == "new_element":
                el = m.delta.new_element
                et = el.WhichOneof("type")
                assert et != "exception", el.exception.message
                if et == "vega_lite_chart":
                    for d in el.vega_lite_chart.datasets:
                        h.update(d.data.SerializeToString())
                    h.update(el.vega_lite_chart.spec.encode())
                    n += 1
                elif et == "bidi_component" and el.bidi_component.component_name == "optimiser_lab_chart":
                    h.update(el.bidi_component.bytes)
                    n += 1
            elif kind == "script_finished" and m.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return h.hexdigest(), n
    raise AssertionError(f"/{page}?{query}: no end of run in 180 s")


def test_the_same_link_draws_the_same_bytes_after_a_server_restart(tmp_path):
    runs = []
    for _ in range(2):
        with _server(tmp_path) as port:
            runs.append([_server_digest(port, *_url(path, query)) for path, query in SERVER_URLS])
    assert all(n >= 1 for _, n in runs[0]), runs[0]
    assert runs[0] == runs[1]
    # and the same bytes as an AppTest session draws for the same link
    assert [d for d, _ in runs[0]] == [data_digest(open_page(path, query)) for path, query in SERVER_URLS]


@pytest.mark.parametrize("argv", [
    ["--preset", "chapter", "--steps", "300", "--format", "json"],
    ["--optimizer", "sgd,adam,lion", "--noise", "0.5", "--seed", "0:4", "--steps", "200", "--format", "csv"],
    ["--optimizer", "adam", "--set", "lr=1e-4:1e-1:64", "--log", "--record", "loss", "--steps", "300",
     "--noise", "0.3", "--format", "csv"],
    ["--objective", "sparse", "--optimizer", "adagrad", "--steps", "100", "--seed", "0,1", "--format", "json"],
], ids=["chapter-json", "seeds-csv", "sweep-csv", "sparse-json"])
def test_the_cli_writes_the_same_bytes_twice(argv):
    def run():
        return subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, capture_output=True,
                              timeout=120, check=True).stdout

    first, second = run(), run()
    assert len(first) > 100
    assert first == second
