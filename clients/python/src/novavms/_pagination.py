"""Pages of events: ``data``, ``next_cursor`` and ``total``, and every page after them on demand.

Iterating a page gives its own events; ``auto_paging_iter()`` gives every matching event across
pages, lazily, one request per page, with the first page's filters and limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

from ._models import Event

__all__ = ["AsyncEventPage", "EventPage"]


@dataclass
class _Page:
    data: list[Event]
    next_cursor: str | None
    total: int

    @staticmethod
    def fields_of(body: Any) -> dict[str, Any]:
        return {
            "data": [Event.from_dict(item) for item in body.get("data", [])],
            "next_cursor": body.get("next_cursor"),
            "total": body.get("total"),
        }

    def has_next_page(self) -> bool:
        return bool(self.next_cursor)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@dataclass
class EventPage(_Page):
    """One page of ``client.events.list(...)``."""

    _fetch: Callable[[str], EventPage] = field(repr=False, compare=False)

    def next_page(self) -> EventPage | None:
        """The next page (one request), or None on the last page."""
        return self._fetch(self.next_cursor) if self.next_cursor else None

    def auto_paging_iter(self) -> Iterator[Event]:
        """Every matching event from this page on, across pages."""
        page: EventPage | None = self
        while page is not None:
            yield from page.data
            page = page.next_page()


@dataclass
class AsyncEventPage(_Page):
    """One page of ``await client.events.list(...)``."""

    _fetch: Callable[[str], Awaitable[AsyncEventPage]] = field(repr=False, compare=False)

    async def next_page(self) -> AsyncEventPage | None:
        """The next page (one request), or None on the last page."""
        return await self._fetch(self.next_cursor) if self.next_cursor else None

    async def auto_paging_iter(self) -> AsyncIterator[Event]:
        """Every matching event from this page on, across pages (``async for``)."""
        page: AsyncEventPage | None = self
        while page is not None:
            for event in page.data:
                yield event
            page = await page.next_page()
