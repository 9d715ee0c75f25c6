"""The live event stream (``GET /api/v1/events/stream``, Server-Sent Events) as an iterator of changes
that resumes where it broke.

Each message is one change of the change feed (``id:`` its cursor, ``event:`` its type, ``data:`` the
change as ``client.events.changes()`` shows it). The stream remembers the id of the last message and,
when the connection drops or the server closes it (after its maximum duration or at the token's
expiry), reconnects with ``Last-Event-ID``: no change is skipped or repeated. Between connections it
waits the server's ``retry:`` time (2 s), jittered, doubling while connections keep failing, up to 30 s;
a 429's ``Retry-After`` wins. The first connection is opened by ``stream()`` itself (the async
client's when the stream is awaited or first iterated) and is retried as any call is
(``max_retries``); later reconnections keep trying. A final answer (401 at the token's expiry, 403,
404, ...) raises its :class:`~novavms.APIError`, and the stream's ``last_id`` says where to resume
with a new credential.

A cursor older than the change log's retention gets one ``event: reset`` message whose id is the
current head: the stream continues from the head (the changes in between are gone), counts it in
``resets`` and calls ``on_reset(head_id)`` when given.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional

import httpx

from ._base_client import log
from ._errors import APIError
from ._models import Change
from ._operations import Call
from ._retries import MAX_RETRY_AFTER, retryable
from ._sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["MAX_STREAM_DELAY", "RESET_EVENT", "AsyncEventStream", "EventStream", "OnReset"]

RESET_EVENT = "reset"
DEFAULT_RETRY_MS = 2000
MAX_STREAM_DELAY = 30.0
_ACCEPT = "text/event-stream"

OnReset = Callable[[str], None]
CallOf = Callable[[Optional[str]], Call]


class _Session:
    """What a stream keeps across its connections: where it is, the server's retry time and how many
    connections in a row have failed."""

    def __init__(
        self, call_of: CallOf, cursor: str | None, on_reset: OnReset | None, max_retries: int
    ) -> None:
        self._call_of = call_of
        self._cursor = cursor
        self._on_reset = on_reset
        self._max_retries = max_retries
        self.last_id = cursor
        self.resets = 0
        self.retry_ms = DEFAULT_RETRY_MS
        self._failures = 0
        self._opened = False

    def request_args(self, client: Client | AsyncClient) -> dict[str, Any]:
        """The first connection starts at the ``cursor`` query parameter; the next at ``Last-Event-ID``."""
        args = client._request_args(self._call_of(None if self._opened else self._cursor), _ACCEPT)
        headers: dict[str, str] = args["headers"]
        headers["Cache-Control"] = "no-cache"
        if self._opened and self.last_id:
            headers["Last-Event-ID"] = self.last_id
        return args

    def opened(self) -> None:
        self._opened = True

    def heard(self, decoder: SSEDecoder) -> None:
        """Bytes arrived and their changes were delivered: the connection works (the backoff starts
        over); the server's retry time; the last id, which a message without data may also move."""
        self._failures = 0
        if decoder.retry_ms is not None:
            self.retry_ms = decoder.retry_ms
        if decoder.last_id:
            self.last_id = decoder.last_id

    def message(self, event: ServerSentEvent) -> Change | None:
        """The change a message carries; None for a reset (the stream moves to the head)."""
        if event.id:
            self.last_id = event.id
        if event.event == RESET_EVENT:
            self.resets += 1
            log.info("event stream reset: cursor past retention, continuing from %s", event.id)
            if self._on_reset is not None:
                self._on_reset(event.id)
            return None
        return Change.from_dict(json.loads(event.data))

    def delay(self, error: APIError | None) -> float:
        """Seconds to wait before the next connection (``error``: why the last one failed, None after
        a clean close); raises ``error`` when it is final."""
        if error is not None:
            if not retryable(error) or (not self._opened and self._failures >= self._max_retries):
                raise error
            if error.retry_after is not None and error.retry_after <= MAX_RETRY_AFTER:
                self._failures += 1
                return error.retry_after + random.uniform(0, 0.1)
        backoff = min(MAX_STREAM_DELAY, self.retry_ms / 1000 * 2.0**self._failures)
        self._failures += 1
        delay = backoff * random.uniform(0.5, 1.0)
        why = error or "the server's close"
        log.info("event stream: reconnecting after %s in %.2f s from %s", why, delay, self.last_id)
        return delay


class _Stream:
    _session: _Session

    @property
    def last_id(self) -> str | None:
        """The cursor of the last change delivered (or of the reset's head): where a new stream, or
        ``client.events.changes(cursor=...)``, resumes."""
        return self._session.last_id

    @property
    def resets(self) -> int:
        """How many times the server said the cursor was past retention (the stream moved to the head)."""
        return self._session.resets


class EventStream(_Stream, Iterator[Change]):
    """``client.events.stream(...)``: an iterator of :class:`~novavms.Change`, forever (see
    :mod:`novavms._stream`); ``close()`` (or ``with``) closes its connection."""

    def __init__(self, client: Client, call_of: CallOf, cursor: str | None, on_reset: OnReset | None) -> None:
        self._client = client
        self._session = _Session(call_of, cursor, on_reset, client.max_retries)
        self._closed = False
        self._response = self._connect()
        self._changes = self._generate()

    def __next__(self) -> Change:
        return next(self._changes)

    def __iter__(self) -> EventStream:
        return self

    def close(self) -> None:
        """Close the connection; the iterator ends (also when another thread is iterating it)."""
        self._closed = True
        self._response.close()
        with contextlib.suppress(ValueError):  # running in another thread, which now sees the close
            self._changes.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _connect(self) -> httpx.Response:
        client, session = self._client, self._session
        while True:
            request = client._http.build_request(**session.request_args(client))
            error: APIError
            try:
                response = client._http.send(request, stream=True)
            except httpx.TransportError as exc:
                error = client._transport_error(exc)
            else:
                client._log_answer(f"GET {request.url.path}", response, 0)
                if response.is_success:
                    session.opened()
                    return response
                response.read()
                response.close()
                error = client._status_error(response)
            time.sleep(session.delay(error))

    def _generate(self) -> Generator[Change, None, None]:
        session = self._session
        while True:
            decoder = SSEDecoder()
            error: APIError | None = None
            try:
                for text in self._response.iter_text():
                    for event in decoder.feed(text):
                        change = session.message(event)
                        if change is not None:
                            yield change
                    session.heard(decoder)
            except httpx.TransportError as exc:
                error = self._client._transport_error(exc)
            except httpx.StreamError:
                if self._closed:
                    return
                raise
            finally:
                self._response.close()
            if self._closed:
                return
            time.sleep(session.delay(error))
            self._response = self._connect()


class AsyncEventStream(_Stream, AsyncIterator[Change]):
    """``client.events.stream(...)`` of the async client: ``async for change in stream``, or ``await``
    it first to open the connection (and see a final error) before iterating; ``aclose()`` (or
    ``async with``) closes its connection."""

    def __init__(
        self, client: AsyncClient, call_of: CallOf, cursor: str | None, on_reset: OnReset | None
    ) -> None:
        self._client = client
        self._session = _Session(call_of, cursor, on_reset, client.max_retries)
        self._response: httpx.Response | None = None
        self._changes = self._generate()

    def __await__(self) -> Generator[Any, None, AsyncEventStream]:
        return self._open().__await__()

    async def _open(self) -> AsyncEventStream:
        if self._response is None:
            self._response = await self._connect()
        return self

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> Change:
        return await self._changes.__anext__()

    async def aclose(self) -> None:
        """Close the connection; the iterator ends."""
        await self._changes.aclose()
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return await self._open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _connect(self) -> httpx.Response:
        client, session = self._client, self._session
        while True:
            request = client._http.build_request(**session.request_args(client))
            error: APIError
            try:
                response = await client._http.send(request, stream=True)
            except httpx.TransportError as exc:
                error = client._transport_error(exc)
            else:
                client._log_answer(f"GET {request.url.path}", response, 0)
                if response.is_success:
                    session.opened()
                    return response
                await response.aread()
                await response.aclose()
                error = client._status_error(response)
            await asyncio.sleep(session.delay(error))

    async def _generate(self) -> AsyncGenerator[Change, None]:
        session = self._session
        response = await self._connect() if self._response is None else self._response
        while True:
            self._response = response
            decoder = SSEDecoder()
            error: APIError | None = None
            try:
                async for text in response.aiter_text():
                    for event in decoder.feed(text):
                        change = session.message(event)
                        if change is not None:
                            yield change
                    session.heard(decoder)
            except httpx.TransportError as exc:
                error = self._client._transport_error(exc)
            finally:
                await response.aclose()
            await asyncio.sleep(session.delay(error))
            response = await self._connect()
