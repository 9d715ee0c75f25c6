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

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

from shared.caches import ExpiringCache

CACHE_ENTRIES = 2_000


@dataclass(frozen=True)
class Total:
    """How many events a list matches: ``count`` (the cap when not ``exact``), as of ``counted_at``."""

    count: int
    exact: bool
    counted_at: datetime

    @classmethod
    def of(cls, counted: int, cap: int, at: datetime, complete: bool = True) -> Total:
        """The total of a count that stopped at ``cap + 1`` (``complete``: False when the count
        itself stopped short, as a search does at its read cap)."""
        return cls(min(counted, cap), complete and counted <= cap, at)


TOTALS: ExpiringCache[tuple[str, Hashable], Total] = ExpiringCache(CACHE_ENTRIES)
"""First-page totals by (org, the rest of the key: scope, list, filter, cap)."""


def forget_org(org_id: str) -> None:
    """Drop the org's totals (a write went through this instance)."""
    TOTALS.forget(lambda key: key[0] == org_id)
