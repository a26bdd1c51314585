"""Results kept for the next student who asks for the same thing, bounded by bytes.

A ``ByteCache`` is a process-wide least-recently-used store with a byte budget and an age limit,
safe across script threads. An entry older than the age limit is dropped when it is asked for, and
also when anything is added to the cache (so that an entry nobody asks for again does not stay for
as long as the server runs: a key may hold a student's own data set). Two sessions asking for the
same key at once compute it once (the second waits for the first). No session can change what
another one sees: a cache either hands out copies (``copy.deepcopy``), or holds values that nobody
can change (strings, and traces ``sealed`` into read-only memory: their arrays cannot even be made
writeable again), which every session then shares without a copy.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

V = TypeVar("V")


def sealed(value: Any) -> Any:
    """``value`` with every numpy array in it copied into a bytes buffer: read-only, and no one can
    set it writeable again (numpy refuses for memory it does not own). Dataclasses (a ``Trace``, a
    ``BaselinePath``) and mappings of arrays are rebuilt around the sealed arrays."""
    if isinstance(value, np.ndarray):
        if value.base is None and value.flags.c_contiguous and value.dtype.kind in "biufc":
            # An array that owns its memory (a worker's unpickled result): sealed in place, without a
            # copy (a 100 MB trace would otherwise be held twice while it is sealed). Read-only
            # itself, and seen only through a read-only buffer that numpy will not make writeable.
            value.flags.writeable = False
            return np.frombuffer(memoryview(value).toreadonly(), dtype=value.dtype).reshape(value.shape)
        return np.frombuffer(value.tobytes(), dtype=value.dtype).reshape(value.shape)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: sealed(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, Mapping) and not isinstance(value, dict):  # the engine's read-only mappings
        return type(value)({k: sealed(v) for k, v in value.items()})
    return value


def size_of(value: Any) -> int:
    """Bytes a cached value holds: its arrays and frames, its strings, recursively (close enough
    for a budget; the Python objects around them are small)."""
    seen: set[int] = set()

    def walk(v: Any) -> int:
        if id(v) in seen:
            return 0
        seen.add(id(v))
        if isinstance(v, np.ndarray):
            return v.nbytes
        if isinstance(v, pd.DataFrame):
            return int(v.memory_usage(index=True, deep=True).sum())
        if isinstance(v, (str, bytes)):
            return len(v)
        if isinstance(v, dict) or (hasattr(v, "items") and callable(v.items)):
            return sum(walk(k) + walk(x) for k, x in v.items())
        if isinstance(v, (list, tuple, set, frozenset)):
            return sum(walk(x) for x in v) + 8 * len(v)
        if hasattr(v, "__dict__"):
            return walk(vars(v))
        return 16

    return walk(value)


class ByteCache(Generic[V]):
    """At most ``max_bytes`` of values (by ``size_of``), each kept at most ``ttl`` seconds."""

    def __init__(self, max_bytes: int, ttl: float = 1800.0, copy_out: bool = True) -> None:
        self.max_bytes, self.ttl, self.copy_out = int(max_bytes), float(ttl), copy_out
        self._items: OrderedDict[Hashable, tuple[V, int, float]] = OrderedDict()
        self._computing: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = self.misses = 0

    def _out(self, value: V) -> V:
        return copy.deepcopy(value) if self.copy_out else value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return self._fresh(key) is not None

    def _fresh(self, key: Hashable):
        item = self._items.get(key)
        if item is None:
            return None
        if time.monotonic() - item[2] > self.ttl:
            self._drop(key)
            return None
        return item

    def _drop(self, key: Hashable) -> None:
        _, nbytes, _ = self._items.pop(key)
        self.bytes -= nbytes

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value for ``key``, computed by ``compute()`` if it is not kept (once, whoever asks
        meanwhile). An exception of ``compute`` reaches every caller waiting for it."""
        while True:
            with self._lock:
                item = self._fresh(key)
                if item is not None:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._out(item[0])
                waiting = self._computing.get(key)
                if waiting is None:
                    done = self._computing[key] = threading.Event()
                    break
            waiting.wait()  # another thread computes it: then read it (or compute it, if it failed)
        try:
            self.misses += 1
            value = compute()
            self.put(key, value)
            return self._out(value)
        finally:
            with self._lock:
                self._computing.pop(key, None)
            done.set()

    def _expire(self) -> None:
        """Drop every entry older than the age limit (under the lock)."""
        now = time.monotonic()
        for key in [k for k, (_, _, born) in self._items.items() if now - born > self.ttl]:
            self._drop(key)

    def put(self, key: Hashable, value: V) -> None:
        nbytes = size_of(value)
        with self._lock:
            self._expire()
            if key in self._items:
                self._drop(key)
            if nbytes > self.max_bytes:
                return  # larger than the whole cache: not kept
            self._items[key] = (value, nbytes, time.monotonic())
            self.bytes += nbytes
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0
