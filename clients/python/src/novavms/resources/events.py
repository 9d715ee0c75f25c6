"""``client.events``: list, get, update (acknowledge, star, annotate), delete (soft), export, and the
operator workflow: batch updates and dismissals, the trash and restore, and each event's history.

Filters are keyword arguments named as the API's query parameters (``trigger_type="ai_tag"``,
``date_from="2026-04-20"``); ``date_from``/``date_to`` also take a ``date`` or an aware ``datetime``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._export import Destination, ExportResult, Sink
from .._models import BatchResult, Change, ChangeType, Event, EventDetail, HistoryEntry, TrashedEvent
from .._operations import Call, call
from .._pagination import AsyncPaginator, Page, async_pages, sync_pages
from .._params import NOT_GIVEN, ChangeFilters, DateLike, EventFilters, NotGiven, json_body, query

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


class Events:
    """The events of the caller's org (a viewer sees only their sites)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> Page[Event]:
        """The first page of the events matching ``filters``, newest first (``limit`` 1-100 per page,
        default 20). ``for event in client.events.list(...)`` walks every matching event across pages
        (one request per page); ``.data`` is this page's events."""
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
        (the list's filters, such as ``{"camera_id": ..., "acknowledged": False}``; at most the
        server's cap, else :class:`~novavms.PayloadTooLargeError`). Operator role."""
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
        ``site_id``, ``trigger_type``). Iterating it follows ``next_cursor`` until the feed is
        drained; the last page's ``next_cursor`` (never None) is where to poll from next.
        :class:`~novavms.GoneError` when the cursor is older than the changes kept."""
        return sync_pages(
            lambda at: self._client._json(_changes_call(filters, types, since, at, limit)),
            Change,
            cursor,
            feed=True,
        )

    def history(
        self, event_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[HistoryEntry]:
        """The first page of the event's history, oldest first (``limit`` 1-100 per page, default 50);
        iterating it walks the whole history. A dismissed event's history is for admins only."""
        return sync_pages(
            lambda at: self._client._json(_history_call(event_id, at, limit)), HistoryEntry, cursor
        )


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

    def history(
        self, event_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> AsyncPaginator[HistoryEntry]:
        return async_pages(
            lambda at: self._client._json(_history_call(event_id, at, limit)), HistoryEntry, cursor
        )
