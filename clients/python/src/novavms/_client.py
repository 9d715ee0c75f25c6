"""``novavms.Client`` and ``novavms.AsyncClient``: one connection pool each, the retry loop, and the
resources ``events``, ``keys`` and ``webhook_endpoints``.

``api_key`` is an API key (``sk_live_...``) or a user's bearer JWT; ``base_url`` is the tenant's
gateway (no default: each tenant has its own). Both fall back to ``NOVAVMS_API_KEY`` and
``NOVAVMS_BASE_URL``. A call that fails in a way worth retrying (see :mod:`novavms._retries`) is
tried again up to ``max_retries`` times, repeating its Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from ._base_client import BaseClient, Timeout
from ._errors import APIConnectionError, APIError
from ._export import ExportResult, Sink
from ._media import MediaBody, upload_error, upload_headers
from ._models import UploadTarget
from ._operations import Call
from ._retries import retry_delay
from .resources import (
    AsyncEvents,
    AsyncEventTypes,
    AsyncKeys,
    AsyncWebhookEndpoints,
    Events,
    EventTypes,
    Keys,
    WebhookEndpoints,
)

__all__ = ["AsyncClient", "Client"]

_JSON = "application/json"
_CSV = "text/csv"


def _what(call: Call) -> str:
    """A call as the log names it: ``PATCH /api/v1/events/...``."""
    return f"{call.operation.method} {call.path}"


def _broken(sink: Sink, exc: Exception) -> APIConnectionError:
    return APIConnectionError(f"the export broke after {sink.written} bytes: {type(exc).__name__}: {exc}")


class Client(BaseClient[httpx.Client]):
    """The synchronous client: ``with novavms.Client(api_key=..., base_url=...) as client: ...``.

    ``api_key`` (default ``NOVAVMS_API_KEY``) is an API key or a user's bearer JWT; ``base_url``
    (default ``NOVAVMS_BASE_URL``) the tenant's gateway; also ``timeout`` (seconds, default 60),
    ``max_retries`` (default 2), ``default_headers`` and ``http_client`` (an ``httpx.Client``).

    Resources:

    - ``client.events`` (:class:`~novavms.resources.Events`): ``list``, ``get``, ``update``,
      ``delete``, ``export``, ``export_to``, ``batch_update``, ``batch_delete``, ``list_deleted``,
      ``restore``, ``history``, ``changes`` (the change feed), ``stream`` (the live stream of
      changes, resumed across drops) and ``stream_ticket``; for recording gateways (an ingest
      key) ``upsert``, ``ingest`` (any number of events, sent 500 a request), ``upload_urls`` and
      ``upload_media`` (uploads a snapshot and clip, returns their object names). A list's result
      is its first page: ``for event in client.events.list(...)`` walks every item across pages,
      ``.data`` is the page's own items.
    - ``client.keys`` (:class:`~novavms.resources.Keys`): ``create``, ``list``, ``revoke`` (an
      admin's user token).
    - ``client.webhook_endpoints`` (:class:`~novavms.resources.WebhookEndpoints`): ``create``,
      ``list``, ``get``, ``update``, ``delete``, ``test``, ``deliveries`` (the delivery log),
      ``resend``, ``replay``, ``rotate_secret`` (admin).
    - ``client.event_types`` (:class:`~novavms.resources.EventTypes`): ``list``, the catalogue of
      message types with their JSON Schemas.
    """

    events: Events
    """The org's events: list, read, change, dismiss, restore, export, their history; and ingest."""
    keys: Keys
    """The org's API keys: create, list, revoke."""
    webhook_endpoints: WebhookEndpoints
    """The org's webhook endpoints: create, list, get, update, delete, test; their deliveries."""
    event_types: EventTypes
    """The catalogue of message types."""

    def _default_http(self, timeout: Timeout) -> httpx.Client:
        return httpx.Client(timeout=timeout, follow_redirects=False)

    def _bind(self) -> None:
        self.events = Events(self)
        self.keys = Keys(self)
        self.webhook_endpoints = WebhookEndpoints(self)
        self.event_types = EventTypes(self)

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: Call, *, accept: str = _JSON, stream: bool = False) -> httpx.Response:
        """The 2xx answer of ``call``, after retries; else the error of the last attempt."""

        def build() -> httpx.Request:
            return self._http.build_request(**self._request_args(call, accept))

        return self._retrying(_what(call), build, self._status_error, stream)

    def _upload(self, target: UploadTarget, body: MediaBody) -> None:
        """Send ``body`` to a signed upload URL (its headers only, no Authorization), with the retries
        of any call; :class:`~novavms.UploadError` when storage refuses it."""

        def build() -> httpx.Request:
            headers = upload_headers(target, body)
            content = body.content()
            return self._http.build_request(
                target.method, target.url, headers=headers, content=content, timeout=self.timeout
            )

        self._retrying(f"{target.method} upload of {target.object}", build, upload_error, False).close()

    def _retrying(
        self,
        what: str,
        build: Callable[[], httpx.Request],
        error_of: Callable[[httpx.Response], APIError],
        stream: bool,
    ) -> httpx.Response:
        """The 2xx answer of the request ``build`` makes afresh for each attempt, after retries;
        else the error of the last attempt (``error_of`` an answer whose body has been read)."""
        attempt = 0
        while True:
            request = build()
            error: APIError
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error = self._transport_error(exc)
            else:
                self._log_answer(what, response, attempt)
                if response.is_success:
                    return response
                response.read()
                response.close()
                error = error_of(response)
            delay = retry_delay(error, attempt, self.max_retries)
            if delay is None:
                raise error
            self._log_retry(what, error, delay, attempt, self.max_retries)
            time.sleep(delay)
            attempt += 1

    def _json(self, call: Call) -> Any:
        response = self._send(call)
        return response.json() if response.content else None

    def _bytes(self, call: Call) -> bytes:
        return self._send(call, accept=_CSV).content

    def _stream_to(self, call: Call, sink: Sink) -> ExportResult:
        try:
            response = self._send(call, accept=_CSV, stream=True)
        except BaseException:
            sink.abort()
            raise
        try:
            for chunk in response.iter_bytes():
                sink.write(chunk)
        except httpx.TransportError as exc:
            sink.abort()
            raise _broken(sink, exc) from exc
        except BaseException:
            sink.abort()
            raise
        finally:
            response.close()
        sink.commit()
        return sink.result(response.headers.get("x-export-rows"), response.headers.get("x-export-object"))


class AsyncClient(BaseClient[httpx.AsyncClient]):
    """The asyncio client: ``async with novavms.AsyncClient(...) as client: ...``, with the settings
    of :class:`Client` (``http_client`` an ``httpx.AsyncClient``).

    Resources, with the methods of :class:`Client`'s, awaited:

    - ``client.events`` (:class:`~novavms.resources.AsyncEvents`): ``list``, ``get``, ``update``,
      ``delete``, ``export``, ``export_to``, ``batch_update``, ``batch_delete``, ``list_deleted``,
      ``restore``, ``history``, ``changes`` (the change feed), ``stream`` (an async iterator),
      ``stream_ticket``, ``upsert``, ``ingest`` (also of an
      async iterable), ``upload_urls``, ``upload_media``. A list call is both awaitable and
      async-iterable: ``await client.events.list(...)`` is the first page (``.data``), and
      ``async for event in client.events.list(...)`` walks every item across pages.
    - ``client.keys`` (:class:`~novavms.resources.AsyncKeys`): ``create``, ``list``, ``revoke``.
    - ``client.webhook_endpoints`` (:class:`~novavms.resources.AsyncWebhookEndpoints`): ``create``,
      ``list``, ``get``, ``update``, ``delete``, ``test``, ``deliveries``, ``resend``, ``replay``,
      ``rotate_secret``.
    - ``client.event_types`` (:class:`~novavms.resources.AsyncEventTypes`): ``list``.
    """

    events: AsyncEvents
    """The org's events: list, read, change, dismiss, restore, export, their history; and ingest."""
    keys: AsyncKeys
    """The org's API keys: create, list, revoke."""
    webhook_endpoints: AsyncWebhookEndpoints
    """The org's webhook endpoints: create, list, get, update, delete, test; their deliveries."""
    event_types: AsyncEventTypes
    """The catalogue of message types."""

    def _default_http(self, timeout: Timeout) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    def _bind(self) -> None:
        self.events = AsyncEvents(self)
        self.keys = AsyncKeys(self)
        self.webhook_endpoints = AsyncWebhookEndpoints(self)
        self.event_types = AsyncEventTypes(self)

    async def close(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _send(self, call: Call, *, accept: str = _JSON, stream: bool = False) -> httpx.Response:
        """The 2xx answer of ``call``, after retries; else the error of the last attempt."""

        def build() -> httpx.Request:
            return self._http.build_request(**self._request_args(call, accept))

        return await self._retrying(_what(call), build, self._status_error, stream)

    async def _upload(self, target: UploadTarget, body: MediaBody) -> None:
        """:meth:`Client._upload`, awaited (a file is read off the event loop)."""

        def build() -> httpx.Request:
            headers = upload_headers(target, body)
            content = body.async_content()
            return self._http.build_request(
                target.method, target.url, headers=headers, content=content, timeout=self.timeout
            )

        what = f"{target.method} upload of {target.object}"
        await (await self._retrying(what, build, upload_error, False)).aclose()

    async def _retrying(
        self,
        what: str,
        build: Callable[[], httpx.Request],
        error_of: Callable[[httpx.Response], APIError],
        stream: bool,
    ) -> httpx.Response:
        """:meth:`Client._retrying`, awaited."""
        attempt = 0
        while True:
            request = build()
            error: APIError
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error = self._transport_error(exc)
            else:
                self._log_answer(what, response, attempt)
                if response.is_success:
                    return response
                await response.aread()
                await response.aclose()
                error = error_of(response)
            delay = retry_delay(error, attempt, self.max_retries)
            if delay is None:
                raise error
            self._log_retry(what, error, delay, attempt, self.max_retries)
            await asyncio.sleep(delay)
            attempt += 1

    async def _json(self, call: Call) -> Any:
        response = await self._send(call)
        return response.json() if response.content else None

    async def _bytes(self, call: Call) -> bytes:
        return (await self._send(call, accept=_CSV)).content

    async def _stream_to(self, call: Call, sink: Sink) -> ExportResult:
        try:
            response = await self._send(call, accept=_CSV, stream=True)
        except BaseException:
            sink.abort()
            raise
        try:
            async for chunk in response.aiter_bytes():
                sink.write(chunk)
        except httpx.TransportError as exc:
            sink.abort()
            raise _broken(sink, exc) from exc
        except BaseException:
            sink.abort()
            raise
        finally:
            await response.aclose()
        sink.commit()
        return sink.result(response.headers.get("x-export-rows"), response.headers.get("x-export-object"))
