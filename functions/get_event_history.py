"""GET /api/v1/events/{id}/history: who changed what and when, oldest first, paged (viewer and up,
site-scoped; a dismissed event's history only for admins)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api import cursor
from shared.api.query import MAX_LIMIT, parse_paging
from shared.api.responses import json_response
from shared.api.shapes import history_entry
from shared.edge.auth import Role
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.model.filter import EventFilter
from shared.store.events import EventStore

DEFAULT_LIMIT = 50  # entries a page (the list's 1-100 apply)
EVERYTHING = EventFilter()


@functions_framework.http
@endpoint("get_event_history", steps=[rate_limit])
def get_event_history(context: Context) -> flask.Response:
    """``{"data": [{"at", "by", "action", "changes"}], "next_cursor"}``."""
    args = context.request.args.to_dict(flat=False)
    given_cursor, limit = parse_paging(args, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    event_id = context.path_params["id"].lower()
    scope, role = context.principal.scope, context.principal.role.name
    domain = f"history/{event_id}"
    after = cursor.decode(given_cursor, scope, role, EVERYTHING, domain) if given_cursor else None
    store = EventStore(scope)
    entries, more = store.history_page(
        event_id, after, limit, include_deleted=context.principal.role >= Role.ADMIN
    )
    return json_response(
        {
            "data": [history_entry(entry) for entry in entries],
            "next_cursor": cursor.encode(more, scope, role, EVERYTHING, domain) if more else None,
        }
    )
