"""POST /api/v1/webhook-deliveries/{id}/resend: send a delivery's message again (admin): a new attempt
series (the whole retry schedule) with the same ``webhook-id`` and body, the first attempt now. 202
``{"delivery_id"}``; 404 for an id that is not a delivery of this org; 409 when its endpoint is
deleted or disabled, or an attempt of it is in flight. Idempotency-Key (a replay sends nothing more)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.webhooks.delivery import resend


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer again."""
    return json_response({"delivery_id": outcome["delivery_id"]}, 202)


@functions_framework.http
@endpoint("resend_webhook_delivery", steps=[rate_limit, idempotent(replay)])
def resend_webhook_delivery(context: Context) -> flask.Response:
    """Start the new series and enqueue its first attempt."""
    delivery_id = context.path_params["id"]
    resend(context.principal.org_id, delivery_id, context.idempotency)
    return json_response({"delivery_id": delivery_id}, 202)
