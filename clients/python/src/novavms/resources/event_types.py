"""``client.event_types``: the catalogue of every type a webhook message or change can carry, with
its description and its message's JSON Schema (any role but an ingest key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._operations import Call, call
from .._webhooks import EventType

if TYPE_CHECKING:
    from .._client import AsyncClient, Client

__all__ = ["AsyncEventTypes", "EventTypes"]


def _list_call() -> Call:
    return call("list_event_types")


class EventTypes:
    """The event-type catalogue."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[EventType]:
        """Every type, each with its description and JSON Schema."""
        return [EventType.from_dict(item) for item in self._client._json(_list_call())["data"]]


class AsyncEventTypes:
    """``client.event_types`` of :class:`~novavms.AsyncClient`."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(self) -> list[EventType]:
        return [EventType.from_dict(item) for item in (await self._client._json(_list_call()))["data"]]
