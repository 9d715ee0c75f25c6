"""Independent store reads of one request, issued together: a page and its count, the chunks of a
viewer's sites, the two neighbour reads of a GET. One pool per process; each task runs in a copy of
the caller's context, so it draws on the request's store budget and meter like the caller."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

MAX_CONCURRENT_READS = 8

_lock = threading.Lock()
_pool: list[ThreadPoolExecutor] = []


def _executor() -> ThreadPoolExecutor:
    with _lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(MAX_CONCURRENT_READS, thread_name_prefix="store-read"))
        return _pool[0]


def _gathered(results: Sequence[Callable[[], T]]) -> list[T]:
    """Each result in order, every one awaited; then the first exception, if any, is raised."""
    gathered: list[T] = []
    error: BaseException | None = None
    for result in results:
        try:
            gathered.append(result())
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
    return gathered


def bounded(calls: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """The results of ``calls``, in order, at most ``workers`` at a time in a pool of their own (long
    runs, such as a batch's transactions, do not hold the shared pool of request reads); each in a
    copy of the caller's context. The first exception is raised after every call has finished."""
    with ThreadPoolExecutor(max(1, min(workers, len(calls)))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
    return _gathered([future.result for future in futures])


def together(calls: Sequence[Callable[[], T]]) -> list[T]:
    """The results of ``calls``, in order, run concurrently (one alone runs inline). The first
    exception raised is raised here, after every call has finished."""
    if len(calls) <= 1:
        return [call() for call in calls]
    pool = _executor()
    futures = [pool.submit(contextvars.copy_context().run, call) for call in calls[1:]]
    return _gathered([calls[0], *(future.result for future in futures)])  # the caller runs the first
