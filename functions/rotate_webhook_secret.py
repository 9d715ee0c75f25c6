"""POST /api/v1/webhook-endpoints/{id}/rotate-secret: give an endpoint a new signing secret (admin).

Body ``{"grace_seconds"?}`` (0-604800, default 86400; an empty body takes the default). 200
``{"secret"}``, the new secret, shown only here. For ``grace_seconds`` every message carries both
signatures, space separated (``v1,<new> v1,<old>``), then only the new one; 0 drops the old secret
at once. The old secret is kept sealed like the current one until its grace ends. 404 for no such
endpoint. Idempotency-Key: a replay answers the same new secret (kept sealed in the request's
record) and rotates nothing more."""

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
from shared.webhooks.operations import parse_rotation
from shared.webhooks.signing import new_secret
from shared.webhooks.vault import open_sealed, seal


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The secret the first request made."""
    secret = open_sealed(outcome["sealed"], context.principal.org_id, outcome["endpoint_id"])
    return json_response({"secret": secret})


@functions_framework.http
@endpoint("rotate_webhook_secret", steps=[rate_limit, idempotent(replay)])
def rotate_webhook_secret(context: Context) -> flask.Response:
    """Validate the body (400), store the new secret sealed (404), answer it."""
    grace = parse_rotation(context.request.get_data())
    org_id, endpoint_id = context.principal.org_id, context.path_params["id"]
    secret = new_secret()
    sealed = seal(secret, org_id, endpoint_id)
    WebhookEndpoints(org_id).rotate(endpoint_id, sealed, grace, utcnow(), context.idempotency)
    return json_response({"secret": secret})
