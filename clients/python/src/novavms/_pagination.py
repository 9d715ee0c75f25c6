"""Pages: ``data`` (this page's items), ``next_cursor`` (and ``total`` where the API counts), and every
page after them on demand.

Iterating a list result gives every item across pages, lazily, one request per page, with the first
page's filters and limit (as openai-python's pages do); ``.data`` is the current page only:

- sync: ``client.events.list(...)`` is a :class:`Page`; ``for event in page`` (or
  ``page.auto_paging_iter()``) walks every page.
- async: ``client.events.list(...)`` is an :class:`AsyncPaginator`: ``await`` it for the first
  :class:`AsyncPage`, or ``async for event in client.events.list(...)`` for every item; ``async for``
  over an ``AsyncPage`` (or its ``auto_paging_iter()``) also walks every page from it.

Events, the trash and an event's history page alike. The change feed (``client.events.changes()``)
too, but its ``next_cursor`` is never None (a reader polls with it): iterating stops at the first
page with no change, where the feed is drained for now; keep the last page's ``next_cursor`` to
poll again later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from ._models import Change, Event, HistoryEntry, Model, TrashedEvent

__all__ = [
    "AsyncEventPage",
    "AsyncPage",
    "AsyncPaginator",
    "ChangePage",
    "EventPage",
    "HistoryPage",
    "Page",
    "TrashPage",
    "async_pages",
    "sync_pages",
]

T = TypeVar("T", bound=Model)


def _page_fields(body: Any, item: type[T]) -> dict[str, Any]:
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
    """This page's items only."""
    next_cursor: str | None
    total: int | None  # None where the API gives no count (an event's history)
    # False when more match than the server counts (``total`` is then that cap); None without a count.
    total_exact: bool | None

    def _drained(self) -> bool:
        """Whether this page ends the listing."""
        return not self.next_cursor

    def has_next_page(self) -> bool:
        return not self._drained()


@dataclass
class Page(_Page[T]):
    """One page of a sync listing (``client.events.list(...)``, ``list_deleted``, ``history``).
    Iterating it gives every item from this page on, across pages; ``data`` is this page's."""

    _fetch: Callable[[str], Page[T]] = field(repr=False, compare=False)
    # A feed's page: its cursor is never None, and an empty page is where iterating stops.
    _feed: bool = field(default=False, repr=False, compare=False)

    def _drained(self) -> bool:
        return not self.next_cursor or (self._feed and not self.data)

    def next_page(self) -> Page[T] | None:
        """The next page (one request), or None on the last page."""
        return self._fetch(self.next_cursor) if self.next_cursor and not self._drained() else None

    def auto_paging_iter(self) -> Iterator[T]:
        """Every item from this page on, across pages."""
        page: Page[T] | None = self
        while page is not None:
            yield from page.data
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        return self.auto_paging_iter()


@dataclass
class AsyncPage(_Page[T]):
    """One page of an async listing (``await client.events.list(...)``). ``async for`` over it gives
    every item from this page on, across pages; ``data`` is this page's."""

    _fetch: Callable[[str], Awaitable[AsyncPage[T]]] = field(repr=False, compare=False)
    # A feed's page: its cursor is never None, and an empty page is where iterating stops.
    _feed: bool = field(default=False, repr=False, compare=False)

    def _drained(self) -> bool:
        return not self.next_cursor or (self._feed and not self.data)

    async def next_page(self) -> AsyncPage[T] | None:
        """The next page (one request), or None on the last page."""
        return await self._fetch(self.next_cursor) if self.next_cursor and not self._drained() else None

    async def auto_paging_iter(self) -> AsyncIterator[T]:
        """Every item from this page on, across pages (``async for``)."""
        page: AsyncPage[T] | None = self
        while page is not None:
            for item in page.data:
                yield item
            page = await page.next_page()

    def __aiter__(self) -> AsyncIterator[T]:
        return self.auto_paging_iter()


class AsyncPaginator(Generic[T]):
    """What the async client's list calls return: ``await`` it for the first :class:`AsyncPage`, or
    ``async for item in ...`` over it for every item across pages. Each use asks for the first page."""

    def __init__(self, first_page: Callable[[], Awaitable[AsyncPage[T]]]) -> None:
        self._first_page = first_page

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first_page().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self._first_page()
        async for item in page:
            yield item


def sync_pages(
    request: Callable[[str | None], Any], item: type[T], cursor: str | None, *, feed: bool = False
) -> Page[T]:
    """The page at ``cursor`` of a listing whose page at a cursor is ``request(cursor)`` (JSON);
    ``feed``: the change feed's paging (see the module)."""

    def load(at: str | None) -> Page[T]:
        return Page(**_page_fields(request(at), item), _fetch=load, _feed=feed)

    return load(cursor)


def async_pages(
    request: Callable[[str | None], Awaitable[Any]], item: type[T], cursor: str | None, *, feed: bool = False
) -> AsyncPaginator[T]:
    """:func:`sync_pages` for the async client: nothing is asked before it is awaited or iterated."""

    async def load(at: str | None) -> AsyncPage[T]:
        return AsyncPage(**_page_fields(await request(at), item), _fetch=load, _feed=feed)

    return AsyncPaginator(lambda: load(cursor))


EventPage = Page[Event]
AsyncEventPage = AsyncPage[Event]
TrashPage = Page[TrashedEvent]
HistoryPage = Page[HistoryEntry]
ChangePage = Page[Change]
