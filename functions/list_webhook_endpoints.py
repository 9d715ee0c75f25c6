"""GET /api/v1/webhook-endpoints: the org's webhook endpoints, newest first, paged like the event list
(``limit`` 1-100, default 20; ``cursor`` from the previous page's ``next_cursor``); never a secret
(admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api import cursor
from shared.api.query import DEFAULT_LIMIT, MAX_LIMIT, parse_paging
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.model.filter import EventFilter
from shared.store.webhooks import WebhookEndpoints
from shared.webhooks.endpoints import endpoint_view

DOMAIN = "webhook_endpoints"
EVERYTHING = EventFilter()  # the list has no filters


@functions_framework.http
@endpoint("list_webhook_endpoints", steps=[rate_limit])
def list_webhook_endpoints(context: Context) -> flask.Response:
    """``{"data": [endpoint, ...], "next_cursor": str | null}``."""
    given, limit = parse_paging(
        context.request.args.to_dict(flat=False), default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT
    )
    scope, role = context.principal.scope, context.principal.role.name
    after = cursor.decode(given, scope, role, EVERYTHING, DOMAIN) if given else None
    found, more = WebhookEndpoints(scope.org_id).page(after, limit)
    return json_response(
        {
            "data": [endpoint_view(item) for item in found],
            "next_cursor": cursor.encode(more, scope, role, EVERYTHING, DOMAIN) if more else None,
        }
    )
