"""GET /api/v1/events/changes: every change to the caller's events, oldest first, from a cursor
(viewer and up; a dismissed event's changes say only what and when below admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.changes import feed_page, parse_feed_query
from shared.api.responses import json_response
from shared.edge.auth import Role
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit


@functions_framework.http
@endpoint("list_changes", steps=[rate_limit])
def list_changes(context: Context) -> flask.Response:
    """``{"data": [change...], "next_cursor": str}`` (never null: poll with it)."""
    query = parse_feed_query(context.request.args.to_dict(flat=False))
    principal = context.principal
    page = feed_page(principal.scope, principal.role.name, query, redacted=principal.role < Role.ADMIN)
    return json_response(page)
