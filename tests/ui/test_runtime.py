"""The server's long-lived heap is frozen once, so the per-run garbage collection stays cheap."""

import gc

from ui import page, runtime


def test_importing_the_pages_frame_freezes_the_startup_heap():
    assert page is not None
    assert runtime._frozen
    assert gc.get_freeze_count() > 10_000  # modules, classes, Altair's schema


def test_freezing_is_once_per_process():
    before = gc.get_freeze_count()
    junk = [[i] for i in range(1000)]  # objects made later stay collectable
    runtime.freeze_startup_heap()
    assert gc.get_freeze_count() == before
    del junk


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
