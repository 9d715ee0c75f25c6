"""GET /api/v1/events/deleted: the trash, dismissed events newest dismissal first, with the list's
filters and paging (admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.listing import list_page
from shared.api.query import parse_list_query
from shared.api.responses import json_response
from shared.api.shapes import trash_item
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


@functions_framework.http
@endpoint("list_deleted_events", steps=[rate_limit])
def list_deleted_events(context: Context) -> flask.Response:
    """``{"data": [list item + deleted_at, deleted_by], "next_cursor", "total", "total_exact"}``."""
    query = parse_list_query(context.request.args.to_dict(flat=False))
    store = EventStore(context.principal.scope)
    return json_response(list_page(store, query, trash_item, context.principal.role.name, trash=True))
