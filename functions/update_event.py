"""PATCH /api/v1/events/{id}: acknowledge, star or annotate (operator and admin). Idempotency-Key."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.patch import parse_patch
from shared.api.views import event_detail_response, replay_event
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


@functions_framework.http
@endpoint("update_event", steps=[rate_limit, idempotent(replay_event)])
def update_event(context: Context) -> flask.Response:
    """Validate the body (400), then change the event transactionally (404, 403); answers the GET shape."""
    changes = parse_patch(context.request.get_data())
    store = EventStore(context.principal.scope)
    event = store.update(context.path_params["id"], changes, context.actor, context.idempotency)
    return event_detail_response(store, event)
