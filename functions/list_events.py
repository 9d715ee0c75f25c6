"""GET /api/v1/events: the caller's events, newest first, filtered and paged (viewer and up)."""

from __future__ import annotations

import flask
import functions_framework

from shared import cursor
from shared.auth import visible_sites
from shared.events import list_item
from shared.filters import parse_list_query
from shared.http import Call, endpoint, json_response
from shared.media import signed_urls
from shared.store import EventStore


@functions_framework.http
@endpoint("list_events")
def list_events(call: Call) -> flask.Response:
    """``{"data": [...], "next_cursor": str | null, "total": int}``."""
    query = parse_list_query(call.request.args.to_dict(flat=False))
    org = call.principal.org_id
    sites = visible_sites(call.principal, query.filter.site_id)
    after = cursor.decode(query.cursor, org, query.filter) if query.cursor else None
    store = EventStore(org)
    assert query.limit is not None
    page = store.page(query.filter, sites, after, query.limit)
    snapshots = signed_urls([event.data.get("snapshot_object") for event in page.events])
    next_cursor = cursor.encode(page.events[-1].position, org, query.filter) if page.has_more else None
    return json_response(
        {
            "data": [list_item(event, url) for event, url in zip(page.events, snapshots, strict=True)],
            "next_cursor": next_cursor,
            "total": store.count(query.filter, sites).total,
        }
    )
