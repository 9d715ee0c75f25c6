"""List totals that cost a count once per traversal, not once per page.

A total is counted on a list's first page: up to ``EVENTS_COUNT_CAP`` matches are counted exactly,
and above that the total says the cap and ``total_exact`` is false. Firestore counts at most that many
index entries, which bounds the count's cost and its time. The page's signed cursor carries the total
to the pages after it, so those pages cost only their page query.

First pages of the same org, scope, list and filter that repeat within ``EVENTS_COUNT_CACHE_SECONDS``
(5 s by default; an operator's console polls) reuse this instance's count. A write made through this
instance's store forgets its org's counts at once. A write made elsewhere, such as another function's
instance, shows within those seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

CACHE_ENTRIES = 2_000


@dataclass(frozen=True)
class Total:
    """How many events a list matches: ``count`` (the cap when not ``exact``), as of ``counted_at``."""

    count: int
    exact: bool
    counted_at: datetime

    @classmethod
    def of(cls, counted: int, cap: int, at: datetime) -> Total:
        """The total of a count that stopped at ``cap + 1``."""
        return cls(min(counted, cap), counted <= cap, at)


class TotalCache:
    """First-page totals by (org, scope, list, filter, cap), each kept ``seconds``; bounded LRU."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._totals: OrderedDict[tuple[str, Hashable], tuple[Total, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, org_id: str, key: Hashable) -> Total | None:
        with self._lock:
            found = self._totals.get((org_id, key))
            if found is None or found[1] <= time.monotonic():
                return None
            self._totals.move_to_end((org_id, key))
            return found[0]

    def put(self, org_id: str, key: Hashable, total: Total, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._totals[(org_id, key)] = (total, time.monotonic() + seconds)
            self._totals.move_to_end((org_id, key))
            while len(self._totals) > self.entries:
                self._totals.popitem(last=False)

    def forget(self, org_id: str) -> None:
        """Drop the org's totals (a write went through this instance)."""
        with self._lock:
            for key in [key for key in self._totals if key[0] == org_id]:
                del self._totals[key]

    def clear(self) -> None:
        with self._lock:
            self._totals.clear()


TOTALS = TotalCache()
