"""What one request asks of the store, counted where the store is called: RPCs (every query, get,
count, batched write, and a transaction's begin, commit and rollback), documents read, index entries
matched by count aggregations, the reads Firestore bills for them (a document read is one; a query or
get that returns nothing still bills one; an aggregation bills one per 1,000 index entries matched, at
least one), and documents written by commits. Kept apart by purpose (``events``, ``keys``,
``rate_limit``, ``idempotency``), so the cost of the events themselves reads apart from the edge's
lookups.

The edge meters each request, a streamed answer's body included (an export's scan runs while the body
is sent): the counts go into its log line, written when the answer has been sent, and into an
``X-Store-Cost`` header when ``EVENTS_STORE_COST_HEADER`` is on (local stacks and benchmarks). A
header leaves before a streamed body, so there it holds what was spent before the body; the log line
holds the whole.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

FIELDS = ("rpcs", "documents", "counted", "billed", "writes")
STORE_COST_HEADER = "X-Store-Cost"


@dataclass
class Usage:
    rpcs: int = 0
    documents: int = 0
    counted: int = 0
    billed: int = 0
    writes: int = 0


@dataclass
class StoreMeter:
    """The store usage of one request, by purpose (thread-safe: concurrent reads add to it)."""

    usage: dict[str, Usage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, purpose: str, **amounts: int) -> None:
        with self._lock:
            usage = self.usage.setdefault(purpose, Usage())
            for name, amount in amounts.items():
                setattr(usage, name, getattr(usage, name) + amount)

    def summary(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {purpose: {name: getattr(u, name) for name in FIELDS} for purpose, u in self.usage.items()}

    def header(self) -> str:
        """``events;rpcs=2;documents=21;counted=57;billed=22;writes=0, rate_limit;rpcs=1;...``"""
        return ", ".join(
            ";".join([purpose, *(f"{name}={value}" for name, value in usage.items())])
            for purpose, usage in sorted(self.summary().items())
        )


_meter: ContextVar[StoreMeter | None] = ContextVar("store_meter", default=None)


@contextlib.contextmanager
def metering(meter: StoreMeter | None = None) -> Iterator[StoreMeter]:
    """Count the store calls made inside (a request) into ``meter`` (a new one when not given: the
    body of a streamed answer goes on counting into its request's)."""
    meter = meter if meter is not None else StoreMeter()
    token = _meter.set(meter)
    try:
        yield meter
    finally:
        _meter.reset(token)


def _add(purpose: str, **amounts: int) -> None:
    meter = _meter.get()
    if meter is not None:
        meter.add(purpose, **amounts)


def called(purpose: str, rpcs: int = 1) -> None:
    """RPCs to the store."""
    _add(purpose, rpcs=rpcs)


def documents_read(purpose: str, documents: int) -> None:
    """A query or get of that RPC returned ``documents`` documents."""
    _add(purpose, documents=documents, billed=max(1, documents))


def entries_counted(purpose: str, entries: int) -> None:
    """A count aggregation of that RPC matched ``entries`` index entries."""
    _add(purpose, counted=entries, billed=max(1, -(-entries // 1000)))


def written(purpose: str, documents: int) -> None:
    """A commit wrote ``documents`` documents (each change, creation or deletion is one)."""
    _add(purpose, writes=documents)


def parse_header(value: str) -> dict[str, dict[str, int]]:
    """The counts of an ``X-Store-Cost`` header (benchmarks and tests read it)."""
    usage: dict[str, dict[str, int]] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        purpose, *pairs = part.split(";")
        usage[purpose] = {name: int(amount) for name, amount in (pair.split("=") for pair in pairs)}
    return usage
