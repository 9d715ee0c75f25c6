"""Sweep webhook deliveries (Cloud Scheduler, every minute -> HTTP POST with an OIDC token; locally the
task runner). Not routed by the API gateway.

Enqueues every org's overdue deliveries again (their task was lost, or never made), so no delivery is
lost with an instance or a task; answers ``{"overdue", "enqueued"}``. Only the scheduler's service
account may call it.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.scheduler_auth import authenticate_scheduler
from shared.webhooks.delivery import sweep


@functions_framework.http
@endpoint("sweep_webhooks", auth=authenticate_scheduler)
def sweep_webhooks(context: Context) -> flask.Response:
    """Enqueue the overdue deliveries."""
    outcome = sweep()
    context.log.update(outcome)
    return json_response(outcome)
