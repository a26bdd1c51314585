"""The server's long-lived heap is frozen once, so the per-run garbage collection stays cheap."""

import gc
import importlib
import weakref

from ui import page, runtime


def test_importing_the_pages_frame_freezes_the_startup_heap():
    assert page is not None
    assert runtime._frozen_modules > 0
    assert gc.get_freeze_count() > 10_000  # modules, classes, Altair's schema


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
