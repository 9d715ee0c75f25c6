"""DELETE /api/v1/events/{id}: soft delete (admin). 204, empty body. Idempotency-Key."""

from __future__ import annotations

import flask
import functions_framework

from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent, replay_no_content
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


@functions_framework.http
@endpoint("delete_event", steps=[rate_limit, idempotent(replay_no_content)])
def delete_event(context: Context) -> flask.Response:
    """Mark the event deleted; it keeps its data and disappears from every read."""
    EventStore(context.principal.scope).dismiss(context.path_params["id"], context.actor, context.idempotency)
    return flask.Response(status=204)
