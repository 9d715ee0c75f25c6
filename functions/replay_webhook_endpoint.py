"""POST /api/v1/webhook-endpoints/{id}/replay: send an endpoint the org's changes again (admin).

Body ``{"since", "until"?, "types"?}``: every change kept from ``since`` (within the change log's
retention, else 400 naming ``since``) to ``until`` (default now) of ``types`` (default all) that the
endpoint receives (its types and filter) gets a new delivery, with its change's id as ``webhook-id``
(receivers that saw it already can tell). 202 ``{"scheduled": n}``. At most 10,000 changes a replay
(400 naming ``since`` beyond: replay shorter ranges). 404 for no such endpoint, 409 for a disabled one.
Idempotency-Key (a replay of the request schedules nothing more)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.webhooks.delivery import replay
from shared.webhooks.operations import parse_replay


def answered(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer again."""
    return json_response({"scheduled": outcome["scheduled"]}, 202)


@functions_framework.http
@endpoint("replay_webhook_endpoint", steps=[rate_limit, idempotent(answered)])
def replay_webhook_endpoint(context: Context) -> flask.Response:
    """Validate the body (400), schedule the deliveries, record the outcome for Idempotency-Key."""
    asked = parse_replay(context.request.get_data())
    org_id = context.principal.org_id
    scheduled = replay(org_id, context.path_params["id"], asked.since, asked.until, asked.types)
    if context.idempotency is not None:
        context.idempotency.complete({"kind": "webhook_replay", "scheduled": scheduled})
    return json_response({"scheduled": scheduled}, 202)
