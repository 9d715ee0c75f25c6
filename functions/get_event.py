"""GET /api/v1/events/{id}: one event in full detail, with signed media URLs and prev/next ids."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.views import event_detail_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.errors import NotFound
from shared.store.events import EventStore


@functions_framework.http
@endpoint("get_event", steps=[rate_limit])
def get_event(context: Context) -> flask.Response:
    """The event; 404 when it is not a live event of the caller's org, 403 outside a viewer's sites."""
    store = EventStore(context.principal.scope)
    event = store.get(context.path_params["id"])
    if event is None:
        raise NotFound()
    return event_detail_response(store, event)
