"""PATCH /api/v1/events/{id}: acknowledge, star or annotate (operator and admin)."""

from __future__ import annotations

from functools import partial

import flask
import functions_framework

from shared.auth import check_site
from shared.http import Call, endpoint
from shared.patch import parse_patch
from shared.store import EventStore
from shared.views import event_detail_response


@functions_framework.http
@endpoint("update_event")
def update_event(call: Call) -> flask.Response:
    """Validate the body (400), then change the event transactionally (404, 403); answers the GET shape."""
    patch = parse_patch(call.request.get_data())
    store = EventStore(call.principal.org_id)
    guard = partial(check_site, call.principal)
    event = store.update(call.path_params["id"], patch, call.principal.user_id, guard)
    return event_detail_response(store, event, call.principal)
