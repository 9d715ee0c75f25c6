"""GET /api/v1/keys: the org's API keys, newest first, revoked ones included, paged like the event list
(``limit`` 1-100, default 20; ``cursor`` from the previous page's ``next_cursor``); never a secret (an
admin user's token only)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api import cursor
from shared.api.query import DEFAULT_LIMIT, MAX_LIMIT, parse_paging
from shared.api.responses import json_response
from shared.api.shapes import key_view
from shared.edge.auth import authenticate_user
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.model.filter import EventFilter
from shared.store.api_keys import ApiKeys

DOMAIN = "keys"
EVERYTHING = EventFilter()  # the key list has no filters


@functions_framework.http
@endpoint("list_keys", auth=authenticate_user, steps=[rate_limit])
def list_keys(context: Context) -> flask.Response:
    """``{"data": [key, ...], "next_cursor": str | null}``."""
    given, limit = parse_paging(
        context.request.args.to_dict(flat=False), default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT
    )
    scope, role = context.principal.scope, context.principal.role.name
    after = cursor.decode(given, scope, role, EVERYTHING, DOMAIN) if given else None
    records, more = ApiKeys().page(scope.org_id, after, limit)
    return json_response(
        {
            "data": [key_view(record) for record in records],
            "next_cursor": cursor.encode(more, scope, role, EVERYTHING, DOMAIN) if more else None,
        }
    )
