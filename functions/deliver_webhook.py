"""Deliver one webhook attempt (Cloud Tasks -> HTTP POST with an OIDC token; locally the task runner).
Not routed by the API gateway.

Body ``{"org_id", "delivery_id"}``; makes the delivery's due attempt, if it has one (idempotent by
delivery id: a delivery done, not due or in flight is left alone), and answers ``{"delivery_id",
"status"}``. Only the tasks' service account may call it (``EVENTS_SCHEDULER_SERVICE_ACCOUNT`` of
this function).
"""

from __future__ import annotations

import flask
import functions_framework

from shared.api.bodies import json_object
from shared.api.responses import json_response
from shared.config import settings
from shared.edge.endpoint import Context, endpoint
from shared.edge.scheduler_auth import authenticate_scheduler
from shared.errors import ValidationError
from shared.ids import valid_org_id
from shared.webhooks.delivery import deliver


@functions_framework.http
@endpoint("deliver_webhook", auth=authenticate_scheduler)
def deliver_webhook(context: Context) -> flask.Response:
    """Make the delivery's attempt."""
    data = json_object(context.request.get_data())
    org_id, delivery_id = data.get("org_id"), data.get("delivery_id")
    pinned = settings().pinned_org
    if not valid_org_id(org_id) or (pinned is not None and org_id != pinned):
        raise ValidationError.field("org_id", "required: an org this deployment serves")
    if not isinstance(delivery_id, str) or not delivery_id.isalnum() or len(delivery_id) > 64:
        raise ValidationError.field("delivery_id", "required: a delivery id")
    context.log.update(org_id=org_id, delivery_id=delivery_id)
    outcome = deliver(org_id, delivery_id)
    context.log["delivery_status"] = outcome["status"]
    return json_response(outcome)
