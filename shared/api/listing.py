"""One page of a list of events (the list, or the trash): the page and its ``total``, counted once per
traversal (:mod:`shared.store.totals`).

A first page counts (up to ``EVENTS_COUNT_CAP``, its page query and count issued together) unless
this instance counted the same org, scope, list and filter within ``EVENTS_COUNT_CACHE_SECONDS``. A
later page takes the total its cursor carries and costs only its page query. ``total`` is then the
number of matches at the time of the first page; ``total_exact`` is false when there were more than
the cap (``total`` is the cap). A search that needs its candidates checked (:meth:`EventStore.plan`)
counts while it reads them: past ``EVENTS_SEARCH_SCAN_CAP`` candidates, ``total`` is the matches found
and ``total_exact`` false, and a page may hold fewer items than ``limit`` (even none) with a
``next_cursor`` that continues the scan where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.api import cursor
from shared.api.query import ListQuery, start_of
from shared.config import settings
from shared.media import signed_urls
from shared.model.event import Event, Position
from shared.store.events import EventStore, trash_position
from shared.store.totals import TOTALS, Total
from shared.timefmt import utcnow

ItemShape = Callable[[Event, "str | None"], dict[str, Any]]


def list_page(
    store: EventStore, query: ListQuery, item: ItemShape, role: str, *, trash: bool = False
) -> dict[str, Any]:
    """``{"data", "next_cursor", "total", "total_exact"}`` of one page of the list (or the trash), for
    a caller of the store's scope and ``role`` (its cursors serve only such callers)."""
    assert query.limit is not None
    domain = "trash" if trash else "list"
    scope = store.scope
    after, total = start_of(query, scope, role, domain)
    config = settings()
    key = (
        config.project,
        config.database,
        scope.sites,
        domain,
        query.filter.fingerprint(),
        config.count_cap,
        config.search_scan_cap,
    )
    if total is None and config.count_cache_seconds > 0:
        total = TOTALS.get((scope.org_id, key))[1]
    if total is None:
        page, counted = store.page_and_total(query.filter, after, query.limit, trash, config.count_cap + 1)
        total = Total.of(counted.total, config.count_cap, utcnow(), counted.exact)
        TOTALS.put((scope.org_id, key), total, config.count_cache_seconds)
    else:
        page, _ = store.page_and_total(query.filter, after, query.limit, trash, counted=False)
    urls = signed_urls([event.data.get("snapshot_object") for event in page.events])
    position: Callable[[Event], Position] = trash_position if trash else (lambda event: event.position)
    resume = page.resume or (position(page.events[-1]) if page.events else None)
    next_cursor = (
        cursor.encode(resume, scope, role, query.filter, domain, total)
        if page.has_more and resume is not None
        else None
    )
    return {
        "data": [item(event, url) for event, url in zip(page.events, urls, strict=True)],
        "next_cursor": next_cursor,
        "total": total.count,
        "total_exact": total.exact,
    }
