"""POST /api/v1/webhook-endpoints/{id}/test: send the endpoint a ``webhook.test`` message now (admin).
202 ``{"delivery_id"}``; 404 for any other id, 409 for a disabled endpoint. Idempotency-Key (a replay
answers the same delivery id and sends nothing more)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.webhooks.delivery import send_test


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer again."""
    return json_response({"delivery_id": outcome["delivery_id"]}, 202)


@functions_framework.http
@endpoint("test_webhook_endpoint", steps=[rate_limit, idempotent(replay)])
def test_webhook_endpoint(context: Context) -> flask.Response:
    """Create the test delivery and enqueue it."""
    delivery_id = send_test(context.principal.org_id, context.path_params["id"], context.idempotency)
    return json_response({"delivery_id": delivery_id}, 202)
