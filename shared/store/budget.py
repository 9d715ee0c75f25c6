"""One store budget per request (``EVENTS_STORE_DEADLINE_SECONDS``, default 10).

Every Firestore call of a request draws on the same budget, set by the edge when the request starts:
each call's timeout and retry window are what is left, never a fixed per-call timeout times retries.
When the budget is spent, or the store answers that it is unavailable or out of time, the request is
503 ``unavailable`` with ``Retry-After``, and the process's Firestore client is rebuilt so the next
request reconnects at once (a replaced emulator or a failed-over backend is reached without waiting
for the old channel's reconnect backoff). Outside a request (an export's stream after its first
page, the CLI) each call gets one whole budget.

A query (stream, count, get) run inside :func:`query_run` whose index is missing or still building
(Firestore's ``FailedPrecondition`` naming an index) is :class:`IndexNotReady`, also 503
``unavailable`` with ``Retry-After`` (the client is not rebuilt: it is not an outage of the channel).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from google.api_core import exceptions as google
from google.api_core.retry import Retry, if_transient_error
from google.cloud import firestore

from shared.config import settings
from shared.model.errors import IndexNotReady, StoreUnavailable
from shared.store.meter import called, documents_read

RETRY_AFTER_SECONDS = 2
INDEX_RETRY_AFTER_SECONDS = 30  # an index builds in minutes: no point in retrying at once
_LINK = re.compile(r"https://[^\s\"']+")
_deadline: ContextVar[float | None] = ContextVar("store_deadline", default=None)
OUTAGES = (google.DeadlineExceeded, google.ServiceUnavailable, google.RetryError, TimeoutError)


def spent() -> StoreUnavailable:
    """The answer when the store did not answer within the budget."""
    return StoreUnavailable("the data store did not answer in time; retry shortly", RETRY_AFTER_SECONDS)


@contextlib.contextmanager
def request_budget() -> Iterator[None]:
    """Give the calls made inside one store budget, from now."""
    token = _deadline.set(time.monotonic() + settings().store_deadline_seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def per_call() -> Iterator[None]:
    """Inside, each call gets a whole budget of its own: for work that is long by design once it has
    started (the pages of a scheduled export), so a silent store still stops it within one budget."""
    token = _deadline.set(None)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float:
    """Seconds left of the budget (a whole budget outside a request); raises StoreUnavailable when spent."""
    deadline = _deadline.get()
    if deadline is None:
        return settings().store_deadline_seconds
    left = deadline - time.monotonic()
    if left <= 0.05:
        raise spent()
    return left


def rpc(purpose: str = "events") -> dict[str, Any]:
    """Keyword arguments that bound one Firestore call by what is left: its timeout, and a retry of
    transient errors whose total time fits in it too. The call is metered under ``purpose``."""
    left = remaining()
    called(purpose)
    retry = Retry(predicate=if_transient_error, initial=0.1, maximum=1.0, multiplier=2.0, timeout=left)
    return {"timeout": left, "retry": retry}


def get_document(
    ref: firestore.DocumentReference,
    purpose: str = "events",
    transaction: firestore.Transaction | None = None,
) -> firestore.DocumentSnapshot:
    """One document, read within the budget (in ``transaction`` when given) and metered under
    ``purpose`` (a missing document bills a read too)."""
    snap = ref.get(transaction=transaction, **rpc(purpose))
    documents_read(purpose, 1 if snap.exists else 0)
    return snap


def outage(exc: BaseException) -> StoreUnavailable | None:
    """The outage (503 at the edge) an exception from the store stands for (None: it is not one)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, OUTAGES):
        return spent()
    return None


@contextlib.contextmanager
def query_run() -> Iterator[None]:
    """Run a query inside (its stream, count or get, iterated to the end inside too): Firestore's
    ``FailedPrecondition`` that the query needs an index that is missing or still building becomes
    :class:`IndexNotReady`, with the link Firestore gives to create or watch the index. Any other
    ``FailedPrecondition`` passes unchanged (writes never run inside: theirs mean contention)."""
    try:
        yield
    except google.FailedPrecondition as exc:
        if "index" not in str(exc.message).lower():
            raise
        link = _LINK.search(str(exc.message))
        raise IndexNotReady(
            "the query's index is not ready (missing or still building); retry later",
            INDEX_RETRY_AFTER_SECONDS,
            link.group(0).rstrip(".,;)") if link else None,
            str(exc.message),
        ) from exc
