"""``client.events``: list, get, update (acknowledge, star, annotate), delete (soft) and export.

Filters are keyword arguments named as the API's query parameters (``trigger_type="ai_tag"``,
``date_from="2026-04-20"``); ``date_from``/``date_to`` also take a ``date`` or an aware ``datetime``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._export import Destination, ExportResult, Sink
from .._models import EventDetail
from .._operations import Call, call
from .._pagination import AsyncEventPage, EventPage
from .._params import NOT_GIVEN, EventFilters, NotGiven, json_body, query

if TYPE_CHECKING:
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


def _page_fields(body: Any) -> dict[str, Any]:
    return EventPage.fields_of(body)


class Events:
    """The events of the caller's org (a viewer sees only their sites)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> EventPage:
        """One page of the events matching ``filters``, newest first (``limit`` 1-100, default 20);
        ``auto_paging_iter()`` walks every page."""
        body = self._client._json(_list_call(filters, cursor, limit))
        return EventPage(
            **_page_fields(body),
            _fetch=lambda next_cursor: self.list(cursor=next_cursor, limit=limit, **filters),
        )

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


class AsyncEvents:
    """``client.events`` of :class:`~novavms.AsyncClient`: the methods of :class:`Events`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(
        self, *, cursor: str | None = None, limit: int | None = None, **filters: Unpack[EventFilters]
    ) -> AsyncEventPage:
        """One page; ``async for event in page.auto_paging_iter()`` walks every page."""
        body = await self._client._json(_list_call(filters, cursor, limit))
        return AsyncEventPage(
            **_page_fields(body),
            _fetch=lambda next_cursor: self.list(cursor=next_cursor, limit=limit, **filters),
        )

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
