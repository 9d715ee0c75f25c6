"""GET /api/v1/webhook-endpoints/{id}/deliveries: the endpoint's delivery log, newest first (admin),
paged like the event list (``limit`` 1-100, default 20; ``cursor`` from the previous page's
``next_cursor``), ``status`` (pending, retrying, succeeded, failed) to see one kind only. Each
delivery with every attempt (its response's first 1 KiB); deliveries are kept 30 days. 404 for an id
that is not an endpoint of this org."""

from __future__ import annotations

import flask
import functions_framework

from shared.api import cursor
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.model.filter import EventFilter
from shared.store.webhooks import Deliveries, WebhookEndpoints
from shared.webhooks.operations import delivery_view, parse_delivery_query

EVERYTHING = EventFilter()  # the log has no event filters; its status is in the cursor's domain


@functions_framework.http
@endpoint("list_webhook_deliveries", steps=[rate_limit])
def list_webhook_deliveries(context: Context) -> flask.Response:
    """``{"data": [delivery, ...], "next_cursor": str | null}``."""
    query = parse_delivery_query(context.request.args.to_dict(flat=False))
    scope, role = context.principal.scope, context.principal.role.name
    endpoint_id = context.path_params["id"]
    domain = f"webhook_deliveries/{endpoint_id}/{query.status or '*'}"
    after = cursor.decode(query.cursor, scope, role, EVERYTHING, domain) if query.cursor else None
    WebhookEndpoints(scope.org_id).get(endpoint_id)  # 404 for no such endpoint
    found, more = Deliveries(scope.org_id).page(endpoint_id, query.status, after, query.limit)
    return json_response(
        {
            "data": [delivery_view(delivery_id, data) for delivery_id, data in found],
            "next_cursor": cursor.encode(more, scope, role, EVERYTHING, domain) if more else None,
        }
    )
