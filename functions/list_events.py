"""GET /api/v1/events: the caller's events, newest first, filtered and paged (viewer and up)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.listing import list_page
from shared.api.query import parse_list_query
from shared.api.responses import json_response
from shared.api.shapes import list_item
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


@functions_framework.http
@endpoint("list_events", steps=[rate_limit])
def list_events(context: Context) -> flask.Response:
    """``{"data": [...], "next_cursor": str | null, "total": int, "total_exact": bool}``."""
    query = parse_list_query(context.request.args.to_dict(flat=False))
    store = EventStore(context.principal.scope)
    return json_response(list_page(store, query, list_item, context.principal.role.name))
