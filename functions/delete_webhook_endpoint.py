"""DELETE /api/v1/webhook-endpoints/{id}: remove a webhook endpoint (admin); its pending deliveries
are dropped. 204; 404 for any other id. Idempotency-Key."""

from __future__ import annotations

import flask
import functions_framework

from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent, replay_no_content
from shared.edge.rate_limit import rate_limit
from shared.store.webhooks import WebhookEndpoints


@functions_framework.http
@endpoint("delete_webhook_endpoint", steps=[rate_limit, idempotent(replay_no_content)])
def delete_webhook_endpoint(context: Context) -> flask.Response:
    """Remove the endpoint."""
    WebhookEndpoints(context.principal.org_id).delete(context.path_params["id"], context.idempotency)
    return flask.Response(status=204)
