"""PATCH /api/v1/webhook-endpoints/{id}: change a webhook endpoint's ``url``, ``event_types``,
``filter``, ``description`` or ``status`` (``enabled`` clears ``disabled_reason``) (admin).
Idempotency-Key. The endpoint as changed; a new URL is checked like a new endpoint's (400 naming
``url``); 404 for any other id."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.webhooks import WebhookEndpoints
from shared.timefmt import utcnow
from shared.webhooks.endpoints import changed, endpoint_view, parse_update


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The endpoint as it is now."""
    found = WebhookEndpoints(context.principal.org_id).get(outcome["endpoint_id"])
    return json_response(endpoint_view(found))


@functions_framework.http
@endpoint("update_webhook_endpoint", steps=[rate_limit, idempotent(replay)])
def update_webhook_endpoint(context: Context) -> flask.Response:
    """Validate the body (400), then change the endpoint in a transaction (404)."""
    fields = parse_update(context.request.get_data())
    endpoints = WebhookEndpoints(context.principal.org_id)
    written = endpoints.change(context.path_params["id"], changed(fields, utcnow()), context.idempotency)
    return json_response(endpoint_view(written))
