"""Start-up is one explicit call, and the server's long-lived heap is frozen so the per-run
garbage collection stays cheap."""

import gc
import importlib
import json
import subprocess
import sys
import weakref

from tests.app.conftest import ROOT
from ui.compute import memory as runtime

PROBE = """
import gc, json, os, sys, time
import psutil
before = len(psutil.Process().children())
import ui.frame.page, ui.compute.runs  # every module the pages import
after_import = {"frozen": gc.get_freeze_count(), "children": len(psutil.Process().children()) - before}
from ui.compute import runs, startup
assert startup.start() and not startup.start()  # once
deadline = time.monotonic() + 60
while len(psutil.Process().children()) - before < runs.POOL.size and time.monotonic() < deadline:
    time.sleep(0.1)
print(json.dumps({"import": after_import, "start": {"frozen": gc.get_freeze_count(),
      "children": len(psutil.Process().children()) - before, "size": runs.POOL.size}}))
runs.POOL.shutdown()
"""


def test_importing_the_app_does_nothing_and_start_up_does_it_once():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"OPTLAB_ENGINE_WORKERS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["import"] == {"frozen": 0, "children": 0}  # no side effect of an import
    assert got["start"]["frozen"] > 10_000  # modules, classes: out of every later collection
    assert got["start"]["children"] == got["start"]["size"] == 1  # the engine worker


def test_a_run_that_imported_nothing_freezes_nothing():
    runtime.freeze_imported_heap()
    before = gc.get_freeze_count()
    junk = [[i] for i in range(1000)]  # a run's objects stay collectable
    assert runtime.freeze_imported_heap() is False
    assert gc.get_freeze_count() == before
    del junk


class _Node:
    pass


def test_new_imports_are_frozen_and_garbage_is_collected_first(tmp_path, monkeypatch):
    runtime.freeze_imported_heap()
    (tmp_path / "optlab_fresh_module.py").write_text("TABLE = {i: [i] for i in range(2000)}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    gc.disable()  # no automatic collection in between: only the freeze's own can free the cycle
    try:
        node = _Node()
        node.self = node  # a reference cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        before = gc.get_freeze_count()
        importlib.import_module("optlab_fresh_module")
        assert runtime.freeze_imported_heap() is True
    finally:
        gc.enable()
    assert gc.get_freeze_count() >= before + 2000  # the module's table is frozen
    assert gone() is None  # the garbage was collected, not frozen
    assert runtime.freeze_imported_heap() is False


def test_malloc_arenas_are_capped_on_linux_glibc():
    import sys

    ok = runtime.limit_malloc_arenas(2)
    assert ok == sys.platform.startswith("linux")


def test_free_memory_is_handed_back_on_linux_glibc():
    import sys

    import numpy as np

    junk = [np.ones(50_000) for _ in range(100)]
    del junk
    assert runtime.release_free_memory() == sys.platform.startswith("linux")
