"""How ``events.ingest`` sends any number of events and reports them as one.

The server takes 1-500 events a request (more is 413). The client reads the caller's iterable
lazily in batches of at most :data:`MAX_BATCH`, sends them one after the other in input order, and
merges the answers into one report in input order: the counts added up, each result's positions
(``index``, ``superseded_by``) made positions in the whole input. An id sent twice in one request is
written once (the earlier occurrence is ``superseded``); in two requests, the later one wins too, but
both are written (``created`` then ``updated``, say). An empty input is still sent, once, so that the
server's 400 names ``events``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from ._errors import APIError, IngestIncompleteError
from ._models import IngestResult

__all__ = ["MAX_BATCH", "IngestReports", "async_batches", "batch_key", "batches"]

MAX_BATCH = 500
"""The most events one ``POST /api/v1/events/ingest`` takes."""
_COUNTS = ("created", "updated", "unchanged", "invalid", "superseded")
_POSITIONS = ("index", "superseded_by")  # positions in a request, made positions in the whole input


def batches(events: Iterable[Any], size: int = MAX_BATCH) -> Iterator[list[Any]]:
    """``events`` in lists of at most ``size``, read as they are needed; an empty input gives one
    empty list."""
    if size < 1:
        raise ValueError(f"a batch holds at least one event, not {size}")
    iterator = iter(events)
    batch = list(islice(iterator, size))
    yield batch
    while batch := list(islice(iterator, size)):
        yield batch


async def async_batches(
    events: Iterable[Any] | AsyncIterable[Any], size: int = MAX_BATCH
) -> AsyncIterator[list[Any]]:
    """:func:`batches` of an iterable or an async iterable."""
    if not isinstance(events, AsyncIterable):
        for batch in batches(events, size):
            yield batch
        return
    if size < 1:
        raise ValueError(f"a batch holds at least one event, not {size}")
    pending: list[Any] = []
    sent_any = False
    async for event in events:
        pending.append(event)
        if len(pending) == size:
            yield pending
            pending, sent_any = [], True
    if pending or not sent_any:
        yield pending


def batch_key(idempotency_key: str | None, number: int) -> str | None:
    """The Idempotency-Key of batch ``number`` (from 0): the caller's key for the first, ``KEY/N``
    for batch N after it, so that an ingest retried whole with the same key and input replays each
    batch; None (a fresh key per batch) when the caller gave none."""
    if idempotency_key is None or number == 0:
        return idempotency_key
    return f"{idempotency_key}/{number}"


class IngestReports:
    """The answers of an ingest's batches, merged into one report in input order."""

    def __init__(self) -> None:
        self._answers: list[tuple[int, Mapping[str, Any]]] = []
        self.sent = 0
        """How many events of the input the answers so far cover."""

    def add(self, answer: Mapping[str, Any], count: int) -> None:
        """The answer of the next batch, of ``count`` events."""
        self._answers.append((self.sent, answer))
        self.sent += count

    def merged(self) -> dict[str, Any]:
        """The report of every batch so far, as the server would answer one request of them all."""
        if len(self._answers) == 1:
            return dict(self._answers[0][1])
        report: dict[str, Any] = dict(self._answers[-1][1]) if self._answers else {}
        report.update({name: 0 for name in _COUNTS})
        results: list[Any] = []
        for offset, answer in self._answers:
            for name in _COUNTS:
                report[name] += int(answer.get(name) or 0)
            for item in answer.get("results") or []:
                moved = dict(item)
                for name in _POSITIONS:
                    if isinstance(moved.get(name), int):
                        moved[name] += offset
                results.append(moved)
        report["results"] = results
        return report

    def result(self) -> IngestResult:
        return IngestResult.from_dict(self.merged())

    def failure(self, error: APIError) -> APIError:
        """The error to raise when the next batch failed: itself when nothing was written yet, else
        an :class:`~novavms.IngestIncompleteError` reporting what was."""
        if not self._answers:
            return error
        return IngestIncompleteError(error, self.result(), self.sent)
