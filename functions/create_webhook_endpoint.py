"""POST /api/v1/webhook-endpoints: register a URL for signed webhooks of the org's changes (admin).
201 with the endpoint and its signing secret, shown this once; a replay (Idempotency-Key) answers the
same 201 with ``secret`` null. 409 when the org has ``EVENTS_WEBHOOK_MAX_ENDPOINTS`` endpoints."""

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
from shared.webhooks.endpoints import endpoint_view, new_endpoint, parse_create


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer again, without the secret."""
    return json_response({**outcome["endpoint"], "secret": None}, 201)


@functions_framework.http
@endpoint("create_webhook_endpoint", steps=[rate_limit, idempotent(replay)])
def create_webhook_endpoint(context: Context) -> flask.Response:
    """Validate the body and the URL (400), store the endpoint (409 at the cap), answer its secret."""
    fields = parse_create(context.request.get_data())
    org_id = context.principal.org_id
    created, secret = new_endpoint(org_id, fields, utcnow())
    view = endpoint_view(created)
    WebhookEndpoints(org_id).create(
        created, {"kind": "webhook_endpoint", "endpoint": view}, context.idempotency
    )
    return json_response({**view, "secret": secret}, 201)
