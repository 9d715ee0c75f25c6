"""``client.events``: list, get, update (acknowledge, star, annotate), delete (soft), export, and the
operator workflow: batch updates and dismissals, the trash and restore, and each event's history;
and the way in for recording gateways: upsert, ingest, upload URLs and media uploads.

Filters are keyword arguments named as the API's query parameters (``trigger_type="ai_tag"``,
``date_from="2026-04-20"``); ``date_from``/``date_to`` also take a ``date`` or an aware ``datetime``.
Search: ``tag=["person", "vehicle"]`` (any of them, sent as ``tag=person&tag=vehicle``) on the list,
the export, the trash, batch filters, the change feed and the stream; ``q="person package"`` (every
word matches a word of the event, or from 3 characters its start) on the list, the export, the trash
and batch filters. A search page may hold fewer than ``limit`` events, even none, and still have a
``next_cursor`` (the server reads at most its scan cap per page): iterating follows it to the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import APIError
from .._export import Destination, ExportResult, Sink
from .._ingest import IngestReports, async_batches, batch_key, batches
from .._media import Media, MediaBody, media_body
from .._models import (
    BatchResult,
    Change,
    ChangeType,
    Event,
    EventDetail,
    HistoryEntry,
    IngestResult,
    MediaObjects,
    StreamTicket,
    TrashedEvent,
    UploadUrls,
    UpsertResult,
)
from .._operations import Call, call
from .._pagination import AsyncPaginator, Page, async_pages, sync_pages
from .._params import (
    NOT_GIVEN,
    ChangeFilters,
    DateLike,
    EventFilters,
    NotGiven,
    json_body,
    query,
    wire,
)
from .._stream import AsyncEventStream, EventStream, OnReset

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import Unpack

    from .._client import AsyncClient, Client

__all__ = ["AsyncEvents", "Events"]


def _list_call(filters: EventFilters, cursor: str | None, limit: int | None) -> Call:
    return call("list_events", params=query({**filters, "cursor": cursor, "limit": limit}))


def _export_call(filters: EventFilters, cursor: str | None, limit: int | None) -> Call:
    return call("export_events", params=query({**filters, "cursor": cursor, "limit": limit}))


def _update_call(
    event_id: str,
    acknowledged: bool | NotGiven,
    starred: bool | NotGiven,
    notes: str | NotGiven | None,
    idempotency_key: str | None,
) -> Call:
    body = json_body({"acknowledged": acknowledged, "starred": starred, "notes": notes})
    return call("update_event", path_params={"id": event_id}, json=body, idempotency_key=idempotency_key)


def _id_call(operation_id: str, event_id: str, idempotency_key: str | None = None) -> Call:
    return call(operation_id, path_params={"id": event_id}, idempotency_key=idempotency_key)


def _deleted_call(filters: EventFilters, cursor: str | None, limit: int | None) -> Call:
    return call("list_deleted_events", params=query({**filters, "cursor": cursor, "limit": limit}))


def _history_call(event_id: str, cursor: str | None, limit: int | None) -> Call:
    return call(
        "get_event_history", path_params={"id": event_id}, params=query({"cursor": cursor, "limit": limit})
    )


def _changes_call(
    filters: ChangeFilters,
    types: Sequence[ChangeType] | None,
    since: DateLike | None,
    cursor: str | None,
    limit: int | None,
) -> Call:
    wanted = ",".join(types) if types is not None else None
    params = {
        **filters,
        "types": wanted,
        "since": None if cursor else since,
        "cursor": cursor,
        "limit": limit,
    }
    return call("list_changes", params=query(params))


def _stream_call(filters: ChangeFilters, types: Sequence[ChangeType] | None, cursor: str | None) -> Call:
    wanted = ",".join(types) if types is not None else None
    return call("stream_events", params=query({**filters, "types": wanted, "cursor": cursor}))


def _selection(ids: Sequence[str] | None, filter: EventFilters | None) -> dict[str, Any]:
    """The batch's selection as sent: ``ids`` or ``filter`` (the server refuses both or neither)."""
    selection: dict[str, Any] = {}
    if ids is not None:
        selection["ids"] = list(ids)
    if filter is not None:
        selection["filter"] = json_body(dict(filter))
    return selection


def _batch_update_call(
    ids: Sequence[str] | None,
    filter: EventFilters | None,
    acknowledged: bool | NotGiven,
    starred: bool | NotGiven,
    notes: str | NotGiven | None,
    idempotency_key: str | None,
) -> Call:
    changes = json_body({"acknowledged": acknowledged, "starred": starred, "notes": notes})
    body = {**_selection(ids, filter), "changes": changes}
    return call("batch_update_events", json=body, idempotency_key=idempotency_key)


def _batch_delete_call(
    ids: Sequence[str] | None, filter: EventFilters | None, idempotency_key: str | None
) -> Call:
    return call("batch_delete_events", json=_selection(ids, filter), idempotency_key=idempotency_key)


def _upsert_call(event_id: str, event: Mapping[str, Any], idempotency_key: str | None) -> Call:
    return call(
        "upsert_event", path_params={"id": event_id}, json=wire(event), idempotency_key=idempotency_key
    )


def _ingest_call(batch: list[Any], idempotency_key: str | None) -> Call:
    return call(
        "ingest_events", json={"events": [wire(event) for event in batch]}, idempotency_key=idempotency_key
    )


def _upload_urls_call(event_id: str, idempotency_key: str | None) -> Call:
    return call("create_upload_urls", path_params={"id": event_id}, idempotency_key=idempotency_key)


def _media_bodies(snapshot: Media | None, clip: Media | None) -> dict[str, MediaBody]:
    """The files to upload by kind (``snapshot``, ``clip``); at least one."""
    if snapshot is None and clip is None:
        raise ValueError("upload_media needs snapshot=..., clip=... or both")
    given = {"snapshot": snapshot, "clip": clip}
    return {kind: media_body(media) for kind, media in given.items() if media is not None}


def _objects(urls: UploadUrls, bodies: Mapping[str, MediaBody]) -> MediaObjects:
    return MediaObjects(
        snapshot_object=urls.snapshot.object if "snapshot" in bodies else None,
        clip_object=urls.clip.object if "clip" in bodies else None,
    )


class Events:
    """The events of the caller's org (a viewer sees only their sites)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> Page[Event]:
        """The first page of the events matching ``filters``, newest first (``limit`` 1-100 per page,
        default 20). ``for event in client.events.list(...)`` walks every matching event across pages
        (one request per page); ``.data`` is this page's events. With ``tag`` or ``q`` a page may
        hold fewer than ``limit`` events, or none, and still not be the last (``total_exact`` is
        then False and ``total`` the matches found so far)."""
        return sync_pages(lambda at: self._client._json(_list_call(filters, at, limit)), Event, cursor)

    def get(self, event_id: str) -> EventDetail:
        """One event in full detail, with its neighbours in list order."""
        return EventDetail.from_dict(self._client._json(_id_call("get_event", event_id)))

    def update(
        self,
        event_id: str,
        *,
        acknowledged: bool | NotGiven = NOT_GIVEN,
        starred: bool | NotGiven = NOT_GIVEN,
        notes: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> EventDetail:
        """Acknowledge (``acknowledged=True`` records who and when; ``False`` clears), star, or
        annotate (``notes=None`` clears); the updated event. Operator role."""
        change = _update_call(event_id, acknowledged, starred, notes, idempotency_key)
        return EventDetail.from_dict(self._client._json(change))

    def delete(self, event_id: str, *, idempotency_key: str | None = None) -> None:
        """Soft-delete ("dismiss") an event. Admin role."""
        self._client._json(_id_call("delete_event", event_id, idempotency_key))

    def export(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> bytes:
        """The CSV of the events matching ``filters`` (UTF-8 bytes). Operator role; more matches than
        the server's cap is :class:`~novavms.PayloadTooLargeError` unless ``limit`` caps the rows."""
        return self._client._bytes(_export_call(filters, cursor, limit))

    def export_to(
        self,
        destination: Destination,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **filters: Unpack[EventFilters],
    ) -> ExportResult:
        """Stream the CSV to a path or an open binary file without holding it in memory. A transfer
        that breaks raises :class:`~novavms.APIConnectionError` and leaves no complete-looking file."""
        return self._client._stream_to(_export_call(filters, cursor, limit), Sink(destination))

    def batch_update(
        self,
        ids: Sequence[str] | None = None,
        *,
        filter: EventFilters | None = None,
        acknowledged: bool | NotGiven = NOT_GIVEN,
        starred: bool | NotGiven = NOT_GIVEN,
        notes: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Apply the ``update`` rules to up to 100 ``ids``, or to every event a ``filter`` matches
        (the list's filters, such as ``{"camera_id": ..., "acknowledged": False}`` or
        ``{"tag": ["person", "vehicle"], "q": "red van"}``; at most the server's cap, else
        :class:`~novavms.PayloadTooLargeError`). Operator role."""
        change = _batch_update_call(ids, filter, acknowledged, starred, notes, idempotency_key)
        return BatchResult.from_dict(self._client._json(change))

    def batch_delete(
        self,
        ids: Sequence[str] | None = None,
        *,
        filter: EventFilters | None = None,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Dismiss up to 100 ``ids``, or every event a ``filter`` matches. Admin role."""
        return BatchResult.from_dict(self._client._json(_batch_delete_call(ids, filter, idempotency_key)))

    def list_deleted(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> Page[TrashedEvent]:
        """The first page of the trash (dismissed events, newest dismissal first), with the list's
        filters; iterating it walks the whole trash. Admin role."""
        return sync_pages(
            lambda at: self._client._json(_deleted_call(filters, at, limit)), TrashedEvent, cursor
        )

    def restore(self, event_id: str, *, idempotency_key: str | None = None) -> EventDetail:
        """Undo a dismissal (a live event is left as it is); the event. Admin role."""
        restore = call("restore_event", path_params={"id": event_id}, idempotency_key=idempotency_key)
        return EventDetail.from_dict(self._client._json(restore))

    def changes(
        self,
        *,
        cursor: str | None = None,
        since: DateLike | None = None,
        types: Sequence[ChangeType] | None = None,
        limit: int | None = None,
        **filters: Unpack[ChangeFilters],
    ) -> Page[Change]:
        """The first page of the change feed, oldest first, from ``cursor`` (a previous page's
        ``next_cursor``), else from ``since``, else from the oldest change kept (``limit`` 1-100 per
        page, default 100; ``types`` such as ``["event.created"]``; filters ``camera_id``,
        ``site_id``, ``trigger_type`` and ``tag``, a list: changes of events with any of those
        tags). Iterating it follows ``next_cursor`` until the feed is
        drained; the last page's ``next_cursor`` (never None) is where to poll from next.
        :class:`~novavms.GoneError` when the cursor is older than the changes kept."""
        return sync_pages(
            lambda at: self._client._json(_changes_call(filters, types, since, at, limit)),
            Change,
            cursor,
            feed=True,
        )

    def stream(
        self,
        *,
        cursor: str | None = None,
        types: Sequence[ChangeType] | None = None,
        on_reset: OnReset | None = None,
        **filters: Unpack[ChangeFilters],
    ) -> EventStream:
        """The live stream of changes (``GET /api/v1/events/stream``): an iterator of the changes
        the feed gets from now on (or after ``cursor``: an earlier stream's ``last_id`` or a feed
        page's ``next_cursor``), as they happen, with the filters of :meth:`changes`. It reconnects
        with ``Last-Event-ID`` after a drop or the server's close, never skipping or repeating a
        change; ``.last_id`` is the feed cursor after the last change (the SSE id); a cursor past
        retention moves it to the head (``.resets`` counts it, ``on_reset(head_id)`` is called).
        The first connection is made here (a 401/403 raises now); ``close()`` or ``with`` closes
        it. Viewer and up."""
        return EventStream(self._client, lambda at: _stream_call(filters, types, at), cursor, on_reset)

    def stream_ticket(self) -> StreamTicket:
        """A single-use ticket (valid 60 s) that opens the live stream as ``?ticket=...`` instead of
        a bearer token, for a browser's ``EventSource``. Viewer and up (an ingest key is 403)."""
        return StreamTicket.from_dict(self._client._json(call("create_stream_ticket")))

    def history(
        self, event_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[HistoryEntry]:
        """The first page of the event's history, oldest first (``limit`` 1-100 per page, default 50);
        iterating it walks the whole history. A dismissed event's history is for admins only."""
        return sync_pages(
            lambda at: self._client._json(_history_call(event_id, at, limit)), HistoryEntry, cursor
        )

    def upsert(
        self, event_id: str, event: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> UpsertResult:
        """Create or re-load one event (``PUT /api/v1/events/{id}``) from the pipeline's fields plus
        ``site_id`` and optional ``snapshot_object``/``clip_object`` (times may be aware
        ``datetime`` values). Its ``status``: ``created``, ``updated`` or ``unchanged``; a re-load
        rewrites only the pipeline's fields, never what operators did. A bad event is
        :class:`~novavms.ValidationError` naming each bad field. An ingest key, or admin."""
        return UpsertResult.from_dict(self._client._json(_upsert_call(event_id, event, idempotency_key)))

    def ingest(
        self, events: Iterable[Mapping[str, Any]], *, idempotency_key: str | None = None
    ) -> IngestResult:
        """Create or re-load any number of events (``POST /api/v1/events/ingest``), each validated on
        its own: one report of them all, in input order (an invalid event is reported with its
        ``errors`` and nothing of it is written). ``events`` is any iterable, read lazily; it is sent
        in requests of at most 500 events, one after the other (each retried as any call is, a 429
        after its ``Retry-After``). When a request after the first fails for good,
        :class:`~novavms.IngestIncompleteError` reports what the earlier ones wrote. An empty input
        is :class:`~novavms.ValidationError`. With ``idempotency_key``, request N (from 0) carries
        ``KEY/N`` (the first ``KEY``). An ingest key, or admin."""
        reports = IngestReports()
        for number, batch in enumerate(batches(events)):
            try:
                answer = self._client._json(_ingest_call(batch, batch_key(idempotency_key, number)))
            except APIError as error:
                failure = reports.failure(error)
                if failure is error:
                    raise
                raise failure from error
            reports.add(answer, len(batch))
        return reports.result()

    def upload_urls(self, event_id: str, *, idempotency_key: str | None = None) -> UploadUrls:
        """Signed PUT URLs for the event's ``snapshot`` (``image/jpeg``, up to 5 MiB) and ``clip``
        (``video/mp4``, up to 200 MiB), valid 15 minutes, whether or not the event exists yet. Each
        target's ``object`` is the name to put in the event. An ingest key, or admin."""
        return UploadUrls.from_dict(self._client._json(_upload_urls_call(event_id, idempotency_key)))

    def upload_media(
        self,
        event_id: str,
        *,
        snapshot: Media | None = None,
        clip: Media | None = None,
        idempotency_key: str | None = None,
    ) -> MediaObjects:
        """Upload the event's ``snapshot`` (JPEG) and/or ``clip`` (MP4), each given as bytes or a
        file's path (streamed): asks for :meth:`upload_urls`, then PUTs each file to its signed URL
        with the signed headers only (never the API key). Returns the object names to put in the
        event: ``client.events.upsert(id, {**event, **objects.event_fields()})``. A file storage
        refuses (too large, expired URL) is :class:`~novavms.UploadError`."""
        bodies = _media_bodies(snapshot, clip)
        urls = self.upload_urls(event_id, idempotency_key=idempotency_key)
        for kind, body in bodies.items():
            self._client._upload(urls.snapshot if kind == "snapshot" else urls.clip, body)
        return _objects(urls, bodies)


class AsyncEvents:
    """``client.events`` of :class:`~novavms.AsyncClient`: the methods of :class:`Events`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def list(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> AsyncPaginator[Event]:
        """``await`` it for the first page; ``async for event in client.events.list(...)`` walks every
        matching event across pages."""
        return async_pages(lambda at: self._client._json(_list_call(filters, at, limit)), Event, cursor)

    async def get(self, event_id: str) -> EventDetail:
        return EventDetail.from_dict(await self._client._json(_id_call("get_event", event_id)))

    async def update(
        self,
        event_id: str,
        *,
        acknowledged: bool | NotGiven = NOT_GIVEN,
        starred: bool | NotGiven = NOT_GIVEN,
        notes: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> EventDetail:
        change = _update_call(event_id, acknowledged, starred, notes, idempotency_key)
        return EventDetail.from_dict(await self._client._json(change))

    async def delete(self, event_id: str, *, idempotency_key: str | None = None) -> None:
        await self._client._json(_id_call("delete_event", event_id, idempotency_key))

    async def export(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> bytes:
        return await self._client._bytes(_export_call(filters, cursor, limit))

    async def export_to(
        self,
        destination: Destination,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **filters: Unpack[EventFilters],
    ) -> ExportResult:
        return await self._client._stream_to(_export_call(filters, cursor, limit), Sink(destination))

    async def batch_update(
        self,
        ids: Sequence[str] | None = None,
        *,
        filter: EventFilters | None = None,
        acknowledged: bool | NotGiven = NOT_GIVEN,
        starred: bool | NotGiven = NOT_GIVEN,
        notes: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        change = _batch_update_call(ids, filter, acknowledged, starred, notes, idempotency_key)
        return BatchResult.from_dict(await self._client._json(change))

    async def batch_delete(
        self,
        ids: Sequence[str] | None = None,
        *,
        filter: EventFilters | None = None,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        return BatchResult.from_dict(
            await self._client._json(_batch_delete_call(ids, filter, idempotency_key))
        )

    def list_deleted(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> AsyncPaginator[TrashedEvent]:
        return async_pages(
            lambda at: self._client._json(_deleted_call(filters, at, limit)), TrashedEvent, cursor
        )

    async def restore(self, event_id: str, *, idempotency_key: str | None = None) -> EventDetail:
        restore = call("restore_event", path_params={"id": event_id}, idempotency_key=idempotency_key)
        return EventDetail.from_dict(await self._client._json(restore))

    def changes(
        self,
        *,
        cursor: str | None = None,
        since: DateLike | None = None,
        types: Sequence[ChangeType] | None = None,
        limit: int | None = None,
        **filters: Unpack[ChangeFilters],
    ) -> AsyncPaginator[Change]:
        """``await`` it for the first page of the change feed; ``async for`` walks it until drained."""
        return async_pages(
            lambda at: self._client._json(_changes_call(filters, types, since, at, limit)),
            Change,
            cursor,
            feed=True,
        )

    def stream(
        self,
        *,
        cursor: str | None = None,
        types: Sequence[ChangeType] | None = None,
        on_reset: OnReset | None = None,
        **filters: Unpack[ChangeFilters],
    ) -> AsyncEventStream:
        """:meth:`Events.stream` as an async iterator: ``async for change in client.events.stream()``
        (``await`` it, or ``async with``, to open the connection first); ``aclose()`` closes it."""
        return AsyncEventStream(self._client, lambda at: _stream_call(filters, types, at), cursor, on_reset)

    async def stream_ticket(self) -> StreamTicket:
        return StreamTicket.from_dict(await self._client._json(call("create_stream_ticket")))

    def history(
        self, event_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> AsyncPaginator[HistoryEntry]:
        return async_pages(
            lambda at: self._client._json(_history_call(event_id, at, limit)), HistoryEntry, cursor
        )

    async def upsert(
        self, event_id: str, event: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> UpsertResult:
        change = _upsert_call(event_id, event, idempotency_key)
        return UpsertResult.from_dict(await self._client._json(change))

    async def ingest(
        self,
        events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> IngestResult:
        """:meth:`Events.ingest`, awaited; ``events`` may also be an async iterable."""
        reports = IngestReports()
        number = 0
        async for batch in async_batches(events):
            try:
                answer = await self._client._json(_ingest_call(batch, batch_key(idempotency_key, number)))
            except APIError as error:
                failure = reports.failure(error)
                if failure is error:
                    raise
                raise failure from error
            reports.add(answer, len(batch))
            number += 1
        return reports.result()

    async def upload_urls(self, event_id: str, *, idempotency_key: str | None = None) -> UploadUrls:
        return UploadUrls.from_dict(await self._client._json(_upload_urls_call(event_id, idempotency_key)))

    async def upload_media(
        self,
        event_id: str,
        *,
        snapshot: Media | None = None,
        clip: Media | None = None,
        idempotency_key: str | None = None,
    ) -> MediaObjects:
        """:meth:`Events.upload_media`, awaited: the snapshot and the clip upload at the same time."""
        bodies = _media_bodies(snapshot, clip)
        urls = await self.upload_urls(event_id, idempotency_key=idempotency_key)
        await asyncio.gather(
            *(
                self._client._upload(urls.snapshot if kind == "snapshot" else urls.clip, body)
                for kind, body in bodies.items()
            )
        )
        return _objects(urls, bodies)
