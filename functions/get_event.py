"""GET /api/v1/events/{id}: one event in full detail, with signed media URLs and prev/next ids."""

from __future__ import annotations

import flask
import functions_framework

from shared.auth import check_site
from shared.errors import NotFound
from shared.http import Call, endpoint
from shared.store import EventStore
from shared.views import event_detail_response


@functions_framework.http
@endpoint("get_event")
def get_event(call: Call) -> flask.Response:
    """The event; 404 when it is not a live event of the caller's org, 403 outside a viewer's sites."""
    store = EventStore(call.principal.org_id)
    event = store.get(call.path_params["id"])
    if event is None:
        raise NotFound()
    check_site(call.principal, event.site_id)
    return event_detail_response(store, event, call.principal)
