"""POST /api/v1/events/{id}/restore: undo a dismissal (admin); a live event is a 200 no-op.
Idempotency-Key."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.views import event_detail_response, replay_event
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


@functions_framework.http
@endpoint("restore_event", steps=[rate_limit, idempotent(replay_event)])
def restore_event(context: Context) -> flask.Response:
    """The event back in lists, counts, prev/next and exports; answers the GET shape (404 when absent)."""
    store = EventStore(context.principal.scope)
    event = store.restore(context.path_params["id"], context.actor, context.idempotency)
    return event_detail_response(store, event)
