"""A bounded, expiring, per-instance cache: what an instance remembers for a few seconds (API key
records, first-page totals) without ever growing past its size."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """Values by key, each kept for the seconds it was put with; the least recently used goes first
    when more than ``entries`` are held. Thread-safe."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._values: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, the value) while it is fresh, else (False, None): a cached None is still found."""
        with self._lock:
            found = self._values.get(key)
            if found is None or found[1] <= time.monotonic():
                self._values.pop(key, None)
                return False, None
            self._values.move_to_end(key)
            return True, found[0]

    def put(self, key: K, value: V, seconds: float) -> None:
        """Keep ``value`` for ``seconds`` (none or less: not kept)."""
        if seconds <= 0:
            return
        with self._lock:
            self._values[key] = (value, time.monotonic() + seconds)
            self._values.move_to_end(key)
            while len(self._values) > self.entries:
                self._values.popitem(last=False)

    def forget(self, matches: Callable[[K], bool]) -> None:
        """Drop every entry whose key ``matches``."""
        with self._lock:
            for key in [key for key in self._values if matches(key)]:
                del self._values[key]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
