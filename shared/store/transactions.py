"""The one place transactions are retried: contention is retried with jittered exponential backoff
within a bounded total time; when that is spent the caller gets 503 ``unavailable`` with
``Retry-After``, saying what happened: others were changing the same documents, or (when the last try
timed out or found the store unavailable) the store did not answer.

Each attempt is one Firestore transaction of a single try (the client library's own retry loop is
off, so retries are not multiplied). Retried: aborted or contended commits (``Aborted``/``Conflict``,
including the emulator's lock timeouts), and the library's ``ValueError`` wrappers of those. A write
to the same document from threads of one instance waits on a per-document lock first, so an
instance never contends with itself.

Each attempt is metered under the caller's purpose: its begin and commit RPCs and the documents the
commit wrote, or its begin, the failed commit if any, and the rollback (reads inside are metered by
the work itself).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from google.api_core.exceptions import AlreadyExists, Conflict, DeadlineExceeded, ServiceUnavailable
from google.cloud import firestore

from shared.model.errors import StoreUnavailable
from shared.store.budget import remaining, spent
from shared.store.meter import called, written

T = TypeVar("T")
TOTAL_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.02
MAX_BACKOFF_SECONDS = 1.0
RETRY_AFTER_SECONDS = 1
RETRYABLE = (Conflict, DeadlineExceeded, ServiceUnavailable)
_DOCUMENT_LOCKS = tuple(threading.Lock() for _ in range(64))
_TRIES = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="store-transaction")


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, AlreadyExists):  # a Conflict, but a lasting one: retrying cannot help
        return False
    if isinstance(exc, RETRYABLE):
        return True
    # The library wraps exhausted commits (and failed rollbacks after an error) in ValueError.
    cause = exc.__cause__ or exc.__context__
    return isinstance(exc, ValueError) and cause is not None and _retryable(cause)


def _silent(exc: BaseException) -> bool:
    """Whether a retryable failure is the store not answering (a timeout, unavailable), not contention."""
    if isinstance(exc, DeadlineExceeded | ServiceUnavailable):
        return True
    cause = exc.__cause__ or exc.__context__
    return isinstance(exc, ValueError) and cause is not None and _silent(cause)


def _contended() -> StoreUnavailable:
    """The answer when contention outlasts the retries."""
    return StoreUnavailable(
        "the event is being changed by others right now; retry shortly", RETRY_AFTER_SECONDS
    )


def _metered(
    work: Callable[[firestore.Transaction], T], transaction: firestore.Transaction, purpose: str
) -> T:
    """``work`` in ``transaction`` as one try of the library's (begin, work, commit; a rollback on
    any error), metered under ``purpose``."""
    stage: list[str] = []

    def begun(transaction: firestore.Transaction) -> T:
        stage.append("begun")  # the library calls the work once BeginTransaction has answered
        result = work(transaction)
        stage.append("worked")
        return result

    try:
        result: T = firestore.transactional(begun)(transaction)
    except BaseException:
        # the begin; once begun, the rollback; once the work ended, the commit that failed
        called(purpose, 1 + len(stage))
        raise
    called(purpose, 2)  # begin, commit
    written(purpose, len(transaction.write_results or ()))
    return result


def _attempt(client: firestore.Client, work: Callable[[firestore.Transaction], T], purpose: str) -> T:
    """One try, bounded by the request's store budget: beginning and committing a transaction take
    no timeout in the client library, so the try runs on a worker thread and the caller stops waiting
    when the budget is spent (503; a try left behind commits whole or not at all, as any
    transaction)."""
    transaction = client.transaction(max_attempts=1)
    future = _TRIES.submit(contextvars.copy_context().run, _metered, work, transaction, purpose)
    try:
        result: T = future.result(timeout=remaining())
    except concurrent.futures.TimeoutError as exc:
        raise spent() from exc
    return result


def run_transaction(
    client: firestore.Client,
    work: Callable[[firestore.Transaction], T],
    *,
    purpose: str = "events",
    lock_key: str | None = None,
    total_seconds: float = TOTAL_SECONDS,
) -> T:
    """Run ``work(transaction)`` in a transaction until it commits; raises StoreUnavailable (503) when
    contention outlasts ``total_seconds``. ``work`` may run several times and must only read through
    the transaction. ``lock_key`` (a document path) serialises this instance's writers of it; the
    transaction's RPCs and writes are metered under ``purpose``."""
    budget = min(total_seconds, remaining())
    deadline = time.monotonic() + budget
    lock = _DOCUMENT_LOCKS[hash(lock_key) % len(_DOCUMENT_LOCKS)] if lock_key else None
    if lock is not None and not lock.acquire(timeout=budget):
        raise _contended()
    try:
        attempt = 0
        while True:
            try:
                return _attempt(client, work, purpose)
            except Exception as exc:
                if not _retryable(exc):
                    raise
                pause = random.uniform(0, min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**attempt))
                if time.monotonic() + pause >= deadline:
                    raise (spent() if _silent(exc) else _contended()) from exc
                time.sleep(pause)
                attempt += 1
    finally:
        if lock is not None:
            lock.release()
