"""Pages: ``data``, ``next_cursor`` (and ``total`` where the API counts), and every page after them
on demand.

Iterating a page gives its own items; ``auto_paging_iter()`` gives every item across pages, lazily,
one request per page, with the first page's filters and limit. Events, the trash and an event's
history page alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from ._models import Event, HistoryEntry, Model, TrashedEvent

__all__ = ["AsyncEventPage", "AsyncPage", "EventPage", "HistoryPage", "Page", "TrashPage", "page_fields"]

T = TypeVar("T", bound=Model)


def page_fields(body: Any, item: type[T]) -> dict[str, Any]:
    """A page's fields from the API's JSON, its items as ``item`` objects."""
    return {
        "data": [item.from_dict(entry) for entry in body.get("data", [])],
        "next_cursor": body.get("next_cursor"),
        "total": body.get("total"),
        "total_exact": body.get("total_exact"),
    }


@dataclass
class _Page(Generic[T]):
    data: list[T]
    next_cursor: str | None
    total: int | None  # None where the API gives no count (an event's history)
    # False when more match than the server counts (``total`` is then that cap); None without a count.
    total_exact: bool | None

    def has_next_page(self) -> bool:
        return bool(self.next_cursor)

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@dataclass
class Page(_Page[T]):
    """One page of a sync listing (``client.events.list(...)``, ``list_deleted``, ``history``)."""

    _fetch: Callable[[str], Page[T]] = field(repr=False, compare=False)

    def next_page(self) -> Page[T] | None:
        """The next page (one request), or None on the last page."""
        return self._fetch(self.next_cursor) if self.next_cursor else None

    def auto_paging_iter(self) -> Iterator[T]:
        """Every item from this page on, across pages."""
        page: Page[T] | None = self
        while page is not None:
            yield from page.data
            page = page.next_page()


@dataclass
class AsyncPage(_Page[T]):
    """One page of an async listing (``await client.events.list(...)``)."""

    _fetch: Callable[[str], Awaitable[AsyncPage[T]]] = field(repr=False, compare=False)

    async def next_page(self) -> AsyncPage[T] | None:
        """The next page (one request), or None on the last page."""
        return await self._fetch(self.next_cursor) if self.next_cursor else None

    async def auto_paging_iter(self) -> AsyncIterator[T]:
        """Every item from this page on, across pages (``async for``)."""
        page: AsyncPage[T] | None = self
        while page is not None:
            for item in page.data:
                yield item
            page = await page.next_page()


EventPage = Page[Event]
AsyncEventPage = AsyncPage[Event]
TrashPage = Page[TrashedEvent]
HistoryPage = Page[HistoryEntry]
