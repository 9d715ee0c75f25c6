"""GET /api/v1/webhook-endpoints/{id}: one webhook endpoint of the org, never its secret (admin); 404
for any other id."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.store.webhooks import WebhookEndpoints
from shared.webhooks.endpoints import endpoint_view


@functions_framework.http
@endpoint("get_webhook_endpoint", steps=[rate_limit])
def get_webhook_endpoint(context: Context) -> flask.Response:
    """The endpoint."""
    found = WebhookEndpoints(context.principal.org_id).get(context.path_params["id"])
    return json_response(endpoint_view(found))
