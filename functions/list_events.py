"""GET /api/v1/events: the caller's events, newest first, filtered and paged (viewer and up)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api import cursor
from shared.api.query import parse_list_query, start_of
from shared.api.responses import json_response
from shared.api.shapes import list_item
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.media import signed_urls
from shared.store.events import EventStore


@functions_framework.http
@endpoint("list_events", steps=[rate_limit])
def list_events(context: Context) -> flask.Response:
    """``{"data": [...], "next_cursor": str | null, "total": int}``."""
    query = parse_list_query(context.request.args.to_dict(flat=False))
    org = context.principal.org_id
    store = EventStore(context.principal.scope)
    after = start_of(query, store.scope)
    assert query.limit is not None
    page, total = store.page_and_total(query.filter, after, query.limit)
    snapshots = signed_urls([event.data.get("snapshot_object") for event in page.events])
    next_cursor = cursor.encode(page.events[-1].position, org, query.filter) if page.has_more else None
    return json_response(
        {
            "data": [list_item(event, url) for event, url in zip(page.events, snapshots, strict=True)],
            "next_cursor": next_cursor,
            "total": total,
        }
    )
