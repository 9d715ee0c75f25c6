"""GET /api/v1/events/deleted: the trash, dismissed events newest dismissal first, with the list's
filters and paging (admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api import cursor
from shared.api.query import parse_list_query, start_of
from shared.api.responses import json_response
from shared.api.shapes import trash_item
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.media import signed_urls
from shared.store.events import EventStore, trash_position

TRASH = "trash"


@functions_framework.http
@endpoint("list_deleted_events", steps=[rate_limit])
def list_deleted_events(context: Context) -> flask.Response:
    """``{"data": [list item + deleted_at, deleted_by], "next_cursor", "total"}``."""
    query = parse_list_query(context.request.args.to_dict(flat=False))
    store = EventStore(context.principal.scope)
    after = start_of(query, store.scope, TRASH)
    assert query.limit is not None
    page, total = store.page_and_total(query.filter, after, query.limit, trash=True)
    snapshots = signed_urls([event.data.get("snapshot_object") for event in page.events])
    next_cursor = (
        cursor.encode(trash_position(page.events[-1]), store.scope.org_id, query.filter, TRASH)
        if page.has_more
        else None
    )
    return json_response(
        {
            "data": [trash_item(event, url) for event, url in zip(page.events, snapshots, strict=True)],
            "next_cursor": next_cursor,
            "total": total,
        }
    )
